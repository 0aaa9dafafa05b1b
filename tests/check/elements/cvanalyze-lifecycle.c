/* cvanalyze lifecycle tests: state changes, seeks and EOS while requests
 * are in flight. meson also runs this file under valgrind, so each test
 * must end with nothing leaked and no thread left behind.
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

#include <stdio.h>
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "cvlocalserver.h"
#include "gstcvanalyzemeta.h"

#define WAIT_US (60 * G_USEC_PER_SEC)
/* How long stopping may take. The element's timeout is WAIT_US: a stop that
 * waited for it instead of cutting the wait short takes six times this.
 * Stopping itself takes milliseconds, about a second under valgrind. */
#define STOP_BOUND_US (10 * G_USEC_PER_SEC)

static CvLocalServer *server;
static gchar *server_url;

static void
server_setup (void)
{
  server = cv_local_server_new (NULL, NULL);
  fail_unless (server != NULL);
  server_url = cv_local_server_get_url (server);
}

static void
server_teardown (void)
{
  cv_local_server_free (server);
  server = NULL;
  g_clear_pointer (&server_url, g_free);
}

static GstElement *
make_pipeline (const gchar * source)
{
  gchar *desc = g_strdup_printf ("%s ! cvanalyze name=a endpoint=%s "
      "interval=0 timeout=60000000000 ! fakesink name=sink sync=false",
      source, server_url);
  GstElement *pipeline = gst_parse_launch (desc, NULL);

  fail_unless (pipeline != NULL);
  g_free (desc);
  return pipeline;
}

/* Stops the pipeline, which must take less than STOP_BOUND_US, and frees
 * it. */
static void
stop_within_bound (GstElement * pipeline)
{
  gint64 start = g_get_monotonic_time (), elapsed;

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  elapsed = g_get_monotonic_time () - start;
  fail_unless (elapsed < STOP_BOUND_US, "stopping took %" G_GINT64_FORMAT
      " us", elapsed);
  gst_object_unref (pipeline);
}

/* Plays the pipeline against a service that never answers and stops it
 * once a request is out: whatever waits (for a slot, for a held frame's
 * answer) is woken by the state change rather than by the 60 s timeout. */
static void
stop_while_service_hangs (GstElement * pipeline)
{
  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_HANG);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless (cv_local_server_wait_for_requests (server, 1, WAIT_US),
      "the element sent no request");
  stop_within_bound (pipeline);
}

/* Going to NULL while a request hangs on the server cancels it and joins
 * the client thread at once: no deadlock, no leak. */
GST_START_TEST (test_null_while_request_in_flight)
{
  stop_while_service_hangs (make_pipeline ("videotestsrc is-live=true"));
}

GST_END_TEST;

/* A non-live stream waiting for a free slot (the service hangs) is woken
 * by the state change instead of blocking it until the timeout. */
GST_START_TEST (test_null_while_waiting_for_slot)
{
  stop_while_service_hangs (make_pipeline ("videotestsrc"));
}

GST_END_TEST;

static GstPadProbeReturn
signal_eos (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS)
    g_async_queue_push (user_data, GINT_TO_POINTER (1));
  return GST_PAD_PROBE_OK;
}

/* A queue that gets an item when EOS reaches the pad. */
static GAsyncQueue *
watch_eos (GstElement * pipeline, const gchar * element, const gchar * pad)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), element);
  GstPad *p = gst_element_get_static_pad (e, pad);
  GAsyncQueue *queue = g_async_queue_new ();

  gst_pad_add_probe (p, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, signal_eos,
      g_async_queue_ref (queue), (GDestroyNotify) g_async_queue_unref);
  gst_object_unref (p);
  gst_object_unref (e);
  return queue;
}

/* EOS waiting for a hung request is cut short by a state change: EOS has
 * reached cvanalyze but not the sink (it waits for the last result), and
 * stopping then takes far less than the 60 s timeout. */
GST_START_TEST (test_null_during_eos_wait)
{
  GstElement *pipeline = make_pipeline ("videotestsrc num-buffers=1");
  GAsyncQueue *at_element = watch_eos (pipeline, "a", "sink");
  GAsyncQueue *at_sink = watch_eos (pipeline, "sink", "sink");

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_HANG);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless (cv_local_server_wait_for_requests (server, 1, WAIT_US));
  fail_unless (g_async_queue_timeout_pop (at_element, WAIT_US) != NULL,
      "EOS did not reach the element");
  fail_if (g_async_queue_try_pop (at_sink) != NULL,
      "EOS went on without waiting for the last result");
  stop_within_bound (pipeline);
  fail_if (g_async_queue_try_pop (at_sink) != NULL);

  g_async_queue_unref (at_sink);
  g_async_queue_unref (at_element);
}

