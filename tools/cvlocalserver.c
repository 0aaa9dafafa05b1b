/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * A local, Azure Computer Vision-compatible "Analyze Image" server: the
 * development stand-in (as Azurite is for Azure Storage) that the README demo
 * and the tests talk to. It answers POST /vision/{v2.0,v2.1,v3.2}/analyze
 * from a deterministic colour analysis of the posted JPEG (see
 * cvcolouranalysis.c), with Azure's status codes and error bodies, and can be
 * told to misbehave (delay, fail, garble, drop, hang, reset, stream without
 * end, send hostile strings and sizes: cvhostile.c) to test clients.
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
#include "cvcolouranalysis.h"
#include "cvhostile.h"

#include "cvprocsockets.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#define KEY_HEADER "Ocp-Apim-Subscription-Key"
#define LABEL_HEADER "X-Cvanalyze-Server"
#define LABEL "local colour analysis (not Azure)"
#define JSON_CONTENT_TYPE "application/json; charset=utf-8"

/* The gateway's own words, so clients can be tested against the real text. */
#define ACCESS_DENIED_MESSAGE \
  "Access denied due to invalid subscription key or wrong API endpoint. " \
  "Make sure to provide a valid key for an active subscription and use a " \
  "correct regional API endpoint for your resource."

/* Azure's Analyze Image "details" and "language" values. The caption is
 * always English: accepting the other languages keeps clients that ask for
 * them working against the stand-in. */
static const gchar *const known_details[] = { "Celebrities", "Landmarks" };
static const gchar *const known_languages[] = { "en", "es", "ja", "pt", "zh" };

/* The endless answer's first chunk, and the one repeated after it (a
 * chunk of "x" items: big enough to cost little per chunk). */
#define ENDLESS_HEAD "{\"tags\":["
#define ENDLESS_ITEM "\"x\","
#define ENDLESS_ITEMS_PER_CHUNK 16384

typedef enum
{
  ACTION_ANSWER,
  ACTION_DROP,
  ACTION_RESET,
  ACTION_HANG,
  ACTION_STREAM
} ReplyAction;

/* What to do with one request, decided once when it arrives. */
typedef struct
{
  ReplyAction action;
  guint status;
  gchar *body;
  gchar *request_id;
  guint retry_after;
  gboolean allow_post;
} Reply;

typedef struct
{
  guint delay_ms;
  guint status;
  guint retry_after;
  CvLocalServerMode mode;
  CvHostileConfig hostile;
} Config;

/* A paused message waiting for its timeout (delay, drop, reset), for
 * release or shutdown (hang), or an endless answer being streamed. Owned
 * by CvLocalServer.pending, server thread only. */
typedef struct
{
  CvLocalServer *self;
  SoupServerMessage *msg;
  const CvLocalServerRequest *req;
  Reply *reply;
  GSource *source;
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
  GBytes *endless_chunk;

  /* Under lock. */
  Config config;
  GPtrArray *requests;
  guint in_progress;
  guint max_in_progress;
  gchar *canned_body;
  guint releases_requested;
  guint releases_done;
};

static void
reply_free (Reply * reply)
{
  g_free (reply->body);
  g_free (reply->request_id);
  g_free (reply);
}

static Reply *
reply_new (guint status, gchar * body, const gchar * request_id)
{
  Reply *reply = g_new0 (Reply, 1);

  reply->action = ACTION_ANSWER;
  reply->status = status;
  reply->body = body;
  reply->request_id = g_strdup (request_id);
  return reply;
}

static JsonNode *
builder_to_node (JsonBuilder * b)
{
  JsonNode *root = json_builder_get_root (b);

  g_object_unref (b);
  return root;
}

/* The API Management gateway's shape, for 401, 404, 429 and friends: the
 * code is the status as a *string*. */
static JsonNode *
gateway_error_body (guint status, const gchar * message)
{
  JsonBuilder *b = json_builder_new ();
  gchar *code = g_strdup_printf ("%u", status);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  json_builder_end_object (b);
  g_free (code);

  return builder_to_node (b);
}

/* The service's own errors: v2.x is flat {"code","message","requestId"}
 * with the specific code; v3.2 nests a general code over an inner one. */
