/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * Reads a service's JSON answer into a GstStructure, as its Schema tables
 * describe it (gstcvanalyzejson.h); every service's parser shares this
 * walker, so every one checks types, and makes text safe, the same way.
 *
 * The model: every JSON object becomes a GstStructure, every JSON array a
 * GstValueArray, but for the shapes the INLINE kinds and KIND_POLYGON
 * flatten into their owner (gstcvanalyzejson.h).  Rules:
 *  - a member that was not sent is simply absent; an optional member set
 *    to JSON null counts as absent, since some services write null for
 *    "not computed";
 *  - members an item cannot be understood without are required: an item
 *    lacking one, or with null there, fails the parse; so does a null
 *    array element;
 *  - integers that do not fit (32 bits for int fields, 18 digits anywhere,
 *    as json-glib would wrap them) and non-finite numbers fail the parse;
 *  - a member that is present with the wrong type fails the whole parse:
 *    a half-filled result would look valid to the element;
 *  - unknown members are ignored, so newer API versions still parse.
 * Error messages name the offending member by its JSON path, e.g.
 * "field 'description.captions[0].text' has the wrong type: expected string,
 * got number".
 *
 * The service is not trusted, so the result is bounded whatever it sent:
 *  - every string goes through gst_cv_analyze_safe_text(): valid UTF-8
 *    (a lone surrogate escape becomes U+FFFD), no control characters,
 *    at most FieldSpec.max_chars characters;
 *  - an array keeps its first GST_CV_ANALYZE_MAX_ARRAY_ITEMS items and the
 *    whole result its first GST_CV_ANALYZE_MAX_RESULT_ITEMS array items
 *    (arrays nest: categories[].celebrities[]), though an array that is
 *    not inside another keeps at least GST_CV_ANALYZE_MIN_ARRAY_ITEMS; the
 *    rest is ignored, not checked and not an error;
 *  - before json-glib sees the text, gst_cv_analyze_json_load() refuses
 *    nesting deeper than MAX_NESTING_DEPTH, comments, single-quoted
 *    strings, invalid escapes and control characters that are not escaped
 *    in strings; it turns a lone surrogate escape into U+FFFD and keeps a
 *    "\u0000" escape from cutting its string short.
 * json-glib itself still parses the whole body: its size is bounded where
 * it is received (the client's size limit).
 *
 * Free text is stored as plain strings, never as GQuarks: quarks are never
 * freed.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcvanalyzejson.h"
#include "gstcvanalyzesafetext.h"

#include <string.h>
#include <math.h>
#include <gio/gio.h>

GST_DEBUG_CATEGORY_STATIC (cv_analyze_json_debug);
#define GST_CAT_DEFAULT cv_analyze_json_debug

/* json-glib 1.6 parses recursively without a limit and overflows the stack
 * on a few hundred thousand nested brackets; real answers nest about ten
 * levels (objects[].parent.parent... adds one per level). */
#define MAX_NESTING_DEPTH 64

/* What one gst_cv_analyze_json_fill() may still add. */
typedef struct
{
  guint items_left;
} Budget;

static void
ensure_debug_category (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized)) {
    GST_DEBUG_CATEGORY_INIT (cv_analyze_json_debug, "cvanalyzejson", 0,
        "cvanalyze JSON answer reader");
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
    case KIND_FIRST_INLINE:
    case KIND_POLYGON:
    case KIND_FLAT_POLYGON:
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
    const FieldSpec * spec, GValue * out, GError ** error)
{
  GType expected = kind == KIND_STRING ? G_TYPE_STRING : G_TYPE_BOOLEAN;

  if (kind == KIND_DOUBLE || kind == KIND_INT)
    return convert_number (node, path, kind, out, error);

  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != expected)
    return set_wrong_type (node, path, kind_name (kind), error);

  g_value_init (out, expected);
  if (kind == KIND_STRING)
    g_value_take_string (out,
        gst_cv_analyze_safe_text (json_node_get_string (node), -1,
            spec->max_chars ? spec->max_chars :
            GST_CV_ANALYZE_MAX_NAME_CHARS));
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
    const gchar * path, const Schema * schema, Budget * budget,
    GError ** error);
