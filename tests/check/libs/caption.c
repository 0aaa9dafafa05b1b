/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Unit tests of the caption module: the text shown for a result, how alike
 * two captions read (and how much of them is read), which entry each
 * result belongs to, and the track that follows entries from frame to
 * frame. */

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

/* Adds the next text (copied) to @entries and checks the entry number
 * and text it gets. */
static void
check_entry (GstCvAnalyzeCaptionEntries * entries, const gchar * text,
    guint64 expected_entry, const gchar * expected_text)
{
  gchar *entry_text = (gchar *) "unset";
  guint64 entry;

  entry = gst_cv_analyze_caption_entries_add (entries, g_strdup (text),
      &entry_text);
  fail_unless_equals_uint64 (entry, expected_entry);
  if (expected_text) {
    fail_unless_equals_string (entry_text, expected_text);
  } else {
    fail_unless (entry_text == NULL, "unexpected text \"%s\"", entry_text);
  }
  g_free (entry_text);
}

/* Shows the track the entry current at @now and checks what happened:
 * the change, and which entry ended (@expected_ended NULL: none). */
static void
check_update (GstCvAnalyzeCaptionTrack * track, guint64 entry,
    const gchar * text, GstClockTime now,
    GstCvAnalyzeCaptionChange expected_change, const gchar * expected_ended,
    GstClockTime expected_start, GstClockTime expected_end)
{
  gchar *ended_text = (gchar *) "unset";
  GstClockTime ended_start = 0, ended_end = 0;
  GstCvAnalyzeCaptionChange change;

  change = gst_cv_analyze_caption_track_update (track, entry, text, now,
      &ended_text, &ended_start, &ended_end);

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
  track->max_duration = max_duration;
}

/* "word1 word2 ... wordN", with @other instead of word @at (0: none). */
static gchar *
make_words (guint n, guint at, const gchar * other)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 1; i <= n; i++) {
    if (i > 1)
      g_string_append_c (s, ' ');
    if (i == at)
      g_string_append (s, other);
    else
      g_string_append_printf (s, "word%u", i);
  }
  return g_string_free (s, FALSE);
}

/* The shown text: the caption, hidden below min-confidence; the first
 * show_tags tags on a second line, or alone when the caption is hidden;
 * control characters become single spaces; markup passes through; and
 * nothing to show gives NULL. */
/* A chat model's caption has no confidence: min-confidence never hides
 * it, while an Azure caption below it is hidden. */
GST_START_TEST (test_caption_without_confidence_shown)
{
  GstStructure *chat = gst_structure_new ("cvanalyze-result", "caption",
      G_TYPE_STRING, "a person at a desk", NULL);
  GstStructure *azure = make_result ("a person at a desk", 0.4, NULL);

  check_text (chat, 0.9, 0, "a person at a desk");
  fail_unless (gst_cv_analyze_caption_text_from_result (azure, 0.9, 0) ==
      NULL);
  gst_structure_free (chat);
  gst_structure_free (azure);
}

GST_END_TEST;

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

/* Only the first GST_CV_ANALYZE_CAPTION_MAX_WORDS significant words of a
 * caption are read: a 32 000-word caption gives 64 words, articles do not
 * count towards them, and two such captions differing after word 64 are
 * the same, one differing at word 64 is 63/64 alike. */
GST_START_TEST (test_words_compared_are_capped)
{
  gchar *caption = make_words (32000, 0, NULL);
  gchar *with_articles = g_strconcat ("The A an ", caption, NULL);
  gchar *differs_late = make_words (32000, 65, "other");
  gchar *differs_at_64 = make_words (32000, 64, "other");
  GPtrArray *words = gst_cv_analyze_caption_words (caption);

  fail_unless_equals_int (GST_CV_ANALYZE_CAPTION_MAX_WORDS, 64);
  fail_unless_equals_int (words->len, 64);
  fail_unless_equals_string (g_ptr_array_index (words, 0), "word1");
  fail_unless_equals_string (g_ptr_array_index (words, 63), "word64");
  g_ptr_array_unref (words);

  words = gst_cv_analyze_caption_words (with_articles);
  fail_unless_equals_int (words->len, 64);
  fail_unless_equals_string (g_ptr_array_index (words, 0), "word1");
  fail_unless_equals_string (g_ptr_array_index (words, 63), "word64");
  g_ptr_array_unref (words);

  /* lower-cased, punctuation dropped, a short caption whole */
  words = gst_cv_analyze_caption_words ("A Red car, on THE street!");
  fail_unless_equals_int (words->len, 4);
  fail_unless_equals_string (g_ptr_array_index (words, 0), "red");
  fail_unless_equals_string (g_ptr_array_index (words, 3), "street");
  g_ptr_array_unref (words);

  check_similarity (caption, differs_late, 1.0);
  check_similarity (caption, differs_at_64, 63.0 / 64.0);
  check_similarity (caption, with_articles, 1.0);

  g_free (caption);
  g_free (with_articles);
  g_free (differs_late);
  g_free (differs_at_64);
}

