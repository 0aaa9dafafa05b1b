/* cvanalyze against each service it speaks: every test runs real pipelines
 * against the local server on 127.0.0.1, for each api of the table below
 * (azure-cv, azure-image-analysis, openai, azure-openai), or for the chat
 * ones where only they can do it.
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
#include <json-glib/json-glib.h>

#include "cvanalyzetest.h"
#include "gstcvanalyzemeta.h"

#define WAIT_US (30 * G_USEC_PER_SEC)
#define MODEL CV_LOCAL_SERVER_DEFAULT_MODEL
#define DATA_URL_PREFIX "data:image/jpeg;base64,"

typedef struct
{
  const gchar *name;            /* the api property's value */
  const gchar *props;           /* what it needs besides endpoint and key */
  const gchar *path;            /* where its requests go */
  const gchar *auth_header;     /* the header that carries the key */
  gboolean chat;
} Api;

static const Api apis[] = {
  {"azure-cv", "", "/vision/v3.2/analyze", "Ocp-Apim-Subscription-Key",
      FALSE},
  {"azure-image-analysis", "", "/computervision/imageanalysis:analyze",
      "Ocp-Apim-Subscription-Key", FALSE},
  {"openai", "model=" MODEL, "/v1/chat/completions", "Authorization", TRUE},
  {"azure-openai", "model=" MODEL, "/openai/v1/chat/completions", "api-key",
      TRUE},
};

/* The chat apis are the table's last two: loop tests from FIRST_CHAT. */
#define FIRST_CHAT 2
#define N_APIS G_N_ELEMENTS (apis)

/* --- pipelines --- */

/* "@src ! cvanalyze name=a api=<api> endpoint=ENDPOINT @key <what the api
 * needs> @props ! @sink"; a property in @props overrides the same one set
 * before it. */
static GstElement *
pipeline_with_key (const Api * api, const gchar * src, const gchar * key,
    const gchar * props, const gchar * sink)
{
  gchar *desc = g_strdup_printf ("%s ! cvanalyze name=a api=%s "
      "endpoint=ENDPOINT %s %s %s ! %s", src, api->name, key, api->props,
      props, sink);
  GstElement *pipeline = cv_test_make_pipeline (desc);

  g_free (desc);
  return pipeline;
}

/* The pipeline with the key the server expects. */
static GstElement *
api_pipeline (const Api * api, const gchar * src, const gchar * props,
    const gchar * sink)
{
  return pipeline_with_key (api, src, "key=KEY", props, sink);
}

static GstElement *
get_analyzer (GstElement * pipeline)
{
  return gst_bin_get_by_name (GST_BIN (pipeline), "a");
}

/* RGB frames of one colour each, one a second from 0, then EOS, queued in
 * the appsrc named "src" before the pipeline runs. */
#define APPSRC "appsrc name=src format=time " \
    "caps=video/x-raw,format=RGB,width=320,height=240,framerate=1/1"

static void
queue_solid_frames (GstElement * pipeline, const guint32 * colours, guint n)
{
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstFlowReturn ret;
  guint i, p;

  for (i = 0; i < n; i++) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, 320 * 240 * 3, NULL);
    GstMapInfo map;

    fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
    for (p = 0; p < 320 * 240; p++) {
      map.data[3 * p] = colours[i] >> 16;
      map.data[3 * p + 1] = (colours[i] >> 8) & 0xff;
      map.data[3 * p + 2] = colours[i] & 0xff;
    }
    gst_buffer_unmap (buf, &map);
    GST_BUFFER_PTS (buf) = i * GST_SECOND;
    GST_BUFFER_DURATION (buf) = GST_SECOND;
    g_signal_emit_by_name (src, "push-buffer", buf, &ret);
    fail_unless_equals_int (ret, GST_FLOW_OK);
    gst_buffer_unref (buf);
  }
  g_signal_emit_by_name (src, "end-of-stream", &ret);
  gst_object_unref (src);
}

static GstPadProbeReturn
record_meta (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstCvAnalyzeMeta *meta = gst_buffer_get_cv_analyze_meta (buf);
  GstStructure *seen;

  if (meta == NULL) {
    g_ptr_array_add (user_data, gst_structure_new_empty ("no-meta"));
    return GST_PAD_PROBE_OK;
  }
  /* The shared result, which holds the frame fields too. */
  seen = gst_structure_copy (gst_cv_analyze_meta_get_result (meta));
  g_ptr_array_add (user_data, seen);
  return GST_PAD_PROBE_OK;
}

/* Calls @probe with @data for each buffer into @element's sink pad. */
static void
probe_sink (GstElement * pipeline, const gchar * element,
    GstPadProbeCallback probe, gpointer data, GDestroyNotify destroy)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), element);
  GstPad *pad = gst_element_get_static_pad (e, "sink");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, probe, data, destroy);
  gst_object_unref (pad);
  gst_object_unref (e);
}

/* For each buffer into @element, a copy of its meta's result (or an empty
 * "no-meta"), in order; read it once the pipeline has stopped. */
static GPtrArray *
probe_metas (GstElement * pipeline, const gchar * element)
{
  GPtrArray *metas =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);

  probe_sink (pipeline, element, record_meta, g_ptr_array_ref (metas),
      (GDestroyNotify) g_ptr_array_unref);
  return metas;
}

static GstPadProbeReturn
record_text (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  g_ptr_array_add (user_data, g_strndup ((const gchar *) map.data,
          map.size));
  gst_buffer_unmap (buf, &map);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
count_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
  return GST_PAD_PROBE_OK;
}

static guint64
get_stat (GstElement * a, const gchar * name)
{
  GstStructure *stats;
  guint64 value;

  g_object_get (a, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, name, &value), "%s", name);
  gst_structure_free (stats);
  return value;
}

static const gchar *
result_caption (GstMessage * m)
{
  return gst_structure_get_string (gst_message_get_structure (m), "caption");
}

static const GstStructure *
result_of (GstMessage * m)
{
  return gst_value_get_structure (gst_structure_get_value
      (gst_message_get_structure (m), "result"));
}

