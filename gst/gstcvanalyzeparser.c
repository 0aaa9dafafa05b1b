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
 * The model: every JSON object becomes a GstStructure, every JSON array a
 * GstValueArray, and member names become lower-case dashed field names
 * ("requestId" -> "request-id").  Rectangles are flattened into the owning
 * structure as int fields x, y, width and height, whatever Azure called them
 * (faceRectangle left/top/width/height, rectangle x/y/w/h).  On top of the
 * one-to-one mapping the result gets "caption"/"confidence" (the most
 * confident caption) and "tags" (tag names, falling back to description.tags)
 * so that simple consumers need not walk arrays.
 *
 * The mapping is written as tables (Schema/FieldSpec below) walked by one
 * converter, so adding a member is one line and every member is type-checked
 * the same way.  Rules:
 *  - a feature that was not asked for is simply absent; an optional member
 *    set to JSON null counts as absent, since some services write null for
 *    "not computed";
 *  - members an item cannot be understood without (a caption's text, a tag's
 *    name, a rectangle's sides...) are required: an item lacking one, or
 *    with null there, fails the parse; so does a null array element;
 *  - integers that do not fit (32 bits for int fields, 18 digits anywhere,
 *    as json-glib would wrap them) and non-finite numbers fail the parse;
 *  - nesting deeper than MAX_NESTING_DEPTH, comments and single-quoted
 *    strings are refused before json-glib sees the text (see check_text());
 *  - a member that is present with the wrong type fails the whole parse:
 *    a half-filled result would look valid to the element;
 *  - unknown members are ignored, so newer API versions still parse.
 * Error messages name the offending member by its JSON path, e.g.
 * "field 'description.captions[0].text' has the wrong type: expected string,
 * got number".
 *
 * Free text (captions, tags, names) is stored as plain strings, never as
 * GQuarks: quarks are never freed and the text is unbounded.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcvanalyzeparser.h"

#include <string.h>
#include <math.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

GST_DEBUG_CATEGORY_STATIC (cv_analyze_parser_debug);
#define GST_CAT_DEFAULT cv_analyze_parser_debug

/* json-glib 1.6 parses recursively without a limit and overflows the stack
 * on a few hundred thousand nested brackets; real answers nest about ten
 * levels (objects[].parent.parent... adds one per level). */
#define MAX_NESTING_DEPTH 64

typedef enum
{
  KIND_STRING,
  KIND_DOUBLE,
  KIND_INT,
  KIND_BOOLEAN,
  KIND_STRUCT,                  /* object -> nested GstStructure */
  KIND_STRING_ARRAY,            /* array of strings -> GstValueArray */
  KIND_STRUCT_ARRAY,            /* array of objects -> GstValueArray */
  KIND_INLINE                   /* object whose members land in the owner */
} FieldKind;

typedef struct _Schema Schema;

typedef struct
{
  const gchar *member;          /* JSON member name */
  const gchar *field;           /* structure field; unused for KIND_INLINE */
  FieldKind kind;
  gboolean required;
  const Schema *schema;         /* for the object kinds */
} FieldSpec;

struct _Schema
{
  const gchar *name;            /* structure name; unused for KIND_INLINE */
  const FieldSpec *fields;      /* ends with a NULL member */
};

#define REQUIRED TRUE
#define OPTIONAL FALSE

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

static const Schema bounding_box_schema = { NULL, bounding_box_fields };

static const FieldSpec caption_fields[] = {
  {"text", "text", KIND_STRING, REQUIRED, NULL},
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

static const Schema tag_schema = { "tag", tag_fields };

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
  {"rectangle", NULL, KIND_INLINE, REQUIRED, &bounding_box_schema},
  {"object", "object", KIND_STRING, REQUIRED, NULL},
  {"confidence", "confidence", KIND_DOUBLE, REQUIRED, NULL},
  {"parent", "parent", KIND_STRUCT, OPTIONAL, &object_parent_schema},
  {NULL}
};

static const Schema object_schema = { "object", object_fields };

static const FieldSpec brand_fields[] = {
  {"name", "name", KIND_STRING, REQUIRED, NULL},
  {"confidence", "confidence", KIND_DOUBLE, REQUIRED, NULL},
  {"rectangle", NULL, KIND_INLINE, REQUIRED, &bounding_box_schema},
  {NULL}
};

static const Schema brand_schema = { "brand", brand_fields };

static const FieldSpec metadata_fields[] = {
  {"width", "width", KIND_INT, OPTIONAL, NULL},
  {"height", "height", KIND_INT, OPTIONAL, NULL},
  {"format", "format", KIND_STRING, OPTIONAL, NULL},
  {NULL}
};

static const Schema metadata_schema = { "metadata", metadata_fields };

static const FieldSpec result_fields[] = {
  {"categories", "categories", KIND_STRUCT_ARRAY, OPTIONAL, &category_schema},
  {"adult", "adult", KIND_STRUCT, OPTIONAL, &adult_schema},
  {"tags", "tag-details", KIND_STRUCT_ARRAY, OPTIONAL, &tag_schema},
  {"description", NULL, KIND_INLINE, OPTIONAL, &description_schema},
  {"faces", "faces", KIND_STRUCT_ARRAY, OPTIONAL, &face_schema},
  {"color", "color", KIND_STRUCT, OPTIONAL, &color_schema},
  {"imageType", "image-type", KIND_STRUCT, OPTIONAL, &image_type_schema},
  {"objects", "objects", KIND_STRUCT_ARRAY, OPTIONAL, &object_schema},
  {"brands", "brands", KIND_STRUCT_ARRAY, OPTIONAL, &brand_schema},
  {"requestId", "request-id", KIND_STRING, OPTIONAL, NULL},
  {"modelVersion", "model-version", KIND_STRING, OPTIONAL, NULL},
  {"metadata", "metadata", KIND_STRUCT, OPTIONAL, &metadata_schema},
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

/* The words users know from the JSON text, not GType names. */
static const gchar *
json_type_name (JsonNode * node)
{
  switch (JSON_NODE_TYPE (node)) {
    case JSON_NODE_OBJECT:
      return "object";
    case JSON_NODE_ARRAY:
      return "array";
    case JSON_NODE_NULL:
      return "null";
    case JSON_NODE_VALUE:
      break;
  }

  switch (json_node_get_value_type (node)) {
    case G_TYPE_STRING:
      return "string";
    case G_TYPE_BOOLEAN:
      return "boolean";
    default:
      return "number";
  }
}

static const gchar *
kind_name (FieldKind kind)
{
  switch (kind) {
    case KIND_STRING:
      return "string";
    case KIND_DOUBLE:
      return "number";
    case KIND_INT:
      return "integer";
    case KIND_BOOLEAN:
      return "boolean";
    case KIND_STRING_ARRAY:
    case KIND_STRUCT_ARRAY:
      return "array";
    case KIND_STRUCT:
    case KIND_INLINE:
      break;
  }
  return "object";
}

static gboolean
set_wrong_type (JsonNode * node, const gchar * path, const gchar * expected,
    GError ** error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "field '%s' has the wrong type: expected %s, got %s", path, expected,
      json_type_name (node));
  return FALSE;
}

static gboolean
node_is_number (JsonNode * node)
{
  GType type;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  return type == G_TYPE_INT64 || type == G_TYPE_DOUBLE;
}

/* Integers are welcome where doubles are expected, and integral doubles
 * (250.0) where integers are; anything that would be rounded or clamped
 * is refused rather than silently changed. */
static gboolean
convert_number (JsonNode * node, const gchar * path, FieldKind kind,
    GValue * out, GError ** error)
{
  gdouble d;

  if (!node_is_number (node))
    return set_wrong_type (node, path, kind_name (kind), error);

  if (json_node_get_value_type (node) == G_TYPE_INT64) {
    gint64 i = json_node_get_int (node);

    /* json-glib clamps integers beyond 64 bits to G_MININT64/G_MAXINT64,
     * which the range check below refuses as well. */
    if (kind == KIND_DOUBLE) {
      g_value_init (out, G_TYPE_DOUBLE);
      g_value_set_double (out, (gdouble) i);
      return TRUE;
    }
    if (i >= G_MININT && i <= G_MAXINT) {
      g_value_init (out, G_TYPE_INT);
      g_value_set_int (out, (gint) i);
      return TRUE;
    }
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "field '%s' is out of range: %" G_GINT64_FORMAT
        " does not fit a 32-bit integer", path, i);
    return FALSE;
  }

  d = json_node_get_double (node);
  if (!isfinite (d)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "field '%s' is out of range: %g is not a finite number", path, d);
    return FALSE;
  }
  if (kind == KIND_DOUBLE) {
    g_value_init (out, G_TYPE_DOUBLE);
    g_value_set_double (out, d);
    return TRUE;
  }
  if (d >= G_MININT && d <= G_MAXINT && d == (gdouble) (gint) d) {
    g_value_init (out, G_TYPE_INT);
    g_value_set_int (out, (gint) d);
    return TRUE;
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "field '%s' has the wrong type: expected integer, got %g", path, d);
  return FALSE;
}

