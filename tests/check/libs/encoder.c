/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Unit tests of the frame encoder: target sizes, and for every supported
 * format a frame with four coloured quadrants, laid out with padded strides
 * and offset planes, that must come back from a JPEG decoder with the right
 * size and the right colour in each quadrant; and a check that camera
 * formats go through the element itself with no videoconvert. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>
#include <turbojpeg.h>

#include "gstcvanalyzeencoder.h"
#include "cvlocalserver.h"
#include "../elements/cvanalyzetest.h"

/* Top-left, top-right, bottom-left, bottom-right. */
static const guint8 quadrant_rgb[4][3] = {
  {255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}
};

/* Limited-range YUV is encoded as is (JFIF reads it as full range) and
 * chroma is subsampled, so colours come back within this. */
#define TOLERANCE 30

static const GstVideoFormat supported_formats[] = {
  GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_YV12, GST_VIDEO_FORMAT_NV12,
  GST_VIDEO_FORMAT_NV21, GST_VIDEO_FORMAT_Y42B, GST_VIDEO_FORMAT_Y444,
  /* what cameras and decoders produce */
  GST_VIDEO_FORMAT_YUY2, GST_VIDEO_FORMAT_UYVY, GST_VIDEO_FORMAT_YVYU,
  GST_VIDEO_FORMAT_NV16, GST_VIDEO_FORMAT_NV61, GST_VIDEO_FORMAT_NV24,
  GST_VIDEO_FORMAT_I420_10LE, GST_VIDEO_FORMAT_P010_10LE,
  GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_RGBx,
  GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_xBGR,
  GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_BGRA, GST_VIDEO_FORMAT_ARGB,
  GST_VIDEO_FORMAT_ABGR, GST_VIDEO_FORMAT_GRAY8,
};

/* A frame of @format, @width x @height, with the four quadrants drawn in
 * RGB and converted by GstVideoConverter. The planes are padded on every
 * side and the padding filled with a grey that is none of the colours, so
 * an encoder that ignores strides or plane offsets reads it. */
static GstBuffer *
make_frame (GstVideoFormat format, gint width, gint height, GstVideoInfo * info)
{
  GstVideoInfo rgb_info;
  GstVideoAlignment align;
  GstVideoFrame rgb, out;
  GstVideoConverter *conv;
  GstBuffer *rgb_buf, *buf;
  gint x, y;

  gst_video_info_set_format (&rgb_info, GST_VIDEO_FORMAT_RGB, width, height);
  rgb_buf = gst_buffer_new_allocate (NULL, rgb_info.size, NULL);
  fail_unless (gst_video_frame_map (&rgb, &rgb_info, rgb_buf, GST_MAP_WRITE));
  for (y = 0; y < height; y++) {
    guint8 *row = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&rgb, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&rgb, 0);

    for (x = 0; x < width; x++)
      memcpy (row + 3 * x,
          quadrant_rgb[(y >= height / 2) * 2 + (x >= width / 2)], 3);
  }

  gst_video_info_set_format (info, format, width, height);
  gst_video_alignment_reset (&align);
  align.padding_top = 4;
  align.padding_left = 16;
  align.padding_right = 24;
  align.padding_bottom = 2;
  fail_unless (gst_video_info_align (info, &align));
  buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  gst_buffer_memset (buf, 0, 0x60, info->size);
  fail_unless (gst_video_frame_map (&out, info, buf, GST_MAP_WRITE));

  conv = gst_video_converter_new (&rgb_info, info, NULL);
  gst_video_converter_frame (conv, &rgb, &out);
  gst_video_converter_free (conv);
  gst_video_frame_unmap (&out);
  gst_video_frame_unmap (&rgb);
  gst_buffer_unref (rgb_buf);
  return buf;
}

static GBytes *
encode_buffer (GstBuffer * buf, GstVideoInfo * info, guint max_dimension,
    gint quality, gint * width, gint * height, GError ** err)
{
  GstVideoFrame frame;
  GBytes *jpeg;

  fail_unless (gst_video_frame_map (&frame, info, buf, GST_MAP_READ));
  jpeg = gst_cv_analyze_encoder_encode (&frame, max_dimension, quality,
      width, height, err);
  gst_video_frame_unmap (&frame);
  return jpeg;
}


