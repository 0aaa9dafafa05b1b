/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * Smart thumbnails: once per thumbnail-interval of running time, or once
 * per scene change with sample-mode=scene, never per frame, the element
 * hands a copy of the frame it just sent for analysis to the client as a
 * thumbnail request (gst_cv_analyze_client_submit_thumbnail()), of which
 * at most one is pending: a thumbnail due meanwhile is skipped and
 * counted. The service makes it (azure-cv: generateThumbnail with
 * smartCropping), or says where to crop (azure-image-analysis: smartCrops
 * of the thumbnail's ratio; cvanalyze cuts the sent JPEG to that box,
 * narrowed to the exact ratio, and scales it, with TurboJPEG and libyuv
 * on the client's thread). Each thumbnail is written to thumbnail-location
 * if set and posted as a GstSample in a "cvanalyze-thumbnail" message,
 * on the client's thread, never on the streaming thread.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <turbojpeg.h>

#include "gstcvanalyzethumbnail.h"
#include "gstcvanalyzeencoder.h"

GST_DEBUG_CATEGORY_STATIC (cv_analyze_thumbnail_debug);
#define GST_CAT_DEFAULT cv_analyze_thumbnail_debug

/* The kinds of warning, for the warning limit. */
enum
{
  WARN_REQUEST,                 /* + status */
  WARN_ANSWER = 1000,
  WARN_WRITE,
};

void
gst_cv_analyze_thumbnails_init (GstCvAnalyzeThumbnails * t)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized)) {
    GST_DEBUG_CATEGORY_INIT (cv_analyze_thumbnail_debug, "cvanalyzethumbnail",
        0, "cvanalyze smart thumbnails");
    g_once_init_leave (&initialized, 1);
  }
  memset (t, 0, sizeof (*t));
  t->next_due = GST_CLOCK_TIME_NONE;
  g_mutex_init (&t->lock);
  gst_cv_analyze_warn_limit_init (&t->warn_limit);
}

void
gst_cv_analyze_thumbnails_clear (GstCvAnalyzeThumbnails * t)
{
  g_clear_pointer (&t->location, gst_cv_analyze_thumbnail_location_free);
  g_hash_table_unref (t->warn_limit.kinds);
  g_mutex_clear (&t->lock);
}

/**
 * gst_cv_analyze_thumbnails_configure:
 * @width: thumbnail-width, 0 for none
 * @height: thumbnail-height, 0 for none
 * @interval: thumbnail-interval
 * @location: (nullable): thumbnail-location
 * @klass: the service of the run
 *
 * Set up for a run, at start, before the client exists.
 *
 * Returns: %FALSE with @error (GST_RESOURCE_ERROR_SETTINGS) saying what
 *   to set
 */
gboolean
gst_cv_analyze_thumbnails_configure (GstCvAnalyzeThumbnails * t,
    guint width, guint height, GstClockTime interval, const gchar * location,
    const GstCvAnalyzeServiceClass * klass, GError ** error)
{
  GstCvAnalyzeThumbnailLocation *parsed = NULL;

  if ((width == 0) != (height == 0)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "thumbnail-width is %u and thumbnail-height %u: set both (1 to "
        "%u), or neither for no thumbnails", width, height,
        GST_CV_ANALYZE_THUMBNAIL_MAX_SIDE);
    return FALSE;
  }
  if (width > 0 && !gst_cv_analyze_service_has_thumbnails (klass)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "api=%s makes no thumbnails: use api=azure-cv (generateThumbnail) "
        "or api=azure-image-analysis (smartCrops), or unset "
        "thumbnail-width and thumbnail-height", klass->name);
    return FALSE;
  }
  if (width > 0 && location && *location) {
    parsed = gst_cv_analyze_thumbnail_location_parse (location, error);
    if (parsed == NULL)
      return FALSE;
  }

  g_mutex_lock (&t->lock);
  t->width = width;
  t->height = height;
  t->interval = interval;
  g_clear_pointer (&t->location, gst_cv_analyze_thumbnail_location_free);
  t->location = parsed;
  t->next_due = GST_CLOCK_TIME_NONE;
  t->asked[0] = t->asked[1] = FALSE;
  t->index = 0;
  t->made = t->skipped = t->failed = 0;
  gst_cv_analyze_warn_limit_clear (&t->warn_limit);
  g_mutex_unlock (&t->lock);
  return TRUE;
}

