/* tl-backoff.c — reconnect delays: full-jitter exponential backoff
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * PROTOCOL.md "Liveness": the first try after 0–1 s, then ceilings of 1, 2,
 * 4, 8, 16, 32 s, capped at 60 s, each delay uniform in [0, ceiling] ("full
 * jitter") so that a restarted server is not hit by every client at once.
 */
#define G_LOG_DOMAIN "threadline-net"

#include "tl-backoff.h"

struct _TlBackoff
{
  guint  unit_ms;
  guint  cap_ms;
  guint  attempt;
  GRand *rand;      /* borrowed; NULL: g_random_* */
};

TlBackoff *
tl_backoff_new (guint  unit_ms,
                guint  cap_ms,
                GRand *rand)
{
  TlBackoff *self = g_new0 (TlBackoff, 1);

  tl_backoff_set_limits (self, unit_ms, cap_ms);
  self->rand = rand;
  return self;
}

void
tl_backoff_free (TlBackoff *self)
{
  g_free (self);
}

void
tl_backoff_set_limits (TlBackoff *self,
                       guint      unit_ms,
                       guint      cap_ms)
{
  g_return_if_fail (self != NULL);

  self->unit_ms = unit_ms;
  self->cap_ms = MAX (cap_ms, unit_ms);
}

void
tl_backoff_set_rand (TlBackoff *self,
                     GRand     *rand)
{
  g_return_if_fail (self != NULL);
  self->rand = rand;
}

guint
tl_backoff_random (TlBackoff *self,
                   guint      max_ms)
{
  g_return_val_if_fail (self != NULL, 0);

  if (max_ms == 0)
    return 0;
  /* g_rand_int_range's end is exclusive. */
  if (self->rand != NULL)
    return (guint) g_rand_int_range (self->rand, 0, (gint32) MIN (max_ms, G_MAXINT32 - 1) + 1);
  return (guint) g_random_int_range (0, (gint32) MIN (max_ms, G_MAXINT32 - 1) + 1);
}

guint
tl_backoff_next (TlBackoff *self)
{
  guint64 ceiling;

  g_return_val_if_fail (self != NULL, 0);

  /* Attempts 0 and 1 both have a ceiling of one unit (0–1 s, then 1 s). */
  if (self->attempt <= 1)
    ceiling = self->unit_ms;
  else
    ceiling = (guint64) self->unit_ms << MIN (self->attempt - 1, 20);
  ceiling = MIN (ceiling, self->cap_ms);
  if (self->attempt < G_MAXUINT)
    self->attempt++;
  return tl_backoff_random (self, (guint) ceiling);
}

void
tl_backoff_reset (TlBackoff *self)
{
  g_return_if_fail (self != NULL);
  self->attempt = 0;
}

guint
tl_backoff_get_attempt (TlBackoff *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->attempt;
}
