/* cvanalyze element tests: real pipelines and GstHarness against the local
 * analysis server, run in-process on 127.0.0.1 with a free port.
 *
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>

#include "cvanalyzetest.h"
#include "gstcvanalyzeencoder.h"
#include "gstcvanalyzemeta.h"

#define WAIT_US (30 * G_USEC_PER_SEC)

/* Runs a pipeline that must stop with an error; returns the error (for
 * its domain and code), its text and its debug string. */
static GError *
run_to_error (const gchar * description, gchar ** text, gchar ** debug)
{
  GstElement *pipeline = cv_test_make_pipeline (description);
  GList *messages = cv_test_run_pipeline (pipeline);
  GstMessage *err = cv_test_find_message (messages, GST_MESSAGE_ERROR);
  GError *gerr = NULL;

  fail_unless (err != NULL, "no error from '%s'", description);
  gst_message_parse_error (err, &gerr, debug);
  *text = g_strdup (gerr->message);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
  return gerr;
}

/* --- harness helpers --- */

#define H_WIDTH 320
#define H_HEIGHT 240

static GstHarness *
make_harness (const gchar * props, gboolean live, GstBus ** bus)
{
  gchar *desc = g_strdup_printf ("cvanalyze endpoint=%s key=%s %s",
      server_url, TEST_KEY, props);
  GstHarness *h = gst_harness_new_parse (desc);

  g_free (desc);
  gst_harness_set_live (h, live);
  gst_harness_set_src_caps_str (h, "video/x-raw, format=I420, width=320, "
      "height=240, framerate=30/1");
  *bus = gst_bus_new ();
  gst_element_set_bus (h->element, *bus);
  return h;
}

/* Tears the harness down and drops what is left on its bus: each message
 * holds its source element, which holds the bus, a cycle that would leak
 * the element, the bus and the messages. */
static void
teardown_harness (GstHarness * h, GstBus * bus)
{
  gst_harness_teardown (h);
  cv_test_drop_bus_messages (bus);
  gst_object_unref (bus);
}

/* A solid colour I420 frame: Y, U, V given directly. */
static GstBuffer *
make_frame (GstClockTime pts, guint8 y, guint8 u, guint8 v)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer *buf;
  guint p;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, H_WIDTH, H_HEIGHT);
  buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_WRITE));
  for (p = 0; p < 3; p++)
    memset (GST_VIDEO_FRAME_PLANE_DATA (&frame, p), p == 0 ? y : p == 1 ? u : v,
        GST_VIDEO_FRAME_PLANE_STRIDE (&frame, p) *
        GST_VIDEO_FRAME_COMP_HEIGHT (&frame, p));
  gst_video_frame_unmap (&frame);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  return buf;
}

#define RED_FRAME(pts) make_frame (pts, 81, 90, 240)
#define BLUE_FRAME(pts) make_frame (pts, 41, 240, 110)

static GstMessage *
pop_result (GstBus * bus)
{
  GstMessage *m = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_ELEMENT);

  fail_unless (m != NULL, "no result message within 30 s");
  fail_unless (gst_message_has_name (m, "cvanalyze"));
  return m;
}

/* --- tests --- */

/* A file of the source tree (CVANALYZE_SOURCE_DIR, set by meson). */
static gchar *
read_source_file (const gchar * name)
{
  const gchar *dir = g_getenv ("CVANALYZE_SOURCE_DIR");
  gchar *path, *contents = NULL;

  fail_unless (dir != NULL, "CVANALYZE_SOURCE_DIR is not set (meson sets it)");
  path = g_build_filename (dir, name, NULL);
  fail_unless (g_file_get_contents (path, &contents, NULL, NULL), "%s", path);
  g_free (path);
  return contents;
}

/* The property names in the first column of README.md's properties table
 * ("| `a` |" or "| `a`, `b` |"), as a set. */
static GHashTable *
readme_properties (void)
{
  gchar *readme = read_source_file ("README.md");
  const gchar *section = strstr (readme, "\n## Properties\n");
  const gchar *end;
  gchar *table, **lines;
  GHashTable *names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  GRegex *name_re = g_regex_new ("`([a-z-]+)`", 0, 0, NULL);
  guint i;

  fail_unless (section != NULL, "README.md has no Properties section");
  end = strstr (section + 1, "\n## ");
  table = g_strndup (section, end ? end - section : strlen (section));
  lines = g_strsplit (table, "\n", -1);
  for (i = 0; lines[i]; i++) {
    gchar **cells;
    GMatchInfo *m;

    if (!g_str_has_prefix (lines[i], "| `"))
      continue;
    cells = g_strsplit (lines[i], "|", 3);
    g_regex_match (name_re, cells[1], 0, &m);
    while (g_match_info_matches (m)) {
      g_hash_table_add (names, g_match_info_fetch (m, 1));
      g_match_info_next (m, NULL);
    }
    g_match_info_free (m);
    g_strfreev (cells);
  }
  g_strfreev (lines);
  g_free (table);
  g_regex_unref (name_re);
  g_free (readme);
  return names;
}

/* Whether @source has a gtk-doc block for the property, with a
 * description after its heading. */
static gboolean
has_doc_block (const gchar * source, const gchar * name)
{
  gchar *pattern = g_strdup_printf ("/\\*\\*\\n\\s*\\* GstCvAnalyze:%s:\\n"
      "\\s*\\*\\n\\s*\\* \\S", name);
  gboolean found = g_regex_match_simple (pattern, source, 0, 0);

  g_free (pattern);
  return found;
}

/* A blurb is a sentence that tells more than the nick. */
static void
check_blurb (GParamSpec * spec)
{
  const gchar *blurb = g_param_spec_get_blurb (spec);
  const gchar *nick = g_param_spec_get_nick (spec);
  gchar **words;

  fail_unless (blurb != NULL, "%s has no blurb", spec->name);
  fail_if (g_ascii_strcasecmp (blurb, nick) == 0, "%s: blurb is the nick",
      spec->name);
  fail_unless (g_ascii_isalpha (blurb[0]), "%s: '%s'", spec->name, blurb);
  words = g_strsplit (blurb, " ", -1);
  fail_unless (g_strv_length (words) >= 4, "%s: '%s' is not a sentence",
      spec->name, blurb);
  g_strfreev (words);
}

#define CHECK_RANGE(spec, TYPE) G_STMT_START { \
    TYPE *p = (TYPE *) (spec); \
    fail_unless (p->minimum < p->maximum, "%s: empty range", spec->name); \
    fail_unless (p->default_value >= p->minimum && \
        p->default_value <= p->maximum, "%s: default outside the range", \
        spec->name); \
  } G_STMT_END

/* A numeric property has a range, and its default is inside it; an enum's
 * default is one of its values. */
static void
check_range (GParamSpec * spec)
{
  if (G_IS_PARAM_SPEC_INT (spec))
    CHECK_RANGE (spec, GParamSpecInt);
  else if (G_IS_PARAM_SPEC_UINT (spec))
    CHECK_RANGE (spec, GParamSpecUInt);
  else if (G_IS_PARAM_SPEC_INT64 (spec))
    CHECK_RANGE (spec, GParamSpecInt64);
  else if (G_IS_PARAM_SPEC_UINT64 (spec))
    CHECK_RANGE (spec, GParamSpecUInt64);
  else if (G_IS_PARAM_SPEC_LONG (spec))
    CHECK_RANGE (spec, GParamSpecLong);
  else if (G_IS_PARAM_SPEC_ULONG (spec))
    CHECK_RANGE (spec, GParamSpecULong);
  else if (G_IS_PARAM_SPEC_FLOAT (spec))
    CHECK_RANGE (spec, GParamSpecFloat);
  else if (G_IS_PARAM_SPEC_DOUBLE (spec))
    CHECK_RANGE (spec, GParamSpecDouble);
  else if (G_IS_PARAM_SPEC_ENUM (spec))
    fail_unless (g_enum_get_value (G_PARAM_SPEC_ENUM (spec)->enum_class,
            G_PARAM_SPEC_ENUM (spec)->default_value) != NULL,
        "%s: default is not a value", spec->name);
}

/* Every property of cvanalyze is documented where users look: a gtk-doc
 * block in gst/gstcvanalyze.c, a row in README.md's properties table (and
 * no row for a property that does not exist), a blurb that is a sentence
 * and not the nick, and for numbers a range holding the default. The key
 * cannot be read back. The endpoint's and key's blurbs name every
 * service's variables, and the description every kind of service. */
/* The environment variables each service reads when the property is
 * unset. */
static const struct
{
  const gchar *property;
  const gchar *variable;
} service_env[] = {
  {"endpoint", "AZURE_VISION_ENDPOINT"}, {"endpoint", "OPENAI_BASE_URL"},
  {"endpoint", "AZURE_OPENAI_ENDPOINT"}, {"key", "AZURE_VISION_KEY"},
  {"key", "OPENAI_API_KEY"}, {"key", "AZURE_OPENAI_API_KEY"},
};

GST_START_TEST (test_properties_documented)
{
  GstElement *e = gst_element_factory_make ("cvanalyze", NULL);
  gchar *source = read_source_file ("gst/gstcvanalyze.c");
  GHashTable *readme = readme_properties ();
  GHashTableIter iter;
  gpointer name;
  GParamSpec **specs;
  guint n, i;

  fail_unless (e != NULL);
  fail_unless_equals_string (gst_element_get_metadata (e,
          GST_ELEMENT_METADATA_KLASS), "Filter/Analyzer/Video");
  specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (e), &n);
  for (i = 0; i < n; i++) {
    if (specs[i]->owner_type != G_OBJECT_TYPE (e))
      continue;
    fail_unless (has_doc_block (source, specs[i]->name),
        "%s has no gtk-doc block in gst/gstcvanalyze.c", specs[i]->name);
    fail_unless (g_hash_table_contains (readme, specs[i]->name),
        "%s has no row in README.md's properties table", specs[i]->name);
    check_blurb (specs[i]);
    check_range (specs[i]);
  }
  g_free (specs);

  g_hash_table_iter_init (&iter, readme);
  while (g_hash_table_iter_next (&iter, &name, NULL)) {
    GParamSpec *spec = g_object_class_find_property (G_OBJECT_GET_CLASS (e),
        name);

    fail_unless (spec && spec->owner_type == G_OBJECT_TYPE (e),
        "README.md documents '%s', which cvanalyze does not have",
        (const gchar *) name);
  }

  fail_if (g_object_class_find_property (G_OBJECT_GET_CLASS (e),
          "key")->flags & G_PARAM_READABLE);
  /* gst-inspect-1.0 is where a user looks: it tells every service's
   * environment variables and that the element speaks to all of them. */
  for (i = 0; i < G_N_ELEMENTS (service_env); i++)
    fail_unless (strstr (g_param_spec_get_blurb (g_object_class_find_property
                (G_OBJECT_GET_CLASS (e), service_env[i].property)),
            service_env[i].variable), "the blurb of '%s' does not name %s",
        service_env[i].property, service_env[i].variable);
  fail_unless (strstr (gst_element_get_metadata (e,
              GST_ELEMENT_METADATA_DESCRIPTION), "OpenAI"), "%s",
      gst_element_get_metadata (e, GST_ELEMENT_METADATA_DESCRIPTION));
  fail_unless (strstr (g_param_spec_get_blurb (g_object_class_find_property
              (G_OBJECT_GET_CLASS (e), "post-messages")), "text (string"));
  g_hash_table_unref (readme);
  g_free (source);
  gst_object_unref (e);
}

