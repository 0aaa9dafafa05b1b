/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-cvanalyze
 * @title: cvanalyze
 * @short_description: caption and tag video with an image-analysis service
 *
 * cvanalyze passes video through untouched and, once per #GstCvAnalyze:interval
 * of running time, sends a downscaled JPEG of the frame to an
 * image-analysis service, chosen with #GstCvAnalyze:api: Azure Computer
 * Vision's Analyze Image v3.2 (`azure-cv`, the default), Azure Image
 * Analysis 4.0 (`azure-image-analysis`), any OpenAI-compatible vision chat
 * server (`openai`: OpenAI, Ollama, llama.cpp's llama-server, vLLM, LM
 * Studio) or Azure OpenAI (`azure-openai`); or to the bundled
 * `cvanalyze-local-server`, which speaks all four. Encoding and HTTP run on
 * a thread of their own: a slow, failing or absent service costs captions,
 * never frames. Whatever the service sends is untrusted: its strings are
 * made valid UTF-8 without control characters and capped, and its answers
 * are read up to #GstCvAnalyze:max-response-size.
 *
 * What the service answers (caption, tags, categories, colour, image type,
 * adult content, faces, objects, brands, the text read in the frame) is
 * attached to the buffers that follow as a #GstCvAnalyzeMeta (see
 * gstcvanalyzemeta.h; readable from Python through the `GstCvAnalyze-1.0`
 * typelib), with faces, objects,
 * lines of text (type `text`) and smart crops or the area of interest
 * (type `crop`) also as #GstVideoRegionOfInterestMeta in the buffer's
 * pixels, and posted as an element message.
 *
 * The endpoint and key come from the #GstCvAnalyze:endpoint and
 * #GstCvAnalyze:key properties, or else from the service's environment
 * variables: `AZURE_VISION_ENDPOINT` / `AZURE_VISION_KEY` (`VISION_ENDPOINT`
 * / `VISION_KEY`, as Azure's samples name them, are accepted too) for
 * Azure's vision services, `OPENAI_BASE_URL` / `OPENAI_API_KEY` for
 * `openai`, `AZURE_OPENAI_ENDPOINT` / `AZURE_OPENAI_API_KEY` for
 * `azure-openai`.
 *
 * With a live source, a sample that finds #GstCvAnalyze:max-in-flight
 * requests outstanding is skipped and counted. With a non-live source (a
 * file) it waits for a free slot, at most #GstCvAnalyze:timeout, so that
 * every interval of a recording is analysed; at EOS the outstanding results
 * are waited for (at most #GstCvAnalyze:timeout) before EOS goes on.
 *
 * ## Element message
 *
 * One message per result, structure name `cvanalyze`:
 *
 * - `caption` (string): the best caption ("" when there is none).
 * - `confidence` (double): its confidence, 0 to 1.
 * - `tags` (array of strings): the Tags feature's names, or the
 *   description's tags when only Description was asked for.
 * - `timestamp`, `stream-time`, `running-time` (guint64): of the analysed
 *   frame.
 * - `latency` (guint64): nanoseconds from sampling the frame to the answer.
 * - `request-id` (string): the service's request id ("" if none).
 * - `text` (string): the text read in the frame (features Read, read or
 *   text), its lines joined by spaces ("" if none).
 * - `json` (string): the response text as received.
 * - `result` (structure `cvanalyze-result`): the whole parsed result, see
 *   README.md for its fields.
 *
 * ## Scene messages
 *
 * With #GstCvAnalyze:sample-mode=scene, one message per scene change
 * (the first frame sent, and each frame sent because it changed by more
 * than #GstCvAnalyze:scene-threshold; not the re-sends of
 * #GstCvAnalyze:max-interval), structure name `cvanalyze-scene`, posted
 * as the frame goes to the service:
 *
 * - `timestamp`, `stream-time`, `running-time` (guint64): of the frame.
 * - `duration` (guint64): the frame's duration (from the caps' framerate
 *   if the buffer has none; GST_CLOCK_TIME_NONE if neither says).
 * - `distance` (double): how much it differs from the last frame sent, 0
 *   to 1 (1 for the first frame of a stream, or after a flush).
 *
 * ## Thumbnail messages
 *
 * With #GstCvAnalyze:thumbnail-width and #GstCvAnalyze:thumbnail-height,
 * one message per smart thumbnail (per #GstCvAnalyze:thumbnail-interval,
 * or per scene change with sample-mode=scene), structure name
 * `cvanalyze-thumbnail`:
 *
 * - `sample` (#GstSample): the JPEG, caps `image/jpeg` with `width` and
 *   `height`, its buffer with the analysed frame's PTS and duration, and
 *   the frame's segment.
 * - `index` (guint): the thumbnail's number, 0, 1, ... (its file's).
 * - `width`, `height` (gint): its size.
 * - `timestamp`, `stream-time`, `running-time`, `duration` (guint64): of
 *   the analysed frame.
 * - `location` (string): the file it was written to ("" if none).
 * - `crop` (structure, azure-image-analysis only): `x`, `y`, `width`,
 *   `height` of the crop, in the frame's pixels.
 *
 * ## Captions out of the pipeline
 *
 * With #GstCvAnalyze:overlay the current caption (and, with
 * #GstCvAnalyze:show-tags, the top tags) is drawn onto the video with
 * Pango, as plain text. The `text_src` pad carries the same captions as a
 * `text/x-raw` subtitle stream (utf8, or escaped pango-markup when
 * downstream asks for it) that follows the video's flushes and EOS, with
 * GAP events wherever there is no new caption, so downstream never waits
 * for it; left unlinked it costs nothing. Link it through a `queue`.
 * Playing forwards it is stamped in the video's running time, in one
 * segment per stream, so that subtitle files keep going forwards where
 * the video's timestamps restart (`concat`) or do not start at 0
 * (`splitmuxsrc`); in reverse it keeps the video's segment.
 * #GstCvAnalyze:text-timing says when captions go out: with every frame
 * for textoverlay (`per-frame`, the default; also the safe choice for
 * Matroska), once per caption as it starts (`on-change`), or
 * once per caption as it ends, with its exact duration, for webvttenc and
 * srtenc (`on-end`). A caption that reads like the one shown
 * (#GstCvAnalyze:caption-similarity) does not start a new entry, and
 * #GstCvAnalyze:min-confidence hides doubtful ones.
 *
 * With #GstCvAnalyze:mode=exact each analysed frame waits for its own
 * result (at most #GstCvAnalyze:timeout, which is added to the minimum
 * latency this element reports), so that a recording's captions are
 * frame-exact. Frames are held by blocking the streaming thread: in a live
 * pipeline put a `queue` after cvanalyze (so that the sink's clock wait
 * does not share that thread) and one before it holding `timeout` of video
 * (so that a capture source keeps capturing).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 v4l2src ! cvanalyze endpoint=https://myresource.cognitiveservices.azure.com/ ! videoconvert ! autovideosink
 * ]| Captions a camera with Azure; the key is read from AZURE_VISION_KEY.
 * Run with `-m` to print each result message.
 * |[
 * gst-launch-1.0 -m videotestsrc is-live=true pattern=ball ! cvanalyze endpoint=http://127.0.0.1:8080/ features=Description,Tags,Color ! fakesink
 * ]| Analyses a test pattern once a second with the local server
 * (`cvanalyze-local-server --port 8080`).
 * |[
 * gst-launch-1.0 v4l2src ! cvanalyze api=openai endpoint=http://localhost:11434/v1 model=qwen2.5vl:3b overlay=true ! videoconvert ! autovideosink
 * ]| Captions a camera with a vision model running in Ollama on this
 * machine: no frame leaves it.
 * |[
 * gst-launch-1.0 v4l2src ! cvanalyze api=azure-image-analysis features=caption,tags,objects endpoint=https://myresource.cognitiveservices.azure.com/ ! videoconvert ! autovideosink
 * ]| Captions, tags and finds objects with Azure Image Analysis 4.0.
 * |[
 * gst-launch-1.0 v4l2src ! cvanalyze overlay=true show-tags=3 ! videoconvert ! autovideosink
 * ]| Shows the camera with the scene described at the bottom.
 * |[
 * gst-launch-1.0 v4l2src ! cvanalyze name=a ! textoverlay name=o ! videoconvert ! autovideosink  a.text_src ! queue ! o.text_sink
 * ]| The same with textoverlay drawing the captions from the text pad.
 * |[
 * gst-launch-1.0 v4l2src ! image/jpeg,width=1280,height=720 ! cvanalyze ! jpegdec ! videoconvert ! autovideosink
 * ]| Analyses an MJPEG camera's JPEGs as they are (no decode, no encode,
 * when they fit max-dimension); overlay=true needs raw video.
 * |[
 * gst-launch-1.0 filesrc location=in.mp4 ! decodebin ! videoconvert ! cvanalyze name=a mode=exact text-timing=on-end ! fakesink  a.text_src ! queue ! webvttenc ! filesink location=captions.vtt
 * ]| Writes frame-exact WebVTT captions of a recording (srtenc for SRT).
 * |[
 * gst-launch-1.0 -e v4l2src ! cvanalyze name=a ! videoconvert ! vp8enc deadline=1 ! queue ! matroskamux name=m ! filesink location=captioned.mkv  a.text_src ! queue ! m.
 * ]| Records a camera with its captions as a subtitle track.
 * |[
 * gst-launch-1.0 -e v4l2src ! cvanalyze sample-mode=scene thumbnail-width=320 thumbnail-height=180 thumbnail-location=scene-%05d.jpg ! fakesink
 * ]| Writes a smart thumbnail of each scene a camera sees to
 * scene-00000.jpg, scene-00001.jpg, ...
 * |[
 * gst-launch-1.0 v4l2src ! cvanalyze sample-mode=scene interval=250000000 min-interval=1000000000 overlay=true ! videoconvert ! autovideosink
 * ]| Looks at a camera four times a second, and captions it only when the
 * view has changed: at most once a second, and at least once a minute.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/video/video.h>

#include "gstcvanalyze.h"
#include "gstcvanalyzecaption.h"
#include "gstcvanalyzeclient.h"
#include "gstcvanalyzewarnlimit.h"
#include "gstcvanalyzeencoder.h"
#include "gstcvanalyzemeta.h"
#include "gstcvanalyzeoverlay.h"
#include "gstcvanalyzeparser.h"
#include "gstcvanalyzesafetext.h"
#include "gstcvanalyzescene.h"
#include "gstcvanalyzetext.h"
#include "gstcvanalyzethumbnail.h"
#include "gstcvanalyzeurl.h"

GST_DEBUG_CATEGORY (gst_cv_analyze_debug);
#define GST_CAT_DEFAULT gst_cv_analyze_debug

/* Raw video, or JPEG as an MJPEG camera (v4l2src) or jpegparse gives it,
 * passed on untouched and sent to the service without re-encoding when it
 * fits max-dimension. */
#define VIDEO_CAPS GST_VIDEO_CAPS_MAKE (GST_CV_ANALYZE_ENCODER_FORMATS) "; " \
  "image/jpeg, width = " GST_VIDEO_SIZE_RANGE ", height = " \
  GST_VIDEO_SIZE_RANGE

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (VIDEO_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (VIDEO_CAPS));
static GstStaticPadTemplate text_src_template =
GST_STATIC_PAD_TEMPLATE ("text_src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_CV_ANALYZE_TEXT_CAPS));

enum
{
  PROP_0,
  PROP_ENDPOINT,
  PROP_KEY,
  PROP_API,
  PROP_API_VERSION,
  PROP_FEATURES,
  PROP_DETAILS,
  PROP_LANGUAGE,
  PROP_MODEL_VERSION,
  PROP_GENDER_NEUTRAL_CAPTION,
  PROP_SMARTCROPS_ASPECT_RATIOS,
  PROP_MODEL,
  PROP_PROMPT,
  PROP_DETAIL,
  PROP_MAX_TOKENS,
  PROP_FRAMES_PER_REQUEST,
  PROP_INTERVAL,
  PROP_MAX_DIMENSION,
  PROP_JPEG_QUALITY,
  PROP_MAX_IN_FLIGHT,
  PROP_TIMEOUT,
  PROP_MAX_RATE,
  PROP_RATE_GROUP,
  PROP_MAX_RETRIES,
  PROP_BREAKER_THRESHOLD,
  PROP_RETRY_BACKOFF_FACTOR,
  PROP_RETRY_BACKOFF_MAX,
  PROP_MAX_RESPONSE_SIZE,
  PROP_CA_FILE,
  PROP_TLS_DATABASE,
  PROP_POST_MESSAGES,
  PROP_STATS,
  PROP_MODE,
  PROP_OVERLAY,
  PROP_FONT_DESC,
  PROP_VALIGNMENT,
  PROP_HALIGNMENT,
  PROP_SHOW_TAGS,
  PROP_MIN_CONFIDENCE,
  PROP_CAPTION_SIMILARITY,
  PROP_CAPTION_DURATION,
  PROP_TEXT_TIMING,
  PROP_SHOW_TEXT,
  PROP_SAMPLE_MODE,
  PROP_SCENE_THRESHOLD,
  PROP_MIN_INTERVAL,
  PROP_MAX_INTERVAL,
  PROP_THUMBNAIL_WIDTH,
  PROP_THUMBNAIL_HEIGHT,
  PROP_THUMBNAIL_INTERVAL,
  PROP_THUMBNAIL_LOCATION,
  PROP_MAX_REGIONS,
};

#define DEFAULT_API GST_CV_ANALYZE_API_AZURE_CV
#define DEFAULT_LANGUAGE "en"
#define DEFAULT_MODEL_VERSION "latest"
#define DEFAULT_GENDER_NEUTRAL_CAPTION FALSE
#define DEFAULT_PROMPT "Describe this video frame in one short, factual " \
    "sentence."
#define DEFAULT_DETAIL GST_CV_ANALYZE_DETAIL_LOW
/* Enough for a sentence, and for tags and read text in JSON; reasoning
 * models need more (they count their thinking). */
#define DEFAULT_MAX_TOKENS 300
#define DEFAULT_FRAMES_PER_REQUEST 1
/* The placeholder a prompt may hold for the caption currently shown. */
#define PREVIOUS_CAPTION "{previous-caption}"
#define DEFAULT_INTERVAL GST_SECOND
#define DEFAULT_MAX_DIMENSION 1024
#define DEFAULT_JPEG_QUALITY 85
#define DEFAULT_MAX_IN_FLIGHT 1
#define DEFAULT_MAX_RATE 0
#define DEFAULT_MAX_RETRIES 2
#define DEFAULT_BREAKER_THRESHOLD 5
#define DEFAULT_RETRY_BACKOFF_FACTOR 0.5
#define DEFAULT_RETRY_BACKOFF_MAX 60.0
#define DEFAULT_TIMEOUT 0        /* the service's */
#define DEFAULT_MAX_RESPONSE_SIZE (8 * 1024 * 1024)
#define DEFAULT_POST_MESSAGES TRUE
#define DEFAULT_MODE GST_CV_ANALYZE_MODE_LIVE
#define DEFAULT_OVERLAY FALSE
#define DEFAULT_FONT_DESC NULL
#define DEFAULT_VALIGNMENT GST_CV_ANALYZE_VALIGN_BOTTOM
#define DEFAULT_HALIGNMENT GST_CV_ANALYZE_HALIGN_CENTER
#define DEFAULT_SHOW_TAGS 0
/* Region metas on each buffer, at most: every face and object Azure's
 * examples find, and a page of text lines, for a few microseconds a
 * frame; the result's own cap (2000 entries) would cost the streaming
 * thread a third of a millisecond on every frame. */
#define DEFAULT_MAX_REGIONS 64
#define DEFAULT_SHOW_TEXT FALSE
#define DEFAULT_MIN_CONFIDENCE 0.0
#define DEFAULT_CAPTION_SIMILARITY 0.8
#define DEFAULT_CAPTION_DURATION 0
#define DEFAULT_TEXT_TIMING GST_CV_ANALYZE_TEXT_TIMING_PER_FRAME
#define DEFAULT_SAMPLE_MODE GST_CV_ANALYZE_SAMPLE_MODE_INTERVAL
/* Sends when about a tenth of the picture changed (a person walking into
 * a corridor camera's view), not for a flicker of light. */
#define DEFAULT_SCENE_THRESHOLD 0.1
#define DEFAULT_MIN_INTERVAL 0  /* 'interval' */
/* A static scene is captioned once a minute: 1440 requests a day, not
 * 86 400. */
#define DEFAULT_MAX_INTERVAL (60 * GST_SECOND)
#define DEFAULT_THUMBNAIL_WIDTH 0       /* no thumbnails */
#define DEFAULT_THUMBNAIL_HEIGHT 0
#define DEFAULT_THUMBNAIL_INTERVAL (10 * GST_SECOND)
#define DEFAULT_THUMBNAIL_LOCATION NULL

/* What is attached to each buffer while a result is current. Immutable
 * once built and shared by reference (g_atomic_rc_box), so the streaming
 * thread only takes a reference under the lock. */
typedef struct
{
  guint64 seq;                  /* 1, 2, ...: tells results apart */
  guint64 entry;                /* its caption entry, 0 = none yet */
  gchar *caption;               /* the entry's text, NULL = nothing shown */
  GstSample *result;            /* its info is the result and the frame's
                                 * fields (frame-pts, latency...): the meta
                                 * holds only a reference to it */
  GArray *rois;                 /* Roi, in the analysed frame's pixels */
  gint frame_width;
  gint frame_height;
} Attachment;

typedef struct
{
  GQuark type;                   /* "face", "object", "dense-caption",
                                 * "person": fixed quarks */
  gint id;                      /* index in the result's array of them */
  gint x, y, width, height;
} Roi;

/* sample-mode=scene, on the streaming thread: what the last frame sent
 * looked like, and a check's verdict until a frame is taken on it (the
 * budget may hold it back for a few frames, which are not measured
 * again). */
typedef struct
{
  GstCvAnalyzeSampleMode mode;  /* of this run */
  GstCvAnalyzeScene *measure;   /* of this run, scene mode only */
  gboolean have_sent;
  GstCvAnalyzeSceneThumb sent;  /* the last frame sent */
  GstClockTime sent_at;         /* its time on the sampling cadence */
  gboolean verdict;             /* a check said: send the next frame due */
  gboolean change;              /* ... as a new scene */
  gdouble distance;             /* ... this far from the last one sent */
  GstCvAnalyzeSceneThumb checked;       /* the frame that was checked */
  GstClockTime checked_at;
} SceneState;

struct _GstCvAnalyze
{
  GstBaseTransform parent;

  /* properties, under the object lock */
  gchar *endpoint;
  gchar *key;
  GstCvAnalyzeApi api;
  gchar *api_version;
  gchar *features;
  gchar *details;
  gchar *language;
  gchar *model_version;
  gboolean gender_neutral_caption;
  gchar *smartcrops_aspect_ratios;
  gchar *model;
  gchar *prompt;
  GstCvAnalyzeDetail detail;
  guint max_tokens;
  guint frames_per_request;
  GstClockTime interval;
  guint max_dimension;
  gint jpeg_quality;
  guint max_in_flight;
  GstClockTime timeout;
  GstCvAnalyzeRetryPolicy retry;
  guint breaker_threshold;
  guint max_rate;
  gchar *rate_group;
  guint max_response_size;
  gchar *ca_file;
  GTlsDatabase *tls_database;
  gboolean post_messages;
  GstCvAnalyzeMode mode;
  gboolean overlay;
  gchar *font_desc;
  GstCvAnalyzeVAlign valignment;
  GstCvAnalyzeHAlign halignment;
  guint show_tags;
  guint max_regions;
  gdouble min_confidence;
  gdouble caption_similarity;
  GstClockTime caption_duration;
  GstCvAnalyzeTextTiming text_timing;
  gboolean show_text;
  guint32 last_seek_seqnum;     /* a seek goes upstream once, not per pad */

  /* streaming thread only */
  GstVideoInfo info;            /* format ENCODED on image/jpeg caps */
  gboolean overlay_refused;     /* warned: overlay=true set on JPEG */
  GstClockTime next_sample;
  gboolean cadence_on_wall;     /* next_sample is monotonic time */
  gboolean live_known;
  gboolean is_live;
  GstClockTime stream_timeout;  /* snapshot of timeout for this run */
  GstClockTime stream_interval; /* next_sample was scheduled with it */
  GstCvAnalyzeMode stream_mode;
  GstCvAnalyzeTextTiming stream_text_timing;
  GstClockTime frame_duration;  /* from the caps' framerate, or NONE */
  GstClockTime last_frame_end;
  GstCvAnalyzeCaptionTrack captions;
  GstCvAnalyzeTextOutput text;
  GstCvAnalyzeOverlay *overlay_renderer;

  gchar *endpoint_in_use;       /* for error messages; never holds the key */
  const GstCvAnalyzeServiceClass *service_class;        /* of this run */

  /* shared with the client thread, under state_lock */
  GMutex state_lock;
  GCond outcome_cond;           /* signalled on every outcome */
  GstCvAnalyzeClient *client;   /* set in start(), cleared in stop() */
  guint64 requests;             /* requests sent by clients already stopped */
  guint64 retries;              /* and their retries */
  guint64 held_back;            /* samples due that the budget held back */
  guint64 breaker_openings;     /* of clients already stopped */
  GstClockTime breaker_open_time;
  gboolean held;                /* streaming thread: this one is counted */
  GstCvAnalyzeBudget *budget;   /* of this run (the group's, or its own) */
  gdouble budget_rate;          /* its rate when the run stopped */
  gdouble learned_rate;         /* and the rate it had learned */
  guint64 throttled;            /* 429s to clients already stopped */
  gboolean throttle_reported;   /* the 429 warning of this run is out */
  guint generation;             /* bumped by every flush and stop */
  Attachment *current;
  gboolean stopping;            /* PAUSED->READY under way */
  gboolean fatal;               /* the key was refused: stop the stream */
  gboolean auth_reported;
  GstCvAnalyzeWarnLimit warn_limit;     /* failure warnings posted */
  guint64 samples;
  guint64 skipped;
  guint64 failed;
  guint64 results;
  guint64 sample_id;            /* the last sample's number */
  guint64 answered_id;          /* the newest sample with an outcome */
  guint64 wanted_from;          /* exact mode: older samples' results are
                                 * late and dropped */
  guint64 missed;               /* exact mode: no answer within timeout */
  guint64 result_seq;
  GstCvAnalyzeCaptionEntries entries;   /* client thread; set up in start() */
  GstClockTime last_latency;
  GstClockTime total_latency;
  guint64 prompt_tokens;        /* chat services' usage, added up */
  guint64 completion_tokens;
  gchar *last_advice;           /* posted with a result, once until it
                                 * changes */

  /* sample-mode=scene: properties under the object lock, the state on the
   * streaming thread, the counts under state_lock */
  GstCvAnalyzeSampleMode sample_mode;
  gdouble scene_threshold;
  GstClockTime min_interval;
  GstClockTime max_interval;
  SceneState scene;
  guint64 saved;                /* checks that sent nothing */
  guint64 scene_changes;

  /* Smart thumbnails: properties under the object lock; the rest is
   * gstcvanalyzethumbnail.c's, with its own lock. */
  guint thumbnail_width;
  guint thumbnail_height;
  GstClockTime thumbnail_interval;
  gchar *thumbnail_location;
  GstCvAnalyzeThumbnails thumbnails;
};

static void gst_cv_analyze_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_cv_analyze_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_cv_analyze_finalize (GObject * object);
static GstStateChangeReturn gst_cv_analyze_change_state (GstElement * element,
    GstStateChange transition);
static gboolean gst_cv_analyze_start (GstBaseTransform * trans);
static gboolean gst_cv_analyze_stop (GstBaseTransform * trans);
static gboolean gst_cv_analyze_set_caps (GstBaseTransform * trans,
    GstCaps * incaps, GstCaps * outcaps);
static gboolean gst_cv_analyze_sink_event (GstBaseTransform * trans,
    GstEvent * event);
static GstFlowReturn gst_cv_analyze_transform_ip (GstBaseTransform * trans,
    GstBuffer * buf);
static gboolean gst_cv_analyze_query (GstBaseTransform * trans,
    GstPadDirection direction, GstQuery * query);
static gboolean gst_cv_analyze_src_event (GstBaseTransform * trans,
    GstEvent * event);
static gboolean text_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query);
static gboolean text_src_event (GstPad * pad, GstObject * parent,
    GstEvent * event);

#define gst_cv_analyze_parent_class parent_class
G_DEFINE_TYPE (GstCvAnalyze, gst_cv_analyze, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (cvanalyze, "cvanalyze", GST_RANK_NONE,
    GST_TYPE_CV_ANALYZE);

GType
gst_cv_analyze_api_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_CV_ANALYZE_API_AZURE_CV, "Azure Computer Vision Analyze Image "
          "(v3.2)", "azure-cv"},
    {GST_CV_ANALYZE_API_AZURE_IMAGE_ANALYSIS, "Azure Image Analysis 4.0",
        "azure-image-analysis"},
    {GST_CV_ANALYZE_API_OPENAI, "OpenAI-compatible chat completions "
          "(OpenAI, Ollama, llama-server, vLLM, LM Studio)", "openai"},
    {GST_CV_ANALYZE_API_AZURE_OPENAI, "Chat completions on Azure OpenAI",
        "azure-openai"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstCvAnalyzeApi", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_cv_analyze_detail_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_CV_ANALYZE_DETAIL_LOW, "A 512x512 rendition, the cheapest", "low"},
    {GST_CV_ANALYZE_DETAIL_HIGH, "The image at its size, in tiles", "high"},
    {GST_CV_ANALYZE_DETAIL_AUTO, "The service chooses", "auto"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstCvAnalyzeDetail", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_cv_analyze_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_CV_ANALYZE_MODE_LIVE, "Attach results as they arrive; frames "
          "never wait", "live"},
    {GST_CV_ANALYZE_MODE_EXACT, "Hold the analysed frame until its own "
          "result (at most 'timeout') and report that as latency", "exact"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstCvAnalyzeMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_cv_analyze_text_timing_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_CV_ANALYZE_TEXT_TIMING_PER_FRAME, "The current caption with every "
          "video frame (for textoverlay)", "per-frame"},
    {GST_CV_ANALYZE_TEXT_TIMING_ON_CHANGE, "One buffer when a caption "
          "starts, lasting until the next (a compact Matroska track)",
        "on-change"},
    {GST_CV_ANALYZE_TEXT_TIMING_ON_END, "One buffer when a caption ends, "
          "with its exact duration (for webvttenc, srtenc)", "on-end"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstCvAnalyzeTextTiming", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static void
gst_cv_analyze_class_init (GstCvAnalyzeClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  gobject_class->set_property = gst_cv_analyze_set_property;
  gobject_class->get_property = gst_cv_analyze_get_property;
  gobject_class->finalize = gst_cv_analyze_finalize;

  /**
   * GstCvAnalyze:endpoint:
   *
   * Base URL of the service. Unset, it comes from the environment:
   * AZURE_VISION_ENDPOINT or VISION_ENDPOINT (Azure's vision services),
   * OPENAI_BASE_URL, else OpenAI's own (openai), AZURE_OPENAI_ENDPOINT
   * (azure-openai). Without one the element fails to start with an error
   * that says how to set it.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_ENDPOINT,
      g_param_spec_string ("endpoint", "Endpoint",
          "Base URL of the service, e.g. "
          "https://<resource>.cognitiveservices.azure.com/, "
          "http://localhost:11434/v1 (Ollama) or the local server's "
          "http://127.0.0.1:<port>/. If unset, from the environment: "
          "AZURE_VISION_ENDPOINT or VISION_ENDPOINT (azure-cv, "
          "azure-image-analysis), OPENAI_BASE_URL, else OpenAI's own "
          "(openai), AZURE_OPENAI_ENDPOINT (azure-openai)",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:key:
   *
   * The key, sent only in the service's header: Ocp-Apim-Subscription-Key
   * (Azure's vision services), Authorization: Bearer (openai; none without
   * a key), api-key (azure-openai). Unset, it comes from the environment:
   * AZURE_VISION_KEY or VISION_KEY, OPENAI_API_KEY, AZURE_OPENAI_API_KEY.
   * Write-only: it cannot be read back, and it is never logged or shown in
   * messages.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_KEY,
      g_param_spec_string ("key", "Key",
          "The service's key (write-only), sent as Ocp-Apim-Subscription-Key "
          "(azure-cv, azure-image-analysis), Authorization: Bearer (openai; "
          "a local server may need none) or api-key (azure-openai). If "
          "unset, from the environment: AZURE_VISION_KEY or VISION_KEY, "
          "OPENAI_API_KEY, AZURE_OPENAI_API_KEY", NULL, G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:api:
   *
   * Which service to speak to: `azure-cv` (Azure Computer Vision's Analyze
   * Image v3.2), `azure-image-analysis` (Azure Image Analysis 4.0),
   * `openai` (any OpenAI-compatible chat-completions server: OpenAI,
   * Ollama, llama.cpp's llama-server, vLLM, LM Studio) or `azure-openai`
   * (chat completions on Azure OpenAI). The other properties say which
   * services they apply to.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_API,
      g_param_spec_enum ("api", "API",
          "Which service to speak to: azure-cv (Analyze Image v3.2), "
          "azure-image-analysis (Image Analysis 4.0), openai (any "
          "OpenAI-compatible chat-completions server), azure-openai",
          GST_TYPE_CV_ANALYZE_API, DEFAULT_API,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:api-version:
   *
   * Version of the service's API. azure-cv: `v3.2` (the default); `v2.0`
   * and `v2.1` are accepted with a warning, as Microsoft retired them on
   * 2026-09-13. azure-image-analysis: `2023-10-01` (the default) or
   * `2024-02-01`. Unset: the service's default. Chat services take their
   * version, if any, in the endpoint.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_API_VERSION,
      g_param_spec_string ("api-version", "API version",
          "Version of the service's API (azure-cv: v3.2, or the retired "
          "v2.1, v2.0; azure-image-analysis: 2023-10-01, 2024-02-01); "
          "unset: the service's default", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:features:
   *
   * What to ask for, comma-separated, in the service's own names (any
   * case). azure-cv: Categories, Tags, Description, Faces, ImageType,
   * Color, Adult, Objects, Brands (default Description,Tags), and Read:
   * the text in the frame, by the asynchronous Read API, called after
   * Analyze (or alone, when Read is the only feature) and polled about
   * once a second within #GstCvAnalyze:timeout; and AreaOfInterest: the
   * box of the frame's most important area, by the areaOfInterest API
   * (after Analyze, before Read), as the result's smart crop and a region
   * of type `crop`.
   * azure-image-analysis: caption, denseCaptions, tags, objects, read,
   * people, smartCrops (default caption,tags). openai, azure-openai:
   * caption, tags, text (the text visible in the frame; default caption).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_FEATURES,
      g_param_spec_string ("features", "Features",
          "Comma-separated features to ask for, the service's names. "
          "azure-cv: Categories, Tags, Description, Faces, ImageType, "
          "Color, Adult, Objects, Brands, Read (text, by the Read API), "
          "AreaOfInterest (a crop box); "
          "azure-image-analysis: caption, "
          "denseCaptions, tags, objects, read, people, smartCrops; openai, "
          "azure-openai: caption, tags, text. Unset: the service's default",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:details:
   *
   * Domain-specific details to ask for with Categories: Celebrities,
   * Landmarks. azure-cv only.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_DETAILS,
      g_param_spec_string ("details", "Details",
          "Comma-separated domain details to ask for with Categories: "
          "Celebrities, Landmarks (azure-cv only; empty: none)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:language:
   *
   * Language of the captions and tags the service returns (Azure's
   * services; Image Analysis 4.0 captions only in English).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_LANGUAGE,
      g_param_spec_string ("language", "Language",
          "Language of the captions and tags (azure-cv: en, es, ja, pt, zh; "
          "azure-image-analysis: tags only, captions are English)",
          DEFAULT_LANGUAGE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:model-version:
   *
   * Model version to ask for: azure-cv v3.2 and azure-image-analysis.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MODEL_VERSION,
      g_param_spec_string ("model-version", "Model version",
          "Model version to ask for (azure-cv v3.2, azure-image-analysis; "
          "not sent to v2.x)", DEFAULT_MODEL_VERSION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:gender-neutral-caption:
   *
   * Ask for captions that do not say "man" or "woman"
   * (azure-image-analysis).
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_GENDER_NEUTRAL_CAPTION,
      g_param_spec_boolean ("gender-neutral-caption", "Gender-neutral caption",
          "Ask for gender-neutral captions, \"person\" instead of \"man\" "
          "or \"woman\" (azure-image-analysis)",
          DEFAULT_GENDER_NEUTRAL_CAPTION, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:smartcrops-aspect-ratios:
   *
   * Comma-separated aspect ratios (width / height, 0.75 to 1.8) of the
   * smart crops to ask for, with the smartCrops feature
   * (azure-image-analysis). Unset: the service picks one.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class,
      PROP_SMARTCROPS_ASPECT_RATIOS,
      g_param_spec_string ("smartcrops-aspect-ratios",
          "Smart crops aspect ratios", "Comma-separated aspect ratios "
          "(width/height, 0.75 to 1.8) of the smart crops to ask for with "
          "the smartCrops feature (azure-image-analysis); unset: the "
          "service picks one", NULL, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:model:
   *
   * The chat model to ask (openai: required, e.g. `gpt-4o-mini`, or
   * `qwen2.5vl:3b` with Ollama; azure-openai: the deployment name, unless
   * the endpoint names it).
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Chat model to ask (openai: required, e.g. gpt-4o-mini, or "
          "qwen2.5vl:3b with Ollama; azure-openai: the deployment name)",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:prompt:
   *
   * What the chat model is asked about each frame (openai, azure-openai).
   * `{previous-caption}` in it is replaced by the caption currently shown,
   * so that one can ask what changed. It may be changed while playing and
   * applies from the next sample.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_PROMPT,
      g_param_spec_string ("prompt", "Prompt",
          "What the chat model is asked about each frame (openai, "
          "azure-openai); {previous-caption} is replaced by the caption "
          "currently shown. May change while playing", DEFAULT_PROMPT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstCvAnalyze:detail:
   *
   * How closely the chat model looks at the image (OpenAI's `detail`;
   * `low` is cheapest; servers other than OpenAI's and Azure's ignore it).
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_DETAIL,
      g_param_spec_enum ("detail", "Detail",
          "How closely the chat model looks at the image: low (cheapest), "
          "high, auto (openai, azure-openai)", GST_TYPE_CV_ANALYZE_DETAIL,
          DEFAULT_DETAIL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:max-tokens:
   *
   * Longest answer the chat model may give, in tokens (sent as
   * `max_tokens`, or `max_completion_tokens` for servers that refuse the
   * former); 0 sends no limit. Reasoning models count their thinking in
   * it and need 1000 or more.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_MAX_TOKENS,
      g_param_spec_uint ("max-tokens", "Maximum tokens",
          "Longest answer the chat model may give, in tokens (openai, "
          "azure-openai; 0: no limit; reasoning models need 1000 or more)",
          0, 100000, DEFAULT_MAX_TOKENS, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:frames-per-request:
   *
   * How many sampled frames go in one request, oldest first, so that a
   * chat model can describe motion (openai, azure-openai; Azure's vision
   * services take the newest only). The result describes the newest; the
   * meta records the first frame's timestamp too.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_FRAMES_PER_REQUEST,
      g_param_spec_uint ("frames-per-request", "Frames per request",
          "How many of the last sampled frames go in one request, oldest "
          "first, so a chat model can describe motion (openai, "
          "azure-openai)", 1, GST_CV_ANALYZE_MAX_FRAMES_PER_REQUEST,
          DEFAULT_FRAMES_PER_REQUEST, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:interval:
   *
   * Running time between two analysed frames: the first frame is analysed,
   * then one per interval. It may change while playing; a shorter one
   * applies to the next sample at once.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_INTERVAL,
      g_param_spec_uint64 ("interval", "Interval",
          "Running time between two analysed frames, in nanoseconds (0 = "
          "every frame, as far as max-in-flight allows)", 0, G_MAXINT64,
          DEFAULT_INTERVAL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstCvAnalyze:max-dimension:
   *
   * Longest side of the JPEG sent; frames are scaled down to fit, never up,
   * and to at least 51x51 (Azure refuses 50x50 and smaller). When an exact
   * 3/4, 1/2, 3/8 or 1/4 of the frame fits and is at most a tenth under
   * this, the frame is scaled by that instead, which libyuv does several
   * times faster: 1280x720 and 1920x1080 (and 2560x1440, 3840x2160) are
   * sent as 960x540 at the default 1024.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MAX_DIMENSION,
      g_param_spec_uint ("max-dimension", "Maximum dimension",
          "Longest side of the image sent, in pixels; frames are scaled "
          "down (never up) to fit, by an exact 3/4, 1/2, 3/8 or 1/4 when "
          "that is at most a tenth under it (faster)",
          GST_CV_ANALYZE_MIN_DIMENSION, 16000,
          DEFAULT_MAX_DIMENSION, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:jpeg-quality:
   *
   * Quality of the JPEG sent to the service.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_JPEG_QUALITY,
      g_param_spec_int ("jpeg-quality", "JPEG quality",
          "Quality of the JPEG sent to the service", 1, 100,
          DEFAULT_JPEG_QUALITY, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:max-in-flight:
   *
   * Most frames being encoded or analysed at once. Live samples beyond it
   * are skipped and counted; non-live ones wait for a slot, at most
   * #GstCvAnalyze:timeout.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MAX_IN_FLIGHT,
      g_param_spec_uint ("max-in-flight", "Maximum requests in flight",
          "Most frames being encoded or analysed at once; live samples "
          "beyond it are skipped", 1, 16, DEFAULT_MAX_IN_FLIGHT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:timeout:
   *
   * Longest wait for one answer. Also bounds how long a non-live stream
   * waits for a free slot and for the last results at EOS. 0: the
   * service's default, 10 s for Azure's vision services, 120 s for
   * openai (a vision model on a CPU takes tens of seconds a frame), 60 s
   * for azure-openai.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TIMEOUT,
      g_param_spec_uint64 ("timeout", "Timeout",
          "Longest wait for one answer, in nanoseconds; also bounds how long "
          "a non-live stream waits for a free slot and for the last results "
          "at EOS (0: the service's default: 10 s for azure-cv and "
          "azure-image-analysis, 120 s for openai, 60 s for azure-openai)",
          0, 600 * GST_SECOND, DEFAULT_TIMEOUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:max-rate:
   *
   * Most requests a minute (retries included), spread evenly: one every
   * 60 s / max-rate at most, never a burst, so a rate-limited service
   * (Azure's F0 tier: 20) is not met with 429s. The interval in effect is
   * the larger of #GstCvAnalyze:interval and what the budget allows: a
   * sample due that the budget holds back is counted (`held-back` in
   * #GstCvAnalyze:stats) and the next frame tries again. 0: no limit set;
   * the rate is then learned from the service's 429s (AIMD: halved, but
   * never below what the service admitted in the last minute, on 429s
   * that repeat; raised by one request a minute per minute while it
   * answers) and slowed by its x-ratelimit-* headers, see README.md. A
   * set max-rate caps what is learned.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_MAX_RATE,
      g_param_spec_uint ("max-rate", "Maximum rate",
          "Most requests a minute, spread evenly (20 for Azure's free F0 "
          "tier); shared by the elements of one rate-group; 0: no limit",
          0, 100000, DEFAULT_MAX_RATE, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:rate-group:
   *
   * A name: all cvanalyze elements of the process with the same one
   * share one budget (the lowest non-zero #GstCvAnalyze:max-rate among
   * them), and a 429 with Retry-After to any of them pauses them all,
   * since one subscription key is what the service counts. Unset: the
   * element's own.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_RATE_GROUP,
      g_param_spec_string ("rate-group", "Rate group",
          "Elements with the same name share one max-rate budget and "
          "pause together on a 429 (one subscription for all cameras)",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:max-retries:
   *
   * How many times a frame is sent again after a transient failure (HTTP
   * 408, 429, 500, 502, 503, 504, a timeout, a refused connection or a
   * reset), the same JPEG each time, in its own slot. A retry is made only
   * while the frame is fresher than the next sample would be: before the
   * next sample is due on a live stream, within #GstCvAnalyze:timeout of
   * sampling on a non-live one. 400 (the image refused), 401 and 403 are
   * not retried.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_MAX_RETRIES,
      g_param_spec_uint ("max-retries", "Maximum retries",
          "How many times a frame is sent again after a transient failure "
          "(HTTP 408, 429, 5xx gateway errors, timeout, refused or reset), "
          "while it is fresher than the next sample; 0: never", 0, 10,
          DEFAULT_MAX_RETRIES, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:breaker-threshold:
   *
   * After this many transient failures in a row (each after its retries),
   * nothing is sent for a cool-down of 1 s, then one probe; each failed
   * probe doubles the cool-down, up to 60 s, so a service back after an
   * outage is probed again within the outage's length, and within a
   * minute. One warning when it opens, one info message when the service
   * answers again; the video never notices. 0: never stop sending.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_BREAKER_THRESHOLD,
      g_param_spec_uint ("breaker-threshold", "Circuit breaker threshold",
          "Transient failures in a row after which nothing is sent for a "
          "cool-down (1 s, doubling up to 60 s while probes fail); 0: never",
          0, 1000, DEFAULT_BREAKER_THRESHOLD, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:retry-backoff-factor:
   *
   * As souphttpsrc's: the first retry is sent at once (most failures are
   * gone on a second try), retry n after retry-backoff-factor * 2^(n-1)
   * seconds, at most #GstCvAnalyze:retry-backoff-max, each shortened at
   * random by up to a quarter so that cameras do not retry together. A
   * Retry-After or retry-after-ms from the service is waited for exactly
   * instead. The default is 0.5, not souphttpsrc's 0: a service that
   * failed twice in a row needs a moment.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_RETRY_BACKOFF_FACTOR,
      g_param_spec_double ("retry-backoff-factor", "Retry backoff factor",
          "Seconds: retry n waits retry-backoff-factor * 2^(n-1) (the first "
          "none), less up to a quarter at random; a Retry-After is waited "
          "for exactly instead", 0.0, 3600.0, DEFAULT_RETRY_BACKOFF_FACTOR,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:retry-backoff-max:
   *
   * Longest wait between two tries of a frame, in seconds (as
   * souphttpsrc's, and with its default).
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_RETRY_BACKOFF_MAX,
      g_param_spec_double ("retry-backoff-max", "Retry backoff maximum",
          "Longest wait between two tries of a frame, in seconds", 0.0,
          3600.0, DEFAULT_RETRY_BACKOFF_MAX, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:max-response-size:
   *
   * Largest answer read from the service, in bytes. A longer one is not
   * read beyond this (a warning says so, and the stream goes on), so
   * memory stays bounded by #GstCvAnalyze:max-in-flight times this,
   * whatever the service sends. Error answers are read up to 64 KiB.
   * The default is far more than any Analyze Image answer.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_MAX_RESPONSE_SIZE,
      g_param_spec_uint ("max-response-size", "Maximum response size",
          "Largest answer read from the service, in bytes; a longer one is "
          "dropped with a warning", 64 * 1024, 1024 * 1024 * 1024,
          DEFAULT_MAX_RESPONSE_SIZE, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:ca-file:
   *
   * PEM file of the certificate authorities that https endpoints'
   * certificates are verified against, instead of the system's: for a
   * service behind a company proxy, an on-premises container or a
   * self-hosted server with a private CA. To trust the public ones as
   * well, put them in the same file (e.g. `cat
   * /etc/ssl/certs/ca-certificates.crt my-ca.pem > bundle.pem`).
   * Certificates are always verified; nothing turns that off. A file that
   * cannot be read is an error at start-up.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_CA_FILE,
      g_param_spec_string ("ca-file", "CA file",
          "PEM file of the certificate authorities to verify the service's "
          "certificate with, instead of the system's (e.g. a private CA); "
          "unset: the system's", NULL, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:tls-database:
   *
   * The #GTlsDatabase that https endpoints' certificates are verified
   * against, instead of the system's: what #GstCvAnalyze:ca-file does,
   * for applications that build the database themselves. Set one of the
   * two at most.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_TLS_DATABASE,
      g_param_spec_object ("tls-database", "TLS database",
          "GTlsDatabase to verify the service's certificate with, instead "
          "of the system's (unset: the system's)", G_TYPE_TLS_DATABASE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:post-messages:
   *
   * Whether to post a `cvanalyze` element message for every result.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean ("post-messages", "Post messages",
          "Post a 'cvanalyze' element message for every result, with fields "
          "caption (string), confidence (double), tags (array of strings), "
          "timestamp, stream-time, running-time (guint64, of the analysed "
          "frame), latency (guint64 ns), request-id (string), text (string: "
          "the text read in the frame), json (the response text) and result "
          "(structure: the whole parsed result)",
          DEFAULT_POST_MESSAGES, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstCvAnalyze:stats:
   *
   * Counters, readable while running: `samples` (frames sampled),
   * `requests` (requests sent), `skipped` (samples dropped because
   * max-in-flight was reached, the service asked to back off or the
   * circuit breaker was open),
   * `failed` (requests that gave no result), `results` (results attached),
   * `last-latency` and `mean-latency` (nanoseconds, sampling to answer;
   * GST_CLOCK_TIME_NONE until the first result);
   * for the budget and the breaker `retries`, `rate` (requests a minute in
   * effect), `held-back`, `throttled` (answers 429), `learned-rate`,
   * `breaker-openings`, `breaker-open-time` and `breaker-state`.
   * With #GstCvAnalyze:sample-mode=scene, `saved` (frames due that were
   * looked at and not sent) and `scene-changes`; with thumbnails,
   * `thumbnails` (posted), `thumbnails-skipped` (due while one was
   * pending or the breaker was open, or held back) and
   * `thumbnails-failed`. README.md lists
   * them all.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Counters: samples, requests, skipped, failed, results, latencies, "
          "tokens, retries, the budget's and the breaker's, saved and "
          "scene-changes (sample-mode=scene), thumbnails, "
          "thumbnails-skipped, thumbnails-failed", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstCvAnalyze:mode:
   *
   * `live` attaches each result to the frames that follow its arrival:
   * frames never wait. `exact` holds the analysed frame until its own
   * result (at most #GstCvAnalyze:timeout) and attaches it to that very
   * frame and those after it; the wait is added to the latency this
   * element reports, so live sinks keep sync. A result later than the
   * timeout is dropped and counted as `missed` in #GstCvAnalyze:stats.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "live: attach results as they arrive, frames never wait; exact: "
          "hold each analysed frame until its own result (at most 'timeout', "
          "reported as latency)", GST_TYPE_CV_ANALYZE_MODE, DEFAULT_MODE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:overlay:
   *
   * Draw the current caption onto the video (white on a translucent box),
   * in the style set by #GstCvAnalyze:font-desc, #GstCvAnalyze:valignment
   * and #GstCvAnalyze:halignment. The caption is drawn as plain text, never
   * parsed as markup. Needs raw video: on image/jpeg caps negotiation fails
   * with an error (set while JPEG flows, a warning, and nothing is drawn).
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_OVERLAY,
      g_param_spec_boolean ("overlay", "Overlay",
          "Draw the current caption onto the video frames",
          DEFAULT_OVERLAY, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstCvAnalyze:font-desc:
   *
   * Pango font description of the drawn caption, e.g. "Sans Bold 24".
   * Without a size, the size follows the frame's height.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_FONT_DESC,
      g_param_spec_string ("font-desc", "Font description",
          "Pango font description of the drawn caption, e.g. \"Sans Bold "
          "24\"; without a size it follows the frame height (default: Sans "
          "Bold)", DEFAULT_FONT_DESC, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstCvAnalyze:valignment:
   *
   * Where the drawn caption goes vertically.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_VALIGNMENT,
      g_param_spec_enum ("valignment", "Vertical alignment",
          "Where the drawn caption goes vertically",
          GST_TYPE_CV_ANALYZE_VALIGN, DEFAULT_VALIGNMENT, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstCvAnalyze:halignment:
   *
   * Where the drawn caption goes horizontally, and how its lines align.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_HALIGNMENT,
      g_param_spec_enum ("halignment", "Horizontal alignment",
          "Where the drawn caption goes horizontally",
          GST_TYPE_CV_ANALYZE_HALIGN, DEFAULT_HALIGNMENT, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstCvAnalyze:show-tags:
   *
   * How many of the result's top tags to show on a second line, after the
   * caption, in the overlay and on the text pad (0: caption only).
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_SHOW_TAGS,
      g_param_spec_uint ("show-tags", "Show tags",
          "How many top tags to show on a second line after the caption, "
          "drawn and on text_src (0: caption only)", 0, 20,
          DEFAULT_SHOW_TAGS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:min-confidence:
   *
   * Captions less confident than this are not shown (drawn or on the text
   * pad); a result whose caption is hidden ends the caption before it.
   * Metas and messages still carry every result.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_MIN_CONFIDENCE,
      g_param_spec_double ("min-confidence", "Minimum confidence",
          "Captions less confident than this are not shown (drawn or on "
          "text_src); metas and messages still carry them", 0.0, 1.0,
          DEFAULT_MIN_CONFIDENCE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:caption-similarity:
   *
   * A caption at least this similar to the one shown is a near-duplicate:
   * it does not start a new subtitle entry. Similarity is one minus the
   * word edit distance over the longer caption's word count, ignoring
   * case, punctuation and articles ("a red car on a street" and "A red car
   * on the street." are 1.0 alike). 1.0 merges only captions that read the
   * same. Only the first 64 words of each caption are compared.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_CAPTION_SIMILARITY,
      g_param_spec_double ("caption-similarity", "Caption similarity",
          "Captions at least this similar (word edit distance, ignoring "
          "case, punctuation and articles) to the one shown do not start a "
          "new entry", 0.0, 1.0, DEFAULT_CAPTION_SIMILARITY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:caption-duration:
   *
   * Longest time a caption stays shown; 0 shows it until it is superseded.
   * A caption that timed out is not shown again while the results stay
   * near-duplicates of it. With #GstCvAnalyze:text-timing=on-end this also
   * bounds how far the text stream runs behind the video.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_CAPTION_DURATION,
      g_param_spec_uint64 ("caption-duration", "Caption duration",
          "Longest time a caption stays shown, in nanoseconds (0: until the "
          "next caption)", 0, G_MAXINT64, DEFAULT_CAPTION_DURATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:text-timing:
   *
   * When captions go out on the text_src pad; a caption's end is known
   * only once something supersedes it, so each consumer needs its own:
   *
   * - `per-frame`: the current caption with every video frame, lasting
   *   that frame, so textoverlay shows it at once and for as long as it is
   *   current.
   * - `on-change`: one buffer when a caption starts, without a duration
   *   (it lasts until the next buffer; an empty buffer ends a caption that
   *   nothing replaces): a compact Matroska track for players that time a
   *   subtitle by the next one (GStreamer's textoverlay does not: for it,
   *   mux `per-frame`).
   * - `on-end`: one buffer per caption when it ends, with its exact
   *   duration: for webvttenc and srtenc. The text runs behind the video
   *   by up to one caption (bounded by #GstCvAnalyze:caption-duration).
   *
   * Stretches without a new buffer are covered by GAP events, so
   * downstream never waits for text.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_TEXT_TIMING,
      g_param_spec_enum ("text-timing", "Text timing",
          "per-frame: the current caption with every frame (textoverlay); "
          "on-change: one buffer when a caption starts, lasting until the "
          "next (compact Matroska track); on-end: one buffer per caption with "
          "its exact duration, sent when it ends (webvttenc, srtenc)",
          GST_TYPE_CV_ANALYZE_TEXT_TIMING, DEFAULT_TEXT_TIMING,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:show-text:
   *
   * Shows the text read in the frame (features Read with azure-cv, read
   * with azure-image-analysis, text with the chat services), its lines
   * joined by spaces, under the caption (or instead of it when there is
   * none) in the overlay and on the text pad. Metas and messages carry it
   * either way.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_SHOW_TEXT,
      g_param_spec_boolean ("show-text", "Show text",
          "Show the text read in the frame (features Read, read or text) "
          "under the caption, or instead of it when there is none, drawn "
          "and on text_src", DEFAULT_SHOW_TEXT, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:sample-mode:
   *
   * Which of the frames due by #GstCvAnalyze:interval are sent:
   *
   * - `interval`: every one.
   * - `scene`: only those that changed since the last frame sent by more
   *   than #GstCvAnalyze:scene-threshold, at most one per
   *   #GstCvAnalyze:min-interval, and one at least every
   *   #GstCvAnalyze:max-interval however static the picture. The change
   *   is measured on the frames due only (a 32x32 luma thumbnail: about
   *   16 us for a 1080p frame, a millisecond for a 720p JPEG, whose
   *   entropy decoding cannot be skipped), never on every frame. The current result stays
   *   attached to the frames meanwhile. Each frame sent for a new scene
   *   is posted as a `cvanalyze-scene` element message, and #GstCvAnalyze:stats
   *   counts the checks that sent nothing (`saved`) and the scene changes.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_SAMPLE_MODE,
      g_param_spec_enum ("sample-mode", "Sample mode",
          "interval: send one frame per interval; scene: look at one frame "
          "per interval and send it only when the picture changed by more "
          "than scene-threshold since the last frame sent (or max-interval "
          "passed)", GST_TYPE_CV_ANALYZE_SAMPLE_MODE, DEFAULT_SAMPLE_MODE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:scene-threshold:
   *
   * With #GstCvAnalyze:sample-mode=scene, how much a frame must differ
   * from the last frame sent to be sent. The difference goes from 0 (alike)
   * to 1 (no tone in common): the mean, over the four quarters of a 32x32
   * luma thumbnail, of the total variation distance of their 8-bin
   * (soft-binned) luma histograms. That is about the fraction of the
   * picture that changed, where new content has tones of its own; a
   * uniform change of light by d levels (of 255) counts d/32 at most. Cuts
   * between videotestsrc's patterns measure 0.36 to 1.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_SCENE_THRESHOLD,
      g_param_spec_double ("scene-threshold", "Scene threshold",
          "sample-mode=scene: how much a frame must differ from the last one "
          "sent to be sent, 0 (any change) to 1 (no tone in common); about "
          "the fraction of the picture that changed", 0.0, 1.0,
          DEFAULT_SCENE_THRESHOLD, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstCvAnalyze:min-interval:
   *
   * With #GstCvAnalyze:sample-mode=scene, the shortest running time
   * between two frames sent: a picture that keeps changing is sent at most
   * once per min-interval (0: once per #GstCvAnalyze:interval). A scene
   * that starts sooner is sent once min-interval has passed.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_MIN_INTERVAL,
      g_param_spec_uint64 ("min-interval", "Minimum interval",
          "sample-mode=scene: shortest time between two frames sent, in "
          "nanoseconds, however much the picture changes (0: interval)", 0,
          G_MAXINT64, DEFAULT_MIN_INTERVAL, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstCvAnalyze:max-interval:
   *
   * With #GstCvAnalyze:sample-mode=scene, the longest running time
   * between two frames sent: a static scene is still sent again this often,
   * so that a slow change (daylight, a parked car) is caught (0: never).
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_MAX_INTERVAL,
      g_param_spec_uint64 ("max-interval", "Maximum interval",
          "sample-mode=scene: longest time between two frames sent, in "
          "nanoseconds: a static scene is sent again this often (0: never)",
          0, G_MAXINT64, DEFAULT_MAX_INTERVAL, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstCvAnalyze:thumbnail-width:
   *
   * Width of the smart thumbnails, 1 to 1024 (Azure's range), with
   * #GstCvAnalyze:thumbnail-height; 0 (the default): no thumbnails.
   * A thumbnail is made of a frame sent for analysis once per
   * #GstCvAnalyze:thumbnail-interval, or with #GstCvAnalyze:sample-mode=scene
   * once per scene change, never per frame: by the service with
   * `api=azure-cv` (generateThumbnail with smartCropping), or with
   * `api=azure-image-analysis` cut here from the analysed JPEG to the box
   * the service's smartCrops gives for the thumbnail's aspect ratio. At
   * most one thumbnail request is pending; one due meanwhile, or while
   * the circuit breaker is open (#GstCvAnalyze:breaker-threshold: a
   * service that is down gets no thumbnail requests either), is skipped
   * and counted in #GstCvAnalyze:stats (`thumbnails-skipped`, beside
   * `thumbnails` posted and `thumbnails-failed`). Each
   * thumbnail is posted as a `cvanalyze-thumbnail` element message whose
   * `sample` is a #GstSample (image/jpeg caps with width and height, the
   * analysed frame's PTS and duration on its buffer, its segment), and
   * written to #GstCvAnalyze:thumbnail-location if set.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_THUMBNAIL_WIDTH,
      g_param_spec_uint ("thumbnail-width", "Thumbnail width",
          "Width of the smart thumbnails posted as cvanalyze-thumbnail "
          "messages (and written to thumbnail-location), 1 to 1024, with "
          "thumbnail-height; 0: no thumbnails (azure-cv, "
          "azure-image-analysis)", 0, GST_CV_ANALYZE_THUMBNAIL_MAX_SIDE,
          DEFAULT_THUMBNAIL_WIDTH, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:thumbnail-height:
   *
   * Height of the smart thumbnails, 1 to 1024, with
   * #GstCvAnalyze:thumbnail-width; 0 (the default): no thumbnails.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_THUMBNAIL_HEIGHT,
      g_param_spec_uint ("thumbnail-height", "Thumbnail height",
          "Height of the smart thumbnails, 1 to 1024, with thumbnail-width; "
          "0: no thumbnails", 0, GST_CV_ANALYZE_THUMBNAIL_MAX_SIDE,
          DEFAULT_THUMBNAIL_HEIGHT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:thumbnail-interval:
   *
   * With #GstCvAnalyze:sample-mode=interval, the running time between two
   * thumbnails: the first frame sent for analysis gets one, then the first
   * frame sent at least thumbnail-interval later (0: none). With
   * `sample-mode=scene` thumbnails come once per scene change instead and
   * this is not used.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_THUMBNAIL_INTERVAL,
      g_param_spec_uint64 ("thumbnail-interval", "Thumbnail interval",
          "sample-mode=interval: running time between two thumbnails, in "
          "nanoseconds (0: none); sample-mode=scene makes one per scene "
          "change instead", 0, G_MAXINT64, DEFAULT_THUMBNAIL_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:thumbnail-location:
   *
   * Where to write each thumbnail, as multifilesink's location: a file
   * name with exactly one integer conversion for the thumbnail's number
   * (0, 1, ...), e.g. `thumb-%05d.jpg`; `%%` for a percent sign, no other
   * `%`. Files are written on cvanalyze's own thread; a file that cannot
   * be written is a warning naming it (the thumbnail is still posted).
   * Unset (the default): thumbnails are only posted.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_THUMBNAIL_LOCATION,
      g_param_spec_string ("thumbnail-location", "Thumbnail location",
          "File name pattern for the thumbnails, with one integer conversion "
          "for their number, e.g. thumb-%05d.jpg; unset: not written",
          DEFAULT_THUMBNAIL_LOCATION, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstCvAnalyze:max-regions:
   *
   * The most GstVideoRegionOfInterestMeta put on each buffer, taken in
   * this order: faces, objects, dense captions, people, smart crops, lines
   * of text. They are added to every buffer on the streaming thread, so
   * their number is what a result costs each frame; the GstCvAnalyzeMeta
   * keeps every entry whatever this is. 0 adds none (for a pipeline whose
   * encoder would raise the quality of regions it finds). A change applies
   * from the next result.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_MAX_REGIONS,
      g_param_spec_uint ("max-regions", "Max regions",
          "The most region-of-interest metas on each buffer (faces, objects, "
          "dense captions, people, crops, text lines, in that order); the "
          "cvanalyze meta keeps every entry. 0: none", 0,
          GST_CV_ANALYZE_MAX_RESULT_ITEMS, DEFAULT_MAX_REGIONS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_add_static_pad_template (element_class,
      &text_src_template);
  gst_element_class_set_static_metadata (element_class,
      "Image analysis (Azure AI Vision, OpenAI-compatible vision models)",
      "Filter/Analyzer/Video",
      "Captions and tags sampled frames with an image-analysis service: "
      "Azure Computer Vision v3.2, Azure Image Analysis 4.0, an "
      "OpenAI-compatible vision chat server or Azure OpenAI (or the bundled "
      "local server). Results go on the buffers that follow as a "
      "GstCvAnalyzeMeta (faces, objects, people, lines of text and crops "
      "also as GstVideoRegionOfInterestMeta) and on the bus as 'cvanalyze' "
      "element messages", "cvanalyze developers");

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_cv_analyze_change_state);
  trans_class->start = GST_DEBUG_FUNCPTR (gst_cv_analyze_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_cv_analyze_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_cv_analyze_set_caps);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_cv_analyze_sink_event);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_cv_analyze_transform_ip);
  trans_class->query = GST_DEBUG_FUNCPTR (gst_cv_analyze_query);
  trans_class->src_event = GST_DEBUG_FUNCPTR (gst_cv_analyze_src_event);

  gst_type_mark_as_plugin_api (GST_TYPE_CV_ANALYZE_API, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_CV_ANALYZE_DETAIL, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_CV_ANALYZE_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_CV_ANALYZE_TEXT_TIMING, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_CV_ANALYZE_VALIGN, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_CV_ANALYZE_HALIGN, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_CV_ANALYZE_SAMPLE_MODE, 0);
  GST_DEBUG_CATEGORY_INIT (gst_cv_analyze_debug, "cvanalyze", 0,
      "cvanalyze image analysis");
}

static void
gst_cv_analyze_init (GstCvAnalyze * self)
{
  self->api = DEFAULT_API;
  self->last_latency = GST_CLOCK_TIME_NONE;     /* no result yet */
  self->language = g_strdup (DEFAULT_LANGUAGE);
  self->model_version = g_strdup (DEFAULT_MODEL_VERSION);
  self->gender_neutral_caption = DEFAULT_GENDER_NEUTRAL_CAPTION;
  self->prompt = g_strdup (DEFAULT_PROMPT);
  self->detail = DEFAULT_DETAIL;
  self->max_tokens = DEFAULT_MAX_TOKENS;
  self->frames_per_request = DEFAULT_FRAMES_PER_REQUEST;
  self->interval = DEFAULT_INTERVAL;
  self->max_dimension = DEFAULT_MAX_DIMENSION;
  self->jpeg_quality = DEFAULT_JPEG_QUALITY;
  self->max_in_flight = DEFAULT_MAX_IN_FLIGHT;
  self->max_rate = DEFAULT_MAX_RATE;
  self->retry.max_retries = DEFAULT_MAX_RETRIES;
  self->breaker_threshold = DEFAULT_BREAKER_THRESHOLD;
  self->retry.backoff_factor = DEFAULT_RETRY_BACKOFF_FACTOR;
  self->retry.backoff_max = DEFAULT_RETRY_BACKOFF_MAX;
  self->timeout = DEFAULT_TIMEOUT;
  self->max_response_size = DEFAULT_MAX_RESPONSE_SIZE;
  self->post_messages = DEFAULT_POST_MESSAGES;
  self->mode = DEFAULT_MODE;
  self->overlay = DEFAULT_OVERLAY;
  self->font_desc = g_strdup (DEFAULT_FONT_DESC);
  self->valignment = DEFAULT_VALIGNMENT;
  self->halignment = DEFAULT_HALIGNMENT;
  self->show_tags = DEFAULT_SHOW_TAGS;
  self->max_regions = DEFAULT_MAX_REGIONS;
  self->show_text = DEFAULT_SHOW_TEXT;
  self->min_confidence = DEFAULT_MIN_CONFIDENCE;
  self->caption_similarity = DEFAULT_CAPTION_SIMILARITY;
  self->caption_duration = DEFAULT_CAPTION_DURATION;
  self->text_timing = DEFAULT_TEXT_TIMING;
  self->sample_mode = DEFAULT_SAMPLE_MODE;
  self->scene_threshold = DEFAULT_SCENE_THRESHOLD;
  self->min_interval = DEFAULT_MIN_INTERVAL;
  self->max_interval = DEFAULT_MAX_INTERVAL;
  self->thumbnail_width = DEFAULT_THUMBNAIL_WIDTH;
  self->thumbnail_height = DEFAULT_THUMBNAIL_HEIGHT;
  self->thumbnail_interval = DEFAULT_THUMBNAIL_INTERVAL;
  self->thumbnail_location = g_strdup (DEFAULT_THUMBNAIL_LOCATION);
  gst_cv_analyze_thumbnails_init (&self->thumbnails);
  g_mutex_init (&self->state_lock);
  gst_cv_analyze_warn_limit_init (&self->warn_limit);
  g_cond_init (&self->outcome_cond);
  gst_cv_analyze_caption_track_init (&self->captions);
  gst_cv_analyze_text_output_init (&self->text, GST_ELEMENT (self),
      gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (self),
          "text_src"));
  gst_pad_set_query_function (self->text.pad,
      GST_DEBUG_FUNCPTR (text_src_query));
  gst_pad_set_event_function (self->text.pad,
      GST_DEBUG_FUNCPTR (text_src_event));

  /* Until a result arrives there is nothing to attach: leave buffers
   * untouched (not even made writable). */
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
}

static void
free_secret (gchar * secret)
{
  if (secret)
    memset (secret, 0, strlen (secret));
  g_free (secret);
}

static void
attachment_clear (Attachment * a)
{
  g_free (a->caption);
  gst_sample_unref (a->result);
  g_array_unref (a->rois);
}

static void
attachment_unref (Attachment * a)
{
  g_atomic_rc_box_release_full (a, (GDestroyNotify) attachment_clear);
}

static void
gst_cv_analyze_finalize (GObject * object)
{
  GstCvAnalyze *self = GST_CV_ANALYZE (object);

  g_free (self->endpoint);
  free_secret (self->key);
  g_free (self->features);
  g_free (self->details);
  g_free (self->language);
  g_free (self->model_version);
  g_free (self->api_version);
  g_free (self->smartcrops_aspect_ratios);
  g_free (self->model);
  g_free (self->prompt);
  g_free (self->endpoint_in_use);
  g_free (self->last_advice);
  g_free (self->font_desc);
  g_free (self->ca_file);
  g_free (self->rate_group);
  g_clear_object (&self->tls_database);
  g_clear_pointer (&self->current, attachment_unref);
  gst_cv_analyze_caption_track_reset (&self->captions);
  gst_cv_analyze_caption_entries_clear (&self->entries);
  g_clear_pointer (&self->overlay_renderer, gst_cv_analyze_overlay_free);
  g_mutex_clear (&self->state_lock);
  g_hash_table_unref (self->warn_limit.kinds);
  g_free (self->thumbnail_location);
  gst_cv_analyze_thumbnails_clear (&self->thumbnails);
  g_cond_clear (&self->outcome_cond);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_cv_analyze_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstCvAnalyze *self = GST_CV_ANALYZE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_ENDPOINT:
      g_free (self->endpoint);
      self->endpoint = g_value_dup_string (value);
      break;
    case PROP_KEY:
      free_secret (self->key);
      self->key = g_value_dup_string (value);
      break;
    case PROP_API:
      self->api = g_value_get_enum (value);
      break;
    case PROP_API_VERSION:
      g_free (self->api_version);
      self->api_version = g_value_dup_string (value);
      break;
    case PROP_GENDER_NEUTRAL_CAPTION:
      self->gender_neutral_caption = g_value_get_boolean (value);
      break;
    case PROP_SMARTCROPS_ASPECT_RATIOS:
      g_free (self->smartcrops_aspect_ratios);
      self->smartcrops_aspect_ratios = g_value_dup_string (value);
      break;
    case PROP_MODEL:
      g_free (self->model);
      self->model = g_value_dup_string (value);
      break;
    case PROP_PROMPT:
      g_free (self->prompt);
      self->prompt = g_value_dup_string (value);
      break;
    case PROP_DETAIL:
      self->detail = g_value_get_enum (value);
      break;
    case PROP_MAX_TOKENS:
      self->max_tokens = g_value_get_uint (value);
      break;
    case PROP_FRAMES_PER_REQUEST:
      self->frames_per_request = g_value_get_uint (value);
      break;
    case PROP_FEATURES:
      g_free (self->features);
      self->features = g_value_dup_string (value);
      break;
    case PROP_DETAILS:
      g_free (self->details);
      self->details = g_value_dup_string (value);
      break;
    case PROP_LANGUAGE:
      g_free (self->language);
      self->language = g_value_dup_string (value);
      break;
    case PROP_MODEL_VERSION:
      g_free (self->model_version);
      self->model_version = g_value_dup_string (value);
      break;
    case PROP_INTERVAL:
      self->interval = g_value_get_uint64 (value);
      break;
    case PROP_MAX_DIMENSION:
      self->max_dimension = g_value_get_uint (value);
      break;
    case PROP_JPEG_QUALITY:
      self->jpeg_quality = g_value_get_int (value);
      break;
    case PROP_MAX_IN_FLIGHT:
      self->max_in_flight = g_value_get_uint (value);
      break;
    case PROP_MAX_RATE:
      self->max_rate = g_value_get_uint (value);
      break;
    case PROP_RATE_GROUP:
      g_free (self->rate_group);
      self->rate_group = g_value_dup_string (value);
      break;
    case PROP_MAX_RETRIES:
      self->retry.max_retries = g_value_get_uint (value);
      break;
    case PROP_BREAKER_THRESHOLD:
      self->breaker_threshold = g_value_get_uint (value);
      break;
    case PROP_RETRY_BACKOFF_FACTOR:
      self->retry.backoff_factor = g_value_get_double (value);
      break;
    case PROP_RETRY_BACKOFF_MAX:
      self->retry.backoff_max = g_value_get_double (value);
      break;
    case PROP_TIMEOUT:
      self->timeout = g_value_get_uint64 (value);
      break;
    case PROP_MAX_RESPONSE_SIZE:
      self->max_response_size = g_value_get_uint (value);
      break;
    case PROP_CA_FILE:
      g_free (self->ca_file);
      self->ca_file = g_value_dup_string (value);
      break;
    case PROP_TLS_DATABASE:
      g_clear_object (&self->tls_database);
      self->tls_database = g_value_dup_object (value);
      break;
    case PROP_POST_MESSAGES:
      self->post_messages = g_value_get_boolean (value);
      break;
    case PROP_MODE:
      self->mode = g_value_get_enum (value);
      break;
    case PROP_OVERLAY:
      self->overlay = g_value_get_boolean (value);
      break;
    case PROP_FONT_DESC:
      g_free (self->font_desc);
      self->font_desc = g_value_dup_string (value);
      break;
    case PROP_VALIGNMENT:
      self->valignment = g_value_get_enum (value);
      break;
    case PROP_HALIGNMENT:
      self->halignment = g_value_get_enum (value);
      break;
    case PROP_SHOW_TAGS:
      self->show_tags = g_value_get_uint (value);
      break;
    case PROP_MIN_CONFIDENCE:
      self->min_confidence = g_value_get_double (value);
      break;
    case PROP_CAPTION_SIMILARITY:
      self->caption_similarity = g_value_get_double (value);
      break;
    case PROP_CAPTION_DURATION:
      self->caption_duration = g_value_get_uint64 (value);
      break;
    case PROP_TEXT_TIMING:
      self->text_timing = g_value_get_enum (value);
      break;
    case PROP_SHOW_TEXT:
      self->show_text = g_value_get_boolean (value);
      break;
    case PROP_SAMPLE_MODE:
      self->sample_mode = g_value_get_enum (value);
      break;
    case PROP_SCENE_THRESHOLD:
      self->scene_threshold = g_value_get_double (value);
      break;
    case PROP_MIN_INTERVAL:
      self->min_interval = g_value_get_uint64 (value);
      break;
    case PROP_MAX_INTERVAL:
      self->max_interval = g_value_get_uint64 (value);
      break;
    case PROP_THUMBNAIL_WIDTH:
      self->thumbnail_width = g_value_get_uint (value);
      break;
    case PROP_THUMBNAIL_HEIGHT:
      self->thumbnail_height = g_value_get_uint (value);
      break;
    case PROP_THUMBNAIL_INTERVAL:
      self->thumbnail_interval = g_value_get_uint64 (value);
      break;
    case PROP_THUMBNAIL_LOCATION:
      g_free (self->thumbnail_location);
      self->thumbnail_location = g_value_dup_string (value);
      break;
    case PROP_MAX_REGIONS:
      self->max_regions = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* Requests a minute at most, by 'interval' and the budget (max-rate, or
 * the rate learned from the service); 0: no limit.
 * Called with the state lock (the budget is set at start, under it). */
static gdouble
rate_in_effect (GstCvAnalyze * self)
{
  gdouble by_interval, by_budget;

  GST_OBJECT_LOCK (self);
  by_interval = self->interval ? 60.0 * GST_SECOND / self->interval : 0;
  GST_OBJECT_UNLOCK (self);
  by_budget = self->budget ? gst_cv_analyze_budget_get_rate (self->budget) :
      self->budget_rate;
  if (by_interval == 0 || by_budget == 0)
    return MAX (by_interval, by_budget);
  return MIN (by_interval, by_budget);
}

/* thumbnails (posted), thumbnails-skipped (due while one was pending, or
 * held back by max-rate), thumbnails-failed. */
static void
add_thumbnail_stats (GstCvAnalyze * self, GstStructure * stats)
{
  guint64 made, skipped, failed;

  gst_cv_analyze_thumbnails_get_stats (&self->thumbnails, &made, &skipped,
      &failed);
  gst_structure_set (stats, "thumbnails", G_TYPE_UINT64, made,
      "thumbnails-skipped", G_TYPE_UINT64, skipped,
      "thumbnails-failed", G_TYPE_UINT64, failed, NULL);
}

/* 'stats' breaker-state, by GstCvAnalyzeBreakerState. */
static const gchar *const breaker_state_names[] = { "closed", "open",
  "probing"
};

static GstStructure *
get_stats (GstCvAnalyze * self)
{
  GstStructure *s;
  guint64 openings;
  GstClockTime open_time;

  g_mutex_lock (&self->state_lock);
  openings = self->breaker_openings;
  open_time = self->breaker_open_time;
  if (self->client)
    gst_cv_analyze_client_get_breaker_stats (self->client, &openings,
        &open_time);
  s = gst_structure_new ("cvanalyze-stats",
      "samples", G_TYPE_UINT64, self->samples,
      "requests", G_TYPE_UINT64, self->client ?
      gst_cv_analyze_client_get_requests_sent (self->client) : self->requests,
      "skipped", G_TYPE_UINT64, self->skipped,
      "failed", G_TYPE_UINT64, self->failed,
      "results", G_TYPE_UINT64, self->results,
      "missed", G_TYPE_UINT64, self->missed,
      "last-latency", G_TYPE_UINT64, self->last_latency,
      "mean-latency", G_TYPE_UINT64, self->results ?
      self->total_latency / self->results : GST_CLOCK_TIME_NONE,
      "prompt-tokens", G_TYPE_UINT64, self->prompt_tokens,
      "completion-tokens", G_TYPE_UINT64, self->completion_tokens,
      "retries", G_TYPE_UINT64, self->client ?
      gst_cv_analyze_client_get_retries (self->client) : self->retries,
      "rate", G_TYPE_DOUBLE, rate_in_effect (self),
      "held-back", G_TYPE_UINT64, self->held_back,
      "breaker-openings", G_TYPE_UINT64, openings,
      "breaker-open-time", G_TYPE_UINT64, open_time,
      "saved", G_TYPE_UINT64, self->saved,
      "scene-changes", G_TYPE_UINT64, self->scene_changes,
      "throttled", G_TYPE_UINT64, self->client ?
      gst_cv_analyze_client_get_throttled (self->client) : self->throttled,
      "breaker-state", G_TYPE_STRING, breaker_state_names[self->client ?
          gst_cv_analyze_client_get_breaker_state (self->client) :
          GST_CV_ANALYZE_BREAKER_CLOSED],
      "learned-rate", G_TYPE_DOUBLE, self->budget ?
      gst_cv_analyze_budget_get_learned_rate (self->budget) :
      self->learned_rate, NULL);
  g_mutex_unlock (&self->state_lock);
  add_thumbnail_stats (self, s);
  return s;
}

static void
gst_cv_analyze_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstCvAnalyze *self = GST_CV_ANALYZE (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, get_stats (self));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_ENDPOINT:
      g_value_set_string (value, self->endpoint);
      break;
    case PROP_API:
      g_value_set_enum (value, self->api);
      break;
    case PROP_API_VERSION:
      g_value_set_string (value, self->api_version);
      break;
    case PROP_GENDER_NEUTRAL_CAPTION:
      g_value_set_boolean (value, self->gender_neutral_caption);
      break;
    case PROP_SMARTCROPS_ASPECT_RATIOS:
      g_value_set_string (value, self->smartcrops_aspect_ratios);
      break;
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_PROMPT:
      g_value_set_string (value, self->prompt);
      break;
    case PROP_DETAIL:
      g_value_set_enum (value, self->detail);
      break;
    case PROP_MAX_TOKENS:
      g_value_set_uint (value, self->max_tokens);
      break;
    case PROP_FRAMES_PER_REQUEST:
      g_value_set_uint (value, self->frames_per_request);
      break;
    case PROP_FEATURES:
      g_value_set_string (value, self->features);
      break;
    case PROP_DETAILS:
      g_value_set_string (value, self->details);
      break;
    case PROP_LANGUAGE:
      g_value_set_string (value, self->language);
      break;
    case PROP_MODEL_VERSION:
      g_value_set_string (value, self->model_version);
      break;
    case PROP_INTERVAL:
      g_value_set_uint64 (value, self->interval);
      break;
    case PROP_MAX_DIMENSION:
      g_value_set_uint (value, self->max_dimension);
      break;
    case PROP_JPEG_QUALITY:
      g_value_set_int (value, self->jpeg_quality);
      break;
    case PROP_MAX_IN_FLIGHT:
      g_value_set_uint (value, self->max_in_flight);
      break;
    case PROP_MAX_RATE:
      g_value_set_uint (value, self->max_rate);
      break;
    case PROP_RATE_GROUP:
      g_value_set_string (value, self->rate_group);
      break;
    case PROP_MAX_RETRIES:
      g_value_set_uint (value, self->retry.max_retries);
      break;
    case PROP_BREAKER_THRESHOLD:
      g_value_set_uint (value, self->breaker_threshold);
      break;
    case PROP_RETRY_BACKOFF_FACTOR:
      g_value_set_double (value, self->retry.backoff_factor);
      break;
    case PROP_RETRY_BACKOFF_MAX:
      g_value_set_double (value, self->retry.backoff_max);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint64 (value, self->timeout);
      break;
    case PROP_MAX_RESPONSE_SIZE:
      g_value_set_uint (value, self->max_response_size);
      break;
    case PROP_CA_FILE:
      g_value_set_string (value, self->ca_file);
      break;
    case PROP_TLS_DATABASE:
      g_value_set_object (value, self->tls_database);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean (value, self->post_messages);
      break;
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_OVERLAY:
      g_value_set_boolean (value, self->overlay);
      break;
    case PROP_FONT_DESC:
      g_value_set_string (value, self->font_desc);
      break;
    case PROP_VALIGNMENT:
      g_value_set_enum (value, self->valignment);
      break;
    case PROP_HALIGNMENT:
      g_value_set_enum (value, self->halignment);
      break;
    case PROP_SHOW_TAGS:
      g_value_set_uint (value, self->show_tags);
      break;
    case PROP_MIN_CONFIDENCE:
      g_value_set_double (value, self->min_confidence);
      break;
    case PROP_CAPTION_SIMILARITY:
      g_value_set_double (value, self->caption_similarity);
      break;
    case PROP_CAPTION_DURATION:
      g_value_set_uint64 (value, self->caption_duration);
      break;
    case PROP_TEXT_TIMING:
      g_value_set_enum (value, self->text_timing);
      break;
    case PROP_SHOW_TEXT:
      g_value_set_boolean (value, self->show_text);
      break;
    case PROP_SAMPLE_MODE:
      g_value_set_enum (value, self->sample_mode);
      break;
    case PROP_SCENE_THRESHOLD:
      g_value_set_double (value, self->scene_threshold);
      break;
    case PROP_MIN_INTERVAL:
      g_value_set_uint64 (value, self->min_interval);
      break;
    case PROP_MAX_INTERVAL:
      g_value_set_uint64 (value, self->max_interval);
      break;
    case PROP_THUMBNAIL_WIDTH:
      g_value_set_uint (value, self->thumbnail_width);
      break;
    case PROP_THUMBNAIL_HEIGHT:
      g_value_set_uint (value, self->thumbnail_height);
      break;
    case PROP_THUMBNAIL_INTERVAL:
      g_value_set_uint64 (value, self->thumbnail_interval);
      break;
    case PROP_THUMBNAIL_LOCATION:
      g_value_set_string (value, self->thumbnail_location);
      break;
    case PROP_MAX_REGIONS:
      g_value_set_uint (value, self->max_regions);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* An environment variable counts only when it is set and not empty. */
static const gchar *
getenv_nonempty (const gchar * name)
{
  const gchar *value = g_getenv (name);

  return (value && *value) ? value : NULL;
}

static void on_outcome (const GstCvAnalyzeOutcome * outcome,
    gpointer user_data);
static gchar *prompt_for_request (gpointer user_data);
static void scene_start (GstCvAnalyze * self);
static void scene_forget (GstCvAnalyze * self);

/* Drops the full stop that ends @text, where our own sentence follows. */
static void
drop_final_stop (gchar * text)
{
  gsize len = strlen (text);

  if (len > 0 && text[len - 1] == '.')
    text[len - 1] = '\0';
}

/* The certificate authorities https is verified against: the system's
 * (*database stays NULL), 'tls-database''s, or those in 'ca-file'. */
static gboolean
open_tls_database (GstCvAnalyze * self, const gchar * ca_file,
    GTlsDatabase ** database)
{
  GError *err = NULL;

  if (ca_file == NULL || *ca_file == '\0')
    return TRUE;
  if (*database) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Both 'ca-file' and 'tls-database' are set; set only one of them."),
        (NULL));
    return FALSE;
  }
  *database = g_tls_file_database_new (ca_file, &err);
  if (*database == NULL) {
    /* GnuTLS's sentences end in a full stop; ours follows. */
    drop_final_stop (err->message);
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("Could not read the certificate authorities in '%s' (the 'ca-file' "
            "property): %s. Give the path of a PEM file holding the CA "
            "certificates to trust.", ca_file, err->message), (NULL));
    g_error_free (err);
    return FALSE;
  }
  return TRUE;
}

