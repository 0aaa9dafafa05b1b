/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * Azure Image Analysis 4.0 (POST {endpoint}/computervision/
 * imageanalysis:analyze, API version 2023-10-01; docs/services.md section
 * 9). One JPEG per request, sent as it is; the answer is read into the
 * same "cvanalyze-result" model as Computer Vision v3.2's (README.md, "The
 * result model"), so the meta, the messages, the text pad and the overlay
 * need not know which service answered:
 *  - captionResult: "caption", "confidence", and "captions" holding it in
 *    v3.2's shape;
 *  - tagsResult: "tag-details" and the "tags" names;
 *  - objectsResult: "objects", each named by its first (and only) tag as
 *    v3.2 names them, its whole "tags" list kept too;
 *  - denseCaptionsResult, peopleResult, smartCropsResult: "dense-captions",
 *    "people", "smart-crops";
 *  - readResult: "text-lines" with their words, each with its "polygon"
 *    and the rectangle around it, and all lines' text as "text".
 * The tables below say it member by member; the shared walker
 * (gstcvanalyzejson.c) applies the rules: types checked, strings made safe
 * and capped, arrays capped.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstcvanalyzeservice.h"
#include "gstcvanalyzeparser.h"
#include "gstcvanalyzejson.h"
#include "gstcvanalyzesafetext.h"

GST_DEBUG_CATEGORY_STATIC (cv_analyze_image_analysis_debug);
#define GST_CAT_DEFAULT cv_analyze_image_analysis_debug

#define DEFAULT_API_VERSION "2023-10-01"
#define DEFAULT_FEATURES "caption,tags"
#define DEFAULT_LANGUAGE "en"
#define DEFAULT_MODEL_VERSION "latest"

/* The service's range for smartcrops-aspect-ratios (width / height); the
 * spec sets no limit on how many. */
#define MIN_ASPECT_RATIO 0.75
#define MAX_ASPECT_RATIO 1.8

/* The published stable version first, the default. */
static const gchar *const api_versions[] = {
  DEFAULT_API_VERSION, "2024-02-01", NULL
};

typedef enum
{
  FEATURE_CAPTION = 1 << 0,
  FEATURE_DENSE_CAPTIONS = 1 << 1,
  FEATURE_TAGS = 1 << 2,
  FEATURE_OBJECTS = 1 << 3,
  FEATURE_READ = 1 << 4,
  FEATURE_PEOPLE = 1 << 5,
  FEATURE_SMART_CROPS = 1 << 6,
} Feature;

/* Spelt as the service spells them in the URL. */
static const struct
{
  const gchar *name;
  Feature flag;
} feature_names[] = {
  {"caption", FEATURE_CAPTION},
  {"denseCaptions", FEATURE_DENSE_CAPTIONS},
  {"tags", FEATURE_TAGS},
  {"objects", FEATURE_OBJECTS},
  {"read", FEATURE_READ},
  {"people", FEATURE_PEOPLE},
  {"smartCrops", FEATURE_SMART_CROPS},
};

#define FEATURE_LIST "caption, denseCaptions, tags, objects, read, people, " \
    "smartCrops"

/* Where caption and denseCaptions are offered (Microsoft's region table
 * for Image Analysis 4.0). */
#define CAPTION_REGIONS "East US, West US, France Central, North Europe, " \
    "West Europe, Southeast Asia, East Asia and Korea Central"

/* --- the answer --- */

static const FieldSpec caption_result_fields[] = {
  {"text", "caption", KIND_STRING, REQUIRED, NULL,
      GST_CV_ANALYZE_MAX_CAPTION_CHARS},
  {"confidence", "confidence", KIND_DOUBLE, REQUIRED, NULL},
  {NULL}
};

static const Schema caption_result_schema = { NULL, caption_result_fields };

static const FieldSpec dense_caption_fields[] = {
  {"text", "text", KIND_STRING, REQUIRED, NULL,
      GST_CV_ANALYZE_MAX_CAPTION_CHARS},
  {"confidence", "confidence", KIND_DOUBLE, REQUIRED, NULL},
  {"boundingBox", NULL, KIND_INLINE, REQUIRED, &gst_cv_analyze_box_schema},
  {NULL}
};

static const Schema dense_caption_schema =
    { "dense-caption", dense_caption_fields };

/* An object's "tags" is "a single-item list containing the object
 * information": its first item names the object as v3.2 does. */
static const FieldSpec object_name_fields[] = {
  {"name", "object", KIND_STRING, REQUIRED, NULL},
  {"confidence", "confidence", KIND_DOUBLE, REQUIRED, NULL},
  {NULL}
};

