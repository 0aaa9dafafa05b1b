/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Unit tests of the thumbnail parts without any HTTP: the services'
 * thumbnail requests and what they make of answers, the crop of a JPEG
 * to a box, and the box narrowed to a thumbnail's ratio. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <turbojpeg.h>
#include <gst/check/gstcheck.h>

#include "gstcvanalyzeencoder.h"
#include "gstcvanalyzeservice.h"
#include "gstcvanalyzethumbnail.h"

static const guint8 jpeg_start[] = { 0xff, 0xd8, 0xff, 0xe0, 0, 0x10 };

/* The thumbnail request of @settings' service for @width x @height: its
 * URL, the rest checked. */
static gchar *
thumbnail_url (const GstCvAnalyzeServiceSettings * settings, guint width,
    guint height)
{
  GError *err = NULL;
  GstCvAnalyzeService *service = gst_cv_analyze_service_new (settings, NULL,
      &err);
  GstCvAnalyzeImage image = { g_bytes_new_static (jpeg_start,
        sizeof (jpeg_start)), 64, 64
  };
  GstCvAnalyzeRequestInput input = { &image, 1, NULL, 0, width, height };
  GstCvAnalyzeHttpRequest *req;
  gchar *url;

  fail_unless (service != NULL, "refused: %s", err ? err->message : "?");
  fail_unless (gst_cv_analyze_service_has_thumbnails (service->klass));
  req = gst_cv_analyze_service_build_thumbnail_request (service, &input);
  fail_unless_equals_string (req->method, "POST");
  fail_unless_equals_string (req->content_type, "application/octet-stream");
  fail_unless (g_bytes_equal (req->body, image.jpeg));
  url = g_strdup (req->url);
  gst_cv_analyze_http_request_free (req);
  gst_cv_analyze_service_free (service);
  g_bytes_unref (image.jpeg);
  return url;
}

static GstCvAnalyzeServiceSettings
settings_for (GstCvAnalyzeApi api)
{
  GstCvAnalyzeServiceSettings s = { 0, };

  s.api = api;
  s.endpoint = "https://res.cognitiveservices.azure.com/";
  s.language = "en";
  s.model_version = "latest";
  return s;
}

/* Proves azure-cv asks generateThumbnail with the size and smartCropping,
 * and azure-image-analysis asks smartCrops alone, with the thumbnail's
 * ratio brought into the service's 0.75..1.8. */
GST_START_TEST (test_thumbnail_requests)
{
  GstCvAnalyzeServiceSettings cv = settings_for (GST_CV_ANALYZE_API_AZURE_CV);
  GstCvAnalyzeServiceSettings ia =
      settings_for (GST_CV_ANALYZE_API_AZURE_IMAGE_ANALYSIS);
  gchar *url;

  url = thumbnail_url (&cv, 64, 48);
  fail_unless_equals_string (url, "https://res.cognitiveservices.azure.com"
      "/vision/v3.2/generateThumbnail?smartCropping=true&model-version=latest"
      "&width=64&height=48");
  g_free (url);

  url = thumbnail_url (&ia, 40, 80);
  fail_unless_equals_string (url, "https://res.cognitiveservices.azure.com"
      "/computervision/imageanalysis:analyze?api-version=2023-10-01"
      "&features=smartCrops&language=en&gender-neutral-caption=false"
      "&model-version=latest&smartcrops-aspect-ratios=0.75");
  g_free (url);
  url = thumbnail_url (&ia, 1024, 1);
  fail_unless (g_str_has_suffix (url, "&smartcrops-aspect-ratios=1.80"));
  g_free (url);
  url = thumbnail_url (&ia, 400, 300);
  fail_unless (g_str_has_suffix (url, "&smartcrops-aspect-ratios=1.33"));
  g_free (url);
}

GST_END_TEST;

/* Proves the chat services say they make no thumbnails. */
GST_START_TEST (test_chat_services_have_none)
{
  fail_if (gst_cv_analyze_service_has_thumbnails
      (gst_cv_analyze_service_class_get (GST_CV_ANALYZE_API_OPENAI)));
  fail_if (gst_cv_analyze_service_has_thumbnails
      (gst_cv_analyze_service_class_get (GST_CV_ANALYZE_API_AZURE_OPENAI)));
}

GST_END_TEST;

