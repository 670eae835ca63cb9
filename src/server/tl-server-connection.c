/* tl-server-connection.c — one client's WebSocket
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A connection is authenticated before it exists (the upgrade checked the
 * token). It then waits for exactly one hello, answers welcome and brings
 * the client up to date — replay or snapshot, sent synchronously so that no
 * live event can slip in between — and only then becomes live and receives
 * fan-out. Commands are rate limited with a token bucket.
 */
#define G_LOG_DOMAIN "threadline-server"

#include "tl-server-connection.h"

#include <string.h>

#include "tl-event.h"
#include "tl-json.h"
#include "tl-server-json.h"

#define HELLO_TIMEOUT_S 30

typedef enum
{
  STATE_AWAIT_HELLO,
  STATE_LIVE,
  STATE_CLOSED,
} State;

struct _TlServerConnection
{
  GObject                  parent_instance;

  /* owned */
  TlServerHub             *hub;
  SoupWebsocketConnection *socket;
  char                    *user_id;
  char                    *display_name;

  State                    state;
  guint                    heartbeat_ms;
  guint                    heartbeat_id;
  guint                    hello_timeout_id;
  gint64                   last_sent;      /* monotonic µs */

  /* token bucket */
  double                   rate_per_sec;
  double                   burst;
  double                   tokens;
  gint64                   refilled_at;
};

G_DEFINE_FINAL_TYPE (TlServerConnection, tl_server_connection, G_TYPE_OBJECT)

