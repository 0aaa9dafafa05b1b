/* scene-bench: what sample-mode=scene saves and what its check costs.
 *
 *   scene-bench URL [QUICK]      (URL: a local server; QUICK=1 shorter)
 *
 * Savings: requests the element sent (its stats) in interval and in scene
 * mode, one frame due a second, on
 *   - a clip with three cuts: four 10 s shots of videotestsrc patterns
 *     (smpte, a moving ball, red, pinwheel) joined by concat, 640x360;
 *   - a static scene, 10 minutes of stream time: a still picture, and the
 *     same with camera-like sensor noise (5% of snow blended in by
 *     compositor), max-interval 60 s (the default).
 * Cost: CPU time of one check (gst_cv_analyze_scene_measure(), what the
 * element calls: map, 32x32 thumbnail, histograms) on frames not in the
 * cache (a ring of 24 distinct frames, as a camera's buffers are), against
 * the CPU time of one frame through identity (imagefreeze ! identity !
 * fakesink, the difference of a long and a short run), measured in the
 * same run; lowest of 5 rounds each.
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
#include <sys/resource.h>
#include <time.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstcvanalyzescene.h"

#define RING 24
#define ROUNDS 5

static const gchar *url;

static gdouble
process_cpu_s (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static gdouble
thread_cpu_ns (void)
{
  struct timespec t;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

/* Runs @desc to EOS; returns the process CPU seconds it took, and the
 * stats of its element "a" in @stats (if not NULL). */
static gdouble
run (const gchar * desc, GstStructure ** stats)
{
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err), *a;
  GstMessage *msg;
  gdouble cpu;

  if (!pipeline) {
    g_printerr ("%s: %s\n", desc, err->message);
    exit (1);
  }
  cpu = process_cpu_s ();
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  cpu = process_cpu_s () - cpu;
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (msg, &err, NULL);
    g_printerr ("%s: %s\n", desc, err->message);
    exit (1);
  }
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (stats) {
    a = gst_bin_get_by_name (GST_BIN (pipeline), "a");
    g_object_get (a, "stats", stats, NULL);
    gst_object_unref (a);
  }
  gst_object_unref (pipeline);
  return cpu;
}

static guint64
stat (const GstStructure * s, const gchar * name)
{
  guint64 v = 0;

  gst_structure_get_uint64 (s, name, &v);
  return v;
}

/* @source with "ENDPOINT" and "PROPS" replaced (transfer full). */
static gchar *
fill_in (const gchar * source, const gchar * props)
{
  GString *s = g_string_new (source);

  g_string_replace (s, "ENDPOINT", url, 0);
  g_string_replace (s, "PROPS", props, 0);
  return g_string_free (s, FALSE);
}

/* Prints the requests of @source (whose cvanalyze is "a", with ENDPOINT
 * and PROPS to fill in) in interval and in scene mode, and the saving. */
static void
saving (const gchar * what, const gchar * source, const gchar * scene_props)
{
  GstStructure *si, *ss;
  gchar *desc;
  guint64 ri, rs;

  desc = fill_in (source, "");
  run (desc, &si);
  g_free (desc);
  desc = fill_in (source, scene_props);
  run (desc, &ss);
  g_free (desc);
  ri = stat (si, "requests");
  rs = stat (ss, "requests");
  g_print ("%s: interval %" G_GUINT64_FORMAT " requests, scene %"
      G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " scene changes, %"
      G_GUINT64_FORMAT " checks saved)\n", what, ri, rs,
      stat (ss, "scene-changes"), stat (ss, "saved"));
  g_print ("scene-saving %s: %.1f%% of the requests\n", what,
      ri ? 100.0 * (ri - rs) / ri : 0.0);
  gst_structure_free (si);
  gst_structure_free (ss);
}

/* CPU nanoseconds of one frame through identity: a long run less a short
 * one, so that start-up cancels; lowest of ROUNDS. */
static gdouble
identity_ns (guint frames)
{
  GString *lng = g_string_new (NULL), *shrt = g_string_new (NULL);
  gdouble best = G_MAXDOUBLE;
  guint r, n;

  for (n = 0; n < 2; n++)
    g_string_printf (n ? shrt : lng, "videotestsrc num-buffers=1 ! "
        "video/x-raw,format=I420,width=1920,height=1080,framerate=30/1 ! "
        "imagefreeze num-buffers=%u ! identity ! fakesink sync=false",
        n ? frames / 10 : frames);
  for (r = 0; r < ROUNDS; r++) {
    gdouble a = run (lng->str, NULL), b = run (shrt->str, NULL);

    best = MIN (best, (a - b) * 1e9 / (frames - frames / 10));
  }
  g_string_free (lng, TRUE);
  g_string_free (shrt, TRUE);
  return best;
}

static void
collect (GstElement * sink, GstBuffer * buf, GstPad * pad, gpointer data)
{
  GPtrArray *frames = data;

  if (frames->len == 0)
    g_ptr_array_add (frames, gst_pad_get_current_caps (pad));
  g_ptr_array_add (frames, gst_buffer_ref (buf));
}