/* Whether the comma-separated @features names @name, in any case. */
static gboolean
features_name (const gchar * features, const gchar * name)
{
  gchar **names = g_strsplit (features ? features : "", ",", -1);
  gboolean found = FALSE;
  guint i;

  for (i = 0; names[i] && !found; i++)
    found = g_ascii_strcasecmp (g_strstrip (names[i]), name) == 0;
  g_strfreev (names);
  return found;
}

/* Whether @features asks for the text in the frame: Read (azure-cv), read
 * (azure-image-analysis) or text (the chat services); no service's
 * default does. */
static gboolean
asks_for_text (const gchar * features)
{
  return features_name (features, "read") || features_name (features, "text");
}

/* Whether @api with @features gives tags: Azure's defaults do, and
 * azure-cv's Description has tags of its own; the chat services' default
 * (caption) does not. */
static gboolean
asks_for_tags (GstCvAnalyzeApi api, const gchar * features)
{
  if (features == NULL || *features == '\0')
    return api == GST_CV_ANALYZE_API_AZURE_CV
        || api == GST_CV_ANALYZE_API_AZURE_IMAGE_ANALYSIS;
  return features_name (features, "tags") || (api ==
      GST_CV_ANALYZE_API_AZURE_CV && features_name (features, "description"));
}

