/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Unit tests of the Azure Computer Vision response parser, fed with the
 * official examples of the API specification (FIXTURES_DIR) and with broken
 * answers. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <sys/resource.h>
#include <gio/gio.h>
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>

#include "gstcvanalyzeparser.h"
#include "gstcvanalyzesafetext.h"
#include "../../fuzz/resultcheck.h"

static const gchar *cv_versions[] = { "v2.0", "v2.1", "v3.2" };

static gchar *
fixture_path (const gchar * version, const gchar * name)
{
  const gchar *dir = g_getenv ("FIXTURES_DIR");

  fail_unless (dir != NULL, "FIXTURES_DIR is not set");
  return g_build_filename (dir, "ComputerVision", version, name, NULL);
}

/* Loads an example file and returns its responses.200.body node, owned by
 * the returned parser. */
static JsonNode *
load_fixture_body (const gchar * path, JsonParser ** parser_out)
{
  JsonParser *parser = json_parser_new ();
  GError *err = NULL;
  JsonObject *root;
  JsonNode *body;

  fail_unless (json_parser_load_from_file (parser, path, &err),
      "cannot read %s: %s", path, err ? err->message : "?");
  root = json_node_get_object (json_parser_get_root (parser));
  body = json_object_get_member (json_object_get_object_member
      (json_object_get_object_member (root, "responses"), "200"), "body");
  fail_unless (body != NULL, "%s has no responses.200.body", path);
  *parser_out = parser;
  return body;
}

/* The response text as the service would send it. */
static gchar *
fixture_body_text (const gchar * version, const gchar * name)
{
  gchar *path = fixture_path (version, name);
  JsonParser *parser;
  gchar *text = json_to_string (load_fixture_body (path, &parser), FALSE);

  g_object_unref (parser);
  g_free (path);
  return text;
}

static void
assert_safe_structure (const GstStructure * s)
{
  gchar *problem = cv_check_safe_structure (s);

  fail_unless (problem == NULL, "unsafe result: %s", problem);
}

static void
assert_safe_text (const gchar * text, guint max_chars)
{
  gchar *problem = cv_check_safe_text (text, max_chars);

  fail_unless (problem == NULL, "unsafe text: %s", problem);
}

static GstStructure *
parse_ok (const gchar * text)
{
  GError *err = NULL;
  GstStructure *s = gst_cv_analyze_parse_response (text, -1, &err);

  fail_unless (s != NULL, "parse failed: %s", err ? err->message : "?");
  fail_unless (err == NULL);
  fail_unless_equals_string (gst_structure_get_name (s),
      GST_CV_ANALYZE_RESULT_NAME);
  assert_safe_structure (s);
  return s;
}

static GstStructure *
parse_fixture (const gchar * version, const gchar * name)
{
  gchar *text = fixture_body_text (version, name);
  GstStructure *s = parse_ok (text);

  g_free (text);
  return s;
}

static const GstStructure *
array_structure (const GstStructure * s, const gchar * field, guint index)
{
  const GValue *array = gst_structure_get_value (s, field);

  fail_unless (array != NULL, "no field %s", field);
  fail_unless (GST_VALUE_HOLDS_ARRAY (array));
  fail_unless (index < gst_value_array_get_size (array));
  return gst_value_get_structure (gst_value_array_get_value (array, index));
}

static const gchar *
array_string (const GstStructure * s, const gchar * field, guint index)
{
  const GValue *array = gst_structure_get_value (s, field);

  fail_unless (array != NULL, "no field %s", field);
  fail_unless (index < gst_value_array_get_size (array));
  return g_value_get_string (gst_value_array_get_value (array, index));
}

static guint
array_size (const GstStructure * s, const gchar * field)
{
  const GValue *array = gst_structure_get_value (s, field);

  fail_unless (array != NULL, "no field %s", field);
  return gst_value_array_get_size (array);
}

static const GstStructure *
nested (const GstStructure * s, const gchar * field)
{
  const GValue *v = gst_structure_get_value (s, field);

  fail_unless (v != NULL && GST_VALUE_HOLDS_STRUCTURE (v), "no %s", field);
  return gst_value_get_structure (v);
}

static void
assert_double (const GstStructure * s, const gchar * field, gdouble expected)
{
  gdouble d;

  fail_unless (gst_structure_get_double (s, field, &d), "no double %s", field);
  fail_unless (G_APPROX_VALUE (d, expected, 1e-12), "%s: %.17g != %.17g",
      field, d, expected);
}

static void
assert_int (const GstStructure * s, const gchar * field, gint expected)
{
  gint i;

  fail_unless (gst_structure_get_int (s, field, &i), "no int %s", field);
  fail_unless_equals_int (i, expected);
}

static void
assert_boolean (const GstStructure * s, const gchar * field, gboolean expected)
{
  gboolean b;

  fail_unless (gst_structure_get_boolean (s, field, &b), "no boolean %s",
      field);
  fail_unless_equals_int (b, expected);
}

static void
assert_rect (const GstStructure * s, gint x, gint y, gint w, gint h)
{
  assert_int (s, "x", x);
  assert_int (s, "y", y);
  assert_int (s, "width", w);
  assert_int (s, "height", h);
}

/* Every official ComputerVision example (v2.0, v2.1, v3.2) parses. */
GST_START_TEST (test_all_fixtures_parse)
{
  guint i, count = 0;

  for (i = 0; i < G_N_ELEMENTS (cv_versions); i++) {
    gchar *dir_path = fixture_path (cv_versions[i], NULL);
    GDir *dir = g_dir_open (dir_path, 0, NULL);
    const gchar *name;

    fail_unless (dir != NULL, "cannot open %s", dir_path);
    while ((name = g_dir_read_name (dir)) != NULL) {
      GstStructure *s;

      if (!g_str_has_suffix (name, ".json"))
        continue;
      GST_INFO ("parsing %s/%s", cv_versions[i], name);
      s = parse_fixture (cv_versions[i], name);
      fail_unless (gst_structure_has_field (s, "request-id"), "%s", name);
      fail_unless (gst_structure_has_field (s, "metadata"), "%s", name);
      fail_unless (gst_structure_has_field (s, "tags"), "%s", name);
      gst_structure_free (s);
      count++;
    }
    g_dir_close (dir);
    g_free (dir_path);
  }
  /* 12 + 5 + 6 files when this test was written. */
  fail_unless (count >= 23, "only %u fixtures found", count);
}

GST_END_TEST;