/* Checks the mean colour of the middle half of each quadrant. */
static void
check_quadrants (const guint8 * rgb, gint width, gint height,
    gboolean gray, const gchar * what)
{
  gint q, c, x, y;

  for (q = 0; q < 4; q++) {
    gint x0 = (q & 1) * width / 2, y0 = (q >> 1) * height / 2;
    guint64 sum[3] = { 0, 0, 0 }, n = 0;

    for (y = y0 + height / 8; y < y0 + 3 * height / 8; y++)
      for (x = x0 + width / 8; x < x0 + 3 * width / 8; x++, n++)
        for (c = 0; c < 3; c++)
          sum[c] += rgb[(y * width + x) * 3 + c];

    for (c = 0; c < 3; c++) {
      const guint8 *src = quadrant_rgb[q];
      gint expect = src[c], mean = sum[c] / n;

      if (gray)                 /* BT.601 luma */
        expect = (299 * src[0] + 587 * src[1] + 114 * src[2]) / 1000;
      fail_unless (ABS (mean - expect) <= TOLERANCE,
          "%s: quadrant %d channel %d is %d, expected %d", what, q, c, mean,
          expect);
    }
  }
}

/* Sizes that go through each path: even and odd sizes kept as they are,
 * and even and odd sizes scaled down. */
static const struct
{
  gint width, height;
  guint max_dimension;
} frame_sizes[] = {
  {320, 240, 1024}, {321, 241, 1024}, {640, 480, 320}, {703, 395, 500},
};

/* Every supported format, at every size, comes back at the target size
 * with each quadrant's colour: a swapped U/V plane, R/B order, alpha
 * position, stride or plane offset would put a wrong colour somewhere. */
GST_START_TEST (test_all_formats_colours)
{
  guint f, s;

  for (f = 0; f < G_N_ELEMENTS (supported_formats); f++) {
    for (s = 0; s < G_N_ELEMENTS (frame_sizes); s++) {
      GstVideoFormat format = supported_formats[f];
      GstVideoInfo info;
      GstBuffer *buf = make_frame (format, frame_sizes[s].width,
          frame_sizes[s].height, &info);
      GError *err = NULL;
      gint w = 0, h = 0, ew, eh, dw, dh;
      GBytes *jpeg;
      guint8 *rgb;
      gchar *what;

      jpeg = encode_buffer (buf, &info, frame_sizes[s].max_dimension, 90,
          &w, &h, &err);
      what = g_strdup_printf ("%s %dx%d max %u",
          gst_video_format_to_string (format), frame_sizes[s].width,
          frame_sizes[s].height, frame_sizes[s].max_dimension);
      fail_unless (jpeg != NULL, "%s: %s", what, err ? err->message : "?");

      gst_cv_analyze_encoder_target_size (frame_sizes[s].width,
          frame_sizes[s].height, frame_sizes[s].max_dimension, &ew, &eh);
      rgb = cv_test_decode_jpeg (jpeg, &dw, &dh);
      fail_unless (dw == ew && dh == eh, "%s: decoded %dx%d, expected %dx%d",
          what, dw, dh, ew, eh);
      fail_unless (w == ew && h == eh, "%s: reported %dx%d", what, w, h);
      check_quadrants (rgb, dw, dh, format == GST_VIDEO_FORMAT_GRAY8, what);

      g_free (what);
      g_free (rgb);
      g_bytes_unref (jpeg);
      gst_buffer_unref (buf);
    }
  }
}

GST_END_TEST;

/* The target size keeps the aspect ratio, never enlarges, takes an exact
 * 3/4, 1/2, 3/8 or 1/4 (libyuv's own kernels) when that fits and gives up
 * at most a tenth of max-dimension, else fits max-dimension rounding to
 * the nearest pixel, and raises each short side to the service's
 * minimum. */
