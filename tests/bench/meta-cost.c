/* meta-cost: what attaching a result costs per buffer, against the floor
 * of any per-buffer meta. Times, in one process, on buffers made and freed
 * in a loop (thread CPU time, median of alternating rounds), the extra
 * nanoseconds per buffer of:
 *   - a bare gst_buffer_add_meta() of a meta with an empty init and no
 *     free or transform: the least any element that attaches a meta can
 *     cost;
 *   - gst_buffer_add_cv_analyze_meta_shared(): cvanalyze's meta, a real
 *     GstMetaInfo holding one reference to the shared result;
 *   - the same, then the buffer copied (the meta's transform, as each
 *     downstream copy of the buffer runs it), against a bare buffer copied;
 *   - a GstCustomMeta whose structure holds only the shared result (the
 *     design before), and the same with six fields copied into it per
 *     buffer (the design before that);
 *   - two region-of-interest metas that refer to the result's entries by
 *     id, and the same with a copied param each (before).
 *
 *   meta-cost [BUFFERS]      (default 200000 per round)
 *
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <time.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstcvanalyzemeta.h"

#define ROUNDS 5

/* No tags, as cvanalyze's own meta. */
static const gchar *no_tags[] = { NULL };

static GType
register_api (const gchar * name)
{
  return gst_meta_api_type_register (name, no_tags);
}

static gboolean
bare_meta_init (GstMeta * meta, gpointer params, GstBuffer * buffer)
{
  return TRUE;
}

static const GstMetaInfo *bare_info, *custom_info;
static GstSample *sample;
static GstStructure *fields, *param;
static GQuark face_quark;

typedef void (*AttachFunc) (GstBuffer * buf);

static void
attach_nothing (GstBuffer * buf)
{
}

static void
attach_bare (GstBuffer * buf)
{
  gst_buffer_add_meta (buf, bare_info, NULL);
}

static void
attach_cv_analyze_meta (GstBuffer * buf)
{
  gst_buffer_add_cv_analyze_meta_shared (buf, sample);
}

static void
copy_bare_buffer (GstBuffer * buf)
{
  gst_buffer_unref (gst_buffer_copy (buf));
}

static void
attach_cv_analyze_meta_and_copy (GstBuffer * buf)
{
  gst_buffer_add_cv_analyze_meta_shared (buf, sample);
  gst_buffer_unref (gst_buffer_copy (buf));
}

static gboolean
copy_field (GQuark field_id, const GValue * value, gpointer user_data)
{
  gst_structure_id_set_value (user_data, field_id, value);
  return TRUE;
}

/* The design before: a GstCustomMeta whose structure holds the sample
 * (and, before that, @extra's fields copied in per buffer too). */
static void
attach_custom (GstBuffer * buf, const GstStructure * extra)
{
  GstCustomMeta *meta =
      (GstCustomMeta *) gst_buffer_add_meta (buf, custom_info, NULL);
  GstStructure *s = gst_custom_meta_get_structure (meta);

  if (extra)
    gst_structure_foreach (extra, copy_field, s);
  gst_structure_set (s, "result", GST_TYPE_SAMPLE, sample, NULL);
}

static void
attach_custom_shared (GstBuffer * buf)
{
  attach_custom (buf, NULL);
}

static void
attach_custom_shared_fields (GstBuffer * buf)
{
  attach_custom (buf, fields);
}

static void
attach_rois (GstBuffer * buf)
{
  gst_buffer_add_video_region_of_interest_meta_id (buf, face_quark, 10, 10,
      50, 50)->id = 0;
  gst_buffer_add_video_region_of_interest_meta_id (buf, face_quark, 90, 10,
      50, 50)->id = 1;
}

static void
attach_rois_param (GstBuffer * buf)
{
  GstVideoRegionOfInterestMeta *roi;

  roi = gst_buffer_add_video_region_of_interest_meta_id (buf, face_quark, 10,
      10, 50, 50);
  gst_video_region_of_interest_meta_add_param (roi, gst_structure_copy (param));
  roi = gst_buffer_add_video_region_of_interest_meta_id (buf, face_quark, 90,
      10, 50, 50);
  gst_video_region_of_interest_meta_add_param (roi, gst_structure_copy (param));
}

