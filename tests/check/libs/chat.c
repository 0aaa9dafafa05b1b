/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Unit tests of the chat-completions services (gstcvanalyzechat.c),
 * through their class's function pointers: URLs, requests checked against
 * OpenAI's published schema, and every answer and error body of
 * tests/fixtures/chat-completions. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>

#include "gstcvanalyzeservice.h"
#include "gstcvanalyzeencoder.h"
#include "gstcvanalyzesafetext.h"
#include "../../fuzz/resultcheck.h"

#define PROMPT "Describe this video frame in one short sentence."
#define MULTI_FRAME_SENTENCE " The images are consecutive frames of one " \
    "video, oldest first: describe what happens, ending with the newest."
#define MAX_TOKENS_REFUSAL "error-openai-400-max-tokens-unsupported.json"

static const GstCvAnalyzeServiceClass *openai = &gst_cv_analyze_openai_service;
static const GstCvAnalyzeServiceClass *azure =
    &gst_cv_analyze_azure_openai_service;

/* One service instance, as the client holds it. */
typedef struct
{
  const GstCvAnalyzeServiceClass *klass;
  gpointer state;
} Service;

static Service
service_new_full (const GstCvAnalyzeServiceClass * klass,
    const gchar * endpoint, const gchar * model, const gchar * features,
    const gchar * detail, guint max_tokens)
{
  GstCvAnalyzeServiceSettings settings = { klass->api, };
  Service service = { klass, NULL };
  GError *err = NULL;

  settings.endpoint = endpoint;
  settings.model = model;
  settings.features = features;
  settings.detail = detail;
  settings.max_tokens = max_tokens;
  service.state = klass->create (&settings, NULL, &err);
  fail_unless (service.state != NULL, "create failed: %s",
      err ? err->message : "?");
  return service;
}

static Service
service_new (const GstCvAnalyzeServiceClass * klass, const gchar * features)
{
  return service_new_full (klass, klass == azure ?
      "https://res.openai.azure.com/" : "http://localhost:11434/v1",
      "qwen2.5vl:3b", features, NULL, 300);
}

static void
service_free (Service * service)
{
  service->klass->free (service->state);
}

/* The message create() fails with; NULL if it does not fail. */
static gchar *
create_error (const GstCvAnalyzeServiceClass * klass, const gchar * endpoint,
    const gchar * model, const gchar * features, const gchar * detail)
{
  GstCvAnalyzeServiceSettings settings = { klass->api, };
  GError *err = NULL;
  gpointer state;
  gchar *message;

  settings.endpoint = endpoint;
  settings.model = model;
  settings.features = features;
  settings.detail = detail;
  state = klass->create (&settings, NULL, &err);
  if (state != NULL) {
    klass->free (state);
    return NULL;
  }
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_SETTINGS));
  message = g_strdup (err->message);
  g_error_free (err);
  return message;
}

/* A real JPEG from the element's encoder: a 64x48 I420 frame of one
 * luma value, so each image differs. */
static GBytes *
make_jpeg (guint8 luma)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer *buffer;
  GBytes *jpeg;
  GError *err = NULL;
  gint w, h;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, 64, 48);
  buffer = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  gst_buffer_memset (buffer, 0, 128, GST_VIDEO_INFO_SIZE (&info));
  gst_buffer_memset (buffer, 0, luma, 64 * 48);
  fail_unless (gst_video_frame_map (&frame, &info, buffer, GST_MAP_READ));
  jpeg = gst_cv_analyze_encoder_encode (&frame, 1024, 85, &w, &h, &err);
  fail_unless (jpeg != NULL, "encode: %s", err ? err->message : "?");
  gst_video_frame_unmap (&frame);
  gst_buffer_unref (buffer);
  return jpeg;
}

/* The request for @n images (luma 40, 80, 120, ...), its body parsed. */
static JsonNode *
build_body (Service * service, guint n, GstCvAnalyzeHttpRequest ** out,
    GBytes ** jpegs)
{
  GstCvAnalyzeImage images[4];
  GstCvAnalyzeRequestInput input = { images, n, PROMPT };
  GstCvAnalyzeHttpRequest *request;
  JsonNode *body;
  GError *err = NULL;
  gsize size;
  const gchar *data;
  gchar *text;
  guint i;

  fail_unless (n <= G_N_ELEMENTS (images));
  for (i = 0; i < n; i++) {
    images[i].jpeg = jpegs ? g_bytes_ref (jpegs[i]) : make_jpeg (40 * (i + 1));
    images[i].width = 64;
    images[i].height = 48;
  }
  request = service->klass->build_request (service->state, &input);
  for (i = 0; i < n; i++)
    g_bytes_unref (images[i].jpeg);

  fail_unless_equals_string (request->method, "POST");
  fail_unless_equals_string (request->content_type, "application/json");
  data = g_bytes_get_data (request->body, &size);
  text = g_strndup (data, size);
  body = json_from_string (text, &err);
  fail_unless (body != NULL, "body is not JSON: %s", err ? err->message : "");
  g_free (text);
  if (out)
    *out = request;
  else
    gst_cv_analyze_http_request_free (request);
  return body;
}

static JsonObject *
body_content_part (JsonNode * body, guint i)
{
  JsonObject *message = json_array_get_object_element
      (json_object_get_array_member (json_node_get_object (body), "messages"),
      0);

  return json_array_get_object_element (json_object_get_array_member
      (message, "content"), i);
}

static guint
body_content_length (JsonNode * body)
{
  JsonObject *message = json_array_get_object_element
      (json_object_get_array_member (json_node_get_object (body), "messages"),
      0);

  return json_array_get_length (json_object_get_array_member (message,
          "content"));
}

static const gchar *
body_prompt (JsonNode * body)
{
  return json_object_get_string_member (body_content_part (body, 0), "text");
}

/* The bytes of the image in content part @i, decoded from its data URL. */
static GBytes *
body_image (JsonNode * body, guint i, const gchar ** detail)
{
  JsonObject *part = body_content_part (body, i);
  JsonObject *image_url = json_object_get_object_member (part, "image_url");
  const gchar *url = json_object_get_string_member (image_url, "url");
  static const gchar prefix[] = "data:image/jpeg;base64,";
  guchar *data;
  gsize size;

  fail_unless_equals_string (json_object_get_string_member (part, "type"),
      "image_url");
  fail_unless (g_str_has_prefix (url, prefix), "not a data URL: %.40s", url);
  if (detail)
    *detail = json_object_get_string_member (image_url, "detail");
  data = g_base64_decode (url + strlen (prefix), &size);
  return g_bytes_new_take (data, size);
}

static gchar *
fixture_path (const gchar * name)
{
  const gchar *dir = g_getenv ("FIXTURES_DIR");

  fail_unless (dir != NULL, "FIXTURES_DIR is not set");
  return g_build_filename (dir, "..", "chat-completions", name, NULL);
}

static gchar *
fixture_text (const gchar * name)
{
  gchar *path = fixture_path (name);
  gchar *text;
  GError *err = NULL;

  fail_unless (g_file_get_contents (path, &text, NULL, &err),
      "cannot read %s: %s", path, err ? err->message : "?");
  g_free (path);
  return text;
}

static void
handle (Service * service, guint status, const gchar * body,
    GstCvAnalyzeReply * reply)
{
  memset (reply, 0, sizeof (*reply));
  service->klass->handle_reply (service->state, status, body, strlen (body),
      reply);
}

static void
assert_safe_reply (const GstCvAnalyzeReply * reply)
{
  gchar *problem = NULL;

  if (reply->result)
    problem = cv_check_safe_structure (reply->result);
  if (!problem && reply->code)
    problem = cv_check_safe_text (reply->code, GST_CV_ANALYZE_MAX_NAME_CHARS);
  if (!problem && reply->message)
    problem = cv_check_safe_text (reply->message,
        GST_CV_ANALYZE_MAX_MESSAGE_CHARS);
  if (!problem && reply->advice)
    problem = cv_check_safe_text (reply->advice,
        GST_CV_ANALYZE_MAX_MESSAGE_CHARS);
  fail_unless (problem == NULL, "unsafe reply: %s", problem);
}

