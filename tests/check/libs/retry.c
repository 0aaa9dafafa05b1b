/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Unit tests of the retry rules (gstcvanalyzeretry.c), with the time and
 * the randomness given, so nothing waits. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include "gstcvanalyzeretry.h"
#include "gstcvanalyzewarnlimit.h"

static const GstCvAnalyzeRetryPolicy policy = { 5, 0.5, 3.0 };

#define NEVER G_MAXINT64

/* The backoff is souphttpsrc's formula: none before the first retry, then
 * factor * 2^(retries before it), capped at backoff-max. */
GST_START_TEST (test_backoff_formula)
{
  fail_unless_equals_int64 (gst_cv_analyze_retry_backoff_us (&policy, 1, 0),
      0);
  fail_unless_equals_int64 (gst_cv_analyze_retry_backoff_us (&policy, 2, 0),
      1000000);
  fail_unless_equals_int64 (gst_cv_analyze_retry_backoff_us (&policy, 3, 0),
      2000000);
  /* 0.5 * 2^3 = 4 s, capped at 3 s; and far beyond, still capped. */
  fail_unless_equals_int64 (gst_cv_analyze_retry_backoff_us (&policy, 4, 0),
      3000000);
  fail_unless_equals_int64 (gst_cv_analyze_retry_backoff_us (&policy, 1000,
          0), 3000000);
}

GST_END_TEST;

/* The jitter only shortens, by at most GST_CV_ANALYZE_RETRY_JITTER, and
 * spreads the delays over that whole range. */
GST_START_TEST (test_backoff_jitter_bounds)
{
  gint64 lo = NEVER, hi = 0;
  GRand *rand = g_rand_new_with_seed (42);
  guint i;

  for (i = 0; i < 1000; i++) {
    gint64 d = gst_cv_analyze_retry_backoff_us (&policy, 3,
        g_rand_double (rand));

    fail_unless (d > 2000000 * (1 - GST_CV_ANALYZE_RETRY_JITTER) - 1
        && d <= 2000000, "%" G_GINT64_FORMAT, d);
    lo = MIN (lo, d);
    hi = MAX (hi, d);
  }
  fail_unless (lo < 1550000 && hi > 1950000, "jitter %" G_GINT64_FORMAT
      "..%" G_GINT64_FORMAT, lo, hi);
  g_rand_free (rand);
}

GST_END_TEST;

/* A wait the service asked for is kept exactly, without jitter, instead
 * of the backoff. */
GST_START_TEST (test_retry_after_exact)
{
  fail_unless_equals_int64 (gst_cv_analyze_retry_delay_us (&policy, 0,
          1234567, 0, NEVER, 0.9), 1234567);
  fail_unless_equals_int64 (gst_cv_analyze_retry_delay_us (&policy, 3,
          10, 0, NEVER, 0.9), 10);
  fail_unless_equals_int64 (gst_cv_analyze_retry_delay_us (&policy, 1,
          0, 0, NEVER, 0), 1000000);
}

GST_END_TEST;

/* No retry beyond max-retries, nor one that would start when the next
 * sample is due (the deadline) or later. */
GST_START_TEST (test_retry_limits)
{
  GstCvAnalyzeRetryPolicy none = { 0, 0.5, 3.0 };

  fail_unless_equals_int64 (gst_cv_analyze_retry_delay_us (&policy, 5, 0,
          0, NEVER, 0), -1);
  fail_unless_equals_int64 (gst_cv_analyze_retry_delay_us (&none, 0, 0,
          0, NEVER, 0), -1);
  /* 1 s backoff from t=10 s: allowed before 11 s, not at it. */
  fail_unless_equals_int64 (gst_cv_analyze_retry_delay_us (&policy, 1, 0,
          10000000, 11000001, 0), 1000000);
  fail_unless_equals_int64 (gst_cv_analyze_retry_delay_us (&policy, 1, 0,
          10000000, 11000000, 0), -1);
  /* Retry-After beyond the deadline: not retried. */
  fail_unless_equals_int64 (gst_cv_analyze_retry_delay_us (&policy, 0,
          2000000, 0, 1000000, 0), -1);
  /* The immediate first retry still needs time before the deadline. */
  fail_unless_equals_int64 (gst_cv_analyze_retry_delay_us (&policy, 0, 0,
          5, 5, 0), -1);
}

GST_END_TEST;

/* 408, 429 and 5xx gateway troubles are transient; 400, 401, 403, 404 are
 * not. */
GST_START_TEST (test_transient_statuses)
{
  static const guint transient[] = { 408, 429, 500, 502, 503, 504 };
  static const guint final[] = { 200, 400, 401, 403, 404, 409, 413, 501 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (transient); i++)
    fail_unless (gst_cv_analyze_retry_status_is_transient (transient[i]));
  for (i = 0; i < G_N_ELEMENTS (final); i++)
    fail_if (gst_cv_analyze_retry_status_is_transient (final[i]));
}

GST_END_TEST;

/* The breaker opens after exactly threshold failures in a row (a success
 * between resets the count), refuses everything while cooling down, lets
 * one probe out after it, doubles the cool-down on each failed probe up to
 * the 60 s cap, and closes (resetting the cool-down) on an answer, having
 * counted one opening and the time open. */
