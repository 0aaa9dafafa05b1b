/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_CV_ANALYZE_SCENE_H__
#define __GST_CV_ANALYZE_SCENE_H__

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/**
 * GstCvAnalyzeSampleMode:
 * @GST_CV_ANALYZE_SAMPLE_MODE_INTERVAL: one frame per interval is sent
 * @GST_CV_ANALYZE_SAMPLE_MODE_SCENE: one frame per interval is looked at,
 *   and sent only when it differs enough from the last frame sent (or
 *   max-interval has passed)
 *
 * Which of the frames due by the interval go to the service.
 */
typedef enum
{
  GST_CV_ANALYZE_SAMPLE_MODE_INTERVAL,
  GST_CV_ANALYZE_SAMPLE_MODE_SCENE,
} GstCvAnalyzeSampleMode;

#define GST_TYPE_CV_ANALYZE_SAMPLE_MODE (gst_cv_analyze_sample_mode_get_type ())
GType gst_cv_analyze_sample_mode_get_type (void);

/* The frame is measured on a SIDE x SIDE luma thumbnail, each pixel of
 * which averages SAMPLES x SAMPLES pixels spread evenly over its cell: a
 * check reads 4096 pixels whatever the frame's size. Reading 4x4 instead
 * cost five times as much on 1080p frames not in the cache (each sampled
 * row is its own cache lines) for the same decisions in the tests and
 * the benchmark: the histograms average over many cells anyway. */
#define GST_CV_ANALYZE_SCENE_SIDE 32
#define GST_CV_ANALYZE_SCENE_SAMPLES 2

/* The thumbnail is cut into REGIONS x REGIONS blocks, each with a luma
 * histogram of BINS bins: where in the picture the tones are counts too,
 * not only which tones there are. */
#define GST_CV_ANALYZE_SCENE_REGIONS 2
#define GST_CV_ANALYZE_SCENE_BINS 8

/* What a frame is compared by. */
typedef struct
{
  guint8 luma[GST_CV_ANALYZE_SCENE_SIDE * GST_CV_ANALYZE_SCENE_SIDE];
  /* soft-binned: each pixel's weight of 256 / BINS split between its two nearest
   * bins, so a small change of tone changes the histogram a little */
  guint16 histogram[GST_CV_ANALYZE_SCENE_REGIONS *
      GST_CV_ANALYZE_SCENE_REGIONS][GST_CV_ANALYZE_SCENE_BINS];
} GstCvAnalyzeSceneThumb;

/* A frame that starts a new scene, as the cvanalyze-scene message and the
 * element's per-scene hook give it. */
typedef struct
{
  GstClockTime pts;
  GstClockTime running_time;
  GstClockTime stream_time;
  GstClockTime duration;
  gdouble distance;             /* from the last frame sent; 1 for the
                                 * first frame of a stream */
} GstCvAnalyzeSceneChange;

/* Per-stream measuring state: the JPEG decoder and its scratch memory. */
typedef struct _GstCvAnalyzeScene GstCvAnalyzeScene;

GstCvAnalyzeScene *gst_cv_analyze_scene_new (void);

void     gst_cv_analyze_scene_free (GstCvAnalyzeScene * scene);

gboolean gst_cv_analyze_scene_thumb_from_frame (const GstVideoFrame * frame,
    GstCvAnalyzeSceneThumb * thumb);

gboolean gst_cv_analyze_scene_thumb_from_jpeg (GstCvAnalyzeScene * scene,
    const guint8 * data, gsize size, GstCvAnalyzeSceneThumb * thumb,
    GError ** error);

gboolean gst_cv_analyze_scene_measure (GstCvAnalyzeScene * scene,
    GstBuffer * buffer, const GstVideoInfo * info,
    GstCvAnalyzeSceneThumb * thumb, GError ** error);

gdouble  gst_cv_analyze_scene_distance (const GstCvAnalyzeSceneThumb * a,
    const GstCvAnalyzeSceneThumb * b);

G_END_DECLS

#endif /* __GST_CV_ANALYZE_SCENE_H__ */
