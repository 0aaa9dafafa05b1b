/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * The chat-completions services: OpenAI and every server that copies its
 * API (Ollama, llama-server, vLLM, LM Studio), and Azure OpenAI. The two
 * classes share all code; they differ in their auth header, environment
 * variables, timeout and in what a bare URL means (docs/services.md is the
 * reference for every server behaviour named here).
 *
 * One request: a user message with the prompt and one data: URL per JPEG,
 * oldest first. Tags and read text come from the model's own JSON, asked
 * for with a strict "json_schema" response_format and by the prompt, so
 * servers that ignore or refuse the schema still answer in that JSON.
 *
 * What a service learns in a run (the service header allows it): a server
 * that refuses max_tokens (reasoning models) gets max_completion_tokens
 * from then on, and one that refuses response_format (older llama-server,
 * LM Studio's json_object, models without Structured Outputs) gets the
 * prompt alone; either switch answers the refusal with a RESEND, once.
 *
 * The answer: choices[0].message.content is the caption, or the JSON
 * holding caption, tags and text. Reasoning is never the caption: the
 * separate reasoning fields are not read and <think> blocks left in the
 * content are cut off. Null counts as absent everywhere (vLLM writes null
 * for every unset field, Ollama and llama-server omit them).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcvanalyzeservice.h"
#include "gstcvanalyzejson.h"
#include "gstcvanalyzeparser.h"
#include "gstcvanalyzesafetext.h"

#include <string.h>
#include <json-glib/json-glib.h>

GST_DEBUG_CATEGORY_STATIC (cv_analyze_chat_debug);
#define GST_CAT_DEFAULT cv_analyze_chat_debug

#define CHAT_COMPLETIONS_PATH "/chat/completions"
#define DEFAULT_DETAIL "low"
#define THINK_OPEN "<think>"
#define THINK_CLOSE "</think>"
#define SCHEMA_NAME "cvanalyze_result"

/* Both OpenAI and Azure OpenAI take images up to 20 MB. */
#define MAX_IMAGE_BYTES (20 * 1024 * 1024)

typedef enum
{
  FEATURE_CAPTION = 1 << 0,
  FEATURE_TAGS = 1 << 1,
  FEATURE_TEXT = 1 << 2,
} ChatFeature;

/* What each feature is called in the features setting and in the JSON,
 * and how the prompt and the schema describe it to the model. */
typedef struct
{
  ChatFeature flag;
  const gchar *name;
  const gchar *json_type;       /* "string" or "array" of strings */
  const gchar *description;
} FeatureInfo;

static const FeatureInfo feature_info[] = {
  {FEATURE_CAPTION, "caption", "string", "one sentence describing the image"},
  {FEATURE_TAGS, "tags", "array", "up to 10 short lower-case tags"},
  {FEATURE_TEXT, "text", "string",
      "the text visible in the image, verbatim, or \"\" if there is none"},
};

/* What tells the two classes apart beyond their GstCvAnalyzeServiceClass. */
typedef struct
{
  const GstCvAnalyzeServiceClass *klass;
  const gchar *kind;            /* for messages: "Azure OpenAI" */
  const gchar *default_endpoint;        /* NULL: the endpoint is required */
  const gchar *bare_path;       /* a URL without a path means this base */
  const gchar *model_error;     /* why and how to set model= */
  const gchar *not_found_advice;        /* for a 404 not about a model */
} ChatFlavour;

typedef struct
{
  const ChatFlavour *flavour;
  gchar *url;
  gchar *model;                 /* sent as "model"; NULL if the URL names
                                 * the deployment */
  gchar *model_label;           /* model or deployment, for messages */
  guint features;
  const gchar *detail;
  guint max_tokens;
  /* Learned in the run: */
  gboolean use_max_completion_tokens;   /* max_tokens was refused */
  gboolean response_format_refused;
} Chat;

/* The server's error, whichever family it came in (docs/services.md §7). */
typedef struct
{
  gchar *code;
  gchar *message;
  gchar *type;
  gchar *param;
} ChatError;

static const FieldSpec usage_fields[] = {
  {"prompt_tokens", "prompt-tokens", KIND_INT, OPTIONAL, NULL},
  {"completion_tokens", "completion-tokens", KIND_INT, OPTIONAL, NULL},
  {"total_tokens", "total-tokens", KIND_INT, OPTIONAL, NULL},
  {NULL}
};

static const Schema usage_schema = { "usage", usage_fields };

static const FieldSpec answer_fields[] = {
  {"id", "request-id", KIND_STRING, OPTIONAL, NULL},
  {"model", "model", KIND_STRING, OPTIONAL, NULL},
  {"usage", "usage", KIND_STRUCT, OPTIONAL, &usage_schema},
  {NULL}
};

static const Schema answer_schema = { GST_CV_ANALYZE_RESULT_NAME,
  answer_fields
};

/* content is read apart (see read_content()): it is cut and parsed before
 * it becomes text. */
static const FieldSpec message_fields[] = {
  {"refusal", "refusal", KIND_STRING, OPTIONAL, NULL,
      GST_CV_ANALYZE_MAX_MESSAGE_CHARS},
  {NULL}
};

static const Schema message_schema = { NULL, message_fields };

static const FieldSpec choice_fields[] = {
  {"finish_reason", "finish-reason", KIND_STRING, OPTIONAL, NULL},
  {"message", NULL, KIND_INLINE, REQUIRED, &message_schema},
  {NULL}
};

static const Schema choice_schema = { "choice", choice_fields };

/* The JSON the model writes when asked for more than the caption. */
static const FieldSpec structured_fields[] = {
  {"caption", "caption", KIND_STRING, OPTIONAL, NULL,
      GST_CV_ANALYZE_MAX_CAPTION_CHARS},
  {"tags", "tags", KIND_STRING_ARRAY, OPTIONAL, NULL},
  {"text", "text", KIND_STRING, OPTIONAL, NULL,
      GST_CV_ANALYZE_MAX_CAPTION_CHARS},
  {NULL}
};

static const Schema structured_schema = { GST_CV_ANALYZE_RESULT_NAME,
  structured_fields
};

static const FieldSpec error_detail_fields[] = {
  {"type", "type", KIND_STRING, OPTIONAL, NULL},
  {"param", "param", KIND_STRING, OPTIONAL, NULL},
  {NULL}
};

static const Schema error_detail_schema = { "error", error_detail_fields };

static void
ensure_debug_category (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized)) {
    GST_DEBUG_CATEGORY_INIT (cv_analyze_chat_debug, "cvanalyzechat", 0,
        "cvanalyze chat-completions services");
    g_once_init_leave (&initialized, 1);
  }
}

