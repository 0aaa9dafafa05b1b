/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Unit tests of the meta library on its own: a result attached by
 * reference, kept by reference through every kind of buffer copy, freed
 * with the last buffer, and read back with the accessors. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include "gstcvanalyzemeta.h"

static GstSample *
make_result (void)
{
  GstStructure *s = gst_structure_from_string ("cvanalyze-result, "
      "caption=(string)\"a red door\", confidence=(double)0.75, "
      "tags=(string)<red, door>, frame-pts=(guint64)5000000000, "
      "first-frame-pts=(guint64)4000000000, latency=(guint64)120000000, "
      "faces=(structure)<\"face, x=(int)1, y=(int)2, width=(int)3, "
      "height=(int)4, gender=(string)Female;\">, "
      "objects=(structure)<\"object, x=(int)5, y=(int)6, width=(int)7, "
      "height=(int)8, object=(string)door;\", \"object, x=(int)9, "
      "y=(int)10, width=(int)11, height=(int)12, object=(string)knob;\">;",
      NULL);

  fail_unless (s != NULL);
  return gst_sample_new (NULL, NULL, NULL, s);
}

static void
note_freed (gpointer data, GstMiniObject * where_the_object_was)
{
  *(gboolean *) data = TRUE;
}

/* Attaching takes one reference; a plain copy, a deep copy and a region
 * copy of the buffer each hold the same sample (one more reference each,
 * no copy of it), and the sample goes with the last buffer. */
GST_START_TEST (test_copies_share_the_result)
{
  GstSample *result = make_result ();
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 64, NULL), *copies[3];
  GstCvAnalyzeMeta *meta;
  gboolean freed = FALSE;
  guint i;

  meta = gst_buffer_add_cv_analyze_meta_shared (buf, result);
  fail_unless (meta != NULL);
  fail_unless (meta->meta.info == GST_CV_ANALYZE_META_INFO);
  fail_unless (meta->result == result);
  fail_unless_equals_int (GST_MINI_OBJECT_REFCOUNT_VALUE (result), 2);

  copies[0] = gst_buffer_copy (buf);
  copies[1] = gst_buffer_copy_deep (buf);
  copies[2] = gst_buffer_copy_region (buf, GST_BUFFER_COPY_ALL, 16, 32);
  for (i = 0; i < G_N_ELEMENTS (copies); i++) {
    GstCvAnalyzeMeta *m = gst_buffer_get_cv_analyze_meta (copies[i]);

    fail_unless (m != NULL, "copy %u lost the meta", i);
    fail_unless (m != meta);
    fail_unless (gst_cv_analyze_meta_get_sample (m) == result,
        "copy %u holds another result", i);
  }
  fail_unless_equals_int (GST_MINI_OBJECT_REFCOUNT_VALUE (result), 5);

  gst_mini_object_weak_ref (GST_MINI_OBJECT (result), note_freed, &freed);
  gst_sample_unref (result);
  gst_buffer_unref (buf);
  for (i = 0; i < G_N_ELEMENTS (copies); i++) {
    fail_if (freed, "freed while a buffer still held it");
    gst_buffer_unref (copies[i]);
  }
  fail_unless (freed, "the result outlived its buffers");
}

GST_END_TEST;

/* The meta has no tags, so every transform that keeps untagged metas
 * (videoconvert, videoscale, tee, queue) keeps it. */
GST_START_TEST (test_api_has_no_tags)
{
  const GstMetaInfo *info = GST_CV_ANALYZE_META_INFO;

  fail_unless (gst_meta_api_type_get_tags (GST_CV_ANALYZE_META_API_TYPE) ==
      NULL);
  fail_unless_equals_string (g_type_name (GST_CV_ANALYZE_META_API_TYPE),
      "GstCvAnalyzeMetaAPI");
  fail_unless (gst_meta_get_info ("GstCvAnalyzeMeta") == info);
  fail_unless (info->api == GST_CV_ANALYZE_META_API_TYPE);
}

GST_END_TEST;

/* gst_buffer_add_cv_analyze_meta() attaches a copy of the structure it is
 * given, and a buffer without the meta gives NULL. */
