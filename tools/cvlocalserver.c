/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * A local image-analysis server: the development stand-in (as Azurite is
 * for Azure Storage) that the README demo and the tests talk to. It speaks
 * four protocols (cvroute.c): Azure Computer Vision v2.x/v3.2, Azure Image
 * Analysis 4.0, OpenAI-compatible chat completions and Azure OpenAI chat
 * completions, and answers all of them from the same deterministic colour
 * analysis of the posted JPEG (cvcolouranalysis.c), with each service's
 * status codes and error bodies. It can be told to misbehave (delay, fail,
 * garble, drop, hang, reset, stream without end, send hostile strings and
 * sizes, imitate a service's refusals) to test clients. What to answer is
 * decided in cvreply.c and the protocol modules it calls, hostile bodies
 * are written by cvhostile.c; this file puts the answer on the wire.
 *
 * Threading: the SoupServer lives on a thread of its own, with a private
 * GMainContext pushed as thread-default before the server is created, so all
 * of libsoup runs there and nowhere else (libsoup is not thread-safe). Other
 * threads only touch the configuration and the request log, under one mutex;
 * a condition variable lets tests wait for requests without sleeping.
 *
 * Delayed, dropped, reset and hung answers pause the SoupServerMessage and
 * finish it from a timeout source on the private context (or, for hung
 * ones, from cv_local_server_release()), so the server thread never blocks
 * and keeps serving other connections meanwhile. An endless answer is
 * streamed one chunk at a time, the next one only after libsoup wrote the
 * previous, so its memory stays flat however long the client reads.
 *
 * Every answer says "Connection: close" and the server closes the
 * connection after it. libsoup 3.2.x leaks a kept-alive connection that
 * its client closes while idle (the socket stays in CLOSE-WAIT for the
 * server's lifetime: the idle message it reads with has no completion
 * callback, so nobody disconnects it; fixed upstream in 3.3.0 by commit
 * d20c6601 "server: do not leak idle connections closed by the client").
 * Without keep-alive no connection is ever idle, which avoids exactly that
 * path; a connection closed before its first request is disconnected by
 * libsoup itself.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "cvlocalserver.h"
#include "cvprocsockets.h"
#include "cvquota.h"
#include "cvreply.h"
#include "cvreadapi.h"
#include "cvroute.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#define LABEL_HEADER "X-Cvanalyze-Server"
#define LABEL "local colour analysis (not Azure)"
#define JSON_CONTENT_TYPE "application/json; charset=utf-8"

/* The endless answer repeats chunks of this many of its protocol's items:
 * big enough to cost little per chunk. */
#define ENDLESS_ITEMS_PER_CHUNK 16384

static const gchar *const default_models[] = {
  CV_LOCAL_SERVER_DEFAULT_MODEL, NULL
};

typedef struct
{
  guint delay_ms;
  CvReplyConfig reply;
} Config;

/* A paused message waiting for its timeout (delay, drop, reset), for
 * release or shutdown (hang), or an endless answer being streamed. Owned
 * by CvLocalServer.pending, server thread only. */
typedef struct
{
  CvLocalServer *self;
  SoupServerMessage *msg;
  const CvLocalServerRequest *req;
  CvReply *reply;
  GSource *source;
  GBytes *chunk;
  gboolean answered;
} Pending;

struct _CvLocalServer
{
  GMutex lock;
  GCond cond;

  /* Fixed once the thread runs. */
  gchar *key;
  guint requested_port;
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;

  /* Start-up handshake, under lock. */
  gboolean started;
  gboolean listening;
  GError *start_error;
  guint port;

  /* Server thread only. */
  SoupServer *soup;
  GList *pending;

  /* Under lock. */
  Config config;
  gchar **models;
  GPtrArray *requests;
  guint in_progress;
  guint max_in_progress;
  gchar *canned_body;
  guint fail_every;             /* every nth request fails with... */
  guint fail_every_status;      /* ...this status; 0: none */
  guint fail_every_count;
  guint reset_every;            /* every nth request is reset; 0: none */
  guint reset_every_count;
  CvQuota *quota;               /* NULL: no request quota */
  guint quota_limit;
  gboolean ratelimit_headers;   /* send x-ratelimit-*-requests */
  gboolean keep_alive;          /* no Connection: close (see the top) */
  guint throttled;              /* requests the quota refused */
  gint64 outage_until_us;       /* monotonic: fail everything till then */
  guint outage_status;
  guint releases_requested;
  guint releases_done;
};

static guint read_counter (CvLocalServer * self, const guint * counter);

/* Retry-After: @seconds in the @form asked for. */
static void
set_retry_after (SoupMessageHeaders * hdrs, guint seconds,
    CvLocalServerRetryAfter form)
{
  GDateTime *now, *then;
  gchar *value;

  switch (form) {
    case CV_LOCAL_SERVER_RETRY_AFTER_HTTP_DATE:
      /* HTTP dates count whole seconds, which the format cuts off: one
       * more makes it no sooner than @seconds from now. */
      now = g_date_time_new_now_utc ();
      then = g_date_time_add_seconds (now, seconds + 1);
      value = soup_date_time_to_string (then, SOUP_DATE_HTTP);
      soup_message_headers_replace (hdrs, "Retry-After", value);
      g_date_time_unref (then);
      g_date_time_unref (now);
      break;
    case CV_LOCAL_SERVER_RETRY_AFTER_MS:
      value = g_strdup_printf ("%" G_GUINT64_FORMAT, seconds * (guint64) 1000);
      soup_message_headers_replace (hdrs, "retry-after-ms", value);
      break;
    default:
      value = g_strdup_printf ("%u", seconds);
      soup_message_headers_replace (hdrs, "Retry-After", value);
      break;
  }
  g_free (value);
}

/* Sets the status, headers and body of @reply on @msg; takes the body. */
static void
apply_reply (SoupServerMessage * msg, CvReply * reply)
{
  SoupMessageHeaders *hdrs = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (hdrs, LABEL_HEADER, LABEL);
  soup_message_headers_replace (hdrs, reply->request_id_header,
      reply->request_id);
  if (reply->retry_after > 0)
    set_retry_after (hdrs, reply->retry_after, reply->retry_after_form);
  if (reply->allow_post)
    soup_message_headers_replace (hdrs, "Allow", "POST");
  if (reply->operation_location)
    soup_message_headers_replace (hdrs, "Operation-Location",
        reply->operation_location);

  /* libsoup 3.2 has no phrase for 429 and would send "Unknown Error". */
  soup_server_message_set_status (msg, reply->status,
      reply->status == 429 ? "Too Many Requests" : NULL);
  if (reply->binary) {
    gsize size;
    gconstpointer data = g_bytes_get_data (reply->binary, &size);

    soup_server_message_set_response (msg, reply->content_type,
        SOUP_MEMORY_COPY, data, size);
    return;
  }
  /* Taken, not copied: a hostile body can be tens of megabytes. */
  soup_server_message_set_response (msg, JSON_CONTENT_TYPE, SOUP_MEMORY_TAKE,
      reply->body, strlen (reply->body));
  reply->body = NULL;
}

/* Fills in which key header @req carried and whether it was right for its
 * route; the key itself is never kept. */
static void
request_record_key (CvLocalServer * self, CvLocalServerRequest * req,
    SoupMessageHeaders * hdrs, CvRoute route)
{
  static const gchar *const key_headers[] = { "Ocp-Apim-Subscription-Key",
    "api-key", "Authorization"
  };
  const gchar *header = cv_route_key_header (route);
  const gchar *value = soup_message_headers_get_one (hdrs, header);
  const gchar *other = cv_route_other_key_header (route);
  guint i;

  if (value == NULL && other != NULL
      && (value = soup_message_headers_get_one (hdrs, other)) != NULL)
    header = other;
  req->has_key = value != NULL;
  req->key_matches = self->key == NULL
      || cv_route_key_matches (header, value, self->key);
  if (value != NULL) {
    req->auth_header = g_strdup (header);
    return;
  }
  for (i = 0; i < G_N_ELEMENTS (key_headers); i++) {
    if (soup_message_headers_get_one (hdrs, key_headers[i]) != NULL) {
      req->auth_header = g_strdup (key_headers[i]);
      return;
    }
  }
}

static CvLocalServerRequest *
request_record_new (CvLocalServer * self, SoupServerMessage * msg,
    const char *path, GHashTable * query)
{
  CvLocalServerRequest *req = g_new0 (CvLocalServerRequest, 1);
  SoupMessageHeaders *hdrs = soup_server_message_get_request_headers (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  gchar *segment = NULL;
  CvRoute route = cv_route_from_path (path, &segment);
  GSocketAddress *remote;

  req->method = g_strdup (soup_server_message_get_method (msg));
  req->path = g_strdup (path);
  req->query = g_strdup (uri ? g_uri_get_query (uri) : NULL);
  if (cv_route_is_computer_vision (route))
    req->api_version = g_steal_pointer (&segment);
  else if (route != CV_ROUTE_UNKNOWN && route != CV_ROUTE_OPENAI_CHAT
      && query != NULL)
    req->api_version = g_strdup (g_hash_table_lookup (query, "api-version"));
  g_free (segment);
  req->content_type = g_strdup (soup_message_headers_get_one (hdrs,
          "Content-Type"));
  req->host = g_strdup (soup_message_headers_get_one (hdrs, "Host"));
  request_record_key (self, req, hdrs, route);

  req->query_params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  if (query != NULL) {
    GHashTableIter iter;
    gpointer k, v;

    g_hash_table_iter_init (&iter, query);
    while (g_hash_table_iter_next (&iter, &k, &v))
      g_hash_table_insert (req->query_params, g_strdup (k), g_strdup (v));
  }

  req->body = soup_message_body_flatten (soup_server_message_get_request_body
      (msg));
  req->received_monotonic_us = g_get_monotonic_time ();
  req->received_real_us = g_get_real_time ();
  remote = soup_server_message_get_remote_address (msg);
  if (G_IS_INET_SOCKET_ADDRESS (remote))
    req->remote_port =
        g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote));

  return req;
}

