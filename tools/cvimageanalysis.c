/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * Azure Image Analysis 4.0 (POST /computervision/imageanalysis:analyze,
 * docs/services.md section 9), answered from the colour analysis: the
 * caption and tags name the dominant colours, the dense captions are the
 * whole image and its centre, the smart crops are the centred crops of the
 * asked aspect ratios, and people, objects and text are looked for by
 * nothing, so their lists are empty (text recognition comes with issue
 * 12). Errors use the service's texts from MicrosoftDocs
 * call-analyze-image-40.md, "Error codes".
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "cvimageanalysis.h"
#include "cvcolouranalysis.h"
#include "cvcomputervision.h"
#include "cverrors.h"
#include "cvread.h"

#include <string.h>

typedef enum
{
  FEATURE_TAGS = 1 << 0,
  FEATURE_CAPTION = 1 << 1,
  FEATURE_DENSE_CAPTIONS = 1 << 2,
  FEATURE_OBJECTS = 1 << 3,
  FEATURE_READ = 1 << 4,
  FEATURE_SMART_CROPS = 1 << 5,
  FEATURE_PEOPLE = 1 << 6
} Features;

static const CvFlagName feature_names[] = {
  {"tags", FEATURE_TAGS},
  {"caption", FEATURE_CAPTION},
  {"denseCaptions", FEATURE_DENSE_CAPTIONS},
  {"objects", FEATURE_OBJECTS},
  {"read", FEATURE_READ},
  {"smartCrops", FEATURE_SMART_CROPS},
  {"people", FEATURE_PEOPLE},
};

/* The published stable version, and the one third-party code widely uses
 * (docs/services.md, section 1). */
static const gchar *const api_versions[] = { "2023-10-01", "2024-02-01" };

/* The range the service allows for smartcrops-aspect-ratios. */
#define MIN_ASPECT_RATIO 0.75
#define MAX_ASPECT_RATIO 1.8
#define MAX_ASPECT_RATIOS 16

#define ANALYZE_QUERY_INVALID "Analyze query is invalid."
#define IMAGE_SIZE_INVALID \
  "The image size is not allowed to be zero or larger than 20971520 bytes."
#define IMAGE_DIMENSION_INVALID \
  "The image dimension is not allowed to be smaller than 50 and larger " \
  "than 16000."
#define IMAGE_FORMAT_INVALID "Image format is not valid."

static const CvHostileRule hostile_rules[] = {
  {"captionResult.text", CV_HOSTILE_CAPTION},
  {"denseCaptionsResult.values[].text", CV_HOSTILE_CAPTION},
  {"tagsResult.values[].name", CV_HOSTILE_TAG},
  {"readResult.blocks[].lines[].text", CV_HOSTILE_TAG},
  {"readResult.blocks[].lines[].words[].text", CV_HOSTILE_TAG},
  {"modelVersion", CV_HOSTILE_LABEL},
  {"tagsResult.values", CV_HOSTILE_TAG_OBJECTS},
  {NULL, 0}
};

typedef struct
{
  guint x, y, w, h;
} Box;

/* An unknown api-version has no route at the gateway, which says 404
 * "Resource not found" (MicrosoftDocs/azure-docs#120920). */
static JsonNode *
image_analysis_route_error (const CvReplyContext * ctx, guint * status)
{
  const gchar *version = ctx->req->api_version;
  guint i;

  for (i = 0; version != NULL && i < G_N_ELEMENTS (api_versions); i++) {
    if (strcmp (version, api_versions[i]) == 0)
      return NULL;
  }
  *status = 404;
  return cv_errors_azure_gateway (404, "Resource not found");
}

/* Computer Vision v3.2's errors: the same gateway and the same nested
 * shape as 4.0's. */
static JsonNode *
image_analysis_error (const CvReplyContext * ctx, guint status)
{
  return cv_computer_vision_error_body (CV_API_VERSION_V3_2, status,
      ctx->cfg->retry_after, ctx->request_id);
}

/* Whether the Content-Type @value is @type, whatever its parameters. */
static gboolean
content_type_is (const gchar * value, const gchar * type)
{
  gsize len = strlen (type);

  return value != NULL && g_ascii_strncasecmp (value, type, len) == 0
      && (value[len] == '\0' || value[len] == ';' || value[len] == ' ');
}

