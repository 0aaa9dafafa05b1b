/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * Turns an Azure Computer Vision "Analyze Image" answer (v2.0, v2.1 and v3.2
 * share one shape; Describe and Tag answer with a subset of it) into one
 * GstStructure named "cvanalyze-result".
 *
 * The answer is described by the tables below and read by the shared
 * walker (gstcvanalyzejson.c, which states the rules: types, nulls, safe
 * and capped text, capped arrays). Member names become lower-case dashed
 * field names ("requestId" -> "request-id"). Rectangles are flattened into
 * the owning structure as int fields x, y, width and height, whatever
 * Azure called them (faceRectangle left/top/width/height, rectangle
 * x/y/w/h).  On top of the one-to-one mapping the result gets
 * "caption"/"confidence" (the most confident caption) and "tags" (at most
 * GST_CV_ANALYZE_MAX_TAGS tag names, falling back to description.tags) so
 * that simple consumers need not walk arrays.
 *
 * Error bodies are read here too; their code and message are made safe
 * text like every other string from the service.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcvanalyzeparser.h"
#include "gstcvanalyzejson.h"
#include "gstcvanalyzesafetext.h"

#include <string.h>

#include <gio/gio.h>

GST_DEBUG_CATEGORY_STATIC (cv_analyze_parser_debug);
#define GST_CAT_DEFAULT cv_analyze_parser_debug

/* Both rectangle spellings are inlined into the item that owns them. */
static const FieldSpec face_rectangle_fields[] = {
  {"left", "x", KIND_INT, REQUIRED, NULL},
  {"top", "y", KIND_INT, REQUIRED, NULL},
  {"width", "width", KIND_INT, REQUIRED, NULL},
  {"height", "height", KIND_INT, REQUIRED, NULL},
  {NULL}
};

static const Schema face_rectangle_schema = { NULL, face_rectangle_fields };

static const FieldSpec bounding_box_fields[] = {
  {"x", "x", KIND_INT, REQUIRED, NULL},
  {"y", "y", KIND_INT, REQUIRED, NULL},
  {"w", "width", KIND_INT, REQUIRED, NULL},
  {"h", "height", KIND_INT, REQUIRED, NULL},
  {NULL}
};

const Schema gst_cv_analyze_box_schema = { NULL, bounding_box_fields };

static const FieldSpec caption_fields[] = {
  {"text", "text", KIND_STRING, REQUIRED, NULL,
      GST_CV_ANALYZE_MAX_CAPTION_CHARS},
  {"confidence", "confidence", KIND_DOUBLE, REQUIRED, NULL},
  {NULL}
};

static const Schema caption_schema = { "caption", caption_fields };

static const FieldSpec description_fields[] = {
  {"tags", "description-tags", KIND_STRING_ARRAY, OPTIONAL, NULL},
  {"captions", "captions", KIND_STRUCT_ARRAY, OPTIONAL, &caption_schema},
  {NULL}
};

static const Schema description_schema = { NULL, description_fields };

static const FieldSpec tag_fields[] = {
  {"name", "name", KIND_STRING, REQUIRED, NULL},
  {"confidence", "confidence", KIND_DOUBLE, REQUIRED, NULL},
  {"hint", "hint", KIND_STRING, OPTIONAL, NULL},
  {NULL}
};

const Schema gst_cv_analyze_tag_schema = { "tag", tag_fields };

static const FieldSpec celebrity_fields[] = {
  {"name", "name", KIND_STRING, REQUIRED, NULL},
  {"confidence", "confidence", KIND_DOUBLE, REQUIRED, NULL},
  {"faceRectangle", NULL, KIND_INLINE, REQUIRED, &face_rectangle_schema},
  {NULL}
};

static const Schema celebrity_schema = { "celebrity", celebrity_fields };

static const FieldSpec landmark_fields[] = {
  {"name", "name", KIND_STRING, REQUIRED, NULL},
  {"confidence", "confidence", KIND_DOUBLE, REQUIRED, NULL},
  {NULL}
};