GST_START_TEST (test_target_size)
{
  static const struct
  {
    gint in_w, in_h;
    guint max;
    gint out_w, out_h;
  } cases[] = {
    {1920, 1080, 1024, 960, 540},       /* 1/2: 6.25 % under 1024 */
    {1080, 1920, 1024, 540, 960},
    {1280, 720, 1024, 960, 540},        /* 3/4 */
    {2560, 1440, 1024, 960, 540},       /* 3/8 */
    {3840, 2160, 1024, 960, 540},       /* 1/4 */
    {1280, 720, 1000, 960, 540},        /* 3/4: 4 % under 1000 */
    {1600, 1200, 1024, 1024, 768},      /* 1/2 would give up 22 % */
    {1366, 768, 1024, 1024, 576},       /* no exact ratio: 576.28 */
    {1281, 720, 1024, 1024, 576},       /* 3/4 of 1281 is no pixel */
    {640, 480, 1024, 640, 480},
    {1024, 576, 1024, 1024, 576},
    {30, 20, 1024, 51, 51},
    {4000, 60, 1024, 1000, 51},         /* 1/4, then raised to 51 */
    {60, 4000, 1024, 51, 1000},
    {4000, 61, 1024, 1024, 51},         /* no exact ratio */
    {1920, 1080, 51, 51, 51},
    {703, 395, 500, 500, 281},  /* 280.87 rounds up */
    {1000, 333, 500, 500, 167}, /* 166.5 rounds half up */
    {1280, 720, 0, 1280, 720},  /* 0: no limit */
    {1, 1, 1024, 51, 51},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gint w = -1, h = -1;

    gst_cv_analyze_encoder_target_size (cases[i].in_w, cases[i].in_h,
        cases[i].max, &w, &h);
    fail_unless (w == cases[i].out_w && h == cases[i].out_h,
        "%dx%d max %u gave %dx%d, expected %dx%d", cases[i].in_w,
        cases[i].in_h, cases[i].max, w, h, cases[i].out_w, cases[i].out_h);
  }
}

GST_END_TEST;

/* A frame smaller than the minimum is enlarged to it, not rejected. */
GST_START_TEST (test_tiny_frame_enlarged)
{
  GstVideoInfo info;
  GstBuffer *buf = make_frame (GST_VIDEO_FORMAT_I420, 31, 21, &info);
  gint w, h, dw, dh;
  GBytes *jpeg = encode_buffer (buf, &info, 1024, 85, &w, &h, NULL);
  guint8 *rgb;

  fail_unless (jpeg != NULL);
  rgb = cv_test_decode_jpeg (jpeg, &dw, &dh);
  fail_unless_equals_int (dw, GST_CV_ANALYZE_MIN_DIMENSION);
  fail_unless_equals_int (dh, GST_CV_ANALYZE_MIN_DIMENSION);
  check_quadrants (rgb, dw, dh, FALSE, "I420 31x21");
  g_free (rgb);
  g_bytes_unref (jpeg);
  gst_buffer_unref (buf);
}

GST_END_TEST;

/* The quality setting reaches the encoder: q=95 is bigger than q=20. */
GST_START_TEST (test_quality)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer *buf;
  GBytes *low, *high;
  guint i;

  /* Noise, so that quantisation makes a difference. */
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, 320, 240);
  buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_WRITE));
  for (i = 0; i < info.size; i++)
    ((guint8 *) frame.map[0].data)[i] = g_random_int_range (0, 256);
  gst_video_frame_unmap (&frame);

  low = encode_buffer (buf, &info, 1024, 20, NULL, NULL, NULL);
  high = encode_buffer (buf, &info, 1024, 95, NULL, NULL, NULL);
  fail_unless (low != NULL && high != NULL);
  fail_unless (g_bytes_get_size (high) > g_bytes_get_size (low),
      "q95 %" G_GSIZE_FORMAT " bytes, q20 %" G_GSIZE_FORMAT " bytes",
      g_bytes_get_size (high), g_bytes_get_size (low));
  g_bytes_unref (low);
  g_bytes_unref (high);
  gst_buffer_unref (buf);
}

GST_END_TEST;

/* A format outside GST_CV_ANALYZE_ENCODER_FORMATS gives an error naming
 * it, not a crash or a garbled image. */
GST_START_TEST (test_unsupported_format)
{
  static const GstVideoFormat formats[] = {
    GST_VIDEO_FORMAT_v210, GST_VIDEO_FORMAT_I422_10LE, GST_VIDEO_FORMAT_RGB16,
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    GstVideoInfo info;
    GstBuffer *buf;
    GError *err = NULL;
    gint w = -1, h = -1;
    GBytes *jpeg;

    gst_video_info_set_format (&info, formats[i], 64, 64);
    buf = gst_buffer_new_allocate (NULL, info.size, NULL);
    jpeg = encode_buffer (buf, &info, 1024, 85, &w, &h, &err);
    fail_unless (jpeg == NULL);
    fail_unless (g_error_matches (err, GST_STREAM_ERROR,
            GST_STREAM_ERROR_FORMAT));
    fail_unless (strstr (err->message,
            gst_video_format_to_string (formats[i])) != NULL, "%s",
        err->message);
    fail_unless (w == -1 && h == -1);
    g_clear_error (&err);
    gst_buffer_unref (buf);
  }
}