static CvReply *
invalid_request (const CvReplyContext * ctx, const gchar * message,
    const gchar * inner_code, const gchar * inner_message)
{
  return cv_reply_new_error (ctx, 400, cv_errors_azure ("InvalidRequest",
          message, inner_code, inner_message));
}

/* Parses smartcrops-aspect-ratios into @ratios; FALSE if a value is not
 * a number in the allowed range. */
static gboolean
parse_aspect_ratios (const gchar * list, gdouble * ratios, guint * n)
{
  gchar **items;
  gboolean ok = TRUE;
  guint i;

  *n = 0;
  if (list == NULL)
    return TRUE;
  items = g_strsplit (list, ",", -1);
  for (i = 0; items[i] != NULL && ok; i++) {
    gchar *item = g_strstrip (items[i]), *end = NULL;
    gdouble ratio = g_ascii_strtod (item, &end);

    ok = *item != '\0' && *end == '\0' && ratio >= MIN_ASPECT_RATIO
        && ratio <= MAX_ASPECT_RATIO && *n < MAX_ASPECT_RATIOS;
    if (ok)
      ratios[(*n)++] = ratio;
  }
  g_strfreev (items);
  return ok;
}

static void
add_box (JsonBuilder * b, Box box)
{
  json_builder_set_member_name (b, "boundingBox");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "x");
  json_builder_add_int_value (b, box.x);
  json_builder_set_member_name (b, "y");
  json_builder_add_int_value (b, box.y);
  json_builder_set_member_name (b, "w");
  json_builder_add_int_value (b, box.w);
  json_builder_set_member_name (b, "h");
  json_builder_add_int_value (b, box.h);
  json_builder_end_object (b);
}

static void
add_caption (JsonBuilder * b, const gchar * text, gdouble confidence)
{
  json_builder_set_member_name (b, "text");
  json_builder_add_string_value (b, text);
  json_builder_set_member_name (b, "confidence");
  json_builder_add_double_value (b, confidence);
}

static void
add_dense_caption (JsonBuilder * b, const gchar * text, gdouble confidence,
    Box box)
{
  json_builder_begin_object (b);
  add_caption (b, text, confidence);
  add_box (b, box);
  json_builder_end_object (b);
}

/* The whole image, then its centre (the middle half each way, where the
 * analysis finds the foreground colour). */
static void
add_dense_captions (JsonBuilder * b, const CvColourAnalysis * a,
    const gchar * caption)
{
  Box whole = { 0, 0, a->width, a->height };
  Box centre = { a->width / 4, a->height / 4,
    a->width - 2 * (a->width / 4), a->height - 2 * (a->height / 4)
  };
  gchar *name = g_ascii_strdown (cv_colour_get_name (a->foreground), -1);
  gchar *text = g_strdup_printf ("a %s area in the centre", name);

  json_builder_begin_array (b);
  add_dense_caption (b, caption, cv_colour_analysis_caption_confidence (a),
      whole);
  add_dense_caption (b, text, cv_colour_analysis_confidence
      (a->foreground_share), centre);
  json_builder_end_array (b);
  g_free (text);
  g_free (name);
}

/* The largest crop of @ratio (width / height) centred in the image. */
static Box
centred_crop (const CvColourAnalysis * a, gdouble ratio)
{
  Box box = { 0, 0, a->width, a->height };

  if ((gdouble) a->width / a->height > ratio)
    box.w = MAX (1, (guint) (a->height * ratio + 0.5));
  else
    box.h = MAX (1, (guint) (a->width / ratio + 0.5));
  box.w = MIN (box.w, a->width);
  box.h = MIN (box.h, a->height);
  box.x = (a->width - box.w) / 2;
  box.y = (a->height - box.h) / 2;
  return box;
}

/* Without ratios asked for, the service picks one; here, the image's
 * own, brought into the allowed range and rounded to two decimals. */