static const Schema landmark_schema = { "landmark", landmark_fields };

static const FieldSpec category_detail_fields[] = {
  {"celebrities", "celebrities", KIND_STRUCT_ARRAY, OPTIONAL,
      &celebrity_schema},
  {"landmarks", "landmarks", KIND_STRUCT_ARRAY, OPTIONAL, &landmark_schema},
  {NULL}
};

static const Schema category_detail_schema = { NULL, category_detail_fields };

static const FieldSpec category_fields[] = {
  {"name", "name", KIND_STRING, REQUIRED, NULL},
  {"score", "score", KIND_DOUBLE, REQUIRED, NULL},
  {"detail", NULL, KIND_INLINE, OPTIONAL, &category_detail_schema},
  {NULL}
};

static const Schema category_schema = { "category", category_fields };

/* The service has used both spellings of isBWImg; whichever comes is kept. */
static const FieldSpec color_fields[] = {
  {"dominantColorForeground", "dominant-color-foreground", KIND_STRING,
      OPTIONAL, NULL},
  {"dominantColorBackground", "dominant-color-background", KIND_STRING,
      OPTIONAL, NULL},
  {"dominantColors", "dominant-colors", KIND_STRING_ARRAY, OPTIONAL, NULL},
  {"accentColor", "accent-color", KIND_STRING, OPTIONAL, NULL},
  {"isBWImg", "is-bw-img", KIND_BOOLEAN, OPTIONAL, NULL},
  {"isBwImg", "is-bw-img", KIND_BOOLEAN, OPTIONAL, NULL},
  {NULL}
};

static const Schema color_schema = { "color", color_fields };

static const FieldSpec image_type_fields[] = {
  {"clipArtType", "clip-art-type", KIND_INT, OPTIONAL, NULL},
  {"lineDrawingType", "line-drawing-type", KIND_INT, OPTIONAL, NULL},
  {NULL}
};

static const Schema image_type_schema = { "image-type", image_type_fields };

static const FieldSpec adult_fields[] = {
  {"isAdultContent", "is-adult-content", KIND_BOOLEAN, OPTIONAL, NULL},
  {"isRacyContent", "is-racy-content", KIND_BOOLEAN, OPTIONAL, NULL},
  {"isGoryContent", "is-gory-content", KIND_BOOLEAN, OPTIONAL, NULL},
  {"adultScore", "adult-score", KIND_DOUBLE, OPTIONAL, NULL},
  {"racyScore", "racy-score", KIND_DOUBLE, OPTIONAL, NULL},
  {"goreScore", "gore-score", KIND_DOUBLE, OPTIONAL, NULL},
  {NULL}
};

static const Schema adult_schema = { "adult", adult_fields };

static const FieldSpec face_fields[] = {
  {"faceRectangle", NULL, KIND_INLINE, REQUIRED, &face_rectangle_schema},
  {"age", "age", KIND_INT, OPTIONAL, NULL},
  {"gender", "gender", KIND_STRING, OPTIONAL, NULL},
  {NULL}
};

static const Schema face_schema = { "face", face_fields };

/* An object's parent has a parent of its own, up to the hierarchy's root:
 * the schema refers to itself. */
static const Schema object_parent_schema;

static const FieldSpec object_parent_fields[] = {
  {"object", "object", KIND_STRING, REQUIRED, NULL},
  {"confidence", "confidence", KIND_DOUBLE, REQUIRED, NULL},
  {"parent", "parent", KIND_STRUCT, OPTIONAL, &object_parent_schema},
  {NULL}
};

static const Schema object_parent_schema =
    { "object-parent", object_parent_fields };