/* A copy of @text without the blanks around it, NULL if nothing is left
 * (copied, not stripped in place, so that no part of a key is left behind
 * the copy's end). A key or endpoint read from a file often ends in a
 * line break. */
static gchar *
stripped_copy (const gchar * text)
{
  const gchar *end;

  if (text == NULL)
    return NULL;
  while (g_ascii_isspace (*text))
    text++;
  for (end = text + strlen (text); end > text && g_ascii_isspace (end[-1]);)
    end--;
  return end > text ? g_strndup (text, end - text) : NULL;
}

/* A key with a control character inside (two lines pasted, a header
 * smuggled in) cannot be sent: an error at start that never shows it. */
static gboolean
check_key_text (GstCvAnalyze * self, const gchar * key)
{
  const gchar *c;

  for (c = key; c && *c; c++) {
    if (g_ascii_iscntrl (*c)) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("The key holds a line break or another control character, which "
              "cannot be sent: give the key alone (the 'key' property or %s).",
              self->service_class->key_env[0]), (NULL));
      return FALSE;
    }
  }
  return TRUE;
}

/* Without a result, buffers can go through untouched: live mode. */
static gboolean
idle_passthrough (GstCvAnalyze * self)
{
  return self->stream_mode == GST_CV_ANALYZE_MODE_LIVE;
}