GST_START_TEST (test_add_copies_the_structure)
{
  GstSample *result = make_result ();
  GstStructure *s = gst_structure_copy (gst_sample_get_info (result));
  GstBuffer *buf = gst_buffer_new ();
  GstCvAnalyzeMeta *meta;

  fail_unless (gst_buffer_get_cv_analyze_meta (buf) == NULL);
  meta = gst_buffer_add_cv_analyze_meta (buf, s);
  fail_unless (gst_buffer_get_cv_analyze_meta (buf) == meta);
  fail_unless (gst_cv_analyze_meta_get_result (meta) != s);
  fail_unless (gst_structure_is_equal (gst_cv_analyze_meta_get_result (meta),
          s));
  gst_structure_free (s);
  gst_buffer_unref (buf);
  gst_sample_unref (result);
}

GST_END_TEST;

/* The accessors read the shared result's fields. */
GST_START_TEST (test_accessors)
{
  GstSample *result = make_result ();
  GstBuffer *buf = gst_buffer_new ();
  GstCvAnalyzeMeta *meta = gst_buffer_add_cv_analyze_meta_shared (buf, result);
  gdouble confidence = 0;
  gchar **tags;

  fail_unless_equals_string (gst_cv_analyze_meta_get_caption (meta,
          &confidence), "a red door");
  fail_unless (confidence == 0.75);
  tags = gst_cv_analyze_meta_get_tags (meta);
  fail_unless_equals_int (g_strv_length (tags), 2);
  fail_unless_equals_string (tags[0], "red");
  fail_unless_equals_string (tags[1], "door");
  g_strfreev (tags);
  fail_unless_equals_uint64 (gst_cv_analyze_meta_get_frame_pts (meta),
      5 * GST_SECOND);
  fail_unless_equals_uint64 (gst_cv_analyze_meta_get_first_frame_pts (meta),
      4 * GST_SECOND);
  fail_unless_equals_uint64 (gst_cv_analyze_meta_get_latency (meta),
      120 * GST_MSECOND);
  fail_unless (gst_cv_analyze_meta_get_result (meta) ==
      gst_sample_get_info (result));
  gst_buffer_unref (buf);
  gst_sample_unref (result);
}

GST_END_TEST;

/* A region type and index name the result's entry; an unknown type or an
 * index out of range names nothing. */
GST_START_TEST (test_regions)
{
  GstSample *result = make_result ();
  GstBuffer *buf = gst_buffer_new ();
  GstCvAnalyzeMeta *meta = gst_buffer_add_cv_analyze_meta_shared (buf, result);
  GQuark face = g_quark_from_static_string ("face");
  GQuark object = g_quark_from_static_string ("object");
  const GstStructure *entry;
  gint x = 0;

  fail_unless_equals_string (gst_cv_analyze_meta_region_field ("face"),
      "faces");
  fail_unless_equals_string (gst_cv_analyze_meta_region_field ("text"),
      "text-lines");
  fail_unless (gst_cv_analyze_meta_region_field ("brand") == NULL);

  entry = gst_cv_analyze_meta_get_region (meta, face, 0);
  fail_unless_equals_string (gst_structure_get_string (entry, "gender"),
      "Female");
  entry = gst_cv_analyze_meta_get_region (meta, object, 1);
  fail_unless_equals_string (gst_structure_get_string (entry, "object"),
      "knob");
  fail_unless (gst_structure_get_int (entry, "x", &x) && x == 9);
  fail_unless (gst_cv_analyze_meta_get_region (meta, object, 2) == NULL);
  fail_unless (gst_cv_analyze_meta_get_region (meta, face, -1) == NULL);
  fail_unless (gst_cv_analyze_meta_get_region (meta,
          g_quark_from_static_string ("person"), 0) == NULL);
  fail_unless (gst_cv_analyze_meta_get_region (meta,
          g_quark_from_static_string ("brand"), 0) == NULL);
  gst_buffer_unref (buf);
  gst_sample_unref (result);
}

GST_END_TEST;

static Suite *
meta_suite (void)
{
  Suite *s = suite_create ("cvanalyzemeta");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_copies_share_the_result);
  tcase_add_test (tc, test_api_has_no_tags);
  tcase_add_test (tc, test_add_copies_the_structure);
  tcase_add_test (tc, test_accessors);
  tcase_add_test (tc, test_regions);
  return s;
}

GST_CHECK_MAIN (meta);
