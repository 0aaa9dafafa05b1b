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
 * street" and then "a red car on the street" does not start a new subtitle.
 *
 * The work is split by thread. Which entry a result belongs to depends only
 * on the results in order, so the client's thread decides it once per
 * result (GstCvAnalyzeCaptionEntries), with a cost bounded by
 * GST_CV_ANALYZE_CAPTION_MAX_WORDS; the streaming thread only compares
 * entry numbers and times (GstCvAnalyzeCaptionTrack). */

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
 * @min_confidence: captions less confident than this are left out (a
 *   caption without a confidence is kept)
 * @show_tags: how many of the result's tags to add, on a second line
 *
 * Returns: (transfer full) (nullable): the text to show for @result, or
 * %NULL when there is nothing to show.
 */
gchar *
gst_cv_analyze_caption_text_from_result (const GstStructure * result,
    gdouble min_confidence, guint show_tags)
{
  return gst_cv_analyze_caption_text_full (result, min_confidence,
      show_tags, FALSE);
}

/**
 * gst_cv_analyze_caption_text_full:
 * @result: a `cvanalyze-result` structure
 * @min_confidence: as gst_cv_analyze_caption_text_from_result()'s
 * @show_tags: as gst_cv_analyze_caption_text_from_result()'s
 * @show_text: whether to add the text read in the frame ("text": its
 *   lines joined by spaces) on a line under the caption, before the tags
 *
 * Returns: (transfer full) (nullable): the text to show for @result, or
 * %NULL when there is nothing to show.
 */
gchar *
gst_cv_analyze_caption_text_full (const GstStructure * result,
    gdouble min_confidence, guint show_tags, gboolean show_text)
{
  const gchar *caption = gst_structure_get_string (result, "caption");
  const gchar *text = show_text ? gst_structure_get_string (result, "text")
      : NULL;
  const GValue *tags = gst_structure_get_value (result, "tags");
  /* Chat models give no confidence: their captions are always shown. */
  gdouble confidence = 1.0;
  GString *out = g_string_new (NULL);
  guint i, n, shown = 0;

  gst_structure_get_double (result, "confidence", &confidence);
  if (caption && confidence >= min_confidence)
    append_clean (out, caption);
  if (text) {
    gsize mark = out->len;

    if (out->len)
      g_string_append_c (out, '\n');
    if (!append_clean (out, text))
      g_string_truncate (out, mark);
  }

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

/**
 * gst_cv_analyze_caption_words:
 * @text: a caption
 *
 * Returns: (transfer full) (element-type utf8): the words a reader
 * compares: lower-cased, without punctuation or articles, and only the
 * first %GST_CV_ANALYZE_CAPTION_MAX_WORDS of them (the rest of @text is
 * not read).
 */
GPtrArray *
gst_cv_analyze_caption_words (const gchar * text)
{
  static const gchar *const articles[] = { "a", "an", "the", NULL };
  GPtrArray *words = g_ptr_array_new_with_free_func (g_free);
  const gchar *p, *word_start = NULL;

  for (p = text; words->len < GST_CV_ANALYZE_CAPTION_MAX_WORDS;
      p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if (c != 0 && g_unichar_isalnum (c)) {
      if (!word_start)
        word_start = p;
      continue;
    }
    if (word_start) {
      gchar *word = g_utf8_casefold (word_start, p - word_start);

      if (g_strv_contains (articles, word))
        g_free (word);
      else
        g_ptr_array_add (words, word);
      word_start = NULL;
    }
    if (c == 0)
      break;
  }
  return words;
}

/**
 * gst_cv_analyze_caption_similarity:
 *
 * Returns: how alike two captions read, from 0 (nothing in common) to 1
 * (the same words): one minus the word-level edit distance over the longer
 * caption's word count, ignoring case, punctuation and articles. Only the
 * first %GST_CV_ANALYZE_CAPTION_MAX_WORDS words of each count, so the cost
 * is bounded whatever the captions' length.
 */
gdouble
gst_cv_analyze_caption_similarity (const gchar * a, const gchar * b)
{
  GPtrArray *wa = gst_cv_analyze_caption_words (a);
  GPtrArray *wb = gst_cv_analyze_caption_words (b);
  guint n = wa->len, m = wb->len, i, j, longest = MAX (n, m);
  guint prev[GST_CV_ANALYZE_CAPTION_MAX_WORDS + 1];
  guint cur[GST_CV_ANALYZE_CAPTION_MAX_WORDS + 1];
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
    memcpy (prev, cur, (m + 1) * sizeof (guint));
  }
  similarity = longest ? 1.0 - (gdouble) prev[m] / longest : 1.0;

  g_ptr_array_unref (wa);
  g_ptr_array_unref (wb);
  return similarity;
}

