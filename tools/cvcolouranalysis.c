/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * Deterministic colour analysis behind the local Azure-compatible server.
 *
 * Every pixel is named with one of Azure's twelve colour names by HSV rules
 * (hue picks the family, saturation separates black/gray/white from the
 * chromatic names, value separates brown from orange and red). Counting those
 * names over the whole image, its border band and its centre gives the
 * "color" answer; "description" and "tags" are worded from the same counts.
 * Nothing here is a model: the same bytes always give the same answer.
 *
 * All functions are pure (no global state, no I/O), so they can be unit
 * tested and called from any thread.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "cvcolouranalysis.h"

#include <string.h>
#include <turbojpeg.h>

/* Decoding is done at a reduced scale when the image is large: counting
 * colours needs no more than this many pixels along the longer side, and
 * the libjpeg-turbo DCT scaling is exact and deterministic. */
#define ANALYSIS_MAX_SIDE 512

/* Share of black/gray/white pixels above which the image counts as
 * black and white. */
#define BW_SHARE 0.95

static const gchar *const colour_names[CV_COLOUR_N_COLOURS] = {
  "Black", "Blue", "Brown", "Gray", "Green", "Orange", "Pink", "Purple",
  "Red", "Teal", "White", "Yellow"
};

static const CvFlagName feature_names[] = {
  {"Categories", CV_VISUAL_FEATURE_CATEGORIES},
  {"Tags", CV_VISUAL_FEATURE_TAGS},
  {"Description", CV_VISUAL_FEATURE_DESCRIPTION},
  {"Faces", CV_VISUAL_FEATURE_FACES},
  {"ImageType", CV_VISUAL_FEATURE_IMAGE_TYPE},
  {"Color", CV_VISUAL_FEATURE_COLOR},
  {"Adult", CV_VISUAL_FEATURE_ADULT},
  {"Objects", CV_VISUAL_FEATURE_OBJECTS},
  {"Brands", CV_VISUAL_FEATURE_BRANDS},
};

G_DEFINE_QUARK (cv-colour-analysis-error-quark, cv_colour_analysis_error);

const CvColourAnalysisLimits cv_colour_analysis_limits_v3 = {
  4 * 1024 * 1024 - 1, 51, 15999
};

const CvColourAnalysisLimits cv_colour_analysis_limits_v4 = {
  20 * 1024 * 1024, 50, 16000
};

const gchar *
cv_colour_get_name (CvColour colour)
{
  g_return_val_if_fail (colour < CV_COLOUR_N_COLOURS, NULL);

  return colour_names[colour];
}

static gboolean
colour_is_achromatic (CvColour colour)
{
  return colour == CV_COLOUR_BLACK || colour == CV_COLOUR_GRAY
      || colour == CV_COLOUR_WHITE;
}

/**
 * cv_colour_classify:
 *
 * Names one sRGB pixel. The thresholds were chosen so that the primaries and
 * the CSS colours of the same names land where a person would put them, with
 * enough margin that JPEG compression of a flat colour does not flip it.
 */
CvColour
cv_colour_classify (guint8 r, guint8 g, guint8 b)
{
  guint max = MAX (r, MAX (g, b));
  guint min = MIN (r, MIN (g, b));
  guint delta = max - min;
  gdouble s, h;

  /* Too dark for the hue to be visible. */
  if (max < 48)
    return CV_COLOUR_BLACK;

  s = (gdouble) delta / max;
  if (s < 0.20 || delta < 24) {
    if (max >= 215)
      return CV_COLOUR_WHITE;
    if (max < 64)
      return CV_COLOUR_BLACK;
    return CV_COLOUR_GRAY;
  }

  if (max == r) {
    h = 60.0 * ((gdouble) ((gint) g - (gint) b) / delta);
    if (h < 0.0)
      h += 360.0;
  } else if (max == g)
    h = 60.0 * ((gdouble) ((gint) b - (gint) r) / delta + 2.0);
  else
    h = 60.0 * ((gdouble) ((gint) r - (gint) g) / delta + 4.0);

  if (h < 15.0 || h >= 340.0) {
    if (max < 100)
      return CV_COLOUR_BROWN;
    /* Washed-out red reads as pink. */
    if (s < 0.5 && max >= 180)
      return CV_COLOUR_PINK;
    return CV_COLOUR_RED;
  }
  if (h < 45.0)
    return (max >= 170 && s >= 0.5) ? CV_COLOUR_ORANGE : CV_COLOUR_BROWN;
  if (h < 70.0)
    return max < 110 ? CV_COLOUR_BROWN : CV_COLOUR_YELLOW;
  if (h < 165.0)
    return CV_COLOUR_GREEN;
  if (h < 195.0)
    return CV_COLOUR_TEAL;
  if (h < 255.0)
    return CV_COLOUR_BLUE;
  if (h < 290.0)
    return CV_COLOUR_PURPLE;
  /* Magenta: bright reads as pink, dark as purple. */
  return max >= 180 ? CV_COLOUR_PINK : CV_COLOUR_PURPLE;
}

