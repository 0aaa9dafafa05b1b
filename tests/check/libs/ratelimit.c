/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Unit tests of reading x-ratelimit-* header values
 * (gstcvanalyzeratelimit.c): what OpenAI and Azure OpenAI send is read
 * exactly, anything else is refused. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include "gstcvanalyzeratelimit.h"

#define SEC G_GINT64_CONSTANT (1000000)

static gint64
duration (const gchar * text)
{
  gint64 us = -1;

  fail_unless (gst_cv_analyze_rate_limit_parse_duration (text, &us),
      "'%s' refused", text);
  return us;
}

static void
refused_duration (const gchar * text)
{
  gint64 us = -7;

  fail_if (gst_cv_analyze_rate_limit_parse_duration (text, &us),
      "'%s' taken", text);
  fail_unless_equals_int64 (us, -7);
}

/* OpenAI's durations ("1s", "6m0s", "20ms", "59m3.5s": Go's format) and plain
 * seconds are read to the microsecond. */
GST_START_TEST (test_durations)
{
  fail_unless_equals_int64 (duration ("1s"), SEC);
  fail_unless_equals_int64 (duration ("6m0s"), 360 * SEC);
  fail_unless_equals_int64 (duration ("20ms"), 20000);
  fail_unless_equals_int64 (duration ("12ms"), 12000);
  fail_unless_equals_int64 (duration ("59m3.5s"), 3543 * SEC + SEC / 2);
  fail_unless_equals_int64 (duration ("0.25s"), SEC / 4);
  fail_unless_equals_int64 (duration ("1.5s"), 3 * SEC / 2);
  fail_unless_equals_int64 (duration ("750us"), 750);
  fail_unless_equals_int64 (duration ("750\xc2\xb5s"), 750);
  fail_unless_equals_int64 (duration ("0s"), 0);
  fail_unless_equals_int64 (duration ("12"), 12 * SEC);
  fail_unless_equals_int64 (duration ("0.5"), SEC / 2);
  fail_unless_equals_int64 (duration ("1h"), 3600 * SEC);
}

GST_END_TEST;

/* Anything else is refused, and the out value left alone: signs, spaces,
 * exponents, inf and nan, unknown units, missing numbers, two points,
 * control characters, more than an hour, more than 32 characters. */
GST_START_TEST (test_bad_durations)
{
  refused_duration ("");
  refused_duration ("-1");
  refused_duration ("-1s");
  refused_duration ("+1s");
  refused_duration (" 1s");
  refused_duration ("1 s");
  refused_duration ("1e9");
  refused_duration ("inf");
  refused_duration ("nan");
  refused_duration ("0x10");
  refused_duration ("1x");
  refused_duration ("s");
  refused_duration (".");
  refused_duration ("1.2.3s");
  refused_duration ("1..s");
  refused_duration ("1s\x1b[2J");
  refused_duration ("1h0m1s");
  refused_duration ("99999999h");
  refused_duration ("3601");
  refused_duration ("00000000000000000000000000000000000000001s");
}

GST_END_TEST;

/* Counts are plain digits: Azure OpenAI's -1 ("unknown"), signs, spaces,
 * fractions, control characters and numbers beyond a billion are
 * refused; remaining without a reset (Azure OpenAI) gets the default
 * reset; a bad reset makes the pair unusable. */
GST_START_TEST (test_counts_and_pairs)
{
  static const gchar *const bad[] = { "", "-1", "+5", " 5", "5 ", "5.0",
    "1e3", "5\n", "99999999999", "1000000001"
  };
  guint64 n = 7;
  gint64 reset = 0;
  guint i;

  fail_unless (gst_cv_analyze_rate_limit_parse_count ("0", &n));
  fail_unless_equals_uint64 (n, 0);
  fail_unless (gst_cv_analyze_rate_limit_parse_count ("59", &n));
  fail_unless_equals_uint64 (n, 59);
  fail_unless (gst_cv_analyze_rate_limit_parse_count ("1000000000", &n));
  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    n = 7;
    fail_if (gst_cv_analyze_rate_limit_parse_count (bad[i], &n), "'%s'",
        bad[i]);
    fail_unless_equals_uint64 (n, 7);
  }

  fail_unless (gst_cv_analyze_rate_limit_read ("59", "1s", &n, &reset));
  fail_unless_equals_uint64 (n, 59);
  fail_unless_equals_int64 (reset, SEC);
  fail_unless (gst_cv_analyze_rate_limit_read ("3", NULL, &n, &reset));
  fail_unless_equals_int64 (reset, GST_CV_ANALYZE_RATE_LIMIT_DEFAULT_RESET_US);
  fail_if (gst_cv_analyze_rate_limit_read ("-1", "1s", &n, &reset));
  fail_if (gst_cv_analyze_rate_limit_read (NULL, "1s", &n, &reset));
  fail_if (gst_cv_analyze_rate_limit_read ("3", "soon", &n, &reset));
}

GST_END_TEST;

static Suite *
ratelimit_suite (void)
{
  Suite *s = suite_create ("cvanalyze-ratelimit");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_durations);
  tcase_add_test (tc, test_bad_durations);
  tcase_add_test (tc, test_counts_and_pairs);
  return s;
}

GST_CHECK_MAIN (ratelimit);
