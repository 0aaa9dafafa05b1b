/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * cvanalyze-local-server: runs the local image-analysis server
 * (cvlocalserver.c) until SIGINT or SIGTERM. Its single line on stdout is
 * an interface: scripts read the URL from it.
 */

#include <stdio.h>
#include <stdlib.h>
#include <glib-unix.h>

#include "cvlocalserver.h"
#include "cvread.h"

static const gchar summary[] =
    "A local development server for image analysis: it speaks four services'\n"
    "protocols on 127.0.0.1 and answers all of them from the same\n"
    "deterministic colour analysis of the posted JPEG, not from a model;\n"
    "text is read by tesseract (real OCR, English).\n"
    "\n"
    "Routes (any other path answers 404, any other method than POST 405,\n"
    "but GET for Read results):\n"
    "  POST /vision/{v2.0|v2.1|v3.2}/analyze?visualFeatures=Color,...\n"
    "      Azure Computer Vision; body: the JPEG (application/octet-stream);\n"
    "      key in Ocp-Apim-Subscription-Key. Computes Color, Description,\n"
    "      Tags and metadata; the other features are accepted and omitted.\n"
    "  POST /vision/{v2.0|v2.1|v3.2}/generateThumbnail?width=W&height=H&\n"
    "       smartCropping=true\n"
    "      The thumbnail: image/jpeg of exactly W x H (each 1 to 1024, else\n"
    "      400 InvalidThumbnailSize), the salient crop of ratio W/H (below;\n"
    "      the centred one without smartCropping=true) scaled to that size.\n"
    "  POST /vision/{v2.0|v2.1|v3.2}/areaOfInterest\n"
    "      {\"areaOfInterest\":{\"x\",\"y\",\"w\",\"h\"},\"requestId\",\"metadata\",\n"
    "      \"modelVersion\"}: the bounding box of the pixels with at least a\n"
    "      quarter of the largest edge energy (no edges: the whole image).\n"
    "  POST /computervision/imageanalysis:analyze?api-version=2023-10-01&...\n"
    "      Azure Image Analysis 4.0 (api-version 2023-10-01 or 2024-02-01);\n"
    "      body: the JPEG (application/octet-stream); key in\n"
    "      Ocp-Apim-Subscription-Key. caption, tags, denseCaptions (the whole\n"
    "      image, then its centre), smartCrops (the salient crop of each\n"
    "      smartcrops-aspect-ratios value, or of the image's own ratio),\n"
    "      read (readResult.blocks[].lines[].words[], boundingPolygon and\n"
    "      word confidence, by tesseract; modelVersion then ends in\n"
    "      +tesseract-VERSION), and empty objects and people.\n"
    "  POST /vision/v3.2/read/analyze\n"
    "      Azure Computer Vision's Read; body: the JPEG. Reads it with\n"
    "      tesseract and answers 202 with Operation-Location:\n"
    "      http://HOST/vision/v3.2/read/analyzeResults/ID (HOST: the\n"
    "      request's Host header).\n"
    "  GET /vision/v3.2/read/analyzeResults/ID\n"
    "      {\"status\":\"running\"} --read-running times, then \"succeeded\"\n"
    "      with analyzeResult.readResults[].lines[].words[] (8-number\n"
    "      boundingBox, word confidence, modelVersion " CV_READ_V3_MODEL_VERSION
    " as the\n"
    "      API's model requires a date there),\n"
    "      or as --read-ending says. The newest 64 operations are kept,\n"
    "      for 10 minutes at most; any other ID answers 404 NotFound.\n"
    "  POST /v1/chat/completions\n"
    "      OpenAI-compatible chat completions (OpenAI, Ollama, llama-server,\n"
    "      vLLM, LM Studio); key as Authorization: Bearer KEY.\n"
    "  POST /openai/v1/chat/completions\n"
    "  POST /openai/deployments/DEPLOYMENT/chat/completions?api-version=V\n"
    "      Azure OpenAI (v1, and classic, whose deployment is the model);\n"
    "      key in api-key (v1: or as Authorization: Bearer KEY, as\n"
    "      OpenAI's own clients send it).\n"
    "Chat requests carry the image as an image_url part with a\n"
    "data:image/jpeg;base64, URL; the answer captions the last one. Its\n"
    "content is the caption, or with response_format json_schema a JSON\n"
    "object of the schema's properties among caption, tags and text (\"\":\n"
    "no text recognition yet); a token is a word, so max_tokens and\n"
    "max_completion_tokens cut the content after that many words\n"
    "(finish_reason \"length\"). An unknown model gets Ollama's 404, an\n"
    "unknown deployment Azure's DeploymentNotFound.\n"
    "\n"
    "Saliency (thumbnails, smartCrops, areaOfInterest) is edge energy: on\n"
    "the image decoded at most 512 pixels along its longer side, each\n"
    "pixel's |dL/dx| + |dL/dy| of luma, each term less a noise floor of 8\n"
    "levels. The salient crop of ratio r is the largest window of ratio r\n"
    "at the position with the most energy (ties: the one nearest the\n"
    "centre; no edges at all: centred).\n"
    "\n"
    "Each service's limits, error codes and error bodies apply. Answers say\n"
    "modelVersion (or system_fingerprint) \"local-colour-analysis\" and carry\n"
    "the header X-Cvanalyze-Server: local colour analysis (not Azure). Every\n"
    "answer carries Connection: close, unless --keep-alive.";

