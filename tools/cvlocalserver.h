/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __CV_LOCAL_SERVER_H__
#define __CV_LOCAL_SERVER_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CvLocalServer CvLocalServer;

/**
 * CvLocalServerMode:
 * @CV_LOCAL_SERVER_MODE_NORMAL: answer from the colour analysis
 * @CV_LOCAL_SERVER_MODE_MALFORMED: 200 with a truncated, unparsable body
 * @CV_LOCAL_SERVER_MODE_WRONG_TYPES: 200 with valid JSON whose members have
 *   the wrong types ("description": 5, "tags": "x", ...; a number for the
 *   caption of Image Analysis and the content of a chat answer)
 * @CV_LOCAL_SERVER_MODE_DROP: close the connection without any response
 * @CV_LOCAL_SERVER_MODE_HANG: never answer, until cv_local_server_release()
 *   or the server is freed (which closes the connection)
 * @CV_LOCAL_SERVER_MODE_ENDLESS: 200 with Content-Type JSON and a chunked
 *   body that never ends: the protocol's head ('{"tags":[' for Computer
 *   Vision, '{"modelVersion":...,"tagsResult":{"values":[' for Image
 *   Analysis, a chat.completion up to '"content":"' for chat) then items
 *   ('"x",', '{"name":"x","confidence":0.5},', 'x '), one chunk after the
 *   previous one was written, until the client closes the connection
 * @CV_LOCAL_SERVER_MODE_RESET: a true TCP reset: SO_LINGER {1, 0} on the
 *   socket, then close it, so the client reads ECONNRESET
 *
 * Deliberate misbehaviour, to test clients, on every route. Path, method
 * and key checks still come first, so a bad URL or key is reported as
 * usual.
 */
typedef enum
{
  CV_LOCAL_SERVER_MODE_NORMAL = 0,
  CV_LOCAL_SERVER_MODE_MALFORMED,
  CV_LOCAL_SERVER_MODE_WRONG_TYPES,
  CV_LOCAL_SERVER_MODE_DROP,
  CV_LOCAL_SERVER_MODE_HANG,
  CV_LOCAL_SERVER_MODE_ENDLESS,
  CV_LOCAL_SERVER_MODE_RESET
} CvLocalServerMode;

/**
 * CvLocalServerHostile:
 * @CV_LOCAL_SERVER_HOSTILE_NONE: clean strings
 * @CV_LOCAL_SERVER_HOSTILE_LONE_SURROGATES: the caption and every tag name
 *   end in "\ud800" and "\udfff" escapes, each a lone surrogate
 *   (cvhostile.h: CV_HOSTILE_LONE_SURROGATES_JSON)
 * @CV_LOCAL_SERVER_HOSTILE_CONTROL_CHARS: terminal escape sequences
 *   ("\u001b[2J\u001b]0;pwned\u0007"), BEL, U+202E, U+0085, U+009B, tab,
 *   newline and a final NUL ("\u0000") appended to the captions, the tags
 *   and the labels of a 200 ("requestId", "modelVersion"; a chat answer's
 *   "id" and "system_fingerprint"), and to every "code" and "message" of
 *   the error bodies cv_local_server_set_failure() asks for (cvhostile.h:
 *   CV_HOSTILE_CONTROL_CHARS_JSON and _TEXT)
 *
 * Hostile strings in otherwise well-formed answers. The body stays valid
 * UTF-8 JSON text: the hostile characters are JSON escapes that decode to
 * them. In a chat answer with response_format, they are inside the JSON
 * text of the content, escaped once more, so they decode to the escapes
 * and the content then to the characters. Flags combine with each other
 * and with the sizes below.
 */
typedef enum
{
  CV_LOCAL_SERVER_HOSTILE_NONE = 0,
  CV_LOCAL_SERVER_HOSTILE_LONE_SURROGATES = 1 << 0,
  CV_LOCAL_SERVER_HOSTILE_CONTROL_CHARS = 1 << 1
} CvLocalServerHostile;

