/* cvanalyze on MJPEG (image/jpeg caps): JPEG frames passed on untouched,
 * sent as they are when they fit, scaled when not; against the local
 * analysis server.
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

#include <string.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <turbojpeg.h>

#include "cvanalyzetest.h"
#include "gstcvanalyzeencoder.h"
#include "gstcvanalyzemeta.h"

/* Every buffer passing a pad, in order (a GPtrArray of GstBuffer refs). */
static GstPadProbeReturn
keep_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  g_ptr_array_add (user_data,
      gst_buffer_ref (GST_PAD_PROBE_INFO_BUFFER (info)));
  return GST_PAD_PROBE_OK;
}

static GPtrArray *
probe_buffers (GstElement * pipeline, const gchar * element, const gchar * pad)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), element);
  GstPad *p = gst_element_get_static_pad (e, pad);
  GPtrArray *buffers =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);

  gst_pad_add_probe (p, GST_PAD_PROBE_TYPE_BUFFER, keep_buffer,
      g_ptr_array_ref (buffers), (GDestroyNotify) g_ptr_array_unref);
  gst_object_unref (p);
  gst_object_unref (e);
  return buffers;
}

static gboolean
buffer_equals_bytes (GstBuffer * buf, GBytes * bytes)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  return gst_buffer_get_size (buf) == size
      && gst_buffer_memcmp (buf, 0, data, size) == 0;
}

/* A JPEG within max-dimension reaches the service byte for byte as
 * jpegparse gave it, and goes downstream untouched, in image/jpeg caps. */
GST_START_TEST (test_small_jpeg_sent_as_is)
{
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc num-buffers=1 "
      "pattern=ball ! video/x-raw,width=640,height=360 ! jpegenc ! "
      "jpegparse name=parse ! cvanalyze endpoint=ENDPOINT key=KEY "
      "max-dimension=640 ! fakesink name=sink");
  GPtrArray *in = probe_buffers (pipeline, "parse", "src");
  GPtrArray *out = probe_buffers (pipeline, "sink", "sink");
  GList *messages = cv_test_run_pipeline (pipeline), *results;
  CvLocalServerRequest *req;

  fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR));
  fail_if (cv_test_find_message (messages, GST_MESSAGE_WARNING));
  fail_unless_equals_int (in->len, 1);
  fail_unless_equals_int (out->len, 1);
  fail_unless_equals_int (cv_local_server_get_request_count (server), 1);
  req = cv_local_server_get_request (server, 0);
  fail_unless (buffer_equals_bytes (in->pdata[0], req->body),
      "the JPEG sent is not the camera's JPEG");
  fail_unless (buffer_equals_bytes (out->pdata[0], req->body),
      "the JPEG passed on was changed");
  results = cv_test_filter_results (messages);
  fail_unless_equals_int (g_list_length (results), 1);
  g_list_free (results);

  cv_local_server_request_free (req);
  g_ptr_array_unref (in);
  g_ptr_array_unref (out);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A 1920x1080 JPEG with max-dimension=640 is sent as a 640x360 JPEG whose
 * colour bars are videotestsrc's (a swapped chroma plane or a wrong
 * scaled stride fails), while the 1080p JPEG goes downstream untouched. */