/* The advice holds @expected, or there is none when @expected is NULL. */
static void
assert_advice (const GstCvAnalyzeReply * reply, const gchar * expected,
    const gchar * file)
{
  if (expected)
    fail_unless (reply->advice && strstr (reply->advice, expected), "%s: %s",
        file, reply->advice);
  else
    fail_unless (reply->advice == NULL, "%s: %s", file, reply->advice);
}

/* Fails on a fixture that @is_kind accepts and @tested does not name, so
 * the fixture directory cannot grow untested. */
static void
assert_fixtures_tested (gboolean (*is_kind) (const gchar * name),
    const gchar * const *tested)
{
  gchar *dir_path = fixture_path ("");
  GDir *dir = g_dir_open (dir_path, 0, NULL);
  const gchar *name;

  fail_unless (dir != NULL, "cannot open %s", dir_path);
  while ((name = g_dir_read_name (dir)) != NULL)
    fail_unless (!is_kind (name) || g_strv_contains (tested, name),
        "%s is not tested", name);
  g_dir_close (dir);
  g_free (dir_path);
}

static gboolean
is_error_fixture (const gchar * name)
{
  return g_str_has_prefix (name, "error-");
}

/* A 200 answer whose message content is @content (a JSON string literal,
 * quotes and escapes included). */
static gchar *
answer_with_content (const gchar * content, const gchar * finish)
{
  return g_strdup_printf ("{\"id\":\"chatcmpl-1\",\"model\":\"m\","
      "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
      "\"content\":%s},\"finish_reason\":\"%s\"}]}", content, finish);
}

/* ---- URLs and settings ------------------------------------------------ */

static const struct
{
  const GstCvAnalyzeServiceClass **klass;
  const gchar *endpoint;
  const gchar *url;
} url_cases[] = {
  {&openai, NULL, "https://api.openai.com/v1/chat/completions"},
  {&openai, "https://api.openai.com/v1",
      "https://api.openai.com/v1/chat/completions"},
  {&openai, "https://api.openai.com/v1/",
      "https://api.openai.com/v1/chat/completions"},
  {&openai, "http://localhost:11434/v1",
      "http://localhost:11434/v1/chat/completions"},
  {&openai, "http://localhost:8080/v1",
      "http://localhost:8080/v1/chat/completions"},
  /* a bare server: every compatible server serves /v1 */
  {&openai, "http://localhost:8080",
      "http://localhost:8080/v1/chat/completions"},
  {&openai, "http://localhost:8080/",
      "http://localhost:8080/v1/chat/completions"},
  {&openai, "http://127.0.0.1:8000/v1/chat/completions",
      "http://127.0.0.1:8000/v1/chat/completions"},
  {&azure, "https://res.openai.azure.com/openai/v1",
      "https://res.openai.azure.com/openai/v1/chat/completions"},
  {&azure, "https://res.openai.azure.com",
      "https://res.openai.azure.com/openai/v1/chat/completions"},
  {&azure, "https://res.openai.azure.com/",
      "https://res.openai.azure.com/openai/v1/chat/completions"},
  {&azure, "https://res.openai.azure.com/openai/v1/?api-version=preview",
      "https://res.openai.azure.com/openai/v1/chat/completions"
        "?api-version=preview"},
  {&azure, "https://res.openai.azure.com/openai/deployments/my-dep/"
        "chat/completions?api-version=2024-10-21",
      "https://res.openai.azure.com/openai/deployments/my-dep/"
        "chat/completions?api-version=2024-10-21"},
};

/* Each endpoint form becomes the URL the server serves: /chat/completions
 * appended once without a double slash, a bare host given its API base, a
 * full chat-completions URL (query included) kept as it is. */
GST_START_TEST (test_url_rules)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (url_cases); i++) {
    Service service = service_new_full (*url_cases[i].klass,
        url_cases[i].endpoint, "m", NULL, NULL, 0);
    GstCvAnalyzeHttpRequest *request;
    JsonNode *body = build_body (&service, 1, &request, NULL);

    fail_unless_equals_string (request->url, url_cases[i].url);
    fail_if (strstr (request->url + strlen ("https://"), "//") != NULL);
    gst_cv_analyze_http_request_free (request);
    json_node_unref (body);
    service_free (&service);
  }
}

GST_END_TEST;

/* Azure's per-deployment URL names the deployment: no model is needed,
 * none is sent, and results name the deployment when the answer does
 * not. */
GST_START_TEST (test_azure_deployment_url)
{
  Service service = service_new_full (azure,
      "https://res.openai.azure.com/openai/deployments/my-dep/"
      "chat/completions?api-version=2024-10-21", NULL, NULL, NULL, 0);
  JsonNode *body = build_body (&service, 1, NULL, NULL);
  GstCvAnalyzeReply reply;

  fail_if (json_object_has_member (json_node_get_object (body), "model"));
  handle (&service, 200, "{\"choices\":[{\"message\":{\"content\":\"a cat\"},"
      "\"finish_reason\":\"stop\"}]}", &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_RESULT);
  fail_unless_equals_string (gst_structure_get_string (reply.result,
          "model"), "my-dep");
  fail_unless_equals_string (gst_structure_get_string (reply.result, "api"),
      "azure-openai");
  gst_cv_analyze_reply_clear (&reply);
  json_node_unref (body);
  service_free (&service);
}

GST_END_TEST;

/* Missing or wrong settings fail create() with a message saying what to
 * set; features and detail take any case. */
GST_START_TEST (test_create_errors)
{
  const gchar *azure_v1 = "https://res.openai.azure.com/openai/v1";
  gchar *message;

  message = create_error (openai, "http://localhost:11434/v1", NULL, NULL,
      NULL);
  fail_unless (message && strstr (message, "model=gpt-4o-mini")
      && strstr (message, "model=qwen2.5vl:3b"), "%s", message);
  g_free (message);

  message = create_error (openai, "http://localhost:11434/v1", "", NULL,
      NULL);
  fail_unless (message && strstr (message, "set model="), "%s", message);
  g_free (message);

  message = create_error (azure, azure_v1, NULL, NULL, NULL);
  fail_unless (message && strstr (message, "deployment")
      && strstr (message, "/openai/deployments/<deployment>/"), "%s",
      message);
  g_free (message);

  message = create_error (azure, NULL, "dep", NULL, NULL);
  fail_unless (message && strstr (message, "AZURE_OPENAI_ENDPOINT"), "%s",
      message);
  g_free (message);

  message = create_error (openai, NULL, "m", "caption,colour", NULL);
  fail_unless (message && strstr (message, "'colour'")
      && strstr (message, "caption, tags and text"), "%s", message);
  g_free (message);

  message = create_error (openai, NULL, "m", NULL, "medium");
  fail_unless (message && strstr (message, "'medium'")
      && strstr (message, "low, high or auto"), "%s", message);
  g_free (message);

  message = create_error (openai, "not a url", "m", NULL, NULL);
  fail_unless (message && strstr (message, "endpoint"), "%s", message);
  g_free (message);

  fail_unless (create_error (openai, NULL, "m", " Caption , TAGS,text ",
          "HIGH") == NULL);
}

GST_END_TEST;

/* The class fields the client reads. */
GST_START_TEST (test_class_fields)
{
  fail_unless_equals_int (openai->api, GST_CV_ANALYZE_API_OPENAI);
  fail_unless_equals_string (openai->name, "openai");
  fail_unless_equals_string (openai->auth_header, "Authorization");
  fail_unless_equals_string (openai->auth_prefix, "Bearer ");
  fail_unless_equals_string (openai->endpoint_env[0], "OPENAI_BASE_URL");
  fail_unless (openai->endpoint_env[1] == NULL);
  fail_unless_equals_string (openai->key_env[0], "OPENAI_API_KEY");
  fail_unless_equals_uint64 (openai->default_timeout, 120 * GST_SECOND);
  fail_unless_equals_uint64 (openai->max_image_bytes, 20 * 1024 * 1024);

  fail_unless_equals_int (azure->api, GST_CV_ANALYZE_API_AZURE_OPENAI);
  fail_unless_equals_string (azure->name, "azure-openai");
  fail_unless_equals_string (azure->auth_header, "api-key");
  fail_unless_equals_string (azure->auth_prefix, "");
  fail_unless_equals_string (azure->endpoint_env[0], "AZURE_OPENAI_ENDPOINT");
  fail_unless_equals_string (azure->key_env[0], "AZURE_OPENAI_API_KEY");
  fail_unless (azure->key_env[1] == NULL);
  fail_unless_equals_uint64 (azure->default_timeout, 60 * GST_SECOND);
  fail_unless_equals_uint64 (azure->max_image_bytes, 20 * 1024 * 1024);
}

