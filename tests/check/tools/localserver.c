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

#include <stdio.h>
#include <string.h>
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <turbojpeg.h>

#include "cvlocalserver.h"
#include "cvcolouranalysis.h"

#define ALL_FEATURES "Description,Tags,Color"
#define SECOND G_GINT64_CONSTANT (1000000)

typedef struct
{
  guint8 r, g, b;
} Rgb;

static const Rgb RED = { 255, 0, 0 };
static const Rgb BLUE = { 0, 0, 255 };
static const Rgb GREEN = { 0, 160, 0 };
static const Rgb WHITE = { 255, 255, 255 };
static const Rgb BLACK = { 0, 0, 0 };
static const Rgb GRAY = { 128, 128, 128 };
static const Rgb YELLOW = { 255, 255, 0 };

/* A JPEG of @width x @height: @outer everywhere except the central
 * rectangle spanning the middle half each way, which is @inner. */
static GBytes *
make_jpeg (guint width, guint height, Rgb outer, Rgb inner)
{
  guint8 *rgb = g_malloc ((gsize) width * height * 3);
  unsigned char *jpeg = NULL;
  unsigned long jpeg_size = 0;
  tjhandle tj;
  GBytes *bytes;
  guint x, y;

  for (y = 0; y < height; y++) {
    for (x = 0; x < width; x++) {
      gboolean in = x >= width / 4 && x < width - width / 4
          && y >= height / 4 && y < height - height / 4;
      Rgb c = in ? inner : outer;
      guint8 *p = rgb + ((gsize) y * width + x) * 3;

      p[0] = c.r;
      p[1] = c.g;
      p[2] = c.b;
    }
  }

  tj = tjInitCompress ();
  fail_unless (tj != NULL);
  fail_unless_equals_int (tjCompress2 (tj, rgb, width, width * 3, height,
          TJPF_RGB, &jpeg, &jpeg_size, TJSAMP_444, 90, 0), 0);
  bytes = g_bytes_new (jpeg, jpeg_size);
  tjFree (jpeg);
  tjDestroy (tj);
  g_free (rgb);

  return bytes;
}

static GBytes *
make_solid_jpeg (guint width, guint height, Rgb colour)
{
  return make_jpeg (width, height, colour, colour);
}

/* POSTs @body and returns the answer's body; @msg_out gets the message for
 * its status and headers. NULL (with @error set) on a transport error. */
static GBytes *
post_full (SoupSession * session, CvLocalServer * server, const gchar * method,
    const gchar * version, const gchar * query, const gchar * key,
    GBytes * body, SoupMessage ** msg_out, GError ** error)
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

  answer = soup_session_send_and_read (session, msg, NULL, error);

  if (msg_out)
    *msg_out = msg;
  else
    g_object_unref (msg);
  g_free (url);
  g_free (base);

  return answer;
}

static GBytes *
post (SoupSession * session, CvLocalServer * server, const gchar * version,
    const gchar * query, const gchar * key, GBytes * body, SoupMessage ** msg)
{
  GError *error = NULL;
  GBytes *answer = post_full (session, server, "POST", version, query, key,
      body, msg, &error);

  if (answer == NULL)
    fail ("request failed: %s", error->message);
  return answer;
}

/* Parses @bytes as a JSON object; the returned node owns it. */
static JsonNode *
parse_object (GBytes * bytes)
{
  JsonParser *parser = json_parser_new ();
  GError *error = NULL;
  gsize size;
  const gchar *data = g_bytes_get_data (bytes, &size);
  JsonNode *root;

  if (!json_parser_load_from_data (parser, data, size, &error))
    fail ("answer is not JSON: %s", error->message);
  root = json_parser_steal_root (parser);
  g_object_unref (parser);
  fail_unless (JSON_NODE_HOLDS_OBJECT (root));

  return root;
}

