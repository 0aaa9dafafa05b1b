/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_CV_ANALYZE_SERVICE_H__
#define __GST_CV_ANALYZE_SERVICE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* The seam between the element and the services it speaks to.
 *
 * A service is pure: it turns settings and JPEGs into an HTTP request and
 * an HTTP answer into a result, and knows nothing of libsoup, threads or
 * the element, so each one is unit-tested from fixtures. The client
 * (gstcvanalyzeclient.c) sends what a service builds, adds the key as the
 * service's auth header (the only place the key is handled), and owns
 * timeouts, cancellation, Retry-After and polling. A service instance is
 * made at start and then used from the client's thread only, so it may
 * keep what it learns during a run (a parameter the server refused).
 *
 * Adding a service: one file that defines a GstCvAnalyzeServiceClass, one
 * line in gstcvanalyzeservice.c's table, and its tests. */

/**
 * GstCvAnalyzeApi:
 * @GST_CV_ANALYZE_API_AZURE_CV: Azure Computer Vision Analyze Image (v3.2;
 *   v2.0 and v2.1 retired)
 * @GST_CV_ANALYZE_API_AZURE_IMAGE_ANALYSIS: Azure Image Analysis 4.0
 * @GST_CV_ANALYZE_API_OPENAI: any OpenAI-compatible chat-completions
 *   server (OpenAI, Ollama, llama-server, vLLM, LM Studio)
 * @GST_CV_ANALYZE_API_AZURE_OPENAI: chat completions on Azure OpenAI
 *
 * Which protocol cvanalyze speaks.
 */
typedef enum
{
  GST_CV_ANALYZE_API_AZURE_CV,
  GST_CV_ANALYZE_API_AZURE_IMAGE_ANALYSIS,
  GST_CV_ANALYZE_API_OPENAI,
  GST_CV_ANALYZE_API_AZURE_OPENAI,
} GstCvAnalyzeApi;

/* The properties a service is configured from, snapshotted at start.
 * Strings may be NULL or empty: the service's default then applies. */
typedef struct
{
  GstCvAnalyzeApi api;
  const gchar *endpoint;        /* a checked http(s) URL */
  const gchar *api_version;
  const gchar *features;        /* comma-separated, the service's names */
  const gchar *details;         /* azure-cv only */
  const gchar *language;
  const gchar *model_version;
  gboolean gender_neutral_caption;      /* azure-image-analysis */
  const gchar *smartcrops_aspect_ratios;        /* azure-image-analysis */
  const gchar *model;           /* openai, azure-openai */
  const gchar *detail;          /* "low", "high", "auto" */
  guint max_tokens;
} GstCvAnalyzeServiceSettings;

/* One JPEG sent, oldest first when a request carries several. */
typedef struct
{
  GBytes *jpeg;
  gint width;
  gint height;
} GstCvAnalyzeImage;

/* What one request is built from. */
typedef struct
{
  const GstCvAnalyzeImage *images;
  guint n_images;               /* at least 1 */
  const gchar *prompt;          /* chat services: the prompt to send, with
                                 * {previous-caption} already replaced */
  guint step;                   /* which of the sample's requests this is:
                                 * 0, then one more after each
                                 * GST_CV_ANALYZE_REPLY_NEXT */
} GstCvAnalyzeRequestInput;

/* One HTTP request as the service wants it; the client adds the key. */
typedef struct
{
  const gchar *method;          /* static: "POST" or "GET" */
  gchar *url;
  const gchar *content_type;    /* static; NULL without a body */
  GBytes *body;                 /* nullable */
} GstCvAnalyzeHttpRequest;

GstCvAnalyzeHttpRequest *gst_cv_analyze_http_request_new_image (
    const gchar * url, const GstCvAnalyzeRequestInput * input);

void gst_cv_analyze_http_request_free (GstCvAnalyzeHttpRequest * request);

/**
 * GstCvAnalyzeReplyKind:
 * @GST_CV_ANALYZE_REPLY_RESULT: @result is set
 * @GST_CV_ANALYZE_REPLY_POLL: GET @poll_url next (%NULL: the URL polled
 *   last, again), after about a second, within the same slot and timeout
 *   (the v3.2 Read API)
 * @GST_CV_ANALYZE_REPLY_NEXT: @result is what the sample has so far; build
 *   the request of the next step (@step + 1) for the same frames, within
 *   the same slot and timeout, and hand @result to its reply as @partial
 *   (Analyze, then Read)
 * @GST_CV_ANALYZE_REPLY_RESEND: the service refused something it can do
 *   without (a parameter, structured output) and has changed how it asks:
 *   build the request again for the same frames, once
 * @GST_CV_ANALYZE_REPLY_FAILED: this request failed (@code, @message)
 * @GST_CV_ANALYZE_REPLY_FATAL: a configuration error that would repeat on
 *   every frame (a model or deployment that does not exist, a feature the
 *   region lacks): the element stops with an error naming it
 */