GST_END_TEST;

/* Counts the retries the client schedules, as it logs them ("retry N of a
 * frame ..."): how a test waits for a frame to be waiting for its retry,
 * which happens on the client's thread with no other sign. */
static void
count_retry (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  const gchar *text = gst_debug_message_get (message);

  if (g_str_equal (gst_debug_category_get_name (category), "cvanalyzeclient")
      && g_str_has_prefix (text, "retry ") && g_ascii_isdigit (text[6]))
    g_async_queue_push (user_data, GINT_TO_POINTER (1));
}

/* A queue that gets an item for each retry scheduled from now on. */
static GAsyncQueue *
watch_retries (void)
{
  GAsyncQueue *queue = g_async_queue_new ();

  gst_debug_set_active (TRUE);
  gst_debug_set_threshold_for_name ("cvanalyzeclient", GST_LEVEL_DEBUG);
  gst_debug_add_log_function (count_retry, g_async_queue_ref (queue),
      (GDestroyNotify) g_async_queue_unref);
  return queue;
}

static void
unwatch_retries (GAsyncQueue * queue)
{
  gst_debug_remove_log_function (count_retry);
  gst_debug_unset_threshold_for_name ("cvanalyzeclient");
  g_async_queue_unref (queue);
}

/* The next result on @bus, which must be for a frame after the seek to
 * 10 s. */
static void
expect_result_after_seek (GstBus * bus)
{
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_ELEMENT);
  guint64 timestamp;

  fail_unless (msg != NULL && gst_message_has_name (msg, "cvanalyze"));
  fail_unless (gst_structure_get_uint64 (gst_message_get_structure (msg),
          "timestamp", &timestamp));
  fail_unless (timestamp >= 10 * GST_SECOND, "a result for %" GST_TIME_FORMAT
      ", from before the seek", GST_TIME_ARGS (timestamp));
  gst_message_unref (msg);
}

/* Plays the pipeline against a service that holds every request, seeks
 * (flushing) to 10 s while one is out, then lets the service answer: no
 * result comes from before the seek, and one comes for a frame after it,
 * so the element recovered from the flush. */
static void
seek_while_request_hangs (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_HANG);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless (cv_local_server_wait_for_requests (server, 1, WAIT_US));

  fail_unless (gst_element_seek_simple (pipeline, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH, 10 * GST_SECOND));
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  fail_if (msg != NULL, "a result %" GST_PTR_FORMAT " before the service "
      "answered", msg);
  cv_local_server_release (server);

  expect_result_after_seek (bus);

  gst_object_unref (bus);
  stop_within_bound (pipeline);
}

/* A flushing seek in the middle of a request does not deadlock and the
 * pipeline goes on analysing after it. */
GST_START_TEST (test_seek_during_request)
{
  seek_while_request_hangs (make_pipeline ("videotestsrc"));
}

GST_END_TEST;

/* The caption outputs: exact mode (frames held for their result), the
 * text pad into textoverlay with a queue, and overlay=true. */
/* Plays @pipeline until its EOS on @bus, which must come before an error
 * and within WAIT_US. */
static void
play_until_eos (GstElement * pipeline, GstBus * bus)
{
  GstMessage *msg;

  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, WAIT_US * GST_USECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
      "no EOS: %" GST_PTR_FORMAT, msg);
  gst_message_unref (msg);
}

static GstElement *
make_caption_pipeline (const gchar * source)
{
  gchar *desc = g_strdup_printf ("%s ! video/x-raw,width=160,height=120 ! "
      "cvanalyze name=a endpoint=%s interval=0 timeout=60000000000 "
      "mode=exact overlay=true ! textoverlay name=o ! fakesink sync=false "
      "a.text_src ! queue ! o.text_sink", source, server_url);
  GstElement *pipeline = gst_parse_launch (desc, NULL);

  fail_unless (pipeline != NULL);
  g_free (desc);
  return pipeline;
}

/* Going to NULL while exact mode holds a frame for a hung request wakes
 * the held frame: no deadlock, no leak. */
GST_START_TEST (test_null_while_exact_frame_held)
{
  stop_while_service_hangs (make_caption_pipeline
      ("videotestsrc is-live=true"));
}

GST_END_TEST;

/* A flushing seek while exact mode holds a frame for a request the service
 * holds, with captions going to textoverlay and drawn: the held frame is
 * woken, no deadlock, and results come again after it. */
