/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The client owns everything that talks to the service: one thread with its
 * own GMainContext, on which the frames are JPEG-encoded and the libsoup
 * session sends them, as souphttpclientsink does. The streaming thread only
 * hands a frame over (gst_cv_analyze_client_submit()) and goes on.
 *
 * Slots: at most max-in-flight frames are between submit and outcome
 * (waiting, encoding or on the wire). One frame at most waits to be encoded;
 * a newer live sample replaces it, so a camera's buffers are held no longer
 * than an encode takes. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>
#include <libsoup/soup.h>

#include "gstcvanalyzeclient.h"
#include "gstcvanalyzeencoder.h"
#include "gstcvanalyzeratelimit.h"
#include "gstcvanalyzesafetext.h"

GST_DEBUG_CATEGORY_STATIC (cv_analyze_client_debug);
#define GST_CAT_DEFAULT cv_analyze_client_debug

struct _GstCvAnalyzeClient
{
  GstObject parent;

  GstCvAnalyzeClientConfig config;
  GstCvAnalyzeOutcomeFunc func;
  gpointer user_data;

  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  SoupSession *session;         /* used on the client's thread only */

  /* protected by lock */
  GMutex lock;
  GCond cond;
  gboolean running;
  gboolean flushing;
  GstCvAnalyzeFrame *pending;   /* waiting to be encoded */
  gboolean pending_scheduled;
  GstCvAnalyzeFrame *thumbnail_pending; /* waiting to be encoded */
  gboolean thumbnail_busy;      /* one thumbnail between submit and outcome */
  guint in_flight;              /* pending + encoding + on the wire */
  GList *requests;              /* Request on the wire */
  gint64 backoff_until_us;      /* honour the service's Retry-After */
  guint epoch;                  /* bumped by every flush */
  guint64 requests_sent;
  guint64 retries;              /* frames sent again after a failure */
  guint64 throttled;            /* answers 429 */
  gint64 last_answer_us;        /* how long the last answer took */
  GstCvAnalyzeBreaker breaker;

  /* The client's thread only: the JPEGs of the last frames, oldest first,
   * that go with the next one (frames_per_request - 1 at most). */
  GstCvAnalyzeImage history[GST_CV_ANALYZE_MAX_FRAMES_PER_REQUEST - 1];
  GstClockTime history_pts[GST_CV_ANALYZE_MAX_FRAMES_PER_REQUEST - 1];
  guint n_history;
  guint history_epoch;
};

G_DEFINE_TYPE (GstCvAnalyzeClient, gst_cv_analyze_client, GST_TYPE_OBJECT);

typedef struct
{
  GstCvAnalyzeClient *client;
  GstCvAnalyzeOutcome outcome;
  gint64 sampled_us;
  SoupMessage *msg;
  GCancellable *cancellable;    /* cancels sending and reading the body */
  GSource *timeout_source;      /* the whole request, 'timeout' */
  GstClockTime timeout;         /* its length (a retry's ends by the
                                 * frame's deadline) */
  GSource *handshake_source;    /* the TLS handshake, while it runs */
  gboolean timed_out;           /* one of the two cancelled it */
  gboolean handshaking;         /* a TLS handshake is under way */
  gboolean tunnelling;          /* a proxy's CONNECT is not answered yet */
  gboolean holds_slot;          /* under the lock; a flush releases it early */
  gboolean thumbnail;           /* a thumbnail request: no slot, no retry */
  gboolean holds_thumbnail;     /* under the lock: it is the pending one (a
                                 * flush releases it early) */
  guint thumbnail_width, thumbnail_height;
  guint epoch;                  /* the client's, when the frame was taken */
  gint64 sent_us;               /* when the last exchange went out */

  /* What the service is asked about, kept to ask again (RESEND, POLL). */
  GstCvAnalyzeImage images[GST_CV_ANALYZE_MAX_FRAMES_PER_REQUEST];
  guint n_images;
  gchar *prompt;
  gboolean resent;              /* the service changed how it asks, once */
  gchar *poll_url;              /* GET this next, after POLL_INTERVAL */
  GSource *poll_source;
  GSource *poll_cancel_source;  /* a flush or stop ends that wait */
  guint step;                   /* of the service's requests for the frames */
  GstStructure *partial;        /* the result of the earlier steps */

  /* Sending the same frames again after a transient failure. */
  gint64 retry_deadline_us;     /* the frame's */
  guint retries;                /* made so far */
  gboolean retryable;           /* this failure may go away */
  guint64 retry_after_ms;       /* the service asked to wait, 0: no */
  GSource *retry_source;        /* the wait before the retry */
  GSource *retry_cancel_source; /* a flush or stop ends that wait */
  gboolean cut_short;           /* this retry's timeout is the frame's
                                 * deadline, shorter than 'timeout' */
  GstCvAnalyzeOutcome retried;  /* the failure being retried (its kind,
                                 * status and texts) */

  /* The response body, read into a buffer allocated once at its final
   * size (the announced length, or body_limit, plus BODY_MIN_READ bytes):
   * reading beyond the limit tells an oversized body. */
  GInputStream *stream;
  gchar *body;
  gsize body_len;
  gsize body_alloc;
  gsize body_limit;
  gboolean body_complete;       /* read to its end */
  gboolean body_overflow;       /* longer than body_limit: not kept */
} Request;

/* Fewest bytes asked for at once: libsoup 3.2 reads a chunked body's
 * trailer line into the caller's buffer and fails on one of 1 or 2 bytes. */
#define BODY_MIN_READ 4096
/* Between two polls of an operation (Azure's Read API asks for about one
 * a second); all of them stay within the request's timeout. */
#define POLL_INTERVAL (GST_SECOND)
/* Least time a retry needs before the frame's deadline (or as long as the
 * service's last answer took, if longer): a retry with less would only
 * time out, and cost a request of the budget. */
#define RETRY_MIN_WINDOW_US (50 * G_TIME_SPAN_MILLISECOND)
/* Longest Retry-After honoured: longer is a quota, not a pause, and is
 * reported as such (the OpenAI SDK draws the line at 120 s too). */
#define MAX_RETRY_AFTER_S 3600

/* What a finished answer asks the client to do next. */
typedef enum
{
  NEXT_DELIVER,
  NEXT_RESEND,
  NEXT_POLL,
  NEXT_STEP,
} NextStep;

void
gst_cv_analyze_frame_free (GstCvAnalyzeFrame * frame)
{
  if (frame == NULL)
    return;
  gst_clear_buffer (&frame->buffer);
  g_free (frame);
}

static void
outcome_init_from_frame (GstCvAnalyzeOutcome * outcome,
    const GstCvAnalyzeFrame * frame)
{
  memset (outcome, 0, sizeof (*outcome));
  outcome->pts = frame->pts;
  outcome->running_time = frame->running_time;
  outcome->stream_time = frame->stream_time;
  outcome->first_pts = frame->pts;
  outcome->generation = frame->generation;
  outcome->id = frame->id;
  outcome->frame_width = GST_VIDEO_INFO_WIDTH (&frame->info);
  outcome->frame_height = GST_VIDEO_INFO_HEIGHT (&frame->info);
  outcome->thumbnail = frame->thumbnail_width > 0;
}

static void
outcome_clear (GstCvAnalyzeOutcome * outcome)
{
  g_clear_pointer (&outcome->result, gst_structure_free);
  g_clear_pointer (&outcome->body, g_free);
  g_clear_pointer (&outcome->error_code, g_free);
  g_clear_pointer (&outcome->message, g_free);
  g_clear_pointer (&outcome->advice, g_free);
  g_clear_pointer (&outcome->image, g_bytes_unref);
  g_clear_pointer (&outcome->thumbnail_jpeg, g_bytes_unref);
}

/* Moves what says how a request failed from @from to @to. */
static void
move_failure (GstCvAnalyzeOutcome * to, GstCvAnalyzeOutcome * from)
{
  to->kind = from->kind;
  to->status = from->status;
  to->retry_after = from->retry_after;
  to->tls_errors = from->tls_errors;
  g_free (to->message);
  to->message = g_steal_pointer (&from->message);
  g_free (to->error_code);
  to->error_code = g_steal_pointer (&from->error_code);
  g_free (to->advice);
  to->advice = g_steal_pointer (&from->advice);
  from->retry_after = 0;
  from->tls_errors = 0;
}

/* Called on the client's thread. The outcome is handed to the element
 * before the slot is released, so that whoever waits for an idle client
 * (EOS) finds every result already posted. */
