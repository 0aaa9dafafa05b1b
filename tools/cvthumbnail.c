/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * Computer Vision's smart thumbnails (POST /vision/{version}/
 * generateThumbnail?width=&height=&smartCropping=) and areas of interest
 * (POST /vision/{version}/areaOfInterest), and the saliency rule behind
 * them, which Image Analysis 4.0's smartCrops (cvimageanalysis.c) uses
 * too. Azure finds "the most important regions of an image, with priority
 * given to any detected faces" (docs/services.md); here, deterministically:
 *
 *  - Edge energy: the image is decoded at most 512 pixels along its longer
 *    side; each pixel's energy is |dL/dx| + |dL/dy| of its luma (forward
 *    differences, BT.601 weights), each term less a noise floor of 8
 *    levels and never below 0.
 *  - A crop of aspect ratio r (width / height) is the largest window of
 *    that ratio in the image (so it spans its whole width or its whole
 *    height) at the position with the most edge energy; ties go to the
 *    position nearest the centre, then to the smaller coordinate. An image
 *    without edges is cropped in its centre.
 *  - The area of interest is the bounding box of the pixels whose energy
 *    is at least a quarter of the largest; without edges, the whole image.
 *  - A thumbnail is the crop of the thumbnail's own ratio (the centred one
 *    with smartCropping=false), decoded at full size, scaled with libyuv
 *    (box filter) and encoded with TurboJPEG (quality 90, 4:2:0).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "cvthumbnail.h"
#include "cvcomputervision.h"

#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>
#include <libyuv/scale.h>
#include <libyuv/scale_rgb.h>

#define THUMBNAIL_QUALITY 90

static const CvHostileRule hostile_rules[] = {
  {"requestId", CV_HOSTILE_LABEL},
  {"modelVersion", CV_HOSTILE_LABEL},
  {NULL, 0}
};

/**
 * cv_thumbnail_decode:
 * @reduce: at most 512 pixels along the longer side (saliency), else the
 *   full size (a thumbnail's pixels)
 * @image: (out caller-allocates): the pixels, to free with
 *   cv_decoded_image_clear()
 *
 * cv_colour_analysis_decode_jpeg(), the server's one JPEG decoder.
 */
gboolean
cv_thumbnail_decode (const guint8 * data, gsize size,
    const CvColourAnalysisLimits * limits, gboolean reduce,
    CvDecodedImage * image, GError ** error)
{
  memset (image, 0, sizeof (*image));
  image->rgb = cv_colour_analysis_decode_jpeg (data, size, limits, reduce,
      &image->width, &image->height, &image->decoded_width,
      &image->decoded_height, error);
  image->stride = (gsize) image->decoded_width * 3;
  return image->rgb != NULL;
}

void
cv_decoded_image_clear (CvDecodedImage * image)
{
  g_clear_pointer (&image->rgb, g_free);
}

/* The largest crop of @ratio (width / height) centred in the image. */
CvBox
cv_thumbnail_centred_crop (guint width, guint height, gdouble ratio)
{
  CvBox box = { 0, 0, width, height };

  if ((gdouble) width / height > ratio)
    box.w = MAX (1, (guint) (height * ratio + 0.5));
  else
    box.h = MAX (1, (guint) (width / ratio + 0.5));
  box.w = MIN (box.w, width);
  box.h = MIN (box.h, height);
  box.x = (width - box.w) / 2;
  box.y = (height - box.h) / 2;
  return box;
}

static guint
luma (const guint8 * p)
{
  return (77 * p[0] + 150 * p[1] + 29 * p[2]) >> 8;
}

static guint
above_floor (guint a, guint b)
{
  guint d = a > b ? a - b : b - a;

  return d > CV_THUMBNAIL_NOISE_FLOOR ? d - CV_THUMBNAIL_NOISE_FLOOR : 0;
}

/* The edge energy of the decoded pixel (@x, @y). */
static guint
edge_energy (const CvDecodedImage * image, guint x, guint y)
{
  const guint8 *p = image->rgb + y * image->stride + x * 3;
  guint l = luma (p), e = 0;

  if (x + 1 < image->decoded_width)
    e += above_floor (l, luma (p + 3));
  if (y + 1 < image->decoded_height)
    e += above_floor (l, luma (p + image->stride));
  return e;
}

