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
 * RGB and back; packed, semi-planar and 10-bit YUV are first made 8-bit
 * planes by libyuv, keeping their chroma subsampling. Those planes go in
 * as they are: JPEG (JFIF) means full-range BT.601, so limited-range video
 * comes out with a little less contrast, as from jpegenc; analysis does
 * not suffer from it, and fixing it would cost a pass over every pixel. */

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
 * (tests/bench/encode-ratio), so the better picture costs nothing; at the
 * exact ratios of fast_ratios below libyuv box-filters with kernels of its
 * own, faster still. */
#define SCALE_FILTER kFilterBox

/* TJFLAG_FASTDCT measured no faster (0.93-0.96 ms either way for a
 * 1024x576 4:2:0 image) with the SIMD accurate DCT Debian's libjpeg-turbo
 * has, so the accurate one is kept. */
#define TJ_FLAGS 0

/* How TurboJPEG reads each supported format. YUV (and GRAY8) is given as
 * separate 8-bit planes with its chroma subsampling, packed RGB as one
 * plane with its byte order. How a YUV frame becomes such planes (chroma
 * order, interleaving, packing, depth) comes from its format info, so it
 * needs no column here. */
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
  {GST_VIDEO_FORMAT_YUY2, TJSAMP_422, -1, -1},
  {GST_VIDEO_FORMAT_UYVY, TJSAMP_422, -1, -1},
  {GST_VIDEO_FORMAT_YVYU, TJSAMP_422, -1, -1},
  {GST_VIDEO_FORMAT_NV16, TJSAMP_422, -1, -1},
  {GST_VIDEO_FORMAT_NV61, TJSAMP_422, -1, -1},
  {GST_VIDEO_FORMAT_NV24, TJSAMP_444, -1, -1},
  {GST_VIDEO_FORMAT_I420_10LE, TJSAMP_420, -1, -1},
  {GST_VIDEO_FORMAT_P010_10LE, TJSAMP_420, -1, -1},
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

/* Ratios libyuv's ScalePlane has kernels of its own for (ScalePlaneDown34,
 * Down2, Down38, Down4), largest first. Any other ratio under 2 takes its
 * general 2-tap path, whose column pass alone cost more than the 3/4
 * kernel's whole scale: 1280x720 to 1024x576 took 0.96 ms, to 960x540
 * (3/4) 0.19 ms, with JPEGs of about the same cost after. */
static const struct
{
  gint num, den;
} fast_ratios[] = {
  {3, 4}, {1, 2}, {3, 8}, {1, 4},
};

/* How much of max-dimension a frame may give up to be scaled by one of
 * fast_ratios, in percent: 1024 to 960 (1280x720 and 1920x1080 to
 * 960x540) is 6.25. */
#define FAST_RATIO_MAX_LOSS 10

/* The largest of fast_ratios that scales @w x @h exactly to a longest side
 * within @max_dimension and at most FAST_RATIO_MAX_LOSS under it. */
static gboolean
fast_ratio_size (gint w, gint h, guint max_dimension, gint * out_w,
    gint * out_h)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (fast_ratios); i++) {
    gint num = fast_ratios[i].num, den = fast_ratios[i].den;
    guint longest = (guint) MAX (w, h) / den * num;

    if ((w * num) % den != 0 || (h * num) % den != 0
        || longest > max_dimension)
      continue;
    if (longest * 100 < max_dimension * (100 - FAST_RATIO_MAX_LOSS))
      return FALSE;             /* the ratios after are smaller still */
    *out_w = w / den * num;
    *out_h = h / den * num;
    return TRUE;
  }
  return FALSE;
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
 * longest side is at most @max_dimension, keeping the aspect ratio. When
 * an exact 3/4, 1/2, 3/8 or 1/4 of the frame fits and gives up at most a
 * tenth of @max_dimension, that is the size, as libyuv scales those ratios
 * several times faster (1280x720 and 1920x1080 to 960x540 at 1024, the
 * default); else the longest side is @max_dimension, the other rounded to
 * the nearest pixel. The service rejects images with a side
 * under %GST_CV_ANALYZE_MIN_DIMENSION, so each side is then raised to at
 * least that on its own: a 30x20 frame is sent as 51x51, a 4000x61 one at
 * max 1024 as 1024x51 (4000x60, exactly 4 times 1000x15, as 1000x51). Those few frames are stretched, which the results'
 * coordinates account for since they are scaled per axis.
 */