CvApiVersion
cv_api_version_from_string (const gchar * str)
{
  if (str == NULL)
    return CV_API_VERSION_UNKNOWN;
  if (strcmp (str, "v2.0") == 0)
    return CV_API_VERSION_V2_0;
  if (strcmp (str, "v2.1") == 0)
    return CV_API_VERSION_V2_1;
  if (strcmp (str, "v3.2") == 0)
    return CV_API_VERSION_V3_2;
  return CV_API_VERSION_UNKNOWN;
}

const gchar *
cv_api_version_to_string (CvApiVersion version)
{
  switch (version) {
    case CV_API_VERSION_V2_0:
      return "v2.0";
    case CV_API_VERSION_V2_1:
      return "v2.1";
    case CV_API_VERSION_V3_2:
      return "v3.2";
    default:
      return NULL;
  }
}

/**
 * cv_flag_names_parse:
 * @list: (nullable): a comma-separated query value
 * @names: (array length=n_names): the names allowed, with their flags
 * @flags: (out): the flags of the names in @list
 * @unknown_name: (out) (optional) (transfer full): the first name that is
 *   not in @names, if any
 *
 * Azure matches feature names case-insensitively and tolerates blanks
 * around the commas, so this does too. Empty items are skipped.
 *
 * Returns: %FALSE if a name is unknown.
 */
gboolean
cv_flag_names_parse (const gchar * list, const CvFlagName * names,
    guint n_names, guint * flags, gchar ** unknown_name)
{
  gchar **items;
  guint i, j;
  gboolean ok = TRUE;

  *flags = 0;
  if (unknown_name)
    *unknown_name = NULL;
  if (list == NULL)
    return TRUE;

  items = g_strsplit (list, ",", -1);
  for (i = 0; items[i] != NULL && ok; i++) {
    gchar *item = g_strstrip (items[i]);
    gboolean found = FALSE;

    if (*item == '\0')
      continue;
    for (j = 0; j < n_names; j++) {
      if (g_ascii_strcasecmp (item, names[j].name) == 0) {
        *flags |= names[j].flag;
        found = TRUE;
        break;
      }
    }
    if (!found) {
      if (unknown_name)
        *unknown_name = g_strdup (item);
      ok = FALSE;
    }
  }
  g_strfreev (items);

  return ok;
}

/* cv_flag_names_parse() of Azure's visualFeatures names. */
gboolean
cv_visual_features_parse (const gchar * list, CvVisualFeatures * features,
    gchar ** unknown_name)
{
  guint flags;
  gboolean ok = cv_flag_names_parse (list, feature_names,
      G_N_ELEMENTS (feature_names), &flags, unknown_name);

  *features = flags;
  return ok;
}

/* Lowest index wins a tie, so the result never depends on anything but the
 * counts. */
static CvColour
most_frequent (const guint64 * counts)
{
  CvColour best = 0;
  guint i;

  for (i = 1; i < CV_COLOUR_N_COLOURS; i++) {
    if (counts[i] > counts[best])
      best = i;
  }
  return best;
}

/**
 * cv_colour_analysis_analyse_rgb:
 * @rgb: packed 8-bit RGB pixels
 * @width: width in pixels (> 0)
 * @height: height in pixels (> 0)
 * @stride: bytes per row
 * @analysis: (out caller-allocates): the result; @width and @height are
 *   set to the analysed size and may be overwritten by the caller with the
 *   size of the original image
 */
