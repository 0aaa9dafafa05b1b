/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * The local server's request quota: the times of the requests admitted in
 * the last window, oldest first, in a ring of 'limit' entries (the memory
 * is fixed whatever the clients send).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "cvquota.h"

#include <string.h>

struct _CvQuota
{
  guint limit;
  gint64 window_us;
  gint64 *admitted;             /* ring of limit entries */
  guint first;
  guint count;
};

/**
 * cv_quota_new:
 * @limit: requests admitted in any window (at least 1)
 * @window_us: the window, in microseconds (at least 1)
 */
CvQuota *
cv_quota_new (guint limit, gint64 window_us)
{
  CvQuota *quota = g_new0 (CvQuota, 1);

  quota->limit = MAX (limit, 1);
  quota->window_us = MAX (window_us, 1);
  quota->admitted = g_new0 (gint64, quota->limit);
  return quota;
}

void
cv_quota_free (CvQuota * quota)
{
  if (quota == NULL)
    return;
  g_free (quota->admitted);
  g_free (quota);
}

/* Forgets the requests that left the window by @now_us. */
static void
expire (CvQuota * quota, gint64 now_us)
{
  while (quota->count > 0
      && quota->admitted[quota->first] + quota->window_us <= now_us) {
    quota->first = (quota->first + 1) % quota->limit;
    quota->count--;
  }
}

/**
 * cv_quota_take:
 * @now_us: the time of the request (never earlier than the last one's)
 * @wait_us: (out) (optional): when refused, how long until a request
 *   would be admitted: until the oldest admitted one leaves the window
 *
 * Returns: whether the request is admitted (and counted); a refused one
 *   is not counted.
 */
gboolean
cv_quota_take (CvQuota * quota, gint64 now_us, gint64 * wait_us)
{
  expire (quota, now_us);
  if (quota->count == quota->limit) {
    if (wait_us)
      *wait_us = quota->admitted[quota->first] + quota->window_us - now_us;
    return FALSE;
  }
  quota->admitted[(quota->first + quota->count) % quota->limit] = now_us;
  quota->count++;
  return TRUE;
}

/* Requests that would be admitted at @now_us (x-ratelimit-remaining-*). */
guint
cv_quota_remaining (CvQuota * quota, gint64 now_us)
{
  expire (quota, now_us);
  return quota->limit - quota->count;
}

/* How long until the quota is whole again, as OpenAI's
 * x-ratelimit-reset-requests says: until the newest admitted request
 * leaves the window; 0 when it is whole. */
gint64
cv_quota_reset_us (CvQuota * quota, gint64 now_us)
{
  guint newest;

  expire (quota, now_us);
  if (quota->count == 0)
    return 0;
  newest = (quota->first + quota->count - 1) % quota->limit;
  return quota->admitted[newest] + quota->window_us - now_us;
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