/**
 * CvLocalServerQuirks:
 * @CV_LOCAL_SERVER_QUIRK_NONE: a service that can do everything
 * @CV_LOCAL_SERVER_QUIRK_NO_CAPTION_REGION: Image Analysis 4.0 refuses
 *   caption and denseCaptions with 400 InvalidRequest "The feature
 *   'Caption' is not supported in this region", as outside the regions
 *   that have them
 * @CV_LOCAL_SERVER_QUIRK_REASONING: chat answers carry the thoughts twice,
 *   in "reasoning_content" and as a "<think>...</think>" block before the
 *   content, as llama-server with --reasoning-format deepseek-legacy does
 * @CV_LOCAL_SERVER_QUIRK_REFUSE_RESPONSE_FORMAT: chat refuses a
 *   response_format of type json_schema with OpenAI's 400 for a model
 *   without Structured Outputs
 * @CV_LOCAL_SERVER_QUIRK_REFUSE_MAX_TOKENS: chat refuses max_tokens (not
 *   max_completion_tokens) with OpenAI's 400 unsupported_parameter, as
 *   its reasoning models do
 *
 * The refusals and habits of real services, to imitate (they combine).
 */
typedef enum
{
  CV_LOCAL_SERVER_QUIRK_NONE = 0,
  CV_LOCAL_SERVER_QUIRK_NO_CAPTION_REGION = 1 << 0,
  CV_LOCAL_SERVER_QUIRK_REASONING = 1 << 1,
  CV_LOCAL_SERVER_QUIRK_REFUSE_RESPONSE_FORMAT = 1 << 2,
  CV_LOCAL_SERVER_QUIRK_REFUSE_MAX_TOKENS = 1 << 3
} CvLocalServerQuirks;

/**
 * CvLocalServerRetryAfter:
 * @CV_LOCAL_SERVER_RETRY_AFTER_SECONDS: "Retry-After: N", as Azure sends it
 * @CV_LOCAL_SERVER_RETRY_AFTER_HTTP_DATE: "Retry-After: <HTTP date>", RFC
 *   9110's other form: the first whole second at least N s from now
 * @CV_LOCAL_SERVER_RETRY_AFTER_MS: "retry-after-ms: N*1000" alone, the
 *   header OpenAI and Azure OpenAI send (beside Retry-After)
 *
 * How the wait of cv_local_server_set_failure() is sent.
 */
typedef enum
{
  CV_LOCAL_SERVER_RETRY_AFTER_SECONDS = 0,
  CV_LOCAL_SERVER_RETRY_AFTER_HTTP_DATE,
  CV_LOCAL_SERVER_RETRY_AFTER_MS
} CvLocalServerRetryAfter;

/* How a v3.2 Read operation ends, after its `running` answers. */
typedef enum
{
  CV_LOCAL_SERVER_READ_SUCCEED = 0,
  CV_LOCAL_SERVER_READ_NEVER,   /* running for ever */
  CV_LOCAL_SERVER_READ_FAIL,    /* status "failed" */
  CV_LOCAL_SERVER_READ_MALFORMED        /* "succeeded" with lines of the
                                         * wrong types */
} CvLocalServerReadEnding;

/* The one model the chat routes know unless told otherwise. */
#define CV_LOCAL_SERVER_DEFAULT_MODEL "local-vision"

/**
 * CvLocalServerRequest:
 * @method: the HTTP method
 * @path: the request path
 * @query: (nullable): the raw query string, without '?'
 * @api_version: (nullable): the version asked for: "v2.0", "v2.1" or "v3.2"
 *   from a Computer Vision path, the api-version query parameter on the
 *   Image Analysis and Azure OpenAI routes; %NULL on other paths or when
 *   absent
 * @content_type: (nullable): the Content-Type header as sent
 * @auth_header: (nullable): the name of the header that carried a key:
 *   the route's own ("Ocp-Apim-Subscription-Key" for Azure AI Vision and
 *   unknown paths, "api-key" for Azure OpenAI, "Authorization" for OpenAI's
 *   family) if sent, else whichever of those three was sent; %NULL for none
 * @has_key: whether the route's own key header was sent (on Azure
 *   OpenAI's v1 route, api-key or else Authorization)
 * @key_matches: whether the key was accepted: that header carried the key
 *   ("Bearer KEY" in Authorization); always %TRUE when the server was
 *   started without a key
 * @query_params: decoded query parameters, string to string (never %NULL)
 * @body: the request body (never %NULL, possibly empty)
 * @received_monotonic_us: g_get_monotonic_time() when the body was in
 * @received_real_us: g_get_real_time() then (to compare with HTTP dates)
 *
 * A copy of what one request carried. The key itself is not recorded.
 */