GST_END_TEST;

/* Starts "videotestsrc ! cvanalyze @props ! fakesink" and checks that it
 * fails with a GST_RESOURCE_ERROR @code whose text holds @expect and
 * @also (nullable), never the key, before any request. */
static void
check_start_refused (const gchar * props, GstResourceError code,
    const gchar * expect, const gchar * also)
{
  gchar *description = g_strdup_printf ("videotestsrc num-buffers=3 ! "
      "cvanalyze %s ! fakesink", props);
  gchar *text, *debug = NULL;
  GError *gerr = run_to_error (description, &text, &debug);

  fail_unless (g_error_matches (gerr, GST_RESOURCE_ERROR, code), "%s: %s",
      props, text);
  fail_unless (strstr (text, expect) && (!also || strstr (text, also)),
      "%s: %s", props, text);
  fail_if (strstr (text, TEST_KEY) || (debug && strstr (debug, TEST_KEY)));
  fail_unless_equals_int (cv_local_server_get_request_count (server), 0);
  g_error_free (gerr);
  g_free (text);
  g_free (debug);
  g_free (description);
}

/* Without an endpoint the element refuses to start and says how to set
 * one. */
GST_START_TEST (test_missing_endpoint_error)
{
  gchar *text, *debug = NULL;
  GError *gerr = run_to_error ("videotestsrc num-buffers=3 ! cvanalyze ! "
      "fakesink", &text, &debug);

  fail_unless (strstr (text, "endpoint") && strstr (text,
          "AZURE_VISION_ENDPOINT"), "unhelpful error: %s", text);
  fail_unless_equals_int (cv_local_server_get_request_count (server), 0);
  g_error_free (gerr);
  g_free (text);
  g_free (debug);
}

GST_END_TEST;

/* An endpoint without its scheme (a host and port, as a user often
 * types it) is refused at start-up, saying what is missing, with an
 * example URL of the service asked for. */
GST_START_TEST (test_endpoint_without_scheme_refused)
{
  check_start_refused ("api=openai model=m endpoint=localhost:11434/v1",
      GST_RESOURCE_ERROR_SETTINGS, "has no scheme",
      "http://localhost:11434/v1");
}

GST_END_TEST;

/* A chat model named with Azure's vision services (api=openai forgotten:
 * Ollama would answer its vision route 404, blamed on the endpoint) is
 * refused at start-up, saying which api to set, before the missing
 * endpoint and before any request. */
GST_START_TEST (test_model_without_chat_api_refused)
{
  check_start_refused ("model=qwen2.5vl:3b", GST_RESOURCE_ERROR_SETTINGS,
      "'model' is set", "set api=openai");
  check_start_refused ("api=azure-image-analysis endpoint=ENDPOINT key=KEY "
      "model=llava", GST_RESOURCE_ERROR_SETTINGS, "'model' is set",
      "set api=openai");
}

GST_END_TEST;

/* README's examples copied as they are, placeholders and all, are refused
 * at start-up, saying what to put in their place, before any request or
 * name lookup. */
GST_START_TEST (test_placeholders_refused)
{
  check_start_refused ("key=KEY "
      "endpoint=https://<resource>.cognitiveservices.azure.com/",
      GST_RESOURCE_ERROR_SETTINGS, "still holds a placeholder (<...>): put "
      "your resource's name", NULL);
  check_start_refused ("key=KEY api=azure-openai endpoint=ENDPOINT "
      "model=<deployment>", GST_RESOURCE_ERROR_SETTINGS,
      "'model' still holds a placeholder", NULL);
}

GST_END_TEST;

/* Whether running @props over one frame warns that @setting has nothing
 * to show; the frame is analysed either way. */
static gboolean
warns_unasked (const gchar * setting, const gchar * props)
{
  gchar *description = g_strdup_printf ("videotestsrc num-buffers=1 ! "
      "cvanalyze endpoint=ENDPOINT key=KEY %s ! fakesink", props);
  GstElement *pipeline = cv_test_make_pipeline (description);
  GList *messages = cv_test_run_pipeline (pipeline);
  GList *results = cv_test_filter_results (messages);
  gboolean warned = FALSE;
  GList *l;

  fail_unless_equals_int (g_list_length (results), 1);
  for (l = messages; l; l = l->next) {
    if (GST_MESSAGE_TYPE (l->data) == GST_MESSAGE_WARNING) {
      gchar *text = cv_test_message_text (l->data, NULL);

      warned |= g_str_has_prefix (text, setting)
          && strstr (text, "'features' does not ask for") != NULL;
      g_free (text);
    }
  }
  g_list_free (results);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
  g_free (description);
  return warned;
}

/* show-text=true without a feature that reads text would show nothing,
 * silently: a warning at start-up says which feature to add. */
GST_START_TEST (test_show_text_without_read_warns)
{
  fail_unless (warns_unasked ("show-text", "show-text=true"));
  fail_unless (warns_unasked ("show-text", "show-text=true "
          "features=Tags,Color"));
  fail_if (warns_unasked ("show-text", "show-text=true "
          "features=\"Description, read\""));
  fail_if (warns_unasked ("show-text", "features=Tags"));
}

GST_END_TEST;

/* show-tags with features that give no tags (the chat services' default,
 * caption; Azure's vision services without Tags or Description) would
 * show no tags, silently: a warning at start-up says to add them. */
GST_START_TEST (test_show_tags_without_tags_warns)
{
  fail_unless (warns_unasked ("show-tags", "show-tags=3 api=openai "
          "model=local-vision endpoint=ENDPOINTv1"));
  fail_unless (warns_unasked ("show-tags", "show-tags=3 features=Color"));
  fail_unless (warns_unasked ("show-tags", "show-tags=3 "
          "api=azure-image-analysis features=caption"));
  fail_if (warns_unasked ("show-tags", "show-tags=3"));
  fail_if (warns_unasked ("show-tags", "show-tags=3 features=Description"));
  fail_if (warns_unasked ("show-tags", "show-tags=3 api=openai "
          "model=local-vision endpoint=ENDPOINTv1 features=caption,TAGS"));
}

GST_END_TEST;

/* An endpoint that could carry a secret (credentials or a query) is
 * refused at start-up, without repeating it. */
GST_START_TEST (test_endpoint_with_secret_refused)
{
  gchar *text, *debug = NULL;
  GError *gerr = run_to_error ("videotestsrc num-buffers=3 ! cvanalyze "
      "endpoint=http://127.0.0.1:1/?subscription-key=SECRET42 ! fakesink",
      &text, &debug);

  fail_unless (strstr (text, "plain base URL"), "%s", text);
  fail_if (strstr (text, "SECRET42") || (debug && strstr (debug, "SECRET42")));
  g_error_free (gerr);
  g_free (text);
  g_free (debug);
}

GST_END_TEST;

typedef struct
{
  const gchar *props;           /* ENDPOINT is the local server's URL */
  const gchar *advice;          /* what the error must tell to set */
} OtherServiceEndpoint;

static const OtherServiceEndpoint other_service_endpoints[] = {
  {"api=openai endpoint=ENDPOINTopenai/deployments/local-vision/"
        "chat/completions?api-version=2024-10-21", "set api=azure-openai"},
  {"endpoint=ENDPOINTv1/", "set api=openai"},
  {"api=azure-image-analysis endpoint=ENDPOINTopenai/v1", "set "
        "api=azure-openai"},
  {"endpoint=https://res.openai.azure.com/", "set api=azure-openai"},
  {"endpoint=ENDPOINTvision/v3.2/analyze", "base URL"},
  {"api=azure-image-analysis endpoint=ENDPOINTvision/v3.2/", "api=azure-cv"},
  {"endpoint=ENDPOINTcomputervision/imageanalysis:analyze",
      "api=azure-image-analysis"},
  {"api=openai model=m endpoint=ENDPOINTvision/v3.2", "set api=azure-cv"},
  {"api=azure-openai model=m endpoint=https://api.openai.com/v1",
      "set api=openai"},
};

/* An endpoint that is plainly another service's (an Azure OpenAI
 * deployment URL with api=openai, a chat URL with Azure's vision
 * services, a route already in the base URL) is refused at start-up,
 * before any request, with an error naming the endpoint and what to
 * set, rather than a 401 that blames the key or a 404 per frame. */
GST_START_TEST (test_endpoint_of_another_service_refused)
{
  const OtherServiceEndpoint *c = &other_service_endpoints[__i__];
  gchar *props = g_strdup_printf ("key=KEY %s", c->props);

  check_start_refused (props, GST_RESOURCE_ERROR_SETTINGS,
      "does not fit api=", c->advice);
  g_free (props);
}

GST_END_TEST;

/* Base URLs of gateways in front of Azure's vision services, whose own
 * paths look like other routes only in part ("/v1" inside a longer path,
 * "/computervision/" without Image Analysis' route): the element starts
 * and sends its requests there (the local server answers 404, a warning,
 * and the video goes on), instead of refusing the configuration. */
