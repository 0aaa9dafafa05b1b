/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * Chat completions, as OpenAI and the OpenAI-compatible servers
 * (/v1/chat/completions) and Azure OpenAI (/openai/v1/chat/completions and
 * /openai/deployments/{deployment}/chat/completions) speak them
 * (docs/services.md): the request is read by cvchatrequest.c, and the
 * answer is a chat.completion object that follows OpenAI's schema, its
 * content the colour caption of the last image (or the JSON object its
 * response_format asks for), its tokens the words. Errors take the shape
 * of the route's family: OpenAI's everywhere the model answers, Azure's
 * where the Azure gateway does (key, deployment, rate limit).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "cvchat.h"
#include "cvchatrequest.h"
#include "cvcolouranalysis.h"
#include "cverrors.h"

#include <string.h>
#include <libsoup/soup.h>

#define THINK_OPEN "<think>\n"
#define THINK_CLOSE "\n</think>\n\n"

/* The members cvhostile.c edits: a plain answer's content is the caption;
 * a JSON one is edited inside, where it is written (content_rules). */
static const CvHostileRule text_rules[] = {
  {"id", CV_HOSTILE_LABEL},
  {"choices[].message.content", CV_HOSTILE_CAPTION},
  {"system_fingerprint", CV_HOSTILE_LABEL},
  {NULL, 0}
};

static const CvHostileRule json_rules[] = {
  {"id", CV_HOSTILE_LABEL},
  {"system_fingerprint", CV_HOSTILE_LABEL},
  {NULL, 0}
};

static const CvHostileRule content_rules[] = {
  {"caption", CV_HOSTILE_CAPTION},
  {"tags[]", CV_HOSTILE_TAG},
  {"tags", CV_HOSTILE_TAG_NAMES},
  {NULL, 0}
};

static gboolean
route_is_azure (CvRoute route)
{
  return route == CV_ROUTE_AZURE_CHAT
      || route == CV_ROUTE_AZURE_DEPLOYMENT_CHAT;
}

/* The classic route needs an api-version (without one the gateway finds
 * no operation); the v1 route takes none but "v1" or "preview", and
 * refuses a dated one (zendev-sh/goai#54: "API version not supported"). */
static JsonNode *
chat_route_error (const CvReplyContext * ctx, guint * status)
{
  const gchar *version = ctx->req->api_version;

  if (ctx->route == CV_ROUTE_AZURE_DEPLOYMENT_CHAT && version == NULL) {
    *status = 404;
    return cv_errors_azure_gateway (404, "Resource not found");
  }
  if (ctx->route == CV_ROUTE_AZURE_CHAT && version != NULL
      && strcmp (version, "v1") != 0 && strcmp (version, "preview") != 0) {
    *status = 400;
    return cv_errors_azure ("BadRequest", "API version not supported", NULL,
        NULL);
  }
  return NULL;
}

/* The model a request names: on the classic route, its deployment. */
static gchar *
requested_model (const CvReplyContext * ctx)
{
  if (ctx->route == CV_ROUTE_AZURE_DEPLOYMENT_CHAT)
    return g_strdup (ctx->segment);
  return cv_chat_request_peek_model (ctx->req->body);
}

/* Ollama's 404 (v0.18.0 and later) on OpenAI's route, Azure's
 * DeploymentNotFound on Azure's. */
static JsonNode *
model_not_found (const CvReplyContext * ctx, const gchar * model)
{
  JsonNode *body;
  gchar *message;

  if (route_is_azure (ctx->route))
    return cv_errors_azure ("DeploymentNotFound", "The API deployment for "
        "this resource does not exist. If you created the deployment within "
        "the last 5 minutes, please wait a moment and try again.", NULL,
        NULL);
  message = g_strdup_printf ("model '%s' not found", model);
  body = cv_errors_openai (message, "not_found_error", NULL, NULL);
  g_free (message);
  return body;
}

/* The 404 of --status: the requested model is not found. */
static JsonNode *
requested_model_not_found (const CvReplyContext * ctx)
{
  gchar *model = requested_model (ctx);
  JsonNode *body = model_not_found (ctx, model);

  g_free (model);
  return body;
}