static JsonNode *
service_error_body (CvApiVersion version, const gchar * code,
    const gchar * message, const gchar * inner_code,
    const gchar * inner_message, const gchar * request_id)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  if (version == CV_API_VERSION_V3_2) {
    json_builder_set_member_name (b, "error");
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "code");
    json_builder_add_string_value (b, code);
    json_builder_set_member_name (b, "message");
    json_builder_add_string_value (b, message);
    json_builder_set_member_name (b, "innererror");
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "code");
    json_builder_add_string_value (b, inner_code);
    json_builder_set_member_name (b, "message");
    json_builder_add_string_value (b, inner_message);
    json_builder_end_object (b);
    json_builder_end_object (b);
  } else {
    json_builder_set_member_name (b, "code");
    json_builder_add_string_value (b, inner_code);
    json_builder_set_member_name (b, "message");
    json_builder_add_string_value (b, inner_message);
    json_builder_set_member_name (b, "requestId");
    json_builder_add_string_value (b, request_id);
  }
  json_builder_end_object (b);

  return builder_to_node (b);
}

/* Takes @body. @hostile: the edits for the bodies set_failure() asks for,
 * NULL for Azure's own errors. */
static Reply *
error_reply (guint status, JsonNode * body, const gchar * request_id,
    const CvHostileConfig * hostile)
{
  Reply *reply = reply_new (status, cv_hostile_error_body (body, hostile),
      request_id);

  json_node_unref (body);
  return reply;
}

static Reply *
gateway_reply (guint status, const gchar * message, const gchar * request_id,
    const CvHostileConfig * hostile)
{
  return error_reply (status, gateway_error_body (status, message),
      request_id, hostile);
}

static Reply *
service_reply (CvApiVersion version, guint status, const gchar * code,
    const gchar * message, const gchar * inner_code,
    const gchar * inner_message, const gchar * request_id,
    const CvHostileConfig * hostile)
{
  return error_reply (status, service_error_body (version, code, message,
          inner_code, inner_message, request_id), request_id, hostile);
}

/* The answer for `--status`: what Azure sends with that status, distorted
 * as @hostile says. */
static Reply *
failure_reply (CvApiVersion version, guint status, guint retry_after,
    const gchar * request_id, const CvHostileConfig * hostile)
{
  Reply *reply;

  if (status == 400) {
    reply = service_reply (version, status, "InvalidRequest",
        "Simulated bad request.", "BadArgument",
        "Simulated bad request (local server told to fail).", request_id,
        hostile);
  } else if (status == 401) {
    reply = gateway_reply (status, ACCESS_DENIED_MESSAGE, request_id, hostile);
  } else if (status == 403) {
    reply = gateway_reply (status, "Out of call volume quota. Quota will be "
        "replenished later (simulated by the local server).", request_id,
        hostile);
  } else if (status == 429) {
    gchar *msg = g_strdup_printf ("Rate limit is exceeded. Try again in %u "
        "seconds.", retry_after > 0 ? retry_after : 1);

    reply = gateway_reply (status, msg, request_id, hostile);
    g_free (msg);
  } else if (status == 503) {
    reply = service_reply (version, status, "ServiceUnavailable",
        "The service is temporarily unavailable (simulated).", "Timeout",
        "The operation was timeout (simulated).", request_id, hostile);
  } else if (status >= 500) {
    reply = service_reply (version, status, "InternalServerError",
        "An internal server error occurred (simulated).",
        "InternalServerError",
        "An internal server error occurred (simulated).", request_id, hostile);
  } else {
    reply = gateway_reply (status, soup_status_get_phrase (status), request_id,
        hostile);
  }
  reply->retry_after = retry_after;

  return reply;
}

static gboolean
strv_contains_nocase (const gchar * const *strv, guint n, const gchar * str)
{
  guint i;

  for (i = 0; i < n; i++) {
    if (g_ascii_strcasecmp (strv[i], str) == 0)
      return TRUE;
  }
  return FALSE;
}

/* Every item of a comma-separated "details" value must be known. */
static gboolean
details_valid (const gchar * details)
{
  gchar **items;
  gboolean ok = TRUE;
  guint i;

  if (details == NULL)
    return TRUE;
  items = g_strsplit (details, ",", -1);
  for (i = 0; items[i] != NULL && ok; i++) {
    gchar *item = g_strstrip (items[i]);

    if (*item != '\0')
      ok = strv_contains_nocase (known_details, G_N_ELEMENTS (known_details),
          item);
  }
  g_strfreev (items);
  return ok;
}

/* The answer computed from the image, distorted as @hostile says, or
 * Azure's 400 for a bad request. */
