/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_CV_ANALYZE_ENCODER_H__
#define __GST_CV_ANALYZE_ENCODER_H__

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/* The raw video formats the encoder takes (and so the element's caps):
 * besides planar YUV and RGB, what cameras and decoders hand out as they
 * are (packed and semi-planar 4:2:2, 10-bit), so no videoconvert is
 * needed in front of the element. */
#define GST_CV_ANALYZE_ENCODER_FORMATS \
  "{ I420, YV12, NV12, NV21, Y42B, Y444, YUY2, UYVY, YVYU, NV16, NV61, " \
  "NV24, I420_10LE, P010_10LE, RGB, BGR, RGBx, BGRx, xRGB, xBGR, " \
  "RGBA, BGRA, ARGB, ABGR, GRAY8 }"

/* Smallest side the service accepts: Azure wants images "greater than
 * 50 x 50 pixels", so 50 itself is refused. */
#define GST_CV_ANALYZE_MIN_DIMENSION 51

void     gst_cv_analyze_encoder_target_size (gint in_width, gint in_height,
                                             guint max_dimension,
                                             gint * out_width, gint * out_height);

GBytes * gst_cv_analyze_encoder_encode (const GstVideoFrame * frame,
                                        guint max_dimension, gint quality,
                                        gint * out_width, gint * out_height,
                                        GError ** error);

GBytes * gst_cv_analyze_encoder_encode_jpeg (const guint8 * data, gsize size,
                                             guint max_dimension, gint quality,
                                             gsize max_bytes,
                                             gint * out_width, gint * out_height,
                                             GError ** error);

GBytes * gst_cv_analyze_encoder_crop_jpeg (const guint8 * data, gsize size,
                                            gint x, gint y, gint width,
                                            gint height, gint out_width,
                                            gint out_height, gint quality,
                                            GError ** error);

G_END_DECLS

#endif /* __GST_CV_ANALYZE_ENCODER_H__ */
