/* encode-ratio: what preparing one sampled frame costs. Times, in one
 * process and on the same 1920x1080 I420 frame:
 *   - gst_cv_analyze_encoder_encode() at max-dimension 1024 (960x540, an
 *     exact half) at quality 85;
 *   - the same done by appsrc ! videoscale ! jpegenc quality=85 ! fakesink,
 *     from the first push to EOS;
 *   - the scaling alone, by libyuv (box and bilinear filters) and by
 *     GstVideoConverter set up as videoscale sets it up;
 *   - the JPEG compression alone, with the accurate and the fast DCT;
 *   - the encode of the same frame in each camera format (YUY2, NV16,
 *     I420_10LE, ...), and for the formats libyuv could also scale before
 *     converting, both orders of conversion and scaling;
 * and prints the ratios scripts/benchmark.sh reports.
 *
 *   encode-ratio [ITERATIONS]      (default 100)
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

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <turbojpeg.h>
#include <libyuv.h>

#include "gstcvanalyzeencoder.h"

#define IN_WIDTH 1920
#define IN_HEIGHT 1080
/* What gst_cv_analyze_encoder_target_size() gives for IN_WIDTH x IN_HEIGHT
 * at MAX_DIMENSION (main() checks): the reference scales to the same. */
#define OUT_WIDTH 960
#define OUT_HEIGHT 540
#define MAX_DIMENSION 1024
#define QUALITY 85

typedef struct
{
  GstVideoFrame in;             /* the 1920x1080 source, mapped */
  GstVideoFrame out;            /* the OUT_WIDTH x OUT_HEIGHT destination */
  GstVideoConverter *converter;
  tjhandle tj;
  enum FilterMode filter;
  gint tj_flags;
  gsize jpeg_size;
} Bench;

typedef void (*BenchFunc) (Bench * bench);

/* Mean milliseconds per call of @func over @n calls, after one warm-up. */
static gdouble
time_ms (BenchFunc func, Bench * bench, guint n)
{
  gint64 start;
  guint i;

  func (bench);
  start = g_get_monotonic_time ();
  for (i = 0; i < n; i++)
    func (bench);
  return (g_get_monotonic_time () - start) / 1000.0 / n;
}

/* Mean milliseconds of this thread's CPU time per call of @func over @n
 * calls: unlike time_ms(), not inflated when other processes take the
 * core, for the single-threaded calls compared below. */
static gdouble
cpu_ms (BenchFunc func, Bench * bench, guint n)
{
  struct timespec t0, t1;
  guint i;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t0);
  for (i = 0; i < n; i++)
    func (bench);
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t1);
  return ((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6) / n;
}

/* Lowest of 5 alternating rounds of @n / 5 calls of @fa and of @fb, in CPU
 * milliseconds per call: on a shared machine, two things compared are best
 * timed side by side, and the cheapest round is the least disturbed. */
static void
time_pair_ms (BenchFunc fa, Bench * a, BenchFunc fb, Bench * b, guint n,
    gdouble * ms_a, gdouble * ms_b)
{
  guint round, per_round = MAX (n / 5, 1);

  fa (a);
  fb (b);
  *ms_a = *ms_b = G_MAXDOUBLE;
  for (round = 0; round < 5; round++) {
    *ms_a = MIN (*ms_a, cpu_ms (fa, a, per_round));
    *ms_b = MIN (*ms_b, cpu_ms (fb, b, per_round));
  }
}

/* A frame with videotestsrc-like content, the same on every run: smooth
 * gradients (what the camera sees) plus a little noise (what the sensor
 * adds), so the JPEG has realistic work to do. */
static GstBuffer *
make_source (GstVideoInfo * info)
{
  GstBuffer *buf;
  GstVideoFrame frame;
  guint32 seed = 12345;
  gint c, x, y;

  gst_video_info_set_format (info, GST_VIDEO_FORMAT_I420, IN_WIDTH, IN_HEIGHT);
  GST_VIDEO_INFO_FPS_N (info) = 30;
  GST_VIDEO_INFO_FPS_D (info) = 1;
  buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  gst_video_frame_map (&frame, info, buf, GST_MAP_WRITE);
  for (c = 0; c < 3; c++) {
    gint w = GST_VIDEO_FRAME_COMP_WIDTH (&frame, c);
    gint h = GST_VIDEO_FRAME_COMP_HEIGHT (&frame, c);

    for (y = 0; y < h; y++) {
      guint8 *row = GST_VIDEO_FRAME_COMP_DATA (&frame, c);

      row += y * GST_VIDEO_FRAME_COMP_STRIDE (&frame, c);
      for (x = 0; x < w; x++) {
        seed = seed * 1103515245 + 12345;
        row[x] = (c == 0 ? (x * 255 / w + y * 128 / h) / 2 + 32 :
            c == 1 ? 64 + x * 128 / w : 192 - y * 128 / h)
            + (gint) ((seed >> 16) & 15) - 8;
      }
    }
  }
  gst_video_frame_unmap (&frame);
  return buf;
}

