/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* OCR end to end: textoverlay renders known text on plain frames, cvanalyze
 * sends them to the local server, whose tesseract reads them, through the
 * v3.2 Read API (202, then polls) and Image Analysis 4.0's read feature.
 * Where the text really is comes from the frames' own pixels. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>
#include <libsoup/soup.h>

#include "cvanalyzetest.h"
#include "gstcvanalyzemeta.h"
#include "../../fuzz/resultcheck.h"

#define EXIT_SIGN "EXIT 42"
#define SLIDE_LINE_1 "QUARTERLY REVIEW"
#define SLIDE_LINE_2 "SALES UP 12 PERCENT"
#define SLIDE SLIDE_LINE_1 "\n" SLIDE_LINE_2

/* How far (pixels) a box read may be from the text's real edges: JPEG's
 * blur and tesseract's rounding. */
#define BOX_TOLERANCE 6

/* Dark (text) pixels in the luma of a white frame with black text. */
#define DARK_LUMA 128

#define MAX_LINES 4

typedef struct
{
  gint x, y, width, height;
} Box;

typedef struct
{
  Box box;
  gchar *text;
} TextRoi;

/* What reached the sink: where the text of the first frame really is, and
 * the text regions of every frame. */
typedef struct
{
  Box truth[MAX_LINES];
  guint n_truth;
  guint buffers;
  GPtrArray *rois;              /* per buffer: GArray of TextRoi */
} Seen;

static void
text_rois_free (GArray * rois)
{
  guint i;

  for (i = 0; i < rois->len; i++)
    g_free (g_array_index (rois, TextRoi, i).text);
  g_array_unref (rois);
}

static Seen *
seen_new (void)
{
  Seen *seen = g_new0 (Seen, 1);

  seen->rois = g_ptr_array_new_with_free_func ((GDestroyNotify)
      text_rois_free);
  return seen;
}

static void
seen_free (Seen * seen)
{
  g_ptr_array_unref (seen->rois);
  g_free (seen);
}

/* The lines of dark pixels: runs of rows with any, apart by at least
 * @min_gap rows without, each with the columns its dark pixels span. */
static guint
find_text_lines (const guint8 * luma, gint width, gint height, gint stride,
    Box * lines, guint max_lines)
{
  const gint min_gap = 6;
  gint y, x, last_dark = -min_gap - 1;
  guint n = 0;

  for (y = 0; y < height; y++) {
    gint left = width, right = -1;

    for (x = 0; x < width; x++) {
      if (luma[y * stride + x] < DARK_LUMA) {
        left = MIN (left, x);
        right = x;
      }
    }
    if (right < 0)
      continue;
    if (y - last_dark > min_gap) {
      fail_unless (n < max_lines, "more than %u lines of dark pixels",
          max_lines);
      lines[n++] = (Box) {
      left, y, right - left + 1, 1};
    } else {
      Box *b = &lines[n - 1];
      gint r = MAX (b->x + b->width, right + 1);

      b->x = MIN (b->x, left);
      b->width = r - b->x;
      b->height = y - b->y + 1;
    }
    last_dark = y;
  }
  return n;
}

