/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * Computer Vision v3.2's asynchronous Read API, answered with tesseract
 * (cvread.c): POST /vision/v3.2/read/analyze reads the image at once and
 * answers 202 with an Operation-Location header,
 * {Host}/vision/v3.2/read/analyzeResults/{id}; each GET of it answers
 * {"status":"running"} as many times as the server was told
 * (cv_local_server_set_read_running()), then "succeeded" with the
 * analyzeResult, or "failed", or runs for ever
 * (cv_local_server_set_read_ending()). At most CV_READ_MAX_OPERATIONS are
 * kept, each for CV_READ_OPERATION_LIFETIME_S at most: memory stays
 * bounded whoever posts.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "cvreadapi.h"
#include "cvcomputervision.h"
#include "cverrors.h"

/* The members cvhostile.c edits in a poll's answer. */
static const CvHostileRule hostile_rules[] = {
  {"analyzeResult.readResults[].lines[].text", CV_HOSTILE_TAG},
  {"analyzeResult.readResults[].lines[].words[].text", CV_HOSTILE_TAG},
  {"analyzeResult.modelVersion", CV_HOSTILE_LABEL},
  {NULL, 0}
};

typedef struct
{
  gchar *id;
  gint64 created_us;            /* monotonic, for expiry */
  gchar *created;               /* ISO 8601, for the answers */
  guint running_left;
  CvLocalServerReadEnding ending;
  JsonNode *analyze_result;
} Operation;

struct _CvReadOperations
{
  GMutex lock;
  GQueue operations;            /* Operation, oldest first */
  gint64 lifetime_us;
};

static void
operation_free (Operation * op)
{
  g_free (op->id);
  g_free (op->created);
  json_node_unref (op->analyze_result);
  g_free (op);
}

CvReadOperations *
cv_read_operations_new (void)
{
  CvReadOperations *ops = g_new0 (CvReadOperations, 1);

  g_mutex_init (&ops->lock);
  g_queue_init (&ops->operations);
  ops->lifetime_us = CV_READ_OPERATION_LIFETIME_S * G_USEC_PER_SEC;
  return ops;
}

void
cv_read_operations_free (CvReadOperations * ops)
{
  if (ops == NULL)
    return;
  g_queue_clear_full (&ops->operations, (GDestroyNotify) operation_free);
  g_mutex_clear (&ops->lock);
  g_free (ops);
}

/* Call with the lock. */
static void
expire (CvReadOperations * ops, gint64 now_us)
{
  Operation *op;

  while ((op = g_queue_peek_head (&ops->operations)) != NULL
      && (now_us - op->created_us >= ops->lifetime_us
          || ops->operations.length > CV_READ_MAX_OPERATIONS))
    operation_free (g_queue_pop_head (&ops->operations));
}

/* How long an operation is kept from its POST; 0: not at all (tests). */
void
cv_read_operations_set_lifetime (CvReadOperations * ops, guint seconds)
{
  g_mutex_lock (&ops->lock);
  ops->lifetime_us = (gint64) seconds * G_USEC_PER_SEC;
  g_mutex_unlock (&ops->lock);
}

/* The operations kept now. */
guint
cv_read_operations_count (CvReadOperations * ops)
{
  guint n;

  g_mutex_lock (&ops->lock);
  expire (ops, g_get_monotonic_time ());
  n = ops->operations.length;
  g_mutex_unlock (&ops->lock);
  return n;
}

static gchar *
now_iso8601 (void)
{
  GDateTime *now = g_date_time_new_now_utc ();
  gchar *text = g_date_time_format (now, "%FT%T.%fZ");

  g_date_time_unref (now);
  return text;
}

static JsonNode *
read_error (const CvReplyContext * ctx, guint status)
{
  return cv_computer_vision_error_body (CV_API_VERSION_V3_2, status,
      ctx->cfg->retry_after, ctx->request_id);
}

static CvReply *
invalid_image (const CvReplyContext * ctx, const GError * error)
{
  const gchar *code = error->code == CV_COLOUR_ANALYSIS_ERROR_INVALID_FORMAT ?
      "InvalidImageFormat" : "InvalidImageSize";

  return cv_reply_new_error (ctx, 400, cv_errors_azure ("InvalidRequest",
          error->message, code, error->message));
}