/* The warning of @messages whose text holds @expect (NULL if none);
 * fails on an error. */
static GstMessage *
find_warning (GList * messages, const gchar * expect, const gchar * what)
{
  GstMessage *found = NULL;

  for (; messages; messages = messages->next) {
    GstMessage *m = messages->data;
    gchar *text;

    fail_if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR, "%s: %"
        GST_PTR_FORMAT, what, m);
    if (GST_MESSAGE_TYPE (m) != GST_MESSAGE_WARNING || found)
      continue;
    text = cv_test_message_text (m, NULL);
    if (strstr (text, expect))
      found = m;
    g_free (text);
  }
  return found;
}

/* --- requests --- */

static CvLocalServerRequest *
get_request (guint index)
{
  CvLocalServerRequest *req = cv_local_server_get_request (server, index);

  fail_unless (req != NULL, "no request %u", index);
  return req;
}

static const gchar *
query_param (const CvLocalServerRequest * req, const gchar * name)
{
  return g_hash_table_lookup (req->query_params, name);
}

/* A chat request's body (owned by @parser). */
static JsonObject *
chat_body (JsonParser * parser, const CvLocalServerRequest * req)
{
  gsize size;
  const gchar *data = g_bytes_get_data (req->body, &size);
  GError *err = NULL;

  fail_unless (json_parser_load_from_data (parser, data, size, &err),
      "the chat body is not JSON: %s", err ? err->message : "");
  fail_unless (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_node_get_object (json_parser_get_root (parser));
}

/* messages[0], the one user message, and its content parts. */
static JsonArray *
chat_parts (JsonObject * body)
{
  JsonArray *messages = json_object_get_array_member (body, "messages");
  JsonObject *message;

  fail_unless_equals_int (json_array_get_length (messages), 1);
  message = json_array_get_object_element (messages, 0);
  fail_unless_equals_string (json_object_get_string_member (message, "role"),
      "user");
  return json_object_get_array_member (message, "content");
}

/* The prompt a chat request carries: its first part's text. */
static gchar *
chat_prompt (const CvLocalServerRequest * req)
{
  JsonParser *parser = json_parser_new ();
  JsonObject *part = json_array_get_object_element (chat_parts (chat_body
          (parser, req)), 0);
  gchar *text;

  fail_unless_equals_string (json_object_get_string_member (part, "type"),
      "text");
  text = g_strdup (json_object_get_string_member (part, "text"));
  g_object_unref (parser);
  return text;
}

/* The JPEGs a request carries, in order: the body of Azure's vision
 * services; the data: URLs of a chat request's image_url parts, each of
 * which must ask for @detail. */
static GPtrArray *
request_images (const Api * api, const CvLocalServerRequest * req,
    const gchar * detail)
{
  GPtrArray *images =
      g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  JsonParser *parser;
  JsonArray *parts;
  guint i;

  if (!api->chat) {
    g_ptr_array_add (images, g_bytes_ref (req->body));
    return images;
  }
  parser = json_parser_new ();
  parts = chat_parts (chat_body (parser, req));
  for (i = 1; i < json_array_get_length (parts); i++) {
    JsonObject *part = json_array_get_object_element (parts, i);
    JsonObject *image_url;
    const gchar *url;
    guchar *jpeg;
    gsize size;

    fail_unless_equals_string (json_object_get_string_member (part, "type"),
        "image_url");
    image_url = json_object_get_object_member (part, "image_url");
    fail_unless_equals_string (json_object_get_string_member (image_url,
            "detail"), detail);
    url = json_object_get_string_member (image_url, "url");
    fail_unless (g_str_has_prefix (url, DATA_URL_PREFIX), "url %.40s", url);
    jpeg = g_base64_decode (url + strlen (DATA_URL_PREFIX), &size);
    g_ptr_array_add (images, g_bytes_new_take (jpeg, size));
  }
  g_object_unref (parser);
  return images;
}

/* The JPEG decodes to @width x @height pixels that are all about @rgb
 * (0xRRGGBB): its centre and the middle of each quarter. */
static void
check_jpeg (GBytes * jpeg, gint width, gint height, guint32 rgb)
{
  static const gdouble at[][2] = { {0.5, 0.5}, {0.25, 0.25}, {0.75, 0.25},
  {0.25, 0.75}, {0.75, 0.75}
  };
  gint w, h, c;
  guint8 *pixels = cv_test_decode_jpeg (jpeg, &w, &h);
  guint i;

  fail_unless_equals_int (w, width);
  fail_unless_equals_int (h, height);
  for (i = 0; i < G_N_ELEMENTS (at); i++) {
    const guint8 *px = pixels + ((gint) (at[i][1] * h) * w +
        (gint) (at[i][0] * w)) * 3;

    for (c = 0; c < 3; c++) {
      gint expect = (rgb >> (16 - 8 * c)) & 0xff;

      fail_unless (ABS (px[c] - expect) <= 40, "pixel %u channel %d is %d, "
          "expected %d (colour %06x)", i, c, px[c], expect, rgb);
    }
  }
  g_free (pixels);
}

/* --- tests --- */

/* The exact request per api: method, path, query, the key in the api's
 * own header, the content type, the JPEG (binary body, or a base64 data
 * URL with the detail asked for) scaled to max-dimension with the frame's
 * colour; for chat the body's shape: model, one user message of the prompt
 * and the image, max_tokens, and response_format (a strict json_schema of
 * the features) only when features ask for more than the caption. Each
 * api runs twice: its defaults, then its other properties. */
GST_START_TEST (test_request_shape)
{
  const Api *api = &apis[__i__];
  static const gchar *const second_props[] = {
    "features=color,DESCRIPTION details=landmarks language=es",
    "features=caption,Tags,smartcrops smartcrops-aspect-ratios=0.9,1.33 "
        "gender-neutral-caption=true api-version=2024-02-01",
    "features=caption,tags detail=auto max-tokens=0",
    "features=caption,tags,text detail=auto max-tokens=0",
  };
  guint run;

  for (run = 0; run < 2; run++) {
    gchar *props = g_strdup_printf ("max-dimension=320 %s", run == 0 ?
        "prompt=\"Name the colour.\" detail=high max-tokens=77" :
        second_props[__i__]);
    GstElement *pipeline = api_pipeline (api, "videotestsrc num-buffers=1 "
        "pattern=red ! video/x-raw,width=640,height=360", props, "fakesink");
    GList *messages = cv_test_run_pipeline (pipeline);
    GList *results = cv_test_filter_results (messages);
    CvLocalServerRequest *req;
    GPtrArray *images;

    fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR));
    fail_unless_equals_int (g_list_length (results), 1);
    fail_unless_equals_int (cv_local_server_get_request_count (server),
        run + 1);
    req = get_request (run);
    fail_unless_equals_string (req->method, "POST");
    fail_unless_equals_string (req->path, api->path);
    fail_unless_equals_string (req->auth_header, api->auth_header);
    fail_unless (req->has_key && req->key_matches, "%s: the key was not "
        "sent as %s", api->name, api->auth_header);

    if (g_str_equal (api->name, "azure-cv")) {
      fail_unless_equals_string (req->content_type,
          "application/octet-stream");
      fail_unless_equals_string (query_param (req, "visualFeatures"),
          run == 0 ? "Description,Tags" : "Color,Description");
      fail_unless_equals_string (query_param (req, "language"),
          run == 0 ? "en" : "es");
      fail_unless_equals_string (query_param (req, "model-version"),
          "latest");
      if (run == 0)
        fail_if (g_hash_table_contains (req->query_params, "details"));
      else
        fail_unless_equals_string (query_param (req, "details"), "Landmarks");
    } else if (g_str_equal (api->name, "azure-image-analysis")) {
      fail_unless_equals_string (req->content_type,
          "application/octet-stream");
      fail_unless_equals_string (query_param (req, "api-version"),
          run == 0 ? "2023-10-01" : "2024-02-01");
      fail_unless_equals_string (query_param (req, "features"),
          run == 0 ? "caption,tags" : "caption,tags,smartCrops");
      fail_unless_equals_string (query_param (req, "language"), "en");
      fail_unless_equals_string (query_param (req, "model-version"),
          "latest");
      fail_unless_equals_string (query_param (req, "gender-neutral-caption"),
          run == 0 ? "false" : "true");
      if (run == 0)
        fail_if (g_hash_table_contains (req->query_params,
                "smartcrops-aspect-ratios"));
      else
        fail_unless_equals_string (query_param (req,
                "smartcrops-aspect-ratios"), "0.9,1.33");
    } else {
      JsonParser *parser = json_parser_new ();
      JsonObject *body = chat_body (parser, req);
      JsonArray *parts = chat_parts (body);
      gchar *prompt = chat_prompt (req);

      fail_unless_equals_string (req->content_type, "application/json");
      fail_unless (req->query == NULL, "query '%s'", req->query);
      fail_unless_equals_string (json_object_get_string_member (body,
              "model"), MODEL);
      fail_unless_equals_int (json_array_get_length (parts), 2);
      fail_if (json_object_has_member (body, "max_completion_tokens"));
      if (run == 0) {
        fail_unless_equals_string (prompt, "Name the colour.");
        fail_unless_equals_int (json_object_get_int_member (body,
                "max_tokens"), 77);
        fail_if (json_object_has_member (body, "response_format"),
            "response_format for the caption alone");
      } else {
        JsonObject *format = json_object_get_object_member (body,
            "response_format");
        JsonObject *schema, *properties;
        gboolean text = __i__ == FIRST_CHAT + 1;

        fail_unless (g_str_has_prefix (prompt, "Describe this video frame"),
            "%s", prompt);
        fail_unless (strstr (prompt, "JSON") != NULL, "%s", prompt);
        fail_if (json_object_has_member (body, "max_tokens"),
            "max-tokens=0 sent a limit");
        fail_unless (format != NULL, "no response_format for tags");
        fail_unless_equals_string (json_object_get_string_member (format,
                "type"), "json_schema");
        schema = json_object_get_object_member (format, "json_schema");
        fail_unless (json_object_get_boolean_member (schema, "strict"));
        properties = json_object_get_object_member
            (json_object_get_object_member (schema, "schema"), "properties");
        fail_unless (json_object_has_member (properties, "caption"));
        fail_unless (json_object_has_member (properties, "tags"));
        fail_unless_equals_int (json_object_has_member (properties, "text"),
            text);
      }
      g_free (prompt);
      g_object_unref (parser);
    }

    images = request_images (api, req, run == 0 ? "high" : "auto");
    fail_unless_equals_int (images->len, 1);
    check_jpeg (g_ptr_array_index (images, 0), 320, 180, 0xff0000);

    g_ptr_array_unref (images);
    g_list_free (results);
    cv_local_server_request_free (req);
    cv_test_free_messages (messages);
    gst_object_unref (pipeline);
    g_free (props);
  }
}

