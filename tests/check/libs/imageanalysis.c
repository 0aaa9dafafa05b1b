/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Unit tests of the Azure Image Analysis 4.0 service, called through its
 * class's function pointers: settings, the request it builds, and its
 * reading of the official examples of the API specification
 * (FIXTURES_DIR/ImageAnalysis/2023-10-01), of broken, hostile and error
 * answers. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>

#include "gstcvanalyzeservice.h"
#include "gstcvanalyzeparser.h"
#include "gstcvanalyzesafetext.h"
#include "../../fuzz/resultcheck.h"

#define IA (&gst_cv_analyze_image_analysis_service)
#define ENDPOINT "https://res.cognitiveservices.azure.com/"
#define ANALYZE_PATH "/computervision/imageanalysis:analyze"

static GstCvAnalyzeServiceSettings
default_settings (void)
{
  GstCvAnalyzeServiceSettings settings = { 0, };

  settings.api = GST_CV_ANALYZE_API_AZURE_IMAGE_ANALYSIS;
  settings.endpoint = ENDPOINT;
  return settings;
}

static gpointer
create_ok (const GstCvAnalyzeServiceSettings * settings)
{
  GError *err = NULL;
  gpointer state = IA->create (settings, NULL, &err);

  fail_unless (state != NULL, "create failed: %s", err ? err->message : "?");
  fail_unless (err == NULL);
  return state;
}

/* The URL every request of @settings goes to. */
static gchar *
request_url (const GstCvAnalyzeServiceSettings * settings)
{
  gpointer state = create_ok (settings);
  GBytes *jpeg = g_bytes_new_static ("\xff\xd8\xff\xd9", 4);
  GstCvAnalyzeImage image = { jpeg, 64, 48 };
  GstCvAnalyzeRequestInput input = { &image, 1, NULL };
  GstCvAnalyzeHttpRequest *request = IA->build_request (state, &input);
  gchar *url = g_strdup (request->url);

  gst_cv_analyze_http_request_free (request);
  g_bytes_unref (jpeg);
  IA->free (state);
  return url;
}

/* The query of @url, parameter by parameter; checks the rest of it. */
static GHashTable *
query_of (const gchar * url, const gchar * expected_path)
{
  GError *err = NULL;
  GUri *uri = g_uri_parse (url, G_URI_FLAGS_ENCODED_QUERY, &err);
  GHashTable *params;

  fail_unless (uri != NULL, "bad URL %s: %s", url, err ? err->message : "");
  fail_unless_equals_string (g_uri_get_scheme (uri), "https");
  fail_unless_equals_string (g_uri_get_host (uri),
      "res.cognitiveservices.azure.com");
  fail_unless_equals_string (g_uri_get_path (uri), expected_path);
  params = g_uri_parse_params (g_uri_get_query (uri), -1, "&",
      G_URI_PARAMS_NONE, &err);
  fail_unless (params != NULL, "bad query in %s", url);
  g_uri_unref (uri);
  return params;
}

static void
assert_param (GHashTable * params, const gchar * name, const gchar * value)
{
  const gchar *got = g_hash_table_lookup (params, name);

  fail_unless (got != NULL, "no %s in the query", name);
  fail_unless_equals_string (got, value);
}

static void
reply_to (guint status, const gchar * body, GstCvAnalyzeReply * reply)
{
  GstCvAnalyzeServiceSettings settings = default_settings ();
  gpointer state = create_ok (&settings);

  memset (reply, 0, sizeof (*reply));
  IA->handle_reply (state, status, body, strlen (body), reply);
  IA->free (state);
  if (reply->code)
    fail_unless (cv_check_safe_text (reply->code,
            GST_CV_ANALYZE_MAX_NAME_CHARS) == NULL, "unsafe code");
  if (reply->message)
    fail_unless (cv_check_safe_text (reply->message,
            GST_CV_ANALYZE_MAX_MESSAGE_CHARS) == NULL, "unsafe message");
}

/* A 200 answer's result, checked safe. */
static GstStructure *
result_of (const gchar * body)
{
  GstCvAnalyzeReply reply;
  GstStructure *result;
  gchar *problem;

  reply_to (200, body, &reply);
  fail_unless (reply.kind == GST_CV_ANALYZE_REPLY_RESULT,
      "no result: %s", reply.message);
  result = g_steal_pointer (&reply.result);
  gst_cv_analyze_reply_clear (&reply);
  fail_unless_equals_string (gst_structure_get_name (result),
      GST_CV_ANALYZE_RESULT_NAME);
  fail_unless_equals_string (gst_structure_get_string (result, "api"),
      "azure-image-analysis");
  problem = cv_check_safe_structure (result);
  fail_unless (problem == NULL, "unsafe result: %s", problem);
  return result;
}

/* The responses.200.body of an official example, as the service sends it. */
static gchar *
example_body (const gchar * name)
{
  gchar *path = g_build_filename (g_getenv ("FIXTURES_DIR"), "ImageAnalysis",
      "2023-10-01", name, NULL);
  JsonParser *parser = json_parser_new ();
  GError *err = NULL;
  JsonNode *found;
  gchar *body;

  fail_unless (json_parser_load_from_file (parser, path, &err),
      "cannot read %s: %s", path, err ? err->message : "?");
  found = json_path_query ("$.responses.200.body",
      json_parser_get_root (parser), NULL);
  fail_unless_equals_int (json_array_get_length (json_node_get_array (found)),
      1);
  body = json_to_string (json_array_get_element (json_node_get_array (found),
          0), FALSE);
  json_node_unref (found);
  g_object_unref (parser);
  g_free (path);
  return body;
}

static GstStructure *
example_result (const gchar * name)
{
  gchar *body = example_body (name);
  GstStructure *result = result_of (body);

  g_free (body);
  return result;
}

