/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Draws the caption for overlay=true: Pango lays the text out (wrapping,
 * ellipsizing, any script), cairo renders it once per caption and frame
 * size, and GstVideoOverlayComposition blends it into frames of any
 * format, as GStreamer's textoverlay does. The text is set as plain text,
 * never as markup, so '<' or '&' from the service are drawn as they are. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <pango/pangocairo.h>

#include "gstcvanalyzeoverlay.h"

#define DEFAULT_FONT "Sans Bold"

struct _GstCvAnalyzeOverlay
{
  PangoFontMap *font_map;
  PangoContext *context;
  gchar *font_desc;
  GstCvAnalyzeVAlign valign;
  GstCvAnalyzeHAlign halign;

  /* the last composition, reused while text and frame size stay */
  gchar *text;
  gint width;
  gint height;
  GstVideoOverlayComposition *composition;
};

GType
gst_cv_analyze_valign_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_CV_ANALYZE_VALIGN_TOP, "At the top", "top"},
    {GST_CV_ANALYZE_VALIGN_CENTER, "In the middle", "center"},
    {GST_CV_ANALYZE_VALIGN_BOTTOM, "At the bottom", "bottom"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstCvAnalyzeVAlign", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_cv_analyze_halign_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_CV_ANALYZE_HALIGN_LEFT, "On the left", "left"},
    {GST_CV_ANALYZE_HALIGN_CENTER, "In the middle", "center"},
    {GST_CV_ANALYZE_HALIGN_RIGHT, "On the right", "right"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstCvAnalyzeHAlign", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GstCvAnalyzeOverlay *
gst_cv_analyze_overlay_new (void)
{
  GstCvAnalyzeOverlay *overlay = g_new0 (GstCvAnalyzeOverlay, 1);

  overlay->font_map = pango_cairo_font_map_new ();
  overlay->context = pango_font_map_create_context (overlay->font_map);
  overlay->font_desc = g_strdup (DEFAULT_FONT);
  overlay->valign = GST_CV_ANALYZE_VALIGN_BOTTOM;
  overlay->halign = GST_CV_ANALYZE_HALIGN_CENTER;
  return overlay;
}

static void
forget_composition (GstCvAnalyzeOverlay * overlay)
{
  g_clear_pointer (&overlay->text, g_free);
  if (overlay->composition)
    gst_video_overlay_composition_unref (overlay->composition);
  overlay->composition = NULL;
}

void
gst_cv_analyze_overlay_free (GstCvAnalyzeOverlay * overlay)
{
  forget_composition (overlay);
  g_object_unref (overlay->context);
  g_object_unref (overlay->font_map);
  g_free (overlay->font_desc);
  g_free (overlay);
}

void
gst_cv_analyze_overlay_set_style (GstCvAnalyzeOverlay * overlay,
    const gchar * font_desc, GstCvAnalyzeVAlign valign,
    GstCvAnalyzeHAlign halign)
{
  const gchar *font = font_desc && *font_desc ? font_desc : DEFAULT_FONT;

  if (g_strcmp0 (font, overlay->font_desc) == 0 && valign == overlay->valign
      && halign == overlay->halign)
    return;
  g_free (overlay->font_desc);
  overlay->font_desc = g_strdup (font);
  overlay->valign = valign;
  overlay->halign = halign;
  forget_composition (overlay);
}

/* The font for @height-pixel frames: without a size in font-desc, scale
 * with the picture, about 18 lines of text to the frame's height. */
static PangoFontDescription *
font_for_height (GstCvAnalyzeOverlay * overlay, gint height)
{
  PangoFontDescription *desc =
      pango_font_description_from_string (overlay->font_desc);

  if (pango_font_description_get_size (desc) == 0)
    pango_font_description_set_absolute_size (desc,
        MAX (10, height / 18) * PANGO_SCALE);
  return desc;
}

/**
 * gst_cv_analyze_overlay_load_font:
 *
 * Loads the font for @height-pixel frames now: setting up fontconfig and
 * loading a font take milliseconds, once, which the first caption drawn
 * would otherwise add to its frame.
 */
void
gst_cv_analyze_overlay_load_font (GstCvAnalyzeOverlay * overlay, gint height)
{
  PangoFontDescription *desc = font_for_height (overlay, height);
  PangoFont *font = pango_font_map_load_font (overlay->font_map,
      overlay->context, desc);

  g_clear_object (&font);
  pango_font_description_free (desc);
}

static PangoLayout *
make_layout (GstCvAnalyzeOverlay * overlay, const gchar * text, gint width,
    gint height, gint margin)
{
  PangoLayout *layout = pango_layout_new (overlay->context);
  PangoFontDescription *desc = font_for_height (overlay, height);
  static const PangoAlignment align[] = { PANGO_ALIGN_LEFT,
    PANGO_ALIGN_CENTER, PANGO_ALIGN_RIGHT
  };

  pango_layout_set_font_description (layout, desc);
  pango_font_description_free (desc);

  pango_layout_set_width (layout, MAX (1, width - 4 * margin) * PANGO_SCALE);
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_height (layout, -GST_CV_ANALYZE_OVERLAY_MAX_LINES);
  pango_layout_set_alignment (layout, align[overlay->halign]);
  pango_layout_set_text (layout, text, -1);
  return layout;
}

/* The caption drawn white on a translucent black box, premultiplied ARGB
 * as GstVideoOverlayRectangle takes it. */
static GstVideoOverlayComposition *
render (GstCvAnalyzeOverlay * overlay, const gchar * text, gint width,
    gint height)
{
  gint margin = MAX (2, height / 40);
  PangoLayout *layout = make_layout (overlay, text, width, height, margin);
  PangoRectangle ink, logical;
  cairo_surface_t *surface;
  cairo_t *cr;
  GstBuffer *pixels;
  GstVideoOverlayRectangle *rect;
  GstVideoOverlayComposition *composition;
  gsize offsets[GST_VIDEO_MAX_PLANES] = { 0, };
  gint strides[GST_VIDEO_MAX_PLANES] = { 0, };
  gint box_w, box_h, x, y;

  pango_layout_get_pixel_extents (layout, &ink, &logical);
  box_w = MIN (logical.width + 2 * margin, width);
  box_h = MIN (logical.height + 2 * margin, height);

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, box_w, box_h);
  cr = cairo_create (surface);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.6);
  cairo_paint (cr);
  cairo_move_to (cr, margin - logical.x, margin - logical.y);
  cairo_set_source_rgba (cr, 1, 1, 1, 1);
  pango_cairo_show_layout (cr, layout);
  cairo_destroy (cr);
  cairo_surface_flush (surface);

  strides[0] = cairo_image_surface_get_stride (surface);
  pixels = gst_buffer_new_memdup (cairo_image_surface_get_data (surface),
      (gsize) strides[0] * box_h);
  gst_buffer_add_video_meta_full (pixels, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, box_w, box_h, 1, offsets,
      strides);
  cairo_surface_destroy (surface);
  g_object_unref (layout);

  switch (overlay->halign) {
    case GST_CV_ANALYZE_HALIGN_LEFT:
      x = margin;
      break;
    case GST_CV_ANALYZE_HALIGN_RIGHT:
      x = width - box_w - margin;
      break;
    default:
      x = (width - box_w) / 2;
      break;
  }
  switch (overlay->valign) {
    case GST_CV_ANALYZE_VALIGN_TOP:
      y = margin;
      break;
    case GST_CV_ANALYZE_VALIGN_CENTER:
      y = (height - box_h) / 2;
      break;
    default:
      y = height - box_h - margin;
      break;
  }
  rect = gst_video_overlay_rectangle_new_raw (pixels, MAX (0, x), MAX (0, y),
      box_w, box_h, GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
  gst_buffer_unref (pixels);
  composition = gst_video_overlay_composition_new (rect);
  gst_video_overlay_rectangle_unref (rect);
  return composition;
}

/**
 * gst_cv_analyze_overlay_get_composition:
 *
 * Returns: (transfer none): @text laid out for a @width x @height frame,
 * rendered once and reused while neither changes.
 */
GstVideoOverlayComposition *
gst_cv_analyze_overlay_get_composition (GstCvAnalyzeOverlay * overlay,
    const gchar * text, gint width, gint height)
{
  if (overlay->composition && width == overlay->width
      && height == overlay->height && g_strcmp0 (text, overlay->text) == 0)
    return overlay->composition;

  forget_composition (overlay);
  overlay->composition = render (overlay, text, width, height);
  overlay->text = g_strdup (text);
  overlay->width = width;
  overlay->height = height;
  return overlay->composition;
}