static gdouble
thread_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Nanoseconds per buffer of making @n buffers, attaching, freeing them. */
static gdouble
time_buffers (AttachFunc attach, guint n)
{
  gdouble start = thread_ns ();
  guint i;

  for (i = 0; i < n; i++) {
    GstBuffer *buf = gst_buffer_new ();

    attach (buf);
    gst_buffer_unref (buf);
  }
  return (thread_ns () - start) / n;
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return (x > y) - (x < y);
}

int
main (int argc, char **argv)
{
  static const struct
  {
    const gchar *name;
    AttachFunc attach;
  } variants[] = {
    {"nothing", attach_nothing},
    {"bare-meta", attach_bare},
    {"cvanalyze-meta", attach_cv_analyze_meta},
    {"buffer-copied", copy_bare_buffer},
    {"cvanalyze-meta+buffer-copied", attach_cv_analyze_meta_and_copy},
    {"custom-meta-shared (before)", attach_custom_shared},
    {"custom-meta-shared+6-fields (before that)", attach_custom_shared_fields},
    {"2-region-metas-by-id", attach_rois},
    {"2-region-metas-with-param", attach_rois_param},
  };
  gdouble ns[G_N_ELEMENTS (variants)][ROUNDS];
  guint n = argc > 1 ? (guint) atoi (argv[1]) : 200000;
  guint r, v;

  gst_init (&argc, &argv);
  gst_cv_analyze_meta_register ();
  bare_info = gst_meta_register (register_api ("BenchBareMetaAPI"),
      "BenchBareMeta", sizeof (GstMeta), bare_meta_init, NULL, NULL);
  custom_info = gst_meta_register_custom ("BenchCustomMeta", no_tags, NULL,
      NULL, NULL);
  face_quark = g_quark_from_static_string ("face");
  sample = gst_sample_new (NULL, NULL, NULL,
      gst_structure_new ("cvanalyze-result", "caption", G_TYPE_STRING,
          "a man in a suit", NULL));
  fields = gst_structure_new ("fields", "frame-pts", G_TYPE_UINT64,
      G_GUINT64_CONSTANT (0), "first-frame-pts", G_TYPE_UINT64,
      G_GUINT64_CONSTANT (0), "frame-running-time", G_TYPE_UINT64,
      G_GUINT64_CONSTANT (0), "latency", G_TYPE_UINT64,
      G_GUINT64_CONSTANT (1000), "image-width", G_TYPE_INT, 1024,
      "image-height", G_TYPE_INT, 576, NULL);
  param = gst_structure_new ("cvanalyze/region", "gender", G_TYPE_STRING,
      "Male", "confidence", G_TYPE_DOUBLE, 0.9, "age", G_TYPE_INT, 46, NULL);

  for (v = 0; v < G_N_ELEMENTS (variants); v++)
    time_buffers (variants[v].attach, n / 10);  /* warm-up */
  for (r = 0; r < ROUNDS; r++)
    for (v = 0; v < G_N_ELEMENTS (variants); v++)
      ns[v][r] = time_buffers (variants[v].attach, n);
  for (v = 0; v < G_N_ELEMENTS (variants); v++)
    qsort (ns[v], ROUNDS, sizeof (gdouble), compare_doubles);

  g_print ("buffer new+unref: %.0f ns\n", ns[0][ROUNDS / 2]);
  for (v = 1; v < G_N_ELEMENTS (variants); v++)
    g_print ("%s: +%.0f ns per buffer\n", variants[v].name,
        ns[v][ROUNDS / 2] - ns[0][ROUNDS / 2]);

  gst_sample_unref (sample);
  gst_structure_free (fields);
  gst_structure_free (param);
  return 0;
}