GST_END_TEST;

typedef struct
{
  GstBuffer *buf;
  GstVideoInfo info;
  GBytes *expected;
} SharedFrame;

static gpointer
encode_repeatedly (gpointer data)
{
  SharedFrame *shared = data;
  gint i;

  for (i = 0; i < 10; i++) {
    GBytes *jpeg = encode_buffer (shared->buf, &shared->info, 320, 85, NULL,
        NULL, NULL);

    if (jpeg == NULL || !g_bytes_equal (jpeg, shared->expected))
      return GINT_TO_POINTER (FALSE);
    g_bytes_unref (jpeg);
  }
  return GINT_TO_POINTER (TRUE);
}

/* Encoding is reentrant: threads encoding the same frame at once all get
 * the bytes a lone call gets. */
GST_START_TEST (test_concurrent)
{
  SharedFrame shared;
  GThread *threads[4];
  guint i;

  shared.buf = make_frame (GST_VIDEO_FORMAT_NV12, 640, 480, &shared.info);
  shared.expected = encode_buffer (shared.buf, &shared.info, 320, 85, NULL,
      NULL, NULL);
  fail_unless (shared.expected != NULL);
  for (i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("encode", encode_repeatedly, &shared);
  for (i = 0; i < G_N_ELEMENTS (threads); i++)
    fail_unless (GPOINTER_TO_INT (g_thread_join (threads[i])));
  g_bytes_unref (shared.expected);
  gst_buffer_unref (shared.buf);
}

GST_END_TEST;

/* A camera's own formats reach the element with no videoconvert in front:
 * videotestsrc's blue frame in each negotiates as it is (the element's
 * sink caps say so) and reaches the local service as a blue JPEG. */
GST_START_TEST (test_camera_formats_negotiate)
{
  static const gchar *formats[] = { "YUY2", "UYVY", "YVYU", "NV16", "NV61",
    "NV24", "I420_10LE", "P010_10LE"
  };
  static const guint8 blue[3] = { 0, 0, 255 };
  CvLocalServer *server = cv_local_server_new ("key", NULL);
  gchar *url = cv_local_server_get_url (server);
  guint f;

  fail_unless (server != NULL);
  for (f = 0; f < G_N_ELEMENTS (formats); f++) {
    gchar *desc = g_strdup_printf ("videotestsrc num-buffers=1 pattern=blue ! "
        "video/x-raw,format=%s,width=320,height=240 ! cvanalyze name=cv "
        "endpoint=%s key=key ! fakesink", formats[f], url);
    GError *err = NULL;
    GstElement *pipeline = gst_parse_launch (desc, &err);
    GstElement *cv;
    GstPad *pad;
    GstMessage *msg;
    GstCaps *caps;
    CvLocalServerRequest *req;
    gint w, h, c;
    guint8 *rgb;

    fail_unless (pipeline != NULL && err == NULL, "%s: %s", desc,
        err ? err->message : "");
    cv = gst_bin_get_by_name (GST_BIN (pipeline), "cv");
    pad = gst_element_get_static_pad (cv, "sink");
    fail_unless_equals_int (gst_element_set_state (pipeline,
            GST_STATE_PAUSED), GST_STATE_CHANGE_ASYNC);
    fail_unless_equals_int (gst_element_get_state (pipeline, NULL, NULL,
            GST_CLOCK_TIME_NONE), GST_STATE_CHANGE_SUCCESS);
    caps = gst_pad_get_current_caps (pad);
    fail_unless_equals_string (gst_structure_get_string
        (gst_caps_get_structure (caps, 0), "format"), formats[f]);
    gst_caps_unref (caps);

    gst_element_set_state (pipeline, GST_STATE_PLAYING);
    msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
        GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR |
        GST_MESSAGE_WARNING);
    fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
    gst_message_unref (msg);
    gst_element_set_state (pipeline, GST_STATE_NULL);

    /* EOS waits for the frame's answer, so its request is in. */
    fail_unless_equals_int (cv_local_server_get_request_count (server), f + 1);
    req = cv_local_server_get_request (server, f);
    rgb = cv_test_decode_jpeg (req->body, &w, &h);
    fail_unless (w == 320 && h == 240, "%s: %dx%d", formats[f], w, h);
    for (c = 0; c < 3; c++)
      fail_unless (ABS (rgb[(h / 2 * w + w / 2) * 3 + c] - blue[c]) <=
          TOLERANCE, "%s: channel %d is %d", formats[f], c,
          rgb[(h / 2 * w + w / 2) * 3 + c]);

    g_free (rgb);
    cv_local_server_request_free (req);
    gst_object_unref (pad);
    gst_object_unref (cv);
    gst_object_unref (pipeline);
    g_free (desc);
  }
  g_free (url);
  cv_local_server_free (server);
}

