/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __CV_CHAT_H__
#define __CV_CHAT_H__

#include "cvreply.h"

G_BEGIN_DECLS

/* What an image costs in the prompt: OpenAI's price of a low-detail one. */
#define CV_CHAT_IMAGE_TOKENS 85

extern const CvProtocol cv_chat_protocol;

gchar *cv_chat_truncate_words (const gchar * text, gint64 n,
    gboolean * truncated);

G_END_DECLS

#endif /* __CV_CHAT_H__ */