static gboolean
is_set (const gchar * s)
{
  return s != NULL && *s != '\0';
}

/* ---- create ---------------------------------------------------------- */

static gboolean
parse_features (const gchar * text, guint * features, GError ** error)
{
  gchar **names;
  guint i, j;

  *features = 0;
  if (!is_set (text)) {
    *features = FEATURE_CAPTION;
    return TRUE;
  }

  names = g_strsplit (text, ",", -1);
  for (i = 0; names[i] != NULL; i++) {
    gchar *name = g_strstrip (names[i]);

    if (*name == '\0')
      continue;
    for (j = 0; j < G_N_ELEMENTS (feature_info); j++)
      if (g_ascii_strcasecmp (name, feature_info[j].name) == 0)
        break;
    if (j == G_N_ELEMENTS (feature_info)) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
          "Unknown feature '%s': features= takes caption, tags and text "
          "(comma-separated)", name);
      g_strfreev (names);
      return FALSE;
    }
    *features |= feature_info[j].flag;
  }
  g_strfreev (names);
  if (*features == 0)
    *features = FEATURE_CAPTION;
  return TRUE;
}

static gboolean
parse_detail (const gchar * text, const gchar ** detail, GError ** error)
{
  static const gchar *const details[] = { "low", "high", "auto" };
  guint i;

  if (!is_set (text)) {
    *detail = DEFAULT_DETAIL;
    return TRUE;
  }
  for (i = 0; i < G_N_ELEMENTS (details); i++) {
    if (g_ascii_strcasecmp (text, details[i]) == 0) {
      *detail = details[i];
      return TRUE;
    }
  }
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "Unknown detail '%s': detail= takes low, high or auto", text);
  return FALSE;
}

/* "/openai/deployments/<name>/chat/completions" names the deployment. */
static gchar *
deployment_in_path (const gchar * path)
{
  gchar **parts = g_strsplit (path, "/", -1);
  gchar *deployment = NULL;
  guint i;

  for (i = 0; parts[i] != NULL && parts[i + 1] != NULL; i++) {
    if (g_strcmp0 (parts[i], "deployments") == 0 && *parts[i + 1] != '\0') {
      deployment = g_uri_unescape_string (parts[i + 1], NULL);
      break;
    }
  }
  g_strfreev (parts);
  return deployment;
}

/* The endpoint is the base URL as OpenAI's SDKs take it; a URL that is
 * already the chat-completions URL (Azure's per-deployment one, with its
 * api-version) is used as it is. */
static gchar *
chat_url (const ChatFlavour * flavour, const gchar * endpoint,
    gchar ** deployment, GError ** error)
{
  GError *uri_error = NULL;
  GUri *uri;
  gchar *base, *path, *url;
  gsize len;

  uri = g_uri_parse (endpoint, G_URI_FLAGS_ENCODED, &uri_error);
  if (uri == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "endpoint is not a URL: %s", uri_error->message);
    g_error_free (uri_error);
    return NULL;
  }

  base = g_strdup (g_uri_get_path (uri));
  for (len = strlen (base); len > 0 && base[len - 1] == '/'; len--)
    base[len - 1] = '\0';

  if (g_str_has_suffix (base, CHAT_COMPLETIONS_PATH)) {
    *deployment = deployment_in_path (base);
    url = g_strdup (endpoint);
  } else {
    path = g_strconcat (*base ? base : flavour->bare_path,
        CHAT_COMPLETIONS_PATH, NULL);
    url = g_uri_join (G_URI_FLAGS_ENCODED, g_uri_get_scheme (uri),
        g_uri_get_userinfo (uri), g_uri_get_host (uri), g_uri_get_port (uri),
        path, g_uri_get_query (uri), g_uri_get_fragment (uri));
    g_free (path);
  }
  g_free (base);
  g_uri_unref (uri);
  return url;
}

