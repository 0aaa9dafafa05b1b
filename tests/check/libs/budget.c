/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Unit tests of the request budget (gstcvanalyzebudget.c). Time is
 * simulated: the budget is given the time of each frame, so minutes of a
 * live stream take microseconds. The service of the learning tests is the
 * local server's own quota (tools/cvquota.c), on the same clock. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include "gstcvanalyzebudget.h"
#include "cvquota.h"

#define SEC G_USEC_PER_SEC
#define FRAME_US 33333          /* 30 fps */
#define INTERVAL_US 250000      /* interval=250000000 */

/* What cvanalyze does with a budget: a frame due by 'interval' that the
 * budget refuses is held back, and the next frame tries again. @budgets
 * are the elements' (the same one for a rate group); returns the request
 * times of all, in order. */
static GArray *
simulate (GstCvAnalyzeBudget ** budgets, guint n, gint64 duration_us,
    guint * held_back)
{
  GArray *times = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 next_due[8] = { 0 };
  gboolean held[8] = { FALSE };
  gint64 t;
  guint e;

  *held_back = 0;
  for (t = 0; t < duration_us; t += FRAME_US) {
    for (e = 0; e < n; e++) {
      /* Each camera's frames come a little apart from the other's. */
      gint64 now = t + e * 7000;

      if (now < next_due[e])
        continue;
      if (!gst_cv_analyze_budget_try_take (budgets[e], now)) {
        *held_back += !held[e];
        held[e] = TRUE;
        continue;
      }
      held[e] = FALSE;
      g_array_append_val (times, now);
      next_due[e] = now + INTERVAL_US;
    }
  }
  return times;
}

/* No window of 60 s holds more than @rate of @times. */
static void
check_windows (GArray * times, guint rate)
{
  guint i, j = 0;

  for (i = 0; i < times->len; i++) {
    while (g_array_index (times, gint64, i) - g_array_index (times, gint64,
            j) >= 60 * SEC)
      j++;
    fail_unless (i - j + 1 <= rate, "%u requests within 60 s", i - j + 1);
  }
}

/* Requests are evenly spread: every gap at least 60 s / rate, and at most
 * that plus one frame (the budget wastes no more than a frame). */
static void
check_even (GArray * times, gint64 spacing_us)
{
  guint i;

  for (i = 1; i < times->len; i++) {
    gint64 gap = g_array_index (times, gint64, i) - g_array_index (times,
        gint64, i - 1);

    fail_unless (gap >= spacing_us && gap <= spacing_us + FRAME_US,
        "gap %" G_GINT64_FORMAT " us before request %u", gap, i);
  }
}

/* max-rate=60 with interval=250 ms over 30 s of live stream: one request a
 * second, evenly, not four; the rest held back; and over 5 minutes no
 * 60 s window has more than 60. */
GST_START_TEST (test_budget_spreads_evenly)
{
  GstCvAnalyzeBudget *b = gst_cv_analyze_budget_acquire (NULL, 60);
  GArray *times;
  guint held_back;

  times = simulate (&b, 1, 30 * SEC, &held_back);
  fail_unless (times->len >= 29 && times->len <= 31, "%u requests",
      times->len);
  check_even (times, SEC);
  fail_unless (held_back >= times->len - 1, "%u held back", held_back);
  g_array_unref (times);
  gst_cv_analyze_budget_release (b);

  b = gst_cv_analyze_budget_acquire (NULL, 60);
  times = simulate (&b, 1, 300 * SEC, &held_back);
  check_windows (times, 60);
  check_even (times, SEC);
  g_array_unref (times);
  gst_cv_analyze_budget_release (b);
}

GST_END_TEST;

/* A rate that does not divide a minute evenly still fits in it: 7 a
 * minute never gives 8 within 60 s. */
GST_START_TEST (test_budget_rounding)
{
  GstCvAnalyzeBudget *b = gst_cv_analyze_budget_acquire (NULL, 7);
  GArray *times = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 t;

  for (t = 0; t < 600 * SEC; t += 1000)
    if (gst_cv_analyze_budget_try_take (b, t))
      g_array_append_val (times, t);
  check_windows (times, 7);
  fail_unless (times->len >= 69, "%u", times->len);
  g_array_unref (times);
  gst_cv_analyze_budget_release (b);
}

GST_END_TEST;

/* Two elements in one rate-group share its budget: together they stay
 * under it, evenly, and each gets a fair part; an element of another group
 * (or of none) has its own. */
