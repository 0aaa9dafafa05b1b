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
 * live stream take microseconds. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include "gstcvanalyzebudget.h"

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
  return s;
}

GST_CHECK_MAIN (budget);
