/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * Hostile answers for the local server: well-formed JSON whose strings are
 * what an untrusted service might send (lone surrogates, terminal escapes,
 * NUL) and whose sizes are extreme (a million tags, a 32 000-word caption,
 * a 64 MiB error message).
 *
 * The answer is built as usual (the protocol modules, cverrors.c) and then
 * written out here by a small JSON writer that follows the node tree and
 * edits the members it meets on the way; which members those are, each
 * protocol says in a table of rules (cvhostile.h: CvHostileRule). A
 * writer of our own, not json-glib's generator, because the hostile
 * strings exist only as JSON text: a C string cannot hold "\u0000" and
 * json-glib would write "\ud800" as the raw (invalid UTF-8) bytes, not as
 * the escape. The long lists and texts go straight into one GString: a
 * JsonNode per tag would cost far more time and memory than the text.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "cvhostile.h"

#include <string.h>

/* What a string at some path of the answer is, for the edits. */
typedef enum
{
  EDIT_NONE,
  EDIT_CAPTION,
  EDIT_TAG,
  EDIT_LABEL,
  EDIT_CODE,
  EDIT_MESSAGE,
  EDIT_INNER_MESSAGE
} Edit;

typedef struct
{
  const CvHostileConfig *config;
  const CvHostileRule *rules;
  gboolean error_body;
  GString *out;
  /* The member path of the node being written: "description.tags[]" is
   * a string element of the array "tags" in the object "description". */
  GString *path;
} Writer;

static void write_node (Writer * w, JsonNode * node);

/* Writes @str's characters JSON-escaped, without quotes. */
static void
append_escaped (GString * out, const gchar * str)
{
  const guchar *p;

  for (p = (const guchar *) str; *p != '\0'; p++) {
    if (*p == '"' || *p == '\\') {
      g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    } else if (*p == '\n') {
      g_string_append (out, "\\n");
    } else if (*p == '\t') {
      g_string_append (out, "\\t");
    } else if (*p < 0x20) {
      g_string_append_printf (out, "\\u%04x", *p);
    } else {
      g_string_append_c (out, *p);
    }
  }
}

static gboolean
path_is (Writer * w, const gchar * path)
{
  return strcmp (w->path->str, path) == 0;
}

/* The last member name of the path. */
static const gchar *
path_member (Writer * w)
{
  const gchar *dot = strrchr (w->path->str, '.');

  return dot != NULL ? dot + 1 : w->path->str;
}

/* The role the rules give the member at the current path, 0 for none. */
static CvHostileRole
path_role (Writer * w)
{
  const CvHostileRule *rule;

  for (rule = w->rules; rule != NULL && rule->path != NULL; rule++) {
    if (path_is (w, rule->path))
      return rule->role;
  }
  return 0;
}

static Edit
string_edit (Writer * w)
{
  if (w->error_body) {
    if (strcmp (path_member (w), "code") == 0)
      return EDIT_CODE;
    /* Most nest the message in "error", v2.x does not. */
    if (path_is (w, "error.message") || path_is (w, "message"))
      return EDIT_MESSAGE;
    if (strcmp (path_member (w), "message") == 0)
      return EDIT_INNER_MESSAGE;
    return EDIT_NONE;
  }

  switch (path_role (w)) {
    case CV_HOSTILE_CAPTION:
      return EDIT_CAPTION;
    case CV_HOSTILE_TAG:
      return EDIT_TAG;
    case CV_HOSTILE_LABEL:
      return EDIT_LABEL;
    default:
      return EDIT_NONE;
  }
}

/* Appends the hostile strings the flags ask for to a string of kind
 * @edit, inside its quotes. */
static void
append_hostile (Writer * w, Edit edit)
{
  CvLocalServerHostile flags = w->config->flags;

  if ((flags & CV_LOCAL_SERVER_HOSTILE_LONE_SURROGATES)
      && (edit == EDIT_CAPTION || edit == EDIT_TAG))
    g_string_append (w->out, CV_HOSTILE_LONE_SURROGATES_JSON);
  if (flags & CV_LOCAL_SERVER_HOSTILE_CONTROL_CHARS)
    g_string_append (w->out, CV_HOSTILE_CONTROL_CHARS_JSON);
}

/* "word1 word2 ... wordN" */
static void
append_words (GString * out, guint n)
{
  guint i;

  for (i = 1; i <= n; i++)
    g_string_append_printf (out, i == 1 ? "word%u" : " word%u", i);
}

/**
 * cv_hostile_words:
 *
 * Returns: (transfer full): the caption of @caption_words @n:
 *   "word1 word2 ... wordN"
 */
gchar *
cv_hostile_words (guint n)
{
  GString *s = g_string_sized_new ((gsize) n * 8);

  append_words (s, n);
  return g_string_free (s, FALSE);
}

/* Exactly @n bytes of readable ASCII. */
static void
append_filler (GString * out, gsize n)
{
  static const gchar sentence[] = "Simulated oversized error message. ";
  const gsize len = sizeof (sentence) - 1;

  while (n >= len) {
    g_string_append_len (out, sentence, len);
    n -= len;
  }
  g_string_append_len (out, sentence, n);
}

static void
write_string (Writer * w, const gchar * value)
{
  Edit edit = string_edit (w);
  const CvHostileConfig *c = w->config;

  g_string_append_c (w->out, '"');
  if (edit == EDIT_CAPTION && c->caption_words > 0)
    append_words (w->out, c->caption_words);
  else if (edit == EDIT_MESSAGE && c->error_message_size > 0)
    append_filler (w->out, c->error_message_size);
  else
    append_escaped (w->out, value);
  if (edit != EDIT_NONE)
    append_hostile (w, edit);
  g_string_append_c (w->out, '"');
}

