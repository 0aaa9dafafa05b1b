/* pipeline-bench: runs one pipeline to EOS and prints what the benchmark
 * script compares: frames that reached the element named "sink", the
 * process's CPU time, the frame rate between the first and the last
 * frame, and (with --rss-every) resident memory along the stream. With
 * --add-bare-meta, each buffer into the sink is made writable and given a
 * meta with no init, free or transform: the least an element that attaches
 * a meta to every buffer can cost, measured in the same pipeline.
 *
 *   pipeline-bench [--rss-every SECONDS] [--add-bare-meta] "videotestsrc ... ! fakesink name=sink"
 *
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>
#include <gst/gst.h>

typedef struct
{
  guint64 frames;
  gint64 first_us;
  gint64 last_us;
  GstClockTime rss_every;
  GstClockTime next_rss;
} Counters;

static glong
rss_kb (void)
{
  glong pages = 0, resident = 0;
  FILE *f = fopen ("/proc/self/statm", "r");

  if (f) {
    if (fscanf (f, "%ld %ld", &pages, &resident) != 2)
      resident = 0;
    fclose (f);
  }
  return resident * (sysconf (_SC_PAGESIZE) / 1024);
}

static gboolean
bare_meta_init (GstMeta * meta, gpointer params, GstBuffer * buffer)
{
  return TRUE;
}

static GstPadProbeReturn
on_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Counters *c = user_data;
  GstClockTime pts = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));
  gint64 now = g_get_monotonic_time ();

  if (c->frames++ == 0)
    c->first_us = now;
  c->last_us = now;
  if (c->rss_every && GST_CLOCK_TIME_IS_VALID (pts) && pts >= c->next_rss) {
    g_print ("rss stream-time=%" G_GUINT64_FORMAT "s rss=%ld kB\n",
        pts / GST_SECOND, rss_kb ());
    c->next_rss += c->rss_every;
  }
  return GST_PAD_PROBE_OK;
}

static const GstMetaInfo *
bare_meta_get_info (void)
{
  static const GstMetaInfo *info;
  static const gchar *tags[] = { NULL };

  if (g_once_init_enter (&info)) {
    GType api = gst_meta_api_type_register ("BenchBareMetaAPI", tags);

    g_once_init_leave (&info, gst_meta_register (api, "BenchBareMeta",
            sizeof (GstMeta), bare_meta_init, NULL, NULL));
  }
  return info;
}

static GstPadProbeReturn
add_bare_meta (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));

  gst_buffer_add_meta (buf, bare_meta_get_info (), NULL);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

static gdouble
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int
main (int argc, char **argv)
{
  Counters c = { 0, };
  gint rss_every = 0;
  gboolean bare_meta = FALSE;
  GOptionEntry entries[] = {
    {"rss-every", 0, 0, G_OPTION_ARG_INT, &rss_every,
        "Print resident memory every N seconds of stream time", "N"},
    {"add-bare-meta", 0, 0, G_OPTION_ARG_NONE, &bare_meta,
        "Make each buffer into the sink writable and add a bare meta", NULL},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("PIPELINE");
  GstElement *pipeline, *sink;
  GstMessage *msg;
  GError *err = NULL;
  GstPad *pad;
  gdouble cpu0, cpu;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err) || argc != 2) {
    g_printerr ("%s\n", err ? err->message : "usage: pipeline-bench PIPELINE");
    return 2;
  }
  g_option_context_free (ctx);

  pipeline = gst_parse_launch (argv[1], &err);
  if (!pipeline) {
    g_printerr ("%s\n", err->message);
    return 1;
  }
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  if (!sink) {
    g_printerr ("the pipeline needs an element named 'sink'\n");
    return 1;
  }
  pad = gst_element_get_static_pad (sink, "sink");
  c.rss_every = rss_every * GST_SECOND;
  if (bare_meta)
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, add_bare_meta, NULL,
        NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, &c, NULL);

  cpu0 = cpu_seconds ();
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  cpu = cpu_seconds () - cpu0;
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (msg, &err, NULL);
    g_printerr ("error: %s\n", err->message);
    return 1;
  }
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);

  g_print ("frames=%" G_GUINT64_FORMAT " cpu=%.3f fps=%.3f\n", c.frames, cpu,
      c.frames > 1 ? (c.frames - 1) * 1e6 / (c.last_us - c.first_us) : 0.0);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  return 0;
}
