/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_CV_ANALYZE_WARN_LIMIT_H__
#define __GST_CV_ANALYZE_WARN_LIMIT_H__

#include <glib.h>

G_BEGIN_DECLS

/* At most one warning per kind of failure per GST_CV_ANALYZE_WARN_PERIOD_US,
 * so that a service down for a week does not flood the bus; the next one
 * says how many were not posted meanwhile ('stats' counts them all). The
 * time is passed in, for the unit tests. Not thread-safe: the caller
 * locks. */
#define GST_CV_ANALYZE_WARN_PERIOD_US (60 * G_USEC_PER_SEC)

typedef struct
{
  GHashTable *kinds;            /* kind -> WarnRecord; as many as kinds */
} GstCvAnalyzeWarnLimit;

void     gst_cv_analyze_warn_limit_init (GstCvAnalyzeWarnLimit * limit);

void     gst_cv_analyze_warn_limit_clear (GstCvAnalyzeWarnLimit * limit);

gboolean gst_cv_analyze_warn_limit_check (GstCvAnalyzeWarnLimit * limit,
    guint kind, gint64 now_us, guint64 * suppressed);

G_END_DECLS

#endif /* __GST_CV_ANALYZE_WARN_LIMIT_H__ */