GST_START_TEST (test_large_jpeg_scaled)
{
  /* SMPTE 75% bars, left to right. */
  static const guint8 bars[7][3] = { {191, 191, 191}, {191, 191, 0},
  {0, 191, 191}, {0, 191, 0}, {191, 0, 191}, {191, 0, 0}, {0, 0, 191}
  };
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc num-buffers=1 "
      "pattern=smpte75 ! video/x-raw,width=1920,height=1080 ! jpegenc ! "
      "jpegparse name=parse ! cvanalyze endpoint=ENDPOINT key=KEY "
      "max-dimension=640 ! fakesink name=sink");
  GPtrArray *in = probe_buffers (pipeline, "parse", "src");
  GPtrArray *out = probe_buffers (pipeline, "sink", "sink");
  GList *messages = cv_test_run_pipeline (pipeline);
  CvLocalServerRequest *req;
  GstMapInfo map;
  gint w, h, b, c;
  guint8 *rgb;

  fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR));
  fail_unless_equals_int (cv_local_server_get_request_count (server), 1);
  req = cv_local_server_get_request (server, 0);
  rgb = cv_test_decode_jpeg (req->body, &w, &h);
  fail_unless_equals_int (w, 640);
  fail_unless_equals_int (h, 360);
  /* As for raw video, 40: jpegenc stores limited-range video as it is
   * (less contrast); a swapped plane is off by 190. */
  for (b = 0; b < 7; b++) {
    gint x = (2 * b + 1) * w / 14, y = h / 3;
    const guint8 *px = rgb + (y * w + x) * 3;

    for (c = 0; c < 3; c++)
      fail_unless (ABS (px[c] - bars[b][c]) <= 40,
          "bar %d channel %d: %d, expected %d", b, c, px[c], bars[b][c]);
  }

  fail_unless_equals_int (out->len, 1);
  fail_unless (gst_buffer_map (in->pdata[0], &map, GST_MAP_READ));
  fail_unless_equals_int (gst_buffer_memcmp (out->pdata[0], 0, map.data,
          map.size), 0);
  fail_unless_equals_int (gst_buffer_get_size (out->pdata[0]), map.size);
  gst_buffer_unmap (in->pdata[0], &map);

  g_free (rgb);
  cv_local_server_request_free (req);
  g_ptr_array_unref (in);
  g_ptr_array_unref (out);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* The README's camera pipeline, with videotestsrc for the camera:
 * cvanalyze between the JPEGs and jpegdec negotiates, analyses and plays
 * to the end. */
GST_START_TEST (test_readme_pipeline)
{
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc num-buffers=5 "
      "! video/x-raw,width=1280,height=720,framerate=30/1 ! jpegenc ! "
      "jpegparse ! image/jpeg,width=1280,height=720 ! cvanalyze "
      "endpoint=ENDPOINT key=KEY ! jpegdec ! videoconvert ! "
      "fakesink name=sink");
  GPtrArray *out = probe_buffers (pipeline, "sink", "sink");
  GList *messages = cv_test_run_pipeline (pipeline);

  fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR));
  fail_if (cv_test_find_message (messages, GST_MESSAGE_WARNING));
  fail_unless_equals_int (out->len, 5);
  fail_unless_equals_int (cv_local_server_get_request_count (server), 1);

  g_ptr_array_unref (out);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* overlay=true cannot draw on JPEG: negotiation fails with an error that
 * says so and what to do instead. */
GST_START_TEST (test_overlay_refused_on_jpeg)
{
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc num-buffers=1 "
      "! video/x-raw,width=320,height=240 ! jpegenc ! jpegparse ! "
      "cvanalyze name=a endpoint=ENDPOINT key=KEY overlay=true ! fakesink");
  GList *messages = cv_test_run_pipeline (pipeline);
  GstMessage *m = cv_test_find_message (messages, GST_MESSAGE_ERROR);
  GError *err = NULL;
  gchar *debug = NULL;

  fail_unless (m != NULL, "overlay=true on JPEG was not refused");
  fail_unless_equals_string (GST_OBJECT_NAME (GST_MESSAGE_SRC (m)), "a");
  gst_message_parse_error (m, &err, &debug);
  fail_unless (g_error_matches (err, GST_CORE_ERROR,
          GST_CORE_ERROR_NEGOTIATION), "%s", err->message);
  /* What to do is in the message, which applications show. */
  fail_unless (g_str_has_prefix (err->message,
          "overlay=true draws on raw video, but the input is JPEG: ")
      && strstr (err->message, "jpegdec"), "%s", err->message);
  fail_unless (strstr (debug, "jpegdec") != NULL, "%s", debug);
  fail_unless_equals_int (cv_local_server_get_request_count (server), 0);

  g_error_free (err);
  g_free (debug);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* overlay=true set while JPEG flows is a warning (once), and the JPEGs
 * go on untouched. */