void
gst_cv_analyze_encoder_target_size (gint in_width, gint in_height,
    guint max_dimension, gint * out_width, gint * out_height)
{
  gint longest = MAX (MAX (in_width, in_height), 1);
  gint w = MAX (in_width, 1), h = MAX (in_height, 1);

  if (max_dimension > 0 && (guint) longest > max_dimension
      && !fast_ratio_size (w, h, max_dimension, &w, &h)) {
    w = MAX (1, gst_util_uint64_scale_int_round (w, max_dimension, longest));
    h = MAX (1, gst_util_uint64_scale_int_round (h, max_dimension, longest));
  }
  *out_width = MAX (w, GST_CV_ANALYZE_MIN_DIMENSION);
  *out_height = MAX (h, GST_CV_ANALYZE_MIN_DIMENSION);
}

/* Planes of size width x height (chroma per @subsamp) in one block.
 * TurboJPEG reads the luma plane padded to whole chroma pairs
 * (tjPlaneWidth/Height of component 0), so it is allocated that big; with
 * @zeroed that padding is defined, for planes TurboJPEG reads. Only a
 * padded block is cleared: a sampled frame's planes are otherwise all
 * written by the scaler, and clearing them cost a memset of the whole
 * image (0.9 MB at 1024x576) per sample. Returns the block to free. */
static guint8 *
alloc_planes (Planes * p, gint n_planes, gint width, gint height, gint subsamp,
    gboolean zeroed)
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
  zeroed = zeroed && (tjPlaneWidth (0, width, subsamp) != width
      || tjPlaneHeight (0, height, subsamp) != height);
  block = zeroed ? g_malloc0 (size) : g_malloc (size);
  for (i = 0; i < n_planes; i++)
    p->data[i] = block + offset[i];
  return block;
}

/* The 10-bit formats cut to 8 bits, each plane keeping its layout (so
 * P010's chroma stays interleaved). Fills @data and @stride with the 8-bit
 * planes and returns the block they are in, to free. The samples are
 * read as native 16-bit words, which these _10LE formats are on the
 * little-endian hosts this is built for. */
static guint8 *
reduce_to_8_bits (const GstVideoFrame * frame, const guint8 ** data,
    gint * stride)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;
  /* Convert16To8Plane writes (sample * scale) >> 16: this keeps the top 8
   * of the depth bits, wherever in the 16 they sit (P010 shifts them up). */
  gint scale = 1 << (24 - GST_VIDEO_FORMAT_INFO_DEPTH (finfo, 0)
      - GST_VIDEO_FORMAT_INFO_SHIFT (finfo, 0));
  gint samples[GST_VIDEO_MAX_PLANES], rows[GST_VIDEO_MAX_PLANES];
  gsize offset[GST_VIDEO_MAX_PLANES], size = 0;
  guint8 *block;
  guint c, i;

  for (c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS (frame); c++) {
    i = GST_VIDEO_FRAME_COMP_PLANE (frame, c);
    samples[i] = GST_VIDEO_FRAME_COMP_WIDTH (frame, c) *
        GST_VIDEO_FRAME_COMP_PSTRIDE (frame, c) / 2;
    rows[i] = GST_VIDEO_FRAME_COMP_HEIGHT (frame, c);
  }
  for (i = 0; i < GST_VIDEO_FRAME_N_PLANES (frame); i++) {
    offset[i] = size;
    size += (gsize) GST_ROUND_UP_32 (samples[i]) * rows[i];
  }
  block = g_malloc (size);
  for (i = 0; i < GST_VIDEO_FRAME_N_PLANES (frame); i++) {
    Convert16To8Plane ((const guint16 *) data[i], stride[i] / 2,
        block + offset[i], GST_ROUND_UP_32 (samples[i]), scale, samples[i],
        rows[i]);
    data[i] = block + offset[i];
    stride[i] = GST_ROUND_UP_32 (samples[i]);
  }
  return block;
}

/* @frame's Y, U and V (or Y alone) as the separate 8-bit planes TurboJPEG
 * and ScalePlane take, at the frame's size. Planar 8-bit frames are read
 * in place; the others are converted first, into @scratch (two blocks, to
 * free): 10-bit cut to 8, interleaved UV split, packed 4:2:2 unpacked.
 * Converting before scaling is the cheaper order: libyuv cannot scale
 * packed 4:2:2, and its interleaved-UV and 16-bit scalers took 2 to 3
 * times as long as converting plus its 8-bit plane scaler
 * (tests/bench/encode-ratio). */