GST_START_TEST (test_seek_during_exact_hold)
{
  seek_while_request_hangs (make_caption_pipeline ("videotestsrc"));
}

GST_END_TEST;

/* Many state changes while buffers flow and requests come and go: hunts
 * races between the streaming thread, the client thread and the state
 * changes. */
GST_START_TEST (test_state_change_stress)
{
  gchar *desc = g_strdup_printf ("cvanalyze endpoint=%s interval=0",
      server_url);
  GstHarness *h = gst_harness_new_parse (desc);
  GstHarnessThread *state, *push;
  GstCaps *caps = gst_caps_from_string ("video/x-raw, format=I420, "
      "width=64, height=64, framerate=30/1");
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 64 * 64 * 3 / 2, NULL);
  GstSegment segment;

  gst_buffer_memset (buf, 0, 0x80, gst_buffer_get_size (buf));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  cv_local_server_set_delay (server, 5);
  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  state = gst_harness_stress_statechange_start (h);
  push = gst_harness_stress_push_buffer_start (h, caps, &segment, buf);
  fail_unless (cv_local_server_wait_for_requests (server, 5, WAIT_US));
  gst_harness_stress_thread_stop (push);
  gst_harness_stress_thread_stop (state);
  gst_buffer_unref (buf);
  gst_caps_unref (caps);
  gst_harness_teardown (h);
  g_free (desc);
}

GST_END_TEST;

/* A non-live stream keeps max-in-flight requests on the wire at once: a
 * frame waiting for a slot goes as soon as the frame before it is taken
 * for encoding, not only once an answer frees a slot. The service takes
 * 1 s an answer, far longer than sampling and encoding six small frames. */
GST_START_TEST (test_max_in_flight_non_live)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=6 ! "
      "video/x-raw,width=160,height=120 ! cvanalyze name=a endpoint=%s "
      "interval=0 max-in-flight=3 timeout=60000000000 ! "
      "fakesink sync=false", server_url);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *a = gst_bin_get_by_name (GST_BIN (pipeline), "a");
  GstBus *bus = gst_element_get_bus (pipeline);
  GstStructure *stats;
  guint64 samples, skipped, results;

  cv_local_server_set_delay (server, 1000);
  play_until_eos (pipeline, bus);

  fail_unless_equals_int (cv_local_server_get_max_in_progress (server), 3);
  g_object_get (a, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, "samples", &samples));
  fail_unless (gst_structure_get_uint64 (stats, "skipped", &skipped));
  fail_unless (gst_structure_get_uint64 (stats, "results", &results));
  fail_unless_equals_uint64 (samples, 6);
  fail_unless_equals_uint64 (skipped, 0);
  fail_unless_equals_uint64 (results, 6);
  gst_structure_free (stats);

  gst_object_unref (bus);
  gst_object_unref (a);
  g_free (desc);
  stop_within_bound (pipeline);
}

GST_END_TEST;

/* What the element is waiting on when it is stopped: a request on the
 * wire, a retry (Retry-After 30 s), the next poll of an OCR operation that
 * never ends, or the circuit breaker's cool-down after one failure. */
enum
{
  WAIT_REQUEST,
  WAIT_RETRY,
  WAIT_POLL,
  WAIT_BREAKER,
};

static const struct
{
  const gchar *name;
  const gchar *settings;
  guint requests_per_run;       /* that reach the server before the wait */
} waits[] = {
  [WAIT_REQUEST] = {"request in flight", "", 1},
  [WAIT_RETRY] = {"retry wait", "", 1},
  /* the operation's POST and first poll: then the next poll waits (or is
   * on the wire) */
  [WAIT_POLL] = {"poll wait", "features=Read", 2},
  [WAIT_BREAKER] = {"breaker open", "max-retries=0 breaker-threshold=1", 1},
};

/* Waits for the breaker's warning that it opened. */
static void
wait_for_breaker (GstBus * bus)
{
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, WAIT_US * GST_USECOND,
        GST_MESSAGE_WARNING);
    GError *err = NULL;
    gboolean opened;

    fail_unless (msg != NULL, "the breaker did not open");
    gst_message_parse_warning (msg, &err, NULL);
    opened = strstr (err->message, "times in a row") != NULL;
    g_error_free (err);
    gst_message_unref (msg);
    if (opened)
      return;
  }
}

/* PLAYING to NULL and back, three times, while the element waits on each
 * of waits[]: every stop takes milliseconds, not the 60 s timeout or the
 * 30 s Retry-After, and every new run sends its own request at once (a
 * fresh client: no retry, poll or open breaker of the last run holds it
 * back). ASan and valgrind: nothing of a run outlives it. */