/* Item @index of the array field @field of @s. */
static const GValue *
item (const GstStructure * s, const gchar * field, guint index)
{
  const GValue *array = gst_structure_get_value (s, field);

  fail_unless (array != NULL && GST_VALUE_HOLDS_ARRAY (array),
      "no array %s", field);
  fail_unless (index < gst_value_array_get_size (array),
      "%s has no item %u", field, index);
  return gst_value_array_get_value (array, index);
}

#define ITEM(s, field, index) gst_value_get_structure (item (s, field, index))

static guint
size_of (const GstStructure * s, const gchar * field)
{
  const GValue *array = gst_structure_get_value (s, field);

  fail_unless (array != NULL, "no %s", field);
  return gst_value_array_get_size (array);
}

static void
assert_box (const GstStructure * s, gint x, gint y, gint width, gint height)
{
  gint v[4];

  fail_unless (gst_structure_get (s, "x", G_TYPE_INT, &v[0], "y", G_TYPE_INT,
          &v[1], "width", G_TYPE_INT, &v[2], "height", G_TYPE_INT, &v[3],
          NULL), "no box in %" GST_PTR_FORMAT, s);
  fail_unless_equals_int (v[0], x);
  fail_unless_equals_int (v[1], y);
  fail_unless_equals_int (v[2], width);
  fail_unless_equals_int (v[3], height);
}

static void
assert_double (const GstStructure * s, const gchar * field, gdouble expected)
{
  gdouble value = -1;

  fail_unless (gst_structure_get_double (s, field, &value), "no %s", field);
  fail_unless (value == expected, "%s is %.17g, not %.17g", field, value,
      expected);
}

/* The polygon of @s is @n_coords ints, as listed. */
static void
assert_polygon (const GstStructure * s, guint n_coords, ...)
{
  va_list args;
  guint i;

  fail_unless_equals_int (size_of (s, "polygon"), n_coords);
  va_start (args, n_coords);
  for (i = 0; i < n_coords; i++)
    fail_unless_equals_int (g_value_get_int (item (s, "polygon", i)),
        va_arg (args, gint));
  va_end (args);
}

/* The class is what the client needs to reach 4.0: its name, the key's
 * header without a prefix, the environment variables, 10 s, 20 MiB. */
GST_START_TEST (test_class)
{
  fail_unless (IA->api == GST_CV_ANALYZE_API_AZURE_IMAGE_ANALYSIS);
  fail_unless_equals_string (IA->name, "azure-image-analysis");
  fail_unless_equals_string (IA->auth_header, "Ocp-Apim-Subscription-Key");
  fail_unless_equals_string (IA->auth_prefix, "");
  fail_unless_equals_string (IA->endpoint_env[0], "AZURE_VISION_ENDPOINT");
  fail_unless_equals_string (IA->endpoint_env[1], "VISION_ENDPOINT");
  fail_unless (IA->endpoint_env[2] == NULL);
  fail_unless_equals_string (IA->key_env[0], "AZURE_VISION_KEY");
  fail_unless_equals_string (IA->key_env[1], "VISION_KEY");
  fail_unless (IA->key_env[2] == NULL);
  fail_unless_equals_uint64 (IA->default_timeout, 10 * GST_SECOND);
  fail_unless_equals_uint64 (IA->max_image_bytes, 20971520);
}

GST_END_TEST;

/* Unset settings give the documented defaults: API 2023-10-01, caption and
 * tags in English, no gender-neutral captions, the latest model, no
 * smart-crop ratios; the endpoint's trailing slashes are dropped. */
GST_START_TEST (test_default_url)
{
  GstCvAnalyzeServiceSettings settings = default_settings ();
  gchar *url;
  GHashTable *params;

  settings.endpoint = ENDPOINT "/";
  url = request_url (&settings);
  params = query_of (url, ANALYZE_PATH);
  assert_param (params, "api-version", "2023-10-01");
  assert_param (params, "features", "caption,tags");
  assert_param (params, "language", "en");
  assert_param (params, "gender-neutral-caption", "false");
  assert_param (params, "model-version", "latest");
  fail_unless_equals_int (g_hash_table_size (params), 5);
  /* The list's commas are sent as they are. */
  fail_unless (strstr (url, "features=caption,tags") != NULL, "%s", url);
  g_hash_table_unref (params);
  g_free (url);

  /* Empty strings count as unset. */
  settings.api_version = settings.features = settings.language = "";
  settings.model_version = settings.smartcrops_aspect_ratios = "";
  url = request_url (&settings);
  params = query_of (url, ANALYZE_PATH);
  assert_param (params, "features", "caption,tags");
  fail_unless_equals_int (g_hash_table_size (params), 5);
  g_hash_table_unref (params);
  g_free (url);
}

GST_END_TEST;

/* Each setting lands in its parameter: features in any case, spaced and
 * repeated, come out once each as the service spells them; aspect ratios
 * are sent (as plain decimals) only with smartCrops; the other API
 * version, a pinned model, gender-neutral captions, tags in French. */