GST_START_TEST (test_breaker)
{
  GstCvAnalyzeBreaker b;
  gint64 t = 0, expected = GST_CV_ANALYZE_BREAKER_FIRST_COOL_DOWN_US;
  guint i;

  gst_cv_analyze_breaker_init (&b, 3);
  gst_cv_analyze_breaker_record (&b, TRUE, t);
  gst_cv_analyze_breaker_record (&b, TRUE, t);
  gst_cv_analyze_breaker_record (&b, FALSE, t);
  gst_cv_analyze_breaker_record (&b, TRUE, t);
  gst_cv_analyze_breaker_record (&b, TRUE, t);
  fail_unless (gst_cv_analyze_breaker_allow (&b, t));
  fail_unless_equals_int (gst_cv_analyze_breaker_record (&b, TRUE, t),
      GST_CV_ANALYZE_BREAKER_OPENED);

  for (i = 0; i < 10; i++) {
    fail_if (gst_cv_analyze_breaker_allow (&b, t + expected - 1));
    fail_unless (gst_cv_analyze_breaker_allow (&b, t + expected));
    /* One probe only. */
    fail_if (gst_cv_analyze_breaker_allow (&b, t + expected));
    t += expected;
    fail_unless_equals_int (gst_cv_analyze_breaker_record (&b, TRUE, t),
        GST_CV_ANALYZE_BREAKER_NO_CHANGE);
    expected = MIN (expected * 2, GST_CV_ANALYZE_BREAKER_MAX_COOL_DOWN_US);
  }
  fail_unless_equals_int64 (expected, 60 * G_USEC_PER_SEC);
  fail_unless_equals_int64 (b.cool_down_us, 60 * G_USEC_PER_SEC);

  fail_unless (gst_cv_analyze_breaker_allow (&b, t + expected));
  t += expected;
  fail_unless_equals_int (gst_cv_analyze_breaker_record (&b, FALSE, t),
      GST_CV_ANALYZE_BREAKER_RECOVERED);
  fail_unless (gst_cv_analyze_breaker_allow (&b, t));
  fail_unless_equals_uint64 (b.openings, 1);
  fail_unless_equals_int64 (gst_cv_analyze_breaker_open_time_us (&b, t), t);
  fail_unless_equals_int64 (b.cool_down_us,
      GST_CV_ANALYZE_BREAKER_FIRST_COOL_DOWN_US);
}

GST_END_TEST;

/* A probe a flush cancelled does not leave the breaker stuck: the next
 * request probes. Threshold 0 never opens. */
GST_START_TEST (test_breaker_abandoned_probe)
{
  GstCvAnalyzeBreaker b;
  guint i;

  gst_cv_analyze_breaker_init (&b, 1);
  gst_cv_analyze_breaker_record (&b, TRUE, 0);
  fail_unless (gst_cv_analyze_breaker_allow (&b, G_USEC_PER_SEC));
  fail_if (gst_cv_analyze_breaker_allow (&b, G_USEC_PER_SEC));
  gst_cv_analyze_breaker_abandon_probe (&b, G_USEC_PER_SEC);
  fail_unless (gst_cv_analyze_breaker_allow (&b, G_USEC_PER_SEC));

  gst_cv_analyze_breaker_init (&b, 0);
  for (i = 0; i < 100; i++)
    gst_cv_analyze_breaker_record (&b, TRUE, 0);
  fail_unless (gst_cv_analyze_breaker_allow (&b, 0));
}

GST_END_TEST;

/* Warnings: the first of a kind is posted, the same kind within a minute
 * is not (and is counted), the next after the minute is and says how many
 * were not; each kind has its own minute. */
GST_START_TEST (test_warn_limit)
{
  GstCvAnalyzeWarnLimit limit;
  guint64 suppressed = 99;
  const gint64 minute = GST_CV_ANALYZE_WARN_PERIOD_US;

  gst_cv_analyze_warn_limit_init (&limit);
  fail_unless (gst_cv_analyze_warn_limit_check (&limit, 503, 0, &suppressed));
  fail_unless_equals_uint64 (suppressed, 0);
  fail_if (gst_cv_analyze_warn_limit_check (&limit, 503, 1, &suppressed));
  fail_if (gst_cv_analyze_warn_limit_check (&limit, 503, minute - 1,
          &suppressed));
  fail_unless (gst_cv_analyze_warn_limit_check (&limit, 429, 5, &suppressed));
  fail_unless_equals_uint64 (suppressed, 0);
  fail_unless (gst_cv_analyze_warn_limit_check (&limit, 503, minute,
          &suppressed));
  fail_unless_equals_uint64 (suppressed, 2);
  fail_if (gst_cv_analyze_warn_limit_check (&limit, 503, minute + 1,
          &suppressed));
  gst_cv_analyze_warn_limit_clear (&limit);
  fail_unless (gst_cv_analyze_warn_limit_check (&limit, 503, minute + 2,
          &suppressed));
  fail_unless_equals_uint64 (suppressed, 0);
  gst_cv_analyze_warn_limit_clear (&limit);
  g_hash_table_unref (limit.kinds);
}

GST_END_TEST;

static Suite *
retry_suite (void)
{
  Suite *s = suite_create ("cvanalyze-retry");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_backoff_formula);
  tcase_add_test (tc, test_backoff_jitter_bounds);
  tcase_add_test (tc, test_retry_after_exact);
  tcase_add_test (tc, test_retry_limits);
  tcase_add_test (tc, test_transient_statuses);
  tcase_add_test (tc, test_breaker);
  tcase_add_test (tc, test_breaker_abandoned_probe);
  tcase_add_test (tc, test_warn_limit);
  return s;
}

GST_CHECK_MAIN (retry);