/* What the Azure gateway answers itself, or %NULL. */
static JsonNode *
azure_gateway_error (const CvReplyContext * ctx, guint status)
{
  const gchar *version = ctx->req->api_version;
  JsonNode *body;
  gchar *message;

  switch (status) {
    case 401:
      return cv_errors_azure_gateway (status, CV_ERRORS_ACCESS_DENIED);
    case 403:
      return cv_errors_azure_gateway (status, "Public access is disabled. "
          "Please configure private endpoint.");
    case 404:
      return requested_model_not_found (ctx);
    case 405:
      return cv_errors_azure_gateway (status, "Method not allowed; this "
          "operation takes a POST.");
    case 429:
      message = g_strdup_printf ("Requests to the ChatCompletions_Create "
          "Operation under Azure OpenAI API version %s have exceeded token "
          "rate limit of your current OpenAI S0 pricing tier. Please retry "
          "after %u seconds. Please go here: https://aka.ms/oai/quotaincrease "
          "if you would like to further increase the default rate limit.",
          version != NULL ? version : "v1", MAX (ctx->cfg->retry_after, 1));
      body = cv_errors_azure_gateway (status, message);
      g_free (message);
      return body;
    default:
      return NULL;
  }
}

/* OpenAI's bodies (docs/services.md section 7). The key is never echoed,
 * not even masked as OpenAI does. */
static JsonNode *
openai_error (const CvReplyContext * ctx, guint status)
{
  const gchar *type = status >= 500 ? "server_error" : "invalid_request_error";
  JsonNode *body;
  gchar *message, *model;

  switch (status) {
    case 400:
      return cv_errors_openai ("Simulated bad request (local server told to "
          "fail).", type, NULL, NULL);
    case 401:
      if (!ctx->req->has_key)
        return cv_errors_openai ("You didn't provide an API key. You need to "
            "provide your API key in an Authorization header using Bearer "
            "auth (i.e. Authorization: Bearer YOUR_KEY), or as the password "
            "field (with blank username) if you're accessing the API from "
            "your browser and are prompted for a username. You can obtain an "
            "API key from https://platform.openai.com/account/api-keys.",
            type, NULL, NULL);
      return cv_errors_openai ("Incorrect API key provided: ********. You "
          "can find your API key at "
          "https://platform.openai.com/account/api-keys.", type, NULL,
          "invalid_api_key");
    case 403:
      return cv_errors_openai ("Country, region, or territory not supported",
          "request_forbidden", NULL, "unsupported_country_region_territory");
    case 404:
      return requested_model_not_found (ctx);
    case 405:
      message = g_strdup_printf ("Invalid method for URL (%s %s)",
          ctx->req->method, ctx->req->path);
      body = cv_errors_openai (message, type, NULL, NULL);
      g_free (message);
      return body;
    case 429:
      model = requested_model (ctx);
      message = g_strdup_printf ("Rate limit reached for %s in organization "
          "org-local on requests per min (RPM): Limit 3, Used 3, Requested "
          "1. Please try again in %us. Visit "
          "https://platform.openai.com/account/rate-limits to learn more.",
          model, MAX (ctx->cfg->retry_after, 1));
      body = cv_errors_openai (message, "requests", NULL,
          "rate_limit_exceeded");
      g_free (message);
      g_free (model);
      return body;
    case 500:
      return cv_errors_openai ("The server had an error while processing "
          "your request. Sorry about that!", type, NULL, NULL);
    case 503:
      return cv_errors_openai ("The server is overloaded or not ready yet.",
          type, NULL, NULL);
    default:
      return cv_errors_openai (soup_status_get_phrase (status), type, NULL,
          NULL);
  }
}

static JsonNode *
chat_error (const CvReplyContext * ctx, guint status)
{
  JsonNode *body = NULL;

  if (route_is_azure (ctx->route))
    body = azure_gateway_error (ctx, status);
  return body != NULL ? body : openai_error (ctx, status);
}

static CvReply *
bad_request (const CvReplyContext * ctx, const gchar * message,
    const gchar * param, const gchar * code)
{
  return cv_reply_new_error (ctx, 400, cv_errors_openai (message,
          "invalid_request_error", param, code));
}

/**
 * cv_chat_truncate_words:
 * @n: how many words to keep, -1 for all
 * @truncated: (out): whether words were cut off
 *
 * Returns: (transfer full): @text up to the end of its @n-th word, its
 *   blanks kept
 */
gchar *
cv_chat_truncate_words (const gchar * text, gint64 n, gboolean * truncated)
{
  const gchar *p = text, *end = text;
  gint64 words = 0;

  *truncated = FALSE;
  if (n < 0)
    return g_strdup (text);
  while (*p != '\0') {
    while (*p != '\0' && g_ascii_isspace (*p))
      p++;
    if (*p == '\0')
      break;
    if (words == n) {
      *truncated = TRUE;
      break;
    }
    while (*p != '\0' && !g_ascii_isspace (*p))
      p++;
    end = p;
    words++;
  }
  return g_strndup (text, end - text);
}

/* The deterministic "thoughts" of --reasoning: the counts the caption
 * comes from. */