/* The property, else the service's environment variables, in order. */
static const gchar *
property_or_env (const gchar * value, const gchar * const *env)
{
  const gchar *found = value && *value ? value : NULL;

  for (; found == NULL && *env; env++)
    found = getenv_nonempty (*env);
  return found;
}

/* A query is allowed only where a service documents one (Azure OpenAI's
 * classic deployment URL takes ?api-version=): the endpoint is shown in
 * messages and logs, so it must not be able to carry a secret (Azure
 * also takes ?subscription-key=...). */
static gboolean
query_is_allowed (GstCvAnalyzeApi api, const gchar * query)
{
  gchar **params;
  gboolean ok = TRUE;
  guint i;

  if (query == NULL)
    return TRUE;
  if (api != GST_CV_ANALYZE_API_OPENAI
      && api != GST_CV_ANALYZE_API_AZURE_OPENAI)
    return FALSE;
  params = g_strsplit (query, "&", -1);
  for (i = 0; ok && params[i]; i++)
    ok = g_str_has_prefix (params[i], "api-version=");
  g_strfreev (params);
  return ok;
}

/* Whether @path holds a route of Azure's vision services: "/vision/v3.2",
 * "/vision/v2.1"..., or Image Analysis 4.0's
 * "/computervision/imageanalysis:analyze". Whole routes only: a gateway's
 * own path ("/computervision/prod/") is no mistake. */
