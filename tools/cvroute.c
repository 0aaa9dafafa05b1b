/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * Which operation a path asks for, and how that operation's service
 * authenticates: the one place that knows the URL layout of every
 * protocol the local server speaks (docs/services.md, section 1).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "cvroute.h"
#include "cvcolouranalysis.h"

#include <string.h>

#define DEPLOYMENTS_PREFIX "/openai/deployments/"
#define CHAT_SUFFIX "/chat/completions"

/* The text between @prefix and @suffix of @path, if @path has both and
 * something non-empty, without '/', between them. */
static gchar *
middle_segment (const gchar * path, const gchar * prefix,
    const gchar * suffix)
{
  gsize len = strlen (path), pre = strlen (prefix), suf = strlen (suffix);
  gchar *segment;

  if (len <= pre + suf || !g_str_has_prefix (path, prefix)
      || !g_str_has_suffix (path, suffix))
    return NULL;
  segment = g_strndup (path + pre, len - pre - suf);
  if (strchr (segment, '/') != NULL)
    g_clear_pointer (&segment, g_free);
  return segment;
}

/**
 * cv_route_from_path:
 * @path: (nullable): the request path, without the query
 * @segment: (out) (optional) (transfer full): the variable part of the
 *   path: the version ("v3.2") of a Computer Vision path (analyze,
 *   generateThumbnail, areaOfInterest), the deployment of an Azure OpenAI
 *   classic path, the operation id of a Read result, else %NULL
 *
 * Returns: the route, %CV_ROUTE_UNKNOWN for any other path (including a
 *   Computer Vision version the server does not speak).
 */
CvRoute
cv_route_from_path (const gchar * path, gchar ** segment)
{
  CvRoute route = CV_ROUTE_UNKNOWN;
  gchar *middle = NULL;

  if (path == NULL) {
    route = CV_ROUTE_UNKNOWN;
  } else if (strcmp (path, "/vision/v3.2/read/analyze") == 0) {
    route = CV_ROUTE_READ;
  } else if ((middle = middle_segment (path,
              "/vision/v3.2/read/analyzeResults/", ""))) {
    route = CV_ROUTE_READ_RESULT;
  } else if ((middle = middle_segment (path, "/vision/", "/analyze"))) {
    if (cv_api_version_from_string (middle) != CV_API_VERSION_UNKNOWN)
      route = CV_ROUTE_COMPUTER_VISION;
  } else if ((middle = middle_segment (path, "/vision/",
              "/generateThumbnail"))) {
    if (cv_api_version_from_string (middle) != CV_API_VERSION_UNKNOWN)
      route = CV_ROUTE_GENERATE_THUMBNAIL;
  } else if ((middle = middle_segment (path, "/vision/",
              "/areaOfInterest"))) {
    if (cv_api_version_from_string (middle) != CV_API_VERSION_UNKNOWN)
      route = CV_ROUTE_AREA_OF_INTEREST;
  } else if (strcmp (path, "/computervision/imageanalysis:analyze") == 0) {
    route = CV_ROUTE_IMAGE_ANALYSIS;
  } else if (strcmp (path, "/v1" CHAT_SUFFIX) == 0) {
    route = CV_ROUTE_OPENAI_CHAT;
  } else if (strcmp (path, "/openai/v1" CHAT_SUFFIX) == 0) {
    route = CV_ROUTE_AZURE_CHAT;
  } else if ((middle = middle_segment (path, DEPLOYMENTS_PREFIX,
              CHAT_SUFFIX))) {
    route = CV_ROUTE_AZURE_DEPLOYMENT_CHAT;
  }

  if (route == CV_ROUTE_UNKNOWN)
    g_clear_pointer (&middle, g_free);
  if (segment != NULL)
    *segment = g_steal_pointer (&middle);
  g_free (middle);
  return route;
}

/* Whether @route is one of Computer Vision's, whose path segment is the
 * version. */
gboolean
cv_route_is_computer_vision (CvRoute route)
{
  return route == CV_ROUTE_COMPUTER_VISION
      || route == CV_ROUTE_GENERATE_THUMBNAIL
      || route == CV_ROUTE_AREA_OF_INTEREST;
}

/**
 * cv_route_key_header:
 *
 * Returns: the header that carries the key on @route: "Authorization"
 *   (Bearer) for OpenAI's family, "api-key" for Azure OpenAI and
 *   "Ocp-Apim-Subscription-Key" for Azure AI Vision (and unknown paths,
 *   which the Azure gateway answers).
 */
const gchar *
cv_route_key_header (CvRoute route)
{
  switch (route) {
    case CV_ROUTE_OPENAI_CHAT:
      return "Authorization";
    case CV_ROUTE_AZURE_CHAT:
    case CV_ROUTE_AZURE_DEPLOYMENT_CHAT:
      return "api-key";
    default:
      return "Ocp-Apim-Subscription-Key";
  }
}

/**
 * cv_route_other_key_header:
 *
 * Returns: (nullable): the header that carries the key on @route when
 *   cv_route_key_header()'s is absent: "Authorization" (Bearer) on Azure
 *   OpenAI's v1 route, which takes a key as OpenAI's own clients send it
 *   (Azure documents OpenAI(api_key=KEY, base_url=".../openai/v1/") for
 *   it), %NULL on every other route.
 */
const gchar *
cv_route_other_key_header (CvRoute route)
{
  return route == CV_ROUTE_AZURE_CHAT ? "Authorization" : NULL;
}

/**
 * cv_route_key_matches:
 * @header: the header that carried @value
 * @value: (nullable): its value as sent
 * @key: the key the server requires
 *
 * Returns: whether @value carries @key: "Bearer KEY" (the scheme in any
 *   case, as RFC 9110 allows) in Authorization, the bare key elsewhere.
 */
gboolean
cv_route_key_matches (const gchar * header, const gchar * value,
    const gchar * key)
{
  static const gchar bearer[] = "Bearer ";

  if (value == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (header, "Authorization") == 0) {
    if (g_ascii_strncasecmp (value, bearer, strlen (bearer)) != 0)
      return FALSE;
    value += strlen (bearer);
  }
  return strcmp (value, key) == 0;
}
