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
 * video's stream-start, flushes and EOS, with GAP events whenever there is
 * no caption so that textoverlay and muxers never wait for it. Playing
 * forwards, it is stamped in the video's running time, in one segment per
 * stream or flush, so that it keeps going forwards across the video's
 * segment changes (concat, playlists). Used from the video's streaming
 * thread only. */
typedef struct
{
  GstElement *element;          /* the owner, not a reference */
  GstPad *pad;
  gboolean markup;              /* downstream wants pango-markup */
  gboolean negotiated;
  gboolean warned;              /* a failing text branch was reported */
  gboolean forward;             /* the segment plays forwards */
  GstSegment segment;           /* the video's current segment */
  gboolean restamp;             /* text times are the video's running time */
  gboolean segment_sent;        /* the running-time segment went out since
                                 * the last stream-start or flush */
  GstClockTime position;        /* end of what was pushed last, in text time */
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