/**
 * gst_cv_analyze_thumbnails_due:
 * @running_time: of the frame just sent for analysis
 *
 * On the streaming thread, for each frame sent for analysis in interval
 * mode: whether a thumbnail of it is due (the first, then one per
 * thumbnail-interval of running time; a thumbnail-interval of 0 makes
 * them only at scene changes).
 */
gboolean
gst_cv_analyze_thumbnails_due (GstCvAnalyzeThumbnails * t,
    GstClockTime running_time)
{
  if (t->width == 0 || t->interval == 0
      || !GST_CLOCK_TIME_IS_VALID (running_time))
    return FALSE;
  if (GST_CLOCK_TIME_IS_VALID (t->next_due) && running_time < t->next_due)
    return FALSE;
  t->next_due = running_time + t->interval;
  return TRUE;
}

/**
 * gst_cv_analyze_thumbnails_submit:
 * @client: the client of the run
 * @budget: (nullable): the rate budget a thumbnail request takes from
 * @buffer: the frame (not kept: a copy goes, so that neither a camera's
 *   buffer nor one exact mode writes to is held)
 * @info: its video info
 * @frame: what the thumbnail's sample will say of it
 * @wait: how long a thumbnail still pending may hold this one up: 0 for
 *   a live stream, up to the timeout for a file (so that a recording gets
 *   every thumbnail, as it gets every analysis)
 *
 * On the streaming thread: asks for a thumbnail of @buffer; unless the
 * circuit breaker is open (the service gets no thumbnails either), the one
 * before is still pending after @wait, or the budget says no, which is
 * counted as skipped.
 */
void
gst_cv_analyze_thumbnails_submit (GstCvAnalyzeThumbnails * t,
    GstCvAnalyzeClient * client, GstCvAnalyzeBudget * budget,
    GstBuffer * buffer, const GstVideoInfo * info,
    const GstCvAnalyzeThumbnailFrame * frame, GstClockTime wait)
{
  GstCvAnalyzeFrame *f;
  GstCvAnalyzeSubmitResult res;
  guint slot;

  if (t->width == 0)
    return;
  /* The breaker first: a thumbnail that cannot go takes no budget. */
  if (gst_cv_analyze_client_get_breaker_state (client) !=
      GST_CV_ANALYZE_BREAKER_CLOSED || (wait == 0
          && gst_cv_analyze_client_thumbnail_busy (client)) || (budget
          && !gst_cv_analyze_budget_try_take (budget,
              g_get_monotonic_time ()))) {
    GST_DEBUG ("thumbnail of %" GST_TIME_FORMAT " skipped: the breaker is "
        "open, one is pending, or the budget says no",
        GST_TIME_ARGS (frame->pts));
    g_mutex_lock (&t->lock);
    t->skipped++;
    g_mutex_unlock (&t->lock);
    return;
  }

  f = g_new0 (GstCvAnalyzeFrame, 1);
  f->buffer = gst_buffer_copy_deep (buffer);
  f->info = *info;
  f->pts = frame->pts;
  f->running_time = frame->running_time;
  f->stream_time = frame->stream_time;
  f->generation = frame->generation;
  f->id = frame->id;
  f->sampled_us = g_get_monotonic_time ();
  f->thumbnail_width = t->width;
  f->thumbnail_height = t->height;

  /* Known before it is submitted, as its outcome may come at once; the one
   * before it keeps its place while this one waits. */
  g_mutex_lock (&t->lock);
  slot = !t->asked[0] ? 0 : !t->asked[1] ? 1 :
      t->frames[0].id < t->frames[1].id ? 0 : 1;
  t->frames[slot] = *frame;
  t->asked[slot] = TRUE;
  g_mutex_unlock (&t->lock);

  res = gst_cv_analyze_client_submit_thumbnail (client, f, wait);
  if (res != GST_CV_ANALYZE_SUBMIT_QUEUED) {
    g_mutex_lock (&t->lock);
    if (t->asked[slot] && t->frames[slot].id == frame->id)
      t->asked[slot] = FALSE;
    if (res == GST_CV_ANALYZE_SUBMIT_BUSY
        || res == GST_CV_ANALYZE_SUBMIT_BREAKER_OPEN)
      t->skipped++;
    g_mutex_unlock (&t->lock);
  }
}

