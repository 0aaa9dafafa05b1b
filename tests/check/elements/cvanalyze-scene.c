/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* sample-mode=scene against the local server on loopback: clips with cuts
 * (videotestsrc patterns joined by concat) and static scenes, requests
 * counted at the server and compared with interval mode, results and
 * cvanalyze-scene messages checked against the scenes' running times.
 * The sources are not live, so every frame due waits for its slot: what
 * is sent follows from the pictures alone, however busy the machine. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "cvanalyzetest.h"
#include "gstcvanalyzemeta.h"

#define FPS 20
#define FRAME (GST_SECOND / FPS)
/* Checks every 5 frames. */
#define INTERVAL (250 * GST_MSECOND)
#define THRESHOLD 0.1           /* the default scene-threshold */

typedef struct
{
  const gchar *pattern;
  guint frames;
} Scene;

/* Four shots of two seconds each. The ball (20 pixels in radius) moves
 * within its shot: at 320x240 that is a change of at most 0.07. */
static const Scene cuts[] = {
  {"smpte", 40}, {"ball", 40}, {"red", 40}, {"pinwheel", 40},
};

/* A pipeline playing @scenes one after the other (each a videotestsrc
 * clip whose timestamps start at 0, joined by concat, which carries the
 * running time on), through @pre (or nothing) into cvanalyze with
 * @props. */
static GstElement *
clip_pipeline (const Scene * scenes, guint n, const gchar * format,
    const gchar * pre, const gchar * props)
{
  GString *desc = g_string_new (NULL);
  GstElement *pipeline;
  guint i;

  g_string_append_printf (desc, "concat name=c ! %s cvanalyze name=a "
      "endpoint=ENDPOINT key=KEY interval=%" G_GUINT64_FORMAT " %s ! "
      "fakesink name=sink sync=false", pre ? pre : "", INTERVAL, props);
  for (i = 0; i < n; i++)
    g_string_append_printf (desc, "  videotestsrc num-buffers=%u pattern=%s "
        "! video/x-raw,format=%s,width=320,height=240,framerate=%d/1 ! c.",
        scenes[i].frames, scenes[i].pattern, format, FPS);
  pipeline = cv_test_make_pipeline (desc->str);
  g_string_free (desc, TRUE);
  return pipeline;
}

/* Where scene @i starts, in running time. */
static GstClockTime
scene_start (const Scene * scenes, guint i)
{
  GstClockTime t = 0;
  guint k;

  for (k = 0; k < i; k++)
    t += scenes[k].frames * FRAME;
  return t;
}

/* Runs @pipeline to EOS without errors or warnings; returns its messages
 * and, in @requests, how many requests the server received meanwhile. */
static GList *
run_counting (GstElement * pipeline, guint * requests)
{
  guint before = cv_local_server_get_request_count (server);
  GList *messages = cv_test_run_pipeline (pipeline);
  GstMessage *bad = cv_test_find_message (messages, GST_MESSAGE_ERROR);

  if (!bad)
    bad = cv_test_find_message (messages, GST_MESSAGE_WARNING);
  if (bad) {
    gchar *debug = NULL, *text = cv_test_message_text (bad, &debug);

    fail ("%s (%s)", text, GST_STR_NULL (debug));
  }
  *requests = cv_local_server_get_request_count (server) - before;
  return messages;
}

/* The messages named @name, in order (transfer container). */
static GList *
filter_named (GList * messages, const gchar * name)
{
  GList *out = NULL;

  for (; messages; messages = messages->next)
    if (GST_MESSAGE_TYPE (messages->data) == GST_MESSAGE_ELEMENT
        && gst_message_has_name (messages->data, name))
      out = g_list_append (out, messages->data);
  return out;
}

static guint64
field (GstMessage * m, const gchar * name)
{
  guint64 v = GST_CLOCK_TIME_NONE;

  fail_unless (gst_structure_get_uint64 (gst_message_get_structure (m), name,
          &v), "no %s", name);
  return v;
}

static gdouble
distance (GstMessage * m)
{
  gdouble d = -1;

  fail_unless (gst_structure_get_double (gst_message_get_structure (m),
          "distance", &d));
  return d;
}

