/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __CV_ROUTE_H__
#define __CV_ROUTE_H__

#include <glib.h>

G_BEGIN_DECLS

/**
 * CvRoute:
 * @CV_ROUTE_UNKNOWN: no route of the server's: 404
 * @CV_ROUTE_COMPUTER_VISION: POST /vision/{v2.0,v2.1,v3.2}/analyze
 * @CV_ROUTE_IMAGE_ANALYSIS: POST /computervision/imageanalysis:analyze
 * @CV_ROUTE_GENERATE_THUMBNAIL: POST /vision/{v2.0,v2.1,v3.2}/generateThumbnail
 * @CV_ROUTE_AREA_OF_INTEREST: POST /vision/{v2.0,v2.1,v3.2}/areaOfInterest
 * @CV_ROUTE_OPENAI_CHAT: POST /v1/chat/completions (OpenAI, Ollama,
 *   llama-server, vLLM, LM Studio)
 * @CV_ROUTE_AZURE_CHAT: POST /openai/v1/chat/completions (Azure OpenAI v1)
 * @CV_ROUTE_AZURE_DEPLOYMENT_CHAT: POST
 *   /openai/deployments/{deployment}/chat/completions (Azure OpenAI classic)
 *
 * The operations the local server answers, told apart by path alone.
 */
typedef enum
{
  CV_ROUTE_UNKNOWN = 0,
  CV_ROUTE_COMPUTER_VISION,
  CV_ROUTE_IMAGE_ANALYSIS,
  CV_ROUTE_OPENAI_CHAT,
  CV_ROUTE_AZURE_CHAT,
  CV_ROUTE_AZURE_DEPLOYMENT_CHAT,
  CV_ROUTE_READ,
  CV_ROUTE_READ_RESULT,
  CV_ROUTE_GENERATE_THUMBNAIL,
  CV_ROUTE_AREA_OF_INTEREST
} CvRoute;

CvRoute cv_route_from_path (const gchar * path, gchar ** segment);

gboolean cv_route_is_computer_vision (CvRoute route);

const gchar *cv_route_key_header (CvRoute route);

const gchar *cv_route_other_key_header (CvRoute route);

gboolean cv_route_key_matches (const gchar * header, const gchar * value,
    const gchar * key);

G_END_DECLS

#endif /* __CV_ROUTE_H__ */
