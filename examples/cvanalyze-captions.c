/* cvanalyze-captions: runs a pipeline with a cvanalyze element and prints
 * each caption as it arrives, and cvanalyze's warnings and errors, then
 * exits at EOS. Shows how an application reads cvanalyze's bus messages
 * (examples/read_meta.py reads the meta on the buffers).
 *
 *   cvanalyze-captions "videotestsrc num-buffers=100 ! cvanalyze endpoint=... ! fakesink"
 *
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#include <gst/gst.h>

static void
print_result (const GstStructure * s)
{
  const gchar *caption = gst_structure_get_string (s, "caption");
  const GValue *tags = gst_structure_get_value (s, "tags");
  guint64 pts = GST_CLOCK_TIME_NONE, latency = 0;
  const GValue *result_value = gst_structure_get_value (s, "result");
  const GstStructure *result = result_value ?
      gst_value_get_structure (result_value) : NULL;
  gdouble confidence = 0;
  GString *line = g_string_new (NULL);
  guint i;

  gst_structure_get_uint64 (s, "timestamp", &pts);
  gst_structure_get_uint64 (s, "latency", &latency);
  g_string_append_printf (line, "%" GST_TIME_FORMAT "  \"%s\"",
      GST_TIME_ARGS (pts), caption);
  /* Chat models give no confidence; Azure's services do. */
  if (result && gst_structure_get_double (result, "confidence", &confidence))
    g_string_append_printf (line, " (%.2f)", confidence);
  for (i = 0; tags && i < gst_value_array_get_size (tags); i++)
    g_string_append_printf (line, "%s%s", i ? ", " : "  tags: ",
        g_value_get_string (gst_value_array_get_value (tags, i)));
  g_string_append_printf (line, "  [%" G_GUINT64_FORMAT " ms]",
      latency / GST_MSECOND);
  g_print ("%s\n", line->str);
  g_string_free (line, TRUE);
}

int
main (int argc, char **argv)
{
  GstElement *pipeline;
  GstBus *bus;
  GError *err = NULL;
  gboolean done = FALSE;
  int ret = 0;

  gst_init (&argc, &argv);
  if (argc != 2) {
    g_printerr ("usage: %s \"PIPELINE WITH cvanalyze\"\n", argv[0]);
    return 2;
  }
  /* A pipeline may come back with an error too (a misspelt property):
   * it is not the pipeline that was asked for. */
  pipeline = gst_parse_launch (argv[1], &err);
  if (err) {
    g_printerr ("could not build the pipeline: %s\n", err->message);
    g_error_free (err);
    gst_clear_object (&pipeline);
    return 1;
  }

  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while (!done) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING |
        GST_MESSAGE_ELEMENT);
    gchar *debug = NULL;

    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_ELEMENT:
        if (gst_message_has_name (msg, "cvanalyze"))
          print_result (gst_message_get_structure (msg));
        break;
      case GST_MESSAGE_WARNING:
        gst_message_parse_warning (msg, &err, &debug);
        g_printerr ("warning: %s\n", err->message);
        g_clear_error (&err);
        break;
      case GST_MESSAGE_ERROR:
        gst_message_parse_error (msg, &err, &debug);
        g_printerr ("error: %s\n", err->message);
        g_clear_error (&err);
        ret = 1;
        done = TRUE;
        break;
      default:
        done = TRUE;
        break;
    }
    g_free (debug);
    gst_message_unref (msg);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return ret;
}