static const FieldSpec object_fields[] = {
  {"rectangle", NULL, KIND_INLINE, REQUIRED, &gst_cv_analyze_box_schema},
  {"object", "object", KIND_STRING, REQUIRED, NULL},
  {"confidence", "confidence", KIND_DOUBLE, REQUIRED, NULL},
  {"parent", "parent", KIND_STRUCT, OPTIONAL, &object_parent_schema},
  {NULL}
};

static const Schema object_schema = { "object", object_fields };

static const FieldSpec brand_fields[] = {
  {"name", "name", KIND_STRING, REQUIRED, NULL},
  {"confidence", "confidence", KIND_DOUBLE, REQUIRED, NULL},
  {"rectangle", NULL, KIND_INLINE, REQUIRED, &gst_cv_analyze_box_schema},
  {NULL}
};

static const Schema brand_schema = { "brand", brand_fields };

static const FieldSpec metadata_fields[] = {
  {"width", "width", KIND_INT, OPTIONAL, NULL},
  {"height", "height", KIND_INT, OPTIONAL, NULL},
  {"format", "format", KIND_STRING, OPTIONAL, NULL},
  {NULL}
};

const Schema gst_cv_analyze_metadata_schema =
    { "metadata", metadata_fields };

static const FieldSpec result_fields[] = {
  {"categories", "categories", KIND_STRUCT_ARRAY, OPTIONAL, &category_schema},
  {"adult", "adult", KIND_STRUCT, OPTIONAL, &adult_schema},
  {"tags", "tag-details", KIND_STRUCT_ARRAY, OPTIONAL,
      &gst_cv_analyze_tag_schema},
  {"description", NULL, KIND_INLINE, OPTIONAL, &description_schema},
  {"faces", "faces", KIND_STRUCT_ARRAY, OPTIONAL, &face_schema},
  {"color", "color", KIND_STRUCT, OPTIONAL, &color_schema},
  {"imageType", "image-type", KIND_STRUCT, OPTIONAL, &image_type_schema},
  {"objects", "objects", KIND_STRUCT_ARRAY, OPTIONAL, &object_schema},
  {"brands", "brands", KIND_STRUCT_ARRAY, OPTIONAL, &brand_schema},
  {"requestId", "request-id", KIND_STRING, OPTIONAL, NULL},
  {"modelVersion", "model-version", KIND_STRING, OPTIONAL, NULL},
  {"metadata", "metadata", KIND_STRUCT, OPTIONAL,
      &gst_cv_analyze_metadata_schema},
  {NULL}
};

static const Schema result_schema =
    { GST_CV_ANALYZE_RESULT_NAME, result_fields };

static void
ensure_debug_category (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized)) {
    GST_DEBUG_CATEGORY_INIT (cv_analyze_parser_debug, "cvanalyzeparser", 0,
        "cvanalyze Azure response parser");
    g_once_init_leave (&initialized, 1);
  }
}

/* The summary fields most consumers want, derived from the full model. */
static void
add_caption_summary (GstStructure * result)
{
  const GValue *captions = gst_structure_get_value (result, "captions");
  const gchar *best_text = NULL;
  gdouble best_confidence = 0.0;
  guint i, n;

  if (captions == NULL)
    return;

  n = gst_value_array_get_size (captions);
  for (i = 0; i < n; i++) {
    const GstStructure *caption =
        gst_value_get_structure (gst_value_array_get_value (captions, i));
    gdouble confidence = 0.0;

    gst_structure_get_double (caption, "confidence", &confidence);
    if (best_text == NULL || confidence > best_confidence) {
      best_text = gst_structure_get_string (caption, "text");
      best_confidence = confidence;
    }
  }

  if (best_text != NULL)
    gst_structure_set (result, "caption", G_TYPE_STRING, best_text,
        "confidence", G_TYPE_DOUBLE, best_confidence, NULL);
}

/**
 * gst_cv_analyze_result_add_tags:
 * @result: a parsed result
 *
 * Adds "tags": the names of the Tags feature ("tag-details"), else the
 * Description feature's tags; as many as an application would show.
 */