static gboolean convert_node (JsonNode * node, const gchar * path,
    FieldKind kind, const FieldSpec * spec, Budget * budget, GValue * out,
    GError ** error);

static gboolean
convert_object (JsonNode * node, const gchar * path, const Schema * schema,
    Budget * budget, GValue * out, GError ** error)
{
  GstStructure *s;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return set_wrong_type (node, path, "object", error);

  s = gst_structure_new_empty (schema->name);
  if (!fill_structure (s, json_node_get_object (node), path, schema, budget,
          error)) {
    gst_structure_free (s);
    return FALSE;
  }
  g_value_init (out, GST_TYPE_STRUCTURE);
  g_value_take_boxed (out, s);
  return TRUE;
}

/* How many of an array's @n items are read: the first ones, as many as
 * the caps allow when each becomes @size items of the result. */
static guint
keep_items (const gchar * path, guint n, guint size, Budget * budget)
{
  guint kept = MIN (n, GST_CV_ANALYZE_MAX_ARRAY_ITEMS / size);

  /* An array outside any other array (tags, description.captions) keeps
   * its first items even when earlier arrays spent the budget, so a long
   * tag list cannot starve the caption; there are few such arrays in a
   * schema, while nested ones multiply, so only those are held to it. */
  if (strchr (path, '[') != NULL)
    kept = MIN (kept, budget->items_left / size);
  else
    kept = MIN (kept, MAX (budget->items_left,
            GST_CV_ANALYZE_MIN_ARRAY_ITEMS) / size);
  budget->items_left -= MIN (kept * size, budget->items_left);
  if (kept < n)
    GST_DEBUG ("'%s': keeping %u of %u items", path, kept, n);
  return kept;
}

/* Elements are never optional: a null inside an array is a wrong type.
 * Only the first items are converted, so the result stays small whatever
 * the service sent. */
static gboolean
convert_array (JsonNode * node, const gchar * path, FieldKind element_kind,
    const FieldSpec * spec, Budget * budget, GValue * out, GError ** error)
{
  JsonArray *array;
  guint i, n, kept;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return set_wrong_type (node, path, "array", error);

  array = json_node_get_array (node);
  n = json_array_get_length (array);
  kept = keep_items (path, n, 1, budget);

  g_value_init (out, GST_TYPE_ARRAY);
  for (i = 0; i < kept; i++) {
    GValue element = G_VALUE_INIT;
    gchar *element_path = g_strdup_printf ("%s[%u]", path, i);
    gboolean ok = convert_node (json_array_get_element (array, i),
        element_path, element_kind, spec, budget, &element, error);

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
    const FieldSpec * spec, Budget * budget, GValue * out, GError ** error)
{
  switch (kind) {
    case KIND_STRUCT:
      return convert_object (node, path, spec->schema, budget, out, error);
    case KIND_STRING_ARRAY:
      return convert_array (node, path, KIND_STRING, spec, budget, out, error);
    case KIND_STRUCT_ARRAY:
      return convert_array (node, path, KIND_STRUCT, spec, budget, out, error);
    case KIND_INLINE:
    case KIND_FIRST_INLINE:
    case KIND_POLYGON:
    case KIND_FLAT_POLYGON:
      g_assert_not_reached ();  /* fill_member()'s: they write the owner */
      return FALSE;
    default:
      return convert_scalar (node, path, kind, spec, out, error);
  }
}

static gboolean
fill_inline (GstStructure * s, JsonNode * node, const gchar * path,
    const Schema * schema, Budget * budget, GError ** error)
{
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return set_wrong_type (node, path, "object", error);
  return fill_structure (s, json_node_get_object (node), path, schema, budget,
      error);
}

/* Image Analysis 4.0 wraps one object in an array (objects[].tags): the
 * rest, if any, is left to other FieldSpecs of the same member. */
static gboolean
fill_first_inline (GstStructure * s, JsonNode * node, const gchar * path,
    const Schema * schema, Budget * budget, GError ** error)
{
  gchar *first_path;
  gboolean ok;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return set_wrong_type (node, path, "array", error);
  if (json_array_get_length (json_node_get_array (node)) == 0)
    return TRUE;

  first_path = g_strdup_printf ("%s[0]", path);
  ok = fill_inline (s, json_array_get_element (json_node_get_array (node), 0),
      first_path, schema, budget, error);
  g_free (first_path);
  return ok;
}

static const FieldSpec point_fields[] = {
  {"x", "x", KIND_INT, REQUIRED, NULL},
  {"y", "y", KIND_INT, REQUIRED, NULL},
  {NULL}
};

static const Schema point_schema = { "point", point_fields };

/* The smallest rectangle around the points read so far. */
typedef struct
{
  gint min[2], max[2];
} Bounds;

static void
bounds_add (Bounds * b, guint count, const gint xy[2])
{
  guint c;

  for (c = 0; c < 2; c++) {
    b->min[c] = count == 0 ? xy[c] : MIN (b->min[c], xy[c]);
    b->max[c] = count == 0 ? xy[c] : MAX (b->max[c], xy[c]);
  }
}

static gboolean
set_bounds (GstStructure * s, const Bounds * b, const gchar * path,
    GError ** error)
{
  gint64 width = (gint64) b->max[0] - b->min[0];
  gint64 height = (gint64) b->max[1] - b->min[1];

  if (width > G_MAXINT || height > G_MAXINT) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "field '%s' is out of range: its points are more than %d pixels "
        "apart", path, G_MAXINT);
    return FALSE;
  }
  gst_structure_set (s, "x", G_TYPE_INT, b->min[0], "y", G_TYPE_INT,
      b->min[1], "width", G_TYPE_INT, (gint) width, "height", G_TYPE_INT,
      (gint) height, NULL);
  return TRUE;
}

