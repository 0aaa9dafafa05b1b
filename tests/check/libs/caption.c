/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Unit tests of the caption module: the text shown for a result, how alike
 * two captions read, and the track that decides when an entry starts and
 * ends. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include "gstcvanalyzecaption.h"

#define SIMILARITY_TOLERANCE 1e-9

/* A cvanalyze-result with @caption (unless %NULL), @confidence and, unless
 * %NULL, the %NULL-terminated @tags. */
static GstStructure *
make_result (const gchar * caption, gdouble confidence,
    const gchar * const *tags)
{
  GstStructure *s = gst_structure_new ("cvanalyze-result",
      "confidence", G_TYPE_DOUBLE, confidence, NULL);

  if (caption)
    gst_structure_set (s, "caption", G_TYPE_STRING, caption, NULL);
  if (tags) {
    GValue array = G_VALUE_INIT;
    GValue tag = G_VALUE_INIT;
    const gchar *const *t;

    g_value_init (&array, GST_TYPE_ARRAY);
    for (t = tags; *t; t++) {
      g_value_init (&tag, G_TYPE_STRING);
      g_value_set_string (&tag, *t);
      gst_value_array_append_and_take_value (&array, &tag);
    }
    gst_structure_take_value (s, "tags", &array);
  }
  return s;
}

/* The text shown for a result, which must be non-NULL and equal @expected. */
static void
check_text (const GstStructure * result, gdouble min_confidence,
    guint show_tags, const gchar * expected)
{
  gchar *text = gst_cv_analyze_caption_text_from_result (result,
      min_confidence, show_tags);

  fail_unless (text != NULL, "no text, expected \"%s\"", expected);
  fail_unless_equals_string (text, expected);
  g_free (text);
}

static void
check_similarity (const gchar * a, const gchar * b, gdouble expected)
{
  gdouble similarity = gst_cv_analyze_caption_similarity (a, b);

  fail_unless (ABS (similarity - expected) < SIMILARITY_TOLERANCE,
      "similarity (\"%s\", \"%s\") = %.12f, expected %.12f", a, b,
      similarity, expected);
}

/* Feeds the track one result (freed here) and checks what happened: the
 * change, and which entry ended (@expected_ended NULL: none). */
static void
check_update (GstCvAnalyzeCaptionTrack * track, guint64 seq,
    GstStructure * result, GstClockTime now,
    GstCvAnalyzeCaptionChange expected_change, const gchar * expected_ended,
    GstClockTime expected_start, GstClockTime expected_end)
{
  gchar *ended_text = (gchar *) "unset";
  GstClockTime ended_start = 0, ended_end = 0;
  GstCvAnalyzeCaptionChange change;

  change = gst_cv_analyze_caption_track_update (track, seq, result, now,
      &ended_text, &ended_start, &ended_end);
  if (result)
    gst_structure_free (result);

  fail_unless_equals_int (change, expected_change);
  if (expected_ended) {
    fail_unless (ended_text != NULL, "no entry ended, expected \"%s\"",
        expected_ended);
    fail_unless_equals_string (ended_text, expected_ended);
    fail_unless_equals_uint64 (ended_start, expected_start);
    fail_unless_equals_uint64 (ended_end, expected_end);
  } else {
    fail_unless (ended_text == NULL, "unexpected ended entry \"%s\"",
        ended_text);
    fail_unless_equals_uint64 (ended_start, GST_CLOCK_TIME_NONE);
    fail_unless_equals_uint64 (ended_end, GST_CLOCK_TIME_NONE);
  }
  g_free (ended_text);
}

static void
setup_track (GstCvAnalyzeCaptionTrack * track, GstClockTime max_duration)
{
  gst_cv_analyze_caption_track_init (track);
  track->min_confidence = 0.5;
  track->show_tags = 0;
  track->similarity = 0.8;
  track->max_duration = max_duration;
}

/* The shown text: the caption, hidden below min-confidence; the first
 * show_tags tags on a second line, or alone when the caption is hidden;
 * control characters become single spaces; markup passes through; and
 * nothing to show gives NULL. */