static void
handle (GstCvAnalyzeApi api, guint status, const gchar * body, gsize length,
    GstCvAnalyzeReply * reply)
{
  GstCvAnalyzeServiceSettings s = settings_for (api);
  GstCvAnalyzeService *service = gst_cv_analyze_service_new (&s, NULL, NULL);

  gst_cv_analyze_service_handle_thumbnail_reply (service, status, body,
      length, reply);
  gst_cv_analyze_service_free (service);
}

/* Proves what azure-cv makes of generateThumbnail's answers: a JPEG is
 * the thumbnail, anything else in a 200 is a failure, and an error body
 * gives Azure's code and message made safe. */
GST_START_TEST (test_azure_cv_thumbnail_replies)
{
  GstCvAnalyzeReply reply;
  const gchar *error = "{\"error\":{\"code\":\"InvalidRequest\",\"message\":"
      "\"Invalid thumbnail size.\\u001b[2J\",\"innererror\":{\"code\":"
      "\"InvalidThumbnailSize\",\"message\":\"x\"}}}";

  handle (GST_CV_ANALYZE_API_AZURE_CV, 200, (const gchar *) jpeg_start,
      sizeof (jpeg_start), &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_RESULT);
  fail_unless (reply.image != NULL && reply.result == NULL);
  fail_unless_equals_int (g_bytes_get_size (reply.image), sizeof (jpeg_start));
  gst_cv_analyze_reply_clear (&reply);

  handle (GST_CV_ANALYZE_API_AZURE_CV, 200, "{\"a\":1}", 7, &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_FAILED);
  fail_unless (strstr (reply.message, "not a JPEG"));
  fail_unless (reply.image == NULL);
  gst_cv_analyze_reply_clear (&reply);

  handle (GST_CV_ANALYZE_API_AZURE_CV, 400, error, strlen (error), &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_FAILED);
  fail_unless_equals_string (reply.code, "InvalidRequest");
  fail_unless (strstr (reply.message, "Invalid thumbnail size"));
  fail_if (strchr (reply.message, 0x1b), "control character kept");
  gst_cv_analyze_reply_clear (&reply);
}

GST_END_TEST;

/* Proves azure-image-analysis reads smartCrops answers into "smart-crops"
 * for the element to crop to. */
GST_START_TEST (test_image_analysis_thumbnail_reply)
{
  const gchar *body = "{\"modelVersion\":\"latest\",\"metadata\":{\"width\":"
      "160,\"height\":120},\"smartCropsResult\":{\"values\":[{\"aspectRatio\":"
      "0.75,\"boundingBox\":{\"x\":30,\"y\":0,\"w\":90,\"h\":120}}]}}";
  GstCvAnalyzeReply reply;
  const GstStructure *crop;
  gint x = 0, w = 0;

  handle (GST_CV_ANALYZE_API_AZURE_IMAGE_ANALYSIS, 200, body, strlen (body),
      &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_RESULT);
  crop = gst_value_get_structure (gst_value_array_get_value
      (gst_structure_get_value (reply.result, "smart-crops"), 0));
  fail_unless (gst_structure_get_int (crop, "x", &x) && x == 30);
  fail_unless (gst_structure_get_int (crop, "width", &w) && w == 90);
  gst_cv_analyze_reply_clear (&reply);
}

GST_END_TEST;

/* Proves AreaOfInterest in azure-cv's features is a step after Analyze:
 * its request goes to areaOfInterest, and its box joins Analyze's result
 * as the one smart crop; a failed one keeps Analyze's result. */