GST_START_TEST (test_rate_group_shared)
{
  GstCvAnalyzeBudget *pair[2] = {
    gst_cv_analyze_budget_acquire ("sub-1", 60),
    gst_cv_analyze_budget_acquire ("sub-1", 60),
  };
  GstCvAnalyzeBudget *other = gst_cv_analyze_budget_acquire ("sub-2", 60);
  GstCvAnalyzeBudget *own = gst_cv_analyze_budget_acquire (NULL, 60);
  GArray *times;
  guint held_back;

  fail_unless (pair[0] == pair[1]);
  fail_unless (other != pair[0] && own != pair[0] && own != other);
  times = simulate (pair, 2, 300 * SEC, &held_back);
  check_windows (times, 60);
  check_even (times, SEC);
  fail_unless (times->len >= 295, "%u", times->len);
  g_array_unref (times);

  /* The group's rate is its lowest. */
  gst_cv_analyze_budget_release (gst_cv_analyze_budget_acquire ("sub-1",
          20));
  fail_unless_equals_int (gst_cv_analyze_budget_get_rate (pair[0]), 20);

  gst_cv_analyze_budget_release (pair[0]);
  gst_cv_analyze_budget_release (pair[1]);
  /* The group went with its last element. */
  pair[0] = gst_cv_analyze_budget_acquire ("sub-1", 30);
  fail_unless_equals_int (gst_cv_analyze_budget_get_rate (pair[0]), 30);
  gst_cv_analyze_budget_release (pair[0]);
  gst_cv_analyze_budget_release (other);
  gst_cv_analyze_budget_release (own);
}

GST_END_TEST;

/* A pause (a 429's Retry-After) holds every request of the group until it
 * ends, even without a rate; a reservation (a retry) gets the first time
 * allowed, or nothing after its deadline, which then takes nothing. */
GST_START_TEST (test_pause_and_reserve)
{
  GstCvAnalyzeBudget *a = gst_cv_analyze_budget_acquire ("free", 0);
  GstCvAnalyzeBudget *b = gst_cv_analyze_budget_acquire ("free", 0);

  fail_unless (gst_cv_analyze_budget_try_take (a, 0));
  fail_unless (gst_cv_analyze_budget_try_take (b, 0));
  gst_cv_analyze_budget_pause_until (a, 5 * SEC);
  fail_if (gst_cv_analyze_budget_try_take (b, 5 * SEC - 1));
  fail_unless_equals_int64 (gst_cv_analyze_budget_reserve (b, SEC, 4 * SEC),
      -1);
  fail_unless_equals_int64 (gst_cv_analyze_budget_reserve (b, SEC, 6 * SEC),
      5 * SEC);
  fail_unless (gst_cv_analyze_budget_try_take (a, 5 * SEC));
  gst_cv_analyze_budget_release (a);
  gst_cv_analyze_budget_release (b);

  a = gst_cv_analyze_budget_acquire (NULL, 60);
  fail_unless_equals_int64 (gst_cv_analyze_budget_reserve (a, 0, 1), 0);
  fail_unless_equals_int64 (gst_cv_analyze_budget_reserve (a, 0, SEC), -1);
  fail_unless_equals_int64 (gst_cv_analyze_budget_reserve (a, 0, 2 * SEC),
      SEC);
  fail_unless_equals_int64 (gst_cv_analyze_budget_reserve (a, 0, 3 * SEC),
      2 * SEC);
  gst_cv_analyze_budget_release (a);
}

GST_END_TEST;

/* What one cvanalyze (interval 1 s, one request at a time, each answered
 * LATENCY_US later) gets from a service whose quota is @quota: 429s are
 * answered with the server's Retry-After (whole seconds, rounded up),
 * which pauses the budget, and are not retried (no wait of 1 s or more
 * fits before the next sample); with @headers each answer also carries
 * what the server says is left. Counts what was admitted and refused
 * from @count_from_us on. */
#define LATENCY_US 150000

typedef struct
{
  guint admitted;
  guint throttled;
} ServiceCounts;