GST_START_TEST (test_text_from_result)
{
  static const gchar *const tags[] = { "car", "street", "outdoor", NULL };
  GstStructure *s;

  /* caption only */
  s = make_result ("a red car", 0.9, tags);
  check_text (s, 0.5, 0, "a red car");
  check_text (s, 0.9, 0, "a red car");

  /* below min-confidence, no tags asked: nothing */
  fail_unless (gst_cv_analyze_caption_text_from_result (s, 0.95, 0) == NULL);

  /* two tags on a second line */
  check_text (s, 0.5, 2, "a red car\ncar, street");
  /* more tags asked than there are */
  check_text (s, 0.5, 10, "a red car\ncar, street, outdoor");

  /* hidden caption: the tags line alone, no leading newline */
  check_text (s, 0.95, 2, "car, street");
  gst_structure_free (s);

  /* control characters, newlines and tabs become single spaces */
  s = make_result ("a\ncat\t\tsits", 0.9, NULL);
  check_text (s, 0.5, 0, "a cat sits");
  check_text (s, 0.5, 2, "a cat sits");
  gst_structure_free (s);

  s = make_result ("\t a\r\n\x01" "dog \x7f runs\n", 0.9, NULL);
  check_text (s, 0.5, 0, "a dog runs");
  gst_structure_free (s);

  /* markup passes through unchanged: the module never escapes */
  s = make_result ("<b>&amp;\"", 0.9, NULL);
  check_text (s, 0.5, 0, "<b>&amp;\"");
  gst_structure_free (s);

  /* no caption, no tags: nothing */
  s = make_result (NULL, 0.9, NULL);
  fail_unless (gst_cv_analyze_caption_text_from_result (s, 0.0, 2) == NULL);
  gst_structure_free (s);

  /* no caption, tags not asked: nothing */
  s = make_result (NULL, 0.9, tags);
  fail_unless (gst_cv_analyze_caption_text_from_result (s, 0.0, 0) == NULL);
  check_text (s, 0.0, 1, "car");
  gst_structure_free (s);
}

GST_END_TEST;

/* Tags with nothing to show are skipped without using up show_tags or
 * leaving a stray separator, and spaces around tags are trimmed. */
GST_START_TEST (test_text_skips_empty_tags)
{
  const gchar *blank_first[] = { "", "  ", "street", "x", NULL };
  const gchar *padded[] = { " car", " street ", NULL };
  GstStructure *s;

  s = make_result ("a car", 0.9, blank_first);
  check_text (s, 0.0, 2, "a car\nstreet, x");
  gst_structure_free (s);

  s = make_result ("a car", 0.9, padded);
  check_text (s, 0.0, 2, "a car\ncar, street");
  gst_structure_free (s);
}

GST_END_TEST;

/* Similarity is 1 - word edit distance / longer word count, ignoring case,
 * punctuation and articles. */
GST_START_TEST (test_similarity)
{
  check_similarity ("a red car on a street", "a red car on a street", 1.0);
  check_similarity ("a red car on a street", "A red car on the street.", 1.0);
  /* plain gray image / plain teal image: 1 of 3 words differs */
  check_similarity ("a plain gray image", "a plain teal image", 2.0 / 3.0);
  /* red car / blue boat: nothing in common */
  check_similarity ("a red car", "a blue boat", 0.0);
  /* one word inserted: 1 of 4 */
  check_similarity ("a dog on grass", "a dog lying on grass", 0.75);
  check_similarity ("a dog lying on grass", "a dog on grass", 0.75);
  check_similarity ("", "", 1.0);
  check_similarity ("the", "a", 1.0);
  check_similarity ("", "cat", 0.0);
  check_similarity ("cat", "", 0.0);
}

GST_END_TEST;

/* A distinct caption starts an entry, a repeated result or near-duplicate
 * changes nothing, a hidden result ends the entry and breaks the run. */
GST_START_TEST (test_track)
{
  GstCvAnalyzeCaptionTrack track;

  setup_track (&track, 0);

  check_update (&track, 1, make_result ("a red car", 0.9, NULL), 0,
      GST_CV_ANALYZE_CAPTION_STARTED, NULL, 0, 0);
  fail_unless_equals_string (track.shown, "a red car");
  fail_unless_equals_uint64 (track.start, 0);

  /* the same result again */
  check_update (&track, 1, make_result ("a red car", 0.9, NULL), GST_SECOND,
      GST_CV_ANALYZE_CAPTION_UNCHANGED, NULL, 0, 0);
  fail_unless_equals_string (track.shown, "a red car");

  /* a near-duplicate */
  check_update (&track, 2, make_result ("the red car.", 0.9, NULL),
      2 * GST_SECOND, GST_CV_ANALYZE_CAPTION_UNCHANGED, NULL, 0, 0);
  fail_unless_equals_string (track.shown, "a red car");
  fail_unless_equals_uint64 (track.start, 0);

  /* a distinct caption ends the entry and starts another */
  check_update (&track, 3, make_result ("a blue boat", 0.9, NULL),
      3 * GST_SECOND, GST_CV_ANALYZE_CAPTION_STARTED, "a red car", 0,
      3 * GST_SECOND);
  fail_unless_equals_string (track.shown, "a blue boat");
  fail_unless_equals_uint64 (track.start, 3 * GST_SECOND);

  /* nothing to show: the entry ends */
  check_update (&track, 4, make_result ("a blue boat", 0.1, NULL),
      4 * GST_SECOND, GST_CV_ANALYZE_CAPTION_ENDED, "a blue boat",
      3 * GST_SECOND, 4 * GST_SECOND);
  fail_unless (track.shown == NULL);

  /* the hidden result broke the run: the same caption starts again */
  check_update (&track, 5, make_result ("a blue boat", 0.9, NULL),
      5 * GST_SECOND, GST_CV_ANALYZE_CAPTION_STARTED, NULL, 0, 0);
  fail_unless_equals_string (track.shown, "a blue boat");
  fail_unless_equals_uint64 (track.start, 5 * GST_SECOND);

  /* no result: nothing changes */
  check_update (&track, 6, NULL, 6 * GST_SECOND,
      GST_CV_ANALYZE_CAPTION_UNCHANGED, NULL, 0, 0);
  fail_unless_equals_string (track.shown, "a blue boat");

  gst_cv_analyze_caption_track_reset (&track);
}