GST_START_TEST (test_settings_url)
{
  GstCvAnalyzeServiceSettings settings = default_settings ();
  gchar *url;
  GHashTable *params;

  settings.features = " READ, Objects,people ,SMARTCROPS,densecaptions,"
      "Caption,caption,TAGS";
  settings.smartcrops_aspect_ratios = "0.9, 1.33,1.8,0.75,1.0";
  settings.gender_neutral_caption = TRUE;
  settings.model_version = "2023-10-01-preview";
  settings.api_version = "2024-02-01";
  url = request_url (&settings);
  params = query_of (url, ANALYZE_PATH);
  assert_param (params, "api-version", "2024-02-01");
  assert_param (params, "features",
      "caption,denseCaptions,tags,objects,read,people,smartCrops");
  assert_param (params, "smartcrops-aspect-ratios", "0.9,1.33,1.8,0.75,1");
  assert_param (params, "gender-neutral-caption", "true");
  assert_param (params, "model-version", "2023-10-01-preview");
  assert_param (params, "language", "en");
  fail_unless_equals_int (g_hash_table_size (params), 6);
  g_hash_table_unref (params);
  g_free (url);

  /* Without captions, tags can come in another language. */
  settings = default_settings ();
  settings.features = "tags,objects";
  settings.language = "fr";
  settings.endpoint = "http://127.0.0.1:8080";
  url = request_url (&settings);
  fail_unless_equals_string (url, "http://127.0.0.1:8080" ANALYZE_PATH
      "?api-version=2023-10-01&features=tags,objects&language=fr"
      "&gender-neutral-caption=false&model-version=latest");
  g_free (url);

  /* smartCrops without ratios: the service picks one. */
  settings = default_settings ();
  settings.features = "smartCrops";
  url = request_url (&settings);
  params = query_of (url, ANALYZE_PATH);
  assert_param (params, "features", "smartCrops");
  fail_unless (!g_hash_table_contains (params, "smartcrops-aspect-ratios"));
  g_hash_table_unref (params);
  g_free (url);
}

GST_END_TEST;

typedef struct
{
  const gchar *api_version;
  const gchar *features;
  const gchar *language;
  const gchar *model_version;
  const gchar *ratios;
  const gchar *details;
  const gchar *expected;        /* in the message */
} BadSettings;

static const BadSettings bad_settings[] = {
  {"v3.2", NULL, NULL, NULL, NULL, NULL,
      "api-version 'v3.2' is not an Image Analysis 4.0 version: set it to "
      "2023-10-01 (the default) or 2024-02-01"},
  {"2023-02-01-preview", NULL, NULL, NULL, NULL, NULL, "2024-02-01"},
  {NULL, "Description,Tags", NULL, NULL, NULL, NULL,
      "'Description' is not an Image Analysis 4.0 feature: set features to a "
      "comma-separated list of caption, denseCaptions, tags, objects, read, "
      "people, smartCrops"},
  {NULL, " , ,", NULL, NULL, NULL, NULL, "features is empty"},
  {NULL, NULL, "fr", NULL, NULL, NULL,
      "captions and dense captions in English only: set language=en, or "
      "take caption and denseCaptions out of features"},
  {NULL, "denseCaptions", "de", NULL, NULL, NULL, "English only"},
  {NULL, "tags", "e", NULL, NULL, NULL,
      "language 'e' is not a language code"},
  {NULL, "tags", "en&x=1", NULL, NULL, NULL, "not a language code"},
  {NULL, NULL, NULL, "newest", NULL, NULL,
      "model-version 'newest' is not a model version: set it to latest "
      "(the default), YYYY-MM-DD or YYYY-MM-DD-preview"},
  {NULL, NULL, NULL, "2023-1-01", NULL, NULL, "not a model version"},
  {NULL, "smartCrops", NULL, NULL, "0.9,0.5", NULL,
      "smartcrops-aspect-ratios: '0.5' is not an aspect ratio the service "
      "takes: set it to comma-separated numbers (width / height) from 0.75 "
      "to 1.8"},
  {NULL, "smartCrops", NULL, NULL, "1.81", NULL, "'1.81'"},
  {NULL, "smartCrops", NULL, NULL, "wide", NULL, "'wide'"},
  {NULL, "smartCrops", NULL, NULL, "1.0,", NULL, "'' is not"},
  {NULL, "smartCrops", NULL, NULL, "nan", NULL, "'nan'"},
  {NULL, "smartCrops", NULL, NULL, "1.2x", NULL, "'1.2x'"},
  {NULL, "caption", NULL, NULL, "1.0", NULL,
      "smartcrops-aspect-ratios is set but features has no smartCrops: add "
      "smartCrops to features, or unset smartcrops-aspect-ratios"},
  {NULL, NULL, NULL, NULL, NULL, "Landmarks",
      "details (Celebrities, Landmarks) exists only in Computer Vision v3.2 "
      "(api=azure-cv): unset it"},
};

/* Settings the service cannot take are refused at create() with a
 * settings error that names the setting and what to set it to. */
GST_START_TEST (test_refused_settings)
{
  GstCvAnalyzeServiceSettings settings;
  GError *err = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad_settings); i++) {
    const BadSettings *bad = &bad_settings[i];

    settings = default_settings ();
    settings.api_version = bad->api_version;
    settings.features = bad->features;
    settings.language = bad->language;
    settings.model_version = bad->model_version;
    settings.smartcrops_aspect_ratios = bad->ratios;
    settings.details = bad->details;
    fail_unless (IA->create (&settings, NULL, &err) == NULL, "case %u accepted", i);
    fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
            GST_RESOURCE_ERROR_SETTINGS), "case %u: wrong error", i);
    fail_unless (strstr (err->message, bad->expected) != NULL,
        "case %u: '%s' does not say '%s'", i, err->message, bad->expected);
    g_clear_error (&err);
  }

  settings = default_settings ();
  settings.endpoint = NULL;
  fail_unless (IA->create (&settings, NULL, &err) == NULL);
  fail_unless (strstr (err->message, "AZURE_VISION_ENDPOINT") != NULL);
  g_clear_error (&err);
}

GST_END_TEST;

/* A request is a POST of the newest image's JPEG, as it is, to the URL;
 * 4.0 takes one image, so older ones are not sent. */
