/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Unit tests of the azure-cv service: the request built from the settings
 * and what it makes of answers, without any HTTP. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include <json-glib/json-glib.h>

#include "gstcvanalyzejson.h"
#include "gstcvanalyzesafetext.h"
#include "gstcvanalyzeservice.h"

static const GstCvAnalyzeServiceClass *klass =
    &gst_cv_analyze_azure_cv_service;

static GstCvAnalyzeServiceSettings
default_settings (void)
{
  GstCvAnalyzeServiceSettings s = { 0, };

  s.api = GST_CV_ANALYZE_API_AZURE_CV;
  s.endpoint = "https://res.cognitiveservices.azure.com/";
  s.language = "en";
  s.model_version = "latest";
  return s;
}

/* The request for @settings: its URL is returned, the rest checked. */
static gchar *
request_url (const GstCvAnalyzeServiceSettings * settings, gchar ** notice)
{
  GError *err = NULL;
  gpointer state = klass->create (settings, notice, &err);
  guint8 jpeg_data[] = { 0xff, 0xd8, 0xff, 0xd9 };
  GstCvAnalyzeImage images[2];
  GstCvAnalyzeRequestInput input = { images, 2, NULL };
  GstCvAnalyzeHttpRequest *req;
  gchar *url;

  fail_unless (state != NULL, "refused: %s", err ? err->message : "?");
  images[0].jpeg = g_bytes_new_static ("old", 3);
  images[1].jpeg = g_bytes_new_static (jpeg_data, sizeof (jpeg_data));
  req = klass->build_request (state, &input);
  fail_unless_equals_string (req->method, "POST");
  fail_unless_equals_string (req->content_type, "application/octet-stream");
  /* The newest image, as it is. */
  fail_unless (g_bytes_equal (req->body, images[1].jpeg));
  url = g_strdup (req->url);
  gst_cv_analyze_http_request_free (req);
  g_bytes_unref (images[0].jpeg);
  g_bytes_unref (images[1].jpeg);
  klass->free (state);
  return url;
}

/* Defaults give v3.2 with Description,Tags, language and model version. */
GST_START_TEST (test_default_request)
{
  GstCvAnalyzeServiceSettings s = default_settings ();
  gchar *notice = NULL;
  gchar *url = request_url (&s, &notice);

  fail_unless_equals_string (url, "https://res.cognitiveservices.azure.com"
      "/vision/v3.2/analyze?visualFeatures=Description,Tags&language=en"
      "&model-version=latest");
  fail_unless (notice == NULL);
  g_free (url);
}

GST_END_TEST;

/* Names in any case are spelt as Azure spells them; v2.1 gets no
 * model-version and a notice that it was retired. */
GST_START_TEST (test_features_and_retired_version)
{
  GstCvAnalyzeServiceSettings s = default_settings ();
  gchar *notice = NULL;
  gchar *url;

  s.endpoint = "http://127.0.0.1:8080";
  s.api_version = "V2.1";
  s.features = " color, objects ,categories";
  s.details = "landmarks";
  url = request_url (&s, &notice);
  fail_unless_equals_string (url, "http://127.0.0.1:8080/vision/v2.1/analyze"
      "?visualFeatures=Color,Objects,Categories&details=Landmarks"
      "&language=en");
  fail_unless (notice != NULL && strstr (notice, "2026-09-13")
      && strstr (notice, "v3.2"), "notice: %s", GST_STR_NULL (notice));
  g_free (notice);
  g_free (url);
}

GST_END_TEST;

/* Unknown names and versions are refused, naming what to set. */
GST_START_TEST (test_bad_settings_refused)
{
  GstCvAnalyzeServiceSettings s = default_settings ();
  GError *err = NULL;
  gchar *notice = NULL;

  s.features = "Tags,Smiles";
  fail_unless (klass->create (&s, &notice, &err) == NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_SETTINGS));
  fail_unless (strstr (err->message, "'Smiles'") != NULL, "%s", err->message);
  g_clear_error (&err);

  s = default_settings ();
  s.api_version = "2023-10-01";
  fail_unless (klass->create (&s, &notice, &err) == NULL);
  fail_unless (strstr (err->message, "v3.2") != NULL, "%s", err->message);
  g_clear_error (&err);
  fail_unless (notice == NULL);
}

