/* mjpeg-prep: what preparing one sampled frame of an MJPEG 720p camera
 * costs, against what it cost when the JPEG had to be decoded first
 * (jpegdec ! cvanalyze). Times, in CPU milliseconds per sample, on one
 * 1280x720 4:2:2 JPEG (what UVC cameras send) of camera-like content:
 *   - gst_cv_analyze_encoder_encode_jpeg() at max-dimension 1280: sent as
 *     it is (header read, bytes copied);
 *   - the same at 640: DCT-scaled decode (1/2) and encode at 640x360;
 *   - the reference for each: a full decode to planes (as jpegdec does),
 *     then gst_cv_analyze_encoder_encode() of that frame at the same
 *     max-dimension;
 * and prints the ratios scripts/benchmark.sh reports.
 *
 *   mjpeg-prep [ITERATIONS]      (default 100)
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

#include "gstcvanalyzeencoder.h"

#define WIDTH 1280
#define HEIGHT 720
#define QUALITY 85

typedef struct
{
  const guint8 *jpeg;
  gsize size;
  guint max_dimension;
} Bench;

typedef void (*BenchFunc) (const Bench * bench);

static gdouble
cpu_now_ms (void)
{
  struct timespec t;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Lowest of 5 alternating rounds of @n / 5 calls of @fa and of @fb, in
 * CPU milliseconds per call (side by side; the cheapest round is the least
 * disturbed on a shared machine). */
static void
time_pair_ms (BenchFunc fa, BenchFunc fb, const Bench * bench, guint n,
    gdouble * ms_a, gdouble * ms_b)
{
  guint round, i, per_round = MAX (n / 5, 1);
  gdouble t;

  fa (bench);
  fb (bench);
  *ms_a = *ms_b = G_MAXDOUBLE;
  for (round = 0; round < 5; round++) {
    t = cpu_now_ms ();
    for (i = 0; i < per_round; i++)
      fa (bench);
    *ms_a = MIN (*ms_a, (cpu_now_ms () - t) / per_round);
    t = cpu_now_ms ();
    for (i = 0; i < per_round; i++)
      fb (bench);
    *ms_b = MIN (*ms_b, (cpu_now_ms () - t) / per_round);
  }
}

/* The JPEG path of cvanalyze on image/jpeg caps. */
static void
prepare_jpeg (const Bench * bench)
{
  GBytes *out = gst_cv_analyze_encoder_encode_jpeg (bench->jpeg, bench->size,
      bench->max_dimension, QUALITY, 0, NULL, NULL, NULL);

  if (out == NULL) {
    fprintf (stderr, "JPEG path failed\n");
    exit (1);
  }
  g_bytes_unref (out);
}

/* What jpegdec ! cvanalyze did per sample: decode the whole JPEG to I422
 * (jpegdec's output for 4:2:2), then scale and encode it. */
static void
decode_then_encode (const Bench * bench)
{
  tjhandle tj = tjInitDecompress ();
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer *buf;
  guint8 *planes[3];
  gint strides[3], i;
  GBytes *out;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_Y42B, WIDTH, HEIGHT);
  buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  gst_video_frame_map (&frame, &info, buf, GST_MAP_READWRITE);
  for (i = 0; i < 3; i++) {
    planes[i] = GST_VIDEO_FRAME_PLANE_DATA (&frame, i);
    strides[i] = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, i);
  }
  if (tjDecompressToYUVPlanes (tj, bench->jpeg, bench->size, planes, WIDTH,
          strides, HEIGHT, 0) != 0) {
    fprintf (stderr, "decode failed: %s\n", tjGetErrorStr2 (tj));
    exit (1);
  }
  out = gst_cv_analyze_encoder_encode (&frame, bench->max_dimension, QUALITY,
      NULL, NULL, NULL);
  g_bytes_unref (out);
  gst_video_frame_unmap (&frame);
  gst_buffer_unref (buf);
  tjDestroy (tj);
}

/* Camera-like content, the same on every run: smooth gradients plus a
 * little noise, as a 4:2:2 JPEG at quality 85. */
static guint8 *
make_jpeg (gsize * size)
{
  tjhandle tj = tjInitCompress ();
  guint8 *rgb = g_malloc ((gsize) WIDTH * HEIGHT * 3), *jpeg = NULL;
  gulong jpeg_size = 0;
  GRand *rand = g_rand_new_with_seed (1);
  gint x, y;

  for (y = 0; y < HEIGHT; y++)
    for (x = 0; x < WIDTH; x++) {
      guint8 *p = rgb + 3 * ((gsize) y * WIDTH + x);
      gint noise = g_rand_int_range (rand, -6, 7);

      p[0] = CLAMP (x * 255 / WIDTH + noise, 0, 255);
      p[1] = CLAMP (y * 255 / HEIGHT + noise, 0, 255);
      p[2] = CLAMP ((x + y) * 255 / (WIDTH + HEIGHT) + noise, 0, 255);
    }
  if (tjCompress2 (tj, rgb, WIDTH, 0, HEIGHT, TJPF_RGB, &jpeg, &jpeg_size,
          TJSAMP_422, QUALITY, 0) != 0) {
    fprintf (stderr, "%s\n", tjGetErrorStr2 (tj));
    exit (1);
  }
  g_rand_free (rand);
  g_free (rgb);
  tjDestroy (tj);
  *size = jpeg_size;
  return jpeg;
}

int
main (int argc, char **argv)
{
  guint n = argc > 1 ? (guint) atoi (argv[1]) : 100;
  const guint dims[2] = { 1280, 640 };
  const gchar *what[2] = { "sent as it is", "DCT-scaled decode + encode" };
  Bench bench;
  guint i;

  gst_init (&argc, &argv);
  if (n == 0) {
    fprintf (stderr, "usage: %s [ITERATIONS]\n", argv[0]);
    return 2;
  }
  bench.jpeg = make_jpeg (&bench.size);
  printf ("1280x720 4:2:2 JPEG of %" G_GSIZE_FORMAT " bytes, %u iterations\n",
      bench.size, n);
  for (i = 0; i < 2; i++) {
    gdouble jpeg_ms, ref_ms;

    bench.max_dimension = dims[i];
    time_pair_ms (prepare_jpeg, decode_then_encode, &bench, n, &jpeg_ms,
        &ref_ms);
    printf ("max-dimension %u: JPEG path (%s) %.3f ms/sample, "
        "decode + encode %.3f ms\n", dims[i], what[i], jpeg_ms, ref_ms);
    printf ("mjpeg-ratio-%u: %.3f (JPEG path / decode + encode)\n", dims[i],
        jpeg_ms / ref_ms);
  }
  tjFree ((guint8 *) bench.jpeg);
  return 0;
}