/* Counts a request as answered exactly once, whichever comes first: the
 * answer, the drop, or the connection going away. */
static void
pending_answered (Pending * p)
{
  if (p->answered)
    return;
  p->answered = TRUE;

  g_mutex_lock (&p->self->lock);
  p->self->in_progress--;
  g_cond_broadcast (&p->self->cond);
  g_mutex_unlock (&p->self->lock);
}

static void
pending_free (Pending * p)
{
  if (p->source) {
    g_source_destroy (p->source);
    g_source_unref (p->source);
  }
  g_signal_handlers_disconnect_by_data (p->msg, p);
  g_object_unref (p->msg);
  g_clear_pointer (&p->chunk, g_bytes_unref);
  cv_reply_free (p->reply);
  g_free (p);
}

/* Settles @p and forgets it. Not from @p's message's signal handlers:
 * ours may be the last reference to the message. */
static void
pending_done (Pending * p)
{
  pending_answered (p);
  p->self->pending = g_list_remove (p->self->pending, p);
  pending_free (p);
}

static gboolean
pending_reap (gpointer data)
{
  pending_done (data);
  return G_SOURCE_REMOVE;
}

/* Replaces @p's source with one calling @func soon. */
static void
pending_schedule (Pending * p, GSourceFunc func)
{
  if (p->source) {
    g_source_destroy (p->source);
    g_source_unref (p->source);
  }
  p->source = g_idle_source_new ();
  g_source_set_callback (p->source, func, p, NULL);
  g_source_attach (p->source, p->self->context);
}