static void
chat_free (gpointer state)
{
  Chat *chat = state;

  if (chat == NULL)
    return;
  g_free (chat->url);
  g_free (chat->model);
  g_free (chat->model_label);
  g_free (chat);
}

static gpointer
chat_create (const ChatFlavour * flavour,
    const GstCvAnalyzeServiceSettings * settings, GError ** error)
{
  const gchar *endpoint = is_set (settings->endpoint) ?
      settings->endpoint : flavour->default_endpoint;
  Chat *chat;
  gchar *deployment = NULL;

  ensure_debug_category ();

  if (endpoint == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "No endpoint is set: set endpoint= (or %s) to the resource's URL, "
        "e.g. https://<resource>.openai.azure.com/",
        flavour->klass->endpoint_env[0]);
    return NULL;
  }

  chat = g_new0 (Chat, 1);
  chat->flavour = flavour;
  chat->max_tokens = settings->max_tokens;
  if (!parse_features (settings->features, &chat->features, error)
      || !parse_detail (settings->detail, &chat->detail, error))
    goto failed;

  chat->url = chat_url (flavour, endpoint, &deployment, error);
  if (chat->url == NULL)
    goto failed;

  /* The label goes into results and messages, which hold safe text. */
  if (is_set (settings->model)) {
    chat->model = g_strdup (settings->model);
    chat->model_label = gst_cv_analyze_safe_text (settings->model, -1,
        GST_CV_ANALYZE_MAX_NAME_CHARS);
  } else if (deployment != NULL) {
    chat->model_label = gst_cv_analyze_safe_text (deployment, -1,
        GST_CV_ANALYZE_MAX_NAME_CHARS);
  } else {
    g_set_error_literal (error, GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_SETTINGS, flavour->model_error);
    goto failed;
  }

  GST_DEBUG ("%s: POST %s, model %s, features 0x%x, detail %s, "
      "max_tokens %u", flavour->klass->name, chat->url, chat->model_label,
      chat->features, chat->detail, chat->max_tokens);
  g_free (deployment);
  return chat;

failed:
  g_free (deployment);
  chat_free (chat);
  return NULL;
}

/* ---- build_request --------------------------------------------------- */

static gboolean
wants_json (const Chat * chat)
{
  return chat->features != FEATURE_CAPTION;
}

static void
append_sentence (GString * text, const gchar * sentence)
{
  if (text->len > 0 && !g_ascii_isspace (text->str[text->len - 1]))
    g_string_append_c (text, ' ');
  g_string_append (text, sentence);
}

/* The user's prompt, then what the request itself needs said: that the
 * images are a sequence, and (with tags or text) the JSON to answer in,
 * for the servers that do not take the schema. */
static gchar *
build_prompt (const Chat * chat, const GstCvAnalyzeRequestInput * input)
{
  GString *text = g_string_new (input->prompt);
  guint i, n = 0;

  if (input->n_images > 1)
    append_sentence (text, "The images are consecutive frames of one video, "
        "oldest first: describe what happens, ending with the newest.");

  if (wants_json (chat)) {
    append_sentence (text, "Answer with only a JSON object with");
    for (i = 0; i < G_N_ELEMENTS (feature_info); i++) {
      if (!(chat->features & feature_info[i].flag))
        continue;
      g_string_append_printf (text, "%s \"%s\" (%s)", n++ ? "," : "",
          feature_info[i].name, feature_info[i].description);
    }
    g_string_append_c (text, '.');
  }
  return g_string_free (text, FALSE);
}

/* "data:image/jpeg;base64,..." encoded straight after its prefix. */
static gchar *
data_url (GBytes * jpeg)
{
  static const gchar prefix[] = "data:image/jpeg;base64,";
  gsize size, len = sizeof (prefix) - 1;
  const guchar *data = g_bytes_get_data (jpeg, &size);
  gint state = 0, save = 0;
  gchar *url = g_malloc (len + (size / 3 + 1) * 4 + 4 + 1);

  memcpy (url, prefix, len);
  len += g_base64_encode_step (data, size, FALSE, url + len, &state, &save);
  len += g_base64_encode_close (FALSE, url + len, &state, &save);
  url[len] = '\0';
  return url;
}

static void
add_image_part (JsonBuilder * b, const Chat * chat,
    const GstCvAnalyzeImage * image)
{
  gchar *url = data_url (image->jpeg);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "image_url");
  json_builder_set_member_name (b, "image_url");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "url");
  json_builder_add_string_value (b, url);
  json_builder_set_member_name (b, "detail");
  json_builder_add_string_value (b, chat->detail);
  json_builder_end_object (b);
  json_builder_end_object (b);
  g_free (url);
}