static const Schema object_name_schema = { NULL, object_name_fields };

static const FieldSpec object_fields[] = {
  {"boundingBox", NULL, KIND_INLINE, REQUIRED, &gst_cv_analyze_box_schema},
  {"tags", NULL, KIND_FIRST_INLINE, REQUIRED, &object_name_schema},
  {"tags", "tags", KIND_STRUCT_ARRAY, REQUIRED, &gst_cv_analyze_tag_schema},
  {NULL}
};

static const Schema object_schema = { "object", object_fields };

static const FieldSpec person_fields[] = {
  {"boundingBox", NULL, KIND_INLINE, REQUIRED, &gst_cv_analyze_box_schema},
  {"confidence", "confidence", KIND_DOUBLE, REQUIRED, NULL},
  {NULL}
};

static const Schema person_schema = { "person", person_fields };

static const FieldSpec smart_crop_fields[] = {
  {"aspectRatio", "aspect-ratio", KIND_DOUBLE, REQUIRED, NULL},
  {"boundingBox", NULL, KIND_INLINE, REQUIRED, &gst_cv_analyze_box_schema},
  {NULL}
};

static const Schema smart_crop_schema = { "smart-crop", smart_crop_fields };

static const FieldSpec text_word_fields[] = {
  {"text", "text", KIND_STRING, REQUIRED, NULL,
      GST_CV_ANALYZE_MAX_CAPTION_CHARS},
  {"confidence", "confidence", KIND_DOUBLE, REQUIRED, NULL},
  {"boundingPolygon", "polygon", KIND_POLYGON, REQUIRED, NULL},
  {NULL}
};

static const Schema text_word_schema = { "text-word", text_word_fields };

static const FieldSpec text_line_fields[] = {
  {"text", "text", KIND_STRING, REQUIRED, NULL,
      GST_CV_ANALYZE_MAX_CAPTION_CHARS},
  {"boundingPolygon", "polygon", KIND_POLYGON, REQUIRED, NULL},
  {"words", "words", KIND_STRUCT_ARRAY, OPTIONAL, &text_word_schema},
  {NULL}
};

static const Schema text_line_schema = { "text-line", text_line_fields };

static const FieldSpec read_block_fields[] = {
  {"lines", "text-lines", KIND_STRUCT_ARRAY, REQUIRED, &text_line_schema},
  {NULL}
};

static const Schema read_block_schema = { NULL, read_block_fields };

/* "At the moment only one block is returned, containing all the text
 * detected in the image" (the spec): the first block is read. */
static const FieldSpec read_result_fields[] = {
  {"blocks", NULL, KIND_FIRST_INLINE, REQUIRED, &read_block_schema},
  {NULL}
};

static const Schema read_result_schema = { NULL, read_result_fields };

/* The other features' results wrap their list in {"values": [...]}. */
#define VALUES_RESULT(name, field, item_schema)                         \
  static const FieldSpec name##_fields[] = {                            \
    {"values", field, KIND_STRUCT_ARRAY, REQUIRED, item_schema},        \
    {NULL}                                                              \
  };                                                                    \
  static const Schema name##_schema = { NULL, name##_fields }

VALUES_RESULT (dense_captions_result, "dense-captions", &dense_caption_schema);
VALUES_RESULT (tags_result, "tag-details", &gst_cv_analyze_tag_schema);
VALUES_RESULT (objects_result, "objects", &object_schema);
VALUES_RESULT (people_result, "people", &person_schema);
VALUES_RESULT (smart_crops_result, "smart-crops", &smart_crop_schema);

/* The two members the spec requires first; they are still optional here,
 * as in v3.2: an answer without them has lost nothing the element uses. */
static const FieldSpec result_fields[] = {
  {"modelVersion", "model-version", KIND_STRING, OPTIONAL, NULL},
  {"metadata", "metadata", KIND_STRUCT, OPTIONAL,
      &gst_cv_analyze_metadata_schema},
  {"captionResult", NULL, KIND_INLINE, OPTIONAL, &caption_result_schema},
  {"denseCaptionsResult", NULL, KIND_INLINE, OPTIONAL,
      &dense_captions_result_schema},
  {"tagsResult", NULL, KIND_INLINE, OPTIONAL, &tags_result_schema},
  {"objectsResult", NULL, KIND_INLINE, OPTIONAL, &objects_result_schema},
  {"peopleResult", NULL, KIND_INLINE, OPTIONAL, &people_result_schema},
  {"smartCropsResult", NULL, KIND_INLINE, OPTIONAL,
      &smart_crops_result_schema},
  {"readResult", NULL, KIND_INLINE, OPTIONAL, &read_result_schema},
  {NULL}
};

