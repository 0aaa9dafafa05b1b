/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * Tests of the local Azure-compatible analysis server, run in-process on
 * 127.0.0.1 with a free port and driven by a synchronous libsoup 3 client.
 * Images are made here with TurboJPEG from known RGB patterns.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <turbojpeg.h>

#include "cvlocalserver.h"
#include "cvcolouranalysis.h"
#include "cvhostile.h"
#include "cvprocsockets.h"
#include "localservertest.h"

#define ALL_FEATURES "Description,Tags,Color"
#define COLOR_ONLY "visualFeatures=Color"
#define KEY "s3cret"

/* The checked fixture: a server and a session for each test, and the last
 * message post_expect() sent, for reply_header(). */
static CvLocalServer *server;
static SoupSession *session;
static SoupMessage *last_msg;

static CvLocalServer *
start_server (const gchar * key)
{
  GError *error = NULL;
  CvLocalServer *started = cv_local_server_new (key, &error);

  fail_unless (started != NULL, "server did not start: %s",
      error ? error->message : "?");
  fail_unless (cv_local_server_get_port (started) > 0);
  return started;
}

static void
setup_server (void)
{
  server = start_server (NULL);
  session = soup_session_new ();
}

static void
setup_keyed_server (void)
{
  server = start_server (KEY);
  session = soup_session_new ();
}

static void
teardown_server (void)
{
  g_clear_object (&last_msg);
  g_clear_object (&session);
  g_clear_pointer (&server, cv_local_server_free);
}

/* Sends @body with @method on @client to the fixture's server and returns
 * the answer's body; @msg_out gets the message for its status and headers.
 * NULL (with @error set) on a transport error. */
static GBytes *
post_full (SoupSession * client, const gchar * method, const gchar * version,
    const gchar * query, const gchar * key, GBytes * body,
    SoupMessage ** msg_out, GError ** error)
{
  gchar *base = cv_local_server_get_url (server);
  gchar *url = g_strdup_printf ("%svision/%s/analyze%s%s", base, version,
      query ? "?" : "", query ? query : "");
  SoupMessage *msg = soup_message_new (method, url);
  GBytes *answer;

  fail_unless (msg != NULL);
  if (key != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Ocp-Apim-Subscription-Key", key);
  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg,
        "application/octet-stream", body);

  answer = soup_session_send_and_read (client, msg, NULL, error);

  *msg_out = msg;
  g_free (url);
  g_free (base);

  return answer;
}

/* POSTs @body on the fixture's session, asserts the answer's @status and
 * returns its body; the message stays in last_msg. */
static GBytes *
post_expect (const gchar * version, const gchar * query, const gchar * key,
    GBytes * body, guint status)
{
  GError *error = NULL;
  GBytes *answer;

  g_clear_object (&last_msg);
  answer = post_full (session, "POST", version, query, key, body, &last_msg,
      &error);
  if (answer == NULL)
    fail ("request failed: %s", error->message);
  fail_unless_equals_int (soup_message_get_status (last_msg), status);
  return answer;
}

/* post_expect() with the answer parsed as a JSON object. */
static JsonNode *
post_json (const gchar * version, const gchar * query, const gchar * key,
    GBytes * body, guint status)
{
  GBytes *answer = post_expect (version, query, key, body, status);
  JsonNode *root = parse_object (answer);

  g_bytes_unref (answer);
  return root;
}

/* POSTs @body for Color and returns the transport error it must end in. */
static GError *
post_expect_transport_error (GBytes * body)
{
  GError *error = NULL;
  GBytes *answer;

  g_clear_object (&last_msg);
  answer = post_full (session, "POST", "v3.2", COLOR_ONLY, NULL, body,
      &last_msg, &error);
  fail_unless (answer == NULL);
  fail_unless (error != NULL);
  return error;
}

/* A response header of the last message post_expect() sent. */
static const gchar *
reply_header (const gchar * name)
{
  fail_unless (last_msg != NULL);
  return soup_message_headers_get_one (soup_message_get_response_headers
      (last_msg), name);
}

/* One analysis round trip that must succeed; returns the answer's root. */
static JsonNode *
analyse (const gchar * version, GBytes * jpeg)
{
  return post_json (version, "visualFeatures=" ALL_FEATURES "&language=en",
      NULL, jpeg, 200);
}

static JsonObject *
member_object (JsonNode * root, const gchar * name)
{
  JsonObject *o = json_node_get_object (root);

  fail_unless (json_object_has_member (o, name), "no member %s", name);
  return json_object_get_object_member (o, name);
}

/* Asserts @root is {"error":{"code":@code,...}} with the code a string
 * value; returns the "error" object. */
static JsonObject *
assert_error_code (JsonNode * root, const gchar * code)
{
  JsonObject *error = member_object (root, "error");

  fail_unless (JSON_NODE_TYPE (json_object_get_member (error, "code")) ==
      JSON_NODE_VALUE);
  fail_unless_equals_string (json_object_get_string_member (error, "code"),
      code);
  return error;
}

/* The v3.2 inner error code, or the v2.x flat code. */
static const gchar *
error_code (JsonNode * root)
{
  JsonObject *o = json_node_get_object (root);

  if (json_object_has_member (o, "error"))
    return json_object_get_string_member (json_object_get_object_member
        (json_object_get_object_member (o, "error"), "innererror"), "code");
  return json_object_get_string_member (o, "code");
}

/* Proves the pixel classifier names primaries, CSS colours and greys the
 * way a person would, without any HTTP in between. */
