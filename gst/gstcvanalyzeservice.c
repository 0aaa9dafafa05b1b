/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The table of services and the calls the client makes through it. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstcvanalyzeservice.h"

static const GstCvAnalyzeServiceClass *const services[] = {
  &gst_cv_analyze_azure_cv_service,
  &gst_cv_analyze_image_analysis_service,
  &gst_cv_analyze_openai_service,
  &gst_cv_analyze_azure_openai_service,
};

/**
 * gst_cv_analyze_service_class_get:
 * @api: the service
 *
 * Returns: (transfer none) (nullable): how to talk to @api
 */
const GstCvAnalyzeServiceClass *
gst_cv_analyze_service_class_get (GstCvAnalyzeApi api)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (services); i++)
    if (services[i]->api == api)
      return services[i];
  return NULL;
}

/**
 * gst_cv_analyze_service_new:
 * @settings: the properties, snapshotted at start
 * @notice: (out) (optional) (nullable): a warning to post once at start
 * @error: where to say which setting is wrong
 *
 * Returns: (transfer full) (nullable): a service configured from
 * @settings, or %NULL with @error set
 */
GstCvAnalyzeService *
gst_cv_analyze_service_new (const GstCvAnalyzeServiceSettings * settings,
    gchar ** notice, GError ** error)
{
  const GstCvAnalyzeServiceClass *klass =
      gst_cv_analyze_service_class_get (settings->api);
  GstCvAnalyzeService *service;
  gchar *warning = NULL;
  gpointer state;

  g_return_val_if_fail (klass != NULL, NULL);

  state = klass->create (settings, &warning, error);
  if (state == NULL) {
    g_free (warning);
    return NULL;
  }
  if (notice)
    *notice = warning;
  else
    g_free (warning);
  service = g_new0 (GstCvAnalyzeService, 1);
  service->klass = klass;
  service->state = state;
  return service;
}

void
gst_cv_analyze_service_free (GstCvAnalyzeService * service)
{
  if (service == NULL)
    return;
  service->klass->free (service->state);
  g_free (service);
}

GstCvAnalyzeHttpRequest *
gst_cv_analyze_service_build_request (GstCvAnalyzeService * service,
    const GstCvAnalyzeRequestInput * input)
{
  g_return_val_if_fail (input->n_images > 0, NULL);
  return service->klass->build_request (service->state, input);
}

/**
 * gst_cv_analyze_service_handle_reply:
 * @service: the service
 * @step: the step of the request answered (#GstCvAnalyzeRequestInput)
 * @operation_location: (nullable): the answer's Operation-Location header
 * @partial: (transfer full) (nullable): the result of the earlier steps
 * @status: the HTTP status
 * @body: (nullable): what was read of the answer
 * @length: its length
 * @reply: (out caller-allocates): what @service made of it
 */
void
gst_cv_analyze_service_handle_reply (GstCvAnalyzeService * service,
    guint step, const gchar * operation_location, GstStructure * partial,
    guint status, const gchar * body, gsize length, GstCvAnalyzeReply * reply)
{
  memset (reply, 0, sizeof (*reply));
  reply->step = step;
  reply->operation_location = operation_location;
  reply->partial = partial;
  service->klass->handle_reply (service->state, status, body ? body : "",
      body ? length : 0, reply);
  g_assert ((reply->kind != GST_CV_ANALYZE_REPLY_RESULT
          && reply->kind != GST_CV_ANALYZE_REPLY_NEXT)
      || reply->result != NULL);
}

/**
 * gst_cv_analyze_http_request_new_image:
 * @url: where to send it
 * @input: the frames
 *
 * The request of Azure's vision services: POST @url with the JPEG as it
 * is. They take one image a call: the newest of those given.
 *
 * Returns: (transfer full): the request
 */
GstCvAnalyzeHttpRequest *
gst_cv_analyze_http_request_new_image (const gchar * url,
    const GstCvAnalyzeRequestInput * input)
{
  GstCvAnalyzeHttpRequest *request = g_new0 (GstCvAnalyzeHttpRequest, 1);

  request->method = "POST";
  request->url = g_strdup (url);
  request->content_type = "application/octet-stream";
  request->body = g_bytes_ref (input->images[input->n_images - 1].jpeg);
  return request;
}

void
gst_cv_analyze_http_request_free (GstCvAnalyzeHttpRequest * request)
{
  if (request == NULL)
    return;
  g_free (request->url);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_free (request);
}

void
gst_cv_analyze_reply_clear (GstCvAnalyzeReply * reply)
{
  g_clear_pointer (&reply->partial, gst_structure_free);
  g_clear_pointer (&reply->result, gst_structure_free);
  g_clear_pointer (&reply->poll_url, g_free);
  g_clear_pointer (&reply->code, g_free);
  g_clear_pointer (&reply->message, g_free);
  g_clear_pointer (&reply->advice, g_free);
  memset (reply, 0, sizeof (*reply));
}