/* The v3.2 Analyze example maps, value for value, onto the result model. */
GST_START_TEST (test_v32_analyze_values)
{
  GstStructure *s =
      parse_fixture ("v3.2", "SuccessfulAnalyzeImageWithUrl.json");
  const GstStructure *sub, *obj;

  fail_unless_equals_string (gst_structure_get_string (s, "caption"),
      "Satya Nadella sitting on a bench");
  assert_double (s, "confidence", 0.48293603002174407);
  fail_unless_equals_int (array_size (s, "captions"), 1);
  sub = array_structure (s, "captions", 0);
  fail_unless_equals_string (gst_structure_get_name (sub), "caption");
  fail_unless_equals_string (gst_structure_get_string (sub, "text"),
      "Satya Nadella sitting on a bench");
  assert_double (sub, "confidence", 0.48293603002174407);

  /* tags come from the Tags feature, not description.tags */
  fail_unless_equals_int (array_size (s, "tags"), 5);
  fail_unless_equals_string (array_string (s, "tags", 0), "person");
  fail_unless_equals_string (array_string (s, "tags", 4), "pangolin");
  fail_unless_equals_int (array_size (s, "tag-details"), 5);
  sub = array_structure (s, "tag-details", 4);
  fail_unless_equals_string (gst_structure_get_name (sub), "tag");
  fail_unless_equals_string (gst_structure_get_string (sub, "name"),
      "pangolin");
  fail_unless_equals_string (gst_structure_get_string (sub, "hint"), "mammal");
  assert_double (sub, "confidence", 0.7250059783791661);
  fail_if (gst_structure_has_field (array_structure (s, "tag-details", 0),
          "hint"));
  fail_unless_equals_int (array_size (s, "description-tags"), 5);
  fail_unless_equals_string (array_string (s, "description-tags", 4),
      "glasses");

  fail_unless_equals_int (array_size (s, "categories"), 3);
  sub = array_structure (s, "categories", 0);
  fail_unless_equals_string (gst_structure_get_name (sub), "category");
  fail_unless_equals_string (gst_structure_get_string (sub, "name"),
      "abstract_");
  assert_double (sub, "score", 0.00390625);
  fail_if (gst_structure_has_field (sub, "celebrities"));
  sub = array_structure (s, "categories", 1);
  fail_unless_equals_string (gst_structure_get_string (sub, "name"), "people_");
  assert_double (sub, "score", 0.83984375);
  obj = array_structure (sub, "celebrities", 0);
  fail_unless_equals_string (gst_structure_get_name (obj), "celebrity");
  fail_unless_equals_string (gst_structure_get_string (obj, "name"),
      "Satya Nadella");
  assert_double (obj, "confidence", 0.999028444);
  assert_rect (obj, 597, 162, 248, 248);
  sub = array_structure (s, "categories", 2);
  fail_unless_equals_string (gst_structure_get_string (sub, "name"),
      "building_");
  obj = array_structure (sub, "landmarks", 0);
  fail_unless_equals_string (gst_structure_get_name (obj), "landmark");
  fail_unless_equals_string (gst_structure_get_string (obj, "name"),
      "Forbidden City");
  assert_double (obj, "confidence", 0.98290169239044189);

  sub = nested (s, "adult");
  fail_unless_equals_string (gst_structure_get_name (sub), "adult");
  assert_boolean (sub, "is-adult-content", FALSE);
  assert_boolean (sub, "is-racy-content", FALSE);
  assert_boolean (sub, "is-gory-content", FALSE);
  assert_double (sub, "adult-score", 0.0934349000453949);
  assert_double (sub, "racy-score", 0.068613491952419281);
  assert_double (sub, "gore-score", 0.012872257380997575);

  fail_unless_equals_int (array_size (s, "faces"), 1);
  sub = array_structure (s, "faces", 0);
  fail_unless_equals_string (gst_structure_get_name (sub), "face");
  assert_rect (sub, 593, 160, 250, 250);
  assert_int (sub, "age", 44);
  fail_unless_equals_string (gst_structure_get_string (sub, "gender"), "Male");

  fail_unless_equals_int (array_size (s, "objects"), 1);
  sub = array_structure (s, "objects", 0);
  fail_unless_equals_string (gst_structure_get_name (sub), "object");
  assert_rect (sub, 0, 0, 50, 50);
  fail_unless_equals_string (gst_structure_get_string (sub, "object"), "tree");
  assert_double (sub, "confidence", 0.9);
  obj = nested (sub, "parent");
  fail_unless_equals_string (gst_structure_get_name (obj), "object-parent");
  fail_unless_equals_string (gst_structure_get_string (obj, "object"), "plant");
  assert_double (obj, "confidence", 0.95);
  fail_if (gst_structure_has_field (obj, "parent"));

  fail_unless_equals_int (array_size (s, "brands"), 2);
  sub = array_structure (s, "brands", 0);
  fail_unless_equals_string (gst_structure_get_name (sub), "brand");
  fail_unless_equals_string (gst_structure_get_string (sub, "name"), "Pepsi");
  assert_double (sub, "confidence", 0.857);
  assert_rect (sub, 489, 79, 161, 177);
  sub = array_structure (s, "brands", 1);
  fail_unless_equals_string (gst_structure_get_string (sub, "name"),
      "Coca-Cola");
  assert_rect (sub, 216, 55, 171, 372);

  sub = nested (s, "color");
  fail_unless_equals_string (gst_structure_get_name (sub), "color");
  fail_unless_equals_string (gst_structure_get_string (sub,
          "dominant-color-foreground"), "Brown");
  fail_unless_equals_string (gst_structure_get_string (sub,
          "dominant-color-background"), "Brown");
  fail_unless_equals_int (array_size (sub, "dominant-colors"), 2);
  fail_unless_equals_string (array_string (sub, "dominant-colors", 1), "Black");
  fail_unless_equals_string (gst_structure_get_string (sub, "accent-color"),
      "873B59");
  assert_boolean (sub, "is-bw-img", FALSE);

  sub = nested (s, "image-type");
  fail_unless_equals_string (gst_structure_get_name (sub), "image-type");
  assert_int (sub, "clip-art-type", 0);
  assert_int (sub, "line-drawing-type", 0);

  fail_unless_equals_string (gst_structure_get_string (s, "request-id"),
      "0dbec5ad-a3d3-4f7e-96b4-dfd57efe967d");
  fail_unless_equals_string (gst_structure_get_string (s, "model-version"),
      "2021-04-01");
  sub = nested (s, "metadata");
  fail_unless_equals_string (gst_structure_get_name (sub), "metadata");
  assert_int (sub, "width", 1500);
  assert_int (sub, "height", 1000);
  fail_unless_equals_string (gst_structure_get_string (sub, "format"), "Jpeg");

  gst_structure_free (s);
}

GST_END_TEST;

/* The v2.x spelling isBwImg is understood, and a v2.0 answer (no objects,
 * brands or model version) leaves those fields out. */
GST_START_TEST (test_v2_isbwimg_spelling)
{
  gchar *path = fixture_path ("v2.0", "SuccessfulAnalyzeWithUrl.json");
  JsonParser *parser;
  JsonNode *body = load_fixture_body (path, &parser);
  JsonObject *color = json_object_get_object_member (json_node_get_object
      (body), "color");
  GstStructure *s;
  gchar *text;

  json_object_remove_member (color, "isBWImg");
  json_object_set_boolean_member (color, "isBwImg", TRUE);
  text = json_to_string (body, FALSE);
  s = parse_ok (text);
  assert_boolean (nested (s, "color"), "is-bw-img", TRUE);
  fail_if (gst_structure_has_field (nested (s, "adult"), "is-gory-content"));
  fail_if (gst_structure_has_field (s, "objects"));
  fail_if (gst_structure_has_field (s, "brands"));
  fail_if (gst_structure_has_field (s, "model-version"));
  fail_unless_equals_string (gst_structure_get_string (s, "caption"),
      "Satya Nadella sitting on a bench");

  gst_structure_free (s);
  g_free (text);
  g_object_unref (parser);
  g_free (path);
}

GST_END_TEST;

/* A Describe answer has no Tags feature: tags come from description.tags,
 * and the caption is the most confident one. */
