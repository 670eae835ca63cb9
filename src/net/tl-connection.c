/* tl-connection.c — one live sync connection to a Threadline backend
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One state machine owns the socket (PROTOCOL.md "Handshake", "Connection
 * details"): connect, hello with the resume cursor and the streams in
 * progress, replay or snapshot, live. Every end of a connection that is not
 * final in the close-code table leads to a new connection after a backoff,
 * resuming from the last applied seq, so nothing is lost (the server
 * replays) and nothing is doubled (the store drops seq ≤ last applied).
 *
 * Frames are applied as they are read, inside one store batch per main-loop
 * dispatch (closed by a high-priority idle), so models see one items-changed
 * per dispatch however many frames libsoup read, and a replay runs inside one
 * batch from welcome to replay-done. libsoup hands over everything the socket
 * holds in one dispatch, so past a time budget the rest is queued and handled
 * from a low-priority idle, budget by budget: input and redraws run between.
 */
#define G_LOG_DOMAIN "threadline-net"

#include "tl-connection.h"
#include "tl-connection-internal.h"
#include "tl-connection-private.h"
#include "tl-backoff.h"
#include "tl-deadline.h"
#include "tl-json.h"
#include "tl-liveness.h"
#include "tl-outbox.h"
#include "tl-protocol.h"

#include <libsoup/soup.h>
#include <string.h>

#define SUBPROTOCOL "threadline.v1"
#define UNDECODABLE_LIMIT 3

enum {
  PROP_0,
  PROP_STATE,
  PROP_LAST_ERROR,
  N_PROPS
};

enum {
  SIGNAL_FRAME,
  SIGNAL_PONG,
  SIGNAL_EVENT_APPLIED,
  SIGNAL_MESSAGE_CONFIRMED,
  SIGNAL_MESSAGE_FAILED,
  SIGNAL_COMMAND_REPLY,
  SIGNAL_COMMAND_ERROR,
  SIGNAL_HISTORY_LOADED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (TlConnection, tl_connection, G_TYPE_OBJECT)
G_DEFINE_QUARK (tl-connection-error-quark, tl_connection_error)

static const GEnumValue state_values[] = {
  { TL_CONNECTION_STATE_OFFLINE, "TL_CONNECTION_STATE_OFFLINE", "offline" },
  { TL_CONNECTION_STATE_CONNECTING, "TL_CONNECTION_STATE_CONNECTING", "connecting" },
  { TL_CONNECTION_STATE_HANDSHAKE, "TL_CONNECTION_STATE_HANDSHAKE", "handshake" },
  { TL_CONNECTION_STATE_SYNCING, "TL_CONNECTION_STATE_SYNCING", "syncing" },
  { TL_CONNECTION_STATE_LIVE, "TL_CONNECTION_STATE_LIVE", "live" },
  { TL_CONNECTION_STATE_STOPPED_AUTH_FAILED, "TL_CONNECTION_STATE_STOPPED_AUTH_FAILED",
    "stopped-auth-failed" },
  { TL_CONNECTION_STATE_STOPPED_PROTOCOL_UNSUPPORTED,
    "TL_CONNECTION_STATE_STOPPED_PROTOCOL_UNSUPPORTED", "stopped-protocol-unsupported" },
  { TL_CONNECTION_STATE_STOPPED_CLOSED, "TL_CONNECTION_STATE_STOPPED_CLOSED", "stopped-closed" },
  { 0, NULL, NULL },
};

GType
tl_connection_state_get_type (void)
{
  static gsize type = 0;

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("TlConnectionState", state_values));
  return type;
}

const char *
tl_connection_state_to_string (TlConnectionState state)
{
  for (guint i = 0; state_values[i].value_nick != NULL; i++)
    if (state_values[i].value == (gint) state)
      return state_values[i].value_nick;
  return "unknown";
}

static void
request_free (Request *request)
{
  g_free (request->message_id);
  g_free (request);
}

gboolean
tl_connection_is_open (TlConnection *self)
{
  return self->ws != NULL &&
         soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN;
}

static void
end_dispatch_batch (TlConnection *self)
{
  g_clear_handle_id (&self->batch_idle_id, g_source_remove);
  if (!self->in_dispatch_batch)
    return;
  self->in_dispatch_batch = FALSE;
  tl_store_end_batch (self->store);
}

