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
 * answer's schema is gstcvanalyzeparser.c's.
 *
 * "Read" in features is no visual feature but the asynchronous Read API
 * (v3.2), called after Analyze for the same frame (or alone, when it is
 * the only feature): POST {endpoint}/vision/v3.2/read/analyze answers 202
 * with an Operation-Location, which the client polls (GET, about once a
 * second, within the sample's timeout) until it says succeeded or failed.
 * The Operation-Location is followed only when it is on the endpoint's
 * scheme, host and port: the key goes nowhere else.
 *
 * "AreaOfInterest" in features is no visual feature either: POST
 * {endpoint}/vision/{version}/areaOfInterest, after Analyze and before
 * Read, whose box joins the result as its one "smart-crops" entry (the
 * box's own aspect ratio), so that it is a region of type crop like 4.0's
 * smart crops. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstcvanalyzejson.h"
#include "gstcvanalyzeparser.h"
#include "gstcvanalyzesafetext.h"
#include "gstcvanalyzeservice.h"
#include "gstcvanalyzeurl.h"

#define DEFAULT_VERSION "v3.2"
#define DEFAULT_FEATURES "Description,Tags"

/* Azure's names, as the service spells them in visualFeatures / details. */
static const gchar *const known_versions[] = { "v2.0", "v2.1", "v3.2", NULL };

static const gchar *const known_features[] = { "Categories", "Tags",
  "Description", "Faces", "ImageType", "Color", "Adult", "Objects", "Brands",
  "Read", "AreaOfInterest", NULL
};

#define READ_FEATURE "Read"
#define AREA_OF_INTEREST_FEATURE "AreaOfInterest"

/* The requests of one sample, in order (GstCvAnalyzeRequestInput.step). */
typedef enum
{
  STEP_ANALYZE,
  STEP_AREA_OF_INTEREST,
  STEP_READ,
} Step;

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
  gchar *url;                   /* Analyze; NULL when only Read is asked */
  gchar *read_url;              /* Read; NULL when it is not asked */
  GUri *endpoint;               /* where an Operation-Location may point */
  gchar *thumbnail_url;         /* generateThumbnail, without the size */
  gchar *area_url;              /* areaOfInterest; NULL when not asked */
  Step steps[3];
  guint n_steps;
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

/* @features (normalized) without @name; whether it was there. */
static gchar *
take_feature (const gchar * features, const gchar * name, gboolean * read)
{
  gchar **names = g_strsplit (features, ",", -1);
  GString *rest = g_string_new (NULL);
  guint i;

  *read = FALSE;
  for (i = 0; names[i] != NULL; i++) {
    if (strcmp (names[i], name) == 0) {
      *read = TRUE;
    } else if (*names[i]) {
      if (rest->len)
        g_string_append_c (rest, ',');
      g_string_append (rest, names[i]);
    }
  }
  g_strfreev (names);
  return g_string_free (rest, FALSE);
}

static gpointer
azure_cv_create (const GstCvAnalyzeServiceSettings * settings,
    gchar ** notice, GError ** error)
{
  const gchar *version = settings->api_version && *settings->api_version ?
      settings->api_version : DEFAULT_VERSION;
  gchar *features = NULL, *details = NULL, *bad = NULL, *visual;
  gboolean read, area;
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
        "Description, Faces, ImageType, Color, Adult, Objects, Brands, Read "
        "(text, by the Read API), AreaOfInterest (its box, by the "
        "areaOfInterest API); 'details' takes Celebrities, Landmarks.",
        bad ? bad : "(empty)");
    g_free (bad);
    g_free (features);
    g_free (details);
    return NULL;
  }

  visual = take_feature (features, READ_FEATURE, &read);
  g_free (features);
  features = take_feature (visual, AREA_OF_INTEREST_FEATURE, &area);
  g_free (visual);
  if (read && strcmp (version, "v3.2") != 0) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "The Read feature needs api-version=v3.2 (the default).");
    g_free (features);
    g_free (details);
    return NULL;
  }

  if (strcmp (version, "v3.2") != 0)
    *notice = g_strdup_printf ("Computer Vision %s was retired by Microsoft "
        "on 2026-09-13: set api-version=v3.2 (the default), or "
        "api=azure-image-analysis.", version);

  self = g_new0 (AzureCv, 1);
  self->endpoint = g_uri_parse (settings->endpoint, G_URI_FLAGS_NONE, NULL);
  self->thumbnail_url = thumbnail_url (settings->endpoint, version,
      settings->model_version);
  if (*features)
    self->steps[self->n_steps++] = STEP_ANALYZE;
  if (area) {
    url = gst_cv_analyze_url_new (settings->endpoint, "/vision/");
    g_string_append_printf (url, "%s/areaOfInterest", version);
    if (strcmp (version, "v3.2") == 0 && settings->model_version
        && *settings->model_version)
      gst_cv_analyze_url_append_query (url, "model-version",
          settings->model_version);
    self->area_url = g_string_free (url, FALSE);
    self->steps[self->n_steps++] = STEP_AREA_OF_INTEREST;
  }
  if (read)
    self->steps[self->n_steps++] = STEP_READ;
  if (read) {
    url = gst_cv_analyze_url_new (settings->endpoint,
        "/vision/v3.2/read/analyze");
    if (settings->language && *settings->language)
      gst_cv_analyze_url_append_query (url, "language", settings->language);
    if (settings->model_version && *settings->model_version)
      gst_cv_analyze_url_append_query (url, "model-version",
          settings->model_version);
    self->read_url = g_string_free (url, FALSE);
  }
  if (*features == '\0') {
    g_free (features);
    g_free (details);
    return self;
  }

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

  self->url = g_string_free (url, FALSE);
  return self;
}