GST_END_TEST;

/* --- JPEG frames (image/jpeg caps) --- */

/* The quadrants as a JPEG of @width x @height with chroma @subsamp. */
static GBytes *
make_jpeg (gint width, gint height, gint subsamp)
{
  tjhandle tj = tjInitCompress ();
  guint8 *rgb = g_malloc ((gsize) width * height * 3), *jpeg = NULL;
  gulong size = 0;
  GBytes *bytes;
  gint x, y;

  for (y = 0; y < height; y++)
    for (x = 0; x < width; x++)
      memcpy (rgb + 3 * ((gsize) y * width + x),
          quadrant_rgb[(y >= height / 2) * 2 + (x >= width / 2)], 3);
  fail_unless (tjCompress2 (tj, rgb, width, 0, height, TJPF_RGB, &jpeg, &size,
          subsamp, 90, 0) == 0, "%s", tjGetErrorStr2 (tj));
  bytes = g_bytes_new (jpeg, size);
  tjFree (jpeg);
  tjDestroy (tj);
  g_free (rgb);
  return bytes;
}

static GBytes *
encode_jpeg (GBytes * in, guint max_dimension, gsize max_bytes, gint * width,
    gint * height, GError ** err)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (in, &size);

  return gst_cv_analyze_encoder_encode_jpeg (data, size, max_dimension, 85,
      max_bytes, width, height, err);
}

/* A JPEG already within max-dimension and the byte limit comes back byte
 * for byte, whatever its subsampling. */
GST_START_TEST (test_jpeg_as_is)
{
  const gint subsamps[] = { TJSAMP_420, TJSAMP_422, TJSAMP_444, TJSAMP_GRAY };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (subsamps); i++) {
    GBytes *in = make_jpeg (640, 360, subsamps[i]), *out;
    GError *err = NULL;
    gint w = 0, h = 0;

    out = encode_jpeg (in, 640, g_bytes_get_size (in), &w, &h, &err);
    fail_unless (out != NULL, "%s", err ? err->message : "");
    fail_unless (g_bytes_equal (in, out), "subsampling %d was re-encoded",
        subsamps[i]);
    fail_unless_equals_int (w, 640);
    fail_unless_equals_int (h, 360);
    g_bytes_unref (out);
    out = encode_jpeg (in, 0, 0, NULL, NULL, &err);
    fail_unless (g_bytes_equal (in, out), "no limits: re-encoded");
    g_bytes_unref (out);
    g_bytes_unref (in);
  }
}

GST_END_TEST;

/* Sizes through each DCT scaling (1/1 odd sizes, 1/2, 1/4, 1/8), each
 * subsampling, and the enlarged tiny image: the JPEG sent has the target
 * size and the quadrants' colours. */