static void
frame_planes (const GstVideoFrame * frame, gint n_planes, Planes * p,
    guint8 ** scratch)
{
  gint sw = GST_VIDEO_FRAME_WIDTH (frame), sh = GST_VIDEO_FRAME_HEIGHT (frame);
  const guint8 *data[GST_VIDEO_MAX_PLANES];
  gint stride[GST_VIDEO_MAX_PLANES];
  gint bytes = 1, i;            /* per sample in the frame */

  for (i = 0; i < GST_VIDEO_FRAME_N_PLANES (frame); i++) {
    data[i] = GST_VIDEO_FRAME_PLANE_DATA (frame, i);
    stride[i] = GST_VIDEO_FRAME_PLANE_STRIDE (frame, i);
  }
  if (GST_VIDEO_FRAME_COMP_DEPTH (frame, 0) > 8) {
    scratch[0] = reduce_to_8_bits (frame, data, stride);
    bytes = 2;
  }

  if (n_planes == 3 && GST_VIDEO_FRAME_N_PLANES (frame) == 1) {
    /* YUY2, UYVY, YVYU. libyuv unpacks Y-first and Y-second orders; V
     * before U (YVYU) is its U-first order with the outputs swapped. */
    gboolean u_first = GST_VIDEO_FRAME_COMP_POFFSET (frame, 1) <
        GST_VIDEO_FRAME_COMP_POFFSET (frame, 2);
    gint u = u_first ? 1 : 2, v = u_first ? 2 : 1;

    /* Not zeroed: only the copy or scale below reads it when the luma
     * has padding (an odd width). */
    scratch[1] = alloc_planes (p, 3, sw, sh, TJSAMP_422, FALSE);
    (GST_VIDEO_FRAME_COMP_POFFSET (frame, 0) == 0 ? YUY2ToI422 : UYVYToI422)
        (data[0], stride[0], (guint8 *) p->data[0], p->stride[0],
        (guint8 *) p->data[u], p->stride[u], (guint8 *) p->data[v],
        p->stride[v], sw, sh);
    return;
  }

  for (i = 0; i < n_planes; i++) {
    /* Component, not plane, offsets: they put U before V for YV12. */
    p->data[i] = data[GST_VIDEO_FRAME_COMP_PLANE (frame, i)] +
        GST_VIDEO_FRAME_COMP_POFFSET (frame, i) / bytes;
    p->stride[i] = stride[GST_VIDEO_FRAME_COMP_PLANE (frame, i)];
    p->width[i] = GST_VIDEO_FRAME_COMP_WIDTH (frame, i);
    p->height[i] = GST_VIDEO_FRAME_COMP_HEIGHT (frame, i);
  }

  if (n_planes == 3 && GST_VIDEO_FRAME_COMP_PSTRIDE (frame, 1) == 2 * bytes) {
    /* NV12, NV21, NV16, NV61, NV24, P010: TurboJPEG wants separate U and
     * V planes. The U offset inside the interleaved plane tells which
     * byte is which. */
    gboolean v_first = GST_VIDEO_FRAME_COMP_POFFSET (frame, 1) != 0;
    gint cstride = GST_ROUND_UP_32 (p->width[1]);
    gsize csize = (gsize) cstride * p->height[1];

    scratch[1] = g_malloc (2 * csize);
    SplitUVPlane (data[1], stride[1], scratch[1] + (v_first ? csize : 0),
        cstride, scratch[1] + (v_first ? 0 : csize), cstride, p->width[1],
        p->height[1]);
    p->data[1] = scratch[1];
    p->data[2] = scratch[1] + csize;
    p->stride[1] = p->stride[2] = cstride;
  }
}

/* Compresses the 8-bit planes @src (chroma per @subsamp) at width x
 * height, scaling them first when their size differs. Unless @padded (the
 * luma rows and columns up to whole chroma pairs hold pixels, as a JPEG
 * decoder writes them), a luma that is not a whole number of chroma pairs
 * is copied too, as TurboJPEG would read past its last row or column. */