GST_END_TEST;

/* A 200 answer is a result marked with its api; an error body gives
 * Azure's code and message; a broken 200 names the problem. */
GST_START_TEST (test_replies)
{
  GstCvAnalyzeServiceSettings s = default_settings ();
  gpointer state = klass->create (&s, NULL, NULL);
  const gchar *ok = "{\"description\":{\"tags\":[\"red\"],\"captions\":"
      "[{\"text\":\"a red car\",\"confidence\":0.9}]},\"requestId\":\"r1\"}";
  const gchar *bad = "{\"error\":{\"code\":\"InvalidImageSize\","
      "\"message\":\"Image must be at least 50 pixels.\"}}";
  GstCvAnalyzeReply reply = { 0, };

  klass->handle_reply (state, 200, ok, strlen (ok), &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_RESULT);
  fail_unless_equals_string (gst_structure_get_string (reply.result,
          "caption"), "a red car");
  fail_unless_equals_string (gst_structure_get_string (reply.result, "api"),
      "azure-cv");
  gst_cv_analyze_reply_clear (&reply);

  klass->handle_reply (state, 400, bad, strlen (bad), &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_FAILED);
  fail_unless_equals_string (reply.code, "InvalidImageSize");
  fail_unless_equals_string (reply.message,
      "Image must be at least 50 pixels.");
  gst_cv_analyze_reply_clear (&reply);

  klass->handle_reply (state, 200, "{\"description\":5}", 17, &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_FAILED);
  fail_unless (strstr (reply.message, "description") != NULL, "%s",
      reply.message);
  gst_cv_analyze_reply_clear (&reply);
  klass->free (state);
}

GST_END_TEST;


/* --- Read (the asynchronous v3.2 Read API) --- */

#define ENDPOINT "https://res.cognitiveservices.azure.com/"
#define LOCATION ENDPOINT "vision/v3.2/read/analyzeResults/e56ffa6e"

static GstCvAnalyzeService *
read_service (const gchar * features)
{
  GstCvAnalyzeServiceSettings s = default_settings ();
  GError *err = NULL;
  GstCvAnalyzeService *service;

  s.features = features;
  service = gst_cv_analyze_service_new (&s, NULL, &err);
  fail_unless (service != NULL, "refused: %s", err ? err->message : "?");
  return service;
}

static gchar *
step_url (GstCvAnalyzeService * service, guint step)
{
  guint8 jpeg_data[] = { 0xff, 0xd8, 0xff, 0xd9 };
  GstCvAnalyzeImage image = { g_bytes_new_static (jpeg_data, 4), 64, 64 };
  GstCvAnalyzeRequestInput input = { &image, 1, NULL, step };
  GstCvAnalyzeHttpRequest *req =
      gst_cv_analyze_service_build_request (service, &input);
  gchar *url = g_strdup (req->url);

  fail_unless_equals_string (req->method, "POST");
  fail_unless (g_bytes_equal (req->body, image.jpeg));
  gst_cv_analyze_http_request_free (req);
  g_bytes_unref (image.jpeg);
  return url;
}

/* The body of an official example's answer (FIXTURES_DIR/ComputerVision/
 * v3.2/read/@name). */
static gchar *
read_fixture (const gchar * name)
{
  gchar *path = g_build_filename (g_getenv ("FIXTURES_DIR"), "ComputerVision",
      "v3.2", "read", name, NULL);
  JsonParser *parser = json_parser_new ();
  JsonNode *body;
  JsonObject *root;
  gchar *text;

  fail_unless (json_parser_load_from_file (parser, path, NULL), "%s", path);
  root = json_node_get_object (json_parser_get_root (parser));
  body = json_object_get_member (json_object_get_object_member
      (json_object_get_object_member (root, "responses"), "200"), "body");
  text = json_to_string (body, FALSE);
  g_object_unref (parser);
  g_free (path);
  return text;
}

