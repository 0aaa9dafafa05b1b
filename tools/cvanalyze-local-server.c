/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * cvanalyze-local-server: runs the local Azure-compatible analysis server
 * (cvlocalserver.c) until SIGINT or SIGTERM. Its single line on stdout is
 * an interface: scripts read the URL from it.
 */

#include <stdio.h>
#include <stdlib.h>
#include <glib-unix.h>

#include "cvlocalserver.h"

static const gchar summary[] =
    "A local, Azure Computer Vision-compatible development server; answers\n"
    "from deterministic colour analysis of the pixels, not from a model.\n"
    "\n"
    "It speaks the Analyze Image protocol on 127.0.0.1 only, on one route:\n"
    "  POST /vision/{v2.0|v2.1|v3.2}/analyze?visualFeatures=Color,...\n"
    "  Ocp-Apim-Subscription-Key: KEY\n"
    "  Content-Type: application/octet-stream, body: a JPEG image\n"
    "Any other path answers 404, any other method 405 (Allow: POST), a\n"
    "wrong key 401, with the gateway's error bodies. Every answer carries\n"
    "Connection: close.\n"
    "\n"
    "Computed features: Color (dominant foreground/background colours,\n"
    "dominantColors, accentColor, isBWImg), Description (a caption naming\n"
    "the dominant colours), Tags (the dominant colours with their pixel\n"
    "share), and metadata (width, height, format). The other Azure features\n"
    "(Categories, Faces, ImageType, Adult, Objects, Brands) are accepted and\n"
    "omitted from the answer. Answers carry modelVersion\n"
    "\"local-colour-analysis\" (v3.2) and the header\n"
    "X-Cvanalyze-Server: local colour analysis (not Azure).\n"
    "\n"
    "Azure's limits and error codes apply: JPEG only (InvalidImageFormat),\n"
    "under 4 MB, more than 50x50 and less than 16000x16000 pixels\n"
    "(InvalidImageSize); v2.x errors are flat, v3.2 errors nested.";

static const gchar description[] =
    "On start it prints one line, \"cvanalyze-local-server listening on "
    "http://127.0.0.1:PORT/\",\nthen serves until SIGINT or SIGTERM.\n"
    "The misbehaviour options exist to test clients; --malformed,\n"
    "--wrong-types, --drop, --hang, --endless and --reset exclude each\n"
    "other. --lone-surrogates, --control-chars, --tags, --caption-words and\n"
    "--error-message-bytes change otherwise well-formed answers and combine\n"
    "with each other and with --status.";