/* Point @i of a polygon: two more ints in @points, and into @bounds. */
static void
append_point (GValue * points, Bounds * bounds, guint i, const gint xy[2])
{
  guint c;

  bounds_add (bounds, i, xy);
  for (c = 0; c < 2; c++) {
    GValue v = G_VALUE_INIT;

    g_value_init (&v, G_TYPE_INT);
    g_value_set_int (&v, xy[c]);
    gst_value_array_append_and_take_value (points, &v);
  }
}

/* A polygon of {x, y} points becomes one int array, x0, y0, x1, y1...,
 * (a structure per point would cost more than the text it locates), and
 * its bounding rectangle lands in the owner so that everything located has
 * x, y, width and height. */
static gboolean
fill_polygon (GstStructure * s, JsonNode * node, const gchar * path,
    const FieldSpec * spec, Budget * budget, GError ** error)
{
  GValue points = G_VALUE_INIT;
  Bounds bounds = { {0, 0}, {0, 0} };
  JsonArray *array;
  guint i, kept;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return set_wrong_type (node, path, "array", error);
  array = json_node_get_array (node);
  kept = keep_items (path, json_array_get_length (array), 2, budget);

  g_value_init (&points, GST_TYPE_ARRAY);
  for (i = 0; i < kept; i++) {
    GValue point = G_VALUE_INIT;
    gchar *point_path = g_strdup_printf ("%s[%u]", path, i);
    gboolean ok = convert_object (json_array_get_element (array, i),
        point_path, &point_schema, budget, &point, error);
    gint xy[2];

    g_free (point_path);
    if (!ok) {
      g_value_unset (&points);
      return FALSE;
    }
    gst_structure_get (gst_value_get_structure (&point), "x", G_TYPE_INT,
        &xy[0], "y", G_TYPE_INT, &xy[1], NULL);
    g_value_unset (&point);
    append_point (&points, &bounds, i, xy);
  }

  gst_structure_take_value (s, spec->field, &points);
  return kept == 0 || set_bounds (s, &bounds, path, error);
}

/* One coordinate of a flat polygon: a number, rounded (Read writes
 * pixels as integers, but its schema says number), that fits an int. */