GST_START_TEST (test_request_sends_newest_image)
{
  GstCvAnalyzeServiceSettings settings = default_settings ();
  gpointer state = create_ok (&settings);
  GstCvAnalyzeImage images[3] = {
    {g_bytes_new_static ("old", 3), 64, 48},
    {g_bytes_new_static ("older", 5), 64, 48},
    {g_bytes_new_static ("\xff\xd8newest\xff\xd9", 10), 320, 240},
  };
  GstCvAnalyzeRequestInput input = { images, 3, NULL };
  GstCvAnalyzeHttpRequest *request = IA->build_request (state, &input);
  guint i;

  fail_unless_equals_string (request->method, "POST");
  fail_unless_equals_string (request->content_type,
      "application/octet-stream");
  fail_unless (g_bytes_equal (request->body, images[2].jpeg));
  fail_unless (g_str_has_prefix (request->url, "https://"
          "res.cognitiveservices.azure.com" ANALYZE_PATH "?"));
  gst_cv_analyze_http_request_free (request);

  input.n_images = 1;
  request = IA->build_request (state, &input);
  fail_unless (g_bytes_equal (request->body, images[0].jpeg));
  gst_cv_analyze_http_request_free (request);

  IA->free (state);
  for (i = 0; i < G_N_ELEMENTS (images); i++)
    g_bytes_unref (images[i].jpeg);
}

GST_END_TEST;

/* Every official example parses into a safe result. */
GST_START_TEST (test_all_examples_parse)
{
  gchar *path = g_build_filename (g_getenv ("FIXTURES_DIR"), "ImageAnalysis",
      "2023-10-01", NULL);
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;
  guint count = 0;

  fail_unless (dir != NULL, "no %s", path);
  while ((name = g_dir_read_name (dir)) != NULL) {
    GstStructure *result = example_result (name);

    fail_unless (gst_structure_has_field (result, "model-version"), "%s",
        name);
    fail_unless (gst_structure_has_field (result, "text"), "%s", name);
    gst_structure_free (result);
    count++;
  }
  fail_unless_equals_int (count, 5);
  g_dir_close (dir);
  g_free (path);
}

GST_END_TEST;

/* The full example (every feature) gives the values it holds, in the
 * element's result model. */
GST_START_TEST (test_example_values)
{
  GstStructure *r = example_result ("AnalyzeFromBuffer_MaximumSet.json");
  const GstStructure *s, *metadata = NULL;
  gint n;

  fail_unless_equals_string (gst_structure_get_string (r, "caption"),
      "a woman wearing a mask sitting at a table with a laptop");
  assert_double (r, "confidence", 0.8498482704162598);
  fail_unless_equals_int (size_of (r, "captions"), 1);
  s = ITEM (r, "captions", 0);
  fail_unless_equals_string (gst_structure_get_name (s), "caption");
  fail_unless_equals_string (gst_structure_get_string (s, "text"),
      "a woman wearing a mask sitting at a table with a laptop");
  assert_double (s, "confidence", 0.8498482704162598);

  fail_unless_equals_int (size_of (r, "dense-captions"), 10);
  s = ITEM (r, "dense-captions", 0);
  assert_box (s, 0, 0, 864, 576);
  s = ITEM (r, "dense-captions", 1);
  fail_unless_equals_string (gst_structure_get_name (s), "dense-caption");
  fail_unless_equals_string (gst_structure_get_string (s, "text"),
      "a person using a laptop");
  assert_double (s, "confidence", 0.7724273204803467);
  assert_box (s, 293, 383, 195, 100);

  fail_unless_equals_int (size_of (r, "tag-details"), 14);
  fail_unless_equals_int (size_of (r, "tags"), 14);
  fail_unless_equals_string (g_value_get_string (item (r, "tags", 0)),
      "furniture");
  fail_unless_equals_string (g_value_get_string (item (r, "tags", 13)),
      "using");
  s = ITEM (r, "tag-details", 6);
  fail_unless_equals_string (gst_structure_get_name (s), "tag");
  fail_unless_equals_string (gst_structure_get_string (s, "name"), "laptop");
  assert_double (s, "confidence", 0.8781813383102417);

  fail_unless_equals_int (size_of (r, "objects"), 5);
  s = ITEM (r, "objects", 2);
  fail_unless_equals_string (gst_structure_get_name (s), "object");
  fail_unless_equals_string (gst_structure_get_string (s, "object"),
      "Laptop");
  assert_double (s, "confidence", 0.767);
  assert_box (s, 295, 387, 211, 102);
  fail_unless_equals_int (size_of (s, "tags"), 1);
  fail_unless_equals_string (gst_structure_get_string (ITEM (s, "tags", 0),
          "name"), "Laptop");
  s = ITEM (r, "objects", 4);
  fail_unless_equals_string (gst_structure_get_string (s, "object"),
      "dining table");
  assert_box (s, 123, 437, 460, 125);

  fail_unless_equals_int (size_of (r, "people"), 2);
  s = ITEM (r, "people", 1);
  fail_unless_equals_string (gst_structure_get_name (s), "person");
  assert_box (s, 831, 246, 31, 255);
  assert_double (s, "confidence", 0.0016505217645317316);

  fail_unless_equals_int (size_of (r, "smart-crops"), 2);
  s = ITEM (r, "smart-crops", 1);
  fail_unless_equals_string (gst_structure_get_name (s), "smart-crop");
  assert_double (s, "aspect-ratio", 1.33);
  assert_box (s, 54, 0, 760, 571);

  fail_unless_equals_string (gst_structure_get_string (r, "text"),
      "Sample text Hand writing 123 456");
  fail_unless_equals_int (size_of (r, "text-lines"), 3);
  s = ITEM (r, "text-lines", 1);
  fail_unless_equals_string (gst_structure_get_name (s), "text-line");
  fail_unless_equals_string (gst_structure_get_string (s, "text"),
      "Hand writing");
  assert_polygon (s, 8, 720, 525, 819, 526, 819, 544, 720, 543);
  assert_box (s, 720, 525, 99, 19);
  fail_unless_equals_int (size_of (s, "words"), 2);
  s = ITEM (s, "words", 1);
  fail_unless_equals_string (gst_structure_get_name (s), "text-word");
  fail_unless_equals_string (gst_structure_get_string (s, "text"),
      "writing");
  assert_double (s, "confidence", 0.994);
  assert_polygon (s, 8, 765, 526, 819, 527, 819, 545, 765, 544);
  assert_box (s, 765, 526, 54, 19);

  fail_unless_equals_string (gst_structure_get_string (r, "model-version"),
      "2023-10-01");
  fail_unless (gst_structure_get (r, "metadata", GST_TYPE_STRUCTURE,
          &metadata, NULL));
  fail_unless (gst_structure_get_int (metadata, "width", &n));
  fail_unless_equals_int (n, 864);
  fail_unless (gst_structure_get_int (metadata, "height", &n));
  fail_unless_equals_int (n, 576);
  gst_structure_free ((GstStructure *) metadata);
  gst_structure_free (r);
}

