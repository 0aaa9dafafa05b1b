/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Retries against the local server: the same JPEG again after a transient
 * failure, the service's Retry-After kept, 400 not retried, and no retry
 * once the next sample is due. The timing is read from the server's
 * request log, never from sleeps. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>
#include <gst/check/gstcheck.h>

#include "cvanalyzetest.h"

#define SECOND_US G_GINT64_CONSTANT (1000000)

static guint64
stat (GstElement * pipeline, const gchar * name)
{
  return cv_test_get_stat (pipeline, "a", name);
}

static gboolean
same_body (guint i, guint j)
{
  CvLocalServerRequest *a = cv_local_server_get_request (server, i);
  CvLocalServerRequest *b = cv_local_server_get_request (server, j);
  gboolean same = g_bytes_equal (a->body, b->body);

  cv_local_server_request_free (a);
  cv_local_server_request_free (b);
  return same;
}

/* What a run came to: warnings posted, requests the server received, and
 * the element's retries and failures. */
static void
check_run (GstElement * pipeline, GList * messages, guint warnings,
    guint requests, guint64 retries, guint64 failed)
{
  guint posted = 0;
  GList *l;

  fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR));
  for (l = messages; l; l = l->next)
    posted += GST_MESSAGE_TYPE (l->data) == GST_MESSAGE_WARNING;
  fail_unless_equals_int (posted, warnings);
  fail_unless_equals_int (cv_local_server_get_request_count (server),
      requests);
  fail_unless_equals_uint64 (stat (pipeline, "retries"), retries);
  fail_unless_equals_uint64 (stat (pipeline, "failed"), failed);
}

/* A moving ball, so that each sample's JPEG differs from the last. */
#define NON_LIVE(n) "videotestsrc pattern=ball num-buffers=" #n " ! " \
  "video/x-raw,width=160,height=120,framerate=10/1 ! cvanalyze name=a " \
  "endpoint=ENDPOINT key=KEY interval=100000000 timeout=5000000000 ! " \
  "fakesink sync=false"

/* Against a server that fails every third request with 503, every sample
 * still gets its result, each failed request is followed by a retry of
 * byte-identical JPEG (while consecutive samples differ), stats count the
 * retries, and nothing is warned about. */
GST_START_TEST (test_every_third_503_retried)
{
  GstElement *pipeline = cv_test_make_pipeline (NON_LIVE (10));
  GList *messages, *results;
  guint n, i;

  cv_local_server_set_fail_every (server, 3, 503);
  messages = cv_test_run_pipeline (pipeline);
  fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR));
  fail_if (cv_test_find_message (messages, GST_MESSAGE_WARNING));
  results = cv_test_filter_results (messages);
  fail_unless_equals_int (g_list_length (results), 10);
  g_list_free (results);

  /* 10 samples, 14 requests: the 3rd, 6th, 9th, 12th fail, each followed
   * at once by its retry. */
  n = cv_local_server_get_request_count (server);
  fail_unless_equals_int (n, 14);
  fail_unless_equals_uint64 (stat (pipeline, "retries"), 4);
  fail_unless_equals_uint64 (stat (pipeline, "results"), 10);
  fail_unless_equals_uint64 (stat (pipeline, "failed"), 0);
  for (i = 2; i < n; i += 3) {
    fail_unless (same_body (i, i + 1), "request %u's retry sent other bytes",
        i + 1);
    fail_if (same_body (i - 1, i), "samples %u and %u sent the same JPEG", i,
        i + 1);
  }
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static const CvLocalServerRetryAfter formats[] = {
  CV_LOCAL_SERVER_RETRY_AFTER_SECONDS,
  CV_LOCAL_SERVER_RETRY_AFTER_HTTP_DATE,
  CV_LOCAL_SERVER_RETRY_AFTER_MS,
};

#define RETRY_AFTER_S 2

/* A 429's wait is kept exactly, whichever way it is sent: the retry (of
 * the same JPEG) reaches the server no sooner than Retry-After seconds
 * after the 429 (retry-after-ms likewise), or, for an HTTP date, no sooner
 * than that date; and the sample still gets its result. */
