/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_CV_ANALYZE_TEXT_H__
#define __GST_CV_ANALYZE_TEXT_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_CV_ANALYZE_TEXT_CAPS \
    "text/x-raw, format = (string) { utf8, pango-markup }"

/* The text_src pad: captions as a sparse subtitle stream that follows the
 * video's stream-start, segment, flushes and EOS, with GAP events whenever
 * there is no caption so that textoverlay and muxers never wait for it.
 * Used from the video's streaming thread only. */
typedef struct
{
  GstElement *element;          /* the owner, not a reference */
  GstPad *pad;
  gboolean markup;              /* downstream wants pango-markup */
  gboolean negotiated;
  gboolean warned;              /* a failing text branch was reported */
  gboolean forward;             /* the segment plays forwards */
  GstClockTime position;        /* end of what was pushed last */
} GstCvAnalyzeTextOutput;

void     gst_cv_analyze_text_output_init (GstCvAnalyzeTextOutput * out,
    GstElement * element, GstPadTemplate * templ);

gboolean gst_cv_analyze_text_output_is_linked (GstCvAnalyzeTextOutput * out);

void     gst_cv_analyze_text_output_reset (GstCvAnalyzeTextOutput * out);

void     gst_cv_analyze_text_output_forward_event (GstCvAnalyzeTextOutput * out,
    GstElement * element, GstEvent * video_event);

void     gst_cv_analyze_text_output_push_text (GstCvAnalyzeTextOutput * out,
    const gchar * text, GstClockTime pts, GstClockTime duration);

void     gst_cv_analyze_text_output_push_gap (GstCvAnalyzeTextOutput * out,
    GstClockTime pts, GstClockTime duration);

G_END_DECLS

#endif /* __GST_CV_ANALYZE_TEXT_H__ */