GST_START_TEST (test_describe_only)
{
  GstStructure *s = parse_fixture ("v2.0", "SuccessfulDescribeWithUrl.json");
  const gchar *reordered = "{\"description\":{\"tags\":[\"a\"],"
      "\"captions\":[{\"text\":\"low\",\"confidence\":0.1},"
      "{\"text\":\"high\",\"confidence\":0.9},"
      "{\"text\":\"mid\",\"confidence\":0.5}]}}";

  fail_unless_equals_int (array_size (s, "tags"), 5);
  fail_unless_equals_string (array_string (s, "tags", 4), "glasses");
  fail_unless_equals_int (array_size (s, "description-tags"), 5);
  fail_if (gst_structure_has_field (s, "tag-details"));
  fail_unless_equals_int (array_size (s, "captions"), 3);
  fail_unless_equals_string (gst_structure_get_string (s, "caption"),
      "Satya Nadella sitting on a bench");
  fail_if (gst_structure_has_field (s, "categories"));
  fail_if (gst_structure_has_field (s, "faces"));
  fail_if (gst_structure_has_field (s, "color"));
  gst_structure_free (s);

  s = parse_ok (reordered);
  fail_unless_equals_string (gst_structure_get_string (s, "caption"), "high");
  assert_double (s, "confidence", 0.9);
  fail_unless_equals_string (array_string (s, "tags", 0), "a");
  gst_structure_free (s);
}

GST_END_TEST;

/* A Tag answer gives tags and tag-details, and no caption or description. */
GST_START_TEST (test_tag_only)
{
  GstStructure *s = parse_fixture ("v3.2", "SuccessfulTagImageWithUrl.json");

  fail_unless_equals_int (array_size (s, "tags"), 8);
  fail_unless_equals_string (array_string (s, "tags", 0), "grass");
  fail_unless_equals_string (array_string (s, "tags", 7), "residential");
  fail_unless_equals_int (array_size (s, "tag-details"), 8);
  assert_double (array_structure (s, "tag-details", 0), "confidence",
      0.9999997615814209);
  fail_if (gst_structure_has_field (s, "caption"));
  fail_if (gst_structure_has_field (s, "confidence"));
  fail_if (gst_structure_has_field (s, "captions"));
  fail_if (gst_structure_has_field (s, "description-tags"));
  fail_unless_equals_string (gst_structure_get_string (s, "request-id"),
      "1ad0e45e-b7b4-4be3-8042-53be96103337");
  gst_structure_free (s);
}

GST_END_TEST;

/* Odd but valid input: nulls count as absent, empty arrays stay empty
 * arrays, integers are accepted as doubles and integral doubles as
 * integers, unknown members are ignored, and @length is honoured. */
GST_START_TEST (test_lenient_values)
{
  const gchar *text = "{\"description\":{\"tags\":[],\"captions\":[]},"
      "\"tags\":[{\"name\":\"x\",\"confidence\":1,\"hint\":null}],"
      "\"faces\":[{\"faceRectangle\":{\"left\":1.0,\"top\":2,\"width\":3,"
      "\"height\":4},\"age\":null,\"extra\":[null]}],"
      "\"color\":null,\"adult\":{},\"objects\":[],\"newFeature\":{\"a\":1},"
      "\"metadata\":{\"width\":-5,\"format\":null}}";
  GstStructure *s = parse_ok (text);
  const GstStructure *face;
  GError *err = NULL;

  fail_unless_equals_int (array_size (s, "captions"), 0);
  fail_if (gst_structure_has_field (s, "caption"));
  fail_unless_equals_int (array_size (s, "description-tags"), 0);
  fail_unless_equals_int (array_size (s, "tags"), 1);
  assert_double (array_structure (s, "tag-details", 0), "confidence", 1.0);
  fail_if (gst_structure_has_field (array_structure (s, "tag-details", 0),
          "hint"));
  face = array_structure (s, "faces", 0);
  assert_rect (face, 1, 2, 3, 4);
  fail_if (gst_structure_has_field (face, "age"));
  fail_if (gst_structure_has_field (s, "color"));
  fail_unless_equals_int (gst_structure_n_fields (nested (s, "adult")), 0);
  fail_unless_equals_int (array_size (s, "objects"), 0);
  assert_int (nested (s, "metadata"), "width", -5);
  fail_if (gst_structure_has_field (nested (s, "metadata"), "format"));
  gst_structure_free (s);

  /* Only the first 2 bytes count: the rest is garbage. */
  s = gst_cv_analyze_parse_response ("{}garbage", 2, &err);
  fail_unless (s != NULL && err == NULL);
  fail_unless_equals_int (gst_structure_n_fields (s), 0);
  gst_structure_free (s);
}

GST_END_TEST;

typedef struct
{
  const gchar *body;
  const gchar *message;         /* the error message must contain this */
} BadResponse;

static const BadResponse bad_responses[] = {
  {"not json", "response is not valid JSON: "},
  {"{\"description\": {\"captions\": [", "response is not valid JSON: "},
  {"", "response is empty"},
  {"   ", "response is empty"},
  {"[]", "response is not a JSON object: got array"},
  {"null", "response is not a JSON object: got null"},
  {"42", "response is not a JSON object: got number"},
  {"{\"a\":1} /* comment */", "unexpected character '/'"},
  {"{\"description\":5}",
      "field 'description' has the wrong type: expected object, got number"},
  {"{\"description\":{\"captions\":\"x\"}}",
      "field 'description.captions' has the wrong type: expected array, "
        "got string"},
  {"{\"description\":{\"captions\":[{\"text\":3,\"confidence\":0.5}]}}",
      "field 'description.captions[0].text' has the wrong type: expected "
        "string, got number"},
  {"{\"description\":{\"captions\":[null]}}",
      "field 'description.captions[0]' has the wrong type: expected object, "
        "got null"},
  {"{\"description\":{\"captions\":[{\"text\":\"t\"}]}}",
      "field 'description.captions[0].confidence' is missing"},
  {"{\"description\":{\"tags\":[\"a\",null]}}",
      "field 'description.tags[1]' has the wrong type: expected string, "
        "got null"},
  {"{\"tags\":\"a,b\"}",
      "field 'tags' has the wrong type: expected array, got string"},
  {"{\"tags\":[{\"name\":1,\"confidence\":0.5}]}",
      "field 'tags[0].name' has the wrong type: expected string, got number"},
  {"{\"tags\":[{\"name\":\"a\",\"confidence\":\"high\"}]}",
      "field 'tags[0].confidence' has the wrong type: expected number, "
        "got string"},
  {"{\"color\":{\"isBWImg\":\"no\"}}",
      "field 'color.isBWImg' has the wrong type: expected boolean, "
        "got string"},
  {"{\"color\":{\"isBwImg\":0}}",
      "field 'color.isBwImg' has the wrong type: expected boolean, "
        "got number"},
  {"{\"color\":{\"dominantColors\":[\"Red\",[]]}}",
      "field 'color.dominantColors[1]' has the wrong type: expected string, "
        "got array"},
  {"{\"faces\":[{\"faceRectangle\":{\"left\":1,\"top\":2,\"height\":3}}]}",
      "field 'faces[0].faceRectangle.width' is missing"},
  {"{\"faces\":[{\"age\":\"old\",\"faceRectangle\":{\"left\":1,\"top\":2,"
        "\"width\":3,\"height\":4}}]}",
      "field 'faces[0].age' has the wrong type: expected integer, "
        "got string"},
  {"{\"faces\":[{\"age\":44}]}", "field 'faces[0].faceRectangle' is missing"},
  {"{\"objects\":[{\"rectangle\":\"0,0,5,5\",\"object\":\"x\","
        "\"confidence\":0.5}]}",
      "field 'objects[0].rectangle' has the wrong type: expected object, "
        "got string"},
  {"{\"objects\":[{\"rectangle\":{\"x\":0,\"y\":0,\"w\":5,\"h\":5},"
        "\"object\":\"x\",\"confidence\":0.5,\"parent\":{\"object\":\"p\","
        "\"confidence\":0.5,\"parent\":{\"object\":\"q\","
        "\"confidence\":true}}}]}",
      "field 'objects[0].parent.parent.confidence' has the wrong type: "
        "expected number, got boolean"},
  {"{\"brands\":[{\"name\":\"b\",\"confidence\":0.5,\"rectangle\":"
        "{\"x\":0,\"y\":0,\"w\":\"5\",\"h\":5}}]}",
      "field 'brands[0].rectangle.w' has the wrong type: expected integer, "
        "got string"},
  {"{\"categories\":[{\"name\":\"people_\",\"score\":0.5,\"detail\":"
        "{\"celebrities\":[{\"name\":\"n\",\"confidence\":0.5,"
        "\"faceRectangle\":{\"left\":0,\"top\":null,\"width\":1,"
        "\"height\":1}}]}}]}",
      "field 'categories[0].detail.celebrities[0].faceRectangle.top' has "
        "the wrong type: expected integer, got null"},
  {"{\"categories\":[{\"name\":\"building_\",\"score\":0.5,\"detail\":"
        "{\"landmarks\":{}}}]}",
      "field 'categories[0].detail.landmarks' has the wrong type: expected "
        "array, got object"},
  {"{\"metadata\":{\"width\":\"w\"}}",
      "field 'metadata.width' has the wrong type: expected integer, "
        "got string"},
  {"{\"metadata\":{\"width\":12.5}}",
      "field 'metadata.width' has the wrong type: expected integer, got 12.5"},
  /* json-glib would wrap these to -1 */
  {"{\"metadata\":{\"width\":100000000000000000000}}",
      "response has an integer too large to read exactly at offset 21"},
  {"{\"tags\":[{\"name\":\"a\",\"confidence\":-18446744073709551616}]}",
      "response has an integer too large to read exactly"},
  {"{\"metadata\":{\"height\":4294967296}}",
      "field 'metadata.height' is out of range"},
  {"{\"adult\":{\"adultScore\":1e999}}",
      "field 'adult.adultScore' is out of range"},
  {"{\"imageType\":{\"clipArtType\":[0]}}",
      "field 'imageType.clipArtType' has the wrong type: expected integer, "
        "got array"},
  {"{\"adult\":{\"adultScore\":\"0.5\"}}",
      "field 'adult.adultScore' has the wrong type: expected number, "
        "got string"},
  {"{\"requestId\":7}",
      "field 'requestId' has the wrong type: expected string, got number"},
  {"{\"modelVersion\":{}}",
      "field 'modelVersion' has the wrong type: expected string, got object"},
  {"{\"code\":\"InvalidImageUrl\",\"message\":\"bad url\"}",
      "response is an error: InvalidImageUrl: bad url"},
  {"{\"error\":{\"code\":\"401\",\"message\":\"denied\"}}",
      "response is an error: 401: denied"},
  {"{\"error\":\"boom\",\"requestId\":\"r\"}", "response is an error"},
};

