/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * The text in a received JPEG, read by tesseract: its lines, their words,
 * the box around each and the word confidences, written out in the shapes
 * of Computer Vision v3.2's Read result (readResults[].lines[].words[] with
 * 8-number boundingBoxes) and Image Analysis 4.0's readResult
 * (blocks[].lines[].words[] with boundingPolygons of {x, y}).
 *
 * One tesseract instance per reader, made on first use (it loads the
 * English model, about 0.1 s) and used by one thread at a time.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "cvread.h"

#include <tesseract/capi.h>

struct _CvReader
{
  GMutex lock;
  TessBaseAPI *api;
  gboolean ready;
};

CvReader *
cv_reader_new (void)
{
  CvReader *reader = g_new0 (CvReader, 1);

  g_mutex_init (&reader->lock);
  return reader;
}

void
cv_reader_free (CvReader * reader)
{
  if (reader == NULL)
    return;
  if (reader->api)
    TessBaseAPIDelete (reader->api);
  g_mutex_clear (&reader->lock);
  g_free (reader);
}

/**
 * cv_reader_model_version:
 *
 * Returns: what Image Analysis 4.0 answers add to their modelVersion when
 *   they read text: "tesseract-" and the library's version, so that nobody
 *   mistakes them for Azure's
 */
const gchar *
cv_reader_model_version (void)
{
  static gchar *version;

  if (g_once_init_enter (&version))
    g_once_init_leave (&version, g_strdup_printf ("tesseract-%s",
            TessVersion ()));
  return version;
}

static gboolean
reader_ensure (CvReader * reader, GError ** error)
{
  if (reader->ready)
    return TRUE;
  if (reader->api == NULL)
    reader->api = TessBaseAPICreate ();
  /* Tesseract's own default data path; its complaints go nowhere. */
  TessBaseAPISetVariable (reader->api, "debug_file", "/dev/null");
  if (TessBaseAPIInit3 (reader->api, NULL, "eng") != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "tesseract has no English model: install tesseract-ocr-eng "
        "(scripts/install-deps.sh)");
    return FALSE;
  }
  TessBaseAPISetPageSegMode (reader->api, PSM_AUTO);
  reader->ready = TRUE;
  return TRUE;
}

static void
item_free (gpointer data)
{
  CvReadItem *item = data;

  g_free (item->text);
  if (item->words)
    g_ptr_array_unref (item->words);
  g_free (item);
}

void
cv_read_result_free (CvReadResult * result)
{
  if (result == NULL)
    return;
  g_ptr_array_unref (result->lines);
  g_free (result);
}

/* Azure's corners, clockwise from the top left. */
static CvReadItem *
item_new (const TessPageIterator * it, TessPageIteratorLevel level)
{
  CvReadItem *item = g_new0 (CvReadItem, 1);
  int left = 0, top = 0, right = 0, bottom = 0;

  TessPageIteratorBoundingBox (it, level, &left, &top, &right, &bottom);
  item->box[0] = left;
  item->box[1] = top;
  item->box[2] = right;
  item->box[3] = top;
  item->box[4] = right;
  item->box[5] = bottom;
  item->box[6] = left;
  item->box[7] = bottom;
  return item;
}

/* The line's text is its words', joined by spaces, as Azure's is. */
static void
finish_line (CvReadResult * result, CvReadItem * line, GString * text)
{
  if (line == NULL)
    return;
  if (line->words->len == 0 || result->lines->len >= CV_READ_MAX_LINES) {
    item_free (line);
  } else {
    line->text = g_strdup (text->str);
    g_ptr_array_add (result->lines, line);
  }
  g_string_truncate (text, 0);
}

/* Walks tesseract's result word by word, starting a line wherever it
 * says one begins. */
static void
collect_lines (TessBaseAPI * api, CvReadResult * result)
{
  TessResultIterator *ri = TessBaseAPIGetIterator (api);
  TessPageIterator *pi;
  CvReadItem *line = NULL;
  GString *text = g_string_new (NULL);

  if (ri == NULL)
    goto out;
  pi = TessResultIteratorGetPageIterator (ri);
  do {
    gchar *word_text;
    CvReadItem *word;

    if (TessPageIteratorIsAtBeginningOf (pi, RIL_TEXTLINE) || line == NULL) {
      finish_line (result, line, text);
      line = item_new (pi, RIL_TEXTLINE);
      line->words = g_ptr_array_new_with_free_func (item_free);
      line->confidence = 1.0;
    }
    word_text = TessResultIteratorGetUTF8Text (ri, RIL_WORD);
    if (word_text == NULL)
      continue;
    g_strstrip (word_text);
    if (*word_text != '\0' && line->words->len < CV_READ_MAX_WORDS) {
      word = item_new (pi, RIL_WORD);
      word->text = g_strdup (word_text);
      word->confidence =
          CLAMP (TessResultIteratorConfidence (ri, RIL_WORD) / 100.0, 0, 1);
      line->confidence = MIN (line->confidence, word->confidence);
      if (text->len)
        g_string_append_c (text, ' ');
      g_string_append (text, word->text);
      g_ptr_array_add (line->words, word);
    }
    TessDeleteText (word_text);
  } while (TessResultIteratorNext (ri, RIL_WORD));
  finish_line (result, line, text);
  TessResultIteratorDelete (ri);
out:
  g_string_free (text, TRUE);
}

