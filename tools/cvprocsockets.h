/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __CV_PROC_SOCKETS_H__
#define __CV_PROC_SOCKETS_H__

#include <glib.h>

G_BEGIN_DECLS

guint cv_proc_sockets_count (void);

guint cv_proc_sockets_count_accepted (guint port);

G_END_DECLS

#endif /* __CV_PROC_SOCKETS_H__ */
