/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The local server's rate-limit and fault switches, the ones the retry
 * tests and the soak lean on: the quota (a token bucket; 429 with
 * Retry-After beyond it), its x-ratelimit-* headers, every Nth request
 * failed or reset, and an outage of a given length. The bucket's rules
 * are tested on a clock of the test's own. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>

#include "cvlocalserver.h"
#include "cvquota.h"
#include "gstcvanalyzeratelimit.h"
#include "localservertest.h"

static CvLocalServer *server;
static SoupSession *session;
static GBytes *jpeg;

static void
setup (void)
{
  server = cv_local_server_new (NULL, NULL);
  fail_unless (server != NULL);
  session = soup_session_new ();
  jpeg = make_solid_jpeg (64, 64, RED);
}

static void
teardown (void)
{
  g_bytes_unref (jpeg);
  g_object_unref (session);
  cv_local_server_free (server);
}

/* POSTs a JPEG for analysis to @url; returns the answer's status (0 for
 * a transport error) and, in @msg_out, the message. */
static guint
post_to (const gchar * base, SoupMessage ** msg_out)
{
  gchar *url = g_strdup_printf ("%svision/v3.2/analyze?visualFeatures=Color",
      base);
  SoupMessage *msg = soup_message_new ("POST", url);
  GError *error = NULL;
  GBytes *answer;
  guint status;

  soup_message_set_request_body_from_bytes (msg, "application/octet-stream",
      jpeg);
  answer = soup_session_send_and_read (session, msg, NULL, &error);
  status = answer ? soup_message_get_status (msg) : 0;
  g_clear_error (&error);
  if (answer)
    g_bytes_unref (answer);
  g_free (url);
  if (msg_out)
    *msg_out = msg;
  else
    g_object_unref (msg);
  return status;
}

static guint
post (SoupMessage ** msg_out)
{
  gchar *base = cv_local_server_get_url (server);
  guint status = post_to (base, msg_out);

  g_free (base);
  return status;
}

static const gchar *
header (SoupMessage * msg, const gchar * name)
{
  return soup_message_headers_get_one (soup_message_get_response_headers
      (msg), name);
}

/* The bucket: full at first, a request takes one, it refills at limit a
 * window, never beyond limit; a refused request takes nothing and is told
 * the wait until one more token; remaining and reset say what is left and
 * how long until full. */
GST_START_TEST (test_quota_bucket)
{
  CvQuota *q = cv_quota_new (4, 60 * SECOND);
  gint64 wait_us = 0;
  guint i;

  fail_unless_equals_int (cv_quota_remaining (q, 0), 4);
  fail_unless_equals_int64 (cv_quota_reset_us (q, 0), 0);
  for (i = 0; i < 4; i++)
    fail_unless (cv_quota_take (q, 0, NULL));
  fail_if (cv_quota_take (q, 0, &wait_us));
  fail_unless_equals_int64 (wait_us, 15 * SECOND);
  fail_unless_equals_int (cv_quota_remaining (q, 0), 0);
  fail_unless_equals_int64 (cv_quota_reset_us (q, 0), 60 * SECOND);
  /* 15 s refill one */
  fail_if (cv_quota_take (q, 15 * SECOND - 1, &wait_us));
  fail_unless_equals_int64 (wait_us, 1);
  fail_unless (cv_quota_take (q, 15 * SECOND, NULL));
  fail_unless_equals_int64 (cv_quota_reset_us (q, 15 * SECOND), 60 * SECOND);
  /* an hour later: full, not more */
  fail_unless_equals_int (cv_quota_remaining (q, 3600 * SECOND), 4);
  cv_quota_free (q);
}

GST_END_TEST;

/* Durations are written as OpenAI writes them, and read back by the
 * element's parser to the millisecond. */
