/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/**
 * SECTION:gstcvanalyzemeta
 * @title: GstCvAnalyzeMeta
 * @short_description: image-analysis results attached to video buffers
 *
 * cvanalyze attaches its results to video buffers as a #GstCvAnalyzeMeta.
 * A result is shared, never copied: it is an immutable #GstSample whose
 * info structure is the whole result model (the `cvanalyze-result`
 * structure documented in README.md), and the meta holds nothing but a
 * reference to it. What belongs to the analysed frame is in the result
 * too, next to the model's fields:
 *
 * - `frame-pts` (#guint64): PTS of the frame that was analysed; compare it
 *   with the buffer's own PTS to tell how old the result is.
 * - `first-frame-pts` (#guint64): PTS of the oldest frame sent with it.
 * - `frame-running-time` (#guint64): running time of that frame.
 * - `latency` (#guint64): nanoseconds from sampling the frame to the answer.
 * - `image-width`, `image-height` (#gint): size of the JPEG that was
 *   analysed; rectangles in the result are in these coordinates.
 *
 * Attaching a result to a buffer, and every copy of the meta downstream
 * (its transform takes another reference), costs one reference, however
 * big the result is: no structure is made or copied per buffer.
 *
 * Faces, objects, dense captions, people, smart crops and lines of text are
 * also attached as #GstVideoRegionOfInterestMeta, in the buffer's own
 * pixels, which refer to the shared result instead of copying from it:
 * `roi_type` is the quark of `face`, `object`, `dense-caption`, `person`,
 * `crop` or `text`, and `id` the index of the region in the result's array
 * (gst_cv_analyze_meta_region_field()); gst_cv_analyze_meta_get_region()
 * gives that entry.
 *
 * The meta carries no pixel coordinates of the buffer, so it has no tags:
 * videoconvert, videoscale and other transforms keep it unchanged.
 *
 * From C:
 * |[
 * GstCvAnalyzeMeta *meta = gst_buffer_get_cv_analyze_meta (buffer);
 * if (meta)
 *   g_print ("%s\n", gst_cv_analyze_meta_get_caption (meta, NULL));
 * ]|
 *
 * From Python and other languages, through this library's GObject
 * introspection data (the `GstCvAnalyze-1.0` typelib):
 * |[
 * gi.require_version ("GstCvAnalyze", "1.0")
 * from gi.repository import GstCvAnalyze
 * meta = GstCvAnalyze.buffer_get_cv_analyze_meta (buf)
 * if meta:
 *     result = meta.get_result ()
 *     print (result.get_string ("caption"), result.get_value ("frame-pts"))
 *     for face in result.get_value ("faces") or []:
 *         print (face.get_int ("x"), face.get_string ("gender"))
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcvanalyzemeta.h"

/**
 * gst_cv_analyze_meta_api_get_type:
 *
 * Returns: the API type of #GstCvAnalyzeMeta.
 */
GType
gst_cv_analyze_meta_api_get_type (void)
{
  static GType type = 0;
  static const gchar *tags[] = { NULL };

  if (g_once_init_enter (&type)) {
    GType api = gst_meta_api_type_register ("GstCvAnalyzeMetaAPI", tags);

    g_once_init_leave (&type, api);
  }
  return type;
}

static gboolean
cv_analyze_meta_init (GstMeta * meta, gpointer params, GstBuffer * buffer)
{
  ((GstCvAnalyzeMeta *) meta)->result = NULL;
  return TRUE;
}

static void
cv_analyze_meta_free (GstMeta * meta, GstBuffer * buffer)
{
  GstCvAnalyzeMeta *m = (GstCvAnalyzeMeta *) meta;

  g_clear_pointer (&m->result, gst_sample_unref);
}

/* Nothing in the meta is in the buffer's bytes or pixels: a copy, a region
 * copy, a scale or a conversion all keep the same result, by reference. */
static gboolean
cv_analyze_meta_transform (GstBuffer * dest, GstMeta * meta,
    GstBuffer * buffer, GQuark type, gpointer data)
{
  GstCvAnalyzeMeta *m = (GstCvAnalyzeMeta *) meta;

  return gst_buffer_add_cv_analyze_meta_shared (dest, m->result) != NULL;
}

/**
 * gst_cv_analyze_meta_get_info:
 *
 * Returns: the #GstMetaInfo of #GstCvAnalyzeMeta, registered on the first
 * call.
 */
const GstMetaInfo *
gst_cv_analyze_meta_get_info (void)
{
  static const GstMetaInfo *info = NULL;

  if (g_once_init_enter ((GstMetaInfo **) & info)) {
    const GstMetaInfo *registered =
        gst_meta_register (GST_CV_ANALYZE_META_API_TYPE, "GstCvAnalyzeMeta",
        sizeof (GstCvAnalyzeMeta), cv_analyze_meta_init, cv_analyze_meta_free,
        cv_analyze_meta_transform);

    g_once_init_leave ((GstMetaInfo **) & info, (GstMetaInfo *) registered);
  }
  return info;
}

