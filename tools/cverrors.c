/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * The error bodies of the two families the local server speaks
 * (docs/services.md, section 7): Azure's {"error":{"code","message",
 * "innererror"?}} (and the flat v2.x one), and OpenAI's {"error":
 * {"message","type","param","code"}}, which the OpenAI-compatible servers
 * and Azure OpenAI's model errors use.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "cverrors.h"

static JsonNode *
builder_to_node (JsonBuilder * b)
{
  JsonNode *root = json_builder_get_root (b);

  g_object_unref (b);
  return root;
}

static void
add_string_or_null (JsonBuilder * b, const gchar * name, const gchar * value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

/* Starts {"error":{ */
static JsonBuilder *
error_begin (void)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  return b;
}

/* Ends what error_begin() started. */
static JsonNode *
error_end (JsonBuilder * b)
{
  json_builder_end_object (b);
  json_builder_end_object (b);
  return builder_to_node (b);
}

/**
 * cv_errors_azure:
 * @inner_code: (nullable): the specific code, %NULL for no "innererror"
 * @inner_message: (nullable): its message
 *
 * Returns: (transfer full): {"error":{"code","message"[,"innererror":
 *   {"code","message"}]}}, the shape of Image Analysis 4.0, Computer
 *   Vision v3.2 and the Azure gateway.
 */
JsonNode *
cv_errors_azure (const gchar * code, const gchar * message,
    const gchar * inner_code, const gchar * inner_message)
{
  JsonBuilder *b = error_begin ();

  add_string_or_null (b, "code", code);
  add_string_or_null (b, "message", message);
  if (inner_code != NULL) {
    json_builder_set_member_name (b, "innererror");
    json_builder_begin_object (b);
    add_string_or_null (b, "code", inner_code);
    add_string_or_null (b, "message", inner_message);
    json_builder_end_object (b);
  }
  return error_end (b);
}

/* The API Management gateway's shape, for 401, 404, 429 and friends: the
 * code is the status as a *string*. */
JsonNode *
cv_errors_azure_gateway (guint status, const gchar * message)
{
  gchar *code = g_strdup_printf ("%u", status);
  JsonNode *body = cv_errors_azure (code, message, NULL, NULL);

  g_free (code);
  return body;
}

/* Computer Vision v2.x: flat {"code","message","requestId"}. */
JsonNode *
cv_errors_azure_flat (const gchar * code, const gchar * message,
    const gchar * request_id)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  add_string_or_null (b, "code", code);
  add_string_or_null (b, "message", message);
  add_string_or_null (b, "requestId", request_id);
  json_builder_end_object (b);

  return builder_to_node (b);
}

/**
 * cv_errors_openai:
 * @param: (nullable): the request member at fault, %NULL for null
 * @code: (nullable): the specific code, %NULL for null
 *
 * Returns: (transfer full): {"error":{"message","type","param","code"}}
 */
JsonNode *
cv_errors_openai (const gchar * message, const gchar * type,
    const gchar * param, const gchar * code)
{
  JsonBuilder *b = error_begin ();

  add_string_or_null (b, "message", message);
  add_string_or_null (b, "type", type);
  add_string_or_null (b, "param", param);
  add_string_or_null (b, "code", code);
  return error_end (b);
}
