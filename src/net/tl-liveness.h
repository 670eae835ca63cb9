/* tl-liveness.h — is the peer still there? ping, pong and silence timers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TlLiveness TlLiveness;

typedef struct
{
  /* Send {"type":"ping","n":n} now. */
  void     (*send_ping)  (guint n, gpointer user_data);
  /* The connection is dead: close it with 4002. */
  void     (*dead)       (const char *why, gpointer user_data);
  /* Frames were read but not handled yet (the pong may be among them). */
  gboolean (*backlogged) (gpointer user_data);
} TlLivenessCallbacks;

TlLiveness *tl_liveness_new             (const TlLivenessCallbacks *callbacks,
                                         gpointer                   user_data);
void        tl_liveness_free            (TlLiveness  *self);
void        tl_liveness_set_intervals   (TlLiveness  *self,
                                         guint        ping_ms,
                                         guint        silence_ms,
                                         guint        pong_ms);

/* A connection opened / ended. */
void        tl_liveness_start           (TlLiveness  *self);
void        tl_liveness_stop            (TlLiveness  *self);

void        tl_liveness_frame_received  (TlLiveness  *self);
/* Returns TRUE when @n answers the ping in flight; @quiet tells whether no
 * other frame arrived between that ping and this pong. */
gboolean    tl_liveness_pong_received   (TlLiveness  *self,
                                         guint        n,
                                         gboolean    *quiet);
/* Pings now unless a ping is already in flight (one probe at a time).
 * Returns the n of the ping in flight, 0 when not started. */
guint       tl_liveness_probe           (TlLiveness  *self);
gboolean    tl_liveness_ping_in_flight  (TlLiveness  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlLiveness, tl_liveness_free)

G_END_DECLS