/**
 * gst_cv_analyze_meta_register:
 *
 * Registers the meta; the same as gst_cv_analyze_meta_get_info(). Safe to
 * call more than once, from any thread; the other functions call it
 * themselves.
 */
void
gst_cv_analyze_meta_register (void)
{
  gst_cv_analyze_meta_get_info ();
}

/**
 * gst_buffer_add_cv_analyze_meta_shared:
 * @buffer: a writable #GstBuffer
 * @result: the result: a #GstSample whose info structure is the result
 *   model and the frame fields; the meta takes a reference, so it must not
 *   change any more
 *
 * Attaches @result to @buffer by reference: the way to attach one result
 * to many buffers.
 *
 * Returns: (transfer none): the new meta.
 */
GstCvAnalyzeMeta *
gst_buffer_add_cv_analyze_meta_shared (GstBuffer * buffer, GstSample * result)
{
  GstCvAnalyzeMeta *meta;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  g_return_val_if_fail (GST_IS_SAMPLE (result), NULL);

  meta = (GstCvAnalyzeMeta *) gst_buffer_add_meta (buffer,
      GST_CV_ANALYZE_META_INFO, NULL);
  if (meta)
    meta->result = gst_sample_ref (result);
  return meta;
}

/**
 * gst_buffer_add_cv_analyze_meta:
 * @buffer: a writable #GstBuffer
 * @result: the result structure to copy into the meta
 *
 * Attaches a copy of @result. To attach one result to many buffers without
 * copying it each time, use gst_buffer_add_cv_analyze_meta_shared().
 *
 * Returns: (transfer none): the new meta.
 */
GstCvAnalyzeMeta *
gst_buffer_add_cv_analyze_meta (GstBuffer * buffer, const GstStructure * result)
{
  GstCvAnalyzeMeta *meta;
  GstSample *sample;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  g_return_val_if_fail (result != NULL, NULL);

  sample = gst_sample_new (NULL, NULL, NULL, gst_structure_copy (result));
  meta = gst_buffer_add_cv_analyze_meta_shared (buffer, sample);
  gst_sample_unref (sample);
  return meta;
}

/**
 * gst_buffer_get_cv_analyze_meta:
 * @buffer: a #GstBuffer
 *
 * Returns: (transfer none) (nullable): the cvanalyze meta on @buffer.
 */
GstCvAnalyzeMeta *
gst_buffer_get_cv_analyze_meta (GstBuffer * buffer)
{
  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);

  return (GstCvAnalyzeMeta *) gst_buffer_get_meta (buffer,
      GST_CV_ANALYZE_META_API_TYPE);
}

/**
 * gst_cv_analyze_meta_get_sample:
 * @meta: a cvanalyze meta
 *
 * Returns: (transfer none): the shared result, the same object on every
 * buffer it was attached to; valid as long as the meta (take a reference
 * to keep it longer).
 */
GstSample *
gst_cv_analyze_meta_get_sample (GstCvAnalyzeMeta * meta)
{
  g_return_val_if_fail (meta != NULL, NULL);

  return meta->result;
}

/**
 * gst_cv_analyze_meta_get_result:
 * @meta: a cvanalyze meta
 *
 * Returns: (transfer none): the whole result model (`cvanalyze-result`),
 * valid as long as the meta. It is shared: do not change it.
 */
const GstStructure *
gst_cv_analyze_meta_get_result (GstCvAnalyzeMeta * meta)
{
  GstSample *sample = gst_cv_analyze_meta_get_sample (meta);

  g_return_val_if_fail (sample != NULL, NULL);

  return gst_sample_get_info (sample);
}

/**
 * gst_cv_analyze_meta_get_caption:
 * @meta: a cvanalyze meta
 * @confidence: (out) (optional): the caption's confidence, 0 to 1
 *
 * Returns: (transfer none) (nullable): the best caption, or %NULL when the
 * service gave none (Description not requested, or no caption found).
 */
const gchar *
gst_cv_analyze_meta_get_caption (GstCvAnalyzeMeta * meta, gdouble * confidence)
{
  const GstStructure *s = gst_cv_analyze_meta_get_result (meta);
  const gchar *caption;

  g_return_val_if_fail (s != NULL, NULL);

  caption = gst_structure_get_string (s, "caption");
  if (confidence) {
    *confidence = 0.0;
    if (caption)
      gst_structure_get_double (s, "confidence", confidence);
  }
  return caption;
}

/**
 * gst_cv_analyze_meta_get_tags:
 * @meta: a cvanalyze meta
 *
 * Returns: (transfer full) (array zero-terminated=1): the tag names, most
 * confident first; free with g_strfreev().
 */