GST_END_TEST;

/* The per-result decision, in result order: a distinct text starts the
 * next entry, a near-duplicate continues the last one (which keeps its
 * own text), nothing to show after something starts an empty entry, and
 * the same text after it starts a new one. Nothing before anything is
 * entry 0. */
GST_START_TEST (test_entries)
{
  GstCvAnalyzeCaptionEntries entries = { 0, };

  gst_cv_analyze_caption_entries_set_up (&entries, 0.5, 2, 0.8);
  fail_unless (entries.min_confidence == 0.5);
  fail_unless_equals_int (entries.show_tags, 2);
  fail_unless (entries.similarity == 0.8);

  check_entry (&entries, NULL, 0, NULL);
  check_entry (&entries, "a red car", 1, "a red car");
  check_entry (&entries, "a red car", 1, "a red car");
  check_entry (&entries, "the red car.", 1, "a red car");
  check_entry (&entries, "a blue boat", 2, "a blue boat");
  check_entry (&entries, NULL, 3, NULL);
  check_entry (&entries, NULL, 3, NULL);
  check_entry (&entries, "a blue boat", 4, "a blue boat");
  /* 2/3 alike: below 0.8 */
  check_entry (&entries, "a plain gray image", 5, "a plain gray image");
  check_entry (&entries, "a plain teal image", 6, "a plain teal image");

  /* set up afresh: numbering starts again, settings replaced */
  gst_cv_analyze_caption_entries_set_up (&entries, 0.0, 0, 2.0 / 3.0);
  fail_unless_equals_uint64 (entries.entry, 0);
  fail_unless (entries.last == NULL);
  check_entry (&entries, "a plain gray image", 1, "a plain gray image");
  /* 2/3 alike: at the threshold, a near-duplicate */
  check_entry (&entries, "a plain teal image", 1, "a plain gray image");
  check_entry (&entries, "a red car", 2, "a red car");

  gst_cv_analyze_caption_entries_clear (&entries);
  fail_unless_equals_uint64 (entries.entry, 0);
  fail_unless (entries.last == NULL);
}

GST_END_TEST;

/* The track follows entry numbers: a new entry starts being shown and ends
 * the one before, the same entry changes nothing whatever its text, no
 * current result (entry 0) changes nothing, an empty entry ends what was
 * shown. */
GST_START_TEST (test_track)
{
  GstCvAnalyzeCaptionTrack track;

  setup_track (&track, 0);

  check_update (&track, 1, "a red car", 0,
      GST_CV_ANALYZE_CAPTION_STARTED, NULL, 0, 0);
  fail_unless_equals_string (track.shown, "a red car");
  fail_unless_equals_uint64 (track.start, 0);

  /* the same entry: its text is not even looked at */
  check_update (&track, 1, "something else", GST_SECOND,
      GST_CV_ANALYZE_CAPTION_UNCHANGED, NULL, 0, 0);
  fail_unless_equals_string (track.shown, "a red car");

  /* no current result */
  check_update (&track, 0, NULL, 2 * GST_SECOND,
      GST_CV_ANALYZE_CAPTION_UNCHANGED, NULL, 0, 0);
  fail_unless_equals_string (track.shown, "a red car");

  /* the next entry ends this one and starts */
  check_update (&track, 2, "a blue boat", 3 * GST_SECOND,
      GST_CV_ANALYZE_CAPTION_STARTED, "a red car", 0, 3 * GST_SECOND);
  fail_unless_equals_string (track.shown, "a blue boat");
  fail_unless_equals_uint64 (track.start, 3 * GST_SECOND);

  /* an empty entry: the entry ends */
  check_update (&track, 3, NULL, 4 * GST_SECOND,
      GST_CV_ANALYZE_CAPTION_ENDED, "a blue boat", 3 * GST_SECOND,
      4 * GST_SECOND);
  fail_unless (track.shown == NULL);
  check_update (&track, 3, NULL, 5 * GST_SECOND,
      GST_CV_ANALYZE_CAPTION_UNCHANGED, NULL, 0, 0);

  check_update (&track, 4, "a blue boat", 5 * GST_SECOND,
      GST_CV_ANALYZE_CAPTION_STARTED, NULL, 0, 0);
  fail_unless_equals_string (track.shown, "a blue boat");
  fail_unless_equals_uint64 (track.start, 5 * GST_SECOND);

  gst_cv_analyze_caption_track_reset (&track);
}

