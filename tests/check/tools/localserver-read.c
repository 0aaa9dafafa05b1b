/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The local server's Read answers: real OCR (tesseract) of a JPEG with
 * text drawn by textoverlay, the v3.2 operation's 202 and polls, the
 * shapes of Azure's official examples, the bound on stored operations, and
 * the routes' errors. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "cvlocalserver.h"
#include "cvread.h"
#include "cvreadapi.h"
#include "localservertest.h"

#define READ_PATH "vision/v3.2/read/analyze"
#define RESULTS_PATH "/vision/v3.2/read/analyzeResults/"
#define OCTETS "application/octet-stream"

static CvLocalServer *server;
static SoupSession *session;

static void
setup (void)
{
  server = cv_local_server_new (NULL, NULL);
  fail_unless (server != NULL);
  session = soup_session_new ();
}

static void
teardown (void)
{
  g_clear_object (&session);
  g_clear_pointer (&server, cv_local_server_free);
}

static GstPadProbeReturn
keep_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  *(GBytes **) user_data = g_bytes_new (map.data, map.size);
  gst_buffer_unmap (buf, &map);
  return GST_PAD_PROBE_OK;
}

/* A 640x360 JPEG of @text, big and black on white, drawn by textoverlay. */
static GBytes *
text_jpeg (const gchar * text)
{
  GstElement *pipeline = gst_parse_launch ("videotestsrc num-buffers=1 "
      "pattern=white ! video/x-raw,width=640,height=360 ! textoverlay name=t "
      "font-desc=\"DejaVu Sans Bold 36\" valignment=center "
      "halignment=center color=0xff000000 draw-shadow=false "
      "draw-outline=false ! videoconvert ! jpegenc ! fakesink name=out",
      NULL);
  GstElement *overlay = gst_bin_get_by_name (GST_BIN (pipeline), "t");
  GstElement *out = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  GstPad *pad = gst_element_get_static_pad (out, "sink");
  GstBus *bus = gst_element_get_bus (pipeline);
  GBytes *jpeg = NULL;
  GstMessage *msg;

  g_object_set (overlay, "text", text, NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, keep_buffer, &jpeg,
      NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_EOS |
      GST_MESSAGE_ERROR);
  fail_unless (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless (jpeg != NULL);

  gst_object_unref (bus);
  gst_object_unref (pad);
  gst_object_unref (out);
  gst_object_unref (overlay);
  gst_object_unref (pipeline);
  return jpeg;
}

/* Sends @method to @url with @jpeg (if set); the message, answered. */
static SoupMessage *
send_to (const gchar * method, const gchar * url, GBytes * jpeg,
    GBytes ** answer)
{
  SoupMessage *msg = soup_message_new (method, url);
  GError *error = NULL;

  fail_unless (msg != NULL, "%s", url);
  if (jpeg)
    soup_message_set_request_body_from_bytes (msg, OCTETS, jpeg);
  *answer = soup_session_send_and_read (session, msg, NULL, &error);
  fail_unless (*answer != NULL, "%s", error ? error->message : "?");
  return msg;
}

/* POSTs @jpeg to Read on @base: 202 and where to poll. */
static gchar *
post_read (const gchar * base, GBytes * jpeg)
{
  gchar *url = g_strconcat (base, READ_PATH, NULL);
  GBytes *answer;
  SoupMessage *msg = send_to ("POST", url, jpeg, &answer);
  const gchar *location;
  gchar *result;

  fail_unless_equals_int (soup_message_get_status (msg), 202);
  fail_unless_equals_int (g_bytes_get_size (answer), 0);
  location = soup_message_headers_get_one (soup_message_get_response_headers
      (msg), "Operation-Location");
  fail_unless (location != NULL);
  result = g_strdup (location);
  g_bytes_unref (answer);
  g_object_unref (msg);
  g_free (url);
  return result;
}

/* GETs @url: the answer, which must have @status. */
static JsonNode *
get_json (const gchar * url, guint status)
{
  GBytes *answer;
  SoupMessage *msg = send_to ("GET", url, NULL, &answer);
  JsonNode *root;

  fail_unless_equals_int (soup_message_get_status (msg), status);
  root = parse_object (answer);
  g_bytes_unref (answer);
  g_object_unref (msg);
  return root;
}

static const gchar *
status_of (JsonNode * root)
{
  return json_object_get_string_member (json_node_get_object (root),
      "status");
}

/* The member names of @o, sorted, comma-separated. */
static gchar *
members (JsonObject * o)
{
  GList *names = g_list_sort (json_object_get_members (o),
      (GCompareFunc) strcmp), *l;
  GString *s = g_string_new (NULL);

  for (l = names; l; l = l->next)
    g_string_append_printf (s, "%s%s", s->len ? "," : "",
        (const gchar *) l->data);
  g_list_free (names);
  return g_string_free (s, FALSE);
}

static void
assert_same_members (JsonObject * ours, JsonObject * official,
    const gchar * what)
{
  gchar *a = members (ours), *b = members (official);

  fail_unless (g_str_equal (a, b), "%s: ours %s, Azure's %s", what, a, b);
  g_free (a);
  g_free (b);
}

static JsonObject *
first (JsonObject * o, const gchar * array)
{
  return json_array_get_object_element (json_object_get_array_member (o,
          array), 0);
}

/* The official example of a succeeded Read operation's answer. */
static JsonNode *
official_read_result (void)
{
  gchar *path = g_build_filename (g_getenv ("FIXTURES_DIR"), "ComputerVision",
      "v3.2", "read", "SuccessfulGetReadResult.json", NULL);
  JsonParser *parser = json_parser_new ();
  JsonObject *root;
  JsonNode *body;

  fail_unless (json_parser_load_from_file (parser, path, NULL), "%s", path);
  root = json_node_get_object (json_parser_get_root (parser));
  body = json_node_copy (json_object_get_member
      (json_object_get_object_member (json_object_get_object_member (root,
                  "responses"), "200"), "body"));
  g_object_unref (parser);
  g_free (path);
  return body;
}

static void
assert_box_inside (JsonArray * inner, JsonArray * outer)
{
  guint i;

  fail_unless_equals_int (json_array_get_length (inner), 8);
  fail_unless_equals_int (json_array_get_length (outer), 8);
  for (i = 0; i < 8; i++)
    fail_unless (json_node_get_value_type (json_array_get_element (inner,
                i)) == G_TYPE_INT64);
  /* corners clockwise from the top left: 0,1 top left; 4,5 bottom right */
  fail_unless (json_array_get_int_element (inner, 0) >=
      json_array_get_int_element (outer, 0));
  fail_unless (json_array_get_int_element (inner, 1) >=
      json_array_get_int_element (outer, 1));
  fail_unless (json_array_get_int_element (inner, 4) <=
      json_array_get_int_element (outer, 4));
  fail_unless (json_array_get_int_element (inner, 5) <=
      json_array_get_int_element (outer, 5));
}

/* POST answers 202 with an Operation-Location on the server itself; the
 * GETs say running as often as told, then succeeded with what tesseract
 * read: the line and its words, 8-number boxes (the words' inside the
 * line's), confidences, a dated modelVersion, and every member of
 * Azure's official example, no more. */
GST_START_TEST (test_read_operation)
{
  GBytes *jpeg = text_jpeg ("EXIT 42");
  gchar *base = cv_local_server_get_url (server);
  gchar *location;
  JsonNode *root, *official = official_read_result ();
  JsonObject *o, *off, *result, *page, *line, *word;
  JsonArray *words;
  guint i;

  cv_local_server_set_read_running (server, 2);
  location = post_read (base, jpeg);
  fail_unless (g_str_has_prefix (location, base), "%s", location);
  fail_unless (strstr (location, RESULTS_PATH) != NULL, "%s", location);

  for (i = 0; i < 2; i++) {
    root = get_json (location, 200);
    fail_unless_equals_string (status_of (root), "running");
    fail_if (json_object_has_member (json_node_get_object (root),
            "analyzeResult"));
    json_node_unref (root);
  }
  root = get_json (location, 200);
  fail_unless_equals_string (status_of (root), "succeeded");
  o = json_node_get_object (root);
  off = json_node_get_object (official);
  assert_same_members (o, off, "operation");
  result = json_object_get_object_member (o, "analyzeResult");
  assert_same_members (result, json_object_get_object_member (off,
          "analyzeResult"), "analyzeResult");
  /* a date, as the API's model (and the JS SDK's pattern) requires */
  fail_unless_equals_string (json_object_get_string_member (result,
          "modelVersion"), CV_READ_V3_MODEL_VERSION);
  page = first (result, "readResults");
  assert_same_members (page, first (json_object_get_object_member (off,
              "analyzeResult"), "readResults"), "readResults[0]");
  fail_unless_equals_int (json_object_get_int_member (page, "width"), 640);
  fail_unless_equals_int (json_object_get_int_member (page, "height"), 360);
  fail_unless_equals_int (json_array_get_length (json_object_get_array_member
          (page, "lines")), 1);
  line = first (page, "lines");
  assert_same_members (line, first (first (json_object_get_object_member
                  (off, "analyzeResult"), "readResults"), "lines"),
      "lines[0]");
  fail_unless_equals_string (json_object_get_string_member (line, "text"),
      "EXIT 42");
  words = json_object_get_array_member (line, "words");
  fail_unless_equals_int (json_array_get_length (words), 2);
  for (i = 0; i < 2; i++) {
    gdouble confidence;

    word = json_array_get_object_element (words, i);
    assert_same_members (word, first (first (first
                (json_object_get_object_member (off, "analyzeResult"),
                    "readResults"), "lines"), "words"), "words[0]");
    fail_unless_equals_string (json_object_get_string_member (word, "text"),
        i == 0 ? "EXIT" : "42");
    confidence = json_object_get_double_member (word, "confidence");
    fail_unless (confidence > 0.5 && confidence <= 1.0, "%g", confidence);
    assert_box_inside (json_object_get_array_member (word, "boundingBox"),
        json_object_get_array_member (line, "boundingBox"));
  }
  /* still there for another look */
  json_node_unref (root);
  root = get_json (location, 200);
  fail_unless_equals_string (status_of (root), "succeeded");

  json_node_unref (root);
  json_node_unref (official);
  g_free (location);
  g_free (base);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* The other endings: failed, running for ever, and lines of the wrong
 * types; each applies to the operations posted after it was set. */
GST_START_TEST (test_read_endings)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, WHITE);
  gchar *base = cv_local_server_get_url (server);
  gchar *location;
  JsonNode *root;
  JsonObject *line;
  guint i;

  cv_local_server_set_read_ending (server, CV_LOCAL_SERVER_READ_FAIL);
  location = post_read (base, jpeg);
  root = get_json (location, 200);
  fail_unless_equals_string (status_of (root), "failed");
  fail_if (json_object_has_member (json_node_get_object (root),
          "analyzeResult"));
  json_node_unref (root);
  g_free (location);

  cv_local_server_set_read_ending (server, CV_LOCAL_SERVER_READ_NEVER);
  location = post_read (base, jpeg);
  for (i = 0; i < 5; i++) {
    root = get_json (location, 200);
    fail_unless_equals_string (status_of (root), "running");
    json_node_unref (root);
  }
  g_free (location);

  cv_local_server_set_read_ending (server, CV_LOCAL_SERVER_READ_MALFORMED);
  location = post_read (base, jpeg);
  root = get_json (location, 200);
  fail_unless_equals_string (status_of (root), "succeeded");
  line = first (first (json_object_get_object_member (json_node_get_object
              (root), "analyzeResult"), "readResults"), "lines");
  fail_unless (json_node_get_value_type (json_object_get_member (line,
              "text")) == G_TYPE_INT64);
  json_node_unref (root);
  g_free (location);

  g_free (base);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* However many are posted, the server keeps the newest
 * CV_READ_MAX_OPERATIONS: an older one is gone (404 NotFound), as is an
 * id it never gave. */
GST_START_TEST (test_read_operations_bounded)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, WHITE);
  gchar *base = cv_local_server_get_url (server);
  gchar *oldest = NULL, *newest = NULL, *unknown;
  JsonNode *root;
  JsonObject *error;
  guint i;

  for (i = 0; i < CV_READ_MAX_OPERATIONS + 6; i++) {
    g_free (newest);
    newest = post_read (base, jpeg);
    if (i == 0)
      oldest = g_strdup (newest);
  }
  root = get_json (oldest, 404);
  error = json_object_get_object_member (json_node_get_object (root),
      "error");
  fail_unless_equals_string (json_object_get_string_member (error, "code"),
      "NotFound");
  json_node_unref (root);
  unknown = g_strconcat (base, RESULTS_PATH + 1, "nope", NULL);
  json_node_unref (get_json (unknown, 404));
  root = get_json (newest, 200);
  fail_unless_equals_string (status_of (root), "succeeded");
  json_node_unref (root);

  g_free (unknown);
  g_free (oldest);
  g_free (newest);
  g_free (base);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* An operation older than its lifetime is gone, like one never posted:
 * 404 NotFound, and no longer kept. */
