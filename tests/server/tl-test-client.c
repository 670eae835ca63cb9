/* tl-test-client.c — a small libsoup WebSocket/HTTP client for server tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "tl-test-client.h"

#include <string.h>

static gboolean guard_fired;

static gboolean
on_guard_cb (gpointer user_data)
{
  guard_fired = TRUE;
  return G_SOURCE_REMOVE;
}

void
tl_test_wait_until (gboolean   (*cond) (gpointer),
                    gpointer     data,
                    const char  *what)
{
  guint guard;

  guard_fired = FALSE;
  guard = g_timeout_add_seconds (30, on_guard_cb, NULL);
  while (!cond (data) && !guard_fired)
    g_main_context_iteration (NULL, TRUE);
  if (guard_fired)
    g_error ("timed out waiting for %s", what);
  g_source_remove (guard);
}

static void
on_message_cb (SoupWebsocketConnection *ws,
               gint                     kind,
               GBytes                  *bytes,
               gpointer                 user_data)
{
  TlTestClient *client = user_data;
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strndup (data, size);
  JsonNode *node;

  node = json_from_string (text, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  g_ptr_array_add (client->frames, node);
}

static void
on_closed_cb (SoupWebsocketConnection *ws,
              gpointer                 user_data)
{
  TlTestClient *client = user_data;

  client->closed = TRUE;
  client->close_code = soup_websocket_connection_get_close_code (ws);
  client->close_reason = g_strdup (soup_websocket_connection_get_close_data (ws));
}

static void
on_connected_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  TlTestClient *client = user_data;
  g_autoptr(GError) error = NULL;
  SoupMessage *msg = g_object_get_data (G_OBJECT (client->session), "tl-msg");

  client->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (client->ws == NULL)
    client->status = soup_message_get_status (msg);
  else
    {
      g_object_set (client->ws, "max-incoming-payload-size", (guint64) (1024 * 1024 + 1), NULL);
      g_signal_connect (client->ws, "message", G_CALLBACK (on_message_cb), client);
      g_signal_connect (client->ws, "closed", G_CALLBACK (on_closed_cb), client);
    }
  client->finished = TRUE;
}

static gboolean
connect_finished (gpointer data)
{
  return ((TlTestClient *) data)->finished;
}

TlTestClient *
tl_test_client_connect (guint       port,
                        const char *token,
                        gboolean    subprotocol)
{
  TlTestClient *client = g_new0 (TlTestClient, 1);
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/v1/stream", port);
  const char *protocols[] = { "threadline.v1", NULL };
  SoupMessage *msg;

  client->session = soup_session_new ();
  client->frames = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  msg = soup_message_new ("GET", url);
  if (token != NULL)
    {
      g_autofree char *header = g_strdup_printf ("Bearer %s", token);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", header);
    }
  g_object_set_data_full (G_OBJECT (client->session), "tl-msg", msg, g_object_unref);
  soup_session_websocket_connect_async (client->session, msg, NULL,
                                        subprotocol ? (char **) protocols : NULL,
                                        G_PRIORITY_DEFAULT, NULL, on_connected_cb, client);
  tl_test_wait_until (connect_finished, client, "the WebSocket upgrade");
  return client;
}

void
tl_test_client_free (TlTestClient *client)
{
  if (client == NULL)
    return;
  if (client->ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (client->ws, client);
      if (soup_websocket_connection_get_state (client->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (client->ws, 1000, NULL);
      g_clear_object (&client->ws);
    }
  g_clear_object (&client->session);
  g_ptr_array_unref (client->frames);
  g_free (client->close_reason);
  g_free (client);
}

void
tl_test_client_send (TlTestClient *client,
                     const char   *json)
{
  g_assert_nonnull (client->ws);
  soup_websocket_connection_send_text (client->ws, json);
}

void
tl_test_client_hello (TlTestClient *client,
                      const char   *epoch,
                      gint64        seq)
{
  g_autofree char *hello = NULL;

  if (epoch == NULL)
    hello = g_strdup ("{\"type\":\"hello\",\"protocol\":[1],\"client\":{\"name\":\"test\",\"version\":\"0\"},"
                      "\"resume\":null,\"streams\":[]}");
  else
    hello = g_strdup_printf ("{\"type\":\"hello\",\"protocol\":[1],\"client\":{\"name\":\"test\",\"version\":\"0\"},"
                             "\"resume\":{\"epoch\":\"%s\",\"seq\":%" G_GINT64_FORMAT "},\"streams\":[]}",
                             epoch, seq);
  tl_test_client_send (client, hello);
}

typedef struct
{
  TlTestClient *client;
  const char   *type;
  JsonObject   *found;
} WaitData;

static gboolean
frame_arrived (gpointer user_data)
{
  WaitData *data = user_data;
  TlTestClient *client = data->client;

  while (client->next < client->frames->len)
    {
      JsonObject *object = json_node_get_object (g_ptr_array_index (client->frames, client->next++));
      const char *type = json_object_get_string_member_with_default (object, "type", "");

      /* "Any frame" means any frame that is not presence or heartbeat noise,
       * which the server may interleave whenever someone connects. */
      if (data->type == NULL && (strcmp (type, "presence") == 0 || strcmp (type, "heartbeat") == 0))
        continue;
      if (data->type == NULL || strcmp (type, data->type) == 0)
        {
          data->found = object;
          return TRUE;
        }
    }
  if (client->closed)
    g_error ("connection closed (%u) while waiting for “%s”", client->close_code,
             data->type != NULL ? data->type : "any frame");
  return FALSE;
}