static void
set_state (TlConnection      *self,
           TlConnectionState  state)
{
  if (self->state == state)
    return;
  /* Whoever hears of the new state (the app showing "live", a test
   * opening a window) must find the models as their listeners know them. */
  end_dispatch_batch (self);
  g_debug ("state: %s → %s", tl_connection_state_to_string (self->state),
           tl_connection_state_to_string (state));
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_last_error (TlConnection *self,
                const char   *message)
{
  if (g_strcmp0 (self->last_error, message) == 0)
    return;
  g_free (self->last_error);
  self->last_error = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
}

/* Sending */

gboolean
tl_connection_send_text (TlConnection *self,
                         const char   *frame)
{
  if (!tl_connection_is_open (self))
    return FALSE;
  soup_websocket_connection_send_text (self->ws, frame);
  return TRUE;
}

static gboolean
outbox_send_cb (const char *frame,
                gpointer    user_data)
{
  TlConnection *self = user_data;

  /* Messages go out only on a live connection, after the replay: the
   * replay may already hold their echo. */
  return self->state == TL_CONNECTION_STATE_LIVE && tl_connection_send_text (self, frame);
}

static void
outbox_confirmed_cb (const char *message_id,
                     gpointer    user_data)
{
  g_signal_emit (user_data, signals[SIGNAL_MESSAGE_CONFIRMED], 0, message_id);
}

static void
outbox_failed_cb (const char *message_id,
                  const char *reason,
                  gpointer    user_data)
{
  g_signal_emit (user_data, signals[SIGNAL_MESSAGE_FAILED], 0, message_id, reason);
}

static const TlOutboxCallbacks outbox_callbacks = {
  outbox_send_cb,
  outbox_confirmed_cb,
  outbox_failed_cb,
};

static void
liveness_send_ping_cb (guint    n,
                       gpointer user_data)
{
  TlConnection *self = user_data;
  g_autofree char *frame = g_strdup_printf ("{\"type\":\"ping\",\"n\":%u}", n);

  tl_connection_send_text (self, frame);
}

static void close_and_resume (TlConnection *self,
                              gushort       code,
                              const char   *reason);

static void
liveness_dead_cb (const char *why,
                  gpointer    user_data)
{
  TlConnection *self = user_data;

  g_message ("connection dead (%s): closing with 4002 to resume", why);
  close_and_resume (self, 4002, "heartbeat timeout");
}

static gboolean
liveness_backlogged_cb (gpointer user_data)
{
  TlConnection *self = user_data;

  /* The pong may be read already and waiting behind other frames. */
  return !g_queue_is_empty (&self->pending);
}

static const TlLivenessCallbacks liveness_callbacks = {
  liveness_send_ping_cb,
  liveness_dead_cb,
  liveness_backlogged_cb,
};

/* Batching */

static gboolean
end_dispatch_batch_cb (gpointer user_data)
{
  TlConnection *self = user_data;

  self->batch_idle_id = 0;
  end_dispatch_batch (self);
  return G_SOURCE_REMOVE;
}

static void
ensure_dispatch_batch (TlConnection *self)
{
  if (self->in_dispatch_batch)
    return;
  self->in_dispatch_batch = TRUE;
  self->batch_started_us = g_get_monotonic_time ();
  tl_store_begin_batch (self->store);
  /* Above the socket's priority: it runs right after this dispatch. */
  self->batch_idle_id = g_idle_add_full (G_PRIORITY_DEFAULT - 10, end_dispatch_batch_cb,
                                         self, NULL);
}


/* Tearing down and reconnecting */

static void
on_closing_ws_closed_cb (SoupWebsocketConnection *ws,
                         TlConnection            *self)
{
  g_signal_handlers_disconnect_by_data (ws, self);
  g_ptr_array_remove (self->closing, ws);
}

static void
on_close_grace_cb (gpointer user_data)
{
  TlConnection *self = user_data;

  /* The peer did not finish the close handshake (a dead or silent peer
   * never will): drop the TCP connection. */
  for (guint i = 0; i < self->closing->len; i++)
    {
      SoupWebsocketConnection *ws = self->closing->pdata[i];

      g_signal_handlers_disconnect_by_data (ws, self);
      g_io_stream_close (soup_websocket_connection_get_io_stream (ws), NULL, NULL);
    }
  g_ptr_array_set_size (self->closing, 0);
}

static void
cancel_gap_timers (TlConnection *self)
{
  g_hash_table_remove_all (self->gap_timers);
}

/* Forgets the current connection; the caller decides what comes next. */
static void
teardown (TlConnection *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->upgrade);

  if (self->ws != NULL)
    {
      g_autoptr(SoupWebsocketConnection) ws = g_steal_pointer (&self->ws);

      g_signal_handlers_disconnect_by_data (ws, self);
      if (soup_websocket_connection_get_state (ws) != SOUP_WEBSOCKET_STATE_CLOSED)
        {
          g_ptr_array_add (self->closing, g_object_ref (ws));
          g_signal_connect (ws, "closed", G_CALLBACK (on_closing_ws_closed_cb), self);
          tl_deadline_arm (self->close_grace_timer, self->timings.close_grace_ms);
        }
    }

  /* Unhandled frames of a connection that is gone are dropped: the resume
   * replays every durable event after the last applied seq, and streams
   * continue after their applied sequence. */
  g_queue_clear_full (&self->pending, (GDestroyNotify) g_bytes_unref);
  g_clear_handle_id (&self->drain_id, g_source_remove);

  tl_liveness_stop (self->liveness);
  tl_outbox_set_online (self->outbox, FALSE);
  tl_deadline_disarm (self->backoff_reset_timer);
  g_hash_table_remove_all (self->requests);
  cancel_gap_timers (self);
  self->in_replay = FALSE;
  /* Typing is ephemeral and would never be cleared by a connection that is
   * gone; presence stays until the server re-sends it after welcome. */
  tl_store_clear_typing (self->store);
}

static void start_attempt (TlConnection *self);

static void
on_reconnect_timer_cb (gpointer user_data)
{
  start_attempt (user_data);
}

static void
schedule_reconnect (TlConnection *self,
                    guint         delay_ms)
{
  /* Before the state changes, so whoever hears "offline" can say when. */
  self->retry_at = g_get_monotonic_time () + (gint64) delay_ms * 1000;
  set_state (self, TL_CONNECTION_STATE_OFFLINE);
  g_debug ("reconnecting in %u ms", delay_ms);
  tl_deadline_arm (self->reconnect_timer, delay_ms);
}

gint64
tl_connection_get_retry_at (TlConnection *self)
{
  g_return_val_if_fail (TL_IS_CONNECTION (self), -1);

  return self->state == TL_CONNECTION_STATE_OFFLINE ? self->retry_at : -1;
}

static void
stop_with (TlConnection      *self,
           TlConnectionState  state,
           const char        *error)
{
  teardown (self);
  tl_deadline_disarm (self->reconnect_timer);
  self->retry_at = -1;
  self->started = FALSE;
  if (error != NULL)
    set_last_error (self, error);
  set_state (self, state);
}

/* What the close-code table says to do once a connection has ended. */
static void
handle_end (TlConnection *self,
            gushort       code,
            const char   *reason)
{
  gint64 retry_after;

  teardown (self);
  if (!self->started)
    return;

  if (code == 4003)
    {
      /* The server could not decode what we sent; three times in a row
       * and we start over from a snapshot. */
      if (++self->close_4003_run >= UNDECODABLE_LIMIT)
        self->want_snapshot = TRUE;
    }
  else
    self->close_4003_run = 0;

  switch (code)
    {
    case 1000:
      stop_with (self, TL_CONNECTION_STATE_STOPPED_CLOSED, "the server closed the connection");
      return;

    case 4004:
      stop_with (self, TL_CONNECTION_STATE_STOPPED_AUTH_FAILED,
                 "authentication failed: sign in again");
      return;

    case 4010:
      stop_with (self, TL_CONNECTION_STATE_STOPPED_PROTOCOL_UNSUPPORTED,
                 "protocol version unsupported by the server");
      return;

    case 4011:
      schedule_reconnect (self, tl_backoff_random (self->backoff, self->timings.restart_max_ms));
      return;

    case 4008:
      retry_after = tl_protocol_parse_retry_after (reason);
      if (retry_after >= 0)
        {
          schedule_reconnect (self, (guint) MIN (retry_after, self->timings.retry_after_cap_ms));
          return;
        }
      break;

    default:
      /* 1001, 4000–4005, 1006, no close frame, errors: back off and resume. */
      break;
    }
  schedule_reconnect (self, tl_backoff_next (self->backoff));
}

