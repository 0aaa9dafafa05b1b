/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __CV_QUOTA_H__
#define __CV_QUOTA_H__

#include <glib.h>

G_BEGIN_DECLS

/**
 * CvQuota:
 *
 * A request quota as a rate-limited service enforces it: a limit of
 * requests per window of time (Azure's "20 calls per minute", OpenAI's
 * requests per minute), as a token bucket of that many requests refilled
 * continuously over the window; the requests beyond it are refused (429)
 * with the wait until one more would be admitted. It also says what a
 * service tells its clients in x-ratelimit-* headers. The time is passed
 * in, so that tests can drive it with a clock of their own. Not
 * thread-safe.
 */
typedef struct _CvQuota CvQuota;

CvQuota *cv_quota_new (guint limit, gint64 window_us);

void cv_quota_free (CvQuota * quota);

gboolean cv_quota_take (CvQuota * quota, gint64 now_us, gint64 * wait_us);

guint cv_quota_remaining (CvQuota * quota, gint64 now_us);

gint64 cv_quota_reset_us (CvQuota * quota, gint64 now_us);

gchar *cv_quota_format_duration (gint64 us);

G_END_DECLS

#endif /* __CV_QUOTA_H__ */