/* A flush or a new segment: the cadence starts again (the client drops
 * what is pending; its outcome, if any, is stale). */
void
gst_cv_analyze_thumbnails_flush (GstCvAnalyzeThumbnails * t)
{
  t->next_due = GST_CLOCK_TIME_NONE;
  g_mutex_lock (&t->lock);
  t->asked[0] = t->asked[1] = FALSE;
  g_mutex_unlock (&t->lock);
}

void
gst_cv_analyze_thumbnails_get_stats (GstCvAnalyzeThumbnails * t,
    guint64 * made, guint64 * skipped, guint64 * failed)
{
  g_mutex_lock (&t->lock);
  *made = t->made;
  *skipped = t->skipped;
  *failed = t->failed;
  g_mutex_unlock (&t->lock);
}

/* --- the answer, on the client's thread --- */

/* Whether a warning of @kind may be posted now, and then the text to end
 * it with (how many like it were not), to free. */
static gboolean
may_warn (GstCvAnalyzeThumbnails * t, guint kind, gchar ** repeats)
{
  guint64 suppressed = 0;
  gboolean report;

  g_mutex_lock (&t->lock);
  t->failed++;
  report = gst_cv_analyze_warn_limit_check (&t->warn_limit, kind,
      g_get_monotonic_time (), &suppressed);
  g_mutex_unlock (&t->lock);
  *repeats = !report ? NULL : suppressed ? g_strdup_printf (" (%"
      G_GUINT64_FORMAT " more like it in the last minute were not posted; "
      "'stats' counts them all.)", suppressed) : g_strdup ("");
  return report;
}

static void
warn_request_failed (GstCvAnalyzeThumbnails * t, GstElement * element,
    const GstCvAnalyzeOutcome * o)
{
  const gchar *code = o->error_code ? o->error_code : "";
  const gchar *detail = o->message ? o->message : "";
  gchar *repeats;

  if (!may_warn (t, WARN_REQUEST + o->status, &repeats))
    return;
  if (o->status == 400) {
    GST_ELEMENT_WARNING_WITH_DETAILS (element, RESOURCE, READ,
        ("The service refused the %ux%u thumbnail (HTTP 400%s%s%s%s): set "
            "thumbnail-width and thumbnail-height to a size it takes (Azure: "
            "1 to 1024 each). Video and analysis go on without thumbnails.%s",
            t->width, t->height, *code ? ", " : "", code, *detail ? ": " : "",
            detail, repeats), ("%s", o->advice ? o->advice : ""),
        ("http-status-code", G_TYPE_UINT, o->status, NULL));
  } else if (o->kind == GST_CV_ANALYZE_OUTCOME_HTTP_ERROR
      || o->kind == GST_CV_ANALYZE_OUTCOME_AUTH_ERROR) {
    GST_ELEMENT_WARNING_WITH_DETAILS (element, RESOURCE, READ,
        ("The thumbnail request failed (HTTP %u%s%s%s%s)%s%s. Video and "
            "analysis go on; the next thumbnail tries again.%s", o->status,
            *code ? ", " : "", code, *detail ? ": " : "", detail,
            o->advice ? "; " : "", o->advice ? o->advice : "", repeats),
        (NULL), ("http-status-code", G_TYPE_UINT, o->status, NULL));
  } else {
    GST_ELEMENT_WARNING (element, RESOURCE, READ,
        ("The thumbnail request failed: %s%s%s. Video and analysis go on; "
            "the next thumbnail tries again.%s", detail, o->advice ? "; " : "",
            o->advice ? o->advice : "", repeats), (NULL));
  }
  g_free (repeats);
}

static void
warn_bad_answer (GstCvAnalyzeThumbnails * t, GstElement * element,
    const gchar * what)
{
  gchar *repeats;

  if (may_warn (t, WARN_ANSWER, &repeats))
    GST_ELEMENT_WARNING (element, STREAM, DECODE, ("No thumbnail: %s. "
            "Check that the endpoint speaks the protocol 'api' names.%s", what,
            repeats), (NULL));
  g_free (repeats);
}