/* One analysis round trip that must succeed; returns the answer's root. */
static JsonNode *
analyse (SoupSession * session, CvLocalServer * server, const gchar * version,
    GBytes * jpeg)
{
  SoupMessage *msg;
  GBytes *answer;
  JsonNode *root;

  answer = post (session, server, version, "visualFeatures=" ALL_FEATURES
      "&language=en", NULL, jpeg, &msg);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  root = parse_object (answer);
  g_bytes_unref (answer);
  g_object_unref (msg);

  return root;
}

static JsonObject *
member_object (JsonNode * root, const gchar * name)
{
  JsonObject *o = json_node_get_object (root);

  fail_unless (json_object_has_member (o, name), "no member %s", name);
  return json_object_get_object_member (o, name);
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

static CvLocalServer *
start_server (const gchar * key)
{
  GError *error = NULL;
  CvLocalServer *server = cv_local_server_new (key, &error);

  fail_unless (server != NULL, "server did not start: %s",
      error ? error->message : "?");
  fail_unless (cv_local_server_get_port (server) > 0);
  return server;
}

/* Proves the pixel classifier names primaries, CSS colours and greys the
 * way a person would, without any HTTP in between. */
GST_START_TEST (test_classify)
{
  fail_unless_equals_string (cv_colour_get_name (cv_colour_classify (255, 0,
              0)), "Red");
  fail_unless_equals_string (cv_colour_get_name (cv_colour_classify (0, 0,
              255)), "Blue");
  fail_unless_equals_string (cv_colour_get_name (cv_colour_classify (0, 255,
              0)), "Green");
  fail_unless_equals_string (cv_colour_get_name (cv_colour_classify (255,
              255, 255)), "White");
  fail_unless_equals_string (cv_colour_get_name (cv_colour_classify (0, 0,
              0)), "Black");
  fail_unless_equals_string (cv_colour_get_name (cv_colour_classify (128,
              128, 128)), "Gray");
  fail_unless_equals_string (cv_colour_get_name (cv_colour_classify (255,
              255, 0)), "Yellow");
  fail_unless_equals_string (cv_colour_get_name (cv_colour_classify (255,
              165, 0)), "Orange");
  fail_unless_equals_string (cv_colour_get_name (cv_colour_classify (0, 128,
              128)), "Teal");
  fail_unless_equals_string (cv_colour_get_name (cv_colour_classify (128, 0,
              128)), "Purple");
  fail_unless_equals_string (cv_colour_get_name (cv_colour_classify (255,
              105, 180)), "Pink");
  fail_unless_equals_string (cv_colour_get_name (cv_colour_classify (139,
              69, 19)), "Brown");
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
  CvLocalServer *server = start_server (NULL);
  SoupSession *session = soup_session_new ();
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GBytes *jpeg = make_solid_jpeg (128, 96, *cases[i].rgb);
    JsonNode *root = analyse (session, server, "v3.2", jpeg);
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

  g_object_unref (session);
  cv_local_server_free (server);
}

GST_END_TEST;

/* Proves the regions: a red border around a blue centre gives background
 * Red and foreground Blue, dominant colours Red then Blue, and the caption
 * and tags name both. */
GST_START_TEST (test_border_and_centre)
{
  CvLocalServer *server = start_server (NULL);
  SoupSession *session = soup_session_new ();
  GBytes *jpeg = make_jpeg (160, 120, RED, BLUE);
  JsonNode *root = analyse (session, server, "v3.2", jpeg);
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
  g_object_unref (session);
  cv_local_server_free (server);
}

GST_END_TEST;

static void
assert_accent_near (JsonNode * root, Rgb expected)
{
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
}

/* Proves accentColor is the mean colour of the most frequent chromatic
 * colour, written as upper-case RRGGBB, ignoring black/white areas. */
GST_START_TEST (test_accent_colour)
{
  static const Rgb DARK_ORANGE = { 230, 120, 20 };
  CvLocalServer *server = start_server (NULL);
  SoupSession *session = soup_session_new ();
  GBytes *jpeg;
  JsonNode *root;

  jpeg = make_solid_jpeg (100, 100, DARK_ORANGE);
  root = analyse (session, server, "v3.2", jpeg);
  assert_accent_near (root, DARK_ORANGE);
  json_node_unref (root);
  g_bytes_unref (jpeg);

  /* White around a blue centre: white dominates, blue is the accent. */
  jpeg = make_jpeg (100, 100, WHITE, BLUE);
  root = analyse (session, server, "v3.2", jpeg);
  assert_accent_near (root, BLUE);
  json_node_unref (root);
  g_bytes_unref (jpeg);

  g_object_unref (session);
  cv_local_server_free (server);
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
  CvLocalServer *server = start_server (NULL);
  SoupSession *session = soup_session_new ();
  GBytes *jpeg = make_jpeg (200, 150, GREEN, YELLOW);
  JsonNode *a = analyse (session, server, "v3.2", jpeg);
  JsonNode *b = analyse (session, server, "v3.2", jpeg);
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
  g_object_unref (session);
  cv_local_server_free (server);
}

GST_END_TEST;

/* Proves metadata reports the received image's size and format, v3.2
 * labels the answer as local, and the answer carries the label header. */
GST_START_TEST (test_metadata)
{
  CvLocalServer *server = start_server (NULL);
  SoupSession *session = soup_session_new ();
  /* Large enough to be decoded at a reduced scale. */
  GBytes *jpeg = make_solid_jpeg (1280, 720, BLUE);
  SoupMessage *msg;
  GBytes *answer;
  JsonNode *root;
  JsonObject *metadata;

  answer = post (session, server, "v3.2", "visualFeatures=Color", NULL, jpeg,
      &msg);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  fail_unless_equals_string (soup_message_headers_get_one
      (soup_message_get_response_headers (msg), "X-Cvanalyze-Server"),
      "local colour analysis (not Azure)");
  root = parse_object (answer);
  metadata = member_object (root, "metadata");
  fail_unless_equals_int (json_object_get_int_member (metadata, "width"), 1280);
  fail_unless_equals_int (json_object_get_int_member (metadata, "height"), 720);
  fail_unless_equals_string (json_object_get_string_member (metadata,
          "format"), "Jpeg");
  fail_unless_equals_string (json_object_get_string_member
      (json_node_get_object (root), "modelVersion"), "local-colour-analysis");
  /* Only what was asked for. */
  fail_if (json_object_has_member (json_node_get_object (root), "description"));
  fail_if (json_object_has_member (json_node_get_object (root), "tags"));

  json_node_unref (root);
  g_bytes_unref (answer);
  g_object_unref (msg);
  g_bytes_unref (jpeg);
  g_object_unref (session);
  cv_local_server_free (server);
}

GST_END_TEST;

/* Proves the key check: no key and a wrong key get the gateway's 401 body
 * word for word, the right key gets 200, and the log records which. */
GST_START_TEST (test_key)
{
  static const gchar expected[] = "{\"error\":{\"code\":\"401\",\"message\":"
      "\"Access denied due to invalid subscription key or wrong API endpoint. "
      "Make sure to provide a valid key for an active subscription and use a "
      "correct regional API endpoint for your resource.\"}}";
  CvLocalServer *server = start_server ("s3cret");
  SoupSession *session = soup_session_new ();
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  const gchar *keys[] = { NULL, "wrong" };
  CvLocalServerRequest *req;
  SoupMessage *msg;
  GBytes *answer;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (keys); i++) {
    gchar *text;

    answer = post (session, server, "v3.2", "visualFeatures=Color", keys[i],
        jpeg, &msg);
    fail_unless_equals_int (soup_message_get_status (msg), 401);
    text = g_strndup (g_bytes_get_data (answer, NULL),
        g_bytes_get_size (answer));
    fail_unless_equals_string (text, expected);
    g_free (text);
    g_bytes_unref (answer);
    g_object_unref (msg);
  }

  answer = post (session, server, "v3.2", "visualFeatures=Color", "s3cret",
      jpeg, &msg);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  g_bytes_unref (answer);
  g_object_unref (msg);

  req = cv_local_server_get_request (server, 0);
  fail_if (req->has_key);
  fail_if (req->key_matches);
  cv_local_server_request_free (req);
  req = cv_local_server_get_request (server, 1);
  fail_unless (req->has_key);
  fail_if (req->key_matches);
  cv_local_server_request_free (req);
  req = cv_local_server_get_request (server, 2);
  fail_unless (req->has_key);
  fail_unless (req->key_matches);
  cv_local_server_request_free (req);

  g_bytes_unref (jpeg);
  g_object_unref (session);
  cv_local_server_free (server);
}

