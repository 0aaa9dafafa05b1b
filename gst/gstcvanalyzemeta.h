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

typedef struct _GstCvAnalyzeMeta GstCvAnalyzeMeta;

/**
 * GstCvAnalyzeMeta:
 * @meta: the parent #GstMeta
 * @result: the shared result: an immutable #GstSample whose info structure
 *   is the result model (`cvanalyze-result`); read it with
 *   gst_cv_analyze_meta_get_result() and never change it
 *
 * What cvanalyze learned about a frame, attached to the buffers that follow
 * it. One result is one object on every buffer it is attached to.
 */
struct _GstCvAnalyzeMeta
{
  GstMeta meta;

  GstSample *result;
};

/**
 * GST_CV_ANALYZE_META_API_TYPE:
 *
 * The API type of #GstCvAnalyzeMeta, for gst_buffer_get_meta() and
 * allocation queries.
 */
#define GST_CV_ANALYZE_META_API_TYPE (gst_cv_analyze_meta_api_get_type ())

/**
 * GST_CV_ANALYZE_META_INFO:
 *
 * The #GstMetaInfo of #GstCvAnalyzeMeta.
 */
#define GST_CV_ANALYZE_META_INFO (gst_cv_analyze_meta_get_info ())

GST_CV_ANALYZE_META_API
GType           gst_cv_analyze_meta_api_get_type  (void);

GST_CV_ANALYZE_META_API
const GstMetaInfo * gst_cv_analyze_meta_get_info  (void);

GST_CV_ANALYZE_META_API
void            gst_cv_analyze_meta_register      (void);

GST_CV_ANALYZE_META_API
GstCvAnalyzeMeta * gst_buffer_add_cv_analyze_meta (GstBuffer * buffer,
                                                   const GstStructure * result);

GST_CV_ANALYZE_META_API
GstCvAnalyzeMeta * gst_buffer_add_cv_analyze_meta_shared (GstBuffer * buffer,
                                                   GstSample * result);

GST_CV_ANALYZE_META_API
GstCvAnalyzeMeta * gst_buffer_get_cv_analyze_meta (GstBuffer * buffer);

GST_CV_ANALYZE_META_API
GstSample *     gst_cv_analyze_meta_get_sample    (GstCvAnalyzeMeta * meta);

GST_CV_ANALYZE_META_API
const GstStructure * gst_cv_analyze_meta_get_result (GstCvAnalyzeMeta * meta);

GST_CV_ANALYZE_META_API
const gchar *   gst_cv_analyze_meta_get_caption   (GstCvAnalyzeMeta * meta,
                                                   gdouble * confidence);

GST_CV_ANALYZE_META_API
gchar **        gst_cv_analyze_meta_get_tags      (GstCvAnalyzeMeta * meta);

GST_CV_ANALYZE_META_API
GstClockTime    gst_cv_analyze_meta_get_frame_pts (GstCvAnalyzeMeta * meta);

GST_CV_ANALYZE_META_API
GstClockTime    gst_cv_analyze_meta_get_first_frame_pts (GstCvAnalyzeMeta * meta);

GST_CV_ANALYZE_META_API
GstClockTime    gst_cv_analyze_meta_get_latency   (GstCvAnalyzeMeta * meta);

GST_CV_ANALYZE_META_API
const gchar *   gst_cv_analyze_meta_region_field  (const gchar * roi_type);

GST_CV_ANALYZE_META_API
const GstStructure * gst_cv_analyze_meta_get_region (GstCvAnalyzeMeta * meta,
                                                   GQuark roi_type,
                                                   gint id);

G_END_DECLS

#endif /* __GST_CV_ANALYZE_META_H__ */