static void
finish_slot (GstCvAnalyzeClient * self, GstCvAnalyzeOutcome * outcome,
    Request * req)
{
  if (outcome) {
    outcome->latency = (g_get_monotonic_time () - req->sampled_us) *
        GST_USECOND;
    self->func (outcome, self->user_data);
  }

  g_mutex_lock (&self->lock);
  if (req->holds_slot) {
    g_assert (self->in_flight > 0);
    self->in_flight--;
    req->holds_slot = FALSE;
  }
  if (req->holds_thumbnail) {
    self->thumbnail_busy = FALSE;
    req->holds_thumbnail = FALSE;
  }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* How long the service asked us to wait, in ms (0: it did not say):
 * retry-after-ms (OpenAI, Azure OpenAI) first, then Retry-After as
 * seconds (Azure; a fraction is allowed) or as an HTTP date. */
static guint64
parse_retry_after_ms (SoupMessage * msg)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  const gchar *ms = soup_message_headers_get_one (headers, "retry-after-ms");
  const gchar *value = soup_message_headers_get_one (headers, "Retry-After");
  gdouble number;
  gchar *end;
  GDateTime *date, *now;
  gint64 wait_us;

  if (ms) {
    number = g_ascii_strtod (ms, &end);
    if (end != ms && *end == '\0' && number > 0
        && number <= MAX_RETRY_AFTER_S * 1000.0)
      return (guint64) ceil (number);
  }
  if (value == NULL)
    return 0;
  number = g_ascii_strtod (value, &end);
  if (end != value && *end == '\0')
    return number > 0 && number <= MAX_RETRY_AFTER_S ?
        (guint64) ceil (number * 1000) : 0;

  date = soup_date_time_new_from_http_string (value);
  if (date == NULL)
    return 0;
  now = g_date_time_new_now_utc ();
  wait_us = g_date_time_difference (date, now);
  g_date_time_unref (now);
  g_date_time_unref (date);
  if (wait_us <= 0 || wait_us > (gint64) MAX_RETRY_AFTER_S * G_USEC_PER_SEC)
    return 0;
  return (guint64) ((wait_us + 999) / 1000);
}

/* Text from the service, or from an error that may quote it, as it may
 * be shown to a user. */
static gchar *
safe_message (const gchar * text)
{
  return gst_cv_analyze_safe_text (text ? text : "", -1,
      GST_CV_ANALYZE_MAX_MESSAGE_CHARS);
}

/* Overwrites every copy of the key in @text (@length bytes) with
 * asterisks. A service may quote the key it was sent ("Access denied for
 * key '...'"), in an error body, a caption or a reason phrase; the client
 * is the only code that knows the key, so it hides it here, before a
 * service, a log line, a message or an application sees what was sent.
 * A key shorter than GST_CV_ANALYZE_MIN_HIDDEN_KEY_LENGTH is not looked
 * for: hiding every "ollama" would garble answers, and it is no secret. */
static void
hide_key (GstCvAnalyzeClient * self, gchar * text, gsize length)
{
  const gchar *key = self->config.key;
  gsize n = key ? strlen (key) : 0;
  gchar *p = text, *end = text + length;

  if (text == NULL || n < GST_CV_ANALYZE_MIN_HIDDEN_KEY_LENGTH)
    return;
  while ((gsize) (end - p) >= n
      && (p = memchr (p, key[0], end - p - n + 1)) != NULL) {
    if (memcmp (p, key, n) == 0) {
      memset (p, '*', n);
      p += n;
    } else {
      p++;
    }
  }
}

/* The answer's media type, without parameters; NULL if none. */
static const gchar *
response_type (SoupMessage * msg)
{
  return soup_message_headers_get_content_type
      (soup_message_get_response_headers (msg), NULL);
}

/* @body past its leading blanks. */
static const gchar *
skip_blanks (const gchar * body)
{
  while (g_ascii_isspace (*body))
    body++;
  return body;
}

/* Whether the answer is an image (azure-cv's thumbnails), not text. */
static gboolean
is_image_body (Request * req)
{
  const gchar *type = response_type (req->msg);

  return type != NULL && g_ascii_strncasecmp (type, "image/", 6) == 0;
}

/* The response's reason phrase, safe and without the key. */
static gchar *
reason_message (GstCvAnalyzeClient * self, Request * req)
{
  gchar *reason = g_strdup (soup_message_get_reason_phrase (req->msg));
  gchar *safe;

  hide_key (self, reason, reason ? strlen (reason) : 0);
  safe = safe_message (reason);
  g_free (reason);
  return safe;
}

static gchar *
describe_certificate_errors (GTlsCertificateFlags errors)
{
  static const struct
  {
    GTlsCertificateFlags flag;
    const gchar *text;
  } reasons[] = {
    {G_TLS_CERTIFICATE_UNKNOWN_CA, "it is not signed by a trusted "
          "certificate authority"},
    {G_TLS_CERTIFICATE_BAD_IDENTITY, "it was issued for another host name"},
    {G_TLS_CERTIFICATE_NOT_ACTIVATED, "it is not valid yet"},
    {G_TLS_CERTIFICATE_EXPIRED, "it has expired"},
    {G_TLS_CERTIFICATE_REVOKED, "it has been revoked"},
    {G_TLS_CERTIFICATE_INSECURE, "it uses an insecure algorithm"},
    {G_TLS_CERTIFICATE_GENERIC_ERROR, "it could not be verified"},
  };
  GString *text = g_string_new ("the service's TLS certificate is not "
      "trusted: ");
  const gchar *sep = "";
  guint i;

  for (i = 0; i < G_N_ELEMENTS (reasons); i++) {
    if (errors & reasons[i].flag) {
      g_string_append_printf (text, "%s%s", sep, reasons[i].text);
      sep = ", ";
    }
  }
  return g_string_free (text, FALSE);
}

static GstClockTime
handshake_timeout (GstCvAnalyzeClient * self)
{
  return MIN (self->config.timeout, GST_CV_ANALYZE_TLS_HANDSHAKE_TIMEOUT);
}

/* The outcome of a request that failed before or while its body was read.
 * Returns FALSE when nobody wants it (cancelled by a flush or a stop). */
static gboolean
fill_error_outcome (GstCvAnalyzeClient * self, Request * req,
    const GError * err)
{
  GstCvAnalyzeOutcome *outcome = &req->outcome;
  gboolean cancelled = g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* A timer may fire after the answer is in but before this runs: only a
   * request it actually cancelled timed out. A retry cut short by the
   * frame's deadline (the next sample is due) was not given 'timeout':
   * what the user must hear is the failure that made it retry. */
  if (cancelled && req->timed_out && req->cut_short) {
    move_failure (outcome, &req->retried);
  } else if (cancelled && req->timed_out && req->handshaking) {
    outcome->kind = GST_CV_ANALYZE_OUTCOME_TLS_ERROR;
    outcome->message = g_strdup_printf ("the TLS handshake did not finish "
        "within %g s", (gdouble) handshake_timeout (self) / GST_SECOND);
  } else if (cancelled && req->timed_out) {
    outcome->kind = GST_CV_ANALYZE_OUTCOME_TIMEOUT;
    /* An operation still running is slow, not lost: asking again would
     * only stretch 'timeout'. */
    req->retryable = req->poll_url == NULL;
    outcome->message = g_strdup_printf (req->poll_url ? "the operation it "
        "started was still running after %g s" : "no answer within %g s",
        (gdouble) req->timeout / GST_SECOND);
  } else if (cancelled) {
    GST_DEBUG_OBJECT (self, "request cancelled");
    return FALSE;
  } else if (err->domain == G_TLS_ERROR) {
    outcome->kind = GST_CV_ANALYZE_OUTCOME_TLS_ERROR;
    outcome->tls_errors =
        soup_message_get_tls_peer_certificate_errors (req->msg);
    outcome->message = outcome->tls_errors ?
        describe_certificate_errors (outcome->tls_errors) :
        safe_message (err->message);
  } else if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED)) {
    /* ECONNRESET (and EPIPE) */
    outcome->kind = GST_CV_ANALYZE_OUTCOME_CONNECTION_RESET;
    outcome->message = safe_message (err->message);
    req->retryable = TRUE;
  } else {
    outcome->kind = GST_CV_ANALYZE_OUTCOME_NETWORK_ERROR;
    outcome->message = safe_message (err->message);
    /* A service restarting refuses for a moment; a name that does not
     * resolve will not resolve on a second try. */
    req->retryable = g_error_matches (err, G_IO_ERROR,
        G_IO_ERROR_CONNECTION_REFUSED);
  }
  if (outcome->message)
    hide_key (self, outcome->message, strlen (outcome->message));
  return TRUE;
}

/* Whether a 403's @message says the call quota is used up, not that the
 * key is refused. */
static gboolean
says_quota_used_up (const gchar * message)
{
  gchar *lower = message ? g_ascii_strdown (message, -1) : NULL;
  gboolean quota = lower && strstr (lower, "quota") != NULL;

  g_free (lower);
  return quota;
}

/* Makes @outcome of what the service made of its answer; returns what
 * to do next. */