GST_END_TEST;

/* Expects a 400 with the given v3.2 inner code (v3.2 errors are nested
 * under "error" with code InvalidRequest). */
static void
expect_v32_error (SoupSession * session, CvLocalServer * server,
    const gchar * query, GBytes * body, guint status, const gchar * inner)
{
  SoupMessage *msg;
  GBytes *answer = post (session, server, "v3.2", query, NULL, body, &msg);
  JsonNode *root = parse_object (answer);
  JsonObject *error;

  fail_unless_equals_int (soup_message_get_status (msg), status);
  error = member_object (root, "error");
  fail_unless_equals_string (json_object_get_string_member (error, "code"),
      "InvalidRequest");
  fail_unless (json_object_get_string_member (error, "message") != NULL);
  fail_unless_equals_string (error_code (root), inner);

  json_node_unref (root);
  g_bytes_unref (answer);
  g_object_unref (msg);
}

/* Proves the v2.x dialect: colour spelled isBwImg, no modelVersion, and
 * flat {"code","message","requestId"} errors, while v3.2 nests them. */
GST_START_TEST (test_v2_dialect)
{
  CvLocalServer *server = start_server (NULL);
  SoupSession *session = soup_session_new ();
  GBytes *jpeg = make_solid_jpeg (64, 64, WHITE);
  GBytes *not_jpeg = g_bytes_new_static ("hello", 5);
  const gchar *versions[] = { "v2.0", "v2.1" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (versions); i++) {
    JsonNode *root = analyse (session, server, versions[i], jpeg);
    JsonObject *color = member_object (root, "color");
    SoupMessage *msg;
    GBytes *answer;
    JsonObject *o;

    fail_unless (json_object_get_boolean_member (color, "isBwImg"));
    fail_if (json_object_has_member (color, "isBWImg"));
    fail_if (json_object_has_member (json_node_get_object (root),
            "modelVersion"));
    json_node_unref (root);

    answer = post (session, server, versions[i], "visualFeatures=Color",
        NULL, not_jpeg, &msg);
    fail_unless_equals_int (soup_message_get_status (msg), 400);
    root = parse_object (answer);
    o = json_node_get_object (root);
    fail_if (json_object_has_member (o, "error"));
    fail_unless_equals_string (json_object_get_string_member (o, "code"),
        "InvalidImageFormat");
    fail_unless (json_object_get_string_member (o, "message") != NULL);
    fail_unless (json_object_get_string_member (o, "requestId") != NULL);
    json_node_unref (root);
    g_bytes_unref (answer);
    g_object_unref (msg);
  }

  expect_v32_error (session, server, "visualFeatures=Color", not_jpeg, 400,
      "InvalidImageFormat");

  g_bytes_unref (not_jpeg);
  g_bytes_unref (jpeg);
  g_object_unref (session);
  cv_local_server_free (server);
}

