/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "resultcheck.h"
#include "gstcvanalyzesafetext.h"

/* Written apart from gstcvanalyzesafetext.c on purpose: a test that used
 * the code it checks could not fail. */
static gboolean
is_control (gunichar c)
{
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029
      || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/**
 * cv_check_safe_text:
 * @text: a string the parser produced
 * @max_chars: the cap it must respect
 *
 * Returns: (nullable): NULL if @text is valid UTF-8, without control or
 * bidi-control characters and at most @max_chars characters long
 */
gchar *
cv_check_safe_text (const gchar * text, guint max_chars)
{
  const gchar *p;
  guint chars = 0;

  if (text == NULL)
    return g_strdup ("a NULL string");
  if (!g_utf8_validate (text, -1, NULL))
    return g_strdup ("invalid UTF-8");

  for (p = text; *p; p = g_utf8_next_char (p), chars++) {
    gunichar c = g_utf8_get_char (p);

    if (is_control (c))
      return g_strdup_printf ("U+%04X at character %u", c, chars);
  }
  if (chars > max_chars)
    return g_strdup_printf ("%u characters, more than %u", chars, max_chars);
  return NULL;
}

/* Free text has the long cap, every other string the short one. */
static guint
cap_for_field (const gchar * field)
{
  if (g_str_equal (field, "caption") || g_str_equal (field, "text"))
    return GST_CV_ANALYZE_MAX_CAPTION_CHARS;
  return GST_CV_ANALYZE_MAX_NAME_CHARS;
}

static gchar *check_value (const GValue * value, const gchar * path,
    guint max_chars);

typedef struct
{
  const gchar *path;
  gchar *problem;
} Walk;

static gboolean
check_field (GQuark field, const GValue * value, gpointer user_data)
{
  Walk *walk = user_data;
  const gchar *name = g_quark_to_string (field);
  gchar *path = g_strconcat (walk->path, ".", name, NULL);

  walk->problem = check_value (value, path, cap_for_field (name));
  g_free (path);
  return walk->problem == NULL;
}

static gchar *
check_value (const GValue * value, const gchar * path, guint max_chars)
{
  gchar *problem = NULL;
  guint i, n;

  if (G_VALUE_HOLDS_STRING (value)) {
    problem = cv_check_safe_text (g_value_get_string (value), max_chars);
  } else if (GST_VALUE_HOLDS_ARRAY (value)) {
    n = gst_value_array_get_size (value);
    if (n > GST_CV_ANALYZE_MAX_ARRAY_ITEMS)
      problem = g_strdup_printf ("%u items", n);
    for (i = 0; i < n && problem == NULL; i++) {
      gchar *item_path = g_strdup_printf ("%s[%u]", path, i);

      /* already says where */
      problem = check_value (gst_value_array_get_value (value, i), item_path,
          max_chars);
      g_free (item_path);
      if (problem != NULL)
        return problem;
    }
  } else if (GST_VALUE_HOLDS_STRUCTURE (value)) {
    const GstStructure *s = gst_value_get_structure (value);
    Walk walk = { path, NULL };

    problem = cv_check_safe_text (gst_structure_get_name (s),
        GST_CV_ANALYZE_MAX_NAME_CHARS);
    if (problem == NULL) {
      gst_structure_foreach (s, check_field, &walk);
      return walk.problem;      /* already says where */
    }
  }

  if (problem != NULL) {
    gchar *located = g_strdup_printf ("%s: %s", path, problem);

    g_free (problem);
    return located;
  }
  return NULL;
}

/**
 * cv_check_safe_structure:
 * @s: a result structure, a bus message's or a meta's
 *
 * Walks @s, nested structures and arrays included: every string must be
 * safe text within its cap ("caption" and "text" fields the caption cap,
 * the others the name cap), every array at most
 * GST_CV_ANALYZE_MAX_ARRAY_ITEMS long, "tags" at most
 * GST_CV_ANALYZE_MAX_TAGS. A "json" field is checked with
 * cv_check_safe_json().
 *
 * Returns: (nullable): NULL if it all holds
 */
gchar *
cv_check_safe_structure (const GstStructure * s)
{
  const GValue *tags = gst_structure_get_value (s, "tags");
  const gchar *json = gst_structure_get_string (s, "json");
  GstStructure *rest;
  GValue value = G_VALUE_INIT;
  gchar *problem;

  if (tags != NULL && GST_VALUE_HOLDS_ARRAY (tags)
      && gst_value_array_get_size (tags) > GST_CV_ANALYZE_MAX_TAGS)
    return g_strdup_printf ("%u tags", gst_value_array_get_size (tags));
  if (json != NULL && (problem = cv_check_safe_json (json)) != NULL)
    return problem;

  /* The body as received is not capped; everything else is. */
  rest = gst_structure_copy (s);
  gst_structure_remove_field (rest, "json");
  g_value_init (&value, GST_TYPE_STRUCTURE);
  g_value_take_boxed (&value, rest);
  problem = check_value (&value, gst_structure_get_name (s),
      GST_CV_ANALYZE_MAX_NAME_CHARS);
  g_value_unset (&value);
  return problem;
}

/**
 * cv_check_safe_json:
 * @json: a response body the parser accepted
 *
 * Returns: (nullable): NULL if @json is valid UTF-8 whose only control
 * characters are JSON's whitespace (tab, line feed, carriage return)
 */
gchar *
cv_check_safe_json (const gchar * json)
{
  const gchar *p;

  if (!g_utf8_validate (json, -1, NULL))
    return g_strdup ("json: invalid UTF-8");
  for (p = json; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r')
        || (c >= 0x7f && c <= 0x9f))
      return g_strdup_printf ("json: U+%04X at byte %u", c,
          (guint) (p - json));
  }
  return NULL;
}
