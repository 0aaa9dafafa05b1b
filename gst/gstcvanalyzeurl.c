/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Request URLs from the settings, for every service: the user's endpoint
 * with or without a trailing slash, escaped query values, and name lists
 * (features) checked against the service's own spelling. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstcvanalyzeurl.h"

#include <gio/gio.h>

/**
 * gst_cv_analyze_url_new:
 * @endpoint: the user's base URL, with or without trailing slashes
 * @path: what follows it, starting with '/'
 *
 * Returns: (transfer full): @endpoint without trailing slashes, then @path
 */
GString *
gst_cv_analyze_url_new (const gchar * endpoint, const gchar * path)
{
  GString *url = g_string_new (endpoint);

  while (url->len && url->str[url->len - 1] == '/')
    g_string_truncate (url, url->len - 1);
  g_string_append (url, path);
  return url;
}

/* Commas stay as they are: Azure's lists (visualFeatures=Tags,Color) are
 * documented with them. */
void
gst_cv_analyze_url_append_query (GString * url, const gchar * name,
    const gchar * value)
{
  gchar *escaped = g_uri_escape_string (value, ",", TRUE);

  g_string_append_printf (url, "%c%s=%s", strchr (url->str, '?') ? '&' : '?',
      name, escaped);
  g_free (escaped);
}

/**
 * gst_cv_analyze_names_find:
 * @name: a name as the user wrote it
 * @known: the service's names, %NULL-terminated
 *
 * Returns: (transfer none) (nullable): @name as the service spells it
 * (compared ignoring ASCII case), or %NULL when it is not one of @known
 */
const gchar *
gst_cv_analyze_names_find (const gchar * name, const gchar * const *known)
{
  const gchar *const *k;

  for (k = known; *k; k++)
    if (g_ascii_strcasecmp (name, *k) == 0)
      return *k;
  return NULL;
}

/**
 * gst_cv_analyze_names_normalize:
 * @list: (nullable): comma-separated names as the user wrote them
 * @known: the service's names, %NULL-terminated
 * @bad_name: (out): the first name that is not known
 *
 * Returns: (transfer full) (nullable): the list spelt as the service spells
 * it, without empty entries (possibly ""), or %NULL with @bad_name set
 */
gchar *
gst_cv_analyze_names_normalize (const gchar * list,
    const gchar * const *known, gchar ** bad_name)
{
  gchar **names = g_strsplit (list ? list : "", ",", -1);
  GString *out = g_string_new (NULL);
  gchar **n;

  for (n = names; *n; n++) {
    gchar *name = g_strstrip (*n);
    const gchar *spelt;

    if (*name == '\0')
      continue;
    spelt = gst_cv_analyze_names_find (name, known);
    if (spelt == NULL) {
      *bad_name = g_strdup (name);
      g_strfreev (names);
      g_string_free (out, TRUE);
      return NULL;
    }
    if (out->len)
      g_string_append_c (out, ',');
    g_string_append (out, spelt);
  }
  g_strfreev (names);
  return g_string_free (out, FALSE);
}

/* Whether @url's host is this machine's loopback: `localhost` (RFC 6761
 * reserves it for that) or an address in 127.0.0.0/8 or ::1. A proxy
 * cannot reach this machine's loopback, so such an endpoint (the local
 * server, a self-hosted Ollama or llama-server) is always reached
 * directly. */
gboolean
gst_cv_analyze_url_is_loopback (const gchar * url)
{
  GUri *uri = url ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;
  const gchar *host = uri ? g_uri_get_host (uri) : NULL;
  GInetAddress *address;
  gboolean loopback = FALSE;

  if (host && g_ascii_strcasecmp (host, "localhost") == 0) {
    loopback = TRUE;
  } else if (host && (address = g_inet_address_new_from_string (host))) {
    loopback = g_inet_address_get_is_loopback (address);
    g_object_unref (address);
  }
  g_clear_pointer (&uri, g_uri_unref);
  return loopback;
}