/* POST: reads the image now, keeps the result, answers 202. */
static CvReply *
read_answer (const CvReplyContext * ctx)
{
  CvReadOperations *ops = ctx->cfg->read_operations;
  GError *error = NULL;
  gconstpointer data;
  gsize size;
  CvReadResult *result;
  Operation *op;
  CvReply *reply;

  data = g_bytes_get_data (ctx->req->body, &size);
  result = cv_reader_read_jpeg (ctx->cfg->reader, data, size,
      &cv_colour_analysis_limits_v3, &error);
  if (result == NULL) {
    if (error->domain == CV_COLOUR_ANALYSIS_ERROR)
      reply = invalid_image (ctx, error);
    else
      reply = cv_reply_new_error (ctx, 500, cv_errors_azure
          ("InternalServerError", error->message, NULL, NULL));
    g_error_free (error);
    return reply;
  }

  op = g_new0 (Operation, 1);
  op->id = g_uuid_string_random ();
  op->created_us = g_get_monotonic_time ();
  op->created = now_iso8601 ();
  op->running_left = ctx->cfg->read_running;
  op->ending = ctx->cfg->read_ending;
  op->analyze_result = cv_read_result_to_v3_json (result);
  cv_read_result_free (result);

  reply = cv_reply_new (ctx, 202, g_strdup (""));
  reply->operation_location = g_strdup_printf ("http://%s/vision/v3.2/read/"
      "analyzeResults/%s", ctx->req->host ? ctx->req->host : "127.0.0.1",
      op->id);

  g_mutex_lock (&ops->lock);
  g_queue_push_tail (&ops->operations, op);
  expire (ops, op->created_us);
  g_mutex_unlock (&ops->lock);
  return reply;
}

/* Lines whose members have the wrong types, for READ_MALFORMED. */
static JsonNode *
malformed_result (void)
{
  return json_from_string ("{\"version\":\"v3.2\",\"readResults\":[{\"page\":"
      "1,\"lines\":[{\"text\":5,\"boundingBox\":\"x\",\"words\":{}}]}]}",
      NULL);
}

/* The operation's state, as the GET finds it. Call with the lock. */
static JsonNode *
operation_status (Operation * op)
{
  JsonBuilder *b = json_builder_new ();
  const gchar *status = "succeeded";
  gchar *updated = now_iso8601 ();
  JsonNode *root;

  if (op->running_left > 0) {
    op->running_left--;
    status = "running";
  } else if (op->ending == CV_LOCAL_SERVER_READ_NEVER) {
    status = "running";
  } else if (op->ending == CV_LOCAL_SERVER_READ_FAIL) {
    status = "failed";
  }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, status);
  json_builder_set_member_name (b, "createdDateTime");
  json_builder_add_string_value (b, op->created);
  json_builder_set_member_name (b, "lastUpdatedDateTime");
  json_builder_add_string_value (b, updated);
  if (g_str_equal (status, "succeeded")) {
    json_builder_set_member_name (b, "analyzeResult");
    json_builder_add_value (b, op->ending == CV_LOCAL_SERVER_READ_MALFORMED ?
        malformed_result () : json_node_copy (op->analyze_result));
  }
  json_builder_end_object (b);
  g_free (updated);

  root = json_builder_get_root (b);
  g_object_unref (b);
  return root;
}

/* GET: the stored operation, or the 404 of one that is not (or no
 * longer) there. */
static CvReply *
read_result_answer (const CvReplyContext * ctx)
{
  CvReadOperations *ops = ctx->cfg->read_operations;
  JsonNode *body = NULL;
  GList *l;

  g_mutex_lock (&ops->lock);
  expire (ops, g_get_monotonic_time ());
  for (l = ops->operations.head; l != NULL && body == NULL; l = l->next) {
    Operation *op = l->data;

    if (g_strcmp0 (op->id, ctx->segment) == 0)
      body = operation_status (op);
  }
  g_mutex_unlock (&ops->lock);

  if (body == NULL)
    return cv_reply_new_error (ctx, 404, cv_errors_azure ("NotFound",
            "Operation ID is not found.", NULL, NULL));
  return cv_reply_new_answer (ctx, body, hostile_rules, &ctx->cfg->hostile);
}

const CvProtocol cv_read_protocol = {
  NULL,
  read_error,
  read_answer,
  "{\"status\":",
  "{\"status\":5}",
  "{\"status\":\"running\",\"x\":[",
  "\"x\",",
  "apim-request-id",
  FALSE
};

const CvProtocol cv_read_result_protocol = {
  NULL,
  read_error,
  read_result_answer,
  /* Cut off in the middle of a member, as a truncated transfer would. */
  "{\"status\":\"succeeded\",\"analyzeResult\":{\"readResults\":[{\"lines\"",
  "{\"status\":\"succeeded\",\"analyzeResult\":{\"readResults\":5}}",
  "{\"status\":\"succeeded\",\"analyzeResult\":{\"readResults\":[{\"lines\":[",
  "{\"text\":\"x\",\"boundingBox\":[0,0,1,0,1,1,0,1],\"words\":[]},",
  "apim-request-id",
  TRUE
};
