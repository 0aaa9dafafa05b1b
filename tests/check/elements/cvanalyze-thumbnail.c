/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * Smart thumbnails (gst/gstcvanalyzethumbnail.c) against the local server
 * on 127.0.0.1: clips of solid-colour scenes joined by concat, thumbnails
 * decoded to check their size and colour, the files they are written to,
 * crop regions in the buffer's pixels, and the warnings for what fails.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "cvanalyzetest.h"
#include "gstcvanalyzemeta.h"
#include "gstcvanalyzethumbnail.h"

/* Three scenes of 2 s at 10 fps, red, green and blue, one after the
 * other (concat): SCENES is put after a "concat name=c ! ..." part. */
#define SCENE(pattern) " videotestsrc pattern=" pattern " num-buffers=20 ! " \
  "video/x-raw,width=160,height=120,framerate=10/1 ! c."
#define SCENES SCENE ("red") SCENE ("green") SCENE ("blue")

typedef struct
{
  guint8 r, g, b;
} Colour;

static const Colour scene_colours[] = { {255, 0, 0}, {0, 255, 0}, {0, 0, 255} };

static gchar *dir;

static void
setup (void)
{
  cv_test_server_setup ();
  dir = g_dir_make_tmp ("cvanalyze-thumbs-XXXXXX", NULL);
  fail_unless (dir != NULL);
}

static void
teardown (void)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    gchar *path = g_build_filename (dir, name, NULL);

    g_unlink (path);
    g_free (path);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
  g_clear_pointer (&dir, g_free);
  cv_test_server_teardown ();
}

/* The pipeline of @description with DIR replaced by the test's directory. */
static GstElement *
make_pipeline (const gchar * description)
{
  GString *desc = g_string_new (description);
  GstElement *pipeline;

  g_string_replace (desc, "DIR", dir, 0);
  pipeline = cv_test_make_pipeline (desc->str);
  g_string_free (desc, TRUE);
  return pipeline;
}

static GList *
filter (GList * messages, const gchar * name)
{
  GList *out = NULL, *l;

  for (l = messages; l; l = l->next)
    if (GST_MESSAGE_TYPE (l->data) == GST_MESSAGE_ELEMENT
        && gst_message_has_name (l->data, name))
      out = g_list_append (out, l->data);
  return out;
}

static GList *
warnings (GList * messages)
{
  GList *out = NULL, *l;

  for (l = messages; l; l = l->next)
    if (GST_MESSAGE_TYPE (l->data) == GST_MESSAGE_WARNING)
      out = g_list_append (out, l->data);
  return out;
}

/* The element's stat @name after the run. */
#define STAT(pipeline, name) cv_test_get_stat (pipeline, "a", name)

/* Fails on any warning among @messages, saying it. */
static void
assert_no_warning (GList * messages)
{
  GstMessage *w = cv_test_find_message (messages, GST_MESSAGE_WARNING);
  gchar *text = w ? cv_test_message_text (w, NULL) : NULL;

  fail_unless (w == NULL, "unexpected warning: %s", text);
  g_free (text);
}

/* The requests the server received whose path ends with @suffix. */
static GPtrArray *
requests_to (const gchar * suffix)
{
  GPtrArray *found = g_ptr_array_new_with_free_func ((GDestroyNotify)
      cv_local_server_request_free);
  guint i;

  for (i = 0; i < cv_local_server_get_request_count (server); i++) {
    CvLocalServerRequest *req = cv_local_server_get_request (server, i);

    if (g_str_has_suffix (req->path, suffix))
      g_ptr_array_add (found, req);
    else
      cv_local_server_request_free (req);
  }
  return found;
}

/* The JPEG of a thumbnail message's sample, which must be @width x
 * @height (in its caps, and decoded); its pixels in @rgb if asked. */
static GBytes *
thumbnail_jpeg (GstMessage * m, gint width, gint height, guint8 ** rgb)
{
  const GstStructure *s = gst_message_get_structure (m);
  GstSample *sample = NULL;
  GstBuffer *buffer;
  GstMapInfo map;
  GBytes *jpeg;
  gint w = 0, h = 0;
  guint8 *pixels;

  fail_unless (gst_structure_get (s, "sample", GST_TYPE_SAMPLE, &sample,
          NULL));
  fail_unless (gst_structure_get_int (gst_caps_get_structure
          (gst_sample_get_caps (sample), 0), "width", &w) && w == width);
  fail_unless (gst_structure_get_int (gst_caps_get_structure
          (gst_sample_get_caps (sample), 0), "height", &h) && h == height);
  fail_unless (gst_structure_has_name (gst_caps_get_structure
          (gst_sample_get_caps (sample), 0), "image/jpeg"));
  fail_unless (gst_sample_get_segment (sample)->format == GST_FORMAT_TIME);
  buffer = gst_sample_get_buffer (sample);
  fail_unless (gst_buffer_map (buffer, &map, GST_MAP_READ));
  jpeg = g_bytes_new (map.data, map.size);
  gst_buffer_unmap (buffer, &map);

  pixels = cv_test_decode_jpeg (jpeg, &w, &h);
  fail_unless_equals_int (w, width);
  fail_unless_equals_int (h, height);
  if (rgb)
    *rgb = pixels;
  else
    g_free (pixels);
  gst_sample_unref (sample);
  return jpeg;
}

/* The sample's buffer carries the analysed frame's PTS and duration, and
 * its segment puts that PTS at the message's running time (checked by the
 * caller against where the scene starts). */
