/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __CV_COMPUTER_VISION_H__
#define __CV_COMPUTER_VISION_H__

#include "cvreply.h"
#include "cvcolouranalysis.h"

G_BEGIN_DECLS

extern const CvProtocol cv_computer_vision_protocol;

JsonNode *cv_computer_vision_error_body (CvApiVersion version, guint status,
    guint retry_after, const gchar * request_id);

JsonNode *cv_computer_vision_service_error (CvApiVersion version,
    const gchar * code, const gchar * message, const gchar * inner_code,
    const gchar * inner_message, const gchar * request_id);

G_END_DECLS

#endif /* __CV_COMPUTER_VISION_H__ */