static NextStep
take_reply (Request * req, GstCvAnalyzeReply * reply)
{
  GstCvAnalyzeOutcome *outcome = &req->outcome;
  gboolean success = SOUP_STATUS_IS_SUCCESSFUL (outcome->status);
  gchar status[16];

  switch (reply->kind) {
    case GST_CV_ANALYZE_REPLY_RESULT:
      outcome->kind = GST_CV_ANALYZE_OUTCOME_RESULT;
      outcome->result = g_steal_pointer (&reply->result);
      outcome->thumbnail_jpeg = g_steal_pointer (&reply->image);
      break;
    case GST_CV_ANALYZE_REPLY_RESEND:
      if (!req->resent) {
        req->resent = TRUE;
        return NEXT_RESEND;
      }
      outcome->kind = success ? GST_CV_ANALYZE_OUTCOME_BAD_RESPONSE :
          GST_CV_ANALYZE_OUTCOME_HTTP_ERROR;
      break;
    case GST_CV_ANALYZE_REPLY_POLL:
      /* The result of the earlier steps waits for the operation's. */
      req->partial = g_steal_pointer (&reply->partial);
      if (reply->poll_url) {
        g_free (req->poll_url);
        req->poll_url = g_steal_pointer (&reply->poll_url);
      }
      if (req->poll_url != NULL)
        return NEXT_POLL;
      outcome->kind = GST_CV_ANALYZE_OUTCOME_BAD_RESPONSE;
      break;
    case GST_CV_ANALYZE_REPLY_NEXT:
      req->partial = g_steal_pointer (&reply->result);
      req->step++;
      g_clear_pointer (&req->poll_url, g_free);
      return NEXT_STEP;
    case GST_CV_ANALYZE_REPLY_FATAL:
      outcome->kind = GST_CV_ANALYZE_OUTCOME_CONFIG_ERROR;
      break;
    case GST_CV_ANALYZE_REPLY_FAILED:
      outcome->kind = success ? GST_CV_ANALYZE_OUTCOME_BAD_RESPONSE :
          GST_CV_ANALYZE_OUTCOME_HTTP_ERROR;
      break;
  }
  /* The key or endpoint is wrong, whatever the service calls it; but a
   * 403 that says the quota is used up (Azure's "Out of call volume
   * quota") came with a good key: the video goes on, and analysis when
   * the quota is replenished. */
  if (outcome->status == SOUP_STATUS_FORBIDDEN
      && says_quota_used_up (reply->message)) {
    outcome->kind = GST_CV_ANALYZE_OUTCOME_HTTP_ERROR;
    if (reply->advice == NULL)
      reply->advice = g_strdup ("the resource's call quota is used up (the "
          "service's message says when it is replenished; Azure's free F0 "
          "tier allows 5000 calls a month): analysis resumes then, or move "
          "the resource to a paid tier");
  } else if (outcome->status == SOUP_STATUS_UNAUTHORIZED
      || outcome->status == SOUP_STATUS_FORBIDDEN)
    outcome->kind = GST_CV_ANALYZE_OUTCOME_AUTH_ERROR;
  outcome->error_code = g_steal_pointer (&reply->code);
  /* Azure's gateway gives the status as its code: "HTTP 404, 404" would
   * say nothing more. */
  g_snprintf (status, sizeof (status), "%u", outcome->status);
  if (g_strcmp0 (outcome->error_code, status) == 0)
    g_clear_pointer (&outcome->error_code, g_free);
  outcome->message = g_steal_pointer (&reply->message);
  outcome->advice = g_steal_pointer (&reply->advice);
  return NEXT_DELIVER;
}

/* What an answer of the service's says of its rate limit, for the whole
 * group: its 429 or not (the budget learns a rate from them), and what
 * its x-ratelimit-* headers say is left. */
static void
learn_rate_limit (GstCvAnalyzeClient * self, Request * req)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (req->msg);
  const gchar *remaining_text = soup_message_headers_get_one (headers,
      "x-ratelimit-remaining-requests");
  const gchar *reset_text = soup_message_headers_get_one (headers,
      "x-ratelimit-reset-requests");
  gint64 now_us = g_get_monotonic_time (), reset_us;
  gboolean throttled = req->outcome.status == 429;
  guint64 remaining;

  g_mutex_lock (&self->lock);
  self->throttled += throttled;
  self->last_answer_us = now_us - req->sent_us;
  g_mutex_unlock (&self->lock);
  if (self->config.budget == NULL)
    return;
  gst_cv_analyze_budget_answered (self->config.budget, req->sent_us, now_us,
      throttled);
  if (remaining_text == NULL)
    return;
  if (gst_cv_analyze_rate_limit_read (remaining_text, reset_text,
          &remaining, &reset_us)) {
    GST_LOG_OBJECT (self, "%" G_GUINT64_FORMAT " requests left for %"
        G_GINT64_FORMAT " ms", remaining, reset_us / 1000);
    gst_cv_analyze_budget_spread (self->config.budget, now_us, remaining,
        reset_us);
  } else {
    gchar *said = g_strdup_printf ("%s / %s", remaining_text,
        reset_text ? reset_text : "(none)");
    gchar *safe;

    hide_key (self, said, strlen (said));
    safe = gst_cv_analyze_safe_text (said, -1,
        GST_CV_ANALYZE_RATE_LIMIT_MAX_VALUE * 2 + 8);

    GST_DEBUG_OBJECT (self, "x-ratelimit-*-requests not understood, "
        "ignored: %s", safe);
    g_free (safe);
    g_free (said);
  }
}

/* Whether a success answer is a web page: a web server on the port (the
 * wrong one, a captive portal) answers 200 with HTML, which the service's
 * parser can only say does not parse at some offset. JSON never starts
 * with '<'. */
static gboolean
is_web_page (SoupMessage * msg, const gchar * body)
{
  const gchar *type = response_type (msg);

  return *skip_blanks (body) == '<' || g_strcmp0 (type, "text/html") == 0
      || g_strcmp0 (type, "application/xhtml+xml") == 0;
}

/* Whether a success answer is server-sent events ("data: {...}" lines):
 * a chat server or gateway that streams when not asked (cvanalyze sends
 * no "stream"), which the parser can only call a second JSON value. */
static gboolean
is_event_stream (SoupMessage * msg, const gchar * body)
{
  const gchar *type = response_type (msg);

  body = skip_blanks (body);
  return g_str_has_prefix (body, "data:") || g_str_has_prefix (body, "event:")
      || g_strcmp0 (type, "text/event-stream") == 0;
}

/* The outcome of a request whose status line and body (as far as it is
 * kept) are in, or what to send next. */
static NextStep
fill_http_outcome (GstCvAnalyzeClient * self, Request * req)
{
  GstCvAnalyzeOutcome *outcome = &req->outcome;
  gsize size = req->body_len;
  GstCvAnalyzeReply reply;
  NextStep next;
  guint64 retry_after_ms;

  outcome->status = soup_message_get_status (req->msg);
  if (req->body && !req->body_overflow) {
    req->body[size] = '\0';     /* the last read had room: see read_body */
    /* An image cannot quote it; a thumbnail's error body or Image
     * Analysis' JSON thumbnail answer can. */
    if (!is_image_body (req))
      hide_key (self, req->body, size);
    outcome->body = g_steal_pointer (&req->body);
  } else {
    outcome->body = g_strdup ("");
    size = 0;
  }

  if (SOUP_STATUS_IS_SUCCESSFUL (outcome->status) && req->body_overflow) {
    outcome->kind = GST_CV_ANALYZE_OUTCOME_TOO_LARGE;
    outcome->message = g_strdup_printf ("the answer has more than %"
        G_GSIZE_FORMAT " bytes", req->body_limit);
    return NEXT_DELIVER;
  }

  /* The proxy's answer to CONNECT, not the service's (whose 403 would
   * otherwise blame the key). */
  if (req->tunnelling) {
    gchar *reason = reason_message (self, req);

    outcome->kind = GST_CV_ANALYZE_OUTCOME_PROXY_ERROR;
    outcome->message = g_strdup_printf ("HTTP %u: %s", outcome->status,
        reason);
    g_free (reason);
    return NEXT_DELIVER;
  }

  learn_rate_limit (self, req);
  if (req->body_overflow) {
    gchar *reason = reason_message (self, req);

    outcome->kind = outcome->status == SOUP_STATUS_UNAUTHORIZED
        || outcome->status == SOUP_STATUS_FORBIDDEN ?
        GST_CV_ANALYZE_OUTCOME_AUTH_ERROR : GST_CV_ANALYZE_OUTCOME_HTTP_ERROR;
    outcome->message = g_strdup_printf ("%s; its error body has more than %"
        G_GSIZE_FORMAT " bytes and was not read", reason, req->body_limit);
    g_free (reason);
    next = NEXT_DELIVER;
  } else {
    if (req->thumbnail) {
      gst_cv_analyze_service_handle_thumbnail_reply (self->config.service,
          outcome->status, outcome->body, size, &reply);
      /* The thumbnail's bytes are the reply's image, not text to keep. */
      g_free (outcome->body);
      outcome->body = g_strdup ("");
    } else {
      /* Quoted in the message if it is not followed. */
      gchar *location = g_strdup (soup_message_headers_get_one
          (soup_message_get_response_headers (req->msg),
              "Operation-Location"));

      hide_key (self, location, location ? strlen (location) : 0);
      gst_cv_analyze_service_handle_reply (self->config.service, req->step,
          location, g_steal_pointer (&req->partial), outcome->status,
          outcome->body, size, &reply);
      g_free (location);
    }
    next = take_reply (req, &reply);
    gst_cv_analyze_reply_clear (&reply);
    if (next != NEXT_DELIVER)
      return next;
    if (outcome->kind == GST_CV_ANALYZE_OUTCOME_BAD_RESPONSE
        && is_web_page (req->msg, outcome->body)) {
      g_free (outcome->message);
      outcome->message = g_strdup ("the answer is a web page (HTML), not "
          "the service's JSON: another server answers at this address (a "
          "wrong port or host, or a proxy's or portal's page)");
    } else if (outcome->kind == GST_CV_ANALYZE_OUTCOME_BAD_RESPONSE
        && is_event_stream (req->msg, outcome->body)) {
      g_free (outcome->message);
      outcome->message = g_strdup ("the answer is a stream of events "
          "(text/event-stream), not one JSON answer: the server streams "
          "although cvanalyze does not ask it to; turn streaming off in the "
          "server, or in the proxy or gateway in front of it");
    }
    if (outcome->message == NULL && outcome->kind !=
        GST_CV_ANALYZE_OUTCOME_RESULT)
      outcome->message = reason_message (self, req);
  }

  retry_after_ms = parse_retry_after_ms (req->msg);
  outcome->retry_after = (guint) ((retry_after_ms + 999) / 1000);
  req->retry_after_ms = retry_after_ms;
  req->retryable = outcome->kind == GST_CV_ANALYZE_OUTCOME_HTTP_ERROR
      && gst_cv_analyze_retry_status_is_transient (outcome->status);
  if (outcome->status == 429    /* Too Many Requests */
      && retry_after_ms > 0) {
    gint64 until_us = g_get_monotonic_time () + (gint64) retry_after_ms * 1000;

    g_mutex_lock (&self->lock);
    self->backoff_until_us = until_us;
    g_mutex_unlock (&self->lock);
    /* One subscription: every element of the rate group waits (an
     * element of its own waits by its back-off above, which counts the
     * samples it skips meanwhile). */
    if (self->config.budget && gst_cv_analyze_budget_is_shared
        (self->config.budget))
      gst_cv_analyze_budget_pause_until (self->config.budget, until_us);
  }
  return next;
}