static const Schema result_schema =
    { GST_CV_ANALYZE_RESULT_NAME, result_fields };

/* --- settings --- */

typedef struct
{
  gchar *url;                   /* the same for every request */
} ImageAnalysis;

static void
ensure_debug_category (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized)) {
    GST_DEBUG_CATEGORY_INIT (cv_analyze_image_analysis_debug,
        "cvanalyzeimageanalysis", 0, "cvanalyze Azure Image Analysis 4.0");
    g_once_init_leave (&initialized, 1);
  }
}

static const gchar *
or_default (const gchar * value, const gchar * fallback)
{
  return value && *value ? value : fallback;
}

static gboolean settings_error (GError ** error, const gchar * format, ...)
    G_GNUC_PRINTF (2, 3);

static gboolean
settings_error (GError ** error, const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_SETTINGS, format, args));
  va_end (args);
  return FALSE;
}

/* A comma-separated list of feature names, in any case, into flags. */
static gboolean
parse_features (const gchar * list, guint * flags, GError ** error)
{
  gchar **names = g_strsplit (list, ",", -1);
  gchar **n;
  guint i;

  *flags = 0;
  for (n = names; *n; n++) {
    gchar *name = g_strstrip (*n);

    if (*name == '\0')
      continue;
    for (i = 0; i < G_N_ELEMENTS (feature_names); i++)
      if (g_ascii_strcasecmp (name, feature_names[i].name) == 0)
        break;
    if (i == G_N_ELEMENTS (feature_names)) {
      settings_error (error, "'%s' is not an Image Analysis 4.0 feature: "
          "set features to a comma-separated list of " FEATURE_LIST, name);
      g_strfreev (names);
      return FALSE;
    }
    *flags |= feature_names[i].flag;
  }
  g_strfreev (names);

  if (*flags == 0)
    return settings_error (error, "features is empty: set it to a "
        "comma-separated list of " FEATURE_LIST " (default caption,tags)");
  return TRUE;
}

static gchar *
features_query (guint flags)
{
  GString *out = g_string_new (NULL);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (feature_names); i++) {
    if (!(flags & feature_names[i].flag))
      continue;
    if (out->len)
      g_string_append_c (out, ',');
    g_string_append (out, feature_names[i].name);
  }
  return g_string_free (out, FALSE);
}

/* Numbers in the service's range, written back the way the service reads
 * them (a dot, whatever the locale, no hex or exponent). */
static gchar *
parse_aspect_ratios (const gchar * list, GError ** error)
{
  gchar **values = g_strsplit (list, ",", -1);
  GString *out = g_string_new (NULL);
  gchar **v;

  for (v = values; *v; v++) {
    gchar *text = g_strstrip (*v);
    gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
    gchar *end = NULL;
    gdouble ratio = g_ascii_strtod (text, &end);

    if (*text == '\0' || *end != '\0' || !(ratio >= MIN_ASPECT_RATIO
            && ratio <= MAX_ASPECT_RATIO)) {
      settings_error (error, "smartcrops-aspect-ratios: '%s' is not an "
          "aspect ratio the service takes: set it to comma-separated "
          "numbers (width / height) from 0.75 to 1.8, e.g. 0.9,1.33", text);
      g_strfreev (values);
      g_string_free (out, TRUE);
      return NULL;
    }
    if (out->len)
      g_string_append_c (out, ',');
    g_string_append (out, g_ascii_formatd (buf, sizeof (buf), "%g", ratio));
  }
  g_strfreev (values);
  return g_string_free (out, FALSE);
}

/* A language code ("en", "zh-Hans"): letters, digits and dashes. */
static gboolean
is_language_code (const gchar * language)
{
  const gchar *c;

  if (strlen (language) < 2)
    return FALSE;
  for (c = language; *c; c++)
    if (!g_ascii_isalnum (*c) && *c != '-')
      return FALSE;
  return TRUE;
}

/* The spec's pattern: latest, YYYY-MM-DD or YYYY-MM-DD-preview. */
static gboolean
is_model_version (const gchar * version)
{
  return g_regex_match_simple
      ("^(latest|[0-9]{4}-[0-9]{2}-[0-9]{2})(-preview)?$", version, 0, 0);
}

/* POST {endpoint}/computervision/imageanalysis:analyze?...; the query's
 * values are escaped, but for the commas that separate a list's values. */