GST_START_TEST (test_restart_cycles_while_waiting)
{
  gchar *desc = g_strdup_printf ("videotestsrc ! video/x-raw,width=160,"
      "height=120 ! cvanalyze name=a endpoint=%s interval=0 "
      "timeout=60000000000 %s ! fakesink sync=false", server_url,
      waits[__i__].settings);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstBus *bus = gst_element_get_bus (pipeline);
  GAsyncQueue *retries = watch_retries ();
  guint run, expected = 0;

  fail_unless (pipeline != NULL);
  switch (__i__) {
    case WAIT_REQUEST:
      cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_HANG);
      break;
    case WAIT_RETRY:
      cv_local_server_set_failure (server, 503, 30);
      break;
    case WAIT_POLL:
      cv_local_server_set_read_ending (server, CV_LOCAL_SERVER_READ_NEVER);
      break;
    default:
      cv_local_server_set_failure (server, 503, 0);
      break;
  }
  for (run = 0; run < 3; run++) {
    gint64 start;

    expected += waits[__i__].requests_per_run;
    fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE);
    fail_unless (cv_local_server_wait_for_requests (server, expected,
            WAIT_US), "%s, run %u: no request", waits[__i__].name, run);
    if (__i__ == WAIT_RETRY)
      fail_unless (g_async_queue_timeout_pop (retries, WAIT_US) != NULL,
          "run %u: no retry scheduled", run);
    else if (__i__ == WAIT_BREAKER)
      wait_for_breaker (bus);

    start = g_get_monotonic_time ();
    fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
    fail_unless (g_get_monotonic_time () - start < STOP_BOUND_US,
        "%s, run %u: stopping took %" G_GINT64_FORMAT " us",
        waits[__i__].name, run, g_get_monotonic_time () - start);
    expected = cv_local_server_get_request_count (server);
  }
  unwatch_retries (retries);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_free (desc);
}

GST_END_TEST;

/* A flushing seek while a frame waits for its retry (Retry-After 30 s):
 * the retry is dropped with its slot, so the first frame after the seek
 * is sent at once and its result comes long before the retry was due;
 * nothing comes for the frame from before the seek. */
GST_START_TEST (test_seek_during_retry_wait)
{
  GstElement *pipeline = make_pipeline ("videotestsrc");
  GstBus *bus = gst_element_get_bus (pipeline);
  GAsyncQueue *retries = watch_retries ();
  gint64 seek_us;

  cv_local_server_set_failure (server, 503, 30);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless (g_async_queue_timeout_pop (retries, WAIT_US) != NULL,
      "no retry scheduled");
  cv_local_server_set_failure (server, 0, 0);

  seek_us = g_get_monotonic_time ();
  fail_unless (gst_element_seek_simple (pipeline, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH, 10 * GST_SECOND));
  expect_result_after_seek (bus);
  fail_unless (g_get_monotonic_time () - seek_us < 20 * G_USEC_PER_SEC,
      "the first result after the seek waited for the dropped retry");

  gst_object_unref (bus);
  stop_within_bound (pipeline);
  /* The dropped retry never went: one 503, then the frames after the
   * seek. */
  fail_unless (g_async_queue_try_pop (retries) == NULL);
  unwatch_retries (retries);
}

GST_END_TEST;

/* One face, 593,160 250x250 in a 1500x1000 image, as Computer Vision 3.2
 * answers it. */
#define FACE_BODY "{\"faces\": [{\"age\": 50, \"gender\": \"Male\", " \
  "\"faceRectangle\": {\"left\": 593, \"top\": 160, \"width\": 250, " \
  "\"height\": 250}}], \"requestId\": \"r1\", \"metadata\": " \
  "{\"width\": 1500, \"height\": 1000, \"format\": \"Jpeg\"}}"

/* A grey frame of the harness' current caps. */
static GstBuffer *
grey_frame (GstHarness * h, GstClockTime pts)
{
  GstCaps *caps = gst_pad_get_current_caps (h->srcpad);
  GstVideoInfo info;
  GstBuffer *buf;

  fail_unless (gst_video_info_from_caps (&info, caps));
  gst_caps_unref (caps);
  buf = gst_harness_create_buffer (h, GST_VIDEO_INFO_SIZE (&info));
  gst_buffer_memset (buf, 0, 0x80, GST_VIDEO_INFO_SIZE (&info));
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = 40 * GST_MSECOND;
  return buf;
}

