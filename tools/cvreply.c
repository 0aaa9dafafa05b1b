/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * What the local server answers to one request, decided from the request
 * and the server's settings alone, without any HTTP: Azure's gateway and
 * service errors (status, shape per protocol version, Retry-After), the
 * answer of the colour analysis, and the misbehaviour the tests asked for.
 * cvlocalserver.c puts the decision on the wire.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "cvreply.h"
#include "cvcolouranalysis.h"

#include <libsoup/soup.h>

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

void
cv_reply_free (CvReply * reply)
{
  g_free (reply->body);
  g_free (reply->request_id);
  g_free (reply);
}

static CvReply *
reply_new (guint status, gchar * body, const gchar * request_id)
{
  CvReply *reply = g_new0 (CvReply, 1);

  reply->action = CV_REPLY_ANSWER;
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
static CvReply *
error_reply (guint status, JsonNode * body, const gchar * request_id,
    const CvHostileConfig * hostile)
{
  CvReply *reply = reply_new (status, cv_hostile_error_body (body, hostile),
      request_id);

  json_node_unref (body);
  return reply;
}

static CvReply *
gateway_reply (guint status, const gchar * message, const gchar * request_id,
    const CvHostileConfig * hostile)
{
  return error_reply (status, gateway_error_body (status, message),
      request_id, hostile);
}

static CvReply *
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
static CvReply *
failure_reply (CvApiVersion version, guint status, guint retry_after,
    const gchar * request_id, const CvHostileConfig * hostile)
{
  CvReply *reply;

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
static CvReply *
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
  CvReply *reply;

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

/**
 * cv_reply_decide:
 * @req: the request
 * @cfg: how to misbehave
 * @canned_body: (transfer full) (nullable): a body to answer valid
 *   requests with instead of analysing
 *
 * Decides the answer. The order is the gateway's (route, method, key)
 * before the service's; misbehaviour replaces the service.
 *
 * Returns: (transfer full): the reply, to free with cv_reply_free()
 */
CvReply *
cv_reply_decide (const CvLocalServerRequest * req, const CvReplyConfig * cfg,
    gchar * canned_body)
{
  CvApiVersion version = cv_api_version_from_string (req->api_version);
  gchar *request_id = g_uuid_string_random ();
  CvReply *reply;

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
      reply->action = CV_REPLY_DROP;
    else if (cfg->mode == CV_LOCAL_SERVER_MODE_RESET)
      reply->action = CV_REPLY_RESET;
    else
      reply->action = CV_REPLY_HANG;
  } else if (cfg->mode == CV_LOCAL_SERVER_MODE_ENDLESS) {
    reply = reply_new (200, NULL, request_id);
    reply->action = CV_REPLY_STREAM;
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
