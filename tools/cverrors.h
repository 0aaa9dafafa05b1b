/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __CV_ERRORS_H__
#define __CV_ERRORS_H__

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The Azure API Management gateway's words for a bad or missing key, so
 * clients can be tested against the real text. */
#define CV_ERRORS_ACCESS_DENIED \
  "Access denied due to invalid subscription key or wrong API endpoint. " \
  "Make sure to provide a valid key for an active subscription and use a " \
  "correct regional API endpoint for your resource."

JsonNode *cv_errors_azure (const gchar * code, const gchar * message,
    const gchar * inner_code, const gchar * inner_message);

JsonNode *cv_errors_azure_gateway (guint status, const gchar * message);

JsonNode *cv_errors_azure_flat (const gchar * code, const gchar * message,
    const gchar * request_id);

JsonNode *cv_errors_openai (const gchar * message, const gchar * type,
    const gchar * param, const gchar * code);

G_END_DECLS

#endif /* __CV_ERRORS_H__ */
