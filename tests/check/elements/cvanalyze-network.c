/* cvanalyze network tests: answers that are too long or never end, TLS
 * that fails, stalls or needs a private CA, resets and proxies, with real
 * pipelines against the local server (and a small server of our own for
 * https and chunked answers) on 127.0.0.1.
 *
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>
#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>

#include "cvanalyzetest.h"

#define MIB (1024 * 1024)
#define DEFAULT_MAX_RESPONSE_SIZE (8 * MIB)
#define MIN_MAX_RESPONSE_SIZE (64 * 1024)

/* --- the key, in logs and messages --- */

/* Stops the log capture; the key must not be in it. */
static void
stop_log_capture (void)
{
  gchar *log = cv_test_stop_log_capture ();

  fail_if (strstr (log, TEST_KEY), "the key is in the debug log");
  g_free (log);
}

/* --- running pipelines --- */

static void
count_buffer (GstElement * sink, GstBuffer * buf, GstPad * pad,
    gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
}

/* A pipeline of @frames live frames (30 per second) through cvanalyze,
 * whose other properties are @props, into a fakesink named "sink". */
static GstElement *
make_live_pipeline (guint frames, const gchar * props)
{
  gchar *desc = g_strdup_printf ("videotestsrc is-live=true num-buffers=%u ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! cvanalyze name=a "
      "key=KEY %s ! fakesink name=sink signal-handoffs=true", frames, props);
  GstElement *pipeline = cv_test_make_pipeline (desc);

  g_free (desc);
  return pipeline;
}

/* Runs @pipeline to its end (cv_test_run_pipeline) and checks that it was
 * EOS, not an error, with every one of its @frames frames through; the
 * key is in no message. */
static GList *
run_to_eos (GstElement * pipeline, guint frames)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gint buffers = 0;
  GList *messages;

  g_signal_connect (sink, "handoff", G_CALLBACK (count_buffer), &buffers);
  messages = cv_test_run_pipeline (pipeline);
  fail_if (cv_test_find_message (messages, GST_MESSAGE_ERROR),
      "the pipeline stopped with an error");
  fail_unless (GST_MESSAGE_TYPE (g_list_last (messages)->data) ==
      GST_MESSAGE_EOS);
  fail_unless_equals_int (g_atomic_int_get (&buffers), frames);
  cv_test_check_secret_not_in_messages (messages, TEST_KEY);
  gst_object_unref (sink);
  return messages;
}

/* The text of the one warning among @messages (there must be one). */
static gchar *
the_warning (GList * messages, gchar ** debug)
{
  GstMessage *warning = cv_test_find_message (messages, GST_MESSAGE_WARNING);
  GList *l;
  guint n = 0;

  for (l = messages; l; l = l->next)
    n += GST_MESSAGE_TYPE (l->data) == GST_MESSAGE_WARNING;
  fail_unless (warning != NULL, "no warning");
  fail_unless_equals_int (n, 1);
  return cv_test_message_text (warning, debug);
}

static void
assert_contains (const gchar * text, const gchar * part)
{
  fail_unless (strstr (text, part) != NULL, "'%s' not in '%s'", part, text);
}

/* --- peak memory --- */

static gsize
proc_status_kib (const gchar * field)
{
  gchar *status = NULL, *at;
  gsize kib;

  fail_unless (g_file_get_contents ("/proc/self/status", &status, NULL,
          NULL));
  at = strstr (status, field);
  fail_unless (at != NULL, "no %s in /proc/self/status", field);
  kib = g_ascii_strtoull (at + strlen (field), NULL, 10);
  g_free (status);
  return kib;
}

/* Starts VmHWM (the peak resident size) again from the current size. */
static void
reset_peak_rss (void)
{
  FILE *f = fopen ("/proc/self/clear_refs", "w");

  fail_unless (f != NULL && fputs ("5", f) >= 0 && fclose (f) == 0,
      "cannot reset the peak RSS (Linux >= 4.0 needed)");
}

