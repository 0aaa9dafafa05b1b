/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* A hostile service's strings, read back from everything the element
 * hands on: the bus message, the buffer meta, the text pad and its
 * warnings. The local server sends lone surrogates and control
 * characters as JSON escapes (cvhostile.h); every string must come out
 * valid UTF-8, without control characters, within its cap, with the rest
 * of the text kept. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "cvanalyzetest.h"
#include "cvhostile.h"
#include "gstcvanalyzemeta.h"
#include "gstcvanalyzesafetext.h"
#include "../../fuzz/resultcheck.h"

/* What the strings the server appends become: controls dropped, line
 * breaks and tabs spaces, lone surrogates U+FFFD, nothing cut. */
#define CONTROL_CHARS_SAFE " [2J]0;pwned bel rlo nel  csi tab  nl  nul"
#define LONE_SURROGATES_SAFE " \xef\xbf\xbd high and \xef\xbf\xbd low"

/* What a pad probe found on the buffers, read in the test's thread. */
typedef struct
{
  GMutex lock;
  guint buffers;                /* buffers that carried what was looked for */
  gchar *problem;               /* the first unsafe string, or NULL */
  gchar *caption;               /* the last caption seen */
} Seen;

static void
seen_problem (Seen * seen, gchar * problem)
{
  if (problem != NULL && seen->problem == NULL)
    seen->problem = problem;
  else
    g_free (problem);
}

/* Reads the meta as an application would, through the public C API. */
static GstPadProbeReturn
check_meta (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Seen *seen = user_data;
  GstCvAnalyzeMeta *meta =
      gst_buffer_get_cv_analyze_meta (GST_PAD_PROBE_INFO_BUFFER (info));
  const gchar *caption;
  gchar **tags, **tag;
  gdouble confidence;

  if (meta == NULL)
    return GST_PAD_PROBE_OK;

  g_mutex_lock (&seen->lock);
  seen->buffers++;
  seen_problem (seen,
      cv_check_safe_structure (gst_cv_analyze_meta_get_result (meta)));
  caption = gst_cv_analyze_meta_get_caption (meta, &confidence);
  seen_problem (seen, cv_check_safe_text (caption,
          GST_CV_ANALYZE_MAX_CAPTION_CHARS));
  g_free (seen->caption);
  seen->caption = g_strdup (caption);
  tags = gst_cv_analyze_meta_get_tags (meta);
  if (tags[0] == NULL)
    seen_problem (seen, g_strdup ("no tags"));
  for (tag = tags; *tag; tag++)
    seen_problem (seen, cv_check_safe_text (*tag,
            GST_CV_ANALYZE_MAX_NAME_CHARS));
  g_strfreev (tags);
  g_mutex_unlock (&seen->lock);
  return GST_PAD_PROBE_OK;
}

/* The text pad's captions, as a subtitle encoder or textoverlay reads
 * them. */
static GstPadProbeReturn
check_text_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Seen *seen = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;
  gchar *text;

  if (gst_buffer_get_size (buf) == 0)
    return GST_PAD_PROBE_OK;
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  text = g_strndup ((const gchar *) map.data, map.size);
  gst_buffer_unmap (buf, &map);
  g_mutex_lock (&seen->lock);
  seen->buffers++;
  seen_problem (seen, map.size == strlen (text) ?
      cv_check_safe_text (text, 2 * GST_CV_ANALYZE_MAX_CAPTION_CHARS) :
      g_strdup ("a NUL in a text buffer"));
  g_mutex_unlock (&seen->lock);
  g_free (text);
  return GST_PAD_PROBE_OK;
}

static void
probe_pad (GstElement * pipeline, const gchar * sink_name,
    GstPadProbeCallback callback, Seen * seen)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), sink_name);
  GstPad *pad = gst_element_get_static_pad (sink, "sink");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, callback, seen, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
}

static void
seen_clear (Seen * seen)
{
  g_free (seen->problem);
  g_free (seen->caption);
  g_mutex_clear (&seen->lock);
}

typedef struct
{
  const gchar *name;
  CvLocalServerHostile flags;
  const gchar *suffix;          /* the caption ends with this */
} HostileCase;