/* Caps renegotiated to another format and size while a sampled frame is on
 * the wire: the frame was encoded as what it is (I420 1500x1000, not the
 * new RGBx 750x500: the JPEG sent is 1500x1000), and its result reaches
 * the frames of the new size with its face in their pixels (halved). */
GST_START_TEST (test_renegotiation_while_frame_in_flight)
{
  gchar *desc = g_strdup_printf ("cvanalyze endpoint=%s "
      "interval=100000000000 max-dimension=1500 timeout=60000000000",
      server_url);
  GstHarness *h = gst_harness_new_parse (desc);
  GstBus *bus = gst_bus_new ();
  GstVideoRegionOfInterestMeta *roi;
  const GstStructure *info;
  GstCvAnalyzeMeta *meta;
  GstMessage *msg;
  GstBuffer *out;
  gint width, height;

  gst_element_set_bus (h->element, bus);
  cv_local_server_set_canned_body (server, FACE_BODY);
  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_HANG);
  gst_harness_set_src_caps_str (h, "video/x-raw, format=I420, width=1500, "
      "height=1000, framerate=25/1");
  fail_unless_equals_int (gst_harness_push (h, grey_frame (h, 0)), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  fail_unless (cv_local_server_wait_for_requests (server, 1, WAIT_US));

  gst_harness_set_src_caps_str (h, "video/x-raw, format=RGBx, width=750, "
      "height=500, framerate=25/1");
  fail_unless_equals_int (gst_harness_push (h, grey_frame (h,
              40 * GST_MSECOND)), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  cv_local_server_release (server);
  msg = gst_bus_timed_pop_filtered (bus, WAIT_US * GST_USECOND,
      GST_MESSAGE_ELEMENT);
  fail_unless (msg != NULL && gst_message_has_name (msg, "cvanalyze"));
  gst_message_unref (msg);

  fail_unless_equals_int (gst_harness_push (h, grey_frame (h,
              80 * GST_MSECOND)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  meta = gst_buffer_get_cv_analyze_meta (out);
  fail_unless (meta != NULL);
  fail_unless_equals_uint64 (gst_cv_analyze_meta_get_frame_pts (meta), 0);
  info = gst_sample_get_info (gst_cv_analyze_meta_get_sample (meta));
  fail_unless (gst_structure_get_int (info, "image-width", &width));
  fail_unless (gst_structure_get_int (info, "image-height", &height));
  fail_unless_equals_int (width, 1500);
  fail_unless_equals_int (height, 1000);
  roi = (GstVideoRegionOfInterestMeta *) gst_buffer_get_meta (out,
      GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE);
  fail_unless (roi != NULL);
  fail_unless (roi->roi_type == g_quark_from_string ("face"));
  fail_unless (ABS ((gint) roi->x - 593 / 2) <= 1 && roi->y == 160 / 2
      && roi->w == 250 / 2 && roi->h == 250 / 2, "face at %u,%u %ux%u",
      roi->x, roi->y, roi->w, roi->h);
  gst_buffer_unref (out);

  gst_harness_teardown (h);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  g_free (desc);
}

GST_END_TEST;

/* Every property a user may set while PLAYING, and those only read at the
 * next start, set over and over (each thread switches one between its
 * value and another) while buffers flow and requests come and go, then
 * while the element is stopped and started a hundred times: the streaming
 * thread, the client's thread and start() read them under the lock
 * (ASan, valgrind: no string is read after it was freed). (Buffers and
 * restarts are not mixed: GStreamer's own pad activation then warns of
 * data before stream-start, now and again.) */
GST_START_TEST (test_property_stress_while_playing)
{
  static const struct
  {
    const gchar *name;
    const gchar *value;
  } props[] = {
    {"prompt", "Describe {previous-caption} again"},
    {"prompt", "What is new?"},
    {"interval", "0"},
    {"overlay", "true"},
    {"font-desc", "Sans 12"},
    {"post-messages", "false"},
    {"scene-threshold", "0.2"},
    {"endpoint", "http://127.0.0.1:1/"},
    {"timeout", "2000000000"},
    {"max-in-flight", "3"},
    {"mode", "exact"},
    {"thumbnail-location", "/nonexistent/%d.jpg"},
  };
  GstElement *element = gst_element_factory_make ("cvanalyze", NULL);
  GstHarness *h;
  GstHarnessThread *push;
  GPtrArray *threads = g_ptr_array_new ();
  GstCaps *caps = gst_caps_from_string ("video/x-raw, format=I420, "
      "width=64, height=64, framerate=30/1");
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 64 * 64 * 3 / 2, NULL);
  GstSegment segment;
  guint i;

  g_object_set (element, "endpoint", server_url, "interval", G_GUINT64_CONSTANT
      (0), "timeout", 60 * GST_SECOND, NULL);
  h = gst_harness_new_with_element (element, "sink", "src");
  gst_buffer_memset (buf, 0, 0x80, gst_buffer_get_size (buf));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  cv_local_server_set_delay (server, 5);
  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  for (i = 0; i < G_N_ELEMENTS (props); i++) {
    GValue value = G_VALUE_INIT;
    GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS
        (element), props[i].name);

    fail_unless (pspec != NULL, "%s", props[i].name);
    g_value_init (&value, pspec->value_type);
    fail_unless (gst_value_deserialize (&value, props[i].value), "%s",
        props[i].name);
    g_ptr_array_add (threads, gst_harness_stress_property_start_full (h,
            props[i].name, &value, 100));
    g_value_unset (&value);
  }
  push = gst_harness_stress_push_buffer_start (h, caps, &segment, buf);
  fail_unless (cv_local_server_wait_for_requests (server, 5, WAIT_US));
  gst_harness_stress_thread_stop (push);
  for (i = 0; i < 100; i++) {
    fail_unless_equals_int (gst_element_set_state (element, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
    fail_unless (gst_element_set_state (element, GST_STATE_PLAYING) !=
        GST_STATE_CHANGE_FAILURE);
  }
  for (i = 0; i < threads->len; i++)
    gst_harness_stress_thread_stop (g_ptr_array_index (threads, i));
  g_ptr_array_free (threads, TRUE);
  gst_buffer_unref (buf);
  gst_caps_unref (caps);
  gst_harness_teardown (h);
  gst_object_unref (element);
}

GST_END_TEST;

typedef struct
{
  GstHarness *h;
  GstFlowReturn ret;
  gboolean pushed;
} PushDuringStart;

static gpointer
push_grey_frame (gpointer data)
{
  PushDuringStart *p = data;

  p->ret = gst_harness_push (p->h, grey_frame (p->h, 0));
  return NULL;
}

/* The bus's sync handler, on the thread that runs start(): at its warning
 * (api-version v2.1 is retired), before the client exists, a buffer comes in
 * from another thread, as it may from an upstream already streaming,
 * since the sink pad takes data from its activation on. */
static GstBusSyncReply
push_during_start (GstBus * bus, GstMessage * msg, gpointer data)
{
  PushDuringStart *p = data;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING && !p->pushed) {
    p->pushed = TRUE;
    g_thread_join (g_thread_new ("push", push_grey_frame, p));
  }
  gst_message_unref (msg);
  return GST_BUS_DROP;
}

/* A buffer that comes in while start() is still running goes on
 * untouched, neither analysed nor dropped (it crashed on the client that
 * did not exist yet), and the element then analyses as usual. */
GST_START_TEST (test_buffer_during_start)
{
  GstElement *element = gst_element_factory_make ("cvanalyze", NULL);
  PushDuringStart p = { NULL, GST_FLOW_ERROR, FALSE };
  GstBus *bus = gst_bus_new ();
  GstBuffer *out;

  g_object_set (element, "endpoint", server_url, "api-version", "v2.1",
      "interval", G_GUINT64_CONSTANT (0), NULL);
  p.h = gst_harness_new_with_element (element, "sink", "src");
  gst_harness_set_src_caps_str (p.h, "video/x-raw, format=I420, width=64, "
      "height=48, framerate=25/1");
  fail_unless_equals_int (gst_element_set_state (element, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);

  gst_element_set_bus (element, bus);
  gst_bus_set_sync_handler (bus, push_during_start, &p, NULL);
  fail_unless_equals_int (gst_element_set_state (element, GST_STATE_PLAYING),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless (p.pushed, "start() posted no warning");
  fail_unless_equals_int (p.ret, GST_FLOW_OK);
  out = gst_harness_pull (p.h);
  fail_unless (gst_buffer_get_cv_analyze_meta (out) == NULL);
  gst_buffer_unref (out);
  fail_unless_equals_int (cv_local_server_get_request_count (server), 0);

  fail_unless_equals_int (gst_harness_push (p.h, grey_frame (p.h,
              40 * GST_MSECOND)), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (p.h));
  fail_unless (cv_local_server_wait_for_requests (server, 1, WAIT_US));

  gst_harness_teardown (p.h);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  gst_object_unref (element);
}

GST_END_TEST;

static GstPadProbeReturn
signal_text (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  if (gst_buffer_get_size (buf) > 0)
    g_async_queue_push (user_data, GINT_TO_POINTER (1));
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
signal_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  g_async_queue_push (user_data, GINT_TO_POINTER (1));
  return GST_PAD_PROBE_OK;
}

/* Waits for @n items on @queue. */
static void
pop_n (GAsyncQueue * queue, guint n, const gchar * what)
{
  guint i;

  for (i = 0; i < n; i++)
    fail_unless (g_async_queue_timeout_pop (queue, WAIT_US) != NULL,
        "%s: %u of %u", what, i, n);
}

/* text_src linked to a sink while the video plays, unlinked, linked
 * again: each time linked, captions arrive there; the video never stops,
 * analysis goes on, and nothing is posted but results. */
GST_START_TEST (test_text_src_linked_at_runtime)
{
  gchar *desc = g_strdup_printf ("videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! cvanalyze name=a "
      "endpoint=%s interval=100000000 ! fakesink name=sink", server_url);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *a = gst_bin_get_by_name (GST_BIN (pipeline), "a");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *text_src = gst_element_get_static_pad (a, "text_src");
  GstPad *video_in = gst_element_get_static_pad (sink, "sink");
  GAsyncQueue *frames = g_async_queue_new ();
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  guint round;

  gst_pad_add_probe (video_in, GST_PAD_PROBE_TYPE_BUFFER, signal_buffer,
      g_async_queue_ref (frames), (GDestroyNotify) g_async_queue_unref);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, WAIT_US * GST_USECOND,
      GST_MESSAGE_ELEMENT | GST_MESSAGE_WARNING | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && gst_message_has_name (msg, "cvanalyze"),
      "%" GST_PTR_FORMAT, msg);
  gst_message_unref (msg);

  for (round = 0; round < 2; round++) {
    GstElement *text_sink = gst_element_factory_make ("fakesink", NULL);
    GstPad *text_in = gst_element_get_static_pad (text_sink, "sink");
    GAsyncQueue *texts = g_async_queue_new ();

    g_object_set (text_sink, "sync", FALSE, "async", FALSE, NULL);
    gst_pad_add_probe (text_in, GST_PAD_PROBE_TYPE_BUFFER, signal_text,
        g_async_queue_ref (texts), (GDestroyNotify) g_async_queue_unref);
    gst_bin_add (GST_BIN (pipeline), text_sink);
    fail_unless (gst_element_sync_state_with_parent (text_sink));
    fail_unless_equals_int (gst_pad_link (text_src, text_in),
        GST_PAD_LINK_OK);
    pop_n (texts, 3, "captions after linking");

    fail_unless (gst_pad_unlink (text_src, text_in));
    while (g_async_queue_try_pop (frames));
    pop_n (frames, 10, "frames after unlinking");
    fail_unless_equals_int (gst_element_set_state (text_sink,
            GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
    fail_unless (gst_bin_remove (GST_BIN (pipeline), text_sink));
    gst_object_unref (text_in);
    g_async_queue_unref (texts);
  }
  /* Analysis went on: a result after all that. */
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT)))
    gst_message_unref (msg);
  msg = gst_bus_timed_pop_filtered (bus, WAIT_US * GST_USECOND,
      GST_MESSAGE_ELEMENT | GST_MESSAGE_WARNING | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && gst_message_has_name (msg, "cvanalyze"),
      "%" GST_PTR_FORMAT, msg);
  gst_message_unref (msg);
  fail_if ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING |
              GST_MESSAGE_ERROR)) != NULL, "%" GST_PTR_FORMAT, msg);

  gst_object_unref (bus);
  g_async_queue_unref (frames);
  gst_object_unref (video_in);
  gst_object_unref (text_src);
  gst_object_unref (sink);
  gst_object_unref (a);
  g_free (desc);
  stop_within_bound (pipeline);
}

