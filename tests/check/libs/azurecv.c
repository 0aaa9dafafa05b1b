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
  return s;
}

GST_CHECK_MAIN (azurecv);