static gboolean
convert_scalar (JsonNode * node, const gchar * path, FieldKind kind,
    GValue * out, GError ** error)
{
  GType expected = kind == KIND_STRING ? G_TYPE_STRING : G_TYPE_BOOLEAN;

  if (kind == KIND_DOUBLE || kind == KIND_INT)
    return convert_number (node, path, kind, out, error);

  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != expected)
    return set_wrong_type (node, path, kind_name (kind), error);

  g_value_init (out, expected);
  if (kind == KIND_STRING)
    g_value_set_string (out, json_node_get_string (node));
  else
    g_value_set_boolean (out, json_node_get_boolean (node));
  return TRUE;
}

static gchar *
member_path (const gchar * parent, const gchar * member)
{
  if (parent == NULL || *parent == '\0')
    return g_strdup (member);
  return g_strconcat (parent, ".", member, NULL);
}

static gboolean fill_structure (GstStructure * s, JsonObject * obj,
    const gchar * path, const Schema * schema, GError ** error);
static gboolean convert_node (JsonNode * node, const gchar * path,
    FieldKind kind, const Schema * schema, GValue * out, GError ** error);

static gboolean
convert_object (JsonNode * node, const gchar * path, const Schema * schema,
    GValue * out, GError ** error)
{
  GstStructure *s;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return set_wrong_type (node, path, "object", error);

  s = gst_structure_new_empty (schema->name);
  if (!fill_structure (s, json_node_get_object (node), path, schema, error)) {
    gst_structure_free (s);
    return FALSE;
  }
  g_value_init (out, GST_TYPE_STRUCTURE);
  g_value_take_boxed (out, s);
  return TRUE;
}