GST_END_TEST;

#define N_ELEMENTS 6

/* Six cvanalyze elements in one pipeline (a tee's branches, three of them
 * in one rate group), started and stopped three times: every run, every
 * element gets its own result, and each stop is quick. */
GST_START_TEST (test_many_elements_restarted)
{
  GString *desc = g_string_new ("videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! tee name=t ");
  GstElement *pipeline;
  GstBus *bus;
  guint i, run;

  for (i = 0; i < N_ELEMENTS; i++)
    g_string_append_printf (desc, "t. ! queue ! cvanalyze name=a%u "
        "endpoint=%s interval=200000000 %s ! fakesink ", i, server_url,
        i % 2 ? "rate-group=shared" : "");
  pipeline = gst_parse_launch (desc->str, NULL);
  fail_unless (pipeline != NULL);
  bus = gst_element_get_bus (pipeline);

  for (run = 0; run < 3; run++) {
    gboolean answered[N_ELEMENTS] = { FALSE, };
    guint n = 0;
    gint64 start;

    fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE);
    while (n < N_ELEMENTS) {
      GstMessage *msg = gst_bus_timed_pop_filtered (bus,
          WAIT_US * GST_USECOND, GST_MESSAGE_ELEMENT | GST_MESSAGE_WARNING |
          GST_MESSAGE_ERROR);
      guint which;

      fail_unless (msg != NULL, "run %u: %u of %u elements answered", run, n,
          N_ELEMENTS);
      fail_unless (gst_message_has_name (msg, "cvanalyze"), "%"
          GST_PTR_FORMAT, msg);
      fail_unless (sscanf (GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), "a%u",
              &which) == 1 && which < N_ELEMENTS);
      n += !answered[which];
      answered[which] = TRUE;
      gst_message_unref (msg);
    }
    start = g_get_monotonic_time ();
    fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
    fail_unless (g_get_monotonic_time () - start < STOP_BOUND_US);
  }
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_string_free (desc, TRUE);
}