static gboolean
quit_on_signal (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  gint port = 0, delay_ms = 0, status = 0, retry_after = 0;
  gint tags = 0, caption_words = 0;
  gint64 error_message_bytes = 0;
  gchar *key = NULL;
  gboolean malformed = FALSE, wrong_types = FALSE, drop = FALSE, hang = FALSE;
  gboolean endless = FALSE, reset = FALSE;
  gboolean lone_surrogates = FALSE, control_chars = FALSE;
  GOptionEntry entries[] = {
    {"port", 'p', 0, G_OPTION_ARG_INT, &port,
        "TCP port on 127.0.0.1 (default 0: a free port)", "PORT"},
    {"key", 'k', 0, G_OPTION_ARG_STRING, &key,
        "Subscription key to require in Ocp-Apim-Subscription-Key "
          "(default: accept any)", "KEY"},
    {"delay-ms", 0, 0, G_OPTION_ARG_INT, &delay_ms,
        "Answer every request this many milliseconds late", "MS"},
    {"status", 0, 0, G_OPTION_ARG_INT, &status,
        "Answer every request with this HTTP status and Azure's error "
          "body for it (e.g. 429, 500, 503)", "STATUS"},
    {"retry-after", 0, 0, G_OPTION_ARG_INT, &retry_after,
        "Send this Retry-After header (seconds) with --status", "SECONDS"},
    {"malformed", 0, 0, G_OPTION_ARG_NONE, &malformed,
        "Answer 200 with a truncated, unparsable JSON body", NULL},
    {"wrong-types", 0, 0, G_OPTION_ARG_NONE, &wrong_types,
        "Answer 200 with JSON whose members have the wrong types", NULL},
    {"drop", 0, 0, G_OPTION_ARG_NONE, &drop,
        "Close the connection without answering", NULL},
    {"hang", 0, 0, G_OPTION_ARG_NONE, &hang,
        "Never answer", NULL},
    {"endless", 0, 0, G_OPTION_ARG_NONE, &endless,
        "Answer 200 with a chunked JSON body that never ends", NULL},
    {"reset", 0, 0, G_OPTION_ARG_NONE, &reset,
        "Reset the TCP connection (RST) instead of answering", NULL},
    {"lone-surrogates", 0, 0, G_OPTION_ARG_NONE, &lone_surrogates,
        "Put lone UTF-16 surrogate escapes (\\ud800, \\udfff) in the "
          "caption and tags", NULL},
    {"control-chars", 0, 0, G_OPTION_ARG_NONE, &control_chars,
        "Put terminal escapes, C0/C1 controls, U+202E and NUL in the "
          "caption, tags, ids and error codes and messages", NULL},
    {"tags", 0, 0, G_OPTION_ARG_INT, &tags,
        "Answer with exactly N tags, tag1..tagN (default 0: as analysed)",
        "N"},
    {"caption-words", 0, 0, G_OPTION_ARG_INT, &caption_words,
        "Answer with a caption of N words (default 0: as analysed)", "N"},
    {"error-message-bytes", 0, 0, G_OPTION_ARG_INT64, &error_message_bytes,
        "Make the error messages of --status N bytes long", "N"},
    {NULL}
  };
  GOptionContext *ctx;
  GError *error = NULL;
  CvLocalServer *server;
  CvLocalServerMode mode = CV_LOCAL_SERVER_MODE_NORMAL;
  CvLocalServerHostile hostile = CV_LOCAL_SERVER_HOSTILE_NONE;
  GMainLoop *loop;
  gchar *url;

  ctx = g_option_context_new (NULL);
  g_option_context_set_summary (ctx, summary);
  g_option_context_set_description (ctx, description);
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("cvanalyze-local-server: %s\n", error->message);
    g_printerr ("Run with --help to see the options.\n");
    g_clear_error (&error);
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);

  if (port < 0 || port > 65535 || delay_ms < 0 || retry_after < 0
      || (status != 0 && (status < 100 || status > 599)) || tags < 0
      || caption_words < 0 || error_message_bytes < 0) {
    g_printerr ("cvanalyze-local-server: --port must be 0-65535, --status "
        "100-599, --delay-ms, --retry-after, --tags, --caption-words and "
        "--error-message-bytes not negative.\n");
    g_free (key);
    return 2;
  }
  if (malformed + wrong_types + drop + hang + endless + reset > 1) {
    g_printerr ("cvanalyze-local-server: choose only one of --malformed, "
        "--wrong-types, --drop, --hang, --endless and --reset.\n");
    g_free (key);
    return 2;
  }
  if (malformed)
    mode = CV_LOCAL_SERVER_MODE_MALFORMED;
  else if (wrong_types)
    mode = CV_LOCAL_SERVER_MODE_WRONG_TYPES;
  else if (drop)
    mode = CV_LOCAL_SERVER_MODE_DROP;
  else if (hang)
    mode = CV_LOCAL_SERVER_MODE_HANG;
  else if (endless)
    mode = CV_LOCAL_SERVER_MODE_ENDLESS;
  else if (reset)
    mode = CV_LOCAL_SERVER_MODE_RESET;
  if (lone_surrogates)
    hostile |= CV_LOCAL_SERVER_HOSTILE_LONE_SURROGATES;
  if (control_chars)
    hostile |= CV_LOCAL_SERVER_HOSTILE_CONTROL_CHARS;

  server = cv_local_server_new_full (key, port, &error);
  /* Not needed any more, and never printed. */
  g_free (key);
  if (server == NULL) {
    g_printerr ("cvanalyze-local-server: cannot listen on 127.0.0.1 port "
        "%d: %s\n", port, error->message);
    g_clear_error (&error);
    return 1;
  }
  cv_local_server_set_delay (server, delay_ms);
  cv_local_server_set_failure (server, status, retry_after);
  cv_local_server_set_mode (server, mode);
  cv_local_server_set_hostile (server, hostile);
  cv_local_server_set_tag_count (server, tags);
  cv_local_server_set_caption_words (server, caption_words);
  cv_local_server_set_error_message_size (server, error_message_bytes);

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, quit_on_signal, loop);
  g_unix_signal_add (SIGTERM, quit_on_signal, loop);

  url = cv_local_server_get_url (server);
  printf ("cvanalyze-local-server listening on %s\n", url);
  fflush (stdout);
  g_free (url);

  g_main_loop_run (loop);

  g_main_loop_unref (loop);
  cv_local_server_free (server);

  return 0;
}