GST_END_TEST;

/* ---- requests --------------------------------------------------------- */

static void
assert_members (JsonObject * obj, const gchar * const *names)
{
  GList *members = json_object_get_members (obj), *l;
  guint n = 0;

  for (l = members; l; l = l->next, n++)
    fail_unless (g_strv_contains (names, l->data), "unexpected member %s",
        (const gchar *) l->data);
  fail_unless_equals_int (n, g_strv_length ((gchar **) names));
  g_list_free (members);
}

static void
assert_image (JsonNode * body, guint part, GBytes * jpeg,
    const gchar * detail)
{
  const gchar *sent_detail;
  GBytes *sent = body_image (body, part, &sent_detail);

  fail_unless (g_bytes_equal (sent, jpeg), "image %u differs", part);
  fail_unless_equals_string (sent_detail, detail);
  g_bytes_unref (sent);
}

/* One image: exactly model, messages (one user message: the prompt, then
 * the JPEG's bytes as a data URL with detail low) and max_tokens. */
GST_START_TEST (test_request_one_image)
{
  static const gchar *const members[] = { "model", "messages", "max_tokens",
    NULL
  };
  Service service = service_new (openai, NULL);
  GBytes *jpeg = make_jpeg (200);
  JsonNode *body = build_body (&service, 1, NULL, &jpeg);
  JsonObject *root = json_node_get_object (body);
  JsonObject *message;

  assert_members (root, members);
  fail_unless_equals_string (json_object_get_string_member (root, "model"),
      "qwen2.5vl:3b");
  fail_unless_equals_int (json_object_get_int_member (root, "max_tokens"),
      300);
  fail_unless_equals_int (json_array_get_length
      (json_object_get_array_member (root, "messages")), 1);
  message = json_array_get_object_element (json_object_get_array_member (root,
          "messages"), 0);
  fail_unless_equals_string (json_object_get_string_member (message, "role"),
      "user");
  fail_unless_equals_int (body_content_length (body), 2);
  fail_unless_equals_string (json_object_get_string_member
      (body_content_part (body, 0), "type"), "text");
  fail_unless_equals_string (body_prompt (body), PROMPT);
  assert_image (body, 1, jpeg, "low");

  g_bytes_unref (jpeg);
  json_node_unref (body);
  service_free (&service);
}

GST_END_TEST;

/* Three images: one part each, oldest first, byte for byte; the prompt
 * gains the sentence saying they are consecutive frames. */
GST_START_TEST (test_request_three_images)
{
  Service service = service_new (openai, NULL);
  GBytes *jpegs[3] = { make_jpeg (30), make_jpeg (130), make_jpeg (230) };
  JsonNode *body = build_body (&service, 3, NULL, jpegs);
  guint i;

  fail_if (g_bytes_equal (jpegs[0], jpegs[1]));
  fail_unless_equals_int (body_content_length (body), 4);
  fail_unless_equals_string (body_prompt (body), PROMPT MULTI_FRAME_SENTENCE);
  for (i = 0; i < 3; i++) {
    assert_image (body, i + 1, jpegs[i], "low");
    g_bytes_unref (jpegs[i]);
  }
  json_node_unref (body);
  service_free (&service);
}

GST_END_TEST;

/* detail is sent as set (any case in, lower case out); max_tokens 0 sends
 * no token limit at all. */
GST_START_TEST (test_request_detail_and_max_tokens)
{
  static const gchar *const details[][2] = { {"high", "high"},
  {"AUTO", "auto"}, {"Low", "low"}, {"", "low"}
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (details); i++) {
    Service service = service_new_full (openai, NULL, "m", NULL,
        details[i][0], 0);
    GBytes *jpeg = make_jpeg (10);
    JsonNode *body = build_body (&service, 1, NULL, &jpeg);
    JsonObject *root = json_node_get_object (body);

    assert_image (body, 1, jpeg, details[i][1]);
    fail_if (json_object_has_member (root, "max_tokens"));
    fail_if (json_object_has_member (root, "max_completion_tokens"));
    g_bytes_unref (jpeg);
    json_node_unref (body);
    service_free (&service);
  }
}

GST_END_TEST;

/* The strict json_schema asked for @features, in this order. */
static void
assert_response_format (JsonNode * body, const gchar * const *features)
{
  JsonObject *root = json_node_get_object (body);
  JsonObject *format, *json_schema, *schema, *properties;
  JsonArray *required;
  guint i, n = g_strv_length ((gchar **) features);

  fail_unless (json_object_has_member (root, "response_format"));
  format = json_object_get_object_member (root, "response_format");
  fail_unless_equals_string (json_object_get_string_member (format, "type"),
      "json_schema");
  json_schema = json_object_get_object_member (format, "json_schema");
  fail_unless_equals_string (json_object_get_string_member (json_schema,
          "name"), "cvanalyze_result");
  fail_unless (json_object_get_boolean_member (json_schema, "strict"));
  schema = json_object_get_object_member (json_schema, "schema");
  fail_unless_equals_string (json_object_get_string_member (schema, "type"),
      "object");
  fail_if (json_object_get_boolean_member (schema, "additionalProperties"));
  properties = json_object_get_object_member (schema, "properties");
  required = json_object_get_array_member (schema, "required");
  fail_unless_equals_int (json_object_get_size (properties), n);
  fail_unless_equals_int (json_array_get_length (required), n);
  for (i = 0; i < n; i++) {
    JsonObject *p = json_object_get_object_member (properties, features[i]);

    fail_unless (p != NULL, "no property %s", features[i]);
    fail_unless_equals_string (json_array_get_string_element (required, i),
        features[i]);
    if (g_str_equal (features[i], "tags")) {
      fail_unless_equals_string (json_object_get_string_member (p, "type"),
          "array");
      fail_unless_equals_string (json_object_get_string_member
          (json_object_get_object_member (p, "items"), "type"), "string");
    } else {
      fail_unless_equals_string (json_object_get_string_member (p, "type"),
          "string");
    }
    /* the prompt asks for the same members */
    fail_unless (strstr (body_prompt (body), features[i]) != NULL);
  }
}

/* response_format is sent only when tags or text are asked for, with just
 * the members asked; the caption alone is plain text. */
GST_START_TEST (test_response_format_only_for_tags_text)
{
  static const gchar *const all[] = { "caption", "tags", "text", NULL };
  static const gchar *const tags[] = { "tags", NULL };
  static const gchar *const caption_text[] = { "caption", "text", NULL };
  Service service = service_new (openai, "caption");
  JsonNode *body = build_body (&service, 1, NULL, NULL);

  fail_if (json_object_has_member (json_node_get_object (body),
          "response_format"));
  fail_unless_equals_string (body_prompt (body), PROMPT);
  json_node_unref (body);
  service_free (&service);

  service = service_new (openai, "text,TAGS ,caption");
  body = build_body (&service, 1, NULL, NULL);
  assert_response_format (body, all);
  fail_unless (g_str_has_prefix (body_prompt (body), PROMPT " Answer with "
          "only a JSON object with \"caption\""), "%s", body_prompt (body));
  json_node_unref (body);
  service_free (&service);

  service = service_new (azure, "tags");
  body = build_body (&service, 1, NULL, NULL);
  assert_response_format (body, tags);
  json_node_unref (body);
  service_free (&service);

  service = service_new (openai, "caption,text");
  body = build_body (&service, 3, NULL, NULL);
  assert_response_format (body, caption_text);
  fail_unless (strstr (body_prompt (body), MULTI_FRAME_SENTENCE) != NULL);
  json_node_unref (body);
  service_free (&service);
}

GST_END_TEST;

/* ---- the requests against OpenAI's schema ----------------------------- */

