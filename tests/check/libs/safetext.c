/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Unit tests of the boundary every service string passes:
 * gst_cv_analyze_safe_text(). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "gstcvanalyzesafetext.h"

static void
check_safe (const gchar * in, gssize length, guint max_chars,
    const gchar * expected)
{
  gchar *out = gst_cv_analyze_safe_text (in, length, max_chars);

  fail_unless (g_utf8_validate (out, -1, NULL), "not valid UTF-8");
  fail_unless_equals_string (out, expected);
  g_free (out);
}

/* Plain text, accents and emoji pass unchanged. */
GST_START_TEST (test_plain_text_unchanged)
{
  check_safe ("a red car on a street", -1, 100, "a red car on a street");
  check_safe ("caf\xc3\xa9 \xf0\x9f\x9a\x97", -1, 100,
      "caf\xc3\xa9 \xf0\x9f\x9a\x97");
  check_safe (NULL, -1, 10, "");
  check_safe ("", -1, 10, "");
}

GST_END_TEST;

/* The bytes json-glib makes of "\ud800abc" (ED A0 80) and other invalid
 * sequences become U+FFFD, one per bad byte. */
GST_START_TEST (test_invalid_utf8_replaced)
{
  check_safe ("\xed\xa0\x80" "abc", -1, 100,
      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "abc");
  check_safe ("a\xff" "b", -1, 100, "a\xef\xbf\xbd" "b");
  /* A sequence cut off at the end of the text. */
  check_safe ("ab\xe2\x80", -1, 100, "ab\xef\xbf\xbd\xef\xbf\xbd");
}

GST_END_TEST;

/* Breaks become spaces; escape sequences, BEL, DEL, C1 controls and bidi
 * overrides are dropped, so a terminal sees only the printable rest. */
GST_START_TEST (test_controls_removed)
{
  check_safe ("a\tb\nc\r\n", -1, 100, "a b c  ");
  check_safe ("a \x1b[2J\x1b[31mred\x07 screen", -1, 100,
      "a [2J[31mred screen");
  check_safe ("x\x7fy\xc2\x9b" "z\xc2\x85w", -1, 100, "xyz w");
  check_safe ("\xe2\x80\xae" "evil\xe2\x81\xa6" "!", -1, 100, "evil!");
  check_safe ("line\xe2\x80\xa8" "next", -1, 100, "line next");
  /* An explicit length keeps what follows a NUL. */
  check_safe ("ab\0cd", 5, 100, "abcd");
}

GST_END_TEST;

/* A text longer than the cap is cut to cap - 1 characters and an
 * ellipsis; one exactly at the cap is kept whole. */
GST_START_TEST (test_length_capped)
{
  check_safe ("abcdef", -1, 6, "abcdef");
  check_safe ("abcdefg", -1, 6, "abcde\xe2\x80\xa6");
  /* Characters, not bytes. */
  check_safe ("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", -1, 3,
      "\xc3\xa9\xc3\xa9\xe2\x80\xa6");
}

GST_END_TEST;

/* A huge text costs no more than its kept part: 64 MiB in, the cap out. */
GST_START_TEST (test_huge_text_bounded)
{
  gsize size = 64 * 1024 * 1024;
  gchar *huge = g_malloc (size + 1);
  gchar *out;

  memset (huge, 'x', size);
  huge[size] = '\0';
  out = gst_cv_analyze_safe_text (huge, -1, GST_CV_ANALYZE_MAX_CAPTION_CHARS);
  fail_unless_equals_int (g_utf8_strlen (out, -1),
      GST_CV_ANALYZE_MAX_CAPTION_CHARS);
  fail_unless (g_str_has_suffix (out, "\xe2\x80\xa6"));
  g_free (out);

  /* Nothing but controls: dropped, and the rest not even looked at. */
  memset (huge, '\x1b', size);
  out = gst_cv_analyze_safe_text (huge, size, 10);
  fail_unless_equals_string (out, "\xe2\x80\xa6");
  g_free (out);
  g_free (huge);
}

GST_END_TEST;

static Suite *
safetext_suite (void)
{
  Suite *s = suite_create ("cvanalyze-safetext");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_plain_text_unchanged);
  tcase_add_test (tc, test_invalid_utf8_replaced);
  tcase_add_test (tc, test_controls_removed);
  tcase_add_test (tc, test_length_capped);
  tcase_add_test (tc, test_huge_text_bounded);
  return s;
}

GST_CHECK_MAIN (safetext);