static gboolean
convert_coordinate (JsonNode * node, const gchar * path, gint * out,
    GError ** error)
{
  GValue v = G_VALUE_INIT;
  gdouble d;

  if (!convert_number (node, path, KIND_DOUBLE, &v, error))
    return FALSE;
  d = g_value_get_double (&v);
  if (d < G_MININT || d > G_MAXINT) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "field '%s' is out of range: %g does not fit a 32-bit integer",
        path, d);
    return FALSE;
  }
  /* Rounded half away from zero, without libm (the fuzzers link none). */
  *out = (gint) CLAMP ((gint64) (d + (d < 0 ? -0.5 : 0.5)), G_MININT,
      G_MAXINT);
  return TRUE;
}

/* v3.2 Read's boundingBox, [x0, y0, x1, y1, ...]: the same int array and
 * rectangle as fill_polygon()'s, within the same budget (a point costs
 * two items either way). */
static gboolean
fill_flat_polygon (GstStructure * s, JsonNode * node, const gchar * path,
    const FieldSpec * spec, Budget * budget, GError ** error)
{
  GValue points = G_VALUE_INIT;
  Bounds bounds = { {0, 0}, {0, 0} };
  JsonArray *array;
  guint i, c, n, kept;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return set_wrong_type (node, path, "array", error);
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n % 2 != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "field '%s' has an odd number of coordinates (%u)", path, n);
    return FALSE;
  }
  kept = keep_items (path, n / 2, 2, budget);

  g_value_init (&points, GST_TYPE_ARRAY);
  for (i = 0; i < kept; i++) {
    gint xy[2];

    for (c = 0; c < 2; c++) {
      gchar *point_path = g_strdup_printf ("%s[%u]", path, 2 * i + c);
      gboolean ok = convert_coordinate (json_array_get_element (array,
              2 * i + c), point_path, &xy[c], error);

      g_free (point_path);
      if (!ok) {
        g_value_unset (&points);
        return FALSE;
      }
    }
    append_point (&points, &bounds, i, xy);
  }

  gst_structure_take_value (s, spec->field, &points);
  return kept == 0 || set_bounds (s, &bounds, path, error);
}

static gboolean
fill_member (GstStructure * s, JsonNode * node, const gchar * path,
    const FieldSpec * spec, Budget * budget, GError ** error)
{
  GValue value = G_VALUE_INIT;

  switch (spec->kind) {
    case KIND_INLINE:
      return fill_inline (s, node, path, spec->schema, budget, error);
    case KIND_FIRST_INLINE:
      return fill_first_inline (s, node, path, spec->schema, budget, error);
    case KIND_POLYGON:
      return fill_polygon (s, node, path, spec, budget, error);
    case KIND_FLAT_POLYGON:
      return fill_flat_polygon (s, node, path, spec, budget, error);
    default:
      break;
  }

  if (!convert_node (node, path, spec->kind, spec, budget, &value, error))
    return FALSE;
  gst_structure_take_value (s, spec->field, &value);
  return TRUE;
}

static gboolean
fill_structure (GstStructure * s, JsonObject * obj, const gchar * path,
    const Schema * schema, Budget * budget, GError ** error)
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
      ok = fill_member (s, node, child_path, spec, budget, error);
    }
    g_free (child_path);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

/**
 * gst_cv_analyze_json_fill:
 * @s: the structure to add fields to
 * @obj: a JSON object, from gst_cv_analyze_json_load()
 * @schema: what @obj's members mean
 * @error: return location for a #GError (G_IO_ERROR_INVALID_DATA)
 *
 * Adds to @s the members of @obj that @schema describes, with the rules
 * and bounds described at the top of this file.
 *
 * Returns: %TRUE, or %FALSE with @error set (@s is then half-filled)
 */
gboolean
gst_cv_analyze_json_fill (GstStructure * s, JsonObject * obj,
    const Schema * schema, GError ** error)
{
  return gst_cv_analyze_json_fill_within (s, obj, schema,
      GST_CV_ANALYZE_MAX_RESULT_ITEMS, error);
}

/**
 * gst_cv_analyze_json_fill_within:
 * @max_items: the most array items the result may have (what is left of
 *   GST_CV_ANALYZE_MAX_RESULT_ITEMS when it joins an earlier result)
 *
 * gst_cv_analyze_json_fill() with a smaller budget.
 */