static JsonObject *
schema_get (JsonObject * schemas, const gchar * name)
{
  JsonObject *s = json_object_get_object_member (schemas, name);

  fail_unless (s != NULL, "schema %s is missing", name);
  return s;
}

static gboolean
enum_contains (JsonObject * property, const gchar * value)
{
  JsonArray *values = json_object_get_array_member (property, "enum");
  guint i;

  for (i = 0; i < json_array_get_length (values); i++)
    if (g_strcmp0 (json_array_get_string_element (values, i), value) == 0)
      return TRUE;
  return FALSE;
}

static JsonObject *
property (JsonObject * schema, const gchar * name)
{
  JsonObject *properties;

  if (!json_object_has_member (schema, "properties"))
    return NULL;
  properties = json_object_get_object_member (schema, "properties");
  return json_object_has_member (properties, name) ?
      json_object_get_object_member (properties, name) : NULL;
}

/* Every member of @obj is a property of @schema and every required one is
 * there. */
static void
assert_members_allowed (JsonObject * obj, JsonObject * schema,
    const gchar * what)
{
  GList *members = json_object_get_members (obj), *l;
  JsonArray *required = json_object_get_array_member (schema, "required");
  guint i;

  for (l = members; l; l = l->next)
    fail_unless (property (schema, l->data) != NULL, "%s: %s is not in the "
        "schema", what, (const gchar *) l->data);
  g_list_free (members);
  for (i = 0; required && i < json_array_get_length (required); i++)
    fail_unless (json_object_has_member (obj,
            json_array_get_string_element (required, i)),
        "%s: required %s is missing", what,
        json_array_get_string_element (required, i));
}

/* CreateChatCompletionRequest's own properties are in its second allOf
 * entry, the shared ones in the first (a $ref). */
static JsonObject *
request_properties_schema (JsonObject * schemas)
{
  JsonArray *all_of = json_object_get_array_member (schema_get (schemas,
          "CreateChatCompletionRequest"), "allOf");
  guint i;

  for (i = 0; i < json_array_get_length (all_of); i++) {
    JsonObject *part = json_array_get_object_element (all_of, i);

    if (property (part, "messages") != NULL)
      return part;
  }
  fail ("CreateChatCompletionRequest has no messages property");
  return NULL;
}

static void
assert_request_follows_schema (JsonNode * body, JsonObject * schemas)
{
  JsonObject *root = json_node_get_object (body);
  JsonObject *user = schema_get (schemas, "ChatCompletionRequestUserMessage");
  JsonObject *text = schema_get (schemas,
      "ChatCompletionRequestMessageContentPartText");
  JsonObject *image = schema_get (schemas,
      "ChatCompletionRequestMessageContentPartImage");
  JsonObject *image_url = property (image, "image_url");
  JsonArray *messages = json_object_get_array_member (root, "messages");
  guint i, n = body_content_length (body);

  assert_members_allowed (root, request_properties_schema (schemas),
      "request");
  fail_unless_equals_int (json_array_get_length (messages), 1);
  assert_members_allowed (json_array_get_object_element (messages, 0), user,
      "message");
  fail_unless (enum_contains (property (user, "role"),
          json_object_get_string_member (json_array_get_object_element
              (messages, 0), "role")));

  for (i = 0; i < n; i++) {
    JsonObject *part = body_content_part (body, i);
    const gchar *type = json_object_get_string_member (part, "type");
    JsonObject *part_schema = i == 0 ? text : image;

    fail_unless (enum_contains (property (part_schema, "type"), type),
        "part %u: type %s", i, type);
    assert_members_allowed (part, part_schema, type);
    if (i > 0) {
      JsonObject *sent = json_object_get_object_member (part, "image_url");

      assert_members_allowed (sent, image_url, "image_url");
      fail_unless (enum_contains (property (image_url, "detail"),
              json_object_get_string_member (sent, "detail")));
    }
  }

  if (json_object_has_member (root, "response_format")) {
    JsonObject *js = schema_get (schemas, "ResponseFormatJsonSchema");
    JsonObject *format = json_object_get_object_member (root,
        "response_format");

    assert_members_allowed (format, js, "response_format");
    fail_unless (enum_contains (property (js, "type"),
            json_object_get_string_member (format, "type")));
    assert_members_allowed (json_object_get_object_member (format,
            "json_schema"), property (js, "json_schema"), "json_schema");
  }
}

/* Writes @body to $CHAT_REQUEST_DUMP/@name, for validating with ajv. */
static void
dump_body (JsonNode * body, const gchar * name)
{
  const gchar *dir = g_getenv ("CHAT_REQUEST_DUMP");
  gchar *path, *text;

  if (dir == NULL)
    return;
  path = g_build_filename (dir, name, NULL);
  text = json_to_string (body, TRUE);
  fail_unless (g_file_set_contents (path, text, -1, NULL));
  g_free (text);
  g_free (path);
}

/* Every request form (1 and 3 images, each detail, with and without
 * response_format, max_tokens and max_completion_tokens) uses only
 * members, roles, part types and detail values that OpenAI's published
 * schema (tests/fixtures/openai, passed as $CHAT_SCHEMAS) defines. */
GST_START_TEST (test_requests_follow_openai_schema)
{
  const gchar *path = g_getenv ("CHAT_SCHEMAS");
  JsonParser *parser = json_parser_new ();
  GError *err = NULL;
  JsonObject *schemas;
  GstCvAnalyzeReply reply;
  guint i;
  gchar *refusal = fixture_text (MAX_TOKENS_REFUSAL);

  fail_unless (path != NULL, "CHAT_SCHEMAS is not set");
  fail_unless (json_parser_load_from_file (parser, path, &err),
      "OpenAI's schema not found (set CHAT_SCHEMAS): %s", err->message);
  schemas = json_object_get_object_member (json_object_get_object_member
      (json_node_get_object (json_parser_get_root (parser)), "components"),
      "schemas");

  for (i = 0; i < 6; i++) {
    static const gchar *const details[] = { "low", "high", "auto" };
    Service service = service_new_full (i % 2 ? azure : openai,
        "https://res.openai.azure.com/openai/v1", "m",
        i < 3 ? "caption" : "caption,tags,text", details[i % 3], 300);
    JsonNode *body;
    gchar *name;

    /* the second half after the switch to max_completion_tokens */
    if (i >= 3) {
      handle (&service, 400, refusal, &reply);
      fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_RESEND);
    }
    body = build_body (&service, i % 2 ? 3 : 1, NULL, NULL);
    assert_request_follows_schema (body, schemas);
    name = g_strdup_printf ("request-%u.json", i);
    dump_body (body, name);
    g_free (name);
    json_node_unref (body);
    service_free (&service);
  }
  g_free (refusal);
  g_object_unref (parser);
}

GST_END_TEST;

/* ---- answers ---------------------------------------------------------- */

typedef struct
{
  const gchar *file;
  const gchar *features;
  GstCvAnalyzeReplyKind kind;
  const gchar *caption;         /* RESULT; FAILED: the code */
  const gchar *model;           /* RESULT; FAILED: in the message */
  gint usage[3];                /* prompt, completion, total; 0: none */
  const gchar *advice;          /* in the advice; NULL: no advice */
} AnswerCase;

#define RAISE_MAX_TOKENS \
    "max-tokens (300) is too small for this model: raise it"

#define MEADOW "A wooden boardwalk crosses a green meadow under a blue sky."

