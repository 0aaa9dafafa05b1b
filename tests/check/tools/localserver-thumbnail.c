/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * Tests of the local server's smart thumbnails, areas of interest and
 * Image Analysis 4.0 smart crops (tools/cvthumbnail.c), run in-process on
 * 127.0.0.1 with a synchronous libsoup 3 client. The images are gray with
 * a red square off the centre: its edges are the only ones, so the
 * saliency rule must find it; the thumbnails are decoded to check their
 * size and their pixels.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <turbojpeg.h>

#include "cvlocalserver.h"
#include "cvcolouranalysis.h"
#include "localservertest.h"
#include "../elements/cvanalyzetest.h"

#define OCTETS "application/octet-stream"

/* The test image: 320x160, gray, a red square of SIDE at (SQ_X, SQ_Y). */
#define WIDTH 320
#define HEIGHT 160
#define SQ_X 220
#define SQ_Y 50
#define SIDE 60

/* The server is cvanalyzetest.c's fixture (with its key). */
static SoupSession *session;
static SoupMessage *last_msg;

static void
setup (void)
{
  cv_test_server_setup ();
  session = soup_session_new ();
}

static void
teardown (void)
{
  g_clear_object (&last_msg);
  g_clear_object (&session);
  cv_test_server_teardown ();
}

/* A JPEG of @width x @height of @background with a @square_colour square
 * of @side at (@x, @y); @side 0 for none. */
static GBytes *
square_jpeg (guint width, guint height, Rgb background, Rgb square_colour,
    guint x0, guint y0, guint side)
{
  guint8 *rgb = g_malloc ((gsize) width * height * 3);
  unsigned char *jpeg = NULL;
  unsigned long size = 0;
  tjhandle tj = tjInitCompress ();
  GBytes *bytes;
  guint x, y;

  for (y = 0; y < height; y++) {
    for (x = 0; x < width; x++) {
      gboolean in = x >= x0 && x < x0 + side && y >= y0 && y < y0 + side;
      Rgb c = in ? square_colour : background;
      guint8 *p = rgb + ((gsize) y * width + x) * 3;

      p[0] = c.r;
      p[1] = c.g;
      p[2] = c.b;
    }
  }
  fail_unless_equals_int (tjCompress2 (tj, rgb, width, width * 3, height,
          TJPF_RGB, &jpeg, &size, TJSAMP_444, 90, 0), 0);
  bytes = g_bytes_new (jpeg, size);
  tjFree (jpeg);
  tjDestroy (tj);
  g_free (rgb);
  return bytes;
}

static GBytes *
test_image (void)
{
  return square_jpeg (WIDTH, HEIGHT, GRAY, RED, SQ_X, SQ_Y, SIDE);
}

/* POSTs @body to @path (and query); returns the answer, which must come
 * with @status. */
static GBytes *
post (const gchar * path, GBytes * body, guint status)
{
  gchar *url = g_strconcat (server_url, path + 1, NULL);
  GError *error = NULL;
  GBytes *answer;

  g_clear_object (&last_msg);
  last_msg = soup_message_new ("POST", url);
  soup_message_headers_replace (soup_message_get_request_headers (last_msg),
      "Ocp-Apim-Subscription-Key", TEST_KEY);
  soup_message_set_request_body_from_bytes (last_msg, OCTETS, body);
  answer = soup_session_send_and_read (session, last_msg, NULL, &error);
  fail_unless (answer != NULL, "request failed: %s",
      error ? error->message : "?");
  fail_unless_equals_int (soup_message_get_status (last_msg), status);
  g_free (url);
  return answer;
}

static const gchar *
content_type (void)
{
  return soup_message_headers_get_content_type
      (soup_message_get_response_headers (last_msg), NULL);
}

/* The share of @rgb's pixels that are clearly red. */
static gdouble
red_share (const guint8 * rgb, gint width, gint height)
{
  guint64 red = 0;
  gint i;

  for (i = 0; i < width * height; i++) {
    const guint8 *p = rgb + i * 3;

    if (p[0] > 180 && p[1] < 90 && p[2] < 90)
      red++;
  }
  return (gdouble) red / (width * height);
}

static JsonObject *
member (JsonObject * o, const gchar * name)
{
  fail_unless (json_object_has_member (o, name), "no '%s'", name);
  return json_object_get_object_member (o, name);
}

static gint64
box_value (JsonObject * box, const gchar * name)
{
  return json_object_get_int_member (box, name);
}

/* Proves generateThumbnail answers image/jpeg of exactly the size asked
 * for, cut from where the edges are: with smartCropping the square is in
 * it (about 60x60 of the 160x160 crop), centred it is mostly cut off. */