static void
assert_sample_times (GstMessage * m, GstClockTime duration)
{
  const GstStructure *s = gst_message_get_structure (m);
  GstSample *sample = NULL;
  guint64 timestamp = 0, running_time = 0;

  fail_unless (gst_structure_get (s, "sample", GST_TYPE_SAMPLE, &sample,
          "timestamp", G_TYPE_UINT64, &timestamp, "running-time",
          G_TYPE_UINT64, &running_time, NULL));
  fail_unless_equals_uint64 (GST_BUFFER_PTS (gst_sample_get_buffer (sample)),
      timestamp);
  fail_unless_equals_uint64 (gst_segment_to_running_time
      (gst_sample_get_segment (sample), GST_FORMAT_TIME, timestamp),
      running_time);
  fail_unless_equals_uint64 (GST_BUFFER_DURATION (gst_sample_get_buffer
          (sample)), duration);
  gst_sample_unref (sample);
}

static void
mean_colour (const guint8 * rgb, gint width, gint height, Colour * mean)
{
  guint64 sum[3] = { 0, 0, 0 };
  gint i, n = width * height;

  for (i = 0; i < n; i++) {
    sum[0] += rgb[i * 3];
    sum[1] += rgb[i * 3 + 1];
    sum[2] += rgb[i * 3 + 2];
  }
  mean->r = sum[0] / n;
  mean->g = sum[1] / n;
  mean->b = sum[2] / n;
}

static void
assert_colour (const guint8 * rgb, gint width, gint height,
    const Colour * want)
{
  Colour mean;

  mean_colour (rgb, width, height, &mean);
  fail_unless (ABS (mean.r - want->r) < 40 && ABS (mean.g - want->g) < 40
      && ABS (mean.b - want->b) < 40, "mean colour %u,%u,%u, want %u,%u,%u",
      mean.r, mean.g, mean.b, want->r, want->g, want->b);
}

static guint64
running_time_of (GstMessage * m)
{
  guint64 t = GST_CLOCK_TIME_NONE;

  gst_structure_get_uint64 (gst_message_get_structure (m), "running-time",
      &t);
  return t;
}

/* The thumbnails of a run over SCENES, one per scene: each @width x
 * @height, of its scene's colour, starting its scene (0, 2, 4 s), written
 * to DIR/thumb-0000N.jpg with the same bytes, and no other file. */
static void
assert_one_thumbnail_per_scene (GList * messages, gint width, gint height)
{
  GList *thumbs = filter (messages, "cvanalyze-thumbnail"), *l;
  gchar *extra;
  guint i = 0;

  fail_unless_equals_int (g_list_length (thumbs), 3);
  for (l = thumbs; l; l = l->next, i++) {
    GstMessage *m = l->data;
    guint8 *rgb;
    GBytes *jpeg = thumbnail_jpeg (m, width, height, &rgb), *file;
    gchar *path = g_strdup_printf ("%s/thumb-%05u.jpg", dir, i), *contents;
    const gchar *location = gst_structure_get_string
        (gst_message_get_structure (m), "location");
    gsize size;

    assert_colour (rgb, width, height, &scene_colours[i]);
    assert_sample_times (m, GST_SECOND / 10);
    fail_unless_equals_uint64 (running_time_of (m), i * 2 * GST_SECOND);
    fail_unless_equals_string (location, path);
    fail_unless (g_file_get_contents (path, &contents, &size, NULL), "no %s",
        path);
    file = g_bytes_new_take (contents, size);
    fail_unless (g_bytes_equal (file, jpeg), "%s is not the thumbnail", path);
    g_bytes_unref (file);
    g_bytes_unref (jpeg);
    g_free (path);
    g_free (rgb);
  }
  extra = g_strdup_printf ("%s/thumb-%05u.jpg", dir, i);
  fail_if (g_file_test (extra, G_FILE_TEST_EXISTS));
  g_free (extra);
  g_list_free (thumbs);
}

/* Proves sample-mode=scene makes one thumbnail per scene with azure-cv's
 * generateThumbnail: the posted JPEGs have the requested size and their
 * scene's colour, the sample carries the frame's timestamps, and the
 * file pattern writes one file per scene. */