static gboolean
has_vision_route (const gchar * path, gboolean image_analysis)
{
  const gchar *at;

  if (image_analysis)
    return strstr (path, "/computervision/imageanalysis") != NULL;
  at = strstr (path, "/vision/v");
  if (at == NULL)
    return FALSE;
  at += strlen ("/vision/v");
  return g_ascii_isdigit (at[0]) && at[1] == '.' && g_ascii_isdigit (at[2]);
}

/* When the endpoint plainly belongs to another service than @api (its
 * path is another service's route, or its host another service's), what
 * to set instead, a sentence; NULL otherwise. Without this the service
 * would answer 401 or 404 on every frame, blaming the key or the path. */
static gchar *
other_service_advice (GstCvAnalyzeApi api, GUri * uri)
{
  gchar *host = g_ascii_strdown (g_uri_get_host (uri), -1);
  gchar *path = g_ascii_strdown (g_uri_get_path (uri), -1);
  gboolean azure_openai, chat, cv32, ia40;
  gchar *advice = NULL;
  gsize len;

  for (len = strlen (path); len > 0 && path[len - 1] == '/'; len--)
    path[len - 1] = '\0';
  azure_openai = g_str_has_suffix (host, ".openai.azure.com")
      || strstr (path, "/openai/") || g_str_has_suffix (path, "/openai");
  /* A path of "/v1" alone is how Ollama, llama-server, vLLM and LM
   * Studio are reached; a gateway's ".../vision-api/v1" may be anything. */
  chat = azure_openai || g_strcmp0 (host, "api.openai.com") == 0
      || g_strcmp0 (path, "/v1") == 0 || strstr (path, "/chat/completions");
  cv32 = has_vision_route (path, FALSE);
  ia40 = has_vision_route (path, TRUE);

  switch (api) {
    case GST_CV_ANALYZE_API_AZURE_CV:
    case GST_CV_ANALYZE_API_AZURE_IMAGE_ANALYSIS:
      if (chat)
        advice = g_strdup_printf ("it is a chat-completions URL: set "
            "api=%s, or give your vision resource's base URL, "
            "https://<resource>.cognitiveservices.azure.com/",
            azure_openai ? "azure-openai" : "openai");
      else if (cv32 || ia40)
        advice = g_strdup_printf ("it already holds a route of %s: set "
            "endpoint to the resource's base URL, "
            "https://<resource>.cognitiveservices.azure.com/ (cvanalyze "
            "adds the route)%s", cv32 ? "Computer Vision v3.2 (api=azure-cv)"
            : "Image Analysis 4.0 (api=azure-image-analysis)",
            (cv32 && api == GST_CV_ANALYZE_API_AZURE_CV) || (ia40 && api ==
                GST_CV_ANALYZE_API_AZURE_IMAGE_ANALYSIS) ? "" : cv32 ?
            ", and api=azure-cv" : ", and api=azure-image-analysis");
      break;
    case GST_CV_ANALYZE_API_OPENAI:
      if (strstr (path, "/openai/deployments/"))
        advice = g_strdup ("it is an Azure OpenAI deployment URL, which takes "
            "the key in an api-key header: set api=azure-openai");
      else if (cv32 || ia40)
        advice = g_strdup_printf ("it is an Azure vision URL: set api=%s, "
            "with the resource's base URL", cv32 ? "azure-cv" :
            "azure-image-analysis");
      break;
    case GST_CV_ANALYZE_API_AZURE_OPENAI:
      if (g_strcmp0 (host, "api.openai.com") == 0)
        advice = g_strdup ("it is OpenAI's own API: set api=openai");
      else if (cv32 || ia40)
        advice = g_strdup_printf ("it is an Azure vision URL: set api=%s, "
            "with the resource's base URL", cv32 ? "azure-cv" :
            "azure-image-analysis");
      break;
  }
  g_free (host);
  g_free (path);
  return advice;
}

/* OpenAI's own, where api=openai goes without an endpoint, as its SDKs
 * do. */
#define OPENAI_ENDPOINT "https://api.openai.com/v1"

/* Azure's and OpenAI's clouds refuse every request without a key: say so
 * at start rather than with a 401 after the first frame. A local server,
 * Ollama or a container may need none. */
static gboolean
check_key (GstCvAnalyze * self, const GstCvAnalyzeServiceClass * klass,
    const gchar * endpoint, gboolean have_key)
{
  GUri *uri;
  gchar *host = NULL;
  gboolean cloud;

  if (have_key)
    return TRUE;
  uri = g_uri_parse (endpoint ? endpoint : OPENAI_ENDPOINT, G_URI_FLAGS_NONE,
      NULL);
  if (uri && g_uri_get_host (uri))
    host = g_ascii_strdown (g_uri_get_host (uri), -1);
  g_clear_pointer (&uri, g_uri_unref);
  cloud = host && (g_str_equal (host, "api.openai.com")
      || g_str_has_suffix (host, ".openai.azure.com")
      || g_str_has_suffix (host, ".cognitiveservices.azure.com")
      || g_str_has_suffix (host, ".api.cognitive.microsoft.com"));
  g_free (host);
  if (!cloud)
    return TRUE;
  GST_ELEMENT_ERROR (self, RESOURCE, NOT_AUTHORIZED,
      ("No key is set for %s, which refuses requests without one: set the "
          "'key' property or the %s environment variable.",
          endpoint ? endpoint : OPENAI_ENDPOINT, klass->key_env[0]), (NULL));
  return FALSE;
}

/* Checks the endpoint the user gave; posts the error. */
static gboolean
check_endpoint (GstCvAnalyze * self, GstCvAnalyzeApi api,
    const gchar * endpoint, const GstCvAnalyzeServiceClass * klass)
{
  GUri *uri;
  gboolean plain;
  gchar *advice;

  if (endpoint == NULL && api == GST_CV_ANALYZE_API_OPENAI)
    return TRUE;                /* OpenAI's own, as its SDKs do */
  if (endpoint == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("No analysis endpoint set. Set the 'endpoint' property (e.g. "
            "endpoint=https://<resource>.%s/) or the %s environment "
            "variable; for a local test service run cvanalyze-local-server "
            "and use the URL it prints.",
            api == GST_CV_ANALYZE_API_AZURE_OPENAI ? "openai.azure.com" :
            "cognitiveservices.azure.com", klass->endpoint_env[0]), (NULL));
    return FALSE;
  }

  uri = g_uri_parse (endpoint, G_URI_FLAGS_NONE, NULL);
  if (!uri || (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0
          && g_strcmp0 (g_uri_get_scheme (uri), "https") != 0)
      || g_uri_get_host (uri) == NULL) {
    g_clear_pointer (&uri, g_uri_unref);
    /* Not echoed: what does not parse may hold anything. */
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("The analysis endpoint is not an http:// or https:// URL%s; set it "
            "to e.g. %s.", strstr (endpoint, "://") ? "" : " (it has no "
            "scheme: write http:// or https:// before the host)",
            api == GST_CV_ANALYZE_API_OPENAI ? "http://localhost:11434/v1" :
            api == GST_CV_ANALYZE_API_AZURE_OPENAI ?
            "https://<resource>.openai.azure.com/" :
            "https://<resource>.cognitiveservices.azure.com/"), (NULL));
    return FALSE;
  }
  plain = g_uri_get_userinfo (uri) == NULL && g_uri_get_fragment (uri) ==
      NULL && query_is_allowed (api, g_uri_get_query (uri));
  advice = plain ? other_service_advice (api, uri) : NULL;
  g_uri_unref (uri);
  if (!plain) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("The analysis endpoint must be a plain base URL, without "
            "credentials or a query (but ?api-version= for Azure OpenAI): "
            "give the key with the 'key' property or %s.",
            klass->key_env[0]), (NULL));
    return FALSE;
  }
  /* Plain, so it can be shown. A README example copied as it is keeps
   * its <resource>: no host has '<' in its name. */
  if (strchr (endpoint, '<') || strchr (endpoint, '>')) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("The analysis endpoint %s still holds a placeholder (<...>): put "
            "your resource's name there, as the Azure portal shows it under "
            "Keys and Endpoint.", endpoint), (NULL));
    g_free (advice);
    return FALSE;
  }
  if (advice) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("The analysis endpoint %s does not fit api=%s: %s.", endpoint,
            klass->name, advice), (NULL));
    g_free (advice);
    return FALSE;
  }
  return TRUE;
}

static const gchar *
detail_nick (GstCvAnalyzeDetail detail)
{
  GEnumValue *v = g_enum_get_value (g_type_class_peek
      (GST_TYPE_CV_ANALYZE_DETAIL), detail);

  return v ? v->value_nick : "low";
}

/* The service the properties describe, or NULL with the error posted.
 * Called with the object lock, which it releases. */
static GstCvAnalyzeService *
make_service (GstCvAnalyze * self, const gchar * endpoint, gchar ** notice)
{
  GstCvAnalyzeServiceSettings settings = { 0, };
  GstCvAnalyzeService *service;
  GError *err = NULL;

  settings.api = self->api;
  settings.endpoint = endpoint;
  settings.api_version = self->api_version;
  settings.features = self->features;
  settings.details = self->details;
  settings.language = self->language;
  settings.model_version = self->model_version;
  settings.gender_neutral_caption = self->gender_neutral_caption;
  settings.smartcrops_aspect_ratios = self->smartcrops_aspect_ratios;
  settings.model = self->model;
  settings.detail = detail_nick (self->detail);
  settings.max_tokens = self->max_tokens;

  service = gst_cv_analyze_service_new (&settings, notice, &err);
  GST_OBJECT_UNLOCK (self);
  if (service == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", err->message),
        (NULL));
    g_error_free (err);
  }
  return service;
}

/* The thumbnail properties, checked for this run (before the client
 * exists). */
static gboolean
thumbnails_start (GstCvAnalyze * self, const GstCvAnalyzeServiceClass * klass)
{
  guint width, height;
  GstClockTime interval;
  gchar *location;
  GError *err = NULL;
  gboolean ok;

  GST_OBJECT_LOCK (self);
  width = self->thumbnail_width;
  height = self->thumbnail_height;
  interval = self->thumbnail_interval;
  location = g_strdup (self->thumbnail_location);
  GST_OBJECT_UNLOCK (self);

  ok = gst_cv_analyze_thumbnails_configure (&self->thumbnails, width, height,
      interval, location, klass, &err);
  if (!ok) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", err->message),
        (NULL));
    g_error_free (err);
  }
  g_free (location);
  return ok;
}

static gboolean
gst_cv_analyze_start (GstBaseTransform * trans)
{
  GstCvAnalyze *self = GST_CV_ANALYZE (trans);
  GstCvAnalyzeClientConfig config = { 0, };
  const GstCvAnalyzeServiceClass *klass;
  const gchar *endpoint, *key;
  gchar *ca_file, *notice = NULL, *endpoint_copy, *stripped_key;
  GTlsDatabase *tls_database;
  GstCvAnalyzeClient *client;
  gboolean have_key, chat_model_unused, model_placeholder, text_unasked;
  gboolean tags_unasked;

  GST_OBJECT_LOCK (self);
  klass = gst_cv_analyze_service_class_get (self->api);
  self->service_class = klass;
  endpoint_copy = stripped_copy (property_or_env (self->endpoint,
          klass->endpoint_env));
  stripped_key = stripped_copy (property_or_env (self->key, klass->key_env));
  have_key = stripped_key != NULL;      /* blanks alone are no key */
  g_free (stripped_key);
  chat_model_unused = (klass->api == GST_CV_ANALYZE_API_AZURE_CV
      || klass->api == GST_CV_ANALYZE_API_AZURE_IMAGE_ANALYSIS)
      && self->model && *self->model;
  model_placeholder = self->model && (strchr (self->model, '<')
      || strchr (self->model, '>'));
  text_unasked = self->show_text && !asks_for_text (self->features);
  tags_unasked = self->show_tags > 0 && !asks_for_tags (klass->api,
      self->features);
  GST_OBJECT_UNLOCK (self);
  if (tags_unasked)
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("show-tags shows the top tags, but 'features' does not ask for "
            "them with api=%s: add tags (Tags) to 'features'.", klass->name),
        (NULL));
  if (text_unasked)
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("show-text=true shows the text read in the frame, but 'features' "
            "does not ask for it: add Read (api=azure-cv), read "
            "(azure-image-analysis) or text (openai, azure-openai) to "
            "'features'."), (NULL));
  /* Errors are posted without the object lock, which posting takes. A
   * model with Azure's vision services is a forgotten api=openai: said
   * first, as what would follow (no endpoint, Ollama's 404 to a vision
   * route) would not say it. */
  if (model_placeholder) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("'model' still holds a placeholder (<...>): set it to the model's "
            "name (OpenAI, Ollama...) or, with api=azure-openai, the "
            "deployment's name."), (NULL));
    g_free (endpoint_copy);
    return FALSE;
  }
  if (chat_model_unused) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("'model' is set, but api=%s has no models to choose: for a chat "
            "model (OpenAI, Ollama, llama-server, vLLM) set api=openai, or "
            "api=azure-openai; else unset 'model'.", klass->name), (NULL));
    g_free (endpoint_copy);
    return FALSE;
  }
  if (!check_endpoint (self, klass->api, endpoint_copy, klass)
      || !check_key (self, klass, endpoint_copy, have_key)
      || !thumbnails_start (self, klass)) {
    g_free (endpoint_copy);
    return FALSE;
  }
  GST_OBJECT_LOCK (self);
  config.service = make_service (self, endpoint_copy, &notice);
  if (config.service == NULL) {
    g_free (endpoint_copy);
    return FALSE;
  }

  GST_OBJECT_LOCK (self);
  endpoint = endpoint_copy;
  key = property_or_env (self->key, klass->key_env);
  /* A copy, for the client to copy: the property may change meanwhile.
   * A key read from a file often ends in a line break, which no header
   * can hold: the blanks around it are not part of it. */
  config.key = stripped_copy (key);
  config.timeout = self->timeout ? self->timeout : klass->default_timeout;
  config.max_in_flight = self->max_in_flight;
  config.retry = self->retry;
  config.breaker_threshold = self->breaker_threshold;
  /* Always one, the group's or its own: a rate is learned from the
   * service even with no max-rate set. */
  config.budget = gst_cv_analyze_budget_acquire (self->rate_group,
      self->max_rate);
  config.max_dimension = self->max_dimension;
  config.jpeg_quality = self->jpeg_quality;
  config.max_response_size = self->max_response_size;
  config.frames_per_request = klass->api == GST_CV_ANALYZE_API_OPENAI
      || klass->api == GST_CV_ANALYZE_API_AZURE_OPENAI ?
      self->frames_per_request : 1;
  config.make_prompt = prompt_for_request;
  ca_file = self->ca_file && *self->ca_file ? g_strdup (self->ca_file) : NULL;
  tls_database = self->tls_database ? g_object_ref (self->tls_database) : NULL;
  g_free (self->endpoint_in_use);
  self->endpoint_in_use = g_strdup (endpoint ? endpoint :
      OPENAI_ENDPOINT);
  config.direct = gst_cv_analyze_url_is_loopback (self->endpoint_in_use);
  self->stream_timeout = config.timeout;
  self->stream_mode = self->mode;
  self->stream_text_timing = self->text_timing;
  /* Before the client exists: its thread owns the entries from then on. */
  gst_cv_analyze_caption_entries_set_up (&self->entries, self->min_confidence,
      self->show_tags, self->caption_similarity);
  self->captions.max_duration = self->caption_duration;
  GST_OBJECT_UNLOCK (self);

  g_free (endpoint_copy);
  if (notice) {
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS, ("%s", notice), (NULL));
    g_free (notice);
  }

  if (!check_key_text (self, config.key)
      || !open_tls_database (self, ca_file, &tls_database)) {
    g_free (ca_file);
    g_clear_object (&tls_database);
    gst_cv_analyze_service_free (config.service);
    free_secret (config.key);
    gst_cv_analyze_budget_release (config.budget);
    return FALSE;
  }
  config.tls_database = tls_database;

  GST_INFO_OBJECT (self, "analysing with %s at %s (key %s%s%s)",
      klass->name, self->endpoint_in_use, config.key ? "set" : "not set",
      ca_file ? ", CAs from " : "", ca_file ? ca_file : "");
  client = gst_cv_analyze_client_new (&config, on_outcome, self);
  free_secret (config.key);
  g_free (ca_file);
  g_clear_object (&tls_database);

  self->next_sample = GST_CLOCK_TIME_NONE;
  self->live_known = FALSE;
  self->last_frame_end = GST_CLOCK_TIME_NONE;
  gst_cv_analyze_caption_track_reset (&self->captions);
  scene_start (self);
  /* Exact mode attaches to the very frame it waits on: that buffer must be
   * writable, so no passthrough. */
  gst_base_transform_set_passthrough (trans, idle_passthrough (self));

  g_mutex_lock (&self->state_lock);
  self->budget = config.budget;       /* the client has its own reference */
  self->stopping = FALSE;
  self->fatal = FALSE;
  self->auth_reported = FALSE;
  gst_cv_analyze_warn_limit_clear (&self->warn_limit);
  self->samples = self->skipped = self->failed = self->results = 0;
  self->missed = 0;
  self->sample_id = self->answered_id = self->wanted_from = 0;
  self->requests = self->retries = self->held_back = 0;
  self->throttled = 0;
  self->throttle_reported = FALSE;
  self->breaker_openings = self->breaker_open_time = 0;
  self->held = FALSE;
  self->last_latency = GST_CLOCK_TIME_NONE;
  self->total_latency = 0;
  self->prompt_tokens = self->completion_tokens = 0;
  g_clear_pointer (&self->last_advice, g_free);
  /* Last: the sink pad takes buffers from its activation on, before
   * start() returns, and transform_ip() lets them pass untouched until
   * it sees the client, and with it all of the run's state. */
  g_atomic_pointer_set (&self->client, client);
  g_mutex_unlock (&self->state_lock);
  return TRUE;
}