static void
simulate_service (GstCvAnalyzeBudget * b, CvQuota * quota, gboolean headers,
    gint64 duration_us, gint64 count_from_us, ServiceCounts * counts)
{
  gint64 t, next_due = 0, sent_at = 0, answer_at = 0, wait_us = 0;
  gint64 reset_us = 0;
  gboolean in_flight = FALSE, throttled = FALSE;
  guint remaining = 0;

  memset (counts, 0, sizeof (*counts));
  for (t = 0; t < duration_us; t += FRAME_US) {
    if (in_flight && t >= answer_at) {
      in_flight = FALSE;
      gst_cv_analyze_budget_answered (b, sent_at, answer_at, throttled);
      if (throttled)
        gst_cv_analyze_budget_pause_until (b, answer_at +
            MAX (1, (wait_us + SEC - 1) / SEC) * SEC);
      if (headers)
        gst_cv_analyze_budget_spread (b, answer_at, remaining, reset_us);
    }
    if (in_flight || t < next_due || !gst_cv_analyze_budget_try_take (b, t))
      continue;
    next_due = t + SEC;
    sent_at = t;
    answer_at = t + LATENCY_US;
    in_flight = TRUE;
    throttled = !cv_quota_take (quota, t, &wait_us);
    remaining = cv_quota_remaining (quota, t);
    reset_us = cv_quota_reset_us (quota, t);
    if (t >= count_from_us) {
      counts->admitted += !throttled;
      counts->throttled += throttled;
    }
  }
}

/* With no max-rate, a camera asking 60 a minute of a service that allows
 * 20 (Azure's F0) learns the rate from its 429s: within 10 minutes it is
 * at 20 a minute give or take, and over the next 20 minutes it gets at
 * least 90 % of the 400 requests the service allows, with a 429 (the
 * additive increase probing for more) at most once a minute. */
GST_START_TEST (test_aimd_converges_to_quota)
{
  GstCvAnalyzeBudget *b = gst_cv_analyze_budget_acquire (NULL, 0);
  CvQuota *quota = cv_quota_new (20, 60 * SEC);
  ServiceCounts counts;
  gdouble learned;

  simulate_service (b, quota, FALSE, 30 * 60 * SEC, 10 * 60 * SEC, &counts);
  learned = gst_cv_analyze_budget_get_learned_rate (b);
  GST_INFO ("learned %.2f/min; last 20 min: %u admitted, %u 429s", learned,
      counts.admitted, counts.throttled);
  fail_unless (learned >= 18 && learned <= 23, "learned %f/min", learned);
  fail_unless (counts.admitted >= 360, "%u admitted", counts.admitted);
  fail_unless (counts.admitted <= 401, "%u admitted", counts.admitted);
  fail_unless (counts.throttled <= 20, "%u 429s", counts.throttled);
  fail_unless_equals_float (gst_cv_analyze_budget_get_rate (b), learned);
  cv_quota_free (quota);
  gst_cv_analyze_budget_release (b);
}

GST_END_TEST;

/* The service's x-ratelimit-* headers slow the camera before any 429:
 * against the same 20 a minute, told what is left, it never meets a 429
 * and still gets at least 95 % of what the service allows. */
GST_START_TEST (test_ratelimit_headers_prevent_429)
{
  GstCvAnalyzeBudget *b = gst_cv_analyze_budget_acquire (NULL, 0);
  CvQuota *quota = cv_quota_new (20, 60 * SEC);
  ServiceCounts counts;

  simulate_service (b, quota, TRUE, 10 * 60 * SEC, 0, &counts);
  GST_INFO ("%u admitted, %u 429s", counts.admitted, counts.throttled);
  fail_unless_equals_int (counts.throttled, 0);
  /* 20 in the bucket at the start, then 20 a minute */
  fail_unless (counts.admitted >= 0.95 * (20 + 10 * 20), "%u admitted",
      counts.admitted);
  fail_unless_equals_float (gst_cv_analyze_budget_get_learned_rate (b), 0);
  cv_quota_free (quota);
  gst_cv_analyze_budget_release (b);
}

GST_END_TEST;

/* The rules of learning one by one: a lone 429 only pauses; a repeated
 * one halves the rate (never below what was admitted in the last
 * minute); a 429 to a request sent before that decrease does not
 * decrease again; each answer adds 1 / rate (one a minute per minute);
 * max-rate caps what is learned. */