GST_START_TEST (test_classify)
{
  static const struct
  {
    guint8 r, g, b;
    const gchar *name;
  } cases[] = {
    {255, 0, 0, "Red"}, {0, 0, 255, "Blue"}, {0, 255, 0, "Green"},
    {255, 255, 255, "White"}, {0, 0, 0, "Black"}, {128, 128, 128, "Gray"},
    {255, 255, 0, "Yellow"}, {255, 165, 0, "Orange"}, {0, 128, 128, "Teal"},
    {128, 0, 128, "Purple"}, {255, 105, 180, "Pink"}, {139, 69, 19, "Brown"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    fail_unless_equals_string (cv_colour_get_name (cv_colour_classify
            (cases[i].r, cases[i].g, cases[i].b)), cases[i].name);
}

GST_END_TEST;

/* Proves the pure analysis of a raw RGB buffer: shares, dominant order,
 * background/foreground regions and the caption wording. */
GST_START_TEST (test_analyse_rgb)
{
  const guint w = 64, h = 64;
  guint8 *rgb = g_malloc (w * h * 3);
  CvColourAnalysis a;
  gchar *caption;
  guint x, y;

  for (y = 0; y < h; y++) {
    for (x = 0; x < w; x++) {
      guint8 *p = rgb + (y * w + x) * 3;
      gboolean in = x >= 16 && x < 48 && y >= 16 && y < 48;

      p[0] = in ? 0 : 255;
      p[1] = 0;
      p[2] = in ? 255 : 0;
    }
  }
  cv_colour_analysis_analyse_rgb (rgb, w, h, w * 3, &a);
  g_free (rgb);

  fail_unless_equals_int (a.background, CV_COLOUR_RED);
  fail_unless_equals_int (a.foreground, CV_COLOUR_BLUE);
  fail_unless_equals_int (a.n_dominant, 2);
  fail_unless_equals_int (a.dominant[0], CV_COLOUR_RED);
  fail_unless_equals_int (a.dominant[1], CV_COLOUR_BLUE);
  fail_unless (a.share[CV_COLOUR_RED] == 0.75);
  fail_unless (a.share[CV_COLOUR_BLUE] == 0.25);
  fail_unless_equals_int (a.accent[0], 255);
  fail_unless_equals_int (a.accent[1], 0);
  fail_unless_equals_int (a.accent[2], 0);
  fail_if (a.is_bw);

  caption = cv_colour_analysis_describe (&a);
  fail_unless_equals_string (caption, "a mostly red image with blue");
  g_free (caption);
}

GST_END_TEST;

/* Proves that flat red/blue/green/white/black/gray/yellow frames come back
 * with that colour as background, foreground and first dominant colour,
 * and that isBWImg is true exactly for the unsaturated ones. */
GST_START_TEST (test_solid_colours)
{
  static const struct
  {
    const Rgb *rgb;
    const gchar *name;
    gboolean bw;
  } cases[] = {
    {&RED, "Red", FALSE}, {&BLUE, "Blue", FALSE}, {&GREEN, "Green", FALSE},
    {&WHITE, "White", TRUE}, {&BLACK, "Black", TRUE}, {&GRAY, "Gray", TRUE},
    {&YELLOW, "Yellow", FALSE},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GBytes *jpeg = make_solid_jpeg (128, 96, *cases[i].rgb);
    JsonNode *root = analyse ("v3.2", jpeg);
    JsonObject *color = member_object (root, "color");
    JsonArray *dominant = json_object_get_array_member (color,
        "dominantColors");

    GST_INFO ("case %s", cases[i].name);
    fail_unless_equals_string (json_object_get_string_member (color,
            "dominantColorBackground"), cases[i].name);
    fail_unless_equals_string (json_object_get_string_member (color,
            "dominantColorForeground"), cases[i].name);
    fail_unless_equals_int (json_array_get_length (dominant), 1);
    fail_unless_equals_string (json_array_get_string_element (dominant, 0),
        cases[i].name);
    fail_unless_equals_int (json_object_get_boolean_member (color, "isBWImg"),
        cases[i].bw);

    json_node_unref (root);
    g_bytes_unref (jpeg);
  }
}

GST_END_TEST;

/* Proves the regions: a red border around a blue centre gives background
 * Red and foreground Blue, dominant colours Red then Blue, and the caption
 * and tags name both. */
GST_START_TEST (test_border_and_centre)
{
  GBytes *jpeg = make_jpeg (160, 120, RED, BLUE);
  JsonNode *root = analyse ("v3.2", jpeg);
  JsonObject *color = member_object (root, "color");
  JsonObject *description = member_object (root, "description");
  JsonArray *dominant = json_object_get_array_member (color, "dominantColors");
  JsonArray *tags = json_object_get_array_member (json_node_get_object (root),
      "tags");
  JsonObject *caption;

  fail_unless_equals_string (json_object_get_string_member (color,
          "dominantColorBackground"), "Red");
  fail_unless_equals_string (json_object_get_string_member (color,
          "dominantColorForeground"), "Blue");
  fail_unless (json_array_get_length (dominant) >= 2);
  fail_unless_equals_string (json_array_get_string_element (dominant, 0),
      "Red");
  fail_unless_equals_string (json_array_get_string_element (dominant, 1),
      "Blue");
  fail_if (json_object_get_boolean_member (color, "isBWImg"));

  caption = json_array_get_object_element (json_object_get_array_member
      (description, "captions"), 0);
  fail_unless_equals_string (json_object_get_string_member (caption, "text"),
      "a mostly red image with blue");
  fail_unless (json_object_get_double_member (caption, "confidence") > 0.5);
  fail_unless_equals_string (json_array_get_string_element
      (json_object_get_array_member (description, "tags"), 0), "red");

  fail_unless (json_array_get_length (tags) >= 2);
  fail_unless_equals_string (json_object_get_string_member
      (json_array_get_object_element (tags, 0), "name"), "red");
  fail_unless_equals_string (json_object_get_string_member
      (json_array_get_object_element (tags, 1), "name"), "blue");
  fail_unless (json_object_get_double_member (json_array_get_object_element
          (tags, 0), "confidence") > 0.6);

  json_node_unref (root);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Analyses @jpeg (and frees it) and asserts its accentColor is upper-case
 * RRGGBB near @expected. */
static void
assert_accent_near (GBytes * jpeg, Rgb expected)
{
  JsonNode *root = analyse ("v3.2", jpeg);
  const gchar *hex = json_object_get_string_member (member_object (root,
          "color"), "accentColor");
  guint r, g, b, i;

  fail_unless_equals_int (strlen (hex), 6);
  for (i = 0; i < 6; i++)
    fail_unless (g_ascii_isxdigit (hex[i]) && !g_ascii_islower (hex[i]),
        "accent %s is not upper-case RRGGBB", hex);
  fail_unless_equals_int (sscanf (hex, "%2x%2x%2x", &r, &g, &b), 3);
  /* JPEG may move a flat colour by a few levels. */
  fail_unless (ABS ((gint) r - expected.r) <= 6
      && ABS ((gint) g - expected.g) <= 6
      && ABS ((gint) b - expected.b) <= 6, "accent %s, expected ~%02X%02X%02X",
      hex, expected.r, expected.g, expected.b);

  json_node_unref (root);
  g_bytes_unref (jpeg);
}

/* Proves accentColor is the mean colour of the most frequent chromatic
 * colour, written as upper-case RRGGBB, ignoring black/white areas. */
GST_START_TEST (test_accent_colour)
{
  static const Rgb DARK_ORANGE = { 230, 120, 20 };

  assert_accent_near (make_solid_jpeg (100, 100, DARK_ORANGE), DARK_ORANGE);
  /* White around a blue centre: white dominates, blue is the accent. */
  assert_accent_near (make_jpeg (100, 100, WHITE, BLUE), BLUE);
}

GST_END_TEST;

/* Takes the requestId out of @root (json_node_copy() would share the
 * object) and returns the rest as text. */
static gchar *
strip_request_id (JsonNode * root, gchar ** request_id)
{
  JsonObject *o = json_node_get_object (root);

  *request_id = g_strdup (json_object_get_string_member (o, "requestId"));
  fail_unless (*request_id != NULL);
  json_object_remove_member (o, "requestId");
  return json_to_string (root, FALSE);
}

/* Proves determinism: the same body twice gives the same answer apart from
 * requestId, and requestIds are fresh each time. */
GST_START_TEST (test_deterministic)
{
  GBytes *jpeg = make_jpeg (200, 150, GREEN, YELLOW);
  JsonNode *a = analyse ("v3.2", jpeg);
  JsonNode *b = analyse ("v3.2", jpeg);
  gchar *ida, *idb;
  gchar *sa = strip_request_id (a, &ida);
  gchar *sb = strip_request_id (b, &idb);

  fail_unless_equals_string (sa, sb);
  fail_if (g_strcmp0 (ida, idb) == 0);

  g_free (ida);
  g_free (idb);
  g_free (sa);
  g_free (sb);
  json_node_unref (a);
  json_node_unref (b);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves metadata reports the received image's size and format, v3.2
 * labels the answer as local, and the answer carries the label header. */
GST_START_TEST (test_metadata)
{
  /* Large enough to be decoded at a reduced scale. */
  GBytes *jpeg = make_solid_jpeg (1280, 720, BLUE);
  JsonNode *root = post_json ("v3.2", COLOR_ONLY, NULL, jpeg, 200);
  JsonObject *o = json_node_get_object (root);
  JsonObject *metadata = member_object (root, "metadata");

  fail_unless_equals_string (reply_header ("X-Cvanalyze-Server"),
      "local colour analysis (not Azure)");
  fail_unless_equals_int (json_object_get_int_member (metadata, "width"), 1280);
  fail_unless_equals_int (json_object_get_int_member (metadata, "height"), 720);
  fail_unless_equals_string (json_object_get_string_member (metadata,
          "format"), "Jpeg");
  fail_unless_equals_string (json_object_get_string_member (o,
          "modelVersion"), "local-colour-analysis");
  /* Only what was asked for. */
  fail_if (json_object_has_member (o, "description"));
  fail_if (json_object_has_member (o, "tags"));

  json_node_unref (root);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Asserts what the request log's entry @index says about the key. */
static void
assert_request_key (guint index, gboolean has_key, gboolean key_matches)
{
  CvLocalServerRequest *req = cv_local_server_get_request (server, index);

  fail_unless (req != NULL);
  fail_unless_equals_int (!!req->has_key, !!has_key);
  fail_unless_equals_int (!!req->key_matches, !!key_matches);
  cv_local_server_request_free (req);
}

/* Proves the key check: no key and a wrong key get the gateway's 401 body
 * word for word, the right key gets 200, and the log records which. */
GST_START_TEST (test_key)
{
  static const gchar expected[] = "{\"error\":{\"code\":\"401\",\"message\":"
      "\"Access denied due to invalid subscription key or wrong API endpoint. "
      "Make sure to provide a valid key for an active subscription and use a "
      "correct regional API endpoint for your resource.\"}}";
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  const gchar *keys[] = { NULL, "wrong" };
  GBytes *answer;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (keys); i++) {
    gchar *text;

    answer = post_expect ("v3.2", COLOR_ONLY, keys[i], jpeg, 401);
    text = g_strndup (g_bytes_get_data (answer, NULL),
        g_bytes_get_size (answer));
    fail_unless_equals_string (text, expected);
    g_free (text);
    g_bytes_unref (answer);
  }

  g_bytes_unref (post_expect ("v3.2", COLOR_ONLY, KEY, jpeg, 200));

  assert_request_key (0, FALSE, FALSE);
  assert_request_key (1, TRUE, FALSE);
  assert_request_key (2, TRUE, TRUE);

  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Expects @status with the given v3.2 inner code (v3.2 errors are nested
 * under "error" with code InvalidRequest). */
static void
expect_v32_error (const gchar * query, GBytes * body, guint status,
    const gchar * inner)
{
  JsonNode *root = post_json ("v3.2", query, NULL, body, status);
  JsonObject *error = assert_error_code (root, "InvalidRequest");

  fail_unless (json_object_get_string_member (error, "message") != NULL);
  fail_unless_equals_string (error_code (root), inner);

  json_node_unref (root);
}

/* Proves the v2.x dialect: colour spelled isBwImg, no modelVersion, and
 * flat {"code","message","requestId"} errors, while v3.2 nests them. */
GST_START_TEST (test_v2_dialect)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, WHITE);
  GBytes *not_jpeg = g_bytes_new_static ("hello", 5);
  const gchar *versions[] = { "v2.0", "v2.1" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (versions); i++) {
    JsonNode *root = analyse (versions[i], jpeg);
    JsonObject *color = member_object (root, "color");
    JsonObject *o;

    fail_unless (json_object_get_boolean_member (color, "isBwImg"));
    fail_if (json_object_has_member (color, "isBWImg"));
    fail_if (json_object_has_member (json_node_get_object (root),
            "modelVersion"));
    json_node_unref (root);

    root = post_json (versions[i], COLOR_ONLY, NULL, not_jpeg, 400);
    o = json_node_get_object (root);
    fail_if (json_object_has_member (o, "error"));
    fail_unless_equals_string (json_object_get_string_member (o, "code"),
        "InvalidImageFormat");
    fail_unless (json_object_get_string_member (o, "message") != NULL);
    fail_unless (json_object_get_string_member (o, "requestId") != NULL);
    json_node_unref (root);
  }

  expect_v32_error (COLOR_ONLY, not_jpeg, 400, "InvalidImageFormat");

  g_bytes_unref (not_jpeg);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves Azure's input checks: too small (40x40 and exactly 50x50), too
 * big (4 MB), not a JPEG, an empty body, an unknown feature, an unknown
 * path (404) and a GET (405). */
GST_START_TEST (test_invalid_requests)
{
  GBytes *small = make_solid_jpeg (40, 40, RED);
  GBytes *edge = make_solid_jpeg (50, 50, RED);
  GBytes *ok = make_solid_jpeg (51, 51, RED);
  GBytes *not_jpeg = g_bytes_new_static ("GIF89a not really", 17);
  GBytes *empty = g_bytes_new_static ("", 0);
  gpointer big_data = g_malloc0 (4 * 1024 * 1024);
  GBytes *big = g_bytes_new_take (big_data, 4 * 1024 * 1024);
  JsonNode *root;
  SoupMessage *msg;
  GBytes *answer;
  GError *error = NULL;
  gchar *url;

  expect_v32_error (COLOR_ONLY, small, 400, "InvalidImageSize");
  expect_v32_error (COLOR_ONLY, edge, 400, "InvalidImageSize");
  json_node_unref (analyse ("v3.2", ok));
  expect_v32_error (COLOR_ONLY, big, 400, "InvalidImageSize");
  expect_v32_error (COLOR_ONLY, not_jpeg, 400, "InvalidImageFormat");
  expect_v32_error (COLOR_ONLY, empty, 400, "InvalidImageSize");
  expect_v32_error ("visualFeatures=Color,Telepathy", ok, 400,
      "NotSupportedVisualFeature");
  expect_v32_error ("visualFeatures=Color&details=Gossip", ok, 400,
      "InvalidDetails");
  expect_v32_error ("visualFeatures=Color&language=xx", ok, 400,
      "NotSupportedLanguage");

  /* Features Azure knows but we do not compute are accepted, and omitted. */
  root = post_json ("v3.2",
      "visualFeatures=Categories,Faces,Objects,color&details=Landmarks", NULL,
      ok, 200);
  fail_unless (json_object_has_member (json_node_get_object (root), "color"));
  fail_if (json_object_has_member (json_node_get_object (root), "faces"));
  json_node_unref (root);

  root = post_json ("v9.9", COLOR_ONLY, NULL, ok, 404);
  assert_error_code (root, "404");
  json_node_unref (root);

  answer = post_full (session, "GET", "v3.2", NULL, NULL, NULL, &msg, &error);
  fail_unless (answer != NULL);
  fail_unless_equals_int (soup_message_get_status (msg), 405);
  g_bytes_unref (answer);
  g_object_unref (msg);

  /* The URL the server reports is the one it answers on. */
  url = cv_local_server_get_url (server);
  fail_unless (g_str_has_prefix (url, "http://127.0.0.1:"));
  fail_unless (g_str_has_suffix (url, "/"));
  g_free (url);

  g_bytes_unref (small);
  g_bytes_unref (edge);
  g_bytes_unref (ok);
  g_bytes_unref (not_jpeg);
  g_bytes_unref (empty);
  g_bytes_unref (big);
}

GST_END_TEST;

typedef struct
{
  GBytes *jpeg;
  guint status;
  gint64 elapsed_us;
  GError *error;
} ClientJob;

/* A blocking client on its own thread and session, so the test can look at
 * the server while the request is outstanding. */
static gpointer
client_thread (gpointer data)
{
  ClientJob *job = data;
  SoupSession *own = soup_session_new ();
  SoupMessage *msg;
  gint64 start = g_get_monotonic_time ();
  GBytes *answer;

  answer = post_full (own, "POST", "v3.2", COLOR_ONLY, NULL, job->jpeg, &msg,
      &job->error);
  job->elapsed_us = g_get_monotonic_time () - start;
  job->status = soup_message_get_status (msg);
  if (answer)
    g_bytes_unref (answer);
  g_object_unref (msg);
  g_object_unref (own);

  return NULL;
}

/* Proves the delay: the answer takes at least the delay, the request counts
 * as in progress meanwhile (without blocking the server thread: a second
 * request is answered while the first waits), and 0 restores speed. */
GST_START_TEST (test_delay)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  ClientJob job = { jpeg, 0, 0, NULL };
  GThread *thread;

  cv_local_server_set_delay (server, 400);
  thread = g_thread_new ("client", client_thread, &job);
  fail_unless (cv_local_server_wait_for_requests (server, 1, 10 * SECOND));
  fail_unless_equals_int (cv_local_server_get_in_progress (server), 1);

  /* The server thread is free while the first request waits. */
  cv_local_server_set_delay (server, 0);
  g_bytes_unref (post_expect ("v3.2", COLOR_ONLY, NULL, jpeg, 200));

  g_thread_join (thread);
  fail_unless (job.error == NULL, "request failed: %s",
      job.error ? job.error->message : "");
  fail_unless_equals_int (job.status, 200);
  fail_unless (job.elapsed_us >= 400 * 1000, "answered after %" G_GINT64_FORMAT
      " us", job.elapsed_us);
  fail_unless_equals_int (cv_local_server_get_in_progress (server), 0);

  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves --status: 429 comes with the gateway body (code "429" as a string)
 * and Retry-After; 500 and 503 use the service's shape per version; going
 * back to 0 answers normally. */
GST_START_TEST (test_status)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  JsonNode *root;

  cv_local_server_set_failure (server, 429, 7);
  root = post_json ("v3.2", COLOR_ONLY, NULL, jpeg, 429);
  fail_unless_equals_string (reply_header ("Retry-After"), "7");
  assert_error_code (root, "429");
  json_node_unref (root);

  cv_local_server_set_failure (server, 500, 0);
  root = post_json ("v3.2", COLOR_ONLY, NULL, jpeg, 500);
  fail_if (reply_header ("Retry-After") != NULL);
  assert_error_code (root, "InternalServerError");
  json_node_unref (root);

  root = post_json ("v2.1", COLOR_ONLY, NULL, jpeg, 500);
  fail_unless_equals_string (json_object_get_string_member
      (json_node_get_object (root), "code"), "InternalServerError");
  json_node_unref (root);

  cv_local_server_set_failure (server, 503, 2);
  g_bytes_unref (post_expect ("v3.2", COLOR_ONLY, NULL, jpeg, 503));
  fail_unless_equals_string (reply_header ("Retry-After"), "2");

  cv_local_server_set_failure (server, 0, 0);
  json_node_unref (analyse ("v3.2", jpeg));

  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves set_fail_every: exactly every third request (3rd, 6th) fails with
 * the status, the others are answered, and 0 ends it. */
GST_START_TEST (test_fail_every)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  guint i;

  cv_local_server_set_fail_every (server, 3, 503);
  for (i = 1; i <= 7; i++)
    g_bytes_unref (post_expect ("v3.2", COLOR_ONLY, NULL, jpeg,
            i % 3 == 0 ? 503 : 200));
  cv_local_server_set_fail_every (server, 0, 0);
  for (i = 1; i <= 3; i++)
    g_bytes_unref (post_expect ("v3.2", COLOR_ONLY, NULL, jpeg, 200));
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves the Retry-After forms: seconds by default, an HTTP date no
 * sooner than the wait from now and less than a second later, and
 * retry-after-ms alone; each with the 429 body. */
GST_START_TEST (test_retry_after_forms)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  GDateTime *before, *after, *date;
  JsonNode *root;

  cv_local_server_set_failure (server, 429, 3);
  cv_local_server_set_retry_after_form (server,
      CV_LOCAL_SERVER_RETRY_AFTER_HTTP_DATE);
  before = g_date_time_new_now_utc ();
  root = post_json ("v3.2", COLOR_ONLY, NULL, jpeg, 429);
  after = g_date_time_new_now_utc ();
  assert_error_code (root, "429");
  json_node_unref (root);
  fail_if (reply_header ("retry-after-ms") != NULL);
  date = soup_date_time_new_from_http_string (reply_header ("Retry-After"));
  fail_unless (date != NULL, "not an HTTP date: %s",
      reply_header ("Retry-After"));
  fail_unless (g_date_time_difference (date, before) >= 3 * G_USEC_PER_SEC,
      "%s is sooner than 3 s from now", reply_header ("Retry-After"));
  fail_unless (g_date_time_difference (date, after) <= 4 * G_USEC_PER_SEC,
      "%s is later than 4 s from now", reply_header ("Retry-After"));
  g_date_time_unref (date);
  g_date_time_unref (after);
  g_date_time_unref (before);

  cv_local_server_set_retry_after_form (server,
      CV_LOCAL_SERVER_RETRY_AFTER_MS);
  json_node_unref (post_json ("v3.2", COLOR_ONLY, NULL, jpeg, 429));
  fail_unless_equals_string (reply_header ("retry-after-ms"), "3000");
  fail_if (reply_header ("Retry-After") != NULL);

  cv_local_server_set_retry_after_form (server,
      CV_LOCAL_SERVER_RETRY_AFTER_SECONDS);
  json_node_unref (post_json ("v3.2", COLOR_ONLY, NULL, jpeg, 429));
  fail_unless_equals_string (reply_header ("Retry-After"), "3");
  fail_if (reply_header ("retry-after-ms") != NULL);

  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves the garbling modes: MALFORMED answers 200 with a body that does
 * not parse; WRONG_TYPES answers 200 with JSON whose members have the wrong
 * types. */
GST_START_TEST (test_malformed_and_wrong_types)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  JsonParser *parser = json_parser_new ();
  GBytes *answer;
  JsonNode *root;
  JsonObject *o;
  GError *error = NULL;

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_MALFORMED);
  answer = post_expect ("v3.2", COLOR_ONLY, NULL, jpeg, 200);
  fail_if (json_parser_load_from_data (parser, g_bytes_get_data (answer,
              NULL), g_bytes_get_size (answer), &error));
  g_clear_error (&error);
  g_bytes_unref (answer);

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_WRONG_TYPES);
  root = post_json ("v3.2", COLOR_ONLY, NULL, jpeg, 200);
  o = json_node_get_object (root);
  fail_unless (JSON_NODE_HOLDS_VALUE (json_object_get_member (o,
              "description")));
  fail_unless_equals_int (json_object_get_int_member (o, "description"), 5);
  fail_unless (JSON_NODE_HOLDS_VALUE (json_object_get_member (o, "tags")));
  fail_unless (JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "color")));
  json_node_unref (root);

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_NORMAL);
  json_node_unref (analyse ("v3.2", jpeg));

  g_object_unref (parser);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves DROP: the connection closes without a response, so the client
 * gets a transport error rather than an HTTP status, and the server keeps
 * serving. */
