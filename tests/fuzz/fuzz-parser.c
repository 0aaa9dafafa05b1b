/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * Fuzz target of the response parser, built with AddressSanitizer and
 * UndefinedBehaviorSanitizer (LeakSanitizer on): mutates the official
 * Azure examples (FIXTURES_DIR) and a few error bodies, feeds each input to
 * gst_cv_analyze_parse_response() and gst_cv_analyze_parse_error(), and
 * checks what they promise: a result or an error, never both or neither,
 * and every string of the result, of the error code and message, safe
 * text within its cap.
 *
 * Input number N is a function of the seed and N alone, so a run is
 * reproducible and inputs can be replayed with --first N --count M. The
 * run stops after --seconds (or FUZZ_SECONDS) and ends with a line
 * "fuzz: N inputs ..., 0 crashes"; a broken promise names the input and
 * exits with status 1, a sanitizer report aborts with its own status.
 * Leaks are looked for every LEAK_CHECK_INTERVAL inputs, after every input
 * when replaying, so a leak is pinned down to one input.
 *
 *   fuzz-parser [--seconds 60] [--seed 20260101] [--first N --count M]
 *     [--dump FILE]
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <stdlib.h>
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "gstcvanalyzeparser.h"
#include "gstcvanalyzesafetext.h"
#include "resultcheck.h"

#define DEFAULT_SECONDS 60
#define DEFAULT_SEED 20260101
#define LEAK_CHECK_INTERVAL 1024

/* Error bodies of every documented shape, hostile ones among them: the
 * examples hold success answers only. */
static const gchar *extra_seeds[] = {
  "{\"error\":{\"code\":\"InvalidRequest\",\"message\":\"Image format is "
      "not valid.\",\"innererror\":{\"code\":\"InvalidImageFormat\","
      "\"message\":\"Input data is not a valid image.\"}}}",
  "{\"code\":\"InvalidImageUrl\",\"requestId\":\"1\",\"message\":\"Image "
      "URL is badly formatted.\"}",
  "{\"error\":{\"code\":429,\"message\":\"Rate limit is exceeded.\"}}",
  "{\"statusCode\":401,\"message\":\"Access denied\"}",
  "{\"error\":{\"code\":\"\\u001b[2J\\ud800\",\"message\":\"\\u0007m\\u0000"
      "x\\u009b\",\"innererror\":{\"code\":\"\\u202e\",\"message\":\"\\udfff"
      "\"}}}",
  "{\"description\":{\"tags\":[\"\\ud800abc\",\"\\u0000\"],\"captions\":"
      "[{\"text\":\"a \\u001b]0;pwned\\u0007\\u0085\",\"confidence\":0.5}]},"
      "\"requestId\":\"\\u009b\",\"modelVersion\":\"\\\\u0000\"}",
};

/* Fragments spliced into inputs: text put inside strings... */
static const gchar *text_fragments[] = {
  /* surrogates, short and unknown escapes */
  "\\ud800", "\\udfff", "\\udbff\\udfff", "\\ud83d\\ude00", "\\ud800\\u0000",
  "\\ud800\\ud800", "\\u12", "\\u", "\\", "\\\\u0000", "\\q",
  /* escaped controls */
  "\\u0000", "\\u001b[2J", "\\u001b]0;pwned\\u0007", "\\u0007", "\\u007f",
  "\\u0085", "\\u009b", "\\u202e", "\\u2028", "\\t", "\\n",
  /* raw controls and odd UTF-8 */
  "\x1b[31m", "\x07", "\x7f", "\xc2\x9b", "\xc2\x85", "\xe2\x80\xae",
  "\xed\xa0\x80", "\xc0\x80", "\xff", "\xf4\x90\x80\x80", "\xef\xbb\xbf",
};

/* ... numbers put where numbers are... */
static const gchar *number_fragments[] = {
  "1e999", "-1e400", "123456789012345678901234567890", "-0", "4294967296",
  "-9223372036854775809", "9223372036854775807", "2147483648", "0.5e-400",
  "1.7976931348623157e309", "NaN", "Infinity", "012", "1.", ".5",
};