static void
run_encode (Bench * bench)
{
  GBytes *jpeg = gst_cv_analyze_encoder_encode (&bench->in, MAX_DIMENSION,
      QUALITY, NULL, NULL, NULL);

  if (jpeg == NULL) {
    fprintf (stderr, "encoding failed\n");
    exit (1);
  }
  bench->jpeg_size = g_bytes_get_size (jpeg);
  g_bytes_unref (jpeg);
}

static void
run_libyuv_scale (Bench * bench)
{
  gint c;

  for (c = 0; c < 3; c++)
    ScalePlane (GST_VIDEO_FRAME_COMP_DATA (&bench->in, c),
        GST_VIDEO_FRAME_COMP_STRIDE (&bench->in, c),
        GST_VIDEO_FRAME_COMP_WIDTH (&bench->in, c),
        GST_VIDEO_FRAME_COMP_HEIGHT (&bench->in, c),
        GST_VIDEO_FRAME_COMP_DATA (&bench->out, c),
        GST_VIDEO_FRAME_COMP_STRIDE (&bench->out, c),
        GST_VIDEO_FRAME_COMP_WIDTH (&bench->out, c),
        GST_VIDEO_FRAME_COMP_HEIGHT (&bench->out, c), bench->filter);
}

static void
run_converter_scale (Bench * bench)
{
  gst_video_converter_frame (bench->converter, &bench->in, &bench->out);
}

/* The compression alone, of the already scaled planes. */
static void
run_compress (Bench * bench)
{
  const guint8 *planes[3];
  gint strides[3], c;
  guint8 *jpeg = NULL;
  gulong size = 0;

  for (c = 0; c < 3; c++) {
    planes[c] = GST_VIDEO_FRAME_COMP_DATA (&bench->out, c);
    strides[c] = GST_VIDEO_FRAME_COMP_STRIDE (&bench->out, c);
  }
  if (tjCompressFromYUVPlanes (bench->tj, planes, OUT_WIDTH, strides,
          OUT_HEIGHT, TJSAMP_420, &jpeg, &size, QUALITY,
          bench->tj_flags) != 0) {
    fprintf (stderr, "%s\n", tjGetErrorStr2 (bench->tj));
    exit (1);
  }
  tjFree (jpeg);
}

/* Frames in the camera formats, made from the I420 source once, and
 * scratch planes big enough for any of them at 1920x1080 16-bit 4:4:4. */
typedef struct
{
  GstVideoFrame nv16;
  GstVideoFrame i010;
  guint16 *wide[3];             /* 16-bit planes */
  guint8 *narrow[3];            /* 8-bit planes */
  guint8 *uv;                   /* interleaved 8-bit chroma */
  guint8 *scaled;               /* where a scaled plane goes */
} OrderBench;

static OrderBench order;

/* Both orders below leave the luma out: it is scaled alike either way. */

/* NV16 chroma as the encoder does it: split, then scale each plane. */
static void
run_nv16_split_then_scale (Bench * bench)
{
  const guint8 *uv = GST_VIDEO_FRAME_PLANE_DATA (&order.nv16, 1);
  gint uv_stride = GST_VIDEO_FRAME_PLANE_STRIDE (&order.nv16, 1);
  gint c;

  SplitUVPlane (uv, uv_stride, order.narrow[1], IN_WIDTH / 2,
      order.narrow[2], IN_WIDTH / 2, IN_WIDTH / 2, IN_HEIGHT);
  for (c = 1; c < 3; c++)
    ScalePlane (order.narrow[c], IN_WIDTH / 2, IN_WIDTH / 2, IN_HEIGHT,
        order.scaled, OUT_WIDTH / 2, OUT_WIDTH / 2, OUT_HEIGHT, kFilterBox);
}

