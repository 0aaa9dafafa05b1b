/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_CV_ANALYZE_OVERLAY_H__
#define __GST_CV_ANALYZE_OVERLAY_H__

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

typedef enum
{
  GST_CV_ANALYZE_VALIGN_TOP,
  GST_CV_ANALYZE_VALIGN_CENTER,
  GST_CV_ANALYZE_VALIGN_BOTTOM,
} GstCvAnalyzeVAlign;

typedef enum
{
  GST_CV_ANALYZE_HALIGN_LEFT,
  GST_CV_ANALYZE_HALIGN_CENTER,
  GST_CV_ANALYZE_HALIGN_RIGHT,
} GstCvAnalyzeHAlign;

#define GST_TYPE_CV_ANALYZE_VALIGN (gst_cv_analyze_valign_get_type ())
GType gst_cv_analyze_valign_get_type (void);
#define GST_TYPE_CV_ANALYZE_HALIGN (gst_cv_analyze_halign_get_type ())
GType gst_cv_analyze_halign_get_type (void);

/* Most lines drawn per paragraph (caption, tags): longer text is cut with
 * an ellipsis so that it never covers the picture. */
#define GST_CV_ANALYZE_OVERLAY_MAX_LINES 3

typedef struct _GstCvAnalyzeOverlay GstCvAnalyzeOverlay;

GstCvAnalyzeOverlay *gst_cv_analyze_overlay_new (void);

void     gst_cv_analyze_overlay_free (GstCvAnalyzeOverlay * overlay);

void     gst_cv_analyze_overlay_set_style (GstCvAnalyzeOverlay * overlay,
    const gchar * font_desc, GstCvAnalyzeVAlign valign,
    GstCvAnalyzeHAlign halign);

void     gst_cv_analyze_overlay_load_font (GstCvAnalyzeOverlay * overlay,
    gint height);

GstVideoOverlayComposition *gst_cv_analyze_overlay_get_composition (
    GstCvAnalyzeOverlay * overlay, const gchar * text, gint width, gint height);

G_END_DECLS

#endif /* __GST_CV_ANALYZE_OVERLAY_H__ */
