/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __CV_THUMBNAIL_H__
#define __CV_THUMBNAIL_H__

#include <glib.h>

#include "cvcolouranalysis.h"
#include "cvreply.h"

G_BEGIN_DECLS

/* Azure's range for a thumbnail's width and height. */
#define CV_THUMBNAIL_MAX_SIDE 1024

/* Luma differences up to this many levels (of 255) count as no edge:
 * JPEG noise in flat areas. */
#define CV_THUMBNAIL_NOISE_FLOOR 8

/**
 * CvDecodedImage:
 * @rgb: packed 8-bit RGB pixels, @stride bytes a row
 * @width: width of the received image
 * @height: height of the received image
 * @decoded_width: width of @rgb (the received width, or a DCT scaling of it)
 * @decoded_height: height of @rgb
 * @stride: bytes per row of @rgb
 *
 * A JPEG as cv_thumbnail_decode() decoded it.
 */
typedef struct
{
  guint8 *rgb;
  guint width;
  guint height;
  guint decoded_width;
  guint decoded_height;
  gsize stride;
} CvDecodedImage;

/* A rectangle in the received image's pixels. */
typedef struct
{
  guint x, y, w, h;
} CvBox;

gboolean cv_thumbnail_decode (const guint8 * data, gsize size,
    const CvColourAnalysisLimits * limits, gboolean reduce,
    CvDecodedImage * image, GError ** error);

void cv_decoded_image_clear (CvDecodedImage * image);

CvBox cv_thumbnail_centred_crop (guint width, guint height, gdouble ratio);

CvBox cv_thumbnail_salient_crop (const CvDecodedImage * image, gdouble ratio);

CvBox cv_thumbnail_area_of_interest (const CvDecodedImage * image);

void cv_thumbnail_add_box (JsonBuilder * b, const gchar * name, CvBox box);

GBytes *cv_thumbnail_generate (const guint8 * data, gsize size,
    guint width, guint height, gboolean smart, GError ** error);

/* generateThumbnail and areaOfInterest of Computer Vision v2.0-v3.2. */
extern const CvProtocol cv_thumbnail_protocol;

G_END_DECLS

#endif /* __CV_THUMBNAIL_H__ */
