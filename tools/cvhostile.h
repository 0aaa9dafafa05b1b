/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __CV_HOSTILE_H__
#define __CV_HOSTILE_H__

#include <glib.h>
#include <json-glib/json-glib.h>

#include "cvlocalserver.h"

G_BEGIN_DECLS

/* What CV_LOCAL_SERVER_HOSTILE_LONE_SURROGATES appends, as JSON text: a
 * lone high and a lone low surrogate. Each is followed by a space because
 * json-glib 1.6 swallows the character after a lone surrogate (a closing
 * quote too, which would turn the test into a syntax-error test); it
 * decodes each to the three bytes of the surrogate's code point (ED A0 80
 * and ED BF BF), which are not UTF-8. */
#define CV_HOSTILE_LONE_SURROGATES_JSON " \\ud800 high and \\udfff low"

/* What CV_LOCAL_SERVER_HOSTILE_CONTROL_CHARS appends, as JSON text, and
 * what it decodes to up to the final NUL (json-glib ends a string at
 * "\u0000"): a terminal clear-screen and window-title escape, BEL,
 * RIGHT-TO-LEFT OVERRIDE, NEXT LINE (C1), CSI (C1), tab and newline. */
#define CV_HOSTILE_CONTROL_CHARS_JSON \
  " \\u001b[2J\\u001b]0;pwned\\u0007 bel\\u0007 rlo\\u202e nel\\u0085" \
  " csi\\u009b tab\\t nl\\n nul\\u0000"
#define CV_HOSTILE_CONTROL_CHARS_TEXT \
  " \033[2J\033]0;pwned\007 bel\007 rlo\342\200\256 nel\302\205" \
  " csi\302\233 tab\t nl\n nul"

/**
 * CvHostileConfig:
 * @flags: which hostile strings to add
 * @tag_count: 0, or exactly this many tags "tag1".."tagN"
 * @caption_words: 0, or a caption of this many words "word1 word2 ..."
 * @error_message_size: 0, or error messages of this many bytes
 *
 * How the local server distorts well-formed answers
 * (cv_local_server_set_hostile() and friends).
 */
typedef struct
{
  CvLocalServerHostile flags;
  guint tag_count;
  guint caption_words;
  gsize error_message_size;
} CvHostileConfig;

/**
 * CvHostileRole:
 * @CV_HOSTILE_CAPTION: a caption: replaced by @caption_words words, both
 *   flags' strings appended
 * @CV_HOSTILE_TAG: a tag name: both flags' strings appended
 * @CV_HOSTILE_LABEL: an id or model version: CONTROL_CHARS appended
 * @CV_HOSTILE_TAG_OBJECTS: a list of {"name","confidence"} tags: replaced
 *   by @tag_count tags
 * @CV_HOSTILE_TAG_NAMES: a list of tag names: replaced by @tag_count names
 *
 * What a member of an answer is, for the edits.
 */
typedef enum
{
  CV_HOSTILE_CAPTION = 1,
  CV_HOSTILE_TAG,
  CV_HOSTILE_LABEL,
  CV_HOSTILE_TAG_OBJECTS,
  CV_HOSTILE_TAG_NAMES
} CvHostileRole;

/**
 * CvHostileRule:
 * @path: a member path: names joined by '.', "[]" for an array's elements
 *   ("description.captions[].text")
 * @role: what the member there is
 *
 * One row of a protocol's table of the members to edit, which ends with a
 * row whose @path is %NULL.
 */
typedef struct
{
  const gchar *path;
  CvHostileRole role;
} CvHostileRule;

gchar *cv_hostile_analysis_body (JsonNode * answer,
    const CvHostileRule * rules, const CvHostileConfig * config);

gchar *cv_hostile_error_body (JsonNode * error,
    const CvHostileConfig * config);

gchar *cv_hostile_words (guint n);

G_END_DECLS

#endif /* __CV_HOSTILE_H__ */