GST_START_TEST (test_area_of_interest_step)
{
  GstCvAnalyzeServiceSettings s = settings_for (GST_CV_ANALYZE_API_AZURE_CV);
  GstCvAnalyzeService *service;
  GstCvAnalyzeImage image = { g_bytes_new_static (jpeg_start,
        sizeof (jpeg_start)), 64, 64
  };
  GstCvAnalyzeRequestInput input = { &image, 1, NULL, 0, 0, 0 };
  GstCvAnalyzeHttpRequest *req;
  GstCvAnalyzeReply reply;
  const gchar *analysis = "{\"description\":{\"tags\":[],\"captions\":[{"
      "\"text\":\"a cat\",\"confidence\":0.9}]},\"requestId\":\"1\","
      "\"metadata\":{\"width\":64,\"height\":64,\"format\":\"Jpeg\"}}";
  const gchar *area = "{\"areaOfInterest\":{\"h\":40,\"w\":20,\"x\":30,"
      "\"y\":4},\"requestId\":\"2\",\"metadata\":{\"width\":64,"
      "\"height\":64,\"format\":\"Jpeg\"},\"modelVersion\":\"2021-04-01\"}";
  const GstStructure *crop;
  GstStructure *partial;
  gdouble ratio = 0;
  gint x = 0, h = 0;

  s.features = "Description,areaofinterest";
  service = gst_cv_analyze_service_new (&s, NULL, NULL);
  fail_unless (service != NULL);
  req = gst_cv_analyze_service_build_request (service, &input);
  fail_unless (strstr (req->url, "/vision/v3.2/analyze?"));
  fail_if (strstr (req->url, "rea"), "%s", req->url);
  gst_cv_analyze_http_request_free (req);
  input.step = 1;
  req = gst_cv_analyze_service_build_request (service, &input);
  fail_unless_equals_string (req->url, "https://res.cognitiveservices."
      "azure.com/vision/v3.2/areaOfInterest?model-version=latest");
  gst_cv_analyze_http_request_free (req);

  gst_cv_analyze_service_handle_reply (service, 0, NULL, NULL, 200, analysis,
      strlen (analysis), &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_NEXT);
  partial = g_steal_pointer (&reply.result);
  gst_cv_analyze_reply_clear (&reply);

  gst_cv_analyze_service_handle_reply (service, 1, NULL,
      gst_structure_copy (partial), 200, area, strlen (area), &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_RESULT);
  fail_unless_equals_string (gst_structure_get_string (reply.result,
          "caption"), "a cat");
  crop = gst_value_get_structure (gst_value_array_get_value
      (gst_structure_get_value (reply.result, "smart-crops"), 0));
  fail_unless (gst_structure_get (crop, "x", G_TYPE_INT, &x, "height",
          G_TYPE_INT, &h, "aspect-ratio", G_TYPE_DOUBLE, &ratio, NULL));
  fail_unless (x == 30 && h == 40 && ratio == 0.5);
  gst_cv_analyze_reply_clear (&reply);

  /* A refused one keeps what Analyze found, with a warning. */
  gst_cv_analyze_service_handle_reply (service, 1, NULL, partial, 500,
      "{}", 2, &reply);
  fail_unless_equals_int (reply.kind, GST_CV_ANALYZE_REPLY_RESULT);
  fail_unless_equals_string (gst_structure_get_string (reply.result,
          "caption"), "a cat");
  fail_unless (reply.advice != NULL);
  gst_cv_analyze_reply_clear (&reply);

  gst_cv_analyze_service_free (service);
  g_bytes_unref (image.jpeg);
}

GST_END_TEST;

/* A 320x240 black JPEG (4:2:0) with a white 40x40 square at (241, 101). */
static GBytes *
square_jpeg (void)
{
  guint8 *rgb = g_malloc0 (320 * 240 * 3);
  unsigned char *jpeg = NULL;
  unsigned long size = 0;
  tjhandle tj = tjInitCompress ();
  GBytes *bytes;
  gint x, y;

  for (y = 101; y < 141; y++)
    for (x = 241; x < 281; x++)
      memset (rgb + (y * 320 + x) * 3, 255, 3);
  fail_unless_equals_int (tjCompress2 (tj, rgb, 320, 320 * 3, 240, TJPF_RGB,
          &jpeg, &size, TJSAMP_420, 95, 0), 0);
  bytes = g_bytes_new (jpeg, size);
  tjFree (jpeg);
  tjDestroy (tj);
  g_free (rgb);
  return bytes;
}

/* The mean luma (0-255) of @jpeg, which must be @width x @height. */
static guint
mean_luma (GBytes * jpeg, gint width, gint height)
{
  tjhandle tj = tjInitDecompress ();
  gsize size;
  const guint8 *data = g_bytes_get_data (jpeg, &size);
  gint w, h, subsamp, colorspace, i;
  guint64 sum = 0;
  guint8 *grey;

  fail_unless_equals_int (tjDecompressHeader3 (tj, data, size, &w, &h,
          &subsamp, &colorspace), 0);
  fail_unless_equals_int (w, width);
  fail_unless_equals_int (h, height);
  grey = g_malloc ((gsize) w * h);
  fail_unless_equals_int (tjDecompress2 (tj, data, size, grey, w, w, h,
          TJPF_GRAY, 0), 0);
  for (i = 0; i < w * h; i++)
    sum += grey[i];
  g_free (grey);
  tjDestroy (tj);
  return sum / (w * h);
}