static void
pending_disconnected (SoupServerMessage * msg, Pending * p)
{
  pending_answered (p);
}

/* Closes @msg's connection without an answer: with a FIN, or with a RST
 * when @reset. */
static void
close_connection (SoupServerMessage * msg, gboolean reset)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  GIOStream *stream;

  if (socket != NULL)
    g_object_ref (socket);
  stream = soup_server_message_steal_connection (msg);

  if (reset && socket != NULL) {
    /* Lingering for zero seconds makes close() drop the connection with a
     * RST instead of a FIN, so the client reads ECONNRESET. GSocket sets
     * only int options, hence setsockopt(). */
    struct linger linger = { 1, 0 };

    if (setsockopt (g_socket_get_fd (socket), SOL_SOCKET, SO_LINGER, &linger,
            sizeof (linger)) != 0)
      g_warning ("cannot set SO_LINGER: %s", g_strerror (errno));
  }

  if (stream != NULL) {
    g_io_stream_close (stream, NULL, NULL);
    g_object_unref (stream);
  }
  g_clear_object (&socket);
}

/* Gives the endless answer its next chunk, and lets libsoup write it. A
 * copy, not a reference to the shared chunk: then what the stream holds
 * shows in the process's memory, and a test can check it stays flat. */
static gboolean
stream_next_chunk (gpointer data)
{
  Pending *p = data;
  gsize size;
  gconstpointer chunk = g_bytes_get_data (p->chunk, &size);

  g_clear_pointer (&p->source, g_source_unref);
  soup_message_body_append (soup_server_message_get_response_body (p->msg),
      SOUP_MEMORY_COPY, chunk, size);
  soup_server_message_unpause (p->msg);

  return G_SOURCE_REMOVE;
}

/* The previous chunk is on the wire: only now queue the next one, so the
 * body never holds more than one chunk however slowly the client reads.
 * From an idle source, not from here, so the server thread returns to its
 * loop (and to other clients) between chunks even for a fast reader. */
static void
stream_wrote_chunk (SoupServerMessage * msg, Pending * p)
{
  pending_schedule (p, stream_next_chunk);
}

/* The client went away (the write failed, or the server is stopping). */
static void
stream_ended (SoupServerMessage * msg, Pending * p)
{
  pending_answered (p);
  pending_schedule (p, pending_reap);
}

/* ENDLESS_ITEMS_PER_CHUNK times @item: the chunk an endless answer
 * repeats. */
static GBytes *
endless_chunk_new (const gchar * item)
{
  GString *s = g_string_sized_new (ENDLESS_ITEMS_PER_CHUNK * strlen (item));
  guint i;

  for (i = 0; i < ENDLESS_ITEMS_PER_CHUNK; i++)
    g_string_append (s, item);
  return g_string_free_to_bytes (s);
}

static void
stream_start (Pending * p)
{
  SoupServerMessage *msg = p->msg;
  SoupMessageHeaders *hdrs = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);

  soup_message_headers_replace (hdrs, LABEL_HEADER, LABEL);
  soup_message_headers_replace (hdrs, p->reply->request_id_header,
      p->reply->request_id);
  soup_message_headers_replace (hdrs, "Content-Type", JSON_CONTENT_TYPE);
  soup_message_headers_set_encoding (hdrs, SOUP_ENCODING_CHUNKED);
  soup_server_message_set_status (msg, 200, NULL);
  /* Written chunks are dropped, not kept for a body nobody reads. */
  soup_message_body_set_accumulate (body, FALSE);
  soup_message_body_append (body, SOUP_MEMORY_STATIC, p->reply->stream_head,
      strlen (p->reply->stream_head));
  p->chunk = endless_chunk_new (p->reply->stream_item);

  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (stream_wrote_chunk), p);
  g_signal_connect (msg, "finished", G_CALLBACK (stream_ended), p);
  g_signal_handlers_disconnect_by_func (msg, pending_disconnected, p);
  g_signal_connect (msg, "disconnected", G_CALLBACK (stream_ended), p);

  soup_server_message_unpause (msg);
}

