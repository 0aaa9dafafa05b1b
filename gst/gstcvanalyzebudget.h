/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_CV_ANALYZE_BUDGET_H__
#define __GST_CV_ANALYZE_BUDGET_H__

#include <glib.h>

G_BEGIN_DECLS

/* A request budget: at most max-rate requests a minute, spread evenly (one
 * every 60 s / max-rate, never a burst), and paused as a whole when the
 * service says so (429 with Retry-After). Elements with the same
 * rate-group share one, since one subscription key is what the service
 * counts. Thread-safe; the time is passed in (monotonic microseconds), so
 * the rules are unit-tested without waiting. */
typedef struct _GstCvAnalyzeBudget GstCvAnalyzeBudget;

GstCvAnalyzeBudget *gst_cv_analyze_budget_acquire (const gchar * group,
    guint per_minute);

GstCvAnalyzeBudget *gst_cv_analyze_budget_ref (GstCvAnalyzeBudget * budget);

void     gst_cv_analyze_budget_release (GstCvAnalyzeBudget * budget);

gint64   gst_cv_analyze_budget_reserve (GstCvAnalyzeBudget * budget,
    gint64 earliest_us, gint64 latest_us);

gboolean gst_cv_analyze_budget_try_take (GstCvAnalyzeBudget * budget,
    gint64 now_us);

void     gst_cv_analyze_budget_pause_until (GstCvAnalyzeBudget * budget,
    gint64 until_us);

guint    gst_cv_analyze_budget_get_rate (GstCvAnalyzeBudget * budget);

G_END_DECLS

#endif /* __GST_CV_ANALYZE_BUDGET_H__ */