/* NV16 chroma scaled interleaved (UVScale), then split at the target size. */
static void
run_nv16_scale_then_split (Bench * bench)
{
  UVScale (GST_VIDEO_FRAME_PLANE_DATA (&order.nv16, 1),
      GST_VIDEO_FRAME_PLANE_STRIDE (&order.nv16, 1), IN_WIDTH / 2, IN_HEIGHT,
      order.uv, OUT_WIDTH, OUT_WIDTH / 2, OUT_HEIGHT, kFilterBox);
  SplitUVPlane (order.uv, OUT_WIDTH, order.narrow[1], OUT_WIDTH / 2,
      order.narrow[2], OUT_WIDTH / 2, OUT_WIDTH / 2, OUT_HEIGHT);
}

/* I420_10LE as the encoder does it: cut to 8 bits, then scale 8-bit. */
static void
run_i010_convert_then_scale (Bench * bench)
{
  gint c;

  for (c = 0; c < 3; c++) {
    gint w = GST_VIDEO_FRAME_COMP_WIDTH (&order.i010, c);
    gint h = GST_VIDEO_FRAME_COMP_HEIGHT (&order.i010, c);

    Convert16To8Plane ((const guint16 *) GST_VIDEO_FRAME_COMP_DATA
        (&order.i010, c),
        GST_VIDEO_FRAME_COMP_STRIDE (&order.i010, c) / 2, order.narrow[c], w,
        16384, w, h);
    ScalePlane (order.narrow[c], w, w, h, order.scaled, OUT_WIDTH,
        c ? OUT_WIDTH / 2 : OUT_WIDTH, c ? OUT_HEIGHT / 2 : OUT_HEIGHT,
        kFilterBox);
  }
}

/* I420_10LE scaled at 16 bits, then cut to 8 bits at the target size. */
static void
run_i010_scale_then_convert (Bench * bench)
{
  gint c;

  for (c = 0; c < 3; c++) {
    gint w = c ? OUT_WIDTH / 2 : OUT_WIDTH, h = c ? OUT_HEIGHT / 2 : OUT_HEIGHT;

    ScalePlane_16 ((const guint16 *) GST_VIDEO_FRAME_COMP_DATA
        (&order.i010, c),
        GST_VIDEO_FRAME_COMP_STRIDE (&order.i010, c) / 2,
        GST_VIDEO_FRAME_COMP_WIDTH (&order.i010, c),
        GST_VIDEO_FRAME_COMP_HEIGHT (&order.i010, c), order.wide[c], w, w, h,
        kFilterBox);
    Convert16To8Plane (order.wide[c], w, order.narrow[c], w, 16384, w, h);
  }
}

/* @in converted to @format, in a new buffer mapped into @frame. */
static void
map_converted (GstVideoFrame * in, GstVideoFormat format,
    GstVideoFrame * frame)
{
  GstVideoInfo info;
  GstVideoConverter *conv;

  gst_video_info_set_format (&info, format, IN_WIDTH, IN_HEIGHT);
  /* What the converter needs to only convert the pixels. */
  info.fps_n = in->info.fps_n;
  info.fps_d = in->info.fps_d;
  info.colorimetry = in->info.colorimetry;
  info.chroma_site = in->info.chroma_site;
  gst_video_frame_map (frame, &info,
      gst_buffer_new_allocate (NULL, info.size, NULL), GST_MAP_READWRITE);
  conv = gst_video_converter_new (&in->info, &info, NULL);
  gst_video_converter_frame (conv, in, frame);
  gst_video_converter_free (conv);
}

static void
unmap_converted (GstVideoFrame * frame)
{
  GstBuffer *buf = frame->buffer;

  gst_video_frame_unmap (frame);
  gst_buffer_unref (buf);
}

/* gst_cv_analyze_encoder_encode() of the source in each camera format. */
static void
print_formats (Bench * i420, guint n)
{
  static const GstVideoFormat formats[] = {
    GST_VIDEO_FORMAT_YUY2, GST_VIDEO_FORMAT_UYVY, GST_VIDEO_FORMAT_YVYU,
    GST_VIDEO_FORMAT_NV16, GST_VIDEO_FORMAT_NV61, GST_VIDEO_FORMAT_NV24,
    GST_VIDEO_FORMAT_I420_10LE, GST_VIDEO_FORMAT_P010_10LE,
    GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_Y42B, GST_VIDEO_FORMAT_Y444,
  };
  guint f;

  printf ("cvanalyze encode by format, CPU time, each beside I420:\n");
  for (f = 0; f < G_N_ELEMENTS (formats); f++) {
    Bench bench = { 0, };
    gdouble ms, i420_ms;

    map_converted (&i420->in, formats[f], &bench.in);
    time_pair_ms (run_encode, &bench, run_encode, i420, n, &ms, &i420_ms);
    printf ("  %-9s %.2f ms/frame, I420 %.2f ms: ratio %.2f\n",
        gst_video_format_to_string (formats[f]), ms, i420_ms, ms / i420_ms);
    unmap_converted (&bench.in);
  }
}