/* The tag lists of set_tag_count: {"name","confidence"} objects, or
 * plain names. */
static void
write_generated_tags (Writer * w, gboolean objects)
{
  guint i;

  g_string_append_c (w->out, '[');
  for (i = 1; i <= w->config->tag_count; i++) {
    if (i > 1)
      g_string_append_c (w->out, ',');
    if (objects)
      g_string_append (w->out, "{\"name\":");
    g_string_append_printf (w->out, "\"tag%u", i);
    append_hostile (w, EDIT_TAG);
    g_string_append_c (w->out, '"');
    if (objects)
      g_string_append (w->out, ",\"confidence\":0.5}");
  }
  g_string_append_c (w->out, ']');
}

static void
write_array (Writer * w, JsonArray * array)
{
  gsize path_len = w->path->len;
  guint i, n = json_array_get_length (array);

  if (!w->error_body && w->config->tag_count > 0) {
    CvHostileRole role = path_role (w);

    if (role == CV_HOSTILE_TAG_OBJECTS || role == CV_HOSTILE_TAG_NAMES) {
      write_generated_tags (w, role == CV_HOSTILE_TAG_OBJECTS);
      return;
    }
  }

  g_string_append (w->path, "[]");
  g_string_append_c (w->out, '[');
  for (i = 0; i < n; i++) {
    if (i > 0)
      g_string_append_c (w->out, ',');
    write_node (w, json_array_get_element (array, i));
  }
  g_string_append_c (w->out, ']');
  g_string_truncate (w->path, path_len);
}

static void
write_object (Writer * w, JsonObject * object)
{
  gsize path_len = w->path->len;
  JsonObjectIter iter;
  const gchar *name;
  JsonNode *member;
  gboolean first = TRUE;

  g_string_append_c (w->out, '{');
  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &member)) {
    if (!first)
      g_string_append_c (w->out, ',');
    first = FALSE;

    g_string_append_c (w->out, '"');
    append_escaped (w->out, name);
    g_string_append (w->out, "\":");

    if (path_len > 0)
      g_string_append_c (w->path, '.');
    g_string_append (w->path, name);
    write_node (w, member);
    g_string_truncate (w->path, path_len);
  }
  g_string_append_c (w->out, '}');
}

static void
write_node (Writer * w, JsonNode * node)
{
  gchar *text;

  if (JSON_NODE_HOLDS_OBJECT (node)) {
    write_object (w, json_node_get_object (node));
  } else if (JSON_NODE_HOLDS_ARRAY (node)) {
    write_array (w, json_node_get_array (node));
  } else if (JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_STRING) {
    write_string (w, json_node_get_string (node));
  } else {
    /* Numbers, booleans and null exactly as json-glib writes them. */
    text = json_to_string (node, FALSE);
    g_string_append (w->out, text);
    g_free (text);
  }
}

static gboolean
config_is_active (const CvHostileConfig * c, gboolean error_body)
{
  if (c == NULL)
    return FALSE;
  if (error_body)
    return (c->flags & CV_LOCAL_SERVER_HOSTILE_CONTROL_CHARS)
        || c->error_message_size > 0;
  return c->flags != CV_LOCAL_SERVER_HOSTILE_NONE || c->tag_count > 0
      || c->caption_words > 0;
}

static gchar *
write_body (JsonNode * root, const CvHostileRule * rules,
    const CvHostileConfig * config, gboolean error_body)
{
  Writer w;
  gsize guess = 4096;

  if (!config_is_active (config, error_body))
    return json_to_string (root, FALSE);

  if (error_body)
    guess += config->error_message_size;
  else
    guess += (gsize) config->tag_count * 48 + config->caption_words * 12;

  w.config = config;
  w.rules = rules;
  w.error_body = error_body;
  w.out = g_string_sized_new (guess);
  w.path = g_string_new (NULL);
  write_node (&w, root);
  g_string_free (w.path, TRUE);

  return g_string_free (w.out, FALSE);
}

/**
 * cv_hostile_analysis_body:
 * @answer: an answer of one of the protocols
 * @rules: the protocol's members to edit (#CvHostileRule)
 * @config: (nullable): the distortions; %NULL for none
 *
 * Writes @answer as JSON text with @config's edits to the members @rules
 * names: the tag lists replaced by @tag_count tags, the captions by
 * @caption_words words, and the hostile strings appended to the captions
 * and tag names (both flags) and to the labels (CONTROL_CHARS). Only the
 * members the answer has are edited: tags the request did not ask for
 * stay absent.
 *
 * Returns: (transfer full): the body
 */
gchar *
cv_hostile_analysis_body (JsonNode * answer, const CvHostileRule * rules,
    const CvHostileConfig * config)
{
  return write_body (answer, rules, config, FALSE);
}

/**
 * cv_hostile_error_body:
 * @error: an error body of either family (cverrors.c)
 * @config: (nullable): the distortions; %NULL for none
 *
 * Writes @error as JSON text with @config's edits: the top-level message
 * ("error.message", or "message" in v2.x) replaced by
 * @error_message_size bytes of text, and CONTROL_CHARS appended to every
 * "code" and "message".
 *
 * Returns: (transfer full): the body
 */
gchar *
cv_hostile_error_body (JsonNode * error, const CvHostileConfig * config)
{
  return write_body (error, NULL, config, TRUE);
}
