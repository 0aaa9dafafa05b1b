/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "gstcvanalyzeretry.h"

/* The statuses that say "not now" rather than "never": a timeout, too
 * many requests, and the server's or a gateway's trouble. */
gboolean
gst_cv_analyze_retry_status_is_transient (guint status)
{
  switch (status) {
    case 408:                  /* Request Timeout */
    case 429:                  /* Too Many Requests */
    case 500:
    case 502:                  /* Bad Gateway */
    case 503:                  /* Service Unavailable */
    case 504:                  /* Gateway Timeout */
      return TRUE;
    default:
      return FALSE;
  }
}

/* The wait before retry number @retry (1 for the first), as souphttpsrc
 * waits: none before the first (most failures are gone on a second try),
 * then backoff_factor * 2^(retries before it) seconds, at most backoff_max,
 * shortened by up to GST_CV_ANALYZE_RETRY_JITTER times itself: @random is
 * in [0, 1). */
gint64
gst_cv_analyze_retry_backoff_us (const GstCvAnalyzeRetryPolicy * policy,
    guint retry, gdouble random)
{
  gdouble seconds;

  if (retry <= 1)
    return 0;
  seconds = MIN (policy->backoff_factor * ldexp (1.0, (gint) MIN (retry - 1,
              62)), policy->backoff_max);
  seconds *= 1.0 - GST_CV_ANALYZE_RETRY_JITTER * CLAMP (random, 0.0, 1.0);
  return (gint64) (seconds * G_USEC_PER_SEC);
}

/* How long to wait before sending the frame again after its
 * (@retries_done + 1)th failure, or -1 for not at all: when max_retries
 * have been made, or when the retry would start at or after @deadline_us
 * (the frame would no longer be fresher than the next one). A wait the
 * service asked for (@retry_after_us > 0: Retry-After or retry-after-ms)
 * is kept exactly, without jitter. */
gint64
gst_cv_analyze_retry_delay_us (const GstCvAnalyzeRetryPolicy * policy,
    guint retries_done, gint64 retry_after_us, gint64 now_us,
    gint64 deadline_us, gdouble random)
{
  gint64 delay;

  if (retries_done >= policy->max_retries)
    return -1;
  delay = retry_after_us > 0 ? retry_after_us :
      gst_cv_analyze_retry_backoff_us (policy, retries_done + 1, random);
  if (now_us + delay >= deadline_us)
    return -1;
  return delay;
}

void
gst_cv_analyze_breaker_init (GstCvAnalyzeBreaker * breaker, guint threshold)
{
  memset (breaker, 0, sizeof (*breaker));
  breaker->threshold = threshold;
  breaker->cool_down_us = GST_CV_ANALYZE_BREAKER_FIRST_COOL_DOWN_US;
}

/* Whether a request may go at @now_us: always while closed; once the
 * cool-down is over, one (the probe), then none until its outcome is
 * recorded. */
gboolean
gst_cv_analyze_breaker_allow (GstCvAnalyzeBreaker * breaker, gint64 now_us)
{
  switch (breaker->state) {
    case GST_CV_ANALYZE_BREAKER_CLOSED:
      return TRUE;
    case GST_CV_ANALYZE_BREAKER_OPEN:
      if (now_us < breaker->open_until_us)
        return FALSE;
      breaker->state = GST_CV_ANALYZE_BREAKER_PROBING;
      return TRUE;
    default:
      return FALSE;
  }
}

static void
open_for (GstCvAnalyzeBreaker * breaker, gint64 now_us)
{
  breaker->state = GST_CV_ANALYZE_BREAKER_OPEN;
  breaker->open_until_us = now_us + breaker->cool_down_us;
}

/* The outcome of a request: @failed for a transient failure (the kinds
 * that are retried), else the service answered. */
GstCvAnalyzeBreakerEvent
gst_cv_analyze_breaker_record (GstCvAnalyzeBreaker * breaker,
    gboolean failed, gint64 now_us)
{
  if (!failed) {
    breaker->failures = 0;
    if (breaker->state == GST_CV_ANALYZE_BREAKER_CLOSED)
      return GST_CV_ANALYZE_BREAKER_NO_CHANGE;
    breaker->open_time_us += now_us - breaker->opened_at_us;
    breaker->state = GST_CV_ANALYZE_BREAKER_CLOSED;
    breaker->cool_down_us = GST_CV_ANALYZE_BREAKER_FIRST_COOL_DOWN_US;
    return GST_CV_ANALYZE_BREAKER_RECOVERED;
  }

  breaker->failures++;
  switch (breaker->state) {
    case GST_CV_ANALYZE_BREAKER_PROBING:
      breaker->cool_down_us = MIN (breaker->cool_down_us * 2,
          GST_CV_ANALYZE_BREAKER_MAX_COOL_DOWN_US);
      open_for (breaker, now_us);
      return GST_CV_ANALYZE_BREAKER_NO_CHANGE;
    case GST_CV_ANALYZE_BREAKER_CLOSED:
      if (breaker->threshold == 0 || breaker->failures < breaker->threshold)
        return GST_CV_ANALYZE_BREAKER_NO_CHANGE;
      breaker->openings++;
      breaker->opened_at_us = now_us;
      open_for (breaker, now_us);
      return GST_CV_ANALYZE_BREAKER_OPENED;
    default:                   /* answers of requests sent before it opened */
      return GST_CV_ANALYZE_BREAKER_NO_CHANGE;
  }
}

/* The probe will not be answered (a flush cancelled it): the next request
 * probes instead. */
void
gst_cv_analyze_breaker_abandon_probe (GstCvAnalyzeBreaker * breaker,
    gint64 now_us)
{
  if (breaker->state == GST_CV_ANALYZE_BREAKER_PROBING) {
    breaker->state = GST_CV_ANALYZE_BREAKER_OPEN;
    breaker->open_until_us = now_us;
  }
}

/* Time spent open, the current opening included. */
gint64
gst_cv_analyze_breaker_open_time_us (const GstCvAnalyzeBreaker * breaker,
    gint64 now_us)
{
  return breaker->open_time_us +
      (breaker->state == GST_CV_ANALYZE_BREAKER_CLOSED ? 0 :
      now_us - breaker->opened_at_us);
}
