/* Unit tests of the change measure of sample-mode=scene
 * (gst/gstcvanalyzescene.c), on frames rendered by videotestsrc in each
 * format the element takes, and on JPEGs from jpegenc.
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

#include "gstcvanalyzeencoder.h"
#include "gstcvanalyzescene.h"

#define SIDE GST_CV_ANALYZE_SCENE_SIDE
/* sample-mode=scene's default threshold */
#define THRESHOLD 0.1

/* Every raw format of GST_CV_ANALYZE_ENCODER_FORMATS. */
static const gchar *formats[] = {
  "I420", "YV12", "NV12", "NV21", "Y42B", "Y444", "YUY2", "UYVY", "YVYU",
  "NV16", "NV61", "NV24", "I420_10LE", "P010_10LE", "RGB", "BGR", "RGBx",
  "BGRx", "xRGB", "xBGR", "RGBA", "BGRA", "ARGB", "ABGR", "GRAY8",
};

/* Patterns that make clearly different pictures: cuts between them are
 * scene changes. */
static const gchar *patterns[] = { "smpte", "ball", "red", "snow", "checkers-8",
  "pinwheel",
};

static void
keep_first (GstElement * sink, GstBuffer * buf, GstPad * pad, gpointer data)
{
  GstSample **sample = data;
  GstCaps *caps = gst_pad_get_current_caps (pad);

  if (*sample == NULL)
    *sample = gst_sample_new (buf, caps, NULL, NULL);
  gst_caps_unref (caps);
}

/* The first frame that @description (ending in caps) gives, in a sample
 * (transfer full), run through a real pipeline to EOS. */
static GstSample *
render (const gchar * description)
{
  gchar *launch = g_strdup_printf ("%s ! fakesink name=sink "
      "signal-handoffs=true", description);
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (launch, &err);
  GstElement *sink;
  GstSample *sample = NULL;
  GstMessage *msg;
  GstBus *bus;

  fail_unless (pipeline != NULL, "%s: %s", launch, err ? err->message : "");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_signal_connect (sink, "handoff", G_CALLBACK (keep_first), &sample);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
      "%s did not run to EOS", launch);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless (sample != NULL, "%s gave no frame", launch);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (launch);
  return sample;
}

static GstSample *
render_pattern (const gchar * pattern, const gchar * format, gint width,
    gint height)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=1 pattern=%s ! "
      "video/x-raw,format=%s,width=%d,height=%d", pattern, format, width,
      height);
  GstSample *sample = render (desc);

  g_free (desc);
  return sample;
}

