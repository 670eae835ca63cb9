/* tl-connection-internal.h — what the files of TlConnection share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>

#include "tl-backoff.h"
#include "tl-connection.h"
#include "tl-connection-private.h"
#include "tl-deadline.h"
#include "tl-liveness.h"
#include "tl-outbox.h"

G_BEGIN_DECLS

typedef enum
{
  REQUEST_GET_MESSAGE,
  REQUEST_HISTORY,
  REQUEST_OTHER,
} RequestKind;

typedef struct
{
  RequestKind  kind;
  char        *message_id;   /* get-message */
} Request;

struct _TlConnection
{
  GObject                  parent_instance;

  /* owned */
  TlStore                 *store;
  SoupSession             *session;
  char                    *url;
  char                    *token;
  char                    *local_user;
  GTlsCertificate         *trusted_certificate;
  TlBackoff               *backoff;
  TlLiveness              *liveness;
  TlOutbox                *outbox;
  TlWakeup                *wakeup;
  TlDeadline              *reconnect_timer;
  gint64                   retry_at;          /* monotonic µs of the next attempt, or -1 */
  TlDeadline              *backoff_reset_timer;
  TlDeadline              *typing_timer;
  TlDeadline              *close_grace_timer;
  GHashTable              *gap_timers;       /* message id → GapEntry: get-message soon */
  GHashTable              *requests;         /* request id → Request */
  GPtrArray               *closing;          /* SoupWebsocketConnection being closed */
  char                    *last_error;

  /* the current attempt */
  GCancellable            *cancellable;
  SoupMessage             *upgrade;
  SoupWebsocketConnection *ws;
  guint                    batch_idle_id;
  guint                    drain_id;
  GQueue                   pending;           /* GBytes: frames read, not handled yet */
  gint64                   batch_started_us;
  gboolean                 in_dispatch_batch;
  gboolean                 in_replay;         /* between a replay welcome and replay-done */

  TlConnectionTimings      timings;
  TlConnectionState        state;
  guint                    undecodable_run;
  guint                    close_4003_run;
  gboolean                 want_snapshot;
  gboolean                 started;
  gboolean                 ever_connected;
  gboolean                 insecure_url;      /* ws:// to a non-loopback host */
  gboolean                 allow_insecure;
  gulong                   stream_gap_id;
  gulong                   probe_id;
};

/* tl-connection.c */
gboolean tl_connection_is_open      (TlConnection  *self);
gboolean tl_connection_send_text    (TlConnection  *self,
                                     const char    *frame);

/* tl-connection-commands.c: sends a command and remembers its request. */
gboolean tl_connection_send_command (TlConnection  *self,
                                     const char    *type,
                                     RequestKind    kind,
                                     const char    *message_id,
                                     JsonObject    *fields,
                                     char         **out_request_id,
                                     GError       **error);

G_END_DECLS