void
gst_cv_analyze_result_add_tags (GstStructure * result)
{
  const GValue *details = gst_structure_get_value (result, "tag-details");
  const GValue *source = details ? details :
      gst_structure_get_value (result, "description-tags");
  GValue tags = G_VALUE_INIT;
  guint i, n;

  if (source == NULL)
    return;

  g_value_init (&tags, GST_TYPE_ARRAY);
  n = MIN (gst_value_array_get_size (source), GST_CV_ANALYZE_MAX_TAGS);
  for (i = 0; i < n; i++) {
    const GValue *item = gst_value_array_get_value (source, i);
    GValue name = G_VALUE_INIT;

    g_value_init (&name, G_TYPE_STRING);
    g_value_set_string (&name, details ?
        gst_structure_get_string (gst_value_get_structure (item), "name") :
        g_value_get_string (item));
    gst_value_array_append_and_take_value (&tags, &name);
  }
  gst_structure_take_value (result, "tags", &tags);
}

/* A string member as safe text, or NULL if it is not a string. */
static gchar *
dup_text (JsonObject * obj, const gchar * member, guint max_chars)
{
  JsonNode *node = json_object_get_member (obj, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return gst_cv_analyze_safe_text (json_node_get_string (node), -1,
      max_chars);
}

/* A code is a string, or a number in some gateway answers. */
static gchar *
dup_code (JsonObject * obj, const gchar * member)
{
  JsonNode *node = json_object_get_member (obj, member);

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  return dup_text (obj, member, GST_CV_ANALYZE_MAX_NAME_CHARS);
}

static gchar *
dup_message (JsonObject * obj, const gchar * member)
{
  return dup_text (obj, member, GST_CV_ANALYZE_MAX_MESSAGE_CHARS);
}

static JsonObject *
get_object_member (JsonObject * obj, const gchar * member)
{
  JsonNode *node = json_object_get_member (obj, member);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ?
      json_node_get_object (node) : NULL;
}

/* v3.2 puts the specific reason in innererror ("InvalidImageFormat: Input
 * data is not a valid image.") under a generic error ("InvalidRequest:
 * Image format is not valid."). The outer code stays the code, as it is the
 * documented, stable one; the inner code and message are appended to the
 * message in parentheses when they say something the outer one does not. */
static gchar *
error_message_with_inner (JsonObject * error_obj, gchar * message)
{
  JsonObject *inner = get_object_member (error_obj, "innererror");
  gchar *inner_code, *inner_message, *combined;

  if (inner == NULL)
    return message;

  inner_code = dup_code (inner, "code");
  inner_message = dup_message (inner, "message");
  if (inner_message == NULL || g_strcmp0 (inner_message, message) == 0) {
    combined = message;
  } else if (message == NULL) {
    combined = g_steal_pointer (&inner_message);
  } else if (inner_code != NULL) {
    combined = g_strdup_printf ("%s (%s: %s)", message, inner_code,
        inner_message);
    g_free (message);
  } else {
    combined = g_strdup_printf ("%s (%s)", message, inner_message);
    g_free (message);
  }
  g_free (inner_code);
  g_free (inner_message);

  /* Both parts are safe text; together they may be too long. */
  if (combined != NULL && g_utf8_strlen (combined, -1) >
      GST_CV_ANALYZE_MAX_MESSAGE_CHARS) {
    gchar *cut = gst_cv_analyze_safe_text (combined, -1,
        GST_CV_ANALYZE_MAX_MESSAGE_CHARS);

    g_free (combined);
    combined = cut;
  }
  return combined;
}

/* Recognised shapes: {"error":{"code","message","innererror"?}} (v3.2, 4.0
 * and the gateway's 401/429), flat {"code","message"} (v2.x) and API
 * Management's {"statusCode","message"}. */
static gboolean
extract_error (JsonObject * root, gchar ** code, gchar ** message)
{
  JsonObject *error_obj = get_object_member (root, "error");
  gchar *c, *m;

  if (error_obj != NULL) {
    c = dup_code (error_obj, "code");
    m = error_message_with_inner (error_obj,
        dup_message (error_obj, "message"));
  } else {
    c = dup_code (root, "code");
    if (c == NULL)
      c = dup_code (root, "statusCode");
    m = dup_message (root, "message");
    /* Flat, both are needed: a success body could have either alone. */
    if (c == NULL || m == NULL) {
      g_clear_pointer (&c, g_free);
      g_clear_pointer (&m, g_free);
    }
  }

  if (c == NULL && m == NULL)
    return FALSE;

  if (code)
    *code = c;
  else
    g_free (c);
  if (message)
    *message = m;
  else
    g_free (m);
  return TRUE;
}

/**
 * gst_cv_analyze_parse_with_schema:
 * @body: the HTTP response body of an Azure vision service
 * @length: length of @body in bytes, or -1 if it is NUL-terminated
 * @schema: what the answer's members mean
 * @error: return location for a #GError (G_IO_ERROR_INVALID_DATA)
 *
 * Reads @body as @schema describes it; an error body is refused, even
 * with status 200.
 *
 * Returns: (transfer full) (nullable): a structure named after @schema, or
 * %NULL with @error set
 */
GstStructure *
gst_cv_analyze_parse_with_schema (const gchar * body, gssize length,
    const Schema * schema, GError ** error)
{
  return gst_cv_analyze_parse_with_schema_within (body, length, schema,
      GST_CV_ANALYZE_MAX_RESULT_ITEMS, error);
}

/**
 * gst_cv_analyze_parse_with_schema_within:
 * @max_items: the most array items the result may have
 *
 * gst_cv_analyze_parse_with_schema() with a smaller budget
 * (gst_cv_analyze_json_fill_within()).
 */
GstStructure *
gst_cv_analyze_parse_with_schema_within (const gchar * body, gssize length,
    const Schema * schema, guint max_items, GError ** error)
{
  JsonParser *parser;
  JsonObject *root;
  JsonNode *error_node;
  GstStructure *result = NULL;
  GError *local_error = NULL;
  gchar *code = NULL, *message = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  ensure_debug_category ();

  parser = json_parser_new_immutable ();
  root = gst_cv_analyze_json_load (parser, body, length, &local_error);
  if (root == NULL)
    goto done;

  /* An error body that came with status 200 must not pass for an empty
   * result, even when its "error" has a shape we do not know. */
  error_node = json_object_get_member (root, "error");
  if (extract_error (root, &code, &message)
      || (error_node != NULL && !JSON_NODE_HOLDS_NULL (error_node))) {
    g_set_error (&local_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "response is an error: %s: %s", code ? code : "(no code)",
        message ? message : "(no message)");
    goto done;
  }

  result = gst_structure_new_empty (schema->name);
  if (!gst_cv_analyze_json_fill_within (result, root, schema, max_items,
          &local_error))
    g_clear_pointer (&result, gst_structure_free);

done:
  if (local_error != NULL) {
    GST_DEBUG ("refused response: %s", local_error->message);
    g_propagate_error (error, local_error);
  }
  g_free (code);
  g_free (message);
  g_object_unref (parser);
  return result;
}

/**
 * gst_cv_analyze_parse_response:
 * @body: the HTTP response body
 * @length: length of @body in bytes, or -1 if it is NUL-terminated
 * @error: return location for a #GError (G_IO_ERROR_INVALID_DATA)
 *
 * Returns: (transfer full) (nullable): a structure named
 * %GST_CV_ANALYZE_RESULT_NAME, or %NULL with @error set
 */
GstStructure *
gst_cv_analyze_parse_response (const gchar * body, gssize length,
    GError ** error)
{
  GstStructure *result =
      gst_cv_analyze_parse_with_schema (body, length, &result_schema, error);

  if (result != NULL) {
    add_caption_summary (result);
    gst_cv_analyze_result_add_tags (result);
    GST_LOG ("parsed %" GST_PTR_FORMAT, result);
  }
  return result;
}

/**
 * gst_cv_analyze_result_add_read_text:
 * @result: a result with "text-lines"
 *
 * Adds "text": all lines' text as one, joined by spaces and capped as a
 * caption is; lines past the cap are not looked at.
 */
void
gst_cv_analyze_result_add_read_text (GstStructure * result)
{
  const GValue *lines = gst_structure_get_value (result, "text-lines");
  GValue text = G_VALUE_INIT;
  GString *joined;
  glong chars = 0;
  guint i, n;

  if (lines == NULL)
    return;
  joined = g_string_new (NULL);
  n = gst_value_array_get_size (lines);
  for (i = 0; i < n && chars <= GST_CV_ANALYZE_MAX_CAPTION_CHARS; i++) {
    const gchar *line =
        gst_structure_get_string (gst_value_get_structure
        (gst_value_array_get_value (lines, i)), "text");

    if (*line == '\0')
      continue;
    if (joined->len) {
      g_string_append_c (joined, ' ');
      chars++;
    }
    g_string_append (joined, line);
    chars += g_utf8_strlen (line, -1);
  }
  g_value_init (&text, G_TYPE_STRING);
  g_value_take_string (&text, gst_cv_analyze_safe_text (joined->str,
          joined->len, GST_CV_ANALYZE_MAX_CAPTION_CHARS));
  g_string_free (joined, TRUE);
  gst_structure_take_value (result, "text", &text);
}

/* v3.2 Read (GET {Operation-Location}): the operation's status and, once
 * it succeeded, the first page's lines (one image is one page), read into
 * the same "text-lines" as Image Analysis 4.0's readResult. */
static const FieldSpec read_word_fields[] = {
  {"text", "text", KIND_STRING, REQUIRED, NULL,
      GST_CV_ANALYZE_MAX_CAPTION_CHARS},
  {"confidence", "confidence", KIND_DOUBLE, REQUIRED, NULL},
  {"boundingBox", "polygon", KIND_FLAT_POLYGON, REQUIRED, NULL},
  {NULL}
};

static const Schema read_word_schema = { "text-word", read_word_fields };

static const FieldSpec read_line_fields[] = {
  {"text", "text", KIND_STRING, REQUIRED, NULL,
      GST_CV_ANALYZE_MAX_CAPTION_CHARS},
  {"boundingBox", "polygon", KIND_FLAT_POLYGON, REQUIRED, NULL},
  {"words", "words", KIND_STRUCT_ARRAY, OPTIONAL, &read_word_schema},
  {NULL}
};

static const Schema read_line_schema = { "text-line", read_line_fields };

static const FieldSpec read_page_fields[] = {
  {"lines", "text-lines", KIND_STRUCT_ARRAY, REQUIRED, &read_line_schema},
  {NULL}
};

static const Schema read_page_schema = { NULL, read_page_fields };

static const FieldSpec read_analyze_result_fields[] = {
  {"modelVersion", "read-model-version", KIND_STRING, OPTIONAL, NULL},
  {"readResults", NULL, KIND_FIRST_INLINE, REQUIRED, &read_page_schema},
  {NULL}
};

static const Schema read_analyze_result_schema =
    { NULL, read_analyze_result_fields };

static const FieldSpec read_operation_fields[] = {
  {"status", "read-status", KIND_STRING, REQUIRED, NULL},
  {"analyzeResult", NULL, KIND_INLINE, OPTIONAL,
      &read_analyze_result_schema},
  {NULL}
};

static const Schema read_operation_schema =
    { GST_CV_ANALYZE_RESULT_NAME, read_operation_fields };

/**
 * gst_cv_analyze_parse_read_operation:
 * @body: the answer to a GET of a v3.2 Read operation
 * @length: length of @body in bytes, or -1 if it is NUL-terminated
 * @max_items: the most array items the result may have
 * @status: (out) (transfer full): the operation's status (safe text):
 *   notStarted, running, failed or succeeded
 * @error: return location for a #GError (G_IO_ERROR_INVALID_DATA)
 *
 * Returns: (transfer full) (nullable): a "cvanalyze-result" with the
 *   "text-lines", "text" and "read-model-version" of a succeeded
 *   operation, nothing of one that is not; %NULL with @error set when
 *   @body is not such an answer, or a succeeded one has no text lines
 */
GstStructure *
gst_cv_analyze_parse_read_operation (const gchar * body, gssize length,
    guint max_items, gchar ** status, GError ** error)
{
  GstStructure *result = gst_cv_analyze_parse_with_schema_within (body,
      length, &read_operation_schema, max_items, error);

  if (result == NULL)
    return NULL;
  *status = g_strdup (gst_structure_get_string (result, "read-status"));
  gst_structure_remove_field (result, "read-status");
  if (g_strcmp0 (*status, "succeeded") == 0
      && !gst_structure_has_field (result, "text-lines")) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "field 'analyzeResult' is missing from a succeeded operation");
    g_clear_pointer (status, g_free);
    gst_structure_free (result);
    return NULL;
  }
  if (gst_structure_has_field (result, "text-lines"))
    gst_cv_analyze_result_add_read_text (result);
  return result;
}