GST_END_TEST;

/* The generated examples: an empty objects list stays an empty list, and
 * zero-sized boxes and polygons are kept as sent. */
GST_START_TEST (test_generated_examples)
{
  GstStructure *r = example_result ("AnalyzeFromUrl_MaximumSet_Gen.json");

  fail_unless_equals_int (size_of (r, "objects"), 0);
  fail_unless_equals_int (size_of (r, "people"), 0);
  fail_unless_equals_string (gst_structure_get_string (r, "caption"),
      "eujzgahfdfokuudyunrrolbesj");
  fail_unless_equals_string (gst_structure_get_string (r, "text"),
      "xibroqhhpzqgxwmxdawjptfvk");
  assert_box (ITEM (r, "text-lines", 0), 0, 0, 0, 0);
  assert_box (ITEM (r, "smart-crops", 0), 0, 0, 0, 0);
  gst_structure_free (r);

  r = example_result ("AnalyzeFromBuffer_MaximumSet_Gen.json");
  fail_unless_equals_int (size_of (r, "people"), 1);
  assert_double (ITEM (r, "people", 0), "confidence", 0);
  fail_unless_equals_string (gst_structure_get_string (r, "model-version"),
      "ctxcmimmubzkgdnzuoagpqzxlckf");
  gst_structure_free (r);
}

GST_END_TEST;

static void
assert_fields (const GstStructure * s, const gchar * const *fields)
{
  guint i;

  for (i = 0; fields[i]; i++)
    fail_unless (gst_structure_has_field (s, fields[i]), "no %s in %"
        GST_PTR_FORMAT, fields[i], s);
  fail_unless_equals_int (gst_structure_n_fields (s), i);
}

/* An answer with only some features gives only their fields. */
GST_START_TEST (test_partial_answers)
{
  static const gchar *const caption_fields[] = { "caption", "confidence",
    "captions", "model-version", "metadata", "api", NULL
  };
  static const gchar *const read_fields[] = { "text-lines", "text", "api",
    NULL
  };
  GstStructure *r = result_of ("{\"modelVersion\":\"2023-10-01\","
      "\"metadata\":{\"width\":64,\"height\":48},"
      "\"captionResult\":{\"text\":\"a cat\",\"confidence\":0.5}}");

  assert_fields (r, caption_fields);
  fail_unless_equals_string (gst_structure_get_string (r, "caption"),
      "a cat");
  gst_structure_free (r);

  r = result_of ("{\"readResult\":{\"blocks\":[{\"lines\":["
      "{\"text\":\"EXIT\",\"boundingPolygon\":[{\"x\":10,\"y\":20},"
      "{\"x\":30,\"y\":22},{\"x\":31,\"y\":40},{\"x\":9,\"y\":38}],"
      "\"words\":[]},"
      "{\"text\":\"Gate 4\",\"boundingPolygon\":[{\"x\":1,\"y\":2}]}]}]}}");
  assert_fields (r, read_fields);
  fail_unless_equals_string (gst_structure_get_string (r, "text"),
      "EXIT Gate 4");
  assert_box (ITEM (r, "text-lines", 0), 9, 20, 22, 20);
  assert_box (ITEM (r, "text-lines", 1), 1, 2, 0, 0);
  fail_unless (!gst_structure_has_field (ITEM (r, "text-lines", 1), "words"));
  gst_structure_free (r);

  /* Read found nothing: no lines, no text. */
  r = result_of ("{\"readResult\":{\"blocks\":[]}}");
  fail_unless_equals_int (gst_structure_n_fields (r), 1);
  gst_structure_free (r);
}

GST_END_TEST;

/* An object without tags has its box and an empty tags list, but no name:
 * what the service did not say is not made up. */
GST_START_TEST (test_object_without_tags)
{
  GstStructure *r = result_of ("{\"objectsResult\":{\"values\":["
      "{\"boundingBox\":{\"x\":1,\"y\":2,\"w\":3,\"h\":4},\"tags\":[]}]}}");
  const GstStructure *object = ITEM (r, "objects", 0);

  assert_box (object, 1, 2, 3, 4);
  fail_unless_equals_int (size_of (object, "tags"), 0);
  fail_unless (!gst_structure_has_field (object, "object"));
  fail_unless (!gst_structure_has_field (object, "confidence"));
  gst_structure_free (r);
}

GST_END_TEST;

typedef struct
{
  const gchar *body;
  const gchar *expected;        /* in the message */
} BadBody;

#define LINE(text, polygon) "{\"readResult\":{\"blocks\":[{\"lines\":[" \
    "{\"text\":" text ",\"boundingPolygon\":" polygon "}]}]}}"