/* Of the windows of @window of @length columns (or rows) summed from
 * @sums, where the sum is largest: the start nearest the centre. */
static guint
best_window (const guint64 * sums, guint length, guint window)
{
  guint64 sum = 0, best_sum = 0;
  guint i, best = 0, last = length - window;
  gdouble centre = last / 2.0, best_distance = G_MAXDOUBLE;

  for (i = 0; i < window; i++)
    sum += sums[i];
  for (i = 0; i <= last; i++) {
    gdouble distance = ABS (i - centre);

    if (i > 0)
      sum += sums[i + window - 1] - sums[i - 1];
    if (i == 0 || sum > best_sum || (sum == best_sum
            && distance < best_distance)) {
      best_sum = sum;
      best = i;
      best_distance = distance;
    }
  }
  return best;
}

/**
 * cv_thumbnail_salient_crop:
 * @image: the image, decoded with @reduce
 * @ratio: width / height of the crop
 *
 * Returns: the largest crop of @ratio with the most edge energy, in the
 *   received image's pixels (the rule at the top of this file)
 */
CvBox
cv_thumbnail_salient_crop (const CvDecodedImage * image, gdouble ratio)
{
  CvBox box = cv_thumbnail_centred_crop (image->width, image->height, ratio);
  gboolean across = box.w < image->width;       /* slides left and right */
  guint length = across ? image->decoded_width : image->decoded_height;
  guint full = across ? image->width : image->height;
  guint size = across ? box.w : box.h;
  guint window, start, x, y;
  guint64 *sums;

  if (box.w == image->width && box.h == image->height)
    return box;

  /* The energy of each column (or row) of the decoded image. */
  sums = g_new0 (guint64, length);
  for (y = 0; y < image->decoded_height; y++)
    for (x = 0; x < image->decoded_width; x++)
      sums[across ? x : y] += edge_energy (image, x, y);

  window = CLAMP ((guint) ((guint64) size * length / full), 1, length);
  start = best_window (sums, length, window);
  g_free (sums);

  /* Back in the received image's pixels; a window with no energy at all
   * is the centred one exactly. */
  start = length == full ? start : (guint) ((guint64) start * full / length);
  start = MIN (start, full - size);
  if (across)
    box.x = start;
  else
    box.y = start;
  return box;
}

/**
 * cv_thumbnail_area_of_interest:
 * @image: as for cv_thumbnail_salient_crop()
 *
 * Returns: the bounding box of the pixels with at least a quarter of the
 *   largest edge energy, in the received image's pixels; the whole image
 *   when it has no edges
 */
CvBox
cv_thumbnail_area_of_interest (const CvDecodedImage * image)
{
  CvBox box = { 0, 0, image->width, image->height };
  guint x, y, max = 0, x0 = G_MAXUINT, y0 = G_MAXUINT, x1 = 0, y1 = 0;
  guint dw = image->decoded_width, dh = image->decoded_height;

  for (y = 0; y < dh; y++)
    for (x = 0; x < dw; x++)
      max = MAX (max, edge_energy (image, x, y));
  if (max == 0)
    return box;

  for (y = 0; y < dh; y++) {
    for (x = 0; x < dw; x++) {
      if (edge_energy (image, x, y) * 4 < max)
        continue;
      x0 = MIN (x0, x);
      y0 = MIN (y0, y);
      x1 = MAX (x1, x + 1);
      y1 = MAX (y1, y + 1);
    }
  }
  box.x = (guint64) x0 * image->width / dw;
  box.y = (guint64) y0 * image->height / dh;
  box.w = ((guint64) x1 * image->width + dw - 1) / dw - box.x;
  box.h = ((guint64) y1 * image->height + dh - 1) / dh - box.y;
  return box;
}