GST_START_TEST (test_drop)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  GError *error;

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_DROP);
  error = post_expect_transport_error (jpeg);
  GST_INFO ("dropped: %s", error->message);
  g_clear_error (&error);
  fail_unless (cv_local_server_wait_for_requests (server, 1, 0));
  fail_unless_equals_int (cv_local_server_get_in_progress (server), 0);

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_NORMAL);
  json_node_unref (analyse ("v3.2", jpeg));

  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves HANG: the request does not finish before a client-side timeout,
 * it stays in progress, and freeing the server with it still hung is clean
 * (valgrind/ASan see no leak or crash). */
GST_START_TEST (test_hang)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  GError *error;
  gint64 start;

  soup_session_set_timeout (session, 1);
  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_HANG);
  start = g_get_monotonic_time ();
  error = post_expect_transport_error (jpeg);
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT),
      "unexpected error %s", error->message);
  fail_unless (g_get_monotonic_time () - start >= SECOND - 100000);
  g_clear_error (&error);

  fail_unless_equals_int (cv_local_server_get_request_count (server), 1);
  fail_unless_equals_int (cv_local_server_get_in_progress (server), 1);

  /* The fixture's teardown frees the server with the request still hung. */
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves that freeing the server while a client is still waiting on a hung
 * request closes that connection, so the client gets an error instead of
 * waiting for ever. */