GST_START_TEST (test_gateway_paths_accepted)
{
  static const gchar *const props[] = {
    "endpoint=ENDPOINTvision-api/v1/",
    "api=azure-image-analysis endpoint=ENDPOINTcomputervision/prod/",
    "endpoint=ENDPOINTgateway/vision/vnext/",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (props); i++) {
    gchar *desc = g_strdup_printf ("videotestsrc num-buffers=3 ! cvanalyze "
        "key=KEY max-retries=0 %s ! fakesink", props[i]);
    GstElement *pipeline = cv_test_make_pipeline (desc);
    GList *messages = cv_test_run_pipeline (pipeline);

    fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR), "%s refused",
        props[i]);
    fail_unless (cv_test_find_message (messages, GST_MESSAGE_WARNING));
    cv_test_free_messages (messages);
    gst_object_unref (pipeline);
    g_free (desc);
  }
  fail_unless (cv_local_server_get_request_count (server) >= 3);
}

GST_END_TEST;

/* Runs @pipeline to its end, checks that it gave exactly one result, and
 * drops it. */
static void
run_to_one_result (GstElement * pipeline)
{
  GList *messages = cv_test_run_pipeline (pipeline);
  GList *results = cv_test_filter_results (messages);

  fail_unless_equals_int (g_list_length (results), 1);
  g_list_free (results);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

static const struct
{
  const gchar *props;
  const gchar *variable;        /* the error names it */
} keyless_cloud[] = {
  {"api=openai model=gpt-4o-mini", "OPENAI_API_KEY"},
  {"endpoint=https://res.cognitiveservices.azure.com/", "AZURE_VISION_KEY"},
  {"api=azure-image-analysis endpoint=https://westus.api.cognitive."
        "microsoft.com/", "AZURE_VISION_KEY"},
  {"api=azure-openai model=dep endpoint=https://RES.openai.azure.com/",
      "AZURE_OPENAI_API_KEY"},
};

/* Without a key, an endpoint in Azure's or OpenAI's cloud (which refuse
 * every request without one) is an error at start-up naming the variable
 * to set, before any request or name lookup (the local server, Ollama or
 * a container may need none: test_keyless_local_server_analysed). */
GST_START_TEST (test_missing_key_for_cloud_refused)
{
  const gchar *const key_env[] = { "AZURE_VISION_KEY", "VISION_KEY",
    "OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", NULL
  };
  guint i;

  for (i = 0; key_env[i]; i++)
    g_unsetenv (key_env[i]);
  check_start_refused (keyless_cloud[__i__].props,
      GST_RESOURCE_ERROR_NOT_AUTHORIZED, "No key is set",
      keyless_cloud[__i__].variable);
}

GST_END_TEST;

/* A server on this machine that needs no key (Ollama, llama-server, the
 * local server) is asked without one, with no Authorization header. */
GST_START_TEST (test_keyless_local_server_analysed)
{
  CvLocalServer *keyless = cv_local_server_new (NULL, NULL);
  gchar *url = cv_local_server_get_url (keyless);
  gchar *description = g_strdup_printf ("videotestsrc num-buffers=1 ! "
      "cvanalyze api=openai model=local-vision endpoint=%sv1 ! fakesink",
      url);
  CvLocalServerRequest *req;

  g_unsetenv ("OPENAI_API_KEY");
  run_to_one_result (cv_test_make_pipeline (description));
  req = cv_local_server_get_request (keyless, 0);
  fail_if (req->has_key);
  cv_local_server_request_free (req);
  g_free (description);
  g_free (url);
  cv_local_server_free (keyless);
}

GST_END_TEST;

/* An endpoint from the environment with the line break of the file it was
 * read from is used without it. */
GST_START_TEST (test_endpoint_blanks_stripped)
{
  gchar *endpoint = g_strdup_printf (" %s\n", server_url);

  g_setenv ("AZURE_VISION_ENDPOINT", endpoint, TRUE);
  run_to_one_result (cv_test_make_pipeline ("videotestsrc num-buffers=1 ! "
          "cvanalyze key=KEY ! fakesink"));
  g_unsetenv ("AZURE_VISION_ENDPOINT");
  g_free (endpoint);
}

GST_END_TEST;

/* A pipeline of one frame through cvanalyze with @key set on it. */
static GstElement *
pipeline_with_key (const gchar * key)
{
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc num-buffers=1 "
      "! cvanalyze name=a endpoint=ENDPOINT ! fakesink");
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), "a");

  g_object_set (e, "key", key, NULL);
  gst_object_unref (e);
  return pipeline;
}

/* A key read from a file, with its line break and blanks around it, is
 * sent without them (no libsoup critical, no 401); a key with a control
 * character inside (a header smuggled in) is an error at start-up that
 * does not show it, and nothing is sent. */
GST_START_TEST (test_key_blanks_stripped_controls_refused)
{
  GstElement *pipeline;
  CvLocalServerRequest *req;
  GList *messages;
  GstMessage *m;
  GError *err = NULL;
  gchar *debug = NULL;

  run_to_one_result (pipeline_with_key ("  " TEST_KEY "\r\n"));
  req = cv_local_server_get_request (server, 0);
  fail_unless (req->key_matches);
  cv_local_server_request_free (req);

  pipeline = pipeline_with_key (TEST_KEY "\r\nX-Injected: 1");
  messages = cv_test_run_pipeline (pipeline);
  gst_object_unref (pipeline);
  m = cv_test_find_message (messages, GST_MESSAGE_ERROR);
  fail_unless (m != NULL);
  gst_message_parse_error (m, &err, &debug);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_SETTINGS), "%s", err->message);
  fail_unless (strstr (err->message, "control character"), "%s",
      err->message);
  cv_test_check_secret_not_in_messages (messages, TEST_KEY);
  fail_unless_equals_int (cv_local_server_get_request_count (server), 1);
  g_error_free (err);
  g_free (debug);
  cv_test_free_messages (messages);
}

GST_END_TEST;

/* The two latencies in 'stats' agree: GST_CLOCK_TIME_NONE before any
 * result (on a new element as after start), then the answers' times. */
static void
get_latencies (GstElement * e, guint64 * last, guint64 * mean)
{
  GstStructure *stats;

  g_object_get (e, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, "last-latency", last));
  fail_unless (gst_structure_get_uint64 (stats, "mean-latency", mean));
  gst_structure_free (stats);
}

GST_START_TEST (test_stats_latency_none_until_result)
{
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc "
      "num-buffers=2 ! cvanalyze name=a endpoint=ENDPOINT key=KEY ! "
      "fakesink");
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), "a");
  guint64 last, mean;

  get_latencies (e, &last, &mean);
  fail_unless_equals_uint64 (last, GST_CLOCK_TIME_NONE);
  fail_unless_equals_uint64 (mean, GST_CLOCK_TIME_NONE);
  run_to_one_result (pipeline);
  get_latencies (e, &last, &mean);
  fail_unless (last > 0 && last < 60 * GST_SECOND, "%" G_GUINT64_FORMAT,
      last);
  fail_unless_equals_uint64 (mean, last);
  gst_object_unref (e);
}

GST_END_TEST;

/* The endpoint and key can come from the environment, under Azure's
 * sample names too. */
GST_START_TEST (test_endpoint_and_key_from_environment)
{
  GstElement *pipeline;
  GList *messages, *results;

  g_setenv ("VISION_ENDPOINT", server_url, TRUE);
  g_setenv ("AZURE_VISION_KEY", TEST_KEY, TRUE);
  pipeline = cv_test_make_pipeline ("videotestsrc num-buffers=2 ! cvanalyze ! "
      "fakesink");
  messages = cv_test_run_pipeline (pipeline);
  g_setenv ("VISION_ENDPOINT", "", TRUE);
  g_setenv ("AZURE_VISION_KEY", "", TRUE);

  results = cv_test_filter_results (messages);
  fail_unless_equals_int (g_list_length (results), 1);
  fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR));
  g_list_free (results);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* The request is POST /vision/<version>/analyze with Azure's query
 * parameters, an octet-stream JPEG body and the key header. */
GST_START_TEST (test_request_shape)
{
  const gchar *versions[] = { "v3.2", "v2.1", "v2.0" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (versions); i++) {
    gchar *desc = g_strdup_printf ("videotestsrc num-buffers=1 ! "
        "video/x-raw,width=640,height=360 ! cvanalyze endpoint=ENDPOINT "
        "key=KEY api-version=%s features=description,TAGS,Color "
        "details=Landmarks language=es ! fakesink", versions[i]);
    GstElement *pipeline = cv_test_make_pipeline (desc);
    GList *messages = cv_test_run_pipeline (pipeline);
    CvLocalServerRequest *req;
    gchar *path = g_strdup_printf ("/vision/%s/analyze", versions[i]);
    const guint8 *jpeg;
    gsize size;

    fail_unless_equals_int (cv_local_server_get_request_count (server), i + 1);
    req = cv_local_server_get_request (server, i);
    fail_unless_equals_string (req->method, "POST");
    fail_unless_equals_string (req->path, path);
    fail_unless_equals_string (req->content_type, "application/octet-stream");
    fail_unless (req->has_key && req->key_matches);
    fail_unless_equals_string (g_hash_table_lookup (req->query_params,
            "visualFeatures"), "Description,Tags,Color");
    fail_unless_equals_string (g_hash_table_lookup (req->query_params,
            "details"), "Landmarks");
    fail_unless_equals_string (g_hash_table_lookup (req->query_params,
            "language"), "es");
    /* model-version exists from v3.0 on only. */
    if (i == 0) {
      fail_unless_equals_string (g_hash_table_lookup (req->query_params,
              "model-version"), "latest");
    } else {
      fail_if (g_hash_table_contains (req->query_params, "model-version"));
    }
    jpeg = g_bytes_get_data (req->body, &size);
    fail_unless (size > 100 && jpeg[0] == 0xff && jpeg[1] == 0xd8,
        "body is not a JPEG");
    fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR));
    cv_local_server_request_free (req);
    g_free (path);
    g_free (desc);
    cv_test_free_messages (messages);
    gst_object_unref (pipeline);
  }
}

GST_END_TEST;

/* Every supported raw format reaches the service as a JPEG of the right
 * size whose colour bars match videotestsrc's, so a swapped chroma plane,
 * swapped R/B, misplaced alpha or wrong stride fails. */