GST_START_TEST (test_retry_after_kept)
{
  GstElement *pipeline = cv_test_make_pipeline (NON_LIVE (2));
  CvLocalServerRequest *failed, *retry;
  GList *messages, *results;
  gint64 gap_us;

  /* Request 1 (sample 1) is answered, request 2 (sample 2) gets the 429,
   * request 3 is its retry. */
  cv_local_server_set_failure (server, 0, RETRY_AFTER_S);
  cv_local_server_set_retry_after_form (server, formats[__i__]);
  cv_local_server_set_fail_every (server, 2, 429);
  messages = cv_test_run_pipeline (pipeline);
  fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR));
  results = cv_test_filter_results (messages);
  fail_unless_equals_int (g_list_length (results), 2);
  g_list_free (results);
  fail_unless_equals_int (cv_local_server_get_request_count (server), 3);
  fail_unless (same_body (1, 2));

  failed = cv_local_server_get_request (server, 1);
  retry = cv_local_server_get_request (server, 2);
  gap_us = retry->received_monotonic_us - failed->received_monotonic_us;
  if (formats[__i__] == CV_LOCAL_SERVER_RETRY_AFTER_HTTP_DATE) {
    /* The date is whole seconds: at least the 429's second + 2 s. */
    gint64 date_us = (failed->received_real_us / G_USEC_PER_SEC +
        RETRY_AFTER_S) * G_USEC_PER_SEC;

    fail_unless (retry->received_real_us >= date_us, "retried %"
        G_GINT64_FORMAT " us before the date", date_us -
        retry->received_real_us);
    fail_unless (gap_us >= (RETRY_AFTER_S - 1) * G_USEC_PER_SEC);
  } else {
    fail_unless (gap_us >= RETRY_AFTER_S * G_USEC_PER_SEC, "retried %"
        G_GINT64_FORMAT " us after the 429", gap_us);
  }
  /* ...and not much later: the wait is the service's, not a backoff. The
   * server rounds its date up to a whole second, so a date may lie up to a
   * second further than Retry-After seconds would. */
  fail_unless (gap_us < (RETRY_AFTER_S + 1 + (formats[__i__] ==
              CV_LOCAL_SERVER_RETRY_AFTER_HTTP_DATE)) * G_USEC_PER_SEC, "%"
      G_GINT64_FORMAT, gap_us);
  cv_local_server_request_free (failed);
  cv_local_server_request_free (retry);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A 400 (the image refused) is not retried: one request per sample, each
 * of those frames skipped, one warning for the lot. */
GST_START_TEST (test_bad_request_not_retried)
{
  GstElement *pipeline = cv_test_make_pipeline (NON_LIVE (3));
  GList *messages;

  cv_local_server_set_failure (server, 400, 0);
  messages = cv_test_run_pipeline (pipeline);
  check_run (pipeline, messages, 1, 3, 0, 3);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* On a live stream a retry waits for nothing beyond the next sample: a
 * Retry-After (1 s) longer than the interval (200 ms) is not retried, the
 * frame is dropped and the next sample goes instead. */
GST_START_TEST (test_live_no_retry_past_next_sample)
{
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc is-live=true "
      "num-buffers=15 ! video/x-raw,width=160,height=120,framerate=30/1 ! "
      "cvanalyze name=a endpoint=ENDPOINT key=KEY interval=200000000 ! "
      "fakesink");
  GList *messages;

  cv_local_server_set_failure (server, 503, 1);
  messages = cv_test_run_pipeline (pipeline);
  fail_unless (cv_test_find_message (messages, GST_MESSAGE_WARNING) != NULL);
  fail_unless_equals_uint64 (stat (pipeline, "retries"), 0);
  fail_unless (cv_local_server_get_request_count (server) >= 1);
  fail_unless_equals_uint64 (stat (pipeline, "failed"),
      cv_local_server_get_request_count (server));
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A retry cut short when the next sample is due (a reset that comes after
 * 600 ms, interval 1 s: the retry has 400 ms of its 10 s timeout) is
 * reported as what made it retry, the reset, not as a timeout. */
GST_START_TEST (test_retry_cut_short_reports_its_cause)
{
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc is-live=true "
      "num-buffers=20 ! video/x-raw,width=160,height=120,framerate=30/1 ! "
      "cvanalyze name=a endpoint=ENDPOINT key=KEY ! fakesink");
  GList *messages, *l;
  guint warnings = 0;

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_RESET);
  cv_local_server_set_delay (server, 600);
  messages = cv_test_run_pipeline (pipeline);
  for (l = messages; l; l = l->next) {
    gchar *text;

    if (GST_MESSAGE_TYPE (l->data) != GST_MESSAGE_WARNING)
      continue;
    text = cv_test_message_text (l->data, NULL);
    fail_unless (strstr (text, "was reset") != NULL, "'%s'", text);
    g_free (text);
    warnings++;
  }
  fail_unless_equals_int (warnings, 1);
  fail_unless_equals_uint64 (stat (pipeline, "retries"), 1);
  fail_unless_equals_uint64 (stat (pipeline, "failed"), 1);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

