/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_CV_ANALYZE_RATE_LIMIT_H__
#define __GST_CV_ANALYZE_RATE_LIMIT_H__

#include <glib.h>

G_BEGIN_DECLS

/* What a service says of its request limit in its x-ratelimit-* headers
 * (docs/services.md, "Rate-limit headers"): OpenAI sends
 * x-ratelimit-remaining-requests (a count) and x-ratelimit-reset-requests
 * (a duration: "1s", "6m0s", "20ms"); Azure OpenAI sends the remaining
 * count alone, and -1 when it does not know. The values are untrusted
 * text: anything that is not exactly such a value is ignored. */

/* Longest header value looked at; longer is not a count or a duration. */
#define GST_CV_ANALYZE_RATE_LIMIT_MAX_VALUE 32
/* Longest reset honoured: beyond, it is a quota, not a rate. */
#define GST_CV_ANALYZE_RATE_LIMIT_MAX_RESET_US (G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC)
/* The reset assumed when only the remaining count is sent: Azure OpenAI
 * evaluates its requests-per-minute limit over 1 or 10 s. */
#define GST_CV_ANALYZE_RATE_LIMIT_DEFAULT_RESET_US (10 * G_USEC_PER_SEC)

gboolean gst_cv_analyze_rate_limit_parse_count (const gchar * text,
    guint64 * count);

gboolean gst_cv_analyze_rate_limit_parse_duration (const gchar * text,
    gint64 * us);

gboolean gst_cv_analyze_rate_limit_read (const gchar * remaining_text,
    const gchar * reset_text, guint64 * remaining, gint64 * reset_us);

G_END_DECLS

#endif /* __GST_CV_ANALYZE_RATE_LIMIT_H__ */