void
cv_colour_analysis_analyse_rgb (const guint8 * rgb, guint width, guint height,
    gsize stride, CvColourAnalysis * analysis)
{
  guint64 all[CV_COLOUR_N_COLOURS] = { 0, };
  guint64 border[CV_COLOUR_N_COLOURS] = { 0, };
  guint64 centre[CV_COLOUR_N_COLOURS] = { 0, };
  guint64 sums[CV_COLOUR_N_COLOURS][3];
  guint64 total_sum[3] = { 0, 0, 0 };
  guint64 total, achromatic = 0, centre_total = 0;
  guint band_x, band_y, x, y, i, n;
  CvColour accent_colour = CV_COLOUR_N_COLOURS;
  gboolean used[CV_COLOUR_N_COLOURS] = { FALSE, };

  g_return_if_fail (rgb != NULL && width > 0 && height > 0);

  memset (sums, 0, sizeof (sums));
  memset (analysis, 0, sizeof (*analysis));
  analysis->width = analysis->analysed_width = width;
  analysis->height = analysis->analysed_height = height;

  band_x = MAX (1, width / 8);
  band_y = MAX (1, height / 8);

  for (y = 0; y < height; y++) {
    const guint8 *p = rgb + (gsize) y * stride;
    gboolean row_in_band = y < band_y || y >= height - band_y;
    gboolean row_in_centre = y >= height / 4 && y < height - height / 4;

    for (x = 0; x < width; x++, p += 3) {
      CvColour c = cv_colour_classify (p[0], p[1], p[2]);

      all[c]++;
      sums[c][0] += p[0];
      sums[c][1] += p[1];
      sums[c][2] += p[2];
      if (row_in_band || x < band_x || x >= width - band_x)
        border[c]++;
      if (row_in_centre && x >= width / 4 && x < width - width / 4)
        centre[c]++;
    }
  }

  total = (guint64) width *height;
  for (i = 0; i < CV_COLOUR_N_COLOURS; i++) {
    analysis->share[i] = (gdouble) all[i] / total;
    total_sum[0] += sums[i][0];
    total_sum[1] += sums[i][1];
    total_sum[2] += sums[i][2];
    if (colour_is_achromatic (i))
      achromatic += all[i];
    else if (all[i] > 0 && (accent_colour == CV_COLOUR_N_COLOURS
            || all[i] > all[accent_colour]))
      accent_colour = i;
  }

  analysis->background = most_frequent (border);
  /* A tiny image can have an empty centre; fall back to the whole. */
  analysis->foreground = most_frequent (centre);
  for (i = 0; i < CV_COLOUR_N_COLOURS; i++)
    centre_total += centre[i];
  if (centre_total > 0) {
    analysis->foreground_share = (gdouble) centre[analysis->foreground] /
        centre_total;
  } else {
    analysis->foreground = most_frequent (all);
    analysis->foreground_share = analysis->share[analysis->foreground];
  }

  /* Selection sort over shares: at most three picks of twelve. */
  for (n = 0; n < CV_COLOUR_ANALYSIS_MAX_DOMINANT; n++) {
    CvColour best = CV_COLOUR_N_COLOURS;

    for (i = 0; i < CV_COLOUR_N_COLOURS; i++) {
      if (used[i] || all[i] == 0)
        continue;
      if (best == CV_COLOUR_N_COLOURS || all[i] > all[best])
        best = i;
    }
    if (best == CV_COLOUR_N_COLOURS)
      break;
    /* The most frequent colour is always reported, even below the share. */
    if (n > 0 && analysis->share[best] < CV_COLOUR_ANALYSIS_DOMINANT_SHARE)
      break;
    used[best] = TRUE;
    analysis->dominant[n] = best;
  }
  analysis->n_dominant = n;

  for (i = 0; i < 3; i++) {
    if (accent_colour != CV_COLOUR_N_COLOURS)
      analysis->accent[i] = (sums[accent_colour][i] + all[accent_colour] / 2)
          / all[accent_colour];
    else
      analysis->accent[i] = (total_sum[i] + total / 2) / total;
  }

  analysis->is_bw = (gdouble) achromatic / total >= BW_SHARE;
}

/* Picks the largest DCT scaling factor not above 1 that brings the longer
 * side under ANALYSIS_MAX_SIDE, or the smallest factor if none does. */
static tjscalingfactor
pick_scaling_factor (guint width, guint height)
{
  tjscalingfactor best = { 1, 1 }, smallest = { 1, 1 };
  tjscalingfactor *factors;
  gboolean have_best = FALSE;
  int n = 0, i;

  factors = tjGetScalingFactors (&n);
  if (factors == NULL || n <= 0)
    return best;

  for (i = 0; i < n; i++) {
    tjscalingfactor f = factors[i];
    guint side;

    if (f.num > f.denom)
      continue;
    if ((gdouble) f.num / f.denom < (gdouble) smallest.num / smallest.denom)
      smallest = f;
    side = MAX (TJSCALED ((int) width, f), TJSCALED ((int) height, f));
    if (side > ANALYSIS_MAX_SIDE)
      continue;
    if (!have_best
        || (gdouble) f.num / f.denom > (gdouble) best.num / best.denom) {
      best = f;
      have_best = TRUE;
    }
  }

  return have_best ? best : smallest;
}