GST_END_TEST;

/* Proves Azure's input checks: too small (40x40 and exactly 50x50), too
 * big (4 MB), not a JPEG, an empty body, an unknown feature, an unknown
 * path (404) and a GET (405). */
GST_START_TEST (test_invalid_requests)
{
  CvLocalServer *server = start_server (NULL);
  SoupSession *session = soup_session_new ();
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

  expect_v32_error (session, server, "visualFeatures=Color", small, 400,
      "InvalidImageSize");
  expect_v32_error (session, server, "visualFeatures=Color", edge, 400,
      "InvalidImageSize");
  root = analyse (session, server, "v3.2", ok);
  json_node_unref (root);
  expect_v32_error (session, server, "visualFeatures=Color", big, 400,
      "InvalidImageSize");
  expect_v32_error (session, server, "visualFeatures=Color", not_jpeg, 400,
      "InvalidImageFormat");
  expect_v32_error (session, server, "visualFeatures=Color", empty, 400,
      "InvalidImageSize");
  expect_v32_error (session, server, "visualFeatures=Color,Telepathy", ok,
      400, "NotSupportedVisualFeature");
  expect_v32_error (session, server, "visualFeatures=Color&details=Gossip",
      ok, 400, "InvalidDetails");
  expect_v32_error (session, server, "visualFeatures=Color&language=xx", ok,
      400, "NotSupportedLanguage");

  /* Features Azure knows but we do not compute are accepted, and omitted. */
  answer = post (session, server, "v3.2",
      "visualFeatures=Categories,Faces,Objects,color&details=Landmarks", NULL,
      ok, &msg);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  root = parse_object (answer);
  fail_unless (json_object_has_member (json_node_get_object (root), "color"));
  fail_if (json_object_has_member (json_node_get_object (root), "faces"));
  json_node_unref (root);
  g_bytes_unref (answer);
  g_object_unref (msg);

  answer = post (session, server, "v9.9", "visualFeatures=Color", NULL, ok,
      &msg);
  fail_unless_equals_int (soup_message_get_status (msg), 404);
  root = parse_object (answer);
  fail_unless_equals_string (json_object_get_string_member (member_object
          (root, "error"), "code"), "404");
  json_node_unref (root);
  g_bytes_unref (answer);
  g_object_unref (msg);

  answer = post_full (session, server, "GET", "v3.2", NULL, NULL, NULL, &msg,
      &error);
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
  g_object_unref (session);
  cv_local_server_free (server);
}