static const AnswerCase answer_cases[] = {
  {"openai-caption.json", NULL, GST_CV_ANALYZE_REPLY_RESULT,
        "The image shows a wooden boardwalk path running through a lush green "
        "field or meadow. The sky is bright blue with some scattered clouds, "
        "giving the scene a serene and peaceful atmosphere. Trees and shrubs "
        "are visible in the background.", "gpt-4o-2024-08-06",
      {1117, 46, 1163}},
  {"openai-structured-caption.json", "caption,tags,text",
        GST_CV_ANALYZE_REPLY_RESULT,
        "a wooden boardwalk through a green meadow under a blue sky",
      "gpt-4o-2024-08-06", {298, 31, 329}},
  {"ollama-v1-reasoning.json", NULL, GST_CV_ANALYZE_REPLY_RESULT, MEADOW,
      "qwen3-vl:2b", {288, 61, 349}},
  {"ollama-v1-length.json", NULL, GST_CV_ANALYZE_REPLY_RESULT, "Hello",
      "llama3", {23, 1, 24}, RAISE_MAX_TOKENS},
  {"llamaserver-reasoning-content.json", NULL, GST_CV_ANALYZE_REPLY_RESULT,
      MEADOW, "Qwen3-VL-2B-Instruct-Q4_K_M.gguf", {301, 64, 365}},
  {"llamaserver-think-in-content.json", NULL, GST_CV_ANALYZE_REPLY_RESULT,
      MEADOW, "Qwen3-VL-2B-Instruct-Q4_K_M.gguf", {301, 64, 365}},
  {"llamaserver-think-close-only.json", NULL, GST_CV_ANALYZE_REPLY_RESULT,
      MEADOW, "Qwen3-VL-2B-Instruct-Q4_K_M.gguf", {301, 64, 365}},
  {"vllm-reasoning.json", NULL, GST_CV_ANALYZE_REPLY_RESULT, MEADOW,
      "Qwen/Qwen2.5-VL-3B-Instruct", {1297, 52, 1349}},
  {"openai-refusal.json", NULL, GST_CV_ANALYZE_REPLY_FAILED, "refusal",
      "I'm very sorry, but I can't assist with that."},
  {"openai-length-empty-reasoning.json", NULL, GST_CV_ANALYZE_REPLY_FAILED,
      "length", "before any answer", {0}, RAISE_MAX_TOKENS},
  {"openai-length-truncated-json.json", "caption,tags",
        GST_CV_ANALYZE_REPLY_FAILED, "length", "in the middle of the JSON",
      {0}, RAISE_MAX_TOKENS},
};

static void
assert_usage (const GstStructure * result, const gint * usage)
{
  const GstStructure *s;
  gint prompt, completion, total;

  if (usage[0] == 0) {
    fail_if (gst_structure_has_field (result, "usage"));
    return;
  }
  fail_unless (gst_structure_get (result, "usage", GST_TYPE_STRUCTURE, &s,
          NULL));
  fail_unless (gst_structure_get_int (s, "prompt-tokens", &prompt));
  fail_unless (gst_structure_get_int (s, "completion-tokens", &completion));
  fail_unless (gst_structure_get_int (s, "total-tokens", &total));
  fail_unless_equals_int (prompt, usage[0]);
  fail_unless_equals_int (completion, usage[1]);
  fail_unless_equals_int (total, usage[2]);
  gst_structure_free ((GstStructure *) s);
}

static gboolean
is_answer_fixture (const gchar * name)
{
  return g_str_has_suffix (name, ".json") && !is_error_fixture (name)
      && !g_str_has_prefix (name, "request-")
      && !g_str_equal (name, "expected-deviations.json");
}

static void
check_answer (const AnswerCase * c)
{
  Service service = service_new (openai, c->features);
  gchar *body = fixture_text (c->file);
  GstCvAnalyzeReply reply;

  handle (&service, 200, body, &reply);
  assert_safe_reply (&reply);
  fail_unless_equals_int (reply.kind, c->kind);
  if (c->kind == GST_CV_ANALYZE_REPLY_RESULT) {
    fail_unless_equals_string (gst_structure_get_name (reply.result),
        "cvanalyze-result");
    fail_unless_equals_string (gst_structure_get_string (reply.result,
            "caption"), c->caption);
    fail_unless_equals_string (gst_structure_get_string (reply.result,
            "model"), c->model);
    fail_unless_equals_string (gst_structure_get_string (reply.result, "api"),
        "openai");
    fail_if (gst_structure_has_field (reply.result, "confidence"));
    assert_usage (reply.result, c->usage);
    fail_unless (g_str_has_prefix (gst_structure_get_string (reply.result,
                "request-id"), "chatcmpl-"));
  } else {
    fail_unless_equals_string (reply.code, c->caption);
    fail_unless (strstr (reply.message, c->model) != NULL, "%s: %s", c->file,
        reply.message);
  }
  assert_advice (&reply, c->advice, c->file);
  gst_cv_analyze_reply_clear (&reply);
  g_free (body);
  service_free (&service);
}

/* Every answer fixture parses to its caption, model and usage, never the
 * reasoning; refusals and cut-off answers fail with what to do. The
 * fixture directory has no answer this table lacks. */
GST_START_TEST (test_answer_fixtures)
{
  const gchar *tested[G_N_ELEMENTS (answer_cases) + 1] = { NULL, };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (answer_cases); i++) {
    check_answer (&answer_cases[i]);
    tested[i] = answer_cases[i].file;
  }
  assert_fixtures_tested (is_answer_fixture, tested);
}

GST_END_TEST;

static GstStructure *
result_for (Service * service, const gchar * body)
{
  GstCvAnalyzeReply reply;
  GstStructure *result;

  handle (service, 200, body, &reply);
  assert_safe_reply (&reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_RESULT);
  result = g_steal_pointer (&reply.result);
  gst_cv_analyze_reply_clear (&reply);
  return result;
}

static gchar *
tags_string (const GstStructure * result)
{
  const GValue *tags = gst_structure_get_value (result, "tags");

  return tags ? gst_value_serialize (tags) : g_strdup ("none");
}

/* The model's JSON gives caption, tags and text; fenced JSON too; JSON
 * that is not what was asked for, and plain text, give the caption. */
GST_START_TEST (test_structured_answers)
{
  Service service = service_new (openai, "caption,tags,text");
  GstStructure *result;
  gchar *body, *tags;

  body = fixture_text ("openai-structured-caption.json");
  result = result_for (&service, body);
  tags = tags_string (result);
  fail_unless_equals_string (tags,
      "< (string)grass, (string)sky, (string)boardwalk, (string)outdoor, "
      "(string)cloud >");
  fail_unless_equals_string (gst_structure_get_string (result, "text"), "");
  g_free (tags);
  g_free (body);
  gst_structure_free (result);

  body = answer_with_content ("\"```json\\n{\\\"caption\\\":\\\"a sign\\\","
      "\\\"tags\\\":[\\\"sign\\\"],\\\"text\\\":\\\"EXIT\\\"}\\n```\"", "stop");
  result = result_for (&service, body);
  fail_unless_equals_string (gst_structure_get_string (result, "caption"),
      "a sign");
  fail_unless_equals_string (gst_structure_get_string (result, "text"),
      "EXIT");
  g_free (body);
  gst_structure_free (result);

  /* tags of the wrong type: not the JSON asked for */
  body = answer_with_content ("\"{\\\"caption\\\":\\\"x\\\",\\\"tags\\\":5}\"",
      "stop");
  result = result_for (&service, body);
  fail_unless_equals_string (gst_structure_get_string (result, "caption"),
      "{\"caption\":\"x\",\"tags\":5}");
  fail_if (gst_structure_has_field (result, "tags"));
  g_free (body);
  gst_structure_free (result);

  body = answer_with_content ("\"  A dog on a beach.\\n\"", "stop");
  result = result_for (&service, body);
  fail_unless_equals_string (gst_structure_get_string (result, "caption"),
      "A dog on a beach.");
  fail_unless_equals_string (gst_structure_get_string (result, "model"), "m");
  fail_if (gst_structure_has_field (result, "usage"));
  g_free (body);
  gst_structure_free (result);
  service_free (&service);
}

GST_END_TEST;

/* null and absent are alike: vLLM's nulls and a bare minimum answer both
 * parse; only <think> without its end (all thoughts) counts as empty. */
