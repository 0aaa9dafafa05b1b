/* sample-cost: what preparing one sampled frame of a 1280x720 stream costs
 * with cvanalyze's defaults (max-dimension 1024, jpeg-quality 85), the
 * part of row 9's per-stream CPU that no sharing of threads or sessions
 * can remove. Encodes the same smpte frame as row 9's streams, once with
 * warm caches (back to back) and once as a live stream meets it, about
 * once a second: after the caches were filled with other data. Thread CPU
 * time, median of the rounds.
 *
 *   sample-cost [ROUNDS]      (default 30)
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

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include "gstcvanalyzeencoder.h"

#define MAX_DIMENSION 1024
#define QUALITY 85
#define CACHE_FLUSH_BYTES (32 * 1024 * 1024)

static gdouble
thread_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return (x > y) - (x < y);
}

/* The frame row 9's streams carry. */
static GstSample *
make_frame (void)
{
  GstElement *pipeline = gst_parse_launch ("videotestsrc num-buffers=1 "
      "pattern=smpte ! video/x-raw,format=I420,width=1280,height=720 ! "
      "appsink name=sink", NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstSample *sample;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  sample = gst_app_sink_pull_sample (GST_APP_SINK (sink));
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  return sample;
}

/* Milliseconds of this thread's CPU for one encode of @frame. */
static gdouble
encode_ms (GstVideoFrame * frame, gint * width, gint * height, gsize * size)
{
  gdouble start = thread_ms ();
  GBytes *jpeg = gst_cv_analyze_encoder_encode (frame, MAX_DIMENSION,
      QUALITY, width, height, NULL);
  gdouble ms = thread_ms () - start;

  g_assert (jpeg != NULL);
  *size = g_bytes_get_size (jpeg);
  g_bytes_unref (jpeg);
  return ms;
}

int
main (int argc, char **argv)
{
  guint rounds = argc > 1 ? (guint) atoi (argv[1]) : 30, i;
  guint8 *other = g_malloc (CACHE_FLUSH_BYTES);
  gdouble *warm, *cold;
  GstSample *sample;
  GstVideoInfo info;
  GstVideoFrame frame;
  gint width = 0, height = 0;
  gsize size = 0;

  gst_init (&argc, &argv);
  if (rounds == 0)
    rounds = 30;
  warm = g_new (gdouble, rounds);
  cold = g_new (gdouble, rounds);
  sample = make_frame ();
  gst_video_info_from_caps (&info, gst_sample_get_caps (sample));
  gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample),
      GST_MAP_READ);

  encode_ms (&frame, &width, &height, &size);
  for (i = 0; i < rounds; i++)
    warm[i] = encode_ms (&frame, &width, &height, &size);
  for (i = 0; i < rounds; i++) {
    /* What the second between two samples does to the caches. */
    memset (other, i, CACHE_FLUSH_BYTES);
    cold[i] = encode_ms (&frame, &width, &height, &size);
  }
  qsort (warm, rounds, sizeof (gdouble), compare_doubles);
  qsort (cold, rounds, sizeof (gdouble), compare_doubles);

  g_print ("one sample of a 1280x720 I420 stream -> %dx%d JPEG q%d (%"
      G_GSIZE_FORMAT " bytes): %.2f ms with warm caches, %.2f ms cold\n",
      width, height, QUALITY, size, warm[rounds / 2], cold[rounds / 2]);
  g_print ("sample-floor-percent: %.2f (%% of one core per stream at one "
      "sample a second, cold)\n", cold[rounds / 2] / 10);

  gst_video_frame_unmap (&frame);
  gst_sample_unref (sample);
  g_free (warm);
  g_free (cold);
  g_free (other);
  return 0;
}
