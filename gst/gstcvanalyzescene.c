/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* How much a frame differs from another: the change measure of
 * sample-mode=scene.
 *
 * A frame becomes a 32x32 luma thumbnail: each thumbnail pixel is the mean
 * of 2x2 pixels spread evenly over its cell of the frame (a strided box
 * average), read straight from the luma plane of every raw format the
 * element takes (planar, semi-planar and packed YUV, 10-bit YUV, GRAY8) or
 * computed from R, G and B (BT.601 weights); a JPEG is decoded at 1/8
 * scale (TurboJPEG's DCT scaling: only the DC coefficients, luma only),
 * then thumbnailed the same way. So a check costs the same for any frame
 * size, a JPEG's entropy decoding aside.
 *
 * The thumbnail is cut into 2x2 regions, each with an 8-bin luma
 * histogram, soft-binned (a pixel's weight split between its two nearest
 * bins, so a slight change of light moves the histogram slightly, not by
 * whole bins). The distance of two frames is the mean over the regions of
 * the total variation distance of their histograms (half the L1 distance
 * of the normalised histograms): 0 for frames alike, 1 for frames that
 * share no tone in any region, and about the fraction of the picture that
 * changed in between (where the new content has tones of its own; a
 * uniform change of light by d levels counts d/32 at most). Regional rather than global, so that a cut between
 * two shots of the same tones laid out differently still counts; a
 * histogram rather than pixel differences, so that noise, small motion
 * and a shaking camera count little.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <turbojpeg.h>

#include "gstcvanalyzescene.h"

#define SIDE GST_CV_ANALYZE_SCENE_SIDE
#define SAMPLES GST_CV_ANALYZE_SCENE_SAMPLES
#define REGIONS GST_CV_ANALYZE_SCENE_REGIONS
#define BINS GST_CV_ANALYZE_SCENE_BINS
#define POINTS (SIDE * SAMPLES)       /* sample positions along each axis */
#define BIN_WIDTH (256 / BINS)
#define REGION_SIDE (SIDE / REGIONS)
/* Each pixel brings a weight of BIN_WIDTH to its histogram. */
#define REGION_WEIGHT (REGION_SIDE * REGION_SIDE * BIN_WIDTH)

/* A JPEG whose 1/8 decode is larger than this (beyond 32768 pixels on a
 * side) is not measured: its frame is sent as in interval mode. */
#define MAX_DECODED_SIDE 4096

struct _GstCvAnalyzeScene
{
  tjhandle decoder;             /* created on the first JPEG */
  guint8 *scratch;              /* its 1/8 scale luma */
  gsize scratch_size;
};

/* Where a frame's luma is, and how to read it. */
typedef enum
{
  LUMA_8,                       /* one byte of Y (or GRAY8) */
  LUMA_16,                      /* 16-bit little-endian Y, @shift'ed */
  LUMA_RGB,                     /* three bytes R, G, B */
} LumaKind;

typedef struct
{
  LumaKind kind;
  const guint8 *data[3];        /* Y; or R, G, B */
  gint stride;
  gint pstride;
  guint shift;                  /* LUMA_16: down to 8 bits */
  gint width, height;
} LumaSource;

GType
gst_cv_analyze_sample_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_CV_ANALYZE_SAMPLE_MODE_INTERVAL, "Send one frame per interval",
        "interval"},
    {GST_CV_ANALYZE_SAMPLE_MODE_SCENE, "Look at one frame per interval; send "
          "it only when the picture changed since the last frame sent",
        "scene"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstCvAnalyzeSampleMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GstCvAnalyzeScene *
gst_cv_analyze_scene_new (void)
{
  return g_new0 (GstCvAnalyzeScene, 1);
}

void
gst_cv_analyze_scene_free (GstCvAnalyzeScene * scene)
{
  if (!scene)
    return;
  if (scene->decoder)
    tjDestroy (scene->decoder);
  g_free (scene->scratch);
  g_free (scene);
}

static inline guint
read_luma (const LumaSource * src, gint x, gint y)
{
  gsize offset = (gsize) y * src->stride + (gsize) x * src->pstride;

  switch (src->kind) {
    case LUMA_16:
      return GUINT16_FROM_LE (*(const guint16 *) (src->data[0] + offset)) >>
          src->shift;
    case LUMA_RGB:
      /* BT.601: 0.299 R + 0.587 G + 0.114 B */
      return (77 * src->data[0][offset] + 150 * src->data[1][offset] +
          29 * src->data[2][offset]) >> 8;
    default:
      return src->data[0][offset];
  }
}

/* The centres of POINTS equal parts of @length. */
static void
sample_positions (gint length, gint * positions)
{
  gint i;

  for (i = 0; i < POINTS; i++)
    positions[i] = ((2 * i + 1) * (gint64) length) / (2 * POINTS);
}

static void
make_histograms (GstCvAnalyzeSceneThumb * thumb)
{
  gint x, y;

  memset (thumb->histogram, 0, sizeof (thumb->histogram));
  for (y = 0; y < SIDE; y++) {
    for (x = 0; x < SIDE; x++) {
      guint16 *h = thumb->histogram[(y / REGION_SIDE) * REGIONS +
          x / REGION_SIDE];
      /* Bin b's centre is at b * BIN_WIDTH + BIN_WIDTH / 2: the weight goes
       * to the two centres around the value, by nearness. */
      gint pos = (gint) thumb->luma[y * SIDE + x] - BIN_WIDTH / 2;
      gint low = pos / BIN_WIDTH, high_weight = pos % BIN_WIDTH;

      if (pos < 0) {
        h[0] += BIN_WIDTH;
      } else if (low >= BINS - 1) {
        h[BINS - 1] += BIN_WIDTH;
      } else {
        h[low] += BIN_WIDTH - high_weight;
        h[low + 1] += high_weight;
      }
    }
  }
}

static void
thumb_from_source (const LumaSource * src, GstCvAnalyzeSceneThumb * thumb)
{
  gint xs[POINTS], ys[POINTS];
  gint cx, cy, i, j;

  sample_positions (src->width, xs);
  sample_positions (src->height, ys);
  for (cy = 0; cy < SIDE; cy++) {
    for (cx = 0; cx < SIDE; cx++) {
      guint sum = 0;

      for (j = 0; j < SAMPLES; j++)
        for (i = 0; i < SAMPLES; i++)
          sum += read_luma (src, xs[cx * SAMPLES + i], ys[cy * SAMPLES + j]);
      thumb->luma[cy * SIDE + cx] = (sum + SAMPLES * SAMPLES / 2) /
          (SAMPLES * SAMPLES);
    }
  }
  make_histograms (thumb);
}

/**
 * gst_cv_analyze_scene_thumb_from_frame:
 * @frame: a mapped raw video frame, in one of the element's formats
 * @thumb: (out caller-allocates): its thumbnail and histograms
 *
 * Measures a raw frame: reads SIDE * SAMPLES squared pixels of its luma
 * (computed from R, G, B for RGB formats), whatever its size, stride or
 * padding.
 *
 * Returns: %FALSE if the format has no luma or RGB to read.
 */
gboolean
gst_cv_analyze_scene_thumb_from_frame (const GstVideoFrame * frame,
    GstCvAnalyzeSceneThumb * thumb)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;
  LumaSource src = { 0, };
  gint comp;

  if (GST_VIDEO_FORMAT_INFO_IS_COMPLEX (finfo) ||
      GST_VIDEO_FORMAT_INFO_HAS_PALETTE (finfo) ||
      GST_VIDEO_FRAME_COMP_DEPTH (frame, 0) > 16)
    return FALSE;
  src.width = GST_VIDEO_FRAME_WIDTH (frame);
  src.height = GST_VIDEO_FRAME_HEIGHT (frame);
  if (src.width <= 0 || src.height <= 0)
    return FALSE;
  /* Packed YUV's luma component is every other byte (YUY2, UYVY ...), and
   * an RGB format's components sit in the same plane at their offsets:
   * the component info says where each is, for every format. */
  src.stride = GST_VIDEO_FRAME_COMP_STRIDE (frame, 0);
  src.pstride = GST_VIDEO_FRAME_COMP_PSTRIDE (frame, 0);
  if (GST_VIDEO_FORMAT_INFO_IS_RGB (finfo)) {
    if (GST_VIDEO_FRAME_COMP_DEPTH (frame, 0) != 8)
      return FALSE;
    src.kind = LUMA_RGB;
    for (comp = 0; comp < 3; comp++) {
      src.data[comp] = GST_VIDEO_FRAME_COMP_DATA (frame, comp);
      /* R, G, B of one pixel share its plane and stride. */
      if (GST_VIDEO_FRAME_COMP_STRIDE (frame, comp) != src.stride ||
          GST_VIDEO_FRAME_COMP_PSTRIDE (frame, comp) != src.pstride)
        return FALSE;
    }
  } else {
    src.data[0] = GST_VIDEO_FRAME_COMP_DATA (frame, 0);
    if (src.pstride == 2 && GST_VIDEO_FRAME_COMP_DEPTH (frame, 0) > 8) {
      /* I420_10LE: 10 bits at the bottom; P010_10LE: at the top. */
      src.kind = LUMA_16;
      src.shift = GST_VIDEO_FORMAT_INFO_SHIFT (finfo, 0) +
          GST_VIDEO_FRAME_COMP_DEPTH (frame, 0) - 8;
    } else {
      src.kind = LUMA_8;
    }
  }
  thumb_from_source (&src, thumb);
  return TRUE;
}