/* A strict schema (OpenAI's Structured Outputs): every property required,
 * no others allowed. */
static void
add_response_format (JsonBuilder * b, const Chat * chat)
{
  guint i;

  json_builder_set_member_name (b, "response_format");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "json_schema");
  json_builder_set_member_name (b, "json_schema");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, SCHEMA_NAME);
  json_builder_set_member_name (b, "strict");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_set_member_name (b, "schema");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "object");

  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
  for (i = 0; i < G_N_ELEMENTS (feature_info); i++) {
    const FeatureInfo *f = &feature_info[i];

    if (!(chat->features & f->flag))
      continue;
    json_builder_set_member_name (b, f->name);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "type");
    json_builder_add_string_value (b, f->json_type);
    if (g_str_equal (f->json_type, "array")) {
      json_builder_set_member_name (b, "items");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, "string");
      json_builder_end_object (b);
    }
    json_builder_set_member_name (b, "description");
    json_builder_add_string_value (b, f->description);
    json_builder_end_object (b);
  }
  json_builder_end_object (b);

  json_builder_set_member_name (b, "required");
  json_builder_begin_array (b);
  for (i = 0; i < G_N_ELEMENTS (feature_info); i++)
    if (chat->features & feature_info[i].flag)
      json_builder_add_string_value (b, feature_info[i].name);
  json_builder_end_array (b);

  json_builder_set_member_name (b, "additionalProperties");
  json_builder_add_boolean_value (b, FALSE);
  json_builder_end_object (b);  /* schema */
  json_builder_end_object (b);  /* json_schema */
  json_builder_end_object (b);  /* response_format */
}

static GstCvAnalyzeHttpRequest *
chat_build_request (gpointer state, const GstCvAnalyzeRequestInput * input)
{
  Chat *chat = state;
  JsonBuilder *b = json_builder_new ();
  JsonGenerator *gen;
  JsonNode *root;
  GstCvAnalyzeHttpRequest *request;
  gchar *prompt = build_prompt (chat, input);
  gchar *body;
  gsize length;
  guint i;

  json_builder_begin_object (b);
  if (chat->model != NULL) {
    json_builder_set_member_name (b, "model");
    json_builder_add_string_value (b, chat->model);
  }
  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "role");
  json_builder_add_string_value (b, "user");
  json_builder_set_member_name (b, "content");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "text");
  json_builder_set_member_name (b, "text");
  json_builder_add_string_value (b, prompt);
  json_builder_end_object (b);
  for (i = 0; i < input->n_images; i++)
    add_image_part (b, chat, &input->images[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_array (b);

  if (chat->max_tokens > 0) {
    json_builder_set_member_name (b, chat->use_max_completion_tokens ?
        "max_completion_tokens" : "max_tokens");
    json_builder_add_int_value (b, chat->max_tokens);
  }
  if (wants_json (chat) && !chat->response_format_refused)
    add_response_format (b, chat);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  gen = json_generator_new ();
  json_generator_set_root (gen, root);
  body = json_generator_to_data (gen, &length);
  g_object_unref (gen);
  json_node_unref (root);
  g_object_unref (b);
  g_free (prompt);

  request = g_new0 (GstCvAnalyzeHttpRequest, 1);
  request->method = "POST";
  request->url = g_strdup (chat->url);
  request->content_type = "application/json";
  request->body = g_bytes_new_take (body, length);
  return request;
}

/* ---- handle_reply: outcomes ------------------------------------------ */

/* Sets a FAILED or FATAL reply; the message may quote the user's settings
 * and is made safe text as a whole. */
static void
set_failure (GstCvAnalyzeReply * reply, GstCvAnalyzeReplyKind kind,
    const gchar * code, const gchar * advice, const gchar * format, ...)
    G_GNUC_PRINTF (5, 6);

static void
set_failure (GstCvAnalyzeReply * reply, GstCvAnalyzeReplyKind kind,
    const gchar * code, const gchar * advice, const gchar * format, ...)
{
  va_list args;
  gchar *message;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  reply->kind = kind;
  reply->code = gst_cv_analyze_safe_text (code, -1,
      GST_CV_ANALYZE_MAX_NAME_CHARS);
  reply->message = gst_cv_analyze_safe_text (message, -1,
      GST_CV_ANALYZE_MAX_MESSAGE_CHARS);
  reply->advice = advice ? gst_cv_analyze_safe_text (advice, -1,
      GST_CV_ANALYZE_MAX_MESSAGE_CHARS) : NULL;
  g_free (message);
  GST_DEBUG ("%s %s: %s", kind == GST_CV_ANALYZE_REPLY_FATAL ? "fatal" :
      "failed", reply->code, reply->message);
}

static gchar *
max_tokens_advice (const Chat * chat)
{
  if (chat->max_tokens == 0)
    return g_strdup ("the server's own token limit cut the answer off: set "
        "max-tokens (300 for a caption, more for reasoning models)");
  return g_strdup_printf ("max-tokens (%u) is too small for this model: "
      "raise it (reasoning models spend tokens thinking before they answer)",
      chat->max_tokens);
}

static void
set_cut_off (GstCvAnalyzeReply * reply, const Chat * chat,
    const gchar * what)
{
  gchar *advice = max_tokens_advice (chat);

  set_failure (reply, GST_CV_ANALYZE_REPLY_FAILED, "length", advice,
      "the answer was cut off at the token limit %s", what);
  g_free (advice);
}

/* ---- handle_reply: the answer ---------------------------------------- */

/* content as the server sent it (null and absent alike: NULL). */
static gboolean
read_content (JsonObject * message, const gchar ** content, GError ** error)
{
  JsonNode *node = json_object_get_member (message, "content");

  *content = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "field 'choices[0].message.content' has the wrong type: expected "
        "string");
    return FALSE;
  }
  *content = json_node_get_string (node);
  return TRUE;
}