gboolean
gst_cv_analyze_json_fill_within (GstStructure * s, JsonObject * obj,
    const Schema * schema, guint max_items, GError ** error)
{
  Budget budget = { MIN (max_items, GST_CV_ANALYZE_MAX_RESULT_ITEMS) };

  g_return_val_if_fail (s != NULL && obj != NULL && schema != NULL, FALSE);

  ensure_debug_category ();
  return fill_structure (s, obj, "", schema, &budget, error);
}

static guint count_value_items (const GValue * value);

static gboolean
count_field_items (GQuark field, const GValue * value, gpointer user_data)
{
  *(guint *) user_data += count_value_items (value);
  return TRUE;
}

static guint
count_value_items (const GValue * value)
{
  guint n = 0, i, size;

  if (GST_VALUE_HOLDS_STRUCTURE (value)) {
    gst_structure_foreach (gst_value_get_structure (value),
        count_field_items, &n);
  } else if (GST_VALUE_HOLDS_ARRAY (value)) {
    size = gst_value_array_get_size (value);
    for (i = 0; i < size; i++)
      n += 1 + count_value_items (gst_value_array_get_value (value, i));
  }
  return n;
}

/**
 * gst_cv_analyze_json_count_items:
 * @s: a result
 *
 * Returns: the array items in @s, nested ones too: what a
 *   gst_cv_analyze_json_fill() of it spent of its budget (or less: an
 *   array that is not nested may keep more than the budget, see
 *   keep_items())
 */
guint
gst_cv_analyze_json_count_items (const GstStructure * s)
{
  guint n = 0;

  gst_structure_foreach (s, count_field_items, &n);
  return n;
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

/* JSON requires C0 controls in strings to be escaped, yet json-glib takes
 * them raw; DEL and the C1 controls (UTF-8 C2 80 to C2 9F) it may leave
 * raw, but no service sends them so, and a terminal that shows the body
 * could obey them. Returns the length of the control at @text, or 0. */
static gsize
raw_control_length (const gchar * text, gsize length)
{
  guchar c = (guchar) text[0];

  if (c < 0x20 || c == 0x7f)
    return 1;
  if (c == 0xc2 && length > 1 && (guchar) text[1] >= 0x80
      && (guchar) text[1] <= 0x9f)
    return 2;
  return 0;
}

static gint
hex_value (const gchar * text, gsize length)
{
  gint value = 0;
  gsize i;

  if (length < 4)
    return -1;
  for (i = 0; i < 4; i++) {
    gint digit = g_ascii_xdigit_value (text[i]);

    if (digit < 0)
      return -1;
    value = value * 16 + digit;
  }
  return value;
}

static gboolean
is_low_surrogate_escape (const gchar * text, gsize length)
{
  gint value;

  if (length < 6 || text[0] != '\\' || text[1] != 'u')
    return FALSE;
  value = hex_value (text + 2, length - 2);
  return value >= 0xdc00 && value <= 0xdfff;
}

/* Writes @escape over the 6-character escape at @offset, in a copy of the
 * text made at the first such change. */
static void
rewrite_escape (const gchar * text, gsize length, gsize offset,
    const gchar * escape, gchar ** copy)
{
  if (*copy == NULL)
    *copy = g_memdup2 (text, length);
  memcpy (*copy + offset, escape, 6);
}

/* Checks the escape at @text (a backslash in a string) and returns its
 * length, or 0 with @error set. Strict JSON, because json-glib 1.6 reads
 * the character after a short "\u" escape or a lone surrogate as part of
 * the escape: after "\ud800" it swallows a closing quote and its string
 * goes on where this scan saw structure, which would let brackets past the
 * nesting count. So a lone surrogate is rewritten as "\ufffd" (U+FFFD),
 * the character after it kept. And since json-glib ends a string at
 * "\u0000" (it builds C strings), that escape is rewritten as "\u001f", a
 * control that gst_cv_analyze_safe_text() drops: the rest of the string
 * survives. */
static gsize
scan_escape (const gchar * text, gsize length, gsize offset, gchar ** copy,
    GError ** error)
{
  const gchar *escape = text + offset;
  gsize left = length - offset;
  gint value;

  if (left >= 2 && strchr ("\"\\/bfnrt", escape[1]) != NULL
      && escape[1] != '\0')
    return 2;

  value = left >= 2 && escape[1] == 'u' ? hex_value (escape + 2, left - 2)
      : -1;
  if (value < 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "response is not valid JSON: invalid escape in a string at offset %"
        G_GSIZE_FORMAT, offset);
    return 0;
  }

  if (value >= 0xd800 && value <= 0xdbff
      && is_low_surrogate_escape (escape + 6, left - 6))
    return 12;                  /* a pair: one character */
  if (value >= 0xd800 && value <= 0xdfff)
    rewrite_escape (text, length, offset, "\\ufffd", copy);
  else if (value == 0)
    rewrite_escape (text, length, offset, "\\u001f", copy);
  return 6;
}