static gchar *
build_url (const gchar * endpoint, const gchar * api_version,
    const gchar * features, const gchar * language,
    gboolean gender_neutral_caption, const gchar * aspect_ratios,
    const gchar * model_version)
{
  const gchar *const query[][2] = {
    {"api-version", api_version},
    {"features", features},
    {"language", language},
    {"gender-neutral-caption", gender_neutral_caption ? "true" : "false"},
    {"smartcrops-aspect-ratios", aspect_ratios},        /* nullable */
    {"model-version", model_version},
  };
  GString *url = g_string_new (endpoint);
  gchar separator = '?';
  guint i;

  while (url->len && url->str[url->len - 1] == '/')
    g_string_truncate (url, url->len - 1);
  g_string_append (url, "/computervision/imageanalysis:analyze");
  for (i = 0; i < G_N_ELEMENTS (query); i++) {
    gchar *value;

    if (query[i][1] == NULL)
      continue;
    value = g_uri_escape_string (query[i][1], ",", FALSE);
    g_string_append_printf (url, "%c%s=%s", separator, query[i][0], value);
    separator = '&';
    g_free (value);
  }
  return g_string_free (url, FALSE);
}

static gboolean
check_settings (const GstCvAnalyzeServiceSettings * settings,
    const gchar * api_version, const gchar * language, guint features,
    const gchar * model_version, GError ** error)
{
  if (!g_strv_contains (api_versions, api_version))
    return settings_error (error, "api-version '%s' is not an Image "
        "Analysis 4.0 version: set it to 2023-10-01 (the default) or "
        "2024-02-01", api_version);

  if (!is_language_code (language))
    return settings_error (error, "language '%s' is not a language code: "
        "set it to a two-letter code such as en (the default) or fr",
        language);
  /* Every request would fail (400 NotSupportedLanguage): better to say so
   * once, before the first frame. */
  if ((features & (FEATURE_CAPTION | FEATURE_DENSE_CAPTIONS))
      && g_ascii_strcasecmp (language, "en") != 0)
    return settings_error (error, "Image Analysis 4.0 writes captions and "
        "dense captions in English only: set language=en, or take caption "
        "and denseCaptions out of features (tags alone can come in '%s')",
        language);

  if (!is_model_version (model_version))
    return settings_error (error, "model-version '%s' is not a model "
        "version: set it to latest (the default), YYYY-MM-DD or "
        "YYYY-MM-DD-preview", model_version);

  if (settings->details && *settings->details)
    return settings_error (error, "details (Celebrities, Landmarks) "
        "exists only in Computer Vision v3.2 (api=azure-cv): unset it");

  if (settings->smartcrops_aspect_ratios
      && *settings->smartcrops_aspect_ratios
      && !(features & FEATURE_SMART_CROPS))
    return settings_error (error, "smartcrops-aspect-ratios is set but "
        "features has no smartCrops: add smartCrops to features, or unset "
        "smartcrops-aspect-ratios");
  return TRUE;
}

static gpointer
image_analysis_create (const GstCvAnalyzeServiceSettings * settings,
    gchar ** notice, GError ** error)
{
  const gchar *api_version = or_default (settings->api_version,
      DEFAULT_API_VERSION);
  const gchar *language = or_default (settings->language, DEFAULT_LANGUAGE);
  const gchar *model_version = or_default (settings->model_version,
      DEFAULT_MODEL_VERSION);
  gchar *features_value, *ratios = NULL;
  ImageAnalysis *self;
  guint features;

  ensure_debug_category ();

  if (settings->endpoint == NULL || *settings->endpoint == '\0') {
    settings_error (error, "No Image Analysis endpoint: set endpoint (e.g. "
        "https://<resource>.cognitiveservices.azure.com/) or "
        "AZURE_VISION_ENDPOINT");
    return NULL;
  }
  if (!parse_features (or_default (settings->features, DEFAULT_FEATURES),
          &features, error)
      || !check_settings (settings, api_version, language, features,
          model_version, error))
    return NULL;
  if ((features & FEATURE_SMART_CROPS) && settings->smartcrops_aspect_ratios
      && *settings->smartcrops_aspect_ratios) {
    ratios = parse_aspect_ratios (settings->smartcrops_aspect_ratios, error);
    if (ratios == NULL)
      return NULL;
  }

  features_value = features_query (features);
  self = g_new0 (ImageAnalysis, 1);
  self->url = build_url (settings->endpoint, api_version, features_value,
      language, settings->gender_neutral_caption, ratios, model_version);
  g_free (features_value);
  g_free (ratios);
  GST_DEBUG ("analysing with %s", self->url);
  return self;
}

static void
image_analysis_free (gpointer state)
{
  ImageAnalysis *self = state;

  g_free (self->url);
  g_free (self);
}

