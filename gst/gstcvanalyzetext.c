/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The text_src pad, kept apart from the element's video path. As
 * ccextractor does for its caption pad, it replays the video's sticky
 * events with a stream id of its own and pushes GAP events for stretches
 * without a caption: a sparse stream that textoverlay, webvttenc and
 * muxers can follow without waiting.
 *
 * Unlike ccextractor it does not forward the video's segments when playing
 * forwards: webvttenc and srtenc write buffer timestamps as they are, and
 * the video's timestamps start again with each clip of a concat (or sit at
 * 1000 s out of splitmuxsrc). The text goes out in running time instead, in
 * a segment of its own (start 0, rate 1) pushed once per stream-start or
 * flush; textoverlay and muxers compare running times, which stay the
 * video's. Reverse playback keeps the video's segment and timestamps, as
 * textoverlay expects them. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstcvanalyzetext.h"

GST_DEBUG_CATEGORY_EXTERN (gst_cv_analyze_debug);
#define GST_CAT_DEFAULT gst_cv_analyze_debug

void
gst_cv_analyze_text_output_init (GstCvAnalyzeTextOutput * out,
    GstElement * element, GstPadTemplate * templ)
{
  memset (out, 0, sizeof (*out));
  out->element = element;
  out->pad = gst_pad_new_from_template (templ, "text_src");
  out->position = GST_CLOCK_TIME_NONE;
  out->forward = TRUE;
  gst_segment_init (&out->segment, GST_FORMAT_TIME);
  gst_pad_use_fixed_caps (out->pad);
  gst_element_add_pad (element, out->pad);
}

gboolean
gst_cv_analyze_text_output_is_linked (GstCvAnalyzeTextOutput * out)
{
  return gst_pad_is_linked (out->pad);
}

void
gst_cv_analyze_text_output_reset (GstCvAnalyzeTextOutput * out)
{
  out->position = GST_CLOCK_TIME_NONE;
  out->segment_sent = FALSE;
}