/* Forgets the current result, makes late outcomes stale and wakes a frame
 * waiting for its result. */
static void
reset_results (GstCvAnalyze * self)
{
  Attachment *old;

  g_mutex_lock (&self->state_lock);
  self->generation++;
  old = g_steal_pointer (&self->current);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self),
      idle_passthrough (self));
  g_cond_broadcast (&self->outcome_cond);
  g_mutex_unlock (&self->state_lock);

  g_clear_pointer (&old, attachment_unref);
}

static gboolean
gst_cv_analyze_stop (GstBaseTransform * trans)
{
  GstCvAnalyze *self = GST_CV_ANALYZE (trans);
  GstCvAnalyzeClient *client;
  GstCvAnalyzeBudget *budget;

  reset_results (self);
  gst_cv_analyze_caption_track_reset (&self->captions);
  gst_cv_analyze_text_output_reset (&self->text);
  g_clear_pointer (&self->overlay_renderer, gst_cv_analyze_overlay_free);
  g_clear_pointer (&self->scene.measure, gst_cv_analyze_scene_free);
  g_mutex_lock (&self->state_lock);
  client = g_steal_pointer (&self->client);
  if (client) {
    self->requests = gst_cv_analyze_client_get_requests_sent (client);
    self->retries = gst_cv_analyze_client_get_retries (client);
    self->throttled = gst_cv_analyze_client_get_throttled (client);
    gst_cv_analyze_client_get_breaker_stats (client, &self->breaker_openings,
        &self->breaker_open_time);
  }
  g_mutex_unlock (&self->state_lock);

  /* Outside the lock: joining waits for the client's thread, whose outcome
   * callback takes it. */
  if (client) {
    gst_cv_analyze_client_stop (client);
    gst_object_unref (client);
  }
  g_mutex_lock (&self->state_lock);
  budget = g_steal_pointer (&self->budget);
  self->budget_rate = budget ? gst_cv_analyze_budget_get_rate (budget) : 0;
  self->learned_rate = budget ?
      gst_cv_analyze_budget_get_learned_rate (budget) : 0;
  g_mutex_unlock (&self->state_lock);
  gst_cv_analyze_budget_release (budget);
  return TRUE;
}

/* The client, for callers not serialized with start() and stop(). */
static GstCvAnalyzeClient *
ref_client (GstCvAnalyze * self)
{
  GstCvAnalyzeClient *client;

  g_mutex_lock (&self->state_lock);
  client = self->client ? gst_object_ref (self->client) : NULL;
  g_mutex_unlock (&self->state_lock);
  return client;
}

static GstStateChangeReturn
gst_cv_analyze_change_state (GstElement * element, GstStateChange transition)
{
  GstCvAnalyze *self = GST_CV_ANALYZE (element);

  /* A non-live stream may be waiting for a free slot or for the last
   * results at EOS: wake it before the pads are deactivated, which takes
   * the stream lock. */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    GstCvAnalyzeClient *client;

    g_mutex_lock (&self->state_lock);
    /* A FLUSH_STOP racing with this must not unflush the client again. */
    self->stopping = TRUE;
    g_cond_broadcast (&self->outcome_cond);
    g_mutex_unlock (&self->state_lock);
    client = ref_client (self);
    if (client) {
      gst_cv_analyze_client_set_flushing (client, TRUE);
      gst_object_unref (client);
    }
  }

  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}

/* The overlay renderer, in the style the properties ask for now. */
static GstCvAnalyzeOverlay *
styled_renderer (GstCvAnalyze * self)
{
  gchar *font_desc;
  GstCvAnalyzeVAlign valign;
  GstCvAnalyzeHAlign halign;

  GST_OBJECT_LOCK (self);
  font_desc = g_strdup (self->font_desc);
  valign = self->valignment;
  halign = self->halignment;
  GST_OBJECT_UNLOCK (self);

  if (!self->overlay_renderer)
    self->overlay_renderer = gst_cv_analyze_overlay_new ();
  gst_cv_analyze_overlay_set_style (self->overlay_renderer, font_desc, valign,
      halign);
  g_free (font_desc);
  return self->overlay_renderer;
}

static gboolean
gst_cv_analyze_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstCvAnalyze *self = GST_CV_ANALYZE (trans);
  gboolean overlay;

  /* image/jpeg gives GST_VIDEO_FORMAT_ENCODED, with the caps' size and
   * rate, which is how the client tells a JPEG frame. */
  if (!gst_video_info_from_caps (&self->info, incaps)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("invalid video caps %" GST_PTR_FORMAT, incaps));
    return FALSE;
  }
  GST_OBJECT_LOCK (self);
  overlay = self->overlay;
  GST_OBJECT_UNLOCK (self);
  /* An error rather than caps that leave JPEG out when overlay is on:
   * those would fail as a bare not-negotiated, without saying why. */
  if (overlay && GST_VIDEO_INFO_FORMAT (&self->info) ==
      GST_VIDEO_FORMAT_ENCODED) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("overlay=true draws on raw video, but the input is JPEG: decode it "
            "first (... ! jpegdec ! cvanalyze overlay=true), or draw the "
            "captions downstream from text_src with textoverlay"),
        ("Decode first (... ! jpegdec ! cvanalyze overlay=true), or keep "
            "overlay=false and draw the captions downstream: "
            "cvanalyze name=a ! jpegdec ! textoverlay name=o ... "
            "a.text_src ! queue ! o.text_sink"));
    return FALSE;
  }
  self->overlay_refused = FALSE;
  self->frame_duration = GST_VIDEO_INFO_FPS_N (&self->info) > 0 ?
      gst_util_uint64_scale_int (GST_SECOND, GST_VIDEO_INFO_FPS_D (&self->info),
      GST_VIDEO_INFO_FPS_N (&self->info)) : GST_CLOCK_TIME_NONE;

  /* Before the first frame: the font's set-up takes milliseconds, once,
   * which would otherwise hold up the frame the first caption goes on. */
  if (overlay)
    gst_cv_analyze_overlay_load_font (styled_renderer (self),
        GST_VIDEO_INFO_HEIGHT (&self->info));
  return TRUE;
}

/* Sends the caption still open at the end of the stream (on-end timing,
 * where an entry goes out only once it has ended). */
static void
finish_captions (GstCvAnalyze * self)
{
  GstCvAnalyzeCaptionTrack *track = &self->captions;

  if (self->stream_text_timing == GST_CV_ANALYZE_TEXT_TIMING_ON_END
      && track->shown && GST_CLOCK_TIME_IS_VALID (self->last_frame_end)
      && self->last_frame_end > track->start)
    gst_cv_analyze_text_output_push_text (&self->text, track->shown,
        track->start, self->last_frame_end - track->start);
  gst_cv_analyze_caption_track_reset (track);
}

static gboolean
gst_cv_analyze_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstCvAnalyze *self = GST_CV_ANALYZE (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:{
      /* Not serialized: it may race with stop(), so hold a reference.
       * Results of frames from before the flush must never be attached
       * after it. */
      GstCvAnalyzeClient *client = ref_client (self);

      /* The client first: a frame sampled after this fails to submit
       * instead of waiting (in exact mode) for an answer that a flushing
       * client will never deliver. */
      if (client) {
        gst_cv_analyze_client_set_flushing (client, TRUE);
        gst_object_unref (client);
      }
      reset_results (self);
      gst_cv_analyze_text_output_forward_event (&self->text,
          GST_ELEMENT (self), event);
      break;
    }
    case GST_EVENT_FLUSH_STOP:{
      /* Published by start(), which events may race (see transform_ip);
       * stop() is serialized with the stream lock. */
      GstCvAnalyzeClient *client = g_atomic_pointer_get (&self->client);
      gboolean stopping;

      reset_results (self);
      g_mutex_lock (&self->state_lock);
      stopping = self->stopping;
      g_mutex_unlock (&self->state_lock);
      if (client && !stopping)
        gst_cv_analyze_client_set_flushing (client, FALSE);
      self->next_sample = GST_CLOCK_TIME_NONE;
      self->last_frame_end = GST_CLOCK_TIME_NONE;
      gst_cv_analyze_caption_track_reset (&self->captions);
      scene_forget (self);
      gst_cv_analyze_thumbnails_flush (&self->thumbnails);
      gst_cv_analyze_text_output_forward_event (&self->text,
          GST_ELEMENT (self), event);
      break;
    }
    case GST_EVENT_EOS:{
      GstCvAnalyzeClient *client = g_atomic_pointer_get (&self->client);

      /* Processing a file must not lose the last caption. (Exact mode has
       * already waited for every frame it sent.) */
      if (client && self->stream_mode == GST_CV_ANALYZE_MODE_LIVE
          && !gst_cv_analyze_client_wait_idle (client, self->stream_timeout))
        GST_INFO_OBJECT (self, "results still outstanding at EOS after %"
            GST_TIME_FORMAT, GST_TIME_ARGS (self->stream_timeout));
      /* Nor the last thumbnail (exact mode waited for results only). */
      if (client && self->stream_mode == GST_CV_ANALYZE_MODE_EXACT)
        gst_cv_analyze_client_wait_thumbnail (client, self->stream_timeout);
      finish_captions (self);
      gst_cv_analyze_text_output_forward_event (&self->text,
          GST_ELEMENT (self), event);
      break;
    }
    case GST_EVENT_SEGMENT:
      /* Entries do not span segments: end the open one, and show the
       * current result afresh from the new segment's first frame. */
      finish_captions (self);
      self->last_frame_end = GST_CLOCK_TIME_NONE;
      gst_cv_analyze_text_output_forward_event (&self->text,
          GST_ELEMENT (self), event);
      break;
    case GST_EVENT_GAP:
      /* With on-end timing an open caption holds the text position at
       * its start until it ends. */
      if (self->stream_text_timing != GST_CV_ANALYZE_TEXT_TIMING_ON_END
          || !self->captions.shown)
        gst_cv_analyze_text_output_forward_event (&self->text,
            GST_ELEMENT (self), event);
      break;
    case GST_EVENT_STREAM_START:
    case GST_EVENT_CAPS:
      gst_cv_analyze_text_output_forward_event (&self->text,
          GST_ELEMENT (self), event);
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

/* Exact mode holds frames for up to 'timeout': that is this element's
 * latency. */
static gboolean
gst_cv_analyze_query (GstBaseTransform * trans, GstPadDirection direction,
    GstQuery * query)
{
  GstCvAnalyze *self = GST_CV_ANALYZE (trans);
  gboolean ret;

  ret = GST_BASE_TRANSFORM_CLASS (parent_class)->query (trans, direction,
      query);
  if (ret && direction == GST_PAD_SRC
      && GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    GstClockTime hold = 0, min, max;
    gboolean live;

    /* 'timeout' 0 holds for the service's default, as start() says. */
    GST_OBJECT_LOCK (self);
    if (self->mode == GST_CV_ANALYZE_MODE_EXACT)
      hold = self->timeout ? self->timeout :
          gst_cv_analyze_service_class_get (self->api)->default_timeout;
    GST_OBJECT_UNLOCK (self);

    /* Only the minimum: frames are held, not buffered, so this element
     * adds nothing to how much latency the pipeline can absorb. */
    gst_query_parse_latency (query, &live, &min, &max);
    min += hold;
    GST_DEBUG_OBJECT (self, "latency: live %d, min %" GST_TIME_FORMAT
        ", max %" GST_TIME_FORMAT, live, GST_TIME_ARGS (min),
        GST_TIME_ARGS (max));
    gst_query_set_latency (query, live, min, max);
  }
  return ret;
}

/* A pipeline seek reaches every sink, so it arrives on both src pads: pass
 * it upstream once. A seek that failed upstream is forgotten, so that it
 * can be tried again. */
static void
forget_seek (GstCvAnalyze * self, GstEvent * event)
{
  GST_OBJECT_LOCK (self);
  if (self->last_seek_seqnum == gst_event_get_seqnum (event))
    self->last_seek_seqnum = GST_SEQNUM_INVALID;
  GST_OBJECT_UNLOCK (self);
}

static gboolean
is_new_seek (GstCvAnalyze * self, GstEvent * event)
{
  guint32 seqnum = gst_event_get_seqnum (event);
  gboolean fresh;

  GST_OBJECT_LOCK (self);
  fresh = seqnum != self->last_seek_seqnum;
  self->last_seek_seqnum = seqnum;
  GST_OBJECT_UNLOCK (self);
  if (!fresh)
    GST_DEBUG_OBJECT (self, "seek %u already sent upstream", seqnum);
  return fresh;
}

static gboolean
gst_cv_analyze_src_event (GstBaseTransform * trans, GstEvent * event)
{
  GstCvAnalyze *self = GST_CV_ANALYZE (trans);

  GstEvent *seek = NULL;
  gboolean ret;

  if (GST_EVENT_TYPE (event) == GST_EVENT_SEEK) {
    if (!is_new_seek (self, event)) {
      gst_event_unref (event);
      return TRUE;
    }
    seek = gst_event_ref (event);
  }
  ret = GST_BASE_TRANSFORM_CLASS (parent_class)->src_event (trans, event);
  if (seek) {
    if (!ret)
      forget_seek (self, seek);
    gst_event_unref (seek);
  }
  return ret;
}

/* Upstream events from the text branch: seeks go on (once), and what is
 * about the text alone (its caps, its QoS) stays here. */
static gboolean
text_src_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstCvAnalyze *self = GST_CV_ANALYZE (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_SEEK:{
      gboolean ret;

      if (!is_new_seek (self, event)) {
        gst_event_unref (event);
        return TRUE;
      }
      ret = gst_pad_push_event (GST_BASE_TRANSFORM_SINK_PAD (self),
          gst_event_ref (event));
      if (!ret)
        forget_seek (self, event);
      gst_event_unref (event);
      return ret;
    }
    case GST_EVENT_RECONFIGURE:        /* the pad is flagged: text renegotiates */
    case GST_EVENT_QOS:
      gst_event_unref (event);
      return TRUE;
    default:
      return gst_pad_event_default (pad, parent, event);
  }
}

/* The text pad answers latency as the video does. */
static gboolean
text_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY)
    return gst_pad_query (GST_BASE_TRANSFORM_SRC_PAD (parent), query);
  return gst_pad_query_default (pad, parent, query);
}

static gboolean
upstream_is_live (GstCvAnalyze * self)
{
  if (!self->live_known) {
    GstQuery *query = gst_query_new_latency ();

    self->is_live = FALSE;
    if (gst_pad_peer_query (GST_BASE_TRANSFORM_SINK_PAD (self), query))
      gst_query_parse_latency (query, &self->is_live, NULL, NULL);
    gst_query_unref (query);
    self->live_known = TRUE;
    GST_INFO_OBJECT (self, "upstream is %slive", self->is_live ? "" : "not ");
  }
  return self->is_live;
}

/* Hands the frame to the client, waiting at most @wait for a free slot.
 * Returns whether it was queued. With @copy the client gets its own copy
 * of the pixels, for a frame that is about to be drawn on. */
/* The prompt for the frame the client takes now (called on its thread,
 * once the outcomes before it are delivered), with {previous-caption}
 * replaced by the caption currently shown (bounded: captions are capped).
 * The object lock and the state lock are taken one after the other, never
 * nested this way round: get_property holds the first to read stats. */
static gchar *
prompt_for_request (gpointer user_data)
{
  GstCvAnalyze *self = user_data;
  gchar *prompt, *previous, **parts;

  GST_OBJECT_LOCK (self);
  prompt = g_strdup (self->prompt ? self->prompt : "");
  GST_OBJECT_UNLOCK (self);
  if (strstr (prompt, PREVIOUS_CAPTION) == NULL)
    return prompt;

  g_mutex_lock (&self->state_lock);
  previous = g_strdup (self->current && self->current->caption ?
      self->current->caption : "");
  g_mutex_unlock (&self->state_lock);
  parts = g_strsplit (prompt, PREVIOUS_CAPTION, -1);
  g_free (prompt);
  prompt = g_strjoinv (previous, parts);
  g_strfreev (parts);
  g_free (previous);
  return prompt;
}

/* How long after sampling a live frame the next sample is due. */
static GstClockTime
retry_window (GstCvAnalyze * self)
{
  GstClockTime interval;

  GST_OBJECT_LOCK (self);
  interval = self->interval;
  GST_OBJECT_UNLOCK (self);
  return interval;
}

/* --- sample-mode=scene, on the streaming thread --- */

/* A new run: its mode, and nothing sent yet. */
static void
scene_start (GstCvAnalyze * self)
{
  GST_OBJECT_LOCK (self);
  self->scene.mode = self->sample_mode;
  GST_OBJECT_UNLOCK (self);
  g_clear_pointer (&self->scene.measure, gst_cv_analyze_scene_free);
  if (self->scene.mode == GST_CV_ANALYZE_SAMPLE_MODE_SCENE)
    self->scene.measure = gst_cv_analyze_scene_new ();
  scene_forget (self);
  g_mutex_lock (&self->state_lock);
  self->saved = self->scene_changes = 0;
  g_mutex_unlock (&self->state_lock);
}

/* After a flush the result is gone: the next frame due starts a scene. */
static void
scene_forget (GstCvAnalyze * self)
{
  self->scene.have_sent = FALSE;
  self->scene.verdict = FALSE;
}

/* Scene mode: whether the frame due at @now (on the sampling cadence) is
 * to be sent: the first of a stream; one that differs from the last frame
 * sent by more than scene-threshold, once min-interval has passed since
 * it; any, once max-interval has. Measures the frame (a 32x32 thumbnail)
 * only when the times leave the answer open; a frame that cannot be
 * measured is sent, as in interval mode. Always TRUE in interval mode. */
static gboolean
scene_wants_frame (GstCvAnalyze * self, GstBuffer * buf, GstClockTime now)
{
  SceneState *scene = &self->scene;
  GstClockTime min_interval, max_interval, since;
  gdouble threshold;
  GError *err = NULL;

  if (scene->mode != GST_CV_ANALYZE_SAMPLE_MODE_SCENE || scene->verdict)
    return TRUE;

  GST_OBJECT_LOCK (self);
  threshold = self->scene_threshold;
  min_interval = MAX (self->min_interval, self->interval);
  max_interval = self->max_interval;
  GST_OBJECT_UNLOCK (self);

  scene->checked_at = now;
  scene->change = !scene->have_sent;
  scene->distance = 1.0;
  since = scene->have_sent && now > scene->sent_at ? now - scene->sent_at : 0;
  if (scene->have_sent && since < min_interval)
    goto not_sent;              /* too soon to send anything */
  if (!gst_cv_analyze_scene_measure (scene->measure, buf, &self->info,
          &scene->checked, &err)) {
    GST_DEBUG_OBJECT (self, "frame not measured, sent: %s", err->message);
    g_clear_error (&err);
    scene->change = FALSE;
    scene->have_sent = FALSE;   /* nothing to compare the next one with */
    scene->verdict = TRUE;
    return TRUE;
  }
  if (scene->have_sent) {
    scene->distance = gst_cv_analyze_scene_distance (&scene->sent,
        &scene->checked);
    scene->change = scene->distance > threshold;
  }
  GST_LOG_OBJECT (self, "frame at %" GST_TIME_FORMAT ": distance %.3f",
      GST_TIME_ARGS (now), scene->distance);
  if (scene->change || (max_interval && since >= max_interval)) {
    scene->verdict = TRUE;
    return TRUE;
  }

not_sent:
  g_mutex_lock (&self->state_lock);
  self->saved++;
  g_mutex_unlock (&self->state_lock);
  return FALSE;
}