static const BadBody bad_bodies[] = {
  {"{\"captionResult\":{\"text\":5,\"confidence\":0.5}}",
      "field 'captionResult.text' has the wrong type: expected string, "
      "got number"},
  {"{\"captionResult\":{\"text\":\"a\"}}",
      "field 'captionResult.confidence' is missing"},
  {"{\"captionResult\":\"a cat\"}",
      "field 'captionResult' has the wrong type: expected object"},
  {"{\"tagsResult\":{\"values\":[{\"name\":\"a\",\"confidence\":\"high\"}]}}",
      "field 'tagsResult.values[0].confidence' has the wrong type: expected "
      "number, got string"},
  {"{\"tagsResult\":{\"values\":{}}}",
      "field 'tagsResult.values' has the wrong type: expected array"},
  {"{\"objectsResult\":{\"values\":[{\"boundingBox\":{\"x\":1,\"y\":2,"
      "\"w\":3,\"h\":4},\"tags\":[{\"name\":7,\"confidence\":1}]}]}}",
      "field 'objectsResult.values[0].tags[0].name' has the wrong type"},
  {"{\"objectsResult\":{\"values\":[{\"boundingBox\":{\"x\":1,\"y\":2,"
      "\"w\":3,\"h\":4},\"tags\":[null]}]}}",
      "field 'objectsResult.values[0].tags[0]' has the wrong type: expected "
      "object, got null"},
  {"{\"objectsResult\":{\"values\":[{\"boundingBox\":{\"x\":1,\"y\":2,"
      "\"w\":3,\"h\":4},\"tags\":{\"name\":\"a\"}}]}}",
      "field 'objectsResult.values[0].tags' has the wrong type: expected "
      "array, got object"},
  {"{\"objectsResult\":{\"values\":[{\"boundingBox\":{\"x\":1,\"y\":2,"
      "\"w\":3,\"h\":4},\"tags\":[{\"name\":\"a\",\"confidence\":1},"
      "{\"name\":\"b\"}]}]}}",
      "field 'objectsResult.values[0].tags[1].confidence' is missing"},
  {"{\"denseCaptionsResult\":{\"values\":[{\"text\":\"a\",\"confidence\":1,"
      "\"boundingBox\":{\"x\":1,\"y\":2,\"w\":3}}]}}",
      "field 'denseCaptionsResult.values[0].boundingBox.h' is missing"},
  {"{\"peopleResult\":{\"values\":[{\"boundingBox\":{\"x\":1.5,\"y\":2,"
      "\"w\":3,\"h\":4},\"confidence\":1}]}}",
      "field 'peopleResult.values[0].boundingBox.x' has the wrong type: "
      "expected integer, got 1.5"},
  {"{\"smartCropsResult\":{\"values\":[{\"aspectRatio\":\"1.33\","
      "\"boundingBox\":{\"x\":1,\"y\":2,\"w\":3,\"h\":4}}]}}",
      "field 'smartCropsResult.values[0].aspectRatio' has the wrong type"},
  {"{\"readResult\":{\"blocks\":{}}}",
      "field 'readResult.blocks' has the wrong type: expected array"},
  {"{\"readResult\":{\"blocks\":[{\"lines\":5}]}}",
      "field 'readResult.blocks[0].lines' has the wrong type"},
  {LINE ("\"a\"", "[{\"x\":1,\"y\":2},{\"x\":3,\"y\":\"4\"}]"),
      "field 'readResult.blocks[0].lines[0].boundingPolygon[1].y' has the "
      "wrong type: expected integer, got string"},
  {LINE ("\"a\"", "[{\"x\":1}]"),
      "field 'readResult.blocks[0].lines[0].boundingPolygon[0].y' is "
      "missing"},
  {LINE ("\"a\"", "[[1,2]]"),
      "field 'readResult.blocks[0].lines[0].boundingPolygon[0]' has the "
      "wrong type: expected object, got array"},
  {LINE ("\"a\"", "{\"x\":1,\"y\":2}"),
      "field 'readResult.blocks[0].lines[0].boundingPolygon' has the wrong "
      "type: expected array, got object"},
  {LINE ("\"a\"", "[{\"x\":-2147483648,\"y\":0},{\"x\":2147483647,\"y\":0}]"),
      "field 'readResult.blocks[0].lines[0].boundingPolygon' is out of "
      "range"},
  {LINE ("\"a\"", "[{\"x\":2147483648,\"y\":0}]"),
      "boundingPolygon[0].x' is out of range"},
  {LINE ("null", "[]"), "field 'readResult.blocks[0].lines[0].text' has "
      "the wrong type: expected string, got null"},
  {"{\"readResult\":{\"blocks\":[{\"lines\":[{\"text\":\"a\","
      "\"boundingPolygon\":[],\"words\":[{\"text\":\"a\",\"confidence\":1,"
      "\"boundingPolygon\":[{\"x\":true,\"y\":0}]}]}]}]}}",
      "field 'readResult.blocks[0].lines[0].words[0].boundingPolygon[0].x' "
      "has the wrong type"},
  {"{\"metadata\":{\"width\":\"64\",\"height\":48}}",
      "field 'metadata.width' has the wrong type"},
  {"{\"modelVersion\":2023}", "field 'modelVersion' has the wrong type"},
  {"[]", "response is not a JSON object"},
  {"<html>oops</html>", "response is not valid JSON"},
  {"", "response is empty"},
  {"{\"error\":{\"code\":\"InternalServerError\",\"message\":\"busy\"}}",
      "response is an error: InternalServerError: busy"},
};

/* A 200 answer with a member of the wrong type (or missing where required,
 * or out of range) fails whole, and the message names the JSON path. */
GST_START_TEST (test_wrong_types_refused)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad_bodies); i++) {
    GstCvAnalyzeReply reply;

    reply_to (200, bad_bodies[i].body, &reply);
    fail_unless (reply.kind == GST_CV_ANALYZE_REPLY_FAILED,
        "case %u accepted", i);
    fail_unless (reply.result == NULL);
    fail_unless (reply.message != NULL
        && strstr (reply.message, bad_bodies[i].expected) != NULL,
        "case %u: '%s' does not say '%s'", i, reply.message,
        bad_bodies[i].expected);
    gst_cv_analyze_reply_clear (&reply);
  }
}

GST_END_TEST;

/* Error answers fail the request with the service's code and message
 * (4.0's innererror added, its target and details ignored); 401, 403 and
 * 429 are nothing special here; without an error body, the status is
 * said. */