GST_START_TEST (test_thumbnail_per_scene_into_files)
{
  GstElement *pipeline = make_pipeline ("concat name=c ! cvanalyze name=a "
      "endpoint=ENDPOINT key=KEY sample-mode=scene interval=500000000 "
      "thumbnail-width=64 thumbnail-height=48 "
      "thumbnail-location=DIR/thumb-%05d.jpg ! fakesink" SCENES);
  GList *messages = cv_test_run_pipeline (pipeline);
  GPtrArray *thumbnails = requests_to ("/generateThumbnail");
  guint i;

  assert_no_warning (messages);
  assert_one_thumbnail_per_scene (messages, 64, 48);
  fail_unless_equals_uint64 (STAT (pipeline, "thumbnails"), 3);
  fail_unless_equals_uint64 (STAT (pipeline, "thumbnails-skipped"), 0);
  fail_unless_equals_uint64 (STAT (pipeline, "scene-changes"), 3);

  /* Each was a generateThumbnail with the size asked for, smart. */
  fail_unless_equals_int (thumbnails->len, 3);
  for (i = 0; i < thumbnails->len; i++) {
    CvLocalServerRequest *req = g_ptr_array_index (thumbnails, i);

    fail_unless_equals_string (req->path, "/vision/v3.2/generateThumbnail");
    fail_unless_equals_string (g_hash_table_lookup (req->query_params,
            "width"), "64");
    fail_unless_equals_string (g_hash_table_lookup (req->query_params,
            "height"), "48");
    fail_unless_equals_string (g_hash_table_lookup (req->query_params,
            "smartCropping"), "true");
  }

  g_ptr_array_unref (thumbnails);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* Proves sample-mode=interval makes one thumbnail per thumbnail-interval
 * of running time (here one per 2 s scene), with Image Analysis 4.0: the
 * element cuts the sent JPEG to the smartCrops box itself, and the JPEG
 * has the requested size and the colour of the frame it came from. */
GST_START_TEST (test_thumbnail_per_interval_image_analysis)
{
  GstElement *pipeline = make_pipeline ("concat name=c ! cvanalyze name=a "
      "api=azure-image-analysis endpoint=ENDPOINT key=KEY "
      "interval=500000000 thumbnail-interval=2000000000 "
      "thumbnail-width=40 thumbnail-height=80 "
      "thumbnail-location=DIR/thumb-%05d.jpg ! fakesink" SCENES);
  GList *messages = cv_test_run_pipeline (pipeline);
  GPtrArray *analyses = requests_to (":analyze");
  guint i, crops = 0;

  assert_no_warning (messages);
  assert_one_thumbnail_per_scene (messages, 40, 80);
  fail_unless_equals_uint64 (STAT (pipeline, "thumbnails"), 3);
  fail_unless_equals_uint64 (STAT (pipeline, "samples"), 12);

  /* smartCrops alone, of the thumbnail's ratio brought into 0.75..1.8. */
  for (i = 0; i < analyses->len; i++) {
    CvLocalServerRequest *req = g_ptr_array_index (analyses, i);

    if (g_strcmp0 (g_hash_table_lookup (req->query_params, "features"),
            "smartCrops") == 0) {
      crops++;
      fail_unless_equals_string (g_hash_table_lookup (req->query_params,
              "smartcrops-aspect-ratios"), "0.75");
    }
  }
  fail_unless_equals_int (crops, 3);

  g_ptr_array_unref (analyses);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* Keeps the first buffer with a result. */
static GstPadProbeReturn
keep_analysed_buffer (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  GstBuffer **kept = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

  if (*kept == NULL && gst_buffer_get_cv_analyze_meta (buffer))
    *kept = gst_buffer_ref (buffer);
  return GST_PAD_PROBE_OK;
}

/* A white 40x40 square at (240, 100) of a black 320x240 frame, sent as a
 * 160x120 JPEG (max-dimension) in exact mode (so that the analysed frame
 * carries its result), through cvanalyze with @props. Returns the first
 * buffer with a result and the run's messages. */
static GstBuffer *
analyse_square (const gchar * props, GList ** messages)
{
  gchar *desc = g_strdup_printf ("compositor name=mix background=black "
      "sink_1::xpos=240 sink_1::ypos=100 ! video/x-raw,width=320,height=240 ! "
      "cvanalyze name=a endpoint=ENDPOINT key=KEY max-dimension=160 "
      "mode=exact %s ! fakesink name=sink "
      "videotestsrc pattern=black num-buffers=5 ! "
      "video/x-raw,width=320,height=240,framerate=10/1 ! mix.sink_0 "
      "videotestsrc pattern=white num-buffers=5 ! "
      "video/x-raw,width=40,height=40,framerate=10/1 ! mix.sink_1", props);
  GstElement *pipeline = make_pipeline (desc);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  GstBuffer *analysed = NULL;

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, keep_analysed_buffer,
      &analysed, NULL);
  *messages = cv_test_run_pipeline (pipeline);
  fail_unless (analysed != NULL, "no buffer with a result");
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (desc);
  return analysed;
}

/* The buffer's one region of type crop must be the result's smart crop
 * (in the 160x120 JPEG's pixels) doubled, and hold the square. */
static void
assert_crop_region (GstBuffer * buffer)
{
  GstCvAnalyzeMeta *meta = gst_buffer_get_cv_analyze_meta (buffer);
  GstVideoRegionOfInterestMeta *roi = NULL, *r;
  const GstStructure *box;
  gpointer state = NULL;
  gint bx, by, bw, bh;

  fail_unless (meta != NULL);
  while ((r = (GstVideoRegionOfInterestMeta *) gst_buffer_iterate_meta_filtered
          (buffer, &state, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    if (r->roi_type == g_quark_from_string ("crop")) {
      fail_unless (roi == NULL, "two crop regions");
      roi = r;
    }
  }
  fail_unless (roi != NULL, "no crop region");
  /* It refers to its entry in the result. */
  box = gst_cv_analyze_meta_get_region (meta, roi->roi_type, roi->id);
  fail_unless (box != NULL);
  fail_unless (gst_structure_get (box, "x", G_TYPE_INT, &bx, "y", G_TYPE_INT,
          &by, "width", G_TYPE_INT, &bw, "height", G_TYPE_INT, &bh, NULL));
  fail_unless (bx <= 120 && bx + bw >= 140 && by <= 50 && by + bh >= 70,
      "box %d,%d %dx%d misses the square", bx, by, bw, bh);
  fail_unless_equals_int (roi->x, bx * 2);
  fail_unless_equals_int (roi->y, by * 2);
  fail_unless_equals_int (roi->w, bw * 2);
  fail_unless_equals_int (roi->h, bh * 2);
}

/* Proves Image Analysis 4.0's smart crops land as regions of type "crop"
 * in the buffer's pixels (the service's box doubled, over the square it
 * framed), and the thumbnail cut from its own smart crop frames the
 * square too, its "crop" in the frame's pixels. */
GST_START_TEST (test_crop_regions_in_buffer_pixels)
{
  GList *messages, *thumbs;
  GstBuffer *analysed = analyse_square ("api=azure-image-analysis "
      "features=caption,smartCrops smartcrops-aspect-ratios=1 "
      "thumbnail-width=50 thumbnail-height=50", &messages);
  const GstStructure *crop;
  gint cx, cy, cw, ch;
  guint8 *rgb;
  Colour mean;

  assert_crop_region (analysed);

  thumbs = filter (messages, "cvanalyze-thumbnail");
  fail_unless_equals_int (g_list_length (thumbs), 1);
  g_bytes_unref (thumbnail_jpeg (thumbs->data, 50, 50, &rgb));
  mean_colour (rgb, 50, 50, &mean);
  /* Brighter than the whole frame's 2.8 % of white would make it. */
  fail_unless (mean.r > 255 * 40 * 40 / (240 * 240) / 2, "mean %u", mean.r);
  crop = gst_value_get_structure (gst_structure_get_value
      (gst_message_get_structure (thumbs->data), "crop"));
  fail_unless (gst_structure_get (crop, "x", G_TYPE_INT, &cx, "y",
          G_TYPE_INT, &cy, "width", G_TYPE_INT, &cw, "height", G_TYPE_INT,
          &ch, NULL));
  fail_unless_equals_int (cw, 240);
  fail_unless_equals_int (ch, 240);
  fail_unless (cx <= 240 && cx + cw >= 280, "crop at %d", cx);

  g_free (rgb);
  g_list_free (thumbs);
  gst_buffer_unref (analysed);
  cv_test_free_messages (messages);
}

GST_END_TEST;

/* Proves AreaOfInterest in azure-cv's features asks areaOfInterest after
 * Analyze, and its box lands as the region of type "crop", in the
 * buffer's pixels, around the square the local server's rule finds. */
GST_START_TEST (test_area_of_interest_region)
{
  GList *messages;
  GstBuffer *analysed = analyse_square ("features=Description,AreaOfInterest",
      &messages);
  GPtrArray *areas = requests_to ("/vision/v3.2/areaOfInterest");

  assert_crop_region (analysed);
  assert_no_warning (messages);
  fail_unless (areas->len >= 1);
  g_ptr_array_unref (areas);

  gst_buffer_unref (analysed);
  cv_test_free_messages (messages);
}

GST_END_TEST;

/* Proves a thumbnail size the service refuses (400 InvalidThumbnailSize;
 * the local server told to take at most 64) is one clear warning saying
 * what to set, counted as failed, while video and analysis go on. */
GST_START_TEST (test_refused_size_warns)
{
  GstElement *pipeline = make_pipeline ("videotestsrc num-buffers=30 ! "
      "video/x-raw,width=160,height=120,framerate=10/1 ! cvanalyze name=a "
      "endpoint=ENDPOINT key=KEY thumbnail-width=100 thumbnail-height=64 "
      "thumbnail-interval=1000000000 ! fakesink");
  GList *messages, *w;
  gchar *text, *debug = NULL;

  cv_local_server_set_thumbnail_limit (server, 64);
  messages = cv_test_run_pipeline (pipeline);
  w = warnings (messages);
  fail_unless_equals_int (g_list_length (w), 1);
  text = cv_test_message_text (w->data, &debug);
  fail_unless (strstr (text, "refused the 100x64 thumbnail (HTTP 400")
      && strstr (text, "Invalid thumbnail size") && strstr (text,
          "thumbnail-width") && strstr (text, "1 to 1024"),
      "unclear warning: %s", text);
  fail_unless (filter (messages, "cvanalyze-thumbnail") == NULL);
  fail_unless_equals_uint64 (STAT (pipeline, "thumbnails"), 0);
  fail_unless_equals_uint64 (STAT (pipeline, "thumbnails-failed"), 3);
  fail_unless_equals_uint64 (STAT (pipeline, "results"), 3);

  g_free (text);
  g_free (debug);
  g_list_free (w);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* Proves an answer to generateThumbnail that is not a JPEG (the server
 * told to garble its answers) is a warning saying so, and nothing is
 * posted or written. */
GST_START_TEST (test_garbled_thumbnail_warns)
{
  GstElement *pipeline = make_pipeline ("videotestsrc num-buffers=5 ! "
      "video/x-raw,width=160,height=120,framerate=10/1 ! cvanalyze name=a "
      "endpoint=ENDPOINT key=KEY thumbnail-width=32 thumbnail-height=32 "
      "thumbnail-location=DIR/t%d.jpg ! fakesink");
  GList *messages, *w, *l;
  gchar *path = g_strdup_printf ("%s/t0.jpg", dir);
  gboolean said = FALSE;

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_MALFORMED);
  messages = cv_test_run_pipeline (pipeline);
  w = warnings (messages);
  for (l = w; l; l = l->next) {
    gchar *text = cv_test_message_text (l->data, NULL);

    said |= strstr (text, "thumbnail") && strstr (text, "not a JPEG");
    g_free (text);
  }
  fail_unless (said, "no warning says the thumbnail is not a JPEG");
  fail_unless (filter (messages, "cvanalyze-thumbnail") == NULL);
  fail_if (g_file_test (path, G_FILE_TEST_EXISTS));
  fail_unless_equals_uint64 (STAT (pipeline, "thumbnails-failed"), 1);

  g_free (path);
  g_list_free (w);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* Proves a thumbnail request the service fails (404 from Azure's gateway,
 * whose code is the status again) is a warning with the status once and
 * what to check, and nothing is posted. */
GST_START_TEST (test_failed_thumbnail_request_warns)
{
  GstElement *pipeline = make_pipeline ("videotestsrc num-buffers=5 ! "
      "video/x-raw,width=160,height=120,framerate=10/1 ! cvanalyze name=a "
      "endpoint=ENDPOINT key=KEY thumbnail-width=32 thumbnail-height=32 ! "
      "fakesink");
  GList *messages, *w, *l;
  gboolean said = FALSE;

  cv_local_server_set_failure (server, 404, 0);
  messages = cv_test_run_pipeline (pipeline);
  w = warnings (messages);
  for (l = w; l; l = l->next) {
    gchar *text = cv_test_message_text (l->data, NULL);

    if (g_str_has_prefix (text, "The thumbnail request failed")) {
      fail_unless (strstr (text, "(HTTP 404: ") && strstr (text,
              "check the endpoint"), "%s", text);
      said = TRUE;
    }
    g_free (text);
  }
  fail_unless (said, "no warning says the thumbnail request failed");
  fail_unless (filter (messages, "cvanalyze-thumbnail") == NULL);
  fail_unless_equals_uint64 (STAT (pipeline, "thumbnails-failed"), 1);

  g_list_free (w);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* Proves a thumbnail-location that cannot be written is a warning naming
 * the file, and the thumbnail is still posted. */
GST_START_TEST (test_unwritable_location_warns)
{
  GstElement *pipeline = make_pipeline ("videotestsrc num-buffers=5 ! "
      "video/x-raw,width=160,height=120,framerate=10/1 ! cvanalyze name=a "
      "endpoint=ENDPOINT key=KEY thumbnail-width=32 thumbnail-height=32 "
      "thumbnail-location=DIR/missing/t%d.jpg ! fakesink");
  GList *messages = cv_test_run_pipeline (pipeline), *w;
  GList *thumbs = filter (messages, "cvanalyze-thumbnail");
  gchar *text, *path = g_strdup_printf ("%s/missing/t0.jpg", dir);

  w = warnings (messages);
  fail_unless_equals_int (g_list_length (w), 1);
  text = cv_test_message_text (w->data, NULL);
  fail_unless (strstr (text, path) && strstr (text, "thumbnail-location"),
      "unclear warning: %s", text);
  fail_unless_equals_int (g_list_length (thumbs), 1);
  fail_unless_equals_string (gst_structure_get_string
      (gst_message_get_structure (thumbs->data), "location"), "");

  g_free (text);
  g_free (path);
  g_list_free (w);
  g_list_free (thumbs);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static GError *
start_error (const gchar * description)
{
  GstElement *pipeline = make_pipeline (description);
  GList *messages = cv_test_run_pipeline (pipeline);
  GstMessage *m = cv_test_find_message (messages, GST_MESSAGE_ERROR);
  GError *err = NULL;

  fail_unless (m != NULL, "no error for %s", description);
  gst_message_parse_error (m, &err, NULL);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
  return err;
}

/* Proves the settings that cannot work stop the start with an error that
 * says what to set, before any request: one size of two, a service
 * without thumbnails, a location pattern that is not one number. */
GST_START_TEST (test_bad_settings_refused)
{
  GError *err;

  err = start_error ("videotestsrc num-buffers=3 ! cvanalyze "
      "endpoint=ENDPOINT thumbnail-width=64 ! fakesink");
  fail_unless (strstr (err->message, "set both"), "%s", err->message);
  g_error_free (err);
  err = start_error ("videotestsrc num-buffers=3 ! cvanalyze api=openai "
      "endpoint=ENDPOINTv1 thumbnail-width=64 thumbnail-height=64 ! "
      "fakesink");
  fail_unless (strstr (err->message, "api=azure-cv"), "%s", err->message);
  g_error_free (err);
  err = start_error ("videotestsrc num-buffers=3 ! cvanalyze "
      "endpoint=ENDPOINT thumbnail-width=64 thumbnail-height=64 "
      "thumbnail-location=DIR/%s.jpg ! fakesink");
  fail_unless (strstr (err->message, "exactly one integer conversion"), "%s",
      err->message);
  g_error_free (err);
  fail_unless_equals_int (cv_local_server_get_request_count (server), 0);
}

GST_END_TEST;

/* Proves the location pattern takes exactly one integer conversion with
 * flags and a width, and "%%", and refuses anything printf could misread. */
GST_START_TEST (test_location_patterns)
{
  static const struct
  {
    const gchar *pattern;
    const gchar *seven;
  } good[] = {
    {"thumb-%05d.jpg", "thumb-00007.jpg"}, {"%d", "7"}, {"a%u", "a7"},
    {"%3i.jpg", "  7.jpg"}, {"%-3d|", "7  |"}, {"100%%-%02d", "100%-07"},
  };
  static const gchar *const bad[] = { "thumb.jpg", "%d-%d", "%s", "%n",
    "%05ld", "%x", "%.3d", "%123d", "%", "a%d%", "%*d", "%%d"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (good); i++) {
    GstCvAnalyzeThumbnailLocation *l =
        gst_cv_analyze_thumbnail_location_parse (good[i].pattern, NULL);
    gchar *name;

    fail_unless (l != NULL, "%s refused", good[i].pattern);
    name = gst_cv_analyze_thumbnail_location_format (l, 7);
    fail_unless_equals_string (name, good[i].seven);
    g_free (name);
    gst_cv_analyze_thumbnail_location_free (l);
  }
  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    GError *err = NULL;

    fail_unless (gst_cv_analyze_thumbnail_location_parse (bad[i], &err) ==
        NULL, "%s taken", bad[i]);
    fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
            GST_RESOURCE_ERROR_SETTINGS));
    g_error_free (err);
  }
}

GST_END_TEST;

/* Proves a live stream never has two thumbnail requests pending: with
 * the service taking 1 s, those due meanwhile are skipped and counted,
 * and each generateThumbnail reaches the server only after the one
 * before was answered. */
GST_START_TEST (test_one_thumbnail_pending_live)
{
  GstElement *pipeline = make_pipeline ("videotestsrc is-live=true "
      "num-buffers=20 ! video/x-raw,width=160,height=120,framerate=10/1 ! "
      "cvanalyze name=a endpoint=ENDPOINT key=KEY interval=100000000 "
      "max-in-flight=4 thumbnail-width=32 thumbnail-height=32 "
      "thumbnail-interval=100000000 ! fakesink");
  GList *messages;
  GPtrArray *thumbnails;
  guint i;

  cv_local_server_set_delay (server, 1000);
  messages = cv_test_run_pipeline (pipeline);
  thumbnails = requests_to ("/generateThumbnail");

  for (i = 1; i < thumbnails->len; i++) {
    gint64 gap = ((CvLocalServerRequest *) g_ptr_array_index (thumbnails,
            i))->received_monotonic_us - ((CvLocalServerRequest *)
        g_ptr_array_index (thumbnails, i - 1))->received_monotonic_us;

    fail_unless (gap >= 1000 * 1000, "a thumbnail request %" G_GINT64_FORMAT
        " us after the one before", gap);
  }
  fail_unless (thumbnails->len >= 1 && thumbnails->len <= 3,
      "%u thumbnail requests", thumbnails->len);
  fail_unless (STAT (pipeline, "thumbnails-skipped") >= 1);
  fail_unless_equals_uint64 (STAT (pipeline, "thumbnails") +
      STAT (pipeline, "thumbnails-failed"), thumbnails->len);

  g_ptr_array_unref (thumbnails);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* Proves a thumbnail takes from the max-rate budget like any request:
 * with one request a minute, the first frame's analysis takes it, so its
 * thumbnail is skipped and counted, and none reaches the server. */
GST_START_TEST (test_thumbnail_within_max_rate)
{
  GstElement *pipeline = make_pipeline ("videotestsrc is-live=true "
      "num-buffers=10 ! video/x-raw,width=160,height=120,framerate=10/1 ! "
      "cvanalyze name=a endpoint=ENDPOINT key=KEY interval=100000000 "
      "max-rate=1 thumbnail-width=32 thumbnail-height=32 "
      "thumbnail-interval=100000000 ! fakesink");
  GList *messages = cv_test_run_pipeline (pipeline);
  GPtrArray *thumbnails = requests_to ("/generateThumbnail");
  GPtrArray *analyses = requests_to ("/vision/v3.2/analyze");

  assert_no_warning (messages);
  fail_unless_equals_int (analyses->len, 1);
  fail_unless_equals_int (thumbnails->len, 0);
  fail_unless (filter (messages, "cvanalyze-thumbnail") == NULL);
  fail_unless_equals_uint64 (STAT (pipeline, "thumbnails"), 0);
  fail_unless_equals_uint64 (STAT (pipeline, "thumbnails-skipped"), 1);

  g_ptr_array_unref (analyses);
  g_ptr_array_unref (thumbnails);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A gray I420 frame of 160x120 at @pts. */
static GstBuffer *
gray_frame (GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 160 * 120 * 3 / 2, NULL);

  gst_buffer_memset (buf, 0, 128, 160 * 120 * 3 / 2);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 10;
  return buf;
}

/* The next cvanalyze-thumbnail message on @bus within @timeout, or NULL;
 * other element messages before it are dropped. */
static GstMessage *
pop_thumbnail_within (GstBus * bus, GstClockTime timeout)
{
  gint64 deadline = g_get_monotonic_time () + timeout / GST_USECOND;
  gint64 left;

  while ((left = deadline - g_get_monotonic_time ()) > 0) {
    GstMessage *m = gst_bus_timed_pop_filtered (bus, left * GST_USECOND,
        GST_MESSAGE_ELEMENT);

    if (m && gst_message_has_name (m, "cvanalyze-thumbnail"))
      return m;
    g_clear_pointer (&m, gst_message_unref);
  }
  return NULL;
}

/* The next cvanalyze-thumbnail message on @bus, within 30 s. */
static GstMessage *
pop_thumbnail (GstBus * bus)
{
  GstMessage *m = pop_thumbnail_within (bus, 30 * GST_SECOND);

  fail_unless (m != NULL, "no thumbnail within 30 s");
  return m;
}

/* Proves a flush drops the thumbnail pending before it (never posted,
 * even when its answer comes after the flush) and frees its place at
 * once: the first frame after the flush gets its own thumbnail. */
GST_START_TEST (test_flush_drops_pending_thumbnail)
{
  gchar *desc = g_strdup_printf ("cvanalyze endpoint=%s key=%s "
      "interval=10000000000 thumbnail-width=32 thumbnail-height=32 "
      "thumbnail-interval=1000000000", server_url, TEST_KEY);
  GstHarness *h = gst_harness_new_parse (desc);
  GstBus *bus = gst_bus_new ();
  GstSegment segment;
  GstMessage *m;

  gst_harness_set_live (h, TRUE);
  gst_harness_set_src_caps_str (h, "video/x-raw, format=I420, width=160, "
      "height=120, framerate=10/1");
  gst_element_set_bus (h->element, bus);

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_HANG);
  gst_buffer_unref (gst_harness_push_and_pull (h, gray_frame (0)));
  /* The analysis and the thumbnail, both held. */
  fail_unless (cv_local_server_wait_for_requests (server, 2,
          30 * G_USEC_PER_SEC));

  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  cv_local_server_release (server);

  gst_buffer_unref (gst_harness_push_and_pull (h,
          gray_frame (20 * GST_SECOND)));
  m = pop_thumbnail (bus);
  fail_unless_equals_uint64 (cv_test_message_timestamp (m), 20 * GST_SECOND);
  gst_message_unref (m);

  gst_harness_teardown (h);
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    fail_if (gst_message_has_name (m, "cvanalyze-thumbnail"),
        "a stale thumbnail");
    gst_message_unref (m);
  }
  cv_test_drop_bus_messages (bus);
  gst_object_unref (bus);
  g_free (desc);
}

GST_END_TEST;

/* Proves stopping with a thumbnail request held by the service returns
 * at once (the request is cancelled, the element waits for nothing) and
 * posts no thumbnail. */
GST_START_TEST (test_stop_with_thumbnail_pending)
{
  GstElement *pipeline = make_pipeline ("videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=10/1 ! cvanalyze name=a "
      "endpoint=ENDPOINT key=KEY thumbnail-width=32 thumbnail-height=32 ! "
      "fakesink");
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *m;
  GPtrArray *thumbnails;
  gint64 start;

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_HANG);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  fail_unless (cv_local_server_wait_for_requests (server, 2,
          30 * G_USEC_PER_SEC));
  thumbnails = requests_to ("/generateThumbnail");
  fail_unless_equals_int (thumbnails->len, 1);
  g_ptr_array_unref (thumbnails);

  start = g_get_monotonic_time ();
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  /* The service's timeout is 10 s: nothing waited for it. */
  fail_unless (g_get_monotonic_time () - start < 5 * G_USEC_PER_SEC);
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    fail_if (gst_message_has_name (m, "cvanalyze-thumbnail"));
    gst_message_unref (m);
  }
  cv_test_drop_bus_messages (bus);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* Whether request @index of the server's log asked for a thumbnail. */
static gboolean
is_thumbnail_request (guint index)
{
  CvLocalServerRequest *req = cv_local_server_get_request (server, index);
  gboolean thumbnail = g_str_has_suffix (req->path, "/generateThumbnail");

  cv_local_server_request_free (req);
  return thumbnail;
}

/* Whether the circuit breaker's warning ("... times in a row") comes on
 * @bus within @timeout; other warnings before it are dropped. */
static gboolean
pop_breaker_warning (GstBus * bus, GstClockTime timeout)
{
  GstMessage *m;
  gboolean found = FALSE;

  while (!found && (m = gst_bus_timed_pop_filtered (bus, timeout,
              GST_MESSAGE_WARNING))) {
    gchar *text = cv_test_message_text (m, NULL);

    found = strstr (text, "times in a row") != NULL;
    g_free (text);
    gst_message_unref (m);
  }
  return found;
}

/* The breaker-state of element "a" in @bin, to free. */
static gchar *
breaker_state (GstElement * bin)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (bin), "a");
  GstStructure *stats;
  gchar *state;

  g_object_get (e, "stats", &stats, NULL);
  state = g_strdup (gst_structure_get_string (stats, "breaker-state"));
  gst_structure_free (stats);
  gst_object_unref (e);
  return state;
}