/* ... and values and structure put anywhere. */
static const gchar *value_fragments[] = {
  "null", "true", "[]", "{}", "\"\"", "[null]", "[[[[", "]]]]", "{\"a\":",
  ",", ":", "\"", "/*", "'", "#", "\"\\ud800\"", "\"\\u0000\"",
};

/* Member names of the Azure answers, for duplicated and retyped members. */
static const gchar *members[] = {
  "description", "captions", "text", "confidence", "tags", "name", "hint",
  "categories", "detail", "celebrities", "landmarks", "faceRectangle",
  "left", "top", "width", "height", "rectangle", "x", "y", "w", "h",
  "objects", "object", "parent", "brands", "faces", "age", "gender",
  "color", "dominantColors", "isBWImg", "isBwImg", "imageType", "adult",
  "adultScore", "metadata", "format", "requestId", "modelVersion", "error",
  "code", "message", "innererror", "statusCode", "score",
};

static GPtrArray *corpus;
static const gchar *dump_path;
static guint64 current_input;
static guint32 seed = DEFAULT_SEED;

static void
on_sanitizer_death (void)
{
  g_printerr ("fuzz: a sanitizer stopped the run at input %" G_GUINT64_FORMAT
      " (seed %u); replay it with --seed %u --first %" G_GUINT64_FORMAT
      " --count 1\n", current_input, seed, seed, current_input);
}

static void
add_seed (const gchar * text, gssize length)
{
  g_ptr_array_add (corpus, g_bytes_new (text,
          length < 0 ? strlen (text) : (gsize) length));
}

/* The whole example file, and its answer as compact and as pretty text. */
static void
add_fixture (const gchar * path)
{
  JsonParser *parser = json_parser_new ();
  gchar *contents;
  gsize length;
  JsonNode *root;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    g_error ("cannot read %s", path);
  add_seed (contents, length);
  if (json_parser_load_from_data (parser, contents, length, NULL)
      && (root = json_parser_get_root (parser)) != NULL
      && JSON_NODE_HOLDS_OBJECT (root)) {
    JsonObject *responses =
        json_object_get_object_member (json_node_get_object (root),
        "responses");
    JsonObject *ok = responses ?
        json_object_get_object_member (responses, "200") : NULL;
    JsonNode *body = ok ? json_object_get_member (ok, "body") : NULL;

    if (body != NULL) {
      gchar *compact = json_to_string (body, FALSE);
      gchar *pretty = json_to_string (body, TRUE);

      add_seed (compact, -1);
      add_seed (pretty, -1);
      g_free (compact);
      g_free (pretty);
    }
  }
  g_object_unref (parser);
  g_free (contents);
}

static void
add_fixtures (const gchar * dir_path)
{
  GDir *dir = g_dir_open (dir_path, 0, NULL);
  const gchar *name;

  if (dir == NULL)
    g_error ("cannot open %s", dir_path);
  while ((name = g_dir_read_name (dir)) != NULL) {
    gchar *path = g_build_filename (dir_path, name, NULL);

    if (g_file_test (path, G_FILE_TEST_IS_DIR))
      add_fixtures (path);
    else if (g_str_has_suffix (name, ".json"))
      add_fixture (path);
    g_free (path);
  }
  g_dir_close (dir);
}

static gsize
random_position (GRand * rand, GString * input)
{
  return input->len ? (gsize) g_rand_int_range (rand, 0, input->len + 1) : 0;
}

static void
insert (GString * input, gsize position, const gchar * text, gsize length)
{
  g_string_insert_len (input, position, text, length);
}

/* A position just inside a string, if the input has one there. */
static gsize
string_position (GRand * rand, GString * input)
{
  gsize start = random_position (rand, input), i;

  for (i = start; i < input->len; i++)
    if (input->str[i] == '"')
      return i + 1;
  return start;
}

/* The end of the object that contains @position: just before its
 * closing brace, or the input's end. Strings are skipped roughly. */
