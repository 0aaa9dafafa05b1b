/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * What the local server's test programs share: JPEGs of known colours made
 * with TurboJPEG, JSON and text checks, polling for what nothing signals,
 * and the command-line server as a child process.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "localservertest.h"

#include <signal.h>
#include <string.h>
#include <turbojpeg.h>

const Rgb RED = { 255, 0, 0 };
const Rgb BLUE = { 0, 0, 255 };
const Rgb GREEN = { 0, 160, 0 };
const Rgb WHITE = { 255, 255, 255 };
const Rgb BLACK = { 0, 0, 0 };
const Rgb GRAY = { 128, 128, 128 };
const Rgb YELLOW = { 255, 255, 0 };

/* A JPEG of @width x @height: @outer everywhere except the central
 * rectangle spanning the middle half each way, which is @inner. */
GBytes *
make_jpeg (guint width, guint height, Rgb outer, Rgb inner)
{
  guint8 *rgb = g_malloc ((gsize) width * height * 3);
  unsigned char *jpeg = NULL;
  unsigned long jpeg_size = 0;
  tjhandle tj;
  GBytes *bytes;
  guint x, y;

  for (y = 0; y < height; y++) {
    for (x = 0; x < width; x++) {
      gboolean in = x >= width / 4 && x < width - width / 4
          && y >= height / 4 && y < height - height / 4;
      Rgb c = in ? inner : outer;
      guint8 *p = rgb + ((gsize) y * width + x) * 3;

      p[0] = c.r;
      p[1] = c.g;
      p[2] = c.b;
    }
  }

  tj = tjInitCompress ();
  fail_unless (tj != NULL);
  fail_unless_equals_int (tjCompress2 (tj, rgb, width, width * 3, height,
          TJPF_RGB, &jpeg, &jpeg_size, TJSAMP_444, 90, 0), 0);
  bytes = g_bytes_new (jpeg, jpeg_size);
  tjFree (jpeg);
  tjDestroy (tj);
  g_free (rgb);

  return bytes;
}

GBytes *
make_solid_jpeg (guint width, guint height, Rgb colour)
{
  return make_jpeg (width, height, colour, colour);
}

/* Parses @bytes as a JSON object; the returned node owns it. */
JsonNode *
parse_object (GBytes * bytes)
{
  JsonParser *parser = json_parser_new ();
  GError *error = NULL;
  gsize size;
  const gchar *data = g_bytes_get_data (bytes, &size);
  JsonNode *root;

  if (!json_parser_load_from_data (parser, data, size, &error))
    fail ("answer is not JSON: %s", error->message);
  root = json_parser_steal_root (parser);
  g_object_unref (parser);
  fail_unless (JSON_NODE_HOLDS_OBJECT (root));

  return root;
}

/* The body as text, asserting it is valid UTF-8: the hostile strings must
 * be JSON escapes, not raw bytes. */
gchar *
body_text (GBytes * body)
{
  gsize size;
  const gchar *data = g_bytes_get_data (body, &size);

  fail_unless (g_utf8_validate (data, size, NULL), "body is not UTF-8");
  fail_unless (memchr (data, '\0', size) == NULL);
  return g_strndup (data, size);
}

/* Polls @done until it holds or @timeout_us passes; returns whether it
 * held. For states that nothing signals (a socket's close, a count kept
 * by the kernel): bounded, and at most a millisecond late. */
gboolean
wait_until (gboolean (*done) (gpointer data), gpointer data,
    gint64 timeout_us)
{
  gint64 end = g_get_monotonic_time () + timeout_us;

  while (!done (data)) {
    if (g_get_monotonic_time () > end)
      return FALSE;
    g_usleep (1000);
  }
  return TRUE;
}

/* The command-line server the build made (meson's test environment). */
const gchar *
server_program (void)
{
  const gchar *path = g_getenv ("CVANALYZE_LOCAL_SERVER");

  fail_unless (path != NULL, "CVANALYZE_LOCAL_SERVER is not set");
  return path;
}

/* Starts the command-line server with @args (NULL-terminated) on a free
 * port and reads the URL from its first line. */
Program
program_start (const gchar * const *args)
{
  GPtrArray *argv = g_ptr_array_new ();
  GError *error = NULL;
  GDataInputStream *out;
  Program program;
  gchar *line;

  g_ptr_array_add (argv, (gpointer) server_program ());
  for (; *args != NULL; args++)
    g_ptr_array_add (argv, (gpointer) * args);
  g_ptr_array_add (argv, NULL);
  program.process = g_subprocess_newv ((const gchar * const *) argv->pdata,
      G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  fail_unless (program.process != NULL, "%s", error ? error->message : "");
  g_ptr_array_free (argv, TRUE);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe
      (program.process));
  line = g_data_input_stream_read_line (out, NULL, NULL, NULL);
  fail_unless (line != NULL && g_str_has_prefix (line,
          "cvanalyze-local-server listening on http://127.0.0.1:"), "%s",
      line);
  program.url = g_strdup (strrchr (line, ' ') + 1);
  g_free (line);
  g_object_unref (out);

  return program;
}

/* Stops it as a user would, and checks it exits cleanly. */
void
program_stop (Program * program)
{
  GError *error = NULL;

  g_subprocess_send_signal (program->process, SIGTERM);
  fail_unless (g_subprocess_wait_check (program->process, NULL, &error), "%s",
      error ? error->message : "");
  g_object_unref (program->process);
  g_free (program->url);
}