/* Elements are never optional: a null inside an array is a wrong type. */
static gboolean
convert_array (JsonNode * node, const gchar * path, FieldKind element_kind,
    const Schema * schema, GValue * out, GError ** error)
{
  JsonArray *array;
  guint i, n;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return set_wrong_type (node, path, "array", error);

  array = json_node_get_array (node);
  n = json_array_get_length (array);
  g_value_init (out, GST_TYPE_ARRAY);
  for (i = 0; i < n; i++) {
    GValue element = G_VALUE_INIT;
    gchar *element_path = g_strdup_printf ("%s[%u]", path, i);
    gboolean ok = convert_node (json_array_get_element (array, i),
        element_path, element_kind, schema, &element, error);

    g_free (element_path);
    if (!ok) {
      g_value_unset (out);
      return FALSE;
    }
    gst_value_array_append_and_take_value (out, &element);
  }
  return TRUE;
}

static gboolean
convert_node (JsonNode * node, const gchar * path, FieldKind kind,
    const Schema * schema, GValue * out, GError ** error)
{
  switch (kind) {
    case KIND_STRUCT:
      return convert_object (node, path, schema, out, error);
    case KIND_STRING_ARRAY:
      return convert_array (node, path, KIND_STRING, NULL, out, error);
    case KIND_STRUCT_ARRAY:
      return convert_array (node, path, KIND_STRUCT, schema, out, error);
    case KIND_INLINE:
      g_assert_not_reached ();
      return FALSE;
    default:
      return convert_scalar (node, path, kind, out, error);
  }
}

