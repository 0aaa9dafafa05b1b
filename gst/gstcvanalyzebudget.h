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
 * service says so (429 with Retry-After); slowed by what the service says
 * is left (x-ratelimit-*) and by the rate its 429s teach (below). Elements with the same
 * rate-group share one, since one subscription key is what the service
 * counts. Thread-safe; the time is passed in (monotonic microseconds), so
 * the rules are unit-tested without waiting. */
typedef struct _GstCvAnalyzeBudget GstCvAnalyzeBudget;

/* Learning the service's limit from its 429s (AIMD, as TCP learns a
 * link's): a 429 that comes less than GST_CV_ANALYZE_BUDGET_REPEAT_US after
 * the one before it, or once a rate has been learned, lowers the rate to
 *   max (DECREASE * rate, the requests the service admitted in the last
 *   minute)
 * (multiplicative decrease, but never below what the service just showed
 * it takes); every answer that is not a 429 raises it by
 * INCREASE / rate, that is by INCREASE requests a minute per minute
 * (additive increase), probing slowly for more. The rate learned is never
 * below MIN_RATE nor above max-rate, if set. Only a request sent after the
 * last decrease lowers it again: the answers to requests sent at the old
 * rate say nothing about the new one. */
#define GST_CV_ANALYZE_BUDGET_DECREASE 0.5
#define GST_CV_ANALYZE_BUDGET_INCREASE 1.0
#define GST_CV_ANALYZE_BUDGET_MIN_RATE 1.0
#define GST_CV_ANALYZE_BUDGET_REPEAT_US (120 * G_USEC_PER_SEC)

GstCvAnalyzeBudget *gst_cv_analyze_budget_acquire (const gchar * group,
    guint per_minute);

GstCvAnalyzeBudget *gst_cv_analyze_budget_ref (GstCvAnalyzeBudget * budget);

void     gst_cv_analyze_budget_release (GstCvAnalyzeBudget * budget);

gboolean gst_cv_analyze_budget_is_shared (GstCvAnalyzeBudget * budget);

gint64   gst_cv_analyze_budget_reserve (GstCvAnalyzeBudget * budget,
    gint64 earliest_us, gint64 latest_us);

gboolean gst_cv_analyze_budget_try_take (GstCvAnalyzeBudget * budget,
    gint64 now_us);

void     gst_cv_analyze_budget_pause_until (GstCvAnalyzeBudget * budget,
    gint64 until_us);

void     gst_cv_analyze_budget_answered (GstCvAnalyzeBudget * budget,
    gint64 sent_us, gint64 now_us, gboolean throttled);

void     gst_cv_analyze_budget_spread (GstCvAnalyzeBudget * budget,
    gint64 now_us, guint64 remaining, gint64 reset_us);

gdouble  gst_cv_analyze_budget_get_rate (GstCvAnalyzeBudget * budget);

gdouble  gst_cv_analyze_budget_get_learned_rate (GstCvAnalyzeBudget * budget);

G_END_DECLS

#endif /* __GST_CV_ANALYZE_BUDGET_H__ */
