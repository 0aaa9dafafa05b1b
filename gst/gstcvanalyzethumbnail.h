/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_CV_ANALYZE_THUMBNAIL_H__
#define __GST_CV_ANALYZE_THUMBNAIL_H__

#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstcvanalyzebudget.h"
#include "gstcvanalyzeclient.h"
#include "gstcvanalyzewarnlimit.h"

G_BEGIN_DECLS

/* Azure's range for a thumbnail's width and height. */
#define GST_CV_ANALYZE_THUMBNAIL_MAX_SIDE 1024

/* Quality of the thumbnails cvanalyze crops itself (Image Analysis). */
#define GST_CV_ANALYZE_THUMBNAIL_QUALITY 90

/* A thumbnail-location pattern, split around its one integer conversion. */
typedef struct
{
  gchar *prefix;                /* with "%%" made "%" */
  gchar *suffix;
  gboolean left;                /* '-' flag */
  gboolean zero;                /* '0' flag */
  guint width;                  /* field width, 0 to 99 */
} GstCvAnalyzeThumbnailLocation;

/* The frame a thumbnail is asked for, as its sample will say. */
typedef struct
{
  guint64 id;                   /* the element's sample number */
  guint generation;             /* its flush generation */
  GstClockTime pts;
  GstClockTime duration;
  GstClockTime running_time;
  GstClockTime stream_time;
  GstSegment segment;
  gint frame_width;
  gint frame_height;
} GstCvAnalyzeThumbnailFrame;

/* Smart thumbnails of one element: when they are due, the one request
 * that may be pending, and what becomes of its answer. */
typedef struct
{
  /* Set at start, before the client exists. */
  guint width;                  /* 0: no thumbnails */
  guint height;
  GstClockTime interval;        /* 0: only at scene changes */
  GstCvAnalyzeThumbnailLocation *location;      /* nullable */

  /* Streaming thread only. */
  GstClockTime next_due;        /* running time */

  /* Under lock (taken from both threads). */
  GMutex lock;
  /* The frames asked for and not answered: the one pending, and the one
   * being submitted (which may wait for it), told apart by id. */
  GstCvAnalyzeThumbnailFrame frames[2];
  gboolean asked[2];
  guint index;                  /* the next file's number */
  GstCvAnalyzeWarnLimit warn_limit;
  guint64 made;
  guint64 skipped;              /* due while one was pending, while the
                                 * breaker was open, or held back by the
                                 * rate budget */
  guint64 failed;
} GstCvAnalyzeThumbnails;

void     gst_cv_analyze_thumbnails_init (GstCvAnalyzeThumbnails * t);

void     gst_cv_analyze_thumbnails_clear (GstCvAnalyzeThumbnails * t);

gboolean gst_cv_analyze_thumbnails_configure (GstCvAnalyzeThumbnails * t,
    guint width, guint height, GstClockTime interval, const gchar * location,
    const GstCvAnalyzeServiceClass * klass, GError ** error);

gboolean gst_cv_analyze_thumbnails_due (GstCvAnalyzeThumbnails * t,
    GstClockTime running_time);

void     gst_cv_analyze_thumbnails_submit (GstCvAnalyzeThumbnails * t,
    GstCvAnalyzeClient * client, GstCvAnalyzeBudget * budget,
    GstBuffer * buffer, const GstVideoInfo * info,
    const GstCvAnalyzeThumbnailFrame * frame, GstClockTime wait);

void     gst_cv_analyze_thumbnails_flush (GstCvAnalyzeThumbnails * t);

void     gst_cv_analyze_thumbnails_handle_outcome (GstCvAnalyzeThumbnails * t,
    GstElement * element, const GstCvAnalyzeOutcome * outcome,
    guint generation);

void     gst_cv_analyze_thumbnails_get_stats (GstCvAnalyzeThumbnails * t,
    guint64 * made, guint64 * skipped, guint64 * failed);

GstCvAnalyzeThumbnailLocation *gst_cv_analyze_thumbnail_location_parse (
    const gchar * pattern, GError ** error);

gchar   *gst_cv_analyze_thumbnail_location_format (
    const GstCvAnalyzeThumbnailLocation * location, guint index);

void     gst_cv_analyze_thumbnail_location_free (
    GstCvAnalyzeThumbnailLocation * location);

gboolean gst_cv_analyze_thumbnail_fit_box (gint box_x, gint box_y,
    gint box_w, gint box_h, guint width, guint height, gint * x, gint * y,
    gint * w, gint * h);

G_END_DECLS

#endif /* __GST_CV_ANALYZE_THUMBNAIL_H__ */