GST_END_TEST;

/* Azure OpenAI's classic URL, which names the deployment: the request
 * goes to it with its api-version, the key in api-key, and no model in
 * the body (the deployment is the model). */
GST_START_TEST (test_azure_openai_deployment_url)
{
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc num-buffers=1 "
      "pattern=blue ! cvanalyze api=azure-openai "
      "endpoint=ENDPOINTopenai/deployments/" MODEL "/chat/completions"
      "?api-version=2024-10-21 key=KEY ! fakesink");
  GList *messages = cv_test_run_pipeline (pipeline);
  GList *results = cv_test_filter_results (messages);
  JsonParser *parser = json_parser_new ();
  CvLocalServerRequest *req;
  GPtrArray *images;

  fail_unless_equals_int (g_list_length (results), 1);
  fail_unless (strstr (result_caption (results->data), "blue"), "%s",
      result_caption (results->data));
  req = get_request (0);
  fail_unless_equals_string (req->path, "/openai/deployments/" MODEL
      "/chat/completions");
  fail_unless_equals_string (req->query, "api-version=2024-10-21");
  fail_unless_equals_string (req->auth_header, "api-key");
  fail_unless (req->key_matches);
  fail_if (json_object_has_member (chat_body (parser, req), "model"));
  images = request_images (&apis[3], req, "low");
  fail_unless_equals_int (images->len, 1);
  check_jpeg (g_ptr_array_index (images, 0), 320, 240, 0x0000ff);

  g_ptr_array_unref (images);
  g_object_unref (parser);
  cv_local_server_request_free (req);
  g_list_free (results);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A pipeline runs to EOS with the result everywhere it goes: the bus
 * message (its caption, and its result naming the api), the meta of every
 * buffer after it (mode=exact: from the analysed frame on) read with the
 * public API from a pad probe, and the text_src stream. */
