/* tl-test-peer.c — a scriptable in-process WebSocket server for net tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The peer runs on the test's own main context, so a test scripts the
 * server side step by step: wait for the client's hello, send frames, close
 * with any code, reset the TCP connection, stop answering pings, refuse the
 * upgrade. Everything the client sends is recorded in order.
 */
#define G_LOG_DOMAIN "threadline-test-peer"

#include "tl-test-peer.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

typedef struct
{
  char       *type;
  JsonNode   *root;
  gboolean    taken;
} Frame;

struct _TlTestPeer
{
  SoupServer              *server;
  char                    *url;
  SoupWebsocketConnection *ws;
  GSocket                 *socket;
  GPtrArray               *frames;        /* Frame */
  char                    *authorization;
  char                    *retry_after;
  TlTestPeerFrameFunc      frame_func;
  gpointer                 frame_data;
  guint                    refuse_status;
  guint                    n_connections;
  guint                    n_upgrades;
  gushort                  client_close_code;
  gboolean                 auto_pong;
  gboolean                 head_seq_fixed;
  gint64                   head_seq;
};

gboolean
tl_test_tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static gboolean
set_flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

void
tl_test_run_for (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, set_flag_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static void
frame_free (Frame *frame)
{
  g_free (frame->type);
  json_node_unref (frame->root);
  g_free (frame);
}

static void
drop_ws (TlTestPeer *self)
{
  if (self->ws != NULL)
    g_signal_handlers_disconnect_by_data (self->ws, self);
  g_clear_object (&self->ws);
  g_clear_object (&self->socket);
}

static void
on_ws_message_cb (SoupWebsocketConnection *ws,
                  gint                     type,
                  GBytes                  *message,
                  TlTestPeer              *self)
{
  g_autoptr(JsonNode) root = NULL;
  gsize length = 0;
  const char *data = g_bytes_get_data (message, &length);
  g_autofree char *text = g_strndup (data, length);
  JsonObject *object;
  Frame *frame;

  root = json_from_string (text, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_test_message ("peer: client sent a non-object frame");
      return;
    }
  object = json_node_get_object (root);
  frame = g_new0 (Frame, 1);
  frame->type = g_strdup (json_object_get_string_member_with_default (object, "type", ""));
  frame->root = json_node_ref (root);
  g_ptr_array_add (self->frames, frame);

  if (self->auto_pong && strcmp (frame->type, "ping") == 0)
    tl_test_peer_sendf (self, "{\"type\":\"pong\",\"n\":%" G_GINT64_FORMAT
                        ",\"headSeq\":%" G_GINT64_FORMAT "}",
                        json_object_get_int_member_with_default (object, "n", 0),
                        self->head_seq);

  if (self->frame_func != NULL)
    self->frame_func (self, object, self->frame_data);
}

static void
on_ws_closed_cb (SoupWebsocketConnection *ws,
                 TlTestPeer              *self)
{
  self->client_close_code = soup_websocket_connection_get_close_code (ws);
  g_test_message ("peer: connection closed, code %u", self->client_close_code);
  if (self->ws == ws)
    drop_ws (self);
}

static void
websocket_cb (SoupServer              *server,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *connection,
              gpointer                 user_data)
{
  TlTestPeer *self = user_data;
  GSocket *socket = soup_server_message_get_socket (msg);

  /* One client at a time: a new connection replaces the old one. */
  drop_ws (self);
  self->ws = g_object_ref (connection);
  self->socket = socket ? g_object_ref (socket) : NULL;
  self->n_connections++;
  self->client_close_code = 0;
  soup_websocket_connection_set_max_incoming_payload_size (connection, 256 * 1024);
  g_signal_connect (connection, "message", G_CALLBACK (on_ws_message_cb), self);
  g_signal_connect (connection, "closed", G_CALLBACK (on_ws_closed_cb), self);
}

static void
early_cb (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  TlTestPeer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  self->n_upgrades++;
  g_free (self->authorization);
  self->authorization = g_strdup (soup_message_headers_get_one (headers, "Authorization"));

  if (self->refuse_status != 0)
    {
      soup_server_message_set_status (msg, self->refuse_status, NULL);
      if (self->retry_after != NULL)
        soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                      "Retry-After", self->retry_after);
    }
}