GST_START_TEST (test_read_operations_expire)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, WHITE);
  gchar *base = cv_local_server_get_url (server);
  gchar *kept, *expired;
  JsonNode *root;

  kept = post_read (base, jpeg);
  cv_local_server_set_read_lifetime (server, 0);
  expired = post_read (base, jpeg);
  root = get_json (expired, 404);
  fail_unless_equals_string (json_object_get_string_member
      (json_object_get_object_member (json_node_get_object (root), "error"),
          "code"), "NotFound");
  json_node_unref (root);
  /* the lifetime applies to every operation kept, the older one too */
  json_node_unref (get_json (kept, 404));

  g_free (kept);
  g_free (expired);
  g_free (base);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Each route takes its own method (405 otherwise, with Allow: POST where
 * POST is right), the key, and an image. */
GST_START_TEST (test_read_route_errors)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, WHITE);
  GBytes *junk = g_bytes_new_static ("not a jpeg", 10);
  gchar *base, *url, *location;
  SoupMessage *msg;
  GBytes *answer;

  cv_local_server_free (server);
  server = cv_local_server_new ("read-key", NULL);
  base = cv_local_server_get_url (server);
  url = g_strconcat (base, READ_PATH, NULL);

  msg = send_to ("POST", url, jpeg, &answer);
  fail_unless_equals_int (soup_message_get_status (msg), 401);
  g_bytes_unref (answer);
  g_object_unref (msg);

  msg = send_to ("GET", url, NULL, &answer);
  fail_unless_equals_int (soup_message_get_status (msg), 405);
  fail_unless_equals_string (soup_message_headers_get_one
      (soup_message_get_response_headers (msg), "Allow"), "POST");
  g_bytes_unref (answer);
  g_object_unref (msg);

  msg = soup_message_new ("POST", url);
  soup_message_headers_replace (soup_message_get_request_headers (msg),
      "Ocp-Apim-Subscription-Key", "read-key");
  soup_message_set_request_body_from_bytes (msg, OCTETS, junk);
  answer = soup_session_send_and_read (session, msg, NULL, NULL);
  fail_unless_equals_int (soup_message_get_status (msg), 400);
  fail_unless (strstr (g_bytes_get_data (answer, NULL),
          "InvalidImageFormat") != NULL);
  g_bytes_unref (answer);
  g_object_unref (msg);

  msg = soup_message_new ("POST", url);
  soup_message_headers_replace (soup_message_get_request_headers (msg),
      "Ocp-Apim-Subscription-Key", "read-key");
  soup_message_set_request_body_from_bytes (msg, OCTETS, jpeg);
  answer = soup_session_send_and_read (session, msg, NULL, NULL);
  fail_unless_equals_int (soup_message_get_status (msg), 202);
  location = g_strdup (soup_message_headers_get_one
      (soup_message_get_response_headers (msg), "Operation-Location"));
  g_bytes_unref (answer);
  g_object_unref (msg);

  /* the result takes the key too, and a GET only */
  msg = send_to ("GET", location, NULL, &answer);
  fail_unless_equals_int (soup_message_get_status (msg), 401);
  g_bytes_unref (answer);
  g_object_unref (msg);
  msg = send_to ("POST", location, jpeg, &answer);
  fail_unless_equals_int (soup_message_get_status (msg), 405);
  fail_if (soup_message_headers_get_one (soup_message_get_response_headers
          (msg), "Allow"));
  g_bytes_unref (answer);
  g_object_unref (msg);

  g_free (location);
  g_free (url);
  g_free (base);
  g_bytes_unref (junk);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Image Analysis 4.0's read feature: the text in readResult, shaped as
 * Azure's official example (blocks[].lines[].words[], boundingPolygon,
 * confidence), and tesseract named in modelVersion. */