GST_START_TEST (test_result_on_bus_meta_and_text)
{
  const Api *api = &apis[__i__];
  GstElement *pipeline = api_pipeline (api, "videotestsrc num-buffers=5 "
      "pattern=red ! video/x-raw,width=320,height=240,framerate=30/1",
      "mode=exact interval=10000000000", "fakesink name=sink "
      "a.text_src ! queue ! fakesink name=textsink");
  GPtrArray *metas = probe_metas (pipeline, "sink");
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);
  GList *messages, *results;
  const gchar *caption;
  guint i, with_caption = 0;

  probe_sink (pipeline, "textsink", record_text, g_ptr_array_ref (texts),
      (GDestroyNotify) g_ptr_array_unref);
  messages = cv_test_run_pipeline (pipeline);

  fail_unless (GST_MESSAGE_TYPE (g_list_last (messages)->data) ==
      GST_MESSAGE_EOS);
  fail_if (cv_test_find_message (messages, GST_MESSAGE_WARNING));
  results = cv_test_filter_results (messages);
  fail_unless_equals_int (g_list_length (results), 1);
  caption = result_caption (results->data);
  fail_unless (caption && strstr (caption, "red"), "%s: caption '%s'",
      api->name, caption);
  fail_unless_equals_string (gst_structure_get_string (result_of
          (results->data), "api"), api->name);
  fail_unless_equals_uint64 (cv_test_message_timestamp (results->data), 0);

  fail_unless_equals_int (metas->len, 5);
  for (i = 0; i < metas->len; i++) {
    GstStructure *meta = g_ptr_array_index (metas, i);
    guint64 pts = GST_CLOCK_TIME_NONE;

    fail_unless_equals_string (gst_structure_get_string (meta, "caption"),
        caption);
    fail_unless_equals_string (gst_structure_get_string (meta, "api"),
        api->name);
    fail_unless (gst_structure_get_uint64 (meta, "frame-pts", &pts));
    fail_unless_equals_uint64 (pts, 0);
  }
  for (i = 0; i < texts->len; i++)
    with_caption += g_str_equal (g_ptr_array_index (texts, i), caption);
  fail_unless (with_caption >= 1, "%s: no text buffer says '%s' (%u buffers)",
      api->name, caption, texts->len);

  g_list_free (results);
  cv_test_free_messages (messages);
  g_ptr_array_unref (texts);
  g_ptr_array_unref (metas);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* With frames-per-request=3, a chat request carries the last three
 * sampled frames, oldest first (red, green, blue here, one JPEG each),
 * the prompt says so, and the meta records the span: first-frame-pts of
 * the oldest, frame-pts of the newest. Azure's vision services send the
 * newest alone, and their meta's span is that frame. */
GST_START_TEST (test_frames_per_request)
{
  static const guint32 colours[] = { 0xff0000, 0x00ff00, 0x0000ff };
  static const gchar *const names[] = { "red", "green", "blue" };
  const Api *api = &apis[__i__];
  GstElement *pipeline = api_pipeline (api, APPSRC,
      "frames-per-request=3 interval=0 mode=exact", "fakesink name=sink");
  GPtrArray *metas = probe_metas (pipeline, "sink");
  GList *messages, *results, *l;
  guint r, i;

  queue_solid_frames (pipeline, colours, 3);
  messages = cv_test_run_pipeline (pipeline);
  fail_if (cv_test_find_message (messages, GST_MESSAGE_WARNING));
  results = cv_test_filter_results (messages);
  fail_unless_equals_int (g_list_length (results), 3);
  /* The service describes the newest. */
  for (l = results, r = 0; l; l = l->next, r++)
    fail_unless (strstr (result_caption (l->data), names[r]), "%s: result %u "
        "'%s'", api->name, r, result_caption (l->data));

  fail_unless_equals_int (cv_local_server_get_request_count (server), 3);
  for (r = 0; r < 3; r++) {
    CvLocalServerRequest *req = get_request (r);
    GPtrArray *images = request_images (api, req, "low");
    /* (not "first": gstcheck's macros declare that name) */
    guint oldest = api->chat ? 0 : r;

    fail_unless_equals_int (images->len, r + 1 - oldest);
    for (i = 0; i < images->len; i++)
      check_jpeg (g_ptr_array_index (images, i), 320, 240,
          colours[oldest + i]);
    if (api->chat) {
      gchar *prompt = chat_prompt (req);

      fail_unless_equals_int (strstr (prompt, "oldest first") != NULL,
          r > 0);
      g_free (prompt);
    }
    g_ptr_array_unref (images);
    cv_local_server_request_free (req);
  }

  fail_unless_equals_int (metas->len, 3);
  for (i = 0; i < metas->len; i++) {
    GstStructure *meta = g_ptr_array_index (metas, i);
    guint64 pts, first_pts;

    fail_unless (gst_structure_get_uint64 (meta, "frame-pts", &pts));
    fail_unless (gst_structure_get_uint64 (meta, "first-frame-pts",
            &first_pts));
    fail_unless_equals_uint64 (pts, i * GST_SECOND);
    fail_unless_equals_uint64 (first_pts, api->chat ? 0 : i * GST_SECOND);
  }

  g_list_free (results);
  cv_test_free_messages (messages);
  g_ptr_array_unref (metas);
  gst_object_unref (pipeline);
}

GST_END_TEST;