/* The first choice's object, or NULL with @error set. */
static JsonObject *
first_choice (JsonObject * root, GError ** error)
{
  JsonNode *node = json_object_get_member (root, "choices");
  JsonArray *choices;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node)
      || json_array_get_length (choices = json_node_get_array (node)) == 0) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "the answer has no choices");
    return NULL;
  }
  node = json_array_get_element (choices, 0);
  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "field 'choices[0]' has the wrong type: expected object");
    return NULL;
  }
  return json_node_get_object (node);
}

static void
skip_space (const gchar ** start, const gchar ** end)
{
  while (*start < *end && g_ascii_isspace (**start))
    (*start)++;
  while (*end > *start && g_ascii_isspace ((*end)[-1]))
    (*end)--;
}

/* The answer without the model's thoughts, as [*start, *end): what follows
 * the last </think> (templates that open <think> themselves leave only the
 * closing tag), nothing if the thoughts never ended. */
static void
strip_thoughts (const gchar * content, const gchar ** start,
    const gchar ** end)
{
  const gchar *close = g_strrstr (content, THINK_CLOSE);

  *start = close ? close + strlen (THINK_CLOSE) : content;
  *end = content + strlen (content);
  skip_space (start, end);
  if (close == NULL && g_str_has_prefix (*start, THINK_OPEN))
    *start = *end;
}

/* A ```json fence around the JSON, as models add when only the prompt
 * asks for JSON. */
static void
strip_code_fence (const gchar ** start, const gchar ** end)
{
  const gchar *newline;

  if (*end - *start < 6 || strncmp (*start, "```", 3) != 0
      || strncmp (*end - 3, "```", 3) != 0)
    return;
  newline = memchr (*start, '\n', *end - *start - 3);
  if (newline == NULL)
    return;
  *start = newline + 1;
  *end -= 3;
  skip_space (start, end);
}

/* Keeps at most GST_CV_ANALYZE_MAX_TAGS tags, as the other services do. */
static void
cap_tags (GstStructure * result)
{
  const GValue *tags = gst_structure_get_value (result, "tags");
  GValue kept = G_VALUE_INIT;
  guint i;

  if (tags == NULL || gst_value_array_get_size (tags) <=
      GST_CV_ANALYZE_MAX_TAGS)
    return;
  g_value_init (&kept, GST_TYPE_ARRAY);
  for (i = 0; i < GST_CV_ANALYZE_MAX_TAGS; i++)
    gst_value_array_append_value (&kept, gst_value_array_get_value (tags, i));
  gst_structure_take_value (result, "tags", &kept);
}

/* Fills caption, tags and text from the model's JSON; FALSE (and nothing
 * filled) if the answer is not that JSON. */
static gboolean
read_structured (GstStructure * result, const gchar * start,
    const gchar * end)
{
  JsonParser *parser;
  JsonObject *obj;
  GError *err = NULL;
  gboolean ok = FALSE;

  strip_code_fence (&start, &end);
  if (start == end || *start != '{')
    return FALSE;

  parser = json_parser_new_immutable ();
  obj = gst_cv_analyze_json_load (parser, start, end - start, &err);
  if (obj != NULL)
    ok = gst_cv_analyze_json_fill (result, obj, &structured_schema, &err);
  if (ok)
    ok = gst_structure_n_fields (result) > 0;
  if (!ok) {
    GST_DEBUG ("not the JSON asked for: %s", err ? err->message : "empty");
    gst_structure_remove_all_fields (result);
  }
  cap_tags (result);
  g_clear_error (&err);
  g_object_unref (parser);
  return ok;
}

static void
set_caption (GstStructure * result, const gchar * start, const gchar * end)
{
  GValue caption = G_VALUE_INIT;

  g_value_init (&caption, G_TYPE_STRING);
  g_value_take_string (&caption, gst_cv_analyze_safe_text (start,
          end - start, GST_CV_ANALYZE_MAX_CAPTION_CHARS));
  gst_structure_take_value (result, "caption", &caption);
}

static void handle_error (Chat * chat, guint status, const gchar * body,
    gsize length, GstCvAnalyzeReply * reply);

