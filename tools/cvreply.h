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

#include "cvlocalserver.h"
#include "cvhostile.h"

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
 * @request_id: the id for the apim-request-id header
 * @retry_after: a Retry-After value in seconds, 0 for none
 * @allow_post: whether to send "Allow: POST" (405)
 *
 * What to do with one request, decided once when it arrives.
 */
typedef struct
{
  CvReplyAction action;
  guint status;
  gchar *body;
  gchar *request_id;
  guint retry_after;
  gboolean allow_post;
} CvReply;

/**
 * CvReplyConfig:
 * @status: HTTP status to fail valid requests with; 0 or 200: none
 * @retry_after: the Retry-After to send with @status, 0 for none
 * @mode: the misbehaviour
 * @hostile: the distortions of well-formed answers
 *
 * The server settings an answer depends on.
 */
typedef struct
{
  guint status;
  guint retry_after;
  CvLocalServerMode mode;
  CvHostileConfig hostile;
} CvReplyConfig;

CvReply *cv_reply_decide (const CvLocalServerRequest * req,
    const CvReplyConfig * cfg, gchar * canned_body);

void cv_reply_free (CvReply * reply);

G_END_DECLS

#endif /* __CV_REPLY_H__ */