typedef struct
{
  const gchar *name;
  guint status;                 /* cv_local_server_set_failure() */
  guint retry_after;
  CvLocalServerMode mode;
  gboolean unknown_model;       /* the server knows other models only */
  const gchar *props;
  /* For Azure's vision services and for chat: NULL where the case does
   * not apply, else what the message says; fatal ones are errors. */
  const gchar *azure_expect;
  gboolean azure_fatal;
  const gchar *chat_expect;
  gboolean chat_fatal;
} Failure;

#define WRONG_KEY "wrong-key-31337"

static const Failure failures[] = {
  {"401", 0, 0, CV_LOCAL_SERVER_MODE_NORMAL, FALSE, "key=" WRONG_KEY,
      "HTTP 401", TRUE, "HTTP 401", TRUE},
  {"unknown model", 0, 0, CV_LOCAL_SERVER_MODE_NORMAL, TRUE, "",
      NULL, FALSE, "'" MODEL "'", TRUE},
  /* Azure's vision services' 403 "Out of call volume quota": a good key,
   * the video goes on. Chat services' 403s (a region, public access
   * disabled) are refusals that no key fixes, and say so. */
  {"403", 403, 0, CV_LOCAL_SERVER_MODE_NORMAL, FALSE, "",
      "quota is used up", FALSE, "not the key unknown", TRUE},
  {"404", 404, 0, CV_LOCAL_SERVER_MODE_NORMAL, FALSE, "",
      "HTTP 404", FALSE, "'" MODEL "'", TRUE},
  {"429", 429, 1, CV_LOCAL_SERVER_MODE_NORMAL, FALSE, "",
      "HTTP 429", FALSE, "HTTP 429", FALSE},
  {"500", 500, 0, CV_LOCAL_SERVER_MODE_NORMAL, FALSE, "",
      "HTTP 500", FALSE, "HTTP 500", FALSE},
  {"timeout", 0, 0, CV_LOCAL_SERVER_MODE_HANG, FALSE, "timeout=200000000",
      "did not answer in time", FALSE, "did not answer in time", FALSE},
  {"malformed", 0, 0, CV_LOCAL_SERVER_MODE_MALFORMED, FALSE, "",
      "cannot be parsed", FALSE, "cannot be parsed", FALSE},
  {"wrong types", 0, 0, CV_LOCAL_SERVER_MODE_WRONG_TYPES, FALSE, "",
      "wrong type", FALSE, "wrong type", FALSE},
  {"dropped", 0, 0, CV_LOCAL_SERVER_MODE_DROP, FALSE, "",
      "Could not reach", FALSE, "Could not reach", FALSE},
  {"reset", 0, 0, CV_LOCAL_SERVER_MODE_RESET, FALSE, "",
      "was reset", FALSE, "was reset", FALSE},
};

#define N_FAILURES G_N_ELEMENTS (failures)

/* Every failure against every api: a refused key, a forbidden request
 * (chat services' 403), an unknown model (and a 404 that names it) stop
 * the stream with an ERROR naming the endpoint
 * and what to fix, after one request; anything else is a WARNING that
 * says what happened, and every frame still reaches the sink. Neither
 * ever holds the key. */
GST_START_TEST (test_failures)
{
  const Api *api = &apis[__i__ / N_FAILURES];
  const Failure *f = &failures[__i__ % N_FAILURES];
  const gchar *expect = api->chat ? f->chat_expect : f->azure_expect;
  gboolean fatal = api->chat ? f->chat_fatal : f->azure_fatal;
  GstElement *pipeline;
  GList *messages, *results;
  gint buffers = 0;
  GstMessage *m;
  gchar *text, *debug = NULL;

  if (expect == NULL)
    return;                     /* no model to be unknown */
  pipeline = api_pipeline (api, "videotestsrc is-live=true num-buffers=20 ! "
      "video/x-raw,width=160,height=120,framerate=30/1",
      f->props, "fakesink name=sink");
  probe_sink (pipeline, "sink", count_buffer, &buffers, NULL);
  if (f->unknown_model) {
    const gchar *const models[] = { "another-model", NULL };

    cv_local_server_set_models (server, models);
  }
  cv_local_server_set_failure (server, f->status, f->retry_after);
  cv_local_server_set_mode (server, f->mode);
  messages = cv_test_run_pipeline (pipeline);
  results = cv_test_filter_results (messages);
  fail_if (results != NULL, "%s, %s: a result", api->name, f->name);

  if (fatal) {
    GError *err = NULL;

    m = cv_test_find_message (messages, GST_MESSAGE_ERROR);
    fail_unless (m != NULL, "%s, %s: no error", api->name, f->name);
    gst_message_parse_error (m, &err, &debug);
    fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
            (f->status && f->status != 403) || f->unknown_model ?
            GST_RESOURCE_ERROR_SETTINGS : GST_RESOURCE_ERROR_NOT_AUTHORIZED),
        "%s, %s: %s", api->name, f->name, err->message);
    text = g_strdup (err->message);
    g_error_free (err);
    fail_unless (strstr (text, server_url) != NULL, "%s, %s: no endpoint "
        "in '%s'", api->name, f->name, text);
    fail_unless_equals_int (cv_local_server_get_request_count (server), 1);
  } else {
    m = find_warning (messages, expect, f->name);
    fail_unless (m != NULL, "%s, %s: no warning saying '%s'", api->name,
        f->name, expect);
    text = cv_test_message_text (m, &debug);
    fail_unless (GST_MESSAGE_TYPE (g_list_last (messages)->data) ==
        GST_MESSAGE_EOS);
    fail_unless_equals_int (g_atomic_int_get (&buffers), 20);
  }
  fail_unless (strstr (text, expect) != NULL, "%s, %s: '%s'", api->name,
      f->name, text);
  if (f->status) {
    /* The status once: not "HTTP 404, 404" from Azure's gateway codes. */
    gchar *twice = g_strdup_printf ("HTTP %u, %u", f->status, f->status);

    fail_if (strstr (text, twice), "%s, %s: '%s'", api->name, f->name, text);
    g_free (twice);
  }
  fail_if (strstr (text, WRONG_KEY) || (debug && strstr (debug, WRONG_KEY)));
  cv_test_check_secret_not_in_messages (messages, TEST_KEY);
  cv_test_check_secret_not_in_messages (messages, WRONG_KEY);

  g_free (text);
  g_free (debug);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* Whether a chat request's body has @member. */