/* Scene mode: the frame going to the client (which may drop it at once),
 * and its timestamps should it start a scene; NULL in interval mode. */
static GstBuffer *
scene_keep_frame (GstCvAnalyze * self, const GstCvAnalyzeFrame * frame,
    GstCvAnalyzeSceneChange * change)
{
  GstBuffer *buf = frame->buffer;

  if (self->scene.mode != GST_CV_ANALYZE_SAMPLE_MODE_SCENE)
    return NULL;
  change->pts = frame->pts;
  change->running_time = frame->running_time;
  change->stream_time = frame->stream_time;
  change->duration = GST_BUFFER_DURATION_IS_VALID (buf) ?
      GST_BUFFER_DURATION (buf) : self->frame_duration;
  change->distance = self->scene.distance;
  return gst_buffer_ref (buf);
}

static void
post_scene_message (GstCvAnalyze * self, const GstCvAnalyzeSceneChange * c)
{
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("cvanalyze-scene",
              "timestamp", G_TYPE_UINT64, c->pts,
              "stream-time", G_TYPE_UINT64, c->stream_time,
              "running-time", G_TYPE_UINT64, c->running_time,
              "duration", G_TYPE_UINT64, c->duration,
              "distance", G_TYPE_DOUBLE, c->distance, NULL)));
}

/* A thumbnail of @buf, the frame just sent for analysis (its sample
 * number is the last one), on the streaming thread. */
static void
request_thumbnail (GstCvAnalyze * self, GstBuffer * buf, GstClockTime pts,
    GstClockTime running_time, GstClockTime stream_time,
    GstClockTime duration)
{
  GstCvAnalyzeThumbnailFrame f;
  GstCvAnalyzeBudget *budget;

  f.pts = pts;
  f.running_time = running_time;
  f.stream_time = stream_time;
  f.duration = duration;
  f.segment = GST_BASE_TRANSFORM (self)->segment;
  f.frame_width = GST_VIDEO_INFO_WIDTH (&self->info);
  f.frame_height = GST_VIDEO_INFO_HEIGHT (&self->info);
  g_mutex_lock (&self->state_lock);
  f.id = self->sample_id;
  f.generation = self->generation;
  budget = self->budget;        /* set in start(), cleared in stop() */
  g_mutex_unlock (&self->state_lock);
  gst_cv_analyze_thumbnails_submit (&self->thumbnails, self->client, budget,
      buf, &self->info, &f, upstream_is_live (self) ? 0 :
      self->stream_timeout);
}

/* Called on the streaming thread for each scene change: the first frame
 * sent, and each frame sent because it differed by more than
 * scene-threshold (not the re-checks of max-interval). @buf is the frame
 * as the client got it (read-only: the client holds it until its JPEG is
 * made; without the drawn caption), in self->info's format. Whatever is
 * done per scene hangs here. */
static void
on_scene_change (GstCvAnalyze * self, GstBuffer * buf,
    const GstCvAnalyzeSceneChange * change)
{
  GST_DEBUG_OBJECT (self, "scene change at %" GST_TIME_FORMAT
      " (distance %.3f)", GST_TIME_ARGS (change->pts), change->distance);
  post_scene_message (self, change);
  request_thumbnail (self, buf, change->pts, change->running_time,
      change->stream_time, change->duration);
}

/* Scene mode: the frame a check said to send went to the client (@queued),
 * or was skipped (no slot: the next check decides again). A frame sent is
 * what the next ones are compared with. Takes @sent. */
static void
scene_frame_taken (GstCvAnalyze * self, GstBuffer * sent,
    const GstCvAnalyzeSceneChange * change, gboolean queued)
{
  SceneState *scene = &self->scene;

  if (!sent)
    return;
  scene->verdict = FALSE;
  if (queued) {
    /* A frame that could not be measured leaves have_sent unset. */
    if (scene->change || scene->have_sent) {
      scene->sent = scene->checked;
      scene->have_sent = TRUE;
    }
    scene->sent_at = scene->checked_at;
    if (scene->change) {
      g_mutex_lock (&self->state_lock);
      self->scene_changes++;
      g_mutex_unlock (&self->state_lock);
      on_scene_change (self, sent, change);
    }
  }
  gst_buffer_unref (sent);
}

/* @pts as stream time in the current segment (@stream) or as running
 * time; NONE outside it, and in a segment that is not in time (appsrc's
 * default is bytes), whose buffers have neither. */
static GstClockTime
segment_time (GstCvAnalyze * self, GstClockTime pts, gboolean stream)
{
  GstSegment *segment = &GST_BASE_TRANSFORM_CAST (self)->segment;

  if (segment->format != GST_FORMAT_TIME)
    return GST_CLOCK_TIME_NONE;
  return stream ? gst_segment_to_stream_time (segment, GST_FORMAT_TIME, pts) :
      gst_segment_to_running_time (segment, GST_FORMAT_TIME, pts);
}

static gboolean
sample_frame (GstCvAnalyze * self, GstBuffer * buf, GstClockTime running_time,
    GstClockTime wait, gboolean copy, guint64 * id)
{
  GstCvAnalyzeFrame *frame = g_new0 (GstCvAnalyzeFrame, 1);
  GstCvAnalyzeSubmitResult res;
  GstCvAnalyzeSceneChange change;
  GstBuffer *sent;

  /* Normally a reference, not a copy: the client maps it read-only on its
   * thread and drops it as soon as the JPEG is made. */
  frame->buffer = copy ? gst_buffer_copy_deep (buf) : gst_buffer_ref (buf);
  frame->info = self->info;
  frame->pts = GST_BUFFER_PTS (buf);
  frame->running_time = running_time;
  frame->stream_time = segment_time (self, frame->pts, TRUE);
  frame->sampled_us = g_get_monotonic_time ();
  /* A live frame is retried only until the next sample is due; a
   * non-live one (which the next sample waits for) within 'timeout'. */
  frame->retry_deadline_us = frame->sampled_us + (wait == 0 ?
      retry_window (self) : self->stream_timeout) / GST_USECOND;

  g_mutex_lock (&self->state_lock);
  frame->generation = self->generation;
  frame->id = ++self->sample_id;
  self->samples++;
  g_mutex_unlock (&self->state_lock);
  if (id)
    *id = frame->id;
  sent = scene_keep_frame (self, frame, &change);

  res = gst_cv_analyze_client_submit (self->client, frame, wait);

  GST_LOG_OBJECT (self, "sampled frame %" GST_TIME_FORMAT ": %d",
      GST_TIME_ARGS (running_time), res);
  scene_frame_taken (self, sent, &change, res == GST_CV_ANALYZE_SUBMIT_QUEUED);
  /* In scene mode thumbnails come per scene (on_scene_change()). One due
   * while the breaker is open is asked for too, so that it is counted as
   * skipped (the client sends none then), and the cadence goes on. */
  if ((res == GST_CV_ANALYZE_SUBMIT_QUEUED
          || res == GST_CV_ANALYZE_SUBMIT_BREAKER_OPEN)
      && self->scene.mode == GST_CV_ANALYZE_SAMPLE_MODE_INTERVAL
      && gst_cv_analyze_thumbnails_due (&self->thumbnails, running_time))
    request_thumbnail (self, buf, GST_BUFFER_PTS (buf), running_time,
        segment_time (self, GST_BUFFER_PTS (buf), TRUE),
        GST_BUFFER_DURATION_IS_VALID (buf) ?
        GST_BUFFER_DURATION (buf) : self->frame_duration);
  if (res == GST_CV_ANALYZE_SUBMIT_QUEUED)
    return TRUE;
  g_mutex_lock (&self->state_lock);
  self->skipped++;
  g_mutex_unlock (&self->state_lock);
  return FALSE;
}

/* Exact mode: sends the frame and waits, at most 'timeout' in all, for its
 * own outcome, so that its result goes on this very buffer. A result that
 * comes later is dropped: it must not be attached to later frames as
 * theirs. (A failure that comes later is still reported.) */
static GstFlowReturn
sample_and_wait (GstCvAnalyze * self, GstBuffer * buf,
    GstClockTime running_time)
{
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = start + self->stream_timeout / GST_USECOND;
  guint generation;
  guint64 id;
  gboolean answered, flushing;

  g_mutex_lock (&self->state_lock);
  generation = self->generation;
  g_mutex_unlock (&self->state_lock);

  /* The client drops its reference once the JPEG is made, before the
   * answer: the frame is writable again when its result is attached. */
  if (!sample_frame (self, buf, running_time, self->stream_timeout, FALSE,
          &id))
    return GST_FLOW_OK;

  g_mutex_lock (&self->state_lock);
  while (self->answered_id < id && self->generation == generation
      && !self->stopping)
    if (!g_cond_wait_until (&self->outcome_cond, &self->state_lock, deadline))
      break;
  flushing = self->generation != generation || self->stopping;
  answered = !flushing && self->answered_id >= id;
  if (!answered && !flushing) {
    self->missed++;
    self->wanted_from = id + 1;
  }
  g_mutex_unlock (&self->state_lock);

  GST_LOG_OBJECT (self, "held frame %" GST_TIME_FORMAT " for %" G_GINT64_FORMAT
      " us: %s", GST_TIME_ARGS (GST_BUFFER_PTS (buf)),
      g_get_monotonic_time () - start, flushing ? "flushing" : answered ?
      "answered" : "missed");
  return flushing ? GST_FLOW_FLUSHING : GST_FLOW_OK;
}

static void
attach_result (GstCvAnalyze * self, GstBuffer * buf, Attachment * a)
{
  gint width = GST_VIDEO_INFO_WIDTH (&self->info);
  gint height = GST_VIDEO_INFO_HEIGHT (&self->info);
  guint i;

  gst_buffer_add_cv_analyze_meta_shared (buf, a->result);

  /* Region metas are in the buffer's pixels; the caps may have changed
   * size since the frame was analysed. They refer to the result's entries
   * by type and index (gst_cv_analyze_meta_get_region()): no param to copy
   * per buffer, and none that videoscale would drop. */
  for (i = 0; i < a->rois->len; i++) {
    Roi *roi = &g_array_index (a->rois, Roi, i);
    GstVideoRegionOfInterestMeta *meta;

    /* The caps have not changed size, as on almost every frame: nothing
     * to scale. */
    if (width == a->frame_width && height == a->frame_height)
      meta = gst_buffer_add_video_region_of_interest_meta_id (buf, roi->type,
          roi->x, roi->y, roi->width, roi->height);
    else
      meta = gst_buffer_add_video_region_of_interest_meta_id (buf, roi->type,
          gst_util_uint64_scale_int (roi->x, width, a->frame_width),
          gst_util_uint64_scale_int (roi->y, height, a->frame_height),
          gst_util_uint64_scale_int (roi->width, width, a->frame_width),
          gst_util_uint64_scale_int (roi->height, height, a->frame_height));
    meta->id = roi->id;
  }
}

/* The next frame due, one interval after the frame at @cadence. Stays on
 * the first sample's grid so the cadence does not drift, but never samples
 * twice to catch up after a gap. */
static void
schedule_next_sample (GstCvAnalyze * self, GstClockTime cadence)
{
  GstClockTime interval;

  GST_OBJECT_LOCK (self);
  interval = self->interval;
  GST_OBJECT_UNLOCK (self);

  if (self->next_sample == GST_CLOCK_TIME_NONE)
    self->next_sample = cadence;
  self->next_sample += interval;
  if (self->next_sample <= cadence)
    self->next_sample = cadence + interval;
  self->stream_interval = interval;
}

/* 'interval' lowered while playing: the sample scheduled on the old one
 * comes on the new one, not up to the old interval later. */
static void
follow_shorter_interval (GstCvAnalyze * self, GstClockTime interval)
{
  if (G_UNLIKELY (interval < self->stream_interval)
      && self->next_sample != GST_CLOCK_TIME_NONE) {
    self->next_sample -= self->stream_interval - interval;
    self->stream_interval = interval;
  }
}

/* Whether this frame is due for analysis: the first, then one per
 * interval of running time (in scene mode, of those one that changed). */
static gboolean
is_sample_due (GstCvAnalyze * self, GstBuffer * buf,
    GstClockTime * running_time)
{
  GstClockTime cadence;
  gboolean on_wall;

  *running_time = segment_time (self, GST_BUFFER_PTS (buf), FALSE);
  /* Buffers without a timestamp (or a segment in time) are sampled on the
   * wall clock instead; a switch between the two clocks starts the
   * cadence afresh. */
  on_wall = !GST_BUFFER_PTS_IS_VALID (buf)
      || GST_BASE_TRANSFORM_CAST (self)->segment.format != GST_FORMAT_TIME;
  if (!on_wall && !GST_CLOCK_TIME_IS_VALID (*running_time))
    return FALSE;               /* outside the segment: will be clipped */
  cadence = on_wall ? (GstClockTime) g_get_monotonic_time () * GST_USECOND :
      *running_time;
  if (on_wall != self->cadence_on_wall) {
    self->cadence_on_wall = on_wall;
    self->next_sample = GST_CLOCK_TIME_NONE;
  }
  if (self->next_sample != GST_CLOCK_TIME_NONE && cadence < self->next_sample)
    return FALSE;

  /* Scene mode: due, but too like the last frame sent. Before the budget,
   * which only frames that are sent take from. */
  if (!scene_wants_frame (self, buf, cadence)) {
    schedule_next_sample (self, cadence);
    return FALSE;
  }

  /* Due by 'interval', but beyond the budget: held back (counted once),
   * and the next frame asks again. */
  if (self->budget && !gst_cv_analyze_budget_try_take (self->budget,
          g_get_monotonic_time ())) {
    g_mutex_lock (&self->state_lock);
    self->held_back += !self->held;
    g_mutex_unlock (&self->state_lock);
    self->held = TRUE;
    return FALSE;
  }
  self->held = FALSE;

  schedule_next_sample (self, cadence);
  return TRUE;
}

/* What goes out on the text pad at this frame, per text-timing; a frame
 * that brings no text brings a GAP, except that with on-end timing an open
 * caption holds the text position at its start until it ends. */
static void
push_captions (GstCvAnalyze * self, GstCvAnalyzeCaptionChange change,
    GstClockTime pts, GstClockTime duration, const gchar * ended,
    GstClockTime ended_start, GstClockTime ended_end)
{
  GstCvAnalyzeTextOutput *out = &self->text;
  const gchar *shown = self->captions.shown;

  switch (self->stream_text_timing) {
    case GST_CV_ANALYZE_TEXT_TIMING_ON_END:
      if (ended && ended_end > ended_start)
        gst_cv_analyze_text_output_push_text (out, ended, ended_start,
            ended_end - ended_start);
      else if (change == GST_CV_ANALYZE_CAPTION_STARTED)
        /* Nothing goes out until the caption ends: a GAP up to its start
         * lets downstream sinks preroll meanwhile. */
        gst_cv_analyze_text_output_push_gap (out, pts, 0);
      if (!shown)
        gst_cv_analyze_text_output_push_gap (out, pts, duration);
      break;
    case GST_CV_ANALYZE_TEXT_TIMING_ON_CHANGE:
      if (change == GST_CV_ANALYZE_CAPTION_STARTED)
        gst_cv_analyze_text_output_push_text (out, shown, pts,
            GST_CLOCK_TIME_NONE);
      else if (change == GST_CV_ANALYZE_CAPTION_ENDED)
        gst_cv_analyze_text_output_push_text (out, "", ended_end,
            GST_CLOCK_TIME_NONE);
      else
        gst_cv_analyze_text_output_push_gap (out, pts, duration);
      break;
    default:
      if (shown)
        gst_cv_analyze_text_output_push_text (out, shown, pts, duration);
      else
        gst_cv_analyze_text_output_push_gap (out, pts, duration);
      break;
  }
}

/* Blends the current caption into the frame (overlay=true). Renders it
 * the first time only (once per caption and frame size), which costs a
 * Pango layout of at most GST_CV_ANALYZE_MAX_CAPTION_CHARS plus show-tags
 * tags, cut to three lines each. */
static void
draw_caption (GstCvAnalyze * self, GstBuffer * buf, const gchar * text)
{
  GstVideoOverlayComposition *composition;
  GstVideoFrame frame;

  if (!gst_buffer_is_writable (buf))
    return;                     /* the frame a first result raced with */

  composition = gst_cv_analyze_overlay_get_composition (styled_renderer
      (self), text, GST_VIDEO_INFO_WIDTH (&self->info),
      GST_VIDEO_INFO_HEIGHT (&self->info));

  if (!gst_video_frame_map (&frame, &self->info, buf, GST_MAP_READWRITE)) {
    GST_WARNING_OBJECT (self, "could not map frame to draw the caption");
    return;
  }
  gst_video_overlay_composition_blend (composition, &frame);
  gst_video_frame_unmap (&frame);
}

/* Follows which caption is current at this frame and shows it: on the text
 * pad and, with overlay=true, on the frame. Costs nothing when neither is
 * wanted. */
static void
output_captions (GstCvAnalyze * self, GstBuffer * buf, Attachment * current,
    gboolean overlay)
{
  GstClockTime pts = GST_BUFFER_PTS (buf), duration;
  GstClockTime ended_start, ended_end;
  gchar *ended = NULL;
  GstCvAnalyzeCaptionChange change;
  gboolean linked = gst_cv_analyze_text_output_is_linked (&self->text);

  if ((!linked && !overlay) || !GST_CLOCK_TIME_IS_VALID (pts))
    return;

  duration = GST_BUFFER_DURATION_IS_VALID (buf) ? GST_BUFFER_DURATION (buf) :
      self->frame_duration;
  self->last_frame_end = GST_CLOCK_TIME_IS_VALID (duration) ?
      pts + duration : pts;

  change = gst_cv_analyze_caption_track_update (&self->captions,
      current ? current->entry : 0, current ? current->caption : NULL, pts,
      &ended, &ended_start, &ended_end);

  GST_LOG_OBJECT (self, "frame %" GST_TIME_FORMAT ": caption %s",
      GST_TIME_ARGS (pts), GST_STR_NULL (self->captions.shown));
  if (linked)
    push_captions (self, change, pts, duration, ended, ended_start,
        ended_end);
  /* Drawn only on a frame that also carries the result it shows. */
  if (overlay && current && self->captions.shown)
    draw_caption (self, buf, self->captions.shown);
  g_free (ended);
}

/* The current result, if this buffer may take it (in passthrough the
 * buffer may be shared: attach only to our own). Call with state_lock. */
static Attachment *
acquire_current (GstCvAnalyze * self, GstBuffer * buf)
{
  if (self->current && gst_buffer_is_writable (buf))
    return g_atomic_rc_box_acquire (self->current);
  return NULL;
}

static GstFlowReturn
gst_cv_analyze_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  /* Plain casts on the per-frame path: a checked one costs a type lookup
   * a frame (GStreamer's release builds turn them off; ours keep them). */
  GstCvAnalyze *self = (GstCvAnalyze *) trans;
  GstClockTime running_time;
  Attachment *current = NULL;
  GstFlowReturn ret;
  gboolean fatal, due, hold, overlay;
  GstClockTime interval;

  /* Not started yet (see start()): the frame goes on as it came. */
  if (G_UNLIKELY (g_atomic_pointer_get (&self->client) == NULL))
    return GST_FLOW_OK;

  GST_OBJECT_LOCK (self);
  overlay = self->overlay;
  interval = self->interval;
  GST_OBJECT_UNLOCK (self);
  follow_shorter_interval (self, interval);
  /* overlay=true set while JPEG flows: nothing to draw on (refused at
   * negotiation otherwise). */
  if (G_UNLIKELY (overlay && GST_VIDEO_INFO_FORMAT (&self->info) ==
          GST_VIDEO_FORMAT_ENCODED)) {
    if (!self->overlay_refused)
      GST_ELEMENT_WARNING (self, STREAM, FORMAT,
          ("overlay=true draws on raw video, but the input is JPEG: "
              "nothing is drawn; decode it first (... ! jpegdec ! cvanalyze "
              "overlay=true)"), ("decode first: ... ! jpegdec ! "
              "cvanalyze overlay=true"));
    self->overlay_refused = TRUE;
    overlay = FALSE;
  }

  due = is_sample_due (self, buf, &running_time);
  /* Exact mode: the frame waits for its own result before it is looked
   * at; otherwise one look at the shared state is all a frame costs. */
  hold = due && self->stream_mode == GST_CV_ANALYZE_MODE_EXACT;
  g_mutex_lock (&self->state_lock);
  fatal = self->fatal;
  if (!fatal && !hold)
    current = acquire_current (self, buf);
  g_mutex_unlock (&self->state_lock);
  if (G_UNLIKELY (fatal))
    return GST_FLOW_ERROR;      /* the error message is already posted */

  if (hold) {
    ret = sample_and_wait (self, buf, running_time);
    if (ret != GST_FLOW_OK)
      return ret;
    due = FALSE;
    g_mutex_lock (&self->state_lock);
    current = acquire_current (self, buf);
    g_mutex_unlock (&self->state_lock);
  }
  if (current)
    attach_result (self, buf, current);

  /* Live mode: sample only now, as the client's reference makes the buffer
   * read-only; a frame about to get the caption drawn on it is copied, so
   * that the service never sees our own caption. */
  if (due)
    sample_frame (self, buf, running_time, upstream_is_live (self) ? 0 :
        self->stream_timeout, overlay && gst_buffer_is_writable (buf), NULL);

  output_captions (self, buf, current, overlay);
  g_clear_pointer (&current, attachment_unref);
  return GST_FLOW_OK;
}