GST_START_TEST (test_formats_give_matching_jpeg)
{
  /* SMPTE 75% bars, left to right. */
  static const guint8 bars[7][3] = { {191, 191, 191}, {191, 191, 0},
  {0, 191, 191}, {0, 191, 0}, {191, 0, 191}, {191, 0, 0}, {0, 0, 191}
  };
  const gchar *formats[] = { "I420", "YV12", "NV12", "NV21", "Y42B", "Y444",
    "RGB", "BGR", "RGBx", "BGRx", "xRGB", "xBGR", "RGBA", "BGRA", "ARGB",
    "ABGR", "GRAY8"
  };
  guint f;

  for (f = 0; f < G_N_ELEMENTS (formats); f++) {
    /* Odd size: strides are padded and chroma sizes round up. */
    gchar *desc = g_strdup_printf ("videotestsrc num-buffers=1 "
        "pattern=smpte75 ! video/x-raw,format=%s,width=703,height=395 ! "
        "cvanalyze endpoint=ENDPOINT key=KEY max-dimension=500 ! fakesink",
        formats[f]);
    GstElement *pipeline = cv_test_make_pipeline (desc);
    GList *messages = cv_test_run_pipeline (pipeline);
    CvLocalServerRequest *req;
    gint w, h, ew, eh, b;
    guint8 *rgb;
    gboolean gray = g_str_equal (formats[f], "GRAY8");

    fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR), "%s", formats[f]);
    fail_unless_equals_int (cv_local_server_get_request_count (server), f + 1);
    req = cv_local_server_get_request (server, f);
    rgb = cv_test_decode_jpeg (req->body, &w, &h);
    gst_cv_analyze_encoder_target_size (703, 395, 500, &ew, &eh);
    fail_unless_equals_int (w, ew);
    fail_unless_equals_int (h, eh);
    fail_unless_equals_int (w, 500);

    /* The upper two thirds of smpte75 are the seven bars. */
    for (b = 0; b < 7; b++) {
      gint x = (2 * b + 1) * w / 14, y = h / 3, c;
      const guint8 *px = rgb + (y * w + x) * 3;

      for (c = 0; c < 3; c++) {
        gint expect = bars[b][c];

        if (gray)               /* luma of the bar, BT.601 */
          expect = (299 * bars[b][0] + 587 * bars[b][1] +
              114 * bars[b][2]) / 1000;
        fail_unless (ABS (px[c] - expect) <= 40,
            "%s: bar %d channel %d is %d, expected %d", formats[f], b, c,
            px[c], expect);
      }
    }
    g_free (rgb);
    cv_local_server_request_free (req);
    cv_test_free_messages (messages);
    gst_object_unref (pipeline);
    g_free (desc);
  }
}

GST_END_TEST;

/* Samples are taken at the first frame and then once per interval of
 * running time, for several intervals and frame rates. */
GST_START_TEST (test_sampling_cadence)
{
  static const struct
  {
    GstClockTime interval;
    gint fps;
    guint frames;
    GstClockTime expected[8];
    guint n_expected;
  } cases[] = {
    {GST_SECOND, 30, 100, {0, GST_SECOND, 2 * GST_SECOND, 3 * GST_SECOND}, 4},
    /* 25 fps: 500 ms falls between frames, the next frame is taken and
     * the cadence stays on the 500 ms grid. */
    {500 * GST_MSECOND, 25, 60, {0, 520 * GST_MSECOND, GST_SECOND,
            1520 * GST_MSECOND, 2 * GST_SECOND}, 5},
    {200 * GST_MSECOND, 10, 8, {0, 200 * GST_MSECOND, 400 * GST_MSECOND,
            600 * GST_MSECOND}, 4},
    {0, 5, 3, {0, 200 * GST_MSECOND, 400 * GST_MSECOND}, 3},
  };
  guint c;

  for (c = 0; c < G_N_ELEMENTS (cases); c++) {
    gchar *props = g_strdup_printf ("interval=%" G_GUINT64_FORMAT,
        cases[c].interval);
    GstBus *bus;
    /* Non-live: every sample waits for a slot, so each one gets a result. */
    GstHarness *h = make_harness (props, FALSE, &bus);
    GstStructure *stats;
    GstElement *element;
    guint64 samples;
    guint i;

    for (i = 0; i < cases[c].frames; i++) {
      GstBuffer *buf = RED_FRAME (gst_util_uint64_scale (i, GST_SECOND,
              cases[c].fps));

      fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    }
    fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
    for (i = 0; i < cases[c].n_expected; i++) {
      GstMessage *m = pop_result (bus);

      fail_unless_equals_uint64 (cv_test_message_timestamp (m), cases[c].expected[i]);
      gst_message_unref (m);
    }
    fail_if (gst_bus_have_pending (bus), "more samples than expected");
    element = gst_harness_find_element (h, "cvanalyze");
    g_object_get (element, "stats", &stats, NULL);
    gst_object_unref (element);
    fail_unless (gst_structure_get_uint64 (stats, "samples", &samples));
    fail_unless_equals_uint64 (samples, cases[c].n_expected);
    gst_structure_free (stats);
    teardown_harness (h, bus);
    g_free (props);
  }
}

GST_END_TEST;

/* 'interval' may change while playing: lowered, the sample scheduled on
 * the old interval comes on the new one (here at 1 s, not at 10 s), and
 * the cadence goes on at the new one. */
GST_START_TEST (test_interval_lowered_while_playing)
{
  const GstClockTime expected[] = { 0, GST_SECOND, 2 * GST_SECOND,
    3 * GST_SECOND
  };
  GstBus *bus;
  GstHarness *h = make_harness ("interval=10000000000", FALSE, &bus);
  GstElement *element = gst_harness_find_element (h, "cvanalyze");
  guint i;

  for (i = 0; i < 120; i++) {
    if (i == 15)
      g_object_set (element, "interval", GST_SECOND, NULL);
    fail_unless_equals_int (gst_harness_push (h, RED_FRAME
            (gst_util_uint64_scale (i, GST_SECOND, 30))), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  for (i = 0; i < G_N_ELEMENTS (expected); i++) {
    GstMessage *m = pop_result (bus);

    fail_unless_equals_uint64 (cv_test_message_timestamp (m), expected[i]);
    gst_message_unref (m);
  }
  fail_if (gst_bus_have_pending (bus), "more samples than expected");
  gst_object_unref (element);
  teardown_harness (h, bus);
}

GST_END_TEST;

/* Buffers pass untouched before a result (the very same buffer, no meta),
 * and frames that are not sampled are never copied: after a result they
 * carry the meta but share the input's memory. */
GST_START_TEST (test_passthrough_untouched)
{
  GstBus *bus;
  GstHarness *h = make_harness ("interval=10000000000", FALSE, &bus);
  GstBuffer *in, *out;
  GstMemory *mem;
  GstMessage *m;

  in = RED_FRAME (0);
  gst_buffer_ref (in);
  out = gst_harness_push_and_pull (h, in);
  fail_unless (out == in, "a buffer without a result must pass as is");
  fail_if (gst_buffer_get_cv_analyze_meta (out));
  gst_buffer_unref (out);
  gst_buffer_unref (in);

  m = pop_result (bus);
  gst_message_unref (m);

  in = RED_FRAME (GST_SECOND / 30);
  mem = gst_buffer_peek_memory (in, 0);
  out = gst_harness_push_and_pull (h, in);
  fail_unless (gst_buffer_get_cv_analyze_meta (out) != NULL);
  fail_unless (gst_buffer_peek_memory (out, 0) == mem,
      "a non-sampled frame's memory was copied");
  gst_buffer_unref (out);

  teardown_harness (h, bus);
}

GST_END_TEST;

/* A result reaches the meta of the buffers after it, readable through the
 * public C API, with the analysed frame's PTS, and the bus message
 * carries the same caption and timestamp. */
GST_START_TEST (test_result_meta_and_message)
{
  GstBus *bus;
  GstHarness *h = make_harness ("interval=10000000000", FALSE, &bus);
  GstClockTime pts0 = 5 * GST_SECOND;
  GstCvAnalyzeMeta *meta;
  GstMessage *m;
  const GstStructure *s, *result;
  const gchar *caption, *json;
  gchar **tags;
  gdouble confidence;
  guint64 latency;
  GstBuffer *out;

  gst_buffer_unref (gst_harness_push_and_pull (h, RED_FRAME (pts0)));
  m = pop_result (bus);
  s = gst_message_get_structure (m);
  fail_unless_equals_uint64 (cv_test_message_timestamp (m), pts0);
  caption = gst_structure_get_string (s, "caption");
  fail_unless (caption && strstr (caption, "red"), "caption '%s'", caption);
  json = gst_structure_get_string (s, "json");
  fail_unless (json
      && strstr (json, caption), "json does not hold the caption");
  fail_unless (gst_structure_get_uint64 (s, "latency", &latency));
  fail_unless (latency > 0);
  fail_unless (gst_structure_has_field_typed (s, "tags", GST_TYPE_ARRAY));
  fail_unless (gst_structure_get_string (s, "request-id") != NULL);
  fail_unless (gst_structure_get (s, "result", GST_TYPE_STRUCTURE, &result,
          NULL));
  gst_structure_free ((GstStructure *) result);

  out = gst_harness_push_and_pull (h, BLUE_FRAME (pts0 + GST_SECOND / 30));
  meta = gst_buffer_get_cv_analyze_meta (out);
  fail_unless (meta != NULL);
  fail_unless_equals_string (gst_cv_analyze_meta_get_caption (meta,
          &confidence), caption);
  fail_unless (confidence > 0.0 && confidence <= 1.0);
  fail_unless_equals_uint64 (gst_cv_analyze_meta_get_frame_pts (meta), pts0);
  fail_unless_equals_uint64 (gst_cv_analyze_meta_get_first_frame_pts (meta),
      pts0);
  fail_unless_equals_uint64 (gst_cv_analyze_meta_get_latency (meta), latency);
  /* The frame's fields are in the shared result: the meta is our own, and
   * holds nothing but the reference, so attaching copies nothing. */
  fail_unless (meta->meta.info == GST_CV_ANALYZE_META_INFO);
  fail_unless (meta->result == gst_cv_analyze_meta_get_sample (meta));
  fail_unless (gst_sample_get_info (meta->result) ==
      gst_cv_analyze_meta_get_result (meta));
  tags = gst_cv_analyze_meta_get_tags (meta);
  fail_unless (tags && tags[0] && g_str_equal (tags[0], "red"));
  g_strfreev (tags);
  gst_buffer_unref (out);
  gst_message_unref (m);

  teardown_harness (h, bus);
}

GST_END_TEST;

/* A flush drops what was asked before it: the answer to a frame from
 * before the flush, which the service holds until after it, is never
 * attached or posted after it. */
GST_START_TEST (test_flush_drops_stale_results)
{
  GstBus *bus;
  GstHarness *h = make_harness ("interval=10000000000", TRUE, &bus);
  GstBuffer *out;
  GstMessage *m;
  GstSegment segment;

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_HANG);
  gst_buffer_unref (gst_harness_push_and_pull (h, RED_FRAME (0)));
  fail_unless (cv_local_server_wait_for_requests (server, 1, WAIT_US));

  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  /* The held request is answered now, after the flush (if the element
   * has not closed it yet), and so is everything after it. */
  cv_local_server_release (server);

  /* The first frame after the flush is sampled again. */
  out = gst_harness_push_and_pull (h, BLUE_FRAME (10 * GST_SECOND));
  fail_if (gst_buffer_get_cv_analyze_meta (out));
  gst_buffer_unref (out);

  /* The first result posted is the new frame's. */
  m = pop_result (bus);
  fail_unless_equals_uint64 (cv_test_message_timestamp (m), 10 * GST_SECOND);
  gst_message_unref (m);
  out = gst_harness_push_and_pull (h, BLUE_FRAME (10 * GST_SECOND + 1));
  fail_unless_equals_uint64 (gst_cv_analyze_meta_get_frame_pts
      (gst_buffer_get_cv_analyze_meta (out)), 10 * GST_SECOND);
  gst_buffer_unref (out);

  gst_harness_teardown (h);
  fail_if (gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT), "a stale result");
  cv_test_drop_bus_messages (bus);
  gst_object_unref (bus);
}