/* 4.0 analyses one image a request: the newest. */
static GstCvAnalyzeHttpRequest *
image_analysis_build_request (gpointer state,
    const GstCvAnalyzeRequestInput * input)
{
  ImageAnalysis *self = state;

  return gst_cv_analyze_http_request_new_image (self->url, input);
}

/* --- reading the answer --- */

/* The caption in v3.2's shape too, for consumers that read "captions". */
static void
add_caption_list (GstStructure * result)
{
  const gchar *text = gst_structure_get_string (result, "caption");
  gdouble confidence = 0.0;
  GValue captions = G_VALUE_INIT, caption = G_VALUE_INIT;

  if (text == NULL)
    return;
  gst_structure_get_double (result, "confidence", &confidence);
  g_value_init (&caption, GST_TYPE_STRUCTURE);
  g_value_take_boxed (&caption, gst_structure_new ("caption", "text",
          G_TYPE_STRING, text, "confidence", G_TYPE_DOUBLE, confidence,
          NULL));
  g_value_init (&captions, GST_TYPE_ARRAY);
  gst_value_array_append_and_take_value (&captions, &caption);
  gst_structure_take_value (result, "captions", &captions);
}

static void
read_result (const gchar * body, gsize length, GstCvAnalyzeReply * reply)
{
  GError *err = NULL;
  GstStructure *result = gst_cv_analyze_parse_with_schema (body,
      (gssize) length, &result_schema, &err);

  if (result == NULL) {
    /* Safe text: the walker names the JSON path, quotes nothing sent. */
    reply->kind = GST_CV_ANALYZE_REPLY_FAILED;
    reply->message = g_strdup (err->message);
    g_error_free (err);
    return;
  }

  add_caption_list (result);
  gst_cv_analyze_result_add_tags (result);
  gst_cv_analyze_result_add_read_text (result);
  gst_structure_set (result, "api", G_TYPE_STRING,
      gst_cv_analyze_image_analysis_service.name, NULL);
  GST_LOG ("parsed %" GST_PTR_FORMAT, result);
  reply->kind = GST_CV_ANALYZE_REPLY_RESULT;
  reply->result = result;
}

/* "The feature 'Caption' is not supported in this region" (400,
 * InvalidRequest) would come back for every frame. The code is not
 * checked: the docs give the message, and InvalidRequest covers much else. */
static gboolean
is_region_error (guint status, const gchar * message)
{
  gchar *lower;
  gboolean found;

  if (status != 400 || message == NULL)
    return FALSE;
  lower = g_ascii_strdown (message, -1);
  found = strstr (lower, "not supported in this region") != NULL;
  g_free (lower);
  return found;
}

/* 401, 403 and 429 are the client's to tell apart, by status. */
static void
read_error (guint status, const gchar * body, gsize length,
    GstCvAnalyzeReply * reply)
{
  gst_cv_analyze_azure_error_reply (status, body, length, reply);
  if (is_region_error (status, reply->message)) {
    reply->kind = GST_CV_ANALYZE_REPLY_FATAL;
    g_free (reply->advice);
    reply->advice = g_strdup ("Caption and dense captions are available "
        "only in the Azure regions " CAPTION_REGIONS ": take caption and "
        "denseCaptions out of features, or use a Computer Vision resource "
        "in one of those regions.");
  }
}

static void
image_analysis_handle_reply (gpointer state, guint status, const gchar * body,
    gsize length, GstCvAnalyzeReply * reply)
{
  if (status >= 200 && status < 300)
    read_result (body, length, reply);
  else
    read_error (status, body, length, reply);
}

static const gchar *const endpoint_env[] = {
  "AZURE_VISION_ENDPOINT", "VISION_ENDPOINT", NULL
};

static const gchar *const key_env[] = {
  "AZURE_VISION_KEY", "VISION_KEY", NULL
};

const GstCvAnalyzeServiceClass gst_cv_analyze_image_analysis_service = {
  .api = GST_CV_ANALYZE_API_AZURE_IMAGE_ANALYSIS,
  .name = "azure-image-analysis",
  .auth_header = "Ocp-Apim-Subscription-Key",
  .auth_prefix = "",
  .endpoint_env = endpoint_env,
  .key_env = key_env,
  .default_timeout = 10 * GST_SECOND,
  /* "not allowed to be zero or larger than 20971520 bytes" */
  .max_image_bytes = 20 * 1024 * 1024,
  .create = image_analysis_create,
  .free = image_analysis_free,
  .build_request = image_analysis_build_request,
  .handle_reply = image_analysis_handle_reply,
};
