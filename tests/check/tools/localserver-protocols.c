/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * Tests of the local server's Image Analysis 4.0 and chat-completions
 * routes (OpenAI's family and Azure OpenAI's), run in-process on
 * 127.0.0.1 and driven by a synchronous libsoup 3 client with JPEGs of
 * known colours. Exact error bodies are compared with the real services'
 * in tests/fixtures/chat-completions/.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "cvlocalserver.h"
#include "cvcolouranalysis.h"
#include "cvhostile.h"
#include "localservertest.h"

#define KEY "s3cret-k3y"
#define IA_PATH "/computervision/imageanalysis:analyze?api-version=2023-10-01"
#define CHAT_PATH "/v1/chat/completions"
#define AZURE_V1_PATH "/openai/v1/chat/completions"
#define AZURE_PATH "/openai/deployments/" CV_LOCAL_SERVER_DEFAULT_MODEL \
  "/chat/completions?api-version=2024-10-21"
#define OCTETS "application/octet-stream"
#define JSON_TYPE "application/json"
#define PROMPT "Describe this frame in a few words."
#define PROMPT_WORDS 7
#define IMAGE_TOKENS 85
/* make_jpeg (160, 120, RED, BLUE): a red frame around a blue centre. */
#define RED_BLUE_CAPTION "a mostly red image with blue"

/* The checked fixture: a server and a session for each test, and the last
 * message sent, for reply_header(). */
static CvLocalServer *server;
static SoupSession *session;
static SoupMessage *last_msg;

static void
start (const gchar * key)
{
  GError *error = NULL;

  g_clear_pointer (&server, cv_local_server_free);
  server = cv_local_server_new (key, &error);
  fail_unless (server != NULL, "server did not start: %s",
      error ? error->message : "?");
}

static void
setup (void)
{
  start (NULL);
  session = soup_session_new ();
}

static void
teardown (void)
{
  g_clear_object (&last_msg);
  g_clear_object (&session);
  g_clear_pointer (&server, cv_local_server_free);
}

/* A message with @method for @path (and query) on the fixture's server. */
static SoupMessage *
message_new (const gchar * method, const gchar * path)
{
  gchar *base = cv_local_server_get_url (server);
  gchar *url = g_strconcat (base, path + 1, NULL);
  SoupMessage *msg = soup_message_new (method, url);

  fail_unless (msg != NULL, "bad URL %s", url);
  g_free (url);
  g_free (base);
  return msg;
}

/* Sends @body as @content_type with @method to @path (and query), with the
 * header @name: @value if @name is set; the message stays in last_msg.
 * Returns the answer's body, NULL (with @error set) on a transport error. */
static GBytes *
send_full (const gchar * method, const gchar * path, const gchar * name,
    const gchar * value, const gchar * content_type, GBytes * body,
    GError ** error)
{
  GBytes *answer;

  g_clear_object (&last_msg);
  last_msg = message_new (method, path);
  if (name != NULL)
    soup_message_headers_replace (soup_message_get_request_headers
        (last_msg), name, value);
  if (body != NULL)
    soup_message_set_request_body_from_bytes (last_msg, content_type, body);
  answer = soup_session_send_and_read (session, last_msg, NULL, error);

  return answer;
}

/* send_full() that must be answered with @status. */
static GBytes *
send_expect (const gchar * path, const gchar * name, const gchar * value,
    const gchar * content_type, GBytes * body, guint status)
{
  GError *error = NULL;
  GBytes *answer = send_full ("POST", path, name, value, content_type, body,
      &error);

  fail_unless (answer != NULL, "request failed: %s",
      error ? error->message : "?");
  fail_unless_equals_int (soup_message_get_status (last_msg), status);
  return answer;
}

static JsonNode *
send_json (const gchar * path, const gchar * name, const gchar * value,
    const gchar * content_type, GBytes * body, guint status)
{
  GBytes *answer = send_expect (path, name, value, content_type, body,
      status);
  JsonNode *root = parse_object (answer);

  g_bytes_unref (answer);
  return root;
}

static const gchar *
reply_header (const gchar * name)
{
  return soup_message_headers_get_one (soup_message_get_response_headers
      (last_msg), name);
}

/* Image Analysis: POSTs @jpeg to IA_PATH + @query. */
static JsonNode *
analyse (const gchar * query, GBytes * jpeg, guint status)
{
  gchar *path = g_strconcat (IA_PATH, query, NULL);
  JsonNode *root = send_json (path, NULL, NULL, OCTETS, jpeg, status);

  g_free (path);
  return root;
}

/* A chat request asking @model (none if NULL) about @jpegs, in one user
 * message after PROMPT, with @extra members (a JSON text without braces)
 * if set. */
static GBytes *
chat_request_full (const gchar * model, GBytes * const *jpegs, guint n,
    const gchar * extra)
{
  GString *s = g_string_new ("{");
  guint i;

  if (model != NULL)
    g_string_append_printf (s, "\"model\":\"%s\",", model);
  g_string_append (s, "\"messages\":[{\"role\":\"user\",\"content\":["
      "{\"type\":\"text\",\"text\":\"" PROMPT "\"}");
  for (i = 0; i < n; i++) {
    gsize size;
    gconstpointer data = g_bytes_get_data (jpegs[i], &size);
    gchar *b64 = g_base64_encode (data, size);

    g_string_append_printf (s, ",{\"type\":\"image_url\",\"image_url\":"
        "{\"url\":\"data:image/jpeg;base64,%s\",\"detail\":\"low\"}}", b64);
    g_free (b64);
  }
  g_string_append (s, "]}]");
  if (extra != NULL)
    g_string_append_printf (s, ",%s", extra);
  g_string_append_c (s, '}');
  return g_string_free_to_bytes (s);
}

/* A request for the default model about @jpeg. */
static GBytes *
chat_request (GBytes * jpeg, const gchar * extra)
{
  return chat_request_full (CV_LOCAL_SERVER_DEFAULT_MODEL, &jpeg, 1, extra);
}

static JsonNode *
chat (const gchar * path, GBytes * request, guint status)
{
  return send_json (path, NULL, NULL, JSON_TYPE, request, status);
}

/* chat() of chat_request() to CHAT_PATH; takes nothing. */
static JsonNode *
chat_about (GBytes * jpeg, const gchar * extra, guint status)
{
  GBytes *request = chat_request (jpeg, extra);
  JsonNode *root = chat (CHAT_PATH, request, status);

  g_bytes_unref (request);
  return root;
}

static guint
count_words (const gchar * text)
{
  gchar **words = g_strsplit_set (text, " \t\n", -1);
  guint i, n = 0;

  for (i = 0; words[i] != NULL; i++)
    n += *words[i] != '\0';
  g_strfreev (words);
  return n;
}

static gboolean
holds_null (JsonObject * o, const gchar * name)
{
  return json_object_has_member (o, name)
      && JSON_NODE_HOLDS_NULL (json_object_get_member (o, name));
}