/* Settings are snapshotted when the element starts; the state starts
 * afresh. */
void
gst_cv_analyze_caption_entries_set_up (GstCvAnalyzeCaptionEntries * entries,
    gdouble min_confidence, guint show_tags, gdouble similarity)
{
  gst_cv_analyze_caption_entries_clear (entries);
  entries->min_confidence = min_confidence;
  entries->show_tags = show_tags;
  entries->similarity = similarity;
}

void
gst_cv_analyze_caption_entries_clear (GstCvAnalyzeCaptionEntries * entries)
{
  g_clear_pointer (&entries->last, g_free);
  entries->entry = 0;
}

/**
 * gst_cv_analyze_caption_entries_add:
 * @entries: the entries so far
 * @text: (transfer full) (nullable): the text shown for the next result
 *   (gst_cv_analyze_caption_text_from_result()), %NULL for nothing
 * @entry_text: (out) (transfer full) (nullable): the text of the entry the
 *   result belongs to, %NULL when it shows nothing
 *
 * Takes the next result in order: a text that is not a near-duplicate of
 * the last entry's starts a new entry, and so does nothing to show after
 * something was shown; a near-duplicate, or nothing after nothing,
 * continues the last entry (which keeps its own text). Costs at most one
 * comparison of %GST_CV_ANALYZE_CAPTION_MAX_WORDS words with as many.
 *
 * Returns: the number of the entry the result belongs to: 1, 2, ... in
 * order, or 0 while no result has shown anything.
 */
guint64
gst_cv_analyze_caption_entries_add (GstCvAnalyzeCaptionEntries * entries,
    gchar * text, gchar ** entry_text)
{
  if (!text) {
    /* Nothing to show any more: the scene moved on. */
    if (entries->last) {
      entries->entry++;
      g_clear_pointer (&entries->last, g_free);
    }
  } else if (entries->last
      && gst_cv_analyze_caption_similarity (entries->last, text) >=
      entries->similarity) {
    g_free (text);
  } else {
    entries->entry++;
    g_free (entries->last);
    entries->last = text;
  }
  *entry_text = g_strdup (entries->last);
  return entries->entry;
}

void
gst_cv_analyze_caption_track_init (GstCvAnalyzeCaptionTrack * track)
{
  memset (track, 0, sizeof (*track));
  track->start = GST_CLOCK_TIME_NONE;
}

/* Forgets the current entry (flush, new segment, new stream): the entry
 * current at the next frame is shown afresh. Keeps the settings. */
void
gst_cv_analyze_caption_track_reset (GstCvAnalyzeCaptionTrack * track)
{
  g_clear_pointer (&track->shown, g_free);
  track->entry = 0;
  track->start = GST_CLOCK_TIME_NONE;
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
 * @entry: the entry number of the result current at @now (from
 *   gst_cv_analyze_caption_entries_add()), 0 if none
 * @text: (nullable): that entry's text
 * @now: time of the frame being processed
 * @ended_text: (out) (transfer full): text of an entry that ended at this
 *   frame, or %NULL
 * @ended_start: (out): when that entry started
 * @ended_end: (out): when it ended (@now, or earlier when it reached
 *   max_duration)
 *
 * Follows the entry current at @now: a new entry with a text starts being
 * shown, one without ends what was shown; the same entry changes nothing.
 * An entry also ends after max_duration, and is not shown again. Costs no
 * more than copying @text once per entry.
 *
 * Returns: what happened to the current entry.
 */
GstCvAnalyzeCaptionChange
gst_cv_analyze_caption_track_update (GstCvAnalyzeCaptionTrack * track,
    guint64 entry, const gchar * text, GstClockTime now,
    gchar ** ended_text, GstClockTime * ended_start, GstClockTime * ended_end)
{
  GstCvAnalyzeCaptionChange change = GST_CV_ANALYZE_CAPTION_UNCHANGED;

  *ended_text = NULL;
  *ended_start = *ended_end = GST_CLOCK_TIME_NONE;

  if (track->shown && track->max_duration
      && now >= track->start + track->max_duration) {
    end_entry (track, track->start + track->max_duration, ended_text,
        ended_start, ended_end);
    change = GST_CV_ANALYZE_CAPTION_ENDED;
  }

  if (entry == 0 || entry == track->entry)
    return change;
  track->entry = entry;

  if (track->shown) {
    end_entry (track, now, ended_text, ended_start, ended_end);
    change = GST_CV_ANALYZE_CAPTION_ENDED;
  }
  if (!text)
    return change;

  track->shown = g_strdup (text);
  track->start = now;
  return GST_CV_ANALYZE_CAPTION_STARTED;
}