static int
compress_planes (tjhandle tj, const Planes * src, gint n_planes, gint subsamp,
    gboolean padded, gint width, gint height, gint quality, guint8 ** jpeg,
    gulong * size)
{
  gint sw = src->width[0], sh = src->height[0];
  guint8 *scaled = NULL;
  Planes dst = *src;
  gint i, ret;

  if (width != sw || height != sh || (!padded
          && (tjPlaneWidth (0, sw, subsamp) != sw
              || tjPlaneHeight (0, sh, subsamp) != sh))) {
    scaled = alloc_planes (&dst, n_planes, width, height, subsamp, TRUE);
    for (i = 0; i < n_planes; i++)
      ScalePlane (src->data[i], src->stride[i], src->width[i], src->height[i],
          (guint8 *) dst.data[i], dst.stride[i], dst.width[i], dst.height[i],
          SCALE_FILTER);
  }

  ret = tjCompressFromYUVPlanes (tj, dst.data, width, dst.stride, height,
      subsamp, jpeg, size, quality, TJ_FLAGS);
  g_free (scaled);
  return ret;
}

static int
compress_yuv (tjhandle tj, const GstVideoFrame * frame, gint subsamp,
    gint width, gint height, gint quality, guint8 ** jpeg, gulong * size)
{
  gint n_planes = subsamp == TJSAMP_GRAY ? 1 : 3;
  guint8 *scratch[2] = { NULL, NULL };
  Planes src;
  gint ret;

  frame_planes (frame, n_planes, &src, scratch);
  ret = compress_planes (tj, &src, n_planes, subsamp, FALSE, width, height,
      quality, jpeg, size);
  g_free (scratch[0]);
  g_free (scratch[1]);
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

/* The DCT scaling TurboJPEG decodes @width x @height at to reach at least
 * @target_width x @target_height: the smallest of 1/8, 1/4, 1/2 that is
 * still that big (the fast ones: whole 8x8 blocks become 1, 2 or 4
 * pixels), else 1/1. libyuv scales the rest of the way. */
static tjscalingfactor
pick_scaling (gint width, gint height, gint target_width, gint target_height)
{
  tjscalingfactor best = { 1, 1 }, *factors;
  gint i, n = 0;

  factors = tjGetScalingFactors (&n);
  for (i = 0; factors && i < n; i++) {
    tjscalingfactor f = factors[i];

    if (f.num != 1 || f.denom <= best.denom)
      continue;
    if (TJSCALED (width, f) >= target_width
        && TJSCALED (height, f) >= target_height)
      best = f;
  }
  return best;
}

/* Decodes @data at the DCT scaling nearest above the target into YUV
 * planes, then scales and compresses them. A corrupt or truncated frame
 * fails in the decoder (TurboJPEG reports libjpeg's warnings as errors). */
static gboolean
reencode_jpeg (tjhandle dec, tjhandle enc, const guint8 * data, gsize size,
    gint width, gint height, gint subsamp, gint target_width,
    gint target_height, gint quality, guint8 ** jpeg, gulong * jpeg_size,
    GError ** error)
{
  tjscalingfactor f = pick_scaling (width, height, target_width,
      target_height);
  gint sw = TJSCALED (width, f), sh = TJSCALED (height, f);
  gint n_planes = subsamp == TJSAMP_GRAY ? 1 : 3;
  Planes planes;
  guint8 *block;
  int ret;

  block = alloc_planes (&planes, n_planes, sw, sh, subsamp, FALSE);
  ret = tjDecompressToYUVPlanes (dec, data, size, (guint8 **) planes.data, sw,
      planes.stride, sh, TJ_FLAGS);
  GST_LOG ("decoded %dx%d at %d/%d: %dx%d", width, height, f.num, f.denom,
      sw, sh);
  if (ret != 0) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "could not decode a %dx%d JPEG of %" G_GSIZE_FORMAT " bytes, the "
        "frame is corrupt or truncated: %s", width, height, size,
        tjGetErrorStr2 (dec));
  } else if ((ret = compress_planes (enc, &planes, n_planes, subsamp, TRUE,
              target_width, target_height, quality, jpeg, jpeg_size)) != 0) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_ENCODE,
        "JPEG encoding at %dx%d failed: %s", target_width, target_height,
        tjGetErrorStr2 (enc));
  }
  g_free (block);
  return ret == 0;
}

