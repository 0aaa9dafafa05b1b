/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The pixel part of cvanalyze: scale a sampled frame down to the size the
 * service wants and compress it to JPEG. It runs on the client's worker
 * thread, so it keeps no state between calls: every call brings its own
 * TurboJPEG handle and scratch memory, which makes it reentrant.
 *
 * Scaling is libyuv's (SIMD); compression is TurboJPEG's, fed YUV planes
 * directly where the frame has them, so a YUV frame is never converted to
 * RGB and back. Those planes go in as they are: JPEG (JFIF) means
 * full-range BT.601, so limited-range video comes out with a little less
 * contrast, as from jpegenc; analysis does not suffer from it, and fixing
 * it would cost a pass over every pixel. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcvanalyzeencoder.h"

#include <turbojpeg.h>
#include <libyuv.h>

GST_DEBUG_CATEGORY_STATIC (gst_cv_analyze_encoder_debug);
#define GST_CAT_DEFAULT gst_cv_analyze_encoder_debug

/* Box averages every source pixel; bilinear samples 2x2 and aliases on
 * large reductions. For 1920x1080 -> 1024x576 I420 both took 0.72-0.73 ms
 * (tests/bench/encode-ratio), so the better picture costs nothing. */
#define SCALE_FILTER kFilterBox

/* TJFLAG_FASTDCT measured no faster (0.93-0.96 ms either way for a
 * 1024x576 4:2:0 image) with the SIMD accurate DCT Debian's libjpeg-turbo
 * has, so the accurate one is kept. */
#define TJ_FLAGS 0

/* How TurboJPEG reads each supported format. Planar and semi-planar YUV
 * (and GRAY8) are given as planes with their chroma subsampling; packed
 * RGB as one plane with its byte order. The chroma order of YV12 and NV21
 * comes from the frame's component offsets, so it needs no column here. */
typedef struct
{
  GstVideoFormat format;
  gint subsamp;                 /* TJSAMP_*, or -1 for packed RGB */
  gint pixel_format;            /* TJPF_* of the frame's bytes */
  gint expanded_format;         /* TJPF_* once 3-byte pixels are made 4 */
} FormatEntry;

static const FormatEntry format_table[] = {
  {GST_VIDEO_FORMAT_I420, TJSAMP_420, -1, -1},
  {GST_VIDEO_FORMAT_YV12, TJSAMP_420, -1, -1},
  {GST_VIDEO_FORMAT_NV12, TJSAMP_420, -1, -1},
  {GST_VIDEO_FORMAT_NV21, TJSAMP_420, -1, -1},
  {GST_VIDEO_FORMAT_Y42B, TJSAMP_422, -1, -1},
  {GST_VIDEO_FORMAT_Y444, TJSAMP_444, -1, -1},
  {GST_VIDEO_FORMAT_GRAY8, TJSAMP_GRAY, -1, -1},
  /* RGB24ToARGB appends a fourth byte and keeps the first three in
   * memory order, so R,G,B becomes R,G,B,X. */
  {GST_VIDEO_FORMAT_RGB, -1, TJPF_RGB, TJPF_RGBX},
  {GST_VIDEO_FORMAT_BGR, -1, TJPF_BGR, TJPF_BGRX},
  {GST_VIDEO_FORMAT_RGBx, -1, TJPF_RGBX, TJPF_RGBX},
  {GST_VIDEO_FORMAT_BGRx, -1, TJPF_BGRX, TJPF_BGRX},
  {GST_VIDEO_FORMAT_xRGB, -1, TJPF_XRGB, TJPF_XRGB},
  {GST_VIDEO_FORMAT_xBGR, -1, TJPF_XBGR, TJPF_XBGR},
  {GST_VIDEO_FORMAT_RGBA, -1, TJPF_RGBA, TJPF_RGBA},
  {GST_VIDEO_FORMAT_BGRA, -1, TJPF_BGRA, TJPF_BGRA},
  {GST_VIDEO_FORMAT_ARGB, -1, TJPF_ARGB, TJPF_ARGB},
  {GST_VIDEO_FORMAT_ABGR, -1, TJPF_ABGR, TJPF_ABGR},
};

/* Up to three planes (Y, U, V or just Y) with their sizes. */
typedef struct
{
  const guint8 *data[3];
  gint stride[3];
  gint width[3];
  gint height[3];
} Planes;

static void
ensure_debug_category (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (gst_cv_analyze_encoder_debug, "cvanalyzeencoder",
        0, "cvanalyze frame scaling and JPEG encoding");
    g_once_init_leave (&once, 1);
  }
}

static const FormatEntry *
lookup_format (GstVideoFormat format)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (format_table); i++)
    if (format_table[i].format == format)
      return &format_table[i];
  return NULL;
}