static void
handle_answer (Chat * chat, const gchar * body, gsize length,
    GstCvAnalyzeReply * reply)
{
  JsonParser *parser = json_parser_new_immutable ();
  JsonObject *root, *choice_obj;
  JsonNode *error_node;
  GstStructure *choice = NULL, *result = NULL;
  GError *err = NULL;
  const gchar *content, *finish, *refusal, *start, *end;
  gchar *cut_advice = NULL;

  root = gst_cv_analyze_json_load (parser, body, length, &err);
  if (root == NULL)
    goto invalid;

  /* An error body is an error whatever the status said. */
  error_node = json_object_get_member (root, "error");
  if (error_node != NULL && !JSON_NODE_HOLDS_NULL (error_node)) {
    handle_error (chat, 200, body, length, reply);
    goto done;
  }

  if ((choice_obj = first_choice (root, &err)) == NULL)
    goto invalid;
  choice = gst_structure_new_empty (choice_schema.name);
  if (!gst_cv_analyze_json_fill (choice, choice_obj, &choice_schema, &err)
      || !read_content (json_object_get_object_member (choice_obj,
              "message"), &content, &err))
    goto invalid;
  finish = gst_structure_get_string (choice, "finish-reason");
  refusal = gst_structure_get_string (choice, "refusal");

  if (g_strcmp0 (finish, "content_filter") == 0) {
    set_failure (reply, GST_CV_ANALYZE_REPLY_FAILED, "content_filter",
        "the frame or the prompt triggered the deployment's content filter; "
        "change the prompt, or the filter's configuration on Azure",
        "Azure OpenAI's content filtering withheld the answer");
    goto done;
  }

  strip_thoughts (content ? content : "", &start, &end);
  if (start == end) {
    if (refusal != NULL && *refusal != '\0')
      set_failure (reply, GST_CV_ANALYZE_REPLY_FAILED, "refusal", NULL,
          "the model refused: %s", refusal);
    else if (g_strcmp0 (finish, "length") == 0)
      set_cut_off (reply, chat, "before any answer");
    else
      set_failure (reply, GST_CV_ANALYZE_REPLY_FAILED, "empty", NULL,
          "the model's answer was empty (finish_reason %s)",
          finish ? finish : "not given");
    goto done;
  }

  result = gst_structure_new_empty (GST_CV_ANALYZE_RESULT_NAME);
  if (g_strcmp0 (finish, "length") == 0)
    cut_advice = max_tokens_advice (chat);
  if (!wants_json (chat) || !read_structured (result, start, end)) {
    /* Cut-off JSON is no caption either. */
    if (wants_json (chat) && cut_advice != NULL && *start == '{') {
      set_cut_off (reply, chat, "in the middle of the JSON answer");
      goto done;
    }
    set_caption (result, start, end);
  }

  if (!gst_cv_analyze_json_fill (result, root, &answer_schema, &err))
    goto invalid;
  if (!gst_structure_has_field (result, "model"))
    gst_structure_set (result, "model", G_TYPE_STRING, chat->model_label,
        NULL);
  gst_structure_set (result, "api", G_TYPE_STRING, chat->flavour->klass->name,
      NULL);

  GST_LOG ("answer %" GST_PTR_FORMAT, result);
  reply->kind = GST_CV_ANALYZE_REPLY_RESULT;
  reply->result = g_steal_pointer (&result);
  reply->advice = g_steal_pointer (&cut_advice);
  goto done;

invalid:
  set_failure (reply, GST_CV_ANALYZE_REPLY_FAILED, "invalid-answer", NULL,
      "%s", err->message);

done:
  g_clear_error (&err);
  g_free (cut_advice);
  if (choice)
    gst_structure_free (choice);
  if (result)
    gst_structure_free (result);
  g_object_unref (parser);
}

/* ---- handle_reply: errors -------------------------------------------- */

/* OpenAI quotes part of a wrong key ("sk-VKMIs***...wjh3"); none of it is
 * repeated: what follows "sk-" in a word becomes asterisks. */
static gboolean
is_key_char (gchar c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_' || c == '*';
}

static void
hide_keys (gchar * message)
{
  gchar *p = message;

  while ((p = strstr (p, "sk-")) != NULL) {
    if (p > message && is_key_char (p[-1])) {
      p += 3;
      continue;
    }
    for (p += 3; is_key_char (*p); p++)
      *p = '*';
  }
}

/* Reads the error body of any family (docs/services.md §7): the Azure
 * families, OpenAI's and llama-server's through the shared reader; the
 * plain {"error":"text"} of Ollama, vLLM and LM Studio here; and type and
 * param, which say what a 400 refused. */