GST_START_TEST (test_error_answers)
{
  GstCvAnalyzeReply reply;
  guint statuses[] = { 400, 401, 403, 404, 415, 429, 500, 503 };
  guint i;

  reply_to (400, "{\"error\":{\"code\":\"InvalidRequest\",\"message\":"
      "\"Image format is not valid.\",\"target\":\"imageContent\","
      "\"details\":[{\"code\":\"x\",\"message\":\"y\"}],\"innererror\":"
      "{\"code\":\"InvalidImageFormat\",\"message\":\"Input data is not a "
      "valid image.\"}}}", &reply);
  fail_unless (reply.kind == GST_CV_ANALYZE_REPLY_FAILED);
  fail_unless_equals_string (reply.code, "InvalidRequest");
  fail_unless_equals_string (reply.message, "Image format is not valid. "
      "(InvalidImageFormat: Input data is not a valid image.)");
  fail_unless (reply.advice == NULL && reply.result == NULL);
  gst_cv_analyze_reply_clear (&reply);

  for (i = 0; i < G_N_ELEMENTS (statuses); i++) {
    reply_to (statuses[i], "{\"error\":{\"code\":\"401\",\"message\":"
        "\"Access denied due to invalid subscription key or wrong API "
        "endpoint.\"}}", &reply);
    fail_unless (reply.kind == GST_CV_ANALYZE_REPLY_FAILED, "%u",
        statuses[i]);
    fail_unless_equals_string (reply.code, "401");
    fail_unless (g_str_has_prefix (reply.message, "Access denied"));
    gst_cv_analyze_reply_clear (&reply);
  }

  reply_to (502, "<html>Bad Gateway</html>", &reply);
  fail_unless (reply.kind == GST_CV_ANALYZE_REPLY_FAILED);
  fail_unless (reply.code == NULL);
  fail_unless_equals_string (reply.message,
      "HTTP status 502, without an error message");
  gst_cv_analyze_reply_clear (&reply);
}

GST_END_TEST;

/* Caption asked of a resource in a region without it fails every frame the
 * same way: FATAL, with advice naming the regions that have it and what to
 * change. The same words with another status are an ordinary failure. */
GST_START_TEST (test_region_error_is_fatal)
{
  static const gchar *const regions[] = { "East US", "West US",
    "France Central", "North Europe", "West Europe", "Southeast Asia",
    "East Asia", "Korea Central"
  };
  const gchar *body = "{\"error\":{\"code\":\"InvalidRequest\",\"message\":"
      "\"The feature 'Caption' is not supported in this region\"}}";
  GstCvAnalyzeReply reply;
  guint i;

  reply_to (400, body, &reply);
  fail_unless (reply.kind == GST_CV_ANALYZE_REPLY_FATAL);
  fail_unless_equals_string (reply.code, "InvalidRequest");
  fail_unless_equals_string (reply.message,
      "The feature 'Caption' is not supported in this region");
  fail_unless (reply.advice != NULL);
  for (i = 0; i < G_N_ELEMENTS (regions); i++)
    fail_unless (strstr (reply.advice, regions[i]) != NULL, "%s not in %s",
        regions[i], reply.advice);
  fail_unless (strstr (reply.advice, "take caption and denseCaptions out of "
          "features, or use a Computer Vision resource in one of those "
          "regions") != NULL, "%s", reply.advice);
  fail_unless (cv_check_safe_text (reply.advice,
          GST_CV_ANALYZE_MAX_MESSAGE_CHARS) == NULL);
  gst_cv_analyze_reply_clear (&reply);

  reply_to (400, "{\"error\":{\"code\":\"InvalidRequest\",\"message\":"
      "\"The feature 'DenseCaptions' is NOT supported in this region.\"}}",
      &reply);
  fail_unless (reply.kind == GST_CV_ANALYZE_REPLY_FATAL);
  gst_cv_analyze_reply_clear (&reply);

  reply_to (500, body, &reply);
  fail_unless (reply.kind == GST_CV_ANALYZE_REPLY_FAILED);
  fail_unless (reply.advice == NULL);
  gst_cv_analyze_reply_clear (&reply);
}

GST_END_TEST;

/* ESC sequences, BEL, NUL, bidi overrides, C1 controls, tab, newline and
 * lone surrogates, as escapes in the JSON. */
#define HOSTILE "a\\u001b[2J\\u001b]0;pwned\\u0007 b\\u0000c \\u202ed " \
    "e\\u0085f\\u009bg h\\ti\\nj \\ud800k \\udfff"
/* ... as safe text: controls gone, breaks and tabs spaces, U+FFFD for each
 * lone surrogate */
#define HOSTILE_SAFE "a[2J]0;pwned bc d e fg h i j \xef\xbf\xbdk \xef\xbf\xbd"

/* Hostile strings in the caption, dense captions, tags, object names, read
 * lines and words and the model version come out as safe text, and the
 * joined read text too. */