static gboolean
holds_int (JsonObject * o, const gchar * name)
{
  JsonNode *node = json_object_get_member (o, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_INT64;
}

static JsonObject *
first_message (JsonNode * root)
{
  JsonArray *choices = json_object_get_array_member (json_node_get_object
      (root), "choices");

  return json_object_get_object_member (json_array_get_object_element
      (choices, 0), "message");
}

/* Asserts @root is a chat.completion in OpenAI's shape (every member the
 * schema requires, of its type) for @model, ending with @finish_reason,
 * with @prompt_tokens and one completion token per word; returns the
 * content. */
static const gchar *
completion_content (JsonNode * root, const gchar * model,
    const gchar * finish_reason, gint64 prompt_tokens)
{
  JsonObject *o = json_node_get_object (root), *choice, *message, *usage;
  JsonArray *choices;
  const gchar *content;

  fail_unless (g_str_has_prefix (json_object_get_string_member (o, "id"),
          "chatcmpl-"));
  fail_unless_equals_string (json_object_get_string_member (o, "object"),
      "chat.completion");
  fail_unless (holds_int (o, "created"));
  fail_unless (json_object_get_int_member (o, "created") > 1700000000);
  fail_unless_equals_string (json_object_get_string_member (o, "model"),
      model);
  choices = json_object_get_array_member (o, "choices");
  fail_unless_equals_int (json_array_get_length (choices), 1);
  choice = json_array_get_object_element (choices, 0);
  fail_unless (holds_int (choice, "index"));
  fail_unless_equals_int (json_object_get_int_member (choice, "index"), 0);
  fail_unless (holds_null (choice, "logprobs"));
  fail_unless_equals_string (json_object_get_string_member (choice,
          "finish_reason"), finish_reason);
  message = json_object_get_object_member (choice, "message");
  fail_unless_equals_string (json_object_get_string_member (message, "role"),
      "assistant");
  fail_unless (holds_null (message, "refusal"));
  fail_unless_equals_int (json_array_get_length (json_object_get_array_member
          (message, "annotations")), 0);
  content = json_object_get_string_member (message, "content");
  fail_unless (content != NULL);

  usage = json_object_get_object_member (o, "usage");
  fail_unless (holds_int (usage, "prompt_tokens"));
  fail_unless_equals_int64 (json_object_get_int_member (usage,
          "prompt_tokens"), prompt_tokens);
  fail_unless_equals_int64 (json_object_get_int_member (usage,
          "completion_tokens"), count_words (content));
  fail_unless_equals_int64 (json_object_get_int_member (usage,
          "total_tokens"), prompt_tokens + count_words (content));
  return content;
}

/* The content of a one-image answer for the default model. */
static const gchar *
content_of (JsonNode * root, const gchar * finish_reason)
{
  return completion_content (root, CV_LOCAL_SERVER_DEFAULT_MODEL,
      finish_reason, PROMPT_WORDS + IMAGE_TOKENS);
}

/* Asserts OpenAI's error shape with these members (%NULL: JSON null);
 * returns the message. */
static const gchar *
assert_openai_error (JsonNode * root, const gchar * type, const gchar * param,
    const gchar * code)
{
  JsonObject *e = json_object_get_object_member (json_node_get_object (root),
      "error");

  fail_unless_equals_int (json_object_get_size (e), 4);
  fail_unless_equals_string (json_object_get_string_member (e, "type"), type);
  if (param != NULL) {
    fail_unless_equals_string (json_object_get_string_member (e, "param"),
        param);
  } else {
    fail_unless (holds_null (e, "param"));
  }
  if (code != NULL) {
    fail_unless_equals_string (json_object_get_string_member (e, "code"),
        code);
  } else {
    fail_unless (holds_null (e, "code"));
  }
  return json_object_get_string_member (e, "message");
}

/* Asserts Azure's shape {"error":{"code","message"[,"innererror"]}} with
 * these codes (@inner_code %NULL: no innererror); returns the message. */
static const gchar *
assert_azure_error (JsonNode * root, const gchar * code,
    const gchar * inner_code)
{
  JsonObject *e = json_object_get_object_member (json_node_get_object (root),
      "error");

  fail_unless_equals_string (json_object_get_string_member (e, "code"), code);
  if (inner_code != NULL) {
    fail_unless_equals_string (json_object_get_string_member
        (json_object_get_object_member (e, "innererror"), "code"),
        inner_code);
  } else {
    fail_if (json_object_has_member (e, "innererror"));
  }
  return json_object_get_string_member (e, "message");
}

/* Asserts @root is the real service's body in the fixture @name. */
static void
assert_fixture (JsonNode * root, const gchar * name)
{
  const gchar *dir = g_getenv ("FIXTURES_DIR");
  gchar *path, *text;
  GBytes *bytes;
  JsonNode *fixture;
  gsize size;

  fail_unless (dir != NULL, "FIXTURES_DIR is not set");
  path = g_build_filename (dir, "..", "chat-completions", name, NULL);
  fail_unless (g_file_get_contents (path, &text, &size, NULL), "%s", path);
  bytes = g_bytes_new_take (text, size);
  fixture = parse_object (bytes);
  fail_unless (json_node_equal (root, fixture), "%s differs from %s",
      json_to_string (root, FALSE), name);
  json_node_unref (fixture);
  g_bytes_unref (bytes);
  g_free (path);
}

static JsonObject *
get_object (JsonObject * o, const gchar * name)
{
  fail_unless (json_object_has_member (o, name), "no member %s", name);
  return json_object_get_object_member (o, name);
}

static JsonArray *
result_values (JsonNode * root, const gchar * name, const gchar * list)
{
  return json_object_get_array_member (get_object (json_node_get_object
          (root), name), list);
}

static void
assert_box (JsonObject * item, gint64 x, gint64 y, gint64 w, gint64 h)
{
  JsonObject *box = get_object (item, "boundingBox");

  fail_unless_equals_int64 (json_object_get_int_member (box, "x"), x);
  fail_unless_equals_int64 (json_object_get_int_member (box, "y"), y);
  fail_unless_equals_int64 (json_object_get_int_member (box, "w"), w);
  fail_unless_equals_int64 (json_object_get_int_member (box, "h"), h);
}

static CvLocalServerRequest *
last_request (void)
{
  guint n = cv_local_server_get_request_count (server);

  fail_unless (n > 0);
  return cv_local_server_get_request (server, n - 1);
}

/* Proves the Image Analysis 4.0 answer of a red frame around a blue
 * centre, member by member: caption and tags name the colours, dense
 * captions are the whole image and its centre, smart crops are centred,
 * people, objects and text are present and empty, metadata and
 * modelVersion say what and who; and the request record holds the route's
 * version, key header and body. */
GST_START_TEST (test_image_analysis_answer)
{
  GBytes *jpeg = make_jpeg (160, 120, RED, BLUE);
  JsonNode *root = analyse ("&features=caption,tags,denseCaptions,smartCrops,"
      "people,objects,read&smartcrops-aspect-ratios=0.9,1.8&language=en",
      jpeg, 200);
  JsonObject *o = json_node_get_object (root), *caption, *item;
  JsonArray *values;
  CvLocalServerRequest *req;

  /* read was asked for: tesseract did that part */
  fail_unless (g_str_has_prefix (json_object_get_string_member (o,
              "modelVersion"), CV_COLOUR_ANALYSIS_MODEL_VERSION
          "+tesseract-"));
  fail_unless_equals_int64 (json_object_get_int_member (get_object (o,
              "metadata"), "width"), 160);
  fail_unless_equals_int64 (json_object_get_int_member (get_object (o,
              "metadata"), "height"), 120);
  caption = get_object (o, "captionResult");
  fail_unless_equals_string (json_object_get_string_member (caption, "text"),
      RED_BLUE_CAPTION);
  fail_unless (json_object_get_double_member (caption, "confidence") > 0.7);

  values = result_values (root, "tagsResult", "values");
  fail_unless_equals_int (json_array_get_length (values), 2);
  fail_unless_equals_string (json_object_get_string_member
      (json_array_get_object_element (values, 0), "name"), "red");
  fail_unless_equals_string (json_object_get_string_member
      (json_array_get_object_element (values, 1), "name"), "blue");

  values = result_values (root, "denseCaptionsResult", "values");
  fail_unless_equals_int (json_array_get_length (values), 2);
  item = json_array_get_object_element (values, 0);
  fail_unless_equals_string (json_object_get_string_member (item, "text"),
      RED_BLUE_CAPTION);
  assert_box (item, 0, 0, 160, 120);
  item = json_array_get_object_element (values, 1);
  fail_unless_equals_string (json_object_get_string_member (item, "text"),
      "a blue area in the centre");
  fail_unless (json_object_get_double_member (item, "confidence") > 0.9);
  assert_box (item, 40, 30, 80, 60);

  values = result_values (root, "smartCropsResult", "values");
  fail_unless_equals_int (json_array_get_length (values), 2);
  item = json_array_get_object_element (values, 0);
  fail_unless (json_object_get_double_member (item, "aspectRatio") == 0.9);
  assert_box (item, 26, 0, 108, 120);
  item = json_array_get_object_element (values, 1);
  fail_unless (json_object_get_double_member (item, "aspectRatio") == 1.8);
  assert_box (item, 0, 15, 160, 89);

  fail_unless_equals_int (json_array_get_length (result_values (root,
              "peopleResult", "values")), 0);
  fail_unless_equals_int (json_array_get_length (result_values (root,
              "objectsResult", "values")), 0);
  fail_unless_equals_int (json_array_get_length (result_values (root,
              "readResult", "blocks")), 0);
  fail_unless (reply_header ("apim-request-id") != NULL);
  json_node_unref (root);

  req = last_request ();
  fail_unless_equals_string (req->method, "POST");
  fail_unless_equals_string (req->path,
      "/computervision/imageanalysis:analyze");
  fail_unless_equals_string (req->api_version, "2023-10-01");
  fail_unless_equals_string (g_hash_table_lookup (req->query_params,
          "smartcrops-aspect-ratios"), "0.9,1.8");
  fail_unless_equals_string (req->content_type, OCTETS);
  fail_unless (req->auth_header == NULL);
  fail_unless (g_bytes_equal (req->body, jpeg));
  cv_local_server_request_free (req);

  /* Only what is asked for; the other version; the image's own ratio. */
  root = analyse ("&features=smartCrops", jpeg, 200);
  o = json_node_get_object (root);
  fail_if (json_object_has_member (o, "captionResult"));
  fail_if (json_object_has_member (o, "tagsResult"));
  item = json_array_get_object_element (result_values (root,
          "smartCropsResult", "values"), 0);
  fail_unless (json_object_get_double_member (item, "aspectRatio") == 1.33);
  assert_box (item, 0, 0, 160, 120);
  json_node_unref (root);
  root = send_json ("/computervision/imageanalysis:analyze?api-version="
      "2024-02-01&features=Caption", NULL, NULL, OCTETS, jpeg, 200);
  fail_unless_equals_string (json_object_get_string_member (get_object
          (json_node_get_object (root), "captionResult"), "text"),
      RED_BLUE_CAPTION);
  json_node_unref (root);

  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* An Image Analysis 400 "InvalidRequest" for @query and @body with
 * @inner_code (%NULL: none); returns the message (owned by the caller). */
static gchar *
analyse_invalid (const gchar * query, GBytes * body, const gchar * inner_code)
{
  JsonNode *root = analyse (query, body, 400);
  gchar *message = g_strdup (assert_azure_error (root, "InvalidRequest",
          inner_code));

  json_node_unref (root);
  return message;
}

static void
expect_message (gchar * message, const gchar * expected)
{
  fail_unless_equals_string (message, expected);
  g_free (message);
}

/* Proves Image Analysis 4.0's refusals with its codes and texts: an unknown
 * or no feature, a caption in another language, an aspect ratio out of
 * range, a body that is not image bytes, empty, over 20 MiB, under 50 or
 * over 16000 pixels a side (50 itself passes), not a JPEG; an unknown or
 * missing api-version gets the gateway's 404, a GET its 405. */
GST_START_TEST (test_image_analysis_errors)
{
  GBytes *ok = make_solid_jpeg (64, 64, RED);
  GBytes *edge = make_solid_jpeg (50, 50, RED);
  GBytes *small = make_solid_jpeg (49, 64, RED);
  GBytes *wide = make_solid_jpeg (16001, 64, RED);
  GBytes *empty = g_bytes_new_static ("", 0);
  GBytes *not_jpeg = g_bytes_new_static ("GIF89a not really", 17);
  GBytes *big = g_bytes_new_take (g_malloc0 (20 * MIB + 1), 20 * MIB + 1);
  const gchar *size_message = "The image size is not allowed to be zero or "
      "larger than 20971520 bytes.";
  const gchar *dimension_message = "The image dimension is not allowed to "
      "be smaller than 50 and larger than 16000.";
  GError *error = NULL;
  JsonNode *root;
  GBytes *answer;

  expect_message (analyse_invalid ("&features=tags,telepathy", ok,
          "NotSupportedVisualFeature"), "Analyze query is invalid.");
  expect_message (analyse_invalid ("", ok, NULL), "Either 'features' or "
      "'model-name' needs to be specified in the query parameter.");
  expect_message (analyse_invalid ("&features=", ok, NULL), "Either "
      "'features' or 'model-name' needs to be specified in the query "
      "parameter.");
  g_free (analyse_invalid ("&features=caption&language=fr", ok,
          "NotSupportedLanguage"));
  json_node_unref (analyse ("&features=tags&language=fr", ok, 200));
  g_free (analyse_invalid ("&features=smartCrops&smartcrops-aspect-ratios="
          "2.5", ok, "BadArgument"));
  g_free (analyse_invalid ("&features=smartCrops&smartcrops-aspect-ratios="
          "wide", ok, "BadArgument"));

  root = send_json (IA_PATH "&features=tags", NULL, NULL, JSON_TYPE, ok, 400);
  assert_azure_error (root, "InvalidRequest", NULL);
  json_node_unref (root);

  expect_message (analyse_invalid ("&features=tags", empty, NULL),
      size_message);
  expect_message (analyse_invalid ("&features=tags", big, NULL),
      size_message);
  expect_message (analyse_invalid ("&features=tags", small, NULL),
      dimension_message);
  expect_message (analyse_invalid ("&features=tags", wide, NULL),
      dimension_message);
  json_node_unref (analyse ("&features=tags", edge, 200));
  expect_message (analyse_invalid ("&features=tags", not_jpeg,
          "InvalidImageFormat"), "Image format is not valid.");

  root = send_json ("/computervision/imageanalysis:analyze?api-version="
      "2024-02-01-preview&features=tags", NULL, NULL, OCTETS, ok, 404);
  expect_message (g_strdup (assert_azure_error (root, "404", NULL)),
      "Resource not found");
  json_node_unref (root);
  root = send_json ("/computervision/imageanalysis:analyze?features=tags",
      NULL, NULL, OCTETS, ok, 404);
  assert_azure_error (root, "404", NULL);
  json_node_unref (root);

  answer = send_full ("GET", IA_PATH "&features=tags", NULL, NULL, NULL,
      NULL, &error);
  fail_unless (answer != NULL);
  fail_unless_equals_int (soup_message_get_status (last_msg), 405);
  fail_unless_equals_string (reply_header ("Allow"), "POST");
  g_bytes_unref (answer);

  g_bytes_unref (ok);
  g_bytes_unref (edge);
  g_bytes_unref (small);
  g_bytes_unref (wide);
  g_bytes_unref (empty);
  g_bytes_unref (not_jpeg);
  g_bytes_unref (big);
}

GST_END_TEST;

/* Proves NO_CAPTION_REGION: caption and denseCaptions get exactly the
 * documented 400 (tests/fixtures/.../error-imageanalysis-400-caption-
 * region.json), while tags still answer. */
GST_START_TEST (test_image_analysis_no_caption_region)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, GREEN);
  JsonNode *root;

  cv_local_server_set_quirks (server, CV_LOCAL_SERVER_QUIRK_NO_CAPTION_REGION);
  root = analyse ("&features=caption", jpeg, 400);
  assert_fixture (root, "error-imageanalysis-400-caption-region.json");
  json_node_unref (root);
  root = analyse ("&features=tags,denseCaptions", jpeg, 400);
  assert_fixture (root, "error-imageanalysis-400-caption-region.json");
  json_node_unref (root);
  root = analyse ("&features=tags", jpeg, 200);
  fail_unless_equals_string (json_object_get_string_member
      (json_array_get_object_element (result_values (root, "tagsResult",
                  "values"), 0), "name"), "green");
  json_node_unref (root);

  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves the chat answer: a chat.completion in OpenAI's shape whose
 * content is the caption of the LAST image (red, then red-and-blue), with
 * words as tokens (the prompt's words plus 85 per image), the request id
 * header, and the request recorded as sent. */
GST_START_TEST (test_chat_answer)
{
  GBytes *jpegs[2] = { make_solid_jpeg (64, 64, RED),
    make_jpeg (160, 120, RED, BLUE)
  };
  GBytes *request = chat_request_full (CV_LOCAL_SERVER_DEFAULT_MODEL, jpegs,
      2, NULL);
  JsonNode *root = chat (CHAT_PATH, request, 200);
  CvLocalServerRequest *req;

  fail_unless_equals_string (completion_content (root,
          CV_LOCAL_SERVER_DEFAULT_MODEL, "stop",
          PROMPT_WORDS + 2 * IMAGE_TOKENS), RED_BLUE_CAPTION);
  fail_unless_equals_string (json_object_get_string_member
      (json_node_get_object (root), "system_fingerprint"),
      CV_COLOUR_ANALYSIS_MODEL_VERSION);
  fail_if (json_object_has_member (first_message (root),
          "reasoning_content"));
  fail_unless (reply_header ("x-request-id") != NULL);
  json_node_unref (root);

  req = last_request ();
  fail_unless_equals_string (req->path, CHAT_PATH);
  fail_unless (req->query == NULL);
  fail_unless (req->api_version == NULL);
  fail_unless_equals_string (req->content_type, JSON_TYPE);
  fail_unless (req->auth_header == NULL);
  fail_unless (!req->has_key && req->key_matches);
  fail_unless (g_bytes_equal (req->body, request));
  cv_local_server_request_free (req);

  root = chat_about (jpegs[0], NULL, 200);
  fail_unless_equals_string (content_of (root, "stop"), "a plain red image");
  json_node_unref (root);

  g_bytes_unref (request);
  g_bytes_unref (jpegs[0]);
  g_bytes_unref (jpegs[1]);
}

GST_END_TEST;

/* Proves Azure OpenAI's two routes answer as OpenAI's does: v1 with the
 * model in the body, classic with the deployment in the path (the body's
 * model not needed) and api-version recorded; classic without api-version
 * gets the gateway's 404, v1 with a dated one Azure's 400. */
GST_START_TEST (test_chat_azure_routes)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, BLUE);
  GBytes *request = chat_request (jpeg, NULL);
  GBytes *no_model = chat_request_full (NULL, &jpeg, 1, NULL);
  CvLocalServerRequest *req;
  JsonNode *root;

  root = chat (AZURE_V1_PATH, request, 200);
  fail_unless_equals_string (content_of (root, "stop"), "a plain blue image");
  json_node_unref (root);

  root = chat (AZURE_PATH, no_model, 200);
  fail_unless_equals_string (content_of (root, "stop"), "a plain blue image");
  json_node_unref (root);
  req = last_request ();
  fail_unless_equals_string (req->path, "/openai/deployments/"
      CV_LOCAL_SERVER_DEFAULT_MODEL "/chat/completions");
  fail_unless_equals_string (req->api_version, "2024-10-21");
  fail_unless_equals_string (g_hash_table_lookup (req->query_params,
          "api-version"), "2024-10-21");
  cv_local_server_request_free (req);

  root = chat ("/openai/deployments/" CV_LOCAL_SERVER_DEFAULT_MODEL
      "/chat/completions", request, 404);
  assert_azure_error (root, "404", NULL);
  json_node_unref (root);
  root = chat (AZURE_V1_PATH "?api-version=2024-10-21", request, 400);
  fail_unless_equals_string (assert_azure_error (root, "BadRequest", NULL),
      "API version not supported");
  json_node_unref (root);
  json_node_unref (chat (AZURE_V1_PATH "?api-version=preview", request, 200));

  /* A model is needed where the path names none. */
  root = chat (CHAT_PATH, no_model, 400);
  fail_unless_equals_string (assert_openai_error (root,
          "invalid_request_error", NULL, NULL),
      "you must provide a model parameter");
  json_node_unref (root);

  g_bytes_unref (no_model);
  g_bytes_unref (request);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Asserts what the last request's record says about its key. */
static void
assert_key_record (const gchar * header, gboolean has_key,
    gboolean key_matches)
{
  CvLocalServerRequest *req = last_request ();

  fail_unless_equals_string (req->auth_header, header);
  fail_unless_equals_int (!!req->has_key, !!has_key);
  fail_unless_equals_int (!!req->key_matches, !!key_matches);
  cv_local_server_request_free (req);
}

/* Sends @request to @path with @name: @value, expecting @status; asserts
 * the answer never quotes the key sent. */
static JsonNode *
chat_with_key (const gchar * path, const gchar * name, const gchar * value,
    GBytes * request, guint status)
{
  GBytes *answer = send_expect (path, name, value, JSON_TYPE, request,
      status);
  gchar *text = body_text (answer);
  JsonNode *root;

  fail_unless (strstr (text, KEY) == NULL, "the answer quotes the key");
  root = parse_object (answer);
  g_free (text);
  g_bytes_unref (answer);
  return root;
}

/* Proves each family's authentication: OpenAI's route wants
 * "Authorization: Bearer KEY" and answers OpenAI's 401s (no key, wrong
 * key, the wrong family's header), Azure's routes want "api-key" and
 * answer the gateway's 401, and Azure's v1 route also takes the key as
 * "Authorization: Bearer KEY", as OpenAI's own client sends it there
 * (tests/sdk); the record names the header sent and whether it matched,
 * never the key. */
GST_START_TEST (test_chat_keys)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  GBytes *request = chat_request (jpeg, NULL);
  const gchar *paths[] = { AZURE_V1_PATH, AZURE_PATH };
  JsonNode *root;
  guint i;

  start (KEY);

  root = chat_with_key (CHAT_PATH, NULL, NULL, request, 401);
  fail_unless (g_str_has_prefix (assert_openai_error (root,
              "invalid_request_error", NULL, NULL),
          "You didn't provide an API key."));
  json_node_unref (root);
  assert_key_record (NULL, FALSE, FALSE);

  root = chat_with_key (CHAT_PATH, "Authorization", "Bearer not-" KEY,
      request, 401);
  assert_openai_error (root, "invalid_request_error", NULL,
      "invalid_api_key");
  json_node_unref (root);
  assert_key_record ("Authorization", TRUE, FALSE);

  root = chat_with_key (CHAT_PATH, "api-key", KEY, request, 401);
  assert_openai_error (root, "invalid_request_error", NULL, NULL);
  json_node_unref (root);
  assert_key_record ("api-key", FALSE, FALSE);

  root = chat_with_key (CHAT_PATH, "Authorization", "Bearer " KEY, request,
      200);
  content_of (root, "stop");
  json_node_unref (root);
  assert_key_record ("Authorization", TRUE, TRUE);
  json_node_unref (chat_with_key (CHAT_PATH, "Authorization", "bearer " KEY,
          request, 200));

  for (i = 0; i < G_N_ELEMENTS (paths); i++) {
    const gboolean v1 = strcmp (paths[i], AZURE_V1_PATH) == 0;

    root = chat_with_key (paths[i], "api-key", "not-" KEY, request, 401);
    fail_unless_equals_string (assert_azure_error (root, "401", NULL),
        "Access denied due to invalid subscription key or wrong API "
        "endpoint. Make sure to provide a valid key for an active "
        "subscription and use a correct regional API endpoint for your "
        "resource.");
    json_node_unref (root);
    assert_key_record ("api-key", TRUE, FALSE);

    root = chat_with_key (paths[i], "Authorization", "Bearer not-" KEY,
        request, 401);
    assert_azure_error (root, "401", NULL);
    json_node_unref (root);
    assert_key_record ("Authorization", v1, FALSE);

    if (v1) {
      root = chat_with_key (paths[i], "Authorization", "Bearer " KEY,
          request, 200);
      content_of (root, "stop");
      json_node_unref (root);
      assert_key_record ("Authorization", TRUE, TRUE);
    } else {
      root = chat_with_key (paths[i], "Authorization", "Bearer " KEY,
          request, 401);
      assert_azure_error (root, "401", NULL);
      json_node_unref (root);
      assert_key_record ("Authorization", FALSE, FALSE);
    }

    root = chat_with_key (paths[i], "api-key", KEY, request, 200);
    content_of (root, "stop");
    json_node_unref (root);
    assert_key_record ("api-key", TRUE, TRUE);
  }

  /* Image Analysis, like Computer Vision, wants Ocp-Apim-Subscription-Key. */
  g_bytes_unref (send_expect (IA_PATH "&features=tags", "api-key", KEY,
          OCTETS, jpeg, 401));
  g_bytes_unref (send_expect (IA_PATH "&features=tags",
          "Ocp-Apim-Subscription-Key", KEY, OCTETS, jpeg, 200));
  assert_key_record ("Ocp-Apim-Subscription-Key", TRUE, TRUE);

  g_bytes_unref (request);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves unknown models: OpenAI's route answers exactly Ollama's 404
 * (fixture error-ollama-v1-404-model-not-found.json), Azure's routes
 * exactly DeploymentNotFound (error-azure-openai-404-deployment-not-
 * found.json); set_models() replaces the known names. */
GST_START_TEST (test_chat_unknown_model)
{
  static const gchar *const models[] = { "gpt-4o-mini", "cam-2", NULL };
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  GBytes *request = chat_request_full ("qwen2.5:7b", &jpeg, 1, NULL);
  GBytes *known = chat_request_full ("cam-2", &jpeg, 1, NULL);
  GBytes *old = chat_request (jpeg, NULL);
  JsonNode *root;

  root = chat (CHAT_PATH, request, 404);
  assert_fixture (root, "error-ollama-v1-404-model-not-found.json");
  json_node_unref (root);
  root = chat (AZURE_V1_PATH, request, 404);
  assert_fixture (root, "error-azure-openai-404-deployment-not-found.json");
  json_node_unref (root);
  root = chat ("/openai/deployments/gpt-4o/chat/completions?api-version="
      "2024-10-21", old, 404);
  assert_fixture (root, "error-azure-openai-404-deployment-not-found.json");
  json_node_unref (root);

  cv_local_server_set_models (server, models);
  root = chat (CHAT_PATH, known, 200);
  completion_content (root, "cam-2", "stop", PROMPT_WORDS + IMAGE_TOKENS);
  json_node_unref (root);
  root = chat ("/openai/deployments/gpt-4o-mini/chat/completions?"
      "api-version=2024-10-21", old, 200);
  completion_content (root, "gpt-4o-mini", "stop",
      PROMPT_WORDS + IMAGE_TOKENS);
  json_node_unref (root);
  json_node_unref (chat (CHAT_PATH, old, 404));

  cv_local_server_set_models (server, NULL);
  json_node_unref (chat (CHAT_PATH, old, 200));

  g_bytes_unref (old);
  g_bytes_unref (known);
  g_bytes_unref (request);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* @content parsed as a JSON object. */
static JsonNode *
parse_content (const gchar * content)
{
  GBytes *bytes = g_bytes_new (content, strlen (content));
  JsonNode *object = parse_object (bytes);

  g_bytes_unref (bytes);
  return object;
}

/* The content of a finished one-image answer, parsed as a JSON object. */
static JsonNode *
json_content_of (JsonNode * root)
{
  return parse_content (content_of (root, "stop"));
}

/* The JSON content of an answer to a json_schema request about @jpeg
 * whose schema has @properties and @required (JSON texts). */
static JsonNode *
schema_answer (GBytes * jpeg, const gchar * properties,
    const gchar * required)
{
  gchar *extra = g_strdup_printf ("\"response_format\":{\"type\":"
      "\"json_schema\",\"json_schema\":{\"name\":\"caption\",\"strict\":true,"
      "\"schema\":{\"type\":\"object\",\"properties\":{%s},\"required\":[%s],"
      "\"additionalProperties\":false}}}", properties, required);
  JsonNode *root = chat_about (jpeg, extra, 200);
  JsonNode *content = json_content_of (root);

  json_node_unref (root);
  g_free (extra);
  return content;
}

/* Asserts @content holds exactly @names (NULL-terminated), in order. */
static void
assert_members (JsonNode * content, const gchar * const *names)
{
  GList *members = json_object_get_members (json_node_get_object (content));
  GList *l = members;
  guint i;

  for (i = 0; names[i] != NULL; i++, l = l->next) {
    fail_unless (l != NULL, "no member %s", names[i]);
    fail_unless_equals_string (l->data, names[i]);
  }
  fail_unless (l == NULL, "extra member %s", l ? (gchar *) l->data : "");
  g_list_free (members);
}

/* Proves response_format: json_schema answers a JSON object with exactly
 * the schema's properties among caption (the caption), tags (the colour
 * tags) and text (""), in its order, required ones too, unknown ones
 * left out; json_object answers all three; the real request fixture
 * (request-caption-json-schema.json, a 16x16 JPEG) is taken as it is. */
GST_START_TEST (test_chat_json_schema)
{
  static const gchar *const caption_tags[] = { "caption", "tags", NULL };
  static const gchar *const text_only[] = { "text", NULL };
  static const gchar *const all[] = { "caption", "tags", "text", NULL };
  GBytes *jpeg = make_jpeg (160, 120, RED, BLUE);
  JsonNode *content, *root;
  JsonObject *o;
  JsonArray *tags;
  gchar *path, *text;
  GBytes *fixture;
  gsize size;

  content = schema_answer (jpeg, "\"caption\":{\"type\":\"string\"},"
      "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
      "\"mood\":{\"type\":\"string\"}", "\"caption\",\"tags\"");
  assert_members (content, caption_tags);
  o = json_node_get_object (content);
  fail_unless_equals_string (json_object_get_string_member (o, "caption"),
      RED_BLUE_CAPTION);
  tags = json_object_get_array_member (o, "tags");
  fail_unless_equals_int (json_array_get_length (tags), 2);
  fail_unless_equals_string (json_array_get_string_element (tags, 0), "red");
  fail_unless_equals_string (json_array_get_string_element (tags, 1), "blue");
  json_node_unref (content);

  content = schema_answer (jpeg, "\"text\":{\"type\":\"string\"}", "");
  assert_members (content, text_only);
  fail_unless_equals_string (json_object_get_string_member
      (json_node_get_object (content), "text"), "");
  json_node_unref (content);

  content = schema_answer (jpeg, "", "\"text\"");
  assert_members (content, text_only);
  json_node_unref (content);

  root = chat_about (jpeg, "\"response_format\":{\"type\":\"json_object\"}",
      200);
  content = json_content_of (root);
  assert_members (content, all);
  json_node_unref (content);
  json_node_unref (root);

  path = g_build_filename (g_getenv ("FIXTURES_DIR"), "..",
      "chat-completions", "request-caption-json-schema.json", NULL);
  fail_unless (g_file_get_contents (path, &text, &size, NULL), "%s", path);
  fixture = g_bytes_new_take (text, size);
  cv_local_server_set_models (server, (const gchar *[]) {
      "gpt-4o-mini", NULL});
  root = chat (CHAT_PATH, fixture, 200);
  /* Its prompt has 18 words. */
  content = parse_content (completion_content (root, "gpt-4o-mini", "stop",
          18 + IMAGE_TOKENS));
  assert_members (content, all);
  json_node_unref (content);
  json_node_unref (root);

  g_bytes_unref (fixture);
  g_free (path);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves the token budget: max_tokens and max_completion_tokens cut the
 * content after that many words with finish_reason "length" (0: empty
 * content), max_completion_tokens wins over max_tokens, a budget the
 * answer fits in changes nothing, and a negative or non-integer budget
 * gets OpenAI's 400. */
GST_START_TEST (test_chat_max_tokens)
{
  GBytes *jpeg = make_jpeg (160, 120, RED, BLUE);
  JsonNode *root;

  root = chat_about (jpeg, "\"max_tokens\":2", 200);
  fail_unless_equals_string (content_of (root, "length"), "a mostly");
  json_node_unref (root);
  root = chat_about (jpeg, "\"max_completion_tokens\":0", 200);
  fail_unless_equals_string (content_of (root, "length"), "");
  json_node_unref (root);
  root = chat_about (jpeg, "\"max_tokens\":1,\"max_completion_tokens\":3",
      200);
  fail_unless_equals_string (content_of (root, "length"), "a mostly red");
  json_node_unref (root);
  root = chat_about (jpeg, "\"max_tokens\":6", 200);
  fail_unless_equals_string (content_of (root, "stop"), RED_BLUE_CAPTION);
  json_node_unref (root);
  root = chat_about (jpeg, "\"max_tokens\":null", 200);
  fail_unless_equals_string (content_of (root, "stop"), RED_BLUE_CAPTION);
  json_node_unref (root);

  /* A JSON answer is cut too, into JSON that does not parse. */
  root = chat_about (jpeg, "\"response_format\":{\"type\":\"json_object\"},"
      "\"max_tokens\":1", 200);
  fail_unless_equals_string (content_of (root, "length"), "{\"caption\":\"a");
  json_node_unref (root);

  root = chat_about (jpeg, "\"max_tokens\":-1", 400);
  assert_openai_error (root, "invalid_request_error", "max_tokens",
      "integer_below_min_value");
  json_node_unref (root);
  root = chat_about (jpeg, "\"max_completion_tokens\":\"ten\"", 400);
  fail_unless_equals_string (assert_openai_error (root,
          "invalid_request_error", "max_completion_tokens", "invalid_type"),
      "Invalid type for 'max_completion_tokens': expected an integer, but "
      "got a string instead.");
  json_node_unref (root);

  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* A chat request whose only part is an image at @url. */
static GBytes *
image_url_request (const gchar * url)
{
  gchar *text = g_strdup_printf ("{\"model\":\"" CV_LOCAL_SERVER_DEFAULT_MODEL
      "\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
      "\"image_url\",\"image_url\":{\"url\":\"%s\"}}]}]}", url);

  return g_bytes_new_take (text, strlen (text));
}

/* Asserts @request to CHAT_PATH gets a 400 with OpenAI's invalid request
 * body with @param and @code; returns the message (owned by the caller). */
static gchar *
chat_refused (GBytes * request, const gchar * param, const gchar * code)
{
  JsonNode *root = chat (CHAT_PATH, request, 400);
  gchar *message = g_strdup (assert_openai_error (root,
          "invalid_request_error", param, code));

  json_node_unref (root);
  g_bytes_unref (request);
  return message;
}

static GBytes *
text_request (const gchar * text)
{
  return g_bytes_new (text, strlen (text));
}

/* Proves the request checks of the real servers: not JSON, no or empty
 * messages, a part of an unknown type, an image by http(s) URL or as
 * anything but a base64 data: URL of a JPEG, PNG or WebP (Ollama's rule;
 * the bytes must decode as a JPEG here), no image, an
 * unknown response_format type, a stream. */
GST_START_TEST (test_chat_request_checks)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  gchar *b64 = g_base64_encode (g_bytes_get_data (jpeg, NULL),
      g_bytes_get_size (jpeg));
  gchar *url = g_strconcat ("data:image/png;base64,", b64, NULL);
  gchar *message;
  GBytes *request;
  JsonNode *root;

  message = chat_refused (text_request ("{\"model\":"), NULL, NULL);
  fail_unless (g_str_has_prefix (message, "We could not parse the JSON body "
          "of your request."), "%s", message);
  g_free (message);
  expect_message (chat_refused (text_request ("{\"model\":\""
              CV_LOCAL_SERVER_DEFAULT_MODEL "\"}"), "messages",
          "missing_required_parameter"),
      "Missing required parameter: 'messages'.");
  g_free (chat_refused (text_request ("{\"model\":\""
              CV_LOCAL_SERVER_DEFAULT_MODEL "\",\"messages\":[]}"),
          "messages", "empty_array"));
  g_free (chat_refused (text_request ("{\"model\":\""
              CV_LOCAL_SERVER_DEFAULT_MODEL "\",\"messages\":[{\"role\":"
              "\"user\",\"content\":[{\"type\":\"video\"}]}]}"),
          "messages[0].content[0].type", "invalid_value"));
  expect_message (chat_refused (image_url_request
          ("https://example.com/frame.jpg"), NULL, NULL),
      "image URLs are not currently supported, please use base64 encoded "
      "data instead");
  expect_message (chat_refused (image_url_request
          ("data:image/gif;base64,R0lGODlh"), NULL, NULL),
      "invalid image input");
  expect_message (chat_refused (image_url_request
          ("data:image/jpeg;base64,not*base64"), NULL, NULL),
      "invalid image input");
  expect_message (chat_refused (image_url_request
          ("data:image/png;base64,iVBORw0KGgo="), NULL, NULL),
      "invalid image input");
  g_free (chat_refused (chat_request_full (CV_LOCAL_SERVER_DEFAULT_MODEL,
              NULL, 0, NULL), "messages", NULL));
  g_free (chat_refused (chat_request (jpeg, "\"response_format\":"
              "{\"type\":\"xml\"}"), "response_format.type",
          "invalid_value"));
  g_free (chat_refused (chat_request (jpeg, "\"stream\":true"), "stream",
          "unsupported_value"));

  /* Ollama takes a PNG prefix whatever the bytes. */
  request = image_url_request (url);
  root = chat (CHAT_PATH, request, 200);
  fail_unless_equals_string (completion_content (root,
          CV_LOCAL_SERVER_DEFAULT_MODEL, "stop", IMAGE_TOKENS),
      "a plain red image");
  json_node_unref (root);
  g_bytes_unref (request);

  g_free (url);
  g_free (b64);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves REASONING: the thoughts come twice, as reasoning_content and in
 * a <think> block before the content, as llama-server's deepseek-legacy
 * format has them; what follows the last </think> is the caption (or the
 * JSON object), and a budget spent thinking leaves no caption. */
GST_START_TEST (test_chat_reasoning)
{
  GBytes *jpeg = make_jpeg (160, 120, RED, BLUE);
  const gchar *content, *reasoning, *after;
  JsonNode *root;
  gchar *think;

  cv_local_server_set_quirks (server, CV_LOCAL_SERVER_QUIRK_REASONING);
  root = chat_about (jpeg, NULL, 200);
  content = content_of (root, "stop");
  reasoning = json_object_get_string_member (first_message (root),
      "reasoning_content");
  fail_unless (strstr (reasoning, "red 75%") != NULL, "%s", reasoning);
  think = g_strconcat ("<think>\n", reasoning, "\n</think>\n\n",
      RED_BLUE_CAPTION, NULL);
  fail_unless_equals_string (content, think);
  g_free (think);
  json_node_unref (root);

  root = chat_about (jpeg, "\"response_format\":{\"type\":\"json_object\"}",
      200);
  after = g_strrstr (content_of (root, "stop"), "</think>");
  fail_unless (after != NULL);
  fail_unless (g_str_has_prefix (after, "</think>\n\n{\"caption\":\""
          RED_BLUE_CAPTION "\""), "%s", after);
  json_node_unref (root);

  root = chat_about (jpeg, "\"max_completion_tokens\":3", 200);
  content = content_of (root, "length");
  fail_unless (strstr (content, "</think>") == NULL);
  fail_unless (g_str_has_suffix (content, json_object_get_string_member
          (first_message (root), "reasoning_content")));
  json_node_unref (root);

  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves REFUSE_RESPONSE_FORMAT and REFUSE_MAX_TOKENS: json_schema and
 * max_tokens get exactly OpenAI's 400 bodies (the fixtures
 * error-openai-400-json-schema-unsupported.json and
 * error-openai-400-max-tokens-unsupported.json), while json_object and
 * max_completion_tokens are still answered. */
GST_START_TEST (test_chat_refusals)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  JsonNode *root;

  cv_local_server_set_quirks (server,
      CV_LOCAL_SERVER_QUIRK_REFUSE_RESPONSE_FORMAT |
      CV_LOCAL_SERVER_QUIRK_REFUSE_MAX_TOKENS);
  root = chat_about (jpeg, "\"response_format\":{\"type\":\"json_schema\","
      "\"json_schema\":{\"name\":\"c\",\"schema\":{\"type\":\"object\"}}}",
      400);
  assert_fixture (root, "error-openai-400-json-schema-unsupported.json");
  json_node_unref (root);
  root = chat_about (jpeg, "\"max_tokens\":50", 400);
  assert_fixture (root, "error-openai-400-max-tokens-unsupported.json");
  json_node_unref (root);

  root = chat_about (jpeg, "\"response_format\":{\"type\":\"json_object\"},"
      "\"max_completion_tokens\":50", 200);
  fail_unless (g_str_has_prefix (content_of (root, "stop"), "{\"caption\""));
  json_node_unref (root);

  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* One route, and the body that asks it about an image. */
typedef struct
{
  const gchar *name;
  const gchar *path;
  const gchar *content_type;
  gboolean chat;
} Route;

static const Route routes[] = {
  {"Image Analysis 4.0", IA_PATH "&features=caption,tags", OCTETS, FALSE},
  {"OpenAI chat", CHAT_PATH, JSON_TYPE, TRUE},
  {"Azure OpenAI v1", AZURE_V1_PATH, JSON_TYPE, TRUE},
  {"Azure OpenAI classic", AZURE_PATH, JSON_TYPE, TRUE},
};

static GBytes *
route_body (const Route * route, GBytes * jpeg, const gchar * extra)
{
  return route->chat ? chat_request (jpeg, extra) : g_bytes_ref (jpeg);
}

static JsonNode *
route_json (const Route * route, GBytes * jpeg, const gchar * extra,
    guint status)
{
  GBytes *body = route_body (route, jpeg, extra);
  JsonNode *root;

  GST_INFO ("%s", route->name);
  root = send_json (route->path, NULL, NULL, route->content_type, body,
      status);
  g_bytes_unref (body);
  return root;
}

/* Proves --status on every route in its family's shape, with Retry-After:
 * 429 is the gateway's {"code":"429"} on Azure's routes and OpenAI's
 * rate_limit_exceeded on OpenAI's; 500 and 503 are Image Analysis' nested
 * errors and OpenAI's server_error on the chat routes (Azure passes the
 * model's errors through); 401 and 404 are each family's; 0 is normal. */
GST_START_TEST (test_status_per_route)
{
  static const struct
  {
    guint status, retry_after;
    const gchar *retry_header, *code, *inner_code;
  } server_errors[] = {
    {500, 0, NULL, "InternalServerError", "InternalServerError"},
    {503, 2, "2", "ServiceUnavailable", "Timeout"},
  };
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  const gchar *message;
  JsonNode *root;
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (routes); i++) {
    const Route *r = &routes[i];

    cv_local_server_set_failure (server, 429, 7);
    root = route_json (r, jpeg, NULL, 429);
    fail_unless_equals_string (reply_header ("Retry-After"), "7");
    if (i == 1) {
      message = assert_openai_error (root, "requests", NULL,
          "rate_limit_exceeded");
      fail_unless (strstr (message, "Please try again in 7s.") != NULL);
    } else {
      message = assert_azure_error (root, "429", NULL);
      fail_unless (strstr (message, "7 seconds") != NULL, "%s", message);
    }
    json_node_unref (root);

    for (j = 0; j < G_N_ELEMENTS (server_errors); j++) {
      cv_local_server_set_failure (server, server_errors[j].status,
          server_errors[j].retry_after);
      root = route_json (r, jpeg, NULL, server_errors[j].status);
      fail_unless_equals_string (reply_header ("Retry-After"),
          server_errors[j].retry_header);
      if (r->chat)
        assert_openai_error (root, "server_error", NULL, NULL);
      else
        assert_azure_error (root, server_errors[j].code,
            server_errors[j].inner_code);
      json_node_unref (root);
    }

    cv_local_server_set_failure (server, 401, 0);
    root = route_json (r, jpeg, NULL, 401);
    if (i == 1)
      assert_openai_error (root, "invalid_request_error", NULL, NULL);
    else
      assert_azure_error (root, "401", NULL);
    json_node_unref (root);

    cv_local_server_set_failure (server, 404, 0);
    root = route_json (r, jpeg, NULL, 404);
    if (i == 1) {
      fail_unless_equals_string (assert_openai_error (root,
              "not_found_error", NULL, NULL), "model '"
          CV_LOCAL_SERVER_DEFAULT_MODEL "' not found");
    } else {
      assert_azure_error (root, r->chat ? "DeploymentNotFound" : "404", NULL);
    }
    json_node_unref (root);

    cv_local_server_set_failure (server, 0, 0);
    json_node_unref (route_json (r, jpeg, NULL, 200));
  }

  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves MALFORMED and WRONG_TYPES on every route: a 200 that does not
 * parse, and a 200 in JSON whose members have the wrong types (a number
 * for the caption or content). */
GST_START_TEST (test_garbling_per_route)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  JsonParser *parser = json_parser_new ();
  JsonNode *root;
  GBytes *body, *answer;
  JsonNode *text;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (routes); i++) {
    const Route *r = &routes[i];

    cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_MALFORMED);
    body = route_body (r, jpeg, NULL);
    answer = send_expect (r->path, NULL, NULL, r->content_type, body, 200);
    fail_if (json_parser_load_from_data (parser, g_bytes_get_data (answer,
                NULL), g_bytes_get_size (answer), NULL), "%s", r->name);
    g_bytes_unref (answer);
    g_bytes_unref (body);

    cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_WRONG_TYPES);
    root = route_json (r, jpeg, NULL, 200);
    if (r->chat)
      text = json_object_get_member (first_message (root), "content");
    else
      text = json_object_get_member (get_object (json_node_get_object (root),
              "captionResult"), "text");
    fail_unless (json_node_get_value_type (text) == G_TYPE_INT64);
    json_node_unref (root);

    cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_NORMAL);
    json_node_unref (route_json (r, jpeg, NULL, 200));
  }

  g_object_unref (parser);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* A client on its own thread, for HANG. */
