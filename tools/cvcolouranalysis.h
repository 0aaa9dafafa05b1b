/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __CV_COLOUR_ANALYSIS_H__
#define __CV_COLOUR_ANALYSIS_H__

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * CvColour:
 *
 * The twelve colour names Azure Computer Vision answers with, in the
 * (alphabetical) order its documentation lists them. Ties between equally
 * frequent colours are broken by this order, which keeps answers
 * deterministic.
 */
typedef enum
{
  CV_COLOUR_BLACK = 0,
  CV_COLOUR_BLUE,
  CV_COLOUR_BROWN,
  CV_COLOUR_GRAY,
  CV_COLOUR_GREEN,
  CV_COLOUR_ORANGE,
  CV_COLOUR_PINK,
  CV_COLOUR_PURPLE,
  CV_COLOUR_RED,
  CV_COLOUR_TEAL,
  CV_COLOUR_WHITE,
  CV_COLOUR_YELLOW,
  CV_COLOUR_N_COLOURS
} CvColour;

/* Protocol versions of the Analyze Image operation the server speaks. */
typedef enum
{
  CV_API_VERSION_UNKNOWN = 0,
  CV_API_VERSION_V2_0,
  CV_API_VERSION_V2_1,
  CV_API_VERSION_V3_2
} CvApiVersion;

/* Azure's visualFeatures names. Only COLOR, DESCRIPTION and TAGS are
 * computed; the others are accepted (as Azure accepts them) and omitted
 * from the answer. */
typedef enum
{
  CV_VISUAL_FEATURE_CATEGORIES = 1 << 0,
  CV_VISUAL_FEATURE_TAGS = 1 << 1,
  CV_VISUAL_FEATURE_DESCRIPTION = 1 << 2,
  CV_VISUAL_FEATURE_FACES = 1 << 3,
  CV_VISUAL_FEATURE_IMAGE_TYPE = 1 << 4,
  CV_VISUAL_FEATURE_COLOR = 1 << 5,
  CV_VISUAL_FEATURE_ADULT = 1 << 6,
  CV_VISUAL_FEATURE_OBJECTS = 1 << 7,
  CV_VISUAL_FEATURE_BRANDS = 1 << 8
} CvVisualFeatures;

/* A name of a comma-separated query value, and its flag. */
typedef struct
{
  const gchar *name;
  guint flag;
} CvFlagName;

#define CV_VISUAL_FEATURES_COMPUTED \
  (CV_VISUAL_FEATURE_COLOR | CV_VISUAL_FEATURE_DESCRIPTION | \
   CV_VISUAL_FEATURE_TAGS)

/**
 * CvColourAnalysisLimits:
 * @max_bytes: the largest image file allowed, in bytes
 * @min_side: the smallest width and height allowed, in pixels
 * @max_side: the largest width and height allowed, in pixels
 *
 * A service's input limits, all inclusive.
 */
typedef struct
{
  gsize max_bytes;
  guint min_side;
  guint max_side;
} CvColourAnalysisLimits;

/* Computer Vision v3.2's: under 4 MB, more than 50x50 and less than
 * 16000x16000 pixels. */
extern const CvColourAnalysisLimits cv_colour_analysis_limits_v3;

/* Image Analysis 4.0's, in its error messages' words: "not allowed to be
 * zero or larger than 20971520 bytes", "not allowed to be smaller than 50
 * and larger than 16000". */
extern const CvColourAnalysisLimits cv_colour_analysis_limits_v4;

/* The most dominant colours reported, and the share a colour must cover. */
#define CV_COLOUR_ANALYSIS_MAX_DOMINANT 3
#define CV_COLOUR_ANALYSIS_DOMINANT_SHARE 0.10

/* Label in "modelVersion" so nobody mistakes answers for Azure's. */
#define CV_COLOUR_ANALYSIS_MODEL_VERSION "local-colour-analysis"

#define CV_COLOUR_ANALYSIS_ERROR (cv_colour_analysis_error_quark ())