/* Each malformed answer is refused with a G_IO_ERROR_INVALID_DATA whose
 * message names what is wrong by its JSON path; none crashes. */
GST_START_TEST (test_malformed)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad_responses); i++) {
    GError *err = NULL;
    GstStructure *s =
        gst_cv_analyze_parse_response (bad_responses[i].body, -1, &err);

    fail_unless (s == NULL, "accepted %s", bad_responses[i].body);
    fail_unless (err != NULL);
    fail_unless (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
    fail_unless (strstr (err->message, bad_responses[i].message) != NULL,
        "for %s: '%s' does not contain '%s'", bad_responses[i].body,
        err->message, bad_responses[i].message);
    g_error_free (err);
  }
}

GST_END_TEST;

/* Deep nesting is refused before json-glib, which recurses without a limit,
 * can overflow the stack; a NULL error location is allowed. */
GST_START_TEST (test_deep_nesting)
{
  GString *text = g_string_new ("{\"objects\":");
  GError *err = NULL;
  guint i;

  for (i = 0; i < 200000; i++)
    g_string_append (text, "[{\"a\":");
  fail_if (gst_cv_analyze_parse_response (text->str, text->len, &err));
  fail_unless (err != NULL && strstr (err->message, "deeper") != NULL);
  g_clear_error (&err);
  fail_if (gst_cv_analyze_parse_response (text->str, -1, NULL));
  fail_if (gst_cv_analyze_parse_error (text->str, -1, NULL, NULL));
  fail_if (gst_cv_analyze_parse_response (NULL, 0, NULL));

  /* json-glib reads the quote after a lone surrogate or a short \u escape
   * into the string: brackets after it must still be counted (main's
   * parser overflowed the stack here); both now see the brackets inside
   * an unterminated string */
  g_string_assign (text, "{\"a\":[\"\\ud800\",\",");
  for (i = 0; i < 200000; i++)
    g_string_append_c (text, '[');
  fail_if (gst_cv_analyze_parse_response (text->str, text->len, &err));
  fail_unless (err != NULL && strstr (err->message, "unterminated") != NULL,
      "%s", err->message);
  g_clear_error (&err);
  g_string_overwrite (text, 0, "{\"a\":[\"\\u12\",\",");
  fail_if (gst_cv_analyze_parse_response (text->str, text->len, NULL));
  g_string_free (text, TRUE);
}

GST_END_TEST;

typedef struct
{
  const gchar *body;
  const gchar *code;
  const gchar *message;
} ErrorBody;

static const ErrorBody error_bodies[] = {
  /* v2.x */
  {"{\"code\":\"InvalidImageUrl\",\"requestId\":\"1\","
        "\"message\":\"Image URL is badly formatted.\"}",
      "InvalidImageUrl", "Image URL is badly formatted."},
  /* v3.2 and 4.0, with the inner error appended */
  {"{\"error\":{\"code\":\"InvalidRequest\",\"message\":\"Image format is "
        "not valid.\",\"innererror\":{\"code\":\"InvalidImageFormat\","
        "\"message\":\"Input data is not a valid image.\"}}}",
        "InvalidRequest",
      "Image format is not valid. (InvalidImageFormat: Input data is not a "
        "valid image.)"},
  /* an inner error that repeats the outer message adds nothing */
  {"{\"error\":{\"code\":\"InvalidRequest\",\"message\":\"m\","
        "\"innererror\":{\"code\":\"X\",\"message\":\"m\"}}}",
      "InvalidRequest", "m"},
  /* gateway, code as a string and as a number */
  {"{\"error\":{\"code\":\"401\",\"message\":\"Access denied due to invalid "
        "subscription key.\"}}", "401",
      "Access denied due to invalid subscription key."},
  {"{\"error\":{\"code\":429,\"message\":\"Rate limit is exceeded.\"}}",
      "429", "Rate limit is exceeded."},
  /* API Management */
  {"{\"statusCode\":401,\"message\":\"Access denied\"}", "401",
      "Access denied"},
  /* a code alone */
  {"{\"error\":{\"code\":\"500\"}}", "500", NULL},
};

static const gchar *not_error_bodies[] = {
  "", "garbage", "{\"error\":", "[]", "null", "\"error\"", "{}",
  "{\"error\":{}}", "{\"error\":\"x\"}", "{\"code\":\"c\"}",
  "{\"message\":\"m\"}", "{\"code\":[],\"message\":\"m\"}",
  "{\"error\":{\"code\":null,\"message\":5}}",
};

/* The three Azure error shapes (and API Management's) are recognised with
 * their code and message; success bodies and garbage are not errors. */