/* Thumbnails a raw frame as the element does (mapped read-only). */
static void
thumb_sample (GstSample * sample, GstCvAnalyzeSceneThumb * thumb)
{
  GstVideoInfo info;
  GstVideoFrame frame;

  fail_unless (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  fail_unless (gst_video_frame_map (&frame, &info,
          gst_sample_get_buffer (sample), GST_MAP_READ));
  fail_unless (gst_cv_analyze_scene_thumb_from_frame (&frame, thumb),
      "%s not measured", GST_VIDEO_INFO_NAME (&info));
  gst_video_frame_unmap (&frame);
}

static void
thumb_pattern (const gchar * pattern, const gchar * format, gint width,
    gint height, GstCvAnalyzeSceneThumb * thumb)
{
  GstSample *sample = render_pattern (pattern, format, width, height);

  thumb_sample (sample, thumb);
  gst_sample_unref (sample);
}

/* Largest difference of two thumbnails, pixel by pixel. */
static gint
max_luma_difference (const GstCvAnalyzeSceneThumb * a,
    const GstCvAnalyzeSceneThumb * b)
{
  gint i, worst = 0;

  for (i = 0; i < SIDE * SIDE; i++)
    worst = MAX (worst, ABS ((gint) a->luma[i] - (gint) b->luma[i]));
  return worst;
}

/* Two frames rendered alike are at distance 0, in every format (two
 * separate buffers, so nothing is compared with itself). */
GST_START_TEST (test_identical_frames_zero)
{
  guint f;

  for (f = 0; f < G_N_ELEMENTS (formats); f++) {
    GstCvAnalyzeSceneThumb a, b;

    thumb_pattern ("smpte", formats[f], 320, 240, &a);
    thumb_pattern ("smpte", formats[f], 320, 240, &b);
    fail_unless (gst_cv_analyze_scene_distance (&a, &b) == 0.0,
        "%s: %f", formats[f], gst_cv_analyze_scene_distance (&a, &b));
  }
}

GST_END_TEST;

/* Every two different videotestsrc patterns are further apart than the
 * default threshold, in every format; the distance is symmetric and at
 * most 1. */
GST_START_TEST (test_different_patterns_above_threshold)
{
  GstCvAnalyzeSceneThumb thumbs[G_N_ELEMENTS (patterns)];
  guint f, i, j;

  for (f = 0; f < G_N_ELEMENTS (formats); f++) {
    for (i = 0; i < G_N_ELEMENTS (patterns); i++)
      thumb_pattern (patterns[i], formats[f], 320, 240, &thumbs[i]);
    for (i = 0; i < G_N_ELEMENTS (patterns); i++) {
      for (j = i + 1; j < G_N_ELEMENTS (patterns); j++) {
        gdouble d = gst_cv_analyze_scene_distance (&thumbs[i], &thumbs[j]);

        fail_unless (d > THRESHOLD && d <= 1.0, "%s: %s vs %s: %f",
            formats[f], patterns[i], patterns[j], d);
        fail_unless_equals_float (d, gst_cv_analyze_scene_distance
            (&thumbs[j], &thumbs[i]));
      }
    }
  }
}

GST_END_TEST;

/* The thumbnail is the frame's luma: every YUV format (and GRAY8, which
 * videotestsrc draws as I420's Y) gives I420's thumbnail (10-bit ones
 * within rounding), every RGB format RGB's, from the same picture
 * (limited-range Y and full-range luma are different pictures). */
GST_START_TEST (test_each_format_reads_its_luma)
{
  GstCvAnalyzeSceneThumb yuv, rgb, t;
  guint f;

  thumb_pattern ("smpte", "I420", 320, 240, &yuv);
  thumb_pattern ("smpte", "RGB", 320, 240, &rgb);
  for (f = 0; f < G_N_ELEMENTS (formats); f++) {
    const GstVideoFormatInfo *finfo =
        gst_video_format_get_info (gst_video_format_from_string (formats[f]));
    const GstCvAnalyzeSceneThumb *ref =
        GST_VIDEO_FORMAT_INFO_IS_RGB (finfo) ? &rgb : &yuv;
    gint tolerance = GST_VIDEO_FORMAT_INFO_DEPTH (finfo, 0) > 8 ? 1 : 0;

    thumb_pattern ("smpte", formats[f], 320, 240, &t);
    fail_unless (max_luma_difference (&t, ref) <= tolerance,
        "%s differs from its reference by %d", formats[f],
        max_luma_difference (&t, ref));
  }
}

GST_END_TEST;

/* A frame whose rows are padded (wider strides, offset planes, as pools
 * of hardware decoders and cameras give them) has the same thumbnail as
 * the unpadded frame, in every format. */
GST_START_TEST (test_padded_strides)
{
  guint f;

  for (f = 0; f < G_N_ELEMENTS (formats); f++) {
    GstSample *sample = render_pattern ("pinwheel", formats[f], 320, 240);
    GstVideoInfo info, padded_info;
    GstVideoAlignment align;
    GstVideoFrame frame, padded;
    GstBuffer *padded_buf;
    GstCvAnalyzeSceneThumb a, b;
    guint i;

    fail_unless (gst_video_info_from_caps (&info,
            gst_sample_get_caps (sample)));
    padded_info = info;
    gst_video_alignment_reset (&align);
    align.padding_top = 6;
    align.padding_left = 10;
    align.padding_right = 38;
    align.padding_bottom = 4;
    for (i = 0; i < GST_VIDEO_MAX_PLANES; i++)
      align.stride_align[i] = 63;
    fail_unless (gst_video_info_align (&padded_info, &align));
    fail_unless (GST_VIDEO_INFO_PLANE_STRIDE (&padded_info, 0) >
        GST_VIDEO_INFO_PLANE_STRIDE (&info, 0));
    padded_buf = gst_buffer_new_allocate (NULL, padded_info.size, NULL);
    gst_buffer_memset (padded_buf, 0, 0xff, padded_info.size);
    fail_unless (gst_video_frame_map (&frame, &info,
            gst_sample_get_buffer (sample), GST_MAP_READ));
    fail_unless (gst_video_frame_map (&padded, &padded_info, padded_buf,
            GST_MAP_READWRITE));
    fail_unless (gst_video_frame_copy (&padded, &frame));
    fail_unless (gst_cv_analyze_scene_thumb_from_frame (&frame, &a));
    fail_unless (gst_cv_analyze_scene_thumb_from_frame (&padded, &b));
    fail_unless (memcmp (&a, &b, sizeof (a)) == 0, "%s: padding changes the "
        "thumbnail (by %d)", formats[f], max_luma_difference (&a, &b));
    gst_video_frame_unmap (&padded);
    gst_video_frame_unmap (&frame);
    gst_buffer_unref (padded_buf);
    gst_sample_unref (sample);
  }
}

GST_END_TEST;

/* Checks that a 64x64 frame of @format whose 16-bit Y samples are all
 * @sample has a thumbnail of 128. */
static void
check_flat_16bit (GstVideoFormat format, guint16 sample)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer *buf;
  GstCvAnalyzeSceneThumb t;
  gint x, y;

  gst_video_info_set_format (&info, format, 64, 64);
  buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_READWRITE));
  for (y = 0; y < 64; y++)
    for (x = 0; x < 64; x++)
      ((guint16 *) ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) +
              y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0)))[x] =
          GUINT16_TO_LE (sample);
  fail_unless (gst_cv_analyze_scene_thumb_from_frame (&frame, &t));
  for (x = 0; x < SIDE * SIDE; x++)
    fail_unless_equals_int (t.luma[x], 128);
  gst_video_frame_unmap (&frame);
  gst_buffer_unref (buf);
}