GST_START_TEST (test_overlay_set_while_playing_jpeg_warns)
{
  gchar *desc = g_strdup_printf ("cvanalyze endpoint=%s key=%s "
      "interval=100000000000000", server_url, TEST_KEY);
  GstHarness *h = gst_harness_new_parse (desc);
  GstBus *bus = gst_bus_new ();
  GstElement *e;
  GstBuffer *in, *out;
  GstMessage *m;
  GError *err = NULL;
  guint8 junk[64];
  guint i, overlay_warnings = 0;

  memset (junk, 0x11, sizeof (junk));
  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, "image/jpeg, width=320, height=240, "
      "framerate=30/1");
  e = gst_harness_find_element (h, "cvanalyze");
  g_object_set (e, "overlay", TRUE, NULL);
  gst_object_unref (e);
  for (i = 0; i < 3; i++) {
    in = gst_buffer_new_memdup (junk, sizeof (junk));
    GST_BUFFER_PTS (in) = (i + 1) * GST_SECOND / 30;
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
    out = gst_harness_pull (h);
    fail_unless_equals_int (gst_buffer_memcmp (out, 0, junk, sizeof (junk)),
        0);
    gst_buffer_unref (out);
  }
  /* Posted on the streaming thread, so on the bus by now; the sampled junk
   * frame's own warning (not a JPEG) may come too, from the client. */
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING))) {
    gst_message_parse_warning (m, &err, NULL);
    if (strstr (err->message, "overlay=true draws on raw video")
        && strstr (err->message, "jpegdec"))
      overlay_warnings++;
    g_clear_error (&err);
    gst_message_unref (m);
  }
  fail_unless_equals_int (overlay_warnings, 1);

  gst_harness_teardown (h);
  cv_test_drop_bus_messages (bus);
  gst_object_unref (bus);
  g_free (desc);
}

GST_END_TEST;

static GstPadProbeReturn
keep_text (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;

  if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
    if (map.size > 0)
      g_ptr_array_add (user_data, g_strndup ((gchar *) map.data, map.size));
    gst_buffer_unmap (buf, &map);
  }
  return GST_PAD_PROBE_OK;
}

/* The result of a sampled JPEG goes on the JPEG buffers' meta (exact mode:
 * on the sampled buffer itself) and out of text_src, as for raw video. */
GST_START_TEST (test_results_on_jpeg_meta_and_text)
{
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc num-buffers=10 "
      "pattern=red ! video/x-raw,width=320,height=240,framerate=30/1 ! "
      "jpegenc ! jpegparse ! cvanalyze name=a endpoint=ENDPOINT key=KEY "
      "mode=exact ! fakesink name=sink a.text_src ! queue ! "
      "fakesink name=textsink");
  GPtrArray *out = probe_buffers (pipeline, "sink", "sink");
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);
  GstElement *textsink = gst_bin_get_by_name (GST_BIN (pipeline), "textsink");
  GstPad *tpad = gst_element_get_static_pad (textsink, "sink");
  GList *messages;
  const gchar *caption;
  GstCvAnalyzeMeta *meta;
  guint i;

  gst_pad_add_probe (tpad, GST_PAD_PROBE_TYPE_BUFFER, keep_text, texts, NULL);
  messages = cv_test_run_pipeline (pipeline);
  fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR));
  fail_unless_equals_int (out->len, 10);
  meta = gst_buffer_get_cv_analyze_meta (out->pdata[0]);
  fail_unless (meta != NULL, "the sampled JPEG has no result");
  caption = gst_cv_analyze_meta_get_caption (meta, NULL);
  fail_unless (caption != NULL && strstr (caption, "red") != NULL,
      "caption '%s' does not describe the red JPEG", GST_STR_NULL (caption));
  fail_unless_equals_uint64 (gst_cv_analyze_meta_get_frame_pts (meta), 0);
  for (i = 1; i < out->len; i++)
    fail_unless (gst_buffer_get_cv_analyze_meta (out->pdata[i]) != NULL,
        "JPEG buffer %u has no result", i);
  fail_unless (texts->len > 0, "nothing on text_src");
  fail_unless_equals_string (texts->pdata[0], caption);

  cv_test_free_messages (messages);
  gst_object_unref (tpad);
  gst_object_unref (textsink);
  g_ptr_array_unref (texts);
  g_ptr_array_unref (out);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A JPEG of a solid colour, made with TurboJPEG. */
