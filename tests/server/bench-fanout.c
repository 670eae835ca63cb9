/* bench-fanout.c — events per second fanned out to 1, 10 and 100 clients
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An in-process server, N users in one conversation, each with a live
 * WebSocket. Events are pushed one per transaction (as send-message does)
 * and the clock stops when every client has received every event.
 * Usage: bench-fanout [EVENTS]   (default 300)
 */
#include <glib/gstdio.h>
#include <stdlib.h>

#include "tl-server.h"
#include "tl-test-client.h"

typedef struct
{
  GPtrArray *clients;
  guint      expected;
} Wait;

static gboolean
all_received (gpointer user_data)
{
  Wait *wait = user_data;

  for (guint i = 0; i < wait->clients->len; i++)
    if (tl_test_client_count_since (g_ptr_array_index (wait->clients, i), 0, "message-added") < wait->expected)
      return FALSE;
  return TRUE;
}

static void
run (guint n_clients,
     guint n_events)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tl-bench-XXXXXX", &error);
  g_autoptr(TlServer) server = NULL;
  g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_test_client_free);
  g_autoptr(GString) conv = g_string_new ("{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c\",\"participants\":[");
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) result = NULL;
  TlServerConfig config;
  Wait wait;
  gint64 start, elapsed;
  gint bad = -1;

  tl_server_config_init (&config);
  g_free (config.db_path);
  config.db_path = g_build_filename (dir, "bench.db", NULL);
  config.port = 0;
  server = tl_server_new (&config, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < n_clients; i++)
    {
      g_autofree char *id = g_strdup_printf ("u%u", i);
      g_autofree char *token = g_strdup_printf ("t%u", i);

      g_assert_true (tl_server_add_user (server, id, token, NULL, &error));
      g_string_append_printf (conv, "%s{\"id\":\"%s\"}", i > 0 ? "," : "", id);
    }
  g_string_append (conv, "]}}");
  g_assert_true (tl_server_listen (server, &error));
  node = json_from_string (conv->str, NULL);
  result = tl_server_hub_push (tl_server_get_hub (server), node, &bad, &error);
  g_assert_no_error (error);
  tl_server_hub_flush (tl_server_get_hub (server));

  for (guint i = 0; i < n_clients; i++)
    {
      g_autofree char *token = g_strdup_printf ("t%u", i);
      TlTestClient *client = tl_test_client_connect (tl_server_get_port (server), token, TRUE);

      tl_test_client_hello (client, NULL, 0);
      tl_test_client_wait (client, "snapshot-end");
      g_ptr_array_add (clients, client);
    }

  start = g_get_monotonic_time ();
  for (guint e = 0; e < n_events; e++)
    {
      g_autofree char *text = g_strdup_printf ("{\"type\":\"message-added\",\"message\":{\"id\":\"m%u\","
                                               "\"conversationId\":\"c\",\"role\":\"user\","
                                               "\"parts\":[{\"type\":\"text\",\"text\":\"event %u\"}]}}", e, e);
      g_autoptr(JsonNode) event = json_from_string (text, NULL);
      g_autoptr(JsonNode) r = tl_server_hub_push (tl_server_get_hub (server), event, &bad, &error);

      g_assert_no_error (error);
      tl_server_hub_flush (tl_server_get_hub (server));
      /* Let the sockets drain now and then, as a real server would. */
      while (g_main_context_iteration (NULL, FALSE))
        continue;
    }
  wait.clients = clients;
  wait.expected = n_events;
  tl_test_wait_until (all_received, &wait, "every client to receive every event");
  elapsed = g_get_monotonic_time () - start;

  g_print ("%3u clients: %6u events in %7.1f ms = %8.0f events/s, %9.0f deliveries/s\n",
           n_clients, n_events, elapsed / 1000.0,
           n_events / (elapsed / 1e6), (double) n_events * n_clients / (elapsed / 1e6));

  g_clear_pointer (&clients, g_ptr_array_unref);
  g_clear_object (&server);
  while (g_main_context_iteration (NULL, FALSE))
    continue;
  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;

    while (d != NULL && (name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *path = g_build_filename (dir, name, NULL);

        g_unlink (path);
      }
    g_rmdir (dir);
  }
  tl_server_config_clear (&config);
}

int
main (int    argc,
      char **argv)
{
  guint n_events = argc > 1 ? (guint) atoi (argv[1]) : 300;
  const guint sizes[] = { 1, 10, 100 };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    run (sizes[i], n_events);
  return 0;
}