/**
 * cv_reader_read_jpeg:
 * @reader: the reader
 * @data: the JPEG
 * @size: its size
 * @limits: (nullable): the service's input limits
 * @error: a #CV_COLOUR_ANALYSIS_ERROR for an image the service would
 *   refuse, or G_IO_ERROR_NOT_FOUND when tesseract has no model
 *
 * Returns: (transfer full) (nullable): the text in the image, at its full
 *   resolution
 */
CvReadResult *
cv_reader_read_jpeg (CvReader * reader, const guint8 * data, gsize size,
    const CvColourAnalysisLimits * limits, GError ** error)
{
  guint width, height, decoded_width, decoded_height;
  guint8 *rgb;
  CvReadResult *result;

  rgb = cv_colour_analysis_decode_jpeg (data, size, limits, FALSE, &width,
      &height, &decoded_width, &decoded_height, error);
  if (rgb == NULL)
    return NULL;

  g_mutex_lock (&reader->lock);
  if (!reader_ensure (reader, error)) {
    g_mutex_unlock (&reader->lock);
    g_free (rgb);
    return NULL;
  }
  result = g_new0 (CvReadResult, 1);
  result->width = width;
  result->height = height;
  result->lines = g_ptr_array_new_with_free_func (item_free);
  TessBaseAPISetImage (reader->api, rgb, decoded_width, decoded_height, 3,
      decoded_width * 3);
  /* Screens and slides have no resolution; 96 dpi spares a warning. */
  TessBaseAPISetSourceResolution (reader->api, 96);
  if (TessBaseAPIRecognize (reader->api, NULL) == 0)
    collect_lines (reader->api, result);
  TessBaseAPIClear (reader->api);
  g_mutex_unlock (&reader->lock);
  g_free (rgb);
  return result;
}

static void
add_box (JsonBuilder * b, const gint box[8])
{
  guint i;

  json_builder_set_member_name (b, "boundingBox");
  json_builder_begin_array (b);
  for (i = 0; i < 8; i++)
    json_builder_add_int_value (b, box[i]);
  json_builder_end_array (b);
}

static void
add_polygon (JsonBuilder * b, const gint box[8])
{
  guint i;

  json_builder_set_member_name (b, "boundingPolygon");
  json_builder_begin_array (b);
  for (i = 0; i < 8; i += 2) {
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "x");
    json_builder_add_int_value (b, box[i]);
    json_builder_set_member_name (b, "y");
    json_builder_add_int_value (b, box[i + 1]);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
}

/* A line or word in either shape: text, box, words or confidence. */
static void
add_item (JsonBuilder * b, const CvReadItem * item, gboolean v4)
{
  guint i;

  json_builder_begin_object (b);
  if (v4)
    add_polygon (b, item->box);
  else
    add_box (b, item->box);
  if (item->words && !v4) {
    /* v3.2 says whether a line is handwriting; print never is. */
    json_builder_set_member_name (b, "appearance");
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "style");
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "name");
    json_builder_add_string_value (b, "other");
    json_builder_set_member_name (b, "confidence");
    json_builder_add_double_value (b, item->confidence);
    json_builder_end_object (b);
    json_builder_end_object (b);
  }
  json_builder_set_member_name (b, "text");
  json_builder_add_string_value (b, item->text);
  if (item->words) {
    json_builder_set_member_name (b, "words");
    json_builder_begin_array (b);
    for (i = 0; i < item->words->len; i++)
      add_item (b, g_ptr_array_index (item->words, i), v4);
    json_builder_end_array (b);
  } else {
    json_builder_set_member_name (b, "confidence");
    json_builder_add_double_value (b, item->confidence);
  }
  json_builder_end_object (b);
}

static void
add_lines (JsonBuilder * b, const CvReadResult * result, gboolean v4)
{
  guint i;

  json_builder_set_member_name (b, "lines");
  json_builder_begin_array (b);
  for (i = 0; i < result->lines->len; i++)
    add_item (b, g_ptr_array_index (result->lines, i), v4);
  json_builder_end_array (b);
}

/**
 * cv_read_result_to_v3_json:
 *
 * Returns: (transfer full): the "analyzeResult" of a succeeded v3.2 Read
 *   operation: one page, in pixels
 */
JsonNode *
cv_read_result_to_v3_json (const CvReadResult * result)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode *root;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, "v3.2");
  json_builder_set_member_name (b, "modelVersion");
  json_builder_add_string_value (b, CV_READ_V3_MODEL_VERSION);
  json_builder_set_member_name (b, "readResults");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "page");
  json_builder_add_int_value (b, 1);
  /* tesseract reads with its English model only */
  json_builder_set_member_name (b, "language");
  json_builder_add_string_value (b, "en");
  json_builder_set_member_name (b, "angle");
  json_builder_add_double_value (b, 0.0);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, result->width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, result->height);
  json_builder_set_member_name (b, "unit");
  json_builder_add_string_value (b, "pixel");
  add_lines (b, result, FALSE);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  g_object_unref (b);
  return root;
}

/**
 * cv_read_result_add_v4_blocks:
 * @b: a builder inside Image Analysis 4.0's "readResult" object
 *
 * Adds "blocks": one block with every line, as the service sends it, or
 * none without text.
 */
void
cv_read_result_add_v4_blocks (const CvReadResult * result, JsonBuilder * b)
{
  json_builder_set_member_name (b, "blocks");
  json_builder_begin_array (b);
  if (result->lines->len > 0) {
    json_builder_begin_object (b);
    add_lines (b, result, TRUE);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
}
