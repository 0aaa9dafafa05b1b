/* Helpers shared by the cvanalyze element tests.
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
#include <turbojpeg.h>

#include "cvanalyzetest.h"

CvLocalServer *server;
gchar *server_url;

void
cv_test_server_setup (void)
{
  GError *err = NULL;

  server = cv_local_server_new (TEST_KEY, &err);
  fail_unless (server != NULL, "local server: %s", err ? err->message : "?");
  server_url = cv_local_server_get_url (server);
}

void
cv_test_server_teardown (void)
{
  cv_local_server_free (server);
  server = NULL;
  g_clear_pointer (&server_url, g_free);
}

/* Builds a pipeline from a description in which "ENDPOINT" stands for the
 * local server's URL and "KEY" for the key it expects. */
GstElement *
cv_test_make_pipeline (const gchar * description)
{
  GString *desc = g_string_new (description);
  GError *err = NULL;
  GstElement *pipeline;

  g_string_replace (desc, "ENDPOINT", server_url, 0);
  g_string_replace (desc, "KEY", TEST_KEY, 0);
  pipeline = gst_parse_launch (desc->str, &err);
  fail_unless (pipeline != NULL, "%s: %s", desc->str, err ? err->message : "");
  g_string_free (desc, TRUE);
  return pipeline;
}

static GstPadProbeReturn
record_buffer_time (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  gint64 now = g_get_monotonic_time ();

  g_array_append_val ((GArray *) user_data, now);
  return GST_PAD_PROBE_OK;
}

/* Runs the pipeline to EOS or ERROR and returns every message of interest
 * (element, warning, error, qos, eos), in bus order. */
GList *
cv_test_run_pipeline (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GList *messages = NULL;
  gboolean done = FALSE;

  /* A failed start posts its error on the bus: read it there. */
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while (!done) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING |
        GST_MESSAGE_ELEMENT | GST_MESSAGE_QOS);

    fail_unless (msg != NULL, "pipeline did not finish within 60 s");
    done = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS
        || GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR;
    messages = g_list_append (messages, msg);
  }
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  cv_test_drop_bus_messages (bus);
  gst_object_unref (bus);
  return messages;
}

/* Drops what is left on a bus (a pipeline flushes its own bus on the way
 * to NULL, a bare element's bus is not): each message holds its source
 * element, which holds the bus, a cycle that leaks them all. */
void
cv_test_drop_bus_messages (GstBus * bus)
{
  gst_bus_set_flushing (bus, TRUE);
}

/* Records g_get_monotonic_time () as each buffer passes @pad of the element
 * named @element (transfer full: a GArray of gint64, in buffer order). Read
 * it once the pipeline has stopped. */
GArray *
cv_test_probe_buffer_times (GstElement * pipeline, const gchar * element,
    const gchar * pad)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), element);
  GstPad *p = gst_element_get_static_pad (e, pad);
  GArray *times = g_array_new (FALSE, FALSE, sizeof (gint64));

  gst_pad_add_probe (p, GST_PAD_PROBE_TYPE_BUFFER, record_buffer_time,
      g_array_ref (times), (GDestroyNotify) g_array_unref);
  gst_object_unref (p);
  gst_object_unref (e);
  return times;
}

void
cv_test_free_messages (GList * messages)
{
  g_list_free_full (messages, (GDestroyNotify) gst_message_unref);
}

/* The 'cvanalyze' result messages, in order (transfer container). */
GList *
cv_test_filter_results (GList * messages)
{
  GList *out = NULL, *l;

  for (l = messages; l; l = l->next) {
    GstMessage *m = l->data;

    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ELEMENT
        && gst_message_has_name (m, "cvanalyze"))
      out = g_list_append (out, m);
  }
  return out;
}

GstMessage *
cv_test_find_message (GList * messages, GstMessageType type)
{
  for (; messages; messages = messages->next)
    if (GST_MESSAGE_TYPE (messages->data) == type)
      return messages->data;
  return NULL;
}

GstClockTime
cv_test_message_timestamp (GstMessage * m)
{
  guint64 ts = GST_CLOCK_TIME_NONE;

  fail_unless (gst_structure_get_uint64 (gst_message_get_structure (m),
          "timestamp", &ts));
  return ts;
}

/* The text (and debug string) of a warning or error message. */
gchar *
cv_test_message_text (GstMessage * m, gchar ** debug)
{
  GError *err = NULL;
  gchar *text;

  if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR)
    gst_message_parse_error (m, &err, debug);
  else
    gst_message_parse_warning (m, &err, debug);
  text = g_strdup (err->message);
  g_error_free (err);
  return text;
}

/* Fails if @secret is in any message: its structure, or the text or debug
 * string of a warning or error. */