GST_START_TEST (test_error_bodies)
{
  gchar *code, *message;
  GstStructure *s;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (error_bodies); i++) {
    code = message = NULL;
    fail_unless (gst_cv_analyze_parse_error (error_bodies[i].body, -1, &code,
            &message), "not recognised: %s", error_bodies[i].body);
    fail_unless_equals_string (code, error_bodies[i].code);
    fail_unless_equals_string (message, error_bodies[i].message);
    g_free (code);
    g_free (message);
    /* out parameters are optional */
    fail_unless (gst_cv_analyze_parse_error (error_bodies[i].body, -1, NULL,
            NULL));
  }

  for (i = 0; i < G_N_ELEMENTS (not_error_bodies); i++) {
    code = message = NULL;
    fail_if (gst_cv_analyze_parse_error (not_error_bodies[i], -1, &code,
            &message), "recognised: %s", not_error_bodies[i]);
    fail_unless (code == NULL && message == NULL);
  }

  for (i = 0; i < G_N_ELEMENTS (cv_versions); i++) {
    gchar *text = fixture_body_text (cv_versions[i],
        "SuccessfulAnalyzeImageWithUrl.json");

    fail_if (gst_cv_analyze_parse_error (text, -1, NULL, NULL));
    g_free (text);
  }

  /* an error body is never a result */
  s = gst_cv_analyze_parse_response (error_bodies[1].body, -1, NULL);
  fail_unless (s == NULL);
}

GST_END_TEST;

static void
check_parse_outcome (const gchar * text, gssize length)
{
  GError *err = NULL;
  GstStructure *s = gst_cv_analyze_parse_response (text, length, &err);

  if (s != NULL) {
    fail_unless (err == NULL);
    fail_unless_equals_string (gst_structure_get_name (s),
        GST_CV_ANALYZE_RESULT_NAME);
    assert_safe_structure (s);
    gst_structure_free (s);
  } else {
    fail_unless (err != NULL);
    fail_unless (err->message != NULL && *err->message != '\0');
    g_error_free (err);
  }
  gst_cv_analyze_parse_error (text, length, NULL, NULL);
}

/* Truncating the v3.2 Analyze answer at every byte and mutating it at
 * random (fixed seed, reproducible) never crashes, and the outcome is
 * always either a result or an error, never both or neither. */
GST_START_TEST (test_fuzz)
{
  static const gchar replacements[] = "{}[]\",:0123456789.-eEtfn \\\x80\xff";
  gchar *text =
      fixture_body_text ("v3.2", "SuccessfulAnalyzeImageWithUrl.json");
  gsize len = strlen (text), i;
  GRand *rand = g_rand_new_with_seed (20260101);
  guint iteration;

  for (i = 0; i <= len; i++) {
    gchar *prefix = g_strndup (text, i);

    /* once NUL-terminated, once with an explicit length */
    check_parse_outcome (prefix, -1);
    check_parse_outcome (text, i);
    g_free (prefix);
  }

  for (iteration = 0; iteration < 4000; iteration++) {
    gchar *mutated = g_strdup (text);
    guint n_changes = g_rand_int_range (rand, 1, 6);
    guint c;

    for (c = 0; c < n_changes; c++) {
      gsize pos = g_rand_int_range (rand, 0, len);

      if (g_rand_boolean (rand))
        mutated[pos] = replacements[g_rand_int_range (rand, 0,
                sizeof (replacements) - 1)];
      else
        mutated[pos] = (gchar) g_rand_int_range (rand, 1, 256);
    }
    check_parse_outcome (mutated, -1);
    g_free (mutated);
  }

  g_rand_free (rand);
  g_free (text);
}

GST_END_TEST;

/* Every ComputerVision example parses to exactly what the parser made of
 * it before strings were made safe and arrays capped: the results, as
 * gst_structure_serialize() writes them, were recorded with main's parser
 * (commit 4a5bef9) in tests/fixtures/parsed-computer-vision.txt. */
GST_START_TEST (test_fixtures_parse_as_before)
{
  const gchar *dir = g_getenv ("FIXTURES_DIR");
  gchar *path = g_build_filename (dir, "..", "parsed-computer-vision.txt",
      NULL);
  gchar *contents, **lines;
  guint i, count = 0, files = 0;

  fail_unless (g_file_get_contents (path, &contents, NULL, NULL), "no %s",
      path);
  lines = g_strsplit (contents, "\n", -1);
  for (i = 0; lines[i] != NULL; i++) {
    gchar **parts, **name;
    GstStructure *s;
    gchar *got;

    if (lines[i][0] == '#' || lines[i][0] == '\0')
      continue;
    parts = g_strsplit (lines[i], "\t", 2);
    fail_unless (g_strv_length (parts) == 2, "bad line %s", lines[i]);
    name = g_strsplit (parts[0], "/", 2);
    s = parse_fixture (name[0], name[1]);
    got = gst_structure_serialize (s, GST_SERIALIZE_FLAG_NONE);
    fail_unless_equals_string (got, parts[1]);
    g_free (got);
    gst_structure_free (s);
    g_strfreev (name);
    g_strfreev (parts);
    count++;
  }

  /* and the record covers every example */
  for (i = 0; i < G_N_ELEMENTS (cv_versions); i++) {
    gchar *dir_path = fixture_path (cv_versions[i], NULL);
    GDir *d = g_dir_open (dir_path, 0, NULL);
    const gchar *file;

    while ((file = g_dir_read_name (d)) != NULL)
      files += g_str_has_suffix (file, ".json");
    g_dir_close (d);
    g_free (dir_path);
  }
  fail_unless_equals_int (count, files);
  fail_unless (count >= 23);

  g_strfreev (lines);
  g_free (contents);
  g_free (path);
}

GST_END_TEST;

#define REPLACEMENT "\xef\xbf\xbd"  /* U+FFFD */

/* Removes every U+FFFD from @text, in place, and returns how many there
 * were. */
static guint
strip_replacements (gchar * text)
{
  gchar *p;
  guint n = 0;

  while ((p = strstr (text, REPLACEMENT)) != NULL) {
    memmove (p, p + 3, strlen (p + 3) + 1);
    n++;
  }
  return n;
}

/* @text is safe, with one U+FFFD per lone surrogate and nothing else
 * changed. */
static void
assert_replaced (const gchar * text, const gchar * without_replacements,
    guint replacements)
{
  gchar *copy = g_strdup (text);

  assert_safe_text (text, GST_CV_ANALYZE_MAX_CAPTION_CHARS);
  fail_unless_equals_int (strip_replacements (copy), replacements);
  fail_unless_equals_string (copy, without_replacements);
  g_free (copy);
}

/* A lone surrogate escape, which json-glib decodes to bytes that are not
 * UTF-8 (ED A0 80) and swallows the next character into, comes out of the
 * caption, the tags and the ids as one U+FFFD in valid UTF-8, the rest of
 * the text kept; a true surrogate pair stays the character it encodes. */
GST_START_TEST (test_lone_surrogates)
{
  GstStructure *s = parse_ok ("{\"description\":{\"tags\":[\"\\ud800abc\","
      "\"x\\udfff\"],\"captions\":[{\"text\":\"a \\ud800 b \\ud83d\\ude00\","
      "\"confidence\":0.5}]},\"tags\":[{\"name\":\"\\udbff!\","
      "\"confidence\":0.9,\"hint\":\"\\udc00\"}],"
      "\"requestId\":\"r\\ud800\","
      "\"modelVersion\":\"\\udc00A\\ud800\\u0042\"}");
  const GstStructure *tag = array_structure (s, "tag-details", 0);

  assert_replaced (gst_structure_get_string (s, "caption"),
      "a  b \xf0\x9f\x98\x80", 1);
  assert_replaced (array_string (s, "description-tags", 0), "abc", 1);
  assert_replaced (array_string (s, "description-tags", 1), "x", 1);
  assert_replaced (array_string (s, "tags", 0), "!", 1);
  assert_replaced (gst_structure_get_string (tag, "name"), "!", 1);
  assert_replaced (gst_structure_get_string (tag, "hint"), "", 1);
  assert_replaced (gst_structure_get_string (s, "request-id"), "r", 1);
  assert_replaced (gst_structure_get_string (s, "model-version"), "AB", 2);
  gst_structure_free (s);
}