/* Pushes one gray frame @step after the last, through the element. */
static void
push_frame (GstHarness * h, GstClockTime * pts, GstClockTime step)
{
  *pts += step;
  gst_buffer_unref (gst_harness_push_and_pull (h, gray_frame (*pts)));
}

/* Proves a service whose breaker is open gets no thumbnail requests:
 * after breaker-threshold (3) failures none reaches the server until a
 * probe is answered (the first probe fails, the second not), every
 * thumbnail due meanwhile is counted in thumbnails-skipped, and once the
 * service answers again thumbnails resume as decodable JPEGs. */
GST_START_TEST (test_no_thumbnail_while_breaker_open)
{
  /* A thumbnail due once per 1000 s of running time: none while the
   * failures add up (frames 100 ms apart), one with each frame while the
   * breaker is open (frames 1000 s apart). */
  gchar *desc = g_strdup_printf ("cvanalyze name=a endpoint=%s key=%s "
      "interval=100000000 max-retries=0 breaker-threshold=3 "
      "thumbnail-width=32 thumbnail-height=32 "
      "thumbnail-interval=1000000000000", server_url, TEST_KEY);
  const GstClockTime step = 1000 * GST_SECOND;
  GstHarness *h = gst_harness_new_parse (desc);
  GstBus *bus = gst_bus_new ();
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  GstClockTime pts = 0, probe_pts;
  guint opened_at, pushed = 0, i, n;
  guint64 skipped;
  gboolean resumed = FALSE;
  GstMessage *m;
  gchar *state;

  gst_harness_set_live (h, TRUE);
  gst_harness_set_src_caps_str (h, "video/x-raw, format=I420, width=160, "
      "height=120, framerate=10/1");
  gst_element_set_bus (h->element, bus);

  /* Up: the first frame's analysis and thumbnail. */
  gst_buffer_unref (gst_harness_push_and_pull (h, gray_frame (0)));
  gst_message_unref (pop_thumbnail (bus));
  fail_unless (cv_local_server_wait_for_requests (server, 2,
          30 * G_USEC_PER_SEC));

  /* Down: the analyses fail until the breaker opens. */
  cv_local_server_set_failure (server, 503, 0);
  do {
    fail_unless (g_get_monotonic_time () < deadline, "the breaker never "
        "opened");
    push_frame (h, &pts, GST_SECOND / 10);
  } while (!pop_breaker_warning (bus, 50 * GST_MSECOND));
  opened_at = cv_local_server_get_request_count (server);
  state = breaker_state (h->element);
  fail_unless_equals_string (state, "open");
  g_free (state);
  fail_unless_equals_uint64 (STAT (h->element, "breaker-openings"), 1);
  fail_unless_equals_uint64 (STAT (h->element, "thumbnails-skipped"), 0);

  /* Open (1 s): every frame has a thumbnail due, skipped and counted,
   * until the first probe reaches the server; it still fails. */
  do {
    fail_unless (g_get_monotonic_time () < deadline, "no probe");
    push_frame (h, &pts, step);
    pushed++;
  } while (!cv_local_server_wait_for_requests (server, opened_at + 1,
          50 * 1000));
  probe_pts = pts;
  skipped = STAT (h->element, "thumbnails-skipped");
  fail_if (is_thumbnail_request (opened_at), "a thumbnail request while the "
      "breaker was open");
  fail_unless (pushed >= 3, "the breaker let a probe go after %u frames",
      pushed);

  /* Back: after the doubled cool-down (2 s) the second probe is
   * answered, and the next frame's thumbnail goes. */
  cv_local_server_set_failure (server, 0, 0);
  while (!resumed) {
    fail_unless (g_get_monotonic_time () < deadline, "no thumbnail after "
        "the recovery");
    push_frame (h, &pts, step);
    m = pop_thumbnail_within (bus, 50 * GST_MSECOND);
    if (m) {
      fail_unless (cv_test_message_timestamp (m) > probe_pts);
      g_bytes_unref (thumbnail_jpeg (m, 32, 32, NULL));
      gst_message_unref (m);
      resumed = TRUE;
    }
  }

  /* The log: the first frame's two requests, the failed analyses, the
   * two probes and only then a thumbnail request. */
  n = cv_local_server_get_request_count (server);
  fail_unless (n > opened_at + 2, "%u requests", n);
  fail_unless (is_thumbnail_request (0) != is_thumbnail_request (1));
  for (i = 2; i < opened_at + 2; i++)
    fail_if (is_thumbnail_request (i), "request %u (of %u; the breaker "
        "opened after %u) is a thumbnail's", i, n, opened_at);
  for (i = opened_at + 2; i < n && !is_thumbnail_request (i); i++);
  fail_unless (i < n, "no thumbnail request after the recovery");

  /* The stats: every thumbnail due while open was counted. The first
   * frame may still have found the third failure's slot taken (its
   * warning is posted before the slot is freed): no analysis went, so no
   * thumbnail was due. */
  fail_unless (skipped <= pushed && skipped + 1 >= pushed, "%" G_GUINT64_FORMAT
      " thumbnails skipped of %u frames while open", skipped, pushed);
  fail_unless_equals_uint64 (STAT (h->element, "thumbnails"), 2);
  fail_unless_equals_uint64 (STAT (h->element, "thumbnails-failed"), 0);
  state = breaker_state (h->element);
  fail_unless_equals_string (state, "closed");
  g_free (state);

  gst_harness_teardown (h);
  cv_test_drop_bus_messages (bus);
  gst_object_unref (bus);
  g_free (desc);
}