static Reply *
analysis_reply (const CvLocalServerRequest * req, CvApiVersion version,
    const gchar * request_id, const CvHostileConfig * hostile)
{
  JsonNode *answer;
  const gchar *param;
  CvVisualFeatures features;
  CvColourAnalysis analysis;
  GError *error = NULL;
  gconstpointer data;
  gsize size;
  Reply *reply;

  param = g_hash_table_lookup (req->query_params, "visualFeatures");
  if (!cv_visual_features_parse (param, &features, NULL))
    return service_reply (version, 400, "InvalidRequest",
        "Analyze query is invalid.", "NotSupportedVisualFeature",
        "Specified feature type is not valid", request_id, NULL);

  if (!details_valid (g_hash_table_lookup (req->query_params, "details")))
    return service_reply (version, 400, "InvalidRequest",
        "Analyze query is invalid.", "InvalidDetails",
        "Specified detail is not valid", request_id, NULL);

  param = g_hash_table_lookup (req->query_params, "language");
  if (param != NULL && !strv_contains_nocase (known_languages,
          G_N_ELEMENTS (known_languages), param))
    return service_reply (version, 400, "InvalidRequest",
        "Analyze query is invalid.", "NotSupportedLanguage",
        "The requested language is not supported.", request_id, NULL);

  data = g_bytes_get_data (req->body, &size);
  if (!cv_colour_analysis_analyse_jpeg (data, size, &analysis, &error)) {
    const gchar *inner_code =
        error->code == CV_COLOUR_ANALYSIS_ERROR_INVALID_FORMAT ?
        "InvalidImageFormat" : "InvalidImageSize";

    reply = service_reply (version, 400, "InvalidRequest", error->message,
        inner_code, error->message, request_id, NULL);
    g_error_free (error);
    return reply;
  }

  answer = cv_colour_analysis_to_json (&analysis, version, features,
      request_id);
  reply = reply_new (200, cv_hostile_analysis_body (answer, hostile),
      request_id);
  json_node_unref (answer);
  return reply;
}

/* Decides the answer. The order is the gateway's (route, method, key)
 * before the service's; misbehaviour replaces the service. */
static Reply *
build_reply (const CvLocalServerRequest * req, const Config * cfg,
    gchar * canned_body)
{
  CvApiVersion version = cv_api_version_from_string (req->api_version);
  gchar *request_id = g_uuid_string_random ();
  Reply *reply;

  if (version == CV_API_VERSION_UNKNOWN) {
    reply = gateway_reply (404, "Resource not found", request_id, NULL);
  } else if (g_strcmp0 (req->method, "POST") != 0) {
    reply = gateway_reply (405, "Method not allowed; Analyze Image takes a "
        "POST.", request_id, NULL);
    reply->allow_post = TRUE;
  } else if (!req->key_matches) {
    reply = gateway_reply (401, ACCESS_DENIED_MESSAGE, request_id, NULL);
  } else if (cfg->mode == CV_LOCAL_SERVER_MODE_DROP
      || cfg->mode == CV_LOCAL_SERVER_MODE_RESET
      || cfg->mode == CV_LOCAL_SERVER_MODE_HANG) {
    reply = reply_new (0, NULL, request_id);
    if (cfg->mode == CV_LOCAL_SERVER_MODE_DROP)
      reply->action = ACTION_DROP;
    else if (cfg->mode == CV_LOCAL_SERVER_MODE_RESET)
      reply->action = ACTION_RESET;
    else
      reply->action = ACTION_HANG;
  } else if (cfg->mode == CV_LOCAL_SERVER_MODE_ENDLESS) {
    reply = reply_new (200, NULL, request_id);
    reply->action = ACTION_STREAM;
  } else if (cfg->status != 0 && cfg->status != 200) {
    reply = failure_reply (version, cfg->status, cfg->retry_after, request_id,
        &cfg->hostile);
  } else if (canned_body) {
    reply = reply_new (200, g_steal_pointer (&canned_body), request_id);
  } else if (cfg->mode == CV_LOCAL_SERVER_MODE_MALFORMED) {
    /* Cut off in the middle of a member, as a truncated transfer would. */
    reply = reply_new (200, g_strdup_printf ("{\"requestId\":\"%s\","
            "\"metadata\":{\"width\":64,\"height\":", request_id), request_id);
  } else if (cfg->mode == CV_LOCAL_SERVER_MODE_WRONG_TYPES) {
    reply = reply_new (200, g_strdup ("{\"description\":5,\"tags\":\"x\","
            "\"color\":[true],\"metadata\":\"64x64\",\"requestId\":5,"
            "\"modelVersion\":7}"), request_id);
  } else {
    reply = analysis_reply (req, version, request_id, &cfg->hostile);
  }

  g_free (request_id);
  g_free (canned_body);
  return reply;
}