static gboolean
pending_fire (gpointer data)
{
  Pending *p = data;

  if (!p->answered) {
    switch (p->reply->action) {
      case CV_REPLY_DROP:
      case CV_REPLY_RESET:
        /* Stealing from here, not from the handler: the message is
         * paused, so libsoup's I/O is not running underneath us. */
        close_connection (p->msg, p->reply->action == CV_REPLY_RESET);
        break;
      case CV_REPLY_STREAM:
        g_clear_pointer (&p->source, g_source_unref);
        stream_start (p);
        /* @p lives on until the stream ends. */
        return G_SOURCE_REMOVE;
      default:
        apply_reply (p->msg, p->reply);
        soup_server_message_unpause (p->msg);
        break;
    }
  }

  pending_done (p);
  return G_SOURCE_REMOVE;
}

/* Asks for the connection to be closed after every answer (see the top of
 * the file) unless keep-alive was asked for; the earliest moment a
 * message's headers can be set. */
static void
request_started (SoupServer * soup, SoupServerMessage * msg,
    gpointer user_data)
{
  CvLocalServer *self = user_data;
  gboolean keep_alive;

  g_mutex_lock (&self->lock);
  keep_alive = self->keep_alive;
  g_mutex_unlock (&self->lock);
  if (!keep_alive)
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Connection", "close");
}

/* The quota's verdict on @req (called with the lock): a request beyond
 * it is answered 429 with the wait until one more would be admitted in
 * Retry-After (whole seconds, rounded up, in the form asked for); with
 * ratelimit_headers every answer says what is left, as OpenAI's do. */
static gboolean
admit_by_quota (CvLocalServer * self, SoupServerMessage * msg,
    const CvLocalServerRequest * req, Config * cfg)
{
  SoupMessageHeaders *hdrs = soup_server_message_get_response_headers (msg);
  gint64 now_us = req->received_monotonic_us, wait_us = 0;
  gboolean admitted;
  gchar *value;

  if (self->quota == NULL)
    return TRUE;
  admitted = cv_quota_take (self->quota, now_us, &wait_us);
  if (!admitted) {
    self->throttled++;
    cfg->reply.status = 429;
    cfg->reply.retry_after = MAX (1, (wait_us + G_USEC_PER_SEC - 1) /
        G_USEC_PER_SEC);
  }
  if (!self->ratelimit_headers)
    return admitted;
  value = g_strdup_printf ("%u", self->quota_limit);
  soup_message_headers_replace (hdrs, "x-ratelimit-limit-requests", value);
  g_free (value);
  value = g_strdup_printf ("%u", cv_quota_remaining (self->quota, now_us));
  soup_message_headers_replace (hdrs, "x-ratelimit-remaining-requests",
      value);
  g_free (value);
  value = cv_quota_format_duration (cv_quota_reset_us (self->quota, now_us));
  soup_message_headers_replace (hdrs, "x-ratelimit-reset-requests", value);
  g_free (value);
  return admitted;
}

static void
handle_request (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  CvLocalServer *self = user_data;
  CvLocalServerRequest *req;
  Config cfg;
  CvReply *reply;
  Pending *p;
  gchar *canned_body;
  gchar **models;
  gboolean throttled;

  req = request_record_new (self, msg, path, query);

  g_mutex_lock (&self->lock);
  /* The log owns the record; records are only freed with the server,
   * after this thread has stopped, so reading it below (and from @p
   * later) is safe. */
  g_ptr_array_add (self->requests, req);
  self->in_progress++;
  self->max_in_progress = MAX (self->max_in_progress, self->in_progress);
  cfg = self->config;
  throttled = !admit_by_quota (self, msg, req, &cfg);
  if (self->fail_every > 0 && ++self->fail_every_count % self->fail_every == 0
      && !throttled)
    cfg.reply.status = self->fail_every_status;
  if (self->reset_every > 0
      && ++self->reset_every_count % self->reset_every == 0 && !throttled)
    cfg.reply.mode = CV_LOCAL_SERVER_MODE_RESET;
  if (req->received_monotonic_us < self->outage_until_us)
    cfg.reply.status = self->outage_status;
  canned_body = g_strdup (self->canned_body);
  models = g_strdupv (self->models);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  cfg.reply.models = (const gchar * const *) models;
  reply = cv_reply_decide (req, &cfg.reply, canned_body);
  g_strfreev (models);

  if (reply->action == CV_REPLY_ANSWER && cfg.delay_ms == 0) {
    apply_reply (msg, reply);
    cv_reply_free (reply);
    g_mutex_lock (&self->lock);
    self->in_progress--;
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
    return;
  }

  p = g_new0 (Pending, 1);
  p->self = self;
  p->msg = g_object_ref (msg);
  p->req = req;
  p->reply = reply;
  soup_server_message_pause (msg);
  g_signal_connect (msg, "disconnected", G_CALLBACK (pending_disconnected), p);
  if (reply->action != CV_REPLY_HANG) {
    p->source = g_timeout_source_new (cfg.delay_ms);
    g_source_set_callback (p->source, pending_fire, p, NULL);
    g_source_attach (p->source, self->context);
  }
  self->pending = g_list_prepend (self->pending, p);
}