/**
 * gst_cv_analyze_encoder_encode_jpeg:
 * @data: a JPEG file (a frame of image/jpeg caps)
 * @size: its size in bytes
 * @max_dimension: longest side of the image, 0 for no limit
 * @quality: JPEG quality, 1-100, for a JPEG that is re-encoded
 * @max_bytes: the service's limit on one image, 0 for none
 * @out_width: (out) (optional): width of the image returned
 * @out_height: (out) (optional): height of the image returned
 * @error: return location for a #GST_STREAM_ERROR
 *
 * Prepares a JPEG for the service without a pass over its pixels when it
 * can: a JPEG whose size (read from its header) is already
 * gst_cv_analyze_encoder_target_size() and that is at most @max_bytes is
 * returned as it is (a copy of @data). Otherwise it is decoded with
 * TurboJPEG's DCT scaling (1/2, 1/4 or 1/8, the smallest that is not
 * below the target), scaled the rest of the way and encoded again at the
 * target size. Safe to call from several threads at once.
 *
 * Returns: (transfer full) (nullable): the JPEG to send, or %NULL with
 *   @error set when @data is not a JPEG TurboJPEG can decode.
 */
GBytes *
gst_cv_analyze_encoder_encode_jpeg (const guint8 * data, gsize size,
    guint max_dimension, gint quality, gsize max_bytes, gint * out_width,
    gint * out_height, GError ** error)
{
  gint width = 0, height = 0, subsamp = -1, colorspace, tw, th;
  gboolean header_ok;
  guint8 *jpeg = NULL;
  gulong jpeg_size = 0;
  tjhandle dec, enc;

  ensure_debug_category ();

  dec = tjInitDecompress ();
  if (dec == NULL) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "could not start a JPEG decoder: %s", tjGetErrorStr2 (NULL));
    return NULL;
  }
  header_ok = size <= G_MAXULONG && tjDecompressHeader3 (dec, data, size,
      &width, &height, &subsamp, &colorspace) == 0;
  /* A header cut short can read as a success with a size of 0. */
  if (!header_ok || width < 1 || height < 1 || subsamp < 0) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "the frame is not a valid JPEG (%" G_GSIZE_FORMAT " bytes): %s",
        size, header_ok ? "no image size or chroma subsampling in its "
        "header" : tjGetErrorStr2 (dec));
    tjDestroy (dec);
    return NULL;
  }

  gst_cv_analyze_encoder_target_size (width, height, max_dimension, &tw, &th);
  if (out_width)
    *out_width = tw;
  if (out_height)
    *out_height = th;
  if (tw == width && th == height && (max_bytes == 0 || size <= max_bytes)) {
    GST_LOG ("%dx%d JPEG of %" G_GSIZE_FORMAT " bytes sent as it is", width,
        height, size);
    tjDestroy (dec);
    return g_bytes_new (data, size);
  }

  if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "cannot scale a %dx%d CMYK JPEG; decode it before cvanalyze "
        "(jpegdec)", width, height);
    tjDestroy (dec);
    return NULL;
  }

  enc = tjInitCompress ();
  if (enc == NULL) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_ENCODE,
        "could not start a JPEG encoder: %s", tjGetErrorStr2 (NULL));
    tjDestroy (dec);
    return NULL;
  }
  if (!reencode_jpeg (dec, enc, data, size, width, height, subsamp, tw, th,
          quality, &jpeg, &jpeg_size, error)) {
    tjFree (jpeg);
    tjDestroy (enc);
    tjDestroy (dec);
    return NULL;
  }
  tjDestroy (enc);
  tjDestroy (dec);

  GST_LOG ("%dx%d JPEG of %" G_GSIZE_FORMAT " bytes -> %dx%d JPEG of %lu "
      "bytes", width, height, size, tw, th, jpeg_size);
  return g_bytes_new_with_free_func (jpeg, jpeg_size, (GDestroyNotify) tjFree,
      jpeg);
}

/**
 * gst_cv_analyze_encoder_crop_jpeg:
 * @data: a JPEG
 * @size: its size in bytes
 * @x: left edge of the crop, in the JPEG's pixels
 * @y: top edge
 * @width: width of the crop (at least 1)
 * @height: height of the crop
 * @out_width: width of the JPEG returned
 * @out_height: height of the JPEG returned
 * @quality: JPEG quality, 1-100
 * @error: return location for a #GST_STREAM_ERROR
 *
 * Cuts @width x @height at (@x, @y) out of @data (clipped to the image,
 * its top left corner moved up and left to whole chroma samples) and
 * encodes it at @out_width x @out_height: decoded at the DCT scaling that
 * keeps the crop at least that big, scaled by libyuv. A smart thumbnail
 * made from the box a service gave. Safe to call from several threads at
 * once.
 *
 * Returns: (transfer full) (nullable): the JPEG, or %NULL with @error set
 */
