/* tl-connection-private.h — knobs for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every interval and the random source can be replaced, so tests run the
 * real state machine in milliseconds instead of sleeping for real seconds.
 */
#pragma once

#include "tl-connection.h"
#include "tl-wakeup.h"

G_BEGIN_DECLS

typedef struct
{
  guint ping_interval_ms;     /* 25000 */
  guint silence_timeout_ms;   /* 55000 */
  guint pong_timeout_ms;      /* 10000 */
  guint backoff_unit_ms;      /* 1000: first ceilings */
  guint backoff_cap_ms;       /* 60000 */
  guint backoff_reset_ms;     /* 60000 connected resets the backoff */
  guint restart_max_ms;       /* 10000: 4011 waits 0 to this */
  guint stream_gap_ms;        /* 1000 before get-message */
  guint resend_ms;            /* 10000 without ack or echo */
  guint give_up_ms;           /* 300000 until a message shows error */
  guint retry_error_ms;       /* 1000 after a retryable error */
  guint close_grace_ms;       /* 2000 for a close handshake before dropping TCP */
  guint clock_check_ms;       /* 5000 between wall-clock checks */
  guint clock_jump_ms;        /* 3000 of drift counts as a jump */
  guint retry_after_cap_ms;   /* 60000: largest 4008 / Retry-After delay honoured */
  guint dispatch_budget_ms;   /* 8: frame handling per dispatch before yielding */
} TlConnectionTimings;

void      tl_connection_get_default_timings (TlConnectionTimings       *timings);
void      tl_connection_set_timings         (TlConnection              *self,
                                             const TlConnectionTimings *timings);
/* @rand is borrowed and must outlive the connection; NULL: g_random_*. */
void      tl_connection_set_rand            (TlConnection              *self,
                                             GRand                     *rand);
TlWakeup *tl_connection_get_wakeup          (TlConnection              *self);

G_END_DECLS