static gsize
object_end (GString * input, gsize position)
{
  gboolean in_string = FALSE;
  gint depth = 0;
  gsize i;

  for (i = position; i < input->len; i++) {
    gchar c = input->str[i];

    if (in_string) {
      if (c == '\\')
        i++;
      else if (c == '"')
        in_string = FALSE;
    } else if (c == '"') {
      in_string = TRUE;
    } else if (c == '{' || c == '[') {
      depth++;
    } else if ((c == '}' || c == ']') && --depth < 0) {
      return i;
    }
  }
  return input->len;
}

static const gchar *
pick (GRand * rand, const gchar ** strings, guint n)
{
  return strings[g_rand_int_range (rand, 0, n)];
}

/* A member that is already in the input once more, after it (so the copy
 * wins in json-glib) and with a value of any type. */
static void
duplicate_member (GRand * rand, GString * input)
{
  const gchar *member = pick (rand, members, G_N_ELEMENTS (members));
  gchar *key = g_strdup_printf ("\"%s\":", member);
  gchar *haystack = g_strndup (input->str, input->len);
  gchar *found = strstr (haystack, key);
  gchar *addition;
  gsize end;

  if (found != NULL) {
    end = object_end (input, found - haystack + strlen (key));
    if (g_rand_boolean (rand))
      addition = g_strdup_printf (",%s%s", key, pick (rand, value_fragments,
              G_N_ELEMENTS (value_fragments)));
    else
      addition = g_strdup_printf (",%s\"%s%s\"", key, pick (rand,
              text_fragments, G_N_ELEMENTS (text_fragments)), member);
    insert (input, end, addition, strlen (addition));
    g_free (addition);
  }
  g_free (haystack);
  g_free (key);
}

/* Many items in one array, to meet the caps. */
static void
grow_array (GRand * rand, GString * input)
{
  GString *items = g_string_new (NULL);
  guint n = g_rand_int_range (rand, 900, 2100), i;
  gboolean objects = g_rand_boolean (rand);
  gchar *haystack = g_strndup (input->str, input->len);
  gchar *found = strstr (haystack, objects ? "[{" : "[\"");

  for (i = 0; i < n; i++)
    g_string_append_printf (items, objects ?
        "{\"name\":\"n%u\",\"confidence\":0.5,\"text\":\"t\"}," :
        "\"item%u\",", i);
  insert (input, found ? (gsize) (found - haystack) + 1 :
      random_position (rand, input), items->str, items->len);
  g_free (haystack);
  g_string_free (items, TRUE);
}

static void
nest (GRand * rand, GString * input)
{
  /* mostly around the limit, now and then far past it */
  guint depth = g_rand_int_range (rand, 0, 8) == 0 ?
      g_rand_int_range (rand, 1000, 100000) : g_rand_int_range (rand, 1, 80);
  const gchar *open = g_rand_boolean (rand) ? "[" : "{\"a\":";
  gsize position = random_position (rand, input);
  GString *brackets = g_string_new (NULL);
  guint i;

  for (i = 0; i < depth; i++)
    g_string_append (brackets, open);
  insert (input, position, brackets->str, brackets->len);
  if (g_rand_boolean (rand)) {
    gsize close = position + brackets->len + g_rand_int_range (rand, 0, 20);

    g_string_truncate (brackets, 0);
    for (i = 0; i < depth; i++)
      g_string_append_c (brackets, open[0] == '[' ? ']' : '}');
    insert (input, MIN (input->len, close), brackets->str, brackets->len);
  }
  g_string_free (brackets, TRUE);
}

static void
splice (GRand * rand, GString * input)
{
  GBytes *other = g_ptr_array_index (corpus,
      g_rand_int_range (rand, 0, corpus->len));
  gsize size, from, length;
  const gchar *data = g_bytes_get_data (other, &size);

  from = g_rand_int_range (rand, 0, size);
  length = g_rand_int_range (rand, 0, MIN (size - from, 4000) + 1);
  if (g_rand_boolean (rand) && input->len > 0) {
    gsize at = random_position (rand, input);
    gsize cut = g_rand_int_range (rand, 0, 400);

    cut = MIN (input->len - at, cut);

    g_string_erase (input, at, cut);
  }
  insert (input, random_position (rand, input), data + from, length);
}