static gboolean
chat_has_member (guint index, const gchar * member, gint64 * value)
{
  CvLocalServerRequest *req = get_request (index);
  JsonParser *parser = json_parser_new ();
  JsonObject *body = chat_body (parser, req);
  gboolean has = json_object_has_member (body, member);

  if (has && value)
    *value = json_object_get_int_member (body, member);
  g_object_unref (parser);
  cv_local_server_request_free (req);
  return has;
}

/* Two red frames, each analysed (a file: each waits for a slot), through
 * a server with @quirks; returns the messages, having checked that there
 * is a result for each, without an error. */
static GList *
run_two_frames (const Api * api, CvLocalServerQuirks quirks,
    const gchar * props)
{
  GstElement *pipeline = api_pipeline (api, "videotestsrc num-buffers=2 "
      "pattern=red ! video/x-raw,width=160,height=120", props, "fakesink");
  GList *messages, *results, *l;

  cv_local_server_set_quirks (server, quirks);
  messages = cv_test_run_pipeline (pipeline);
  fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR));
  fail_if (cv_test_find_message (messages, GST_MESSAGE_WARNING));
  results = cv_test_filter_results (messages);
  fail_unless_equals_int (g_list_length (results), 2);
  for (l = results; l; l = l->next)
    fail_unless (strstr (result_caption (l->data), "red"), "%s: '%s'",
        api->name, result_caption (l->data));
  g_list_free (results);
  gst_object_unref (pipeline);
  return messages;
}

/* A server that refuses response_format (a model without Structured
 * Outputs) gets the same frame again without it, and a result; the
 * element remembers: 2 requests for the first frame, 1 for the next, the
 * last two without response_format, all three asking for the JSON in
 * the prompt. */
GST_START_TEST (test_refused_response_format_resent)
{
  GList *messages = run_two_frames (&apis[__i__],
      CV_LOCAL_SERVER_QUIRK_REFUSE_RESPONSE_FORMAT, "interval=0 "
      "features=caption,tags");
  guint r;

  fail_unless_equals_int (cv_local_server_get_request_count (server), 3);
  fail_unless (chat_has_member (0, "response_format", NULL));
  fail_if (chat_has_member (1, "response_format", NULL));
  fail_if (chat_has_member (2, "response_format", NULL));
  for (r = 0; r < 3; r++) {
    CvLocalServerRequest *req = get_request (r);
    gchar *prompt = chat_prompt (req);

    fail_unless (strstr (prompt, "JSON") != NULL, "%s", prompt);
    g_free (prompt);
    cv_local_server_request_free (req);
  }
  cv_test_free_messages (messages);
}

GST_END_TEST;

/* A server that refuses max_tokens (a reasoning model) gets the frame
 * again with max_completion_tokens of the same value, and remembers: the
 * second frame's single request has it too. */
GST_START_TEST (test_refused_max_tokens_resent)
{
  GList *messages = run_two_frames (&apis[__i__],
      CV_LOCAL_SERVER_QUIRK_REFUSE_MAX_TOKENS, "interval=0 max-tokens=50");
  gint64 value = 0;
  guint r;

  fail_unless_equals_int (cv_local_server_get_request_count (server), 3);
  fail_unless (chat_has_member (0, "max_tokens", &value));
  fail_unless_equals_int64 (value, 50);
  fail_if (chat_has_member (0, "max_completion_tokens", NULL));
  for (r = 1; r < 3; r++) {
    fail_if (chat_has_member (r, "max_tokens", NULL));
    fail_unless (chat_has_member (r, "max_completion_tokens", &value));
    fail_unless_equals_int64 (value, 50);
  }
  cv_test_free_messages (messages);
}

GST_END_TEST;

/* A model that thinks aloud (reasoning_content, and a <think> block
 * before the content): neither reaches the caption or the result, as
 * plain text or as the JSON of features=caption,tags. */
GST_START_TEST (test_reasoning_not_in_caption)
{
  const gchar *features[] = { "caption", "caption,tags" };
  guint run;

  for (run = 0; run < G_N_ELEMENTS (features); run++) {
    gchar *props = g_strdup_printf ("interval=0 features=%s", features[run]);
    GList *messages = run_two_frames (&apis[__i__],
        CV_LOCAL_SERVER_QUIRK_REASONING, props);
    GList *results = cv_test_filter_results (messages), *l;

    for (l = results; l; l = l->next) {
      gchar *result = gst_structure_to_string (result_of (l->data));
      const gchar *json = gst_structure_get_string
          (gst_message_get_structure (l->data), "json");

      /* The server did think aloud... */
      fail_unless (strstr (json, "reasoning_content") && strstr (json,
              "<think>"), "%s", json);
      /* ...and none of it is in the result. */
      fail_if (strstr (result, "think") || strstr (result, "Counting"),
          "%s", result);
      fail_if (strstr (result_caption (l->data), "Counting"));
      if (run == 1)
        fail_unless (gst_structure_has_field (result_of (l->data), "tags"),
            "%s", result);
      g_free (result);
    }
    g_list_free (results);
    cv_test_free_messages (messages);
    g_free (props);
  }
}

GST_END_TEST;

/* An Image Analysis resource outside the caption regions refuses caption:
 * an ERROR that names the regions and what to change, after one request. */