static void
read_error (const gchar * body, gsize length, ChatError * e)
{
  JsonParser *parser = json_parser_new_immutable ();
  JsonObject *root, *detail;
  JsonNode *error_node;
  GstStructure *s;

  gst_cv_analyze_parse_error (body, length, &e->code, &e->message);
  root = gst_cv_analyze_json_load (parser, body, length, NULL);
  if (root == NULL) {
    /* A proxy's HTML page or a plain "404 page not found". */
    if (e->message == NULL && length > 0)
      e->message = gst_cv_analyze_safe_text (body, length,
          GST_CV_ANALYZE_MAX_MESSAGE_CHARS);
    goto done;
  }

  error_node = json_object_get_member (root, "error");
  if (error_node != NULL && JSON_NODE_HOLDS_VALUE (error_node)
      && json_node_get_value_type (error_node) == G_TYPE_STRING) {
    g_free (e->message);
    e->message = gst_cv_analyze_safe_text (json_node_get_string (error_node),
        -1, GST_CV_ANALYZE_MAX_MESSAGE_CHARS);
    goto done;
  }

  detail = error_node && JSON_NODE_HOLDS_OBJECT (error_node) ?
      json_node_get_object (error_node) : root;
  s = gst_structure_new_empty (error_detail_schema.name);
  if (gst_cv_analyze_json_fill (s, detail, &error_detail_schema, NULL)) {
    e->type = g_strdup (gst_structure_get_string (s, "type"));
    e->param = g_strdup (gst_structure_get_string (s, "param"));
  }
  gst_structure_free (s);

done:
  if (e->message)
    hide_keys (e->message);
  g_object_unref (parser);
}

static void
chat_error_clear (ChatError * e)
{
  g_free (e->code);
  g_free (e->message);
  g_free (e->type);
  g_free (e->param);
}

static gboolean
mentions (const gchar * text, const gchar * word)
{
  return text != NULL && strstr (text, word) != NULL;
}

/* Reasoning models: "Unsupported parameter: 'max_tokens' ...". */
static gboolean
refuses_max_tokens (const Chat * chat, guint status, const ChatError * e)
{
  if (status != 400 || chat->max_tokens == 0
      || chat->use_max_completion_tokens)
    return FALSE;
  return g_strcmp0 (e->param, "max_tokens") == 0
      || (g_strcmp0 (e->code, "unsupported_parameter") == 0
      && mentions (e->message, "max_tokens"));
}

/* OpenAI's 400 (param null or "response_format"), LM Studio's 400 with a
 * plain string, and llama-server's old 500: only the text says it. */
static gboolean
refuses_response_format (const Chat * chat, guint status,
    const ChatError * e)
{
  if ((status != 400 && status != 500) || !wants_json (chat)
      || chat->response_format_refused)
    return FALSE;
  return g_strcmp0 (e->param, "response_format") == 0
      || mentions (e->message, "response_format")
      || mentions (e->message, "json_schema");
}

static gboolean
is_model_not_found (guint status, const ChatError * e)
{
  gchar *lower;
  gboolean found;

  if (status != 404)
    return FALSE;
  if (g_strcmp0 (e->code, "model_not_found") == 0
      || g_strcmp0 (e->code, "DeploymentNotFound") == 0)
    return TRUE;
  if (e->message == NULL)
    return FALSE;
  /* Ollama "model 'x' not found", vLLM "The model `x` does not exist." */
  lower = g_ascii_strdown (e->message, -1);
  found = mentions (lower, "model") && (mentions (lower, "not found")
      || mentions (lower, "does not exist"));
  g_free (lower);
  return found;
}

static void
set_model_not_found (GstCvAnalyzeReply * reply, const Chat * chat,
    const ChatError * e)
{
  const gchar *label = chat->model_label;
  const gchar *code = e->code ? e->code : e->type ? e->type : "404";
  const gchar *said = e->message ? e->message : "";
  gchar *advice;

  if (g_strcmp0 (e->code, "DeploymentNotFound") == 0) {
    set_failure (reply, GST_CV_ANALYZE_REPLY_FATAL, code,
        "check the deployment name: model= (or the deployment in the "
        "endpoint URL) must be the name of a deployment of this resource, "
        "not of a model; a new deployment takes a few minutes to appear",
        "Azure OpenAI has no deployment '%s': %s", label, said);
    return;
  }
  /* Ollama's messages start "model 'x'" (since 0.12) or "model \"x\"". */
  if (g_str_has_prefix (said, "model '")
      || g_str_has_prefix (said, "model \"")) {
    advice = g_strdup_printf ("run `ollama pull %s`, or set model= to a "
        "model `ollama list` shows", label);
    set_failure (reply, GST_CV_ANALYZE_REPLY_FATAL, code, advice,
        "Ollama has no model '%s': %s", label, said);
  } else {
    advice = g_strdup_printf ("set model= to a model the server serves "
        "(GET %s lists them, with /models in place of /chat/completions)",
        chat->url);
    set_failure (reply, GST_CV_ANALYZE_REPLY_FATAL, code, advice,
        "the %s has no model '%s': %s", chat->flavour->kind, label, said);
  }
  g_free (advice);
}

/* What the user can do about the errors this service can tell apart; the
 * client adds what the status says (key, rate limit, server down). */
static const gchar *
error_advice (const Chat * chat, guint status, const ChatError * e)
{
  if (mentions (e->message, "mmproj"))
    return "the model was loaded without its vision projector: start "
        "llama-server with --mmproj <projector.gguf> (or -hf with a vision "
        "model)";
  if (g_strcmp0 (e->code, "content_filter") == 0)
    return "the frame or the prompt triggered Azure OpenAI's content "
        "filter; change the prompt, or the deployment's filter";
  if (status == 404)
    return chat->flavour->not_found_advice;
  return NULL;
}

