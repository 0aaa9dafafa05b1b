/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_CV_ANALYZE_RETRY_H__
#define __GST_CV_ANALYZE_RETRY_H__

#include <glib.h>

G_BEGIN_DECLS

/* When the same frame is sent again after a transient failure. Pure: the
 * time and the randomness are passed in, so the rules are unit-tested
 * without waiting (tests/check/libs/retry.c). */

/* The properties of the same names. */
typedef struct
{
  guint max_retries;            /* 'max-retries' */
  gdouble backoff_factor;       /* 'retry-backoff-factor', seconds */
  gdouble backoff_max;          /* 'retry-backoff-max', seconds */
} GstCvAnalyzeRetryPolicy;

/* A backoff is shortened by up to this fraction, at random, so that
 * cameras failing together do not retry together (as the OpenAI SDK). */
#define GST_CV_ANALYZE_RETRY_JITTER 0.25

gboolean gst_cv_analyze_retry_status_is_transient (guint status);

gint64   gst_cv_analyze_retry_backoff_us (const GstCvAnalyzeRetryPolicy * policy,
    guint retry, gdouble random);

gint64   gst_cv_analyze_retry_delay_us (const GstCvAnalyzeRetryPolicy * policy,
    guint retries_done, gint64 retry_after_us, gint64 now_us,
    gint64 deadline_us, gdouble random);

/* The circuit breaker: after 'breaker-threshold' transient failures in a
 * row nothing is sent for a cool-down, then one probe; a failed probe
 * doubles the cool-down, up to GST_CV_ANALYZE_BREAKER_MAX_COOL_DOWN_US.
 * Since the cool-downs double, each is no longer than all before it: a
 * service back after an outage is probed again within the outage's
 * length, and within a minute at most. */
#define GST_CV_ANALYZE_BREAKER_FIRST_COOL_DOWN_US (G_USEC_PER_SEC)
#define GST_CV_ANALYZE_BREAKER_MAX_COOL_DOWN_US (60 * G_USEC_PER_SEC)

typedef enum
{
  GST_CV_ANALYZE_BREAKER_CLOSED,        /* sending */
  GST_CV_ANALYZE_BREAKER_OPEN,  /* cooling down */
  GST_CV_ANALYZE_BREAKER_PROBING,       /* one request out to try */
} GstCvAnalyzeBreakerState;

typedef enum
{
  GST_CV_ANALYZE_BREAKER_NO_CHANGE,
  GST_CV_ANALYZE_BREAKER_OPENED,        /* after the threshold's failures */
  GST_CV_ANALYZE_BREAKER_RECOVERED,     /* the probe was answered */
} GstCvAnalyzeBreakerEvent;

typedef struct
{
  guint threshold;              /* 0: never opens */
  guint failures;               /* in a row */
  GstCvAnalyzeBreakerState state;
  gint64 cool_down_us;          /* the one under way, or the next */
  gint64 open_until_us;
  gint64 opened_at_us;
  guint64 openings;
  gint64 open_time_us;          /* in all, up to the last recovery */
} GstCvAnalyzeBreaker;

void     gst_cv_analyze_breaker_init (GstCvAnalyzeBreaker * breaker,
    guint threshold);

gboolean gst_cv_analyze_breaker_allow (GstCvAnalyzeBreaker * breaker,
    gint64 now_us);

GstCvAnalyzeBreakerEvent gst_cv_analyze_breaker_record (
    GstCvAnalyzeBreaker * breaker, gboolean failed, gint64 now_us);

void     gst_cv_analyze_breaker_abandon_probe (GstCvAnalyzeBreaker * breaker,
    gint64 now_us);

gint64   gst_cv_analyze_breaker_open_time_us (const GstCvAnalyzeBreaker *
    breaker, gint64 now_us);

G_END_DECLS

#endif /* __GST_CV_ANALYZE_RETRY_H__ */
