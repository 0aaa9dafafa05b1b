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
#include <gio/gio.h>
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>

#include "gstcvanalyzeparser.h"

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

static GstStructure *
parse_ok (const gchar * text)
{
  GError *err = NULL;
  GstStructure *s = gst_cv_analyze_parse_response (text, -1, &err);

  fail_unless (s != NULL, "parse failed: %s", err ? err->message : "?");
  fail_unless (err == NULL);
  fail_unless_equals_string (gst_structure_get_name (s),
      GST_CV_ANALYZE_RESULT_NAME);
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
  return s;
}

GST_CHECK_MAIN (parser);