static void
close_and_resume (TlConnection *self,
                  gushort       code,
                  const char   *reason)
{
  if (self->ws == NULL)
    return;
  if (soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->ws, code, reason);
  set_last_error (self, reason);
  handle_end (self, code, NULL);
}

/* Liveness and silent gaps */

static void
on_backoff_reset_cb (gpointer user_data)
{
  TlConnection *self = user_data;

  tl_backoff_reset (self->backoff);
}

static void
on_typing_timer_cb (gpointer user_data)
{
  TlConnection *self = user_data;
  gint64 next = tl_store_expire_typing (self->store);

  if (next >= 0)
    tl_deadline_arm_at (self->typing_timer, next);
}

static gboolean
nothing_in_flight (TlConnection *self)
{
  return g_hash_table_size (self->requests) == 0 && !tl_outbox_has_in_flight (self->outbox);
}

static void
check_head_seq (TlConnection *self,
                gint64        head_seq)
{
  /* Frames arrive in order, so by the time a heartbeat or pong arrives every
   * event up to its headSeq has too. */
  if (self->state == TL_CONNECTION_STATE_LIVE && head_seq > tl_store_get_seq (self->store) &&
      nothing_in_flight (self))
    {
      g_message ("silent gap: server is at seq %" G_GINT64_FORMAT ", applied %" G_GINT64_FORMAT
                 "; resuming", head_seq, tl_store_get_seq (self->store));
      close_and_resume (self, 4001, "seq gap");
    }
}

/* Streams with gaps */

static void
request_message (TlConnection *self,
                 const char   *message_id)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  GHashTableIter iter;
  gpointer value;

  if (self->state != TL_CONNECTION_STATE_LIVE ||
      !tl_store_stream_has_gap (self->store, message_id))
    return;

  g_hash_table_iter_init (&iter, self->requests);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Request *request = value;

      if (request->kind == REQUEST_GET_MESSAGE && g_strcmp0 (request->message_id, message_id) == 0)
        return;
    }

  g_debug ("stream %s has an unfilled gap: asking for the message", message_id);
  json_object_set_string_member (fields, "messageId", message_id);
  tl_connection_send_command (self, "get-message", REQUEST_GET_MESSAGE, message_id, fields, NULL, NULL);
}

typedef struct
{
  TlConnection *self;
  char         *message_id;
} GapTimer;

static void
on_gap_timer_cb (gpointer user_data)
{
  GapTimer *gap = user_data;
  TlConnection *self = gap->self;
  g_autofree char *message_id = g_strdup (gap->message_id);

  /* Frees @gap. */
  g_hash_table_remove (self->gap_timers, message_id);
  request_message (self, message_id);
}

typedef struct
{
  TlDeadline *deadline;
  GapTimer    gap;
} GapEntry;

static void
gap_entry_free (GapEntry *entry)
{
  tl_deadline_free (entry->deadline);
  g_free (entry->gap.message_id);
  g_free (entry);
}

static void
arm_gap_timer (TlConnection *self,
               const char   *message_id)
{
  GapEntry *entry;

  if (g_hash_table_contains (self->gap_timers, message_id))
    return;
  entry = g_new0 (GapEntry, 1);
  entry->gap.self = self;
  entry->gap.message_id = g_strdup (message_id);
  entry->deadline = tl_deadline_new (on_gap_timer_cb, &entry->gap);
  g_hash_table_insert (self->gap_timers, g_strdup (message_id), entry);
  tl_deadline_arm (entry->deadline, self->timings.stream_gap_ms);
}

static void
on_store_stream_gap_cb (TlStore      *store,
                        const char   *message_id,
                        TlConnection *self)
{
  /* The missing chunks usually arrive a moment later; ask only if not. */
  arm_gap_timer (self, message_id);
}

static void
go_live (TlConnection *self)
{
  g_auto(GStrv) streams = NULL;

  self->in_replay = FALSE;
  set_state (self, TL_CONNECTION_STATE_LIVE);
  set_last_error (self, NULL);
  tl_outbox_set_online (self->outbox, TRUE);

  /* Gaps left from before the reconnect get their get-message now. */
  streams = tl_store_dup_stream_ids (self->store);
  for (guint i = 0; streams[i] != NULL; i++)
    if (tl_store_stream_has_gap (self->store, streams[i]))
      arm_gap_timer (self, streams[i]);
}

/* Frames that steer the connection */

static void
handle_welcome (TlConnection *self,
                JsonObject   *frame)
{
  g_autoptr(GError) error = NULL;
  TlWelcome welcome;

  if (self->state != TL_CONNECTION_STATE_HANDSHAKE)
    {
      g_message ("welcome after the handshake ignored");
      return;
    }
  if (!tl_protocol_parse_welcome (frame, &welcome, &error))
    {
      g_message ("invalid welcome skipped: %s", error->message);
      return;
    }
  if (welcome.protocol != 1)
    {
      g_message ("server speaks protocol %" G_GINT64_FORMAT ", not 1", welcome.protocol);
      if (tl_connection_is_open (self))
        soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      stop_with (self, TL_CONNECTION_STATE_STOPPED_PROTOCOL_UNSUPPORTED,
                 "protocol version unsupported by the server");
      return;
    }

  if (self->local_user != NULL)
    tl_store_set_local_user_id (self->store, self->local_user);
  else if (welcome.user_id != NULL)
    tl_store_set_local_user_id (self->store, welcome.user_id);
  /* "Presence is replaced by what the server re-sends after welcome". */
  tl_store_clear_presence (self->store);

  g_debug ("welcome: mode %s%s%s, head seq %" G_GINT64_FORMAT, welcome.mode,
           welcome.reason ? ", reason " : "", welcome.reason ? welcome.reason : "",
           welcome.head_seq);

  self->ever_connected = TRUE;
  tl_deadline_arm (self->backoff_reset_timer, self->timings.backoff_reset_ms);
  set_state (self, TL_CONNECTION_STATE_SYNCING);
  if (strcmp (welcome.mode, "replay") == 0)
    {
      /* Applied in the per-dispatch batches like live events: a batch held
       * open from welcome to replay-done would span main-loop iterations,
       * and a list view laying out in between would read models whose
       * changes it has not been told of yet. */
      self->in_replay = TRUE;
    }
}