GST_START_TEST (test_free_releases_waiting_client)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  ClientJob job = { jpeg, 0, 0, NULL };
  GThread *thread;

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_HANG);
  thread = g_thread_new ("waiting-client", client_thread, &job);
  fail_unless (cv_local_server_wait_for_requests (server, 1, 10 * SECOND));
  fail_unless_equals_int (cv_local_server_get_in_progress (server), 1);

  g_clear_pointer (&server, cv_local_server_free);
  g_thread_join (thread);
  fail_unless (job.error != NULL);
  GST_INFO ("released with: %s", job.error->message);
  g_clear_error (&job.error);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves the request log: wait_for_requests waits (and times out when
 * nothing comes), and each record holds the method, path, raw and decoded
 * query, api version, content type, key header and the exact body bytes. */
GST_START_TEST (test_request_record)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  CvLocalServerRequest *req;
  gint64 before;

  fail_if (cv_local_server_wait_for_requests (server, 1, 50 * 1000));
  fail_unless (cv_local_server_get_request (server, 0) == NULL);

  before = g_get_monotonic_time ();
  g_bytes_unref (post_expect ("v2.1",
          "visualFeatures=Description%2CColor&details=Landmarks&language=en",
          "k", jpeg, 200));

  fail_unless (cv_local_server_wait_for_requests (server, 1, 10 * SECOND));
  fail_unless_equals_int (cv_local_server_get_request_count (server), 1);
  req = cv_local_server_get_request (server, 0);
  fail_unless (req != NULL);
  fail_unless_equals_string (req->method, "POST");
  fail_unless_equals_string (req->path, "/vision/v2.1/analyze");
  fail_unless_equals_string (req->api_version, "v2.1");
  fail_unless_equals_string (req->query,
      "visualFeatures=Description%2CColor&details=Landmarks&language=en");
  fail_unless_equals_string (g_hash_table_lookup (req->query_params,
          "visualFeatures"), "Description,Color");
  fail_unless_equals_string (g_hash_table_lookup (req->query_params,
          "details"), "Landmarks");
  fail_unless_equals_string (req->content_type, "application/octet-stream");
  fail_unless (req->has_key);
  fail_unless (req->key_matches);
  fail_unless_equals_string (req->auth_header, "Ocp-Apim-Subscription-Key");
  fail_unless (g_bytes_equal (req->body, jpeg));
  fail_unless (req->received_monotonic_us >= before);
  cv_local_server_request_free (req);

  fail_unless (cv_local_server_get_request (server, 1) == NULL);

  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves start-up on an explicit port and a clean error when the port is
 * taken. */
GST_START_TEST (test_explicit_port)
{
  GError *error = NULL;
  CvLocalServer *second;

  second = cv_local_server_new_full (NULL, cv_local_server_get_port (server),
      &error);
  fail_unless (second == NULL);
  fail_unless (error != NULL);
  g_clear_error (&error);
}

GST_END_TEST;

