/* Helpers shared by the cvanalyze element tests: the local analysis server
 * as a checked fixture, and pipelines run to their end.
 *
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __CVANALYZE_TEST_H__
#define __CVANALYZE_TEST_H__

#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>

#include "cvlocalserver.h"

G_BEGIN_DECLS

#define TEST_KEY "test-key-5f1d0c2e9a7b"

/* Set up by cv_test_server_setup for each test. */
extern CvLocalServer *server;
extern gchar *server_url;

void        cv_test_server_setup (void);
void        cv_test_server_teardown (void);

GstElement *cv_test_make_pipeline (const gchar * description);
GList      *cv_test_run_pipeline (GstElement * pipeline);
void        cv_test_drop_bus_messages (GstBus * bus);
void        cv_test_free_messages (GList * messages);
GList      *cv_test_filter_results (GList * messages);
GstMessage *cv_test_find_message (GList * messages, GstMessageType type);
GstClockTime cv_test_message_timestamp (GstMessage * m);
GArray     *cv_test_probe_buffer_times (GstElement * pipeline,
    const gchar * element, const gchar * pad);
gchar      *cv_test_message_text (GstMessage * m, gchar ** debug);
void        cv_test_check_secret_not_in_messages (GList * messages,
    const gchar * secret);
guint8     *cv_test_decode_jpeg (GBytes * jpeg, gint * width, gint * height);
void        cv_test_start_log_capture (void);
gchar      *cv_test_stop_log_capture (void);
guint64     cv_test_get_stat (GstElement * pipeline, const gchar * element,
    const gchar * name);

/* A SoupServer of a test's own on 127.0.0.1, on a thread of its own, for
 * what the local server does not do; @callback answers every path. */
typedef struct _CvTestSoupServer CvTestSoupServer;

CvTestSoupServer *cv_test_soup_server_new (SoupServerCallback callback,
    gpointer user_data);
const gchar *cv_test_soup_server_get_url (CvTestSoupServer * s);
void        cv_test_soup_server_free (CvTestSoupServer * s);

G_END_DECLS

#endif /* __CVANALYZE_TEST_H__ */