/* --- a server of our own --- */

/* How the test server sends its body. */
typedef enum
{
  TRANSFER_LENGTH,              /* with a Content-Length */
  TRANSFER_CHUNKED,             /* in two chunks */
  TRANSFER_GZIP,                /* Content-Encoding: gzip, with the
                                 * Content-Length of the gzip bytes */
  TRANSFER_DEFLATE,             /* Content-Encoding: deflate, likewise */
} Transfer;

/* What the local server does not do: https (with the certificate of
 * tests/fixtures/tls, signed by its test CA), chunked and compressed
 * answers. It answers every request with @body, 200, on its own thread. */
typedef struct
{
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  GTlsCertificate *certificate;
  Transfer transfer;
  gchar *body;
  guint port;                   /* 0 if it could not listen */
  gchar *error;
  gint requests;
  GMutex lock;
  GCond cond;
  gboolean ready;
} TestServer;

static void
test_server_handle (SoupServer * soup, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  TestServer *ts = user_data;
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  gsize half = strlen (ts->body) / 2;

  g_atomic_int_inc (&ts->requests);
  soup_server_message_set_status (msg, 200, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Content-Type", "application/json");
  if (ts->transfer == TRANSFER_GZIP || ts->transfer == TRANSFER_DEFLATE) {
    GConverter *compressor =
        G_CONVERTER (g_zlib_compressor_new (ts->transfer == TRANSFER_GZIP ?
            G_ZLIB_COMPRESSOR_FORMAT_GZIP : G_ZLIB_COMPRESSOR_FORMAT_ZLIB,
            9));
    GOutputStream *memory = g_memory_output_stream_new_resizable ();
    GOutputStream *out = g_converter_output_stream_new (memory, compressor);
    GBytes *compressed;

    fail_unless (g_output_stream_write_all (out, ts->body, strlen (ts->body),
            NULL, NULL, NULL) && g_output_stream_close (out, NULL, NULL));
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Content-Encoding", ts->transfer == TRANSFER_GZIP ? "gzip" :
        "deflate");
    compressed = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM
        (memory));
    soup_message_body_append_bytes (body, compressed);
    g_bytes_unref (compressed);
    g_object_unref (out);
    g_object_unref (memory);
    g_object_unref (compressor);
  } else if (ts->transfer == TRANSFER_CHUNKED) {
    soup_message_headers_set_encoding (soup_server_message_get_response_headers
        (msg), SOUP_ENCODING_CHUNKED);
    /* Two chunks, so that the client does read a body in pieces. */
    soup_message_body_append (body, SOUP_MEMORY_COPY, ts->body, half);
    soup_message_body_append (body, SOUP_MEMORY_COPY, ts->body + half,
        strlen (ts->body) - half);
    soup_message_body_complete (body);
  } else {
    soup_message_body_append (body, SOUP_MEMORY_COPY, ts->body,
        strlen (ts->body));
  }
}

static gpointer
test_server_thread (gpointer user_data)
{
  TestServer *ts = user_data;
  SoupServer *soup;
  GError *err = NULL;
  GSList *uris;

  g_main_context_push_thread_default (ts->context);
  soup = soup_server_new ("tls-certificate", ts->certificate, NULL);
  soup_server_add_handler (soup, NULL, test_server_handle, ts, NULL);
  if (soup_server_listen_local (soup, 0, SOUP_SERVER_LISTEN_IPV4_ONLY
          | (ts->certificate ? SOUP_SERVER_LISTEN_HTTPS : 0), &err)) {
    uris = soup_server_get_uris (soup);
    ts->port = g_uri_get_port (uris->data);
    g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  } else {
    ts->error = g_strdup (err->message);
    g_error_free (err);
  }

  g_mutex_lock (&ts->lock);
  ts->ready = TRUE;
  g_cond_signal (&ts->cond);
  g_mutex_unlock (&ts->lock);

  g_main_loop_run (ts->loop);
  soup_server_disconnect (soup);
  g_object_unref (soup);
  g_main_context_pop_thread_default (ts->context);
  return NULL;
}