static void
reply_to (GstCvAnalyzeService * service, guint step, const gchar * location,
    GstStructure * partial, guint status, const gchar * body,
    GstCvAnalyzeReply * reply)
{
  gst_cv_analyze_service_handle_reply (service, step, location, partial,
      status, body, strlen (body), reply);
}

/* Read is not a visual feature: with others it is a second step after
 * Analyze, on its own the only one; either way on v3.2 only. */
GST_START_TEST (test_read_request_steps)
{
  GstCvAnalyzeService *service = read_service ("description,read");
  GstCvAnalyzeServiceSettings s = default_settings ();
  GError *err = NULL;
  gchar *url;

  url = step_url (service, 0);
  fail_unless_equals_string (url, ENDPOINT "vision/v3.2/analyze"
      "?visualFeatures=Description&language=en&model-version=latest");
  g_free (url);
  url = step_url (service, 1);
  fail_unless_equals_string (url, ENDPOINT "vision/v3.2/read/analyze"
      "?language=en&model-version=latest");
  g_free (url);
  gst_cv_analyze_service_free (service);

  service = read_service ("Read");
  url = step_url (service, 0);
  fail_unless (g_str_has_prefix (url, ENDPOINT "vision/v3.2/read/analyze"),
      "%s", url);
  g_free (url);
  gst_cv_analyze_service_free (service);

  s.features = "Read";
  s.api_version = "v2.1";
  fail_unless (gst_cv_analyze_service_new (&s, NULL, &err) == NULL);
  fail_unless (strstr (err->message, "v3.2") != NULL, "%s", err->message);
  g_clear_error (&err);
}

GST_END_TEST;

/* Analyze's answer asks for the Read step; the 202 is polled only at an
 * Operation-Location on the endpoint's scheme, host and port; running
 * polls again, keeping Analyze's result; the official example's
 * succeeded answer joins it: lines and words with their 8-number boxes as
 * polygons and rectangles, word confidences, and all the text. */
GST_START_TEST (test_read_polling_replies)
{
  GstCvAnalyzeService *service = read_service ("Description,Read");
  const gchar *analysis = "{\"description\":{\"captions\":[{\"text\":"
      "\"a slide\",\"confidence\":0.9}]},\"requestId\":\"r1\"}";
  gchar *succeeded = read_fixture ("SuccessfulGetReadResult.json");
  GstCvAnalyzeReply reply;
  const GstStructure *line, *word;
  const GValue *polygon;
  GstStructure *partial;
  gdouble confidence;

  reply_to (service, 0, NULL, NULL, 200, analysis, &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_NEXT);
  partial = g_steal_pointer (&reply.result);
  gst_cv_analyze_reply_clear (&reply);

  reply_to (service, 1, LOCATION, partial, 202, "", &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_POLL);
  fail_unless_equals_string (reply.poll_url, LOCATION);
  partial = g_steal_pointer (&reply.partial);
  fail_unless (partial != NULL);
  gst_cv_analyze_reply_clear (&reply);

  reply_to (service, 1, NULL, partial, 200, "{\"status\":\"running\","
      "\"createdDateTime\":\"2019-10-03T14:32:04Z\"}", &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_POLL);
  fail_unless (reply.poll_url == NULL);
  partial = g_steal_pointer (&reply.partial);
  fail_unless (partial != NULL);
  gst_cv_analyze_reply_clear (&reply);

  reply_to (service, 1, NULL, partial, 200, succeeded, &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_RESULT);
  fail_unless_equals_string (gst_structure_get_string (reply.result,
          "caption"), "a slide");
  fail_unless_equals_string (gst_structure_get_string (reply.result, "text"),
      "Our greatest glory is not but in rising every time we fall "
      "Viva la vida");
  fail_unless_equals_string (gst_structure_get_string (reply.result,
          "read-model-version"), "2021-04-12");
  /* the first page only: one image is one page */
  fail_unless_equals_int (gst_value_array_get_size (gst_structure_get_value
          (reply.result, "text-lines")), 3);
  line = gst_value_get_structure (gst_value_array_get_value
      (gst_structure_get_value (reply.result, "text-lines"), 0));
  fail_unless (gst_structure_has_name (line, "text-line"));
  fail_unless_equals_string (gst_structure_get_string (line, "text"),
      "Our greatest glory is not");
  polygon = gst_structure_get_value (line, "polygon");
  fail_unless_equals_int (gst_value_array_get_size (polygon), 8);
  fail_unless_equals_int (g_value_get_int (gst_value_array_get_value
          (polygon, 2)), 2047);
  /* [202,618, 2047,643, 2046,840, 200,813] */
  {
    gint x, y, w, h;

    fail_unless (gst_structure_get (line, "x", G_TYPE_INT, &x, "y",
            G_TYPE_INT, &y, "width", G_TYPE_INT, &w, "height", G_TYPE_INT,
            &h, NULL));
    fail_unless_equals_int (x, 200);
    fail_unless_equals_int (y, 618);
    fail_unless_equals_int (w, 1847);
    fail_unless_equals_int (h, 222);
  }
  fail_unless_equals_int (gst_value_array_get_size (gst_structure_get_value
          (line, "words")), 5);
  word = gst_value_get_structure (gst_value_array_get_value
      (gst_structure_get_value (line, "words"), 1));
  fail_unless (gst_structure_has_name (word, "text-word"));
  fail_unless_equals_string (gst_structure_get_string (word, "text"),
      "greatest");
  fail_unless (gst_structure_get_double (word, "confidence", &confidence));
  fail_unless (G_APPROX_VALUE (confidence, 0.164, 1e-9));
  gst_cv_analyze_reply_clear (&reply);

  /* Read alone: the same result, marked azure-cv, without Analyze's */
  gst_cv_analyze_service_free (service);
  service = read_service ("Read");
  reply_to (service, 0, LOCATION, NULL, 202, "", &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_POLL);
  gst_cv_analyze_reply_clear (&reply);
  reply_to (service, 0, NULL, NULL, 200, succeeded, &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_RESULT);
  fail_unless_equals_string (gst_structure_get_string (reply.result, "api"),
      "azure-cv");
  fail_unless (!gst_structure_has_field (reply.result, "caption"));
  fail_unless (gst_structure_has_field (reply.result, "text-lines"));
  gst_cv_analyze_reply_clear (&reply);

  gst_cv_analyze_service_free (service);
  g_free (succeeded);
}

