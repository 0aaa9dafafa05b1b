/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_CV_ANALYZE_META_H__
#define __GST_CV_ANALYZE_META_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#ifdef BUILDING_GST_CV_ANALYZE_META
#define GST_CV_ANALYZE_META_API __attribute__ ((visibility ("default")))
#else
#define GST_CV_ANALYZE_META_API
#endif

/**
 * GST_CV_ANALYZE_META_NAME:
 *
 * Name of the #GstCustomMeta that cvanalyze attaches to video buffers.
 * From Python: `buffer.get_custom_meta ("GstCvAnalyzeMeta").get_structure ()`.
 */
#define GST_CV_ANALYZE_META_NAME "GstCvAnalyzeMeta"

GST_CV_ANALYZE_META_API
void            gst_cv_analyze_meta_register      (void);

GST_CV_ANALYZE_META_API
GstCustomMeta * gst_buffer_add_cv_analyze_meta    (GstBuffer * buffer,
                                                   const GstStructure * result);

GST_CV_ANALYZE_META_API
GstCustomMeta * gst_buffer_add_cv_analyze_meta_shared (GstBuffer * buffer,
                                                   GstSample * result,
                                                   const GstStructure * fields);

GST_CV_ANALYZE_META_API
GstCustomMeta * gst_buffer_get_cv_analyze_meta    (GstBuffer * buffer);

GST_CV_ANALYZE_META_API
GstSample *     gst_cv_analyze_meta_get_sample    (GstCustomMeta * meta);

GST_CV_ANALYZE_META_API
const GstStructure * gst_cv_analyze_meta_get_result (GstCustomMeta * meta);

GST_CV_ANALYZE_META_API
const gchar *   gst_cv_analyze_meta_get_caption   (GstCustomMeta * meta,
                                                   gdouble * confidence);

GST_CV_ANALYZE_META_API
gchar **        gst_cv_analyze_meta_get_tags      (GstCustomMeta * meta);

GST_CV_ANALYZE_META_API
GstClockTime    gst_cv_analyze_meta_get_frame_pts (GstCustomMeta * meta);

GST_CV_ANALYZE_META_API
GstClockTime    gst_cv_analyze_meta_get_first_frame_pts (GstCustomMeta * meta);

GST_CV_ANALYZE_META_API
GstClockTime    gst_cv_analyze_meta_get_latency   (GstCustomMeta * meta);

GST_CV_ANALYZE_META_API
const gchar *   gst_cv_analyze_meta_region_field  (const gchar * roi_type);

GST_CV_ANALYZE_META_API
const GstStructure * gst_cv_analyze_meta_get_region (GstCustomMeta * meta,
                                                   GQuark roi_type,
                                                   gint id);

G_END_DECLS

#endif /* __GST_CV_ANALYZE_META_H__ */