static void
handle_replay_done (TlConnection *self,
                    JsonObject   *frame)
{
  g_autoptr(GError) error = NULL;
  gint64 seq = -1;

  if (!self->in_replay)
    {
      g_message ("replay-done outside a replay ignored");
      return;
    }
  if (!tl_protocol_parse_replay_done (frame, &seq, &error))
    g_message ("replay-done: %s (taken as done)", error->message);

  if (seq > tl_store_get_seq (self->store))
    {
      g_message ("replay ended at seq %" G_GINT64_FORMAT " but only %" G_GINT64_FORMAT
                 " arrived; resuming", seq, tl_store_get_seq (self->store));
      close_and_resume (self, 4001, "seq gap");
      return;
    }
  go_live (self);
}

static void
handle_ack (TlConnection *self,
            JsonObject   *frame,
            JsonNode     *root)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *request_id = NULL;
  const char *id = NULL;
  Request *request;

  if (!tl_protocol_parse_ack (frame, &id, &error))
    {
      g_message ("invalid ack skipped: %s", error->message);
      return;
    }
  request_id = g_strdup (id);

  if (tl_outbox_handle_ack (self->outbox, request_id, frame))
    return;

  request = g_hash_table_lookup (self->requests, request_id);
  if (request == NULL)
    {
      g_debug ("ack for an unknown request %s ignored", request_id);
      return;
    }

  if (request->kind == REQUEST_GET_MESSAGE)
    {
      g_autofree char *message_id = g_strdup (request->message_id);
      JsonNode *message = json_object_get_member (frame, "message");
      JsonNode *sequence = json_object_get_member (frame, "streamSequence");

      g_hash_table_remove (self->requests, request_id);
      if (message == NULL || !JSON_NODE_HOLDS_OBJECT (message) || sequence == NULL ||
          !JSON_NODE_HOLDS_VALUE (sequence) ||
          json_node_get_value_type (sequence) != G_TYPE_INT64 || json_node_get_int (sequence) < 0)
        g_message ("get-message ack for %s without “message” and “streamSequence” skipped",
                   message_id);
      else if (!tl_store_resync_stream (self->store, message, json_node_get_int (sequence), &error))
        g_message ("get-message ack for %s skipped: %s", message_id, error->message);

      /* The copy may end at a sequence below what is buffered next. */
      if (tl_store_stream_has_gap (self->store, message_id))
        arm_gap_timer (self, message_id);
      return;
    }

  g_hash_table_remove (self->requests, request_id);
  g_signal_emit (self, signals[SIGNAL_COMMAND_REPLY], 0, request_id, root);
}

static void
handle_error (TlConnection *self,
              JsonObject   *frame)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *request_id = NULL;
  TlServerError server_error;

  if (!tl_protocol_parse_error (frame, &server_error, &error))
    {
      g_message ("invalid error frame skipped: %s", error->message);
      return;
    }
  if (server_error.request_id == NULL)
    {
      g_message ("server error %s: %s", server_error.code ? server_error.code : "(no code)",
                 server_error.message ? server_error.message : "");
      return;
    }
  request_id = g_strdup (server_error.request_id);

  if (tl_outbox_handle_error (self->outbox, request_id, server_error.code,
                              server_error.message, server_error.retryable))
    return;

  if (g_hash_table_remove (self->requests, request_id))
    g_signal_emit (self, signals[SIGNAL_COMMAND_ERROR], 0, request_id,
                   server_error.code, server_error.message);
}

static void
handle_history (TlConnection *self,
                JsonObject   *frame)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *cursor = NULL;
  TlHistory history;
  guint skipped = 0;

  if (!tl_protocol_parse_history (frame, &history, &error))
    {
      g_message ("invalid history skipped: %s", error->message);
      return;
    }
  g_hash_table_remove (self->requests, history.request_id);

  /* A history page holds older, already committed messages, which carry no
   * seq of their own; they are merged as file-rule records in one batch, so
   * the thread model sees a single splice. A message the store knows already
   * is skipped: the live stream has kept it current since the page was read,
   * and the page's copy may be older. */
  tl_store_begin_batch (self->store);
  for (guint i = 0; i < json_array_get_length (history.messages); i++)
    {
      JsonNode *element = json_array_get_element (history.messages, i);
      g_autoptr(JsonObject) wrapper = json_object_new ();
      g_autoptr(JsonNode) wrapped = NULL;
      g_autoptr(JsonNode) message = NULL;
      g_autoptr(TlEvent) event = NULL;
      g_autoptr(GError) local_error = NULL;
      JsonNode *id_node;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          skipped++;
          continue;
        }
      id_node = json_object_get_member (json_node_get_object (element), "id");
      if (id_node != NULL && JSON_NODE_HOLDS_VALUE (id_node) &&
          json_node_get_value_type (id_node) == G_TYPE_STRING &&
          tl_store_lookup_message (self->store, json_node_get_string (id_node)) != NULL)
        continue;
      message = json_node_copy (element);
      if (!json_object_has_member (json_node_get_object (message), "conversationId"))
        json_object_set_string_member (json_node_get_object (message), "conversationId",
                                       history.conversation_id);
      json_object_set_string_member (wrapper, "type", "message-added");
      json_object_set_member (wrapper, "message", g_steal_pointer (&message));
      wrapped = json_node_init_object (json_node_alloc (), wrapper);
      event = tl_event_parse (wrapped, NULL, &local_error);
      if (event == NULL ||
          tl_store_apply_event (self->store, event, TL_APPLY_FLAGS_FILE, &local_error) == TL_APPLY_INVALID)
        {
          g_message ("history: message %u skipped: %s", i, local_error->message);
          skipped++;
        }
    }
  tl_store_end_batch (self->store);

  conversation_id = g_strdup (history.conversation_id);
  cursor = g_strdup (history.cursor);
  g_signal_emit (self, signals[SIGNAL_HISTORY_LOADED], 0, conversation_id, history.has_more, cursor);
}

/* Everything else: the store's events */