static void
destroy_source (GSource ** source)
{
  if (*source) {
    g_source_destroy (*source);
    g_clear_pointer (source, g_source_unref);
  }
}

/* A body read to its end leaves the connection for the next request; any
 * other is cancelled first, or closing would read (skip) the rest of it,
 * which may never end. */
static void
close_body (Request * req)
{
  if (req->stream == NULL)
    return;
  if (!req->body_complete)
    g_cancellable_cancel (req->cancellable);
  g_input_stream_close (req->stream, req->cancellable, NULL);
  g_clear_object (&req->stream);
}

static void
request_free (Request * req)
{
  guint i;

  destroy_source (&req->timeout_source);
  destroy_source (&req->handshake_source);
  destroy_source (&req->poll_source);
  destroy_source (&req->poll_cancel_source);
  destroy_source (&req->retry_source);
  destroy_source (&req->retry_cancel_source);
  for (i = 0; i < req->n_images; i++)
    g_bytes_unref (req->images[i].jpeg);
  g_free (req->prompt);
  g_free (req->poll_url);
  g_clear_pointer (&req->partial, gst_structure_free);
  if (req->msg)
    g_signal_handlers_disconnect_by_data (req->msg, req);
  g_clear_object (&req->msg);
  g_clear_object (&req->cancellable);
  g_free (req->body);
  outcome_clear (&req->outcome);
  outcome_clear (&req->retried);
  g_free (req);
}

static gboolean send_again (GstCvAnalyzeClient * self, Request * req,
    NextStep next);
static void drop_waiting_retry (GstCvAnalyzeClient * self, Request * req);
static gboolean retry_later (GstCvAnalyzeClient * self, Request * req);

/* Whether @req's failure says the service cannot be reached or cannot
 * cope (what the breaker counts), not that it refused this one request. */
static gboolean
service_unavailable (const Request * req)
{
  switch (req->outcome.kind) {
    case GST_CV_ANALYZE_OUTCOME_TIMEOUT:
    case GST_CV_ANALYZE_OUTCOME_NETWORK_ERROR:
    case GST_CV_ANALYZE_OUTCOME_CONNECTION_RESET:
    case GST_CV_ANALYZE_OUTCOME_TLS_ERROR:
      return TRUE;
    case GST_CV_ANALYZE_OUTCOME_HTTP_ERROR:
      /* A 429 is an answer: the rate is the budget's business. */
      return req->outcome.status != 429
          && gst_cv_analyze_retry_status_is_transient (req->outcome.status);
    default:
      return FALSE;
  }
}

/* Every request ends here, on the client's thread, with @err if it failed
 * before its body was read to its end or to the limit. */
static void
finish_request (Request * req, const GError * err)
{
  GstCvAnalyzeClient *self = req->client;
  gboolean deliver = TRUE;
  NextStep next = NEXT_DELIVER;

  g_mutex_lock (&self->lock);
  self->requests = g_list_remove (self->requests, req);
  g_mutex_unlock (&self->lock);

  close_body (req);
  if (err)
    deliver = fill_error_outcome (self, req, err);
  else
    next = fill_http_outcome (self, req);
  if (next != NEXT_DELIVER) {
    if (send_again (self, req, next))
      return;
    deliver = FALSE;            /* flushed meanwhile */
  } else if (deliver && req->retryable && retry_later (self, req)) {
    return;
  }
  if (deliver && !req->thumbnail) {
    g_mutex_lock (&self->lock);
    req->outcome.breaker = gst_cv_analyze_breaker_record (&self->breaker,
        service_unavailable (req), g_get_monotonic_time ());
    req->outcome.breaker_cool_down = self->breaker.cool_down_us *
        GST_USECOND;
    g_mutex_unlock (&self->lock);
  }

  GST_DEBUG_OBJECT (self, "request finished: kind %d, status %u, %"
      G_GSIZE_FORMAT " bytes of body%s", req->outcome.kind,
      req->outcome.status, req->body_len,
      req->body_overflow ? " (and more, not kept)" : "");
  finish_slot (self, deliver ? &req->outcome : NULL, req);
  request_free (req);
}

static void read_body (Request * req);

static void
on_body_read (GObject * source, GAsyncResult * res, gpointer user_data)
{
  Request *req = user_data;
  GError *err = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), res, &err);

  if (n < 0) {
    finish_request (req, err);
    g_error_free (err);
  } else if (n == 0) {
    req->body_complete = TRUE;
    finish_request (req, NULL);
  } else if ((req->body_len += n) > req->body_limit) {
    /* Not a byte more: the service may send without end. Freed before
     * finish_request () gives the slot back, so that no more than
     * max-in-flight bodies ever exist at once. */
    req->body_overflow = TRUE;
    g_clear_pointer (&req->body, g_free);
    finish_request (req, NULL);
  } else {
    read_body (req);
  }
}

/* Reads on into the buffer, which has room for BODY_MIN_READ bytes
 * beyond the limit (so for that much whenever body_len <= body_limit). */
static void
read_body (Request * req)
{
  g_input_stream_read_async (req->stream, req->body + req->body_len,
      req->body_alloc - req->body_len, G_PRIORITY_DEFAULT, req->cancellable,
      on_body_read, req);
}

static void
on_sent (GObject * source, GAsyncResult * res, gpointer user_data)
{
  Request *req = user_data;
  GstCvAnalyzeClient *self = req->client;
  SoupMessageHeaders *headers;
  GError *err = NULL;
  goffset length = -1;

  req->stream = soup_session_send_finish (SOUP_SESSION (source), res, &err);
  if (req->stream == NULL) {
    finish_request (req, err);
    g_error_free (err);
    return;
  }

  /* An error body is only looked at for Azure's error code and message. */
  req->body_limit = SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status
      (req->msg)) ? self->config.max_response_size :
      GST_CV_ANALYZE_ERROR_BODY_LIMIT;
  headers = soup_message_get_response_headers (req->msg);
  /* A Content-Encoding (gzip, deflate) is decoded by libsoup's
   * SoupContentDecoder, which a session has by default, and then
   * Content-Length counts the encoded bytes, not those read: the limit
   * applies to the decoded body, whose length is unknown. */
  if (soup_message_headers_get_encoding (headers) ==
      SOUP_ENCODING_CONTENT_LENGTH
      && soup_message_headers_get_one (headers, "Content-Encoding") == NULL)
    length = soup_message_headers_get_content_length (headers);
  if (length > (goffset) req->body_limit) {
    GST_DEBUG_OBJECT (self, "announced body of %" G_GOFFSET_FORMAT
        " bytes not read", length);
    req->body_overflow = TRUE;
    finish_request (req, NULL);
    return;
  }

  /* Room for the announced body, or the largest one kept, and the read
   * that finds its end, at once: a buffer grown by doubling leaves blocks
   * of every size up to the limit behind, which glibc keeps in the heap
   * once freeing an mmap()ed body has raised its mmap threshold, so peak
   * memory grew beyond max-in-flight bodies. Pages never written to are
   * never resident. */
  req->body_alloc = (length >= 0 ? (gsize) length : req->body_limit) +
      BODY_MIN_READ;
  req->body = g_malloc (req->body_alloc);
  read_body (req);
}