/**
 * cv_colour_analysis_decode_jpeg:
 * @data: the request body
 * @size: its size in bytes
 * @limits: (nullable): the service's input limits, %NULL for none
 * @reduce: decode at a reduced scale, enough for colours (not for text)
 * @width: (out): the image's width
 * @height: (out): its height
 * @decoded_width: (out): the width of the pixels returned
 * @decoded_height: (out): their height
 * @error: a #CV_COLOUR_ANALYSIS_ERROR on failure, its message in
 *   Computer Vision v3.2's words (other protocols word it from the code)
 *
 * Applies @limits in the order Azure reports them (bytes, then format,
 * then dimensions) and decodes the JPEG. Without limits an empty body is
 * an invalid format.
 *
 * Returns: (transfer full) (nullable): packed RGB pixels, 3 bytes each
 */
guint8 *
cv_colour_analysis_decode_jpeg (const guint8 * data, gsize size,
    const CvColourAnalysisLimits * limits, gboolean reduce, guint * width,
    guint * height, guint * decoded_width, guint * decoded_height,
    GError ** error)
{
  tjhandle tj;
  int w = 0, h = 0, subsamp = 0, colorspace = 0;
  int scaled_w, scaled_h;
  tjscalingfactor f = { 1, 1 };
  guint8 *rgb = NULL;

  if (limits != NULL && size > limits->max_bytes) {
    g_set_error (error, CV_COLOUR_ANALYSIS_ERROR,
        CV_COLOUR_ANALYSIS_ERROR_FILE_TOO_BIG,
        "Image size is too big. The image file must be smaller than 4 MB.");
    return NULL;
  }
  if (limits != NULL && size == 0) {
    g_set_error (error, CV_COLOUR_ANALYSIS_ERROR,
        CV_COLOUR_ANALYSIS_ERROR_EMPTY,
        "Image size is too small. The image must not be empty.");
    return NULL;
  }

  tj = tjInitDecompress ();
  if (tj == NULL) {
    g_set_error (error, CV_COLOUR_ANALYSIS_ERROR,
        CV_COLOUR_ANALYSIS_ERROR_INVALID_FORMAT,
        "Input data is not a valid image (decoder unavailable).");
    return NULL;
  }

  if (tjDecompressHeader3 (tj, data, size, &w, &h, &subsamp,
          &colorspace) != 0 || w <= 0 || h <= 0) {
    g_set_error (error, CV_COLOUR_ANALYSIS_ERROR,
        CV_COLOUR_ANALYSIS_ERROR_INVALID_FORMAT,
        "Input data is not a valid image.");
    goto out;
  }

  if (limits != NULL && ((guint) w < limits->min_side
          || (guint) h < limits->min_side)) {
    g_set_error (error, CV_COLOUR_ANALYSIS_ERROR,
        CV_COLOUR_ANALYSIS_ERROR_DIMENSIONS_TOO_SMALL,
        "Image size is too small. The image must be greater than 50 x 50 "
        "pixels (it is %d x %d).", w, h);
    goto out;
  }
  if (limits != NULL && ((guint) w > limits->max_side
          || (guint) h > limits->max_side)) {
    g_set_error (error, CV_COLOUR_ANALYSIS_ERROR,
        CV_COLOUR_ANALYSIS_ERROR_DIMENSIONS_TOO_BIG,
        "Image size is too big. The image must be less than 16000 x 16000 "
        "pixels (it is %d x %d).", w, h);
    goto out;
  }

  if (reduce)
    f = pick_scaling_factor (w, h);
  scaled_w = TJSCALED (w, f);
  scaled_h = TJSCALED (h, f);
  rgb = g_malloc ((gsize) scaled_w * scaled_h * 3);

  /* A warning (e.g. extraneous bytes after a camera's EOI) still leaves a
   * complete picture, as it does for most decoders, so only errors fail. */
  if (tjDecompress2 (tj, data, size, rgb, scaled_w, scaled_w * 3, scaled_h,
          TJPF_RGB, 0) != 0 && tjGetErrorCode (tj) != TJERR_WARNING) {
    g_set_error (error, CV_COLOUR_ANALYSIS_ERROR,
        CV_COLOUR_ANALYSIS_ERROR_INVALID_FORMAT,
        "Input data is not a valid image (%s).", tjGetErrorStr2 (tj));
    g_clear_pointer (&rgb, g_free);
    goto out;
  }
  *width = w;
  *height = h;
  *decoded_width = scaled_w;
  *decoded_height = scaled_h;

out:
  tjDestroy (tj);
  return rgb;
}