static gchar *
thoughts (const CvColourAnalysis * a)
{
  GString *s = g_string_new ("Counting the colours of the pixels:");
  guint i;

  for (i = 0; i < a->n_dominant; i++) {
    gchar *tag = cv_colour_analysis_tag (a, i);

    g_string_append_printf (s, "%s %s %u%%", i == 0 ? "" : ",", tag,
        (guint) (a->share[a->dominant[i]] * 100.0 + 0.5));
    g_free (tag);
  }
  g_string_append (s, ". The caption names the dominant colours.");
  return g_string_free (s, FALSE);
}

/* The JSON object response_format asks for, written with the hostile
 * edits (which exist only as JSON text) inside. */
static gchar *
json_content (const CvChatRequest * req, const CvColourAnalysis * a,
    const gchar * caption, const CvHostileConfig * hostile)
{
  static const gchar *const all[] = { "caption", "tags", "text", NULL };
  const gchar *const *names = req->format == CV_CHAT_FORMAT_JSON_SCHEMA ?
      (const gchar * const *) req->schema_properties : all;
  JsonBuilder *b = json_builder_new ();
  JsonNode *root;
  gchar *text;
  guint i, j;

  json_builder_begin_object (b);
  for (i = 0; names[i] != NULL; i++) {
    json_builder_set_member_name (b, names[i]);
    if (strcmp (names[i], "caption") == 0) {
      json_builder_add_string_value (b, caption);
    } else if (strcmp (names[i], "tags") == 0) {
      json_builder_begin_array (b);
      for (j = 0; j < a->n_dominant; j++) {
        gchar *tag = cv_colour_analysis_tag (a, j);

        json_builder_add_string_value (b, tag);
        g_free (tag);
      }
      json_builder_end_array (b);
    } else {
      /* No text recognition yet (issue 12). */
      json_builder_add_string_value (b, "");
    }
  }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  g_object_unref (b);

  text = cv_hostile_analysis_body (root, content_rules, hostile);
  json_node_unref (root);
  return text;
}

/* The reasoning_content of --reasoning: what is left of the thoughts in
 * the (possibly cut) @content. */
static gchar *
reasoning_of (const gchar * content)
{
  const gchar *start, *end;

  if (!g_str_has_prefix (content, THINK_OPEN))
    return NULL;
  start = content + strlen (THINK_OPEN);
  end = strstr (start, "\n</think>");
  return end != NULL ? g_strndup (start, end - start) : g_strdup (start);
}

static JsonNode *
completion_to_json (const CvReplyContext * ctx, const gchar * model,
    const gchar * content, const gchar * reasoning, gboolean truncated,
    guint prompt_tokens)
{
  JsonBuilder *b = json_builder_new ();
  gchar *id = g_strdup_printf ("chatcmpl-%s", ctx->request_id);
  guint completion_tokens = cv_chat_count_words (content);
  JsonNode *root;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "object");
  json_builder_add_string_value (b, "chat.completion");
  json_builder_set_member_name (b, "created");
  json_builder_add_int_value (b, g_get_real_time () / G_USEC_PER_SEC);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, model);
  json_builder_set_member_name (b, "choices");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "index");
  json_builder_add_int_value (b, 0);
  json_builder_set_member_name (b, "message");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "role");
  json_builder_add_string_value (b, "assistant");
  json_builder_set_member_name (b, "content");
  json_builder_add_string_value (b, content);
  /* llama-server omits it when empty. */
  if (reasoning != NULL && *reasoning != '\0') {
    json_builder_set_member_name (b, "reasoning_content");
    json_builder_add_string_value (b, reasoning);
  }
  json_builder_set_member_name (b, "refusal");
  json_builder_add_null_value (b);
  json_builder_set_member_name (b, "annotations");
  json_builder_begin_array (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "logprobs");
  json_builder_add_null_value (b);
  json_builder_set_member_name (b, "finish_reason");
  json_builder_add_string_value (b, truncated ? "length" : "stop");
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "usage");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "prompt_tokens");
  json_builder_add_int_value (b, prompt_tokens);
  json_builder_set_member_name (b, "completion_tokens");
  json_builder_add_int_value (b, completion_tokens);
  json_builder_set_member_name (b, "total_tokens");
  json_builder_add_int_value (b, prompt_tokens + completion_tokens);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "system_fingerprint");
  json_builder_add_string_value (b, CV_COLOUR_ANALYSIS_MODEL_VERSION);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  g_object_unref (b);
  g_free (id);
  return root;
}