/* Cancels a request whose timer ran out (the whole request's, or its TLS
 * handshake's). */
static gboolean
on_request_timeout (gpointer user_data)
{
  Request *req = user_data;

  GST_DEBUG_OBJECT (req->client, "request timed out%s", req->handshaking ?
      " in the TLS handshake" : "");
  req->timed_out = TRUE;
  if (req->poll_source) {
    /* Between two polls nothing is on the wire: the operation ends now. */
    GError *err = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
        "the operation did not finish in time");

    destroy_source (&req->poll_source);
    destroy_source (&req->poll_cancel_source);
    finish_request (req, err);
    g_error_free (err);
    return G_SOURCE_REMOVE;
  }
  g_cancellable_cancel (req->cancellable);
  return G_SOURCE_REMOVE;
}

static GSource *
start_timer_full (GstCvAnalyzeClient * self, Request * req,
    GstClockTime timeout, GSourceFunc func)
{
  GSource *source = g_timeout_source_new (timeout / GST_MSECOND);

  g_source_set_callback (source, func, req, NULL);
  g_source_attach (source, self->context);
  return source;
}

static GSource *
start_timer (GstCvAnalyzeClient * self, Request * req, GstClockTime timeout)
{
  return start_timer_full (self, req, timeout, on_request_timeout);
}

/* Follows the connection's progress: a TLS handshake gets a short timer of
 * its own, and an unfinished proxy tunnel tells whose answer a status is. */
static void
on_network_event (SoupMessage * msg, GSocketClientEvent event,
    GIOStream * connection, gpointer user_data)
{
  Request *req = user_data;

  switch (event) {
    case G_SOCKET_CLIENT_PROXY_NEGOTIATING:
      req->tunnelling = TRUE;
      break;
    case G_SOCKET_CLIENT_PROXY_NEGOTIATED:
      req->tunnelling = FALSE;
      break;
    case G_SOCKET_CLIENT_TLS_HANDSHAKING:
      req->handshaking = TRUE;
      destroy_source (&req->handshake_source);
      req->handshake_source = start_timer (req->client, req,
          handshake_timeout (req->client));
      break;
    case G_SOCKET_CLIENT_TLS_HANDSHAKED:
      req->handshaking = FALSE;
      destroy_source (&req->handshake_source);
      break;
    default:
      break;
  }
}

/* The HTTP message for @req: the service's request for its frames, or
 * the GET of the operation it polls, with the key as the service's auth
 * header. Built outside the lock: it may encode several JPEGs. */
static SoupMessage *
make_message (GstCvAnalyzeClient * self, Request * req)
{
  const GstCvAnalyzeServiceClass *klass = self->config.service->klass;
  GstCvAnalyzeRequestInput input = { req->images, req->n_images,
    req->prompt, req->step, req->thumbnail_width, req->thumbnail_height
  };
  GstCvAnalyzeHttpRequest *http = NULL;
  SoupMessage *msg;

  if (req->poll_url) {
    msg = soup_message_new (SOUP_METHOD_GET, req->poll_url);
  } else {
    http = req->thumbnail ?
        gst_cv_analyze_service_build_thumbnail_request (self->config.service,
        &input) : gst_cv_analyze_service_build_request (self->config.service,
        &input);
    msg = soup_message_new (http->method, http->url);
    if (msg && http->body)
      soup_message_set_request_body_from_bytes (msg, http->content_type,
          http->body);
  }
  /* A redirect would take the key wherever it points: answered as it
   * is, an HTTP error. Idempotent: libsoup sends any other POST on a new
   * connection, a TCP (and TLS) handshake per request. An analysis changes
   * nothing at the service (cvanalyze retries them itself), so a
   * kept-alive connection may carry it, and libsoup may resend it if that
   * connection turns out closed. */
  if (msg)
    soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT |
        SOUP_MESSAGE_IDEMPOTENT);
  if (msg && self->config.key && *self->config.key) {
    gchar *value = g_strconcat (klass->auth_prefix, self->config.key, NULL);

    soup_message_headers_replace (soup_message_get_request_headers (msg),
        klass->auth_header, value);
    memset (value, 0, strlen (value));
    g_free (value);
  }
  gst_cv_analyze_http_request_free (http);
  return msg;
}

/* Puts @req on the wire, unless a flush came since its frame was taken.
 * Returns FALSE then, or when its URL cannot be used (the outcome says
 * so). */
static gboolean
start_request (GstCvAnalyzeClient * self, Request * req)
{
  req->msg = make_message (self, req);
  if (req->msg == NULL) {
    req->outcome.kind = GST_CV_ANALYZE_OUTCOME_NETWORK_ERROR;
    req->outcome.message = g_strdup ("the service gave a URL that cannot "
        "be used");
    return FALSE;
  }
  g_signal_connect (req->msg, "network-event", G_CALLBACK (on_network_event),
      req);

  g_mutex_lock (&self->lock);
  if (self->flushing || self->epoch != req->epoch) {
    g_mutex_unlock (&self->lock);
    return FALSE;
  }
  self->requests = g_list_prepend (self->requests, req);
  self->requests_sent++;
  g_mutex_unlock (&self->lock);
  req->sent_us = g_get_monotonic_time ();

  GST_DEBUG_OBJECT (self, "sending %s %s", req->poll_url ? "a poll of" :
      "a request for", req->poll_url ? "an operation" : "a frame");
  soup_session_send_async (self->session, req->msg, G_PRIORITY_DEFAULT,
      req->cancellable, on_sent, req);
  return TRUE;
}

static gboolean
on_poll_due (gpointer user_data)
{
  Request *req = user_data;
  GstCvAnalyzeClient *self = req->client;

  destroy_source (&req->poll_source);
  destroy_source (&req->poll_cancel_source);
  g_mutex_lock (&self->lock);
  self->requests = g_list_remove (self->requests, req);
  g_mutex_unlock (&self->lock);
  if (!start_request (self, req)) {
    /* Flushed meanwhile (nothing to say), or a URL that cannot be used */
    finish_slot (self, req->outcome.message ? &req->outcome : NULL, req);
    request_free (req);
  }
  return G_SOURCE_REMOVE;
}

/* A flush or stop during the wait between two polls: the operation is
 * abandoned and nothing is delivered. */
static gboolean
on_poll_cancelled (GCancellable * cancellable, gpointer user_data)
{
  Request *req = user_data;

  GST_DEBUG_OBJECT (req->client, "poll abandoned: flushed");
  destroy_source (&req->poll_source);
  destroy_source (&req->poll_cancel_source);
  drop_waiting_retry (req->client, req);
  return G_SOURCE_REMOVE;
}

/* Forgets one HTTP exchange before the next for the same frames. */
static void
reset_exchange (Request * req)
{
  if (req->msg)
    g_signal_handlers_disconnect_by_data (req->msg, req);
  g_clear_object (&req->msg);
  g_clear_pointer (&req->body, g_free);
  req->body_len = req->body_alloc = req->body_limit = 0;
  req->body_complete = req->body_overflow = FALSE;
  req->handshaking = req->tunnelling = FALSE;
  destroy_source (&req->handshake_source);
  g_clear_pointer (&req->outcome.body, g_free);
  req->outcome.status = 0;
}

/* The same frames again (the service changed how it asks), or the poll
 * of an operation after POLL_INTERVAL, within the slot and the request's
 * timeout. FALSE when flushed meanwhile. */
static gboolean
send_again (GstCvAnalyzeClient * self, Request * req, NextStep next)
{
  gboolean flushed;

  g_mutex_lock (&self->lock);
  flushed = self->flushing || self->epoch != req->epoch;
  if (!flushed && next == NEXT_POLL)
    self->requests = g_list_prepend (self->requests, req);
  g_mutex_unlock (&self->lock);
  if (flushed)
    return FALSE;

  reset_exchange (req);
  if (next == NEXT_RESEND || next == NEXT_STEP) {
    GST_DEBUG_OBJECT (self, next == NEXT_STEP ? "step %u of the sample" :
        "the service asks to send again differently", req->step);
    if (start_request (self, req))
      return TRUE;
    return FALSE;
  }
  req->poll_source = start_timer_full (self, req, POLL_INTERVAL, on_poll_due);
  req->poll_cancel_source = g_cancellable_source_new (req->cancellable);
  g_source_set_callback (req->poll_cancel_source,
      (GSourceFunc) on_poll_cancelled, req, NULL);
  g_source_attach (req->poll_cancel_source, self->context);
  return TRUE;
}

