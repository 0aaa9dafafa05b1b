/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __CV_READ_API_H__
#define __CV_READ_API_H__

#include "cvreply.h"

G_BEGIN_DECLS

/* Operations kept at most, and for how long: the oldest goes first. */
#define CV_READ_MAX_OPERATIONS 64
#define CV_READ_OPERATION_LIFETIME_S 600

typedef struct _CvReadOperations CvReadOperations;

CvReadOperations *cv_read_operations_new (void);

void cv_read_operations_free (CvReadOperations * operations);

guint cv_read_operations_count (CvReadOperations * operations);

void cv_read_operations_set_lifetime (CvReadOperations * operations,
    guint seconds);

/* POST /vision/v3.2/read/analyze */
extern const CvProtocol cv_read_protocol;
/* GET /vision/v3.2/read/analyzeResults/{operationId} */
extern const CvProtocol cv_read_result_protocol;

G_END_DECLS

#endif /* __CV_READ_API_H__ */