GST_END_TEST;

/* The key goes only where the endpoint is: an Operation-Location on
 * another host, port or scheme, with user info, or none at all, is not
 * followed, and the message quotes it as safe text (no control
 * characters). */
GST_START_TEST (test_read_foreign_location_refused)
{
  GstCvAnalyzeService *service = read_service ("Read");
  const gchar *const foreign[] = {
    "https://evil.example/vision/v3.2/read/analyzeResults/1",
    "https://res.cognitiveservices.azure.com:8443/vision/v3.2/read/1",
    "http://res.cognitiveservices.azure.com/vision/v3.2/read/1",
    "https://user@res.cognitiveservices.azure.com/vision/v3.2/read/1",
    "https://evil.example/\x1b[31mred\x07",
    "not a url",
  };
  GstCvAnalyzeReply reply;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (foreign); i++) {
    reply_to (service, 0, foreign[i], NULL, 202, "", &reply);
    fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_FAILED);
    fail_unless (reply.poll_url == NULL);
    fail_unless (strstr (reply.message, "not followed") != NULL, "%s",
        reply.message);
    fail_if (strchr (reply.message, '\x1b') || strchr (reply.message, '\x07'),
        "%s", reply.message);
    gst_cv_analyze_reply_clear (&reply);
  }
  reply_to (service, 0, NULL, NULL, 202, "", &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_FAILED);
  fail_unless (strstr (reply.message, "without an Operation-Location"));
  gst_cv_analyze_reply_clear (&reply);
  gst_cv_analyze_service_free (service);
}

GST_END_TEST;

/* A failed operation and a malformed answer are failures that say so; after
 * a successful Analyze they lose nothing: its result goes on with the
 * failure as a warning. */