/**
 * gst_cv_analyze_encoder_target_size:
 * @in_width: frame width
 * @in_height: frame height
 * @max_dimension: longest side allowed, 0 for no limit
 * @out_width: (out): width to encode
 * @out_height: (out): height to encode
 *
 * Computes the size a frame is encoded at: scaled down (never up) so the
 * longest side is at most @max_dimension, keeping the aspect ratio and
 * rounding to the nearest pixel. The service rejects images with a side
 * under %GST_CV_ANALYZE_MIN_DIMENSION, so each side is then raised to at
 * least that on its own: a 30x20 frame is sent as 50x50, a 4000x60 one at
 * max 1024 as 1024x50. Those few frames are stretched, which the results'
 * coordinates account for since they are scaled per axis.
 */
void
gst_cv_analyze_encoder_target_size (gint in_width, gint in_height,
    guint max_dimension, gint * out_width, gint * out_height)
{
  gint longest = MAX (MAX (in_width, in_height), 1);
  gint w = MAX (in_width, 1), h = MAX (in_height, 1);

  if (max_dimension > 0 && (guint) longest > max_dimension) {
    w = MAX (1, gst_util_uint64_scale_int_round (w, max_dimension, longest));
    h = MAX (1, gst_util_uint64_scale_int_round (h, max_dimension, longest));
  }
  *out_width = MAX (w, GST_CV_ANALYZE_MIN_DIMENSION);
  *out_height = MAX (h, GST_CV_ANALYZE_MIN_DIMENSION);
}

/* Planes of size width x height (chroma per @subsamp) in one zeroed block.
 * TurboJPEG reads the luma plane padded to whole chroma pairs
 * (tjPlaneWidth/Height of component 0), so it is allocated that big; the
 * zeroes keep that padding defined. Returns the block to free. */
static guint8 *
alloc_planes (Planes * p, gint n_planes, gint width, gint height, gint subsamp)
{
  gsize offset[3], size = 0;
  guint8 *block;
  gint i;

  for (i = 0; i < n_planes; i++) {
    p->width[i] = i ? tjPlaneWidth (i, width, subsamp) : width;
    p->height[i] = i ? tjPlaneHeight (i, height, subsamp) : height;
    p->stride[i] = GST_ROUND_UP_32 (tjPlaneWidth (i, width, subsamp));
    offset[i] = size;
    size += (gsize) p->stride[i] * tjPlaneHeight (i, height, subsamp);
  }
  block = g_malloc0 (size);
  for (i = 0; i < n_planes; i++)
    p->data[i] = block + offset[i];
  return block;
}

static int
compress_yuv (tjhandle tj, const GstVideoFrame * frame, gint subsamp,
    gint width, gint height, gint quality, guint8 ** jpeg, gulong * size)
{
  gint n_planes = subsamp == TJSAMP_GRAY ? 1 : 3;
  gint sw = GST_VIDEO_FRAME_WIDTH (frame), sh = GST_VIDEO_FRAME_HEIGHT (frame);
  guint8 *split = NULL, *scaled = NULL;
  Planes src = { {NULL}, {0}, {0}, {0} }, dst;
  gint i, ret;

  for (i = 0; i < n_planes; i++) {
    /* Component, not plane, accessors: they put U before V for YV12. */
    src.data[i] = GST_VIDEO_FRAME_COMP_DATA (frame, i);
    src.stride[i] = GST_VIDEO_FRAME_COMP_STRIDE (frame, i);
    src.width[i] = GST_VIDEO_FRAME_COMP_WIDTH (frame, i);
    src.height[i] = GST_VIDEO_FRAME_COMP_HEIGHT (frame, i);
  }

  if (n_planes == 3 && GST_VIDEO_FRAME_COMP_PSTRIDE (frame, 1) == 2) {
    /* NV12/NV21: TurboJPEG wants separate U and V planes. The U offset
     * inside the interleaved plane tells which byte is which. */
    gboolean v_first = GST_VIDEO_FRAME_COMP_POFFSET (frame, 1) != 0;
    gint cstride = GST_ROUND_UP_32 (src.width[1]);
    gsize csize = (gsize) cstride * src.height[1];

    split = g_malloc (2 * csize);
    src.data[1] = split;
    src.data[2] = split + csize;
    src.stride[1] = src.stride[2] = cstride;
    SplitUVPlane (GST_VIDEO_FRAME_PLANE_DATA (frame, 1),
        GST_VIDEO_FRAME_PLANE_STRIDE (frame, 1),
        split + (v_first ? csize : 0), cstride,
        split + (v_first ? 0 : csize), cstride, src.width[1], src.height[1]);
  }

  /* Scale; or copy when the frame's luma is not a whole number of chroma
   * pairs, as TurboJPEG would then read past its last row or column. */
  if (width != sw || height != sh || tjPlaneWidth (0, sw, subsamp) != sw
      || tjPlaneHeight (0, sh, subsamp) != sh) {
    scaled = alloc_planes (&dst, n_planes, width, height, subsamp);
    for (i = 0; i < n_planes; i++)
      ScalePlane (src.data[i], src.stride[i], src.width[i], src.height[i],
          (guint8 *) dst.data[i], dst.stride[i], dst.width[i], dst.height[i],
          SCALE_FILTER);
    src = dst;
  }

  ret = tjCompressFromYUVPlanes (tj, src.data, width, src.stride, height,
      subsamp, jpeg, size, quality, TJ_FLAGS);
  g_free (split);
  g_free (scaled);
  return ret;
}