static gchar *
fixture_path (const gchar * name)
{
  return g_build_filename (g_getenv ("TLS_FIXTURES_DIR"), name, NULL);
}

static TestServer *
test_server_new (gboolean https, Transfer transfer, const gchar * body)
{
  TestServer *ts = g_new0 (TestServer, 1);

  if (https) {
    gchar *cert = fixture_path ("server.pem");
    gchar *key = fixture_path ("server-key.pem");
    GError *err = NULL;

    ts->certificate = g_tls_certificate_new_from_files (cert, key, &err);
    fail_unless (ts->certificate != NULL, "%s", err ? err->message : "");
    g_free (cert);
    g_free (key);
  }
  ts->transfer = transfer;
  ts->body = g_strdup (body);
  g_mutex_init (&ts->lock);
  g_cond_init (&ts->cond);
  ts->context = g_main_context_new ();
  ts->loop = g_main_loop_new (ts->context, FALSE);
  ts->thread = g_thread_new ("test-server", test_server_thread, ts);
  g_mutex_lock (&ts->lock);
  while (!ts->ready)
    g_cond_wait (&ts->cond, &ts->lock);
  g_mutex_unlock (&ts->lock);
  fail_unless (ts->port != 0, "test server: %s", ts->error);
  return ts;
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static void
test_server_free (TestServer * ts)
{
  GSource *source = g_idle_source_new ();

  g_source_set_callback (source, quit_loop, ts->loop, NULL);
  g_source_attach (source, ts->context);
  g_source_unref (source);
  g_thread_join (ts->thread);
  g_main_loop_unref (ts->loop);
  g_main_context_unref (ts->context);
  g_clear_object (&ts->certificate);
  g_mutex_clear (&ts->lock);
  g_cond_clear (&ts->cond);
  g_free (ts->body);
  g_free (ts->error);
  g_free (ts);
}

/* An Analyze Image answer of exactly @size bytes (padded with blanks,
 * which JSON allows after the value). */
static gchar *
answer_of_size (gsize size)
{
  GString *body = g_string_new ("{\"description\":{\"tags\":[\"padded\"],"
      "\"captions\":[{\"text\":\"a padded answer\",\"confidence\":0.9}]},"
      "\"requestId\":\"r1\",\"metadata\":{\"height\":240,\"width\":320,"
      "\"format\":\"Jpeg\"}}");

  fail_unless (body->len <= size);
  while (body->len < size)
    g_string_append_c (body, ' ');
  return g_string_free (body, FALSE);
}

/* --- tests --- */

/* A 200 whose body never ends is cut at max-response-size: a warning says
 * so, every frame still reaches EOS, and the process's peak memory grows
 * by no more than max-in-flight answers of that size (plus a margin),
 * however much the service sends. */
GST_START_TEST (test_endless_answer_is_cut)
{
  const guint in_flight = 2, frames = 30;
  gchar *props = g_strdup_printf ("endpoint=ENDPOINT interval=0 "
      "max-in-flight=%u", in_flight);
  GstElement *pipeline;
  GList *messages;
  gsize baseline, growth;
  gchar *text;

  /* A first run with normal answers loads and warms up everything a run
   * needs, so that what the second one adds is the answers'. */
  pipeline = make_live_pipeline (frames, props);
  cv_test_free_messages (run_to_eos (pipeline, frames));
  gst_object_unref (pipeline);

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_ENDLESS);
  pipeline = make_live_pipeline (frames, props);
  baseline = proc_status_kib ("VmRSS:");
  reset_peak_rss ();
  messages = run_to_eos (pipeline, frames);
  growth = proc_status_kib ("VmHWM:") - MIN (baseline,
      proc_status_kib ("VmHWM:"));
  GST_INFO ("peak RSS grew by %" G_GSIZE_FORMAT " KiB over %u endless "
      "answers", growth, cv_local_server_get_request_count (server));

  text = the_warning (messages, NULL);
  assert_contains (text, "larger than 'max-response-size'");
  assert_contains (text, "8388608 bytes");
  fail_if (cv_test_filter_results (messages) != NULL);
  /* More endless answers than slots: each was cut and its connection
   * closed, or the next request would have found no connection. */
  fail_unless (cv_local_server_get_request_count (server) > 1 + in_flight,
      "only %u endless answers", cv_local_server_get_request_count (server));
  fail_unless (growth <= (in_flight * DEFAULT_MAX_RESPONSE_SIZE + 16 * MIB)
      / 1024, "peak RSS grew by %" G_GSIZE_FORMAT " KiB", growth);
  g_free (text);
  g_free (props);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

typedef struct
{
  const gchar *name;
  Transfer transfer;
  gsize extra;                  /* bytes beyond the limit */
} SizeCase;

static const SizeCase size_cases[] = {
  {"content-length, at the limit", TRANSFER_LENGTH, 0},
  {"content-length, one byte over", TRANSFER_LENGTH, 1},
  {"chunked, at the limit", TRANSFER_CHUNKED, 0},
  {"chunked, one byte over", TRANSFER_CHUNKED, 1},
  {"gzip, at the limit", TRANSFER_GZIP, 0},
  {"gzip, one byte over", TRANSFER_GZIP, 1},
  {"deflate, at the limit", TRANSFER_DEFLATE, 0},
  {"deflate, one byte over", TRANSFER_DEFLATE, 1},
};

/* max-response-size is exact: an answer of that many bytes is used (and
 * its json field is the whole body), one byte more is refused with a
 * warning, whether its length was announced or it came in chunks, and
 * for a compressed answer (a few hundred bytes of gzip or deflate) on
 * the decoded bytes, all of them read: a bomb is cut at the limit. */
GST_START_TEST (test_answer_size_limit_is_exact)
{
  const SizeCase *sc = &size_cases[__i__];
  const gsize limit = MIN_MAX_RESPONSE_SIZE;
  gchar *body = answer_of_size (limit + sc->extra);
  TestServer *ts = NULL;
  gchar *props;
  GstElement *pipeline;
  GList *messages, *results;

  if (sc->transfer != TRANSFER_LENGTH) {
    ts = test_server_new (FALSE, sc->transfer, body);
    props = g_strdup_printf ("endpoint=http://127.0.0.1:%u/ "
        "max-response-size=%" G_GSIZE_FORMAT, ts->port, limit);
  } else {
    cv_local_server_set_canned_body (server, body);
    props = g_strdup_printf ("endpoint=ENDPOINT max-response-size=%"
        G_GSIZE_FORMAT, limit);
  }
  pipeline = make_live_pipeline (5, props);
  messages = run_to_eos (pipeline, 5);
  results = cv_test_filter_results (messages);

  if (sc->extra == 0) {
    const gchar *json;

    fail_unless_equals_int (g_list_length (results), 1);
    fail_if (cv_test_find_message (messages, GST_MESSAGE_WARNING), "%s",
        sc->name);
    json = gst_structure_get_string (gst_message_get_structure
        (results->data), "json");
    fail_unless_equals_int (strlen (json), limit);
    fail_unless_equals_string (json, body);
  } else {
    gchar *text = the_warning (messages, NULL);

    fail_unless (results == NULL, "%s: the answer was used", sc->name);
    assert_contains (text, "larger than 'max-response-size'");
    assert_contains (text, "65536 bytes");
    g_free (text);
  }
  g_list_free (results);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
  g_clear_pointer (&ts, test_server_free);
  g_free (props);
  g_free (body);
}

GST_END_TEST;

/* An error answer with a 64 MiB message gives a warning that names the
 * HTTP status and says its body was not read, in a few hundred bytes of
 * valid text. */
GST_START_TEST (test_huge_error_message_gives_short_warning)
{
  GstElement *pipeline = make_live_pipeline (5, "endpoint=ENDPOINT");
  GList *messages;
  gchar *text, *debug = NULL;

  cv_local_server_set_failure (server, 500, 0);
  cv_local_server_set_error_message_size (server, 64 * MIB);
  messages = run_to_eos (pipeline, 5);
  text = the_warning (messages, &debug);
  assert_contains (text, "HTTP 500");
  assert_contains (text, "was not read");
  fail_unless (strlen (text) < 1024, "a warning of %" G_GSIZE_FORMAT
      " bytes", strlen (text));
  fail_unless (strlen (debug) < 1024, "a debug string of %" G_GSIZE_FORMAT
      " bytes", strlen (debug));
  fail_unless (g_utf8_validate (text, -1, NULL)
      && g_utf8_validate (debug, -1, NULL));
  g_free (text);
  g_free (debug);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* https:// to a port that speaks plain HTTP (which waits for a request
 * line that never comes) is reported as a TLS problem naming the
 * endpoint within 5 s of the start, not as a timeout after 10 s. */
GST_START_TEST (test_https_to_plain_port_is_tls_warning)
{
  gchar *endpoint = g_strdup_printf ("https://127.0.0.1:%u/",
      cv_local_server_get_port (server));
  gchar *props = g_strdup_printf ("endpoint=%s", endpoint);
  GstElement *pipeline = make_live_pipeline (30, props);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *m;
  gint64 start;
  gchar *text;

  cv_test_start_log_capture ();
  start = g_get_monotonic_time ();
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  m = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_WARNING
      | GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  fail_unless (m != NULL && GST_MESSAGE_TYPE (m) == GST_MESSAGE_WARNING);
  fail_unless (g_get_monotonic_time () - start < 5 * G_USEC_PER_SEC,
      "the TLS warning came after %" G_GINT64_FORMAT " ms",
      (g_get_monotonic_time () - start) / 1000);
  text = cv_test_message_text (m, NULL);
  assert_contains (text, "TLS");
  assert_contains (text, endpoint);
  assert_contains (text, "speaks https");
  fail_if (strstr (text, TEST_KEY));
  gst_message_unref (m);

  /* And the stream goes on to its end. */
  m = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_ERROR
      | GST_MESSAGE_EOS);
  fail_unless (m != NULL && GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS);
  gst_message_unref (m);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  stop_log_capture ();
  fail_unless_equals_int (cv_local_server_get_request_count (server), 0);
  g_free (text);
  g_free (props);
  g_free (endpoint);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

typedef enum
{
  TRUST_SYSTEM,
  TRUST_CA_FILE,
  TRUST_TLS_DATABASE,
} Trust;

typedef struct
{
  const gchar *name;
  const gchar *host;
  Trust trust;
  const gchar *expect;          /* in the warning; NULL: a result */
} TlsCase;

static const TlsCase tls_cases[] = {
  {"test CA unknown to the system", "127.0.0.1", TRUST_SYSTEM,
      "not signed by a trusted certificate authority"},
  {"test CA from ca-file", "127.0.0.1", TRUST_CA_FILE, NULL},
  {"test CA from tls-database", "127.0.0.1", TRUST_TLS_DATABASE, NULL},
  {"certificate for another name", "localhost", TRUST_CA_FILE,
      "issued for another host name"},
};

/* A server whose certificate comes from a private CA is refused by
 * default with a TLS warning that names the problem and points at
 * ca-file; with the CA in ca-file or tls-database its answers are used;
 * a trusted certificate for another host name is still refused. */
GST_START_TEST (test_private_ca)
{
  const TlsCase *tc = &tls_cases[__i__];
  TestServer *ts = test_server_new (TRUE, TRANSFER_LENGTH, "{\"description\":{"
      "\"tags\":[],\"captions\":[{\"text\":\"over tls\",\"confidence\":1}]},"
      "\"requestId\":\"t1\",\"metadata\":{\"height\":240,\"width\":320,"
      "\"format\":\"Jpeg\"}}");
  gchar *ca = fixture_path ("ca.pem");
  gchar *props = g_strdup_printf ("endpoint=https://%s:%u/ %s%s", tc->host,
      ts->port, tc->trust == TRUST_CA_FILE ? "ca-file=" : "",
      tc->trust == TRUST_CA_FILE ? ca : "");
  GstElement *pipeline = make_live_pipeline (5, props);
  GList *messages, *results;

  if (tc->trust == TRUST_TLS_DATABASE) {
    GstElement *a = gst_bin_get_by_name (GST_BIN (pipeline), "a");
    GTlsDatabase *db = g_tls_file_database_new (ca, NULL);

    fail_unless (db != NULL);
    g_object_set (a, "tls-database", db, NULL);
    g_object_unref (db);
    gst_object_unref (a);
  }
  cv_test_start_log_capture ();
  messages = run_to_eos (pipeline, 5);
  stop_log_capture ();
  results = cv_test_filter_results (messages);

  if (tc->expect == NULL) {
    fail_unless_equals_int (g_list_length (results), 1);
    fail_unless_equals_string (gst_structure_get_string
        (gst_message_get_structure (results->data), "caption"), "over tls");
    fail_if (cv_test_find_message (messages, GST_MESSAGE_WARNING));
  } else {
    gchar *text = the_warning (messages, NULL);

    fail_unless (results == NULL, "%s: a result", tc->name);
    fail_unless_equals_int (g_atomic_int_get (&ts->requests), 0);
    assert_contains (text, "TLS");
    assert_contains (text, tc->expect);
    assert_contains (text, "'ca-file'");
    g_free (text);
  }
  g_list_free (results);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
  test_server_free (ts);
  g_free (props);
  g_free (ca);
}

GST_END_TEST;

/* A ca-file that is missing or holds no certificate, or one set together
 * with tls-database, is an error at start that names the problem, and
 * nothing is sent. */
GST_START_TEST (test_bad_ca_file_is_error)
{
  gchar *no_certs = fixture_path ("README.md");
  gchar *ca = fixture_path ("ca.pem");
  const gchar *files[] = { "/nonexistent/ca.pem", no_certs, ca };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (files); i++) {
    gchar *props = g_strdup_printf ("endpoint=ENDPOINT ca-file=%s", files[i]);
    GstElement *pipeline = make_live_pipeline (5, props);
    GList *messages;
    GstMessage *error;
    gchar *text;

    if (files[i] == ca) {
      GstElement *a = gst_bin_get_by_name (GST_BIN (pipeline), "a");
      GTlsDatabase *db = g_tls_file_database_new (ca, NULL);

      g_object_set (a, "tls-database", db, NULL);
      g_object_unref (db);
      gst_object_unref (a);
    }
    messages = cv_test_run_pipeline (pipeline);
    error = cv_test_find_message (messages, GST_MESSAGE_ERROR);
    fail_unless (error != NULL, "no error for %s", files[i]);
    text = cv_test_message_text (error, NULL);
    if (files[i] == ca) {
      assert_contains (text, "Both 'ca-file' and 'tls-database'");
    } else {
      assert_contains (text, files[i]);
      assert_contains (text, "'ca-file'");
      assert_contains (text, "PEM file");
    }
    cv_test_check_secret_not_in_messages (messages, TEST_KEY);
    g_free (text);
    g_free (props);
    cv_test_free_messages (messages);
    gst_object_unref (pipeline);
  }
  fail_unless_equals_int (cv_local_server_get_request_count (server), 0);
  g_free (no_certs);
  g_free (ca);
}

