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

G_END_DECLS

#endif /* __GST_CV_ANALYZE_RETRY_H__ */
