/* tl-liveness.c — is the peer still there? ping, pong and silence timers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libsoup 3.2 has no keepalive pong timeout, so a half-open TCP connection
 * (suspend, a NAT dropping state, a pulled cable) would look alive forever.
 * PROTOCOL.md "Liveness" gives the client its own check: a ping every 25 s,
 * dead after 55 s without any frame or 10 s without the pong.
 */
#define G_LOG_DOMAIN "threadline-net"

#include "tl-liveness.h"
#include "tl-deadline.h"

struct _TlLiveness
{
  TlLivenessCallbacks  callbacks;
  gpointer             user_data;

  guint                ping_ms;
  guint                silence_ms;
  guint                pong_ms;

  TlDeadline          *ping_timer;
  TlDeadline          *silence_timer;
  TlDeadline          *pong_timer;

  gboolean             running;
  guint                next_n;
  guint                in_flight;          /* n of the unanswered ping, 0 if none */
  guint64              frames_since_ping;
  gint64               last_frame_us;
};

static void
send_ping (TlLiveness *self)
{
  self->in_flight = ++self->next_n;
  if (self->next_n == G_MAXUINT)
    self->next_n = 0;
  self->frames_since_ping = 0;
  tl_deadline_arm (self->pong_timer, self->pong_ms);
  tl_deadline_arm (self->ping_timer, self->ping_ms);
  self->callbacks.send_ping (self->in_flight, self->user_data);
}

static void
on_ping_timer_cb (gpointer user_data)
{
  TlLiveness *self = user_data;

  if (!self->running)
    return;
  /* A ping still unanswered is the pong timer's business. */
  if (self->in_flight != 0)
    {
      tl_deadline_arm (self->ping_timer, self->ping_ms);
      return;
    }
  send_ping (self);
}

static void
on_silence_timer_cb (gpointer user_data)
{
  TlLiveness *self = user_data;

  if (!self->running)
    return;
  self->running = FALSE;
  self->callbacks.dead ("no frame received in time", self->user_data);
}

static void
on_pong_timer_cb (gpointer user_data)
{
  TlLiveness *self = user_data;
  gint64 quiet_until;

  if (!self->running || self->in_flight == 0)
    return;
  /* Frames are still arriving: the pong is queued behind them (a large
   * snapshot or replay on a slow link can take longer than 10 s to read).
   * Calling that dead would reconnect into the same snapshot, in a loop;
   * the peer is dead once nothing at all arrived for the pong interval. */
  quiet_until = self->last_frame_us + (gint64) self->pong_ms * 1000;
  if (self->frames_since_ping > 0 && quiet_until > g_get_monotonic_time ())
    {
      tl_deadline_arm_at (self->pong_timer, quiet_until);
      return;
    }
  if (self->callbacks.backlogged != NULL && self->callbacks.backlogged (self->user_data))
    {
      tl_deadline_arm (self->pong_timer, MIN (self->pong_ms, 100));
      return;
    }
  self->running = FALSE;
  self->callbacks.dead ("no pong received in time", self->user_data);
}

TlLiveness *
tl_liveness_new (const TlLivenessCallbacks *callbacks,
                 gpointer                   user_data)
{
  TlLiveness *self = g_new0 (TlLiveness, 1);

  self->callbacks = *callbacks;
  self->user_data = user_data;
  self->ping_ms = 25000;
  self->silence_ms = 55000;
  self->pong_ms = 10000;
  self->ping_timer = tl_deadline_new (on_ping_timer_cb, self);
  self->silence_timer = tl_deadline_new (on_silence_timer_cb, self);
  self->pong_timer = tl_deadline_new (on_pong_timer_cb, self);
  return self;
}

void
tl_liveness_free (TlLiveness *self)
{
  if (self == NULL)
    return;
  tl_deadline_free (self->ping_timer);
  tl_deadline_free (self->silence_timer);
  tl_deadline_free (self->pong_timer);
  g_free (self);
}

void
tl_liveness_set_intervals (TlLiveness *self,
                           guint       ping_ms,
                           guint       silence_ms,
                           guint       pong_ms)
{
  g_return_if_fail (self != NULL);

  self->ping_ms = ping_ms;
  self->silence_ms = silence_ms;
  self->pong_ms = pong_ms;
}

void
tl_liveness_start (TlLiveness *self)
{
  g_return_if_fail (self != NULL);

  self->running = TRUE;
  self->in_flight = 0;
  self->frames_since_ping = 0;
  tl_deadline_arm (self->ping_timer, self->ping_ms);
  tl_deadline_arm (self->silence_timer, self->silence_ms);
  tl_deadline_disarm (self->pong_timer);
}

void
tl_liveness_stop (TlLiveness *self)
{
  g_return_if_fail (self != NULL);

  self->running = FALSE;
  self->in_flight = 0;
  tl_deadline_disarm (self->ping_timer);
  tl_deadline_disarm (self->silence_timer);
  tl_deadline_disarm (self->pong_timer);
}

void
tl_liveness_frame_received (TlLiveness *self)
{
  g_return_if_fail (self != NULL);

  if (!self->running)
    return;
  self->frames_since_ping++;
  self->last_frame_us = g_get_monotonic_time ();
  tl_deadline_arm (self->silence_timer, self->silence_ms);
}

gboolean
tl_liveness_pong_received (TlLiveness *self,
                           guint       n,
                           gboolean   *quiet)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (quiet != NULL)
    *quiet = FALSE;
  if (!self->running || self->in_flight == 0 || n != self->in_flight)
    return FALSE;
  /* The pong itself was counted by frame_received(). */
  if (quiet != NULL)
    *quiet = self->frames_since_ping <= 1;
  self->in_flight = 0;
  tl_deadline_disarm (self->pong_timer);
  return TRUE;
}

guint
tl_liveness_probe (TlLiveness *self)
{
  g_return_val_if_fail (self != NULL, 0);

  if (!self->running)
    return 0;
  if (self->in_flight == 0)
    send_ping (self);
  return self->in_flight;
}

gboolean
tl_liveness_ping_in_flight (TlLiveness *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->in_flight != 0;
}
