/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The azure-cv service: Azure Computer Vision's Analyze Image, v3.2 (v2.0
 * and v2.1 are still accepted with a warning: Microsoft retired them on
 * 2026-09-13). POST {endpoint}/vision/{version}/analyze with the JPEG; the
 * answer's schema is gstcvanalyzeparser.c's. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstcvanalyzeparser.h"
#include "gstcvanalyzeservice.h"
#include "gstcvanalyzeurl.h"

#define DEFAULT_VERSION "v3.2"
#define DEFAULT_FEATURES "Description,Tags"

/* Azure's names, as the service spells them in visualFeatures / details. */
static const gchar *const known_versions[] = { "v2.0", "v2.1", "v3.2", NULL };

static const gchar *const known_features[] = { "Categories", "Tags",
  "Description", "Faces", "ImageType", "Color", "Adult", "Objects", "Brands",
  NULL
};

static const gchar *const known_details[] = { "Celebrities", "Landmarks",
  NULL
};

static const gchar *const endpoint_env[] = { "AZURE_VISION_ENDPOINT",
  "VISION_ENDPOINT", NULL
};

static const gchar *const key_env[] = { "AZURE_VISION_KEY", "VISION_KEY",
  NULL
};

typedef struct
{
  gchar *url;
  gchar *thumbnail_url;         /* generateThumbnail, without the size */
} AzureCv;

/* POST {endpoint}/vision/{version}/generateThumbnail?smartCropping=true,
 * the size to be added. */
static gchar *
thumbnail_url (const gchar * endpoint, const gchar * version,
    const gchar * model_version)
{
  GString *url = gst_cv_analyze_url_new (endpoint, "/vision/");

  g_string_append_printf (url, "%s/generateThumbnail", version);
  gst_cv_analyze_url_append_query (url, "smartCropping", "true");
  if (strcmp (version, "v3.2") == 0 && model_version && *model_version)
    gst_cv_analyze_url_append_query (url, "model-version", model_version);
  return g_string_free (url, FALSE);
}

static gpointer
azure_cv_create (const GstCvAnalyzeServiceSettings * settings,
    gchar ** notice, GError ** error)
{
  const gchar *version = settings->api_version && *settings->api_version ?
      settings->api_version : DEFAULT_VERSION;
  gchar *features = NULL, *details = NULL, *bad = NULL;
  GString *url;
  AzureCv *self;

  version = gst_cv_analyze_names_find (version, known_versions);
  if (version == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "api-version '%s' is not one of azure-cv's: v3.2, v2.1, v2.0.",
        settings->api_version);
    return NULL;
  }

  features = gst_cv_analyze_names_normalize (settings->features &&
      *settings->features ? settings->features : DEFAULT_FEATURES,
      known_features, &bad);
  if (features != NULL)
    details = gst_cv_analyze_names_normalize (settings->details,
        known_details, &bad);
  if (features == NULL || details == NULL || *features == '\0') {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Unknown analysis feature or detail '%s'. With api=azure-cv, "
        "'features' takes a comma-separated list of Categories, Tags, "
        "Description, Faces, ImageType, Color, Adult, Objects, Brands; "
        "'details' takes Celebrities, Landmarks.", bad ? bad : "(empty)");
    g_free (bad);
    g_free (features);
    g_free (details);
    return NULL;
  }

  if (strcmp (version, "v3.2") != 0)
    *notice = g_strdup_printf ("Computer Vision %s was retired by Microsoft "
        "on 2026-09-13: set api-version=v3.2 (the default), or "
        "api=azure-image-analysis.", version);

  url = gst_cv_analyze_url_new (settings->endpoint, "/vision/");
  g_string_append_printf (url, "%s/analyze", version);
  gst_cv_analyze_url_append_query (url, "visualFeatures", features);
  if (*details)
    gst_cv_analyze_url_append_query (url, "details", details);
  if (settings->language && *settings->language)
    gst_cv_analyze_url_append_query (url, "language", settings->language);
  if (strcmp (version, "v3.2") == 0 && settings->model_version
      && *settings->model_version)
    gst_cv_analyze_url_append_query (url, "model-version",
        settings->model_version);
  g_free (features);
  g_free (details);

  self = g_new0 (AzureCv, 1);
  self->url = g_string_free (url, FALSE);
  self->thumbnail_url = thumbnail_url (settings->endpoint, version,
      settings->model_version);
  return self;
}