/**
 * gst_cv_analyze_thumbnail_fit_box:
 * @box_x: a box the service chose
 * @width: the thumbnail's width
 * @height: its height
 * @x: (out): the largest rectangle of @width / @height centred in the box
 *
 * Returns: %FALSE for an empty box
 */
gboolean
gst_cv_analyze_thumbnail_fit_box (gint box_x, gint box_y, gint box_w,
    gint box_h, guint width, guint height, gint * x, gint * y, gint * w,
    gint * h)
{
  if (box_w <= 0 || box_h <= 0)
    return FALSE;
  if ((gint64) box_w * height > (gint64) box_h * width) {
    *h = box_h;
    *w = MAX (1, (gint) (((gint64) box_h * width + height / 2) / height));
  } else {
    *w = box_w;
    *h = MAX (1, (gint) (((gint64) box_w * height + width / 2) / width));
  }
  *x = box_x + (box_w - *w) / 2;
  *y = box_y + (box_h - *h) / 2;
  return TRUE;
}

/* Of the result's smart crops, the one whose ratio is nearest the
 * thumbnail's, in the sent JPEG's pixels (clipped to it). */
static gboolean
nearest_crop (const GstStructure * result, const GstCvAnalyzeOutcome * o,
    guint width, guint height, gint * x, gint * y, gint * w, gint * h)
{
  const GValue *crops = result ?
      gst_structure_get_value (result, "smart-crops") : NULL;
  gdouble want = (gdouble) width / height, best = G_MAXDOUBLE;
  gboolean found = FALSE;
  guint i, n = crops ? gst_value_array_get_size (crops) : 0;

  for (i = 0; i < n; i++) {
    const GstStructure *c =
        gst_value_get_structure (gst_value_array_get_value (crops, i));
    gdouble ratio = 0;
    gint bx, by, bw, bh;

    if (!gst_structure_get (c, "aspect-ratio", G_TYPE_DOUBLE, &ratio, "x",
            G_TYPE_INT, &bx, "y", G_TYPE_INT, &by, "width", G_TYPE_INT, &bw,
            "height", G_TYPE_INT, &bh, NULL) || ABS (ratio - want) >= best)
      continue;
    bx = CLAMP (bx, 0, o->image_width - 1);
    by = CLAMP (by, 0, o->image_height - 1);
    bw = CLAMP (bw, 0, o->image_width - bx);
    bh = CLAMP (bh, 0, o->image_height - by);
    if (gst_cv_analyze_thumbnail_fit_box (bx, by, bw, bh, width, height, x, y,
            w, h)) {
      best = ABS (ratio - want);
      found = TRUE;
    }
  }
  return found;
}

/* The size of @jpeg, FALSE if it is no JPEG TurboJPEG reads. */
static gboolean
jpeg_size (GBytes * jpeg, gint * width, gint * height)
{
  tjhandle tj = tjInitDecompress ();
  gint subsamp, colorspace;
  gsize size;
  const guint8 *data = g_bytes_get_data (jpeg, &size);
  gboolean ok = tj && size <= G_MAXULONG && tjDecompressHeader3 (tj, data,
      size, width, height, &subsamp, &colorspace) == 0 && *width > 0
      && *height > 0;

  if (tj)
    tjDestroy (tj);
  return ok;
}

/* Writes @jpeg where thumbnail-location says, on this (the client's)
 * thread. Returns the file's name, or NULL when there is none. */
static gchar *
write_file (GstCvAnalyzeThumbnails * t, GstElement * element, GBytes * jpeg,
    guint index)
{
  GError *err = NULL;
  gsize size;
  const gchar *data = g_bytes_get_data (jpeg, &size);
  gchar *path, *repeats;

  if (t->location == NULL)
    return NULL;
  path = gst_cv_analyze_thumbnail_location_format (t->location, index);
  if (g_file_set_contents (path, data, size, &err)) {
    GST_DEBUG ("thumbnail %u written to %s", index, path);
    return path;
  }
  if (may_warn (t, WARN_WRITE, &repeats))
    GST_ELEMENT_WARNING (element, RESOURCE, OPEN_WRITE,
        ("Could not write the thumbnail to '%s': %s. Check that its "
            "directory exists and can be written to (thumbnail-location); "
            "the thumbnail is still posted.%s", path, err->message, repeats),
        (NULL));
  g_free (repeats);
  g_error_free (err);
  g_free (path);
  return NULL;
}