GST_END_TEST;

/* An entry ends after max_duration, at start + max_duration exactly, and
 * is not shown again; the next entry starts; an expiry and a new entry at
 * the same frame report the expired one. */
GST_START_TEST (test_track_expiry)
{
  GstCvAnalyzeCaptionTrack track;

  setup_track (&track, 2 * GST_SECOND);

  check_update (&track, 1, "a red car", 0,
      GST_CV_ANALYZE_CAPTION_STARTED, NULL, 0, 0);

  /* still within max_duration */
  check_update (&track, 1, "a red car", 2 * GST_SECOND - 1,
      GST_CV_ANALYZE_CAPTION_UNCHANGED, NULL, 0, 0);
  fail_unless_equals_string (track.shown, "a red car");

  /* past it: ends at 2s, not at the frame's time */
  check_update (&track, 1, "a red car", 2500 * GST_MSECOND,
      GST_CV_ANALYZE_CAPTION_ENDED, "a red car", 0, 2 * GST_SECOND);
  fail_unless (track.shown == NULL);

  /* the same entry (a near-duplicate result) does not bring it back */
  check_update (&track, 1, "a red car", 3 * GST_SECOND,
      GST_CV_ANALYZE_CAPTION_UNCHANGED, NULL, 0, 0);
  fail_unless (track.shown == NULL);

  /* the next entry does */
  check_update (&track, 2, "a blue boat", 4 * GST_SECOND,
      GST_CV_ANALYZE_CAPTION_STARTED, NULL, 0, 0);
  fail_unless_equals_uint64 (track.start, 4 * GST_SECOND);

  /* expired at 6s, and the next entry at 6.5s */
  check_update (&track, 3, "a green tree", 6500 * GST_MSECOND,
      GST_CV_ANALYZE_CAPTION_STARTED, "a blue boat", 4 * GST_SECOND,
      6 * GST_SECOND);
  fail_unless_equals_string (track.shown, "a green tree");
  fail_unless_equals_uint64 (track.start, 6500 * GST_MSECOND);

  gst_cv_analyze_caption_track_reset (&track);
}

GST_END_TEST;

/* Reset (flush, new segment) forgets the entry and keeps the settings: the
 * entry current at the next frame is shown afresh from that frame. */
GST_START_TEST (test_track_reset)
{
  GstCvAnalyzeCaptionTrack track;

  setup_track (&track, 5 * GST_SECOND);

  check_update (&track, 7, "a red car", 0,
      GST_CV_ANALYZE_CAPTION_STARTED, NULL, 0, 0);

  gst_cv_analyze_caption_track_reset (&track);
  fail_unless (track.shown == NULL);
  fail_unless_equals_uint64 (track.entry, 0);
  fail_unless_equals_uint64 (track.start, GST_CLOCK_TIME_NONE);
  fail_unless_equals_uint64 (track.max_duration, 5 * GST_SECOND);

  check_update (&track, 7, "a red car", GST_SECOND,
      GST_CV_ANALYZE_CAPTION_STARTED, NULL, 0, 0);
  fail_unless_equals_string (track.shown, "a red car");
  fail_unless_equals_uint64 (track.start, GST_SECOND);

  gst_cv_analyze_caption_track_reset (&track);
}

GST_END_TEST;

static Suite *
caption_suite (void)
{
  Suite *s = suite_create ("cvanalyzecaption");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_caption_without_confidence_shown);
  tcase_add_test (tc, test_text_from_result);
  tcase_add_test (tc, test_text_skips_empty_tags);
  tcase_add_test (tc, test_similarity);
  tcase_add_test (tc, test_words_compared_are_capped);
  tcase_add_test (tc, test_entries);
  tcase_add_test (tc, test_track);
  tcase_add_test (tc, test_track_expiry);
  tcase_add_test (tc, test_track_reset);
  return s;
}

GST_CHECK_MAIN (caption);