GST_START_TEST (test_nulls_and_thoughts)
{
  Service service = service_new (openai, NULL);
  GstStructure *result;
  GstCvAnalyzeReply reply;
  gchar *body;

  result = result_for (&service, "{\"model\":null,\"usage\":null,\"choices\":"
      "[{\"message\":{\"content\":\"a\",\"refusal\":null,\"reasoning\":null},"
      "\"finish_reason\":null,\"logprobs\":null}]}");
  fail_unless_equals_string (gst_structure_get_string (result, "caption"),
      "a");
  fail_unless_equals_string (gst_structure_get_string (result, "model"),
      "qwen2.5vl:3b");
  gst_structure_free (result);

  body = answer_with_content ("\"<think>one</think> x <think>two</think>"
      " The caption.\"", "stop");
  result = result_for (&service, body);
  fail_unless_equals_string (gst_structure_get_string (result, "caption"),
      "The caption.");
  g_free (body);
  gst_structure_free (result);

  body = answer_with_content ("\"<think>still thinking\"", "length");
  handle (&service, 200, body, &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_FAILED);
  fail_unless_equals_string (reply.code, "length");
  gst_cv_analyze_reply_clear (&reply);
  g_free (body);

  body = answer_with_content ("\"\"", "stop");
  handle (&service, 200, body, &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_FAILED);
  fail_unless_equals_string (reply.code, "empty");
  gst_cv_analyze_reply_clear (&reply);
  g_free (body);
  service_free (&service);

  /* no max-tokens sent: the server's own limit cut it */
  service = service_new_full (openai, NULL, "m", NULL, NULL, 0);
  body = answer_with_content ("\"\"", "length");
  handle (&service, 200, body, &reply);
  fail_unless_equals_string (reply.code, "length");
  assert_advice (&reply, "the server's own token limit", "max_tokens 0");
  gst_cv_analyze_reply_clear (&reply);
  g_free (body);
  service_free (&service);
}

GST_END_TEST;

/* Azure's filtered output (HTTP 200, finish_reason content_filter) fails
 * naming content filtering; answers that are not chat completions fail
 * with what was wrong. */
GST_START_TEST (test_content_filter_and_broken_answers)
{
  static const gchar *const broken[] = {
    "", "not json", "[]", "{}", "{\"choices\":[]}", "{\"choices\":[5]}",
    "{\"choices\":[{}]}", "{\"choices\":[{\"message\":{\"content\":7}}]}",
    "{\"choices\":[{\"message\":{\"content\":\"a\"}}],\"usage\":"
        "{\"total_tokens\":\"many\"}}",
  };
  Service service = service_new (azure, NULL);
  GstCvAnalyzeReply reply;
  gchar *body;
  guint i;

  body = answer_with_content ("\"\"", "content_filter");
  handle (&service, 200, body, &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_FAILED);
  fail_unless_equals_string (reply.code, "content_filter");
  fail_unless (strstr (reply.message, "content filtering") != NULL);
  gst_cv_analyze_reply_clear (&reply);
  g_free (body);

  for (i = 0; i < G_N_ELEMENTS (broken); i++) {
    handle (&service, 200, broken[i], &reply);
    fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_FAILED);
    fail_unless_equals_string (reply.code, "invalid-answer");
    assert_safe_reply (&reply);
    gst_cv_analyze_reply_clear (&reply);
  }

  /* an error body with status 200 is an error */
  handle (&service, 200, "{\"error\":{\"code\":\"X\",\"message\":\"m\"}}",
      &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_FAILED);
  fail_unless_equals_string (reply.code, "X");
  gst_cv_analyze_reply_clear (&reply);
  service_free (&service);
}

GST_END_TEST;

/* ---- errors ----------------------------------------------------------- */

typedef struct
{
  const gchar *file;
  guint status;
  const GstCvAnalyzeServiceClass **klass;
  const gchar *features;
  GstCvAnalyzeReplyKind kind;
  const gchar *code;            /* FAILED, FATAL */
  const gchar *message;         /* in the message */
  const gchar *advice;          /* in the advice; NULL: no advice */
} ErrorCase;

static const ErrorCase error_cases[] = {
  {"error-azure-openai-400-content-filter.json", 400, &azure, NULL,
        GST_CV_ANALYZE_REPLY_FAILED, "content_filter",
      "content management policy", "content filter"},
  {"error-azure-openai-404-deployment-not-found.json", 404, &azure, NULL,
        GST_CV_ANALYZE_REPLY_FATAL, "DeploymentNotFound",
      "Azure OpenAI has no deployment 'qwen2.5vl:3b'", "deployment name"},
  {"error-azure-openai-429-rate-limit.json", 429, &azure, NULL,
      GST_CV_ANALYZE_REPLY_FAILED, "429", "exceeded token rate limit"},
  {"error-imageanalysis-400-caption-region.json", 400, &azure, NULL,
      GST_CV_ANALYZE_REPLY_FAILED, "InvalidRequest", "not supported"},
  {"error-llamaserver-401-invalid-api-key.json", 401, &openai, NULL,
      GST_CV_ANALYZE_REPLY_FAILED, "401", "Invalid API Key"},
  {"error-llamaserver-500-json-schema-old.json", 500, &openai, "caption,tags",
      GST_CV_ANALYZE_REPLY_RESEND},
  /* without response_format the same body is just a server error */
  {"error-llamaserver-500-json-schema-old.json", 500, &openai, NULL,
      GST_CV_ANALYZE_REPLY_FAILED, "500", "json_schema"},
  {"error-llamaserver-500-no-mmproj.json", 500, &openai, "caption,tags",
      GST_CV_ANALYZE_REPLY_FAILED, "500", "image input is not supported",
      "--mmproj"},
  {"error-llamaserver-503-loading-model.json", 503, &openai, NULL,
      GST_CV_ANALYZE_REPLY_FAILED, "503", "Loading model"},
  {"error-lmstudio-400-response-format.json", 400, &openai, "text",
      GST_CV_ANALYZE_REPLY_RESEND},
  {"error-lmstudio-404-model-not-found.json", 404, &openai, NULL,
        GST_CV_ANALYZE_REPLY_FATAL, "model_not_found",
        "the OpenAI-compatible server has no model 'qwen2.5vl:3b'",
      "/models"},
  {"error-ollama-503-queue-full.json", 503, &openai, NULL,
      GST_CV_ANALYZE_REPLY_FAILED, "503", "server busy"},
  {"error-ollama-native-404-model-not-found-pre-0.12.json", 404, &openai,
        NULL, GST_CV_ANALYZE_REPLY_FATAL, "404",
      "Ollama has no model 'qwen2.5vl:3b'", "ollama pull qwen2.5vl:3b"},
  {"error-ollama-native-404-model-not-found.json", 404, &openai, NULL,
        GST_CV_ANALYZE_REPLY_FATAL, "404", "Ollama has no model",
      "ollama pull qwen2.5vl:3b"},
  {"error-ollama-v1-404-model-not-found-pre-0.12.json", 404, &openai, NULL,
        GST_CV_ANALYZE_REPLY_FATAL, "api_error", "try pulling it first",
      "ollama pull qwen2.5vl:3b"},
  {"error-ollama-v1-404-model-not-found.json", 404, &openai, NULL,
        GST_CV_ANALYZE_REPLY_FATAL, "not_found_error",
      "model 'qwen2.5:7b' not found", "ollama pull qwen2.5vl:3b"},
  {"error-openai-400-json-schema-unsupported.json", 400, &azure,
      "caption,text", GST_CV_ANALYZE_REPLY_RESEND},
  {"error-openai-400-max-tokens-unsupported.json", 400, &openai, NULL,
      GST_CV_ANALYZE_REPLY_RESEND},
  {"error-openai-401-invalid-api-key.json", 401, &openai, NULL,
      GST_CV_ANALYZE_REPLY_FAILED, "invalid_api_key", "sk-*****"},
  {"error-openai-429-insufficient-quota.json", 429, &openai, NULL,
      GST_CV_ANALYZE_REPLY_FAILED, "insufficient_quota", "exceeded your"},
  {"error-openai-429-rate-limit-tokens.json", 429, &openai, NULL,
      GST_CV_ANALYZE_REPLY_FAILED, "rate_limit_exceeded", "Rate limit"},
  {"error-vllm-401-unauthorized.json", 401, &openai, NULL,
      GST_CV_ANALYZE_REPLY_FAILED, "401", "Unauthorized"},
  {"error-vllm-404-model-not-found.json", 404, &openai, NULL,
        GST_CV_ANALYZE_REPLY_FATAL, "404",
      "has no model 'qwen2.5vl:3b': The model `gpt-4o` does not exist.",
      "/chat/completions"},
};

