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

/* Saliency is measured on the image decoded to at most this many pixels
 * along its longer side (a DCT scaling, exact and deterministic). */
#define CV_THUMBNAIL_SALIENCY_SIDE 512

/* Luma differences up to this many levels (of 255) count as no edge:
 * JPEG noise in flat areas. */
#define CV_THUMBNAIL_NOISE_FLOOR 8

/* A rectangle in the received image's pixels. */
typedef struct
{
  guint x, y, w, h;
} CvBox;

CvBox cv_thumbnail_centred_crop (guint width, guint height, gdouble ratio);

CvBox cv_thumbnail_salient_crop (const CvDecodedImage * image, gdouble ratio);

CvBox cv_thumbnail_area_of_interest (const CvDecodedImage * image);

GBytes *cv_thumbnail_generate (const guint8 * data, gsize size,
    guint width, guint height, gboolean smart, GError ** error);

/* generateThumbnail and areaOfInterest of Computer Vision v2.0-v3.2. */
extern const CvProtocol cv_thumbnail_protocol;

G_END_DECLS

#endif /* __CV_THUMBNAIL_H__ */