GST_END_TEST;

/* At EOS of a file, the last result is posted before EOS goes on, even
 * when the service is slow. */
GST_START_TEST (test_eos_waits_for_last_result)
{
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc num-buffers=3 ! "
      "cvanalyze endpoint=ENDPOINT key=KEY interval=10000000000 ! fakesink");
  GList *messages, *results;

  cv_local_server_set_delay (server, 500);
  messages = cv_test_run_pipeline (pipeline);
  results = cv_test_filter_results (messages);
  fail_unless_equals_int (g_list_length (results), 1);
  fail_unless (GST_MESSAGE_TYPE (g_list_last (messages)->data) ==
      GST_MESSAGE_EOS);
  g_list_free (results);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static GstPadProbeReturn
count_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
  return GST_PAD_PROBE_OK;
}

/* With a live source and a slow service, at most max-in-flight requests
 * are outstanding, the other samples are skipped and counted, and every
 * frame reaches the sink on time: the sink drops any buffer more than
 * 100 ms late, and the service takes 1 s, so one wait would show. */
GST_START_TEST (test_max_in_flight_live)
{
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc is-live=true "
      "num-buffers=45 ! video/x-raw,framerate=30/1 ! cvanalyze name=a "
      "endpoint=ENDPOINT key=KEY interval=0 max-in-flight=2 ! "
      "fakesink name=sink sync=true qos=true max-lateness=100000000");
  GstElement *a = gst_bin_get_by_name (GST_BIN (pipeline), "a");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  gint buffers = 0;
  GstStructure *stats;
  guint64 skipped, samples;
  GList *messages;

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, &buffers,
      NULL);
  cv_local_server_set_delay (server, 1000);
  messages = cv_test_run_pipeline (pipeline);

  fail_unless_equals_int (g_atomic_int_get (&buffers), 45);
  fail_if (cv_test_find_message (messages, GST_MESSAGE_QOS), "a frame was late");
  fail_unless (cv_local_server_get_max_in_progress (server) <= 2,
      "%u requests were in flight at once",
      cv_local_server_get_max_in_progress (server));
  g_object_get (a, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, "samples", &samples));
  fail_unless (gst_structure_get_uint64 (stats, "skipped", &skipped));
  fail_unless_equals_uint64 (samples, 45);
  fail_unless (skipped >= 30, "only %" G_GUINT64_FORMAT " skipped", skipped);
  fail_unless (cv_local_server_get_request_count (server) <= 6);
  gst_structure_free (stats);
  cv_test_free_messages (messages);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (a);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A wrong key stops the pipeline with an error that names the endpoint and
 * Azure's message, never the key. */
GST_START_TEST (test_unauthorized_is_error)
{
  gchar *text, *debug = NULL;
  GError *gerr = run_to_error ("videotestsrc is-live=true num-buffers=300 ! "
      "cvanalyze endpoint=ENDPOINT key=wrong-key-31337 ! fakesink", &text,
      &debug);

  fail_unless (g_error_matches (gerr, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED), "%s", text);
  fail_unless (strstr (text, server_url) != NULL, "%s", text);
  fail_unless (strstr (text, "401") && strstr (text, "Access denied"), "%s",
      text);
  fail_if (strstr (text, "wrong-key-31337") || (debug
          && strstr (debug, "wrong-key")));
  g_error_free (gerr);
  g_free (text);
  g_free (debug);
}

GST_END_TEST;

typedef struct
{
  const gchar *name;
  guint status;
  guint retry_after;
  CvLocalServerMode mode;
  const gchar *expect;          /* in the warning's text */
  const gchar *canned_body;     /* nullable: what a success answers */
} FailureCase;

static const FailureCase failure_cases[] = {
  {"500", 500, 0, CV_LOCAL_SERVER_MODE_NORMAL,
      "HTTP 500, InternalServerError: An internal server error occurred"},
  {"503", 503, 0, CV_LOCAL_SERVER_MODE_NORMAL, "HTTP 503"},
  {"429", 429, 1, CV_LOCAL_SERVER_MODE_NORMAL, "HTTP 429"},
  {"malformed", 0, 0, CV_LOCAL_SERVER_MODE_MALFORMED, "cannot be parsed"},
  {"wrong-types", 0, 0, CV_LOCAL_SERVER_MODE_WRONG_TYPES, "wrong type"},
  {"dropped", 0, 0, CV_LOCAL_SERVER_MODE_DROP, "Could not reach"},
  {"timeout", 0, 0, CV_LOCAL_SERVER_MODE_HANG, "did not answer in time"},
  /* Another web server on the port: named as such, not as JSON that
   * stops parsing at some offset. */
  {"web page", 0, 0, CV_LOCAL_SERVER_MODE_NORMAL, "the answer is a web page "
        "(HTML), not the service's JSON", "<!DOCTYPE html>\n<html><head>"
        "<title>Welcome to nginx!</title></head><body></body></html>\n"},
  /* A chat server or gateway that streams though not asked: named as
   * such, not as a second JSON value at offset 6. */
  {"event stream", 0, 0, CV_LOCAL_SERVER_MODE_NORMAL, "the answer is a "
        "stream of events (text/event-stream)",
      "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{\"content\":\" cat\"}}]}\n\n"
      "data: [DONE]\n\n"},
};

/* Each kind of service failure is a warning that says what happened, and
 * the stream goes on to its end with every frame. */
GST_START_TEST (test_failures_warn_and_go_on)
{
  const FailureCase *fc = &failure_cases[__i__];
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc is-live=true "
      "num-buffers=20 ! video/x-raw,framerate=30/1 ! cvanalyze "
      "endpoint=ENDPOINT key=KEY interval=100000000 timeout=200000000 ! "
      "fakesink name=sink");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  gint buffers = 0;
  GList *messages;
  GstMessage *warning;
  gchar *text;

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, &buffers,
      NULL);
  cv_local_server_set_failure (server, fc->status, fc->retry_after);
  cv_local_server_set_mode (server, fc->mode);
  if (fc->canned_body)
    cv_local_server_set_canned_body (server, fc->canned_body);
  messages = cv_test_run_pipeline (pipeline);

  fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR), "%s", fc->name);
  fail_unless (GST_MESSAGE_TYPE (g_list_last (messages)->data) ==
      GST_MESSAGE_EOS);
  fail_unless_equals_int (g_atomic_int_get (&buffers), 20);
  warning = cv_test_find_message (messages, GST_MESSAGE_WARNING);
  fail_unless (warning != NULL, "%s: no warning", fc->name);
  text = cv_test_message_text (warning, NULL);
  fail_unless (strstr (text, fc->expect) != NULL, "%s: warning '%s'",
      fc->name, text);
  fail_if (strstr (text, TEST_KEY));
  g_free (text);
  fail_if (cv_test_filter_results (messages) != NULL, "%s gave a result", fc->name);
  cv_test_free_messages (messages);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
}

GST_END_TEST;

#define RETRY_AFTER_S 1

/* A 429 with Retry-After is a warning, posted once, and is honoured: the
 * next request reaches the service no sooner than Retry-After after the
 * 429 was asked for, every frame analysed meanwhile is skipped and counted
 * in 'stats', and analysis resumes after it. */