/* Proves the crop cuts the box out (a box on the square is white, one
 * beside it black), at exactly the size asked for, from odd coordinates,
 * a box that overhangs the image, and a 1x1 or upscaled output. */
GST_START_TEST (test_crop_jpeg)
{
  GBytes *jpeg = square_jpeg (), *out;
  gsize size;
  const guint8 *data = g_bytes_get_data (jpeg, &size);
  GError *err = NULL;

  out = gst_cv_analyze_encoder_crop_jpeg (data, size, 241, 101, 40, 40, 20,
      20, 90, &err);
  fail_unless (out != NULL, "%s", err ? err->message : "");
  fail_unless (mean_luma (out, 20, 20) > 200);
  g_bytes_unref (out);

  out = gst_cv_analyze_encoder_crop_jpeg (data, size, 11, 13, 101, 77, 64,
      48, 90, NULL);
  fail_unless (mean_luma (out, 64, 48) < 20);
  g_bytes_unref (out);

  /* Overhanging the right edge: clipped to the image, still the square's
   * neighbourhood. */
  out = gst_cv_analyze_encoder_crop_jpeg (data, size, 231, 91, 200, 60, 90,
      60, 90, NULL);
  fail_unless (mean_luma (out, 90, 60) > 60);
  g_bytes_unref (out);

  out = gst_cv_analyze_encoder_crop_jpeg (data, size, 250, 110, 4, 4, 1, 1,
      90, NULL);
  fail_unless (mean_luma (out, 1, 1) > 200);
  g_bytes_unref (out);
  out = gst_cv_analyze_encoder_crop_jpeg (data, size, 241, 101, 40, 40, 1024,
      1024, 90, NULL);
  fail_unless (mean_luma (out, 1024, 1024) > 200);
  g_bytes_unref (out);

  fail_if (gst_cv_analyze_encoder_crop_jpeg ((const guint8 *) "junk", 4, 0,
          0, 4, 4, 4, 4, 90, &err));
  fail_unless (g_error_matches (err, GST_STREAM_ERROR,
          GST_STREAM_ERROR_DECODE));
  g_error_free (err);
  g_bytes_unref (jpeg);
}

GST_END_TEST;

/* Proves a box is narrowed to the thumbnail's exact ratio, centred in it,
 * and an empty box refused. */
GST_START_TEST (test_fit_box)
{
  gint x, y, w, h;

  fail_unless (gst_cv_analyze_thumbnail_fit_box (10, 20, 90, 120, 40, 80, &x,
          &y, &w, &h));
  fail_unless (x == 25 && y == 20 && w == 60 && h == 120);
  fail_unless (gst_cv_analyze_thumbnail_fit_box (0, 0, 160, 120, 160, 90, &x,
          &y, &w, &h));
  fail_unless (x == 0 && y == 15 && w == 160 && h == 90);
  fail_unless (gst_cv_analyze_thumbnail_fit_box (5, 5, 50, 50, 50, 50, &x,
          &y, &w, &h));
  fail_unless (x == 5 && y == 5 && w == 50 && h == 50);
  fail_if (gst_cv_analyze_thumbnail_fit_box (0, 0, 0, 10, 1, 1, &x, &y, &w,
          &h));
}

GST_END_TEST;

static Suite *
thumbnail_suite (void)
{
  Suite *s = suite_create ("thumbnail");
  TCase *tc = tcase_create ("thumbnail");

  tcase_add_test (tc, test_thumbnail_requests);
  tcase_add_test (tc, test_chat_services_have_none);
  tcase_add_test (tc, test_azure_cv_thumbnail_replies);
  tcase_add_test (tc, test_image_analysis_thumbnail_reply);
  tcase_add_test (tc, test_area_of_interest_step);
  tcase_add_test (tc, test_crop_jpeg);
  tcase_add_test (tc, test_fit_box);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (thumbnail);
