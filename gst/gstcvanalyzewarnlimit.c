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

#include "gstcvanalyzewarnlimit.h"

typedef struct
{
  gint64 posted_us;             /* when the last one was posted */
  guint64 suppressed;           /* not posted since */
} WarnRecord;

void
gst_cv_analyze_warn_limit_init (GstCvAnalyzeWarnLimit * limit)
{
  limit->kinds = g_hash_table_new_full (NULL, NULL, NULL, g_free);
}

/* Forgets every kind: the next of each is posted. */
void
gst_cv_analyze_warn_limit_clear (GstCvAnalyzeWarnLimit * limit)
{
  g_clear_pointer (&limit->kinds, g_hash_table_unref);
  gst_cv_analyze_warn_limit_init (limit);
}

/* Whether a warning of @kind may be posted at @now_us; if so,
 * @suppressed is set to how many of it were not since the last. */
gboolean
gst_cv_analyze_warn_limit_check (GstCvAnalyzeWarnLimit * limit, guint kind,
    gint64 now_us, guint64 * suppressed)
{
  WarnRecord *r = g_hash_table_lookup (limit->kinds, GUINT_TO_POINTER (kind));

  if (r == NULL) {
    r = g_new0 (WarnRecord, 1);
    g_hash_table_insert (limit->kinds, GUINT_TO_POINTER (kind), r);
  } else if (now_us - r->posted_us < GST_CV_ANALYZE_WARN_PERIOD_US) {
    r->suppressed++;
    return FALSE;
  }
  *suppressed = r->suppressed;
  r->suppressed = 0;
  r->posted_us = now_us;
  return TRUE;
}