static const HostileCase hostile_cases[] = {
  {"lone surrogates", CV_LOCAL_SERVER_HOSTILE_LONE_SURROGATES,
      LONE_SURROGATES_SAFE},
  {"control characters", CV_LOCAL_SERVER_HOSTILE_CONTROL_CHARS,
      CONTROL_CHARS_SAFE},
  {"both", CV_LOCAL_SERVER_HOSTILE_LONE_SURROGATES |
        CV_LOCAL_SERVER_HOSTILE_CONTROL_CHARS, NULL},
};

/* With lone surrogates, control characters or both in the caption, the
 * tags, the request id and the model version, every string of the bus
 * message (caption, tags, request-id, json, result), of the meta on the
 * buffers and of the text pad is valid UTF-8 without control characters,
 * and the caption keeps the text around them. */
GST_START_TEST (test_hostile_strings_are_safe)
{
  const HostileCase *hc = &hostile_cases[__i__];
  /* mode=exact: each analysed frame carries its own result. */
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc num-buffers=3 "
      "pattern=red ! cvanalyze name=cv endpoint=ENDPOINT key=KEY mode=exact "
      "interval=1 ! fakesink name=sink  cv.text_src ! queue ! "
      "fakesink name=textsink async=false");
  Seen meta_seen = { 0 }, text_seen = { 0 };
  GList *messages, *results, *l;
  guint n_results = 0;

  g_mutex_init (&meta_seen.lock);
  g_mutex_init (&text_seen.lock);
  probe_pad (pipeline, "sink", check_meta, &meta_seen);
  probe_pad (pipeline, "textsink", check_text_buffer, &text_seen);
  cv_local_server_set_hostile (server, hc->flags);

  messages = cv_test_run_pipeline (pipeline);
  fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR), "%s",
      hc->name);
  fail_if (cv_test_find_message (messages, GST_MESSAGE_WARNING), "%s: a "
      "hostile but well-formed answer is a result", hc->name);
  results = cv_test_filter_results (messages);
  for (l = results; l; l = l->next) {
    const GstStructure *s = gst_message_get_structure (l->data);
    const gchar *caption = gst_structure_get_string (s, "caption");
    const GValue *tags = gst_structure_get_value (s, "tags");
    gchar *problem = cv_check_safe_structure (s);

    fail_unless (problem == NULL, "%s: message: %s", hc->name, problem);
    fail_unless (strstr (caption, "red") != NULL, "caption '%s'", caption);
    fail_unless (hc->suffix == NULL || g_str_has_suffix (caption,
            hc->suffix), "%s: caption '%s'", hc->name, caption);
    fail_unless (gst_value_array_get_size (tags) > 0);
    fail_unless (*gst_structure_get_string (s, "request-id") != '\0');
    n_results++;
  }
  fail_unless_equals_int (n_results, 3);

  fail_unless_equals_int (meta_seen.buffers, 3);
  fail_unless (meta_seen.problem == NULL, "%s: meta: %s", hc->name,
      meta_seen.problem);
  fail_unless (hc->suffix == NULL || g_str_has_suffix (meta_seen.caption,
          hc->suffix), "%s: meta caption '%s'", hc->name, meta_seen.caption);
  fail_unless (text_seen.buffers > 0, "%s: no caption on text_src",
      hc->name);
  fail_unless (text_seen.problem == NULL, "%s: text_src: %s", hc->name,
      text_seen.problem);

  g_list_free (results);
  cv_test_free_messages (messages);
  seen_clear (&meta_seen);
  seen_clear (&text_seen);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* GStreamer puts "file(line): function (): object:\n" before a message's
 * debug text; the rest is the element's and must have no controls. */
static const gchar *
debug_text (const gchar * debug)
{
  const gchar *newline = debug ? strchr (debug, '\n') : NULL;

  return newline ? newline + 1 : debug ? debug : "";
}

/* A 500 whose error code and message carry terminal escapes, BEL, NUL,
 * bidi and C1 controls gives a warning that quotes the service, without
 * any control character in its text or its debug details. */
