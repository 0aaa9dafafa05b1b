/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * The local server's request quota: a token bucket, the model OpenAI
 * describes its limits with. It holds 'limit' requests and refills
 * continuously, 'limit' per window: a client may burst the whole bucket,
 * then go at limit / window. Fixed memory whatever the clients send.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "cvquota.h"

#include <math.h>
#include <string.h>

struct _CvQuota
{
  guint limit;
  gdouble per_us;               /* refill: limit / window */
  gdouble tokens;               /* requests admissible now, up to limit */
  gint64 last_us;               /* when tokens was true */
};

/**
 * cv_quota_new:
 * @limit: requests the bucket holds, and admits per window (at least 1)
 * @window_us: the window, in microseconds (at least 1)
 */
CvQuota *
cv_quota_new (guint limit, gint64 window_us)
{
  CvQuota *quota = g_new0 (CvQuota, 1);

  quota->limit = MAX (limit, 1);
  quota->per_us = (gdouble) quota->limit / MAX (window_us, 1);
  quota->tokens = quota->limit;
  quota->last_us = G_MININT64;
  return quota;
}

void
cv_quota_free (CvQuota * quota)
{
  g_free (quota);
}

/* Refills the bucket up to @now_us. */
static void
refill (CvQuota * quota, gint64 now_us)
{
  if (quota->last_us != G_MININT64 && now_us > quota->last_us)
    quota->tokens = MIN (quota->limit, quota->tokens +
        (now_us - quota->last_us) * quota->per_us);
  if (quota->last_us == G_MININT64 || now_us > quota->last_us)
    quota->last_us = now_us;
}

/**
 * cv_quota_take:
 * @now_us: the time of the request
 * @wait_us: (out) (optional): when refused, how long until a request
 *   would be admitted
 *
 * Returns: whether the request is admitted (and counted); a refused one
 *   is not counted.
 */
gboolean
cv_quota_take (CvQuota * quota, gint64 now_us, gint64 * wait_us)
{
  refill (quota, now_us);
  if (quota->tokens < 1.0) {
    if (wait_us)
      *wait_us = (gint64) ceil ((1.0 - quota->tokens) / quota->per_us);
    return FALSE;
  }
  quota->tokens -= 1.0;
  return TRUE;
}

/* Requests that would be admitted at @now_us (x-ratelimit-remaining-*). */
guint
cv_quota_remaining (CvQuota * quota, gint64 now_us)
{
  refill (quota, now_us);
  return (guint) floor (quota->tokens);
}

/* How long until the bucket is full again: what OpenAI's
 * x-ratelimit-reset-requests says ("the time until the rate limit resets
 * to its initial state"); 0 when it is full. */
gint64
cv_quota_reset_us (CvQuota * quota, gint64 now_us)
{
  refill (quota, now_us);
  return (gint64) ceil ((quota->limit - quota->tokens) / quota->per_us);
}

/**
 * cv_quota_format_duration:
 * @us: a duration, not negative
 *
 * Returns: (transfer full): @us the way OpenAI writes its reset times (Go's
 *   time.Duration): "20ms" below a second, else hours, minutes and
 *   seconds with up to three decimals: "1s", "1.5s", "6m0s", "1h2m3s".
 */
gchar *
cv_quota_format_duration (gint64 us)
{
  gint64 ms = (MAX (us, 0) + 999) / 1000;
  gint64 h = ms / 3600000, m = ms / 60000 % 60;
  gdouble s = (ms % 60000) / 1000.0;
  gchar seconds[G_ASCII_DTOSTR_BUF_SIZE];
  gchar *end;

  if (ms < 1000)
    return g_strdup_printf ("%" G_GINT64_FORMAT "ms", ms);
  g_ascii_formatd (seconds, sizeof (seconds), "%.3f", s);
  /* "1.500" as "1.5", "6.000" as "6", as Go writes them */
  end = seconds + strlen (seconds) - 1;
  while (*end == '0')
    *end-- = '\0';
  if (*end == '.')
    *end = '\0';
  if (h > 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT "h%" G_GINT64_FORMAT "m%ss",
        h, m, seconds);
  if (m > 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT "m%ss", m, seconds);
  return g_strdup_printf ("%ss", seconds);
}
