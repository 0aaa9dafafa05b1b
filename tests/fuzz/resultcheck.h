/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __CV_RESULT_CHECK_H__
#define __CV_RESULT_CHECK_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* What the parser promises of every string it hands on, checked from the
 * outside: shared by the parser's unit tests, the fuzz target and the
 * element's hostile-service tests. Each returns NULL when the promise
 * holds, else a description of what breaks it (free with g_free()). */

gchar *cv_check_safe_text (const gchar * text, guint max_chars);

gchar *cv_check_safe_structure (const GstStructure * s);

gchar *cv_check_safe_json (const gchar * json);

G_END_DECLS

#endif /* __CV_RESULT_CHECK_H__ */
