/* bench-net.c — server push → client models over loopback
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Three figures from one run, so they can be compared on a noisy machine:
 *   raw      libsoup receive rate of ~200-byte text frames, nothing parsed;
 *   pipeline TlConnection + TlStore: events/s from the first event to the last
 *            applied (decode, parse, seq check, apply, batched models);
 *   paced    1,000 events/s for a few seconds: latency from the server's send
 *            to the thread model's items-changed, p50 and p99.
 * The server runs in its own thread and main context, like a separate
 * process would, and stamps each event with its monotonic send time.
 *
 * Usage: bench-net [N_EVENTS] [PACED_SECONDS]
 */
#include "tl-connection.h"
#include "tl-connection-private.h"
#include "tl-message.h"

#include <libsoup/soup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
  GMainContext            *context;
  SoupServer              *server;
  guint                    port;
  guint                    n_events;
  guint                    paced_seconds;
  SoupWebsocketConnection *ws;
  guint                    sent;
  guint                    timer_id;
  GMutex                   lock;
  GCond                    ready;
  gboolean                 is_ready;
} Server;

static const char *padding = "lorem ipsum dolor sit amet consectetur";

static char *
event_frame (guint seq)
{
  return g_strdup_printf ("{\"type\":\"message-added\",\"seq\":%u,\"message\":{\"id\":\"m-%u\","
                          "\"conversationId\":\"c-1\",\"role\":\"user\",\"parts\":[{\"type\":\"text\","
                          "\"text\":\"%s\"}],\"metadata\":{\"t\":%" G_GINT64_FORMAT "}}}",
                          seq, seq, padding, g_get_monotonic_time ());
}

static void
send_welcome (Server *server)
{
  soup_websocket_connection_send_text (server->ws,
    "{\"type\":\"welcome\",\"protocol\":1,\"epoch\":\"e-b\",\"headSeq\":0,\"mode\":\"snapshot\","
    "\"user\":{\"id\":\"u-1\"}}");
  soup_websocket_connection_send_text (server->ws, "{\"type\":\"snapshot-begin\",\"epoch\":\"e-b\",\"atSeq\":0}");
  soup_websocket_connection_send_text (server->ws,
    "{\"type\":\"snapshot-conversations\",\"conversations\":[{\"id\":\"c-1\"}]}");
  soup_websocket_connection_send_text (server->ws, "{\"type\":\"snapshot-end\",\"atSeq\":0}");
}