/* utf8 unless downstream takes only pango-markup. */
static void
negotiate (GstCvAnalyzeTextOutput * out)
{
  GstCaps *templ, *peer, *caps;
  const gchar *format;

  /* Cleared before asking downstream: a reconfigure that comes in while
   * this runs is seen next time. */
  gst_pad_check_reconfigure (out->pad);
  templ = gst_pad_get_pad_template_caps (out->pad);
  peer = gst_pad_peer_query_caps (out->pad, templ);
  if (gst_caps_is_empty (peer)) {
    gst_caps_unref (peer);
    peer = gst_caps_ref (templ);
  }
  caps = gst_caps_fixate (gst_caps_make_writable (peer));
  format = gst_structure_get_string (gst_caps_get_structure (caps, 0),
      "format");
  out->markup = g_strcmp0 (format, "pango-markup") == 0;
  GST_DEBUG_OBJECT (out->pad, "text caps %" GST_PTR_FORMAT, caps);
  gst_pad_push_event (out->pad, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  gst_caps_unref (templ);
  out->negotiated = TRUE;
}

/* Replays a video event on the text pad, where it applies to text too. */
void
gst_cv_analyze_text_output_forward_event (GstCvAnalyzeTextOutput * out,
    GstElement * element, GstEvent * video_event)
{
  GstEvent *event = NULL;

  switch (GST_EVENT_TYPE (video_event)) {
    case GST_EVENT_STREAM_START:{
      gchar *id = gst_pad_create_stream_id (out->pad, element, "text");
      guint group_id;

      event = gst_event_new_stream_start (id);
      if (gst_event_parse_group_id (video_event, &group_id))
        gst_event_set_group_id (event, group_id);
      gst_event_set_stream_flags (event, GST_STREAM_FLAG_SPARSE);
      g_free (id);
      out->negotiated = FALSE;
      out->warned = FALSE;
      out->segment_sent = FALSE;
      break;
    }
    case GST_EVENT_CAPS:
      /* Caps must precede the segment: settle the text caps now. */
      if (!out->negotiated)
        negotiate (out);
      return;
    case GST_EVENT_SEGMENT:{
      gboolean restamp;
      GstSegment running_time;

      gst_event_copy_segment (video_event, &out->segment);
      out->forward = out->segment.rate > 0;
      restamp = out->forward && out->segment.format == GST_FORMAT_TIME;
      if (restamp != out->restamp || !restamp)
        out->position = GST_CLOCK_TIME_NONE;
      out->restamp = restamp;
      if (!restamp) {
        event = gst_event_ref (video_event);
        break;
      }
      /* Later segments only change how video times map to running time. */
      if (out->segment_sent)
        return;
      gst_segment_init (&running_time, GST_FORMAT_TIME);
      event = gst_event_new_segment (&running_time);
      gst_event_set_seqnum (event, gst_event_get_seqnum (video_event));
      out->segment_sent = TRUE;
      break;
    }
    case GST_EVENT_FLUSH_START:
      /* Not serialized: leave the position to the streaming thread. */
      event = gst_event_ref (video_event);
      break;
    case GST_EVENT_FLUSH_STOP:
      /* The flush dropped the text segment downstream. */
      out->segment_sent = FALSE;
      out->position = GST_CLOCK_TIME_NONE;
      event = gst_event_ref (video_event);
      break;
    case GST_EVENT_EOS:
    case GST_EVENT_SEGMENT_DONE:
      out->position = GST_CLOCK_TIME_NONE;
      event = gst_event_ref (video_event);
      break;
    case GST_EVENT_GAP:{
      GstClockTime pts, duration;

      gst_event_parse_gap (video_event, &pts, &duration);
      gst_cv_analyze_text_output_push_gap (out, pts, duration);
      return;
    }
    default:
      return;
  }
  gst_pad_push_event (out->pad, event);
}

/* The text's times for a stretch of video time (@duration may be NONE):
 * the same stretch of running time when restamping, cut to where the
 * running time starts. FALSE when it lies wholly before that. */
static gboolean
to_text_time (GstCvAnalyzeTextOutput * out, GstClockTime * pts,
    GstClockTime * duration)
{
  GstClockTime start, end;
  gint start_sign, end_sign;

  if (!out->restamp)
    return TRUE;
  start_sign = gst_segment_to_running_time_full (&out->segment,
      GST_FORMAT_TIME, *pts, &start);
  if (!GST_CLOCK_TIME_IS_VALID (*duration)) {
    *pts = start;
    return start_sign > 0;
  }
  end_sign = gst_segment_to_running_time_full (&out->segment,
      GST_FORMAT_TIME, *pts + *duration, &end);
  if (end_sign <= 0)
    return FALSE;
  if (start_sign <= 0)
    start = 0;
  *pts = start;
  *duration = end - start;
  return TRUE;
}

static void
check_caps (GstCvAnalyzeTextOutput * out)
{
  if (!out->negotiated || gst_pad_check_reconfigure (out->pad))
    negotiate (out);
}

/* Whatever becomes of the text branch (unlinked, finished, flushing on
 * its own, failing) must not stop the video: the video's own push reports
 * a flush of the whole element. A branch that cannot take text is reported
 * once; elements that fail post their own errors. */
static void
check_flow (GstCvAnalyzeTextOutput * out, GstFlowReturn ret)
{
  if (ret == GST_FLOW_NOT_NEGOTIATED && !out->warned) {
    out->warned = TRUE;
    GST_ELEMENT_WARNING (out->element, STREAM, FORMAT,
        ("Captions could not be sent on text_src: the element linked to it "
            "does not take text/x-raw (utf8 or pango-markup). The video goes "
            "on without them."), (NULL));
  } else if (ret < GST_FLOW_OK) {
    GST_DEBUG_OBJECT (out->pad, "text branch: %s", gst_flow_get_name (ret));
  }
}

/* "-->" separates a cue's start and end in WebVTT and SRT, and webvttenc
 * and srtenc write the text as it is: in a caption it makes its line a
 * cue timing line to every subtitle parser, so a service could end the
 * cue and start one of its own, at any time, for hours. It becomes U+2192
 * (RIGHTWARDS ARROW), which reads the same. */
static gchar *
subtitle_text (const gchar * text)
{
  GString *safe;

  if (strstr (text, "-->") == NULL)
    return g_strdup (text);
  safe = g_string_new (text);
  g_string_replace (safe, "-->", "\xe2\x86\x92", 0);
  return g_string_free (safe, FALSE);
}

void
gst_cv_analyze_text_output_push_text (GstCvAnalyzeTextOutput * out,
    const gchar * text, GstClockTime pts, GstClockTime duration)
{
  gchar *payload, *subtitle;
  GstBuffer *buf;
  gsize len;

  if (!to_text_time (out, &pts, &duration))
    return;
  /* Never step back over what was pushed (a caption cut short by
   * caption-duration ends where the stream already is); in reverse
   * playback every frame steps back. */
  if (out->forward && GST_CLOCK_TIME_IS_VALID (out->position)
      && pts < out->position) {
    if (GST_CLOCK_TIME_IS_VALID (duration)) {
      if (pts + duration <= out->position)
        return;
      duration -= out->position - pts;
    }
    pts = out->position;
  }
  check_caps (out);
  subtitle = subtitle_text (text);
  /* Service text is literal text: escape it when downstream reads markup. */
  payload = out->markup ? g_markup_escape_text (subtitle, -1) :
      g_strdup (subtitle);
  g_free (subtitle);
  len = strlen (payload);
  buf = gst_buffer_new_wrapped (payload, len);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = duration;
  out->position = GST_CLOCK_TIME_IS_VALID (duration) ? pts + duration : pts;
  GST_LOG_OBJECT (out->pad, "caption %" GST_TIME_FORMAT " + %" GST_TIME_FORMAT
      ": %s", GST_TIME_ARGS (pts), GST_TIME_ARGS (duration), text);
  check_flow (out, gst_pad_push (out->pad, buf));
}

void
gst_cv_analyze_text_output_push_gap (GstCvAnalyzeTextOutput * out,
    GstClockTime pts, GstClockTime duration)
{
  if (!to_text_time (out, &pts, &duration))
    return;
  /* Never step back over text already pushed (going forwards). */
  if (out->forward && GST_CLOCK_TIME_IS_VALID (out->position)
      && pts < out->position) {
    if (!GST_CLOCK_TIME_IS_VALID (duration) || pts + duration <= out->position)
      return;
    duration = pts + duration - out->position;
    pts = out->position;
  }
  check_caps (out);
  if (GST_CLOCK_TIME_IS_VALID (duration))
    out->position = pts + duration;
  gst_pad_push_event (out->pad, gst_event_new_gap (pts, duration));
}