/**
 * cv_colour_analysis_analyse_jpeg:
 * @data: the request body
 * @size: its size in bytes
 * @limits: (nullable): the service's input limits, %NULL for none
 * @analysis: (out caller-allocates): the result
 * @error: as cv_colour_analysis_decode_jpeg()'s
 *
 * Decodes the JPEG (cv_colour_analysis_decode_jpeg()) and analyses it.
 *
 * Returns: %TRUE on success.
 */
gboolean
cv_colour_analysis_analyse_jpeg (const guint8 * data, gsize size,
    const CvColourAnalysisLimits * limits, CvColourAnalysis * analysis,
    GError ** error)
{
  guint width, height, scaled_w, scaled_h;
  guint8 *rgb = cv_colour_analysis_decode_jpeg (data, size, limits, TRUE,
      &width, &height, &scaled_w, &scaled_h, error);

  if (rgb == NULL)
    return FALSE;
  cv_colour_analysis_analyse_rgb (rgb, scaled_w, scaled_h, scaled_w * 3,
      analysis);
  analysis->width = width;
  analysis->height = height;
  g_free (rgb);
  return TRUE;
}

/* Azure writes the accent colour as six upper-case hex digits, no '#'. */
gchar *
cv_colour_analysis_format_accent (const CvColourAnalysis * analysis)
{
  return g_strdup_printf ("%02X%02X%02X", analysis->accent[0],
      analysis->accent[1], analysis->accent[2]);
}

/* How sure the caption is: the share of the most frequent colour. */
gdouble
cv_colour_analysis_caption_confidence (const CvColourAnalysis * analysis)
{
  return cv_colour_analysis_confidence (analysis->share[analysis->dominant
          [0]]);
}

/**
 * cv_colour_analysis_describe:
 *
 * Words the dominant colours as a caption: "a plain red image" when one
 * colour covers nearly everything, else "a mostly red image", followed by
 * "with blue" or "with blue and green" for the other dominant colours.
 */
gchar *
cv_colour_analysis_describe (const CvColourAnalysis * analysis)
{
  GString *s = g_string_new (NULL);
  gchar *first;
  guint i;

  first = g_ascii_strdown (cv_colour_get_name (analysis->dominant[0]), -1);
  if (analysis->n_dominant == 1 && analysis->share[analysis->dominant[0]] >=
      0.9)
    g_string_append_printf (s, "a plain %s image", first);
  else
    g_string_append_printf (s, "a mostly %s image", first);
  g_free (first);

  for (i = 1; i < analysis->n_dominant; i++) {
    gchar *name = g_ascii_strdown (cv_colour_get_name (analysis->dominant[i]),
        -1);

    g_string_append_printf (s, "%s%s", i == 1 ? " with " : " and ", name);
    g_free (name);
  }

  return g_string_free (s, FALSE);
}

/* Four decimals keep the JSON readable; the value is already
 * deterministic. */
gdouble
cv_colour_analysis_confidence (gdouble share)
{
  return (gdouble) (gint64) (share * 10000.0 + 0.5) / 10000.0;
}

/* The name of the @i-th dominant colour as a tag: lower case. */
gchar *
cv_colour_analysis_tag (const CvColourAnalysis * analysis, guint i)
{
  g_return_val_if_fail (i < analysis->n_dominant, NULL);

  return g_ascii_strdown (cv_colour_get_name (analysis->dominant[i]), -1);
}

/**
 * cv_colour_analysis_add_tags:
 * @b: a builder where a value is expected
 *
 * Adds the tags, the dominant colours with their pixel share as the
 * confidence, as an array of {"name","confidence"} objects.
 */