typedef struct
{
  const Route *route;
  GBytes *body;
  guint status;
  GError *error;
} Job;

static gpointer
job_thread (gpointer data)
{
  Job *job = data;
  SoupSession *own = soup_session_new ();
  SoupMessage *msg = message_new ("POST", job->route->path);
  GBytes *answer;

  soup_message_set_request_body_from_bytes (msg, job->route->content_type,
      job->body);
  answer = soup_session_send_and_read (own, msg, NULL, &job->error);
  job->status = soup_message_get_status (msg);
  g_clear_pointer (&answer, g_bytes_unref);
  g_object_unref (msg);
  g_object_unref (own);
  return NULL;
}

/* Proves the connection faults on every route: DROP and RESET end the
 * request without an answer, HANG holds it until release() answers it
 * normally, ENDLESS streams the protocol's own JSON head and then items
 * without end, and the delay holds the answer at least that long. */
GST_START_TEST (test_connection_faults_per_route)
{
  static const gchar *const heads[] = { "{\"modelVersion\":",
    "{\"id\":\"chatcmpl-", "{\"id\":\"chatcmpl-", "{\"id\":\"chatcmpl-"
  };
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  GError *error = NULL;
  GBytes *body, *answer;
  GInputStream *in;
  gchar buf[4096];
  gsize got;
  gint64 start_us;
  guint i, n = 0;
  Job job;
  GThread *thread;

  for (i = 0; i < G_N_ELEMENTS (routes); i++) {
    const Route *r = &routes[i];

    GST_INFO ("%s", r->name);
    body = route_body (r, jpeg, NULL);

    cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_DROP);
    answer = send_full ("POST", r->path, NULL, NULL, r->content_type, body,
        &error);
    fail_unless (answer == NULL && error != NULL);
    g_clear_error (&error);
    cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_RESET);
    answer = send_full ("POST", r->path, NULL, NULL, r->content_type, body,
        &error);
    fail_unless (answer == NULL && error != NULL);
    g_clear_error (&error);
    n += 2;

    cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_HANG);
    job.route = r;
    job.body = body;
    job.status = 0;
    job.error = NULL;
    thread = g_thread_new ("hung-client", job_thread, &job);
    fail_unless (cv_local_server_wait_for_requests (server, ++n,
            10 * SECOND));
    fail_unless_equals_int (cv_local_server_get_in_progress (server), 1);
    cv_local_server_release (server);
    g_thread_join (thread);
    fail_unless (job.error == NULL, "%s", job.error ? job.error->message : "");
    fail_unless_equals_int (job.status, 200);

    cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_ENDLESS);
    g_clear_object (&last_msg);
    last_msg = message_new ("POST", r->path);
    soup_message_set_request_body_from_bytes (last_msg, r->content_type,
        body);
    in = soup_session_send (session, last_msg, NULL, &error);
    fail_unless (in != NULL, "%s", error ? error->message : "");
    fail_unless_equals_int (soup_message_get_status (last_msg), 200);
    fail_unless (g_input_stream_read_all (in, buf, sizeof (buf), &got, NULL,
            NULL));
    fail_unless_equals_int (got, sizeof (buf));
    fail_unless (strncmp (buf, heads[i], strlen (heads[i])) == 0, "%.60s",
        buf);
    for (got = 0; got < MIB;) {
      gssize read = g_input_stream_read (in, buf, sizeof (buf), NULL, NULL);

      fail_unless (read > 0);
      got += read;
    }
    g_object_unref (in);
    n++;

    cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_NORMAL);
    cv_local_server_set_delay (server, 200);
    start_us = g_get_monotonic_time ();
    g_bytes_unref (send_expect (r->path, NULL, NULL, r->content_type, body,
            200));
    fail_unless (g_get_monotonic_time () - start_us >= 200 * 1000);
    cv_local_server_set_delay (server, 0);
    n++;

    g_bytes_unref (body);
  }

  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves the hostile switches on every route, where each protocol has
 * captions and tags: --caption-words replaces the caption (inside the
 * JSON content on chat), --tags the tag list, --lone-surrogates and
 * --control-chars append their escapes (decoding to the bad bytes), and
 * --error-message-bytes sizes the messages of each family's errors, whose
 * codes and messages get the control characters too. */