/* RING distinct frames from @source (caps first), in their own memory. */
static GPtrArray *
render_ring (const gchar * source)
{
  gchar *desc = g_strdup_printf ("%s ! fakesink name=sink "
      "signal-handoffs=true", source);
  GPtrArray *frames = g_ptr_array_new ();
  GstElement *pipeline = gst_parse_launch (desc, NULL), *sink;
  GstMessage *msg;

  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_signal_connect (sink, "handoff", G_CALLBACK (collect), frames);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (desc);
  return frames;
}

/* CPU nanoseconds of one check, on the ring's frames in turn (each one
 * evicted from the cache by the others); lowest of ROUNDS. */
static gdouble
check_ns (const gchar * source, guint checks)
{
  GPtrArray *frames = render_ring (source);
  GstCvAnalyzeScene *scene = gst_cv_analyze_scene_new ();
  GstCvAnalyzeSceneThumb thumb;
  GstVideoInfo info;
  gdouble best = G_MAXDOUBLE;
  guint r, i, n = frames->len - 1;

  gst_video_info_from_caps (&info, g_ptr_array_index (frames, 0));
  for (r = 0; r < ROUNDS; r++) {
    gdouble t = thread_cpu_ns ();

    for (i = 0; i < checks; i++)
      if (!gst_cv_analyze_scene_measure (scene,
              g_ptr_array_index (frames, 1 + i % n), &info, &thumb, NULL)) {
        g_printerr ("%s: not measured\n", source);
        exit (1);
      }
    best = MIN (best, (thread_cpu_ns () - t) / checks);
  }
  gst_cv_analyze_scene_free (scene);
  gst_caps_unref (g_ptr_array_index (frames, 0));
  for (i = 1; i < frames->len; i++)
    gst_buffer_unref (g_ptr_array_index (frames, i));
  g_ptr_array_unref (frames);
  return best;
}

int
main (int argc, char **argv)
{
  static const struct
  {
    const gchar *name;
    const gchar *source;
  } sources[] = {
    {"1920x1080 I420", "videotestsrc pattern=snow num-buffers=24 ! "
          "video/x-raw,format=I420,width=1920,height=1080"},
    {"1920x1080 YUY2", "videotestsrc pattern=snow num-buffers=24 ! "
          "video/x-raw,format=YUY2,width=1920,height=1080"},
    {"1920x1080 BGRx", "videotestsrc pattern=snow num-buffers=24 ! "
          "video/x-raw,format=BGRx,width=1920,height=1080"},
    {"1280x720 MJPEG (4:2:2, q85)", "videotestsrc pattern=smpte "
          "horizontal-speed=8 num-buffers=24 ! video/x-raw,format=Y42B,"
          "width=1280,height=720 ! jpegenc quality=85 ! image/jpeg"},
  };
  gboolean quick;
  guint mins, i;
  gdouble ident;
  gchar *src;

  gst_init (&argc, &argv);
  if (argc < 2) {
    g_printerr ("usage: scene-bench URL [QUICK]\n");
    return 2;
  }
  url = argv[1];
  quick = argc > 2 && atoi (argv[2]);
  mins = quick ? 2 : 10;

  saving ("cuts", "concat name=c ! cvanalyze name=a endpoint=ENDPOINT PROPS ! "
      "fakesink sync=false "
      "videotestsrc num-buffers=300 pattern=smpte ! video/x-raw,width=640,"
      "height=360,framerate=30/1 ! c. "
      "videotestsrc num-buffers=300 pattern=ball ! video/x-raw,width=640,"
      "height=360,framerate=30/1 ! c. "
      "videotestsrc num-buffers=300 pattern=red ! video/x-raw,width=640,"
      "height=360,framerate=30/1 ! c. "
      "videotestsrc num-buffers=300 pattern=pinwheel ! video/x-raw,width=640,"
      "height=360,framerate=30/1 ! c.", "sample-mode=scene");
  src = g_strdup_printf ("videotestsrc num-buffers=%u pattern=smpte ! "
      "video/x-raw,width=640,height=360,framerate=30/1 ! "
      "cvanalyze name=a endpoint=ENDPOINT PROPS ! fakesink sync=false",
      mins * 60 * 30);
  saving ("static", src, "sample-mode=scene");
  g_free (src);
  src = g_strdup_printf ("compositor name=m sink_1::alpha=0.05 ! "
      "video/x-raw,width=640,height=360,framerate=30/1 ! "
      "cvanalyze name=a endpoint=ENDPOINT PROPS ! fakesink sync=false "
      "videotestsrc num-buffers=%u pattern=smpte ! video/x-raw,width=640,"
      "height=360,framerate=30/1 ! m. "
      "videotestsrc num-buffers=%u pattern=snow ! video/x-raw,width=640,"
      "height=360,framerate=30/1 ! m.", mins * 60 * 30, mins * 60 * 30);
  saving ("static-noisy", src, "sample-mode=scene");
  g_free (src);

  ident = identity_ns (quick ? 10000 : 40000);
  g_print ("identity: %.0f ns per frame\n", ident);
  for (i = 0; i < G_N_ELEMENTS (sources); i++) {
    gdouble ns = check_ns (sources[i].source, quick ? 200 : 2000);

    g_print ("scene-check %s: %.0f ns, %.1f x identity per check; %.2f x "
        "per frame at 30 fps checked once a second\n", sources[i].name, ns,
        ns / ident, ns / ident / 30);
  }
  return 0;
}