/* Answers every hung request as NORMAL would (cv_local_server_release()). */
static gboolean
release_held (gpointer data)
{
  CvLocalServer *self = data;
  GList *l, *next;
  CvReplyConfig cfg;
  gchar *canned_body;
  gchar **models;

  g_mutex_lock (&self->lock);
  cfg = self->config.reply;
  canned_body = g_strdup (self->canned_body);
  models = g_strdupv (self->models);
  g_mutex_unlock (&self->lock);
  cfg.mode = CV_LOCAL_SERVER_MODE_NORMAL;
  cfg.models = (const gchar * const *) models;

  for (l = self->pending; l != NULL; l = next) {
    Pending *p = l->data;

    next = l->next;
    if (p->reply->action != CV_REPLY_HANG)
      continue;
    if (!p->answered) {
      cv_reply_free (p->reply);
      p->reply = cv_reply_decide (p->req, &cfg, g_strdup (canned_body));
      apply_reply (p->msg, p->reply);
      soup_server_message_unpause (p->msg);
    }
    pending_done (p);
  }
  g_free (canned_body);
  g_strfreev (models);

  g_mutex_lock (&self->lock);
  self->releases_done++;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  return G_SOURCE_REMOVE;
}

static gboolean
quit_loop (gpointer data)
{
  CvLocalServer *self = data;

  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

static gpointer
server_thread (gpointer data)
{
  CvLocalServer *self = data;
  GError *error = NULL;
  gboolean ok;
  guint port = 0;
  GList *l;

  g_main_context_push_thread_default (self->context);

  /* Created here so that its listener and connections attach their
   * sources to our context. */
  self->soup = soup_server_new ("server-header", "cvanalyze-local-server",
      NULL);
  soup_server_add_handler (self->soup, NULL, handle_request, self, NULL);
  g_signal_connect (self->soup, "request-started",
      G_CALLBACK (request_started), self);
  ok = soup_server_listen_local (self->soup, self->requested_port,
      SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  if (ok) {
    GSList *uris = soup_server_get_uris (self->soup);

    if (uris != NULL)
      port = g_uri_get_port (uris->data);
    g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  }

  g_mutex_lock (&self->lock);
  self->port = port;
  self->listening = ok;
  self->start_error = error;
  self->started = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  if (ok)
    g_main_loop_run (self->loop);

  /* Release paused (delayed or hung) messages and endless answers:
   * closing every connection ends them on the client side with a
   * connection error, and each "disconnected" settles its in-progress
   * count. */
  for (l = self->pending; l != NULL; l = l->next) {
    Pending *p = l->data;

    if (p->source) {
      g_source_destroy (p->source);
      g_clear_pointer (&p->source, g_source_unref);
    }
  }
  soup_server_disconnect (self->soup);
  g_list_free_full (self->pending, (GDestroyNotify) pending_free);
  self->pending = NULL;
  g_clear_object (&self->soup);

  while (g_main_context_iteration (self->context, FALSE));
  g_main_context_pop_thread_default (self->context);

  return NULL;
}

/**
 * cv_local_server_new_full:
 * @key: (nullable): the subscription key to require; %NULL or "" accepts
 *   any key, or none
 * @port: TCP port on 127.0.0.1, 0 for a free one
 * @error: where to report a failure to listen
 *
 * Starts the server on its own thread and returns once it is listening.
 *
 * Returns: (transfer full) (nullable): the server, %NULL on error.
 */
CvLocalServer *
cv_local_server_new_full (const gchar * key, guint port, GError ** error)
{
  CvLocalServer *self = g_new0 (CvLocalServer, 1);

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->key = (key != NULL && *key != '\0') ? g_strdup (key) : NULL;
  self->requested_port = port;
  self->requests = g_ptr_array_new_with_free_func ((GDestroyNotify)
      cv_local_server_request_free);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->models = g_strdupv ((gchar **) default_models);
  self->config.reply.reader = cv_reader_new ();
  self->config.reply.read_operations = cv_read_operations_new ();

  self->thread = g_thread_try_new ("cvlocalserver", server_thread, self, error);
  if (self->thread == NULL) {
    cv_local_server_free (self);
    return NULL;
  }

  g_mutex_lock (&self->lock);
  while (!self->started)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);

  if (!self->listening) {
    g_propagate_error (error, g_steal_pointer (&self->start_error));
    cv_local_server_free (self);
    return NULL;
  }

  return self;
}

/**
 * cv_local_server_new:
 * @key: (nullable): the subscription key to require
 * @error: where to report a failure to listen
 *
 * Like cv_local_server_new_full() on a free port of 127.0.0.1.
 */
CvLocalServer *
cv_local_server_new (const gchar * key, GError ** error)
{
  return cv_local_server_new_full (key, 0, error);
}

guint
cv_local_server_get_port (CvLocalServer * self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->port;
}

/* Returns: (transfer full): "http://127.0.0.1:PORT/" */
gchar *
cv_local_server_get_url (CvLocalServer * self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_strdup_printf ("http://127.0.0.1:%u/", self->port);
}

/* Applies to requests arriving from now on. */
void
cv_local_server_set_delay (CvLocalServer * self, guint delay_ms)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->config.delay_ms = delay_ms;
  g_mutex_unlock (&self->lock);
}

/* @status: HTTP status to answer every valid request with (0 or 200:
 * normal); @retry_after_s: a Retry-After header value, 0 for none. */