GST_START_TEST (test_hostile_error_warning_is_safe)
{
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc num-buffers=3 "
      "pattern=red ! cvanalyze endpoint=ENDPOINT key=KEY interval=1 ! "
      "fakesink");
  GList *messages, *l;
  guint warnings = 0;

  cv_local_server_set_hostile (server, CV_LOCAL_SERVER_HOSTILE_CONTROL_CHARS);
  cv_local_server_set_failure (server, 500, 0);
  messages = cv_test_run_pipeline (pipeline);

  fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR));
  for (l = messages; l; l = l->next) {
    GError *err = NULL;
    gchar *debug = NULL, *problem;

    if (GST_MESSAGE_TYPE (l->data) != GST_MESSAGE_WARNING)
      continue;
    gst_message_parse_warning (l->data, &err, &debug);
    problem = cv_check_safe_text (err->message, 4096);
    fail_unless (problem == NULL, "warning '%s': %s", err->message, problem);
    /* the service's words are there, its controls are not */
    fail_unless (strstr (err->message, "HTTP 500") != NULL, "%s",
        err->message);
    fail_unless (strstr (err->message, "[2J]0;pwned bel") != NULL, "%s",
        err->message);
    problem = cv_check_safe_text (debug_text (debug), 4096);
    fail_unless (problem == NULL, "debug '%s': %s", debug, problem);
    g_error_free (err);
    g_free (debug);
    warnings++;
  }
  fail_unless (warnings > 0, "no warning");
  fail_if (cv_test_filter_results (messages) != NULL);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* --- a service that quotes the key it was sent --- */

/* How the echoing service answers, "%s" standing for the key as it
 * came (with "Bearer " for the chat services). */
typedef struct
{
  const gchar *name;
  const gchar *api;
  guint status;
  const gchar *reason;          /* the status line's phrase */
  const gchar *body;            /* a JSON body */
  const gchar *location;        /* nullable: an Operation-Location */
  const gchar *props;           /* more properties of cvanalyze */
  GstMessageType expected;      /* what is posted: a result, a warning or
                                 * an error (GST_MESSAGE_ELEMENT, ...) */
} EchoCase;

static const EchoCase echo_cases[] = {
  {"azure-cv 401", "azure-cv", 401, "Denied",
        "{\"error\":{\"code\":\"401\",\"message\":\"Access denied for key "
        "'%s'.\"}}", NULL, "", GST_MESSAGE_ERROR},
  {"azure-cv 500, code, inner error and reason phrase", "azure-cv", 500,
        "Failed for %s",
        "{\"error\":{\"code\":\"%s\",\"message\":\"Internal error for %s\","
        "\"innererror\":{\"code\":\"%s\",\"message\":\"%s\"}}}", NULL, "",
      GST_MESSAGE_WARNING},
  {"azure-cv caption", "azure-cv", 200, "OK",
        "{\"description\":{\"tags\":[\"%s\"],\"captions\":[{\"text\":"
        "\"a key %s\",\"confidence\":0.9}]},\"requestId\":\"%s\","
        "\"metadata\":{\"height\":48,\"width\":64,\"format\":\"Jpeg\"}}",
      NULL, "", GST_MESSAGE_ELEMENT},
  {"azure-cv Read, Operation-Location elsewhere", "azure-cv", 202,
        "Accepted", "", "http://127.0.0.2/%s", "features=Read",
      GST_MESSAGE_WARNING},
  {"openai 401", "openai", 401, "Unauthorized",
        "{\"error\":{\"message\":\"Incorrect API key provided: %s\","
        "\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}",
      NULL, "model=m", GST_MESSAGE_ERROR},
  {"openai 400, a plain error", "openai", 400, "Bad Request",
      "{\"error\":\"bad key %s\"}", NULL, "model=m", GST_MESSAGE_WARNING},
  {"azure-cv thumbnail 400", "azure-cv", 400, "Bad Request",
        "{\"error\":{\"code\":\"InvalidRequest\",\"message\":\"Bad key "
        "'%s'.\"}}", NULL, "thumbnail-width=32 thumbnail-height=32",
      GST_MESSAGE_WARNING},
};

/* The key as it came, in a JSON string. */
static gchar *
received_key (SoupServerMessage * msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const gchar *key = soup_message_headers_get_one (headers,
      "Ocp-Apim-Subscription-Key");

  if (key == NULL)
    key = soup_message_headers_get_one (headers, "Authorization");
  return g_strescape (key ? key : "(none)", NULL);
}