GST_START_TEST (test_jpeg_scaled)
{
  static const struct
  {
    gint width, height, subsamp;
    guint max_dimension;
  } cases[] = {
    {1920, 1080, TJSAMP_420, 640},      /* 1/2, then libyuv */
    {1280, 720, TJSAMP_422, 1000},      /* 1/1 */
    {1281, 721, TJSAMP_444, 500},       /* odd, 1/2 */
    {1281, 719, TJSAMP_420, 300},       /* odd, 1/4 */
    {4000, 3000, TJSAMP_GRAY, 400},     /* 1/8 */
    {3000, 2000, TJSAMP_420, 375},      /* exactly 1/8 */
    {30, 20, TJSAMP_420, 1024},         /* enlarged to 51x51 */
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GBytes *in = make_jpeg (cases[i].width, cases[i].height, cases[i].subsamp);
    GError *err = NULL;
    gint w, h, ew, eh, dw, dh;
    GBytes *out = encode_jpeg (in, cases[i].max_dimension, 0, &w, &h, &err);
    gchar *what = g_strdup_printf ("%dx%d at %u", cases[i].width,
        cases[i].height, cases[i].max_dimension);
    guint8 *rgb;

    fail_unless (out != NULL, "%s: %s", what, err ? err->message : "");
    gst_cv_analyze_encoder_target_size (cases[i].width, cases[i].height,
        cases[i].max_dimension, &ew, &eh);
    fail_unless_equals_int (w, ew);
    fail_unless_equals_int (h, eh);
    rgb = cv_test_decode_jpeg (out, &dw, &dh);
    fail_unless_equals_int (dw, ew);
    fail_unless_equals_int (dh, eh);
    check_quadrants (rgb, dw, dh, cases[i].subsamp == TJSAMP_GRAY, what);
    g_free (rgb);
    g_free (what);
    g_bytes_unref (out);
    g_bytes_unref (in);
  }
}

GST_END_TEST;

/* A JPEG within max-dimension but over the service's byte limit is
 * encoded again, at its own size. */
GST_START_TEST (test_jpeg_over_byte_limit)
{
  GBytes *in = make_jpeg (640, 360, TJSAMP_444), *out;
  GError *err = NULL;
  gint w, h, dw, dh;
  guint8 *rgb;

  out = encode_jpeg (in, 1024, g_bytes_get_size (in) - 1, &w, &h, &err);
  fail_unless (out != NULL, "%s", err ? err->message : "");
  fail_if (g_bytes_equal (in, out), "sent as it is over the limit");
  fail_unless_equals_int (w, 640);
  fail_unless_equals_int (h, 360);
  rgb = cv_test_decode_jpeg (out, &dw, &dh);
  fail_unless_equals_int (dw, 640);
  check_quadrants (rgb, dw, dh, FALSE, "over the byte limit");
  g_free (rgb);
  g_bytes_unref (out);
  g_bytes_unref (in);
}

GST_END_TEST;

/* A corrupt JPEG is an error that says so, never a crash: no JPEG at all,
 * an empty buffer, a good header with its data cut short, a header cut
 * short. */
GST_START_TEST (test_jpeg_corrupt)
{
  GBytes *good = make_jpeg (1280, 720, TJSAMP_420);
  gsize size;
  const guint8 *data = g_bytes_get_data (good, &size);
  guint8 junk[1000];
  struct
  {
    const guint8 *data;
    gsize size;
    const gchar *expect;
  } cases[] = {
    {junk, sizeof (junk), "not a valid JPEG"},
    {junk, 0, "not a valid JPEG"},
    {data, size / 2, "corrupt or truncated"},
    {data, 40, "not a valid JPEG"},
  };
  guint i;

  memset (junk, 0xd8, sizeof (junk));
  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GError *err = NULL;
    GBytes *out = gst_cv_analyze_encoder_encode_jpeg (cases[i].data,
        cases[i].size, 640, 85, 0, NULL, NULL, &err);

    fail_unless (out == NULL, "case %u gave a JPEG", i);
    fail_unless (err != NULL && err->domain == GST_STREAM_ERROR);
    fail_unless (strstr (err->message, cases[i].expect) != NULL,
        "case %u: %s", i, err->message);
    g_error_free (err);
  }
  g_bytes_unref (good);
}

GST_END_TEST;

static Suite *
encoder_suite (void)
{
  Suite *s = suite_create ("cvanalyzeencoder");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_all_formats_colours);
  tcase_add_test (tc, test_target_size);
  tcase_add_test (tc, test_tiny_frame_enlarged);
  tcase_add_test (tc, test_quality);
  tcase_add_test (tc, test_unsupported_format);
  tcase_add_test (tc, test_concurrent);
  tcase_add_test (tc, test_camera_formats_negotiate);
  tcase_add_test (tc, test_jpeg_as_is);
  tcase_add_test (tc, test_jpeg_scaled);
  tcase_add_test (tc, test_jpeg_over_byte_limit);
  tcase_add_test (tc, test_jpeg_corrupt);
  return s;
}

GST_CHECK_MAIN (encoder);