GST_START_TEST (test_aimd_rules)
{
  GstCvAnalyzeBudget *b = gst_cv_analyze_budget_acquire (NULL, 0);
  gint64 t;
  gdouble rate;
  guint i;

  /* 60 requests, one a second, all admitted but the last */
  for (t = 0; t < 60 * SEC; t += SEC) {
    fail_unless (gst_cv_analyze_budget_try_take (b, t));
    if (t < 59 * SEC)
      gst_cv_analyze_budget_answered (b, t, t + 1000, FALSE);
  }
  gst_cv_analyze_budget_answered (b, 59 * SEC, 59 * SEC + 1000, TRUE);
  fail_unless_equals_float (gst_cv_analyze_budget_get_rate (b), 0);
  /* a second 429 within GST_CV_ANALYZE_BUDGET_REPEAT_US: 60/min sent,
   * 58 admitted in the minute up to 60 s (the one at 0.001 s is
   * older): max (30, 58) */
  fail_unless (gst_cv_analyze_budget_try_take (b, 60 * SEC));
  gst_cv_analyze_budget_answered (b, 60 * SEC, 60 * SEC + 1000, TRUE);
  rate = gst_cv_analyze_budget_get_rate (b);
  fail_unless_equals_float (rate, 58);
  /* sent before that decrease: no second one */
  gst_cv_analyze_budget_answered (b, 60 * SEC - 1, 60 * SEC + 2000, TRUE);
  fail_unless_equals_float (gst_cv_analyze_budget_get_rate (b), rate);
  /* two minutes later nothing was admitted in the last one: halved */
  gst_cv_analyze_budget_answered (b, 180 * SEC, 180 * SEC, TRUE);
  fail_unless_equals_float (gst_cv_analyze_budget_get_rate (b), rate / 2);
  /* additive increase: rate answers add about one a minute */
  rate = gst_cv_analyze_budget_get_rate (b);
  for (i = 0; i < (guint) rate; i++)
    gst_cv_analyze_budget_answered (b, 181 * SEC, 181 * SEC, FALSE);
  fail_unless (gst_cv_analyze_budget_get_rate (b) > rate + 0.98
      && gst_cv_analyze_budget_get_rate (b) < rate + 1.0,
      "%f", gst_cv_analyze_budget_get_rate (b));
  gst_cv_analyze_budget_release (b);

  /* max-rate caps the learned rate, and a decrease starts from it */
  b = gst_cv_analyze_budget_acquire (NULL, 10);
  gst_cv_analyze_budget_answered (b, 0, 0, TRUE);
  gst_cv_analyze_budget_answered (b, 1, 1, TRUE);
  fail_unless_equals_float (gst_cv_analyze_budget_get_rate (b), 5);
  for (i = 0; i < 1000; i++)
    gst_cv_analyze_budget_answered (b, 2, 2, FALSE);
  fail_unless_equals_float (gst_cv_analyze_budget_get_rate (b), 10);
  /* and never below GST_CV_ANALYZE_BUDGET_MIN_RATE (once the minute of
   * those answers has passed) */
  for (t = 100 * SEC; t < 120 * SEC; t += SEC)
    gst_cv_analyze_budget_answered (b, t, t, TRUE);
  fail_unless_equals_float (gst_cv_analyze_budget_get_rate (b),
      GST_CV_ANALYZE_BUDGET_MIN_RATE);
  gst_cv_analyze_budget_release (b);
}

GST_END_TEST;

/* What is left, spread: 2 requests left for 10 s lets the next go 5 s
 * later; none left waits for the reset; plenty left changes nothing. */
GST_START_TEST (test_spread_remaining)
{
  GstCvAnalyzeBudget *b = gst_cv_analyze_budget_acquire (NULL, 0);

  fail_unless (gst_cv_analyze_budget_try_take (b, 0));
  gst_cv_analyze_budget_spread (b, 0, 2, 10 * SEC);
  fail_if (gst_cv_analyze_budget_try_take (b, 5 * SEC - 1));
  fail_unless (gst_cv_analyze_budget_try_take (b, 5 * SEC));
  gst_cv_analyze_budget_spread (b, 5 * SEC, 0, 7 * SEC);
  fail_if (gst_cv_analyze_budget_try_take (b, 12 * SEC - 1));
  fail_unless (gst_cv_analyze_budget_try_take (b, 12 * SEC));
  gst_cv_analyze_budget_spread (b, 12 * SEC, 5000, SEC);
  fail_unless (gst_cv_analyze_budget_try_take (b, 12 * SEC + 200));
  gst_cv_analyze_budget_release (b);
}

GST_END_TEST;

static Suite *
budget_suite (void)
{
  Suite *s = suite_create ("cvanalyze-budget");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_budget_spreads_evenly);
  tcase_add_test (tc, test_budget_rounding);
  tcase_add_test (tc, test_rate_group_shared);
  tcase_add_test (tc, test_pause_and_reserve);
  tcase_add_test (tc, test_aimd_converges_to_quota);
  tcase_add_test (tc, test_ratelimit_headers_prevent_429);
  tcase_add_test (tc, test_aimd_rules);
  tcase_add_test (tc, test_spread_remaining);
  return s;
}

GST_CHECK_MAIN (budget);