enum {
  LIVE,
  CLOSED,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

static void
tl_server_connection_dispose (GObject *object)
{
  TlServerConnection *self = TL_SERVER_CONNECTION (object);

  g_clear_handle_id (&self->heartbeat_id, g_source_remove);
  g_clear_handle_id (&self->hello_timeout_id, g_source_remove);
  if (self->socket != NULL)
    g_signal_handlers_disconnect_by_data (self->socket, self);
  g_clear_object (&self->socket);
  g_clear_object (&self->hub);

  G_OBJECT_CLASS (tl_server_connection_parent_class)->dispose (object);
}

static void
tl_server_connection_finalize (GObject *object)
{
  TlServerConnection *self = TL_SERVER_CONNECTION (object);

  g_free (self->user_id);
  g_free (self->display_name);

  G_OBJECT_CLASS (tl_server_connection_parent_class)->finalize (object);
}

static void
tl_server_connection_class_init (TlServerConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tl_server_connection_dispose;
  object_class->finalize = tl_server_connection_finalize;

  signals [LIVE] = g_signal_new ("live", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals [CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
tl_server_connection_init (TlServerConnection *self)
{
}

const char *
tl_server_connection_get_user_id (TlServerConnection *self)
{
  g_return_val_if_fail (TL_IS_SERVER_CONNECTION (self), NULL);
  return self->user_id;
}

gboolean
tl_server_connection_is_live (TlServerConnection *self)
{
  g_return_val_if_fail (TL_IS_SERVER_CONNECTION (self), FALSE);
  return self->state == STATE_LIVE;
}

gboolean
tl_server_connection_is_closed (TlServerConnection *self)
{
  g_return_val_if_fail (TL_IS_SERVER_CONNECTION (self), TRUE);
  return self->state == STATE_CLOSED;
}

void
tl_server_connection_send (TlServerConnection *self,
                           const char         *frame)
{
  g_return_if_fail (TL_IS_SERVER_CONNECTION (self));

  if (self->state == STATE_CLOSED ||
      soup_websocket_connection_get_state (self->socket) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  soup_websocket_connection_send_text (self->socket, frame);
  self->last_sent = g_get_monotonic_time ();
}

void
tl_server_connection_close (TlServerConnection *self,
                            gushort             code,
                            const char         *reason)
{
  g_return_if_fail (TL_IS_SERVER_CONNECTION (self));

  if (self->state == STATE_CLOSED)
    return;
  if (soup_websocket_connection_get_state (self->socket) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->socket, code, reason);
}

static gint64
head_seq (TlServerConnection *self,
          gint64             *floor_seq)
{
  g_autoptr(TlServerUser) user = tl_server_store_get_user (tl_server_hub_get_store (self->hub),
                                                           self->user_id);

  if (floor_seq != NULL)
    *floor_seq = user != NULL ? user->floor_seq : 0;
  return user != NULL ? user->head_seq : 0;
}

/* Replies */

static GString *
reply_start (const char *type,
             const char *request_id)
{
  GString *out = g_string_new ("{");

  tl_server_json_append_string_member (out, "type", type);
  if (request_id != NULL)
    tl_server_json_append_string_member (out, "requestId", request_id);
  return out;
}

static void
send_ack (TlServerConnection *self,
          const char         *type,
          const char         *request_id,
          const char         *body)
{
  g_autoptr(GString) out = reply_start (type, request_id);

  if (body != NULL && body[0] != '\0')
    {
      g_string_append_c (out, ',');
      g_string_append (out, body);
    }
  g_string_append_c (out, '}');
  tl_server_connection_send (self, out->str);
}

static void
send_error (TlServerConnection *self,
            const char         *request_id,
            const char         *code,
            const char         *message,
            gboolean            retryable)
{
  g_autoptr(GString) out = reply_start ("error", request_id);

  tl_server_json_append_string_member (out, "code", code);
  tl_server_json_append_string_member (out, "message", message);
  g_string_append_printf (out, ",\"retryable\":%s}", retryable ? "true" : "false");
  tl_server_connection_send (self, out->str);
}

static void
send_gerror (TlServerConnection *self,
             const char         *request_id,
             const GError       *error)
{
  const char *code = tl_server_error_code (error);

  send_error (self, request_id, code, error->message, g_strcmp0 (code, "internal") == 0);
}

/* Liveness */

static gboolean
on_heartbeat_cb (gpointer user_data)
{
  TlServerConnection *self = user_data;
  gint64 now = g_get_monotonic_time ();

  if (self->state == STATE_LIVE &&
      now - self->last_sent >= (gint64) self->heartbeat_ms * 1000)
    {
      g_autofree char *frame = g_strdup_printf ("{\"type\":\"heartbeat\",\"headSeq\":%" G_GINT64_FORMAT "}",
                                                head_seq (self, NULL));

      tl_server_connection_send (self, frame);
    }
  return G_SOURCE_CONTINUE;
}

/* Returns FALSE (and closes 4008) when the client is over its budget. */
static gboolean
take_token (TlServerConnection *self)
{
  gint64 now = g_get_monotonic_time ();
  g_autofree char *reason = NULL;
  gint64 retry_ms;

  self->tokens = MIN (self->burst,
                      self->tokens + (now - self->refilled_at) / 1e6 * self->rate_per_sec);
  self->refilled_at = now;
  if (self->tokens >= 1.0)
    {
      self->tokens -= 1.0;
      return TRUE;
    }

  /* Ask the client to come back when a good part of the bucket refilled,
   * not after a single token, so it does not bounce on the limit. */
  retry_ms = (gint64) (MAX (1.0, self->burst / 2.0) / MAX (self->rate_per_sec, 0.001) * 1000.0);
  retry_ms = CLAMP (retry_ms, 1000, 60000);
  reason = g_strdup_printf ("{\"retryAfterMs\":%" G_GINT64_FORMAT "}", retry_ms);
  g_message ("Connection of user %s exceeded the command rate limit", self->user_id);
  tl_server_connection_close (self, 4008, reason);
  return FALSE;
}

/* Handshake */

typedef struct
{
  TlServerConnection *self;
} ReplayData;

static gboolean
replay_one_cb (gint64      seq,
               const char *frame,
               gpointer    user_data)
{
  ReplayData *data = user_data;

  tl_server_connection_send (data->self, frame);
  return TRUE;
}

static gboolean
protocol_offered (JsonObject *hello)
{
  JsonNode *node = json_object_get_member (hello, "protocol");

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return FALSE;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
    {
      JsonNode *v = json_array_get_element (json_node_get_array (node), i);

      if (JSON_NODE_HOLDS_VALUE (v) && json_node_get_value_type (v) == G_TYPE_INT64 &&
          json_node_get_int (v) == 1)
        return TRUE;
    }
  return FALSE;
}

static void
send_frames (TlServerConnection *self,
             GPtrArray          *frames)
{
  for (guint i = 0; i < frames->len; i++)
    tl_server_connection_send (self, g_ptr_array_index (frames, i));
}

static void
resume_streams (TlServerConnection *self,
                JsonObject         *hello)
{
  JsonNode *node = json_object_get_member (hello, "streams");

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
    {
      JsonNode *entry = json_array_get_element (json_node_get_array (node), i);
      g_autoptr(GPtrArray) frames = NULL;
      const char *message_id;
      gint64 sequence;

      if (!JSON_NODE_HOLDS_OBJECT (entry))
        continue;
      message_id = tl_server_json_get_string (json_node_get_object (entry), "messageId");
      sequence = json_object_get_int_member_with_default (json_node_get_object (entry), "sequence", 0);
      if (message_id == NULL)
        continue;
      frames = tl_server_hub_stream_frames_after (self->hub, self->user_id, message_id, sequence);
      send_frames (self, frames);
    }
}

static void
handle_hello (TlServerConnection *self,
              JsonObject         *hello)
{
  const char *epoch = tl_server_hub_get_epoch (self->hub);
  const char *reason = NULL;
  JsonNode *resume = json_object_get_member (hello, "resume");
  g_autoptr(GString) welcome = NULL;
  gint64 floor_seq = 0;
  gint64 head = head_seq (self, &floor_seq);
  gint64 from = 0;

  if (!protocol_offered (hello))
    {
      tl_server_connection_close (self, 4010, "protocol version unsupported");
      return;
    }

  if (resume == NULL || !JSON_NODE_HOLDS_OBJECT (resume))
    reason = "no-cursor";
  else
    {
      JsonObject *r = json_node_get_object (resume);
      const char *their_epoch = tl_server_json_get_string (r, "epoch");
      JsonNode *seq = json_object_get_member (r, "seq");

      if (seq == NULL || !JSON_NODE_HOLDS_VALUE (seq) ||
          json_node_get_value_type (seq) != G_TYPE_INT64 || json_node_get_int (seq) < 0)
        reason = "no-cursor";
      else if (g_strcmp0 (their_epoch, epoch) != 0)
        reason = "epoch-changed";
      else if (json_node_get_int (seq) > head || json_node_get_int (seq) < floor_seq)
        reason = "expired";   /* a future cursor too (PROTOCOL.md) */
      else
        from = json_node_get_int (seq);
    }

  welcome = g_string_new ("{\"type\":\"welcome\",\"protocol\":1");
  tl_server_json_append_string_member (welcome, "epoch", epoch);
  g_string_append_printf (welcome, ",\"headSeq\":%" G_GINT64_FORMAT, head);
  tl_server_json_append_string_member (welcome, "mode", reason != NULL ? "snapshot" : "replay");
  if (reason != NULL)
    tl_server_json_append_string_member (welcome, "reason", reason);
  g_string_append_printf (welcome, ",\"heartbeatMs\":%u,\"user\":{", self->heartbeat_ms);
  tl_server_json_append_string_member (welcome, "id", self->user_id);
  if (self->display_name != NULL)
    tl_server_json_append_string_member (welcome, "displayName", self->display_name);
  g_string_append (welcome, "}}");
  tl_server_connection_send (self, welcome->str);

  if (reason == NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *done = NULL;
      ReplayData data = { self };

      if (!tl_server_store_foreach_event (tl_server_hub_get_store (self->hub), self->user_id,
                                          from, head, replay_one_cb, &data, &error))
        {
          g_warning ("Replay failed: %s", error->message);
          tl_server_connection_close (self, 4000, "replay failed");
          return;
        }
      done = g_strdup_printf ("{\"type\":\"replay-done\",\"seq\":%" G_GINT64_FORMAT "}", head);
      tl_server_connection_send (self, done);
    }
  else
    {
      g_autoptr(GPtrArray) frames = tl_server_hub_build_snapshot (self->hub, self->user_id, head);

      send_frames (self, frames);
    }

  resume_streams (self, hello);

  {
    g_autoptr(GPtrArray) presence = tl_server_hub_presence_frames (self->hub, self->user_id);

    send_frames (self, presence);
  }

  self->state = STATE_LIVE;
  g_clear_handle_id (&self->hello_timeout_id, g_source_remove);
  g_signal_emit (self, signals [LIVE], 0);
}

/* Commands */

static const char *
string_member (JsonObject *object,
               const char *name)
{
  return tl_server_json_get_string (object, name);
}

static JsonObject *
object_member (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static void
dispatch_command (TlServerConnection *self,
                  const char         *type,
                  JsonObject         *command)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *result = NULL;
  const char *request_id = string_member (command, "requestId");
  const char *reply_type = "ack";

  if (strcmp (type, "ping") == 0)
    {
      g_autoptr(GString) pong = g_string_new ("{\"type\":\"pong\"");
      JsonNode *n = json_object_get_member (command, "n");

      if (n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64)
        g_string_append_printf (pong, ",\"n\":%" G_GINT64_FORMAT, json_node_get_int (n));
      g_string_append_printf (pong, ",\"headSeq\":%" G_GINT64_FORMAT "}", head_seq (self, NULL));
      tl_server_connection_send (self, pong->str);
      return;
    }

  if (strcmp (type, "set-typing") == 0)
    {
      JsonNode *flag = json_object_get_member (command, "isTyping");

      if (flag == NULL || !JSON_NODE_HOLDS_VALUE (flag) ||
          json_node_get_value_type (flag) != G_TYPE_BOOLEAN)
        {
          send_error (self, request_id, "bad-request", "set-typing: “isTyping” must be a boolean", FALSE);
          return;
        }
      /* Never echoed to this connection; errors are not worth a reply
       * unless the client asked for one with a requestId. */
      if (!tl_server_hub_set_typing (self->hub, self->user_id,
                                     string_member (command, "conversationId"),
                                     json_node_get_boolean (flag), self, &error) &&
          request_id != NULL)
        send_gerror (self, request_id, error);
      return;
    }

  if (strcmp (type, "hello") == 0)
    {
      send_error (self, request_id, "bad-request", "hello was already received", FALSE);
      return;
    }

  if (request_id == NULL || request_id[0] == '\0')
    {
      send_error (self, NULL, "bad-request",
                  "commands need a string “requestId”", FALSE);
      return;
    }

  if (strcmp (type, "send-message") == 0)
    result = tl_server_hub_send_message (self->hub, self->user_id,
                                         object_member (command, "message"), &error);
  else if (strcmp (type, "mark-read") == 0)
    result = tl_server_hub_mark_read (self->hub, self->user_id,
                                      string_member (command, "conversationId"),
                                      string_member (command, "messageId"), &error);
  else if (strcmp (type, "load-history") == 0)
    {
      reply_type = "history";
      result = tl_server_hub_load_history (self->hub, self->user_id,
                                           string_member (command, "conversationId"),
                                           string_member (command, "cursor"),
                                           json_object_get_int_member_with_default (command, "limit", 0),
                                           &error);
    }
  else if (strcmp (type, "get-message") == 0)
    result = tl_server_hub_get_message (self->hub, self->user_id,
                                        string_member (command, "messageId"), &error);
  else if (strcmp (type, "create-conversation") == 0)
    result = tl_server_hub_create_conversation (self->hub, self->user_id,
                                                object_member (command, "conversation"), &error);
  else if (strcmp (type, "remove-conversation") == 0)
    result = tl_server_hub_remove_conversation (self->hub, self->user_id,
                                                string_member (command, "conversationId"), &error);
  else if (strcmp (type, "remove-message") == 0)
    result = tl_server_hub_remove_message (self->hub, self->user_id,
                                           string_member (command, "messageId"), &error);
  else if (strcmp (type, "stop-stream") == 0)
    result = tl_server_hub_stop_stream (self->hub, self->user_id,
                                        string_member (command, "messageId"), &error);
  else if (strcmp (type, "regenerate") == 0)
    result = tl_server_hub_regenerate (self->hub, self->user_id,
                                       string_member (command, "messageId"), &error);
  else if (strcmp (type, "respond-tool-approval") == 0)
    {
      JsonNode *approved = json_object_get_member (command, "approved");

      if (approved == NULL || !JSON_NODE_HOLDS_VALUE (approved) ||
          json_node_get_value_type (approved) != G_TYPE_BOOLEAN)
        {
          send_error (self, request_id, "bad-request",
                      "respond-tool-approval: “approved” must be a boolean", FALSE);
          return;
        }
      result = tl_server_hub_respond_tool_approval (self->hub, self->user_id,
                                                    string_member (command, "messageId"),
                                                    string_member (command, "toolCallId"),
                                                    json_node_get_boolean (approved),
                                                    string_member (command, "reason"), &error);
    }
  else
    {
      g_autofree char *message = g_strdup_printf ("unknown command “%s”", type);

      send_error (self, request_id, "unknown-command", message, FALSE);
      return;
    }

  if (result == NULL)
    {
      send_gerror (self, request_id, error);
      return;
    }

  send_ack (self, reply_type, request_id, result);
}

static void
handle_command (TlServerConnection *self,
                const char         *type,
                JsonObject         *command)
{
  /* The reply first, then the events the command caused (PROTOCOL.md: ack,
   * echo, conversation-updated): the hub holds them until the flush. */
  tl_server_hub_hold (self->hub);
  dispatch_command (self, type, command);
  tl_server_hub_flush (self->hub);
}

static void
on_socket_message_cb (SoupWebsocketConnection *socket,
                      gint                     kind,
                      GBytes                  *message,
                      gpointer                 user_data)
{
  TlServerConnection *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(TlServerConnection) hold = g_object_ref (self);
  JsonObject *object;
  const char *type;
  gsize size = 0;
  const char *data;

  if (self->state == STATE_CLOSED)
    return;
  if (!take_token (self))
    return;

  if (kind != SOUP_WEBSOCKET_DATA_TEXT)
    {
      g_message ("Ignoring a binary frame from user %s", self->user_id);
      return;
    }

  data = g_bytes_get_data (message, &size);
  root = tl_json_decode_frame (data, size, &error);
  if (root == NULL)
    {
      g_message ("Undecodable frame from user %s: %s", self->user_id, error->message);
      tl_server_connection_close (self, 4003, "undecodable frame");
      return;
    }
  object = json_node_get_object (root);
  type = json_object_get_string_member (object, "type");

  if (self->state == STATE_AWAIT_HELLO)
    {
      if (strcmp (type, "hello") != 0)
        {
          tl_server_connection_close (self, 4010, "the first frame must be hello");
          return;
        }
      handle_hello (self, object);
      return;
    }

  handle_command (self, type, object);
}

static void
on_socket_closed_cb (SoupWebsocketConnection *socket,
                     gpointer                 user_data)
{
  TlServerConnection *self = user_data;

  if (self->state == STATE_CLOSED)
    return;
  self->state = STATE_CLOSED;
  g_clear_handle_id (&self->heartbeat_id, g_source_remove);
  g_clear_handle_id (&self->hello_timeout_id, g_source_remove);
  g_signal_emit (self, signals [CLOSED], 0);
}

/* A socket that never says hello would hold its slot forever. */
static gboolean
on_hello_timeout_cb (gpointer user_data)
{
  TlServerConnection *self = user_data;

  self->hello_timeout_id = 0;
  if (self->state == STATE_AWAIT_HELLO)
    tl_server_connection_close (self, 4000, "no hello received");
  return G_SOURCE_REMOVE;
}

TlServerConnection *
tl_server_connection_new (TlServerHub             *hub,
                          SoupWebsocketConnection *socket,
                          const char              *user_id,
                          const char              *display_name,
                          const TlServerConfig    *config)
{
  TlServerConnection *self;

  g_return_val_if_fail (TL_IS_SERVER_HUB (hub), NULL);
  g_return_val_if_fail (SOUP_IS_WEBSOCKET_CONNECTION (socket), NULL);

  self = g_object_new (TL_TYPE_SERVER_CONNECTION, NULL);
  self->hub = g_object_ref (hub);
  self->socket = g_object_ref (socket);
  self->user_id = g_strdup (user_id);
  self->display_name = g_strdup (display_name);
  self->heartbeat_ms = MAX (config->heartbeat_ms, 10);
  self->rate_per_sec = config->rate_per_sec;
  self->burst = MAX (config->rate_burst, 1);
  self->tokens = self->burst;
  self->refilled_at = g_get_monotonic_time ();
  self->last_sent = g_get_monotonic_time ();

  /* Client frames are small (64 KiB); libsoup refuses a payload equal to
   * the limit, hence + 1. */
  soup_websocket_connection_set_max_incoming_payload_size (socket, TL_SERVER_CLIENT_FRAME_MAX + 1);
  g_signal_connect (socket, "message", G_CALLBACK (on_socket_message_cb), self);
  g_signal_connect (socket, "closed", G_CALLBACK (on_socket_closed_cb), self);
  self->heartbeat_id = g_timeout_add (MAX (self->heartbeat_ms / 4, 5), on_heartbeat_cb, self);
  self->hello_timeout_id = g_timeout_add_seconds (HELLO_TIMEOUT_S, on_hello_timeout_cb, self);

  return self;
}