void
cv_local_server_set_failure (CvLocalServer * self, guint status,
    guint retry_after_s)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (status == 0 || (status >= 100 && status <= 599));

  g_mutex_lock (&self->lock);
  self->config.reply.status = status;
  self->config.reply.retry_after = retry_after_s;
  g_mutex_unlock (&self->lock);
}

/* Every @n-th request from now on (the n-th, 2n-th, ...) is answered with
 * @status (and the Retry-After of cv_local_server_set_failure()); @n 0:
 * none. */
void
cv_local_server_set_fail_every (CvLocalServer * self, guint n, guint status)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (n == 0 || (status >= 100 && status <= 599));

  g_mutex_lock (&self->lock);
  self->fail_every = n;
  self->fail_every_status = status;
  self->fail_every_count = 0;
  g_mutex_unlock (&self->lock);
}

/* How set_failure()'s Retry-After is sent (#CvLocalServerRetryAfter);
 * applies to requests arriving from now on. */
void
cv_local_server_set_retry_after_form (CvLocalServer * self,
    CvLocalServerRetryAfter form)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (form <= CV_LOCAL_SERVER_RETRY_AFTER_MS);

  g_mutex_lock (&self->lock);
  self->config.reply.retry_after_form = form;
  g_mutex_unlock (&self->lock);
}

/* Every @n-th request from now on (the n-th, 2n-th, ...) gets a TCP
 * reset instead of an answer (#CV_LOCAL_SERVER_MODE_RESET); @n 0: none. */
void
cv_local_server_set_reset_every (CvLocalServer * self, guint n)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->reset_every = n;
  self->reset_every_count = 0;
  g_mutex_unlock (&self->lock);
}

/**
 * cv_local_server_set_quota:
 * @limit: requests admitted per window of @window_ms, a token bucket
 *   that holds @limit and refills continuously (cvquota.h); 0: no quota
 * @window_ms: the window, e.g. 60000 for Azure's "20 calls per minute"
 *
 * Requests beyond the quota are answered 429 with Retry-After (in the
 * form of cv_local_server_set_retry_after_form()): the whole seconds,
 * rounded up, until one more would be admitted. Refused requests do not
 * count against it. Starts afresh; quota refusals come before the other
 * faults (a refused request is not also failed or reset).
 */
void
cv_local_server_set_quota (CvLocalServer * self, guint limit, guint window_ms)
{
  CvQuota *quota = limit > 0 ? cv_quota_new (limit,
      (gint64) MAX (window_ms, 1) * 1000) : NULL;

  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  cv_quota_free (self->quota);
  self->quota = quota;
  self->quota_limit = limit;
  g_mutex_unlock (&self->lock);
}

/* With a quota, whether every answer carries OpenAI's
 * x-ratelimit-limit-requests, x-ratelimit-remaining-requests (after this
 * request) and x-ratelimit-reset-requests (a duration such as "1s",
 * "6m0s" or "20ms": until the quota is whole again). */
void
cv_local_server_set_ratelimit_headers (CvLocalServer * self, gboolean send)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->ratelimit_headers = send;
  g_mutex_unlock (&self->lock);
}

/* Keeps connections open between answers, as a real service does, instead
 * of answering each with Connection: close. For benchmarks and for tests
 * of connection reuse: libsoup 3.2's server then keeps a connection its
 * client closes while idle open until the server stops (see the top). */
void
cv_local_server_set_keep_alive (CvLocalServer * self, gboolean keep_alive)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->keep_alive = keep_alive;
  g_mutex_unlock (&self->lock);
}

/* Every request received in the next @duration_ms is answered with
 * @status (an outage of that length, e.g. 503 for 20 s), then the server
 * recovers by itself: the outage's length does not depend on when a test
 * gets to run. */
void
cv_local_server_set_outage (CvLocalServer * self, guint status,
    guint duration_ms)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (status >= 100 && status <= 599);

  g_mutex_lock (&self->lock);
  self->outage_status = status;
  self->outage_until_us = g_get_monotonic_time () + duration_ms * (gint64)
      1000;
  g_mutex_unlock (&self->lock);
}

/* Requests the quota refused with 429, since start. */
guint
cv_local_server_get_throttled_count (CvLocalServer * self)
{
  g_return_val_if_fail (self != NULL, 0);

  return read_counter (self, &self->throttled);
}

void
cv_local_server_set_mode (CvLocalServer * self, CvLocalServerMode mode)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (mode <= CV_LOCAL_SERVER_MODE_RESET);

  g_mutex_lock (&self->lock);
  self->config.reply.mode = mode;
  g_mutex_unlock (&self->lock);
}

/* See #CvLocalServerHostile; applies to requests arriving from now on, not
 * to a canned body. */
void
cv_local_server_set_hostile (CvLocalServer * self, CvLocalServerHostile flags)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->config.reply.hostile.flags = flags;
  g_mutex_unlock (&self->lock);
}

/* @n: 0 to answer with the analysed tags; else exactly @n tags, "tag1" to
 * "tagN", in "tags" and in "description.tags" (where the request asked for
 * them). */
void
cv_local_server_set_tag_count (CvLocalServer * self, guint n)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->config.reply.hostile.tag_count = n;
  g_mutex_unlock (&self->lock);
}