GST_END_TEST;

/* A TCP reset from the service is a warning that says the connection was
 * reset, and the stream goes on to its end. */
GST_START_TEST (test_connection_reset_warns)
{
  GstElement *pipeline = make_live_pipeline (5, "endpoint=ENDPOINT");
  GList *messages;
  gchar *text;

  cv_local_server_set_mode (server, CV_LOCAL_SERVER_MODE_RESET);
  cv_test_start_log_capture ();
  messages = run_to_eos (pipeline, 5);
  stop_log_capture ();
  text = the_warning (messages, NULL);
  assert_contains (text, "connection to the analysis service was reset");
  assert_contains (text, server_url);
  fail_unless (cv_local_server_get_request_count (server) >= 1);
  g_free (text);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

typedef struct
{
  const gchar *name;
  const gchar *variable;        /* set to the local server's URL */
  const gchar *scheme;          /* of the endpoint */
  const gchar *no_proxy;        /* nullable */
  const gchar *method;          /* the proxy saw; NULL: it saw nothing */
  const gchar *expect;          /* in the warning; NULL: a result */
} ProxyCase;

/* The endpoint's host, proxied.invalid, cannot be resolved (RFC 6761):
 * an answer can only come through the proxy, which is the local server
 * (an http:// request line with the full URL is one it serves). */
static const ProxyCase proxy_cases[] = {
  {"http_proxy, http", "http_proxy", "http", NULL, "POST", NULL},
  {"HTTP_PROXY, http", "HTTP_PROXY", "http", NULL, "POST", NULL},
  {"https_proxy, https", "https_proxy", "https", NULL, "CONNECT",
      "The proxy refused to connect to the analysis service"},
  {"http_proxy, https", "http_proxy", "https", NULL, "CONNECT",
      "HTTP 404"},
  {"https_proxy, http", "https_proxy", "http", NULL, NULL, "Could not reach"},
  {"no_proxy", "http_proxy", "http", "example.com,proxied.invalid", NULL,
      "Could not reach"},
};

static const gchar *const proxy_variables[] = { "http_proxy", "HTTP_PROXY",
  "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY", NULL
};

/* Which proxy variables GIO's libproxy resolver honours, as README.md
 * says: http_proxy (or HTTP_PROXY) for http and https, https_proxy for
 * https only, no_proxy's host names sent direct; a proxy's refusal of the
 * https tunnel is reported as the proxy's, not the service's. */
GST_START_TEST (test_proxy_from_environment)
{
  const ProxyCase *pc = &proxy_cases[__i__];
  gchar *props = g_strdup_printf ("endpoint=%s://proxied.invalid/",
      pc->scheme);
  const gchar *const *v;
  GstElement *pipeline;
  GList *messages, *results;

  for (v = proxy_variables; *v; v++)
    g_unsetenv (*v);
  g_setenv (pc->variable, server_url, TRUE);
  if (pc->no_proxy)
    g_setenv ("no_proxy", pc->no_proxy, TRUE);
  fail_unless_equals_string (G_OBJECT_TYPE_NAME
      (g_proxy_resolver_get_default ()), "GLibproxyResolver");

  pipeline = make_live_pipeline (5, props);
  messages = run_to_eos (pipeline, 5);
  results = cv_test_filter_results (messages);
  if (pc->method) {
    CvLocalServerRequest *req = cv_local_server_get_request (server, 0);

    fail_unless (req != NULL, "%s: the proxy saw no request", pc->name);
    fail_unless_equals_string (req->method, pc->method);
    cv_local_server_request_free (req);
  } else {
    fail_unless_equals_int (cv_local_server_get_request_count (server), 0);
  }
  if (pc->expect == NULL) {
    fail_unless_equals_int (g_list_length (results), 1);
    fail_if (cv_test_find_message (messages, GST_MESSAGE_WARNING));
  } else {
    gchar *text = the_warning (messages, NULL);

    fail_unless (results == NULL);
    assert_contains (text, pc->expect);
    g_free (text);
  }

  for (v = proxy_variables; *v; v++)
    g_unsetenv (*v);
  g_list_free (results);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
  g_free (props);
}

GST_END_TEST;

/* A proxy cannot reach this machine's loopback: an endpoint on it (the
 * local server, a self-hosted model server) is reached directly whatever
 * http_proxy says, here a port where nothing listens. */
GST_START_TEST (test_loopback_endpoint_skips_proxy)
{
  static const gchar *const hosts[] = { "127.0.0.1", "localhost" };
  const gchar *const *v;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (hosts); i++) {
    gchar *endpoint = g_strdup_printf ("http://%s:%u/", hosts[i],
        cv_local_server_get_port (server));
    gchar *props = g_strdup_printf ("endpoint=%s", endpoint);
    GstElement *pipeline;
    GList *messages, *results;
    guint before = cv_local_server_get_request_count (server);

    for (v = proxy_variables; *v; v++)
      g_unsetenv (*v);
    g_setenv ("http_proxy", "http://127.0.0.1:1/", TRUE);
    pipeline = make_live_pipeline (5, props);
    messages = run_to_eos (pipeline, 5);
    results = cv_test_filter_results (messages);
    fail_unless_equals_int (g_list_length (results), 1);
    fail_if (cv_test_find_message (messages, GST_MESSAGE_WARNING),
        "%s went to the proxy", endpoint);
    fail_unless_equals_int (cv_local_server_get_request_count (server),
        before + 1);

    g_unsetenv ("http_proxy");
    g_list_free (results);
    cv_test_free_messages (messages);
    gst_object_unref (pipeline);
    g_free (props);
    g_free (endpoint);
  }
}