GST_START_TEST (test_hostile_per_route)
{
  static const gchar schema[] = "\"response_format\":{\"type\":"
      "\"json_object\"}";
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  JsonNode *root, *content;
  JsonObject *o;
  JsonArray *tags;
  const gchar *caption;
  guint i;

  cv_local_server_set_caption_words (server, 5);
  cv_local_server_set_tag_count (server, 1000);
  cv_local_server_set_hostile (server,
      CV_LOCAL_SERVER_HOSTILE_LONE_SURROGATES |
      CV_LOCAL_SERVER_HOSTILE_CONTROL_CHARS);
  for (i = 0; i < G_N_ELEMENTS (routes); i++) {
    const Route *r = &routes[i];

    root = route_json (r, jpeg, schema, 200);
    if (r->chat) {
      content = json_content_of (root);
      o = json_node_get_object (content);
      caption = json_object_get_string_member (o, "caption");
      tags = json_object_get_array_member (o, "tags");
      fail_unless (g_str_has_prefix (json_array_get_string_element (tags, 999),
              "tag1000 "));
    } else {
      content = json_node_ref (root);
      o = json_node_get_object (root);
      caption = json_object_get_string_member (get_object (o,
              "captionResult"), "text");
      tags = result_values (root, "tagsResult", "values");
      fail_unless (g_str_has_prefix (json_object_get_string_member
              (json_array_get_object_element (tags, 999), "name"),
              "tag1000 "));
    }
    fail_unless_equals_int (json_array_get_length (tags), 1000);
    fail_unless (g_str_has_prefix (caption, "word1 word2 word3 word4 word5 "),
        "%s", caption);
    fail_unless (strstr (caption, "\xed\xa0\x80") != NULL);
    fail_unless (strchr (caption, '\033') != NULL);
    json_node_unref (content);
    json_node_unref (root);

    /* In a plain chat answer, the content is the caption. */
    if (r->chat) {
      root = route_json (r, jpeg, NULL, 200);
      caption = json_object_get_string_member (first_message (root),
          "content");
      fail_unless (g_str_has_prefix (caption, "word1 word2 word3 word4 "
              "word5 "));
      fail_unless (strchr (caption, '\033') != NULL);
      json_node_unref (root);
    }

    cv_local_server_set_error_message_size (server, 1000);
    cv_local_server_set_failure (server, 429, 0);
    root = route_json (r, jpeg, NULL, 429);
    o = json_object_get_object_member (json_node_get_object (root), "error");
    fail_unless_equals_int (strlen (json_object_get_string_member (o,
                "message")), 1000 + strlen (CV_HOSTILE_CONTROL_CHARS_TEXT));
    fail_unless (g_str_has_suffix (json_object_get_string_member (o,
                "code"), CV_HOSTILE_CONTROL_CHARS_TEXT));
    json_node_unref (root);
    cv_local_server_set_failure (server, 0, 0);
    cv_local_server_set_error_message_size (server, 0);
  }

  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves the new command-line switches reach the server: --model (a comma
 * list and repeated), --reasoning, --refuse-max-tokens,
 * --refuse-response-format and --no-caption-region. */
GST_START_TEST (test_program_switches)
{
  static const gchar *const args[] = { "--model", "cam-1,cam-2", "--model",
    "cam-3", "--reasoning", "--refuse-max-tokens",
    "--refuse-response-format", "--no-caption-region", NULL
  };
  static const gchar *const names[] = { "cam-1", "cam-2", "cam-3" };
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  Program program = program_start (args);
  GError *error = NULL;
  SoupMessage *msg;
  GBytes *answer, *request;
  JsonNode *root;
  gchar *url;
  guint i, status;

  for (i = 0; i < G_N_ELEMENTS (names) + 1; i++) {
    const gchar *model = i < G_N_ELEMENTS (names) ? names[i] :
        CV_LOCAL_SERVER_DEFAULT_MODEL;
    const gchar *extra = i == 0 ? "\"max_tokens\":5" : i == 1 ?
        "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
        "{\"name\":\"c\"}}" : NULL;

    request = chat_request_full (model, &jpeg, 1, extra);
    url = g_strconcat (program.url, "v1/chat/completions", NULL);
    msg = soup_message_new ("POST", url);
    soup_message_set_request_body_from_bytes (msg, JSON_TYPE, request);
    answer = soup_session_send_and_read (session, msg, NULL, &error);
    fail_unless (answer != NULL, "%s", error ? error->message : "");
    status = soup_message_get_status (msg);
    root = parse_object (answer);
    if (i < 2) {
      fail_unless_equals_int (status, 400);
    } else if (i == 2) {
      fail_unless_equals_int (status, 200);
      fail_unless (g_str_has_prefix (json_object_get_string_member
              (first_message (root), "content"), "<think>\n"));
    } else {
      fail_unless_equals_int (status, 404);
    }
    json_node_unref (root);
    g_bytes_unref (answer);
    g_bytes_unref (request);
    g_object_unref (msg);
    g_free (url);
  }

  url = g_strconcat (program.url, IA_PATH + 1, "&features=caption", NULL);
  msg = soup_message_new ("POST", url);
  soup_message_set_request_body_from_bytes (msg, OCTETS, jpeg);
  answer = soup_session_send_and_read (session, msg, NULL, &error);
  fail_unless (answer != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (soup_message_get_status (msg), 400);
  root = parse_object (answer);
  assert_fixture (root, "error-imageanalysis-400-caption-region.json");
  json_node_unref (root);
  g_bytes_unref (answer);
  g_object_unref (msg);
  g_free (url);

  program_stop (&program);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

static Suite *
localserver_protocols_suite (void)
{
  Suite *s = suite_create ("localserver-protocols");
  TCase *tc_ia = tcase_create ("image-analysis");
  TCase *tc_chat = tcase_create ("chat");
  TCase *tc_misbehaviour = tcase_create ("misbehaviour");
  TCase *tc_program = tcase_create ("program");

  tcase_add_checked_fixture (tc_ia, setup, teardown);
  tcase_add_checked_fixture (tc_chat, setup, teardown);
  tcase_add_checked_fixture (tc_misbehaviour, setup, teardown);
  tcase_add_checked_fixture (tc_program, setup, teardown);

  suite_add_tcase (s, tc_ia);
  tcase_add_test (tc_ia, test_image_analysis_answer);
  tcase_add_test (tc_ia, test_image_analysis_errors);
  tcase_add_test (tc_ia, test_image_analysis_no_caption_region);

  suite_add_tcase (s, tc_chat);
  tcase_add_test (tc_chat, test_chat_answer);
  tcase_add_test (tc_chat, test_chat_azure_routes);
  tcase_add_test (tc_chat, test_chat_keys);
  tcase_add_test (tc_chat, test_chat_unknown_model);
  tcase_add_test (tc_chat, test_chat_json_schema);
  tcase_add_test (tc_chat, test_chat_max_tokens);
  tcase_add_test (tc_chat, test_chat_request_checks);
  tcase_add_test (tc_chat, test_chat_reasoning);
  tcase_add_test (tc_chat, test_chat_refusals);

  suite_add_tcase (s, tc_misbehaviour);
  tcase_add_test (tc_misbehaviour, test_status_per_route);
  tcase_add_test (tc_misbehaviour, test_garbling_per_route);
  tcase_add_test (tc_misbehaviour, test_connection_faults_per_route);
  tcase_add_test (tc_misbehaviour, test_hostile_per_route);

  suite_add_tcase (s, tc_program);
  tcase_add_test (tc_program, test_program_switches);

  return s;
}

GST_CHECK_MAIN (localserver_protocols);