/* Checks that the cvanalyze-scene messages name the first frame of each
 * of @scenes: running time at the cut, timestamp and stream time 0 (each
 * clip starts at 0), one frame's duration, the first at distance 1 and
 * each cut beyond the threshold. */
static void
check_scene_messages (GList * messages, const Scene * scenes, guint n)
{
  GList *changes = filter_named (messages, "cvanalyze-scene"), *l;
  guint i;

  fail_unless_equals_int (g_list_length (changes), n);
  for (l = changes, i = 0; l; l = l->next, i++) {
    fail_unless_equals_uint64 (field (l->data, "running-time"),
        scene_start (scenes, i));
    fail_unless_equals_uint64 (field (l->data, "timestamp"), 0);
    fail_unless_equals_uint64 (field (l->data, "stream-time"), 0);
    fail_unless_equals_uint64 (field (l->data, "duration"), FRAME);
    if (i == 0) {
      fail_unless_equals_float (distance (l->data), 1.0);
    } else {
      fail_unless (distance (l->data) > THRESHOLD && distance (l->data) <= 1,
          "cut %u at distance %f", i, distance (l->data));
    }
  }
  g_list_free (changes);
}

/* Checks that there is one result per scene, for its first frame, each
 * caption differing from the one before. */
static void
check_one_result_per_scene (GList * messages, const Scene * scenes, guint n)
{
  GList *results = cv_test_filter_results (messages), *l;
  const gchar *previous = NULL;
  guint i;

  fail_unless_equals_int (g_list_length (results), n);
  for (l = results, i = 0; l; l = l->next, i++) {
    const gchar *caption = gst_structure_get_string
        (gst_message_get_structure (l->data), "caption");

    fail_unless_equals_uint64 (field (l->data, "running-time"),
        scene_start (scenes, i));
    fail_if (g_strcmp0 (caption, previous) == 0, "scene %u: '%s' again", i,
        caption);
    previous = caption;
  }
  g_list_free (results);
}

/* Plays the clip with cuts through @pre into scene mode: only the first
 * frame of each of the four shots is sent (counted at the server), 28 of
 * the 32 checks save a request, and the messages and results name the
 * shots' first frames. */
static void
check_cuts_in_scene_mode (const gchar * pre)
{
  GstElement *pipeline = clip_pipeline (cuts, G_N_ELEMENTS (cuts), "I420",
      pre, "sample-mode=scene max-interval=0");
  GList *messages;
  guint requests;

  messages = run_counting (pipeline, &requests);
  fail_unless_equals_int (requests, 4);
  fail_unless_equals_uint64 (cv_test_get_stat (pipeline, "a", "samples"), 4);
  fail_unless_equals_uint64 (cv_test_get_stat (pipeline, "a", "saved"), 28);
  fail_unless_equals_uint64 (cv_test_get_stat (pipeline, "a",
          "scene-changes"), 4);
  check_scene_messages (messages, cuts, G_N_ELEMENTS (cuts));
  check_one_result_per_scene (messages, cuts, G_N_ELEMENTS (cuts));
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

/* On a clip with three cuts, interval mode sends all 32 frames due (one
 * per 250 ms for 8 s) and scene mode only the first frame of each of the
 * four shots, counted at the server; stats say 28 checks saved and 4 scene
 * changes; each cvanalyze-scene message and result carries its shot's
 * first frame's timestamps. */
GST_START_TEST (test_cuts_send_one_frame_per_scene)
{
  GstElement *pipeline;
  GList *messages;
  guint interval_requests;

  pipeline = clip_pipeline (cuts, G_N_ELEMENTS (cuts), "I420", NULL, "");
  messages = run_counting (pipeline, &interval_requests);
  fail_unless_equals_int (interval_requests, 32);
  fail_unless (filter_named (messages, "cvanalyze-scene") == NULL);
  fail_unless_equals_uint64 (cv_test_get_stat (pipeline, "a", "saved"), 0);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);

  check_cuts_in_scene_mode (NULL);
}