/* The two orders of conversion and scaling, where libyuv can do both. */
static void
print_orders (Bench * i420, guint n)
{
  gsize plane = (gsize) IN_WIDTH * IN_HEIGHT;
  gdouble a, b;
  gint c;

  map_converted (&i420->in, GST_VIDEO_FORMAT_NV16, &order.nv16);
  map_converted (&i420->in, GST_VIDEO_FORMAT_I420_10LE, &order.i010);
  for (c = 0; c < 3; c++) {
    order.wide[c] = g_malloc (plane * 2);
    order.narrow[c] = g_malloc (plane);
  }
  order.uv = g_malloc (plane * 2);
  order.scaled = g_malloc (plane);

  time_pair_ms (run_nv16_split_then_scale, i420, run_nv16_scale_then_split,
      i420, n, &a, &b);
  printf ("NV16 chroma: split then scale %.2f ms, UVScale then split %.2f ms\n",
      a, b);
  time_pair_ms (run_i010_convert_then_scale, i420,
      run_i010_scale_then_convert, i420, n, &a, &b);
  printf ("I420_10LE: to 8 bits then scale %.2f ms, ScalePlane_16 then "
      "to 8 bits %.2f ms\n", a, b);

  for (c = 0; c < 3; c++) {
    g_free (order.wide[c]);
    g_free (order.narrow[c]);
  }
  g_free (order.uv);
  g_free (order.scaled);
  unmap_converted (&order.i010);
  unmap_converted (&order.nv16);
}

static void
count_frame (GstElement * sink, GstBuffer * buf, GstPad * pad, guint * frames)
{
  (*frames)++;
}

/* Milliseconds per frame through appsrc ! videoscale ! jpegenc, from the
 * first push until EOS reaches the sink. The sink does not sync, so no
 * QoS event lets videoscale skip late frames. Every push is a shallow copy of
 * @source (its memory is shared), so no pixels are copied. */
static gdouble
time_pipeline (GstBuffer * source, GstVideoInfo * info, guint n)
{
  GstElement *pipeline, *src, *sink;
  GstCaps *caps = gst_video_info_to_caps (info);
  GstMessage *msg;
  GError *err = NULL;
  GstFlowReturn ret;
  gint64 start;
  guint i, frames = 0;

  pipeline = gst_parse_launch ("appsrc name=src format=time ! videoscale ! "
      "video/x-raw,width=" G_STRINGIFY (OUT_WIDTH) ",height="
      G_STRINGIFY (OUT_HEIGHT) " ! jpegenc quality=" G_STRINGIFY (QUALITY)
      " ! fakesink name=sink sync=false", &err);
  if (pipeline == NULL) {
    fprintf (stderr, "cannot build the reference pipeline: %s\n", err->message);
    exit (1);
  }
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (sink, "signal-handoffs", TRUE, NULL);
  g_signal_connect (sink, "handoff", G_CALLBACK (count_frame), &frames);
  g_object_set (src, "caps", caps, NULL);
  gst_caps_unref (caps);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);

  start = g_get_monotonic_time ();
  for (i = 0; i < n; i++) {
    GstBuffer *buf = gst_buffer_copy (source);

    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (i, GST_SECOND, 30);
    GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
    g_signal_emit_by_name (src, "push-buffer", buf, &ret);
    gst_buffer_unref (buf);
  }
  g_signal_emit_by_name (src, "end-of-stream", &ret);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (msg, &err, NULL);
    fprintf (stderr, "reference pipeline failed: %s\n", err->message);
    exit (1);
  }
  start = g_get_monotonic_time () - start;
  if (frames != n) {
    /* e.g. QoS dropping late frames instead of scaling them */
    fprintf (stderr, "reference pipeline encoded %u of %u frames\n", frames, n);
    exit (1);
  }

  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  return start / 1000.0 / n;
}