static void
check_error (const ErrorCase * c)
{
  Service service = service_new (*c->klass, c->features);
  gchar *body = fixture_text (c->file);
  GstCvAnalyzeReply reply;

  handle (&service, c->status, body, &reply);
  assert_safe_reply (&reply);
  fail_unless_equals_int (reply.kind, c->kind);
  fail_unless (reply.result == NULL);
  if (c->kind == GST_CV_ANALYZE_REPLY_RESEND) {
    fail_unless (reply.code == NULL && reply.message == NULL);
  } else {
    fail_unless_equals_string (reply.code, c->code);
    fail_unless (strstr (reply.message, c->message) != NULL, "%s: %s",
        c->file, reply.message);
    assert_advice (&reply, c->advice, c->file);
  }
  gst_cv_analyze_reply_clear (&reply);
  g_free (body);
  service_free (&service);
}

/* Every error fixture maps to its kind: RESEND for a refused max_tokens or
 * response_format, FATAL (naming model and server, with the fix) for an
 * unknown model or deployment, FAILED with code and message otherwise.
 * The fixture directory has no error body this table lacks. */
GST_START_TEST (test_error_fixtures)
{
  const gchar *tested[G_N_ELEMENTS (error_cases) + 1] = { NULL, };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (error_cases); i++) {
    check_error (&error_cases[i]);
    tested[i] = error_cases[i].file;
  }
  assert_fixtures_tested (is_error_fixture, tested);
}

GST_END_TEST;

/* Errors without a JSON body, or in the old flat vLLM form, still give a
 * code and a message; a 404 that is not about a model says to check the
 * endpoint, with URLs of the service asked for. */
GST_START_TEST (test_other_error_bodies)
{
  Service service = service_new (openai, NULL);
  Service azure_service = service_new (azure, NULL);
  GstCvAnalyzeReply reply;

  handle (&service, 404, "404 page not found", &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_FAILED);
  fail_unless_equals_string (reply.code, "404");
  fail_unless_equals_string (reply.message, "404 page not found");
  fail_unless (strstr (reply.advice, "check endpoint=") != NULL);
  gst_cv_analyze_reply_clear (&reply);
  /* Azure OpenAI's 404 points at Azure's URLs, not OpenAI's or Ollama's. */
  handle (&azure_service, 404, "{\"error\":{\"code\":\"404\","
      "\"message\":\"Resource not found\"}}", &reply);
  fail_unless (strstr (reply.advice, "openai.azure.com")
      && !strstr (reply.advice, "11434"), "%s", reply.advice);
  gst_cv_analyze_reply_clear (&reply);

  handle (&service, 502, "", &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_FAILED);
  fail_unless_equals_string (reply.code, "502");
  fail_unless_equals_string (reply.message,
      "the server sent no error message");
  gst_cv_analyze_reply_clear (&reply);

  handle (&service, 404, "{\"message\":\"The model `x` does not exist.\","
      "\"type\":\"NotFoundError\",\"code\":404}", &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_FATAL);
  fail_unless_equals_string (reply.code, "404");
  gst_cv_analyze_reply_clear (&reply);

  /* only a 404 says the model is not there */
  handle (&service, 400, "{\"error\":\"model 'x' not found\"}", &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_FAILED);
  gst_cv_analyze_reply_clear (&reply);
  service_free (&service);
  service_free (&azure_service);
}

GST_END_TEST;

/* A refused max_tokens switches the run to max_completion_tokens and asks
 * for a resend, once: the same refusal afterwards is a plain failure. */
GST_START_TEST (test_resend_max_tokens_once)
{
  static const gchar *const other_forms[] = {
    "{\"error\":{\"message\":\"Unsupported parameter.\",\"type\":null,"
        "\"param\":\"max_tokens\",\"code\":null}}",
    "{\"error\":{\"message\":\"'max_tokens' is not supported.\","
        "\"code\":\"unsupported_parameter\"}}",
  };
  Service service = service_new (openai, "caption,tags");
  guint i;
  gchar *refusal = fixture_text (MAX_TOKENS_REFUSAL);
  GstCvAnalyzeReply reply;
  JsonNode *body;
  JsonObject *root;

  body = build_body (&service, 1, NULL, NULL);
  fail_unless_equals_int (json_object_get_int_member (json_node_get_object
          (body), "max_tokens"), 300);
  json_node_unref (body);

  handle (&service, 400, refusal, &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_RESEND);
  gst_cv_analyze_reply_clear (&reply);

  body = build_body (&service, 1, NULL, NULL);
  root = json_node_get_object (body);
  fail_if (json_object_has_member (root, "max_tokens"));
  fail_unless_equals_int (json_object_get_int_member (root,
          "max_completion_tokens"), 300);
  /* the other switch is untouched */
  fail_unless (json_object_has_member (root, "response_format"));
  json_node_unref (body);

  handle (&service, 400, refusal, &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_FAILED);
  fail_unless_equals_string (reply.code, "unsupported_parameter");
  gst_cv_analyze_reply_clear (&reply);

  body = build_body (&service, 1, NULL, NULL);
  fail_unless (json_object_has_member (json_node_get_object (body),
          "max_completion_tokens"));
  json_node_unref (body);
  g_free (refusal);
  service_free (&service);

  /* param alone, and code alone with the text naming it, say it too */
  for (i = 0; i < G_N_ELEMENTS (other_forms); i++) {
    service = service_new (azure, NULL);
    handle (&service, 400, other_forms[i], &reply);
    fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_RESEND);
    gst_cv_analyze_reply_clear (&reply);
    service_free (&service);
  }
  /* nothing to switch when no limit is sent */
  service = service_new_full (openai, NULL, "m", NULL, NULL, 0);
  handle (&service, 400, other_forms[0], &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_FAILED);
  gst_cv_analyze_reply_clear (&reply);
  service_free (&service);
}

GST_END_TEST;

/* A refused response_format drops it for the run and asks for a resend,
 * once; the prompt alone still asks for the JSON, and the answer to it
 * (fenced or not) still gives tags. */
GST_START_TEST (test_resend_response_format_once)
{
  static const gchar *const refusals[] = {
    "error-openai-400-json-schema-unsupported.json",
    "error-lmstudio-400-response-format.json",
    "error-llamaserver-500-json-schema-old.json",
  };
  Service service;
  GstCvAnalyzeReply reply;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (refusals); i++) {
    gchar *refusal = fixture_text (refusals[i]);
    guint status = strstr (refusals[i], "-500-") ? 500 : 400;
    GstStructure *result;
    JsonNode *body;
    JsonObject *root;
    gchar *tags;

    service = service_new (openai, "caption,tags");
    handle (&service, status, refusal, &reply);
    fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_RESEND);
    gst_cv_analyze_reply_clear (&reply);

    body = build_body (&service, 1, NULL, NULL);
    root = json_node_get_object (body);
    fail_if (json_object_has_member (root, "response_format"));
    fail_unless_equals_int (json_object_get_int_member (root, "max_tokens"),
        300);
    fail_unless_equals_string (body_prompt (body), PROMPT " Answer with only "
        "a JSON object with \"caption\" (one sentence describing the image), "
        "\"tags\" (up to 10 short lower-case tags).");
    json_node_unref (body);

    handle (&service, status, refusal, &reply);
    fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_FAILED);
    gst_cv_analyze_reply_clear (&reply);

    result = result_for (&service, "{\"choices\":[{\"message\":{\"content\":"
        "\"```json\\n{\\\"caption\\\":\\\"a cat\\\",\\\"tags\\\":[\\\"cat\\\"]}"
        "\\n```\"},\"finish_reason\":\"stop\"}]}");
    tags = tags_string (result);
    fail_unless_equals_string (tags, "< (string)cat >");
    g_free (tags);
    gst_structure_free (result);
    g_free (refusal);
    service_free (&service);
  }

  /* a text that names only json_schema is enough */
  service = service_new (openai, "tags");
  handle (&service, 400, "{\"error\":{\"message\":\"json_schema is not "
      "supported\",\"code\":400}}", &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_RESEND);
  gst_cv_analyze_reply_clear (&reply);
  service_free (&service);
}

GST_END_TEST;

/* ---- hostile strings and keys ----------------------------------------- */

