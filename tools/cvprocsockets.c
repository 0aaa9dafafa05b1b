/* cvanalyze
 * Copyright (C) 2026 cvanalyze developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/*
 * Counts the sockets this process holds, as the kernel sees them (Linux
 * /proc), for the local server's cv_local_server_get_open_connections() and
 * the leak tests.
 *
 * Why the kernel and not libsoup's signals: the leak being guarded against
 * (libsoup 3.2 never closing an idle connection its client closed) is a
 * connection libsoup still believes in, and the cost is a file descriptor
 * stuck in CLOSE-WAIT. Only the process's descriptor table shows that
 * exactly: a socket is open while a descriptor refers to it, whatever any
 * library's bookkeeping says.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "cvprocsockets.h"

#include <stdio.h>

/* /proc/net/tcp's state for a listening socket. */
#define TCP_LISTEN 0x0A

/* Calls @func with the inode of every socket descriptor of this process;
 * returns how many there are. */
static guint
foreach_socket_inode (void (*func) (guint64 inode, gpointer data),
    gpointer data)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const gchar *name;
  guint n = 0;

  if (dir == NULL)
    return 0;

  while ((name = g_dir_read_name (dir)) != NULL) {
    gchar *path = g_build_filename ("/proc/self/fd", name, NULL);
    gchar *target = g_file_read_link (path, NULL);
    guint64 inode;

    /* A socket's link reads "socket:[INODE]"; the descriptor g_dir_open
     * itself uses is a directory and is skipped here. */
    if (target != NULL && sscanf (target, "socket:[%" G_GUINT64_FORMAT "]",
            &inode) == 1) {
      n++;
      if (func != NULL)
        func (inode, data);
    }
    g_free (target);
    g_free (path);
  }
  g_dir_close (dir);

  return n;
}

/**
 * cv_proc_sockets_count:
 *
 * Returns: how many socket descriptors this process has open (TCP, UDP,
 *   Unix, netlink: any).
 */
guint
cv_proc_sockets_count (void)
{
  return foreach_socket_inode (NULL, NULL);
}

typedef struct
{
  GHashTable *accepted;
  guint count;
} AcceptedCount;

static void
count_if_accepted (guint64 inode, gpointer data)
{
  AcceptedCount *c = data;

  if (g_hash_table_contains (c->accepted, &inode))
    c->count++;
}

/* The inodes of the IPv4 TCP sockets whose local port is @port and which
 * are not listening: the accepted connections of a server on @port, in
 * whatever state (ESTABLISHED, CLOSE-WAIT, ...). Sockets in TIME-WAIT have
 * inode 0 and belong to no descriptor. */
static GHashTable *
accepted_inodes (guint port)
{
  GHashTable *inodes = g_hash_table_new_full (g_int64_hash, g_int64_equal,
      g_free, NULL);
  gchar *contents = NULL;
  gchar **lines;
  guint i;

  if (!g_file_get_contents ("/proc/net/tcp", &contents, NULL, NULL))
    return inodes;

  lines = g_strsplit (contents, "\n", -1);
  /* Line 0 is the header. Fields: sl local rem st tx:rx tr:when retrnsmt
   * uid timeout inode ... */
  for (i = 1; lines[i] != NULL; i++) {
    guint local_port, state;
    guint64 inode;

    if (sscanf (lines[i], " %*u: %*x:%x %*x:%*x %x %*x:%*x %*x:%*x %*x %*u "
            "%*u %" G_GUINT64_FORMAT, &local_port, &state, &inode) != 3)
      continue;
    if (local_port == port && state != TCP_LISTEN && inode != 0)
      g_hash_table_add (inodes, g_memdup2 (&inode, sizeof (inode)));
  }
  g_strfreev (lines);
  g_free (contents);

  return inodes;
}

/**
 * cv_proc_sockets_count_accepted:
 * @port: the local TCP port of a server in this process (IPv4)
 *
 * Client connections a server listening on @port holds open: this
 * process's descriptors for TCP sockets whose local port is @port, the
 * listening socket excepted. Clients in the same process are not counted,
 * as their local port is another.
 *
 * Returns: the number of connections
 */
guint
cv_proc_sockets_count_accepted (guint port)
{
  AcceptedCount c;

  c.accepted = accepted_inodes (port);
  c.count = 0;
  if (g_hash_table_size (c.accepted) > 0)
    foreach_socket_inode (count_if_accepted, &c);
  g_hash_table_unref (c.accepted);

  return c.count;
}