GST_END_TEST;

typedef struct
{
  CvLocalServer *server;
  GBytes *jpeg;
  guint status;
  gint64 elapsed_us;
} ClientJob;

/* A blocking client on its own thread, so the test can look at the server
 * while the request is outstanding. */
static gpointer
client_thread (gpointer data)
{
  ClientJob *job = data;
  SoupSession *session = soup_session_new ();
  SoupMessage *msg;
  gint64 start = g_get_monotonic_time ();
  GBytes *answer;

  answer = post (session, job->server, "v3.2", "visualFeatures=Color", NULL,
      job->jpeg, &msg);
  job->elapsed_us = g_get_monotonic_time () - start;
  job->status = soup_message_get_status (msg);
  g_bytes_unref (answer);
  g_object_unref (msg);
  g_object_unref (session);

  return NULL;
}

/* Proves the delay: the answer takes at least the delay, the request counts
 * as in progress meanwhile (without blocking the server thread: a second
 * request is answered while the first waits), and 0 restores speed. */
GST_START_TEST (test_delay)
{
  CvLocalServer *server = start_server (NULL);
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  ClientJob job = { server, jpeg, 0, 0 };
  SoupSession *session = soup_session_new ();
  GThread *thread;
  SoupMessage *msg;
  GBytes *answer;

  cv_local_server_set_delay (server, 400);
  thread = g_thread_new ("client", client_thread, &job);
  fail_unless (cv_local_server_wait_for_requests (server, 1, 10 * SECOND));
  fail_unless_equals_int (cv_local_server_get_in_progress (server), 1);

  /* The server thread is free while the first request waits. */
  cv_local_server_set_delay (server, 0);
  answer = post (session, server, "v3.2", "visualFeatures=Color", NULL, jpeg,
      &msg);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  g_bytes_unref (answer);
  g_object_unref (msg);

  g_thread_join (thread);
  fail_unless_equals_int (job.status, 200);
  fail_unless (job.elapsed_us >= 400 * 1000, "answered after %" G_GINT64_FORMAT
      " us", job.elapsed_us);
  fail_unless_equals_int (cv_local_server_get_in_progress (server), 0);

  g_object_unref (session);
  g_bytes_unref (jpeg);
  cv_local_server_free (server);
}

