/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_CV_ANALYZE_SAFE_TEXT_H__
#define __GST_CV_ANALYZE_SAFE_TEXT_H__

#include <glib.h>

G_BEGIN_DECLS

/* Longest texts kept from a service, in characters (a cut text ends in
 * an ellipsis, which counts). Documented in README.md. */
#define GST_CV_ANALYZE_MAX_CAPTION_CHARS 1000   /* captions, read text */
#define GST_CV_ANALYZE_MAX_NAME_CHARS 256       /* tags, names, ids, codes */
#define GST_CV_ANALYZE_MAX_MESSAGE_CHARS 1000   /* error messages */

/* Most items kept from a service's answer; the rest is ignored, so the
 * work after parsing and the size of the result do not grow with what
 * the service sent. The result is copied into the meta of every buffer:
 * a copy of 2000 items takes a few milliseconds, of the 2 million that
 * nested arrays of 1000 could hold, seconds. */
#define GST_CV_ANALYZE_MAX_ARRAY_ITEMS 1000     /* of each JSON array */
#define GST_CV_ANALYZE_MAX_RESULT_ITEMS 2000    /* of all arrays, nested too */
#define GST_CV_ANALYZE_MIN_ARRAY_ITEMS 100      /* kept by an array that is
                                                 * not nested, budget or not */
#define GST_CV_ANALYZE_MAX_TAGS 100             /* in the "tags" summary */

gchar *gst_cv_analyze_safe_text (const gchar * text, gssize length,
    guint max_chars);

G_END_DECLS

#endif /* __GST_CV_ANALYZE_SAFE_TEXT_H__ */
