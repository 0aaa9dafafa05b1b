/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __LOCAL_SERVER_TEST_H__
#define __LOCAL_SERVER_TEST_H__

#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define SECOND G_GINT64_CONSTANT (1000000)
#define MIB (1024 * 1024)

typedef struct
{
  guint8 r, g, b;
} Rgb;

extern const Rgb RED, BLUE, GREEN, WHITE, BLACK, GRAY, YELLOW;

/* The command-line server, started by program_start(). */
typedef struct
{
  GSubprocess *process;
  gchar *url;
} Program;

GBytes *make_jpeg (guint width, guint height, Rgb outer, Rgb inner);

GBytes *make_solid_jpeg (guint width, guint height, Rgb colour);

JsonNode *parse_object (GBytes * bytes);

gchar *body_text (GBytes * body);

gboolean wait_until (gboolean (*done) (gpointer data), gpointer data,
    gint64 timeout_us);

const gchar *server_program (void);

Program program_start (const gchar * const *args);

void program_stop (Program * program);

G_END_DECLS

#endif /* __LOCAL_SERVER_TEST_H__ */