#define CAMERA(name) "videotestsrc is-live=true num-buffers=30 ! " \
  "video/x-raw,width=160,height=120,framerate=30/1 ! cvanalyze name=" name \
  " endpoint=ENDPOINT key=KEY interval=0 max-rate=600 rate-group=sub ! " \
  "fakesink "

/* Two live cameras in one rate-group, each asking for every frame (60 in
 * all over 1 s), share max-rate=600 (one request per 100 ms): together
 * they send no more than the budget allows over the time they ran, each
 * gets some of it, both count samples held back, and stats report the
 * rate in effect. (The exact spacing over minutes is proven on simulated
 * time in libs/budget; this proves the elements use one budget.) */
GST_START_TEST (test_rate_group_shared_by_elements)
{
  GstElement *pipeline = cv_test_make_pipeline (CAMERA ("a") CAMERA ("b"));
  GstElement *a = gst_bin_get_by_name (GST_BIN (pipeline), "a");
  GstElement *b = gst_bin_get_by_name (GST_BIN (pipeline), "b");
  CvLocalServerRequest *first, *last;
  GstStructure *sa, *sb;
  guint64 ra, rb, ha, hb;
  gdouble rate;
  GList *messages;
  gint64 span_us;
  guint n;

  messages = cv_test_run_pipeline (pipeline);
  fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR));
  g_object_get (a, "stats", &sa, NULL);
  g_object_get (b, "stats", &sb, NULL);
  fail_unless (gst_structure_get (sa, "requests", G_TYPE_UINT64, &ra,
          "held-back", G_TYPE_UINT64, &ha, "rate", G_TYPE_DOUBLE, &rate,
          NULL));
  fail_unless (gst_structure_get (sb, "requests", G_TYPE_UINT64, &rb,
          "held-back", G_TYPE_UINT64, &hb, NULL));
  n = cv_local_server_get_request_count (server);
  fail_unless_equals_uint64 (ra + rb, n);
  fail_unless (ra >= 1 && rb >= 1, "%" G_GUINT64_FORMAT " and %"
      G_GUINT64_FORMAT, ra, rb);
  fail_unless (ha >= 1 && hb >= 1);
  fail_unless (rate == 600.0, "%g", rate);

  /* Sent at least 100 ms apart; arrival jitter may shorten the span seen
   * by the server, hence one request of slack. */
  first = cv_local_server_get_request (server, 0);
  last = cv_local_server_get_request (server, n - 1);
  span_us = last->received_monotonic_us - first->received_monotonic_us;
  fail_unless (n <= span_us / 100000 + 2, "%u requests in %" G_GINT64_FORMAT
      " us", n, span_us);
  fail_unless (n < 30, "%u requests: no budget", n);
  cv_local_server_request_free (first);
  cv_local_server_request_free (last);
  gst_structure_free (sa);
  gst_structure_free (sb);
  gst_object_unref (a);
  gst_object_unref (b);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* Stopping while a frame waits for its retry (a 3 s Retry-After) does not
 * wait for it: the pipeline is down at once, and the retry never goes
 * (valgrind: nothing leaks). */