/* Control characters, escapes, bidi overrides, NUL, lone surrogates and
 * line breaks, as JSON string escapes (inside a JSON string literal). */
#define HOSTILE "a \\u001b[2J\\u001b]0;pwned\\u0007 x\\u0000y \\u202eevil " \
    "\\ud800 p\\u0085q r\\u009bs t\\tu\\nv"
/* ... the same one level deeper, inside a JSON string in a JSON string */
#define HOSTILE_NESTED "a \\\\u001b[2J \\\\u0007 x\\\\u0000y \\\\u202eevil " \
    "\\\\ud800 p\\\\u009bq t\\\\nu"

/* What the service sends in captions, structured JSON, refusals and every
 * error family comes out as safe text, capped; a flood of tags is cut to
 * the tag cap. */
GST_START_TEST (test_hostile_strings)
{
  Service service = service_new (openai, "caption,tags,text");
  GstCvAnalyzeReply reply;
  GString *big = g_string_new ("\"");
  gchar *body;
  const gchar *caption;
  guint i;
  const gchar *hostile_errors[] = {
    "{\"error\":\"" HOSTILE "\"}",
    "{\"error\":{\"message\":\"" HOSTILE "\",\"type\":\"" HOSTILE "\","
        "\"param\":null,\"code\":null}}",
    "{\"error\":{\"message\":\"" HOSTILE "\",\"type\":\"t\",\"code\":500}}",
    "{\"error\":{\"code\":\"" HOSTILE "\",\"message\":\"" HOSTILE "\","
        "\"innererror\":{\"code\":\"" HOSTILE "\"}}}",
  };

  body = answer_with_content ("\"" HOSTILE "\"", "stop");
  handle (&service, 200, body, &reply);
  assert_safe_reply (&reply);
  caption = gst_structure_get_string (reply.result, "caption");
  fail_unless (strstr (caption, "pwned") && !strchr (caption, '\x1b'));
  gst_cv_analyze_reply_clear (&reply);
  g_free (body);

  body = answer_with_content ("\"{\\\"caption\\\":\\\"" HOSTILE_NESTED "\\\","
      "\\\"tags\\\":[\\\"" HOSTILE_NESTED "\\\"],\\\"text\\\":\\\""
      HOSTILE_NESTED "\\\"}\"", "stop");
  handle (&service, 200, body, &reply);
  assert_safe_reply (&reply);
  fail_unless (gst_structure_has_field (reply.result, "tags"));
  fail_unless (strstr (gst_structure_get_string (reply.result, "text"),
          "evil") != NULL);
  gst_cv_analyze_reply_clear (&reply);
  g_free (body);

  body = g_strdup_printf ("{\"choices\":[{\"message\":{\"content\":null,"
      "\"refusal\":\"%s\"},\"finish_reason\":\"stop\"}],\"model\":\"%s\"}",
      HOSTILE, HOSTILE);
  handle (&service, 200, body, &reply);
  assert_safe_reply (&reply);
  fail_unless_equals_string (reply.code, "refusal");
  gst_cv_analyze_reply_clear (&reply);
  g_free (body);

  for (i = 0; i < G_N_ELEMENTS (hostile_errors); i++) {
    handle (&service, 404, hostile_errors[i], &reply);
    assert_safe_reply (&reply);
    fail_unless (strstr (reply.message, "pwned") != NULL, "%s",
        reply.message);
    gst_cv_analyze_reply_clear (&reply);
  }

  /* 100000 characters of caption, 5000 tags */
  for (i = 0; i < 100000 / 10; i++)
    g_string_append (big, "long words");
  g_string_append (big, "\"");
  body = answer_with_content (big->str, "stop");
  handle (&service, 200, body, &reply);
  assert_safe_reply (&reply);
  fail_unless_equals_int (g_utf8_strlen (gst_structure_get_string
          (reply.result, "caption"), -1), GST_CV_ANALYZE_MAX_CAPTION_CHARS);
  gst_cv_analyze_reply_clear (&reply);
  g_free (body);

  g_string_assign (big, "\"{\\\"tags\\\":[");
  for (i = 0; i < 5000; i++)
    g_string_append_printf (big, "%s\\\"t%u\\\"", i ? "," : "", i);
  g_string_append (big, "]}\"");
  body = answer_with_content (big->str, "stop");
  handle (&service, 200, body, &reply);
  assert_safe_reply (&reply);
  fail_unless_equals_int (gst_value_array_get_size (gst_structure_get_value
          (reply.result, "tags")), GST_CV_ANALYZE_MAX_TAGS);
  gst_cv_analyze_reply_clear (&reply);
  g_free (body);

  g_string_free (big, TRUE);
  service_free (&service);
}

GST_END_TEST;

#define KEY "sk-proj-cvanalyzeTESTKEY_0123456789"

/* The service never sees the key: with the key variables set, no URL or
 * body holds it, and a server that echoes a key has it masked. */
GST_START_TEST (test_no_key_material)
{
  const GstCvAnalyzeServiceClass *classes[] = { openai, azure };
  GstCvAnalyzeReply reply;
  guint i;

  g_setenv ("OPENAI_API_KEY", KEY, TRUE);
  g_setenv ("AZURE_OPENAI_API_KEY", KEY, TRUE);
  for (i = 0; i < G_N_ELEMENTS (classes); i++) {
    Service service = service_new (classes[i], "caption,tags,text");
    GstCvAnalyzeHttpRequest *request;
    JsonNode *body = build_body (&service, 2, &request, NULL);
    gchar *text = json_to_string (body, FALSE);
    gchar *error = fixture_text ("error-openai-401-invalid-api-key.json");

    fail_if (strstr (request->url, "TESTKEY") != NULL);
    fail_if (strstr (text, "TESTKEY") != NULL);
    handle (&service, 401, error, &reply);
    fail_if (strstr (reply.message, "VKMIs") || strstr (reply.message, "wjh3"),
        "%s", reply.message);
    gst_cv_analyze_reply_clear (&reply);
    handle (&service, 401, "{\"error\":{\"message\":\"Incorrect API key "
        "provided: " KEY ". You can find...\",\"code\":\"invalid_api_key\"}}",
        &reply);
    fail_if (strstr (reply.message, "TESTKEY") != NULL, "%s", reply.message);
    fail_unless (strstr (reply.message, "provided: sk-*") != NULL);
    gst_cv_analyze_reply_clear (&reply);
    /* words that merely contain sk- are left alone */
    handle (&service, 500, "{\"error\":\"desk-lamp sk-\"}", &reply);
    fail_unless_equals_string (reply.message, "desk-lamp sk-");
    gst_cv_analyze_reply_clear (&reply);
    g_free (error);
    g_free (text);
    json_node_unref (body);
    gst_cv_analyze_http_request_free (request);
    service_free (&service);
  }
  g_unsetenv ("OPENAI_API_KEY");
  g_unsetenv ("AZURE_OPENAI_API_KEY");
}

GST_END_TEST;

static Suite *
chat_suite (void)
{
  Suite *s = suite_create ("chat");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_url_rules);
  tcase_add_test (tc, test_azure_deployment_url);
  tcase_add_test (tc, test_create_errors);
  tcase_add_test (tc, test_class_fields);
  tcase_add_test (tc, test_request_one_image);
  tcase_add_test (tc, test_request_three_images);
  tcase_add_test (tc, test_request_detail_and_max_tokens);
  tcase_add_test (tc, test_response_format_only_for_tags_text);
  tcase_add_test (tc, test_requests_follow_openai_schema);
  tcase_add_test (tc, test_answer_fixtures);
  tcase_add_test (tc, test_structured_answers);
  tcase_add_test (tc, test_nulls_and_thoughts);
  tcase_add_test (tc, test_content_filter_and_broken_answers);
  tcase_add_test (tc, test_error_fixtures);
  tcase_add_test (tc, test_other_error_bodies);
  tcase_add_test (tc, test_resend_max_tokens_once);
  tcase_add_test (tc, test_resend_response_format_once);
  tcase_add_test (tc, test_hostile_strings);
  tcase_add_test (tc, test_no_key_material);
  return s;
}

GST_CHECK_MAIN (chat);