GST_END_TEST;

/* The hostile text: ESC sequences (screen clear, colour, window title),
 * BEL, NUL, RLO (U+202E, raw and escaped), NEL (U+0085), CSI (U+009B),
 * tab and newline. */
#define HOSTILE "a \\u001b[2J\\u001b]0;pwned\\u0007\\u001b[31mred\\u0007 " \
    "x\\u0000y \\u202eevil\xe2\x80\xae p\\u0085q r\\u009bs t\\tu\\nv"
/* ... as safe text: controls gone, line breaks and tabs spaces */
#define HOSTILE_SAFE "a [2J]0;pwned[31mred xy evil p q rs t u v"

/* Control and bidi-control characters are gone from every string of a
 * result (caption, tags, request id, model version, names), breaks are
 * spaces, and the text around them stays. */
GST_START_TEST (test_controls_removed)
{
  const gchar *body = "{\"description\":{\"tags\":[\"" HOSTILE "\"],"
      "\"captions\":[{\"text\":\"" HOSTILE "\",\"confidence\":0.5}]},"
      "\"tags\":[{\"name\":\"" HOSTILE "\",\"confidence\":0.9}],"
      "\"categories\":[{\"name\":\"" HOSTILE "\",\"score\":0.5}],"
      "\"color\":{\"dominantColors\":[\"" HOSTILE "\"]},"
      "\"requestId\":\"" HOSTILE "\",\"modelVersion\":\"" HOSTILE "\"}";
  GstStructure *s = parse_ok (body);

  fail_unless_equals_string (gst_structure_get_string (s, "caption"),
      HOSTILE_SAFE);
  fail_unless_equals_string (gst_structure_get_string (array_structure (s,
              "captions", 0), "text"), HOSTILE_SAFE);
  fail_unless_equals_string (array_string (s, "tags", 0), HOSTILE_SAFE);
  fail_unless_equals_string (array_string (s, "description-tags", 0),
      HOSTILE_SAFE);
  fail_unless_equals_string (gst_structure_get_string (array_structure (s,
              "categories", 0), "name"), HOSTILE_SAFE);
  fail_unless_equals_string (array_string (nested (s, "color"),
          "dominant-colors", 0), HOSTILE_SAFE);
  fail_unless_equals_string (gst_structure_get_string (s, "request-id"),
      HOSTILE_SAFE);
  fail_unless_equals_string (gst_structure_get_string (s, "model-version"),
      HOSTILE_SAFE);
  gst_structure_free (s);
}

GST_END_TEST;

/* An error body's code and message, its inner error's too, lose their
 * control characters in gst_cv_analyze_parse_error() and in the error a
 * 200 answer with an error body gets. */
GST_START_TEST (test_error_controls_removed)
{
  const gchar *nested_body = "{\"error\":{\"code\":\"" HOSTILE "\","
      "\"message\":\"" HOSTILE "\",\"innererror\":{\"code\":\"in\\u001b[0m\","
      "\"message\":\"inner\\u0007\\u0000!\"}}}";
  const gchar *flat_body = "{\"code\":\"" HOSTILE "\",\"message\":\""
      HOSTILE "\"}";
  const gchar *inner_only = "{\"error\":{\"code\":\"c\\u009b\","
      "\"innererror\":{\"message\":\"\\u001b[2Jm\"}}}";
  gchar *code = NULL, *message = NULL;
  GError *err = NULL;

  fail_unless (gst_cv_analyze_parse_error (nested_body, -1, &code, &message));
  fail_unless_equals_string (code, HOSTILE_SAFE);
  fail_unless_equals_string (message, HOSTILE_SAFE " (in[0m: inner!)");
  g_free (code);
  g_free (message);

  fail_unless (gst_cv_analyze_parse_error (flat_body, -1, &code, &message));
  fail_unless_equals_string (code, HOSTILE_SAFE);
  fail_unless_equals_string (message, HOSTILE_SAFE);
  g_free (code);
  g_free (message);

  fail_unless (gst_cv_analyze_parse_error (inner_only, -1, &code, &message));
  fail_unless_equals_string (code, "c");
  fail_unless_equals_string (message, "[2Jm");
  g_free (code);
  g_free (message);

  fail_if (gst_cv_analyze_parse_response (nested_body, -1, &err));
  fail_unless_equals_string (err->message, "response is an error: "
      HOSTILE_SAFE ": " HOSTILE_SAFE " (in[0m: inner!)");
  assert_safe_text (err->message, 2 * GST_CV_ANALYZE_MAX_MESSAGE_CHARS);
  g_clear_error (&err);
}

GST_END_TEST;

/* "\u0000" ends no string early: the rest of a caption, a tag, a member
 * name stays; an escaped backslash before "u0000" is plain text. */
GST_START_TEST (test_nul_keeps_rest)
{
  GstStructure *s = parse_ok ("{\"description\":{\"tags\":[\"\\u0000t\","
      "\"t\\u0000\",\"\\\\u0000\"],\"captions\":[{\"text\":"
      "\"before\\u0000after\\u0000\\u0000end\",\"confidence\":0.5}]},"
      "\"requestId\\u0000x\":\"not the request id\","
      "\"modelVersion\":\"m\\u0000\"}");

  fail_unless_equals_string (gst_structure_get_string (s, "caption"),
      "beforeafterend");
  fail_unless_equals_string (array_string (s, "tags", 0), "t");
  fail_unless_equals_string (array_string (s, "tags", 1), "t");
  fail_unless_equals_string (array_string (s, "tags", 2), "\\u0000");
  /* json-glib once read this member name as "requestId" */
  fail_if (gst_structure_has_field (s, "request-id"));
  fail_unless_equals_string (gst_structure_get_string (s, "model-version"),
      "m");
  gst_structure_free (s);
}

GST_END_TEST;

typedef struct
{
  const gchar *body;
  gsize length;                 /* 0: NUL-terminated */
  const gchar *message;
} RawBody;

static const RawBody raw_bodies[] = {
  {"{\"requestId\":\"a\x1b[2Jb\"}", 0,
      "unescaped control character U+001B in a string at offset 15"},
  {"{\"requestId\":\"a\x07\"}", 0, "unescaped control character U+0007"},
  {"{\"requestId\":\"a\tb\"}", 0, "unescaped control character U+0009"},
  {"{\"requestId\":\"a\nb\"}", 0, "unescaped control character U+000A"},
  {"{\"requestId\":\"a\x7f\"}", 0, "unescaped control character U+007F"},
  {"{\"requestId\":\"a\xc2\x9b" "31m\"}", 0,
      "unescaped control character U+009B"},
  {"{\"requestId\":\"a\xc2\x85\"}", 0, "unescaped control character U+0085"},
  {"{\"requestId\":\"a\0b\"}", 19, "unescaped control character U+0000"},
  {"{\"requestId\":\"a\xff\"}", 0, "must be UTF-8"},
  {"{\"requestId\":\"\xed\xa0\x80\"}", 0, "must be UTF-8"},
  {"{\"requestId\":\"a\"}\xc0\x80", 0, "must be UTF-8"},
  {"{\"requestId\":\x1b\"a\"}", 0, "unexpected character"},
  {"{\"requestId\":\"\\q\"}", 0, "invalid escape in a string at offset 14"},
  {"{\"requestId\":\"\\u12\"}", 0, "invalid escape"},
  {"{\"requestId\":\"\\u12\",\"x\":\"\"}", 0, "invalid escape"},
  {"{\"requestId\":\"\\\x1b\"}", 0, "invalid escape"},
  {"{\"requestId\":\"\\", 0, "invalid escape"},
  /* json-glib would take a second value, and leak the first */
  {"{}{\"requestId\":\"r\"}", 0, "a second value at offset 2"},
  {"{\"a\":[]} [null]", 0, "a second value at offset 9"},
  {"null {}", 0, "a second value"},
  {"\"x\"[]", 0, "a second value"},
};

