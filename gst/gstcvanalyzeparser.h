/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_CV_ANALYZE_PARSER_H__
#define __GST_CV_ANALYZE_PARSER_H__

#include <gst/gst.h>

#include "gstcvanalyzeservice.h"

#include "gstcvanalyzejson.h"

G_BEGIN_DECLS

/* Name of the structure gst_cv_analyze_parse_response() returns. */
#define GST_CV_ANALYZE_RESULT_NAME "cvanalyze-result"

GstStructure * gst_cv_analyze_parse_response (const gchar * body, gssize length,
                                              GError ** error);

void           gst_cv_analyze_azure_error_reply (guint status,
                                              const gchar * body, gsize length,
                                              GstCvAnalyzeReply * reply);

gboolean       gst_cv_analyze_parse_error    (const gchar * body, gssize length,
                                              gchar ** code, gchar ** message);

/* What the Azure vision APIs (Computer Vision v3.2 here, Image Analysis 4.0
 * in gstcvanalyzeimageanalysis.c) share: the shapes of a box {x, y, w, h}
 * (inlined as x, y, width, height), a tag {name, confidence, hint?} and
 * the image's metadata {width, height, format?}, and how an answer is
 * read. */
extern const Schema gst_cv_analyze_box_schema;
extern const Schema gst_cv_analyze_tag_schema;
extern const Schema gst_cv_analyze_metadata_schema;

GstStructure * gst_cv_analyze_parse_with_schema (const gchar * body,
                                                 gssize length,
                                                 const Schema * schema,
                                                 GError ** error);

GstStructure * gst_cv_analyze_parse_with_schema_within (const gchar * body,
                                                 gssize length,
                                                 const Schema * schema,
                                                 guint max_items,
                                                 GError ** error);

void           gst_cv_analyze_result_add_tags (GstStructure * result);

void           gst_cv_analyze_result_add_read_text (GstStructure * result);

GstStructure * gst_cv_analyze_parse_read_operation (const gchar * body,
                                                 gssize length,
                                                 guint max_items,
                                                 gchar ** status,
                                                 GError ** error);

G_END_DECLS

#endif /* __GST_CV_ANALYZE_PARSER_H__ */