GST_START_TEST (test_retry_after_honoured)
{
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! cvanalyze name=a "
      "endpoint=ENDPOINT key=KEY interval=0 ! fakesink name=sink");
  GstElement *a = gst_bin_get_by_name (GST_BIN (pipeline), "a");
  GArray *in = cv_test_probe_buffer_times (pipeline, "a", "sink");
  GArray *out = cv_test_probe_buffer_times (pipeline, "a", "src");
  GstBus *bus = gst_element_get_bus (pipeline);
  CvLocalServerRequest *first, *second;
  GstMessage *m, *warning = NULL;
  GstStructure *stats;
  guint64 samples, requests, skipped, results;
  gint64 warned_us = 0, backoff_end_us;
  guint warnings = 0, in_backoff = 0, i;
  gboolean eos = FALSE;
  gchar *text;

  cv_local_server_set_failure (server, 429, RETRY_AFTER_S);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless (cv_local_server_wait_for_requests (server, 1, WAIT_US));
  /* Request 1 has been answered 429 once its warning is out; the service
   * answers normally from then on. */
  m = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_WARNING |
      GST_MESSAGE_ERROR);
  fail_unless (m != NULL && GST_MESSAGE_TYPE (m) == GST_MESSAGE_WARNING);
  warned_us = g_get_monotonic_time ();
  warning = m;
  warnings++;
  cv_local_server_set_failure (server, 0, 0);
  fail_unless (cv_local_server_wait_for_requests (server, 2, WAIT_US),
      "no request after the back-off");
  fail_unless (gst_element_send_event (pipeline, gst_event_new_eos ()));
  while (!eos) {
    m = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_EOS |
        GST_MESSAGE_WARNING | GST_MESSAGE_ERROR);
    fail_unless (m != NULL, "no EOS");
    fail_if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR, "%" GST_PTR_FORMAT, m);
    warnings += GST_MESSAGE_TYPE (m) == GST_MESSAGE_WARNING;
    eos = GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS;
    gst_message_unref (m);
  }
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);

  fail_unless_equals_int (warnings, 1);
  text = cv_test_message_text (warning, NULL);
  fail_unless (strstr (text, "HTTP 429") && strstr (text, "'interval'"), "%s",
      text);
  g_free (text);

  first = cv_local_server_get_request (server, 0);
  second = cv_local_server_get_request (server, 1);
  fail_unless (second->received_monotonic_us - first->received_monotonic_us >=
      RETRY_AFTER_S * G_USEC_PER_SEC, "the next request came %"
      G_GINT64_FORMAT " us after the 429", second->received_monotonic_us -
      first->received_monotonic_us);

  /* The back-off began before the warning was posted and ends no sooner
   * than Retry-After after the first request arrived: every frame that
   * went through the element in between was sampled (interval=0) in it. */
  backoff_end_us = first->received_monotonic_us +
      RETRY_AFTER_S * G_USEC_PER_SEC;
  fail_unless_equals_int (in->len, out->len);
  for (i = 0; i < in->len; i++)
    in_backoff += g_array_index (in, gint64, i) > warned_us
        && g_array_index (out, gint64, i) < backoff_end_us;
  fail_unless (in_backoff >= 1, "no frame went through during the back-off");
  g_object_get (a, "stats", &stats, NULL);
  fail_unless (gst_structure_get (stats, "samples", G_TYPE_UINT64, &samples,
          "requests", G_TYPE_UINT64, &requests, "skipped", G_TYPE_UINT64,
          &skipped, "results", G_TYPE_UINT64, &results, NULL));
  fail_unless (skipped >= in_backoff, "%" G_GUINT64_FORMAT " skipped, %u "
      "frames in the back-off", skipped, in_backoff);
  fail_unless_equals_uint64 (samples, in->len);
  fail_unless_equals_uint64 (requests + skipped, samples);
  fail_unless_equals_int (cv_local_server_get_request_count (server),
      requests);
  fail_unless (results >= 1, "no result after the back-off");

  gst_structure_free (stats);
  cv_local_server_request_free (second);
  cv_local_server_request_free (first);
  gst_message_unref (warning);
  gst_object_unref (bus);
  g_array_unref (out);
  g_array_unref (in);
  gst_object_unref (a);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* Frames smaller than the service's minimum are sent scaled up to more
 * than 50x50, which the service (here the local server, with Azure's
 * limits) accepts. */
GST_START_TEST (test_tiny_frames_accepted)
{
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc num-buffers=1 "
      "pattern=red ! video/x-raw,width=40,height=50 ! cvanalyze "
      "endpoint=ENDPOINT key=KEY ! fakesink");
  GList *messages = cv_test_run_pipeline (pipeline);
  GList *results = cv_test_filter_results (messages);

  fail_if (cv_test_find_message (messages, GST_MESSAGE_WARNING));
  fail_unless_equals_int (g_list_length (results), 1);
  g_list_free (results);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* The 'samples' stat of the harness' cvanalyze. */
static guint64
harness_samples (GstHarness * h)
{
  GstElement *element = gst_harness_find_element (h, "cvanalyze");
  GstStructure *stats;
  guint64 samples;

  g_object_get (element, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, "samples", &samples));
  gst_structure_free (stats);
  gst_object_unref (element);
  return samples;
}

/* Buffers without timestamps are sampled on the wall clock: a burst of
 * them within one interval gives one sample, not one per buffer. */
GST_START_TEST (test_untimestamped_sampled_by_wall_clock)
{
  GstBus *bus;
  GstHarness *h = make_harness ("interval=60000000000", TRUE, &bus);
  guint i;

  for (i = 0; i < 10; i++)
    gst_buffer_unref (gst_harness_push_and_pull (h,
            RED_FRAME (GST_CLOCK_TIME_NONE)));
  fail_unless_equals_uint64 (harness_samples (h), 1);
  teardown_harness (h, bus);
}

GST_END_TEST;

/* A segment in another format than time (appsrc's default is bytes) has
 * no running time: its buffers are sampled on the wall clock, as if they
 * had no timestamps, and analysed, with no critical warning per buffer
 * (GstCheck fails the test on one). */
GST_START_TEST (test_bytes_segment_sampled_by_wall_clock)
{
  GstBus *bus;
  GstHarness *h = make_harness ("interval=60000000000", TRUE, &bus);
  GstSegment segment;
  GstMessage *m;
  guint i;

  gst_segment_init (&segment, GST_FORMAT_BYTES);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  for (i = 0; i < 10; i++)
    gst_buffer_unref (gst_harness_push_and_pull (h,
            RED_FRAME (i * GST_SECOND / 30)));
  m = pop_result (bus);
  fail_unless_equals_uint64 (cv_test_message_timestamp (m), 0);
  gst_message_unref (m);
  fail_unless_equals_uint64 (harness_samples (h), 1);
  teardown_harness (h, bus);
}

GST_END_TEST;

/* A buffer smaller than its caps say cannot be analysed: a warning that
 * says so, the buffer still passes, and the next good frame is analysed. */
GST_START_TEST (test_short_buffer_warns)
{
  GstBus *bus;
  GstHarness *h = make_harness ("interval=0", FALSE, &bus);
  GstBuffer *out;
  GstMessage *m;
  gchar *text;

  out = gst_harness_push_and_pull (h, gst_buffer_new_allocate (NULL, 100,
          NULL));
  fail_unless (out != NULL);
  gst_buffer_unref (out);
  m = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_WARNING);
  fail_unless (m != NULL, "no warning for a short buffer");
  text = cv_test_message_text (m, NULL);
  fail_unless (strstr (text, "Could not encode a frame"), "%s", text);
  g_free (text);
  gst_message_unref (m);

  gst_buffer_unref (gst_harness_push_and_pull (h, RED_FRAME (GST_SECOND)));
  m = pop_result (bus);
  fail_unless_equals_uint64 (cv_test_message_timestamp (m), GST_SECOND);
  gst_message_unref (m);
  teardown_harness (h, bus);
}

GST_END_TEST;

/* Nothing listening at the endpoint: a warning, and the stream goes on. */
GST_START_TEST (test_connection_refused_warns)
{
  GSocket *sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0), *bound;
  GstElement *pipeline;
  GList *messages;
  gchar *desc, *text;
  GstMessage *warning;

  /* A port that was free a moment ago and has nobody listening. */
  fail_unless (g_socket_bind (sock, addr, FALSE, NULL));
  bound = g_socket_get_local_address (sock, NULL);
  desc = g_strdup_printf ("videotestsrc num-buffers=5 ! cvanalyze "
      "endpoint=http://127.0.0.1:%u/ key=KEY ! fakesink",
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  pipeline = cv_test_make_pipeline (desc);
  messages = cv_test_run_pipeline (pipeline);
  warning = cv_test_find_message (messages, GST_MESSAGE_WARNING);
  fail_unless (warning != NULL);
  text = cv_test_message_text (warning, NULL);
  fail_unless (strstr (text, "Could not reach"), "%s", text);
  fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR));
  g_free (text);
  g_free (desc);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
  g_object_unref (bound);
  g_object_unref (addr);
  g_object_unref (lo);
  g_object_unref (sock);
}

GST_END_TEST;

/* The key never shows in the debug log at the highest level, in messages
 * or in errors. */
GST_START_TEST (test_key_never_logged)
{
  GstElement *pipeline, *a;
  GList *messages, *results;
  gchar *log;

  cv_test_start_log_capture ();
  pipeline = cv_test_make_pipeline ("videotestsrc num-buffers=3 ! cvanalyze name=a "
      "endpoint=ENDPOINT ! fakesink");
  a = gst_bin_get_by_name (GST_BIN (pipeline), "a");
  g_object_set (a, "key", TEST_KEY, NULL);
  messages = cv_test_run_pipeline (pipeline);
  log = cv_test_stop_log_capture ();

  results = cv_test_filter_results (messages);
  fail_unless_equals_int (g_list_length (results), 1);
  g_list_free (results);
  fail_unless (strlen (log) > 10000, "debug log not captured");
  fail_if (strstr (log, TEST_KEY), "key in the debug log");
  cv_test_check_secret_not_in_messages (messages, TEST_KEY);
  g_free (log);
  cv_test_free_messages (messages);
  gst_object_unref (a);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* The body of one of Azure's official examples, as the service sends it. */
static gchar *
load_fixture_body (const gchar * name)
{
  gchar *path = g_build_filename (g_getenv ("FIXTURES_DIR"), "ComputerVision",
      "v3.2", name, NULL);
  JsonParser *parser = json_parser_new ();
  JsonNode *body;
  gchar *text;

  fail_unless (json_parser_load_from_file (parser, path, NULL), "%s", path);
  body = json_object_get_member (json_object_get_object_member
      (json_object_get_object_member (json_node_get_object
              (json_parser_get_root (parser)), "responses"), "200"), "body");
  text = json_to_string (body, FALSE);
  g_object_unref (parser);
  g_free (path);
  return text;
}

static GstPadProbeReturn
keep_last_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  gst_buffer_replace ((GstBuffer **) user_data,
      GST_PAD_PROBE_INFO_BUFFER (info));
  return GST_PAD_PROBE_OK;
}

/* Counts the face and object region metas on @buf, checking their
 * rectangles (divided by @scale) and the result entries their ids name. */
