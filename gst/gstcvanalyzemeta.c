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
 * cvanalyze attaches its results to video buffers as a #GstCustomMeta named
 * %GST_CV_ANALYZE_META_NAME. A result is shared, never copied: it is an
 * immutable #GstSample whose info structure is the whole result model (the
 * `cvanalyze-result` structure documented in README.md), and the meta's
 * structure (named like the meta, as every custom meta's is) holds nothing
 * but a reference to it, in its `result` field. What belongs to the
 * analysed frame is in the result too, next to the model's fields:
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
 * (#GstCustomMeta's transform copies the structure, which refs the sample),
 * costs one reference, however big the result is.
 *
 * Faces, objects, dense captions and people are also attached as
 * #GstVideoRegionOfInterestMeta, in the buffer's own pixels, which refer to
 * the shared result instead of copying from it: `roi_type` is the quark of
 * `face`, `object`, `dense-caption` or `person` and `id` the index of the
 * region in the result's `faces`, `objects`, `dense-captions` or `people`
 * array; gst_cv_analyze_meta_get_region() gives that entry.
 *
 * The meta carries no pixel coordinates of the buffer, so it has no tags:
 * videoconvert, videoscale and other transforms copy it unchanged.
 *
 * A custom meta backed by a #GstStructure is readable from every language
 * with GObject introspection, e.g. in Python:
 * |[
 * meta = buf.get_custom_meta ("GstCvAnalyzeMeta")
 * if meta:
 *     result = meta.get_structure ().get_value ("result").get_info ()
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
 * gst_cv_analyze_meta_register:
 *
 * Registers the meta. Safe to call more than once, from any thread; the
 * other functions call it themselves.
 */
static const GstMetaInfo *meta_info;
static GQuark result_quark;

void
gst_cv_analyze_meta_register (void)
{
  static gsize registered = 0;

  if (g_once_init_enter (&registered)) {
    static const gchar *tags[] = { NULL };

    /* Kept, so that adding a meta per buffer looks nothing up by name. */
    meta_info = gst_meta_register_custom (GST_CV_ANALYZE_META_NAME, tags,
        NULL, NULL, NULL);
    result_quark = g_quark_from_static_string ("result");
    g_once_init_leave (&registered, 1);
  }
}

static gboolean
copy_field (GQuark field_id, const GValue * value, gpointer user_data)
{
  gst_structure_id_set_value (user_data, field_id, value);
  return TRUE;
}

/**
 * gst_buffer_add_cv_analyze_meta_shared:
 * @buffer: a writable #GstBuffer
 * @result: the result: a #GstSample whose info structure is the result
 *   model and the frame fields; the meta takes a reference, so it must not
 *   change any more
 * @fields: (nullable): fields of this attachment alone, copied into the
 *   meta's structure on every call; cvanalyze passes %NULL, as each copy
 *   costs per buffer what the reference to @result does not
 *
 * Attaches @result to @buffer by reference: the way to attach one result
 * to many buffers.
 *
 * Returns: (transfer none): the new meta.
 */
GstCustomMeta *
gst_buffer_add_cv_analyze_meta_shared (GstBuffer * buffer, GstSample * result,
    const GstStructure * fields)
{
  GstCustomMeta *meta;
  GstStructure *s;
  GValue v = G_VALUE_INIT;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  g_return_val_if_fail (GST_IS_SAMPLE (result), NULL);

  gst_cv_analyze_meta_register ();
  meta = (GstCustomMeta *) gst_buffer_add_meta (buffer, meta_info, NULL);
  if (meta) {
    s = gst_custom_meta_get_structure (meta);
    if (fields)
      gst_structure_foreach (fields, copy_field, s);
    g_value_init (&v, GST_TYPE_SAMPLE);
    g_value_set_boxed (&v, result);
    gst_structure_id_take_value (s, result_quark, &v);
  }
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
GstCustomMeta *
gst_buffer_add_cv_analyze_meta (GstBuffer * buffer, const GstStructure * result)
{
  GstCustomMeta *meta;
  GstSample *sample;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  g_return_val_if_fail (result != NULL, NULL);

  sample = gst_sample_new (NULL, NULL, NULL, gst_structure_copy (result));
  meta = gst_buffer_add_cv_analyze_meta_shared (buffer, sample, NULL);
  gst_sample_unref (sample);
  return meta;
}

/**
 * gst_buffer_get_cv_analyze_meta:
 * @buffer: a #GstBuffer
 *
 * Returns: (transfer none) (nullable): the cvanalyze meta on @buffer.
 */
GstCustomMeta *
gst_buffer_get_cv_analyze_meta (GstBuffer * buffer)
{
  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);

  gst_cv_analyze_meta_register ();
  return gst_buffer_get_custom_meta (buffer, GST_CV_ANALYZE_META_NAME);
}

/**
 * gst_cv_analyze_meta_get_sample:
 * @meta: a cvanalyze meta
 *
 * Returns: (transfer none): the shared result, the same object on every
 * buffer it was attached to; valid as long as the meta.
 */
GstSample *
gst_cv_analyze_meta_get_sample (GstCustomMeta * meta)
{
  const GValue *v;

  g_return_val_if_fail (meta != NULL, NULL);

  v = gst_structure_get_value (gst_custom_meta_get_structure (meta), "result");
  g_return_val_if_fail (v && GST_VALUE_HOLDS_SAMPLE (v), NULL);
  return gst_value_get_sample (v);
}

/**
 * gst_cv_analyze_meta_get_result:
 * @meta: a cvanalyze meta
 *
 * Returns: (transfer none): the whole result model (`cvanalyze-result`),
 * valid as long as the meta. It is shared: do not change it.
 */
const GstStructure *
gst_cv_analyze_meta_get_result (GstCustomMeta * meta)
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
gst_cv_analyze_meta_get_caption (GstCustomMeta * meta, gdouble * confidence)
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
gst_cv_analyze_meta_get_tags (GstCustomMeta * meta)
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
get_time_field (GstCustomMeta * meta, const gchar * field)
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
gst_cv_analyze_meta_get_frame_pts (GstCustomMeta * meta)
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
gst_cv_analyze_meta_get_first_frame_pts (GstCustomMeta * meta)
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
gst_cv_analyze_meta_get_latency (GstCustomMeta * meta)
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
gst_cv_analyze_meta_get_region (GstCustomMeta * meta, GQuark roi_type, gint id)
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