/* What JSON forbids or no service sends raw is refused: control
 * characters inside strings (json-glib would keep them) and text that is
 * not UTF-8; so the body posted as "json" holds neither. */
GST_START_TEST (test_raw_controls_refused)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (raw_bodies); i++) {
    const RawBody *r = &raw_bodies[i];
    gssize length = r->length ? (gssize) r->length : -1;
    GError *err = NULL;

    fail_if (gst_cv_analyze_parse_response (r->body, length, &err),
        "accepted body %u", i);
    fail_unless (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
    fail_unless (strstr (err->message, r->message) != NULL,
        "body %u: '%s' does not contain '%s'", i, err->message, r->message);
    assert_safe_text (err->message, GST_CV_ANALYZE_MAX_MESSAGE_CHARS + 50);
    g_error_free (err);
    fail_if (gst_cv_analyze_parse_error (r->body, length, NULL, NULL));
  }
}

GST_END_TEST;

/* Line breaks and tabs between tokens are JSON whitespace, not refused. */
GST_START_TEST (test_pretty_printed)
{
  GstStructure *s = parse_ok ("{\r\n\t\"requestId\" :\n \"r\"\n}\n");

  fail_unless_equals_string (gst_structure_get_string (s, "request-id"), "r");
  gst_structure_free (s);
}

GST_END_TEST;

static gchar *
repeat (const gchar * unit, guint times)
{
  GString *s = g_string_new (NULL);

  while (times--)
    g_string_append (s, unit);
  return g_string_free (s, FALSE);
}

static void
assert_cut (const gchar * text, const gchar * unit, guint max_chars)
{
  fail_unless_equals_int (g_utf8_strlen (text, -1), max_chars);
  fail_unless (g_str_has_suffix (text, "\xe2\x80\xa6"), "no ellipsis");
  fail_unless (g_str_has_prefix (text, unit));
}

/* Text longer than its cap is cut, ending in an ellipsis: captions at
 * GST_CV_ANALYZE_MAX_CAPTION_CHARS, names and ids at
 * GST_CV_ANALYZE_MAX_NAME_CHARS, error codes and messages at theirs; the
 * error message with its inner error appended too. */
GST_START_TEST (test_text_caps)
{
  gchar *long_text = repeat ("\xc3\xa9", 5000);        /* é, 2 bytes */
  gchar *body = g_strdup_printf ("{\"description\":{\"tags\":[\"%s\"],"
      "\"captions\":[{\"text\":\"%s\",\"confidence\":0.5}]},"
      "\"requestId\":\"%s\",\"metadata\":{\"format\":\"%s\"}}", long_text,
      long_text, long_text, long_text);
  gchar *error_body = g_strdup_printf ("{\"error\":{\"code\":\"%s\","
      "\"message\":\"%s\",\"innererror\":{\"code\":\"%s\",\"message\":"
      "\"inner %s\"}}}", long_text, long_text, long_text, long_text);
  gchar *short_error = g_strdup_printf ("{\"error\":{\"code\":\"c\","
      "\"message\":\"%.1400s\",\"innererror\":{\"message\":\"inner\"}}}",
      long_text);
  gchar *code, *message;
  GstStructure *s = parse_ok (body);

  assert_cut (gst_structure_get_string (s, "caption"), "\xc3\xa9",
      GST_CV_ANALYZE_MAX_CAPTION_CHARS);
  assert_cut (array_string (s, "tags", 0), "\xc3\xa9",
      GST_CV_ANALYZE_MAX_NAME_CHARS);
  assert_cut (gst_structure_get_string (s, "request-id"), "\xc3\xa9",
      GST_CV_ANALYZE_MAX_NAME_CHARS);
  assert_cut (gst_structure_get_string (nested (s, "metadata"), "format"),
      "\xc3\xa9", GST_CV_ANALYZE_MAX_NAME_CHARS);
  gst_structure_free (s);

  fail_unless (gst_cv_analyze_parse_error (error_body, -1, &code, &message));
  assert_cut (code, "\xc3\xa9", GST_CV_ANALYZE_MAX_NAME_CHARS);
  assert_cut (message, "\xc3\xa9", GST_CV_ANALYZE_MAX_MESSAGE_CHARS);
  g_free (code);
  g_free (message);

  /* 700 characters and " (inner)": within the cap, kept whole */
  fail_unless (gst_cv_analyze_parse_error (short_error, -1, NULL, &message));
  fail_unless_equals_int (g_utf8_strlen (message, -1), 708);
  fail_unless (g_str_has_suffix (message, " (inner)"));
  g_free (message);

  g_free (short_error);
  g_free (error_body);
  g_free (body);
  g_free (long_text);
}

GST_END_TEST;

/* An array keeps its first GST_CV_ANALYZE_MAX_ARRAY_ITEMS items, the rest
 * ignored (even of the wrong type: not an error); the tags summary keeps
 * GST_CV_ANALYZE_MAX_TAGS names, from tag-details or description tags. */
GST_START_TEST (test_array_caps)
{
  GString *body = g_string_new ("{\"description\":{\"tags\":[");
  GstStructure *s;
  guint i;

  for (i = 0; i < 1500; i++)
    g_string_append_printf (body, "\"d%u\",", i);
  g_string_append (body, "7],\"captions\":[");
  for (i = 0; i < 1500; i++)
    g_string_append_printf (body, "{\"text\":\"c%u\",\"confidence\":%s},", i,
        i == 1200 ? "0.9" : "0.1");
  g_string_append (body, "null]}}");

  s = parse_ok (body->str);
  fail_unless_equals_int (array_size (s, "description-tags"),
      GST_CV_ANALYZE_MAX_ARRAY_ITEMS);
  fail_unless_equals_string (array_string (s, "description-tags", 999),
      "d999");
  fail_unless_equals_int (array_size (s, "captions"),
      GST_CV_ANALYZE_MAX_ARRAY_ITEMS);
  /* the best caption among those kept */
  fail_unless_equals_string (gst_structure_get_string (s, "caption"), "c0");
  fail_unless_equals_int (array_size (s, "tags"), GST_CV_ANALYZE_MAX_TAGS);
  fail_unless_equals_string (array_string (s, "tags", 99), "d99");
  gst_structure_free (s);

  g_string_assign (body, "{\"tags\":[");
  for (i = 0; i < 1001; i++)
    g_string_append_printf (body, "{\"name\":\"t%u\",\"confidence\":0.5},",
        i);
  g_string_append (body, "{\"name\":5}]}");
  s = parse_ok (body->str);
  fail_unless_equals_int (array_size (s, "tag-details"),
      GST_CV_ANALYZE_MAX_ARRAY_ITEMS);
  fail_unless_equals_int (array_size (s, "tags"), GST_CV_ANALYZE_MAX_TAGS);
  fail_unless_equals_string (array_string (s, "tags", 0), "t0");
  fail_unless_equals_string (array_string (s, "tags", 99), "t99");
  gst_structure_free (s);

  /* within the caps, nothing is lost */
  g_string_assign (body, "{\"tags\":[");
  for (i = 0; i < 150; i++)
    g_string_append_printf (body, "%s{\"name\":\"t%u\",\"confidence\":0.5}",
        i ? "," : "", i);
  g_string_append (body, "]}");
  s = parse_ok (body->str);
  fail_unless_equals_int (array_size (s, "tag-details"), 150);
  fail_unless_equals_string (gst_structure_get_string (array_structure (s,
              "tag-details", 149), "name"), "t149");
  fail_unless_equals_int (array_size (s, "tags"), GST_CV_ANALYZE_MAX_TAGS);
  gst_structure_free (s);

  g_string_free (body, TRUE);
}