/* --- results, on the client's thread --- */

/* Where the analysed image maps to on the frame. */
typedef struct
{
  gdouble sx, sy;               /* frame pixels per image pixel */
  gint width, height;           /* the frame's */
  guint max_regions;            /* 'max-regions' */
} FrameMap;

/* [@start, @start + @length) of the image, in frame pixels within
 * [0, @limit); FALSE when nothing of it is. Computed in doubles: the
 * service's numbers may be anything a 32-bit integer holds. */
static gboolean
map_span (gint start, gint length, gdouble scale, gint limit, gint * out,
    gint * out_length)
{
  gdouble from = start * scale, span = MAX (length, 0) * scale;

  if (from < 0) {
    span += from;
    from = 0;
  }
  *out = (gint) MIN (from, limit);
  *out_length = (gint) CLAMP (span, 0, limit - *out);
  return *out_length > 0;
}

/* The regions of @type as the service placed them, within the frame:
 * a region meta is in the buffer's pixels, so one that reaches beyond
 * the picture is cut at its edges (consumers compute x + w), and one with
 * nothing inside it is left out (its entry stays in the result). */
static void
collect_rois (GArray * rois, const GstStructure * result, const gchar * type,
    const FrameMap * map)
{
  const gchar *field = gst_cv_analyze_meta_region_field (type);
  const GValue *array = gst_structure_get_value (result, field);
  guint i, n;

  n = array ? gst_value_array_get_size (array) : 0;
  for (i = 0; i < n && rois->len < map->max_regions; i++) {
    const GstStructure *item =
        gst_value_get_structure (gst_value_array_get_value (array, i));
    Roi roi = { g_quark_from_static_string (type), i, 0, 0, 0, 0 };
    gint x, y, width, height;

    if (!gst_structure_get (item, "x", G_TYPE_INT, &x, "y", G_TYPE_INT,
            &y, "width", G_TYPE_INT, &width, "height", G_TYPE_INT,
            &height, NULL))
      continue;
    if (map_span (x, width, map->sx, map->width, &roi.x, &roi.width)
        && map_span (y, height, map->sy, map->height, &roi.y, &roi.height))
      g_array_append_val (rois, roi);
  }
}

/* Smart crops (azure-image-analysis with smartCrops) as regions of type
 * "crop", with their aspect ratio. */
static void
collect_crop_rois (GArray * rois, const GstStructure * result,
    const FrameMap * map)
{
  collect_rois (rois, result, "crop", map);
}

/* The lines read in the frame, as regions of type "text" (a fixed quark:
 * never one made from what a service sent), each with its text. */
static void
collect_text_rois (GArray * rois, const GstStructure * result,
    const FrameMap * map)
{
  collect_rois (rois, result, "text", map);
}

static Attachment *
make_attachment (const GstCvAnalyzeOutcome * o, guint max_regions)
{
  Attachment *a = g_atomic_rc_box_new0 (Attachment);
  FrameMap map = {
    o->image_width ? (gdouble) o->frame_width / o->image_width : 1,
    o->image_height ? (gdouble) o->frame_height / o->image_height : 1,
    o->frame_width, o->frame_height, max_regions
  };
  GstStructure *result = gst_structure_copy (o->result);

  /* The frame's fields go into the shared result, so that attaching it
   * copies nothing per buffer. */
  gst_structure_set (result,
      "frame-pts", G_TYPE_UINT64, o->pts,
      "first-frame-pts", G_TYPE_UINT64, o->first_pts,
      "frame-running-time", G_TYPE_UINT64, o->running_time,
      "latency", G_TYPE_UINT64, o->latency,
      "image-width", G_TYPE_INT, o->image_width,
      "image-height", G_TYPE_INT, o->image_height, NULL);
  a->result = gst_sample_new (NULL, NULL, NULL, result);
  a->frame_width = o->frame_width;
  a->frame_height = o->frame_height;
  a->rois = g_array_new (FALSE, FALSE, sizeof (Roi));
  collect_rois (a->rois, o->result, "face", &map);
  collect_rois (a->rois, o->result, "object", &map);
  collect_rois (a->rois, o->result, "dense-caption", &map);
  collect_rois (a->rois, o->result, "person", &map);
  collect_crop_rois (a->rois, o->result, &map);
  collect_text_rois (a->rois, o->result, &map);
  return a;
}

/* The message's "text": the lines read in the frame, joined by spaces
 * ("" when nothing was read or asked for). */
static void
add_read_text_field (GstStructure * s, const GstStructure * result)
{
  const gchar *text = gst_structure_get_string (result, "text");

  gst_structure_set (s, "text", G_TYPE_STRING, text ? text : "", NULL);
}

static GstMessage *
make_result_message (GstCvAnalyze * self, const GstCvAnalyzeOutcome * o)
{
  const gchar *caption = gst_structure_get_string (o->result, "caption");
  const gchar *request_id = gst_structure_get_string (o->result, "request-id");
  const GValue *tags = gst_structure_get_value (o->result, "tags");
  gdouble confidence = 0.0;
  GstStructure *s;

  gst_structure_get_double (o->result, "confidence", &confidence);
  s = gst_structure_new ("cvanalyze",
      "caption", G_TYPE_STRING, caption ? caption : "",
      "confidence", G_TYPE_DOUBLE, confidence,
      "timestamp", G_TYPE_UINT64, o->pts,
      "stream-time", G_TYPE_UINT64, o->stream_time,
      "running-time", G_TYPE_UINT64, o->running_time,
      "latency", G_TYPE_UINT64, o->latency,
      "request-id", G_TYPE_STRING, request_id ? request_id : "",
      "json", G_TYPE_STRING, o->body,
      "result", GST_TYPE_STRUCTURE, o->result, NULL);
  if (tags) {
    gst_structure_set_value (s, "tags", tags);
  } else {
    GValue empty = G_VALUE_INIT;

    g_value_init (&empty, GST_TYPE_ARRAY);
    gst_structure_take_value (s, "tags", &empty);
  }
  add_read_text_field (s, o->result);
  return gst_message_new_element (GST_OBJECT (self), s);
}

/* Adds up the tokens a chat service says it used. Call with state_lock. */
static void
add_usage (GstCvAnalyze * self, const GstStructure * result)
{
  const GstStructure *usage;
  gint n;

  if (!gst_structure_has_field_typed (result, "usage", GST_TYPE_STRUCTURE))
    return;
  usage = gst_value_get_structure (gst_structure_get_value (result, "usage"));
  if (gst_structure_get_int (usage, "prompt-tokens", &n) && n > 0)
    self->prompt_tokens += n;
  if (gst_structure_get_int (usage, "completion-tokens", &n) && n > 0)
    self->completion_tokens += n;
}

static void
handle_result (GstCvAnalyze * self, const GstCvAnalyzeOutcome * o)
{
  Attachment *a, *old = NULL;
  GstMessage *msg = NULL;
  gboolean post, advise = FALSE;
  gchar *caption;
  gboolean show_text;
  guint max_regions;

  GST_OBJECT_LOCK (self);
  post = self->post_messages;
  show_text = self->show_text;
  max_regions = self->max_regions;
  GST_OBJECT_UNLOCK (self);
  a = make_attachment (o, max_regions);
  /* Outside the lock: its cost follows the result's size. */
  caption = gst_cv_analyze_caption_text_full (o->result,
      self->entries.min_confidence, self->entries.show_tags, show_text);
  if (post)
    msg = make_result_message (self, o);

  g_mutex_lock (&self->state_lock);
  /* In exact mode a result for a frame that already went on without it
   * is late: dropped like one from before a flush. */
  if (o->generation == self->generation && o->id >= self->wanted_from) {
    old = self->current;
    a->seq = ++self->result_seq;
    /* Entries follow the results attached, in order; bounded cost. */
    a->entry = gst_cv_analyze_caption_entries_add (&self->entries,
        g_steal_pointer (&caption), &a->caption);
    self->current = a;
    a = NULL;
    self->results++;
    self->last_latency = o->latency;
    self->total_latency += o->latency;
    add_usage (self, o->result);
    advise = o->advice && g_strcmp0 (o->advice, self->last_advice) != 0;
    if (advise) {
      g_free (self->last_advice);
      self->last_advice = g_strdup (o->advice);
    }
    gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), FALSE);
  }
  g_mutex_unlock (&self->state_lock);

  g_free (caption);
  if (advise)
    GST_ELEMENT_WARNING (self, RESOURCE, READ, ("The analysis service "
            "answered, but: %s.", o->advice), (NULL));
  if (a) {                      /* flushed meanwhile, or late */
    attachment_unref (a);
    gst_clear_message (&msg);
  } else {
    g_clear_pointer (&old, attachment_unref);
    GST_DEBUG_OBJECT (self, "result for %" GST_TIME_FORMAT ": '%s'",
        GST_TIME_ARGS (o->pts), GST_STR_NULL (gst_structure_get_string
            (o->result, "caption")));
    if (msg)
      gst_element_post_message (GST_ELEMENT (self), msg);
  }

  /* Only now may a frame held for this result go on (exact mode): its
   * message must be on the bus before the frame, and so before EOS. */
  g_mutex_lock (&self->state_lock);
  if (o->generation == self->generation) {
    self->answered_id = MAX (self->answered_id, o->id);
    g_cond_broadcast (&self->outcome_cond);
  }
  g_mutex_unlock (&self->state_lock);
}

/* What went wrong, and what the user can do about it. */
static const gchar *
outcome_description (const GstCvAnalyzeOutcome * o, const gchar ** hint)
{
  switch (o->kind) {
    case GST_CV_ANALYZE_OUTCOME_HTTP_ERROR:
      *hint = o->advice ? o->advice : "";
      return "The analysis service answered with an error";
    case GST_CV_ANALYZE_OUTCOME_CONFIG_ERROR:
      *hint = o->advice ? o->advice : "check the properties";
      return "The analysis service cannot do what it is asked";
    case GST_CV_ANALYZE_OUTCOME_TIMEOUT:
      *hint = "check that the service is running, or raise 'timeout'";
      return "The analysis service did not answer in time";
    case GST_CV_ANALYZE_OUTCOME_NETWORK_ERROR:
      *hint = "check that the service is running and the endpoint is right";
      return "Could not reach the analysis service";
    case GST_CV_ANALYZE_OUTCOME_BAD_RESPONSE:
      *hint = o->advice ? o->advice : "check that the endpoint speaks the "
          "protocol 'api' names";
      return "The analysis service sent an answer that cannot be parsed or "
          "used";
    case GST_CV_ANALYZE_OUTCOME_ENCODE_ERROR:
      *hint = "the video buffer does not match its caps, or the JPEG "
          "frame is corrupt";
      return "Could not encode a frame for analysis";
    case GST_CV_ANALYZE_OUTCOME_TOO_LARGE:
      *hint = "check that the endpoint is an image-analysis service, or "
          "raise 'max-response-size' if its answers really are that large";
      return "The analysis service's answer is larger than "
          "'max-response-size' and was not read";
    case GST_CV_ANALYZE_OUTCOME_TLS_ERROR:
      *hint = o->tls_errors ? "if the service's certificate comes from a "
          "private certificate authority (a company proxy, an on-premises "
          "container, a self-hosted server), give that authority's PEM file "
          "with 'ca-file'" : "check that the endpoint's port speaks https "
          "(use http:// for a plain HTTP service) and that no proxy "
          "intercepts the connection";
      return "TLS with the analysis service failed";
    case GST_CV_ANALYZE_OUTCOME_CONNECTION_RESET:
      *hint = "the service, or a proxy, firewall or load balancer in "
          "between, dropped the request; check the service's logs";
      return "The connection to the analysis service was reset";
    case GST_CV_ANALYZE_OUTCOME_PROXY_ERROR:
      *hint = "check the proxy settings (https_proxy, http_proxy, no_proxy "
          "in the environment)";
      return "The proxy refused to connect to the analysis service";
    default:
      *hint = "";
      return "Analysis failed";
  }
}

/* The end of a warning that comes after others like it were held back. */
static gchar *
suppressed_text (guint64 suppressed)
{
  if (suppressed == 0)
    return g_strdup ("");
  return g_strdup_printf (" (%" G_GUINT64_FORMAT " more like it in the last "
      "minute were not posted; 'stats' counts them all.)", suppressed);
}

static void
handle_failure (GstCvAnalyze * self, const GstCvAnalyzeOutcome * o)
{
  gboolean report = FALSE, stale;
  const gchar *hint;
  const gchar *what = outcome_description (o, &hint);
  const gchar *detail = o->message ? o->message : "";
  const gchar *code = o->error_code ? o->error_code : "";
  guint64 suppressed = 0;
  gchar *endpoint, *repeats;

  g_mutex_lock (&self->state_lock);
  stale = o->generation != self->generation;
  if (!stale) {
    self->failed++;
    /* At most one warning per kind of failure a minute: a service that is
     * down for a week must not flood the bus; the count is in 'stats'. */
    report = gst_cv_analyze_warn_limit_check (&self->warn_limit,
        o->kind * 1000 + o->status, g_get_monotonic_time (), &suppressed);
    /* 429s teach the budget the service's rate: one warning says so, the
     * rest is the budget's work ('stats': throttled, rate). */
    if (o->status == 429) {
      report = !self->throttle_reported;
      self->throttle_reported = TRUE;
      suppressed = 0;
    }
    /* Requests still in flight after a refused key fail the same way:
     * one error is enough. */
    if (o->kind == GST_CV_ANALYZE_OUTCOME_AUTH_ERROR
        || o->kind == GST_CV_ANALYZE_OUTCOME_CONFIG_ERROR) {
      report = !self->auth_reported;
      self->auth_reported = TRUE;
    }
  }
  g_mutex_unlock (&self->state_lock);
  if (stale)
    return;
  repeats = suppressed_text (suppressed);

  GST_OBJECT_LOCK (self);
  endpoint = g_strdup (self->endpoint_in_use);
  GST_OBJECT_UNLOCK (self);

  if (report && o->kind == GST_CV_ANALYZE_OUTCOME_AUTH_ERROR) {
    /* 401: the key is wrong; 403: a key the service took, but a request
     * it forbids (a network, region or tier the resource does not
     * admit). */
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, NOT_AUTHORIZED,
        ("The analysis service at %s refused the request (HTTP %u: %s). "
            "%s (the 'key' property or %s) and that the endpoint is your "
            "resource's.", endpoint, o->status, detail, o->status == 403 ?
            "The request is forbidden, not the key unknown: check that the "
            "resource admits this network and region (its networking "
            "settings), that its tier allows what is asked, and the key" :
            "Check the key", self->service_class->key_env[0]),
        ("error code '%s'", code), ("http-status-code", G_TYPE_UINT,
            o->status, NULL));
    /* Only now stop the stream: its own "streaming stopped" error must
     * come after this one, which says what to do. */
    g_mutex_lock (&self->state_lock);
    self->fatal = TRUE;
    g_mutex_unlock (&self->state_lock);
  } else if (report && o->kind == GST_CV_ANALYZE_OUTCOME_CONFIG_ERROR) {
    gchar *said = g_strdup (detail), *todo = g_strdup (hint);

    drop_final_stop (said);
    drop_final_stop (todo);
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, SETTINGS,
        ("%s (%s, HTTP %u): %s; %s.", what, endpoint, o->status, said,
            todo), ("error code '%s'", code),
        ("http-status-code", G_TYPE_UINT, o->status, NULL));
    g_free (said);
    g_free (todo);
    g_mutex_lock (&self->state_lock);
    self->fatal = TRUE;
    g_mutex_unlock (&self->state_lock);
  } else if (report && o->kind == GST_CV_ANALYZE_OUTCOME_HTTP_ERROR) {
    GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, READ,
        ("%s (HTTP %u%s%s%s%s). Frames go on without analysis until it "
            "recovers%s%s%s.%s", what, o->status, *code ? ", " : "", code,
            *detail ? ": " : "", detail, o->status == 429 ?
            "; cvanalyze now slows down to the rate the service allows and "
            "warns no more about it ('stats': rate, throttled); set "
            "'max-rate' to your tier's limit, or a longer 'interval', to avoid "
            "these" : "",
            *hint ? "; " : "", hint, repeats),
        ("endpoint %s: %s; retry-after %u s", endpoint, detail,
            o->retry_after), ("http-status-code", G_TYPE_UINT, o->status,
            NULL));
  } else if (report) {
    GST_ELEMENT_WARNING (self, RESOURCE, READ,
        ("%s (%s): %s. Frames go on without analysis; %s.%s", what,
            endpoint, detail, hint, repeats), ("endpoint %s", endpoint));
  } else {
    GST_DEBUG_OBJECT (self, "%s: %s (repeated, not re-posted)", what, detail);
  }
  g_free (endpoint);
  g_free (repeats);

  /* A frame held for this outcome goes on after its message (exact
   * mode), as after a result. */
  g_mutex_lock (&self->state_lock);
  if (o->generation == self->generation) {
    self->answered_id = MAX (self->answered_id, o->id);
    g_cond_broadcast (&self->outcome_cond);
  }
  g_mutex_unlock (&self->state_lock);
}

/* The breaker's warnings' kind, apart from the outcomes'. */
#define BREAKER_WARNING G_MAXUINT

/* The breaker's two messages: one when it opens, one when the service
 * answers again. */
static void
report_breaker (GstCvAnalyze * self, const GstCvAnalyzeOutcome * o)
{
  guint64 suppressed = 0;
  gboolean report = FALSE;
  guint threshold;
  gchar *repeats;

  GST_OBJECT_LOCK (self);
  threshold = self->breaker_threshold;
  GST_OBJECT_UNLOCK (self);
  if (o->breaker == GST_CV_ANALYZE_BREAKER_OPENED) {
    g_mutex_lock (&self->state_lock);
    report = gst_cv_analyze_warn_limit_check (&self->warn_limit,
        BREAKER_WARNING, g_get_monotonic_time (), &suppressed);
    g_mutex_unlock (&self->state_lock);
  }
  if (report) {
    repeats = suppressed_text (suppressed);
    GST_ELEMENT_WARNING (self, RESOURCE, READ, ("The analysis service "
            "failed %u times in a row: nothing is sent to it for %g s, then "
            "one request tries it (the wait doubles while it fails, up to "
            "60 s). Frames go on without analysis; check the service, or "
            "raise 'breaker-threshold'.%s", threshold,
            (gdouble) o->breaker_cool_down / GST_SECOND, repeats), (NULL));
    g_free (repeats);
  } else if (o->breaker == GST_CV_ANALYZE_BREAKER_RECOVERED)
    GST_ELEMENT_INFO (self, RESOURCE, READ, ("The analysis service answers "
            "again: analysis resumes."), (NULL));
}

static void
on_outcome (const GstCvAnalyzeOutcome * outcome, gpointer user_data)
{
  GstCvAnalyze *self = GST_CV_ANALYZE (user_data);
  guint generation;

  if (outcome->thumbnail) {
    g_mutex_lock (&self->state_lock);
    generation = self->generation;
    g_mutex_unlock (&self->state_lock);
    gst_cv_analyze_thumbnails_handle_outcome (&self->thumbnails,
        GST_ELEMENT (self), outcome, generation);
    return;
  }
  if (outcome->kind == GST_CV_ANALYZE_OUTCOME_RESULT)
    handle_result (self, outcome);
  else
    handle_failure (self, outcome);
  report_breaker (self, outcome);
}