TlTestPeer *
tl_test_peer_new_tls (GTlsCertificate *certificate)
{
  g_autoptr(GError) error = NULL;
  TlTestPeer *self = g_new0 (TlTestPeer, 1);
  const char *protocols[] = { "threadline.v1", NULL };
  g_autoptr(GSList) uris = NULL;
  SoupServerListenOptions options = SOUP_SERVER_LISTEN_IPV4_ONLY;

  self->frames = g_ptr_array_new_with_free_func ((GDestroyNotify) frame_free);
  self->auto_pong = TRUE;
  self->server = soup_server_new ("tls-certificate", certificate, NULL);
  if (certificate != NULL)
    options |= SOUP_SERVER_LISTEN_HTTPS;
  soup_server_add_early_handler (self->server, "/v1/stream", early_cb, self, NULL);
  soup_server_add_websocket_handler (self->server, "/v1/stream", NULL, (char **) protocols,
                                     websocket_cb, self, NULL);
  if (!soup_server_listen_local (self->server, 0, options, &error))
    g_error ("peer: cannot listen: %s", error->message);

  uris = soup_server_get_uris (self->server);
  g_assert_nonnull (uris);
  self->url = g_strdup_printf ("%s://127.0.0.1:%d/v1/stream", certificate ? "wss" : "ws",
                               g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  return self;
}

TlTestPeer *
tl_test_peer_new (void)
{
  return tl_test_peer_new_tls (NULL);
}

void
tl_test_peer_free (TlTestPeer *self)
{
  if (self == NULL)
    return;
  drop_ws (self);
  soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_ptr_array_unref (self->frames);
  g_free (self->url);
  g_free (self->authorization);
  g_free (self->retry_after);
  g_free (self);
}

const char *
tl_test_peer_get_url (TlTestPeer *self)
{
  return self->url;
}

void
tl_test_peer_set_refuse (TlTestPeer *self,
                         guint       status,
                         const char *retry_after)
{
  self->refuse_status = status;
  g_free (self->retry_after);
  self->retry_after = g_strdup (retry_after);
}

void
tl_test_peer_set_auto_pong (TlTestPeer *self,
                            gboolean    auto_pong)
{
  self->auto_pong = auto_pong;
}

void
tl_test_peer_set_head_seq (TlTestPeer *self,
                           gint64      head_seq)
{
  self->head_seq = head_seq;
  self->head_seq_fixed = TRUE;
}

gint64
tl_test_peer_get_head_seq (TlTestPeer *self)
{
  return self->head_seq;
}

void
tl_test_peer_set_frame_func (TlTestPeer          *self,
                             TlTestPeerFrameFunc  func,
                             gpointer             user_data)
{
  self->frame_func = func;
  self->frame_data = user_data;
}

guint
tl_test_peer_get_n_connections (TlTestPeer *self)
{
  return self->n_connections;
}

guint
tl_test_peer_get_n_upgrades (TlTestPeer *self)
{
  return self->n_upgrades;
}

gboolean
tl_test_peer_is_connected (TlTestPeer *self)
{
  return self->ws != NULL;
}

gushort
tl_test_peer_get_client_close_code (TlTestPeer *self)
{
  return self->client_close_code;
}

const char *
tl_test_peer_get_last_authorization (TlTestPeer *self)
{
  return self->authorization;
}

static void
track_head_seq (TlTestPeer *self,
                const char *frame)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;

  if (self->head_seq_fixed)
    return;
  root = json_from_string (frame, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return;
  object = json_node_get_object (root);
  if (g_strcmp0 (json_object_get_string_member_with_default (object, "type", ""), "ack") == 0)
    return;
  for (guint i = 0; i < 2; i++)
    {
      const char *name = i == 0 ? "seq" : "atSeq";
      JsonNode *node = json_object_get_member (object, name);

      if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
          json_node_get_value_type (node) == G_TYPE_INT64)
        self->head_seq = MAX (self->head_seq, json_node_get_int (node));
    }
}

void
tl_test_peer_send (TlTestPeer *self,
                   const char *frame)
{
  g_assert_nonnull (self->ws);
  track_head_seq (self, frame);
  soup_websocket_connection_send_text (self->ws, frame);
}

void
tl_test_peer_sendf (TlTestPeer *self,
                    const char *format,
                    ...)
{
  g_autofree char *frame = NULL;
  va_list args;

  va_start (args, format);
  frame = g_strdup_vprintf (format, args);
  va_end (args);
  tl_test_peer_send (self, frame);
}

void
tl_test_peer_send_binary (TlTestPeer *self,
                          const char *data,
                          gsize       length)
{
  g_assert_nonnull (self->ws);
  soup_websocket_connection_send_binary (self->ws, data, length);
}

void
tl_test_peer_close (TlTestPeer *self,
                    gushort     code,
                    const char *reason)
{
  g_assert_nonnull (self->ws);
  soup_websocket_connection_close (self->ws, code, reason);
  /* The close handshake finishes on its own; the peer is free for the next. */
  drop_ws (self);
}

void
tl_test_peer_reset (TlTestPeer *self)
{
  struct linger linger = { 1, 0 };

  g_assert_nonnull (self->ws);
  g_assert_nonnull (self->socket);
  /* SO_LINGER with a zero timeout makes close() send RST. */
  if (setsockopt (g_socket_get_fd (self->socket), SOL_SOCKET, SO_LINGER,
                  &linger, sizeof linger) != 0)
    g_error ("peer: setsockopt: %s", g_strerror (errno));
  g_socket_close (self->socket, NULL);
  drop_ws (self);
}

JsonObject *
tl_test_peer_take_frame (TlTestPeer *self,
                         const char *type)
{
  for (guint i = 0; i < self->frames->len; i++)
    {
      Frame *frame = self->frames->pdata[i];

      if (!frame->taken && strcmp (frame->type, type) == 0)
        {
          frame->taken = TRUE;
          return json_node_get_object (frame->root);
        }
    }
  return NULL;
}

JsonObject *
tl_test_peer_wait_frame (TlTestPeer *self,
                         const char *type)
{
  JsonObject *object = NULL;

  TL_WAIT_UNTIL ((object = tl_test_peer_take_frame (self, type)) != NULL);
  return object;
}

guint
tl_test_peer_count_frames (TlTestPeer *self,
                           const char *type)
{
  guint n = 0;

  for (guint i = 0; i < self->frames->len; i++)
    n += strcmp (((Frame *) self->frames->pdata[i])->type, type) == 0;
  return n;
}