typedef enum
{
  CV_COLOUR_ANALYSIS_ERROR_INVALID_FORMAT,
  CV_COLOUR_ANALYSIS_ERROR_FILE_TOO_BIG,
  CV_COLOUR_ANALYSIS_ERROR_DIMENSIONS_TOO_SMALL,
  CV_COLOUR_ANALYSIS_ERROR_DIMENSIONS_TOO_BIG,
  CV_COLOUR_ANALYSIS_ERROR_EMPTY
} CvColourAnalysisError;

/**
 * CvColourAnalysis:
 * @width: width of the received image
 * @height: height of the received image
 * @analysed_width: width of the (possibly reduced-scale) decoded image
 * @analysed_height: height of the (possibly reduced-scale) decoded image
 * @share: fraction of all analysed pixels per #CvColour
 * @background: most frequent colour in the outer band (1/8 of each side)
 * @foreground: most frequent colour in the centre (middle half each way)
 * @foreground_share: the fraction of the centre's pixels that are
 *   @foreground
 * @dominant: colours covering at least 10 %, most frequent first
 * @n_dominant: number of entries in @dominant (1 to 3)
 * @accent: mean RGB of the most frequent chromatic colour's pixels, or of
 *   all pixels if there is no chromatic pixel
 * @is_bw: whether nearly all pixels are black, gray or white
 */
typedef struct
{
  guint width;
  guint height;
  guint analysed_width;
  guint analysed_height;
  gdouble share[CV_COLOUR_N_COLOURS];
  CvColour background;
  CvColour foreground;
  gdouble foreground_share;
  CvColour dominant[CV_COLOUR_ANALYSIS_MAX_DOMINANT];
  guint n_dominant;
  guint8 accent[3];
  gboolean is_bw;
} CvColourAnalysis;

GQuark cv_colour_analysis_error_quark (void);

const gchar *cv_colour_get_name (CvColour colour);

CvColour cv_colour_classify (guint8 r, guint8 g, guint8 b);

CvApiVersion cv_api_version_from_string (const gchar * str);

const gchar *cv_api_version_to_string (CvApiVersion version);

gboolean cv_flag_names_parse (const gchar * list, const CvFlagName * names,
    guint n_names, guint * flags, gchar ** unknown_name);

gboolean cv_visual_features_parse (const gchar * list,
    CvVisualFeatures * features, gchar ** unknown_name);

void cv_colour_analysis_analyse_rgb (const guint8 * rgb, guint width,
    guint height, gsize stride, CvColourAnalysis * analysis);

guint8 *cv_colour_analysis_decode_jpeg (const guint8 * data, gsize size,
    const CvColourAnalysisLimits * limits, gboolean reduce, guint * width,
    guint * height, guint * decoded_width, guint * decoded_height,
    GError ** error);

gboolean cv_colour_analysis_analyse_jpeg (const guint8 * data, gsize size,
    const CvColourAnalysisLimits * limits, CvColourAnalysis * analysis,
    GError ** error);

gchar *cv_colour_analysis_format_accent (const CvColourAnalysis * analysis);

gchar *cv_colour_analysis_describe (const CvColourAnalysis * analysis);

gdouble cv_colour_analysis_confidence (gdouble share);

gdouble cv_colour_analysis_caption_confidence (const CvColourAnalysis *
    analysis);

gchar *cv_colour_analysis_tag (const CvColourAnalysis * analysis, guint i);

void cv_colour_analysis_add_tags (JsonBuilder * b,
    const CvColourAnalysis * analysis);

JsonNode *cv_colour_analysis_to_json (const CvColourAnalysis * analysis,
    CvApiVersion version, CvVisualFeatures features, const gchar * request_id);

gchar *cv_colour_analysis_to_json_string (const CvColourAnalysis * analysis,
    CvApiVersion version, CvVisualFeatures features, const gchar * request_id);

G_END_DECLS

#endif /* __CV_COLOUR_ANALYSIS_H__ */