static void
post_thumbnail (GstCvAnalyzeThumbnails * t, GstElement * element,
    const GstCvAnalyzeThumbnailFrame * f, GBytes * jpeg, gint width,
    gint height, const GstStructure * crop)
{
  GstBuffer *buffer = gst_buffer_new_wrapped_bytes (jpeg);
  GstCaps *caps = gst_caps_new_simple ("image/jpeg", "width", G_TYPE_INT,
      width, "height", G_TYPE_INT, height, NULL);
  GstStructure *s;
  GstSample *sample;
  gchar *path;
  guint index;

  GST_BUFFER_PTS (buffer) = f->pts;
  GST_BUFFER_DURATION (buffer) = f->duration;
  sample = gst_sample_new (buffer, caps, &f->segment, NULL);
  gst_buffer_unref (buffer);
  gst_caps_unref (caps);

  g_mutex_lock (&t->lock);
  index = t->index++;
  t->made++;
  g_mutex_unlock (&t->lock);
  path = write_file (t, element, jpeg, index);

  s = gst_structure_new ("cvanalyze-thumbnail",
      "sample", GST_TYPE_SAMPLE, sample,
      "index", G_TYPE_UINT, index,
      "width", G_TYPE_INT, width,
      "height", G_TYPE_INT, height,
      "timestamp", G_TYPE_UINT64, f->pts,
      "stream-time", G_TYPE_UINT64, f->stream_time,
      "running-time", G_TYPE_UINT64, f->running_time,
      "duration", G_TYPE_UINT64, f->duration,
      "location", G_TYPE_STRING, path ? path : "", NULL);
  if (crop)
    gst_structure_set (s, "crop", GST_TYPE_STRUCTURE, crop, NULL);
  gst_sample_unref (sample);
  g_free (path);
  gst_element_post_message (element, gst_message_new_element (GST_OBJECT
          (element), s));
}

/**
 * gst_cv_analyze_thumbnails_handle_outcome:
 * @element: the element, to post from
 * @outcome: an outcome with thumbnail set
 * @generation: the element's flush generation now
 *
 * On the client's thread: makes the thumbnail of what the service said,
 * writes it and posts it, or says why not.
 */
void
gst_cv_analyze_thumbnails_handle_outcome (GstCvAnalyzeThumbnails * t,
    GstElement * element, const GstCvAnalyzeOutcome * o, guint generation)
{
  GstCvAnalyzeThumbnailFrame f;
  GstStructure *crop = NULL;
  GError *err = NULL;
  GBytes *jpeg = NULL;
  gboolean ours = FALSE;
  gint width = 0, height = 0, x, y, w, h, i;

  g_mutex_lock (&t->lock);
  for (i = 0; i < 2 && !ours; i++) {
    ours = t->asked[i] && t->frames[i].id == o->id
        && t->frames[i].generation == o->generation;
    if (ours) {
      f = t->frames[i];
      t->asked[i] = FALSE;
    }
  }
  g_mutex_unlock (&t->lock);
  if (!ours || o->generation != generation) {
    GST_DEBUG ("stale thumbnail outcome dropped");
    return;
  }

  if (o->kind != GST_CV_ANALYZE_OUTCOME_RESULT) {
    warn_request_failed (t, element, o);
    return;
  }

  if (o->thumbnail_jpeg) {
    /* The service's own (generateThumbnail). */
    if (!jpeg_size (o->thumbnail_jpeg, &width, &height)) {
      warn_bad_answer (t, element, "the service's thumbnail is not a JPEG");
      return;
    }
    jpeg = g_bytes_ref (o->thumbnail_jpeg);
  } else if (nearest_crop (o->result, o, t->width, t->height, &x, &y, &w,
          &h)) {
    /* A box in the JPEG that was sent (smartCrops): cut it out here. */
    gsize size;
    const guint8 *data = g_bytes_get_data (o->image, &size);

    jpeg = gst_cv_analyze_encoder_crop_jpeg (data, size, x, y, w, h,
        t->width, t->height, GST_CV_ANALYZE_THUMBNAIL_QUALITY, &err);
    if (jpeg == NULL) {
      warn_bad_answer (t, element, err->message);
      g_error_free (err);
      return;
    }
    width = t->width;
    height = t->height;
    /* In the analysed frame's pixels, as regions are. */
    crop = gst_structure_new ("crop",
        "x", G_TYPE_INT, (gint) ((gint64) x * f.frame_width / o->image_width),
        "y", G_TYPE_INT,
        (gint) ((gint64) y * f.frame_height / o->image_height), "width",
        G_TYPE_INT, (gint) ((gint64) w * f.frame_width / o->image_width),
        "height", G_TYPE_INT,
        (gint) ((gint64) h * f.frame_height / o->image_height), NULL);
  } else {
    warn_bad_answer (t, element, "the service's answer has no smart crop");
    return;
  }

  GST_DEBUG ("thumbnail %dx%d of %" GST_TIME_FORMAT, width, height,
      GST_TIME_ARGS (f.pts));
  post_thumbnail (t, element, &f, jpeg, width, height, crop);
  g_bytes_unref (jpeg);
  if (crop)
    gst_structure_free (crop);
}