static void
azure_cv_free (gpointer state)
{
  AzureCv *self = state;

  g_free (self->url);
  g_free (self->read_url);
  g_clear_pointer (&self->endpoint, g_uri_unref);
  g_free (self->thumbnail_url);
  g_free (self->area_url);
  g_free (self);
}

/* What the sample's request number @step asks. */
static Step
step_of (const AzureCv * self, guint step)
{
  return self->steps[MIN (step, self->n_steps - 1)];
}

/* The reply of a step that has a result: the next step's, or the
 * sample's. */
static GstCvAnalyzeReplyKind
next_or_result (const AzureCv * self, guint step)
{
  return step + 1 < self->n_steps ? GST_CV_ANALYZE_REPLY_NEXT :
      GST_CV_ANALYZE_REPLY_RESULT;
}

static GstCvAnalyzeHttpRequest *
azure_cv_build_request (gpointer state, const GstCvAnalyzeRequestInput * input)
{
  AzureCv *self = state;
  const gchar *urls[] = { self->url, self->area_url, self->read_url };

  /* Analyze, AreaOfInterest, Read: those asked for, in that order. */
  return gst_cv_analyze_http_request_new_image (urls[step_of (self,
              input->step)], input);
}

static gint
uri_port (GUri * uri)
{
  gint port = g_uri_get_port (uri);

  if (port > 0)
    return port;
  return g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
}

/* The Operation-Location to poll, if it is on the endpoint's scheme, host
 * and port; else NULL with a message that quotes it as safe text. */
static gchar *
check_operation_location (AzureCv * self, const gchar * location,
    gchar ** message)
{
  GUri *uri = location ? g_uri_parse (location, G_URI_FLAGS_NONE, NULL) :
      NULL;
  gchar *url = NULL, *quoted;

  if (uri && self->endpoint
      && g_ascii_strcasecmp (g_uri_get_scheme (uri),
          g_uri_get_scheme (self->endpoint)) == 0
      && g_uri_get_host (uri) && g_uri_get_host (self->endpoint)
      && g_ascii_strcasecmp (g_uri_get_host (uri),
          g_uri_get_host (self->endpoint)) == 0
      && uri_port (uri) == uri_port (self->endpoint)
      && g_uri_get_userinfo (uri) == NULL)
    url = g_uri_to_string (uri);
  if (url == NULL) {
    quoted = gst_cv_analyze_safe_text (location ? location : "", -1,
        GST_CV_ANALYZE_MAX_NAME_CHARS);
    *message = location ? g_strdup_printf ("the Read call answered with "
        "an Operation-Location that is not on the endpoint's scheme, host "
        "and port, and was not followed: '%s'", quoted) :
        g_strdup ("the Read call answered without an Operation-Location "
        "header");
    g_free (quoted);
  }
  g_clear_pointer (&uri, g_uri_unref);
  return url;
}

static gboolean
copy_field (GQuark field, const GValue * value, gpointer user_data)
{
  gst_structure_id_set_value (user_data, field, value);
  return TRUE;
}

/* A Read that failed after Analyze succeeded loses nothing: Analyze's
 * result goes on, with the failure as a warning. */
static void
keep_analysis (GstCvAnalyzeReply * reply)
{
  gchar *advice;

  if (reply->partial == NULL)
    return;
  advice = g_strdup_printf ("%s%s%s", reply->message,
      reply->advice ? "; " : "", reply->advice ? reply->advice : "");
  reply->kind = GST_CV_ANALYZE_REPLY_RESULT;
  reply->result = g_steal_pointer (&reply->partial);
  g_free (reply->advice);
  reply->advice = advice;
  g_clear_pointer (&reply->message, g_free);
  g_clear_pointer (&reply->code, g_free);
}

/* The Read operation's state: poll again, or the result (joined to
 * Analyze's, if there was one, within the same item budget). */