/* @n: 0 to answer with the analysed caption; else a caption of @n words,
 * "word1 word2 ... wordN". */
void
cv_local_server_set_caption_words (CvLocalServer * self, guint n)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->config.reply.hostile.caption_words = n;
  g_mutex_unlock (&self->lock);
}

/* @n: 0 for Azure's messages; else the error bodies that
 * cv_local_server_set_failure() asks for carry a top-level message of
 * exactly @n bytes of ASCII text (plus the control characters if
 * CV_LOCAL_SERVER_HOSTILE_CONTROL_CHARS is set). */
void
cv_local_server_set_error_message_size (CvLocalServer * self, gsize n)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->config.reply.hostile.error_message_size = n;
  g_mutex_unlock (&self->lock);
}

/* @max_side: the largest thumbnail width and height generateThumbnail
 * takes, answering InvalidThumbnailSize beyond it; 0 for Azure's 1024. A
 * lower limit lets a client's handling of that refusal be tested with
 * sizes the client itself allows. Applies to requests arriving from now
 * on. */
void
cv_local_server_set_thumbnail_limit (CvLocalServer * self, guint max_side)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->config.reply.thumbnail_max_side = max_side;
  g_mutex_unlock (&self->lock);
}

/* See #CvLocalServerQuirks; applies to requests arriving from now on. */
void
cv_local_server_set_quirks (CvLocalServer * self, CvLocalServerQuirks quirks)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->config.reply.quirks = quirks;
  g_mutex_unlock (&self->lock);
}

/**
 * cv_local_server_set_models:
 * @models: (nullable) (array zero-terminated=1): the model names the chat
 *   routes know (on Azure OpenAI, the deployment names); %NULL or empty
 *   for just %CV_LOCAL_SERVER_DEFAULT_MODEL
 *
 * A request for any other model gets the service's 404. Applies to
 * requests arriving from now on.
 */
void
cv_local_server_set_models (CvLocalServer * self, const gchar * const *models)
{
  gchar **copy;

  g_return_if_fail (self != NULL);

  if (models == NULL || models[0] == NULL)
    copy = g_strdupv ((gchar **) default_models);
  else
    copy = g_strdupv ((gchar **) models);

  g_mutex_lock (&self->lock);
  g_strfreev (self->models);
  self->models = copy;
  g_mutex_unlock (&self->lock);
}

/**
 * cv_local_server_set_read_running:
 * @n: how many polls of a v3.2 Read operation answer "running" before
 *   it ends (as cv_local_server_set_read_ending() says); 0 by default
 *
 * Applies to the operations posted from now on.
 */
void
cv_local_server_set_read_running (CvLocalServer * self, guint n)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->config.reply.read_running = n;
  g_mutex_unlock (&self->lock);
}

/**
 * cv_local_server_set_read_ending:
 * @ending: what the poll after the "running" ones finds;
 *   %CV_LOCAL_SERVER_READ_SUCCEED by default
 *
 * Applies to the operations posted from now on.
 */
void
cv_local_server_set_read_ending (CvLocalServer * self,
    CvLocalServerReadEnding ending)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->config.reply.read_ending = ending;
  g_mutex_unlock (&self->lock);
}

/**
 * cv_local_server_set_read_lifetime:
 * @seconds: how long a v3.2 Read operation is kept after its POST
 *   (CV_READ_OPERATION_LIFETIME_S by default; 0: gone at once)
 */
void
cv_local_server_set_read_lifetime (CvLocalServer * self, guint seconds)
{
  g_return_if_fail (self != NULL);

  cv_read_operations_set_lifetime (self->config.reply.read_operations,
      seconds);
}

/**
 * cv_local_server_release:
 *
 * Answers every request that HANG is holding, as NORMAL would (with the
 * current status, hostile and canned-body settings), switches the mode
 * back to NORMAL, and returns once the answers are on their way. Lets a
 * test hang a request and release it at a moment of its choosing instead
 * of using delays. Must not be called from the server's own thread.
 */
void
cv_local_server_release (CvLocalServer * self)
{
  GSource *source;
  guint ticket;

  g_return_if_fail (self != NULL);
  g_return_if_fail (g_thread_self () != self->thread);

  g_mutex_lock (&self->lock);
  self->config.reply.mode = CV_LOCAL_SERVER_MODE_NORMAL;
  ticket = ++self->releases_requested;
  g_mutex_unlock (&self->lock);

  source = g_idle_source_new ();
  g_source_set_callback (source, release_held, self, NULL);
  g_source_attach (source, self->context);
  g_source_unref (source);

  g_mutex_lock (&self->lock);
  while (self->releases_done < ticket)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
}

/**
 * cv_local_server_get_open_connections:
 *
 * Client connections the server holds open now, counted from the kernel's
 * view of this process (cvprocsockets.c explains why): every accepted
 * socket that still has a descriptor, whatever its TCP state. A request
 * HANG holds keeps its connection open until released.
 *
 * Returns: the number of open client connections
 */
guint
cv_local_server_get_open_connections (CvLocalServer * self)
{
  g_return_val_if_fail (self != NULL, 0);

  return cv_proc_sockets_count_accepted (self->port);
}

/* Reads one of the counters the server thread updates. */
static guint
read_counter (CvLocalServer * self, const guint * counter)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = *counter;
  g_mutex_unlock (&self->lock);
  return n;
}