static gboolean
fill_member (GstStructure * s, JsonNode * node, const gchar * path,
    const FieldSpec * spec, GError ** error)
{
  GValue value = G_VALUE_INIT;

  if (spec->kind == KIND_INLINE) {
    if (!JSON_NODE_HOLDS_OBJECT (node))
      return set_wrong_type (node, path, "object", error);
    return fill_structure (s, json_node_get_object (node), path,
        spec->schema, error);
  }

  if (!convert_node (node, path, spec->kind, spec->schema, &value, error))
    return FALSE;
  gst_structure_take_value (s, spec->field, &value);
  return TRUE;
}

static gboolean
fill_structure (GstStructure * s, JsonObject * obj, const gchar * path,
    const Schema * schema, GError ** error)
{
  const FieldSpec *spec;

  for (spec = schema->fields; spec->member != NULL; spec++) {
    JsonNode *node = json_object_get_member (obj, spec->member);
    gchar *child_path;
    gboolean ok = TRUE;

    if ((node == NULL || JSON_NODE_HOLDS_NULL (node)) && !spec->required)
      continue;

    child_path = member_path (path, spec->member);
    if (node == NULL) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "field '%s' is missing", child_path);
      ok = FALSE;
    } else {
      ok = fill_member (s, node, child_path, spec, error);
    }
    g_free (child_path);
    if (!ok)
      return FALSE;
  }
  return TRUE;
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

static void
add_tags_summary (GstStructure * result)
{
  const GValue *details = gst_structure_get_value (result, "tag-details");
  const GValue *description_tags;
  GValue tags = G_VALUE_INIT;
  guint i, n;

  if (details == NULL) {
    description_tags = gst_structure_get_value (result, "description-tags");
    if (description_tags != NULL)
      gst_structure_set_value (result, "tags", description_tags);
    return;
  }

  g_value_init (&tags, GST_TYPE_ARRAY);
  n = gst_value_array_get_size (details);
  for (i = 0; i < n; i++) {
    const GstStructure *tag =
        gst_value_get_structure (gst_value_array_get_value (details, i));
    GValue name = G_VALUE_INIT;

    g_value_init (&name, G_TYPE_STRING);
    g_value_set_string (&name, gst_structure_get_string (tag, "name"));
    gst_value_array_append_and_take_value (&tags, &name);
  }
  gst_structure_take_value (result, "tags", &tags);
}

/* json-glib 1.6 silently wraps integers that do not fit 64 bits
 * (100000000000000000000 reads as -1), so such values would pass for small
 * ones. Integer literals of more than 18 digits are refused instead; no
 * Azure answer has any. Returns the length of the number token at @text. */
static gsize
scan_number (const gchar * text, gsize length, GError ** error, gsize offset)
{
  gboolean integral = TRUE;
  guint digits = 0;
  gsize i;

  for (i = 0; i < length; i++) {
    gchar c = text[i];

    if (g_ascii_isdigit (c))
      digits++;
    else if (c == '.' || c == 'e' || c == 'E')
      integral = FALSE;
    else if (c != '-' && c != '+')
      break;
  }

  if (integral && digits > 18) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "response has an integer too large to read exactly at offset %"
        G_GSIZE_FORMAT, offset);
    return 0;
  }
  return i;
}

/* Refuses what json-glib would mis-read or crash on, before it parses.
 * Deep nesting: json-glib 1.6 recurses without a limit and overflows the
 * stack. json-glib also accepts comments and single-quoted strings, inside
 * which brackets would be counted differently; strict JSON has neither, so
 * their opening characters outside a string are refused, which keeps this
 * count equal to json-glib's nesting. */
