/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * Reads a chat-completions request the way the real servers do, and
 * refuses what they refuse with OpenAI's 400 bodies (docs/services.md
 * sections 2 to 4): the JSON, "model", the messages and their content
 * parts, the image as a base64 data: URL (Ollama's rule, openai.go
 * decodeImageURL: an http(s) URL or anything but a data: URL of a JPEG,
 * PNG or WebP is refused), response_format and the token budget. The
 * texts of the type and missing-parameter errors follow OpenAI's
 * ("Invalid type for 'x': expected a string, but got an integer instead.").
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "cvchatrequest.h"
#include "cverrors.h"

#include <string.h>

/* What Ollama accepts before the base64 text (openai.go). */
static const gchar *const image_prefixes[] = {
  "data:image/jpeg;base64,", "data:image/jpg;base64,",
  "data:image/png;base64,", "data:image/webp;base64,", "data:;base64,"
};

static const gchar *const json_properties[] = { "caption", "tags", "text" };

typedef struct
{
  CvChatRequest *req;
  JsonNode *error;
} Parse;

/* Keeps the first error; returns FALSE to stop the parse. */
static gboolean
fail (Parse * p, const gchar * message, const gchar * param,
    const gchar * code)
{
  if (p->error == NULL)
    p->error = cv_errors_openai (message, "invalid_request_error", param,
        code);
  return FALSE;
}

static gboolean
fail_missing (Parse * p, const gchar * param)
{
  gchar *message = g_strdup_printf ("Missing required parameter: '%s'.",
      param);

  fail (p, message, param, "missing_required_parameter");
  g_free (message);
  return FALSE;
}

/* OpenAI's words for a JSON value's type. */
static const gchar *
type_phrase (JsonNode * node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return "null";
  if (JSON_NODE_HOLDS_OBJECT (node))
    return "an object";
  if (JSON_NODE_HOLDS_ARRAY (node))
    return "an array";
  switch (json_node_get_value_type (node)) {
    case G_TYPE_STRING:
      return "a string";
    case G_TYPE_BOOLEAN:
      return "a boolean";
    case G_TYPE_DOUBLE:
      return "a decimal";
    default:
      return "an integer";
  }
}

static gboolean
fail_type (Parse * p, const gchar * param, const gchar * expected,
    JsonNode * node)
{
  gchar *message = g_strdup_printf ("Invalid type for '%s': expected %s, "
      "but got %s instead.", param, expected, type_phrase (node));

  fail (p, message, param, "invalid_type");
  g_free (message);
  return FALSE;
}

static gboolean
fail_value (Parse * p, const gchar * param, const gchar * value,
    const gchar * supported)
{
  gchar *message = g_strdup_printf ("Invalid value: '%s'. Supported values "
      "are: %s.", value, supported);

  fail (p, message, param, "invalid_value");
  g_free (message);
  return FALSE;
}

static gboolean
is_string (JsonNode * node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_STRING;
}

/* The member @name of @object as a string; FALSE (an error set) if it is
 * absent and @required, or not a string. */
static gboolean
get_string (Parse * p, JsonObject * object, const gchar * name,
    const gchar * param, gboolean required, const gchar ** value)
{
  JsonNode *node = json_object_get_member (object, name);

  *value = NULL;
  if (node == NULL || (!required && JSON_NODE_HOLDS_NULL (node)))
    return required ? fail_missing (p, param) : TRUE;
  if (!is_string (node))
    return fail_type (p, param, "a string", node);
  *value = json_node_get_string (node);
  return TRUE;
}

/**
 * cv_chat_count_words:
 *
 * The local server's tokens: words between ASCII blanks.
 */
guint
cv_chat_count_words (const gchar * text)
{
  gboolean in_word = FALSE;
  guint n = 0;

  for (; text != NULL && *text != '\0'; text++) {
    gboolean blank = g_ascii_isspace (*text);

    if (!blank && !in_word)
      n++;
    in_word = !blank;
  }
  return n;
}

/* Strict standard base64, as Go's decoder (which ignores line breaks):
 * other characters, or padding anywhere but at the end, are refused
 * where g_base64_decode() would skip them. */
