/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_CV_ANALYZE_CLIENT_H__
#define __GST_CV_ANALYZE_CLIENT_H__

#include <gio/gio.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstcvanalyzebudget.h"
#include "gstcvanalyzeretry.h"
#include "gstcvanalyzeservice.h"

G_BEGIN_DECLS

/* A sampled frame on its way to the service. The client owns it once
 * submitted and drops the buffer as soon as it is encoded. */
typedef struct
{
  GstBuffer *buffer;            /* read-only reference to the video frame */
  GstVideoInfo info;            /* format GST_VIDEO_FORMAT_ENCODED for
                                 * image/jpeg: the buffer is a JPEG, info
                                 * has the caps' width and height */
  GstClockTime pts;
  GstClockTime running_time;
  GstClockTime stream_time;
  guint generation;             /* the element's flush generation */
  guint64 id;                   /* the element's sample number */
  gint64 sampled_us;            /* g_get_monotonic_time() when sampled */
  gint64 retry_deadline_us;     /* monotonic: no retry starts at or after
                                 * it (the next sample is due); 0: none */
  guint thumbnail_width;        /* gst_cv_analyze_client_submit_thumbnail(): */
  guint thumbnail_height;       /* the thumbnail's size */
} GstCvAnalyzeFrame;

typedef enum
{
  GST_CV_ANALYZE_OUTCOME_RESULT,        /* result is set */
  GST_CV_ANALYZE_OUTCOME_AUTH_ERROR,    /* 401/403: key or endpoint wrong */
  GST_CV_ANALYZE_OUTCOME_HTTP_ERROR,    /* any other non-2xx status */
  GST_CV_ANALYZE_OUTCOME_TIMEOUT,
  GST_CV_ANALYZE_OUTCOME_NETWORK_ERROR, /* refused, dropped, unresolvable */
  GST_CV_ANALYZE_OUTCOME_BAD_RESPONSE,  /* 2xx whose body does not parse */
  GST_CV_ANALYZE_OUTCOME_ENCODE_ERROR,
  GST_CV_ANALYZE_OUTCOME_TOO_LARGE,     /* 2xx body beyond max_response_size */
  GST_CV_ANALYZE_OUTCOME_TLS_ERROR,     /* handshake failed or stalled, or the
                                         * certificate refused (tls_errors) */
  GST_CV_ANALYZE_OUTCOME_CONNECTION_RESET,      /* reset after connecting */
  GST_CV_ANALYZE_OUTCOME_PROXY_ERROR,   /* the proxy refused the tunnel */
  GST_CV_ANALYZE_OUTCOME_CONFIG_ERROR,  /* repeats on every frame: a model
                                         * that does not exist, a feature
                                         * the region lacks */
} GstCvAnalyzeOutcomeKind;

/* What became of one frame, delivered on the client's thread. */
typedef struct
{
  GstCvAnalyzeOutcomeKind kind;
  GstClockTime pts;
  GstClockTime running_time;
  GstClockTime stream_time;
  GstClockTime first_pts;       /* the oldest frame sent with it (several
                                 * frames per request), else pts */
  guint generation;
  guint64 id;                   /* the frame's sample number */
  gint frame_width;             /* size of the analysed video frame */
  gint frame_height;
  gint image_width;             /* size of the JPEG that was sent */
  gint image_height;
  GstClockTime latency;         /* from sampling to the answer */
  guint status;                 /* HTTP status, 0 when there was none */
  guint retry_after;            /* seconds, from Retry-After or
                                 * retry-after-ms (rounded up), 0 if absent */
  GTlsCertificateFlags tls_errors;      /* why the certificate was refused */
  GstCvAnalyzeBreakerEvent breaker;     /* what this outcome did to it */
  GstClockTime breaker_cool_down;       /* OPENED: how long nothing goes */
  GstStructure *result;         /* parsed result (RESULT only) */
  gchar *body;                  /* response text as received (at most
                                 * max_response_size bytes), or NULL */
  gchar *error_code;            /* the service's error code, if it sent one */
  gchar *message;               /* what went wrong, for the user; any text
                                 * from the service in it is made safe */
  gchar *advice;                /* nullable: what the user can do; with a
                                 * result, a warning to post with it */
  gboolean thumbnail;           /* of a frame submitted for a thumbnail:
                                 * result (nullable) and thumbnail_jpeg
                                 * are what the service answered */
  GBytes *image;                /* thumbnail: the JPEG sent */
  GBytes *thumbnail_jpeg;       /* thumbnail: the service's, or NULL */
} GstCvAnalyzeOutcome;

typedef void (*GstCvAnalyzeOutcomeFunc) (const GstCvAnalyzeOutcome * outcome,
    gpointer user_data);

