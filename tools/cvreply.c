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
 * and the server's settings alone, without any HTTP: the route, the gateway
 * checks (method, key), the misbehaviour the tests asked for, and then the
 * protocol's own answer. What differs between the protocols (their error
 * shapes, answers and garbled bodies) is in one CvProtocol table each:
 * cvcomputervision.c, cvimageanalysis.c, cvchat.c. cvlocalserver.c puts
 * the decision on the wire.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "cvreply.h"
#include "cvchat.h"
#include "cvcomputervision.h"
#include "cverrors.h"
#include "cvimageanalysis.h"
#include "cvreadapi.h"

#include <string.h>

void
cv_reply_free (CvReply * reply)
{
  g_free (reply->body);
  g_free (reply->request_id);
  g_free (reply->operation_location);
  g_free (reply);
}

/**
 * cv_reply_new:
 * @body: (transfer full) (nullable): the body
 *
 * Returns: (transfer full): an answer with @status and @body
 */
CvReply *
cv_reply_new (const CvReplyContext * ctx, guint status, gchar * body)
{
  CvReply *reply = g_new0 (CvReply, 1);

  reply->action = CV_REPLY_ANSWER;
  reply->status = status;
  reply->body = body;
  reply->request_id = g_strdup (ctx->request_id);
  return reply;
}

/**
 * cv_reply_new_error:
 * @body: (transfer full): the error body
 *
 * Returns: (transfer full): the answer for one of the server's own errors
 */
CvReply *
cv_reply_new_error (const CvReplyContext * ctx, guint status,
    JsonNode * body)
{
  CvReply *reply = cv_reply_new (ctx, status, json_to_string (body, FALSE));

  json_node_unref (body);
  return reply;
}

/**
 * cv_reply_new_answer:
 * @answer: (transfer full): the answer
 * @rules: the protocol's members for @hostile to edit
 *
 * Returns: (transfer full): a 200 with @answer, distorted as @hostile says
 */
CvReply *
cv_reply_new_answer (const CvReplyContext * ctx, JsonNode * answer,
    const CvHostileRule * rules, const CvHostileConfig * hostile)
{
  CvReply *reply = cv_reply_new (ctx, 200, cv_hostile_analysis_body (answer,
          rules, hostile));

  json_node_unref (answer);
  return reply;
}

static const CvProtocol *
protocol_for_route (CvRoute route)
{
  switch (route) {
    case CV_ROUTE_COMPUTER_VISION:
      return &cv_computer_vision_protocol;
    case CV_ROUTE_IMAGE_ANALYSIS:
      return &cv_image_analysis_protocol;
    case CV_ROUTE_READ:
      return &cv_read_protocol;
    case CV_ROUTE_READ_RESULT:
      return &cv_read_result_protocol;
    case CV_ROUTE_OPENAI_CHAT:
    case CV_ROUTE_AZURE_CHAT:
    case CV_ROUTE_AZURE_DEPLOYMENT_CHAT:
      return &cv_chat_protocol;
    default:
      return NULL;
  }
}

/* A path of no route: OpenAI's words under /v1/, where only OpenAI's
 * family lives, else the Azure gateway's. */
static JsonNode *
not_found_body (const CvLocalServerRequest * req)
{
  JsonNode *body;
  gchar *message;

  if (!g_str_has_prefix (req->path, "/v1/"))
    return cv_errors_azure_gateway (404, "Resource not found");

  message = g_strdup_printf ("Invalid URL (%s %s)", req->method, req->path);
  body = cv_errors_openai (message, "invalid_request_error", NULL, NULL);
  g_free (message);
  return body;
}

/* The answer for `--status`: what the service sends with that status,
 * distorted as the hostile settings say. */
static CvReply *
failure_reply (const CvProtocol * protocol, const CvReplyContext * ctx)
{
  JsonNode *body = protocol->error (ctx, ctx->cfg->status);
  CvReply *reply = cv_reply_new (ctx, ctx->cfg->status,
      cv_hostile_error_body (body, &ctx->cfg->hostile));

  json_node_unref (body);
  reply->retry_after = ctx->cfg->retry_after;
  reply->retry_after_form = ctx->cfg->retry_after_form;
  return reply;
}

/* What the misbehaviour modes and `--status` make of a request the
 * service would take, or %NULL to let the protocol answer. */
static CvReply *
misbehaviour_reply (const CvProtocol * protocol, const CvReplyContext * ctx,
    gchar ** canned_body)
{
  const CvReplyConfig *cfg = ctx->cfg;
  CvReply *reply;

  switch (cfg->mode) {
    case CV_LOCAL_SERVER_MODE_DROP:
    case CV_LOCAL_SERVER_MODE_RESET:
    case CV_LOCAL_SERVER_MODE_HANG:
      reply = cv_reply_new (ctx, 0, NULL);
      reply->action = cfg->mode == CV_LOCAL_SERVER_MODE_DROP ? CV_REPLY_DROP :
          cfg->mode == CV_LOCAL_SERVER_MODE_RESET ? CV_REPLY_RESET :
          CV_REPLY_HANG;
      return reply;
    case CV_LOCAL_SERVER_MODE_ENDLESS:
      reply = cv_reply_new (ctx, 200, NULL);
      reply->action = CV_REPLY_STREAM;
      reply->stream_head = protocol->endless_head;
      reply->stream_item = protocol->endless_item;
      return reply;
    default:
      break;
  }

  if (cfg->status != 0 && cfg->status != 200)
    return failure_reply (protocol, ctx);
  if (*canned_body != NULL)
    return cv_reply_new (ctx, 200, g_steal_pointer (canned_body));
  if (cfg->mode == CV_LOCAL_SERVER_MODE_MALFORMED)
    return cv_reply_new (ctx, 200, g_strdup (protocol->malformed));
  if (cfg->mode == CV_LOCAL_SERVER_MODE_WRONG_TYPES)
    return cv_reply_new (ctx, 200, g_strdup (protocol->wrong_types));
  return NULL;
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
  gchar *request_id = g_uuid_string_random ();
  gchar *segment = NULL;
  CvReplyContext ctx = { req, cfg, CV_ROUTE_UNKNOWN, NULL, request_id };
  const CvProtocol *protocol;
  JsonNode *route_error = NULL;
  guint status = 0;
  CvReply *reply;

  ctx.route = cv_route_from_path (req->path, &segment);
  ctx.segment = segment;
  protocol = protocol_for_route (ctx.route);
  if (protocol != NULL && protocol->route_error != NULL)
    route_error = protocol->route_error (&ctx, &status);

  if (protocol == NULL) {
    reply = cv_reply_new_error (&ctx, 404, not_found_body (req));
  } else if (route_error != NULL) {
    reply = cv_reply_new_error (&ctx, status, route_error);
  } else if (g_strcmp0 (req->method, protocol->takes_get ? "GET" : "POST")
      != 0) {
    reply = cv_reply_new_error (&ctx, 405, protocol->error (&ctx, 405));
    reply->allow_post = !protocol->takes_get;
  } else if (!req->key_matches) {
    reply = cv_reply_new_error (&ctx, 401, protocol->error (&ctx, 401));
  } else {
    reply = misbehaviour_reply (protocol, &ctx, &canned_body);
    if (reply == NULL)
      reply = protocol->answer (&ctx);
  }
  reply->request_id_header = protocol != NULL ?
      protocol->request_id_header : "apim-request-id";

  g_free (segment);
  g_free (request_id);
  g_free (canned_body);
  return reply;
}