static gboolean
base64_valid (const gchar * text)
{
  gsize n = 0, padding = 0;

  for (; *text != '\0'; text++) {
    if (*text == '\r' || *text == '\n')
      continue;
    if (*text == '=') {
      padding++;
    } else if (padding > 0 || !(g_ascii_isalnum (*text) || *text == '+'
            || *text == '/')) {
      return FALSE;
    }
    n++;
  }
  return n > 0 && n % 4 == 0 && padding <= 2;
}

static gboolean
parse_image_url (Parse * p, const gchar * url)
{
  const gchar *data = NULL;
  gsize size = 0;
  guchar *bytes;
  guint i;

  if (g_str_has_prefix (url, "http://") || g_str_has_prefix (url, "https://"))
    return fail (p, "image URLs are not currently supported, please use "
        "base64 encoded data instead", NULL, NULL);
  for (i = 0; i < G_N_ELEMENTS (image_prefixes) && data == NULL; i++) {
    if (g_str_has_prefix (url, image_prefixes[i]))
      data = url + strlen (image_prefixes[i]);
  }
  if (data == NULL || !base64_valid (data))
    return fail (p, "invalid image input", NULL, NULL);

  bytes = g_base64_decode (data, &size);
  g_clear_pointer (&p->req->image, g_bytes_unref);
  p->req->image = g_bytes_new_take (bytes, size);
  p->req->n_images++;
  return TRUE;
}

static gboolean
parse_part (Parse * p, JsonNode * node, const gchar * param)
{
  gchar *name = g_strdup_printf ("%s.type", param);
  const gchar *type = NULL, *text = NULL;
  JsonObject *part;
  JsonNode *image;
  gboolean ok;

  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    g_free (name);
    return fail_type (p, param, "an object", node);
  }
  part = json_node_get_object (node);
  ok = get_string (p, part, "type", name, TRUE, &type);
  g_free (name);
  if (!ok)
    return FALSE;

  if (strcmp (type, "text") == 0) {
    name = g_strdup_printf ("%s.text", param);
    ok = get_string (p, part, "text", name, TRUE, &text);
    g_free (name);
    p->req->prompt_words += cv_chat_count_words (text);
    return ok;
  }
  if (strcmp (type, "image_url") == 0) {
    /* Ollama also takes the URL as a bare string. */
    image = json_object_get_member (part, "image_url");
    name = g_strdup_printf ("%s.image_url.url", param);
    if (image != NULL && JSON_NODE_HOLDS_OBJECT (image))
      ok = get_string (p, json_node_get_object (image), "url", name, TRUE,
          &text);
    else if (is_string (image))
      text = json_node_get_string (image);
    else
      ok = fail_missing (p, name);
    g_free (name);
    return ok && parse_image_url (p, text);
  }
  if (strcmp (type, "input_audio") == 0 || strcmp (type, "refusal") == 0
      || strcmp (type, "audio") == 0 || strcmp (type, "file") == 0)
    return TRUE;

  name = g_strdup_printf ("%s.type", param);
  fail_value (p, name, type, "'text', 'image_url', 'input_audio', "
      "'refusal', 'audio', and 'file'");
  g_free (name);
  return FALSE;
}

static gboolean
parse_message (Parse * p, JsonNode * node, guint index)
{
  gchar *param = g_strdup_printf ("messages[%u]", index);
  gchar *name = g_strdup_printf ("%s.role", param);
  const gchar *role;
  JsonObject *message;
  JsonNode *content;
  gboolean ok = TRUE;
  guint i;

  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    ok = fail_type (p, param, "an object", node);
    goto out;
  }
  message = json_node_get_object (node);
  if (!get_string (p, message, "role", name, TRUE, &role)) {
    ok = FALSE;
    goto out;
  }

  g_free (name);
  name = g_strdup_printf ("%s.content", param);
  content = json_object_get_member (message, "content");
  if (content == NULL) {
    /* An assistant's turn may carry tool calls instead. */
    if (strcmp (role, "assistant") != 0)
      ok = fail_missing (p, name);
  } else if (is_string (content)) {
    p->req->prompt_words += cv_chat_count_words (json_node_get_string
        (content));
  } else if (JSON_NODE_HOLDS_ARRAY (content)) {
    JsonArray *parts = json_node_get_array (content);

    for (i = 0; ok && i < json_array_get_length (parts); i++) {
      gchar *part = g_strdup_printf ("%s[%u]", name, i);

      ok = parse_part (p, json_array_get_element (parts, i), part);
      g_free (part);
    }
  } else if (!JSON_NODE_HOLDS_NULL (content)) {
    ok = fail_type (p, name, "one of a string or array of objects",
        content);
  }