typedef enum
{
  GST_CV_ANALYZE_SUBMIT_QUEUED,
  GST_CV_ANALYZE_SUBMIT_REPLACED,       /* queued, an older waiting frame dropped */
  GST_CV_ANALYZE_SUBMIT_BUSY,           /* max-in-flight reached: frame dropped */
  GST_CV_ANALYZE_SUBMIT_BACKOFF,        /* service asked to wait (429) */
  GST_CV_ANALYZE_SUBMIT_BREAKER_OPEN,   /* the service keeps failing: not
                                         * sent until the cool-down ends */
  GST_CV_ANALYZE_SUBMIT_FLUSHING,
} GstCvAnalyzeSubmitResult;

typedef struct
{
  GstCvAnalyzeService *service; /* taken over by the client */
  gchar *key;                   /* nullable; sent only as the service's
                                 * auth header */
  guint frames_per_request;     /* the last N JPEGs go in one request */
  /* nullable: the prompt for the frame being encoded, on the client's
   * thread (after the outcomes before it were delivered) */
  gchar *(*make_prompt) (gpointer user_data);
  GstClockTime timeout;         /* per request */
  guint max_in_flight;
  guint max_dimension;
  gint jpeg_quality;
  gsize max_response_size;      /* bytes of a 2xx body kept at most */
  GTlsDatabase *tls_database;   /* nullable: the system's trust store */
  gboolean direct;              /* no proxy: the endpoint is on loopback */
  GstCvAnalyzeRetryPolicy retry;        /* transient failures */
  guint breaker_threshold;      /* transient failures in a row that open
                                 * the breaker; 0: never */
  GstCvAnalyzeBudget *budget;   /* nullable: the rate budget retries take
                                 * from and a 429 pauses; the client takes
                                 * a reference */
} GstCvAnalyzeClientConfig;

/* Error bodies are read up to this many bytes (enough for any of Azure's
 * error JSON); what goes beyond is not read. */
#define GST_CV_ANALYZE_ERROR_BODY_LIMIT (64 * 1024)

/* A key at least this long is hidden wherever the service quotes it
 * (asterisks instead); a shorter one would hide ordinary words. */
#define GST_CV_ANALYZE_MIN_HIDDEN_KEY_LENGTH 8

/* Most frames in one request. */
#define GST_CV_ANALYZE_MAX_FRAMES_PER_REQUEST 8

/* Longest wait for a TLS handshake (or the request's timeout, if shorter):
 * https to a port that does not speak TLS may otherwise wait for the whole
 * timeout, and then look like a slow service. */
#define GST_CV_ANALYZE_TLS_HANDSHAKE_TIMEOUT (3 * GST_SECOND)

#define GST_TYPE_CV_ANALYZE_CLIENT (gst_cv_analyze_client_get_type ())
G_DECLARE_FINAL_TYPE (GstCvAnalyzeClient, gst_cv_analyze_client, GST,
    CV_ANALYZE_CLIENT, GstObject)

GstCvAnalyzeClient *gst_cv_analyze_client_new (const GstCvAnalyzeClientConfig * config,
    GstCvAnalyzeOutcomeFunc func, gpointer user_data);

GstCvAnalyzeSubmitResult gst_cv_analyze_client_submit (GstCvAnalyzeClient * client,
    GstCvAnalyzeFrame * frame, GstClockTime wait);

GstCvAnalyzeSubmitResult gst_cv_analyze_client_submit_thumbnail (
    GstCvAnalyzeClient * client, GstCvAnalyzeFrame * frame,
    GstClockTime wait);

gboolean gst_cv_analyze_client_thumbnail_busy (GstCvAnalyzeClient * client);

gboolean gst_cv_analyze_client_wait_thumbnail (GstCvAnalyzeClient * client,
    GstClockTime timeout);

void     gst_cv_analyze_client_set_flushing (GstCvAnalyzeClient * client,
    gboolean flushing);

gboolean gst_cv_analyze_client_wait_idle (GstCvAnalyzeClient * client,
    GstClockTime timeout);

guint64  gst_cv_analyze_client_get_requests_sent (GstCvAnalyzeClient * client);

guint64  gst_cv_analyze_client_get_retries (GstCvAnalyzeClient * client);

guint64  gst_cv_analyze_client_get_throttled (GstCvAnalyzeClient * client);

GstCvAnalyzeBreakerState gst_cv_analyze_client_get_breaker_state (
    GstCvAnalyzeClient * client);

void     gst_cv_analyze_client_get_breaker_stats (GstCvAnalyzeClient * client,
    guint64 * openings, GstClockTime * open_time);

void     gst_cv_analyze_client_stop (GstCvAnalyzeClient * client);

void     gst_cv_analyze_frame_free (GstCvAnalyzeFrame * frame);

G_END_DECLS

#endif /* __GST_CV_ANALYZE_CLIENT_H__ */