GST_START_TEST (test_hostile_strings_made_safe)
{
  GstStructure *r = result_of ("{\"modelVersion\":\"" HOSTILE "\","
      "\"captionResult\":{\"text\":\"" HOSTILE "\",\"confidence\":0.5},"
      "\"denseCaptionsResult\":{\"values\":[{\"text\":\"" HOSTILE "\","
      "\"confidence\":0.5,\"boundingBox\":{\"x\":0,\"y\":0,\"w\":1,"
      "\"h\":1}}]},"
      "\"tagsResult\":{\"values\":[{\"name\":\"" HOSTILE "\","
      "\"confidence\":0.9}]},"
      "\"objectsResult\":{\"values\":[{\"boundingBox\":{\"x\":0,\"y\":0,"
      "\"w\":1,\"h\":1},\"tags\":[{\"name\":\"" HOSTILE "\","
      "\"confidence\":0.9}]}]},"
      "\"readResult\":{\"blocks\":[{\"lines\":[{\"text\":\"" HOSTILE "\","
      "\"boundingPolygon\":[{\"x\":0,\"y\":0}],\"words\":[{\"text\":\""
      HOSTILE "\",\"confidence\":1,\"boundingPolygon\":[{\"x\":0,"
      "\"y\":0}]}]},{\"text\":\"\\u001b\\u0007\",\"boundingPolygon\":[]},"
      "{\"text\":\"end\\u0000\",\"boundingPolygon\":[]}]}]}}");
  const GstStructure *line = ITEM (r, "text-lines", 0);

  fail_unless_equals_string (gst_structure_get_string (r, "caption"),
      HOSTILE_SAFE);
  fail_unless_equals_string (gst_structure_get_string (ITEM (r, "captions",
              0), "text"), HOSTILE_SAFE);
  fail_unless_equals_string (gst_structure_get_string (ITEM (r,
              "dense-captions", 0), "text"), HOSTILE_SAFE);
  fail_unless_equals_string (g_value_get_string (item (r, "tags", 0)),
      HOSTILE_SAFE);
  fail_unless_equals_string (gst_structure_get_string (ITEM (r, "objects",
              0), "object"), HOSTILE_SAFE);
  fail_unless_equals_string (gst_structure_get_string (line, "text"),
      HOSTILE_SAFE);
  fail_unless_equals_string (gst_structure_get_string (ITEM (line, "words",
              0), "text"), HOSTILE_SAFE);
  fail_unless_equals_string (gst_structure_get_string (r, "model-version"),
      HOSTILE_SAFE);
  /* The line that was all controls adds nothing, not a double space. */
  fail_unless_equals_string (gst_structure_get_string (r, "text"),
      HOSTILE_SAFE " end");
  gst_structure_free (r);
}

GST_END_TEST;

/* An error body's hostile code and message come out safe, FATAL's too. */
GST_START_TEST (test_hostile_error_made_safe)
{
  GstCvAnalyzeReply reply;

  reply_to (400, "{\"error\":{\"code\":\"" HOSTILE "\",\"message\":\""
      HOSTILE " not supported in this region\"}}", &reply);
  fail_unless (reply.kind == GST_CV_ANALYZE_REPLY_FATAL);
  fail_unless_equals_string (reply.code, HOSTILE_SAFE);
  fail_unless_equals_string (reply.message,
      HOSTILE_SAFE " not supported in this region");
  gst_cv_analyze_reply_clear (&reply);
}

GST_END_TEST;

static gchar *
repeated (const gchar * word, guint times)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < times; i++)
    g_string_append (s, word);
  return g_string_free (s, FALSE);
}

/* Long read text is capped like a caption: a 3000-character line, and the
 * joined text of 3000 short lines, are cut to 1000 characters ending in an
 * ellipsis; a 2000-point polygon keeps its first 500 points, 1000 ints. */
GST_START_TEST (test_read_text_capped)
{
  gchar *long_text = repeated ("abc", 1000);
  gchar *line = g_strdup ("{\"text\":\"line\",\"boundingPolygon\":"
      "[{\"x\":0,\"y\":0}]},");
  gchar *lines = repeated (line, 3000);
  gchar *points = repeated ("{\"x\":1,\"y\":2},", 2000);
  gchar *body;
  GstStructure *r;
  const gchar *text;

  body = g_strdup_printf ("{\"readResult\":{\"blocks\":[{\"lines\":["
      "{\"text\":\"%s\",\"boundingPolygon\":[%s{\"x\":0,\"y\":0}]}]}]}}",
      long_text, points);
  r = result_of (body);
  text = gst_structure_get_string (r, "text");
  fail_unless_equals_int (g_utf8_strlen (text, -1), 1000);
  fail_unless (g_str_has_suffix (text, "\xe2\x80\xa6"));
  fail_unless_equals_int (size_of (ITEM (r, "text-lines", 0), "polygon"),
      GST_CV_ANALYZE_MAX_ARRAY_ITEMS);
  assert_box (ITEM (r, "text-lines", 0), 1, 2, 0, 0);
  gst_structure_free (r);
  g_free (body);

  lines[strlen (lines) - 1] = '\0';     /* the last comma */
  body = g_strdup_printf ("{\"readResult\":{\"blocks\":[{\"lines\":[%s]}]}}",
      lines);
  r = result_of (body);
  text = gst_structure_get_string (r, "text");
  fail_unless_equals_int (g_utf8_strlen (text, -1), 1000);
  fail_unless (g_str_has_prefix (text, "line line "));
  fail_unless (g_str_has_suffix (text, "\xe2\x80\xa6"));
  fail_unless_equals_int (size_of (r, "text-lines"),
      GST_CV_ANALYZE_MAX_ARRAY_ITEMS);
  gst_structure_free (r);
  g_free (body);

  g_free (points);
  g_free (lines);
  g_free (line);
  g_free (long_text);
}

GST_END_TEST;

static Suite *
imageanalysis_suite (void)
{
  Suite *s = suite_create ("cvanalyzeimageanalysis");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_class);
  tcase_add_test (tc, test_default_url);
  tcase_add_test (tc, test_settings_url);
  tcase_add_test (tc, test_refused_settings);
  tcase_add_test (tc, test_request_sends_newest_image);
  tcase_add_test (tc, test_all_examples_parse);
  tcase_add_test (tc, test_example_values);
  tcase_add_test (tc, test_generated_examples);
  tcase_add_test (tc, test_partial_answers);
  tcase_add_test (tc, test_object_without_tags);
  tcase_add_test (tc, test_wrong_types_refused);
  tcase_add_test (tc, test_error_answers);
  tcase_add_test (tc, test_region_error_is_fatal);
  tcase_add_test (tc, test_hostile_strings_made_safe);
  tcase_add_test (tc, test_hostile_error_made_safe);
  tcase_add_test (tc, test_read_text_capped);
  return s;
}

GST_CHECK_MAIN (imageanalysis);