GST_END_TEST;

/* Proves --status: 429 comes with the gateway body (code "429" as a string)
 * and Retry-After; 500 and 503 use the service's shape per version; going
 * back to 0 answers normally. */
GST_START_TEST (test_status)
{
  CvLocalServer *server = start_server (NULL);
  SoupSession *session = soup_session_new ();
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  SoupMessage *msg;
  GBytes *answer;
  JsonNode *root;
  JsonObject *error;

  cv_local_server_set_failure (server, 429, 7);
  answer = post (session, server, "v3.2", "visualFeatures=Color", NULL, jpeg,
      &msg);
  fail_unless_equals_int (soup_message_get_status (msg), 429);
  fail_unless_equals_string (soup_message_headers_get_one
      (soup_message_get_response_headers (msg), "Retry-After"), "7");
  root = parse_object (answer);
  error = member_object (root, "error");
  fail_unless (JSON_NODE_TYPE (json_object_get_member (error, "code")) ==
      JSON_NODE_VALUE);
  fail_unless_equals_string (json_object_get_string_member (error, "code"),
      "429");
  json_node_unref (root);
  g_bytes_unref (answer);
  g_object_unref (msg);

  cv_local_server_set_failure (server, 500, 0);
  answer = post (session, server, "v3.2", "visualFeatures=Color", NULL, jpeg,
      &msg);
  fail_unless_equals_int (soup_message_get_status (msg), 500);
  fail_if (soup_message_headers_get_one (soup_message_get_response_headers
          (msg), "Retry-After") != NULL);
  root = parse_object (answer);
  fail_unless_equals_string (json_object_get_string_member (member_object
          (root, "error"), "code"), "InternalServerError");
  json_node_unref (root);
  g_bytes_unref (answer);
  g_object_unref (msg);

  answer = post (session, server, "v2.1", "visualFeatures=Color", NULL, jpeg,
      &msg);
  fail_unless_equals_int (soup_message_get_status (msg), 500);
  root = parse_object (answer);
  fail_unless_equals_string (json_object_get_string_member
      (json_node_get_object (root), "code"), "InternalServerError");
  json_node_unref (root);
  g_bytes_unref (answer);
  g_object_unref (msg);

  cv_local_server_set_failure (server, 503, 2);
  answer = post (session, server, "v3.2", "visualFeatures=Color", NULL, jpeg,
      &msg);
  fail_unless_equals_int (soup_message_get_status (msg), 503);
  fail_unless_equals_string (soup_message_headers_get_one
      (soup_message_get_response_headers (msg), "Retry-After"), "2");
  g_bytes_unref (answer);
  g_object_unref (msg);

  cv_local_server_set_failure (server, 0, 0);
  root = analyse (session, server, "v3.2", jpeg);
  json_node_unref (root);

  g_bytes_unref (jpeg);
  g_object_unref (session);
  cv_local_server_free (server);
}

GST_END_TEST;

/* Proves the garbling modes: MALFORMED answers 200 with a body that does
 * not parse; WRONG_TYPES answers 200 with JSON whose members have the wrong
 * types. */