static void
handle_error (Chat * chat, guint status, const gchar * body, gsize length,
    GstCvAnalyzeReply * reply)
{
  ChatError e = { NULL, };

  read_error (body, length, &e);

  if (refuses_max_tokens (chat, status, &e)) {
    GST_INFO ("the server refuses max_tokens: sending max_completion_tokens");
    chat->use_max_completion_tokens = TRUE;
    reply->kind = GST_CV_ANALYZE_REPLY_RESEND;
  } else if (refuses_response_format (chat, status, &e)) {
    GST_INFO ("the server refuses response_format: asking in the prompt only");
    chat->response_format_refused = TRUE;
    reply->kind = GST_CV_ANALYZE_REPLY_RESEND;
  } else if (is_model_not_found (status, &e)) {
    set_model_not_found (reply, chat, &e);
  } else {
    gchar *code = e.code ? g_strdup (e.code) : e.type ? g_strdup (e.type) :
        g_strdup_printf ("%u", status);

    set_failure (reply, GST_CV_ANALYZE_REPLY_FAILED, code,
        error_advice (chat, status, &e), "%s", e.message ? e.message :
        "the server sent no error message");
    g_free (code);
  }
  chat_error_clear (&e);
}

static void
chat_handle_reply (gpointer state, guint status, const gchar * body,
    gsize length, GstCvAnalyzeReply * reply)
{
  if (status >= 200 && status < 300)
    handle_answer (state, body, length, reply);
  else
    handle_error (state, status, body, length, reply);
}

/* ---- the two classes ------------------------------------------------- */

static const gchar *const openai_endpoint_env[] = { "OPENAI_BASE_URL", NULL };
static const gchar *const openai_key_env[] = { "OPENAI_API_KEY", NULL };
static const gchar *const azure_openai_endpoint_env[] =
    { "AZURE_OPENAI_ENDPOINT", NULL };
static const gchar *const azure_openai_key_env[] =
    { "AZURE_OPENAI_API_KEY", NULL };

static const ChatFlavour openai_flavour = {
  &gst_cv_analyze_openai_service,
  "OpenAI-compatible server",
  "https://api.openai.com/v1",
  /* Every server listed in docs/services.md serves /v1/chat/completions. */
  "/v1",
  "No model is set: set model= to the model the server should run, "
      "e.g. model=gpt-4o-mini for OpenAI, or model=qwen2.5vl:3b for Ollama "
      "(after `ollama pull qwen2.5vl:3b`)",
  "check endpoint=: the base URL of the API, e.g. https://api.openai.com/v1 "
      "or http://localhost:11434/v1",
};

static const ChatFlavour azure_openai_flavour = {
  &gst_cv_analyze_azure_openai_service,
  "Azure OpenAI resource",
  NULL,
  "/openai/v1",
  "No deployment is set: set model= to the deployment's name, or set "
      "endpoint= to the deployment's URL, "
      "https://<resource>.openai.azure.com/openai/deployments/<deployment>/"
      "chat/completions?api-version=2024-10-21",
  "check endpoint=: the resource's URL, https://<resource>.openai.azure.com/ "
      "(with model= the deployment), or a deployment's whole URL, "
      ".../openai/deployments/<deployment>/chat/completions?"
      "api-version=2024-10-21",
};

static gpointer
openai_create (const GstCvAnalyzeServiceSettings * settings,
    gchar ** notice, GError ** error)
{
  return chat_create (&openai_flavour, settings, error);
}

static gpointer
azure_openai_create (const GstCvAnalyzeServiceSettings * settings,
    gchar ** notice, GError ** error)
{
  return chat_create (&azure_openai_flavour, settings, error);
}

/* 120 s: a local vision model on a CPU takes tens of seconds per frame,
 * more when it has to be loaded again (docs/services.md §8). */
const GstCvAnalyzeServiceClass gst_cv_analyze_openai_service = {
  GST_CV_ANALYZE_API_OPENAI,
  "openai",
  "Authorization",
  "Bearer ",
  openai_endpoint_env,
  openai_key_env,
  120 * GST_SECOND,
  MAX_IMAGE_BYTES,
  openai_create,
  chat_free,
  chat_build_request,
  chat_handle_reply,
};

/* 60 s: Azure runs on GPUs and answers in seconds; the margin covers a
 * busy deployment and detail=high on large frames. */
const GstCvAnalyzeServiceClass gst_cv_analyze_azure_openai_service = {
  GST_CV_ANALYZE_API_AZURE_OPENAI,
  "azure-openai",
  "api-key",
  "",
  azure_openai_endpoint_env,
  azure_openai_key_env,
  60 * GST_SECOND,
  MAX_IMAGE_BYTES,
  azure_openai_create,
  chat_free,
  chat_build_request,
  chat_handle_reply,
};