static gboolean
no_open_connections (gpointer data)
{
  return cv_local_server_get_open_connections (data) == 0;
}

static gboolean
nothing_in_progress (gpointer data)
{
  return cv_local_server_get_in_progress (data) == 0;
}

/* The caption text of an analysis answer. */
static const gchar *
caption_text (JsonNode * root)
{
  JsonArray *captions = json_object_get_array_member (member_object (root,
          "description"), "captions");

  return json_object_get_string_member (json_array_get_object_element
      (captions, 0), "text");
}

/* Proves LONE_SURROGATES: the body is valid UTF-8 JSON with "\ud800" and
 * "\udfff" escapes, and json-glib turns them into the bytes ED A0 80 and
 * ED BF BF, which are not UTF-8, in the caption and every tag. */
GST_START_TEST (test_lone_surrogates)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  GBytes *answer;
  JsonNode *root;
  JsonArray *tags;
  const gchar *caption;
  gchar *text;
  guint i;

  cv_local_server_set_hostile (server,
      CV_LOCAL_SERVER_HOSTILE_LONE_SURROGATES);
  answer = post_expect ("v3.2", "visualFeatures=" ALL_FEATURES, NULL, jpeg,
      200);
  text = body_text (answer);
  fail_unless (strstr (text, "a plain red image \\ud800 high and \\udfff low")
      != NULL, "%s", text);
  root = parse_object (answer);

  caption = caption_text (root);
  fail_unless (g_str_has_prefix (caption, "a plain red image "));
  fail_unless (strstr (caption, "\xed\xa0\x80") != NULL);
  fail_unless (strstr (caption, "\xed\xbf\xbf") != NULL);
  fail_if (g_utf8_validate (caption, -1, NULL));

  tags = json_object_get_array_member (json_node_get_object (root), "tags");
  fail_unless_equals_int (json_array_get_length (tags), 1);
  for (i = 0; i < json_array_get_length (tags); i++) {
    const gchar *name = json_object_get_string_member
        (json_array_get_object_element (tags, i), "name");

    fail_unless (g_str_has_prefix (name, "red "));
    fail_unless (strstr (name, "\xed\xa0\x80") != NULL);
  }
  fail_unless (strstr (json_array_get_string_element
          (json_object_get_array_member (member_object (root, "description"),
                  "tags"), 0), "\xed\xa0\x80") != NULL);
  /* Only the caption and tags: the ids stay clean. */
  fail_unless (g_utf8_validate (json_object_get_string_member
          (json_node_get_object (root), "requestId"), -1, NULL));

  json_node_unref (root);
  g_free (text);
  g_bytes_unref (answer);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves CONTROL_CHARS: a 200 whose caption, tags, requestId and
 * modelVersion decode to the exact control characters (ESC sequences, BEL,
 * U+202E, U+0085, U+009B, tab, newline; the body carries the NUL as
 * "\u0000", where json-glib ends the string), and error bodies from
 * set_failure with them in every code and message, while Azure's own
 * errors (404) stay clean. */
GST_START_TEST (test_control_chars)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  GBytes *answer;
  JsonNode *root;
  JsonObject *o, *error, *inner;
  gchar *text, *expected;

  cv_local_server_set_hostile (server, CV_LOCAL_SERVER_HOSTILE_CONTROL_CHARS);
  answer = post_expect ("v3.2", "visualFeatures=" ALL_FEATURES, NULL, jpeg,
      200);
  text = body_text (answer);
  fail_unless (strstr (text, "\\u001b[2J\\u001b]0;pwned\\u0007") != NULL);
  fail_unless (strstr (text, " nul\\u0000\"") != NULL);
  root = parse_object (answer);
  o = json_node_get_object (root);

  fail_unless_equals_string (caption_text (root),
      "a plain red image" CV_HOSTILE_CONTROL_CHARS_TEXT);
  fail_unless_equals_string (json_object_get_string_member
      (json_array_get_object_element (json_object_get_array_member (o,
                  "tags"), 0), "name"), "red" CV_HOSTILE_CONTROL_CHARS_TEXT);
  fail_unless_equals_string (json_array_get_string_element
      (json_object_get_array_member (member_object (root, "description"),
              "tags"), 0), "red" CV_HOSTILE_CONTROL_CHARS_TEXT);
  fail_unless_equals_string (json_object_get_string_member (o,
          "modelVersion"), CV_COLOUR_ANALYSIS_MODEL_VERSION
      CV_HOSTILE_CONTROL_CHARS_TEXT);
  /* The header keeps the clean id. */
  expected = g_strconcat (reply_header ("apim-request-id"),
      CV_HOSTILE_CONTROL_CHARS_TEXT, NULL);
  fail_unless_equals_string (json_object_get_string_member (o, "requestId"),
      expected);
  g_free (expected);
  json_node_unref (root);
  g_free (text);
  g_bytes_unref (answer);

  /* The gateway's 429: code and message. */
  cv_local_server_set_failure (server, 429, 3);
  root = post_json ("v3.2", COLOR_ONLY, NULL, jpeg, 429);
  error = assert_error_code (root, "429" CV_HOSTILE_CONTROL_CHARS_TEXT);
  fail_unless_equals_string (json_object_get_string_member (error,
          "message"), "Rate limit is exceeded. Try again in 3 seconds."
      CV_HOSTILE_CONTROL_CHARS_TEXT);
  json_node_unref (root);

  /* The service's 500: the inner error too, in both dialects. */
  cv_local_server_set_failure (server, 500, 0);
  root = post_json ("v3.2", COLOR_ONLY, NULL, jpeg, 500);
  error = assert_error_code (root,
      "InternalServerError" CV_HOSTILE_CONTROL_CHARS_TEXT);
  inner = json_object_get_object_member (error, "innererror");
  fail_unless_equals_string (json_object_get_string_member (inner, "code"),
      "InternalServerError" CV_HOSTILE_CONTROL_CHARS_TEXT);
  fail_unless_equals_string (json_object_get_string_member (inner,
          "message"), "An internal server error occurred (simulated)."
      CV_HOSTILE_CONTROL_CHARS_TEXT);
  json_node_unref (root);
  root = post_json ("v2.1", COLOR_ONLY, NULL, jpeg, 500);
  fail_unless_equals_string (json_object_get_string_member
      (json_node_get_object (root), "code"),
      "InternalServerError" CV_HOSTILE_CONTROL_CHARS_TEXT);
  json_node_unref (root);

  root = post_json ("v9.9", COLOR_ONLY, NULL, jpeg, 404);
  assert_error_code (root, "404");
  json_node_unref (root);

  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves set_tag_count: a million tags arrive, "tag1" to "tag1000000", in
 * "tags" and in "description.tags", within a few seconds; 0 goes back to
 * the analysed tags. */