static const gchar description[] =
    "On start it prints one line, \"cvanalyze-local-server listening on "
    "http://127.0.0.1:PORT/\",\nthen serves until SIGINT or SIGTERM.\n"
    "The misbehaviour options exist to test clients and apply to every\n"
    "route, each in its protocol's own shape; --malformed, --wrong-types,\n"
    "--drop, --hang, --endless and --reset exclude each other.\n"
    "--lone-surrogates, --control-chars, --tags, --caption-words and\n"
    "--error-message-bytes change otherwise well-formed answers and combine\n"
    "with each other and with --status. --no-caption-region, --reasoning,\n"
    "--refuse-response-format and --refuse-max-tokens imitate real\n"
    "services' refusals and habits, and combine. --fail-every, --reset-every\n"
    "and --quota combine with each other (a request the quota refuses is\n"
    "not also failed or reset), for soak tests.";

/* The names of every --model, each of which may be a comma list. */
static gchar **
split_models (gchar ** args)
{
  GPtrArray *names = g_ptr_array_new ();
  guint i, j;

  for (i = 0; args != NULL && args[i] != NULL; i++) {
    gchar **items = g_strsplit (args[i], ",", -1);

    for (j = 0; items[j] != NULL; j++) {
      gchar *name = g_strstrip (items[j]);

      if (*name != '\0')
        g_ptr_array_add (names, g_strdup (name));
    }
    g_strfreev (items);
  }
  g_ptr_array_add (names, NULL);
  return (gchar **) g_ptr_array_free (names, FALSE);
}