GST_START_TEST (test_read_failures)
{
  GstCvAnalyzeService *service = read_service ("Description,Read");
  const gchar *malformed = "{\"status\":\"succeeded\",\"analyzeResult\":"
      "{\"readResults\":[{\"lines\":[{\"text\":5,\"boundingBox\":[1,2]}]}]}}";
  GstCvAnalyzeReply reply;

  reply_to (service, 1, NULL, NULL, 200, "{\"status\":\"failed\"}", &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_FAILED);
  fail_unless_equals_string (reply.code, "failed");
  fail_unless (strstr (reply.message, "'failed'") != NULL, "%s",
      reply.message);
  gst_cv_analyze_reply_clear (&reply);

  reply_to (service, 1, NULL, NULL, 200, malformed, &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_FAILED);
  fail_unless (strstr (reply.message, "analyzeResult.readResults[0]."
          "lines[0].text") != NULL, "%s", reply.message);
  gst_cv_analyze_reply_clear (&reply);

  reply_to (service, 1, NULL, NULL, 200, "{\"status\":\"succeeded\"}",
      &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_FAILED);
  fail_unless (strstr (reply.message, "analyzeResult") != NULL, "%s",
      reply.message);
  gst_cv_analyze_reply_clear (&reply);

  reply_to (service, 1, NULL, gst_structure_new ("cvanalyze-result",
          "caption", G_TYPE_STRING, "a slide", NULL), 200, malformed, &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_RESULT);
  fail_unless_equals_string (gst_structure_get_string (reply.result,
          "caption"), "a slide");
  fail_unless (reply.advice != NULL && strstr (reply.advice, "Read"), "%s",
      GST_STR_NULL (reply.advice));
  gst_cv_analyze_reply_clear (&reply);
  gst_cv_analyze_service_free (service);
}

GST_END_TEST;

/* Analyze's and Read's results together stay within one result's item
 * budget: what Analyze spent, Read cannot, and leaves out the rest. */
GST_START_TEST (test_read_within_budget)
{
  GstCvAnalyzeService *service = read_service ("Description,Read");
  gchar *succeeded = read_fixture ("SuccessfulGetReadResult.json");
  GstStructure *partial = gst_structure_new_empty ("cvanalyze-result");
  GValue items = G_VALUE_INIT;
  GstCvAnalyzeReply reply;
  guint i;

  g_value_init (&items, GST_TYPE_ARRAY);
  for (i = 0; i < GST_CV_ANALYZE_MAX_RESULT_ITEMS - 20; i++) {
    GValue v = G_VALUE_INIT;

    g_value_init (&v, G_TYPE_INT);
    g_value_set_int (&v, i);
    gst_value_array_append_and_take_value (&items, &v);
  }
  gst_structure_take_value (partial, "spent", &items);

  reply_to (service, 1, NULL, partial, 200, succeeded, &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_RESULT);
  fail_unless (gst_cv_analyze_json_count_items (reply.result) <=
      GST_CV_ANALYZE_MAX_RESULT_ITEMS, "%u items",
      gst_cv_analyze_json_count_items (reply.result));
  /* what did not fit was left out: the page has 15 words */
  {
    const GValue *lines = gst_structure_get_value (reply.result,
        "text-lines");
    guint n = 0;

    for (i = 0; i < gst_value_array_get_size (lines); i++) {
      const GValue *words = gst_structure_get_value (gst_value_get_structure
          (gst_value_array_get_value (lines, i)), "words");

      n += words ? gst_value_array_get_size (words) : 0;
    }
    fail_unless (n < 15, "%u words kept", n);
  }
  gst_cv_analyze_reply_clear (&reply);
  gst_cv_analyze_service_free (service);
  g_free (succeeded);
}

GST_END_TEST;

static Suite *
azurecv_suite (void)
{
  Suite *s = suite_create ("cvanalyze-azurecv");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_default_request);
  tcase_add_test (tc, test_features_and_retired_version);
  tcase_add_test (tc, test_bad_settings_refused);
  tcase_add_test (tc, test_replies);
  tcase_add_test (tc, test_read_request_steps);
  tcase_add_test (tc, test_read_polling_replies);
  tcase_add_test (tc, test_read_foreign_location_refused);
  tcase_add_test (tc, test_read_failures);
  tcase_add_test (tc, test_read_within_budget);
  return s;
}

GST_CHECK_MAIN (azurecv);