GST_END_TEST;

/* Nested arrays cannot multiply the caps: 20 categories of 1000
 * celebrities each keep GST_CV_ANALYZE_MAX_RESULT_ITEMS array items in
 * all (the 20 categories among them), the first categories whole, in the
 * order of the answer. */
GST_START_TEST (test_result_items_cap)
{
  GString *body = g_string_new ("{\"categories\":[");
  GstStructure *s;
  guint i, j, total;

  for (i = 0; i < 20; i++) {
    g_string_append_printf (body, "%s{\"name\":\"c%u\",\"score\":0.5,"
        "\"detail\":{\"celebrities\":[", i ? "," : "", i);
    for (j = 0; j < 1000; j++)
      g_string_append_printf (body, "%s{\"name\":\"n%u\",\"confidence\":0.5,"
          "\"faceRectangle\":{\"left\":1,\"top\":2,\"width\":3,"
          "\"height\":4}}", j ? "," : "", j);
    g_string_append (body, "]}}");
  }
  g_string_append (body, "],\"description\":{\"tags\":[\"late\"]}}");

  s = parse_ok (body->str);
  fail_unless_equals_int (array_size (s, "categories"), 20);
  total = 20;
  for (i = 0; i < 20; i++) {
    guint n = array_size (array_structure (s, "categories", i),
        "celebrities");
    guint left = GST_CV_ANALYZE_MAX_RESULT_ITEMS - total;

    fail_unless_equals_int (n, MIN (left, 1000));
    total += n;
  }
  /* the cap is meant to bite here */
  fail_unless (GST_CV_ANALYZE_MAX_RESULT_ITEMS < 20 * 1000);
  fail_unless_equals_int (total, GST_CV_ANALYZE_MAX_RESULT_ITEMS);
  /* the budget is spent, but an array outside any other still keeps its
   * first items: here all of them */
  fail_unless_equals_int (array_size (s, "description-tags"), 1);
  gst_structure_free (s);
  g_string_free (body, TRUE);
}

GST_END_TEST;

/* Long tag lists spend the budget, yet the caption that comes after them
 * survives: arrays that are not nested keep their first
 * GST_CV_ANALYZE_MIN_ARRAY_ITEMS items whatever was spent before. */
GST_START_TEST (test_tags_cannot_starve_caption)
{
  GString *body = g_string_new ("{\"tags\":[");
  GstStructure *s;
  guint i;

  for (i = 0; i < 3000; i++)
    g_string_append_printf (body, "%s{\"name\":\"t%u\",\"confidence\":0.5}",
        i ? "," : "", i);
  g_string_append (body, "],\"description\":{\"tags\":[");
  for (i = 0; i < 3000; i++)
    g_string_append_printf (body, "%s\"d%u\"", i ? "," : "", i);
  g_string_append (body, "],\"captions\":[{\"text\":\"a red car\","
      "\"confidence\":0.9}]}}");

  s = parse_ok (body->str);
  fail_unless_equals_int (array_size (s, "tag-details"),
      GST_CV_ANALYZE_MAX_ARRAY_ITEMS);
  fail_unless_equals_int (array_size (s, "description-tags"),
      GST_CV_ANALYZE_MAX_RESULT_ITEMS - GST_CV_ANALYZE_MAX_ARRAY_ITEMS);
  fail_unless_equals_string (gst_structure_get_string (s, "caption"),
      "a red car");
  gst_structure_free (s);
  g_string_free (body, TRUE);
}

GST_END_TEST;

static glong
peak_rss_kb (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

/* A body of one million tags parses in bounded time and memory on the
 * client's thread, into a result that keeps 1000 of them and a summary of
 * 100. json-glib still builds the whole tree first (the client bounds the
 * body size); the figures are printed. */
GST_START_TEST (test_million_tags)
{
  GString *body = g_string_new ("{\"description\":{\"tags\":[");
  GstStructure *s;
  gint64 start, elapsed;
  glong rss_before, rss_after;
  guint i;

  for (i = 0; i < 1000000; i++)
    g_string_append_printf (body, "%s\"tag%u\"", i ? "," : "", i);
  g_string_append (body, "]}}");

  rss_before = peak_rss_kb ();
  start = g_get_monotonic_time ();
  s = parse_ok (body->str);
  elapsed = g_get_monotonic_time () - start;
  rss_after = peak_rss_kb ();
  g_print ("million tags (%" G_GSIZE_FORMAT " bytes): %.2f s, peak memory "
      "+%ld MB\n", body->len, elapsed / 1e6, (rss_after - rss_before) / 1024);

  fail_unless_equals_int (array_size (s, "description-tags"),
      GST_CV_ANALYZE_MAX_ARRAY_ITEMS);
  fail_unless_equals_int (array_size (s, "tags"), GST_CV_ANALYZE_MAX_TAGS);
  fail_unless_equals_string (array_string (s, "tags", 99), "tag99");
  /* generous: both cores busy and a slow machine; it used to take 8.5 s
   * and 1.3 GB */
  fail_unless (elapsed < 20 * G_USEC_PER_SEC, "took %.1f s", elapsed / 1e6);
  fail_unless (rss_after - rss_before < 400 * 1024, "took %ld MB",
      (rss_after - rss_before) / 1024);
  gst_structure_free (s);
  g_string_free (body, TRUE);
}

GST_END_TEST;

static Suite *
parser_suite (void)
{
  Suite *s = suite_create ("cvanalyzeparser");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_all_fixtures_parse);
  tcase_add_test (tc, test_v32_analyze_values);
  tcase_add_test (tc, test_v2_isbwimg_spelling);
  tcase_add_test (tc, test_describe_only);
  tcase_add_test (tc, test_tag_only);
  tcase_add_test (tc, test_lenient_values);
  tcase_add_test (tc, test_malformed);
  tcase_add_test (tc, test_deep_nesting);
  tcase_add_test (tc, test_error_bodies);
  tcase_add_test (tc, test_fuzz);
  tcase_add_test (tc, test_fixtures_parse_as_before);
  tcase_add_test (tc, test_lone_surrogates);
  tcase_add_test (tc, test_controls_removed);
  tcase_add_test (tc, test_error_controls_removed);
  tcase_add_test (tc, test_nul_keeps_rest);
  tcase_add_test (tc, test_raw_controls_refused);
  tcase_add_test (tc, test_pretty_printed);
  tcase_add_test (tc, test_text_caps);
  tcase_add_test (tc, test_array_caps);
  tcase_add_test (tc, test_result_items_cap);
  tcase_add_test (tc, test_tags_cannot_starve_caption);
  tcase_add_test (tc, test_million_tags);
  return s;
}

GST_CHECK_MAIN (parser);