static GstPadProbeReturn
record_frame (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Seen *seen = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GQuark text_type = g_quark_from_static_string ("text");
  GArray *rois = g_array_new (FALSE, TRUE, sizeof (TextRoi));
  GstVideoRegionOfInterestMeta *meta;
  gpointer state = NULL;

  if (seen->buffers++ == 0) {
    GstCaps *caps = gst_pad_get_current_caps (pad);
    GstVideoInfo vinfo;
    GstVideoFrame frame;

    fail_unless (gst_video_info_from_caps (&vinfo, caps));
    gst_caps_unref (caps);
    fail_unless (gst_video_frame_map (&frame, &vinfo, buf, GST_MAP_READ));
    seen->n_truth = find_text_lines (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
        GST_VIDEO_FRAME_WIDTH (&frame), GST_VIDEO_FRAME_HEIGHT (&frame),
        GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), seen->truth, MAX_LINES);
    gst_video_frame_unmap (&frame);
  }

  while ((meta = (GstVideoRegionOfInterestMeta *)
          gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstCvAnalyzeMeta *result = gst_buffer_get_cv_analyze_meta (buf);
    const GstStructure *line;
    TextRoi roi;

    if (meta->roi_type != text_type)
      continue;
    /* The region refers to its line in the shared result (hotpath). */
    line = result ? gst_cv_analyze_meta_get_region (result, meta->roi_type,
        meta->id) : NULL;
    roi.box = (Box) {
    meta->x, meta->y, meta->w, meta->h};
    roi.text = g_strdup (line ? gst_structure_get_string (line, "text") :
        NULL);
    g_array_append_val (rois, roi);
  }
  g_ptr_array_add (seen->rois, rois);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
record_text (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  if (map.size > 0)
    g_ptr_array_add (user_data, g_strndup ((const gchar *) map.data,
            map.size));
  gst_buffer_unmap (buf, &map);
  return GST_PAD_PROBE_OK;
}

static void
probe_sink (GstElement * pipeline, const gchar * name,
    GstPadProbeCallback probe, gpointer data)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GstPad *pad = gst_element_get_static_pad (e, "sink");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, probe, data, NULL);
  gst_object_unref (pad);
  gst_object_unref (e);
}

/* Three white frames with @text drawn big, black, in the middle; the
 * first one analysed (exact mode: every frame waits for its result, for
 * as long as valgrind's tesseract may need). */
static GstElement *
text_pipeline (const gchar * text, const gchar * settings, Seen * seen,
    GPtrArray * texts)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=3 pattern=white "
      "! video/x-raw,format=I420,width=640,height=360,framerate=10/1 "
      "! textoverlay name=t font-desc=\"DejaVu Sans Bold 36\" "
      "valignment=center halignment=center color=0xff000000 "
      "draw-shadow=false draw-outline=false "
      "! cvanalyze name=a endpoint=ENDPOINT key=KEY mode=exact "
      "interval=100000000000 timeout=60000000000 %s ! fakesink name=sink "
      "a.text_src ! queue ! fakesink name=textsink", settings);
  GstElement *pipeline = cv_test_make_pipeline (desc);
  GstElement *overlay = gst_bin_get_by_name (GST_BIN (pipeline), "t");

  g_object_set (overlay, "text", text, NULL);
  gst_object_unref (overlay);
  probe_sink (pipeline, "sink", record_frame, seen);
  if (texts)
    probe_sink (pipeline, "textsink", record_text, texts);
  g_free (desc);
  return pipeline;
}

static guint
count_requests (const gchar * method, const gchar * path_part)
{
  guint i, n = 0, total = cv_local_server_get_request_count (server);

  for (i = 0; i < total; i++) {
    CvLocalServerRequest *req = cv_local_server_get_request (server, i);

    n += g_str_equal (req->method, method)
        && strstr (req->path, path_part) != NULL;
    cv_local_server_request_free (req);
  }
  return n;
}

static const GstStructure *
result_of (GstMessage * m)
{
  return gst_value_get_structure (gst_structure_get_value
      (gst_message_get_structure (m), "result"));
}

static void
assert_box_around (const Box * read, const Box * truth, const gchar * what)
{
  fail_unless (ABS (read->x - truth->x) <= BOX_TOLERANCE
      && ABS (read->y - truth->y) <= BOX_TOLERANCE
      && ABS (read->x + read->width - truth->x - truth->width) <=
      BOX_TOLERANCE
      && ABS (read->y + read->height - truth->y - truth->height) <=
      BOX_TOLERANCE, "%s: read at %d,%d %dx%d, drawn at %d,%d %dx%d", what,
      read->x, read->y, read->width, read->height, truth->x, truth->y,
      truth->width, truth->height);
}

/* Runs the pipeline and checks what every OCR test promises: one result
 * whose text lines are @lines, in order, each with its rectangle around
 * the line drawn; the message's "text" is the lines joined by spaces; and
 * every frame carries the lines as "text" regions of interest in the same
 * places. Returns the result message. */