/* The @box of the received image, of @image decoded at another size. */
static CvBox
box_in_decoded (const CvDecodedImage * image, CvBox box)
{
  CvBox d;

  d.x = (guint64) box.x * image->decoded_width / image->width;
  d.y = (guint64) box.y * image->decoded_height / image->height;
  d.w = MAX (1, (guint64) box.w * image->decoded_width / image->width);
  d.h = MAX (1, (guint64) box.h * image->decoded_height / image->height);
  d.w = MIN (d.w, image->decoded_width - d.x);
  d.h = MIN (d.h, image->decoded_height - d.y);
  return d;
}

/**
 * cv_thumbnail_generate:
 * @data: a JPEG
 * @size: its size in bytes
 * @width: the thumbnail's width, 1 to %CV_THUMBNAIL_MAX_SIDE
 * @height: its height, likewise
 * @smart: the salient crop of the thumbnail's ratio, else the centred one
 * @error: a #CV_COLOUR_ANALYSIS_ERROR, with Computer Vision v3.2's limits
 *
 * Returns: (transfer full) (nullable): the thumbnail, a JPEG of exactly
 *   @width x @height
 */
GBytes *
cv_thumbnail_generate (const guint8 * data, gsize size, guint width,
    guint height, gboolean smart, GError ** error)
{
  CvDecodedImage small, full;
  CvBox box, src;
  guint8 *scaled;
  unsigned char *jpeg = NULL;
  unsigned long jpeg_size = 0;
  tjhandle tj;
  GBytes *bytes = NULL;

  if (!cv_thumbnail_decode (data, size, &cv_colour_analysis_limits_v3, TRUE,
          &small, error))
    return NULL;
  box = smart ? cv_thumbnail_salient_crop (&small, (gdouble) width / height) :
      cv_thumbnail_centred_crop (small.width, small.height,
      (gdouble) width / height);
  cv_decoded_image_clear (&small);

  if (!cv_thumbnail_decode (data, size, NULL, FALSE, &full, error))
    return NULL;
  src = box_in_decoded (&full, box);
  scaled = g_malloc ((gsize) width * height * 3);
  RGBScale (full.rgb + src.y * full.stride + src.x * 3, full.stride, src.w,
      src.h, scaled, width * 3, width, height, kFilterBox);
  cv_decoded_image_clear (&full);

  tj = tjInitCompress ();
  if (tj != NULL && tjCompress2 (tj, scaled, width, width * 3, height,
          TJPF_RGB, &jpeg, &jpeg_size, TJSAMP_420, THUMBNAIL_QUALITY,
          0) == 0) {
    bytes = g_bytes_new (jpeg, jpeg_size);
  } else {
    g_set_error (error, CV_COLOUR_ANALYSIS_ERROR,
        CV_COLOUR_ANALYSIS_ERROR_INVALID_FORMAT, "Failed to encode the "
        "thumbnail (%s).", tj ? tjGetErrorStr2 (tj) : "no encoder");
  }
  tjFree (jpeg);
  if (tj)
    tjDestroy (tj);
  g_free (scaled);
  return bytes;
}

/* --- the routes --- */

static JsonNode *
thumbnail_error (const CvReplyContext * ctx, guint status)
{
  return cv_computer_vision_error_body (cv_api_version_from_string
      (ctx->segment), status, ctx->cfg->retry_after, ctx->request_id);
}

static CvReply *
invalid_request (const CvReplyContext * ctx, const gchar * inner_code,
    const gchar * message)
{
  return cv_reply_new_error (ctx, 400, cv_computer_vision_service_error
      (cv_api_version_from_string (ctx->segment), "InvalidRequest", message,
          inner_code, message, ctx->request_id));
}

/* The 400 for an image the service would not take, as Analyze words it. */
static CvReply *
image_error (const CvReplyContext * ctx, const GError * error)
{
  return invalid_request (ctx, error->code ==
      CV_COLOUR_ANALYSIS_ERROR_INVALID_FORMAT ? "InvalidImageFormat" :
      "InvalidImageSize", error->message);
}

/* A query value that is a whole number from 1 to @max, else 0. */
static guint
parse_side (const gchar * value, guint max)
{
  gchar *end = NULL;
  guint64 n;

  if (value == NULL || !g_ascii_isdigit (*value))
    return 0;
  n = g_ascii_strtoull (value, &end, 10);
  return *end == '\0' && n >= 1 && n <= max ? (guint) n : 0;
}