GST_END_TEST;

/* Against a service that keeps connections alive, one connection carries
 * every request (libsoup sends a POST on a new one unless it is marked
 * idempotent): each request came from the same client port. */
GST_START_TEST (test_requests_reuse_a_kept_alive_connection)
{
  GstElement *pipeline;
  GList *messages;
  CvLocalServerRequest *req0;
  guint i, n;

  cv_local_server_set_keep_alive (server, TRUE);
  pipeline = make_live_pipeline (30, "endpoint=ENDPOINT interval=100000000 "
      "max-in-flight=1");
  messages = run_to_eos (pipeline, 30);
  n = cv_local_server_get_request_count (server);
  fail_unless (n >= 3, "only %u requests", n);
  req0 = cv_local_server_get_request (server, 0);
  for (i = 1; i < n; i++) {
    CvLocalServerRequest *req = cv_local_server_get_request (server, i);

    fail_unless_equals_int (req->remote_port, req0->remote_port);
    cv_local_server_request_free (req);
  }
  cv_local_server_request_free (req0);
  cv_test_free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static Suite *
cvanalyze_network_suite (void)
{
  Suite *s = suite_create ("cvanalyze-network");
  TCase *tc = tcase_create ("network");

  tcase_add_checked_fixture (tc, cv_test_server_setup, cv_test_server_teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_endless_answer_is_cut);
  tcase_add_loop_test (tc, test_answer_size_limit_is_exact, 0,
      G_N_ELEMENTS (size_cases));
  tcase_add_test (tc, test_huge_error_message_gives_short_warning);
  tcase_add_test (tc, test_https_to_plain_port_is_tls_warning);
  tcase_add_loop_test (tc, test_private_ca, 0, G_N_ELEMENTS (tls_cases));
  tcase_add_test (tc, test_bad_ca_file_is_error);
  tcase_add_test (tc, test_connection_reset_warns);
  tcase_add_loop_test (tc, test_proxy_from_environment, 0,
      G_N_ELEMENTS (proxy_cases));
  tcase_add_test (tc, test_loopback_endpoint_skips_proxy);
  tcase_add_test (tc, test_requests_reuse_a_kept_alive_connection);
  return s;
}

GST_CHECK_MAIN (cvanalyze_network);