/* Every request received, whatever its answer. */
guint
cv_local_server_get_request_count (CvLocalServer * self)
{
  g_return_val_if_fail (self != NULL, 0);

  return read_counter (self, &self->requests->len);
}

/**
 * cv_local_server_wait_for_requests:
 * @n: how many requests (in total, since start) to wait for
 * @timeout_us: how long to wait at most, in microseconds
 *
 * Returns: %TRUE if at least @n requests have been received.
 */
gboolean
cv_local_server_wait_for_requests (CvLocalServer * self, guint n,
    gint64 timeout_us)
{
  gint64 end_time;
  gboolean ok;

  g_return_val_if_fail (self != NULL, FALSE);

  end_time = g_get_monotonic_time () + timeout_us;
  g_mutex_lock (&self->lock);
  while (self->requests->len < n) {
    if (!g_cond_wait_until (&self->cond, &self->lock, end_time))
      break;
  }
  ok = self->requests->len >= n;
  g_mutex_unlock (&self->lock);

  return ok;
}

static CvLocalServerRequest *
request_copy (const CvLocalServerRequest * req)
{
  CvLocalServerRequest *copy = g_new0 (CvLocalServerRequest, 1);
  GHashTableIter iter;
  gpointer k, v;

  copy->method = g_strdup (req->method);
  copy->path = g_strdup (req->path);
  copy->query = g_strdup (req->query);
  copy->api_version = g_strdup (req->api_version);
  copy->content_type = g_strdup (req->content_type);
  copy->host = g_strdup (req->host);
  copy->auth_header = g_strdup (req->auth_header);
  copy->has_key = req->has_key;
  copy->key_matches = req->key_matches;
  copy->query_params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  g_hash_table_iter_init (&iter, req->query_params);
  while (g_hash_table_iter_next (&iter, &k, &v))
    g_hash_table_insert (copy->query_params, g_strdup (k), g_strdup (v));
  copy->body = g_bytes_ref (req->body);
  copy->received_monotonic_us = req->received_monotonic_us;
  copy->received_real_us = req->received_real_us;
  copy->remote_port = req->remote_port;

  return copy;
}

/**
 * cv_local_server_get_request:
 * @index: 0 for the first request received
 *
 * Returns: (transfer full) (nullable): a copy of the request's record, to
 *   free with cv_local_server_request_free(); %NULL if there is no such
 *   request yet.
 */
CvLocalServerRequest *
cv_local_server_get_request (CvLocalServer * self, guint index)
{
  CvLocalServerRequest *copy = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  g_mutex_lock (&self->lock);
  if (index < self->requests->len)
    copy = request_copy (g_ptr_array_index (self->requests, index));
  g_mutex_unlock (&self->lock);

  return copy;
}

void
cv_local_server_request_free (CvLocalServerRequest * req)
{
  if (req == NULL)
    return;
  g_free (req->method);
  g_free (req->path);
  g_free (req->query);
  g_free (req->api_version);
  g_free (req->content_type);
  g_free (req->host);
  g_free (req->auth_header);
  g_clear_pointer (&req->query_params, g_hash_table_unref);
  g_clear_pointer (&req->body, g_bytes_unref);
  g_free (req);
}

/* Requests received and not answered yet: delayed, hung, streaming
 * without end, or about to be dropped or reset. A hung request stays
 * counted until released or until the server is freed, since a paused
 * connection does not notice its client leaving; an endless one until its
 * client closes the connection. */
guint
cv_local_server_get_in_progress (CvLocalServer * self)
{
  g_return_val_if_fail (self != NULL, 0);

  return read_counter (self, &self->in_progress);
}

/* The most requests that were in progress at once. */
guint
cv_local_server_get_max_in_progress (CvLocalServer * self)
{
  g_return_val_if_fail (self != NULL, 0);

  return read_counter (self, &self->max_in_progress);
}

/* For tests of what the local analysis cannot produce (faces, objects):
 * answer valid requests with this body instead, e.g. one of Azure's
 * examples. NULL goes back to analysing. */
void
cv_local_server_set_canned_body (CvLocalServer * self, const gchar * body)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  g_free (self->canned_body);
  self->canned_body = g_strdup (body);
  g_mutex_unlock (&self->lock);
}

/**
 * cv_local_server_free:
 *
 * Stops the server thread, closing every connection (clients waiting on a
 * delayed or hung request get a connection error), and frees everything.
 * Must not be called from the server's own thread.
 */
void
cv_local_server_free (CvLocalServer * self)
{
  if (self == NULL)
    return;

  if (self->thread != NULL) {
    g_assert (g_thread_self () != self->thread);

    if (self->listening) {
      GSource *source = g_idle_source_new ();

      g_source_set_callback (source, quit_loop, self, NULL);
      g_source_attach (source, self->context);
      g_source_unref (source);
    }
    g_thread_join (self->thread);
    self->thread = NULL;
  }

  g_clear_error (&self->start_error);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_ptr_array_unref (self->requests);
  g_strfreev (self->models);
  cv_reader_free (self->config.reply.reader);
  cv_read_operations_free (self->config.reply.read_operations);
  g_free (self->key);
  g_free (self->canned_body);
  cv_quota_free (self->quota);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}