static void
mutate (GRand * rand, GString * input)
{
  const gchar *fragment;
  gsize position;

  switch (g_rand_int_range (rand, 0, 10)) {
    case 0:                    /* bit flip */
      if (input->len > 0)
        input->str[g_rand_int_range (rand, 0, input->len)] ^=
            1 << g_rand_int_range (rand, 0, 8);
      break;
    case 1:                    /* random byte */
      if (input->len > 0)
        input->str[g_rand_int_range (rand, 0, input->len)] =
            g_rand_int_range (rand, 0, 256);
      break;
    case 2:                    /* truncation */
      g_string_truncate (input, random_position (rand, input));
      break;
    case 3:
      splice (rand, input);
      break;
    case 4:
      nest (rand, input);
      break;
    case 5:                    /* hostile text inside a string */
      fragment = pick (rand, text_fragments, G_N_ELEMENTS (text_fragments));
      position = string_position (rand, input);
      insert (input, position, fragment, strlen (fragment));
      break;
    case 6:                    /* a value or bracket anywhere */
      fragment = pick (rand, value_fragments, G_N_ELEMENTS (value_fragments));
      insert (input, random_position (rand, input), fragment,
          strlen (fragment));
      break;
    case 7:
      duplicate_member (rand, input);
      break;
    case 8:                    /* rarely: big inputs are slow */
      if (g_rand_int_range (rand, 0, 8) == 0)
        grow_array (rand, input);
      else
        splice (rand, input);
      break;
    case 9:                    /* a number replaced by an odd one */
      position = random_position (rand, input);
      while (position < input->len && !g_ascii_isdigit (input->str[position]))
        position++;
      fragment = pick (rand, number_fragments,
          G_N_ELEMENTS (number_fragments));
      if (position < input->len)
        input->str[position] = ' ';
      insert (input, position, fragment, strlen (fragment));
      break;
  }
}

static GString *
make_input (guint64 index)
{
  guint32 words[3] = { seed, (guint32) index, (guint32) (index >> 32) };
  GRand *rand = g_rand_new_with_seed_array (words, 3);
  /* the first inputs are the seeds as they are */
  GBytes *base = g_ptr_array_index (corpus, index < corpus->len ? index :
      (guint) g_rand_int_range (rand, 0, corpus->len));
  GString *input = g_string_new (NULL);
  gsize size;
  const gchar *data = g_bytes_get_data (base, &size);
  guint n, i;

  g_string_append_len (input, data, size);
  n = index < corpus->len ? 0 : g_rand_int_range (rand, 1, 9);
  for (i = 0; i < n; i++)
    mutate (rand, input);
  g_rand_free (rand);
  return input;
}

static void
broken (guint64 index, const gchar * what, gchar * problem)
{
  g_printerr ("fuzz: input %" G_GUINT64_FORMAT " (seed %u): %s: %s; replay "
      "it with --seed %u --first %" G_GUINT64_FORMAT " --count 1\n", index,
      seed, what, problem, seed, index);
  g_free (problem);
  exit (1);
}

/* An error message of the parser's own, around safe text. */
#define ERROR_MESSAGE_CHARS (2 * GST_CV_ANALYZE_MAX_MESSAGE_CHARS)

static void
check_input (guint64 index, const gchar * body, gssize length)
{
  GError *err = NULL;
  GstStructure *result = gst_cv_analyze_parse_response (body, length, &err);
  gchar *code = NULL, *message = NULL;
  gchar *problem;

  if ((result == NULL) == (err == NULL))
    broken (index, "parse_response", g_strdup ("not a result or an error"));
  if (result != NULL && (problem = cv_check_safe_structure (result)))
    broken (index, "result", problem);
  if (err != NULL
      && (problem = cv_check_safe_text (err->message, ERROR_MESSAGE_CHARS)))
    broken (index, "error message", problem);
  g_clear_pointer (&result, gst_structure_free);
  g_clear_error (&err);

  if (gst_cv_analyze_parse_error (body, length, &code, &message)) {
    if (code == NULL && message == NULL)
      broken (index, "parse_error", g_strdup ("neither code nor message"));
    if (code != NULL && (problem = cv_check_safe_text (code,
                GST_CV_ANALYZE_MAX_NAME_CHARS)))
      broken (index, "error code", problem);
    if (message != NULL && (problem = cv_check_safe_text (message,
                GST_CV_ANALYZE_MAX_MESSAGE_CHARS)))
      broken (index, "error message", problem);
  } else if (code != NULL || message != NULL) {
    broken (index, "parse_error", g_strdup ("wrote out values, said FALSE"));
  }
  g_free (code);
  g_free (message);
}