/* The answer to a request that passed every check. */
static CvReply *
completion_reply (const CvReplyContext * ctx, const CvChatRequest * req,
    const gchar * model, const CvColourAnalysis * a)
{
  CvHostileConfig hostile = ctx->cfg->hostile;
  gchar *caption, *answer, *full, *content, *reasoning = NULL;
  gboolean truncated;
  CvReply *reply;

  /* The caption's words are set here, before the budget cuts them. */
  caption = hostile.caption_words > 0 ?
      cv_hostile_words (hostile.caption_words) :
      cv_colour_analysis_describe (a);
  hostile.caption_words = 0;
  answer = req->format == CV_CHAT_FORMAT_TEXT ? g_strdup (caption) :
      json_content (req, a, caption, &hostile);

  if (ctx->cfg->quirks & CV_LOCAL_SERVER_QUIRK_REASONING) {
    gchar *thought = thoughts (a);

    full = g_strconcat (THINK_OPEN, thought, THINK_CLOSE, answer, NULL);
    g_free (thought);
  } else {
    full = g_strdup (answer);
  }
  content = cv_chat_truncate_words (full, req->max_tokens, &truncated);
  if (ctx->cfg->quirks & CV_LOCAL_SERVER_QUIRK_REASONING)
    reasoning = reasoning_of (content);

  reply = cv_reply_new_answer (ctx, completion_to_json (ctx, model, content,
          reasoning, truncated, req->prompt_words +
          req->n_images * CV_CHAT_IMAGE_TOKENS),
      req->format == CV_CHAT_FORMAT_TEXT ? text_rules : json_rules, &hostile);

  g_free (reasoning);
  g_free (content);
  g_free (full);
  g_free (answer);
  g_free (caption);
  return reply;
}

static CvReply *
chat_answer (const CvReplyContext * ctx)
{
  const CvReplyConfig *cfg = ctx->cfg;
  g_autoptr (CvChatRequest) req = NULL;
  CvColourAnalysis analysis;
  const gchar *model;
  JsonNode *error = NULL;
  gconstpointer data;
  gsize size;

  req = cv_chat_request_parse (ctx->req->body,
      ctx->route != CV_ROUTE_AZURE_DEPLOYMENT_CHAT, &error);
  if (req == NULL)
    return cv_reply_new_error (ctx, 400, error);

  model = ctx->route == CV_ROUTE_AZURE_DEPLOYMENT_CHAT ? ctx->segment :
      req->model;
  if (!g_strv_contains (cfg->models, model))
    return cv_reply_new_error (ctx, 404, model_not_found (ctx, model));

  if (req->format == CV_CHAT_FORMAT_JSON_SCHEMA
      && (cfg->quirks & CV_LOCAL_SERVER_QUIRK_REFUSE_RESPONSE_FORMAT))
    return bad_request (ctx, "Invalid parameter: 'response_format' of type "
        "'json_schema' is not supported with this model. Learn more about "
        "supported models at the Structured Outputs guide: "
        "https://platform.openai.com/docs/guides/structured-outputs", NULL,
        NULL);
  if (req->sent_max_tokens
      && (cfg->quirks & CV_LOCAL_SERVER_QUIRK_REFUSE_MAX_TOKENS))
    return bad_request (ctx, "Unsupported parameter: 'max_tokens' is not "
        "supported with this model. Use 'max_completion_tokens' instead.",
        "max_tokens", "unsupported_parameter");

  if (req->image == NULL)
    return bad_request (ctx, "The local server captions images: send an "
        "image_url part in the messages.", "messages", NULL);
  data = g_bytes_get_data (req->image, &size);
  if (!cv_colour_analysis_analyse_jpeg (data, size, NULL, &analysis, NULL))
    return bad_request (ctx, "invalid image input", NULL, NULL);

  return completion_reply (ctx, req, model, &analysis);
}

const CvProtocol cv_chat_protocol = {
  chat_route_error,
  chat_error,
  chat_answer,
  /* Cut off in the middle of the content, as a truncated transfer would. */
  "{\"id\":\"chatcmpl-local\",\"object\":\"chat.completion\",\"created\":0,"
      "\"model\":\"" CV_LOCAL_SERVER_DEFAULT_MODEL "\",\"choices\":[{"
      "\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"a plain",
  "{\"id\":5,\"object\":\"chat.completion\",\"created\":\"now\",\"model\":7,"
      "\"choices\":[{\"index\":\"0\",\"message\":{\"role\":\"assistant\","
      "\"content\":5,\"refusal\":false},\"logprobs\":\"none\","
      "\"finish_reason\":7}],\"usage\":\"many\"}",
  "{\"id\":\"chatcmpl-endless\",\"object\":\"chat.completion\",\"created\":0,"
      "\"model\":\"" CV_LOCAL_SERVER_DEFAULT_MODEL "\",\"choices\":[{"
      "\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"",
  "x ",
  "x-request-id"
};
