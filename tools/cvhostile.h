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

gchar *cv_hostile_analysis_body (JsonNode * answer,
    const CvHostileConfig * config);

gchar *cv_hostile_error_body (JsonNode * error,
    const CvHostileConfig * config);

G_END_DECLS

#endif /* __CV_HOSTILE_H__ */