static GstMessage *
run_and_check_text (GstElement * pipeline, Seen * seen,
    const gchar * const *lines, guint n_lines, GList ** messages)
{
  GList *results;
  GstMessage *result;
  const GValue *text_lines;
  gchar *joined = g_strjoinv (" ", (gchar **) lines);
  guint i, b;

  *messages = cv_test_run_pipeline (pipeline);
  fail_unless (GST_MESSAGE_TYPE (g_list_last (*messages)->data) ==
      GST_MESSAGE_EOS);
  fail_if (cv_test_find_message (*messages, GST_MESSAGE_WARNING));
  results = cv_test_filter_results (*messages);
  fail_unless_equals_int (g_list_length (results), 1);
  result = results->data;
  g_list_free (results);

  fail_unless_equals_int (seen->n_truth, n_lines);
  fail_unless_equals_string (gst_structure_get_string
      (gst_message_get_structure (result), "text"), joined);
  text_lines = gst_structure_get_value (result_of (result), "text-lines");
  fail_unless (text_lines != NULL);
  fail_unless_equals_int (gst_value_array_get_size (text_lines), n_lines);
  for (i = 0; i < n_lines; i++) {
    const GstStructure *line =
        gst_value_get_structure (gst_value_array_get_value (text_lines, i));
    Box box;

    fail_unless_equals_string (gst_structure_get_string (line, "text"),
        lines[i]);
    fail_unless (gst_structure_get (line, "x", G_TYPE_INT, &box.x, "y",
            G_TYPE_INT, &box.y, "width", G_TYPE_INT, &box.width, "height",
            G_TYPE_INT, &box.height, NULL));
    assert_box_around (&box, &seen->truth[i], lines[i]);
  }

  fail_unless_equals_int (seen->rois->len, 3);
  for (b = 0; b < seen->rois->len; b++) {
    GArray *rois = g_ptr_array_index (seen->rois, b);

    fail_unless_equals_int (rois->len, n_lines);
    for (i = 0; i < n_lines; i++) {
      TextRoi *roi = &g_array_index (rois, TextRoi, i);

      fail_unless_equals_string (roi->text, lines[i]);
      assert_box_around (&roi->box, &seen->truth[i], lines[i]);
    }
  }
  g_free (joined);
  return result;
}

/* v3.2 Read alone: "EXIT 42" is read back, with its box; one POST and as
 * many GETs as the server answers running, plus the one that succeeds,
 * and no Analyze call. */
GST_START_TEST (test_read_v32_polls)
{
  const gchar *const lines[] = { EXIT_SIGN, NULL };
  Seen *seen = seen_new ();
  GstElement *pipeline;
  GList *messages;

  cv_local_server_set_read_running (server, 2);
  pipeline = text_pipeline (EXIT_SIGN, "features=Read "
      "timeout=60000000000", seen, NULL);
  run_and_check_text (pipeline, seen, lines, 1, &messages);

  fail_unless_equals_int (count_requests ("POST", "/read/analyze"), 1);
  fail_unless_equals_int (count_requests ("GET", "/read/analyzeResults/"),
      2 + 1);
  fail_unless_equals_int (count_requests ("POST", "/vision/v3.2/analyze"), 0);

  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
  seen_free (seen);
}

GST_END_TEST;

/* v3.2 Analyze then Read: a two-line slide's lines come back each in its
 * place, in the same result as Analyze's caption. */
GST_START_TEST (test_read_v32_after_analyze)
{
  const gchar *const lines[] = { SLIDE_LINE_1, SLIDE_LINE_2, NULL };
  Seen *seen = seen_new ();
  GstElement *pipeline = text_pipeline (SLIDE, "features=Description,Read "
      "timeout=60000000000", seen, NULL);
  GstMessage *result;
  GList *messages;

  result = run_and_check_text (pipeline, seen, lines, 2, &messages);
  fail_unless (strstr (gst_structure_get_string (result_of (result),
              "caption"), "white") != NULL);
  fail_unless_equals_int (count_requests ("POST", "/vision/v3.2/analyze"), 1);
  fail_unless_equals_int (count_requests ("POST", "/read/analyze"), 1);
  fail_unless_equals_int (count_requests ("GET", "/read/analyzeResults/"),
      1);

  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
  seen_free (seen);
}

