/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcvanalyze.h"
#include "gstcvanalyzemeta.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  /* Registered here too so that applications can look the meta up by name
   * (e.g. from Python) as soon as the plugin is loaded. */
  gst_cv_analyze_meta_register ();

  return GST_ELEMENT_REGISTER (cvanalyze, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, cvanalyze,
    "Caption and tag video with an image-analysis service",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
