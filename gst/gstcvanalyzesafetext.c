/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The one boundary every string from a service passes before anything
 * else sees it: an application (a Python reader crashes on invalid UTF-8
 * in a GstStructure), a log line or a terminal (escape sequences in a
 * WARNING reach gst-launch's output). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcvanalyzesafetext.h"

#define ELLIPSIS "\xe2\x80\xa6"        /* U+2026 */

/* Line and paragraph breaks would end a WebVTT cue or a log line. */
static gboolean
is_break (gunichar c)
{
  return c == '\t' || c == '\n' || c == '\r' || c == 0x85
      || c == 0x2028 || c == 0x2029;
}

/* C0, DEL and C1 controls, and the bidi embeddings, overrides and
 * isolates, which can make displayed text read other than it is. */
static gboolean
is_dropped (gunichar c)
{
  return c < 0x20 || (c >= 0x7f && c <= 0x9f)
      || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/**
 * gst_cv_analyze_safe_text:
 * @text: (nullable): text from the service, in any encoding
 * @length: its length in bytes, or -1 if it is NUL-terminated
 * @max_chars: the most characters to keep (at least 2)
 *
 * Makes @text safe to show: bytes that are not valid UTF-8 (lone
 * surrogates as json-glib decodes them among them) become U+FFFD, tabs and
 * line breaks become spaces, other control and bidi-control characters are
 * dropped, and a text longer than @max_chars is cut to @max_chars - 1
 * characters and an ellipsis. The work is bounded by @max_chars, whatever
 * the length of @text.
 *
 * Returns: (transfer full): valid UTF-8, never %NULL
 */
gchar *
gst_cv_analyze_safe_text (const gchar * text, gssize length, guint max_chars)
{
  /* No more than this is ever looked at: max_chars characters of at most
   * 4 bytes, and room for what is dropped among them. */
  gsize bound = (gsize) max_chars * 8;
  gboolean cut = FALSE;
  GString *out;
  const gchar *p, *end;
  guint chars = 0;

  g_return_val_if_fail (max_chars >= 2, NULL);

  if (text == NULL)
    return g_strdup ("");
  if (length < 0)
    for (length = 0; (gsize) length <= bound && text[length]; length++);
  if ((gsize) length > bound) {
    length = bound;
    cut = TRUE;
  }
  end = text + length;
  out = g_string_sized_new (MIN ((gsize) length, (gsize) max_chars * 4) + 4);

  for (p = text; p < end;) {
    gunichar c = g_utf8_get_char_validated (p, end - p);

    if (*p == '\0') {
      c = 0;                    /* validation calls a NUL invalid */
      p++;
    } else if (c == (gunichar) - 1 || c == (gunichar) - 2) {
      c = 0xfffd;               /* REPLACEMENT CHARACTER */
      p++;
    } else {
      p = g_utf8_next_char (p);
    }

    if (is_break (c))
      c = ' ';
    else if (is_dropped (c))
      continue;

    /* The last character that fits: an ellipsis instead, if more follows. */
    if (chars == max_chars - 1 && (p < end || cut)) {
      cut = FALSE;
      g_string_append (out, ELLIPSIS);
      break;
    }
    g_string_append_unichar (out, c);
    chars++;
  }
  if (cut)
    g_string_append (out, ELLIPSIS);
  return g_string_free (out, FALSE);
}
