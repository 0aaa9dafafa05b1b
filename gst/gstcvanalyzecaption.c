/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Turns results into captions that read well: the text shown for a result
 * (caption, optionally its top tags), hidden below min-confidence, and one
 * entry per distinct caption, so that a service answering "a red car on a
 * street" and then "a red car on the street" does not start a new subtitle. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstcvanalyzecaption.h"

/* Service text goes into subtitles and on screen as a single entry: runs
 * of control characters and spaces (a newline would end a WebVTT cue early)
 * become one space, and none is left at either end. Returns whether
 * anything was appended. */
static gboolean
append_clean (GString * out, const gchar * text)
{
  gboolean space = FALSE, wrote = FALSE;
  const gchar *p;

  for (p = text; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if (g_unichar_iscntrl (c) || g_unichar_isspace (c)) {
      space = TRUE;
      continue;
    }
    if (space && wrote)
      g_string_append_c (out, ' ');
    space = FALSE;
    wrote = TRUE;
    g_string_append_unichar (out, c);
  }
  return wrote;
}

/**
 * gst_cv_analyze_caption_text_from_result:
 * @result: a `cvanalyze-result` structure
 * @min_confidence: captions less confident than this are left out
 * @show_tags: how many of the result's tags to add, on a second line
 *
 * Returns: (transfer full) (nullable): the text to show for @result, or
 * %NULL when there is nothing to show.
 */
gchar *
gst_cv_analyze_caption_text_from_result (const GstStructure * result,
    gdouble min_confidence, guint show_tags)
{
  const gchar *caption = gst_structure_get_string (result, "caption");
  const GValue *tags = gst_structure_get_value (result, "tags");
  gdouble confidence = 0.0;
  GString *out = g_string_new (NULL);
  guint i, n, shown = 0;

  gst_structure_get_double (result, "confidence", &confidence);
  if (caption && confidence >= min_confidence)
    append_clean (out, caption);

  /* The first show_tags tags that have something to show, after a newline
   * and separated by commas. */
  n = (tags && GST_VALUE_HOLDS_ARRAY (tags)) ?
      gst_value_array_get_size (tags) : 0;
  for (i = 0; i < n && shown < show_tags; i++) {
    const GValue *tag = gst_value_array_get_value (tags, i);
    gsize mark = out->len;

    if (!G_VALUE_HOLDS_STRING (tag) || !g_value_get_string (tag))
      continue;
    if (out->len)
      g_string_append (out, shown == 0 ? "\n" : ", ");
    if (append_clean (out, g_value_get_string (tag)))
      shown++;
    else
      g_string_truncate (out, mark);
  }

  if (out->len == 0) {
    g_string_free (out, TRUE);
    return NULL;
  }
  return g_string_free (out, FALSE);
}

/* Words, lower-cased, without punctuation or articles: what a reader
 * compares. */
static GPtrArray *
significant_words (const gchar * text)
{
  static const gchar *const articles[] = { "a", "an", "the", NULL };
  GPtrArray *words = g_ptr_array_new_with_free_func (g_free);
  gchar *folded = g_utf8_casefold (text, -1);
  GString *word = g_string_new (NULL);
  const gchar *p = folded;

  for (;;) {
    gunichar c = g_utf8_get_char (p);

    if (c != 0 && g_unichar_isalnum (c)) {
      g_string_append_unichar (word, c);
    } else if (word->len) {
      if (!g_strv_contains (articles, word->str))
        g_ptr_array_add (words, g_strdup (word->str));
      g_string_truncate (word, 0);
    }
    if (c == 0)
      break;
    p = g_utf8_next_char (p);
  }
  g_string_free (word, TRUE);
  g_free (folded);
  return words;
}

/**
 * gst_cv_analyze_caption_similarity:
 *
 * Returns: how alike two captions read, from 0 (nothing in common) to 1
 * (the same words): one minus the word-level edit distance over the longer
 * caption's word count, ignoring case, punctuation and articles.
 */