GST_START_TEST (test_stop_during_retry_wait)
{
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc ! "
      "video/x-raw,width=160,height=120,framerate=10/1 ! cvanalyze "
      "endpoint=ENDPOINT key=KEY timeout=10000000000 ! fakesink sync=false");
  gint64 start_us;

  cv_local_server_set_failure (server, 429, 3);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  /* The 429 goes out at once: the client is waiting for its retry (or, at
   * worst, still reading the 429; either way it must stop at once). */
  fail_unless (cv_local_server_wait_for_requests (server, 1, 30 * SECOND_US));
  start_us = g_get_monotonic_time ();
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless (g_get_monotonic_time () - start_us < 2 * SECOND_US,
      "stopping took %" G_GINT64_FORMAT " us",
      g_get_monotonic_time () - start_us);
  fail_unless_equals_int (cv_local_server_get_request_count (server), 1);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* One live camera of a pipeline with several. */
#define LIVE_CAMERA(name, settings) "videotestsrc is-live=true ! " \
  "video/x-raw,width=160,height=120,framerate=30/1 ! cvanalyze name=" name \
  " endpoint=ENDPOINT key=KEY " settings " ! fakesink "

#define PAUSED_CAMERA(name) \
  LIVE_CAMERA (name, "interval=100000000 rate-group=sub")

/* A 429 with Retry-After (1 s) to one camera of a rate-group pauses both:
 * from 200 ms after the first 429 (time for requests already on their way)
 * until Retry-After, no request reaches the server, where the other
 * camera alone would have sent about eight; then they go on. */
GST_START_TEST (test_429_pauses_rate_group)
{
  GstElement *pipeline = cv_test_make_pipeline (PAUSED_CAMERA ("a")
      PAUSED_CAMERA ("b"));
  GstBus *bus = gst_element_get_bus (pipeline);
  CvLocalServerRequest *first, *r;
  guint n, i, after = 0;

  cv_local_server_set_failure (server, 429, 1);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless (cv_local_server_wait_for_requests (server, 1, 30 * SECOND_US));
  cv_local_server_set_failure (server, 0, 0);
  n = cv_local_server_get_request_count (server);
  fail_unless (cv_local_server_wait_for_requests (server, n + 4,
          30 * SECOND_US));
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);

  first = cv_local_server_get_request (server, 0);
  n = cv_local_server_get_request_count (server);
  for (i = 1; i < n; i++) {
    gint64 since = (r = cv_local_server_get_request (server, i))
        ->received_monotonic_us - first->received_monotonic_us;

    fail_if (since >= SECOND_US / 5 && since < SECOND_US, "request %u came "
        "%" G_GINT64_FORMAT " us after the 429", i, since);
    after += since >= SECOND_US;
    cv_local_server_request_free (r);
  }
  fail_unless (after >= 2, "%u requests after the pause", after);
  cv_local_server_request_free (first);
  cv_test_drop_bus_messages (bus);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

typedef struct
{
  guint breaker_warnings;       /* "failed N times in a row" */
  guint other_warnings;
  guint infos;                  /* "answers again" */
  gint64 resumed_us;            /* the first result after that */
} Recovery;

/* Reads @pipeline's bus through a breaker's recovery: counts its
 * messages, and at the first result after the recovery message ends the
 * stream. */
