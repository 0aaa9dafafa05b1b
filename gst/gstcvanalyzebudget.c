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

#include "gstcvanalyzebudget.h"

struct _GstCvAnalyzeBudget
{
  gint refcount;                /* under registry_lock */
  gchar *group;                 /* NULL: the element's own */

  GMutex lock;
  guint per_minute;             /* 0: no limit (a group may still pause) */
  gint64 next_us;               /* the earliest the next request may go */
};

/* The process's rate groups, by name. */
static GMutex registry_lock;
static GHashTable *registry;

/* The budget of @group (created with its first element), or a budget of
 * one's own for a NULL or empty @group. A group's rate is the lowest
 * non-zero @per_minute of its elements: the subscription's limit is
 * the same whoever states it, and the lower is the safer. */
GstCvAnalyzeBudget *
gst_cv_analyze_budget_acquire (const gchar * group, guint per_minute)
{
  GstCvAnalyzeBudget *budget = NULL;
  gboolean shared = group && *group;

  g_mutex_lock (&registry_lock);
  if (shared && registry)
    budget = g_hash_table_lookup (registry, group);
  if (budget == NULL) {
    budget = g_new0 (GstCvAnalyzeBudget, 1);
    g_mutex_init (&budget->lock);
    budget->next_us = G_MININT64;
    if (shared) {
      budget->group = g_strdup (group);
      if (registry == NULL)
        registry = g_hash_table_new (g_str_hash, g_str_equal);
      g_hash_table_insert (registry, budget->group, budget);
    }
  }
  budget->refcount++;
  g_mutex_lock (&budget->lock);
  if (per_minute > 0 && (budget->per_minute == 0
          || per_minute < budget->per_minute))
    budget->per_minute = per_minute;
  g_mutex_unlock (&budget->lock);
  g_mutex_unlock (&registry_lock);
  return budget;
}

GstCvAnalyzeBudget *
gst_cv_analyze_budget_ref (GstCvAnalyzeBudget * budget)
{
  g_mutex_lock (&registry_lock);
  budget->refcount++;
  g_mutex_unlock (&registry_lock);
  return budget;
}

/* The last element of a group to go takes the group with it: the next to
 * come starts afresh (and with its own max-rate). */
void
gst_cv_analyze_budget_release (GstCvAnalyzeBudget * budget)
{
  gboolean last;

  if (budget == NULL)
    return;
  g_mutex_lock (&registry_lock);
  last = --budget->refcount == 0;
  if (last && budget->group) {
    g_hash_table_remove (registry, budget->group);
    if (g_hash_table_size (registry) == 0)
      g_clear_pointer (&registry, g_hash_table_unref);
  }
  g_mutex_unlock (&registry_lock);
  if (!last)
    return;
  g_mutex_clear (&budget->lock);
  g_free (budget->group);
  g_free (budget);
}

/* Takes the first request time the budget allows at or after
 * @earliest_us, if it comes before @latest_us, and returns it; else -1,
 * and nothing is taken. Requests are at least 60 s / rate apart, so no
 * minute (any window of 60 s) holds more than the rate. */
gint64
gst_cv_analyze_budget_reserve (GstCvAnalyzeBudget * budget,
    gint64 earliest_us, gint64 latest_us)
{
  gint64 at;

  g_mutex_lock (&budget->lock);
  at = MAX (earliest_us, budget->next_us);
  if (at >= latest_us) {
    at = -1;
  } else if (budget->per_minute > 0) {
    /* Rounded up: rounded down, rate + 1 would fit in a minute. */
    budget->next_us = at + (60 * G_USEC_PER_SEC + budget->per_minute - 1) /
        budget->per_minute;
  }
  g_mutex_unlock (&budget->lock);
  return at;
}

/* Whether a request may go at @now_us (and if so, it is counted). */
gboolean
gst_cv_analyze_budget_try_take (GstCvAnalyzeBudget * budget, gint64 now_us)
{
  return gst_cv_analyze_budget_reserve (budget, now_us, now_us + 1) >= 0;
}

/* Nothing goes before @until_us (the service's Retry-After, for the whole
 * group: it is one subscription). */
void
gst_cv_analyze_budget_pause_until (GstCvAnalyzeBudget * budget,
    gint64 until_us)
{
  g_mutex_lock (&budget->lock);
  budget->next_us = MAX (budget->next_us, until_us);
  g_mutex_unlock (&budget->lock);
}

/* Requests a minute, 0 for no limit. */
guint
gst_cv_analyze_budget_get_rate (GstCvAnalyzeBudget * budget)
{
  guint rate;

  g_mutex_lock (&budget->lock);
  rate = budget->per_minute;
  g_mutex_unlock (&budget->lock);
  return rate;
}