typedef struct
{
  gchar *method;
  gchar *path;
  gchar *query;
  gchar *api_version;
  gchar *content_type;
  gchar *host;                  /* the Host header, as sent */
  gchar *auth_header;
  gboolean has_key;
  gboolean key_matches;
  GHashTable *query_params;
  GBytes *body;
  gint64 received_monotonic_us;
  gint64 received_real_us;
  guint16 remote_port;          /* the client's: one per connection */
} CvLocalServerRequest;

CvLocalServer *cv_local_server_new (const gchar * key, GError ** error);

CvLocalServer *cv_local_server_new_full (const gchar * key, guint port,
    GError ** error);

guint cv_local_server_get_port (CvLocalServer * server);

gchar *cv_local_server_get_url (CvLocalServer * server);

void cv_local_server_set_delay (CvLocalServer * server, guint delay_ms);

void cv_local_server_set_failure (CvLocalServer * server, guint status,
    guint retry_after_s);

void cv_local_server_set_retry_after_form (CvLocalServer * server,
    CvLocalServerRetryAfter form);

void cv_local_server_set_fail_every (CvLocalServer * server, guint n,
    guint status);

void cv_local_server_set_reset_every (CvLocalServer * server, guint n);

void cv_local_server_set_quota (CvLocalServer * server, guint limit,
    guint window_ms);

void cv_local_server_set_ratelimit_headers (CvLocalServer * server,
    gboolean send);

guint cv_local_server_get_throttled_count (CvLocalServer * server);

void cv_local_server_set_keep_alive (CvLocalServer * server,
    gboolean keep_alive);

void cv_local_server_set_outage (CvLocalServer * server, guint status,
    guint duration_ms);

void cv_local_server_set_mode (CvLocalServer * server, CvLocalServerMode mode);

guint cv_local_server_get_request_count (CvLocalServer * server);

gboolean cv_local_server_wait_for_requests (CvLocalServer * server, guint n,
    gint64 timeout_us);

CvLocalServerRequest *cv_local_server_get_request (CvLocalServer * server,
    guint index);

void cv_local_server_request_free (CvLocalServerRequest * request);

guint cv_local_server_get_in_progress (CvLocalServer * server);

guint cv_local_server_get_max_in_progress (CvLocalServer * server);

void cv_local_server_set_canned_body (CvLocalServer * server,
    const gchar * body);

void cv_local_server_set_hostile (CvLocalServer * server,
    CvLocalServerHostile flags);

void cv_local_server_set_tag_count (CvLocalServer * server, guint n);

void cv_local_server_set_caption_words (CvLocalServer * server, guint n);

void cv_local_server_set_error_message_size (CvLocalServer * server,
    gsize n);

void cv_local_server_set_quirks (CvLocalServer * server,
    CvLocalServerQuirks quirks);

void cv_local_server_set_thumbnail_limit (CvLocalServer * server,
    guint max_side);

void cv_local_server_set_models (CvLocalServer * server,
    const gchar * const *models);

void cv_local_server_set_read_running (CvLocalServer * server, guint n);

void cv_local_server_set_read_ending (CvLocalServer * server,
    CvLocalServerReadEnding ending);

void cv_local_server_set_read_lifetime (CvLocalServer * server,
    guint seconds);

void cv_local_server_release (CvLocalServer * server);

guint cv_local_server_get_open_connections (CvLocalServer * server);

void cv_local_server_free (CvLocalServer * server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CvLocalServer, cv_local_server_free);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CvLocalServerRequest,
    cv_local_server_request_free);

G_END_DECLS

#endif /* __CV_LOCAL_SERVER_H__ */