/* Ends a request that waited to be retried and is no longer wanted. */
static void
drop_waiting_retry (GstCvAnalyzeClient * self, Request * req)
{
  g_mutex_lock (&self->lock);
  self->requests = g_list_remove (self->requests, req);
  g_mutex_unlock (&self->lock);
  finish_slot (self, NULL, req);
  request_free (req);
}

static gboolean
on_retry_cancelled (GCancellable * cancellable, gpointer user_data)
{
  Request *req = user_data;

  GST_DEBUG_OBJECT (req->client, "retry abandoned: flushed");
  destroy_source (&req->retry_source);
  destroy_source (&req->retry_cancel_source);
  drop_waiting_retry (req->client, req);
  return G_SOURCE_REMOVE;
}

/* The wait is over: the same frames again, in the same slot, with a
 * timeout that ends by the frame's deadline. */
static gboolean
on_retry_due (gpointer user_data)
{
  Request *req = user_data;
  GstCvAnalyzeClient *self = req->client;
  gint64 left_us = req->retry_deadline_us - g_get_monotonic_time ();
  GstClockTime timeout = MIN (self->config.timeout,
      (GstClockTime) MAX (left_us, 1000) * GST_USECOND);

  destroy_source (&req->retry_source);
  destroy_source (&req->retry_cancel_source);
  g_mutex_lock (&self->lock);
  self->requests = g_list_remove (self->requests, req);
  g_mutex_unlock (&self->lock);

  req->timeout = timeout;
  req->cut_short = timeout < self->config.timeout;
  req->timeout_source = start_timer (self, req, req->timeout);
  if (!start_request (self, req)) {
    finish_slot (self, req->outcome.message ? &req->outcome : NULL, req);
    request_free (req);
  }
  return G_SOURCE_REMOVE;
}

/* After a transient failure: sends the same frames (the same JPEG bytes)
 * again later, if the retry rules allow it, keeping the slot meanwhile so
 * that max-in-flight still bounds memory. Returns FALSE when the failure
 * is to be delivered instead. */
static gboolean
retry_later (GstCvAnalyzeClient * self, Request * req)
{
  gint64 now_us = g_get_monotonic_time ();
  gint64 deadline_us, delay_us;
  gboolean flushed;

  g_mutex_lock (&self->lock);
  deadline_us = req->retry_deadline_us - MAX (RETRY_MIN_WINDOW_US,
      self->last_answer_us);
  g_mutex_unlock (&self->lock);
  delay_us = gst_cv_analyze_retry_delay_us (&self->config.retry,
      req->retries, (gint64) req->retry_after_ms * 1000, now_us, deadline_us,
      g_random_double ());
  if (delay_us < 0)
    return FALSE;
  /* A retry is a request like any other: within the budget, or not at
   * all. */
  if (self->config.budget) {
    gint64 at_us = gst_cv_analyze_budget_reserve (self->config.budget,
        now_us + delay_us, deadline_us);

    if (at_us < 0)
      return FALSE;
    delay_us = at_us - now_us;
  }

  GST_DEBUG_OBJECT (self, "retry %u of a frame (%s, HTTP %u) in %"
      G_GINT64_FORMAT " ms", req->retries + 1, req->outcome.message ?
      req->outcome.message : "", req->outcome.status, delay_us / 1000);
  move_failure (&req->retried, &req->outcome);
  reset_exchange (req);
  destroy_source (&req->timeout_source);
  req->timed_out = req->retryable = FALSE;
  req->retry_after_ms = 0;
  req->retries++;
  /* A cancelled one (a timeout, a body not read to its end) stays so. */
  g_clear_object (&req->cancellable);
  req->cancellable = g_cancellable_new ();

  g_mutex_lock (&self->lock);
  flushed = self->flushing || self->epoch != req->epoch;
  if (!flushed) {
    self->requests = g_list_prepend (self->requests, req);
    self->retries++;
  }
  g_mutex_unlock (&self->lock);
  if (flushed) {
    finish_slot (self, NULL, req);
    request_free (req);
    return TRUE;
  }

  req->retry_cancel_source = g_cancellable_source_new (req->cancellable);
  g_source_set_callback (req->retry_cancel_source,
      (GSourceFunc) on_retry_cancelled, req, NULL);
  g_source_attach (req->retry_cancel_source, self->context);
  req->retry_source = start_timer_full (self, req,
      (GstClockTime) delay_us * GST_USECOND, on_retry_due);
  return TRUE;
}

/* The frames @req asks about: the last frames_per_request - 1 JPEGs
 * before @jpeg (since the last flush), oldest first, then @jpeg, which
 * joins them for the next request. Takes @jpeg. */
static void
take_images (GstCvAnalyzeClient * self, Request * req, GBytes * jpeg)
{
  guint keep = self->config.frames_per_request - 1;
  guint i;

  if (self->history_epoch != req->epoch) {
    /* Frames from before a seek do not describe what follows it. */
    for (i = 0; i < self->n_history; i++)
      g_bytes_unref (self->history[i].jpeg);
    self->n_history = 0;
    self->history_epoch = req->epoch;
  }

  for (i = 0; i < self->n_history; i++) {
    req->images[i] = self->history[i];
    g_bytes_ref (req->images[i].jpeg);
  }
  if (self->n_history > 0)
    req->outcome.first_pts = self->history_pts[0];
  req->images[i].jpeg = jpeg;
  req->images[i].width = req->outcome.image_width;
  req->images[i].height = req->outcome.image_height;
  req->n_images = i + 1;

  if (keep == 0)
    return;
  if (self->n_history == keep) {
    g_bytes_unref (self->history[0].jpeg);
    memmove (self->history, self->history + 1,
        (keep - 1) * sizeof (self->history[0]));
    memmove (self->history_pts, self->history_pts + 1,
        (keep - 1) * sizeof (self->history_pts[0]));
    self->n_history--;
  }
  self->history[self->n_history] = req->images[i];
  g_bytes_ref (jpeg);
  self->history_pts[self->n_history] = req->outcome.pts;
  self->n_history++;
}

/* The JPEG to send for @frame, its size in @outcome: a raw frame scaled
 * and encoded, a JPEG frame (image/jpeg caps) as it is when it fits. */
static GBytes *
prepare_image (GstCvAnalyzeClient * self, const GstCvAnalyzeFrame * frame,
    GstCvAnalyzeOutcome * outcome, GError ** error)
{
  GstVideoFrame vframe;
  GstMapInfo map;
  GBytes *jpeg = NULL;

  if (GST_VIDEO_INFO_FORMAT (&frame->info) == GST_VIDEO_FORMAT_ENCODED) {
    if (!gst_buffer_map (frame->buffer, &map, GST_MAP_READ)) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          "could not map the JPEG frame for reading");
      return NULL;
    }
    jpeg = gst_cv_analyze_encoder_encode_jpeg (map.data, map.size,
        self->config.max_dimension, self->config.jpeg_quality,
        self->config.service->klass->max_image_bytes, &outcome->image_width,
        &outcome->image_height, error);
    gst_buffer_unmap (frame->buffer, &map);
    return jpeg;
  }

  if (!gst_video_frame_map (&vframe, &frame->info, frame->buffer,
          GST_MAP_READ | GST_VIDEO_FRAME_MAP_FLAG_NO_REF)) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "could not map the video frame for reading");
    return NULL;
  }
  jpeg = gst_cv_analyze_encoder_encode (&vframe, self->config.max_dimension,
      self->config.jpeg_quality, &outcome->image_width, &outcome->image_height,
      error);
  gst_video_frame_unmap (&vframe);
  return jpeg;
}

/* Encodes @frame (taken when the client's epoch was @epoch) and sends the
 * service's request for it: an analysis in a slot, or a thumbnail. The
 * frame's buffer is released as soon as it is encoded. Takes @frame. */
static void
start_frame (GstCvAnalyzeClient * self, GstCvAnalyzeFrame * frame,
    guint epoch)
{
  GError *err = NULL;
  GBytes *jpeg = NULL;
  Request *req;

  req = g_new0 (Request, 1);
  req->client = self;
  req->thumbnail = frame->thumbnail_width > 0;
  req->thumbnail_width = frame->thumbnail_width;
  req->thumbnail_height = frame->thumbnail_height;
  req->holds_slot = !req->thumbnail;
  req->holds_thumbnail = req->thumbnail;
  req->epoch = epoch;
  req->sampled_us = frame->sampled_us;
  req->retry_deadline_us = req->thumbnail ? 0 : frame->retry_deadline_us;
  req->prompt = self->config.make_prompt && !req->thumbnail ?
      self->config.make_prompt (self->user_data) : NULL;
  outcome_init_from_frame (&req->outcome, frame);

  jpeg = prepare_image (self, frame, &req->outcome, &err);
  gst_cv_analyze_frame_free (frame);

  if (jpeg == NULL) {
    req->outcome.kind = GST_CV_ANALYZE_OUTCOME_ENCODE_ERROR;
    req->outcome.message = g_strdup (err->message);
    g_clear_error (&err);
    finish_slot (self, &req->outcome, req);
    request_free (req);
    return;
  }

  if (req->thumbnail) {
    /* Alone: the frames before it are the analysis' business. */
    req->images[0].jpeg = jpeg;
    req->images[0].width = req->outcome.image_width;
    req->images[0].height = req->outcome.image_height;
    req->n_images = 1;
    req->outcome.image = g_bytes_ref (jpeg);
  } else {
    take_images (self, req, jpeg);
  }
  req->cancellable = g_cancellable_new ();
  req->timeout = self->config.timeout;
  req->timeout_source = start_timer (self, req, req->timeout);
  if (!start_request (self, req)) {
    /* Flushed while encoding, nobody wants this answer; or a URL that
     * cannot be used, which is said. */
    finish_slot (self, req->outcome.message ? &req->outcome : NULL, req);
    request_free (req);
  }
}