static gboolean
quit_on_signal (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

/* --retry-after-form's value (NULL: the default, seconds). */
static gboolean
parse_retry_after_form (const gchar * value, CvLocalServerRetryAfter * form)
{
  static const gchar *const names[] = { "seconds", "date", "ms" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    if (g_str_equal (value ? value : "seconds", names[i])) {
      *form = (CvLocalServerRetryAfter) i;
      return TRUE;
    }
  }
  return FALSE;
}

/* --read-ending's value (NULL: the default, succeeded). */
static gboolean
parse_read_ending (const gchar * value, CvLocalServerReadEnding * ending)
{
  static const gchar *const names[] = { "succeeded", "never", "failed",
    "malformed"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    if (g_str_equal (value ? value : "succeeded", names[i])) {
      *ending = (CvLocalServerReadEnding) i;
      return TRUE;
    }
  }
  return FALSE;
}

int
main (int argc, char **argv)
{
  gint port = 0, delay_ms = 0, status = 0, retry_after = 0;
  gint tags = 0, caption_words = 0;
  gint fail_every = 0, fail_every_status = 503, reset_every = 0;
  gint quota = 0, quota_window_ms = 60000;
  gboolean ratelimit_headers = FALSE;
  gboolean keep_alive = FALSE;
  gint64 error_message_bytes = 0;
  gchar *key = NULL, *body_file = NULL, *body = NULL, *retry_after_form = NULL;
  gboolean malformed = FALSE, wrong_types = FALSE, drop = FALSE, hang = FALSE;
  gboolean endless = FALSE, reset = FALSE;
  gboolean lone_surrogates = FALSE, control_chars = FALSE;
  gboolean no_caption_region = FALSE, reasoning = FALSE;
  gboolean refuse_response_format = FALSE, refuse_max_tokens = FALSE;
  gchar **model_args = NULL, **models;
  gint read_running = 0;
  gchar *read_ending = NULL;
  CvLocalServerReadEnding ending = CV_LOCAL_SERVER_READ_SUCCEED;
  GOptionEntry entries[] = {
    {"port", 'p', 0, G_OPTION_ARG_INT, &port,
        "TCP port on 127.0.0.1 (default 0: a free port)", "PORT"},
    {"key", 'k', 0, G_OPTION_ARG_STRING, &key,
        "Key to require, in each route's header (default: accept any)",
        "KEY"},
    {"model", 'm', 0, G_OPTION_ARG_STRING_ARRAY, &model_args,
        "A model (or Azure deployment) name the chat routes know; repeat it "
          "or give a comma list (default: " CV_LOCAL_SERVER_DEFAULT_MODEL ")",
        "NAME"},
    {"body-file", 0, 0, G_OPTION_ARG_FILENAME, &body_file,
        "Answer every request that succeeds with this file's contents as "
          "the JSON body (e.g. a service's example response)", "FILE"},
    {"delay-ms", 0, 0, G_OPTION_ARG_INT, &delay_ms,
        "Answer every request this many milliseconds late", "MS"},
    {"status", 0, 0, G_OPTION_ARG_INT, &status,
        "Answer every request with this HTTP status and its service's "
          "error body for it (e.g. 429, 500, 503)", "STATUS"},
    {"retry-after", 0, 0, G_OPTION_ARG_INT, &retry_after,
        "Send this Retry-After header (seconds) with --status", "SECONDS"},
    {"retry-after-form", 0, 0, G_OPTION_ARG_STRING, &retry_after_form,
        "Send --retry-after as seconds (the default), as an HTTP date, or "
          "as retry-after-ms alone: seconds, date or ms", "FORM"},
    {"fail-every", 0, 0, G_OPTION_ARG_INT, &fail_every,
        "Answer every Nth request with --fail-every-status (the Nth, 2Nth, "
          "...), the others as usual", "N"},
    {"fail-every-status", 0, 0, G_OPTION_ARG_INT, &fail_every_status,
        "The status of --fail-every (default 503)", "STATUS"},
    {"reset-every", 0, 0, G_OPTION_ARG_INT, &reset_every,
        "Reset the TCP connection (RST) of every Nth request instead of "
          "answering it", "N"},
    {"quota", 0, 0, G_OPTION_ARG_INT, &quota,
        "Admit N requests per --quota-window-ms (a token bucket of N, "
          "refilled continuously), as a rate-limited tier does (Azure F0: 20 "
          "a minute); answer the others 429 with Retry-After until one more "
          "would be admitted", "N"},
    {"quota-window-ms", 0, 0, G_OPTION_ARG_INT, &quota_window_ms,
        "The window of --quota (default 60000: a minute)", "MS"},
    {"ratelimit-headers", 0, 0, G_OPTION_ARG_NONE, &ratelimit_headers,
        "With --quota, send OpenAI's x-ratelimit-limit-requests, "
          "x-ratelimit-remaining-requests and x-ratelimit-reset-requests "
          "(\"1s\", \"6m0s\", \"20ms\") with every answer", NULL},
    {"keep-alive", 0, 0, G_OPTION_ARG_NONE, &keep_alive,
        "Keep connections open between answers, as a real service does "
          "(the benchmark's live streams), instead of Connection: close; "
          "libsoup 3.2 then holds a connection its client closed while "
          "idle until the server stops", NULL},
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
          "caption, tags and read text", NULL},
    {"control-chars", 0, 0, G_OPTION_ARG_NONE, &control_chars,
        "Put terminal escapes, C0/C1 controls, U+202E and NUL in the "
          "caption, tags, read text, ids and error codes and messages", NULL},
    {"tags", 0, 0, G_OPTION_ARG_INT, &tags,
        "Answer with exactly N tags, tag1..tagN (default 0: as analysed)",
        "N"},
    {"caption-words", 0, 0, G_OPTION_ARG_INT, &caption_words,
        "Answer with a caption of N words (default 0: as analysed)", "N"},
    {"error-message-bytes", 0, 0, G_OPTION_ARG_INT64, &error_message_bytes,
        "Make the error messages of --status N bytes long", "N"},
    {"no-caption-region", 0, 0, G_OPTION_ARG_NONE, &no_caption_region,
        "Image Analysis 4.0: refuse caption and denseCaptions as outside "
          "their regions (400 InvalidRequest)", NULL},
    {"reasoning", 0, 0, G_OPTION_ARG_NONE, &reasoning,
        "Chat: answer with reasoning_content and a <think> block before the "
          "content, as llama-server (deepseek-legacy) does", NULL},
    {"refuse-response-format", 0, 0, G_OPTION_ARG_NONE,
          &refuse_response_format,
        "Chat: refuse response_format json_schema with OpenAI's 400", NULL},
    {"refuse-max-tokens", 0, 0, G_OPTION_ARG_NONE, &refuse_max_tokens,
        "Chat: refuse max_tokens (not max_completion_tokens) with OpenAI's "
          "400 unsupported_parameter", NULL},
    {"read-running", 0, 0, G_OPTION_ARG_INT, &read_running,
        "Read: polls of each operation that find it still running (default "
          "0)", "N"},
    {"read-ending", 0, 0, G_OPTION_ARG_STRING, &read_ending,
        "Read: what the poll after those finds: succeeded (default), never "
          "(running for ever), failed, or malformed (lines of the wrong "
          "types)", "ENDING"},
    {NULL}
  };
  GOptionContext *ctx;
  GError *error = NULL;
  CvLocalServer *server;
  CvLocalServerMode mode = CV_LOCAL_SERVER_MODE_NORMAL;
  CvLocalServerHostile hostile = CV_LOCAL_SERVER_HOSTILE_NONE;
  CvLocalServerQuirks quirks = CV_LOCAL_SERVER_QUIRK_NONE;
  CvLocalServerRetryAfter form = CV_LOCAL_SERVER_RETRY_AFTER_SECONDS;
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
      || caption_words < 0 || error_message_bytes < 0 || fail_every < 0
      || fail_every_status < 100 || fail_every_status > 599 || reset_every < 0
      || quota < 0 || quota_window_ms < 1) {
    g_printerr ("cvanalyze-local-server: --port must be 0-65535, --status "
        "and --fail-every-status 100-599, --quota-window-ms at least 1, "
        "--delay-ms, --retry-after, --tags, --caption-words, "
        "--error-message-bytes, --fail-every, --reset-every and --quota "
        "not negative.\n");
    g_free (key);
    g_free (retry_after_form);
    g_strfreev (model_args);
    return 2;
  }
  if (!parse_retry_after_form (retry_after_form, &form)) {
    g_printerr ("cvanalyze-local-server: --retry-after-form takes seconds, "
        "date or ms.\n");
    g_free (key);
    g_free (retry_after_form);
    g_strfreev (model_args);
    return 2;
  }
  g_free (retry_after_form);
  if (!parse_read_ending (read_ending, &ending) || read_running < 0) {
    g_printerr ("cvanalyze-local-server: --read-ending takes succeeded, "
        "never, failed or malformed; --read-running is not negative.\n");
    g_free (key);
    g_free (read_ending);
    g_strfreev (model_args);
    return 2;
  }
  g_free (read_ending);
  if (malformed + wrong_types + drop + hang + endless + reset > 1) {
    g_printerr ("cvanalyze-local-server: choose only one of --malformed, "
        "--wrong-types, --drop, --hang, --endless and --reset.\n");
    g_free (key);
    g_strfreev (model_args);
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
  if (no_caption_region)
    quirks |= CV_LOCAL_SERVER_QUIRK_NO_CAPTION_REGION;
  if (reasoning)
    quirks |= CV_LOCAL_SERVER_QUIRK_REASONING;
  if (refuse_response_format)
    quirks |= CV_LOCAL_SERVER_QUIRK_REFUSE_RESPONSE_FORMAT;
  if (refuse_max_tokens)
    quirks |= CV_LOCAL_SERVER_QUIRK_REFUSE_MAX_TOKENS;
  if (body_file && !g_file_get_contents (body_file, &body, NULL, &error)) {
    g_printerr ("cvanalyze-local-server: cannot read --body-file: %s\n",
        error->message);
    g_clear_error (&error);
    g_free (body_file);
    g_free (key);
    g_strfreev (model_args);
    return 2;
  }
  g_free (body_file);
  models = split_models (model_args);
  g_strfreev (model_args);

  server = cv_local_server_new_full (key, port, &error);
  /* Not needed any more, and never printed. */
  g_free (key);
  if (server == NULL) {
    g_printerr ("cvanalyze-local-server: cannot listen on 127.0.0.1 port "
        "%d: %s\n", port, error->message);
    g_clear_error (&error);
    g_strfreev (models);
    g_free (body);
    return 1;
  }
  cv_local_server_set_delay (server, delay_ms);
  cv_local_server_set_failure (server, status, retry_after);
  cv_local_server_set_retry_after_form (server, form);
  cv_local_server_set_mode (server, mode);
  cv_local_server_set_fail_every (server, fail_every, fail_every_status);
  cv_local_server_set_reset_every (server, reset_every);
  cv_local_server_set_quota (server, quota, quota_window_ms);
  cv_local_server_set_ratelimit_headers (server, ratelimit_headers);
  cv_local_server_set_keep_alive (server, keep_alive);
  cv_local_server_set_hostile (server, hostile);
  cv_local_server_set_tag_count (server, tags);
  cv_local_server_set_caption_words (server, caption_words);
  cv_local_server_set_error_message_size (server, error_message_bytes);
  cv_local_server_set_quirks (server, quirks);
  cv_local_server_set_read_running (server, read_running);
  cv_local_server_set_read_ending (server, ending);
  if (body)
    cv_local_server_set_canned_body (server, body);
  g_free (body);
  cv_local_server_set_models (server, (const gchar * const *) models);
  g_strfreev (models);

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
