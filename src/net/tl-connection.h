/* tl-connection.h — one live sync connection to a Threadline backend
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "tl-store.h"

G_BEGIN_DECLS

typedef enum
{
  TL_CONNECTION_STATE_OFFLINE,        /* not connected; a retry may be scheduled */
  TL_CONNECTION_STATE_CONNECTING,     /* TCP, TLS and the WebSocket upgrade */
  TL_CONNECTION_STATE_HANDSHAKE,      /* hello sent, waiting for welcome */
  TL_CONNECTION_STATE_SYNCING,        /* replay or snapshot in progress */
  TL_CONNECTION_STATE_LIVE,
  TL_CONNECTION_STATE_STOPPED_AUTH_FAILED,
  TL_CONNECTION_STATE_STOPPED_PROTOCOL_UNSUPPORTED,
  TL_CONNECTION_STATE_STOPPED_CLOSED, /* 1000, a TLS failure, a bad URL, or stop() */
} TlConnectionState;

#define TL_TYPE_CONNECTION_STATE (tl_connection_state_get_type ())
GType tl_connection_state_get_type (void) G_GNUC_CONST;
const char *tl_connection_state_to_string (TlConnectionState state);

#define TL_CONNECTION_ERROR (tl_connection_error_quark ())
GQuark tl_connection_error_quark (void);

typedef enum
{
  TL_CONNECTION_ERROR_INVALID_URL,
  TL_CONNECTION_ERROR_NOT_CONNECTED,
} TlConnectionError;

/* Properties: "state" (TlConnectionState), "last-error" (string, NULL once live).
 *
 * Signals:
 *   message-confirmed (id)             the server has our message (ack or echo)
 *   message-failed    (id, reason)     marked "error": non-retryable, or 5 minutes
 *   command-reply     (requestId, ack) the ack of regenerate, mark-read, …
 *   command-error     (requestId, code, message)
 *   history-loaded    (conversationId, hasMore, cursor)
 *   event-applied     (TlEvent, JsonNode) a server event reached the store
 *   pong              (n, headSeq, quiet) the answer to a probe
 *   frame             ()                 any text frame of the current connection
 */
#define TL_TYPE_CONNECTION (tl_connection_get_type ())

G_DECLARE_FINAL_TYPE (TlConnection, tl_connection, TL, CONNECTION, GObject)

/* @url: ws:// or wss:// (anything else is TL_CONNECTION_ERROR_INVALID_URL). */
TlConnection      *tl_connection_new                  (TlStore          *store,
                                                       const char       *url,
                                                       GError          **error);
TlStore           *tl_connection_get_store            (TlConnection     *self);
void               tl_connection_set_token            (TlConnection     *self,
                                                       const char       *token);
/* Overrides welcome.user.id as the local user (threadline-cli --user). */
void               tl_connection_set_local_user       (TlConnection     *self,
                                                       const char       *user_id);
/* ws:// to a host that is not loopback: refused by start() unless allowed. */
gboolean           tl_connection_is_insecure          (TlConnection     *self);
void               tl_connection_set_allow_insecure   (TlConnection     *self,
                                                       gboolean          allow);
/* A certificate the user chose to trust although it does not verify. */
void               tl_connection_set_trusted_certificate (TlConnection  *self,
                                                       GTlsCertificate  *certificate);

void               tl_connection_start                (TlConnection     *self);
/* Closes with 1000 and stays offline: logout, quit. */
void               tl_connection_stop                 (TlConnection     *self);

TlConnectionState  tl_connection_get_state            (TlConnection     *self);
const char        *tl_connection_get_last_error       (TlConnection     *self);
gboolean           tl_connection_get_ever_connected   (TlConnection     *self);
/* Offline with a retry scheduled: its monotonic time in µs; else -1. */
gint64             tl_connection_get_retry_at         (TlConnection     *self);

/* Nothing outstanding: no command reply awaited, no stream with a gap, no
 * message in the outbox. */
gboolean           tl_connection_is_idle              (TlConnection     *self);
/* Pings now (one probe in flight at a time); "pong" tells the answer.
 * Returns the ping's n, 0 when not connected. */
guint              tl_connection_probe                (TlConnection     *self);

/* Commands. Each returns its requestId (or the message id for send), NULL
 * with TL_CONNECTION_ERROR_NOT_CONNECTED when there is no connection; sending
 * a message works offline too, it waits in the outbox. */
char              *tl_connection_send_message         (TlConnection     *self,
                                                       const char       *conversation_id,
                                                       const char       *text,
                                                       GError          **error);
gboolean           tl_connection_retry_message        (TlConnection     *self,
                                                       const char       *message_id);
char              *tl_connection_stop_stream          (TlConnection     *self,
                                                       const char       *message_id,
                                                       GError          **error);
char              *tl_connection_mark_read            (TlConnection     *self,
                                                       const char       *conversation_id,
                                                       const char       *message_id,
                                                       GError          **error);
gboolean           tl_connection_set_typing           (TlConnection     *self,
                                                       const char       *conversation_id,
                                                       gboolean          is_typing,
                                                       GError          **error);
char              *tl_connection_load_history         (TlConnection     *self,
                                                       const char       *conversation_id,
                                                       const char       *cursor,
                                                       guint             limit,
                                                       GError          **error);
/* @out_conversation_id: the id the client chose for it. */
char              *tl_connection_create_conversation  (TlConnection     *self,
                                                       const char       *title,
                                                       char            **out_conversation_id,
                                                       GError          **error);
char              *tl_connection_remove_conversation  (TlConnection     *self,
                                                       const char       *conversation_id,
                                                       GError          **error);
char              *tl_connection_remove_message       (TlConnection     *self,
                                                       const char       *message_id,
                                                       GError          **error);
char              *tl_connection_regenerate           (TlConnection     *self,
                                                       const char       *message_id,
                                                       GError          **error);
char              *tl_connection_respond_tool_approval (TlConnection    *self,
                                                       const char       *message_id,
                                                       const char       *tool_call_id,
                                                       const char       *approval_id,
                                                       gboolean          approved,
                                                       const char       *reason,
                                                       GError          **error);

G_END_DECLS