GST_END_TEST;

/* mode=exact against a service that never answers: each analysed frame
 * goes on without a result, at 'timeout' (0.5 s) at most (as missed, or
 * as failed when its request's own timeout came first), and EOS comes
 * after the last one instead of waiting for ever, every frame with it. */
GST_START_TEST (test_exact_mode_eos_with_silent_service)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=3 ! "
      "video/x-raw,width=160,height=120 ! cvanalyze name=a endpoint=%s "
      "interval=0 mode=exact timeout=500000000 ! fakesink name=sink "
      "sync=false", server_url);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *a = gst_bin_get_by_name (GST_BIN (pipeline), "a");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *video_in = gst_element_get_static_pad (sink, "sink");
  GAsyncQueue *frames = g_async_queue_new ();
  GstBus *bus = gst_element_get_bus (pipeline);
  GstStructure *stats;
  guint64 samples, results;

  gst_pad_add_probe (video_in, GST_PAD_PROBE_TYPE_BUFFER, signal_buffer,
      g_async_queue_ref (frames), (GDestroyNotify) g_async_queue_unref);
  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_HANG);
  play_until_eos (pipeline, bus);
  fail_unless_equals_int (g_async_queue_length (frames), 3);
  g_object_get (a, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, "samples", &samples));
  fail_unless (gst_structure_get_uint64 (stats, "results", &results));
  fail_unless_equals_uint64 (samples, 3);
  fail_unless_equals_uint64 (results, 0);
  gst_structure_free (stats);

  gst_object_unref (bus);
  g_async_queue_unref (frames);
  gst_object_unref (video_in);
  gst_object_unref (sink);
  gst_object_unref (a);
  g_free (desc);
  stop_within_bound (pipeline);
}