static void
add_smart_crops (JsonBuilder * b, const CvColourAnalysis * a,
    const gdouble * ratios, guint n_ratios)
{
  gdouble own = CLAMP ((gdouble) a->width / a->height, MIN_ASPECT_RATIO,
      MAX_ASPECT_RATIO);
  guint i;

  if (n_ratios == 0) {
    own = (gdouble) (gint64) (own * 100.0 + 0.5) / 100.0;
    ratios = &own;
    n_ratios = 1;
  }

  json_builder_begin_array (b);
  for (i = 0; i < n_ratios; i++) {
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "aspectRatio");
    json_builder_add_double_value (b, ratios[i]);
    add_box (b, centred_crop (a, ratios[i]));
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
}

/* "name": {"values": []}, for what nothing here looks for. */
static void
add_empty_list (JsonBuilder * b, const gchar * name, const gchar * list)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, list);
  json_builder_begin_array (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
}

/* The answer, in the member order of Azure's example
 * (AnalyzeFromBuffer_MaximumSet.json). */
static JsonNode *
answer_to_json (const CvColourAnalysis * a, guint features,
    const gdouble * ratios, guint n_ratios, const CvReadResult * read)
{
  JsonBuilder *b = json_builder_new ();
  gchar *caption = cv_colour_analysis_describe (a);
  JsonNode *root;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "modelVersion");
  if (read) {
    gchar *version = g_strconcat (CV_COLOUR_ANALYSIS_MODEL_VERSION "+",
        cv_reader_model_version (), NULL);

    json_builder_add_string_value (b, version);
    g_free (version);
  } else {
    json_builder_add_string_value (b, CV_COLOUR_ANALYSIS_MODEL_VERSION);
  }
  if (features & FEATURE_CAPTION) {
    json_builder_set_member_name (b, "captionResult");
    json_builder_begin_object (b);
    add_caption (b, caption, cv_colour_analysis_caption_confidence (a));
    json_builder_end_object (b);
  }
  if (features & FEATURE_DENSE_CAPTIONS) {
    json_builder_set_member_name (b, "denseCaptionsResult");
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "values");
    add_dense_captions (b, a, caption);
    json_builder_end_object (b);
  }
  json_builder_set_member_name (b, "metadata");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, a->width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, a->height);
  json_builder_end_object (b);
  if (features & FEATURE_TAGS) {
    json_builder_set_member_name (b, "tagsResult");
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "values");
    cv_colour_analysis_add_tags (b, a);
    json_builder_end_object (b);
  }
  if (features & FEATURE_OBJECTS)
    add_empty_list (b, "objectsResult", "values");
  if (read) {
    json_builder_set_member_name (b, "readResult");
    json_builder_begin_object (b);
    cv_read_result_add_v4_blocks (read, b);
    json_builder_end_object (b);
  }
  if (features & FEATURE_SMART_CROPS) {
    json_builder_set_member_name (b, "smartCropsResult");
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "values");
    add_smart_crops (b, a, ratios, n_ratios);
    json_builder_end_object (b);
  }
  if (features & FEATURE_PEOPLE)
    add_empty_list (b, "peopleResult", "values");
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  g_object_unref (b);
  g_free (caption);
  return root;
}

/* The 400 for an image the service would not take. */
static CvReply *
image_error (const CvReplyContext * ctx, const GError * error)
{
  switch (error->code) {
    case CV_COLOUR_ANALYSIS_ERROR_INVALID_FORMAT:
      return invalid_request (ctx, IMAGE_FORMAT_INVALID, "InvalidImageFormat",
          IMAGE_FORMAT_INVALID);
    case CV_COLOUR_ANALYSIS_ERROR_DIMENSIONS_TOO_SMALL:
    case CV_COLOUR_ANALYSIS_ERROR_DIMENSIONS_TOO_BIG:
      return invalid_request (ctx, IMAGE_DIMENSION_INVALID, NULL, NULL);
    default:
      return invalid_request (ctx, IMAGE_SIZE_INVALID, NULL, NULL);
  }
}