void
cv_colour_analysis_add_tags (JsonBuilder * b,
    const CvColourAnalysis * analysis)
{
  guint i;

  json_builder_begin_array (b);
  for (i = 0; i < analysis->n_dominant; i++) {
    gchar *name = cv_colour_analysis_tag (analysis, i);

    json_builder_begin_object (b);
    json_builder_set_member_name (b, "name");
    json_builder_add_string_value (b, name);
    json_builder_set_member_name (b, "confidence");
    json_builder_add_double_value (b, cv_colour_analysis_confidence
        (analysis->share[analysis->dominant[i]]));
    json_builder_end_object (b);
    g_free (name);
  }
  json_builder_end_array (b);
}

static void
add_color (JsonBuilder * b, const CvColourAnalysis * a, CvApiVersion version)
{
  gchar *accent = cv_colour_analysis_format_accent (a);
  guint i;

  json_builder_set_member_name (b, "color");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "dominantColorForeground");
  json_builder_add_string_value (b, cv_colour_get_name (a->foreground));
  json_builder_set_member_name (b, "dominantColorBackground");
  json_builder_add_string_value (b, cv_colour_get_name (a->background));
  json_builder_set_member_name (b, "dominantColors");
  json_builder_begin_array (b);
  for (i = 0; i < a->n_dominant; i++)
    json_builder_add_string_value (b, cv_colour_get_name (a->dominant[i]));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "accentColor");
  json_builder_add_string_value (b, accent);
  /* The v2.x service spelled this "isBwImg", v3.2 spells it "isBWImg";
   * clients must cope with both, so the server exercises both. */
  json_builder_set_member_name (b,
      version == CV_API_VERSION_V3_2 ? "isBWImg" : "isBwImg");
  json_builder_add_boolean_value (b, a->is_bw);
  json_builder_end_object (b);

  g_free (accent);
}

/**
 * cv_colour_analysis_to_json:
 * @analysis: a successful analysis
 * @version: the protocol version asked for
 * @features: the visualFeatures asked for; those not computed are omitted
 * @request_id: the request id to report
 *
 * Builds the Analyze Image answer in the member order of Azure's examples.
 * "requestId" and "metadata" are always present, "modelVersion" only in
 * v3.2 (the v2.x examples have none).
 *
 * Returns: (transfer full): the answer's root object.
 */
JsonNode *
cv_colour_analysis_to_json (const CvColourAnalysis * analysis,
    CvApiVersion version, CvVisualFeatures features, const gchar * request_id)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode *root;
  guint i;

  json_builder_begin_object (b);

  if (features & CV_VISUAL_FEATURE_TAGS) {
    json_builder_set_member_name (b, "tags");
    cv_colour_analysis_add_tags (b, analysis);
  }

  if (features & CV_VISUAL_FEATURE_DESCRIPTION) {
    gchar *caption = cv_colour_analysis_describe (analysis);

    json_builder_set_member_name (b, "description");
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "tags");
    json_builder_begin_array (b);
    for (i = 0; i < analysis->n_dominant; i++) {
      gchar *name = cv_colour_analysis_tag (analysis, i);

      json_builder_add_string_value (b, name);
      g_free (name);
    }
    json_builder_end_array (b);
    json_builder_set_member_name (b, "captions");
    json_builder_begin_array (b);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "text");
    json_builder_add_string_value (b, caption);
    json_builder_set_member_name (b, "confidence");
    json_builder_add_double_value (b,
        cv_colour_analysis_caption_confidence (analysis));
    json_builder_end_object (b);
    json_builder_end_array (b);
    json_builder_end_object (b);
    g_free (caption);
  }

  json_builder_set_member_name (b, "requestId");
  json_builder_add_string_value (b, request_id);

  json_builder_set_member_name (b, "metadata");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, analysis->width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, analysis->height);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, "Jpeg");
  json_builder_end_object (b);

  if (version == CV_API_VERSION_V3_2) {
    json_builder_set_member_name (b, "modelVersion");
    json_builder_add_string_value (b, CV_COLOUR_ANALYSIS_MODEL_VERSION);
  }

  if (features & CV_VISUAL_FEATURE_COLOR)
    add_color (b, analysis, version);

  json_builder_end_object (b);
  root = json_builder_get_root (b);
  g_object_unref (b);

  return root;
}

gchar *
cv_colour_analysis_to_json_string (const CvColourAnalysis * analysis,
    CvApiVersion version, CvVisualFeatures features, const gchar * request_id)
{
  JsonNode *root;
  gchar *str;

  root = cv_colour_analysis_to_json (analysis, version, features, request_id);
  str = json_to_string (root, FALSE);
  json_node_unref (root);

  return str;
}