static CvReply *
generate_thumbnail (const CvReplyContext * ctx)
{
  GHashTable *query = ctx->req->query_params;
  guint max = ctx->cfg->thumbnail_max_side ? ctx->cfg->thumbnail_max_side :
      CV_THUMBNAIL_MAX_SIDE;
  guint width = parse_side (g_hash_table_lookup (query, "width"), max);
  guint height = parse_side (g_hash_table_lookup (query, "height"), max);
  const gchar *smart = g_hash_table_lookup (query, "smartCropping");
  GError *error = NULL;
  gconstpointer data;
  gsize size;
  GBytes *thumbnail;
  CvReply *reply;
  gchar *message;

  if (width == 0 || height == 0) {
    message = g_strdup_printf ("Invalid thumbnail size: width and height "
        "must be whole numbers from 1 to %u.", max);
    reply = invalid_request (ctx, "InvalidThumbnailSize", message);
    g_free (message);
    return reply;
  }

  data = g_bytes_get_data (ctx->req->body, &size);
  thumbnail = cv_thumbnail_generate (data, size, width, height,
      smart != NULL && g_ascii_strcasecmp (smart, "true") == 0, &error);
  if (thumbnail == NULL) {
    reply = image_error (ctx, error);
    g_error_free (error);
    return reply;
  }
  return cv_reply_new_binary (ctx, "image/jpeg", thumbnail);
}

/* "@name": {"x","y","w","h"}, as Azure writes its boxes. */
void
cv_thumbnail_add_box (JsonBuilder * b, const gchar * name, CvBox box)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "x");
  json_builder_add_int_value (b, box.x);
  json_builder_set_member_name (b, "y");
  json_builder_add_int_value (b, box.y);
  json_builder_set_member_name (b, "w");
  json_builder_add_int_value (b, box.w);
  json_builder_set_member_name (b, "h");
  json_builder_add_int_value (b, box.h);
  json_builder_end_object (b);
}

/* {"areaOfInterest", "requestId", "metadata", "modelVersion"}, in the
 * order of Azure's example (SuccessfulGetAreaOfInterestWithStream.json). */
static CvReply *
area_of_interest (const CvReplyContext * ctx)
{
  CvDecodedImage image;
  GError *error = NULL;
  gconstpointer data;
  gsize size;
  JsonBuilder *b;
  JsonNode *root;
  CvReply *reply;

  data = g_bytes_get_data (ctx->req->body, &size);
  if (!cv_thumbnail_decode (data, size, &cv_colour_analysis_limits_v3, TRUE,
          &image, &error)) {
    reply = image_error (ctx, error);
    g_error_free (error);
    return reply;
  }

  b = json_builder_new ();
  json_builder_begin_object (b);
  cv_thumbnail_add_box (b, "areaOfInterest",
      cv_thumbnail_area_of_interest (&image));
  json_builder_set_member_name (b, "requestId");
  json_builder_add_string_value (b, ctx->request_id);
  json_builder_set_member_name (b, "metadata");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, image.width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, image.height);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, "Jpeg");
  json_builder_end_object (b);
  json_builder_set_member_name (b, "modelVersion");
  json_builder_add_string_value (b, CV_COLOUR_ANALYSIS_MODEL_VERSION);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  g_object_unref (b);
  cv_decoded_image_clear (&image);

  return cv_reply_new_answer (ctx, root, hostile_rules, &ctx->cfg->hostile);
}

static CvReply *
thumbnail_answer (const CvReplyContext * ctx)
{
  if (ctx->route == CV_ROUTE_GENERATE_THUMBNAIL)
    return generate_thumbnail (ctx);
  return area_of_interest (ctx);
}

const CvProtocol cv_thumbnail_protocol = {
  NULL,
  thumbnail_error,
  thumbnail_answer,
  /* Cut off in the middle of a member, as a truncated transfer would (a
   * thumbnail's client takes it for a JPEG that is not one). */
  "{\"areaOfInterest\":{\"x\":12,\"y\":",
  "{\"areaOfInterest\":\"12,0,64,64\",\"requestId\":5,\"metadata\":[]}",
  "{\"requestId\":\"",
  "x",
  "apim-request-id"
};