static gboolean
check_text (const gchar * text, gsize length, GError ** error)
{
  gboolean in_string = FALSE;
  guint depth = 0;
  gsize i, n;

  for (i = 0; i < length; i++) {
    gchar c = text[i];

    if (in_string) {
      if (c == '\\')
        i++;
      else if (c == '"')
        in_string = FALSE;
      continue;
    }

    switch (c) {
      case '"':
        in_string = TRUE;
        break;
      case '[':
      case '{':
        if (++depth > MAX_NESTING_DEPTH) {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
              "response nests deeper than %d levels", MAX_NESTING_DEPTH);
          return FALSE;
        }
        break;
      case ']':
      case '}':
        if (depth > 0)
          depth--;
        break;
      case '/':
      case '#':
      case '\'':
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
            "response is not valid JSON: unexpected character '%c' at "
            "offset %" G_GSIZE_FORMAT, c, i);
        return FALSE;
      case '-':
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
      case '8':
      case '9':
        n = scan_number (text + i, length - i, error, i);
        if (n == 0)
          return FALSE;
        i += n - 1;
        break;
      default:
        break;
    }
  }
  return TRUE;
}

/* Returns the root object, or NULL with @error set; the parser owns it. */
static JsonObject *
load_object (JsonParser * parser, const gchar * body, gssize length,
    GError ** error)
{
  GError *json_error = NULL;
  JsonNode *root;
  gsize size;

  if (body == NULL)
    length = 0;
  size = length < 0 ? strlen (body) : (gsize) length;

  if (!check_text (body, size, error))
    return NULL;

  if (!json_parser_load_from_data (parser, size ? body : "", (gssize) size,
          &json_error)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "response is not valid JSON: %s", json_error->message);
    g_error_free (json_error);
    return NULL;
  }

  root = json_parser_get_root (parser);
  if (root == NULL) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "response is empty");
    return NULL;
  }
  if (!JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "response is not a JSON object: got %s", json_type_name (root));
    return NULL;
  }
  return json_node_get_object (root);
}

/* A code is a string, or a number in some gateway answers. */
static gchar *
dup_code (JsonObject * obj, const gchar * member)
{
  JsonNode *node = json_object_get_member (obj, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  return NULL;
}

static gchar *
dup_string (JsonObject * obj, const gchar * member)
{
  JsonNode *node = json_object_get_member (obj, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (node));
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
  inner_message = dup_string (inner, "message");
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
    m = error_message_with_inner (error_obj, dup_string (error_obj, "message"));
  } else {
    c = dup_code (root, "code");
    if (c == NULL)
      c = dup_code (root, "statusCode");
    m = dup_string (root, "message");
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
  JsonParser *parser;
  JsonObject *root;
  JsonNode *error_node;
  GstStructure *result = NULL;
  GError *local_error = NULL;
  gchar *code = NULL, *message = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  ensure_debug_category ();

  parser = json_parser_new_immutable ();
  root = load_object (parser, body, length, &local_error);
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

  result = gst_structure_new_empty (result_schema.name);
  if (!fill_structure (result, root, "", &result_schema, &local_error)) {
    g_clear_pointer (&result, gst_structure_free);
    goto done;
  }
  add_caption_summary (result);
  add_tags_summary (result);
  GST_LOG ("parsed %" GST_PTR_FORMAT, result);

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
 * gst_cv_analyze_parse_error:
 * @body: the HTTP response body
 * @length: length of @body in bytes, or -1 if it is NUL-terminated
 * @code: (out) (optional) (nullable): the error code ("InvalidImageUrl",
 *   "401"...), %NULL if the body has none
 * @message: (out) (optional) (nullable): the error message, %NULL if the
 *   body has none
 *
 * Recognises the error bodies of the Azure vision services. Nothing is
 * written to @code and @message when it returns %FALSE.
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
  root = load_object (parser, body, length, &err);
  if (root != NULL)
    found = extract_error (root, code, message);
  else
    GST_DEBUG ("not an error body: %s", err->message);
  g_clear_error (&err);
  g_object_unref (parser);
  return found;
}