GBytes *
gst_cv_analyze_encoder_crop_jpeg (const guint8 * data, gsize size, gint x,
    gint y, gint width, gint height, gint out_width, gint out_height,
    gint quality, GError ** error)
{
  gint w = 0, h = 0, subsamp = -1, colorspace, sw, sh, n_planes, i;
  gint hsub, vsub, cx, cy, cw, ch;
  tjhandle dec = NULL, enc = NULL;
  tjscalingfactor f;
  Planes planes, crop;
  guint8 *block = NULL, *jpeg = NULL;
  gulong jpeg_size = 0;
  GBytes *out = NULL;

  g_return_val_if_fail (out_width > 0 && out_height > 0, NULL);
  ensure_debug_category ();

  dec = tjInitDecompress ();
  enc = tjInitCompress ();
  if (dec == NULL || enc == NULL) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "could not start TurboJPEG: %s", tjGetErrorStr2 (NULL));
    goto out;
  }
  if (size > G_MAXULONG || tjDecompressHeader3 (dec, data, size, &w, &h,
          &subsamp, &colorspace) != 0 || w < 1 || h < 1 || subsamp < 0
      || colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "the image to crop is not a JPEG that can be decoded (%"
        G_GSIZE_FORMAT " bytes)", size);
    goto out;
  }

  x = CLAMP (x, 0, w - 1);
  y = CLAMP (y, 0, h - 1);
  width = CLAMP (width, 1, w - x);
  height = CLAMP (height, 1, h - y);
  f = pick_scaling (w, h, (gint) (((gint64) out_width * w + width - 1) /
          width), (gint) (((gint64) out_height * h + height - 1) / height));
  sw = TJSCALED (w, f);
  sh = TJSCALED (h, f);
  n_planes = subsamp == TJSAMP_GRAY ? 1 : 3;
  block = alloc_planes (&planes, n_planes, sw, sh, subsamp, FALSE);
  if (tjDecompressToYUVPlanes (dec, data, size, (guint8 **) planes.data, sw,
          planes.stride, sh, TJ_FLAGS) != 0) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "could not decode the %dx%d JPEG to crop: %s", w, h,
        tjGetErrorStr2 (dec));
    goto out;
  }

  /* The crop at the decoded scale, starting on whole chroma samples. */
  hsub = tjMCUWidth[subsamp] / 8;
  vsub = tjMCUHeight[subsamp] / 8;
  cx = (gint) ((gint64) x * sw / w) / hsub * hsub;
  cy = (gint) ((gint64) y * sh / h) / vsub * vsub;
  cw = CLAMP ((gint) (((gint64) (x + width) * sw + w - 1) / w) - cx, 1,
      sw - cx);
  ch = CLAMP ((gint) (((gint64) (y + height) * sh + h - 1) / h) - cy, 1,
      sh - cy);
  for (i = 0; i < n_planes; i++) {
    gint ph = i ? hsub : 1, pv = i ? vsub : 1;

    crop.data[i] = planes.data[i] + (gsize) (cy / pv) * planes.stride[i] +
        cx / ph;
    crop.stride[i] = planes.stride[i];
    crop.width[i] = i ? tjPlaneWidth (i, cw, subsamp) : cw;
    crop.height[i] = i ? tjPlaneHeight (i, ch, subsamp) : ch;
  }
  if (compress_planes (enc, &crop, n_planes, subsamp, FALSE, out_width,
          out_height, quality, &jpeg, &jpeg_size) != 0) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_ENCODE,
        "JPEG encoding at %dx%d failed: %s", out_width, out_height,
        tjGetErrorStr2 (enc));
    goto out;
  }
  GST_LOG ("cropped %dx%d at %d,%d of a %dx%d JPEG (decoded at %dx%d) to "
      "%dx%d", width, height, x, y, w, h, sw, sh, out_width, out_height);
  out = g_bytes_new_with_free_func (jpeg, jpeg_size, (GDestroyNotify) tjFree,
      jpeg);
  jpeg = NULL;

out:
  tjFree (jpeg);
  g_free (block);
  if (enc)
    tjDestroy (enc);
  if (dec)
    tjDestroy (dec);
  return out;
}