/* Idle callback on the client's thread: the waiting frame. */
static gboolean
process_pending (gpointer user_data)
{
  GstCvAnalyzeClient *self = user_data;
  GstCvAnalyzeFrame *frame;
  guint epoch;

  g_mutex_lock (&self->lock);
  frame = g_steal_pointer (&self->pending);
  self->pending_scheduled = FALSE;
  epoch = self->epoch;
  /* A non-live frame waiting in submit () for the pending one to go may
   * take a free slot now. */
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  if (frame)
    start_frame (self, frame, epoch);
  return G_SOURCE_REMOVE;
}

/* Idle callback on the client's thread: the frame for a thumbnail. */
static gboolean
process_thumbnail (gpointer user_data)
{
  GstCvAnalyzeClient *self = user_data;
  GstCvAnalyzeFrame *frame;
  guint epoch;

  g_mutex_lock (&self->lock);
  frame = g_steal_pointer (&self->thumbnail_pending);
  epoch = self->epoch;
  g_mutex_unlock (&self->lock);
  if (frame)
    start_frame (self, frame, epoch);
  return G_SOURCE_REMOVE;
}

static gboolean
wake_up (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Aborted connections finish closing through the context after the session
 * is gone (their sockets' sources are dispatched there); run it until it
 * has been quiet for a few ticks, at most 200 ms, so nothing is left
 * half-closed when the context is freed. */
static void
drain_context (GMainContext * context)
{
  GSource *tick = g_timeout_source_new (10);
  gint64 deadline = g_get_monotonic_time () + 200 * G_TIME_SPAN_MILLISECOND;
  guint quiet = 0;

  g_source_set_callback (tick, wake_up, NULL, NULL);
  g_source_attach (tick, context);
  while (quiet < 3 && g_get_monotonic_time () < deadline) {
    g_main_context_iteration (context, TRUE);
    quiet = g_main_context_pending (context) ? 0 : quiet + 1;
  }
  g_source_destroy (tick);
  g_source_unref (tick);
}

static gpointer
thread_func (gpointer user_data)
{
  GstCvAnalyzeClient *self = user_data;
  guint conns = MAX (2, self->config.max_in_flight);

  g_main_context_push_thread_default (self->context);
  /* Created here so that every libsoup callback runs on this thread.
   * Proxies are GIO's default resolver's business (with glib-networking's
   * libproxy module: http_proxy, https_proxy, no_proxy; see README.md),
   * except for an endpoint on loopback, which no proxy can reach: no
   * resolver then, which also saves the lookup libproxy makes on a
   * thread of its own for every connection. Certificates are always
   * verified, against the system's trust store or the one given. */
  self->session = soup_session_new_with_options ("user-agent",
      "cvanalyze/" VERSION, "max-conns-per-host", conns, "max-conns", conns,
      "idle-timeout", 60, NULL);
  if (self->config.direct)
    soup_session_set_proxy_resolver (self->session, NULL);
  if (self->config.tls_database)
    soup_session_set_tls_database (self->session, self->config.tls_database);

  g_mutex_lock (&self->lock);
  self->running = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  g_main_loop_run (self->loop);

  /* Stopping: cancelled requests still complete through the context; run
   * it until they have, so that nothing they own leaks. */
  for (;;) {
    gboolean idle;

    g_mutex_lock (&self->lock);
    idle = (self->requests == NULL);
    g_mutex_unlock (&self->lock);
    if (idle)
      break;
    g_main_context_iteration (self->context, TRUE);
  }
  soup_session_abort (self->session);
  g_clear_object (&self->session);
  drain_context (self->context);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

GstCvAnalyzeClient *
gst_cv_analyze_client_new (const GstCvAnalyzeClientConfig * config,
    GstCvAnalyzeOutcomeFunc func, gpointer user_data)
{
  GstCvAnalyzeClient *self;

  g_return_val_if_fail (config != NULL && config->service != NULL, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  self = g_object_new (GST_TYPE_CV_ANALYZE_CLIENT, NULL);
  gst_object_ref_sink (self);
  self->config = *config;
  self->config.key = g_strdup (config->key);
  self->config.max_in_flight = MAX (1, config->max_in_flight);
  self->config.frames_per_request = CLAMP (config->frames_per_request, 1,
      GST_CV_ANALYZE_MAX_FRAMES_PER_REQUEST);
  self->config.max_response_size = MAX (1, config->max_response_size);
  if (config->tls_database)
    self->config.tls_database = g_object_ref (config->tls_database);
  if (config->budget)
    self->config.budget = gst_cv_analyze_budget_ref (config->budget);
  self->func = func;
  self->user_data = user_data;
  gst_cv_analyze_breaker_init (&self->breaker, config->breaker_threshold);

  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread = g_thread_new ("cvanalyze-client", thread_func, self);

  g_mutex_lock (&self->lock);
  while (!self->running)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);

  return self;
}

static void
schedule_pending (GstCvAnalyzeClient * self)
{
  GSource *source;

  if (self->pending_scheduled)
    return;
  self->pending_scheduled = TRUE;
  source = g_idle_source_new ();
  g_source_set_callback (source, process_pending, self, NULL);
  g_source_attach (source, self->context);
  g_source_unref (source);
}

/* Takes ownership of @frame. @wait is how long to wait for a free slot:
 * 0 for a live stream (skip instead), up to the timeout for a file. */
GstCvAnalyzeSubmitResult
gst_cv_analyze_client_submit (GstCvAnalyzeClient * self,
    GstCvAnalyzeFrame * frame, GstClockTime wait)
{
  GstCvAnalyzeSubmitResult ret;
  GstCvAnalyzeFrame *drop = NULL;
  gint64 deadline = g_get_monotonic_time () + wait / GST_USECOND;

  g_mutex_lock (&self->lock);
  for (;;) {
    gint64 now = g_get_monotonic_time ();
    gboolean backoff = now < self->backoff_until_us;

    if (self->flushing) {
      ret = GST_CV_ANALYZE_SUBMIT_FLUSHING;
      drop = frame;
      break;
    }
    if (wait == 0 && self->pending) {
      /* The waiting frame has not been encoded yet: a newer one is better. */
      drop = self->pending;
      self->pending = frame;
      ret = GST_CV_ANALYZE_SUBMIT_REPLACED;
      break;
    }
    if (!backoff && self->pending == NULL
        && self->in_flight < self->config.max_in_flight) {
      if (!gst_cv_analyze_breaker_allow (&self->breaker, now)) {
        ret = GST_CV_ANALYZE_SUBMIT_BREAKER_OPEN;
        drop = frame;
        break;
      }
      self->in_flight++;
      self->pending = frame;
      schedule_pending (self);
      ret = GST_CV_ANALYZE_SUBMIT_QUEUED;
      break;
    }
    if (now >= deadline) {
      ret = backoff ? GST_CV_ANALYZE_SUBMIT_BACKOFF :
          GST_CV_ANALYZE_SUBMIT_BUSY;
      drop = frame;
      break;
    }
    g_cond_wait_until (&self->cond, &self->lock, backoff ?
        MIN (deadline, self->backoff_until_us) : deadline);
  }
  g_mutex_unlock (&self->lock);

  gst_cv_analyze_frame_free (drop);
  return ret;
}

/**
 * gst_cv_analyze_client_submit_thumbnail:
 * @frame: (transfer full): the frame, with its thumbnail_width and
 *   thumbnail_height set
 * @wait: how long to wait for the one before it, as for
 *   gst_cv_analyze_client_submit(): 0 for a live stream
 *
 * Asks for a thumbnail of @frame, as the service makes them
 * (build_thumbnail_request), outside the analysis' slots: at most one
 * thumbnail is between this and its outcome (which has thumbnail set), a
 * frame submitted meanwhile waits at most @wait, then is dropped (BUSY).
 * Thumbnails are not retried and do not count for the breaker, but none
 * goes while it is open (BREAKER_OPEN).
 */
GstCvAnalyzeSubmitResult
gst_cv_analyze_client_submit_thumbnail (GstCvAnalyzeClient * self,
    GstCvAnalyzeFrame * frame, GstClockTime wait)
{
  GstCvAnalyzeSubmitResult ret = GST_CV_ANALYZE_SUBMIT_QUEUED;
  gint64 deadline = g_get_monotonic_time () + wait / GST_USECOND;
  GSource *source;

  g_return_val_if_fail (frame->thumbnail_width > 0
      && frame->thumbnail_height > 0, GST_CV_ANALYZE_SUBMIT_BUSY);

  g_mutex_lock (&self->lock);
  while (!self->flushing && self->thumbnail_busy)
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
      break;
  if (self->flushing)
    ret = GST_CV_ANALYZE_SUBMIT_FLUSHING;
  else if (self->thumbnail_busy)
    ret = GST_CV_ANALYZE_SUBMIT_BUSY;
  else if (self->breaker.state != GST_CV_ANALYZE_BREAKER_CLOSED)
    /* A service that keeps failing gets no thumbnails either (and the
     * analysis' probe is not taken for one). */
    ret = GST_CV_ANALYZE_SUBMIT_BREAKER_OPEN;
  if (ret == GST_CV_ANALYZE_SUBMIT_QUEUED) {
    self->thumbnail_busy = TRUE;
    self->thumbnail_pending = frame;
    source = g_idle_source_new ();
    g_source_set_callback (source, process_thumbnail, self, NULL);
    g_source_attach (source, self->context);
    g_source_unref (source);
  }
  g_mutex_unlock (&self->lock);

  if (ret != GST_CV_ANALYZE_SUBMIT_QUEUED)
    gst_cv_analyze_frame_free (frame);
  return ret;
}

/* Whether a thumbnail submitted now would be dropped as BUSY. */
gboolean
gst_cv_analyze_client_thumbnail_busy (GstCvAnalyzeClient * self)
{
  gboolean busy;

  g_mutex_lock (&self->lock);
  busy = self->thumbnail_busy;
  g_mutex_unlock (&self->lock);
  return busy;
}

static gboolean
cancel_requests (gpointer user_data)
{
  g_ptr_array_foreach (user_data, (GFunc) g_cancellable_cancel, NULL);
  return G_SOURCE_REMOVE;
}

/* Flushing drops the waiting frame, cancels what is on the wire and wakes
 * anyone waiting for a slot. Cancelled requests deliver no outcome. */
void
gst_cv_analyze_client_set_flushing (GstCvAnalyzeClient * self,
    gboolean flushing)
{
  GstCvAnalyzeFrame *drop = NULL, *drop_thumbnail = NULL;
  GPtrArray *cancel = g_ptr_array_new_with_free_func (g_object_unref);
  GList *l;

  g_mutex_lock (&self->lock);
  self->flushing = flushing;
  if (flushing) {
    self->epoch++;
    drop = g_steal_pointer (&self->pending);
    if (drop)
      self->in_flight--;
    drop_thumbnail = g_steal_pointer (&self->thumbnail_pending);
    if (drop_thumbnail)
      self->thumbnail_busy = FALSE;
    /* Their slots are free from now on: the first frame after a flush
     * must not find them taken by answers nobody wants. */
    for (l = self->requests; l; l = l->next) {
      Request *req = l->data;

      g_ptr_array_add (cancel, g_object_ref (req->cancellable));
      if (req->holds_slot) {
        req->holds_slot = FALSE;
        self->in_flight--;
      }
      if (req->holds_thumbnail) {
        req->holds_thumbnail = FALSE;
        self->thumbnail_busy = FALSE;
      }
    }
    self->backoff_until_us = 0;
    gst_cv_analyze_breaker_abandon_probe (&self->breaker,
        g_get_monotonic_time ());
  }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  /* Cancelled on the client's thread, like everything else that touches
   * libsoup; the slots are already free, so nobody waits for it. */
  if (cancel->len > 0) {
    GSource *source = g_idle_source_new ();

    g_source_set_priority (source, G_PRIORITY_HIGH);
    g_source_set_callback (source, cancel_requests, cancel,
        (GDestroyNotify) g_ptr_array_unref);
    g_source_attach (source, self->context);
    g_source_unref (source);
  } else {
    g_ptr_array_unref (cancel);
  }
  gst_cv_analyze_frame_free (drop);
  gst_cv_analyze_frame_free (drop_thumbnail);
}

/* Waits until nothing is between submit and outcome (or, @thumbnail_only,
 * no thumbnail), or the timeout passes, or the client is flushed. */
static gboolean
wait_until_idle (GstCvAnalyzeClient * self, GstClockTime timeout,
    gboolean thumbnail_only)
{
  gint64 deadline = g_get_monotonic_time () + timeout / GST_USECOND;
  gboolean idle;

  g_mutex_lock (&self->lock);
  for (;;) {
    idle = !self->thumbnail_busy && (thumbnail_only || self->in_flight == 0);
    if (idle || self->flushing
        || !g_cond_wait_until (&self->cond, &self->lock, deadline))
      break;
  }
  idle = !self->thumbnail_busy && (thumbnail_only || self->in_flight == 0);
  g_mutex_unlock (&self->lock);
  return idle;
}

/* Waits until every submitted frame (thumbnails too) has had its outcome
 * delivered, or the timeout passes, or the client is flushed. */
gboolean
gst_cv_analyze_client_wait_idle (GstCvAnalyzeClient * self,
    GstClockTime timeout)
{
  return wait_until_idle (self, timeout, FALSE);
}

/* Waits until no thumbnail is pending (its outcome delivered), or the
 * timeout passes, or the client is flushed. */
gboolean
gst_cv_analyze_client_wait_thumbnail (GstCvAnalyzeClient * self,
    GstClockTime timeout)
{
  return wait_until_idle (self, timeout, TRUE);
}

guint64
gst_cv_analyze_client_get_requests_sent (GstCvAnalyzeClient * self)
{
  guint64 n;

  g_mutex_lock (&self->lock);
  n = self->requests_sent;
  g_mutex_unlock (&self->lock);
  return n;
}

/* Frames sent again after a transient failure, since the start. */
guint64
gst_cv_analyze_client_get_retries (GstCvAnalyzeClient * self)
{
  guint64 n;

  g_mutex_lock (&self->lock);
  n = self->retries;
  g_mutex_unlock (&self->lock);
  return n;
}

/* Answers 429 (Too Many Requests), retried or not, since the start. */
guint64
gst_cv_analyze_client_get_throttled (GstCvAnalyzeClient * self)
{
  guint64 n;

  g_mutex_lock (&self->lock);
  n = self->throttled;
  g_mutex_unlock (&self->lock);
  return n;
}

/* The breaker's state now. */
GstCvAnalyzeBreakerState
gst_cv_analyze_client_get_breaker_state (GstCvAnalyzeClient * self)
{
  GstCvAnalyzeBreakerState state;

  g_mutex_lock (&self->lock);
  state = self->breaker.state;
  g_mutex_unlock (&self->lock);
  return state;
}

/* Times the breaker opened, and the time it has been open in all. */
void
gst_cv_analyze_client_get_breaker_stats (GstCvAnalyzeClient * self,
    guint64 * openings, GstClockTime * open_time)
{
  g_mutex_lock (&self->lock);
  *openings = self->breaker.openings;
  *open_time = gst_cv_analyze_breaker_open_time_us (&self->breaker,
      g_get_monotonic_time ()) * GST_USECOND;
  g_mutex_unlock (&self->lock);
}

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* Cancels everything and joins the thread; no outcome is delivered after
 * this returns. */
void
gst_cv_analyze_client_stop (GstCvAnalyzeClient * self)
{
  GSource *source;

  if (self->thread == NULL)
    return;
  g_return_if_fail (g_thread_self () != self->thread);

  gst_cv_analyze_client_set_flushing (self, TRUE);
  source = g_idle_source_new ();
  g_source_set_callback (source, quit_loop, self->loop, NULL);
  g_source_attach (source, self->context);
  g_source_unref (source);
  g_thread_join (g_steal_pointer (&self->thread));
}

static void
gst_cv_analyze_client_finalize (GObject * object)
{
  GstCvAnalyzeClient *self = GST_CV_ANALYZE_CLIENT (object);
  guint i;

  gst_cv_analyze_client_stop (self);
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  gst_cv_analyze_frame_free (self->pending);
  gst_cv_analyze_frame_free (self->thumbnail_pending);
  gst_cv_analyze_service_free (self->config.service);
  for (i = 0; i < self->n_history; i++)
    g_bytes_unref (self->history[i].jpeg);
  g_clear_object (&self->config.tls_database);
  g_clear_pointer (&self->config.budget, gst_cv_analyze_budget_release);
  /* The key is a secret: wipe it before the memory goes back. */
  if (self->config.key)
    memset (self->config.key, 0, strlen (self->config.key));
  g_free (self->config.key);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (gst_cv_analyze_client_parent_class)->finalize (object);
}

static void
gst_cv_analyze_client_class_init (GstCvAnalyzeClientClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_cv_analyze_client_finalize;

  GST_DEBUG_CATEGORY_INIT (cv_analyze_client_debug, "cvanalyzeclient", 0,
      "cvanalyze HTTP client");
}

static void
gst_cv_analyze_client_init (GstCvAnalyzeClient * self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
}
