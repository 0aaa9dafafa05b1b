/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_CV_ANALYZE_H__
#define __GST_CV_ANALYZE_H__

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>

#include "gstcvanalyzeservice.h"

G_BEGIN_DECLS

#define GST_TYPE_CV_ANALYZE (gst_cv_analyze_get_type ())
G_DECLARE_FINAL_TYPE (GstCvAnalyze, gst_cv_analyze, GST, CV_ANALYZE,
    GstBaseTransform)

/* GstCvAnalyzeApi, the api property's values, is in gstcvanalyzeservice.h. */
#define GST_TYPE_CV_ANALYZE_API (gst_cv_analyze_api_get_type ())
GType gst_cv_analyze_api_get_type (void);

/**
 * GstCvAnalyzeDetail:
 * @GST_CV_ANALYZE_DETAIL_LOW: a 512x512 rendition, the cheapest
 * @GST_CV_ANALYZE_DETAIL_HIGH: the image at its size, in tiles
 * @GST_CV_ANALYZE_DETAIL_AUTO: the service chooses
 *
 * How closely a chat model looks at the image (OpenAI's `detail`; other
 * servers ignore it).
 */
typedef enum
{
  GST_CV_ANALYZE_DETAIL_LOW,
  GST_CV_ANALYZE_DETAIL_HIGH,
  GST_CV_ANALYZE_DETAIL_AUTO,
} GstCvAnalyzeDetail;

#define GST_TYPE_CV_ANALYZE_DETAIL (gst_cv_analyze_detail_get_type ())
GType gst_cv_analyze_detail_get_type (void);

/**
 * GstCvAnalyzeMode:
 * @GST_CV_ANALYZE_MODE_LIVE: frames never wait; a result is attached to the
 *   frames that follow its arrival
 * @GST_CV_ANALYZE_MODE_EXACT: the analysed frame waits for its own result
 *   (at most #GstCvAnalyze:timeout), which is attached to it and to the
 *   frames after it; the wait is reported as latency
 *
 * When results are attached.
 */
typedef enum
{
  GST_CV_ANALYZE_MODE_LIVE,
  GST_CV_ANALYZE_MODE_EXACT,
} GstCvAnalyzeMode;

#define GST_TYPE_CV_ANALYZE_MODE (gst_cv_analyze_mode_get_type ())
GType gst_cv_analyze_mode_get_type (void);

/**
 * GstCvAnalyzeTextTiming:
 * @GST_CV_ANALYZE_TEXT_TIMING_PER_FRAME: the current caption goes out again
 *   with every video frame, lasting that frame: textoverlay shows it as
 *   soon as it is current and for as long as it is
 * @GST_CV_ANALYZE_TEXT_TIMING_ON_CHANGE: one buffer when a caption becomes
 *   current, without a duration (it lasts until the next buffer; an empty
 *   buffer ends a caption that nothing replaces): a compact Matroska track
 *   for players that time a subtitle by the next one
 * @GST_CV_ANALYZE_TEXT_TIMING_ON_END: one buffer per caption, sent when it
 *   ends, with its exact duration: for subtitle files (webvttenc, srtenc).
 *   The text stream then runs behind the video by up to one caption, so it
 *   suits branches that do not wait for the video.
 *
 * When captions go out on the text_src pad. A caption's end is known only
 * once something supersedes it, so each consumer needs its own timing.
 */
typedef enum
{
  GST_CV_ANALYZE_TEXT_TIMING_PER_FRAME,
  GST_CV_ANALYZE_TEXT_TIMING_ON_CHANGE,
  GST_CV_ANALYZE_TEXT_TIMING_ON_END,
} GstCvAnalyzeTextTiming;

#define GST_TYPE_CV_ANALYZE_TEXT_TIMING (gst_cv_analyze_text_timing_get_type ())
GType gst_cv_analyze_text_timing_get_type (void);

GST_ELEMENT_REGISTER_DECLARE (cvanalyze);

G_END_DECLS

#endif /* __GST_CV_ANALYZE_H__ */