static int
compress_rgb (tjhandle tj, const GstVideoFrame * frame,
    const FormatEntry * entry, gint width, gint height, gint quality,
    guint8 ** jpeg, gulong * size)
{
  gint sw = GST_VIDEO_FRAME_WIDTH (frame), sh = GST_VIDEO_FRAME_HEIGHT (frame);
  const guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (frame, 0);
  gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0);
  gint pixel_format = entry->pixel_format;
  guint8 *expanded = NULL, *scaled = NULL;
  int ret;

  if (width != sw || height != sh) {
    if (GST_VIDEO_FRAME_COMP_PSTRIDE (frame, 0) == 3) {
      /* libyuv scales 4-byte pixels only. */
      expanded = g_malloc ((gsize) sw * 4 * sh);
      RGB24ToARGB (data, stride, expanded, sw * 4, sw, sh);
      data = expanded;
      stride = sw * 4;
      pixel_format = entry->expanded_format;
    }
    /* ARGBScale filters each byte lane alike, so the order is kept. */
    scaled = g_malloc ((gsize) width * 4 * height);
    ARGBScale (data, stride, sw, sh, scaled, width * 4, width, height,
        SCALE_FILTER);
    data = scaled;
    stride = width * 4;
  }

  ret = tjCompress2 (tj, data, width, stride, height, pixel_format, jpeg, size,
      TJSAMP_420, quality, TJ_FLAGS);
  g_free (expanded);
  g_free (scaled);
  return ret;
}

/**
 * gst_cv_analyze_encoder_encode:
 * @frame: a frame mapped for reading, in one of
 *   %GST_CV_ANALYZE_ENCODER_FORMATS
 * @max_dimension: longest side of the image, 0 for no limit
 * @quality: JPEG quality, 1-100
 * @out_width: (out) (optional): width of the image encoded
 * @out_height: (out) (optional): height of the image encoded
 * @error: return location for a #GST_STREAM_ERROR
 *
 * Scales @frame to gst_cv_analyze_encoder_target_size() and compresses it
 * to JPEG. Safe to call from several threads at once.
 *
 * Returns: (transfer full) (nullable): the JPEG file, or %NULL with
 *   @error set for an unsupported format or a TurboJPEG failure.
 */
GBytes *
gst_cv_analyze_encoder_encode (const GstVideoFrame * frame,
    guint max_dimension, gint quality, gint * out_width, gint * out_height,
    GError ** error)
{
  GstVideoFormat format = GST_VIDEO_FRAME_FORMAT (frame);
  const FormatEntry *entry = lookup_format (format);
  guint8 *jpeg = NULL;
  gulong size = 0;
  gint width, height, ret;
  tjhandle tj;

  ensure_debug_category ();

  if (entry == NULL) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "cannot encode video format %s to JPEG",
        gst_video_format_to_string (format));
    return NULL;
  }

  gst_cv_analyze_encoder_target_size (GST_VIDEO_FRAME_WIDTH (frame),
      GST_VIDEO_FRAME_HEIGHT (frame), max_dimension, &width, &height);

  tj = tjInitCompress ();
  if (tj == NULL) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_ENCODE,
        "could not start a JPEG encoder: %s", tjGetErrorStr2 (NULL));
    return NULL;
  }

  if (entry->subsamp >= 0)
    ret = compress_yuv (tj, frame, entry->subsamp, width, height, quality,
        &jpeg, &size);
  else
    ret = compress_rgb (tj, frame, entry, width, height, quality, &jpeg, &size);

  if (ret != 0) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_ENCODE,
        "JPEG encoding of a %dx%d %s frame failed: %s", width, height,
        gst_video_format_to_string (format), tjGetErrorStr2 (tj));
    tjDestroy (tj);
    tjFree (jpeg);
    return NULL;
  }
  tjDestroy (tj);

  GST_LOG ("%s %dx%d -> %dx%d JPEG of %lu bytes",
      gst_video_format_to_string (format), GST_VIDEO_FRAME_WIDTH (frame),
      GST_VIDEO_FRAME_HEIGHT (frame), width, height, size);
  if (out_width)
    *out_width = width;
  if (out_height)
    *out_height = height;
  return g_bytes_new_with_free_func (jpeg, size, (GDestroyNotify) tjFree, jpeg);
}