static void
after_apply (TlConnection  *self,
             TlEvent       *event,
             TlApplyResult  result,
             JsonNode      *root)
{
  switch (event->kind)
    {
    case TL_EVENT_MESSAGE_ADDED:
    case TL_EVENT_MESSAGE_UPDATED:
      if (result == TL_APPLY_APPLIED)
        tl_outbox_message_applied (self->outbox, event->message.id);
      break;

    case TL_EVENT_TYPING:
      on_typing_timer_cb (self);
      break;

    case TL_EVENT_SNAPSHOT_END:
      if (result == TL_APPLY_APPLIED || result == TL_APPLY_GAP)
        {
          self->want_snapshot = FALSE;
          tl_outbox_after_snapshot (self->outbox);
        }
      break;

    default:
      break;
    }

  if (result == TL_APPLY_APPLIED)
    g_signal_emit (self, signals[SIGNAL_EVENT_APPLIED], 0, event, root);
}

static void
handle_event (TlConnection *self,
              JsonNode     *root)
{
  g_autoptr(TlEvent) event = NULL;
  g_autoptr(GError) error = NULL;
  TlApplyResult result;
  gint64 seq = 0;

  event = tl_event_parse (root, &seq, &error);
  if (event == NULL)
    {
      /* Its seq is consumed: a skipped event must never look like a gap. */
      g_message ("invalid event skipped: %s", error->message);
      result = tl_store_consume_seq (self->store, seq, 0);
      if (result == TL_APPLY_GAP)
        close_and_resume (self, 4001, "seq gap");
      return;
    }

  if (event->kind == TL_EVENT_HEARTBEAT || event->kind == TL_EVENT_PONG)
    {
      gboolean quiet = FALSE;
      guint n = 0;

      if (event->kind == TL_EVENT_PONG && tl_protocol_parse_pong_n (json_node_get_object (root), &n) &&
          tl_liveness_pong_received (self->liveness, n, &quiet))
        g_signal_emit (self, signals[SIGNAL_PONG], 0, n, event->head_seq, quiet);
      if (event->head_seq >= 0)
        check_head_seq (self, event->head_seq);
      return;
    }

  if (self->state == TL_CONNECTION_STATE_HANDSHAKE)
    {
      g_message ("%s before welcome ignored", event->type);
      return;
    }

  result = tl_store_apply_event (self->store, event, 0, &error);
  switch (result)
    {
    case TL_APPLY_GAP:
      g_message ("seq gap: got %" G_GINT64_FORMAT " after %" G_GINT64_FORMAT "; resuming",
                 event->seq, tl_store_get_seq (self->store));
      after_apply (self, event, result, root);
      close_and_resume (self, 4001, "seq gap");
      return;

    case TL_APPLY_INVALID:
      if (error != NULL && g_error_matches (error, TL_EVENT_ERROR, TL_EVENT_ERROR_UNKNOWN_TYPE))
        g_debug ("%s", error->message);
      else
        g_message ("%s skipped: %s", event->type, error ? error->message : "invalid");
      break;

    case TL_APPLY_APPLIED:
    case TL_APPLY_DUPLICATE:
    case TL_APPLY_HELD:
    case TL_APPLY_IGNORED:
    default:
      break;
    }
  after_apply (self, event, result, root);

  if (event->kind == TL_EVENT_SNAPSHOT_END && result == TL_APPLY_APPLIED &&
      self->state == TL_CONNECTION_STATE_SYNCING && !self->in_replay)
    go_live (self);
}

static void
handle_frame (TlConnection *self,
              const char   *data,
              gsize         length)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *frame;
  const char *type;

  root = tl_json_decode_frame (data, length, &error);
  if (root == NULL)
    {
      g_message ("undecodable frame skipped: %s", error->message);
      if (++self->undecodable_run >= UNDECODABLE_LIMIT)
        {
          /* Something is wrong with what the server sends us; a fresh
           * snapshot is the way out of whatever state it is in. */
          g_message ("%u undecodable frames in a row: resuming from a snapshot",
                     self->undecodable_run);
          self->want_snapshot = TRUE;
          self->undecodable_run = 0;
          close_and_resume (self, 4003, "undecodable frames");
        }
      return;
    }
  self->undecodable_run = 0;

  frame = json_node_get_object (root);
  type = json_object_get_string_member (frame, "type");

  if (strcmp (type, "welcome") == 0)
    handle_welcome (self, frame);
  else if (strcmp (type, "replay-done") == 0)
    handle_replay_done (self, frame);
  else if (strcmp (type, "ack") == 0)
    handle_ack (self, frame, root);
  else if (strcmp (type, "error") == 0)
    handle_error (self, frame);
  else if (strcmp (type, "history") == 0)
    handle_history (self, frame);
  else
    handle_event (self, root);
}

/* WebSocket signals */

static void
handle_text_frame (TlConnection            *self,
                   SoupWebsocketConnection *ws,
                   GBytes                  *message)
{
  gsize length = 0;
  const char *data = g_bytes_get_data (message, &length);

  handle_frame (self, data, length);

  /* Only frames of the connection still current count for the CLI's settle. */
  if (self->ws == ws)
    g_signal_emit (self, signals[SIGNAL_FRAME], 0);
}

static gboolean
over_budget (TlConnection *self,
             gint64        started_us)
{
  return g_get_monotonic_time () - started_us >= (gint64) self->timings.dispatch_budget_ms * 1000;
}

/* Handles queued frames until the queue is empty or, with @bounded, the
 * budget is spent. Stops when the connection ends meanwhile. */
static void
drain (TlConnection *self,
       gboolean      bounded)
{
  g_autoptr(TlConnection) hold = g_object_ref (self);
  SoupWebsocketConnection *ws = self->ws;
  gint64 started_us = g_get_monotonic_time ();
  GBytes *message;

  tl_store_begin_batch (self->store);
  while (self->ws == ws && (message = g_queue_pop_head (&self->pending)) != NULL)
    {
      handle_text_frame (self, ws, message);
      g_bytes_unref (message);
      if (bounded && over_budget (self, started_us))
        break;
    }
  tl_store_end_batch (self->store);
}