out:
  g_free (name);
  g_free (param);
  return ok;
}

static gboolean
parse_messages (Parse * p, JsonObject * root)
{
  JsonNode *node = json_object_get_member (root, "messages");
  JsonArray *messages;
  guint i;

  if (node == NULL)
    return fail_missing (p, "messages");
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return fail_type (p, "messages", "an array", node);
  messages = json_node_get_array (node);
  if (json_array_get_length (messages) == 0)
    return fail (p, "Invalid 'messages': empty array. Expected an array "
        "with minimum length 1, but got an empty array instead.",
        "messages", "empty_array");
  for (i = 0; i < json_array_get_length (messages); i++) {
    if (!parse_message (p, json_array_get_element (messages, i), i))
      return FALSE;
  }
  return TRUE;
}

static void
add_property (GPtrArray * names, const gchar * name)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (json_properties); i++) {
    if (strcmp (name, json_properties[i]) == 0
        && !g_ptr_array_find_with_equal_func (names, name, g_str_equal,
            NULL)) {
      g_ptr_array_add (names, g_strdup (name));
      return;
    }
  }
}

/* The properties the schema asks for, among those the server can fill. */
static gchar **
schema_properties (JsonObject * json_schema)
{
  GPtrArray *names = g_ptr_array_new ();
  JsonNode *node = json_object_get_member (json_schema, "schema");
  JsonObject *schema;
  GList *members, *l;
  guint i;

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node)) {
    schema = json_node_get_object (node);
    node = json_object_get_member (schema, "properties");
    if (node != NULL && JSON_NODE_HOLDS_OBJECT (node)) {
      members = json_object_get_members (json_node_get_object (node));
      for (l = members; l != NULL; l = l->next)
        add_property (names, l->data);
      g_list_free (members);
    }
    node = json_object_get_member (schema, "required");
    if (node != NULL && JSON_NODE_HOLDS_ARRAY (node)) {
      JsonArray *required = json_node_get_array (node);

      for (i = 0; i < json_array_get_length (required); i++) {
        JsonNode *item = json_array_get_element (required, i);

        if (is_string (item))
          add_property (names, json_node_get_string (item));
      }
    }
  }
  g_ptr_array_add (names, NULL);
  return (gchar **) g_ptr_array_free (names, FALSE);
}

static gboolean
parse_response_format (Parse * p, JsonObject * root)
{
  JsonNode *node = json_object_get_member (root, "response_format");
  JsonObject *format;
  const gchar *type, *name;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail_type (p, "response_format", "an object", node);
  format = json_node_get_object (node);
  if (!get_string (p, format, "type", "response_format.type", TRUE, &type))
    return FALSE;

  if (strcmp (type, "text") == 0)
    return TRUE;
  if (strcmp (type, "json_object") == 0) {
    p->req->format = CV_CHAT_FORMAT_JSON_OBJECT;
    return TRUE;
  }
  if (strcmp (type, "json_schema") != 0)
    return fail_value (p, "response_format.type", type, "'text', "
        "'json_object', and 'json_schema'");

  node = json_object_get_member (format, "json_schema");
  if (node == NULL)
    return fail_missing (p, "response_format.json_schema");
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail_type (p, "response_format.json_schema", "an object", node);
  if (!get_string (p, json_node_get_object (node), "name",
          "response_format.json_schema.name", TRUE, &name))
    return FALSE;
  p->req->format = CV_CHAT_FORMAT_JSON_SCHEMA;
  p->req->schema_properties = schema_properties (json_node_get_object (node));
  return TRUE;
}

/* @name as a budget: absent or null, or an integer of at least 0. */
static gboolean
parse_budget (Parse * p, JsonObject * root, const gchar * name,
    gint64 * budget)
{
  JsonNode *node = json_object_get_member (root, name);
  gchar *message;

  *budget = -1;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return fail_type (p, name, "an integer", node);
  *budget = json_node_get_int (node);
  if (*budget >= 0)
    return TRUE;

  message = g_strdup_printf ("Invalid '%s': integer below minimum value. "
      "Expected a value >= 0, but got %" G_GINT64_FORMAT " instead.", name,
      *budget);
  fail (p, message, name, "integer_below_min_value");
  g_free (message);
  return FALSE;
}