static GstBuffer *
make_jpeg (gint width, gint height, GstClockTime pts)
{
  tjhandle tj = tjInitCompress ();
  guint8 *rgb = g_malloc ((gsize) width * height * 3), *jpeg = NULL;
  gulong size = 0;
  GstBuffer *buf;
  gint i;

  for (i = 0; i < width * height; i++) {
    rgb[i * 3] = 200;
    rgb[i * 3 + 1] = 30;
    rgb[i * 3 + 2] = 30;
  }
  fail_unless (tjCompress2 (tj, rgb, width, 0, height, TJPF_RGB, &jpeg, &size,
          TJSAMP_420, 85, 0) == 0);
  buf = gst_buffer_new_memdup (jpeg, size);
  tjFree (jpeg);
  tjDestroy (tj);
  g_free (rgb);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  return buf;
}

static gchar *
pop_warning (GstBus * bus)
{
  GstMessage *m = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_WARNING);
  GError *err = NULL;
  gchar *text;

  fail_unless (m != NULL, "no warning within 30 s");
  gst_message_parse_warning (m, &err, NULL);
  text = g_strdup (err->message);
  g_error_free (err);
  gst_message_unref (m);
  return text;
}

/* A corrupt JPEG buffer, sampled, is a warning that names it; the buffer
 * and the stream go on, and the next sampled JPEG is analysed. Both a
 * buffer that is no JPEG at all and one cut short are tried, large enough
 * (1280x720 at max-dimension 640) to be decoded. */
GST_START_TEST (test_corrupt_jpeg_warns_and_goes_on)
{
  gchar *desc = g_strdup_printf ("cvanalyze endpoint=%s key=%s "
      "max-dimension=640 interval=1000000000", server_url, TEST_KEY);
  GstHarness *h = gst_harness_new_parse (desc);
  GstBus *bus = gst_bus_new ();
  GstBuffer *good, *cut, *garbage, *out;
  GstMessage *m;
  gchar *text;
  guint8 junk[4096];

  memset (junk, 0x5a, sizeof (junk));
  /* Not live: each sample waits for the slot the one before still holds
   * (live, a good JPEG coming while the cut one is decoded is skipped). */
  gst_harness_set_live (h, FALSE);
  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, "image/jpeg, parsed=true, width=1280, "
      "height=720, framerate=30/1");

  /* Not a JPEG at all: the header cannot be read. */
  garbage = gst_buffer_new_memdup (junk, sizeof (junk));
  GST_BUFFER_PTS (garbage) = 0;
  fail_unless_equals_int (gst_harness_push (h, garbage), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless_equals_int (gst_buffer_get_size (out), sizeof (junk));
  gst_buffer_unref (out);
  text = pop_warning (bus);
  fail_unless (strstr (text, "not a valid JPEG") != NULL, "%s", text);
  fail_unless (strstr (text, "corrupt") != NULL, "%s", text);
  g_free (text);

  /* A good header, the data cut short: the decoder fails. */
  good = make_jpeg (1280, 720, GST_SECOND);
  cut = gst_buffer_copy_region (good, GST_BUFFER_COPY_ALL, 0,
      gst_buffer_get_size (good) / 3);
  GST_BUFFER_PTS (cut) = GST_SECOND;
  gst_buffer_unref (good);
  fail_unless_equals_int (gst_harness_push (h, cut), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));

  /* The stream goes on: a good JPEG two seconds in is analysed. */
  fail_unless_equals_int (gst_harness_push (h, make_jpeg (1280, 720,
              2 * GST_SECOND)), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  m = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_ELEMENT);
  fail_unless (m != NULL, "the JPEG after the corrupt ones was not analysed");
  gst_message_unref (m);
  fail_unless_equals_int (cv_local_server_get_request_count (server), 1);

  gst_harness_teardown (h);
  cv_test_drop_bus_messages (bus);
  gst_object_unref (bus);
  g_free (desc);
}

GST_END_TEST;

static Suite *
cvanalyze_mjpeg_suite (void)
{
  Suite *s = suite_create ("cvanalyze-mjpeg");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, cv_test_server_setup, cv_test_server_teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_small_jpeg_sent_as_is);
  tcase_add_test (tc, test_large_jpeg_scaled);
  tcase_add_test (tc, test_readme_pipeline);
  tcase_add_test (tc, test_overlay_refused_on_jpeg);
  tcase_add_test (tc, test_overlay_set_while_playing_jpeg_warns);
  tcase_add_test (tc, test_results_on_jpeg_meta_and_text);
  tcase_add_test (tc, test_corrupt_jpeg_warns_and_goes_on);
  return s;
}

GST_CHECK_MAIN (cvanalyze_mjpeg);