/**
 * gst_cv_analyze_parse_error:
 * @body: the HTTP response body
 * @length: length of @body in bytes, or -1 if it is NUL-terminated
 * @code: (out) (optional) (nullable): the error code ("InvalidImageUrl",
 *   "401"...), %NULL if the body has none
 * @message: (out) (optional) (nullable): the error message, %NULL if the
 *   body has none
 *
 * Recognises the error bodies of the Azure vision services. The code and
 * message are safe text (gst_cv_analyze_safe_text()), at most
 * %GST_CV_ANALYZE_MAX_NAME_CHARS and %GST_CV_ANALYZE_MAX_MESSAGE_CHARS
 * characters. Nothing is written to @code and @message when it returns
 * %FALSE.
 *
 * Returns: %TRUE if @body is an Azure error body
 */
gboolean
gst_cv_analyze_parse_error (const gchar * body, gssize length,
    gchar ** code, gchar ** message)
{
  JsonParser *parser;
  JsonObject *root;
  gboolean found = FALSE;
  GError *err = NULL;

  ensure_debug_category ();

  parser = json_parser_new_immutable ();
  root = gst_cv_analyze_json_load (parser, body, length, &err);
  if (root != NULL)
    found = extract_error (root, code, message);
  else
    GST_DEBUG ("not an error body: %s", err->message);
  g_clear_error (&err);
  g_object_unref (parser);
  return found;
}

/**
 * gst_cv_analyze_azure_error_reply:
 * @status: the HTTP status, not 2xx
 * @body: the answer's body
 * @length: its length in bytes
 * @reply: filled as a failure with Azure's code and message
 *
 * What Azure's vision services' error answers mean. A 404 is the
 * gateway's answer to a path it does not know: the endpoint is not the
 * resource's, which no retry fixes.
 */
void
gst_cv_analyze_azure_error_reply (guint status, const gchar * body,
    gsize length, GstCvAnalyzeReply * reply)
{
  reply->kind = GST_CV_ANALYZE_REPLY_FAILED;
  gst_cv_analyze_parse_error (body, (gssize) length, &reply->code,
      &reply->message);
  if (reply->message == NULL)
    reply->message = g_strdup_printf ("HTTP status %u, without an error "
        "message", status);
  if (status == 404)
    reply->advice = g_strdup ("check the endpoint: it is the resource's "
        "base URL, https://<resource>.cognitiveservices.azure.com/");
}