int
main (int argc, char **argv)
{
  guint n = argc > 1 ? (guint) atoi (argv[1]) : 100;
  GstVideoInfo in_info, out_info;
  GstBuffer *source, *scaled;
  Bench bench = { 0, };
  gdouble encode, reference, box, bilinear, converter, dct, fast_dct;

  gst_init (&argc, &argv);
  if (n == 0) {
    fprintf (stderr, "usage: %s [ITERATIONS]\n", argv[0]);
    return 2;
  }

  {
    gint w, h;

    gst_cv_analyze_encoder_target_size (IN_WIDTH, IN_HEIGHT, MAX_DIMENSION,
        &w, &h);
    if (w != OUT_WIDTH || h != OUT_HEIGHT) {
      fprintf (stderr, "the encoder sends %dx%d, not %dx%d: update "
          "OUT_WIDTH and OUT_HEIGHT\n", w, h, OUT_WIDTH, OUT_HEIGHT);
      return 1;
    }
  }
  source = make_source (&in_info);
  gst_video_info_set_format (&out_info, GST_VIDEO_FORMAT_I420, OUT_WIDTH,
      OUT_HEIGHT);
  /* What videoscale's caps would say: only the size differs, so the
   * converter takes its scale-only fast path (a 576-line default would
   * be BT.601 and add a colour-matrix conversion). */
  GST_VIDEO_INFO_FPS_N (&out_info) = GST_VIDEO_INFO_FPS_N (&in_info);
  GST_VIDEO_INFO_FPS_D (&out_info) = GST_VIDEO_INFO_FPS_D (&in_info);
  out_info.colorimetry = in_info.colorimetry;
  out_info.chroma_site = in_info.chroma_site;
  scaled = gst_buffer_new_allocate (NULL, out_info.size, NULL);
  gst_video_frame_map (&bench.in, &in_info, source, GST_MAP_READ);
  gst_video_frame_map (&bench.out, &out_info, scaled, GST_MAP_WRITE);
  /* As videoscale's default method=bilinear sets it up: 2-tap linear
   * resampling, one thread. */
  bench.converter = gst_video_converter_new (&in_info, &out_info,
      gst_structure_new ("options",
          GST_VIDEO_CONVERTER_OPT_RESAMPLER_METHOD,
          GST_TYPE_VIDEO_RESAMPLER_METHOD, GST_VIDEO_RESAMPLER_METHOD_LINEAR,
          GST_VIDEO_RESAMPLER_OPT_MAX_TAPS, G_TYPE_INT, 2,
          GST_VIDEO_CONVERTER_OPT_THREADS, G_TYPE_UINT, 1, NULL));
  bench.tj = tjInitCompress ();

  encode = time_ms (run_encode, &bench, n);
  reference = time_pipeline (source, &in_info, n);
  bench.filter = kFilterBox;
  box = time_ms (run_libyuv_scale, &bench, n);
  bench.filter = kFilterBilinear;
  bilinear = time_ms (run_libyuv_scale, &bench, n);
  converter = time_ms (run_converter_scale, &bench, n);
  dct = time_ms (run_compress, &bench, n);
  bench.tj_flags = TJFLAG_FASTDCT;
  fast_dct = time_ms (run_compress, &bench, n);

  printf ("1920x1080 I420 -> %dx%d, quality %d, %u iterations\n",
      OUT_WIDTH, OUT_HEIGHT, QUALITY, n);
  printf ("cvanalyze encode: %.2f ms/frame (%" G_GSIZE_FORMAT " bytes)\n",
      encode, bench.jpeg_size);
  printf ("videoscale ! jpegenc: %.2f ms/frame\n", reference);
  printf ("prepare-ratio: %.2f (cvanalyze encode / videoscale ! jpegenc; "
      "goal <= 0.5)\n", encode / reference);
  printf ("scale: libyuv %.2f ms, GstVideoConverter %.2f ms\n", box, converter);
  printf ("libyuv filter: box %.2f ms, bilinear %.2f ms\n", box, bilinear);
  printf ("jpeg %dx%d: accurate DCT %.2f ms, fast DCT %.2f ms\n", OUT_WIDTH,
      OUT_HEIGHT, dct, fast_dct);
  print_formats (&bench, n);
  print_orders (&bench, n);

  tjDestroy (bench.tj);
  gst_video_converter_free (bench.converter);
  gst_video_frame_unmap (&bench.out);
  gst_video_frame_unmap (&bench.in);
  gst_buffer_unref (scaled);
  gst_buffer_unref (source);
  return 0;
}
