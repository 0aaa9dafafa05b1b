/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __CV_CHAT_REQUEST_H__
#define __CV_CHAT_REQUEST_H__

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * CvChatFormat:
 * @CV_CHAT_FORMAT_TEXT: plain text
 * @CV_CHAT_FORMAT_JSON_OBJECT: a JSON object (response_format json_object)
 * @CV_CHAT_FORMAT_JSON_SCHEMA: a JSON object of the schema's properties
 *   (response_format json_schema)
 */
typedef enum
{
  CV_CHAT_FORMAT_TEXT,
  CV_CHAT_FORMAT_JSON_OBJECT,
  CV_CHAT_FORMAT_JSON_SCHEMA
} CvChatFormat;

/**
 * CvChatRequest:
 * @model: (nullable): "model" as sent
 * @image: (nullable): the bytes of the last image sent
 * @n_images: how many images the messages carry
 * @prompt_words: how many words their text carries
 * @max_tokens: the completion budget in tokens, -1 for none
 * @sent_max_tokens: whether the budget came as "max_tokens" (not as
 *   "max_completion_tokens", which wins when both are sent)
 * @format: the response_format asked for
 * @schema_properties: for %CV_CHAT_FORMAT_JSON_SCHEMA, the names in the
 *   schema's "properties", then those in "required" not among them
 *
 * A chat-completions request, as far as the local server answers it.
 */
typedef struct
{
  gchar *model;
  GBytes *image;
  guint n_images;
  guint prompt_words;
  gint64 max_tokens;
  gboolean sent_max_tokens;
  CvChatFormat format;
  gchar **schema_properties;
} CvChatRequest;

CvChatRequest *cv_chat_request_parse (GBytes * body, gboolean model_required,
    JsonNode ** error);

gchar *cv_chat_request_peek_model (GBytes * body);

guint cv_chat_count_words (const gchar * text);

void cv_chat_request_free (CvChatRequest * request);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CvChatRequest, cv_chat_request_free);

G_END_DECLS

#endif /* __CV_CHAT_REQUEST_H__ */