GST_END_TEST;

/* Image Analysis 4.0's read feature, in the same call as the caption:
 * both texts, line by line and in place. */
GST_START_TEST (test_read_v40)
{
  const gchar *const exit_lines[] = { EXIT_SIGN, NULL };
  const gchar *const slide_lines[] = { SLIDE_LINE_1, SLIDE_LINE_2, NULL };
  const gchar *const texts[] = { EXIT_SIGN, SLIDE };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (texts); i++) {
    Seen *seen = seen_new ();
    GstElement *pipeline = text_pipeline (texts[i],
        "api=azure-image-analysis features=caption,read", seen, NULL);
    GList *messages;

    run_and_check_text (pipeline, seen, i == 0 ? exit_lines : slide_lines,
        i == 0 ? 1 : 2, &messages);
    cv_test_free_messages (messages);
    gst_object_unref (pipeline);
    seen_free (seen);
  }
  fail_unless_equals_int (count_requests ("POST", "imageanalysis:analyze"),
      2);
}

GST_END_TEST;

/* show-text puts the text read on text_src: under the caption, or alone
 * when only the text was asked for. */
GST_START_TEST (test_show_text)
{
  const gchar *const settings[] = {
    "api=azure-image-analysis features=read show-text=true",
    "api=azure-image-analysis features=caption,read show-text=true",
    "api=azure-image-analysis features=caption,read",
  };
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (settings); i++) {
    Seen *seen = seen_new ();
    GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);
    GstElement *pipeline = text_pipeline (EXIT_SIGN, settings[i], seen,
        texts);
    GList *messages = cv_test_run_pipeline (pipeline);
    const gchar *caption = NULL;
    GList *results = cv_test_filter_results (messages);

    fail_unless_equals_int (g_list_length (results), 1);
    caption = gst_structure_get_string (result_of (results->data),
        "caption");
    fail_unless (texts->len > 0, "%s: nothing on text_src", settings[i]);
    for (j = 0; j < texts->len; j++) {
      const gchar *t = g_ptr_array_index (texts, j);
      gchar *expected = i == 0 ? g_strdup (EXIT_SIGN) : i == 1 ?
          g_strconcat (caption, "\n", EXIT_SIGN, NULL) : g_strdup (caption);

      fail_unless_equals_string (t, expected);
      g_free (expected);
    }
    g_list_free (results);
    cv_test_free_messages (messages);
    gst_object_unref (pipeline);
    g_ptr_array_unref (texts);
    seen_free (seen);
  }
}

GST_END_TEST;

/* The frames entering and leaving cvanalyze, to see what it drew. */
typedef struct
{
  GQueue inputs;                /* deep copies, not yet compared */
  gint most_changed_rows;
} Drawn;

static GstPadProbeReturn
keep_input (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Drawn *drawn = user_data;

  g_queue_push_tail (&drawn->inputs,
      gst_buffer_copy_deep (GST_PAD_PROBE_INFO_BUFFER (info)));
  return GST_PAD_PROBE_OK;
}

/* How many luma rows of the output frame differ from its input frame:
 * the height of what the overlay drew. */
static GstPadProbeReturn
count_changed_rows (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Drawn *drawn = user_data;
  GstBuffer *input = g_queue_pop_head (&drawn->inputs);
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstVideoInfo vinfo;
  GstVideoFrame in, out;
  gint y, rows = 0;

  fail_unless (input != NULL);
  fail_unless (gst_video_info_from_caps (&vinfo, caps));
  gst_caps_unref (caps);
  fail_unless (gst_video_frame_map (&in, &vinfo, input, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&out, &vinfo,
          GST_PAD_PROBE_INFO_BUFFER (info), GST_MAP_READ));
  for (y = 0; y < GST_VIDEO_FRAME_HEIGHT (&out); y++) {
    gsize offset = y * GST_VIDEO_FRAME_PLANE_STRIDE (&out, 0);

    rows += memcmp ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&in, 0) + offset,
        (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&out, 0) + offset,
        GST_VIDEO_FRAME_WIDTH (&out)) != 0;
  }
  gst_video_frame_unmap (&out);
  gst_video_frame_unmap (&in);
  gst_buffer_unref (input);
  drawn->most_changed_rows = MAX (drawn->most_changed_rows, rows);
  return GST_PAD_PROBE_OK;
}