GST_END_TEST;

static Suite *
cvanalyze_lifecycle_suite (void)
{
  Suite *s = suite_create ("cvanalyze-lifecycle");
  TCase *tc = tcase_create ("lifecycle");

  tcase_add_checked_fixture (tc, server_setup, server_teardown);
  tcase_set_timeout (tc, 240);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_null_while_request_in_flight);
  tcase_add_test (tc, test_null_while_waiting_for_slot);
  tcase_add_test (tc, test_seek_during_request);
  tcase_add_test (tc, test_null_during_eos_wait);
  tcase_add_test (tc, test_null_while_exact_frame_held);
  tcase_add_test (tc, test_seek_during_exact_hold);
  tcase_add_test (tc, test_state_change_stress);
  tcase_add_test (tc, test_max_in_flight_non_live);
  tcase_add_test (tc, test_seek_during_retry_wait);
  tcase_add_test (tc, test_renegotiation_while_frame_in_flight);
  tcase_add_test (tc, test_buffer_during_start);
  tcase_add_test (tc, test_text_src_linked_at_runtime);
  tcase_add_test (tc, test_many_elements_restarted);
  tcase_add_test (tc, test_exact_mode_eos_with_silent_service);
  tcase_add_test (tc, test_property_stress_while_playing);
  tcase_add_loop_test (tc, test_restart_cycles_while_waiting, 0,
      G_N_ELEMENTS (waits));
  return s;
}

GST_CHECK_MAIN (cvanalyze_lifecycle);