GST_START_TEST (test_malformed_and_wrong_types)
{
  CvLocalServer *server = start_server (NULL);
  SoupSession *session = soup_session_new ();
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  JsonParser *parser = json_parser_new ();
  SoupMessage *msg;
  GBytes *answer;
  JsonNode *root;
  JsonObject *o;
  GError *error = NULL;

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_MALFORMED);
  answer = post (session, server, "v3.2", "visualFeatures=Color", NULL, jpeg,
      &msg);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  fail_if (json_parser_load_from_data (parser, g_bytes_get_data (answer,
              NULL), g_bytes_get_size (answer), &error));
  g_clear_error (&error);
  g_bytes_unref (answer);
  g_object_unref (msg);

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_WRONG_TYPES);
  answer = post (session, server, "v3.2", "visualFeatures=Color", NULL, jpeg,
      &msg);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  root = parse_object (answer);
  o = json_node_get_object (root);
  fail_unless (JSON_NODE_HOLDS_VALUE (json_object_get_member (o,
              "description")));
  fail_unless_equals_int (json_object_get_int_member (o, "description"), 5);
  fail_unless (JSON_NODE_HOLDS_VALUE (json_object_get_member (o, "tags")));
  fail_unless (JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "color")));
  json_node_unref (root);
  g_bytes_unref (answer);
  g_object_unref (msg);

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_NORMAL);
  root = analyse (session, server, "v3.2", jpeg);
  json_node_unref (root);

  g_object_unref (parser);
  g_bytes_unref (jpeg);
  g_object_unref (session);
  cv_local_server_free (server);
}

GST_END_TEST;

/* Proves DROP: the connection closes without a response, so the client
 * gets a transport error rather than an HTTP status, and the server keeps
 * serving. */
GST_START_TEST (test_drop)
{
  CvLocalServer *server = start_server (NULL);
  SoupSession *session = soup_session_new ();
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  GError *error = NULL;
  SoupMessage *msg;
  GBytes *answer;
  JsonNode *root;

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_DROP);
  answer = post_full (session, server, "POST", "v3.2", "visualFeatures=Color",
      NULL, jpeg, &msg, &error);
  fail_unless (answer == NULL);
  fail_unless (error != NULL);
  GST_INFO ("dropped: %s", error->message);
  g_clear_error (&error);
  g_object_unref (msg);
  fail_unless (cv_local_server_wait_for_requests (server, 1, 0));
  fail_unless_equals_int (cv_local_server_get_in_progress (server), 0);

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_NORMAL);
  root = analyse (session, server, "v3.2", jpeg);
  json_node_unref (root);

  g_bytes_unref (jpeg);
  g_object_unref (session);
  cv_local_server_free (server);
}

GST_END_TEST;

/* Proves HANG: the request does not finish before a client-side timeout,
 * it stays in progress, and freeing the server with it still hung is clean
 * (valgrind/ASan see no leak or crash). */
GST_START_TEST (test_hang)
{
  CvLocalServer *server = start_server (NULL);
  SoupSession *session = soup_session_new_with_options ("timeout", 1, NULL);
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  GError *error = NULL;
  SoupMessage *msg;
  GBytes *answer;
  gint64 start;

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_HANG);
  start = g_get_monotonic_time ();
  answer = post_full (session, server, "POST", "v3.2", "visualFeatures=Color",
      NULL, jpeg, &msg, &error);
  fail_unless (answer == NULL);
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT),
      "unexpected error %s", error ? error->message : "none");
  fail_unless (g_get_monotonic_time () - start >= SECOND - 100000);
  g_clear_error (&error);
  g_object_unref (msg);

  fail_unless_equals_int (cv_local_server_get_request_count (server), 1);
  fail_unless_equals_int (cv_local_server_get_in_progress (server), 1);

  g_bytes_unref (jpeg);
  g_object_unref (session);
  cv_local_server_free (server);
}

GST_END_TEST;

typedef struct
{
  CvLocalServer *server;
  GBytes *jpeg;
  GError *error;
} WaitingJob;

static gpointer
waiting_client_thread (gpointer data)
{
  WaitingJob *job = data;
  SoupSession *session = soup_session_new ();
  SoupMessage *msg;
  GBytes *answer;

  answer = post_full (session, job->server, "POST", "v3.2",
      "visualFeatures=Color", NULL, job->jpeg, &msg, &job->error);
  if (answer)
    g_bytes_unref (answer);
  g_object_unref (msg);
  g_object_unref (session);

  return NULL;
}

/* Proves that freeing the server while a client is still waiting on a hung
 * request closes that connection, so the client gets an error instead of
 * waiting for ever. */