GST_START_TEST (test_caption_region_is_error)
{
  GstElement *pipeline = api_pipeline (&apis[1], "videotestsrc "
      "is-live=true num-buffers=30", "", "fakesink");
  GList *messages;
  GstMessage *m;
  gchar *text;

  cv_local_server_set_quirks (server,
      CV_LOCAL_SERVER_QUIRK_NO_CAPTION_REGION);
  messages = cv_test_run_pipeline (pipeline);
  m = cv_test_find_message (messages, GST_MESSAGE_ERROR);
  fail_unless (m != NULL, "no error");
  text = cv_test_message_text (m, NULL);
  fail_unless (strstr (text, "East US") && strstr (text, "West Europe"),
      "the regions are not named: %s", text);
  fail_unless (strstr (text, "take caption and denseCaptions out of "
          "features"), "%s", text);
  fail_unless_equals_int (cv_local_server_get_request_count (server), 1);
  g_free (text);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* {previous-caption} in the prompt becomes the caption shown when a frame
 * is sampled: nothing for the first frame, the first result's caption for
 * the second. */
GST_START_TEST (test_prompt_previous_caption)
{
  GstElement *pipeline = api_pipeline (&apis[__i__], "videotestsrc "
      "num-buffers=2 pattern=red ! video/x-raw,width=160,height=120",
      "interval=0 prompt=\"Before: <{previous-caption}>. And now?\"",
      "fakesink");
  GList *messages = cv_test_run_pipeline (pipeline);
  GList *results = cv_test_filter_results (messages);
  CvLocalServerRequest *req;
  gchar *prompt, *expect;

  fail_unless_equals_int (g_list_length (results), 2);
  fail_unless_equals_int (cv_local_server_get_request_count (server), 2);
  req = get_request (0);
  prompt = chat_prompt (req);
  fail_unless_equals_string (prompt, "Before: <>. And now?");
  g_free (prompt);
  cv_local_server_request_free (req);

  req = get_request (1);
  prompt = chat_prompt (req);
  expect = g_strdup_printf ("Before: <%s>. And now?",
      result_caption (results->data));
  fail_unless_equals_string (prompt, expect);
  g_free (expect);
  g_free (prompt);
  cv_local_server_request_free (req);

  g_list_free (results);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* Sends EOS and reads the bus to it; fails on an error. */
static void
finish_with_eos (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *m;

  fail_unless (gst_element_send_event (pipeline, gst_event_new_eos ()));
  m = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_EOS |
      GST_MESSAGE_ERROR);
  fail_unless (m != NULL && GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS,
      "no EOS: %" GST_PTR_FORMAT, m);
  gst_message_unref (m);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (bus);
}

/* 'prompt' changed while PLAYING applies from the next sample on: the
 * request the server holds asked the old prompt; once it is answered,
 * the next one asks the new. (While it is held, every frame sampled is
 * skipped: max-in-flight is 1.) */
GST_START_TEST (test_prompt_changes_while_playing)
{
  GstElement *pipeline = api_pipeline (&apis[__i__], "videotestsrc "
      "is-live=true ! video/x-raw,width=160,height=120,framerate=30/1",
      "interval=0 prompt=\"First prompt.\"", "fakesink");
  GstElement *a = get_analyzer (pipeline);
  CvLocalServerRequest *req;
  gchar *prompt;
  guint n, r;

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_HANG);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless (cv_local_server_wait_for_requests (server, 1, WAIT_US));
  g_object_set (a, "prompt", "Second prompt.", NULL);
  cv_local_server_release (server);
  fail_unless (cv_local_server_wait_for_requests (server, 2, WAIT_US));
  finish_with_eos (pipeline);

  req = get_request (0);
  prompt = chat_prompt (req);
  fail_unless_equals_string (prompt, "First prompt.");
  g_free (prompt);
  cv_local_server_request_free (req);
  n = cv_local_server_get_request_count (server);
  for (r = 1; r < n; r++) {
    req = get_request (r);
    prompt = chat_prompt (req);
    fail_unless_equals_string (prompt, "Second prompt.");
    g_free (prompt);
    cv_local_server_request_free (req);
  }
  g_object_get (a, "prompt", &prompt, NULL);
  fail_unless_equals_string (prompt, "Second prompt.");
  g_free (prompt);
  gst_object_unref (a);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* 'stats' adds up the tokens chat services say they used: prompt-tokens
 * and completion-tokens are the sums of every answer's usage (read here
 * from the answers' JSON), more than 0; Azure's vision services count
 * none. */
GST_START_TEST (test_stats_add_up_tokens)
{
  const Api *api = &apis[__i__];
  GstElement *pipeline = api_pipeline (api, "videotestsrc num-buffers=3 "
      "pattern=red ! video/x-raw,width=160,height=120", "interval=0",
      "fakesink");
  GstElement *a = get_analyzer (pipeline);
  GList *messages = cv_test_run_pipeline (pipeline);
  GList *results = cv_test_filter_results (messages), *l;
  gint64 prompt_tokens = 0, completion_tokens = 0;

  fail_unless_equals_int (g_list_length (results), 3);
  for (l = results; l && api->chat; l = l->next) {
    JsonParser *parser = json_parser_new ();
    JsonObject *usage;

    fail_unless (json_parser_load_from_data (parser, gst_structure_get_string
            (gst_message_get_structure (l->data), "json"), -1, NULL));
    usage = json_object_get_object_member (json_node_get_object
        (json_parser_get_root (parser)), "usage");
    prompt_tokens += json_object_get_int_member (usage, "prompt_tokens");
    completion_tokens += json_object_get_int_member (usage,
        "completion_tokens");
    g_object_unref (parser);
  }
  if (api->chat)
    fail_unless (prompt_tokens > 0 && completion_tokens > 0);
  fail_unless_equals_uint64 (get_stat (a, "prompt-tokens"), prompt_tokens);
  fail_unless_equals_uint64 (get_stat (a, "completion-tokens"),
      completion_tokens);
  fail_unless_equals_uint64 (get_stat (a, "results"), 3);

  g_list_free (results);
  cv_test_free_messages (messages);
  gst_object_unref (a);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* The key never appears in the debug log at its highest level, nor in a
 * message, for any api, whichever header carries it: neither the right
 * one (set as a property, and sent: the server matched it) nor a wrong
 * one (refused with an error). */
GST_START_TEST (test_key_never_logged)
{
  const Api *api = &apis[__i__];
  const gchar *keys[] = { TEST_KEY, WRONG_KEY };
  GList *runs[2];
  CvLocalServerRequest *req;
  gchar *log;
  guint k;

  cv_test_start_log_capture ();
  for (k = 0; k < G_N_ELEMENTS (keys); k++) {
    /* Not in the description, which is logged. */
    GstElement *pipeline = pipeline_with_key (api, "videotestsrc "
        "num-buffers=2", "", "", "fakesink");
    GstElement *a = get_analyzer (pipeline);

    g_object_set (a, "key", keys[k], NULL);
    runs[k] = cv_test_run_pipeline (pipeline);
    gst_object_unref (a);
    gst_object_unref (pipeline);
  }
  log = cv_test_stop_log_capture ();

  req = get_request (0);
  fail_unless_equals_string (req->auth_header, api->auth_header);
  fail_unless (req->key_matches, "the key was not sent");
  cv_local_server_request_free (req);
  req = get_request (1);
  fail_unless (req->has_key && !req->key_matches);
  cv_local_server_request_free (req);
  fail_if (cv_test_find_message (runs[0], GST_MESSAGE_ERROR));
  fail_unless (cv_test_find_message (runs[1], GST_MESSAGE_ERROR) != NULL);

  for (k = 0; k < G_N_ELEMENTS (keys); k++) {
    fail_if (strstr (log, keys[k]), "%s: key %u is in the debug log",
        api->name, k);
    cv_test_check_secret_not_in_messages (runs[0], keys[k]);
    cv_test_check_secret_not_in_messages (runs[1], keys[k]);
  }
  cv_test_free_messages (runs[0]);
  cv_test_free_messages (runs[1]);
  g_free (log);
}

GST_END_TEST;

static const struct
{
  const gchar *name;
  CvLocalServerRetryAfter form;
} retry_forms[] = {
  {"seconds", CV_LOCAL_SERVER_RETRY_AFTER_SECONDS},
  {"HTTP date", CV_LOCAL_SERVER_RETRY_AFTER_HTTP_DATE},
  {"retry-after-ms", CV_LOCAL_SERVER_RETRY_AFTER_MS},
};

#define N_RETRY_FORMS G_N_ELEMENTS (retry_forms)
#define RETRY_AFTER_S 1

/* A 429's wait is honoured in each form a service sends it in (Retry-After
 * as seconds or as an HTTP date, retry-after-ms alone), for every api: a
 * WARNING, and the next request reaches the service no sooner than the
 * wait after the 429 was asked for (a live source samples every frame, so
 * without the wait it would come within a frame). */
GST_START_TEST (test_retry_after_honoured)
{
  const Api *api = &apis[__i__ / N_RETRY_FORMS];
  CvLocalServerRetryAfter form = retry_forms[__i__ % N_RETRY_FORMS].form;
  const gchar *name = retry_forms[__i__ % N_RETRY_FORMS].name;
  GstElement *pipeline = api_pipeline (api, "videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1", "interval=0",
      "fakesink");
  GstBus *bus = gst_element_get_bus (pipeline);
  CvLocalServerRequest *first, *second;
  GstMessage *m;
  gchar *text, *debug = NULL;
  gint64 gap;

  cv_local_server_set_failure (server, 429, RETRY_AFTER_S);
  cv_local_server_set_retry_after_form (server, form);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless (cv_local_server_wait_for_requests (server, 1, WAIT_US));
  m = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_WARNING |
      GST_MESSAGE_ERROR);
  fail_unless (m != NULL && GST_MESSAGE_TYPE (m) == GST_MESSAGE_WARNING,
      "%s, %s: %" GST_PTR_FORMAT, api->name, name, m);
  /* The service answers from now on; the back-off is already running. */
  cv_local_server_set_failure (server, 0, 0);
  text = cv_test_message_text (m, &debug);
  fail_unless (strstr (text, "HTTP 429"), "%s", text);
  fail_if (strstr (debug, "retry-after 0 s"), "%s, %s: %s", api->name, name,
      debug);
  fail_unless (cv_local_server_wait_for_requests (server, 2, WAIT_US),
      "no request after the back-off");
  finish_with_eos (pipeline);

  first = get_request (0);
  second = get_request (1);
  gap = second->received_monotonic_us - first->received_monotonic_us;
  fail_unless (gap >= RETRY_AFTER_S * G_USEC_PER_SEC, "%s, %s: the next "
      "request came %" G_GINT64_FORMAT " us after the 429", api->name, name,
      gap);

  cv_local_server_request_free (second);
  cv_local_server_request_free (first);
  g_free (text);
  g_free (debug);
  gst_message_unref (m);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static Suite *
cvanalyze_services_suite (void)
{
  Suite *s = suite_create ("cvanalyze-services");
  TCase *tc = tcase_create ("services");

  tcase_add_checked_fixture (tc, cv_test_server_setup, cv_test_server_teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_loop_test (tc, test_request_shape, 0, N_APIS);
  tcase_add_test (tc, test_azure_openai_deployment_url);
  tcase_add_loop_test (tc, test_result_on_bus_meta_and_text, 0, N_APIS);
  tcase_add_loop_test (tc, test_frames_per_request, 0, N_APIS);
  tcase_add_loop_test (tc, test_failures, 0, N_APIS * N_FAILURES);
  tcase_add_loop_test (tc, test_refused_response_format_resent, FIRST_CHAT,
      N_APIS);
  tcase_add_loop_test (tc, test_refused_max_tokens_resent, FIRST_CHAT,
      N_APIS);
  tcase_add_loop_test (tc, test_reasoning_not_in_caption, FIRST_CHAT, N_APIS);
  tcase_add_test (tc, test_caption_region_is_error);
  tcase_add_loop_test (tc, test_prompt_previous_caption, FIRST_CHAT, N_APIS);
  tcase_add_loop_test (tc, test_prompt_changes_while_playing, FIRST_CHAT,
      N_APIS);
  tcase_add_loop_test (tc, test_retry_after_honoured, 0,
      N_APIS * N_RETRY_FORMS);
  tcase_add_loop_test (tc, test_stats_add_up_tokens, 0, N_APIS);
  tcase_add_loop_test (tc, test_key_never_logged, 0, N_APIS);
  return s;
}

GST_CHECK_MAIN (cvanalyze_services);
