/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_CV_ANALYZE_URL_H__
#define __GST_CV_ANALYZE_URL_H__

#include <glib.h>

G_BEGIN_DECLS

/* What the services share to build their request URLs from the settings. */

GString     *gst_cv_analyze_url_new          (const gchar * endpoint,
                                              const gchar * path);

void         gst_cv_analyze_url_append_query (GString * url,
                                              const gchar * name,
                                              const gchar * value);

gboolean     gst_cv_analyze_url_is_loopback  (const gchar * url);

const gchar *gst_cv_analyze_names_find       (const gchar * name,
                                              const gchar * const *known);

gchar       *gst_cv_analyze_names_normalize  (const gchar * list,
                                              const gchar * const *known,
                                              gchar ** bad_name);

G_END_DECLS

#endif /* __GST_CV_ANALYZE_URL_H__ */
