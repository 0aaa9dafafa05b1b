/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_CV_ANALYZE_JSON_H__
#define __GST_CV_ANALYZE_JSON_H__

#include <gst/gst.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A service's answer is described by tables: a Schema lists the members
 * of one JSON object and says what each becomes in the GstStructure. */

typedef enum
{
  KIND_STRING,                  /* string -> safe text (see max_chars) */
  KIND_DOUBLE,
  KIND_INT,
  KIND_BOOLEAN,
  KIND_STRUCT,                  /* object -> nested GstStructure */
  KIND_STRING_ARRAY,            /* array of strings -> GstValueArray */
  KIND_STRUCT_ARRAY,            /* array of objects -> GstValueArray */
  KIND_INLINE,                  /* object whose members land in the owner */
  KIND_FIRST_INLINE,            /* array of objects: the first one's members
                                 * land in the owner (none if it is empty) */
  KIND_POLYGON,                 /* array of {x, y} integer points -> int
                                 * array x0, y0, x1, y1...; the smallest
                                 * rectangle around them lands in the owner
                                 * as x, y, width, height */
  KIND_FLAT_POLYGON             /* array of numbers x0, y0, x1, y1... (v3.2
                                 * Read's boundingBox) -> as KIND_POLYGON,
                                 * each rounded to the nearest integer */
} FieldKind;

typedef struct _Schema Schema;

typedef struct
{
  const gchar *member;          /* JSON member name */
  const gchar *field;           /* structure field; unused for the INLINE
                                 * kinds */
  FieldKind kind;
  gboolean required;
  const Schema *schema;         /* for the object kinds */
  /* For strings and string arrays: the most characters kept of each.
   * 0 (left out) means GST_CV_ANALYZE_MAX_NAME_CHARS; free text such as a
   * caption says GST_CV_ANALYZE_MAX_CAPTION_CHARS. */
  guint max_chars;
} FieldSpec;

struct _Schema
{
  const gchar *name;            /* structure name; unused for the INLINE
                                 * kinds */
  const FieldSpec *fields;      /* ends with a NULL member */
};

#define REQUIRED TRUE
#define OPTIONAL FALSE

JsonObject * gst_cv_analyze_json_load (JsonParser * parser, const gchar * body,
                                       gssize length, GError ** error);

gboolean     gst_cv_analyze_json_fill (GstStructure * s, JsonObject * obj,
                                       const Schema * schema, GError ** error);

gboolean     gst_cv_analyze_json_fill_within (GstStructure * s,
                                       JsonObject * obj, const Schema * schema,
                                       guint max_items, GError ** error);

guint        gst_cv_analyze_json_count_items (const GstStructure * s);

G_END_DECLS

#endif /* __GST_CV_ANALYZE_JSON_H__ */