GST_START_TEST (test_quota_durations)
{
  static const struct
  {
    gint64 us;
    const gchar *text;
  } cases[] = {
    {0, "0ms"}, {20000, "20ms"}, {12345, "13ms"}, {SECOND, "1s"},
    {1500000, "1.5s"}, {59999000, "59.999s"}, {60 * SECOND, "1m0s"},
    {360 * SECOND, "6m0s"}, {3723 * SECOND + 500000, "1h2m3.5s"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *text = cv_quota_format_duration (cases[i].us);
    gint64 back = -1;

    fail_unless_equals_string (text, cases[i].text);
    if (cases[i].us <= GST_CV_ANALYZE_RATE_LIMIT_MAX_RESET_US) {
      fail_unless (gst_cv_analyze_rate_limit_parse_duration (text, &back));
      fail_unless_equals_int64 (back, (cases[i].us + 999) / 1000 * 1000);
    }
    g_free (text);
  }
}

GST_END_TEST;

/* On the wire: within the quota, 200 with what is left; beyond it, 429
 * with Retry-After (the whole seconds until a token, rounded up), counted
 * as throttled and not taken from the bucket. */
GST_START_TEST (test_quota_on_the_wire)
{
  SoupMessage *msg;
  guint64 remaining;
  gint64 reset_us;

  cv_local_server_set_quota (server, 2, 60000);
  cv_local_server_set_ratelimit_headers (server, TRUE);
  fail_unless_equals_int (post (&msg), 200);
  fail_unless_equals_string (header (msg, "x-ratelimit-limit-requests"), "2");
  fail_unless_equals_string (header (msg, "x-ratelimit-remaining-requests"),
      "1");
  fail_unless_equals_string (header (msg, "x-ratelimit-reset-requests"),
      "30s");
  g_object_unref (msg);
  fail_unless_equals_int (post (&msg), 200);
  fail_unless (gst_cv_analyze_rate_limit_read (header (msg,
              "x-ratelimit-remaining-requests"), header (msg,
              "x-ratelimit-reset-requests"), &remaining, &reset_us));
  fail_unless_equals_uint64 (remaining, 0);
  fail_unless (reset_us > 59 * SECOND && reset_us <= 60 * SECOND);
  g_object_unref (msg);
  fail_unless_equals_int (post (&msg), 429);
  fail_unless (g_strcmp0 (header (msg, "Retry-After"), "30") == 0
      || g_strcmp0 (header (msg, "Retry-After"), "29") == 0, "%s",
      header (msg, "Retry-After"));
  g_object_unref (msg);
  fail_unless_equals_int (cv_local_server_get_throttled_count (server), 1);
  /* no headers unless asked */
  cv_local_server_set_ratelimit_headers (server, FALSE);
  fail_unless_equals_int (post (&msg), 429);
  fail_unless (header (msg, "x-ratelimit-remaining-requests") == NULL);
  g_object_unref (msg);
  cv_local_server_set_quota (server, 0, 0);
  fail_unless_equals_int (post (NULL), 200);
}

GST_END_TEST;

/* Every 3rd request fails with 503 and every 4th is reset, counted over
 * all requests; a request the quota refuses is neither; an outage fails
 * everything for its length. */
GST_START_TEST (test_every_nth_and_outage)
{
  static const guint expected[] = { 200, 200, 503, 0, 200, 503, 200, 0,
    503, 200
  };
  guint i;

  cv_local_server_set_fail_every (server, 3, 503);
  cv_local_server_set_reset_every (server, 4);
  for (i = 0; i < G_N_ELEMENTS (expected); i++)
    fail_unless_equals_int (post (NULL), expected[i]);
  cv_local_server_set_reset_every (server, 0);
  cv_local_server_set_fail_every (server, 0, 0);

  /* the 2nd request, which every-2nd would fail and reset, is refused by
   * the quota first: a 429 only */
  cv_local_server_set_fail_every (server, 2, 503);
  cv_local_server_set_reset_every (server, 2);
  cv_local_server_set_quota (server, 1, 60000);
  fail_unless_equals_int (post (NULL), 200);
  fail_unless_equals_int (post (NULL), 429);
  cv_local_server_set_quota (server, 0, 0);
  cv_local_server_set_reset_every (server, 0);
  cv_local_server_set_fail_every (server, 0, 0);

  cv_local_server_set_outage (server, 503, 60000);
  fail_unless_equals_int (post (NULL), 503);
  fail_unless_equals_int (post (NULL), 503);
  cv_local_server_set_outage (server, 503, 0);
  fail_unless_equals_int (post (NULL), 200);
}

GST_END_TEST;

/* The command line: --quota with --ratelimit-headers, and --fail-every
 * with its status. */
GST_START_TEST (test_command_line)
{
  const gchar *const args[] = { "--port", "0", "--quota", "2",
    "--quota-window-ms", "60000", "--ratelimit-headers", "--fail-every", "2",
    "--fail-every-status", "502", NULL
  };
  Program program = program_start (args);
  SoupMessage *msg;

  fail_unless_equals_int (post_to (program.url, &msg), 200);
  fail_unless_equals_string (header (msg, "x-ratelimit-remaining-requests"),
      "1");
  g_object_unref (msg);
  fail_unless_equals_int (post_to (program.url, NULL), 502);
  fail_unless_equals_int (post_to (program.url, NULL), 429);
  program_stop (&program);
}

GST_END_TEST;

static Suite *
localserver_faults_suite (void)
{
  Suite *s = suite_create ("localserver-faults");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_quota_bucket);
  tcase_add_test (tc, test_quota_durations);
  tcase_add_test (tc, test_quota_on_the_wire);
  tcase_add_test (tc, test_every_nth_and_outage);
  tcase_add_test (tc, test_command_line);
  return s;
}

GST_CHECK_MAIN (localserver_faults);
