/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __CV_READ_H__
#define __CV_READ_H__

#include <glib.h>
#include <json-glib/json-glib.h>

#include "cvcolouranalysis.h"

G_BEGIN_DECLS

/* Real OCR for the local server's Read answers: tesseract (Debian's
 * libtesseract with tesseract-ocr-eng) on the received JPEG. */

typedef struct _CvReader CvReader;

/* A word or line: its text and its box as Azure writes it, four corners
 * clockwise from the top left, x0, y0, ... x3, y3, in the image's pixels. */
typedef struct
{
  gchar *text;
  gint box[8];
  gdouble confidence;           /* 0 to 1; a line's is its words' lowest */
  GPtrArray *words;             /* lines only: CvReadItem, in reading order */
} CvReadItem;

typedef struct
{
  guint width;
  guint height;
  GPtrArray *lines;             /* CvReadItem, top to bottom */
} CvReadResult;

/* The v3.2 Read answer's analyzeResult.modelVersion, as in Azure's official
 * example (SuccessfulGetReadResult.json): the API's model requires
 * "latest" or a date there (the SDK's pattern
 * ^(latest|\d{4}-\d{2}-\d{2})(-preview)?$), so tesseract cannot be named
 * in it as it is in Image Analysis 4.0's modelVersion. */
#define CV_READ_V3_MODEL_VERSION "2021-04-12"

/* Most lines, and words per line, an answer carries. */
#define CV_READ_MAX_LINES 200
#define CV_READ_MAX_WORDS 100

CvReader *cv_reader_new (void);

void cv_reader_free (CvReader * reader);

const gchar *cv_reader_model_version (void);

CvReadResult *cv_reader_read_jpeg (CvReader * reader, const guint8 * data,
    gsize size, const CvColourAnalysisLimits * limits, GError ** error);

void cv_read_result_free (CvReadResult * result);

JsonNode *cv_read_result_to_v3_json (const CvReadResult * result);

void cv_read_result_add_v4_blocks (const CvReadResult * result,
    JsonBuilder * b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CvReadResult, cv_read_result_free);

G_END_DECLS

#endif /* __CV_READ_H__ */