gchar **
gst_cv_analyze_meta_get_tags (GstCvAnalyzeMeta * meta)
{
  const GstStructure *s = gst_cv_analyze_meta_get_result (meta);
  const GValue *tags;
  GPtrArray *out = g_ptr_array_new ();
  guint i, n;

  g_return_val_if_fail (s != NULL, NULL);

  tags = gst_structure_get_value (s, "tags");
  n = (tags && GST_VALUE_HOLDS_ARRAY (tags)) ? gst_value_array_get_size (tags)
      : 0;
  for (i = 0; i < n; i++) {
    const GValue *v = gst_value_array_get_value (tags, i);

    if (G_VALUE_HOLDS_STRING (v))
      g_ptr_array_add (out, g_value_dup_string (v));
  }
  g_ptr_array_add (out, NULL);
  return (gchar **) g_ptr_array_free (out, FALSE);
}

static GstClockTime
get_time_field (GstCvAnalyzeMeta * meta, const gchar * field)
{
  const GstStructure *s = gst_cv_analyze_meta_get_result (meta);
  guint64 t = GST_CLOCK_TIME_NONE;

  g_return_val_if_fail (s != NULL, GST_CLOCK_TIME_NONE);

  if (!gst_structure_get_uint64 (s, field, &t))
    return GST_CLOCK_TIME_NONE;
  return t;
}

/**
 * gst_cv_analyze_meta_get_frame_pts:
 * @meta: a cvanalyze meta
 *
 * Returns: the PTS of the frame the result describes.
 */
GstClockTime
gst_cv_analyze_meta_get_frame_pts (GstCvAnalyzeMeta * meta)
{
  return get_time_field (meta, "frame-pts");
}

/**
 * gst_cv_analyze_meta_get_first_frame_pts:
 * @meta: a cvanalyze meta
 *
 * Returns: the PTS of the oldest frame sent with the one the result
 * describes (with `frames-per-request` > 1), else the same as
 * gst_cv_analyze_meta_get_frame_pts().
 */
GstClockTime
gst_cv_analyze_meta_get_first_frame_pts (GstCvAnalyzeMeta * meta)
{
  return get_time_field (meta, "first-frame-pts");
}

/**
 * gst_cv_analyze_meta_get_latency:
 * @meta: a cvanalyze meta
 *
 * Returns: the time from sampling the frame to receiving the result.
 */
GstClockTime
gst_cv_analyze_meta_get_latency (GstCvAnalyzeMeta * meta)
{
  return get_time_field (meta, "latency");
}

/* Which array of the result each region type indexes. */
static const struct
{
  const gchar *type;
  const gchar *field;
} region_arrays[] = {
  {"face", "faces"},
  {"object", "objects"},
  {"dense-caption", "dense-captions"},
  {"person", "people"},
  {"crop", "smart-crops"},
  {"text", "text-lines"},
};

/**
 * gst_cv_analyze_meta_region_field:
 * @roi_type: a region type: `face`, `object`, `dense-caption`, `person`,
 *   `crop` or `text`
 *
 * Returns: (nullable): the result's array that regions of @roi_type index
 * (`faces`, `objects`, `dense-captions`, `people`, `smart-crops`,
 * `text-lines`), or %NULL.
 */
const gchar *
gst_cv_analyze_meta_region_field (const gchar * roi_type)
{
  guint i;

  g_return_val_if_fail (roi_type != NULL, NULL);

  for (i = 0; i < G_N_ELEMENTS (region_arrays); i++)
    if (g_str_equal (roi_type, region_arrays[i].type))
      return region_arrays[i].field;
  return NULL;
}

/**
 * gst_cv_analyze_meta_get_region:
 * @meta: the cvanalyze meta of a buffer
 * @roi_type: the `roi_type` of a #GstVideoRegionOfInterestMeta on the same
 *   buffer
 * @id: its `id`
 *
 * Finds the entry of the result that a region-of-interest meta cvanalyze
 * attached stands for: its label, confidence and other fields, with its
 * rectangle in the analysed image's coordinates.
 * |[
 * GstVideoRegionOfInterestMeta *roi = ...;
 * const GstStructure *face =
 *     gst_cv_analyze_meta_get_region (meta, roi->roi_type, roi->id);
 * ]|
 *
 * Returns: (transfer none) (nullable): the entry, valid as long as the
 * meta, or %NULL when @roi_type and @id name none.
 */
const GstStructure *
gst_cv_analyze_meta_get_region (GstCvAnalyzeMeta * meta, GQuark roi_type, gint id)
{
  const GstStructure *s = gst_cv_analyze_meta_get_result (meta);
  const gchar *field;
  const GValue *array;

  g_return_val_if_fail (s != NULL, NULL);

  field = gst_cv_analyze_meta_region_field (g_quark_to_string (roi_type));
  array = field ? gst_structure_get_value (s, field) : NULL;
  if (!array || !GST_VALUE_HOLDS_ARRAY (array) || id < 0
      || (guint) id >= gst_value_array_get_size (array))
    return NULL;
  return gst_value_get_structure (gst_value_array_get_value (array, id));
}