static void
watch_recovery (GstElement * pipeline, GstBus * bus, Recovery * r)
{
  gboolean eos = FALSE;
  GstMessage *m;

  memset (r, 0, sizeof (*r));
  while (!eos) {
    m = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND, GST_MESSAGE_EOS |
        GST_MESSAGE_WARNING | GST_MESSAGE_INFO | GST_MESSAGE_ERROR |
        GST_MESSAGE_ELEMENT);
    fail_unless (m != NULL, "no recovery");
    fail_if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR);
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_WARNING) {
      GError *err;

      gst_message_parse_warning (m, &err, NULL);
      if (strstr (err->message, "times in a row"))
        r->breaker_warnings++;
      else
        r->other_warnings++;
      g_error_free (err);
    } else if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_INFO) {
      r->infos++;
    } else if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ELEMENT && r->infos > 0
        && gst_message_has_name (m, "cvanalyze") && r->resumed_us == 0) {
      r->resumed_us = g_get_monotonic_time ();
      fail_unless (gst_element_send_event (pipeline, gst_event_new_eos ()));
    }
    eos = GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS;
    gst_message_unref (m);
  }
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
}

/* Against a service that answers 503 and then recovers: after
 * breaker-threshold (3) failures nothing is sent for the 1 s cool-down,
 * then one probe, which fails and doubles it; requests during the outage
 * are exactly 3 + 1; one warning says the breaker opened (after the one
 * for the 503 itself), one info message says the service answers again,
 * and results resume within one cool-down (2 s) of the recovery; stats
 * count the opening and its time. */
GST_START_TEST (test_breaker_opens_and_recovers)
{
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! cvanalyze name=a "
      "endpoint=ENDPOINT key=KEY interval=100000000 max-retries=0 "
      "breaker-threshold=3 ! fakesink");
  GstBus *bus = gst_element_get_bus (pipeline);
  guint outage_requests;
  gint64 recovered_us;
  Recovery r;

  cv_local_server_set_failure (server, 503, 0);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  /* 3 failures, then the first probe after 1 s. */
  fail_unless (cv_local_server_wait_for_requests (server, 4, 30 * SECOND_US));
  cv_local_server_set_failure (server, 0, 0);
  recovered_us = g_get_monotonic_time ();
  outage_requests = cv_local_server_get_request_count (server);

  watch_recovery (pipeline, bus, &r);

  fail_unless_equals_int (outage_requests, 4);
  fail_unless_equals_int (r.breaker_warnings, 1);
  fail_unless_equals_int (r.other_warnings, 1);
  fail_unless_equals_int (r.infos, 1);
  fail_unless (r.resumed_us - recovered_us <= 2 * SECOND_US + SECOND_US / 2,
      "results resumed %" G_GINT64_FORMAT " us after the recovery",
      r.resumed_us - recovered_us);
  fail_unless_equals_uint64 (stat (pipeline, "breaker-openings"), 1);
  fail_unless (stat (pipeline, "breaker-open-time") >= 3 * GST_SECOND);
  cv_test_drop_bus_messages (bus);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A 400 for one frame (the server refuses the second request only) skips
 * that frame only: it is not retried, the frames before and after it get
 * their results, and one warning says so. */