/* The thumbnail averages each cell: a GRAY8 frame of four flat quarters
 * gives those four values; one of fine stripes (four pixels of 0, four
 * of 200: one of each in a cell) gives their mean. 10-bit Y is read as its 8
 * top bits. */
GST_START_TEST (test_thumbnail_is_a_box_average)
{
  static const guint8 quarters[4] = { 0, 60, 130, 250 };
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer *buf;
  GstCvAnalyzeSceneThumb t;
  guint8 *p;
  gint x, y, stride;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_GRAY8, 256, 128);
  buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_READWRITE));
  p = GST_VIDEO_FRAME_PLANE_DATA (&frame, 0);
  stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
  for (y = 0; y < 128; y++)
    for (x = 0; x < 256; x++)
      p[y * stride + x] = quarters[(y >= 64) * 2 + (x >= 128)];
  fail_unless (gst_cv_analyze_scene_thumb_from_frame (&frame, &t));
  for (y = 0; y < SIDE; y++)
    for (x = 0; x < SIDE; x++)
      fail_unless_equals_int (t.luma[y * SIDE + x],
          quarters[(y >= SIDE / 2) * 2 + (x >= SIDE / 2)]);

  /* 256 / 32 = 8 pixels a cell, sampled at 2 evenly spread ones. */
  for (y = 0; y < 128; y++)
    for (x = 0; x < 256; x++)
      p[y * stride + x] = (x / 4) % 2 ? 200 : 0;
  fail_unless (gst_cv_analyze_scene_thumb_from_frame (&frame, &t));
  for (x = 0; x < SIDE * SIDE; x++)
    fail_unless_equals_int (t.luma[x], 100);
  gst_video_frame_unmap (&frame);
  gst_buffer_unref (buf);

  /* 10-bit: 512 of 1023 is 128 of 255, wherever the bits sit. */
  check_flat_16bit (GST_VIDEO_FORMAT_I420_10LE, 512);
  check_flat_16bit (GST_VIDEO_FORMAT_P010_10LE, 512 << 6);
}

GST_END_TEST;

/* Fills a GRAY8 frame of @info with @value and thumbnails it. */
static void
thumb_flat (guint8 value, GstCvAnalyzeSceneThumb * t)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer *buf;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_GRAY8, 320, 240);
  buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  gst_buffer_memset (buf, 0, value, info.size);
  fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_READ));
  fail_unless (gst_cv_analyze_scene_thumb_from_frame (&frame, t));
  gst_video_frame_unmap (&frame);
  gst_buffer_unref (buf);
}

/* Soft binning: the distance grows with a change of light, one bin width
 * (32 levels) for distance 1, rather than jumping at bin edges; flat
 * pictures far apart in tone are at distance 1. */
GST_START_TEST (test_distance_grows_with_the_change)
{
  GstCvAnalyzeSceneThumb base, t;

  thumb_flat (100, &base);
  thumb_flat (102, &t);
  fail_unless_equals_float (gst_cv_analyze_scene_distance (&base, &t),
      2.0 / 32);
  thumb_flat (108, &t);
  fail_unless_equals_float (gst_cv_analyze_scene_distance (&base, &t),
      8.0 / 32);
  thumb_flat (200, &t);
  fail_unless_equals_float (gst_cv_analyze_scene_distance (&base, &t), 1.0);
}

GST_END_TEST;

/* Renders @pattern as a 4:2:0 JPEG with jpegenc (quality 85). */
static GstSample *
render_jpeg (const gchar * pattern, gint width, gint height)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=1 pattern=%s ! "
      "video/x-raw,format=I420,width=%d,height=%d ! jpegenc quality=85 ! "
      "image/jpeg", pattern, width, height);
  GstSample *sample = render (desc);

  g_free (desc);
  return sample;
}