/* Sets the status, headers and body of @reply on @msg; takes the body. */
static void
apply_reply (SoupServerMessage * msg, Reply * reply)
{
  SoupMessageHeaders *hdrs = soup_server_message_get_response_headers (msg);
  gsize size = strlen (reply->body);

  soup_message_headers_replace (hdrs, LABEL_HEADER, LABEL);
  soup_message_headers_replace (hdrs, "apim-request-id", reply->request_id);
  if (reply->retry_after > 0) {
    gchar *s = g_strdup_printf ("%u", reply->retry_after);

    soup_message_headers_replace (hdrs, "Retry-After", s);
    g_free (s);
  }
  if (reply->allow_post)
    soup_message_headers_replace (hdrs, "Allow", "POST");

  /* libsoup 3.2 has no phrase for 429 and would send "Unknown Error". */
  soup_server_message_set_status (msg, reply->status,
      reply->status == 429 ? "Too Many Requests" : NULL);
  /* Taken, not copied: a hostile body can be tens of megabytes. */
  soup_server_message_set_response (msg, JSON_CONTENT_TYPE, SOUP_MEMORY_TAKE,
      g_steal_pointer (&reply->body), size);
}

/* "Analyze Image" paths are /vision/<version>/analyze. */
static gchar *
api_version_from_path (const gchar * path)
{
  static const gchar prefix[] = "/vision/", suffix[] = "/analyze";
  gsize len;
  gchar *version;

  if (path == NULL || !g_str_has_prefix (path, prefix)
      || !g_str_has_suffix (path, suffix))
    return NULL;
  len = strlen (path);
  if (len <= strlen (prefix) + strlen (suffix))
    return NULL;

  version = g_strndup (path + strlen (prefix),
      len - strlen (prefix) - strlen (suffix));
  if (cv_api_version_from_string (version) == CV_API_VERSION_UNKNOWN)
    g_clear_pointer (&version, g_free);
  return version;
}

