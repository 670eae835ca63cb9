/* tl-backoff.h — reconnect delays: full-jitter exponential backoff
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TlBackoff TlBackoff;

/* @unit_ms is the ceiling of the first retries (1000 in production), @cap_ms
 * the largest ceiling (60000). @rand is borrowed; NULL uses GLib's global RNG. */
TlBackoff *tl_backoff_new        (guint      unit_ms,
                                  guint      cap_ms,
                                  GRand     *rand);
void       tl_backoff_free       (TlBackoff *self);
void       tl_backoff_set_limits (TlBackoff *self,
                                  guint      unit_ms,
                                  guint      cap_ms);
void       tl_backoff_set_rand   (TlBackoff *self,
                                  GRand     *rand);

/* The delay before the next attempt, and counts the attempt. */
guint      tl_backoff_next       (TlBackoff *self);
void       tl_backoff_reset      (TlBackoff *self);
guint      tl_backoff_get_attempt (TlBackoff *self);

/* A uniform integer in [0, max_ms], from the same RNG (4011's 0–10 s). */
guint      tl_backoff_random     (TlBackoff *self,
                                  guint      max_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlBackoff, tl_backoff_free)

G_END_DECLS