/* Refuses what json-glib would mis-read, leak or crash on, before it
 * parses. Deep nesting: json-glib 1.6 recurses without a limit and
 * overflows the stack. json-glib also accepts comments and single-quoted
 * strings, inside which brackets would be counted differently; strict JSON
 * has neither, so their opening characters outside a string are refused,
 * which keeps this count equal to json-glib's nesting, as does reading
 * escapes the way json-glib does (see scan_escape()). Sets @copy to a
 * corrected copy of @text when a string has "\u0000" or a lone surrogate in
 * it. Text that is not UTF-8 is left to json-glib, which refuses it. */
static gboolean
check_text (const gchar * text, gsize length, gchar ** copy, GError ** error)
{
  gboolean in_string = FALSE, value_seen = FALSE;
  guint depth = 0;
  gsize i, n;

  for (i = 0; i < length; i++) {
    gchar c = text[i];

    if (in_string) {
      if (c == '\\') {
        if ((n = scan_escape (text, length, i, copy, error)) == 0)
          return FALSE;
        i += n - 1;
      } else if (c == '"') {
        in_string = FALSE;
      } else if ((n = raw_control_length (text + i, length - i)) > 0) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
            "response is not valid JSON: unescaped control character "
            "U+%04X in a string at offset %" G_GSIZE_FORMAT,
            n == 1 ? (guchar) c : (guchar) text[i + 1], i);
        return FALSE;
      }
      continue;
    }

    /* json-glib 1.6 takes an object or array after the top-level value
     * as a second one and leaks the first: a body of "{}{}{}..." would
     * leak memory on every answer. */
    if (depth == 0 && !g_ascii_isspace (c)) {
      if (value_seen && (c == '{' || c == '[')) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
            "response is not valid JSON: a second value at offset %"
            G_GSIZE_FORMAT, i);
        return FALSE;
      }
      value_seen = TRUE;
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

/**
 * gst_cv_analyze_json_load:
 * @parser: the parser that will own the tree
 * @body: (nullable): the HTTP response body
 * @length: length of @body in bytes, or -1 if it is NUL-terminated
 * @error: return location for a #GError (G_IO_ERROR_INVALID_DATA)
 *
 * Checks @body (see check_text()) and parses it with @parser.
 *
 * Returns: (transfer none) (nullable): the root object, owned by @parser,
 * or %NULL with @error set
 */
JsonObject *
gst_cv_analyze_json_load (JsonParser * parser, const gchar * body,
    gssize length, GError ** error)
{
  GError *json_error = NULL;
  JsonNode *root;
  gchar *copy = NULL;
  gboolean loaded;
  gsize size;

  g_return_val_if_fail (JSON_IS_PARSER (parser), NULL);

  ensure_debug_category ();

  if (body == NULL)
    length = 0;
  size = length < 0 ? strlen (body) : (gsize) length;

  if (!check_text (body, size, &copy, error)) {
    g_free (copy);
    return NULL;
  }

  loaded = json_parser_load_from_data (parser, copy ? copy : size ? body : "",
      (gssize) size, &json_error);
  g_free (copy);
  if (!loaded) {
    /* json-glib quotes the text it stopped at. */
    gchar *reason = gst_cv_analyze_safe_text (json_error->message, -1,
        GST_CV_ANALYZE_MAX_MESSAGE_CHARS);

    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "response is not valid JSON: %s", reason);
    g_free (reason);
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
