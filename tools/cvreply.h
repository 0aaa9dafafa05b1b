/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __CV_REPLY_H__
#define __CV_REPLY_H__

#include <glib.h>
#include <json-glib/json-glib.h>

#include "cvlocalserver.h"
#include "cvhostile.h"
#include "cvroute.h"
#include "cvread.h"

G_BEGIN_DECLS

/**
 * CvReplyAction:
 * @CV_REPLY_ANSWER: send the status and body
 * @CV_REPLY_DROP: close the connection (FIN) without an answer
 * @CV_REPLY_RESET: reset the connection (RST) without an answer
 * @CV_REPLY_HANG: hold the request until released or the server stops
 * @CV_REPLY_STREAM: a 200 with a body that never ends
 */
typedef enum
{
  CV_REPLY_ANSWER,
  CV_REPLY_DROP,
  CV_REPLY_RESET,
  CV_REPLY_HANG,
  CV_REPLY_STREAM
} CvReplyAction;

/**
 * CvReply:
 * @action: what to do
 * @status: the HTTP status (for @CV_REPLY_ANSWER and @CV_REPLY_STREAM)
 * @body: (nullable): the JSON body (for @CV_REPLY_ANSWER)
 * @request_id: the request id, for @request_id_header
 * @request_id_header: the header the protocol sends its id in
 * @retry_after: a Retry-After value in seconds, 0 for none
 * @retry_after_form: how to send it
 * @allow_post: whether to send "Allow: POST" (405)
 * @stream_head: (nullable): for @CV_REPLY_STREAM, the body's start
 * @stream_item: (nullable): for @CV_REPLY_STREAM, what repeats after it
 *
 * What to do with one request, decided once when it arrives.
 */
typedef struct
{
  CvReplyAction action;
  guint status;
  gchar *body;
  gchar *request_id;
  const gchar *request_id_header;
  guint retry_after;
  CvLocalServerRetryAfter retry_after_form;
  gboolean allow_post;
  const gchar *stream_head;
  const gchar *stream_item;
  gchar *operation_location;
} CvReply;

/**
 * CvReplyConfig:
 * @status: HTTP status to fail valid requests with; 0 or 200: none
 * @retry_after: the Retry-After to send with @status, 0 for none
 * @retry_after_form: how to send it
 * @mode: the misbehaviour
 * @hostile: the distortions of well-formed answers
 * @quirks: the services' refusals and habits to imitate
 * @models: the model (and deployment) names the chat routes know
 * @reader: the OCR engine of the Read answers
 * @read_operations: the v3.2 Read operations posted and not yet expired
 * @read_running: how many polls of each find it still running
 * @read_ending: what the poll after those finds
 *
 * The server settings an answer depends on.
 */
typedef struct
{
  guint status;
  guint retry_after;
  CvLocalServerRetryAfter retry_after_form;
  CvLocalServerMode mode;
  CvHostileConfig hostile;
  CvLocalServerQuirks quirks;
  const gchar *const *models;
  CvReader *reader;
  struct _CvReadOperations *read_operations;
  guint read_running;
  CvLocalServerReadEnding read_ending;
} CvReplyConfig;

/**
 * CvReplyContext:
 * @req: the request
 * @cfg: the settings
 * @route: the request's route
 * @segment: (nullable): the variable part of its path (cv_route_from_path())
 * @request_id: the id of this answer
 *
 * What a protocol module answers from.
 */
typedef struct
{
  const CvLocalServerRequest *req;
  const CvReplyConfig *cfg;
  CvRoute route;
  const gchar *segment;
  const gchar *request_id;
} CvReplyContext;

/**
 * CvProtocol:
 * @route_error: (nullable): the gateway's error (and its status in
 *   @status) for a request on the route it would not route, e.g. for an
 *   unknown api-version; %NULL for none
 * @error: the service's error body for @status, in the protocol's shape:
 *   for 401 (a bad key), 405 (not a POST) and cv_local_server_set_failure()
 * @answer: the answer from the colour analysis, or the service's error for
 *   a request it would refuse
 * @malformed: the body of %CV_LOCAL_SERVER_MODE_MALFORMED
 * @wrong_types: the body of %CV_LOCAL_SERVER_MODE_WRONG_TYPES
 * @endless_head: the start of %CV_LOCAL_SERVER_MODE_ENDLESS's body
 * @endless_item: what repeats after it for ever
 * @request_id_header: the response header with the request id
 * @takes_get: the operation is a GET (not a POST)
 *
 * What differs between the protocols; cvreply.c does the rest.
 */
typedef struct
{
  JsonNode *(*route_error) (const CvReplyContext * ctx, guint * status);
  JsonNode *(*error) (const CvReplyContext * ctx, guint status);
  CvReply *(*answer) (const CvReplyContext * ctx);
  const gchar *malformed;
  const gchar *wrong_types;
  const gchar *endless_head;
  const gchar *endless_item;
  const gchar *request_id_header;
  gboolean takes_get;
} CvProtocol;

CvReply *cv_reply_decide (const CvLocalServerRequest * req,
    const CvReplyConfig * cfg, gchar * canned_body);

CvReply *cv_reply_new (const CvReplyContext * ctx, guint status,
    gchar * body);

CvReply *cv_reply_new_error (const CvReplyContext * ctx, guint status,
    JsonNode * body);

CvReply *cv_reply_new_answer (const CvReplyContext * ctx, JsonNode * answer,
    const CvHostileRule * rules, const CvHostileConfig * hostile);

void cv_reply_free (CvReply * reply);

G_END_DECLS

#endif /* __CV_REPLY_H__ */
