/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * Azure Computer Vision "Analyze Image" v2.0, v2.1 and v3.2
 * (POST /vision/<version>/analyze): the answer of the colour analysis, the
 * service's 400s for a bad query or image, and its error bodies (flat in
 * v2.x, nested in v3.2, the gateway's for 401, 403 and 429).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "cvcomputervision.h"
#include "cverrors.h"

#include <libsoup/soup.h>

/* Azure's Analyze Image "details" and "language" values. The caption is
 * always English: accepting the other languages keeps clients that ask for
 * them working against the stand-in. */
static const gchar *const known_details[] = { "Celebrities", "Landmarks" };
static const gchar *const known_languages[] = { "en", "es", "ja", "pt", "zh" };

/* The members cvhostile.c edits in an answer. */
static const CvHostileRule hostile_rules[] = {
  {"description.captions[].text", CV_HOSTILE_CAPTION},
  {"tags[].name", CV_HOSTILE_TAG},
  {"description.tags[]", CV_HOSTILE_TAG},
  {"requestId", CV_HOSTILE_LABEL},
  {"modelVersion", CV_HOSTILE_LABEL},
  {"tags", CV_HOSTILE_TAG_OBJECTS},
  {"description.tags", CV_HOSTILE_TAG_NAMES},
  {NULL, 0}
};

/**
 * cv_computer_vision_service_error:
 *
 * The service's own errors: v2.x is flat {"code","message","requestId"}
 * with the specific code; v3.2 nests a general code over an inner one.
 *
 * Returns: (transfer full): the error body
 */
JsonNode *
cv_computer_vision_service_error (CvApiVersion version, const gchar * code,
    const gchar * message, const gchar * inner_code,
    const gchar * inner_message, const gchar * request_id)
{
  if (version == CV_API_VERSION_V3_2)
    return cv_errors_azure (code, message, inner_code, inner_message);
  return cv_errors_azure_flat (inner_code, inner_message, request_id);
}

/**
 * cv_computer_vision_error_body:
 * @version: the protocol version; v3.2's shape is also Image Analysis 4.0's
 * @retry_after: the Retry-After sent with it, for the 429 message
 *
 * Returns: (transfer full): what Azure sends with @status
 */
JsonNode *
cv_computer_vision_error_body (CvApiVersion version, guint status,
    guint retry_after, const gchar * request_id)
{
  JsonNode *body;
  gchar *message;

  switch (status) {
    case 400:
      return cv_computer_vision_service_error (version, "InvalidRequest",
          "Simulated bad request.", "BadArgument",
          "Simulated bad request (local server told to fail).", request_id);
    case 401:
      return cv_errors_azure_gateway (status, CV_ERRORS_ACCESS_DENIED);
    case 403:
      return cv_errors_azure_gateway (status, "Out of call volume quota. "
          "Quota will be replenished later (simulated by the local server).");
    case 405:
      return cv_errors_azure_gateway (status, "Method not allowed; this "
          "operation takes a POST.");
    case 429:
      message = g_strdup_printf ("Rate limit is exceeded. Try again in %u "
          "seconds.", retry_after > 0 ? retry_after : 1);
      body = cv_errors_azure_gateway (status, message);
      g_free (message);
      return body;
    case 503:
      return cv_computer_vision_service_error (version, "ServiceUnavailable",
          "The service is temporarily unavailable (simulated).", "Timeout",
          "The operation was timeout (simulated).", request_id);
    default:
      if (status >= 500)
        return cv_computer_vision_service_error (version, "InternalServerError",
            "An internal server error occurred (simulated).",
            "InternalServerError",
            "An internal server error occurred (simulated).", request_id);
      return cv_errors_azure_gateway (status, soup_status_get_phrase (status));
  }
}

static JsonNode *
computer_vision_error (const CvReplyContext * ctx, guint status)
{
  return cv_computer_vision_error_body (cv_api_version_from_string
      (ctx->segment), status, ctx->cfg->retry_after, ctx->request_id);
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

static CvReply *
query_error (const CvReplyContext * ctx, CvApiVersion version,
    const gchar * inner_code, const gchar * inner_message)
{
  return cv_reply_new_error (ctx, 400, cv_computer_vision_service_error (version,
          "InvalidRequest", "Analyze query is invalid.", inner_code,
          inner_message, ctx->request_id));
}

/* The answer computed from the image, distorted as the hostile settings
 * say, or Azure's 400 for a bad request. */
static CvReply *
computer_vision_answer (const CvReplyContext * ctx)
{
  const CvLocalServerRequest *req = ctx->req;
  CvApiVersion version = cv_api_version_from_string (ctx->segment);
  const gchar *param;
  CvVisualFeatures features;
  CvColourAnalysis analysis;
  GError *error = NULL;
  gconstpointer data;
  gsize size;
  CvReply *reply;

  param = g_hash_table_lookup (req->query_params, "visualFeatures");
  if (!cv_visual_features_parse (param, &features, NULL))
    return query_error (ctx, version, "NotSupportedVisualFeature",
        "Specified feature type is not valid");

  if (!details_valid (g_hash_table_lookup (req->query_params, "details")))
    return query_error (ctx, version, "InvalidDetails",
        "Specified detail is not valid");

  param = g_hash_table_lookup (req->query_params, "language");
  if (param != NULL && !strv_contains_nocase (known_languages,
          G_N_ELEMENTS (known_languages), param))
    return query_error (ctx, version, "NotSupportedLanguage",
        "The requested language is not supported.");

  data = g_bytes_get_data (req->body, &size);
  if (!cv_colour_analysis_analyse_jpeg (data, size,
          &cv_colour_analysis_limits_v3, &analysis, &error)) {
    const gchar *inner_code =
        error->code == CV_COLOUR_ANALYSIS_ERROR_INVALID_FORMAT ?
        "InvalidImageFormat" : "InvalidImageSize";

    reply = cv_reply_new_error (ctx, 400, cv_computer_vision_service_error (version,
            "InvalidRequest", error->message, inner_code, error->message,
            ctx->request_id));
    g_error_free (error);
    return reply;
  }

  return cv_reply_new_answer (ctx, cv_colour_analysis_to_json (&analysis,
          version, features, ctx->request_id), hostile_rules,
      &ctx->cfg->hostile);
}

const CvProtocol cv_computer_vision_protocol = {
  NULL,
  computer_vision_error,
  computer_vision_answer,
  /* Cut off in the middle of a member, as a truncated transfer would. */
  "{\"requestId\":\"00000000-0000-4000-8000-000000000000\","
      "\"metadata\":{\"width\":64,\"height\":",
  "{\"description\":5,\"tags\":\"x\",\"color\":[true],\"metadata\":\"64x64\","
      "\"requestId\":5,\"modelVersion\":7}",
  "{\"tags\":[",
  "\"x\",",
  "apim-request-id"
};