/* show-text draws the text read on the overlay too, as a second line under
 * the caption: show-text=false draws exactly the caption's rows. */
GST_START_TEST (test_show_text_on_overlay)
{
  const gchar *const settings[] = {
    "api=azure-image-analysis features=caption overlay=true",
    "api=azure-image-analysis features=caption,read overlay=true",
    "api=azure-image-analysis features=caption,read overlay=true "
        "show-text=true",
  };
  gint rows[G_N_ELEMENTS (settings)];
  guint i;

  for (i = 0; i < G_N_ELEMENTS (settings); i++) {
    Seen *seen = seen_new ();
    Drawn drawn = { G_QUEUE_INIT, 0 };
    GstElement *pipeline = text_pipeline (EXIT_SIGN, settings[i], seen,
        NULL);
    GList *messages, *results;

    probe_sink (pipeline, "a", keep_input, &drawn);
    probe_sink (pipeline, "sink", count_changed_rows, &drawn);
    messages = cv_test_run_pipeline (pipeline);
    fail_if (cv_test_find_message (messages, GST_MESSAGE_WARNING));
    results = cv_test_filter_results (messages);
    fail_unless_equals_int (g_list_length (results), 1);
    fail_unless_equals_int (seen->buffers, 3);
    fail_unless (g_queue_is_empty (&drawn.inputs));
    rows[i] = drawn.most_changed_rows;

    g_list_free (results);
    cv_test_free_messages (messages);
    gst_object_unref (pipeline);
    seen_free (seen);
  }
  fail_unless (rows[0] > 10, "no caption drawn: %d rows", rows[0]);
  fail_unless_equals_int (rows[1], rows[0]);
  /* here 42 rows of caption (one line and margins), 24 more per line */
  fail_unless (rows[2] >= rows[0] * 5 / 4, "caption %d rows, with the text "
      "read %d rows: no second line", rows[0], rows[2]);
}

GST_END_TEST;

/* An operation that never succeeds ends at 'timeout' with a warning that
 * says so: polled about once a second until then, not retried, no result,
 * no text region on any frame. */
GST_START_TEST (test_read_never_succeeds)
{
  Seen *seen = seen_new ();
  GstElement *pipeline;
  GstBus *bus;
  GstMessage *msg, *warning = NULL;
  CvLocalServerRequest *post;
  gchar *text, *debug = NULL;
  gint64 warned_us = 0, waited_us;
  gboolean eos = FALSE;
  guint b, gets, results = 0;

  cv_local_server_set_read_ending (server, CV_LOCAL_SERVER_READ_NEVER);
  /* retries allowed (the default): a running operation is not retried */
  pipeline = text_pipeline (EXIT_SIGN, "features=Read timeout=3000000000",
      seen, NULL);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  /* Until both the warning and EOS are in, whichever comes first. */
  while ((!eos || !warning) && (msg = gst_bus_timed_pop_filtered (bus,
              30 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR |
              GST_MESSAGE_WARNING | GST_MESSAGE_ELEMENT))) {
    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR);
    eos |= GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
    results += GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT
        && gst_message_has_name (msg, "cvanalyze");
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING && !warning) {
      warned_us = g_get_monotonic_time ();
      warning = gst_message_ref (msg);
    }
    gst_message_unref (msg);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);

  fail_unless (eos && warning != NULL);
  fail_unless_equals_int (results, 0);
  text = cv_test_message_text (warning, &debug);
  fail_unless (strstr (text, "in time") != NULL
      && strstr (text, "still running after 3 s") != NULL, "%s", text);
  /* from the POST to the warning: the timeout, not much more */
  post = cv_local_server_get_request (server, 0);
  fail_unless_equals_string (post->method, "POST");
  waited_us = warned_us - post->received_monotonic_us;
  cv_local_server_request_free (post);
  fail_unless (waited_us >= 2900000 && waited_us < 5 * G_USEC_PER_SEC,
      "warned %" G_GINT64_FORMAT " us after the POST", waited_us);
  gets = count_requests ("GET", "/read/analyzeResults/");
  fail_unless (gets >= 1 && gets <= 3, "%u polls in 3 s", gets);
  for (b = 0; b < seen->rois->len; b++)
    fail_unless_equals_int (((GArray *) g_ptr_array_index (seen->rois,
                b))->len, 0);

  g_free (text);
  g_free (debug);
  gst_message_unref (warning);
  cv_test_drop_bus_messages (bus);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  seen_free (seen);
}