static gboolean
on_paced_tick_cb (gpointer user_data)
{
  Server *server = user_data;
  guint total = server->paced_seconds * 1000;
  gint64 elapsed;
  guint due;

  if (server->ws == NULL)
    return G_SOURCE_REMOVE;
  /* Catch up with the wall of time, so the rate holds whatever the timer's slack. */
  elapsed = g_get_monotonic_time () - GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (server->ws), "start"));
  due = MIN (total, (guint) (elapsed / 1000) + 1);
  while (server->sent < due)
    {
      g_autofree char *frame = event_frame (++server->sent);

      soup_websocket_connection_send_text (server->ws, frame);
    }
  if (server->sent >= total)
    {
      server->timer_id = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
on_message_cb (SoupWebsocketConnection *ws,
               gint                     type,
               GBytes                  *message,
               Server                  *server)
{
  const char *data = g_bytes_get_data (message, NULL);
  const char *path = g_object_get_data (G_OBJECT (ws), "path");

  if (strstr (data, "\"hello\"") == NULL)
    return;     /* pings: the runs are shorter than a ping interval */
  send_welcome (server);
  if (strcmp (path, "/pipeline") == 0)
    {
      for (guint seq = 1; seq <= server->n_events; seq++)
        {
          g_autofree char *frame = event_frame (seq);

          soup_websocket_connection_send_text (ws, frame);
        }
    }
  else
    {
      GSource *source = g_timeout_source_new (1);

      g_object_set_data (G_OBJECT (ws), "start", GSIZE_TO_POINTER (g_get_monotonic_time ()));
      g_source_set_callback (source, on_paced_tick_cb, server, NULL);
      server->timer_id = g_source_attach (source, server->context);
      g_source_unref (source);
    }
}

static void
websocket_cb (SoupServer              *soup,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *connection,
              gpointer                 user_data)
{
  Server *server = user_data;

  g_clear_object (&server->ws);
  server->ws = g_object_ref (connection);
  server->sent = 0;
  g_object_set_data_full (G_OBJECT (connection), "path", g_strdup (path), g_free);
  if (strcmp (path, "/raw") == 0)
    {
      for (guint i = 0; i < server->n_events; i++)
        {
          g_autofree char *frame = event_frame (i + 1);

          soup_websocket_connection_send_text (connection, frame);
        }
      return;
    }
  g_signal_connect (connection, "message", G_CALLBACK (on_message_cb), server);
}

static gpointer
server_thread (gpointer data)
{
  Server *server = data;
  const char *protocols[] = { "threadline.v1", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  GSList *uris;

  g_main_context_push_thread_default (server->context);
  server->server = soup_server_new (NULL, NULL);
  soup_server_add_websocket_handler (server->server, NULL, NULL, (char **) protocols,
                                     websocket_cb, server, NULL);
  if (!soup_server_listen_local (server->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    g_error ("listen: %s", error->message);
  uris = soup_server_get_uris (server->server);
  server->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_mutex_lock (&server->lock);
  server->is_ready = TRUE;
  g_cond_signal (&server->ready);
  g_mutex_unlock (&server->lock);

  loop = g_main_loop_new (server->context, FALSE);
  g_main_loop_run (loop);
  return NULL;
}

/* The client side */

typedef struct
{
  guint    received;
  guint    wanted;
  GArray  *latencies;   /* gint64 µs */
} Counter;

static void
on_raw_message_cb (SoupWebsocketConnection *ws,
                   gint                     type,
                   GBytes                  *message,
                   Counter                 *counter)
{
  counter->received++;
}

static void
on_raw_connected_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  SoupWebsocketConnection **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (*out == NULL)
    g_error ("connect: %s", error->message);
}

static double
run_raw (Server *server)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/raw", server->port);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(SoupWebsocketConnection) ws = NULL;
  const char *protocols[] = { "threadline.v1", NULL };
  Counter counter = { 0, server->n_events, NULL };
  gint64 start = 0;

  soup_session_websocket_connect_async (session, msg, NULL, (char **) protocols, G_PRIORITY_DEFAULT,
                                        NULL, on_raw_connected_cb, &ws);
  while (ws == NULL)
    g_main_context_iteration (NULL, TRUE);
  soup_websocket_connection_set_max_incoming_payload_size (ws, 1024 * 1024 + 1);
  g_signal_connect (ws, "message", G_CALLBACK (on_raw_message_cb), &counter);
  while (counter.received == 0)
    g_main_context_iteration (NULL, TRUE);
  start = g_get_monotonic_time ();
  while (counter.received < counter.wanted)
    g_main_context_iteration (NULL, TRUE);
  soup_websocket_connection_close (ws, 1000, NULL);
  return (counter.wanted - 1) / ((g_get_monotonic_time () - start) / 1e6);
}

static TlConnection *
connect_client (Server     *server,
                TlStore    *store,
                const char *path)
{
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u%s", server->port, path);
  g_autoptr(GError) error = NULL;
  TlConnection *conn = tl_connection_new (store, url, &error);

  g_assert_no_error (error);
  tl_connection_set_token (conn, "bench");
  tl_wakeup_set_sources (tl_connection_get_wakeup (conn), FALSE, FALSE);
  tl_connection_start (conn);
  return conn;
}

static void
on_pipeline_changed_cb (GListModel *model,
                        guint       position,
                        guint       removed,
                        guint       added,
                        guint      *stats)
{
  stats[0]++;
  stats[1] = MAX (stats[1], added);
}

static double
run_pipeline (Server *server,
              guint  *stats)
{
  g_autoptr(TlStore) store = tl_store_new ();
  g_autoptr(TlConnection) conn = connect_client (server, store, "/pipeline");
  gint64 start;

  while (tl_store_get_seq (store) == 0 && tl_connection_get_state (conn) != TL_CONNECTION_STATE_LIVE)
    g_main_context_iteration (NULL, TRUE);
  while (tl_store_get_seq (store) == 0)
    g_main_context_iteration (NULL, TRUE);
  g_signal_connect (tl_conversation_get_messages (tl_store_lookup_conversation (store, "c-1")),
                    "items-changed", G_CALLBACK (on_pipeline_changed_cb), stats);
  start = g_get_monotonic_time ();
  while (tl_store_get_seq (store) < server->n_events)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handlers_disconnect_by_data (tl_conversation_get_messages (tl_store_lookup_conversation (store, "c-1")),
                                        stats);
  tl_connection_stop (conn);
  return (server->n_events - 1) / ((g_get_monotonic_time () - start) / 1e6);
}

static void
on_items_changed_cb (GListModel *model,
                     guint       position,
                     guint       removed,
                     guint       added,
                     Counter    *counter)
{
  gint64 now = g_get_monotonic_time ();

  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(TlMessage) message = g_list_model_get_item (model, i);
      const char *json = tl_message_get_metadata_json (message);
      g_autoptr(JsonNode) metadata = json ? json_from_string (json, NULL) : NULL;
      gint64 sent;

      if (metadata == NULL || !JSON_NODE_HOLDS_OBJECT (metadata))
        continue;
      sent = json_object_get_int_member_with_default (json_node_get_object (metadata), "t", now);
      g_array_append_val (counter->latencies, (gint64) { now - sent });
      counter->received++;
    }
}

static int
compare_int64 (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
run_paced (Server *server,
           double *p50,
           double *p99,
           double *rate)
{
  g_autoptr(TlStore) store = tl_store_new ();
  g_autoptr(TlConnection) conn = connect_client (server, store, "/paced");
  g_autoptr(GArray) latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  Counter counter = { 0, server->paced_seconds * 1000, latencies };
  TlConversation *conversation;
  gint64 start, end;

  while (tl_connection_get_state (conn) != TL_CONNECTION_STATE_LIVE)
    g_main_context_iteration (NULL, TRUE);
  conversation = tl_store_lookup_conversation (store, "c-1");
  g_signal_connect (tl_conversation_get_messages (conversation), "items-changed",
                    G_CALLBACK (on_items_changed_cb), &counter);
  start = g_get_monotonic_time ();
  while (counter.received < counter.wanted)
    g_main_context_iteration (NULL, TRUE);
  end = g_get_monotonic_time ();
  g_signal_handlers_disconnect_by_data (tl_conversation_get_messages (conversation), &counter);
  tl_connection_stop (conn);

  g_array_sort (latencies, compare_int64);
  *p50 = g_array_index (latencies, gint64, latencies->len / 2) / 1000.0;
  *p99 = g_array_index (latencies, gint64, (latencies->len * 99) / 100) / 1000.0;
  *rate = counter.wanted / ((end - start) / 1e6);
}

int
main (int    argc,
      char **argv)
{
  Server server = { 0 };
  double raw, pipeline, p50, p99, rate;
  guint stats[2] = { 0, 0 };

  server.n_events = argc > 1 ? (guint) atoi (argv[1]) : 100000;
  server.paced_seconds = argc > 2 ? (guint) atoi (argv[2]) : 5;
  server.context = g_main_context_new ();
  g_mutex_init (&server.lock);
  g_cond_init (&server.ready);
  g_thread_unref (g_thread_new ("bench-server", server_thread, &server));
  g_mutex_lock (&server.lock);
  while (!server.is_ready)
    g_cond_wait (&server.ready, &server.lock);
  g_mutex_unlock (&server.lock);

  raw = run_raw (&server);
  pipeline = run_pipeline (&server, stats);
  run_paced (&server, &p50, &p99, &rate);

  printf ("{\"events\":%u,\"rawReceivePerSecond\":%.0f,\"pipelineEventsPerSecond\":%.0f,"
          "\"pipelineModelChanges\":%u,\"pipelineLargestChange\":%u,\"paced\":{\"targetPerSecond\":1000,\"achievedPerSecond\":%.0f,\"seconds\":%u,"
          "\"latencyMsP50\":%.3f,\"latencyMsP99\":%.3f}}\n",
          server.n_events, raw, pipeline, stats[0], stats[1], rate, server.paced_seconds, p50, p99);
  return 0;
}