gdouble
gst_cv_analyze_caption_similarity (const gchar * a, const gchar * b)
{
  GPtrArray *wa = significant_words (a), *wb = significant_words (b);
  guint n = wa->len, m = wb->len, i, j, longest = MAX (n, m);
  guint *prev = g_new (guint, m + 1), *cur = g_new (guint, m + 1), *tmp;
  gdouble similarity;

  /* Levenshtein distance over words, two rows at a time. */
  for (j = 0; j <= m; j++)
    prev[j] = j;
  for (i = 1; i <= n; i++) {
    cur[0] = i;
    for (j = 1; j <= m; j++) {
      guint cost = strcmp (wa->pdata[i - 1], wb->pdata[j - 1]) != 0;

      cur[j] = MIN (MIN (prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
    }
    tmp = prev;
    prev = cur;
    cur = tmp;
  }
  similarity = longest ? 1.0 - (gdouble) prev[m] / longest : 1.0;

  g_free (prev);
  g_free (cur);
  g_ptr_array_unref (wa);
  g_ptr_array_unref (wb);
  return similarity;
}

void
gst_cv_analyze_caption_track_init (GstCvAnalyzeCaptionTrack * track)
{
  memset (track, 0, sizeof (*track));
  track->start = GST_CLOCK_TIME_NONE;
}

/* Forgets the current entry (flush, new stream); keeps the settings. */
void
gst_cv_analyze_caption_track_reset (GstCvAnalyzeCaptionTrack * track)
{
  g_clear_pointer (&track->shown, g_free);
  g_clear_pointer (&track->last, g_free);
  track->start = GST_CLOCK_TIME_NONE;
  /* seq stays: a result seen before the reset is not new after it */
}

static void
end_entry (GstCvAnalyzeCaptionTrack * track, GstClockTime end,
    gchar ** ended_text, GstClockTime * ended_start, GstClockTime * ended_end)
{
  *ended_text = g_steal_pointer (&track->shown);
  *ended_start = track->start;
  *ended_end = MAX (end, track->start);
  track->start = GST_CLOCK_TIME_NONE;
}

/**
 * gst_cv_analyze_caption_track_update:
 * @track: the track
 * @seq: the sequence number of the current result, 0 if none
 * @result: (nullable): the current result
 * @now: time of the frame being processed
 * @ended_text: (out) (transfer full): text of an entry that ended at this
 *   frame, or %NULL
 * @ended_start: (out): when that entry started
 * @ended_end: (out): when it ended (@now, or earlier when it reached
 *   max_duration)
 *
 * Looks at the result current at @now: a result with a new, distinct text
 * starts a new entry; one with nothing to show ends the current one; a
 * near-duplicate changes nothing. An entry also ends after max_duration.
 *
 * Returns: what happened to the current entry.
 */
GstCvAnalyzeCaptionChange
gst_cv_analyze_caption_track_update (GstCvAnalyzeCaptionTrack * track,
    guint64 seq, const GstStructure * result, GstClockTime now,
    gchar ** ended_text, GstClockTime * ended_start, GstClockTime * ended_end)
{
  GstCvAnalyzeCaptionChange change = GST_CV_ANALYZE_CAPTION_UNCHANGED;
  gchar *text;

  *ended_text = NULL;
  *ended_start = *ended_end = GST_CLOCK_TIME_NONE;

  if (track->shown && track->max_duration
      && now >= track->start + track->max_duration) {
    end_entry (track, track->start + track->max_duration, ended_text,
        ended_start, ended_end);
    change = GST_CV_ANALYZE_CAPTION_ENDED;
  }

  if (seq == track->seq || !result)
    return change;
  track->seq = seq;

  text = gst_cv_analyze_caption_text_from_result (result,
      track->min_confidence, track->show_tags);
  if (!text) {
    /* Nothing to show any more: the scene moved on. */
    if (track->shown) {
      end_entry (track, now, ended_text, ended_start, ended_end);
      change = GST_CV_ANALYZE_CAPTION_ENDED;
    }
    g_clear_pointer (&track->last, g_free);
    return change;
  }

  if (track->last
      && gst_cv_analyze_caption_similarity (track->last, text) >=
      track->similarity) {
    g_free (text);
    return change;
  }

  if (track->shown)
    end_entry (track, now, ended_text, ended_start, ended_end);
  track->shown = text;
  track->start = now;
  g_free (track->last);
  track->last = g_strdup (text);
  return GST_CV_ANALYZE_CAPTION_STARTED;
}