GST_START_TEST (test_bad_request_skips_one_frame)
{
  GstElement *pipeline = cv_test_make_pipeline (NON_LIVE (3));
  GList *messages, *results, *l;
  GstClockTime pts[2];
  guint i = 0;

  cv_local_server_set_fail_every (server, 2, 400);
  messages = cv_test_run_pipeline (pipeline);
  check_run (pipeline, messages, 1, 3, 0, 1);
  results = cv_test_filter_results (messages);
  fail_unless_equals_int (g_list_length (results), 2);
  for (l = results; l; l = l->next)
    pts[i++] = cv_test_message_timestamp (l->data);
  /* samples at 0 and 200 ms (interval 100 ms at 10 fps): the one at
   * 100 ms was refused */
  fail_unless_equals_uint64 (pts[0], 0);
  fail_unless_equals_uint64 (pts[1], 200 * GST_MSECOND);
  g_list_free (results);
  fail_unless_equals_uint64 (stat (pipeline, "results"), 2);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A service down for 20 s (503 to everything) and then back: requests
 * during the outage are bounded (breaker-threshold, then one probe per
 * doubling cool-down: 1, 2, 4, 8 s; at most threshold + 5), one warning
 * says the breaker opened, one info message says the service answers
 * again, and results resume within one cool-down (16 s at most, shorter
 * than the outage) of the outage's end. */
GST_START_TEST (test_breaker_twenty_second_outage)
{
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! cvanalyze name=a "
      "endpoint=ENDPOINT key=KEY interval=100000000 max-retries=0 "
      "breaker-threshold=3 ! fakesink");
  GstBus *bus = gst_element_get_bus (pipeline);
  guint during = 0, i, n;
  gint64 end_us;
  Recovery r;

  end_us = g_get_monotonic_time () + 20 * SECOND_US;
  cv_local_server_set_outage (server, 503, 20000);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  watch_recovery (pipeline, bus, &r);

  n = cv_local_server_get_request_count (server);
  for (i = 0; i < n; i++) {
    CvLocalServerRequest *r = cv_local_server_get_request (server, i);

    during += r->received_monotonic_us < end_us;
    cv_local_server_request_free (r);
  }
  GST_INFO ("%u requests during the outage, results %" G_GINT64_FORMAT
      " us after it", during, r.resumed_us - end_us);
  fail_unless (during >= 3 + 4 && during <= 3 + 5, "%u requests during the "
      "outage", during);
  fail_unless_equals_int (r.breaker_warnings, 1);
  fail_unless_equals_int (r.other_warnings, 1); /* the 503 itself */
  fail_unless_equals_int (r.infos, 1);
  fail_unless (r.resumed_us > end_us);
  fail_unless (r.resumed_us - end_us <= 16 * SECOND_US + SECOND_US / 2,
      "results resumed %" G_GINT64_FORMAT " us after the outage",
      r.resumed_us - end_us);
  fail_unless_equals_uint64 (stat (pipeline, "breaker-openings"), 1);
  cv_test_drop_bus_messages (bus);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* The requests the server received from @from on, and over how long. */
static guint
requests_since (guint from, gint64 * span_us)
{
  guint n = cv_local_server_get_request_count (server);
  CvLocalServerRequest *first = cv_local_server_get_request (server, from);
  CvLocalServerRequest *last = cv_local_server_get_request (server, n - 1);

  *span_us = last->received_monotonic_us - first->received_monotonic_us;
  cv_local_server_request_free (first);
  cv_local_server_request_free (last);
  return n - from;
}

static gdouble
stat_double (GstElement * pipeline, const gchar * name)
{
  GstElement *a = gst_bin_get_by_name (GST_BIN (pipeline), "a");
  GstStructure *stats;
  gdouble value = -1;

  g_object_get (a, "stats", &stats, NULL);
  fail_unless (gst_structure_get_double (stats, name, &value), "%s", name);
  gst_structure_free (stats);
  gst_object_unref (a);
  return value;
}

/* With default settings but interval=0 (every frame: 1800 a minute), a
 * service that allows 240 a minute (4 a second, a short window so that
 * the test is quick) answers 429 beyond it: the repeated 429s lower the
 * rate in effect to what the service allows, after which 429s all but
 * stop (at most 3 of the next 30 requests) while requests go on at no
 * less than half the allowed rate; stats say the rate learned; and of
 * all the 429s one warning is posted. */
GST_START_TEST (test_aimd_learns_service_rate)
{
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! cvanalyze name=a "
      "endpoint=ENDPOINT key=KEY interval=0 ! fakesink");
  GstBus *bus = gst_element_get_bus (pipeline);
  guint n = 0, converged_at, throttled_then, admitted, warnings = 0;
  gdouble rate = 0;
  gint64 span_us;
  GstMessage *m;

  cv_local_server_set_quota (server, 4, 1000);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  /* Request by request until the rate in effect is what the service
   * allows. */
  while (rate == 0 || rate > 240) {
    fail_unless (cv_local_server_wait_for_requests (server, ++n,
            30 * SECOND_US), "%u requests, rate %g", n, rate);
    fail_unless (n < 200, "not converged after %u requests", n);
    rate = stat_double (pipeline, "rate");
  }
  converged_at = cv_local_server_get_request_count (server);
  throttled_then = cv_local_server_get_throttled_count (server);
  fail_unless (throttled_then >= 2, "%u 429s", throttled_then);
  fail_unless (cv_local_server_wait_for_requests (server, converged_at + 30,
          60 * SECOND_US));
  admitted = requests_since (converged_at, &span_us) -
      (cv_local_server_get_throttled_count (server) - throttled_then);
  fail_unless (cv_local_server_get_throttled_count (server) -
      throttled_then <= 3, "%u more 429s",
      cv_local_server_get_throttled_count (server) - throttled_then);
  rate = stat_double (pipeline, "rate");
  fail_unless (rate > 0 && rate <= 240, "rate %g", rate);
  /* with interval=0 and no max-rate, the rate in effect is the learned
   * (answers since may have raised it by 1 / rate each) */
  fail_unless (fabs (stat_double (pipeline, "learned-rate") - rate) < 1);
  GST_INFO ("converged after %u requests (%u 429s) at %g/min; then %u "
      "admitted in %" G_GINT64_FORMAT " us", converged_at, throttled_then,
      rate, admitted, span_us);
  fail_unless (admitted * SECOND_US >= 2 * span_us, "%u admitted in %"
      G_GINT64_FORMAT " us", admitted, span_us);
  /* Before NULL, which flushes the bus. */
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING))) {
    warnings++;
    gst_message_unref (m);
  }
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (warnings, 1);
  fail_unless_equals_uint64 (stat (pipeline, "throttled"),
      cv_local_server_get_throttled_count (server));
  cv_test_drop_bus_messages (bus);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