static void
check_rois (GstBuffer * buf, gint scale)
{
  GstCvAnalyzeMeta *meta = gst_buffer_get_cv_analyze_meta (buf);
  GstVideoRegionOfInterestMeta *roi;
  gpointer state = NULL;
  guint faces = 0, objects = 0;

  fail_unless (meta != NULL);
  while ((roi = (GstVideoRegionOfInterestMeta *)
          gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    const GstStructure *entry = gst_cv_analyze_meta_get_region (meta,
        roi->roi_type, roi->id);

    fail_unless (entry != NULL, "%s %d names no entry",
        g_quark_to_string (roi->roi_type), roi->id);
    if (roi->roi_type == g_quark_from_string ("face")) {
      /* faceRectangle 593,160 250x250 in the 1500x1000 image */
      fail_unless (ABS ((gint) roi->x - 593 / scale) <= 1
          && roi->y == 160 / scale && roi->w == 250 / scale
          && roi->h == 250 / scale, "face at %u,%u %ux%u", roi->x, roi->y,
          roi->w, roi->h);
      fail_unless_equals_string (gst_structure_get_string (entry, "gender"),
          "Male");
      faces++;
    } else if (roi->roi_type == g_quark_from_string ("object")) {
      /* the tree at 0,0 50x50 */
      fail_unless (roi->x == 0 && roi->y == 0 && roi->w == 50 / scale
          && roi->h == 50 / scale);
      fail_unless_equals_string (gst_structure_get_string (entry, "object"),
          "tree");
      objects++;
    }
  }
  fail_unless_equals_int (faces, 1);
  fail_unless_equals_int (objects, 1);
}

/* The meta survives videoconvert and videoscale unchanged, and the faces
 * and objects of Azure's example arrive as region-of-interest metas in the
 * buffer's pixels, which videoscale scales with the video. */
GST_START_TEST (test_meta_survives_convert_and_scale)
{
  /* The example's image is 1500x1000: send the frame at that size, so
   * its rectangles are in frame pixels, then halve the video. Exact mode,
   * so that every frame carries the result however slow the machine (or
   * valgrind) is. */
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc num-buffers=20 ! "
      "video/x-raw,format=I420,width=1500,height=1000,framerate=30/1 ! "
      "cvanalyze name=a endpoint=ENDPOINT key=KEY interval=10000000000 "
      "max-dimension=1500 mode=exact timeout=60000000000 ! videoconvert ! "
      "videoscale ! "
      "video/x-raw,format=RGBA,width=750,height=500 ! fakesink name=sink");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstElement *a = gst_bin_get_by_name (GST_BIN (pipeline), "a");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  GstPad *apad = gst_element_get_static_pad (a, "src");
  GstBuffer *last = NULL, *last_a = NULL;
  gchar *body = load_fixture_body ("SuccessfulAnalyzeImageWithStream.json");
  GstCvAnalyzeMeta *meta;
  GList *messages;

  cv_local_server_set_canned_body (server, body);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, keep_last_buffer, &last,
      NULL);
  gst_pad_add_probe (apad, GST_PAD_PROBE_TYPE_BUFFER, keep_last_buffer,
      &last_a, NULL);
  messages = cv_test_run_pipeline (pipeline);
  fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR));

  fail_unless (last != NULL && last_a != NULL);
  meta = gst_buffer_get_cv_analyze_meta (last);
  fail_unless (meta != NULL, "the meta did not survive videoconvert/scale");
  fail_unless_equals_string (gst_cv_analyze_meta_get_caption (meta, NULL),
      "Satya Nadella sitting on a bench");
  fail_unless_equals_uint64 (gst_cv_analyze_meta_get_frame_pts (meta), 0);

  /* At cvanalyze's output, in 1500x1000 pixels; after videoscale halved.
   * Both name their entries of the shared result. */
  check_rois (last_a, 1);
  check_rois (last, 2);

  gst_buffer_unref (last);
  gst_buffer_unref (last_a);
  g_free (body);
  cv_test_free_messages (messages);
  gst_object_unref (apad);
  gst_object_unref (pad);
  gst_object_unref (a);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
}

GST_END_TEST;

typedef struct
{
  GstSample *result;            /* the first buffer's, not a reference */
  guint buffers, shared;
} SharedCount;

static GstPadProbeReturn
count_shared_result (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  SharedCount *c = user_data;
  GstCvAnalyzeMeta *meta =
      gst_buffer_get_cv_analyze_meta (GST_PAD_PROBE_INFO_BUFFER (info));

  c->buffers++;
  if (meta) {
    GstSample *result = gst_cv_analyze_meta_get_sample (meta);

    if (!c->result)
      c->result = result;
    if (result == c->result)
      c->shared++;
    fail_unless_equals_string (gst_cv_analyze_meta_get_caption (meta, NULL),
        "Satya Nadella sitting on a bench");
    fail_unless_equals_uint64 (gst_cv_analyze_meta_get_frame_pts (meta), 0);
  }
  return GST_PAD_PROBE_OK;
}

static void
note_freed (gpointer data, GstMiniObject * where_the_object_was)
{
  *(gboolean *) data = TRUE;
}

/* One result attached to 1000 buffers, through videoconvert and videoscale,
 * is one object: every buffer's meta holds the same sample, readable, and
 * it is freed with the last buffer. */
GST_START_TEST (test_result_shared_not_copied)
{
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc num-buffers=1000 "
      "! video/x-raw,format=I420,width=160,height=120,framerate=30/1 ! "
      "cvanalyze endpoint=ENDPOINT key=KEY interval=1000000000000 mode=exact "
      "timeout=60000000000 ! videoconvert ! video/x-raw,format=RGBA ! "
      "videoscale ! video/x-raw,width=80,height=60 ! fakesink name=sink");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  gchar *body = load_fixture_body ("SuccessfulAnalyzeImageWithStream.json");
  SharedCount count = { NULL, 0, 0 };
  GstBuffer *last = NULL;
  gboolean freed = FALSE;
  GList *messages;

  cv_local_server_set_canned_body (server, body);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_shared_result,
      &count, NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, keep_last_buffer, &last,
      NULL);
  messages = cv_test_run_pipeline (pipeline);
  fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR));
  fail_unless_equals_int (count.buffers, 1000);
  fail_unless_equals_int (count.shared, 1000);

  /* Only the last buffer (and the element, until NULL) keep it now. */
  gst_mini_object_weak_ref (GST_MINI_OBJECT (count.result), note_freed,
      &freed);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless_equals_int (GST_MINI_OBJECT_REFCOUNT_VALUE (count.result), 1);
  gst_buffer_unref (last);
  fail_unless (freed, "the shared result outlived its buffers");

  g_free (body);
  cv_test_free_messages (messages);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* The last buffer of three 320x240 frames through cvanalyze (exact mode:
 * each carries its own result, @props set on it) when the service answers
 * @body; the run must end without an error. */
static GstBuffer *
last_buffer_answered_with_props (const gchar * body, const gchar * props)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=3 "
      "! video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
      "cvanalyze endpoint=ENDPOINT key=KEY interval=10000000000 mode=exact "
      "timeout=60000000000 %s ! fakesink name=sink", props);
  GstElement *pipeline = cv_test_make_pipeline (desc);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  GstBuffer *last = NULL;
  GList *messages;

  cv_local_server_set_canned_body (server, body);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, keep_last_buffer, &last,
      NULL);
  messages = cv_test_run_pipeline (pipeline);
  fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR));
  fail_unless (last != NULL);
  cv_test_free_messages (messages);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (desc);
  return last;
}

static GstBuffer *
last_buffer_answered_with (const gchar * body)
{
  return last_buffer_answered_with_props (body, "");
}

/* Several faces and objects: each region meta's id is the index of its own
 * entry in the result's faces or objects array, which
 * gst_cv_analyze_meta_get_region() returns (same rectangle, same label),
 * and a type or id that names nothing gives NULL. */