static CvLocalServerRequest *
request_record_new (CvLocalServer * self, SoupServerMessage * msg,
    const char *path, GHashTable * query)
{
  CvLocalServerRequest *req = g_new0 (CvLocalServerRequest, 1);
  SoupMessageHeaders *hdrs = soup_server_message_get_request_headers (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  const gchar *key;

  req->method = g_strdup (soup_server_message_get_method (msg));
  req->path = g_strdup (path);
  req->query = g_strdup (uri ? g_uri_get_query (uri) : NULL);
  req->api_version = api_version_from_path (path);
  req->content_type = g_strdup (soup_message_headers_get_one (hdrs,
          "Content-Type"));

  key = soup_message_headers_get_one (hdrs, KEY_HEADER);
  req->has_key = key != NULL;
  req->key_matches = self->key == NULL || g_strcmp0 (key, self->key) == 0;

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
  reply_free (p->reply);
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

/* Gives the endless answer its next chunk, and lets libsoup write it. */
static gboolean
stream_next_chunk (gpointer data)
{
  Pending *p = data;

  g_clear_pointer (&p->source, g_source_unref);
  soup_message_body_append_bytes (soup_server_message_get_response_body
      (p->msg), p->self->endless_chunk);
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

static void
stream_start (Pending * p)
{
  SoupServerMessage *msg = p->msg;
  SoupMessageHeaders *hdrs = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);

  soup_message_headers_replace (hdrs, LABEL_HEADER, LABEL);
  soup_message_headers_replace (hdrs, "apim-request-id", p->reply->request_id);
  soup_message_headers_replace (hdrs, "Content-Type", JSON_CONTENT_TYPE);
  soup_message_headers_set_encoding (hdrs, SOUP_ENCODING_CHUNKED);
  soup_server_message_set_status (msg, 200, NULL);
  /* Written chunks are dropped, not kept for a body nobody reads. */
  soup_message_body_set_accumulate (body, FALSE);
  soup_message_body_append (body, SOUP_MEMORY_STATIC, ENDLESS_HEAD,
      strlen (ENDLESS_HEAD));

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
      case ACTION_DROP:
      case ACTION_RESET:
        /* Stealing from here, not from the handler: the message is
         * paused, so libsoup's I/O is not running underneath us. */
        close_connection (p->msg, p->reply->action == ACTION_RESET);
        break;
      case ACTION_STREAM:
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
 * the file); the earliest moment a message's headers can be set. */
static void
request_started (SoupServer * soup, SoupServerMessage * msg,
    gpointer user_data)
{
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Connection", "close");
}

static void
handle_request (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  CvLocalServer *self = user_data;
  CvLocalServerRequest *req;
  Config cfg;
  Reply *reply;
  Pending *p;
  gchar *canned_body;

  req = request_record_new (self, msg, path, query);

  g_mutex_lock (&self->lock);
  /* The log owns the record; records are only freed with the server,
   * after this thread has stopped, so reading it below (and from @p
   * later) is safe. */
  g_ptr_array_add (self->requests, req);
  self->in_progress++;
  self->max_in_progress = MAX (self->max_in_progress, self->in_progress);
  cfg = self->config;
  canned_body = g_strdup (self->canned_body);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  reply = build_reply (req, &cfg, canned_body);

  if (reply->action == ACTION_ANSWER && cfg.delay_ms == 0) {
    apply_reply (msg, reply);
    reply_free (reply);
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
  if (reply->action != ACTION_HANG) {
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
  Config cfg;
  gchar *canned_body;

  g_mutex_lock (&self->lock);
  cfg = self->config;
  canned_body = g_strdup (self->canned_body);
  g_mutex_unlock (&self->lock);
  cfg.mode = CV_LOCAL_SERVER_MODE_NORMAL;

  for (l = self->pending; l != NULL; l = next) {
    Pending *p = l->data;

    next = l->next;
    if (p->reply->action != ACTION_HANG)
      continue;
    if (!p->answered) {
      reply_free (p->reply);
      p->reply = build_reply (p->req, &cfg, g_strdup (canned_body));
      apply_reply (p->msg, p->reply);
      soup_server_message_unpause (p->msg);
    }
    pending_done (p);
  }
  g_free (canned_body);

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
      G_CALLBACK (request_started), NULL);
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

  /* Release paused (delayed or hung) messages: closing every connection
   * ends them on the client side with a connection error, and each
   * "disconnected" settles its in-progress count. */
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

/* ENDLESS_ITEMS_PER_CHUNK items: one chunk shared by every endless answer
 * (libsoup only takes references to it). */
static GBytes *
endless_chunk_new (void)
{
  GString *s = g_string_sized_new (ENDLESS_ITEMS_PER_CHUNK *
      strlen (ENDLESS_ITEM));
  guint i;

  for (i = 0; i < ENDLESS_ITEMS_PER_CHUNK; i++)
    g_string_append (s, ENDLESS_ITEM);
  return g_string_free_to_bytes (s);
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
  self->endless_chunk = endless_chunk_new ();

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
  self->config.status = status;
  self->config.retry_after = retry_after_s;
  g_mutex_unlock (&self->lock);
}

void
cv_local_server_set_mode (CvLocalServer * self, CvLocalServerMode mode)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (mode <= CV_LOCAL_SERVER_MODE_RESET);

  g_mutex_lock (&self->lock);
  self->config.mode = mode;
  g_mutex_unlock (&self->lock);
}

/* See #CvLocalServerHostile; applies to requests arriving from now on. */
void
cv_local_server_set_hostile (CvLocalServer * self, CvLocalServerHostile flags)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->config.hostile.flags = flags;
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
  self->config.hostile.tag_count = n;
  g_mutex_unlock (&self->lock);
}

/* @n: 0 to answer with the analysed caption; else a caption of @n words,
 * "word1 word2 ... wordN". */
void
cv_local_server_set_caption_words (CvLocalServer * self, guint n)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->config.hostile.caption_words = n;
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
  self->config.hostile.error_message_size = n;
  g_mutex_unlock (&self->lock);
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
  self->config.mode = CV_LOCAL_SERVER_MODE_NORMAL;
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
  copy->has_key = req->has_key;
  copy->key_matches = req->key_matches;
  copy->query_params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  g_hash_table_iter_init (&iter, req->query_params);
  while (g_hash_table_iter_next (&iter, &k, &v))
    g_hash_table_insert (copy->query_params, g_strdup (k), g_strdup (v));
  copy->body = g_bytes_ref (req->body);
  copy->received_monotonic_us = req->received_monotonic_us;

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
  g_clear_pointer (&req->query_params, g_hash_table_unref);
  g_clear_pointer (&req->body, g_bytes_unref);
  g_free (req);
}

/* Requests received and not answered yet: delayed, hung, or about to be
 * dropped. A hung request stays counted until the server is freed, since
 * a paused connection does not notice its client leaving. */
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
  g_bytes_unref (self->endless_chunk);
  g_free (self->key);
  g_free (self->canned_body);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}