static void
run_input (guint64 index)
{
  GString *input = make_input (index);
  /* in a buffer of its own size, so ASan sees any read past the end */
  gchar *exact = g_memdup2 (input->str, MAX (input->len, 1));

  current_input = index;
  if (dump_path != NULL && !g_file_set_contents (dump_path, input->str,
          input->len, NULL))
    g_error ("cannot write %s", dump_path);
  check_input (index, exact, input->len);
  /* as a NUL-terminated string too: stops at the first NUL */
  check_input (index, input->str, -1);
  g_free (exact);
  g_string_free (input, TRUE);
}

/* Runs inputs from @first on, @count of them or, if 0, until @deadline;
 * returns how many ran. */
static guint64
run_inputs (guint64 first, guint64 count, gint64 deadline)
{
  guint interval = count > 0 ? 1 : LEAK_CHECK_INTERVAL;
  guint64 index, checked = first;

  for (index = first; count > 0 ? index - first < count :
      index < corpus->len || g_get_monotonic_time () < deadline; index++) {
    run_input (index);
    if ((index + 1 - first) % interval == 0) {
      if (__lsan_do_recoverable_leak_check ()) {
        g_printerr ("fuzz: leaks in inputs %" G_GUINT64_FORMAT " to %"
            G_GUINT64_FORMAT " (seed %u); find it with --seed %u --first %"
            G_GUINT64_FORMAT " --count %u\n", checked, index, seed, seed,
            checked, interval);
        exit (1);
      }
      checked = index + 1;
    }
  }
  return index - first;
}

int
main (int argc, char **argv)
{
  const gchar *env_seconds = g_getenv ("FUZZ_SECONDS");
  gint seconds = env_seconds ? atoi (env_seconds) : DEFAULT_SECONDS;
  gint64 first = 0, count = 0;
  gint seed_arg = DEFAULT_SEED;
  const gchar *fixtures = g_getenv ("FIXTURES_DIR");
  GOptionEntry entries[] = {
    {"seconds", 0, 0, G_OPTION_ARG_INT, &seconds,
        "How long to run (default FUZZ_SECONDS, else 60)", "S"},
    {"seed", 0, 0, G_OPTION_ARG_INT, &seed_arg, "Seed of the inputs", "N"},
    {"first", 0, 0, G_OPTION_ARG_INT64, &first, "Start at input N", "N"},
    {"count", 0, 0, G_OPTION_ARG_INT64, &count,
        "Run M inputs, however long it takes", "M"},
    {"dump", 0, 0, G_OPTION_ARG_FILENAME, &dump_path,
        "Write each input to FILE before it runs", "FILE"},
    {NULL}
  };
  GOptionContext *context = g_option_context_new ("- fuzz the parser");
  GError *err = NULL;
  guint64 index, ran;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (context);
  if (fixtures == NULL) {
    g_printerr ("FIXTURES_DIR is not set\n");
    return 2;
  }
  seed = (guint32) seed_arg;
  __sanitizer_set_death_callback (on_sanitizer_death);

  corpus = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  add_fixtures (fixtures);
  for (index = 0; index < G_N_ELEMENTS (extra_seeds); index++)
    add_seed (extra_seeds[index], -1);

  /* the seeds as they are come first, then mutants */
  ran = run_inputs (first, count, g_get_monotonic_time () +
      (gint64) seconds * G_USEC_PER_SEC);
  g_print ("fuzz: %" G_GUINT64_FORMAT " inputs from %u seeds (seed %u, "
      "first %" G_GINT64_FORMAT "), 0 crashes\n", ran, corpus->len, seed,
      first);

  g_ptr_array_unref (corpus);
  gst_deinit ();
  return 0;
}