GST_START_TEST (test_million_tags)
{
  const guint n = 1000000;
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  GBytes *answer;
  JsonNode *root;
  JsonArray *tags, *names;
  gint64 start, elapsed;
  gchar last[32];
  guint i;

  cv_local_server_set_tag_count (server, n);
  start = g_get_monotonic_time ();
  answer = post_expect ("v3.2", "visualFeatures=" ALL_FEATURES, NULL, jpeg,
      200);
  elapsed = g_get_monotonic_time () - start;
  GST_INFO ("%u tags: %" G_GSIZE_FORMAT " bytes in %" G_GINT64_FORMAT " ms",
      n, g_bytes_get_size (answer), elapsed / 1000);
  /* Built and sent in well under a second on an idle machine; the bound
   * leaves room for two busy cores. */
  fail_unless (elapsed < 10 * SECOND, "took %" G_GINT64_FORMAT " us",
      elapsed);

  root = parse_object (answer);
  tags = json_object_get_array_member (json_node_get_object (root), "tags");
  names = json_object_get_array_member (member_object (root, "description"),
      "tags");
  fail_unless_equals_int (json_array_get_length (tags), n);
  fail_unless_equals_int (json_array_get_length (names), n);
  g_snprintf (last, sizeof (last), "tag%u", n);
  for (i = 0; i < n; i += n - 1) {
    const gchar *expected = i == 0 ? "tag1" : last;

    fail_unless_equals_string (json_object_get_string_member
        (json_array_get_object_element (tags, i), "name"), expected);
    fail_unless_equals_string (json_array_get_string_element (names, i),
        expected);
  }
  json_node_unref (root);
  g_bytes_unref (answer);

  cv_local_server_set_tag_count (server, 0);
  root = analyse ("v3.2", jpeg);
  fail_unless_equals_int (json_array_get_length (json_object_get_array_member
          (json_node_get_object (root), "tags")), 1);
  json_node_unref (root);

  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves set_caption_words: captions of 16 000 and 32 000 words, each
 * "wordK" in order. */
GST_START_TEST (test_caption_words)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  const guint counts[] = { 16000, 32000 };
  guint c, i;

  for (c = 0; c < G_N_ELEMENTS (counts); c++) {
    JsonNode *root;
    gchar **words;

    cv_local_server_set_caption_words (server, counts[c]);
    root = analyse ("v3.2", jpeg);
    words = g_strsplit (caption_text (root), " ", -1);
    fail_unless_equals_int (g_strv_length (words), counts[c]);
    for (i = 0; i < counts[c]; i++) {
      gchar *expected = g_strdup_printf ("word%u", i + 1);

      fail_unless_equals_string (words[i], expected);
      g_free (expected);
    }
    g_strfreev (words);
    json_node_unref (root);
  }

  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves set_error_message_size: a 64 MiB message in the v3.2 gateway and
 * service errors and in the flat v2.x error, exactly that many bytes. */
GST_START_TEST (test_error_message_size)
{
  const gsize n = 64 * MIB;
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  const guint statuses[] = { 429, 503 };
  JsonNode *root;
  guint i;

  cv_local_server_set_error_message_size (server, n);
  for (i = 0; i < G_N_ELEMENTS (statuses); i++) {
    JsonObject *error;

    cv_local_server_set_failure (server, statuses[i], 0);
    root = post_json ("v3.2", COLOR_ONLY, NULL, jpeg, statuses[i]);
    error = member_object (root, "error");
    fail_unless_equals_int (strlen (json_object_get_string_member (error,
                "message")), n);
    json_node_unref (root);
  }

  root = post_json ("v2.1", COLOR_ONLY, NULL, jpeg, 503);
  fail_unless_equals_int (strlen (json_object_get_string_member
          (json_node_get_object (root), "message")), n);
  json_node_unref (root);

  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* The resident set size of this process (server and client), in bytes. */
static gsize
resident_bytes (void)
{
  gchar *status = NULL;
  const gchar *line;
  gsize kib = 0;

  fail_unless (g_file_get_contents ("/proc/self/status", &status, NULL,
          NULL));
  line = strstr (status, "VmRSS:");
  fail_unless (line != NULL);
  fail_unless_equals_int (sscanf (line, "VmRSS: %" G_GSIZE_FORMAT, &kib), 1);
  g_free (status);

  return kib * 1024;
}

/* Proves ENDLESS: a 200 JSON body '{"tags":["x","x",...' streams past
 * 32 MiB to a reader that discards it while the process's memory stays
 * flat (the server writes a chunk only once the previous one is out), and
 * the stream stops, its connection closed, when the reader closes. */
GST_START_TEST (test_endless)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  gchar *base = cv_local_server_get_url (server);
  gchar *url = g_strdup_printf ("%svision/v3.2/analyze?" COLOR_ONLY, base);
  SoupMessage *msg = soup_message_new ("POST", url);
  GInputStream *body;
  GError *error = NULL;
  static const gchar head[] = "{\"tags\":[\"x\",\"x\",";
  GString *start = g_string_new (NULL);
  gchar buf[64 * 1024];
  gsize total = 0, rss_before = 0, rss_after;
  gssize n;

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_ENDLESS);
  soup_message_set_request_body_from_bytes (msg, "application/octet-stream",
      jpeg);
  body = soup_session_send (session, msg, NULL, &error);
  fail_unless (body != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  fail_unless (g_str_has_prefix (soup_message_headers_get_content_type
          (soup_message_get_response_headers (msg), NULL),
          "application/json"));
  fail_unless_equals_int (soup_message_headers_get_encoding
      (soup_message_get_response_headers (msg)), SOUP_ENCODING_CHUNKED);

  while (total < 40 * MIB) {
    n = g_input_stream_read (body, buf, sizeof (buf), NULL, &error);
    fail_unless (n > 0, "stream ended after %" G_GSIZE_FORMAT " bytes: %s",
        total, error ? error->message : "EOF");
    if (start->len < strlen (head))
      g_string_append_len (start, buf, MIN ((gsize) n, strlen (head)));
    total += n;
    /* Past start-up (buffers, first chunks), measure from here. */
    if (rss_before == 0 && total >= 8 * MIB)
      rss_before = resident_bytes ();
  }
  rss_after = resident_bytes ();
  fail_unless (g_str_has_prefix (start->str, head), "%s", start->str);
  g_string_free (start, TRUE);
  GST_INFO ("read %" G_GSIZE_FORMAT " MiB; RSS %" G_GSIZE_FORMAT " -> %"
      G_GSIZE_FORMAT " KiB", total / MIB, rss_before / 1024, rss_after / 1024);
  fail_unless (rss_after < rss_before + 4 * MIB, "RSS grew from %"
      G_GSIZE_FORMAT " to %" G_GSIZE_FORMAT " KiB", rss_before / 1024,
      rss_after / 1024);
  fail_unless_equals_int (cv_local_server_get_in_progress (server), 1);

  /* Closing mid-body makes the session drop the connection. */
  fail_unless (g_input_stream_close (body, NULL, NULL));
  g_object_unref (body);
  fail_unless (wait_until (nothing_in_progress, server, 10 * SECOND));
  fail_unless (wait_until (no_open_connections, server, 10 * SECOND));

  g_object_unref (msg);
  g_free (url);
  g_free (base);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Connects a raw TCP client to the fixture's server. */
static GSocketConnection *
raw_connect (void)
{
  GSocketClient *client = g_socket_client_new ();
  GError *error = NULL;
  GSocketConnection *conn;

  conn = g_socket_client_connect_to_host (client, "127.0.0.1",
      cv_local_server_get_port (server), NULL, &error);
  fail_unless (conn != NULL, "%s", error ? error->message : "");
  g_object_unref (client);
  return conn;
}

/* Sends a v3.2 POST of @jpeg on @conn, asking to keep the connection. */
static void
raw_send_request (GSocketConnection * conn, GBytes * jpeg)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  gchar *head = g_strdup_printf ("POST /vision/v3.2/analyze?" COLOR_ONLY
      " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
      "application/octet-stream\r\nContent-Length: %" G_GSIZE_FORMAT
      "\r\nConnection: keep-alive\r\n\r\n", g_bytes_get_size (jpeg));

  fail_unless (g_output_stream_write_all (out, head, strlen (head), NULL,
          NULL, NULL));
  fail_unless (g_output_stream_write_all (out, g_bytes_get_data (jpeg, NULL),
          g_bytes_get_size (jpeg), NULL, NULL, NULL));
  g_free (head);
}

/* Reads @conn until the server closes it; returns what was read, or NULL
 * with @error set if the read failed. */
static GString *
raw_read_all (GSocketConnection * conn, GError ** error)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  GString *received = g_string_new (NULL);
  gchar buf[4096];
  gssize n;

  while ((n = g_input_stream_read (in, buf, sizeof (buf), NULL, error)) > 0)
    g_string_append_len (received, buf, n);
  if (n < 0) {
    g_string_free (received, TRUE);
    return NULL;
  }
  return received;
}

/* Reads one HTTP response from @conn, head and Content-Length body, and
 * returns its head; leaves the connection to its owner, so a server that
 * keeps it open is not waited for. */
static gchar *
raw_read_response (GSocketConnection * conn)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  GString *received = g_string_new (NULL);
  const gchar *end = NULL, *length;
  gsize head_len = 0, body_len = 0;
  gchar buf[4096];
  gssize n;

  while (end == NULL || received->len < head_len + body_len) {
    n = g_input_stream_read (in, buf, sizeof (buf), NULL, NULL);
    fail_unless (n > 0, "response cut short: %s", received->str);
    g_string_append_len (received, buf, n);
    if (end == NULL && (end = strstr (received->str, "\r\n\r\n")) != NULL) {
      head_len = end + 4 - received->str;
      length = g_strstr_len (received->str, head_len, "Content-Length: ");
      fail_unless (length != NULL);
      body_len = g_ascii_strtoull (length + 16, NULL, 10);
    }
  }
  g_string_truncate (received, head_len);

  return g_string_free (received, FALSE);
}

/* Proves RESET: the client's read fails with ECONNRESET ("Connection
 * reset by peer", G_IO_ERROR_CONNECTION_CLOSED), both on a raw socket and
 * through libsoup, where DROP gives a clean end of stream instead. */