GST_START_TEST (test_region_ids_name_their_entries)
{
  static const struct
  {
    const gchar *type, *label_field, *label;
    gint x, y, w, h;
  } expected[] = {
    {"face", "gender", "Female", 10, 20, 30, 40},
    {"face", "gender", "Male", 200, 100, 60, 60},
    {"object", "object", "cup", 5, 150, 40, 50},
    {"object", "object", "tree", 250, 0, 70, 120},
    {"object", "object", "bench", 100, 200, 120, 40},
  };
  GstVideoRegionOfInterestMeta *roi;
  gpointer state = NULL;
  GstBuffer *last;
  GstCvAnalyzeMeta *meta;
  guint found = 0, i;

  last = last_buffer_answered_with ("{\"faces\": ["
      "{\"age\": 30, \"gender\": \"Female\", \"faceRectangle\": "
      "{\"left\": 10, \"top\": 20, \"width\": 30, \"height\": 40}},"
      "{\"age\": 50, \"gender\": \"Male\", \"faceRectangle\": "
      "{\"left\": 200, \"top\": 100, \"width\": 60, \"height\": 60}}],"
      "\"objects\": ["
      "{\"rectangle\": {\"x\": 5, \"y\": 150, \"w\": 40, \"h\": 50}, "
      "\"object\": \"cup\", \"confidence\": 0.7},"
      "{\"rectangle\": {\"x\": 250, \"y\": 0, \"w\": 70, \"h\": 120}, "
      "\"object\": \"tree\", \"confidence\": 0.8},"
      "{\"rectangle\": {\"x\": 100, \"y\": 200, \"w\": 120, \"h\": 40}, "
      "\"object\": \"bench\", \"confidence\": 0.9}],"
      "\"requestId\": \"r1\", \"metadata\": {\"width\": 320, "
      "\"height\": 240, \"format\": \"Jpeg\"}}");
  meta = gst_buffer_get_cv_analyze_meta (last);
  fail_unless (meta != NULL);

  while ((roi = (GstVideoRegionOfInterestMeta *)
          gst_buffer_iterate_meta_filtered (last, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    const GstStructure *entry = gst_cv_analyze_meta_get_region (meta,
        roi->roi_type, roi->id);
    gint x, y, w, h;

    fail_unless (entry != NULL);
    fail_unless (gst_structure_get (entry, "x", G_TYPE_INT, &x, "y",
            G_TYPE_INT, &y, "width", G_TYPE_INT, &w, "height", G_TYPE_INT,
            &h, NULL));
    /* The region meta is where its entry says (frame = analysed image). */
    fail_unless (roi->x == (guint) x && roi->y == (guint) y
        && roi->w == (guint) w && roi->h == (guint) h,
        "%s %d at %u,%u %ux%u, its entry at %d,%d %dx%d",
        g_quark_to_string (roi->roi_type), roi->id, roi->x, roi->y, roi->w,
        roi->h, x, y, w, h);
    for (i = 0; i < G_N_ELEMENTS (expected); i++) {
      if (roi->roi_type != g_quark_from_string (expected[i].type)
          || roi->x != (guint) expected[i].x || roi->y != (guint) expected[i].y)
        continue;
      fail_unless_equals_string (gst_structure_get_string (entry,
              expected[i].label_field), expected[i].label);
      found |= 1 << i;
    }
  }
  fail_unless_equals_int (found, (1 << G_N_ELEMENTS (expected)) - 1);

  fail_unless (gst_cv_analyze_meta_get_region (meta,
          g_quark_from_string ("face"), 2) == NULL);
  fail_unless (gst_cv_analyze_meta_get_region (meta,
          g_quark_from_string ("object"), -1) == NULL);
  fail_unless (gst_cv_analyze_meta_get_region (meta,
          g_quark_from_string ("person"), 0) == NULL);
  fail_unless (gst_cv_analyze_meta_get_region (meta,
          g_quark_from_string ("cvanalyze-unknown-type"), 0) == NULL);

  gst_buffer_unref (last);
}

GST_END_TEST;

/* The ids of the region metas on @buf, of @type, as a bit mask. */
static guint64
region_ids (GstBuffer * buf, const gchar * type, guint * count)
{
  GstVideoRegionOfInterestMeta *roi;
  gpointer state = NULL;
  guint64 ids = 0;

  while ((roi = (GstVideoRegionOfInterestMeta *)
          gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    (*count)++;
    if (roi->roi_type == g_quark_from_string (type))
      ids |= G_GUINT64_CONSTANT (1) << roi->id;
  }
  return ids;
}

/* A result with 60 faces and 10 objects: each buffer carries at most
 * max-regions region metas, faces first (the default, 64: the 60 faces
 * and objects 0 to 3; 5: faces 0 to 4; 0: none), and the cvanalyze meta
 * keeps every entry whatever the cap. */
GST_START_TEST (test_max_regions_caps_region_metas)
{
  static const struct
  {
    const gchar *props;
    guint count;
    guint64 faces, objects;
  } cases[] = {
    {"", 64, (G_GUINT64_CONSTANT (1) << 60) - 1, 0xf},
    {"max-regions=5", 5, 0x1f, 0},
    {"max-regions=0", 0, 0, 0},
  };
  GString *body = g_string_new ("{\"faces\": [");
  guint i;

  for (i = 0; i < 60; i++)
    g_string_append_printf (body, "%s{\"faceRectangle\": {\"left\": %u, "
        "\"top\": 10, \"width\": 4, \"height\": 4}}", i ? "," : "", i * 5);
  g_string_append (body, "], \"objects\": [");
  for (i = 0; i < 10; i++)
    g_string_append_printf (body, "%s{\"rectangle\": {\"x\": %u, \"y\": "
        "100, \"w\": 8, \"h\": 8}, \"object\": \"cup\", "
        "\"confidence\": 0.5}", i ? "," : "", i * 20);
  g_string_append (body, "], \"requestId\": \"r1\", \"metadata\": "
      "{\"width\": 320, \"height\": 240, \"format\": \"Jpeg\"}}");

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstBuffer *last = last_buffer_answered_with_props (body->str,
        cases[i].props);
    GstCvAnalyzeMeta *meta = gst_buffer_get_cv_analyze_meta (last);
    const GstStructure *result;
    guint count = 0;
    guint64 faces, objects;

    fail_unless (meta != NULL, "%s: no meta", cases[i].props);
    faces = region_ids (last, "face", &count);
    count = 0;
    objects = region_ids (last, "object", &count);
    fail_unless_equals_int (count, cases[i].count);
    fail_unless (faces == cases[i].faces && objects == cases[i].objects,
        "'%s': faces %" G_GINT64_MODIFIER "x, objects %" G_GINT64_MODIFIER
        "x", cases[i].props, faces, objects);
    result = gst_cv_analyze_meta_get_result (meta);
    fail_unless_equals_int (gst_value_array_get_size (gst_structure_get_value
            (result, "faces")), 60);
    fail_unless_equals_int (gst_value_array_get_size (gst_structure_get_value
            (result, "objects")), 10);
    gst_buffer_unref (last);
  }
  g_string_free (body, TRUE);
}

GST_END_TEST;

/* Rectangles a hostile service places beyond the frame, at the 32-bit
 * limits or with a negative size: every region meta on the buffers is
 * within the buffer's pixels (x + w and y + h at most its size, none
 * empty), one that reaches beyond an edge is cut there, one with nothing
 * inside the frame is left out, and the result keeps every entry. */
GST_START_TEST (test_regions_stay_inside_the_frame)
{
  static const struct
  {
    const gchar *type;
    gint id;
    guint x, y, w, h;
  } expected[] = {
    {"face", 0, 0, 0, 20, 15},
    {"face", 2, 300, 200, 20, 40},
    {"object", 2, 0, 0, 320, 240},
  };
  GstVideoRegionOfInterestMeta *roi;
  gpointer state = NULL;
  GstBuffer *last;
  GstCvAnalyzeMeta *meta;
  const GstStructure *result;
  guint found = 0, n = 0, i;

  last = last_buffer_answered_with ("{\"faces\": ["
      "{\"faceRectangle\": {\"left\": -10, \"top\": -5, \"width\": 30, "
      "\"height\": 20}},"
      "{\"faceRectangle\": {\"left\": 2147483647, \"top\": 2147483647, "
      "\"width\": 2147483647, \"height\": 2147483647}},"
      "{\"faceRectangle\": {\"left\": 300, \"top\": 200, "
      "\"width\": 2147483647, \"height\": 2147483647}},"
      "{\"faceRectangle\": {\"left\": 10, \"top\": 10, \"width\": -5, "
      "\"height\": 10}},"
      "{\"faceRectangle\": {\"left\": -2147483648, \"top\": 0, "
      "\"width\": 2147483647, \"height\": 10}}],"
      "\"objects\": ["
      "{\"rectangle\": {\"x\": 2147483647, \"y\": 0, \"w\": 1, \"h\": 1}, "
      "\"object\": \"far\", \"confidence\": 0.7},"
      "{\"rectangle\": {\"x\": -2147483648, \"y\": -2147483648, "
      "\"w\": 2147483647, \"h\": 2147483647}, \"object\": \"huge\", "
      "\"confidence\": 0.8},"
      "{\"rectangle\": {\"x\": 0, \"y\": 0, \"w\": 320, \"h\": 240}, "
      "\"object\": \"all\", \"confidence\": 0.9}],"
      "\"requestId\": \"r1\", \"metadata\": {\"width\": 320, "
      "\"height\": 240, \"format\": \"Jpeg\"}}");
  meta = gst_buffer_get_cv_analyze_meta (last);
  fail_unless (meta != NULL);

  while ((roi = (GstVideoRegionOfInterestMeta *)
          gst_buffer_iterate_meta_filtered (last, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    fail_unless (roi->w > 0 && roi->h > 0 && roi->x < 320 && roi->y < 240
        && roi->w <= 320 - roi->x && roi->h <= 240 - roi->y,
        "%s %d at %u,%u %ux%u, beyond the 320x240 frame",
        g_quark_to_string (roi->roi_type), roi->id, roi->x, roi->y, roi->w,
        roi->h);
    for (i = 0; i < G_N_ELEMENTS (expected); i++)
      if (roi->roi_type == g_quark_from_string (expected[i].type)
          && roi->id == expected[i].id) {
        fail_unless (roi->x == expected[i].x && roi->y == expected[i].y
            && roi->w == expected[i].w && roi->h == expected[i].h,
            "%s %d at %u,%u %ux%u", expected[i].type, roi->id, roi->x,
            roi->y, roi->w, roi->h);
        found |= 1 << i;
      }
    n++;
  }
  fail_unless_equals_int (found, (1 << G_N_ELEMENTS (expected)) - 1);
  fail_unless_equals_int (n, G_N_ELEMENTS (expected));
  /* The result keeps the service's rectangles, all of them. */
  result = gst_cv_analyze_meta_get_result (meta);
  fail_unless_equals_int (gst_value_array_get_size (gst_structure_get_value
          (result, "faces")), 5);
  fail_unless (gst_cv_analyze_meta_get_region (meta,
          g_quark_from_string ("face"), 1) != NULL);

  gst_buffer_unref (last);
}

GST_END_TEST;

static Suite *
cvanalyze_suite (void)
{
  Suite *s = suite_create ("cvanalyze");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, cv_test_server_setup, cv_test_server_teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties_documented);
  tcase_add_test (tc, test_missing_endpoint_error);
  tcase_add_test (tc, test_endpoint_with_secret_refused);
  tcase_add_test (tc, test_endpoint_without_scheme_refused);
  tcase_add_test (tc, test_model_without_chat_api_refused);
  tcase_add_test (tc, test_placeholders_refused);
  tcase_add_test (tc, test_show_text_without_read_warns);
  tcase_add_test (tc, test_show_tags_without_tags_warns);
  tcase_add_test (tc, test_stats_latency_none_until_result);
  tcase_add_loop_test (tc, test_missing_key_for_cloud_refused, 0,
      G_N_ELEMENTS (keyless_cloud));
  tcase_add_test (tc, test_keyless_local_server_analysed);
  tcase_add_test (tc, test_key_blanks_stripped_controls_refused);
  tcase_add_test (tc, test_endpoint_blanks_stripped);
  tcase_add_loop_test (tc, test_endpoint_of_another_service_refused, 0,
      G_N_ELEMENTS (other_service_endpoints));
  tcase_add_test (tc, test_gateway_paths_accepted);
  tcase_add_test (tc, test_endpoint_and_key_from_environment);
  tcase_add_test (tc, test_request_shape);
  tcase_add_test (tc, test_formats_give_matching_jpeg);
  tcase_add_test (tc, test_sampling_cadence);
  tcase_add_test (tc, test_interval_lowered_while_playing);
  tcase_add_test (tc, test_passthrough_untouched);
  tcase_add_test (tc, test_result_meta_and_message);
  tcase_add_test (tc, test_flush_drops_stale_results);
  tcase_add_test (tc, test_eos_waits_for_last_result);
  tcase_add_test (tc, test_meta_survives_convert_and_scale);
  tcase_add_test (tc, test_result_shared_not_copied);
  tcase_add_test (tc, test_max_in_flight_live);
  tcase_add_test (tc, test_unauthorized_is_error);
  tcase_add_loop_test (tc, test_failures_warn_and_go_on, 0,
      G_N_ELEMENTS (failure_cases));
  tcase_add_test (tc, test_retry_after_honoured);
  tcase_add_test (tc, test_connection_refused_warns);
  tcase_add_test (tc, test_short_buffer_warns);
  tcase_add_test (tc, test_tiny_frames_accepted);
  tcase_add_test (tc, test_untimestamped_sampled_by_wall_clock);
  tcase_add_test (tc, test_bytes_segment_sampled_by_wall_clock);
  tcase_add_test (tc, test_key_never_logged);
  tcase_add_test (tc, test_region_ids_name_their_entries);
  tcase_add_test (tc, test_regions_stay_inside_the_frame);
  tcase_add_test (tc, test_max_regions_caps_region_metas);
  return s;
}

GST_CHECK_MAIN (cvanalyze);