static gboolean
on_drain_cb (gpointer user_data)
{
  TlConnection *self = user_data;

  drain (self, TRUE);
  if (g_queue_is_empty (&self->pending))
    {
      self->drain_id = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
on_ws_message_cb (SoupWebsocketConnection *ws,
                  gint                     type,
                  GBytes                  *message,
                  TlConnection            *self)
{
  g_autoptr(TlConnection) hold = g_object_ref (self);

  tl_liveness_frame_received (self->liveness);

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      g_message ("binary frame of %" G_GSIZE_FORMAT " bytes ignored", g_bytes_get_size (message));
      return;
    }

  /* Once frames wait, every later one waits behind them: order is kept. */
  if (!g_queue_is_empty (&self->pending) ||
      (self->in_dispatch_batch && over_budget (self, self->batch_started_us)))
    {
      g_queue_push_tail (&self->pending, g_bytes_ref (message));
      if (self->drain_id == 0)
        self->drain_id = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, on_drain_cb, self, NULL);
      return;
    }

  ensure_dispatch_batch (self);
  handle_text_frame (self, ws, message);
}

static void
on_ws_error_cb (SoupWebsocketConnection *ws,
                GError                  *error,
                TlConnection            *self)
{
  /* "closed" follows; the error only explains it. */
  g_message ("connection error: %s", error->message);
  set_last_error (self, error->message);
}

static void
on_ws_closed_cb (SoupWebsocketConnection *ws,
                 TlConnection            *self)
{
  g_autoptr(TlConnection) hold = g_object_ref (self);
  g_autofree char *reason = g_strdup (soup_websocket_connection_get_close_data (ws));
  gushort code = soup_websocket_connection_get_close_code (ws);

  /* What arrived before the close is handled first, as it would have been
   * without the budget; it may end this connection itself (a gap). */
  drain (self, FALSE);
  if (self->ws != ws)
    return;

  g_message ("connection closed (code %u%s%s)", code,
             reason && *reason ? ", reason " : "", reason && *reason ? reason : "");
  if (code != 0 && code != 1000)
    {
      g_autofree char *message = g_strdup_printf ("connection closed (code %u)", code);

      set_last_error (self, message);
    }
  else if (code == 0)
    set_last_error (self, "connection lost");
  handle_end (self, code, reason);
}

/* Connecting */

static gboolean
on_accept_certificate_cb (SoupMessage          *msg,
                          GTlsCertificate      *certificate,
                          GTlsCertificateFlags  errors,
                          TlConnection         *self)
{
  /* Certificate errors are fatal, except for the one certificate the user
   * explicitly chose to trust. */
  return self->trusted_certificate != NULL &&
         g_tls_certificate_is_same (certificate, self->trusted_certificate);
}

static void
on_connect_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(TlConnection) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupWebsocketConnection) ws = NULL;
  g_autofree char *hello = NULL;
  guint status;

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (ws == NULL)
    {
      const char *retry_after = NULL;
      guint delay;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->upgrade == NULL)
        return;

      status = soup_message_get_status (self->upgrade);
      if (status == SOUP_STATUS_UNAUTHORIZED)
        {
          g_message ("upgrade refused with HTTP 401");
          stop_with (self, TL_CONNECTION_STATE_STOPPED_AUTH_FAILED,
                     "authentication failed: sign in again");
          return;
        }
      if (error->domain == G_TLS_ERROR)
        {
          g_autofree char *message = g_strdup_printf ("TLS error: %s", error->message);

          g_message ("%s", message);
          stop_with (self, TL_CONNECTION_STATE_STOPPED_CLOSED, message);
          return;
        }

      /* Anything else (503, a refused or reset TCP connection, a missing
       * subprotocol) is handled like 4000. */
      g_message ("connection failed%s%s: %s", status ? " with HTTP " : "",
                 status ? soup_status_get_phrase (status) : "", error->message);
      set_last_error (self, error->message);
      if (status != 0)
        retry_after = soup_message_headers_get_one (soup_message_get_response_headers (self->upgrade),
                                                    "Retry-After");
      delay = tl_backoff_next (self->backoff);
      if (retry_after != NULL)
        {
          guint64 seconds = g_ascii_strtoull (retry_after, NULL, 10);

          delay = MAX (delay, (guint) MIN (seconds * 1000, self->timings.retry_after_cap_ms));
        }
      teardown (self);
      schedule_reconnect (self, delay);
      return;
    }

  g_clear_object (&self->upgrade);
  if (g_strcmp0 (soup_websocket_connection_get_protocol (ws), SUBPROTOCOL) != 0)
    {
      g_message ("server did not accept the %s subprotocol", SUBPROTOCOL);
      soup_websocket_connection_close (ws, 4010, NULL);
      stop_with (self, TL_CONNECTION_STATE_STOPPED_PROTOCOL_UNSUPPORTED,
                 "protocol version unsupported by the server");
      return;
    }

  self->ws = g_steal_pointer (&ws);
  /* libsoup refuses a payload equal to the limit, hence the + 1. */
  soup_websocket_connection_set_max_incoming_payload_size (self->ws, TL_FRAME_MAX_SIZE + 1);
  soup_websocket_connection_set_keepalive_interval (self->ws, 0);
  g_signal_connect (self->ws, "message", G_CALLBACK (on_ws_message_cb), self);
  g_signal_connect (self->ws, "error", G_CALLBACK (on_ws_error_cb), self);
  g_signal_connect (self->ws, "closed", G_CALLBACK (on_ws_closed_cb), self);

  self->undecodable_run = 0;
  set_state (self, TL_CONNECTION_STATE_HANDSHAKE);
  tl_liveness_start (self->liveness);

  /* Exactly one hello per connection. */
  hello = tl_protocol_build_hello (self->store, !self->want_snapshot);
  if (self->want_snapshot || tl_store_get_epoch (self->store) == NULL)
    g_debug ("hello: no cursor, asking for a snapshot");
  else
    g_debug ("hello: resuming from seq %" G_GINT64_FORMAT, tl_store_get_seq (self->store));
  tl_connection_send_text (self, hello);
}

static void
start_attempt (TlConnection *self)
{
  g_autofree char *authorization = NULL;
  const char *protocols[] = { SUBPROTOCOL, NULL };

  if (!self->started)
    return;
  teardown (self);

  self->upgrade = soup_message_new (SOUP_METHOD_GET, self->url);
  if (self->upgrade == NULL)
    {
      stop_with (self, TL_CONNECTION_STATE_STOPPED_CLOSED, "invalid URL");
      return;
    }
  if (self->token != NULL)
    {
      authorization = g_strdup_printf ("Bearer %s", self->token);
      soup_message_headers_replace (soup_message_get_request_headers (self->upgrade),
                                    "Authorization", authorization);
    }
  g_signal_connect (self->upgrade, "accept-certificate",
                    G_CALLBACK (on_accept_certificate_cb), self);

  self->cancellable = g_cancellable_new ();
  set_state (self, TL_CONNECTION_STATE_CONNECTING);
  soup_session_websocket_connect_async (self->session, self->upgrade, NULL, (char **) protocols,
                                        G_PRIORITY_DEFAULT, self->cancellable,
                                        on_connect_cb, g_object_ref (self));
}