GST_START_TEST (test_free_releases_waiting_client)
{
  CvLocalServer *server = start_server (NULL);
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  WaitingJob job = { server, jpeg, NULL };
  GThread *thread;

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_HANG);
  thread = g_thread_new ("waiting-client", waiting_client_thread, &job);
  fail_unless (cv_local_server_wait_for_requests (server, 1, 10 * SECOND));
  fail_unless_equals_int (cv_local_server_get_in_progress (server), 1);

  cv_local_server_free (server);
  g_thread_join (thread);
  fail_unless (job.error != NULL);
  GST_INFO ("released with: %s", job.error->message);
  g_clear_error (&job.error);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves the request log: wait_for_requests waits (and times out when
 * nothing comes), and each record holds the method, path, raw and decoded
 * query, api version, content type and the exact body bytes. */
GST_START_TEST (test_request_record)
{
  CvLocalServer *server = start_server (NULL);
  SoupSession *session = soup_session_new ();
  GBytes *jpeg = make_solid_jpeg (64, 64, RED);
  CvLocalServerRequest *req;
  gint64 before;
  GBytes *answer;

  fail_if (cv_local_server_wait_for_requests (server, 1, 50 * 1000));
  fail_unless (cv_local_server_get_request (server, 0) == NULL);

  before = g_get_monotonic_time ();
  answer = post (session, server, "v2.1",
      "visualFeatures=Description%2CColor&details=Landmarks&language=en",
      "k", jpeg, NULL);
  g_bytes_unref (answer);

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
  fail_unless (g_bytes_equal (req->body, jpeg));
  fail_unless (req->received_monotonic_us >= before);
  cv_local_server_request_free (req);

  fail_unless (cv_local_server_get_request (server, 1) == NULL);

  g_bytes_unref (jpeg);
  g_object_unref (session);
  cv_local_server_free (server);
}

GST_END_TEST;

/* Proves start-up on an explicit port and a clean error when the port is
 * taken. */
GST_START_TEST (test_explicit_port)
{
  CvLocalServer *first = start_server (NULL);
  GError *error = NULL;
  CvLocalServer *second;

  second = cv_local_server_new_full (NULL, cv_local_server_get_port (first),
      &error);
  fail_unless (second == NULL);
  fail_unless (error != NULL);
  g_clear_error (&error);

  cv_local_server_free (first);
}

GST_END_TEST;

static Suite *
localserver_suite (void)
{
  Suite *s = suite_create ("localserver");
  TCase *tc_analysis = tcase_create ("analysis");
  TCase *tc_protocol = tcase_create ("protocol");
  TCase *tc_misbehaviour = tcase_create ("misbehaviour");

  suite_add_tcase (s, tc_analysis);
  tcase_add_test (tc_analysis, test_classify);
  tcase_add_test (tc_analysis, test_analyse_rgb);
  tcase_add_test (tc_analysis, test_solid_colours);
  tcase_add_test (tc_analysis, test_border_and_centre);
  tcase_add_test (tc_analysis, test_accent_colour);
  tcase_add_test (tc_analysis, test_deterministic);
  tcase_add_test (tc_analysis, test_metadata);

  suite_add_tcase (s, tc_protocol);
  tcase_add_test (tc_protocol, test_key);
  tcase_add_test (tc_protocol, test_v2_dialect);
  tcase_add_test (tc_protocol, test_invalid_requests);
  tcase_add_test (tc_protocol, test_request_record);
  tcase_add_test (tc_protocol, test_explicit_port);

  suite_add_tcase (s, tc_misbehaviour);
  tcase_add_test (tc_misbehaviour, test_delay);
  tcase_add_test (tc_misbehaviour, test_status);
  tcase_add_test (tc_misbehaviour, test_malformed_and_wrong_types);
  tcase_add_test (tc_misbehaviour, test_drop);
  tcase_add_test (tc_misbehaviour, test_hang);
  tcase_add_test (tc_misbehaviour, test_free_releases_waiting_client);

  return s;
}

GST_CHECK_MAIN (localserver);