/* The smallest DCT scaling (1/8, else 1/4, 1/2, 1) that keeps both sides
 * at least SIDE, so that each thumbnail cell still has its own pixels. */
static gint
pick_denominator (gint width, gint height)
{
  gint denom;

  for (denom = 8; denom > 1; denom /= 2)
    if ((width + denom - 1) / denom >= SIDE
        && (height + denom - 1) / denom >= SIDE)
      break;
  return denom;
}

/**
 * gst_cv_analyze_scene_thumb_from_jpeg:
 * @scene: the stream's measuring state (its decoder and scratch memory)
 * @data: a JPEG image
 * @size: its size in bytes
 * @thumb: (out caller-allocates): its thumbnail and histograms
 * @error: where to say why it could not be measured
 *
 * Measures a JPEG: decodes its luma at 1/8 scale (less for JPEGs under
 * 256 pixels on a side) with TurboJPEG's DCT scaling, then thumbnails
 * that.
 *
 * Returns: %FALSE, with @error set, for a JPEG that does not decode.
 */
gboolean
gst_cv_analyze_scene_thumb_from_jpeg (GstCvAnalyzeScene * scene,
    const guint8 * data, gsize size, GstCvAnalyzeSceneThumb * thumb,
    GError ** error)
{
  gint width = 0, height = 0, subsamp, colorspace, denom, w, h;
  LumaSource src = { 0, };

  if (!scene->decoder)
    scene->decoder = tjInitDecompress ();
  if (!scene->decoder) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "could not create a JPEG decoder: %s", tjGetErrorStr2 (NULL));
    return FALSE;
  }
  /* A header of tables only reads as success, and sets no size. */
  if (size > G_MAXULONG || tjDecompressHeader3 (scene->decoder, data, size,
          &width, &height, &subsamp, &colorspace) != 0 || width <= 0
      || height <= 0) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "not a JPEG TurboJPEG can read: %s", tjGetErrorStr2
        (scene->decoder));
    goto failed;
  }
  denom = pick_denominator (width, height);
  w = (width + denom - 1) / denom;
  h = (height + denom - 1) / denom;
  if (w > MAX_DECODED_SIDE || h > MAX_DECODED_SIDE) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "JPEG of %dx%d is too large to measure", width, height);
    return FALSE;
  }
  if (scene->scratch_size < (gsize) w * h) {
    g_free (scene->scratch);
    scene->scratch_size = (gsize) w * h;
    scene->scratch = g_malloc (scene->scratch_size);
  }
  /* Grey output from a YCbCr JPEG is its Y component alone: the chroma is
   * entropy-decoded (it must be, to find the next block) but never
   * transformed or converted. A warning (data cut short, say) leaves a
   * picture that is still worth comparing. */
  if (tjDecompress2 (scene->decoder, data, size, scene->scratch, w, w, h,
          TJPF_GRAY, 0) != 0
      && tjGetErrorCode (scene->decoder) == TJERR_FATAL) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "JPEG does not decode: %s", tjGetErrorStr2 (scene->decoder));
    goto failed;
  }
  src.kind = LUMA_8;
  src.data[0] = scene->scratch;
  src.stride = w;
  src.pstride = 1;
  src.width = w;
  src.height = h;
  thumb_from_source (&src, thumb);
  return TRUE;