GST_END_TEST;

/* Runs Read alone, then after Analyze, with the server ending each
 * operation as @ending and cvanalyze given @settings: one warning that
 * says @said (and @said_too, if set), one operation per frame analysed,
 * no text on any frame; Read alone posts no result, after a good Analyze
 * its caption still goes on, without text. */
static void
check_read_ending_warns (CvLocalServerReadEnding ending,
    const gchar * settings, const gchar * said, const gchar * said_too)
{
  const gchar *const features[] = { "features=Read",
    "features=Description,Read"
  };
  guint i, b;

  cv_local_server_set_read_ending (server, ending);
  for (i = 0; i < G_N_ELEMENTS (features); i++) {
    Seen *seen = seen_new ();
    gchar *all = g_strdup_printf ("%s %s", features[i], settings);
    GstElement *pipeline = text_pipeline (EXIT_SIGN, all, seen, NULL);
    guint posts_before = count_requests ("POST", "/read/analyze");
    GList *messages = cv_test_run_pipeline (pipeline);
    GstMessage *warning = cv_test_find_message (messages,
        GST_MESSAGE_WARNING);
    GList *results = cv_test_filter_results (messages);
    gchar *text, *debug = NULL;

    fail_unless (warning != NULL, "%s: no warning", all);
    text = cv_test_message_text (warning, &debug);
    fail_unless (strstr (text, said) != NULL && (!said_too
            || strstr (text, said_too) != NULL), "%s", text);
    fail_unless_equals_int (count_requests ("POST", "/read/analyze") -
        posts_before, 1);
    if (i == 0) {
      fail_if (results);
    } else {
      fail_unless_equals_int (g_list_length (results), 1);
      fail_unless (strstr (gst_structure_get_string (result_of
                  (results->data), "caption"), "white") != NULL);
      fail_if (gst_structure_has_field (result_of (results->data),
              "text-lines"));
    }
    for (b = 0; b < seen->rois->len; b++)
      fail_unless_equals_int (((GArray *) g_ptr_array_index (seen->rois,
                  b))->len, 0);

    g_free (text);
    g_free (debug);
    g_free (all);
    g_list_free (results);
    cv_test_free_messages (messages);
    gst_object_unref (pipeline);
    seen_free (seen);
  }
}

/* A Read answer that does not parse is a warning naming the member at
 * fault, and attaches no text; after a good Analyze, the analysis still
 * goes on the frames, with that warning. */
GST_START_TEST (test_read_malformed)
{
  check_read_ending_warns (CV_LOCAL_SERVER_READ_MALFORMED,
      "timeout=60000000000 max-retries=0", "Read result cannot be used",
      "lines[0].text");
}

GST_END_TEST;

/* An operation the service ends as failed is a warning that says so, and
 * final (retries allowed, the default: still one operation); Read alone
 * attaches nothing, after a good Analyze its caption still goes on. */
GST_START_TEST (test_read_failed_warns)
{
  check_read_ending_warns (CV_LOCAL_SERVER_READ_FAIL, "",
      "ended with status 'failed'", NULL);
}

GST_END_TEST;

/* Read text with terminal escapes, control characters and lone
 * surrogates in it (both APIs) reaches the message, the result, the
 * regions and text_src as safe text: the words read, without a control
 * character or invalid UTF-8. */