GST_END_TEST;

/* An entry ends after max_duration, at start + max_duration exactly; a
 * near-duplicate does not bring it back, a distinct caption starts one. */
GST_START_TEST (test_track_expiry)
{
  GstCvAnalyzeCaptionTrack track;

  setup_track (&track, 2 * GST_SECOND);

  check_update (&track, 1, make_result ("a red car", 0.9, NULL), 0,
      GST_CV_ANALYZE_CAPTION_STARTED, NULL, 0, 0);
  fail_unless_equals_string (track.shown, "a red car");

  /* still within max_duration */
  check_update (&track, 1, make_result ("a red car", 0.9, NULL),
      2 * GST_SECOND - 1, GST_CV_ANALYZE_CAPTION_UNCHANGED, NULL, 0, 0);
  fail_unless_equals_string (track.shown, "a red car");

  /* past it: ends at 2s, not at the frame's time */
  check_update (&track, 1, make_result ("a red car", 0.9, NULL),
      2500 * GST_MSECOND, GST_CV_ANALYZE_CAPTION_ENDED, "a red car", 0,
      2 * GST_SECOND);
  fail_unless (track.shown == NULL);

  /* a near-duplicate of the expired caption does not restart it */
  check_update (&track, 2, make_result ("the red car.", 0.9, NULL),
      3 * GST_SECOND, GST_CV_ANALYZE_CAPTION_UNCHANGED, NULL, 0, 0);
  fail_unless (track.shown == NULL);

  /* a distinct caption does */
  check_update (&track, 3, make_result ("a blue boat", 0.9, NULL),
      4 * GST_SECOND, GST_CV_ANALYZE_CAPTION_STARTED, NULL, 0, 0);
  fail_unless_equals_string (track.shown, "a blue boat");
  fail_unless_equals_uint64 (track.start, 4 * GST_SECOND);

  gst_cv_analyze_caption_track_reset (&track);
}

GST_END_TEST;

/* Reset forgets the entry and keeps seq: the result seen before is not new
 * after it, a new one starts an entry. */
GST_START_TEST (test_track_reset)
{
  GstCvAnalyzeCaptionTrack track;

  setup_track (&track, 0);

  check_update (&track, 7, make_result ("a red car", 0.9, NULL), 0,
      GST_CV_ANALYZE_CAPTION_STARTED, NULL, 0, 0);

  gst_cv_analyze_caption_track_reset (&track);
  fail_unless (track.shown == NULL);
  fail_unless (track.last == NULL);
  fail_unless_equals_uint64 (track.start, GST_CLOCK_TIME_NONE);
  fail_unless_equals_uint64 (track.seq, 7);
  /* settings are kept */
  fail_unless (track.min_confidence == 0.5);
  fail_unless (track.similarity == 0.8);

  /* the same seq: not new */
  check_update (&track, 7, make_result ("a red car", 0.9, NULL), GST_SECOND,
      GST_CV_ANALYZE_CAPTION_UNCHANGED, NULL, 0, 0);
  fail_unless (track.shown == NULL);

  /* a new seq starts an entry, even with the caption shown before */
  check_update (&track, 8, make_result ("a red car", 0.9, NULL),
      2 * GST_SECOND, GST_CV_ANALYZE_CAPTION_STARTED, NULL, 0, 0);
  fail_unless_equals_string (track.shown, "a red car");
  fail_unless_equals_uint64 (track.start, 2 * GST_SECOND);

  gst_cv_analyze_caption_track_reset (&track);
}

GST_END_TEST;

static Suite *
caption_suite (void)
{
  Suite *s = suite_create ("cvanalyzecaption");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_text_from_result);
  tcase_add_test (tc, test_text_skips_empty_tags);
  tcase_add_test (tc, test_similarity);
  tcase_add_test (tc, test_track);
  tcase_add_test (tc, test_track_expiry);
  tcase_add_test (tc, test_track_reset);
  return s;
}

GST_CHECK_MAIN (caption);