static gboolean
parse_budgets (Parse * p, JsonObject * root)
{
  gint64 max_tokens, max_completion_tokens;

  if (!parse_budget (p, root, "max_tokens", &max_tokens)
      || !parse_budget (p, root, "max_completion_tokens",
          &max_completion_tokens))
    return FALSE;
  /* llama-server's order: max_completion_tokens before max_tokens. */
  p->req->sent_max_tokens = max_tokens >= 0;
  p->req->max_tokens = max_completion_tokens >= 0 ? max_completion_tokens :
      max_tokens;
  return TRUE;
}

static JsonNode *
parse_json (GBytes * body)
{
  JsonParser *parser = json_parser_new ();
  gsize size;
  const gchar *data = g_bytes_get_data (body, &size);
  JsonNode *root = NULL;

  if (json_parser_load_from_data (parser, data, size, NULL))
    root = json_parser_steal_root (parser);
  g_object_unref (parser);
  if (root != NULL && !JSON_NODE_HOLDS_OBJECT (root))
    g_clear_pointer (&root, json_node_unref);
  return root;
}

/**
 * cv_chat_request_parse:
 * @body: the request body
 * @model_required: whether "model" must be sent (not on Azure OpenAI's
 *   classic route, whose path names the deployment)
 * @error: (out) (transfer full): OpenAI's 400 body for a request the
 *   servers refuse
 *
 * Returns: (transfer full) (nullable): the request, %NULL on error
 */
CvChatRequest *
cv_chat_request_parse (GBytes * body, gboolean model_required,
    JsonNode ** error)
{
  Parse p = { g_new0 (CvChatRequest, 1), NULL };
  JsonNode *root = parse_json (body);
  JsonObject *object;
  JsonNode *stream;
  const gchar *model = NULL;

  p.req->max_tokens = -1;
  if (root == NULL) {
    fail (&p, "We could not parse the JSON body of your request. (HINT: "
        "This likely means you aren't using your HTTP library correctly. "
        "The OpenAI API expects a JSON payload, but what was sent was not "
        "valid JSON. If you have trouble figuring out how to fix this, "
        "please contact us through our help center at help.openai.com.)",
        NULL, NULL);
    goto out;
  }
  object = json_node_get_object (root);

  if (!get_string (&p, object, "model", "model", FALSE, &model))
    goto out;
  if (model == NULL && model_required) {
    fail (&p, "you must provide a model parameter", NULL, NULL);
    goto out;
  }
  p.req->model = g_strdup (model);

  stream = json_object_get_member (object, "stream");
  if (stream != NULL && JSON_NODE_HOLDS_VALUE (stream)
      && json_node_get_value_type (stream) == G_TYPE_BOOLEAN
      && json_node_get_boolean (stream)) {
    fail (&p, "The local server does not stream: send \"stream\": false.",
        "stream", "unsupported_value");
    goto out;
  }

  if (parse_messages (&p, object) && parse_response_format (&p, object))
    parse_budgets (&p, object);

out:
  g_clear_pointer (&root, json_node_unref);
  if (p.error != NULL)
    g_clear_pointer (&p.req, cv_chat_request_free);
  *error = p.error;
  return p.req;
}

/**
 * cv_chat_request_peek_model:
 *
 * Returns: (transfer full): the "model" of @body, "" if it has none; for
 *   the messages of errors that name it
 */
gchar *
cv_chat_request_peek_model (GBytes * body)
{
  JsonNode *root = parse_json (body);
  JsonNode *model = NULL;
  gchar *copy;

  if (root != NULL)
    model = json_object_get_member (json_node_get_object (root), "model");
  copy = g_strdup (is_string (model) ? json_node_get_string (model) : "");
  g_clear_pointer (&root, json_node_unref);
  return copy;
}

void
cv_chat_request_free (CvChatRequest * request)
{
  if (request == NULL)
    return;
  g_free (request->model);
  g_clear_pointer (&request->image, g_bytes_unref);
  g_strfreev (request->schema_properties);
  g_free (request);
}