GST_START_TEST (test_read_hostile_text)
{
  const gchar *const settings[] = { "features=Read show-text=true",
    "api=azure-image-analysis features=read show-text=true"
  };
  guint i, j, b;

  cv_local_server_set_hostile (server,
      CV_LOCAL_SERVER_HOSTILE_CONTROL_CHARS |
      CV_LOCAL_SERVER_HOSTILE_LONE_SURROGATES);
  for (i = 0; i < G_N_ELEMENTS (settings); i++) {
    Seen *seen = seen_new ();
    GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);
    GstElement *pipeline = text_pipeline (EXIT_SIGN, settings[i], seen,
        texts);
    GList *messages = cv_test_run_pipeline (pipeline);
    GList *results = cv_test_filter_results (messages);
    const gchar *text;
    gchar *problem;

    fail_unless_equals_int (g_list_length (results), 1);
    text = gst_structure_get_string (gst_message_get_structure
        (results->data), "text");
    fail_unless (g_str_has_prefix (text, EXIT_SIGN " "), "%s", text);
    fail_unless (strstr (text, "pwned") != NULL, "%s: not hostile", text);
    problem = cv_check_safe_text (text, 1000);
    fail_unless (problem == NULL, "%s", problem);
    problem = cv_check_safe_structure (result_of (results->data));
    fail_unless (problem == NULL, "%s", problem);
    for (b = 0; b < seen->rois->len; b++) {
      GArray *rois = g_ptr_array_index (seen->rois, b);

      fail_unless_equals_int (rois->len, 1);
      problem = cv_check_safe_text (g_array_index (rois, TextRoi, 0).text,
          1000);
      fail_unless (problem == NULL, "%s", problem);
    }
    fail_unless (texts->len > 0);
    for (j = 0; j < texts->len; j++) {
      problem = cv_check_safe_text (g_ptr_array_index (texts, j), 1000);
      fail_unless (problem == NULL, "%s", problem);
    }
    g_list_free (results);
    cv_test_free_messages (messages);
    gst_object_unref (pipeline);
    g_ptr_array_unref (texts);
    seen_free (seen);
  }
}

GST_END_TEST;

/* A flush while an operation is being polled abandons it: it is not polled
 * again and attaches nothing, and the frames after the flush get their
 * own, new operation's text. */
GST_START_TEST (test_flush_cancels_polling)
{
  const gchar *const lines[] = { EXIT_SIGN, NULL };
  Seen *seen = seen_new ();
  GstElement *pipeline;
  GstBus *bus;
  GstMessage *msg;
  CvLocalServerRequest *req;
  gchar *abandoned;
  guint i, n, polls_of_abandoned = 0, results = 0;
  GstStructure *s;

  cv_local_server_set_read_ending (server, CV_LOCAL_SERVER_READ_NEVER);
  pipeline = text_pipeline (EXIT_SIGN, "features=Read timeout=60000000000",
      seen, NULL);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  /* the POST, then the first poll */
  fail_unless (cv_local_server_wait_for_requests (server, 2,
          30 * G_USEC_PER_SEC));

  /* The frame after the flush starts an operation that succeeds. */
  cv_local_server_set_read_ending (server, CV_LOCAL_SERVER_READ_SUCCEED);
  req = cv_local_server_get_request (server, 1);
  abandoned = g_strdup (req->path);
  cv_local_server_request_free (req);
  fail_unless (gst_element_seek_simple (pipeline, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH, 0));

  while ((msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
              GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT))) {
    gboolean done = GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT;

    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR);
    s = (GstStructure *) gst_message_get_structure (msg);
    results += s && gst_structure_has_name (s, "cvanalyze");
    gst_message_unref (msg);
    if (done)
      break;
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);

  /* One request may have been on its way as the flush came. */
  n = cv_local_server_get_request_count (server);
  for (i = 2; i < n; i++) {
    req = cv_local_server_get_request (server, i);
    polls_of_abandoned += g_str_equal (req->path, abandoned);
    cv_local_server_request_free (req);
  }
  fail_unless (polls_of_abandoned <= 1, "%u polls after the flush",
      polls_of_abandoned);
  fail_unless_equals_int (results, 1);
  fail_unless_equals_int (count_requests ("POST", "/read/analyze"), 2);
  /* every frame that reached the sink after the flush has the new text */
  fail_unless (seen->rois->len >= 1);
  {
    GArray *last = g_ptr_array_index (seen->rois, seen->rois->len - 1);

    fail_unless_equals_int (last->len, 1);
    fail_unless_equals_string (g_array_index (last, TextRoi, 0).text,
        lines[0]);
  }

  g_free (abandoned);
  cv_test_drop_bus_messages (bus);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  seen_free (seen);
}