static void
read_operation_reply (const gchar * body, gsize length,
    GstCvAnalyzeReply * reply)
{
  GstStructure *partial = reply->partial;
  guint used = partial ? gst_cv_analyze_json_count_items (partial) : 0;
  GError *err = NULL;
  gchar *status = NULL;
  GstStructure *read = gst_cv_analyze_parse_read_operation (body, length,
      used < GST_CV_ANALYZE_MAX_RESULT_ITEMS ?
      GST_CV_ANALYZE_MAX_RESULT_ITEMS - used : 0, &status, &err);

  if (read == NULL) {
    reply->kind = GST_CV_ANALYZE_REPLY_FAILED;
    reply->message = g_strdup_printf ("the Read result cannot be used: %s",
        err->message);
    g_clear_error (&err);
    keep_analysis (reply);
  } else if (strcmp (status, "notStarted") == 0
      || strcmp (status, "running") == 0) {
    reply->kind = GST_CV_ANALYZE_REPLY_POLL;    /* the client keeps partial */
  } else if (strcmp (status, "succeeded") == 0) {
    reply->kind = GST_CV_ANALYZE_REPLY_RESULT;
    if (partial) {
      gst_structure_foreach (read, copy_field, partial);
      reply->result = g_steal_pointer (&reply->partial);
    } else {
      gst_structure_set (read, "api", G_TYPE_STRING, "azure-cv", NULL);
      reply->result = g_steal_pointer (&read);
    }
  } else {
    reply->kind = GST_CV_ANALYZE_REPLY_FAILED;
    reply->code = g_strdup (status);
    reply->message = g_strdup_printf ("the Read operation ended with status "
        "'%s'", status);
    reply->advice = g_strdup ("the image may have no readable text, or be "
        "too small or too large for the Read API");
    keep_analysis (reply);
  }
  g_free (status);
  g_clear_pointer (&read, gst_structure_free);
}

/* areaOfInterest's box, as the sample's one smart crop. */
static const FieldSpec area_fields[] = {
  {"areaOfInterest", NULL, KIND_INLINE, REQUIRED, &gst_cv_analyze_box_schema},
  {NULL}
};

static const Schema area_schema = { "smart-crop", area_fields };

/* The answer to areaOfInterest: its box joins the result so far (Analyze's)
 * as "smart-crops"; a failure loses nothing of that result. */
static void
area_of_interest_reply (AzureCv * self, guint status, const gchar * body,
    gsize length, GstCvAnalyzeReply * reply)
{
  GValue crops = G_VALUE_INIT, crop = G_VALUE_INIT;
  GstStructure *box;
  GError *err = NULL;
  gint w = 0, h = 0;

  if (status < 200 || status >= 300) {
    gst_cv_analyze_azure_error_reply (status, body, length, reply);
    keep_analysis (reply);
    return;
  }
  box = gst_cv_analyze_parse_with_schema (body, (gssize) length, &area_schema,
      &err);
  if (box == NULL) {
    reply->kind = GST_CV_ANALYZE_REPLY_FAILED;
    reply->message = g_strdup_printf ("the areaOfInterest answer cannot be "
        "used: %s", err->message);
    g_error_free (err);
    keep_analysis (reply);
    return;
  }
  gst_structure_get (box, "width", G_TYPE_INT, &w, "height", G_TYPE_INT, &h,
      NULL);
  gst_structure_set (box, "aspect-ratio", G_TYPE_DOUBLE, h > 0 ?
      (gdouble) w / h : 0.0, NULL);
  g_value_init (&crop, GST_TYPE_STRUCTURE);
  g_value_take_boxed (&crop, box);
  g_value_init (&crops, GST_TYPE_ARRAY);
  gst_value_array_append_and_take_value (&crops, &crop);

  reply->result = reply->partial ? g_steal_pointer (&reply->partial) :
      gst_structure_new (GST_CV_ANALYZE_RESULT_NAME, "api", G_TYPE_STRING,
      "azure-cv", NULL);
  gst_structure_take_value (reply->result, "smart-crops", &crops);
  reply->kind = next_or_result (self, reply->step);
}

static void
azure_cv_handle_reply (gpointer state, guint status, const gchar * body,
    gsize length, GstCvAnalyzeReply * reply)
{
  AzureCv *self = state;
  GError *err = NULL;

  if (step_of (self, reply->step) == STEP_AREA_OF_INTEREST) {
    area_of_interest_reply (self, status, body, length, reply);
    return;
  }
  if (status >= 200 && status < 300
      && step_of (self, reply->step) == STEP_READ) {
    /* Read: the 202 of the POST, then the answers of the polls */
    if (status == 202) {
      reply->poll_url = check_operation_location (self,
          reply->operation_location, &reply->message);
      reply->kind = reply->poll_url ? GST_CV_ANALYZE_REPLY_POLL :
          GST_CV_ANALYZE_REPLY_FAILED;
      if (reply->kind == GST_CV_ANALYZE_REPLY_FAILED)
        keep_analysis (reply);
      return;
    }
    read_operation_reply (body, length, reply);
    return;
  }

  if (status >= 200 && status < 300) {
    reply->result = gst_cv_analyze_parse_response (body, length, &err);
    if (reply->result != NULL) {
      reply->kind = next_or_result (self, reply->step);
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