static void
thumb_jpeg (GstCvAnalyzeScene * scene, GstSample * sample,
    GstCvAnalyzeSceneThumb * t)
{
  GstVideoInfo info;
  GError *err = NULL;

  /* As the element's caps give it: format ENCODED. */
  fail_unless (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  fail_unless_equals_int (GST_VIDEO_INFO_FORMAT (&info),
      GST_VIDEO_FORMAT_ENCODED);
  fail_unless (gst_cv_analyze_scene_measure (scene,
          gst_sample_get_buffer (sample), &info, t, &err), "%s",
      err ? err->message : "");
}

/* A JPEG is measured from its 1/8-scale luma: its thumbnail is the raw
 * frame's (within JPEG's loss), at any size from 64x64 (decoded at a
 * smaller scaling) to 1280x720; JPEGs of different patterns are far
 * apart, of the same pattern at 0; a corrupt one is an error, not a
 * guess, and the JPEG after it is measured again. */
GST_START_TEST (test_jpeg_measured_at_one_eighth)
{
  static const gint sizes[][2] = { {64, 64}, {320, 240}, {1280, 720} };
  GstCvAnalyzeScene *scene = gst_cv_analyze_scene_new ();
  GstCvAnalyzeSceneThumb raw, a, b;
  GstSample *sample;
  GstMapInfo map;
  GError *err = NULL;
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
    thumb_pattern ("smpte", "I420", sizes[i][0], sizes[i][1], &raw);
    sample = render_jpeg ("smpte", sizes[i][0], sizes[i][1]);
    thumb_jpeg (scene, sample, &a);
    gst_sample_unref (sample);
    fail_unless (gst_cv_analyze_scene_distance (&raw, &a) < THRESHOLD,
        "%dx%d JPEG vs raw: %f", sizes[i][0], sizes[i][1],
        gst_cv_analyze_scene_distance (&raw, &a));
    sample = render_jpeg ("smpte", sizes[i][0], sizes[i][1]);
    thumb_jpeg (scene, sample, &b);
    gst_sample_unref (sample);
    fail_unless_equals_float (gst_cv_analyze_scene_distance (&a, &b), 0.0);
  }

  for (i = 0; i < G_N_ELEMENTS (patterns); i++) {
    sample = render_jpeg (patterns[i], 640, 480);
    thumb_jpeg (scene, sample, &a);
    gst_sample_unref (sample);
    for (j = i + 1; j < G_N_ELEMENTS (patterns); j++) {
      sample = render_jpeg (patterns[j], 640, 480);
      thumb_jpeg (scene, sample, &b);
      gst_sample_unref (sample);
      fail_unless (gst_cv_analyze_scene_distance (&a, &b) > THRESHOLD,
          "JPEG %s vs %s: %f", patterns[i], patterns[j],
          gst_cv_analyze_scene_distance (&a, &b));
    }
  }

  /* Cut short in its header: not measured. */
  sample = render_jpeg ("smpte", 320, 240);
  fail_unless (gst_buffer_map (gst_sample_get_buffer (sample), &map,
          GST_MAP_READ));
  fail_if (gst_cv_analyze_scene_thumb_from_jpeg (scene, map.data, 20, &a,
          &err));
  fail_unless (err != NULL);
  g_clear_error (&err);
  fail_if (gst_cv_analyze_scene_thumb_from_jpeg (scene,
          (const guint8 *) "not a jpeg", 10, &a, &err));
  fail_unless (err != NULL);
  g_clear_error (&err);
  fail_if (gst_cv_analyze_scene_thumb_from_jpeg (scene, map.data, 160, &a,
          &err));
  fail_unless (err != NULL);
  g_clear_error (&err);
  /* ... and the next good one still is. */
  fail_unless (gst_cv_analyze_scene_thumb_from_jpeg (scene, map.data,
          map.size, &b, &err), "%s", err ? err->message : "");
  gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
  gst_sample_unref (sample);
  thumb_pattern ("smpte", "I420", 320, 240, &raw);
  fail_unless (gst_cv_analyze_scene_distance (&raw, &b) < THRESHOLD);
  gst_cv_analyze_scene_free (scene);
}

GST_END_TEST;

static Suite *
scene_suite (void)
{
  Suite *s = suite_create ("scene");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_identical_frames_zero);
  tcase_add_test (tc, test_different_patterns_above_threshold);
  tcase_add_test (tc, test_each_format_reads_its_luma);
  tcase_add_test (tc, test_padded_strides);
  tcase_add_test (tc, test_thumbnail_is_a_box_average);
  tcase_add_test (tc, test_distance_grows_with_the_change);
  tcase_add_test (tc, test_jpeg_measured_at_one_eighth);
  return s;
}

GST_CHECK_MAIN (scene);