GST_START_TEST (test_reset)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  GSocketConnection *conn;
  GError *error = NULL;
  GString *received;

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_RESET);
  conn = raw_connect ();
  raw_send_request (conn, jpeg);
  fail_unless (raw_read_all (conn, &error) == NULL);
  GST_INFO ("raw read after reset: %s", error->message);
  fail_unless (g_error_matches (error, G_IO_ERROR,
          G_IO_ERROR_CONNECTION_CLOSED), "%s", error->message);
  fail_unless (strstr (error->message, g_strerror (ECONNRESET)) != NULL,
      "%s", error->message);
  g_clear_error (&error);
  g_object_unref (conn);

  error = post_expect_transport_error (jpeg);
  GST_INFO ("libsoup after reset: %s", error->message);
  fail_unless (g_error_matches (error, G_IO_ERROR,
          G_IO_ERROR_CONNECTION_CLOSED), "%s", error->message);
  fail_unless (strstr (error->message, g_strerror (ECONNRESET)) != NULL,
      "%s", error->message);
  g_clear_error (&error);

  /* DROP, for contrast, closes with a FIN: an empty read, no error. */
  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_DROP);
  conn = raw_connect ();
  raw_send_request (conn, jpeg);
  received = raw_read_all (conn, &error);
  fail_unless (received != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (received->len, 0);
  g_string_free (received, TRUE);
  g_object_unref (conn);

  fail_unless_equals_int (cv_local_server_get_in_progress (server), 0);
  fail_unless (wait_until (no_open_connections, server, 10 * SECOND));
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves release: three hung requests are held (and their connections
 * counted open) until cv_local_server_release(), then each gets the
 * answer NORMAL gives, and the mode is NORMAL again. */
GST_START_TEST (test_release)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  ClientJob jobs[3];
  GThread *threads[3];
  guint i;

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_HANG);
  memset (jobs, 0, sizeof (jobs));
  for (i = 0; i < G_N_ELEMENTS (jobs); i++) {
    jobs[i].jpeg = jpeg;
    threads[i] = g_thread_new ("held-client", client_thread, &jobs[i]);
  }
  fail_unless (cv_local_server_wait_for_requests (server, 3, 10 * SECOND));
  fail_unless_equals_int (cv_local_server_get_in_progress (server), 3);
  fail_unless_equals_int (cv_local_server_get_open_connections (server), 3);

  cv_local_server_release (server);
  for (i = 0; i < G_N_ELEMENTS (jobs); i++) {
    g_thread_join (threads[i]);
    fail_unless (jobs[i].error == NULL, "%s", jobs[i].error->message);
    fail_unless_equals_int (jobs[i].status, 200);
  }
  fail_unless_equals_int (cv_local_server_get_in_progress (server), 0);
  fail_unless (wait_until (no_open_connections, server, 10 * SECOND));

  /* NORMAL again: answered at once. */
  json_node_unref (analyse ("v3.2", jpeg));
  /* Nothing held: a no-op. */
  cv_local_server_release (server);

  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* One request on a fresh session, closed afterwards. */
