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
  /* For strings and string arrays: the most characters kept of each.
   * 0 (left out) means GST_CV_ANALYZE_MAX_NAME_CHARS; free text such as a
   * caption says GST_CV_ANALYZE_MAX_CAPTION_CHARS. */
  guint max_chars;
} FieldSpec;

struct _Schema
{
  const gchar *name;            /* structure name; unused for KIND_INLINE */
  const FieldSpec *fields;      /* ends with a NULL member */
};

#define REQUIRED TRUE
#define OPTIONAL FALSE

JsonObject * gst_cv_analyze_json_load (JsonParser * parser, const gchar * body,
                                       gssize length, GError ** error);

gboolean     gst_cv_analyze_json_fill (GstStructure * s, JsonObject * obj,
                                       const Schema * schema, GError ** error);

G_END_DECLS

#endif /* __GST_CV_ANALYZE_JSON_H__ */
