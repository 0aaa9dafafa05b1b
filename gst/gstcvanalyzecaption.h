/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_CV_ANALYZE_CAPTION_H__
#define __GST_CV_ANALYZE_CAPTION_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* Words of each caption that similarity compares: more than any caption a
 * reader takes in at a glance, and few enough that a comparison costs the
 * same whatever the service sent. */
#define GST_CV_ANALYZE_CAPTION_MAX_WORDS 64

/* Which entry each result belongs to: one whose text reads like the last
 * entry's continues it, any other starts the next. Decided once per
 * result, in result order, on the client's thread. */
typedef struct
{
  /* settings */
  gdouble min_confidence;       /* captions below are hidden */
  guint show_tags;              /* how many tags to add on a second line */
  gdouble similarity;           /* at or above: a near-duplicate */

  /* state */
  guint64 entry;                /* the last entry's number, 0 = none yet */
  gchar *last;                  /* its text, NULL when it shows nothing */
} GstCvAnalyzeCaptionEntries;

/* Which caption is on screen at each frame, from the entry numbers the
 * results carry, and when it starts and stops being shown. Used from the
 * streaming thread only. */
typedef struct
{
  /* settings */
  GstClockTime max_duration;    /* 0: until superseded */

  /* state */
  guint64 entry;                /* the entry last looked at, 0 = none */
  gchar *shown;                 /* text of the current entry, NULL = none */
  GstClockTime start;           /* when it became current */
} GstCvAnalyzeCaptionTrack;

/* What happened to the current entry at one frame. */
typedef enum
{
  GST_CV_ANALYZE_CAPTION_UNCHANGED,
  GST_CV_ANALYZE_CAPTION_STARTED,       /* a new entry began */
  GST_CV_ANALYZE_CAPTION_ENDED, /* the entry ended, none follows */
} GstCvAnalyzeCaptionChange;

gchar   *gst_cv_analyze_caption_text_from_result (const GstStructure * result,
    gdouble min_confidence, guint show_tags);

gchar   *gst_cv_analyze_caption_text_full (const GstStructure * result,
    gdouble min_confidence, guint show_tags, gboolean show_text);

GPtrArray *gst_cv_analyze_caption_words (const gchar * text);

gdouble  gst_cv_analyze_caption_similarity (const gchar * a, const gchar * b);

void     gst_cv_analyze_caption_entries_set_up (
    GstCvAnalyzeCaptionEntries * entries, gdouble min_confidence,
    guint show_tags, gdouble similarity);

void     gst_cv_analyze_caption_entries_clear (
    GstCvAnalyzeCaptionEntries * entries);

guint64  gst_cv_analyze_caption_entries_add (
    GstCvAnalyzeCaptionEntries * entries, gchar * text, gchar ** entry_text);

void     gst_cv_analyze_caption_track_init (GstCvAnalyzeCaptionTrack * track);

void     gst_cv_analyze_caption_track_reset (GstCvAnalyzeCaptionTrack * track);

GstCvAnalyzeCaptionChange gst_cv_analyze_caption_track_update (
    GstCvAnalyzeCaptionTrack * track, guint64 entry, const gchar * text,
    GstClockTime now, gchar ** ended_text, GstClockTime * ended_start,
    GstClockTime * ended_end);

G_END_DECLS

#endif /* __GST_CV_ANALYZE_CAPTION_H__ */
