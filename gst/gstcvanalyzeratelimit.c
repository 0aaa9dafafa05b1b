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

#include <string.h>

#include "gstcvanalyzeratelimit.h"

/* Most requests a count may say are left (more is no limit at all). */
#define MAX_COUNT G_GUINT64_CONSTANT (1000000000)

static gboolean
short_enough (const gchar * text)
{
  return text && *text
      && memchr (text, '\0', GST_CV_ANALYZE_RATE_LIMIT_MAX_VALUE + 1);
}

/* @text as a count of requests: ASCII digits only (no sign, no space),
 * at most MAX_COUNT. */
gboolean
gst_cv_analyze_rate_limit_parse_count (const gchar * text, guint64 * count)
{
  guint64 n = 0;
  const gchar *p;

  if (!short_enough (text))
    return FALSE;
  for (p = text; *p; p++) {
    if (!g_ascii_isdigit (*p))
      return FALSE;
    n = n * 10 + (*p - '0');
    if (n > MAX_COUNT)
      return FALSE;
  }
  *count = n;
  return TRUE;
}

/* One "<number><unit>" of a Go duration at *@p; advances it. */
static gboolean
parse_component (const gchar ** p, gdouble * us)
{
  static const struct
  {
    const gchar *unit;
    gdouble us;
  } units[] = {
    /* the longer first: "ms" before "m" */
    {"ns", 1e-3}, {"us", 1.0}, {"\xc2\xb5s", 1.0}, {"ms", 1e3},
    {"h", 3600e6}, {"m", 60e6}, {"s", 1e6},
  };
  gdouble whole = 0, scale = 1;
  gboolean digits = FALSE, point = FALSE;
  guint i;

  for (; g_ascii_isdigit (**p) || **p == '.'; (*p)++) {
    if (**p == '.') {
      if (point)
        return FALSE;
      point = TRUE;
      continue;
    }
    digits = TRUE;
    if (point)
      whole += (**p - '0') * (scale /= 10);
    else
      whole = whole * 10 + (**p - '0');
  }
  if (!digits)
    return FALSE;
  for (i = 0; i < G_N_ELEMENTS (units); i++) {
    if (g_str_has_prefix (*p, units[i].unit)) {
      *p += strlen (units[i].unit);
      *us = whole * units[i].us;
      return TRUE;
    }
  }
  return FALSE;
}

/* @text as a duration: a Go duration as OpenAI writes them ("1s",
 * "6m0s", "20ms", "1h2m3.5s"), or a plain number of seconds; not
 * negative, at most GST_CV_ANALYZE_RATE_LIMIT_MAX_RESET_US. */
gboolean
gst_cv_analyze_rate_limit_parse_duration (const gchar * text, gint64 * us)
{
  const gchar *p = text;
  gdouble total = 0, part;
  gchar *end;

  if (!short_enough (text))
    return FALSE;
  /* A plain number: digits and at most one point, nothing else (strtod
   * alone would take "inf", "1e9" and hexadecimal too). */
  if (strspn (text, "0123456789.") == strlen (text)) {
    if (strchr (text, '.') != strrchr (text, '.') || !g_ascii_isdigit
        (text[strspn (text, ".")]))
      return FALSE;
    total = g_ascii_strtod (text, &end) * 1e6;
  } else {
    while (*p) {
      if (!parse_component (&p, &part))
        return FALSE;
      total += part;
    }
  }
  if (total > GST_CV_ANALYZE_RATE_LIMIT_MAX_RESET_US)
    return FALSE;
  *us = (gint64) total;
  return TRUE;
}

/* What x-ratelimit-remaining-requests (@remaining_text) and
 * x-ratelimit-reset-requests (@reset_text, nullable) say: TRUE with both
 * out values when the count is valid (the reset then defaults to
 * GST_CV_ANALYZE_RATE_LIMIT_DEFAULT_RESET_US if absent), FALSE when there
 * is nothing usable. */
gboolean
gst_cv_analyze_rate_limit_read (const gchar * remaining_text,
    const gchar * reset_text, guint64 * remaining, gint64 * reset_us)
{
  if (!gst_cv_analyze_rate_limit_parse_count (remaining_text, remaining))
    return FALSE;
  if (reset_text == NULL) {
    *reset_us = GST_CV_ANALYZE_RATE_LIMIT_DEFAULT_RESET_US;
    return TRUE;
  }
  return gst_cv_analyze_rate_limit_parse_duration (reset_text, reset_us);
}