static void
on_wakeup_probe_cb (TlWakeup     *wakeup,
                    const char   *reason,
                    TlConnection *self)
{
  if (self->ws == NULL)
    return;
  g_debug ("%s: probing the connection", reason);
  tl_liveness_probe (self->liveness);
}

/* GObject */

static void
tl_connection_dispose (GObject *object)
{
  TlConnection *self = TL_CONNECTION (object);

  self->started = FALSE;
  if (self->ws != NULL && soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
  if (self->liveness != NULL)
    teardown (self);
  g_clear_handle_id (&self->drain_id, g_source_remove);
  g_queue_clear_full (&self->pending, (GDestroyNotify) g_bytes_unref);
  end_dispatch_batch (self);
  if (self->closing != NULL)
    {
      for (guint i = 0; i < self->closing->len; i++)
        g_signal_handlers_disconnect_by_data (self->closing->pdata[i], self);
      g_ptr_array_set_size (self->closing, 0);
    }
  g_clear_signal_handler (&self->stream_gap_id, self->store);
  g_clear_signal_handler (&self->probe_id, self->wakeup);
  g_clear_object (&self->wakeup);

  G_OBJECT_CLASS (tl_connection_parent_class)->dispose (object);
}

static void
tl_connection_finalize (GObject *object)
{
  TlConnection *self = TL_CONNECTION (object);

  g_clear_pointer (&self->outbox, tl_outbox_free);
  g_clear_pointer (&self->liveness, tl_liveness_free);
  g_clear_pointer (&self->backoff, tl_backoff_free);
  g_clear_pointer (&self->reconnect_timer, tl_deadline_free);
  g_clear_pointer (&self->backoff_reset_timer, tl_deadline_free);
  g_clear_pointer (&self->typing_timer, tl_deadline_free);
  g_clear_pointer (&self->close_grace_timer, tl_deadline_free);
  g_clear_pointer (&self->gap_timers, g_hash_table_unref);
  g_clear_pointer (&self->requests, g_hash_table_unref);
  g_clear_pointer (&self->closing, g_ptr_array_unref);
  g_clear_object (&self->trusted_certificate);
  g_clear_object (&self->session);
  g_clear_object (&self->store);
  g_free (self->url);
  if (self->token != NULL)
    memset (self->token, 0, strlen (self->token));
  g_free (self->token);
  g_free (self->local_user);
  g_free (self->last_error);

  G_OBJECT_CLASS (tl_connection_parent_class)->finalize (object);
}

static void
tl_connection_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  TlConnection *self = TL_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_LAST_ERROR:
      g_value_set_string (value, self->last_error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tl_connection_class_init (TlConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = tl_connection_dispose;
  object_class->finalize = tl_connection_finalize;
  object_class->get_property = tl_connection_get_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, TL_TYPE_CONNECTION_STATE,
                       TL_CONNECTION_STATE_OFFLINE, ro);
  properties[PROP_LAST_ERROR] = g_param_spec_string ("last-error", NULL, NULL, NULL, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A text frame of the current connection was handled. */
  signals[SIGNAL_FRAME] =
    g_signal_new ("frame", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* The pong answering our ping @n; @quiet: no other frame came between. */
  signals[SIGNAL_PONG] =
    g_signal_new ("pong", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_INT64, G_TYPE_BOOLEAN);
  /* A store event from the server was applied (for watchers and logs). */
  signals[SIGNAL_EVENT_APPLIED] =
    g_signal_new ("event-applied", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2,
                  tl_event_get_type () | G_SIGNAL_TYPE_STATIC_SCOPE,
                  JSON_TYPE_NODE | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_MESSAGE_CONFIRMED] =
    g_signal_new ("message-confirmed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* The message is marked "error"; @reason is for the user. */
  signals[SIGNAL_MESSAGE_FAILED] =
    g_signal_new ("message-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_COMMAND_REPLY] =
    g_signal_new ("command-reply", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
                  JSON_TYPE_NODE | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_COMMAND_ERROR] =
    g_signal_new ("command-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_HISTORY_LOADED] =
    g_signal_new ("history-loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_BOOLEAN, G_TYPE_STRING);
}

void
tl_connection_get_default_timings (TlConnectionTimings *timings)
{
  *timings = (TlConnectionTimings) {
    .ping_interval_ms = 25000,
    .silence_timeout_ms = 55000,
    .pong_timeout_ms = 10000,
    .backoff_unit_ms = 1000,
    .backoff_cap_ms = 60000,
    .backoff_reset_ms = 60000,
    .restart_max_ms = 10000,
    .stream_gap_ms = 1000,
    .resend_ms = 10000,
    .give_up_ms = 5 * 60 * 1000,
    .retry_error_ms = 1000,
    .close_grace_ms = 2000,
    .clock_check_ms = 5000,
    .clock_jump_ms = 3000,
    .retry_after_cap_ms = 60000,
    .dispatch_budget_ms = 8,
  };
}

static void
tl_connection_init (TlConnection *self)
{
  tl_connection_get_default_timings (&self->timings);
  self->retry_at = -1;
  self->session = soup_session_new ();
  self->backoff = tl_backoff_new (self->timings.backoff_unit_ms, self->timings.backoff_cap_ms, NULL);
  self->liveness = tl_liveness_new (&liveness_callbacks, self);
  self->reconnect_timer = tl_deadline_new (on_reconnect_timer_cb, self);
  self->backoff_reset_timer = tl_deadline_new (on_backoff_reset_cb, self);
  self->typing_timer = tl_deadline_new (on_typing_timer_cb, self);
  self->close_grace_timer = tl_deadline_new (on_close_grace_cb, self);
  self->gap_timers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) gap_entry_free);
  self->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) request_free);
  self->closing = g_ptr_array_new_with_free_func (g_object_unref);
  self->wakeup = tl_wakeup_new ();
  self->probe_id = g_signal_connect (self->wakeup, "probe", G_CALLBACK (on_wakeup_probe_cb), self);
}

static gboolean
is_loopback_host (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

TlConnection *
tl_connection_new (TlStore     *store,
                   const char  *url,
                   GError     **error)
{
  g_autoptr(TlConnection) self = NULL;
  g_autoptr(GUri) uri = NULL;
  const char *scheme;

  g_return_val_if_fail (TL_IS_STORE (store), NULL);
  g_return_val_if_fail (url != NULL, NULL);

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  scheme = uri ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || scheme == NULL ||
      (g_ascii_strcasecmp (scheme, "ws") != 0 && g_ascii_strcasecmp (scheme, "wss") != 0) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, TL_CONNECTION_ERROR, TL_CONNECTION_ERROR_INVALID_URL,
                   "“%s” is not a ws:// or wss:// URL", url);
      return NULL;
    }

  self = g_object_new (TL_TYPE_CONNECTION, NULL);
  self->store = g_object_ref (store);
  self->url = g_strdup (url);
  self->insecure_url = g_ascii_strcasecmp (scheme, "ws") == 0 &&
                       !is_loopback_host (g_uri_get_host (uri));
  self->outbox = tl_outbox_new (store, &outbox_callbacks, self);
  tl_outbox_set_timings (self->outbox, self->timings.resend_ms, self->timings.give_up_ms,
                         self->timings.retry_error_ms);
  self->stream_gap_id = g_signal_connect (store, "stream-gap",
                                          G_CALLBACK (on_store_stream_gap_cb), self);
  return g_steal_pointer (&self);
}

TlStore *
tl_connection_get_store (TlConnection *self)
{
  g_return_val_if_fail (TL_IS_CONNECTION (self), NULL);
  return self->store;
}

void
tl_connection_set_token (TlConnection *self,
                         const char   *token)
{
  g_return_if_fail (TL_IS_CONNECTION (self));

  if (self->token != NULL)
    memset (self->token, 0, strlen (self->token));
  g_free (self->token);
  self->token = g_strdup (token);
}

void
tl_connection_set_local_user (TlConnection *self,
                              const char   *user_id)
{
  g_return_if_fail (TL_IS_CONNECTION (self));

  g_free (self->local_user);
  self->local_user = g_strdup (user_id);
  if (user_id != NULL)
    tl_store_set_local_user_id (self->store, user_id);
}

void
tl_connection_set_allow_insecure (TlConnection *self,
                                  gboolean      allow)
{
  g_return_if_fail (TL_IS_CONNECTION (self));
  self->allow_insecure = !!allow;
}

gboolean
tl_connection_is_insecure (TlConnection *self)
{
  g_return_val_if_fail (TL_IS_CONNECTION (self), FALSE);
  return self->insecure_url;
}

void
tl_connection_set_trusted_certificate (TlConnection    *self,
                                       GTlsCertificate *certificate)
{
  g_return_if_fail (TL_IS_CONNECTION (self));
  g_set_object (&self->trusted_certificate, certificate);
}

void
tl_connection_start (TlConnection *self)
{
  g_return_if_fail (TL_IS_CONNECTION (self));

  if (self->started)
    return;
  /* Plain ws:// would show the token to anyone on the path. */
  if (self->insecure_url && !self->allow_insecure)
    {
      stop_with (self, TL_CONNECTION_STATE_STOPPED_CLOSED,
                 "ws:// is only allowed for loopback addresses unless explicitly allowed; use wss://");
      return;
    }
  self->started = TRUE;
  set_last_error (self, NULL);
  tl_backoff_reset (self->backoff);
  start_attempt (self);
}

void
tl_connection_stop (TlConnection *self)
{
  g_return_if_fail (TL_IS_CONNECTION (self));

  if (tl_connection_is_open (self))
    soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  stop_with (self, TL_CONNECTION_STATE_OFFLINE, NULL);
}

TlConnectionState
tl_connection_get_state (TlConnection *self)
{
  g_return_val_if_fail (TL_IS_CONNECTION (self), TL_CONNECTION_STATE_OFFLINE);
  return self->state;
}

const char *
tl_connection_get_last_error (TlConnection *self)
{
  g_return_val_if_fail (TL_IS_CONNECTION (self), NULL);
  return self->last_error;
}

gboolean
tl_connection_get_ever_connected (TlConnection *self)
{
  g_return_val_if_fail (TL_IS_CONNECTION (self), FALSE);
  return self->ever_connected;
}

gboolean
tl_connection_is_idle (TlConnection *self)
{
  g_auto(GStrv) streams = NULL;

  g_return_val_if_fail (TL_IS_CONNECTION (self), FALSE);

  if (g_hash_table_size (self->requests) > 0 || tl_outbox_get_n_pending (self->outbox) > 0)
    return FALSE;
  streams = tl_store_dup_stream_ids (self->store);
  for (guint i = 0; streams[i] != NULL; i++)
    if (tl_store_stream_has_gap (self->store, streams[i]))
      return FALSE;
  return TRUE;
}

guint
tl_connection_probe (TlConnection *self)
{
  g_return_val_if_fail (TL_IS_CONNECTION (self), 0);

  if (!tl_connection_is_open (self))
    return 0;
  return tl_liveness_probe (self->liveness);
}

void
tl_connection_set_timings (TlConnection              *self,
                           const TlConnectionTimings *timings)
{
  g_return_if_fail (TL_IS_CONNECTION (self));
  g_return_if_fail (timings != NULL);

  self->timings = *timings;
  tl_backoff_set_limits (self->backoff, timings->backoff_unit_ms, timings->backoff_cap_ms);
  tl_liveness_set_intervals (self->liveness, timings->ping_interval_ms,
                             timings->silence_timeout_ms, timings->pong_timeout_ms);
  tl_outbox_set_timings (self->outbox, timings->resend_ms, timings->give_up_ms,
                         timings->retry_error_ms);
  tl_wakeup_set_clock_check (self->wakeup, timings->clock_check_ms, timings->clock_jump_ms);
}

void
tl_connection_set_rand (TlConnection *self,
                        GRand        *rand)
{
  g_return_if_fail (TL_IS_CONNECTION (self));
  tl_backoff_set_rand (self->backoff, rand);
}

TlWakeup *
tl_connection_get_wakeup (TlConnection *self)
{
  g_return_val_if_fail (TL_IS_CONNECTION (self), NULL);
  return self->wakeup;
}