void
cv_test_check_secret_not_in_messages (GList * messages, const gchar * secret)
{
  for (; messages; messages = messages->next) {
    GstMessage *m = messages->data;
    const GstStructure *s = gst_message_get_structure (m);
    gchar *str = s ? gst_structure_to_string (s) : NULL;

    fail_if (str && strstr (str, secret), "the key is in a message");
    g_free (str);
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_WARNING
        || GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
      gchar *debug = NULL, *text = cv_test_message_text (m, &debug);

      fail_if (strstr (text, secret) || (debug && strstr (debug, secret)),
          "the key is in '%s'", text);
      g_free (text);
      g_free (debug);
    }
  }
}

/* Decodes a JPEG with TurboJPEG; returns its RGB pixels (free with
 * g_free()) and its size. */
guint8 *
cv_test_decode_jpeg (GBytes * jpeg, gint * width, gint * height)
{
  tjhandle tj = tjInitDecompress ();
  gsize size;
  const guint8 *data = g_bytes_get_data (jpeg, &size);
  gint subsamp, colorspace;
  guint8 *rgb;

  fail_unless (tjDecompressHeader3 (tj, data, size, width, height, &subsamp,
          &colorspace) == 0, "not a valid JPEG: %s", tjGetErrorStr2 (tj));
  rgb = g_malloc ((gsize) * width * *height * 3);
  fail_unless (tjDecompress2 (tj, data, size, rgb, *width, 0, *height,
          TJPF_RGB, 0) == 0, "JPEG does not decode: %s", tjGetErrorStr2 (tj));
  tjDestroy (tj);
  return rgb;
}

static GString *debug_log;
static GMutex debug_log_lock;

static void
capture_log (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  /* Formatted outside the lock: formatting may take object locks. */
  const gchar *text = gst_debug_message_get (message);

  g_mutex_lock (&debug_log_lock);
  g_string_append (debug_log, text);
  g_string_append_c (debug_log, '\n');
  g_mutex_unlock (&debug_log_lock);
}

/* Captures the debug log at the highest level, printing nothing. */
void
cv_test_start_log_capture (void)
{
  debug_log = g_string_new (NULL);
  gst_debug_remove_log_function (gst_debug_log_default);
  gst_debug_add_log_function (capture_log, NULL, NULL);
  gst_debug_set_active (TRUE);
  gst_debug_set_default_threshold (GST_LEVEL_MEMDUMP);
}

/* Stops the capture; returns all that was logged since it started
 * (transfer full), which must be a real log, not a few lines. */
gchar *
cv_test_stop_log_capture (void)
{
  gst_debug_set_default_threshold (GST_LEVEL_NONE);
  gst_debug_remove_log_function (capture_log);
  gst_debug_add_log_function (gst_debug_log_default, NULL, NULL);
  fail_unless (debug_log->len > 1000, "debug log not captured");
  return g_string_free (g_steal_pointer (&debug_log), FALSE);
}

/* The @name field of the stats of the element named @element. */
guint64
cv_test_get_stat (GstElement * pipeline, const gchar * element,
    const gchar * name)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), element);
  GstStructure *stats;
  guint64 value = 0;

  g_object_get (e, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, name, &value), "%s", name);
  gst_structure_free (stats);
  gst_object_unref (e);
  return value;
}

struct _CvTestSoupServer
{
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  SoupServer *soup;
  gchar *url;                   /* http://127.0.0.1:PORT/ */
};

static gpointer
soup_server_thread (gpointer data)
{
  CvTestSoupServer *s = data;

  g_main_context_push_thread_default (s->context);
  g_main_loop_run (s->loop);
  g_main_context_pop_thread_default (s->context);
  return NULL;
}

CvTestSoupServer *
cv_test_soup_server_new (SoupServerCallback callback, gpointer user_data)
{
  CvTestSoupServer *s = g_new0 (CvTestSoupServer, 1);
  GSList *uris;

  s->context = g_main_context_new ();
  s->loop = g_main_loop_new (s->context, FALSE);
  g_main_context_push_thread_default (s->context);
  s->soup = soup_server_new (NULL, NULL);
  soup_server_add_handler (s->soup, NULL, callback, user_data, NULL);
  fail_unless (soup_server_listen_local (s->soup, 0,
          SOUP_SERVER_LISTEN_IPV4_ONLY, NULL));
  g_main_context_pop_thread_default (s->context);
  uris = soup_server_get_uris (s->soup);
  s->url = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  s->thread = g_thread_new ("test-soup-server", soup_server_thread, s);
  return s;
}

const gchar *
cv_test_soup_server_get_url (CvTestSoupServer * s)
{
  return s->url;
}

static gboolean
quit_soup_server_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

void
cv_test_soup_server_free (CvTestSoupServer * s)
{
  g_main_context_invoke (s->context, quit_soup_server_loop, s->loop);
  g_thread_join (s->thread);
  g_object_unref (s->soup);
  g_main_loop_unref (s->loop);
  g_main_context_unref (s->context);
  g_free (s->url);
  g_free (s);
}