failed:
  /* libjpeg-turbo 2.1 leaves a handle that failed on a header unable to
   * read the next, valid JPEG ("Bogus marker length"): start afresh. */
  tjDestroy (scene->decoder);
  scene->decoder = NULL;
  return FALSE;
}

/**
 * gst_cv_analyze_scene_measure:
 * @scene: the stream's measuring state
 * @buffer: a frame: raw video as @info says, or a JPEG when @info's format
 *   is %GST_VIDEO_FORMAT_ENCODED (image/jpeg caps)
 * @info: the frame's video info
 * @thumb: (out caller-allocates): its thumbnail and histograms
 * @error: where to say why it could not be measured
 *
 * Measures one frame, mapping it read-only.
 *
 * Returns: whether @thumb was filled.
 */
gboolean
gst_cv_analyze_scene_measure (GstCvAnalyzeScene * scene, GstBuffer * buffer,
    const GstVideoInfo * info, GstCvAnalyzeSceneThumb * thumb,
    GError ** error)
{
  GstVideoFrame frame;
  GstMapInfo map;
  gboolean ok;

  if (GST_VIDEO_INFO_FORMAT (info) == GST_VIDEO_FORMAT_ENCODED) {
    if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
          "could not map the JPEG");
      return FALSE;
    }
    ok = gst_cv_analyze_scene_thumb_from_jpeg (scene, map.data, map.size,
        thumb, error);
    gst_buffer_unmap (buffer, &map);
    return ok;
  }

  if (!gst_video_frame_map (&frame, info, buffer,
          GST_MAP_READ | GST_VIDEO_FRAME_MAP_FLAG_NO_REF)) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "could not map the frame (shorter than its caps say?)");
    return FALSE;
  }
  ok = gst_cv_analyze_scene_thumb_from_frame (&frame, thumb);
  gst_video_frame_unmap (&frame);
  if (!ok)
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "%s has no luma to measure",
        gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (info)));
  return ok;
}

/**
 * gst_cv_analyze_scene_distance:
 * @a: one frame's thumbnail
 * @b: another's
 *
 * How different two frames are: the mean over the regions of the total
 * variation distance of their soft-binned luma histograms.
 *
 * Returns: 0 (alike) to 1 (no tone in common in any region).
 */
gdouble
gst_cv_analyze_scene_distance (const GstCvAnalyzeSceneThumb * a,
    const GstCvAnalyzeSceneThumb * b)
{
  guint64 sum = 0;
  gint r, i;

  for (r = 0; r < REGIONS * REGIONS; r++)
    for (i = 0; i < BINS; i++)
      sum += ABS ((gint) a->histogram[r][i] - (gint) b->histogram[r][i]);
  return (gdouble) sum / (2.0 * REGION_WEIGHT * REGIONS * REGIONS);
}