typedef enum
{
  GST_CV_ANALYZE_REPLY_RESULT,
  GST_CV_ANALYZE_REPLY_POLL,
  GST_CV_ANALYZE_REPLY_RESEND,
  GST_CV_ANALYZE_REPLY_FAILED,
  GST_CV_ANALYZE_REPLY_FATAL,
  GST_CV_ANALYZE_REPLY_NEXT,
} GstCvAnalyzeReplyKind;

/* What a service made of one answer. Every string it sets is safe text
 * (gstcvanalyzesafetext.h). The first three fields are the client's, set
 * before handle_reply. */
typedef struct
{
  guint step;                   /* the step of the request answered */
  const gchar *operation_location;      /* nullable: the answer's
                                         * Operation-Location header as sent:
                                         * untrusted, check it before use */
  GstStructure *partial;        /* nullable: the result of the sample's
                                 * earlier steps (NEXT); the service may
                                 * take it into @result */

  GstCvAnalyzeReplyKind kind;
  GstStructure *result;         /* RESULT, NEXT: a "cvanalyze-result" */
  gchar *poll_url;              /* POLL */
  gchar *code;                  /* FAILED, FATAL: the service's error code */
  gchar *message;               /* FAILED, FATAL: what went wrong */
  gchar *advice;                /* nullable: what the user can do about it,
                                 * or a warning to post with a result
                                 * ("max-tokens is too small") */
} GstCvAnalyzeReply;

void gst_cv_analyze_reply_clear (GstCvAnalyzeReply * reply);

typedef struct _GstCvAnalyzeService GstCvAnalyzeService;

typedef struct
{
  GstCvAnalyzeApi api;
  const gchar *name;            /* the api property's nick: "azure-cv" */
  /* How the key is sent: "<auth_header>: <auth_prefix><key>". */
  const gchar *auth_header;
  const gchar *auth_prefix;
  /* Environment variables read when the property is unset, in order. */
  const gchar *const *endpoint_env;
  const gchar *const *key_env;
  GstClockTime default_timeout;
  gsize max_image_bytes;        /* the service's limit on one image */

  /* Checks the settings and keeps what it needs; NULL with @error
   * (GST_RESOURCE_ERROR_SETTINGS) saying what to set. @notice may be set
   * to a warning the element posts once at start (a retired version). */
  gpointer (*create) (const GstCvAnalyzeServiceSettings * settings,
      gchar ** notice, GError ** error);
  void (*free) (gpointer state);
  GstCvAnalyzeHttpRequest *(*build_request) (gpointer state,
      const GstCvAnalyzeRequestInput * input);
  /* @status is the HTTP status; @body what was read of the answer. */
  void (*handle_reply) (gpointer state, guint status, const gchar * body,
      gsize length, GstCvAnalyzeReply * reply);
} GstCvAnalyzeServiceClass;

struct _GstCvAnalyzeService
{
  const GstCvAnalyzeServiceClass *klass;
  gpointer state;
};

const GstCvAnalyzeServiceClass *gst_cv_analyze_service_class_get (
    GstCvAnalyzeApi api);

GstCvAnalyzeService *gst_cv_analyze_service_new (
    const GstCvAnalyzeServiceSettings * settings, gchar ** notice,
    GError ** error);

void gst_cv_analyze_service_free (GstCvAnalyzeService * service);

GstCvAnalyzeHttpRequest *gst_cv_analyze_service_build_request (
    GstCvAnalyzeService * service, const GstCvAnalyzeRequestInput * input);

void gst_cv_analyze_service_handle_reply (GstCvAnalyzeService * service,
    guint step, const gchar * operation_location, GstStructure * partial,
    guint status, const gchar * body, gsize length,
    GstCvAnalyzeReply * reply);

/* The services, each in a file named for it. */
extern const GstCvAnalyzeServiceClass gst_cv_analyze_azure_cv_service;
extern const GstCvAnalyzeServiceClass gst_cv_analyze_image_analysis_service;
extern const GstCvAnalyzeServiceClass gst_cv_analyze_openai_service;
extern const GstCvAnalyzeServiceClass gst_cv_analyze_azure_openai_service;

G_END_DECLS

#endif /* __GST_CV_ANALYZE_SERVICE_H__ */
