/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_CV_ANALYZE_H__
#define __GST_CV_ANALYZE_H__

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_CV_ANALYZE (gst_cv_analyze_get_type ())
G_DECLARE_FINAL_TYPE (GstCvAnalyze, gst_cv_analyze, GST, CV_ANALYZE,
    GstBaseTransform)

/**
 * GstCvAnalyzeApiVersion:
 * @GST_CV_ANALYZE_API_V2_0: Computer Vision v2.0
 * @GST_CV_ANALYZE_API_V2_1: Computer Vision v2.1
 * @GST_CV_ANALYZE_API_V3_2: Computer Vision v3.2
 *
 * Version of the Analyze Image REST API to call.
 */
typedef enum
{
  GST_CV_ANALYZE_API_V2_0,
  GST_CV_ANALYZE_API_V2_1,
  GST_CV_ANALYZE_API_V3_2,
} GstCvAnalyzeApiVersion;

#define GST_TYPE_CV_ANALYZE_API_VERSION (gst_cv_analyze_api_version_get_type ())
GType gst_cv_analyze_api_version_get_type (void);

GST_ELEMENT_REGISTER_DECLARE (cvanalyze);

G_END_DECLS

#endif /* __GST_CV_ANALYZE_H__ */