static gchar *
replace_key (const gchar * template, const gchar * key)
{
  GString *text = g_string_new (template);

  g_string_replace (text, "%s", key, 0);
  return g_string_free (text, FALSE);
}

/* Answers as its EchoCase says, quoting the key it was sent. */
static void
echoer_handle (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  const EchoCase *ec = user_data;
  gchar *key = received_key (msg);
  gchar *body = replace_key (ec->body, key);
  gchar *reason = replace_key (ec->reason, key);

  soup_server_message_set_status (msg, ec->status, reason);
  if (ec->location) {
    gchar *location = replace_key (ec->location, key);

    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Operation-Location", location);
    g_free (location);
  }
  soup_server_message_set_response (msg, "application/json",
      SOUP_MEMORY_TAKE, body, strlen (body));
  g_free (reason);
  g_free (key);
}

/* The key's asterisks, as the client writes them in its place. */
static gchar *
hidden_key (void)
{
  return g_strnfill (strlen (TEST_KEY), '*');
}

/* A service that quotes the key it was sent, in an error body (Azure's,
 * OpenAI's, a plain one), its reason phrase, an Operation-Location or a
 * caption, tags and request id: the key is in no message, error, warning
 * or line of the debug log at its highest level, and the text that
 * quoted it is still posted, with asterisks in the key's place. */
GST_START_TEST (test_echoed_key_is_hidden)
{
  const EchoCase *ec = &echo_cases[__i__];
  CvTestSoupServer *e = cv_test_soup_server_new (echoer_handle,
      (gpointer) ec);
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=3 ! "
      "video/x-raw,width=64,height=48 ! cvanalyze name=a api=%s "
      "endpoint=%s max-retries=0 %s ! fakesink", ec->api,
      cv_test_soup_server_get_url (e), ec->props);
  GstElement *pipeline = cv_test_make_pipeline (desc);
  GstElement *a = gst_bin_get_by_name (GST_BIN (pipeline), "a");
  gchar *stars = hidden_key (), *log, *text, *debug = NULL;
  GList *messages;
  GstMessage *m;

  /* Set after parsing: gst_parse_launch() logs its description. */
  g_object_set (a, "key", TEST_KEY, NULL);
  cv_test_start_log_capture ();
  messages = cv_test_run_pipeline (pipeline);
  log = cv_test_stop_log_capture ();

  fail_if (strstr (log, TEST_KEY), "%s: the key is in the debug log",
      ec->name);
  cv_test_check_secret_not_in_messages (messages, TEST_KEY);
  if (ec->expected == GST_MESSAGE_ELEMENT) {
    GList *results = cv_test_filter_results (messages);
    const GstStructure *s;

    fail_unless (results != NULL, "%s: no result", ec->name);
    s = gst_message_get_structure (results->data);
    text = g_strdup (gst_structure_get_string (s, "caption"));
    fail_unless (strstr (gst_structure_get_string (s, "json"), stars));
    g_list_free (results);
  } else {
    m = cv_test_find_message (messages, ec->expected);
    fail_unless (m != NULL, "%s: not posted", ec->name);
    text = cv_test_message_text (m, &debug);
  }
  fail_unless (strstr (text, stars) != NULL, "%s: '%s'", ec->name, text);

  g_free (text);
  g_free (debug);
  g_free (log);
  g_free (stars);
  g_free (desc);
  cv_test_free_messages (messages);
  gst_object_unref (a);
  gst_object_unref (pipeline);
  cv_test_soup_server_free (e);
}

GST_END_TEST;

static Suite *
cvanalyze_hostile_suite (void)
{
  Suite *s = suite_create ("cvanalyze-hostile");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, cv_test_server_setup, cv_test_server_teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_loop_test (tc, test_hostile_strings_are_safe, 0,
      G_N_ELEMENTS (hostile_cases));
  tcase_add_test (tc, test_hostile_error_warning_is_safe);
  tcase_add_loop_test (tc, test_echoed_key_is_hidden, 0,
      G_N_ELEMENTS (echo_cases));
  return s;
}

GST_CHECK_MAIN (cvanalyze_hostile);