GST_END_TEST;

/* The same clip as an MJPEG camera sends it (jpegenc in front): the JPEGs
 * are measured (1/8-scale luma) and again only the four shots' first
 * frames are sent. */
GST_START_TEST (test_jpeg_cuts_send_one_frame_per_scene)
{
  check_cuts_in_scene_mode ("jpegenc !");
}

GST_END_TEST;

/* With min-interval=1 s, a shot that starts 0.5 s after the last frame
 * sent waits, but every shot still gets its caption within min-interval
 * of its start (the result's frame lies in the shot, at most 1 s after
 * its first frame), and no two frames sent are closer than min-interval. */
GST_START_TEST (test_every_scene_captioned_within_min_interval)
{
  static const Scene scenes[] = {
    {"red", 10}, {"blue", 30}, {"smpte", 20}, {"ball", 40},
  };
  GstElement *pipeline = clip_pipeline (scenes, G_N_ELEMENTS (scenes),
      "I420", NULL, "sample-mode=scene min-interval=1000000000 "
      "max-interval=0");
  GList *messages, *results, *l;
  GstClockTime previous = GST_CLOCK_TIME_NONE;
  guint requests, i;

  messages = run_counting (pipeline, &requests);
  results = cv_test_filter_results (messages);
  fail_unless_equals_int (requests, G_N_ELEMENTS (scenes));
  fail_unless_equals_int (g_list_length (results), G_N_ELEMENTS (scenes));
  for (l = results, i = 0; l; l = l->next, i++) {
    GstClockTime t = field (l->data, "running-time");
    GstClockTime start = scene_start (scenes, i);
    GstClockTime end = scene_start (scenes, i + 1);

    fail_unless (t >= start && t <= start + GST_SECOND && t < end,
        "scene %u (%" GST_TIME_FORMAT " to %" GST_TIME_FORMAT ") captioned "
        "from %" GST_TIME_FORMAT, i, GST_TIME_ARGS (start), GST_TIME_ARGS (end),
        GST_TIME_ARGS (t));
    if (GST_CLOCK_TIME_IS_VALID (previous))
      fail_unless (t - previous >= GST_SECOND);
    previous = t;
  }
  /* The blue shot waited for min-interval: sent at 1 s, not 0.5 s. */
  fail_unless_equals_uint64 (field (g_list_nth_data (results, 1),
          "running-time"), GST_SECOND);
  g_list_free (results);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A picture that changes at every check (red, blue and green in turn,
 * 250 ms each, for 4 s) is sent once per min-interval (1 s): 4 requests
 * where interval mode sends 16. */
GST_START_TEST (test_min_interval_bounds_a_changing_picture)
{
  Scene scenes[16];
  GstElement *pipeline;
  GList *messages, *results, *l;
  guint requests, i;

  for (i = 0; i < G_N_ELEMENTS (scenes); i++) {
    scenes[i].pattern = i % 3 == 0 ? "red" : i % 3 == 1 ? "blue" : "green";
    scenes[i].frames = 5;
  }
  pipeline = clip_pipeline (scenes, G_N_ELEMENTS (scenes), "I420", NULL, "");
  cv_test_free_messages (run_counting (pipeline, &requests));
  fail_unless_equals_int (requests, 16);
  gst_object_unref (pipeline);

  pipeline = clip_pipeline (scenes, G_N_ELEMENTS (scenes), "I420", NULL,
      "sample-mode=scene min-interval=1000000000 max-interval=0");
  messages = run_counting (pipeline, &requests);
  fail_unless_equals_int (requests, 4);
  results = cv_test_filter_results (messages);
  for (l = results, i = 0; l; l = l->next, i++)
    fail_unless_equals_uint64 (field (l->data, "running-time"),
        i * GST_SECOND);
  fail_unless_equals_int (i, 4);
  g_list_free (results);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static GstPadProbeReturn
count_meta (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  guint *counts = user_data;    /* with meta, without after the first */
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  if (gst_buffer_get_cv_analyze_meta (buf))
    counts[0]++;
  else if (counts[0] > 0)
    counts[1]++;
  return GST_PAD_PROBE_OK;
}

/* Counts, in @counts, the buffers reaching the element "sink" with a
 * result, and those without one after the first with one. */
static void
count_meta_at_sink (GstElement * pipeline, guint * counts)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_meta, counts, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
}

/* A static scene (10 s of one YUY2 picture, as a camera gives it) is sent
 * at the start and again every max-interval (2 s): 5 requests where
 * interval mode sends 40, at running times 0, 2, 4, 6 and 8 s; it is one
 * scene (one cvanalyze-scene message); and the caption stays attached to
 * every frame from the first result on. */
GST_START_TEST (test_static_scene_resent_at_max_interval)
{
  static const Scene still[] = { {"smpte", 200} };
  GstElement *pipeline;
  GList *messages, *results, *l;
  guint requests, i, counts[2] = { 0, 0 };

  pipeline = clip_pipeline (still, 1, "YUY2", NULL, "");
  cv_test_free_messages (run_counting (pipeline, &requests));
  fail_unless_equals_int (requests, 40);
  gst_object_unref (pipeline);

  pipeline = clip_pipeline (still, 1, "YUY2", NULL,
      "sample-mode=scene max-interval=2000000000");
  count_meta_at_sink (pipeline, counts);
  messages = run_counting (pipeline, &requests);
  fail_unless_equals_int (requests, 5);
  results = cv_test_filter_results (messages);
  for (l = results, i = 0; l; l = l->next, i++)
    fail_unless_equals_uint64 (field (l->data, "running-time"),
        i * 2 * GST_SECOND);
  fail_unless_equals_int (i, 5);
  g_list_free (results);
  check_scene_messages (messages, still, 1);
  fail_unless_equals_uint64 (cv_test_get_stat (pipeline, "a", "saved"), 35);
  fail_unless_equals_uint64 (cv_test_get_stat (pipeline, "a",
          "scene-changes"), 1);
  /* Results arrive a few frames after their frame (live attaching); from
   * then on every frame carries one. */
  fail_unless (counts[0] > 150, "only %u frames with a result", counts[0]);
  fail_unless_equals_int (counts[1], 0);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* mode=exact with scene mode: only the shots' first frames are sent and
 * held for their results, so every one of the clip's 160 frames carries
 * a result, from the very first. */
GST_START_TEST (test_exact_mode_scene_results_on_every_frame)
{
  GstElement *pipeline = clip_pipeline (cuts, G_N_ELEMENTS (cuts), "I420",
      NULL, "sample-mode=scene max-interval=0 mode=exact");
  GList *messages;
  guint requests, counts[2] = { 0, 0 };

  count_meta_at_sink (pipeline, counts);
  messages = run_counting (pipeline, &requests);
  fail_unless_equals_int (requests, 4);
  check_scene_messages (messages, cuts, G_N_ELEMENTS (cuts));
  check_one_result_per_scene (messages, cuts, G_N_ELEMENTS (cuts));
  fail_unless_equals_int (counts[0], 160);
  fail_unless_equals_int (counts[1], 0);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A flushing seek drops the current result, so the first frame after it
 * starts a scene even in a static picture: sent at once, posted with its
 * own timestamps (PTS and stream time 4 s, running time 0 in the new
 * segment) and distance 1. */
GST_START_TEST (test_flush_starts_a_new_scene)
{
  static const Scene still[] = { {"smpte", 200} };
  GstElement *pipeline = clip_pipeline (still, 1, "I420", NULL,
      "sample-mode=scene max-interval=0");
  GList *messages, *changes;
  GstMessage *after;

  fail_unless (gst_element_set_state (pipeline, GST_STATE_PAUSED) !=
      GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (gst_element_get_state (pipeline, NULL, NULL,
          GST_CLOCK_TIME_NONE), GST_STATE_CHANGE_SUCCESS);
  fail_unless (gst_element_seek (pipeline, 1.0, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE, GST_SEEK_TYPE_SET,
          4 * GST_SECOND, GST_SEEK_TYPE_SET, 6 * GST_SECOND));
  messages = cv_test_run_pipeline (pipeline);
  fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR));
  fail_if (cv_test_find_message (messages, GST_MESSAGE_WARNING));

  /* The preroll frame, then the seek's first frame; nothing more in a
   * static picture. */
  fail_unless_equals_uint64 (cv_test_get_stat (pipeline, "a", "samples"), 2);
  fail_unless_equals_uint64 (cv_test_get_stat (pipeline, "a",
          "scene-changes"), 2);
  changes = filter_named (messages, "cvanalyze-scene");
  fail_unless_equals_int (g_list_length (changes), 2);
  after = g_list_nth_data (changes, 1);
  fail_unless_equals_uint64 (field (after, "timestamp"), 4 * GST_SECOND);
  fail_unless_equals_uint64 (field (after, "stream-time"), 4 * GST_SECOND);
  fail_unless_equals_uint64 (field (after, "running-time"), 0);
  fail_unless_equals_float (distance (after), 1.0);
  g_list_free (changes);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static GstPadProbeReturn
cut_to_red (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  /* Set on the streaming thread: the frame after this one is red. */
  if (GST_BUFFER_PTS (buf) + FRAME >= GST_SECOND / 2) {
    gst_util_set_object_arg (G_OBJECT (user_data), "pattern", "red");
    return GST_PAD_PROBE_REMOVE;
  }
  return GST_PAD_PROBE_OK;
}

/* Live, with a service slower than the cut: the first frame of the red
 * shot (0.5 s) finds the only slot busy (the server answers after 1.5 s)
 * and is skipped, which does not make it the picture later frames are
 * compared with, so the red shot is still sent once the slot is free: two
 * requests, the second a red frame. */
GST_START_TEST (test_live_scene_change_skipped_is_sent_later)
{
  GstElement *pipeline = cv_test_make_pipeline ("videotestsrc name=src "
      "is-live=true num-buffers=60 pattern=smpte ! video/x-raw,format=I420,"
      "width=320,height=240,framerate=20/1 ! cvanalyze name=a "
      "endpoint=ENDPOINT key=KEY interval=250000000 sample-mode=scene "
      "max-interval=0 ! fakesink sync=false"), *src;
  GstPad *pad;
  GList *messages, *results, *changes;
  guint requests;

  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  pad = gst_element_get_static_pad (src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, cut_to_red, src, NULL);
  gst_object_unref (pad);
  cv_local_server_set_delay (server, 1500);
  messages = run_counting (pipeline, &requests);
  fail_unless_equals_int (requests, 2);
  fail_unless (cv_test_get_stat (pipeline, "a", "skipped") >= 1);
  results = cv_test_filter_results (messages);
  fail_unless_equals_int (g_list_length (results), 2);
  fail_unless (strstr (gst_structure_get_string (gst_message_get_structure
              (g_list_nth_data (results, 1)), "caption"), "red"));
  changes = filter_named (messages, "cvanalyze-scene");
  fail_unless_equals_int (g_list_length (changes), 2);
  fail_unless (field (g_list_nth_data (changes, 1), "running-time") >
      GST_SECOND / 2);
  g_list_free (changes);
  g_list_free (results);
  cv_test_free_messages (messages);
  gst_object_unref (src);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static Suite *
cvanalyze_scene_suite (void)
{
  Suite *s = suite_create ("cvanalyze-scene");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, cv_test_server_setup,
      cv_test_server_teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_cuts_send_one_frame_per_scene);
  tcase_add_test (tc, test_jpeg_cuts_send_one_frame_per_scene);
  tcase_add_test (tc, test_every_scene_captioned_within_min_interval);
  tcase_add_test (tc, test_min_interval_bounds_a_changing_picture);
  tcase_add_test (tc, test_static_scene_resent_at_max_interval);
  tcase_add_test (tc, test_flush_starts_a_new_scene);
  tcase_add_test (tc, test_exact_mode_scene_results_on_every_frame);
  tcase_add_test (tc, test_live_scene_change_skipped_is_sent_later);
  return s;
}

GST_CHECK_MAIN (cvanalyze_scene);