GST_END_TEST;

static Suite *
cvanalyze_thumbnail_suite (void)
{
  Suite *s = suite_create ("cvanalyze-thumbnail");
  TCase *tc = tcase_create ("thumbnail");

  tcase_set_timeout (tc, 120);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_thumbnail_per_scene_into_files);
  tcase_add_test (tc, test_thumbnail_per_interval_image_analysis);
  tcase_add_test (tc, test_crop_regions_in_buffer_pixels);
  tcase_add_test (tc, test_area_of_interest_region);
  tcase_add_test (tc, test_refused_size_warns);
  tcase_add_test (tc, test_garbled_thumbnail_warns);
  tcase_add_test (tc, test_failed_thumbnail_request_warns);
  tcase_add_test (tc, test_unwritable_location_warns);
  tcase_add_test (tc, test_bad_settings_refused);
  tcase_add_test (tc, test_location_patterns);
  tcase_add_test (tc, test_one_thumbnail_pending_live);
  tcase_add_test (tc, test_thumbnail_within_max_rate);
  tcase_add_test (tc, test_flush_drops_pending_thumbnail);
  tcase_add_test (tc, test_stop_with_thumbnail_pending);
  tcase_add_test (tc, test_no_thumbnail_while_breaker_open);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (cvanalyze_thumbnail);