static void
azure_cv_free (gpointer state)
{
  AzureCv *self = state;

  g_free (self->url);
  g_free (self->thumbnail_url);
  g_free (self);
}

static GstCvAnalyzeHttpRequest *
azure_cv_build_request (gpointer state, const GstCvAnalyzeRequestInput * input)
{
  AzureCv *self = state;

  return gst_cv_analyze_http_request_new_image (self->url, input);
}

static void
azure_cv_handle_reply (gpointer state, guint status, const gchar * body,
    gsize length, GstCvAnalyzeReply * reply)
{
  GError *err = NULL;

  if (status >= 200 && status < 300) {
    reply->result = gst_cv_analyze_parse_response (body, length, &err);
    if (reply->result != NULL) {
      reply->kind = GST_CV_ANALYZE_REPLY_RESULT;
      gst_structure_set (reply->result, "api", G_TYPE_STRING, "azure-cv",
          NULL);
      return;
    }
    reply->kind = GST_CV_ANALYZE_REPLY_FAILED;
    reply->message = g_strdup (err->message);
    reply->advice = g_strdup ("check that the endpoint is an Azure Computer "
        "Vision resource");
    g_clear_error (&err);
    return;
  }

  gst_cv_analyze_azure_error_reply (status, body, length, reply);
}

static GstCvAnalyzeHttpRequest *
azure_cv_build_thumbnail_request (gpointer state,
    const GstCvAnalyzeRequestInput * input)
{
  AzureCv *self = state;
  gchar *url = g_strdup_printf ("%s&width=%u&height=%u", self->thumbnail_url,
      input->thumbnail_width, input->thumbnail_height);
  GstCvAnalyzeHttpRequest *request =
      gst_cv_analyze_http_request_new_image (url, input);

  g_free (url);
  return request;
}

/* A 200 carries the thumbnail's bytes, which must at least start as a
 * JPEG does (SOI, then a marker); the element decodes it to check the
 * rest. */
static void
azure_cv_handle_thumbnail_reply (gpointer state, guint status,
    const gchar * body, gsize length, GstCvAnalyzeReply * reply)
{
  const guint8 *bytes = (const guint8 *) body;

  if (status < 200 || status >= 300) {
    gst_cv_analyze_azure_error_reply (status, body, length, reply);
    return;
  }
  if (length < 4 || bytes[0] != 0xff || bytes[1] != 0xd8 || bytes[2] != 0xff) {
    reply->kind = GST_CV_ANALYZE_REPLY_FAILED;
    reply->message = g_strdup_printf ("generateThumbnail answered %"
        G_GSIZE_FORMAT " bytes that are not a JPEG", length);
    reply->advice = g_strdup ("check that the endpoint is an Azure Computer "
        "Vision resource");
    return;
  }
  reply->kind = GST_CV_ANALYZE_REPLY_RESULT;
  reply->image = g_bytes_new (body, length);
}

const GstCvAnalyzeServiceClass gst_cv_analyze_azure_cv_service = {
  .api = GST_CV_ANALYZE_API_AZURE_CV,
  .name = "azure-cv",
  .auth_header = "Ocp-Apim-Subscription-Key",
  .auth_prefix = "",
  .endpoint_env = endpoint_env,
  .key_env = key_env,
  .default_timeout = 10 * GST_SECOND,
  .max_image_bytes = 4 * 1024 * 1024,
  .create = azure_cv_create,
  .free = azure_cv_free,
  .build_request = azure_cv_build_request,
  .handle_reply = azure_cv_handle_reply,
  .build_thumbnail_request = azure_cv_build_thumbnail_request,
  .handle_thumbnail_reply = azure_cv_handle_thumbnail_reply,
};