#define HEADER_CAMERA(name) LIVE_CAMERA (name, "interval=0 rate-group=openai")

/* Two cameras of one rate-group, each asking for every frame (60 a
 * second together), against a service that allows 5 a second (a bucket
 * of 10) and says in its x-ratelimit-* headers what is left: the group
 * slows down before any 429 comes. Not one request of 40 is refused,
 * and the last 20 come at the service's rate, not the cameras'. */
GST_START_TEST (test_ratelimit_headers_slow_group)
{
  GstElement *pipeline = cv_test_make_pipeline (HEADER_CAMERA ("a")
      HEADER_CAMERA ("b"));
  GstBus *bus = gst_element_get_bus (pipeline);
  gint64 span_us;
  guint n;

  cv_local_server_set_quota (server, 10, 2000);
  cv_local_server_set_ratelimit_headers (server, TRUE);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless (cv_local_server_wait_for_requests (server, 40,
          60 * SECOND_US));
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (cv_local_server_get_throttled_count (server), 0);
  n = requests_since (20, &span_us);
  GST_INFO ("%u requests in %" G_GINT64_FORMAT " us", n, span_us);
  /* 5 a second at most, with two requests of slack for arrival jitter */
  fail_unless ((n - 3) * SECOND_US <= 5 * span_us, "%u requests in %"
      G_GINT64_FORMAT " us", n, span_us);
  fail_unless_equals_uint64 (stat (pipeline, "throttled"), 0);
  cv_test_drop_bus_messages (bus);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* The waits between the tries of one frame follow the stated formula
 * within its jitter: with retry-backoff-factor=0.4 and max-retries=3
 * against a service that answers 503 throughout, retry 1 goes at once,
 * retry 2 after 0.4 × 2 = 0.8 s and retry 3 after 0.4 × 4 = 1.6 s, each
 * shortened by at most a quarter (at least 0.6 s and 1.2 s; the upper
 * bounds allow 0.3 s of scheduling), all with the same JPEG; then the
 * frame fails with one warning. */
GST_START_TEST (test_backoff_follows_formula)
{
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc pattern=ball "
      "num-buffers=1 ! video/x-raw,width=160,height=120,framerate=10/1 ! "
      "cvanalyze name=a endpoint=ENDPOINT key=KEY timeout=10000000000 "
      "max-retries=3 retry-backoff-factor=0.4 ! fakesink sync=false");
  static const gint64 nominal_us[] = { 0, 800000, 1600000 };
  GList *messages;
  guint i;

  cv_local_server_set_failure (server, 503, 0);
  messages = cv_test_run_pipeline (pipeline);
  check_run (pipeline, messages, 1, 4, 3, 1);
  for (i = 0; i < 3; i++) {
    CvLocalServerRequest *a = cv_local_server_get_request (server, i);
    CvLocalServerRequest *b = cv_local_server_get_request (server, i + 1);
    gint64 gap_us = b->received_monotonic_us - a->received_monotonic_us;

    GST_INFO ("retry %u after %" G_GINT64_FORMAT " us", i + 1, gap_us);
    fail_unless (gap_us >= nominal_us[i] * 3 / 4, "retry %u after %"
        G_GINT64_FORMAT " us", i + 1, gap_us);
    fail_unless (gap_us <= nominal_us[i] + 300000, "retry %u after %"
        G_GINT64_FORMAT " us", i + 1, gap_us);
    fail_unless (same_body (i, i + 1));
    cv_local_server_request_free (a);
    cv_local_server_request_free (b);
  }
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* The budget holds on a real live stream: with max-rate=60 and
 * interval=250000000 over 30 s, about 30 requests reach the server, not
 * 120, none less than a second after the one before (50 ms of slack for
 * arrival jitter), so no 60 s window could hold more than 60; the rest of
 * the samples due are held back. */
GST_START_TEST (test_budget_holds_on_live_stream)
{
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc is-live=true "
      "num-buffers=900 ! video/x-raw,width=160,height=120,framerate=30/1 ! "
      "cvanalyze name=a endpoint=ENDPOINT key=KEY max-rate=60 "
      "interval=250000000 ! fakesink");
  GList *messages;
  guint n, i;

  messages = cv_test_run_pipeline (pipeline);
  fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR));
  n = cv_local_server_get_request_count (server);
  fail_unless (n >= 28 && n <= 31, "%u requests in 30 s", n);
  for (i = 1; i < n; i++) {
    CvLocalServerRequest *a = cv_local_server_get_request (server, i - 1);
    CvLocalServerRequest *b = cv_local_server_get_request (server, i);
    gint64 gap_us = b->received_monotonic_us - a->received_monotonic_us;

    fail_unless (gap_us >= SECOND_US - 50000, "request %u came %"
        G_GINT64_FORMAT " us after the one before", i, gap_us);
    cv_local_server_request_free (a);
    cv_local_server_request_free (b);
  }
  fail_unless (stat (pipeline, "held-back") >= n - 1);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static Suite *