static CvReply *
image_analysis_answer (const CvReplyContext * ctx)
{
  const CvLocalServerRequest *req = ctx->req;
  GHashTable *query = req->query_params;
  const gchar *language = g_hash_table_lookup (query, "language");
  gdouble ratios[MAX_ASPECT_RATIOS];
  guint features, n_ratios;
  CvColourAnalysis analysis;
  CvReadResult *read = NULL;
  GError *error = NULL;
  gconstpointer data;
  gsize size;
  CvReply *reply;

  if (g_hash_table_contains (query, "model-name"))
    return cv_reply_new_error (ctx, 404, cv_errors_azure_gateway (404,
            "Resource not found"));
  if (!cv_flag_names_parse (g_hash_table_lookup (query, "features"),
          feature_names, G_N_ELEMENTS (feature_names), &features, NULL))
    return invalid_request (ctx, ANALYZE_QUERY_INVALID,
        "NotSupportedVisualFeature", "Specified feature type is not valid");
  if (features == 0)
    return invalid_request (ctx, "Either 'features' or 'model-name' needs "
        "to be specified in the query parameter.", NULL, NULL);
  /* Captions are English only. */
  if ((features & (FEATURE_CAPTION | FEATURE_DENSE_CAPTIONS))
      && language != NULL && g_ascii_strcasecmp (language, "en") != 0)
    return invalid_request (ctx, ANALYZE_QUERY_INVALID,
        "NotSupportedLanguage", "The input language is not supported");
  if (!parse_aspect_ratios (g_hash_table_lookup (query,
              "smartcrops-aspect-ratios"), ratios, &n_ratios))
    return invalid_request (ctx, ANALYZE_QUERY_INVALID, "BadArgument",
        "'smartcrops-aspect-ratios' aspect ratio is not in allowed range "
        "[0.75 to 1.8]");
  if ((features & (FEATURE_CAPTION | FEATURE_DENSE_CAPTIONS))
      && (ctx->cfg->quirks & CV_LOCAL_SERVER_QUIRK_NO_CAPTION_REGION))
    return invalid_request (ctx,
        "The feature 'Caption' is not supported in this region", NULL, NULL);
  /* The bytes of an image; a {"url"} body would need a download, and
   * multipart/form-data a parser. */
  if (!content_type_is (req->content_type, "application/octet-stream")) {
    gchar *message = g_strdup_printf ("The provided image content type "
        "'%s' is not supported.", req->content_type ? req->content_type : "");

    reply = invalid_request (ctx, message, NULL, NULL);
    g_free (message);
    return reply;
  }

  data = g_bytes_get_data (req->body, &size);
  if (!cv_colour_analysis_analyse_jpeg (data, size,
          &cv_colour_analysis_limits_v4, &analysis, &error)) {
    reply = image_error (ctx, error);
    g_error_free (error);
    return reply;
  }

  /* The text, from the same bytes, by tesseract (cvread.c). */
  if ((features & FEATURE_READ) && (read = cv_reader_read_jpeg
          (ctx->cfg->reader, data, size, NULL, &error)) == NULL) {
    reply = cv_reply_new_error (ctx, 500, cv_errors_azure
        ("InternalServerError", error->message, NULL, NULL));
    g_error_free (error);
    return reply;
  }

  reply = cv_reply_new_answer (ctx, answer_to_json (&analysis, features,
          ratios, n_ratios, read), hostile_rules, &ctx->cfg->hostile);
  cv_read_result_free (read);
  return reply;
}

const CvProtocol cv_image_analysis_protocol = {
  image_analysis_route_error,
  image_analysis_error,
  image_analysis_answer,
  /* Cut off in the middle of a member, as a truncated transfer would. */
  "{\"modelVersion\":\"" CV_COLOUR_ANALYSIS_MODEL_VERSION "\","
      "\"captionResult\":{\"text\":\"a plain",
  "{\"modelVersion\":7,\"captionResult\":{\"text\":5,\"confidence\":\"high\"},"
      "\"denseCaptionsResult\":[true],\"metadata\":\"64x64\","
      "\"tagsResult\":{\"values\":\"x\"}}",
  "{\"modelVersion\":\"" CV_COLOUR_ANALYSIS_MODEL_VERSION "\","
      "\"tagsResult\":{\"values\":[",
  "{\"name\":\"x\",\"confidence\":0.5},",
  "apim-request-id"
};