static void
request_on_own_session (GBytes * jpeg)
{
  SoupSession *own = soup_session_new ();
  SoupMessage *msg;
  GError *error = NULL;
  GBytes *answer;

  answer = post_full (own, "POST", "v3.2", COLOR_ONLY, NULL, jpeg, &msg,
      &error);
  fail_unless (answer != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  g_bytes_unref (answer);
  g_object_unref (msg);
  g_object_unref (own);
}

/* Proves the server closes every connection it is done with (libsoup
 * 3.2.x left client-closed idle ones in CLOSE-WAIT): after 200 clients of
 * four kinds (a session each; a raw keep-alive client that reads the
 * answer and closes; one that connects and closes without a request; one
 * that closes before reading the answer) no connection is open and the
 * process holds no more sockets than before; a keep-alive session still
 * gets its answers. */
GST_START_TEST (test_no_socket_leak)
{
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  guint sockets_before, i;

  /* Once before counting, for what GIO opens on first use and keeps
   * (the network monitor's netlink socket). */
  request_on_own_session (jpeg);
  if (!wait_until (no_open_connections, server, 10 * SECOND))
    fail ("%u connections still open after the first",
        cv_local_server_get_open_connections (server));
  sockets_before = cv_proc_sockets_count ();

  for (i = 0; i < 200; i++) {
    GSocketConnection *conn;
    gchar *head;

    switch (i % 4) {
      case 0:
        request_on_own_session (jpeg);
        break;
      case 1:
        conn = raw_connect ();
        raw_send_request (conn, jpeg);
        head = raw_read_response (conn);
        fail_unless (g_str_has_prefix (head, "HTTP/1.1 200 "), "%s", head);
        g_free (head);
        g_object_unref (conn);
        break;
      case 2:
        g_object_unref (raw_connect ());
        break;
      case 3:
        conn = raw_connect ();
        raw_send_request (conn, jpeg);
        g_object_unref (conn);
        break;
    }
  }
  /* Every request was handled... */
  fail_unless (cv_local_server_wait_for_requests (server, 1 + 150,
          10 * SECOND));
  /* ...and every connection closed. */
  if (!wait_until (no_open_connections, server, 10 * SECOND))
    fail ("%u connections still open",
        cv_local_server_get_open_connections (server));
  fail_unless (cv_proc_sockets_count () <= sockets_before, "%u sockets, %u "
      "before", cv_proc_sockets_count (), sockets_before);

  /* One keep-alive session, many requests: all answered. */
  for (i = 0; i < 20; i++)
    g_bytes_unref (post_expect ("v3.2", COLOR_ONLY, NULL, jpeg, 200));
  fail_unless_equals_string (reply_header ("Connection"), "close");
  g_clear_object (&last_msg);
  g_clear_object (&session);
  fail_unless (wait_until (no_open_connections, server, 10 * SECOND));

  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Runs the command-line server with up to two arguments; returns its exit
 * status, its standard output in @out (%NULL: not captured). */
static gint
run_program (const gchar * arg1, const gchar * arg2, gchar ** out)
{
  GError *error = NULL;
  GSubprocess *process;
  gint status;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error, server_program (), arg1, arg2,
      NULL);
  fail_unless (process != NULL, "%s", error ? error->message : "");
  fail_unless (g_subprocess_communicate_utf8 (process, NULL, NULL, out, NULL,
          &error), "%s", error ? error->message : "");
  status = g_subprocess_get_if_exited (process) ?
      g_subprocess_get_exit_status (process) : -1;
  g_object_unref (process);

  return status;
}

/* Proves --help lists the routes and every switch, each with a line saying
 * what it does, and that contradictory or negative switches are refused
 * with exit status 2. */
GST_START_TEST (test_help)
{
  static const gchar *const switches[] = {
    "--port=PORT", "--key=KEY", "--delay-ms=MS", "--status=STATUS",
    "--retry-after=SECONDS", "--retry-after-form=FORM", "--malformed", "--wrong-types", "--drop",
    "--hang", "--endless", "--reset", "--lone-surrogates", "--control-chars",
    "--tags=N", "--caption-words=N", "--error-message-bytes=N",
    "--model=NAME", "--no-caption-region", "--reasoning",
    "--refuse-response-format", "--refuse-max-tokens",
  };
  static const gchar *const routes[] = {
    "POST /vision/{v2.0|v2.1|v3.2}/analyze",
    "POST /computervision/imageanalysis:analyze?api-version=2023-10-01",
    "POST /v1/chat/completions", "POST /openai/v1/chat/completions",
    "POST /openai/deployments/DEPLOYMENT/chat/completions?api-version=",
  };
  gchar *out = NULL;
  gchar **lines;
  guint i, j;

  fail_unless_equals_int (run_program ("--help", NULL, &out), 0);
  for (i = 0; i < G_N_ELEMENTS (routes); i++)
    fail_unless (strstr (out, routes[i]) != NULL, "no route %s", routes[i]);
  lines = g_strsplit (out, "\n", -1);
  for (i = 0; i < G_N_ELEMENTS (switches); i++) {
    gboolean described = FALSE;

    for (j = 0; lines[j] != NULL && !described; j++) {
      const gchar *at = strstr (lines[j], switches[i]);
      gsize len = strlen (switches[i]);

      /* "  --tags=N    Answer with ...": the switch, then words. */
      if (at != NULL && at[len] == ' ') {
        at += len;
        while (*at == ' ')
          at++;
        described = strlen (at) > 10;
      }
    }
    fail_unless (described, "%s is not described in:\n%s", switches[i], out);
  }
  g_strfreev (lines);
  g_free (out);

  fail_unless_equals_int (run_program ("--endless", "--reset", NULL), 2);
  fail_unless_equals_int (run_program ("--tags", "-1", NULL), 2);
  fail_unless_equals_int (run_program ("--retry-after-form", "soon", NULL),
      2);
  fail_unless_equals_int (run_program ("--error-message-bytes", "-5", NULL),
      2);
}

GST_END_TEST;

/* A POST of @jpeg to @program. */
static SoupMessage *
program_message (Program * program, const gchar * version, GBytes * jpeg)
{
  gchar *url = g_strdup_printf ("%svision/%s/analyze?visualFeatures="
      ALL_FEATURES, program->url, version);
  SoupMessage *msg = soup_message_new ("POST", url);

  soup_message_set_request_body_from_bytes (msg, "application/octet-stream",
      jpeg);
  g_free (url);
  return msg;
}

/* POSTs @jpeg to @program; returns the message, its body in @body (NULL
 * on a transport error, then in @error). */
static SoupMessage *
program_post (Program * program, const gchar * version, GBytes * jpeg,
    GBytes ** body, GError ** error)
{
  SoupMessage *msg = program_message (program, version, jpeg);

  *body = soup_session_send_and_read (session, msg, NULL, error);
  return msg;
}

/* Like program_post(), with the body as a stream in @in. */
static SoupMessage *
program_post_stream (Program * program, GBytes * jpeg, GInputStream ** in,
    GError ** error)
{
  SoupMessage *msg = program_message (program, "v3.2", jpeg);

  *in = soup_session_send (session, msg, NULL, error);
  return msg;
}

/* Proves the new switches reach the server: --tags, --caption-words,
 * --lone-surrogates and --control-chars shape a 200; --status with
 * --error-message-bytes the error; --reset resets; --endless streams. */
GST_START_TEST (test_switches)
{
  static const gchar *const hostile[] = { "--tags", "3", "--caption-words",
    "4", "--lone-surrogates", "--control-chars", NULL
  };
  static const gchar *const big_error[] = { "--status", "503",
    "--error-message-bytes", "1000", NULL
  };
  static const gchar *const reset[] = { "--reset", NULL };
  static const gchar *const endless[] = { "--endless", NULL };
  static const gchar *const ms[] = { "--status", "429", "--retry-after", "2",
    "--retry-after-form", "ms", NULL
  };
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  GError *error = NULL;
  GBytes *body;
  SoupMessage *msg;
  Program program;
  JsonNode *root;
  const gchar *caption;
  GInputStream *in;
  gchar buf[64 * 1024];
  gsize total = 0;

  session = soup_session_new ();

  program = program_start (hostile);
  msg = program_post (&program, "v3.2", jpeg, &body, &error);
  fail_unless (body != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  root = parse_object (body);
  fail_unless_equals_int (json_array_get_length (json_object_get_array_member
          (json_node_get_object (root), "tags")), 3);
  caption = caption_text (root);
  fail_unless (g_str_has_prefix (caption, "word1 word2 word3 word4 "));
  fail_unless (strstr (caption, "\xed\xa0\x80") != NULL);
  fail_unless (strchr (caption, '\033') != NULL);
  json_node_unref (root);
  g_bytes_unref (body);
  g_object_unref (msg);
  program_stop (&program);

  program = program_start (big_error);
  msg = program_post (&program, "v2.1", jpeg, &body, &error);
  fail_unless (body != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (soup_message_get_status (msg), 503);
  root = parse_object (body);
  fail_unless_equals_int (strlen (json_object_get_string_member
          (json_node_get_object (root), "message")), 1000);
  json_node_unref (root);
  g_bytes_unref (body);
  g_object_unref (msg);
  program_stop (&program);

  program = program_start (ms);
  msg = program_post (&program, "v3.2", jpeg, &body, &error);
  fail_unless (body != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (soup_message_get_status (msg), 429);
  fail_unless_equals_string (soup_message_headers_get_one
      (soup_message_get_response_headers (msg), "retry-after-ms"), "2000");
  g_bytes_unref (body);
  g_object_unref (msg);
  program_stop (&program);

  program = program_start (reset);
  msg = program_post (&program, "v3.2", jpeg, &body, &error);
  fail_unless (body == NULL);
  fail_unless (g_error_matches (error, G_IO_ERROR,
          G_IO_ERROR_CONNECTION_CLOSED), "%s", error->message);
  g_clear_error (&error);
  g_object_unref (msg);
  program_stop (&program);

  program = program_start (endless);
  msg = program_post_stream (&program, jpeg, &in, &error);
  fail_unless (in != NULL, "%s", error ? error->message : "");
  while (total < 4 * MIB) {
    gssize n = g_input_stream_read (in, buf, sizeof (buf), NULL, NULL);

    fail_unless (n > 0);
    total += n;
  }
  g_object_unref (in);
  g_object_unref (msg);
  program_stop (&program);

  g_bytes_unref (jpeg);
  g_clear_object (&session);
}

GST_END_TEST;

static Suite *
localserver_suite (void)
{
  Suite *s = suite_create ("localserver");
  TCase *tc_colour = tcase_create ("colour");
  TCase *tc_analysis = tcase_create ("analysis");
  TCase *tc_key = tcase_create ("key");
  TCase *tc_protocol = tcase_create ("protocol");
  TCase *tc_misbehaviour = tcase_create ("misbehaviour");
  TCase *tc_hostile = tcase_create ("hostile");
  TCase *tc_connections = tcase_create ("connections");
  TCase *tc_program = tcase_create ("program");

  tcase_add_checked_fixture (tc_analysis, setup_server, teardown_server);
  tcase_add_checked_fixture (tc_key, setup_keyed_server, teardown_server);
  tcase_add_checked_fixture (tc_protocol, setup_server, teardown_server);
  tcase_add_checked_fixture (tc_misbehaviour, setup_server, teardown_server);
  tcase_add_checked_fixture (tc_hostile, setup_server, teardown_server);
  tcase_add_checked_fixture (tc_connections, setup_server, teardown_server);

  suite_add_tcase (s, tc_colour);
  tcase_add_test (tc_colour, test_classify);
  tcase_add_test (tc_colour, test_analyse_rgb);

  suite_add_tcase (s, tc_analysis);
  tcase_add_test (tc_analysis, test_solid_colours);
  tcase_add_test (tc_analysis, test_border_and_centre);
  tcase_add_test (tc_analysis, test_accent_colour);
  tcase_add_test (tc_analysis, test_deterministic);
  tcase_add_test (tc_analysis, test_metadata);

  suite_add_tcase (s, tc_key);
  tcase_add_test (tc_key, test_key);

  suite_add_tcase (s, tc_protocol);
  tcase_add_test (tc_protocol, test_v2_dialect);
  tcase_add_test (tc_protocol, test_invalid_requests);
  tcase_add_test (tc_protocol, test_request_record);
  tcase_add_test (tc_protocol, test_explicit_port);

  suite_add_tcase (s, tc_misbehaviour);
  tcase_add_test (tc_misbehaviour, test_delay);
  tcase_add_test (tc_misbehaviour, test_status);
  tcase_add_test (tc_misbehaviour, test_fail_every);
  tcase_add_test (tc_misbehaviour, test_retry_after_forms);
  tcase_add_test (tc_misbehaviour, test_malformed_and_wrong_types);
  tcase_add_test (tc_misbehaviour, test_drop);
  tcase_add_test (tc_misbehaviour, test_hang);
  tcase_add_test (tc_misbehaviour, test_free_releases_waiting_client);
  tcase_add_test (tc_misbehaviour, test_endless);
  tcase_add_test (tc_misbehaviour, test_reset);
  tcase_add_test (tc_misbehaviour, test_release);

  suite_add_tcase (s, tc_hostile);
  tcase_add_test (tc_hostile, test_lone_surrogates);
  tcase_add_test (tc_hostile, test_control_chars);
  tcase_add_test (tc_hostile, test_million_tags);
  tcase_add_test (tc_hostile, test_caption_words);
  tcase_add_test (tc_hostile, test_error_message_size);

  suite_add_tcase (s, tc_connections);
  tcase_add_test (tc_connections, test_no_socket_leak);

  suite_add_tcase (s, tc_program);
  tcase_add_test (tc_program, test_help);
  tcase_add_test (tc_program, test_switches);

  return s;
}

GST_CHECK_MAIN (localserver);