JsonObject *
tl_test_client_wait (TlTestClient *client,
                     const char   *type)
{
  WaitData data = { client, type, NULL };

  tl_test_wait_until (frame_arrived, &data, type);
  return data.found;
}

JsonObject *
tl_test_client_next (TlTestClient *client)
{
  return tl_test_client_wait (client, NULL);
}

/* A ping/pong round trip: everything the server sent before the pong has
 * arrived once it returns. */
void
tl_test_client_barrier (TlTestClient *client)
{
  static gint64 n = 1000;
  g_autofree char *ping = g_strdup_printf ("{\"type\":\"ping\",\"n\":%" G_GINT64_FORMAT "}", ++n);
  guint start = client->next;
  JsonObject *pong;

  tl_test_client_send (client, ping);
  do
    pong = tl_test_client_wait (client, "pong");
  while (json_object_get_int_member_with_default (pong, "n", 0) != n);
  /* Leave the frames before the pong to be consumed by the caller. */
  client->next = start;
}

static gboolean
is_closed (gpointer data)
{
  return ((TlTestClient *) data)->closed;
}

gushort
tl_test_client_wait_closed (TlTestClient *client)
{
  tl_test_wait_until (is_closed, client, "the connection to close");
  return client->close_code;
}

guint
tl_test_client_count_since (TlTestClient *client,
                            guint         from,
                            const char   *type)
{
  guint count = 0;

  for (guint i = from; i < client->frames->len; i++)
    {
      JsonObject *object = json_node_get_object (g_ptr_array_index (client->frames, i));

      if (g_strcmp0 (json_object_get_string_member_with_default (object, "type", ""), type) == 0)
        count++;
    }
  return count;
}

typedef struct
{
  GBytes   *body;
  gboolean  done;
} PostData;

static void
on_posted_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  PostData *data = user_data;

  data->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  data->done = TRUE;
}

static gboolean
post_done (gpointer data)
{
  return ((PostData *) data)->done;
}

guint
tl_test_post (guint        port,
              const char  *token,
              const char  *content_type,
              const char  *body,
              JsonNode   **response)
{
  return tl_test_post_path (port, "/v1/events", token, content_type, body, response);
}

guint
tl_test_post_path (guint        port,
                   const char  *path,
                   const char  *token,
                   const char  *content_type,
                   const char  *body,
                   JsonNode   **response)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  PostData data = { NULL, FALSE };

  if (token != NULL)
    {
      g_autofree char *header = g_strdup_printf ("Bearer %s", token);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", header);
    }
  soup_message_set_request_body_from_bytes (msg, content_type, bytes);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_posted_cb, &data);
  tl_test_wait_until (post_done, &data, "the HTTP response");

  if (response != NULL)
    {
      *response = NULL;
      if (data.body != NULL && g_bytes_get_size (data.body) > 0)
        {
          g_autofree char *text = g_strndup (g_bytes_get_data (data.body, NULL),
                                             g_bytes_get_size (data.body));

          *response = json_from_string (text, NULL);
        }
    }
  g_clear_pointer (&data.body, g_bytes_unref);
  return soup_message_get_status (msg);
}