GST_START_TEST (test_thumbnail_size_and_crop)
{
  GBytes *jpeg = test_image (), *thumb;
  gint width, height;
  guint8 *rgb;
  gdouble smart;

  thumb = post ("/vision/v3.2/generateThumbnail?width=100&height=100"
      "&smartCropping=true", jpeg, 200);
  fail_unless_equals_string (content_type (), "image/jpeg");
  rgb = cv_test_decode_jpeg (thumb, &width, &height);
  fail_unless_equals_int (width, 100);
  fail_unless_equals_int (height, 100);
  smart = red_share (rgb, width, height);
  fail_unless (smart > 0.11 && smart < 0.17, "red share %f", smart);
  g_free (rgb);
  g_bytes_unref (thumb);

  thumb = post ("/vision/v3.2/generateThumbnail?width=100&height=100",
      jpeg, 200);
  rgb = cv_test_decode_jpeg (thumb, &width, &height);
  fail_unless (red_share (rgb, width, height) < 0.06);
  g_free (rgb);
  g_bytes_unref (thumb);

  /* Any shape from 1x1 to 1024x1024, and another version's path. */
  thumb = post ("/vision/v2.1/generateThumbnail?width=1024&height=1"
      "&smartCropping=true", jpeg, 200);
  g_free (cv_test_decode_jpeg (thumb, &width, &height));
  fail_unless_equals_int (width, 1024);
  fail_unless_equals_int (height, 1);
  g_bytes_unref (thumb);
  thumb = post ("/vision/v3.2/generateThumbnail?width=1&height=1024",
      jpeg, 200);
  g_free (cv_test_decode_jpeg (thumb, &width, &height));
  fail_unless_equals_int (width, 1);
  fail_unless_equals_int (height, 1024);
  g_bytes_unref (thumb);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* The 400 of a size outside 1..@max (or none): @json's inner code is
 * InvalidThumbnailSize, in v3.2's nested shape. */
static void
assert_bad_size (GBytes * answer, guint max)
{
  JsonNode *root = parse_object (answer);
  JsonObject *error = member (json_node_get_object (root), "error");
  gchar *limit = g_strdup_printf ("1 to %u", max);

  fail_unless_equals_string (json_object_get_string_member (error, "code"),
      "InvalidRequest");
  fail_unless_equals_string (json_object_get_string_member (member (error,
              "innererror"), "code"), "InvalidThumbnailSize");
  fail_unless (strstr (json_object_get_string_member (error, "message"),
          limit) != NULL);
  g_free (limit);
  json_node_unref (root);
  g_bytes_unref (answer);
}

/* Proves a width or height outside 1..1024, not a number, or missing is
 * refused with Azure's 400 InvalidThumbnailSize (v3.2 nested, v2.x flat),
 * and a lower limit set on the server is applied the same way. */
GST_START_TEST (test_thumbnail_bad_size)
{
  static const gchar *const queries[] = { "width=0&height=100",
    "width=1025&height=100", "width=100&height=-5", "width=10x&height=10",
    "width=100", ""
  };
  GBytes *jpeg = test_image (), *answer;
  JsonNode *root;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (queries); i++) {
    gchar *path = g_strdup_printf ("/vision/v3.2/generateThumbnail?%s",
        queries[i]);

    assert_bad_size (post (path, jpeg, 400), 1024);
    g_free (path);
  }

  answer = post ("/vision/v2.1/generateThumbnail?width=0&height=1", jpeg,
      400);
  root = parse_object (answer);
  fail_unless_equals_string (json_object_get_string_member
      (json_node_get_object (root), "code"), "InvalidThumbnailSize");
  json_node_unref (root);
  g_bytes_unref (answer);

  cv_local_server_set_thumbnail_limit (server, 64);
  assert_bad_size (post ("/vision/v3.2/generateThumbnail?width=100&height=64",
          jpeg, 400), 64);
  g_bytes_unref (post ("/vision/v3.2/generateThumbnail?width=64&height=64",
          jpeg, 200));
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves an image that is not a JPEG gets generateThumbnail's and
 * areaOfInterest's 400 InvalidImageFormat. */
GST_START_TEST (test_thumbnail_bad_image)
{
  GBytes *junk = g_bytes_new_static ("not a jpeg", 10);
  const gchar *const paths[] = {
    "/vision/v3.2/generateThumbnail?width=10&height=10",
    "/vision/v3.2/areaOfInterest"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (paths); i++) {
    GBytes *answer = post (paths[i], junk, 400);
    JsonNode *root = parse_object (answer);

    fail_unless_equals_string (json_object_get_string_member (member (member
                (json_node_get_object (root), "error"), "innererror"),
            "code"), "InvalidImageFormat");
    json_node_unref (root);
    g_bytes_unref (answer);
  }
  g_bytes_unref (junk);
}

GST_END_TEST;

/* Proves areaOfInterest answers Azure's shape with the box around the
 * square's edges (within JPEG's blur of them), and the whole image when
 * there are no edges. */
GST_START_TEST (test_area_of_interest)
{
  GBytes *jpeg = test_image (), *answer;
  JsonNode *root;
  JsonObject *o, *box;

  answer = post ("/vision/v3.2/areaOfInterest", jpeg, 200);
  fail_unless (g_str_has_prefix (content_type (), "application/json"));
  root = parse_object (answer);
  o = json_node_get_object (root);
  box = member (o, "areaOfInterest");
  fail_unless (ABS (box_value (box, "x") - (SQ_X - 1)) <= 3, "x %d",
      (gint) box_value (box, "x"));
  fail_unless (ABS (box_value (box, "y") - (SQ_Y - 1)) <= 3, "y %d",
      (gint) box_value (box, "y"));
  fail_unless (ABS (box_value (box, "w") - (SIDE + 1)) <= 4, "w %d",
      (gint) box_value (box, "w"));
  fail_unless (ABS (box_value (box, "h") - (SIDE + 1)) <= 4, "h %d",
      (gint) box_value (box, "h"));
  fail_unless (json_object_get_string_member (o, "requestId") != NULL);
  fail_unless_equals_int (box_value (member (o, "metadata"), "width"), WIDTH);
  fail_unless_equals_int (box_value (member (o, "metadata"), "height"),
      HEIGHT);
  fail_unless_equals_string (json_object_get_string_member (o,
          "modelVersion"), CV_COLOUR_ANALYSIS_MODEL_VERSION);
  json_node_unref (root);
  g_bytes_unref (answer);
  g_bytes_unref (jpeg);

  jpeg = make_solid_jpeg (200, 100, GREEN);
  answer = post ("/vision/v3.2/areaOfInterest", jpeg, 200);
  root = parse_object (answer);
  box = member (json_node_get_object (root), "areaOfInterest");
  fail_unless_equals_int (box_value (box, "x"), 0);
  fail_unless_equals_int (box_value (box, "y"), 0);
  fail_unless_equals_int (box_value (box, "w"), 200);
  fail_unless_equals_int (box_value (box, "h"), 100);
  json_node_unref (root);
  g_bytes_unref (answer);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves Image Analysis 4.0's smart crops follow the same rule: the
 * largest window of each ratio, placed over the square (one spanning the
 * whole height, one the whole width), and centred on a flat image. */
GST_START_TEST (test_smart_crops_follow_edges)
{
  GBytes *jpeg = square_jpeg (WIDTH, 300, GRAY, RED, SQ_X, 200, SIDE), *answer;
  JsonNode *root;
  JsonArray *values;
  JsonObject *box;

  answer = post ("/computervision/imageanalysis:analyze?api-version="
      "2023-10-01&features=smartCrops&smartcrops-aspect-ratios=0.75,1.8",
      jpeg, 200);
  root = parse_object (answer);
  values = json_object_get_array_member (member (json_node_get_object (root),
          "smartCropsResult"), "values");
  fail_unless_equals_int (json_array_get_length (values), 2);

  /* 0.75: 225x300, across; it holds the square's columns. */
  box = member (json_array_get_object_element (values, 0), "boundingBox");
  fail_unless_equals_int (box_value (box, "w"), 225);
  fail_unless_equals_int (box_value (box, "h"), 300);
  fail_unless (box_value (box, "x") <= SQ_X
      && box_value (box, "x") + 225 >= SQ_X + SIDE);
  /* 1.8: 320x178, up and down; it holds the square's rows. */
  box = member (json_array_get_object_element (values, 1), "boundingBox");
  fail_unless_equals_int (box_value (box, "w"), 320);
  fail_unless_equals_int (box_value (box, "h"), 178);
  fail_unless (box_value (box, "y") <= 200
      && box_value (box, "y") + 178 >= 200 + SIDE);
  fail_unless (box_value (box, "y") > (300 - 178) / 2);
  json_node_unref (root);
  g_bytes_unref (answer);
  g_bytes_unref (jpeg);

  jpeg = make_solid_jpeg (WIDTH, 300, GRAY);
  answer = post ("/computervision/imageanalysis:analyze?api-version="
      "2023-10-01&features=smartCrops&smartcrops-aspect-ratios=1.8", jpeg,
      200);
  root = parse_object (answer);
  box = member (json_array_get_object_element (json_object_get_array_member
          (member (json_node_get_object (root), "smartCropsResult"),
              "values"), 0), "boundingBox");
  fail_unless_equals_int (box_value (box, "y"), (300 - 178) / 2);
  json_node_unref (root);
  g_bytes_unref (answer);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

static Suite *
localserver_thumbnail_suite (void)
{
  Suite *s = suite_create ("localserver-thumbnail");
  TCase *tc = tcase_create ("thumbnail");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_thumbnail_size_and_crop);
  tcase_add_test (tc, test_thumbnail_bad_size);
  tcase_add_test (tc, test_thumbnail_bad_image);
  tcase_add_test (tc, test_area_of_interest);
  tcase_add_test (tc, test_smart_crops_follow_edges);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (localserver_thumbnail);
