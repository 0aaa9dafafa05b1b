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

#include <math.h>

/* Events of the last minute, counted per second: a fixed 60 counters
 * however many requests go. */
#define MINUTE_BUCKETS 60

typedef struct
{
  gint64 second[MINUTE_BUCKETS];        /* which second each counts */
  guint count[MINUTE_BUCKETS];
} MinuteCounter;

struct _GstCvAnalyzeBudget
{
  gint refcount;                /* under registry_lock */
  gchar *group;                 /* NULL: the element's own */

  GMutex lock;
  guint per_minute;             /* 0: no limit (a group may still pause) */
  gint64 next_us;               /* the earliest the next request may go */

  /* What the service's 429s taught (see the header). */
  gdouble learned;              /* requests a minute; 0: nothing yet */
  gint64 last_throttle_us;      /* the last 429 */
  gint64 last_decrease_us;
  gint64 first_sent_us;
  MinuteCounter sent;           /* requests taken from the budget */
  MinuteCounter admitted;       /* answers other than 429 */
};

static void
minute_counter_init (MinuteCounter * counter)
{
  guint i;

  for (i = 0; i < MINUTE_BUCKETS; i++) {
    counter->second[i] = -1;
    counter->count[i] = 0;
  }
}

static void
minute_counter_add (MinuteCounter * counter, gint64 now_us)
{
  gint64 second = MAX (now_us, 0) / G_USEC_PER_SEC;
  guint i = second % MINUTE_BUCKETS;

  if (counter->second[i] != second) {
    counter->second[i] = second;
    counter->count[i] = 0;
  }
  counter->count[i]++;
}

/* Events in the minute up to @now_us (its second included). */
static guint
minute_counter_sum (const MinuteCounter * counter, gint64 now_us)
{
  gint64 second = MAX (now_us, 0) / G_USEC_PER_SEC;
  guint i, sum = 0;

  for (i = 0; i < MINUTE_BUCKETS; i++)
    if (counter->second[i] > second - MINUTE_BUCKETS
        && counter->second[i] <= second)
      sum += counter->count[i];
  return sum;
}

/* Requests a minute in effect: the lower of max-rate and the rate
 * learned, whichever is set; 0 for no limit. With the lock. */
static gdouble
rate_locked (GstCvAnalyzeBudget * budget)
{
  if (budget->per_minute > 0 && budget->learned > 0)
    return MIN (budget->per_minute, budget->learned);
  if (budget->per_minute > 0)
    return budget->per_minute;
  return budget->learned;
}

/* The rate requests went at over the last minute (or since the first, if
 * more recent). With the lock. */
static gdouble
sent_rate_locked (GstCvAnalyzeBudget * budget, gint64 now_us)
{
  gint64 span_us = budget->first_sent_us == G_MININT64 ? 0 :
      now_us - budget->first_sent_us;

  span_us = CLAMP (span_us, G_USEC_PER_SEC, 60 * G_USEC_PER_SEC);
  return minute_counter_sum (&budget->sent, now_us) * 60.0 *
      G_USEC_PER_SEC / span_us;
}

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
    budget->last_throttle_us = G_MININT64;
    budget->last_decrease_us = G_MININT64;
    budget->first_sent_us = G_MININT64;
    minute_counter_init (&budget->sent);
    minute_counter_init (&budget->admitted);
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

/* Whether this is a rate-group's budget, not an element's own. */
gboolean
gst_cv_analyze_budget_is_shared (GstCvAnalyzeBudget * budget)
{
  return budget->group != NULL;
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
  gdouble rate;

  g_mutex_lock (&budget->lock);
  at = MAX (earliest_us, budget->next_us);
  rate = rate_locked (budget);
  if (at >= latest_us) {
    at = -1;
  } else {
    /* Rounded up: rounded down, rate + 1 would fit in a minute. */
    if (rate > 0)
      budget->next_us = at + (gint64) ceil (60.0 * G_USEC_PER_SEC / rate);
    minute_counter_add (&budget->sent, at);
    if (budget->first_sent_us == G_MININT64)
      budget->first_sent_us = at;
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

/* The service answered a request sent at @sent_us, at @now_us: with 429
 * (@throttled) or otherwise. Teaches the group's rate (see the header). */
void
gst_cv_analyze_budget_answered (GstCvAnalyzeBudget * budget, gint64 sent_us,
    gint64 now_us, gboolean throttled)
{
  gboolean repeated;
  gdouble current, admitted, rate;

  g_mutex_lock (&budget->lock);
  if (!throttled) {
    minute_counter_add (&budget->admitted, now_us);
    if (budget->learned > 0) {
      budget->learned += GST_CV_ANALYZE_BUDGET_INCREASE / budget->learned;
      if (budget->per_minute > 0)
        budget->learned = MIN (budget->learned, budget->per_minute);
    }
    g_mutex_unlock (&budget->lock);
    return;
  }

  repeated = budget->last_throttle_us != G_MININT64
      && now_us - budget->last_throttle_us < GST_CV_ANALYZE_BUDGET_REPEAT_US;
  budget->last_throttle_us = now_us;
  if ((repeated || budget->learned > 0)
      && sent_us >= budget->last_decrease_us) {
    current = rate_locked (budget);
    if (current == 0)
      current = sent_rate_locked (budget, now_us);
    admitted = minute_counter_sum (&budget->admitted, now_us);
    rate = MAX (GST_CV_ANALYZE_BUDGET_DECREASE * current, admitted);
    rate = MIN (rate, current);
    budget->learned = MAX (rate, GST_CV_ANALYZE_BUDGET_MIN_RATE);
    budget->last_decrease_us = now_us;
  }
  g_mutex_unlock (&budget->lock);
}

/* The service says @remaining requests are left until its limit resets in
 * @reset_us (x-ratelimit-remaining-requests and -reset-requests): the
 * next request waits for its share, reset / remaining (all of it with
 * none left), so that the group spreads what is left evenly instead of
 * meeting a 429. With plenty left the share is too small to matter. */
void
gst_cv_analyze_budget_spread (GstCvAnalyzeBudget * budget, gint64 now_us,
    guint64 remaining, gint64 reset_us)
{
  gint64 share_us;

  if (reset_us <= 0)
    return;
  share_us = remaining == 0 ? reset_us : (gint64) (reset_us / remaining);
  g_mutex_lock (&budget->lock);
  budget->next_us = MAX (budget->next_us, now_us + share_us);
  g_mutex_unlock (&budget->lock);
}

/* Requests a minute in effect (max-rate or the rate learned, the lower),
 * 0 for no limit. */
gdouble
gst_cv_analyze_budget_get_rate (GstCvAnalyzeBudget * budget)
{
  gdouble rate;

  g_mutex_lock (&budget->lock);
  rate = rate_locked (budget);
  g_mutex_unlock (&budget->lock);
  return rate;
}

/* Requests a minute the 429s taught, 0 if none came. */
gdouble
gst_cv_analyze_budget_get_learned_rate (GstCvAnalyzeBudget * budget)
{
  gdouble rate;

  g_mutex_lock (&budget->lock);
  rate = budget->learned;
  g_mutex_unlock (&budget->lock);
  return rate;
}