GST_END_TEST;

/* A service that answers Read's POST with its own Operation-Location and
 * the poll with a redirect to @redirect_to (another server's URL). */
typedef struct
{
  CvTestSoupServer *server;
  const gchar *redirect_to;
} Redirector;

static void
redirector_handle (SoupServer * soup, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer data)
{
  Redirector *r = data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (g_str_equal (soup_server_message_get_method (msg), "POST")) {
    gchar *location = g_strconcat (cv_test_soup_server_get_url (r->server),
        "vision/v3.2/read/analyzeResults/1", NULL);

    soup_message_headers_replace (headers, "Operation-Location", location);
    soup_server_message_set_status (msg, 202, NULL);
    g_free (location);
  } else {
    soup_server_message_set_redirect (msg, 302, r->redirect_to);
  }
}

static Redirector *
redirector_new (const gchar * redirect_to)
{
  Redirector *r = g_new0 (Redirector, 1);

  r->redirect_to = redirect_to;
  r->server = cv_test_soup_server_new (redirector_handle, r);
  return r;
}

static void
redirector_free (Redirector * r)
{
  cv_test_soup_server_free (r->server);
  g_free (r);
}

/* A poll answered with a redirect is not followed, so the key never
 * reaches where it points (here the local server, which sees no request
 * at all): the answer is an HTTP error, posted as a warning. */
GST_START_TEST (test_poll_redirect_not_followed)
{
  gchar *elsewhere = g_strconcat (server_url, "vision/v3.2/read/"
      "analyzeResults/stolen", NULL);
  Redirector *r = redirector_new (elsewhere);
  Seen *seen = seen_new ();
  GstElement *pipeline = text_pipeline (EXIT_SIGN, "features=Read "
      "max-retries=0", seen, NULL);
  GstElement *a = gst_bin_get_by_name (GST_BIN (pipeline), "a");
  GList *messages;
  GstMessage *warning;
  gchar *text, *debug = NULL;

  g_object_set (a, "endpoint", cv_test_soup_server_get_url (r->server),
      NULL);
  messages = cv_test_run_pipeline (pipeline);
  warning = cv_test_find_message (messages, GST_MESSAGE_WARNING);
  fail_unless (warning != NULL);
  text = cv_test_message_text (warning, &debug);
  fail_unless (strstr (text, "302") != NULL, "%s", text);
  fail_unless_equals_int (cv_local_server_get_request_count (server), 0);
  fail_if (cv_test_filter_results (messages));
  cv_test_check_secret_not_in_messages (messages, TEST_KEY);

  g_free (text);
  g_free (debug);
  cv_test_free_messages (messages);
  gst_object_unref (a);
  gst_object_unref (pipeline);
  seen_free (seen);
  redirector_free (r);
  g_free (elsewhere);
}

GST_END_TEST;

static Suite *
cvanalyze_ocr_suite (void)
{
  Suite *s = suite_create ("cvanalyze-ocr");
  TCase *tc = tcase_create ("ocr");

  tcase_add_checked_fixture (tc, cv_test_server_setup,
      cv_test_server_teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_read_v32_polls);
  tcase_add_test (tc, test_read_v32_after_analyze);
  tcase_add_test (tc, test_read_v40);
  tcase_add_test (tc, test_show_text);
  tcase_add_test (tc, test_show_text_on_overlay);
  tcase_add_test (tc, test_read_never_succeeds);
  tcase_add_test (tc, test_read_malformed);
  tcase_add_test (tc, test_read_failed_warns);
  tcase_add_test (tc, test_read_hostile_text);
  tcase_add_test (tc, test_flush_cancels_polling);
  tcase_add_test (tc, test_poll_redirect_not_followed);
  return s;
}

GST_CHECK_MAIN (cvanalyze_ocr);