/* --- thumbnail-location --- */

void
gst_cv_analyze_thumbnail_location_free (GstCvAnalyzeThumbnailLocation * l)
{
  if (l == NULL)
    return;
  g_free (l->prefix);
  g_free (l->suffix);
  g_free (l);
}

/**
 * gst_cv_analyze_thumbnail_location_parse:
 * @pattern: a file name with one integer conversion, as multifilesink's
 *   location: "thumb-%05d.jpg"
 *
 * Only what printf would make of it safely is taken: exactly one %d, %i
 * or %u, with the flags '0' or '-' and a width of at most two digits, and
 * "%%" for a percent sign. The file names are then made here, not by
 * printf, so no pattern can read what is not there.
 *
 * Returns: (transfer full) (nullable): the pattern, or %NULL with @error
 *   (GST_RESOURCE_ERROR_SETTINGS) saying what is wrong
 */
GstCvAnalyzeThumbnailLocation *
gst_cv_analyze_thumbnail_location_parse (const gchar * pattern,
    GError ** error)
{
  GstCvAnalyzeThumbnailLocation *l = g_new0 (GstCvAnalyzeThumbnailLocation,
      1);
  GString *part = g_string_new (NULL);
  guint conversions = 0;
  gboolean bad = FALSE;
  const gchar *p;

  for (p = pattern; *p; p++) {
    guint digits = 0;

    if (*p != '%') {
      g_string_append_c (part, *p);
      continue;
    }
    if (p[1] == '%') {
      g_string_append_c (part, '%');
      p++;
      continue;
    }
    for (p++; *p == '0' || *p == '-'; p++) {
      l->zero |= *p == '0';
      l->left |= *p == '-';
    }
    for (; g_ascii_isdigit (*p) && digits < 3; p++, digits++)
      l->width = l->width * 10 + (*p - '0');
    if (digits > 2 || (*p != 'd' && *p != 'i' && *p != 'u')
        || ++conversions > 1) {
      bad = TRUE;
      break;
    }
    l->prefix = g_string_free (part, FALSE);
    part = g_string_new (NULL);
  }

  if (bad || conversions != 1) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "thumbnail-location '%s' must have exactly one integer conversion "
        "(%%d, %%u or %%i, with a width of at most 2 digits, e.g. "
        "thumb-%%05d.jpg) and no other '%%' but '%%%%'", pattern);
    g_string_free (part, TRUE);
    gst_cv_analyze_thumbnail_location_free (l);
    return NULL;
  }
  l->suffix = g_string_free (part, FALSE);
  return l;
}

/* The file name of thumbnail number @index. */
gchar *
gst_cv_analyze_thumbnail_location_format (const GstCvAnalyzeThumbnailLocation
    * l, guint index)
{
  if (l->left)
    return g_strdup_printf ("%s%-*u%s", l->prefix, (gint) l->width, index,
        l->suffix);
  if (l->zero)
    return g_strdup_printf ("%s%0*u%s", l->prefix, (gint) l->width, index,
        l->suffix);
  return g_strdup_printf ("%s%*u%s", l->prefix, (gint) l->width, index,
      l->suffix);
}