cvanalyze_retry_suite (void)
{
  Suite *s = suite_create ("cvanalyze-retry");
  TCase *tc = tcase_create ("retry");

  tcase_add_checked_fixture (tc, cv_test_server_setup, cv_test_server_teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_every_third_503_retried);
  tcase_add_loop_test (tc, test_retry_after_kept, 0, G_N_ELEMENTS (formats));
  tcase_add_test (tc, test_bad_request_not_retried);
  tcase_add_test (tc, test_live_no_retry_past_next_sample);
  tcase_add_test (tc, test_retry_cut_short_reports_its_cause);
  tcase_add_test (tc, test_rate_group_shared_by_elements);
  tcase_add_test (tc, test_breaker_opens_and_recovers);
  tcase_add_test (tc, test_429_pauses_rate_group);
  tcase_add_test (tc, test_stop_during_retry_wait);
  tcase_add_test (tc, test_bad_request_skips_one_frame);
  tcase_add_test (tc, test_breaker_twenty_second_outage);
  tcase_add_test (tc, test_aimd_learns_service_rate);
  tcase_add_test (tc, test_ratelimit_headers_slow_group);
  tcase_add_test (tc, test_backoff_follows_formula);
  tcase_add_test (tc, test_budget_holds_on_live_stream);
  return s;
}

GST_CHECK_MAIN (cvanalyze_retry);