GST_START_TEST (test_read_v40_shape)
{
  GBytes *jpeg = text_jpeg ("EXIT 42");
  gchar *base = cv_local_server_get_url (server);
  gchar *url = g_strconcat (base, "computervision/imageanalysis:analyze"
      "?api-version=2023-10-01&features=read", NULL);
  gchar *path = g_build_filename (g_getenv ("FIXTURES_DIR"), "ImageAnalysis",
      "2023-10-01", "AnalyzeFromBuffer_MaximumSet.json", NULL);
  JsonParser *parser = json_parser_new ();
  JsonObject *official, *ours, *line, *off_line;
  JsonNode *root;
  GBytes *answer;
  SoupMessage *msg = send_to ("POST", url, jpeg, &answer);

  fail_unless_equals_int (soup_message_get_status (msg), 200);
  root = parse_object (answer);
  ours = json_object_get_object_member (json_node_get_object (root),
      "readResult");
  fail_unless (strstr (json_object_get_string_member (json_node_get_object
              (root), "modelVersion"), "+tesseract-") != NULL);
  fail_unless (json_parser_load_from_file (parser, path, NULL), "%s", path);
  official = json_object_get_object_member (json_object_get_object_member
      (json_object_get_object_member (json_object_get_object_member
              (json_node_get_object (json_parser_get_root (parser)),
                  "responses"), "200"), "body"), "readResult");

  assert_same_members (ours, official, "readResult");
  assert_same_members (first (ours, "blocks"), first (official, "blocks"),
      "blocks[0]");
  line = first (first (ours, "blocks"), "lines");
  off_line = first (first (official, "blocks"), "lines");
  assert_same_members (line, off_line, "lines[0]");
  assert_same_members (first (line, "words"), first (off_line, "words"),
      "words[0]");
  assert_same_members (first (line, "boundingPolygon"),
      first (off_line, "boundingPolygon"), "boundingPolygon[0]");
  fail_unless_equals_string (json_object_get_string_member (line, "text"),
      "EXIT 42");
  fail_unless_equals_int (json_array_get_length (json_object_get_array_member
          (line, "boundingPolygon")), 4);

  json_node_unref (root);
  g_object_unref (parser);
  g_bytes_unref (answer);
  g_object_unref (msg);
  g_free (path);
  g_free (url);
  g_free (base);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* The command line's --read-running and --read-ending. */
GST_START_TEST (test_read_program_switches)
{
  static const gchar *const args[] = { "--read-running", "1",
    "--read-ending", "failed", NULL
  };
  Program program = program_start (args);
  GBytes *jpeg = make_solid_jpeg (64, 64, WHITE);
  gchar *location = post_read (program.url, jpeg);
  JsonNode *root;

  root = get_json (location, 200);
  fail_unless_equals_string (status_of (root), "running");
  json_node_unref (root);
  root = get_json (location, 200);
  fail_unless_equals_string (status_of (root), "failed");
  json_node_unref (root);

  g_free (location);
  g_bytes_unref (jpeg);
  program_stop (&program);
}

GST_END_TEST;

static Suite *
localserver_read_suite (void)
{
  Suite *s = suite_create ("localserver-read");
  TCase *tc = tcase_create ("read");

  tcase_add_checked_fixture (tc, setup, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_read_operation);
  tcase_add_test (tc, test_read_endings);
  tcase_add_test (tc, test_read_operations_bounded);
  tcase_add_test (tc, test_read_operations_expire);
  tcase_add_test (tc, test_read_route_errors);
  tcase_add_test (tc, test_read_v40_shape);
  tcase_add_test (tc, test_read_program_switches);
  return s;
}

GST_CHECK_MAIN (localserver_read);
