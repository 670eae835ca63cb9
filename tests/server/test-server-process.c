/* test-server-process.c — the threadline-server binary as a subprocess
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The ready line, --demo (every realtime event type shows up), SIGTERM
 * closing clients with 4011, and a restart on the same database resuming
 * by replay in the same epoch.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "tl-test-client.h"

typedef struct
{
  GSubprocess      *process;
  GDataInputStream *out;
  char             *line;
  gboolean          have_line;
  gboolean          exited;
} Server;

static void
on_line_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Server *server = user_data;

  server->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                            NULL, NULL);
  server->have_line = TRUE;
}

static gboolean
have_line (gpointer data)
{
  return ((Server *) data)->have_line;
}

static JsonObject *
start_with (Server     *server,
            const char *db,
            gboolean    demo)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  const char *binary = g_getenv ("TL_SERVER_BINARY");

  g_assert_nonnull (binary);
  memset (server, 0, sizeof *server);
  if (demo)
    server->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                        binary, "--demo", "--port", "0", "--db", db,
                                        "--seed", "7", "--demo-interval", "5", NULL);
  else
    server->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                        binary, "--port", "0", "--db", db, NULL);
  g_assert_no_error (error);
  server->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  g_data_input_stream_read_line_async (server->out, G_PRIORITY_DEFAULT, NULL, on_line_cb, server);
  tl_test_wait_until (have_line, server, "the ready line");
  g_assert_nonnull (server->line);

  node = json_from_string (server->line, &error);
  g_assert_no_error (error);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (node), "ready"));
  return json_object_ref (json_node_get_object (node));
}

static JsonObject *
start (Server     *server,
       const char *db)
{
  return start_with (server, db, TRUE);
}

static void
on_exited_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Server *server = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  server->exited = TRUE;
}

static gboolean
has_exited (gpointer data)
{
  return ((Server *) data)->exited;
}

static void
stop (Server *server)
{
  g_subprocess_send_signal (server->process, SIGTERM);
  g_subprocess_wait_async (server->process, NULL, on_exited_cb, server);
  tl_test_wait_until (has_exited, server, "the server to exit");
  g_assert_true (g_subprocess_get_if_exited (server->process));
  g_assert_cmpint (g_subprocess_get_exit_status (server->process), ==, 0);
  g_clear_object (&server->out);
  g_clear_object (&server->process);
  g_clear_pointer (&server->line, g_free);
}

static const char *durable_types[] = {
  "message-added", "message-updated", "message-removed", "conversation-added",
  "conversation-updated", "conversation-removed", "read",
};
static const char *ephemeral_types[] = { "typing", "presence", "stream-chunk" };

typedef struct
{
  TlTestClient *client;
  gint64        last_seq;
} SeenData;

static gboolean
seen_everything (gpointer user_data)
{
  SeenData *data = user_data;
  TlTestClient *client = data->client;

  for (guint i = 0; i < G_N_ELEMENTS (durable_types); i++)
    if (tl_test_client_count_since (client, 0, durable_types[i]) == 0)
      return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (ephemeral_types); i++)
    if (tl_test_client_count_since (client, 0, ephemeral_types[i]) == 0)
      return FALSE;
  /* A streamed reply ends with its durable, complete message-updated. */
  for (guint i = 0; i < client->frames->len; i++)
    {
      JsonObject *o = json_node_get_object (g_ptr_array_index (client->frames, i));
      JsonObject *m;

      if (g_strcmp0 (json_object_get_string_member_with_default (o, "type", ""), "message-updated") != 0)
        continue;
      m = json_object_get_object_member (o, "message");
      if (g_strcmp0 (json_object_get_string_member_with_default (m, "role", ""), "assistant") == 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (m, "status", ""), "sent") == 0)
        return TRUE;
    }
  return FALSE;
}

static gint64
last_seq (TlTestClient *client)
{
  gint64 seq = 0;

  for (guint i = 0; i < client->frames->len; i++)
    {
      JsonObject *o = json_node_get_object (g_ptr_array_index (client->frames, i));

      seq = MAX (seq, json_object_get_int_member_with_default (o, "seq", 0));
      if (g_strcmp0 (json_object_get_string_member_with_default (o, "type", ""), "snapshot-end") == 0)
        seq = MAX (seq, json_object_get_int_member_with_default (o, "atSeq", 0));
    }
  return seq;
}

static void
test_demo_and_restart (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tl-server-proc-XXXXXX", &error);
  g_autofree char *db = g_build_filename (dir, "demo.db", NULL);
  g_autofree char *epoch = NULL;
  g_autoptr(JsonObject) ready = NULL;
  g_autoptr(TlTestClient) client = NULL;
  JsonObject *welcome;
  SeenData seen;
  Server server;
  gint64 seq;

  ready = start (&server, db);
  g_assert_cmpint (json_object_get_int_member (ready, "port"), >, 0);
  g_assert_cmpstr (json_object_get_string_member (ready, "user"), ==, "demo");
  {
    g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%" G_GINT64_FORMAT "/v1/stream",
                                            json_object_get_int_member (ready, "port"));

    g_assert_cmpstr (json_object_get_string_member (ready, "url"), ==, url);
  }

  client = tl_test_client_connect (json_object_get_int_member (ready, "port"),
                                   json_object_get_string_member (ready, "token"), TRUE);
  g_assert_nonnull (client->ws);
  tl_test_client_hello (client, NULL, 0);
  welcome = tl_test_client_wait (client, "welcome");
  epoch = g_strdup (json_object_get_string_member (welcome, "epoch"));
  tl_test_client_wait (client, "snapshot-end");

  /* The assistant answers every message in its conversation. */
  tl_test_client_send (client, "{\"type\":\"send-message\",\"requestId\":\"r-1\",\"message\":"
                               "{\"id\":\"u-msg-1\",\"conversationId\":\"demo-assistant\",\"role\":\"user\","
                               "\"parts\":[{\"type\":\"text\",\"text\":\"hello?\"}]}}");
  seen.client = client;
  tl_test_wait_until (seen_everything, &seen, "every event type from the demo");

  /* "deploy" asks for an approval first; approving lets the reply finish. */
  tl_test_client_send (client, "{\"type\":\"send-message\",\"requestId\":\"r-2\",\"message\":"
                               "{\"id\":\"u-msg-2\",\"conversationId\":\"demo-assistant\",\"role\":\"user\","
                               "\"parts\":[{\"type\":\"text\",\"text\":\"please deploy\"}]}}");
  {
    g_autofree char *reply_id = NULL;
    g_autofree char *cmd = NULL;
    JsonObject *chunk, *event, *message = NULL;

    do
      {
        event = tl_test_client_wait (client, "stream-chunk");
        chunk = json_object_get_object_member (event, "chunk");
      }
    while (g_strcmp0 (json_object_get_string_member (chunk, "type"), "tool-approval-request") != 0);
    reply_id = g_strdup (json_object_get_string_member (event, "messageId"));
    cmd = g_strdup_printf ("{\"type\":\"respond-tool-approval\",\"requestId\":\"r-3\",\"messageId\":\"%s\","
                           "\"toolCallId\":\"call-deploy\",\"approvalId\":\"approval-deploy\",\"approved\":true}",
                           reply_id);
    tl_test_client_send (client, cmd);
    do
      {
        event = tl_test_client_wait (client, "message-updated");
        message = json_object_get_object_member (event, "message");
      }
    while (g_strcmp0 (json_object_get_string_member (message, "id"), reply_id) != 0 ||
           g_strcmp0 (json_object_get_string_member (message, "status"), "sent") != 0);
    {
      JsonArray *parts = json_object_get_array_member (message, "parts");
      gboolean deployed = FALSE;

      for (guint i = 0; i < json_array_get_length (parts); i++)
        {
          JsonObject *part = json_array_get_object_element (parts, i);

          if (json_object_has_member (part, "toolInvocation"))
            {
              JsonObject *inv = json_object_get_object_member (part, "toolInvocation");

              g_assert_cmpstr (json_object_get_string_member (inv, "state"), ==, "output-available");
              deployed = TRUE;
            }
        }
      g_assert_true (deployed);
    }
  }

  stop (&server);
  g_assert_cmpuint (tl_test_client_wait_closed (client), ==, 4011);
  seq = last_seq (client);
  g_clear_pointer (&client, tl_test_client_free);
  g_clear_pointer (&ready, json_object_unref);

  /* Same database: same epoch, and the cursor replays. */
  ready = start (&server, db);
  client = tl_test_client_connect (json_object_get_int_member (ready, "port"),
                                   json_object_get_string_member (ready, "token"), TRUE);
  g_assert_nonnull (client->ws);
  tl_test_client_hello (client, epoch, seq);
  welcome = tl_test_client_wait (client, "welcome");
  g_assert_cmpstr (json_object_get_string_member (welcome, "epoch"), ==, epoch);
  g_assert_cmpstr (json_object_get_string_member (welcome, "mode"), ==, "replay");
  g_assert_cmpint (json_object_get_int_member (welcome, "headSeq"), >=, seq);
  tl_test_client_wait (client, "replay-done");
  g_clear_pointer (&client, tl_test_client_free);
  stop (&server);

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
}

/* Runs `threadline-server user …` and returns its stdout. */
static char *
run_user (const char *db,
          const char *verb,
          const char *id,
          const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  char *out = NULL;

  g_ptr_array_add (args, (char *) g_getenv ("TL_SERVER_BINARY"));
  g_ptr_array_add (args, (char *) "user");
  g_ptr_array_add (args, (char *) verb);
  if (id != NULL)
    g_ptr_array_add (args, (char *) id);
  if (name != NULL)
    {
      g_ptr_array_add (args, (char *) "--name");
      g_ptr_array_add (args, (char *) name);
    }
  g_ptr_array_add (args, (char *) "--db");
  g_ptr_array_add (args, (char *) db);
  g_ptr_array_add (args, NULL);

  process = g_subprocess_newv ((const char * const *) args->pdata, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  return g_strstrip (out);
}

static void
test_user_commands (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tl-server-users-XXXXXX", &error);
  g_autofree char *db = g_build_filename (dir, "users.db", NULL);
  g_autofree char *token = NULL;
  g_autofree char *list = NULL;
  g_autofree char *rotated = NULL;
  g_autofree char *none = NULL;
  g_autoptr(JsonObject) ready = NULL;
  g_autoptr(TlTestClient) client = NULL;
  g_autoptr(TlTestClient) stale = NULL;
  g_autoptr(TlTestClient) gone = NULL;
  JsonObject *welcome;
  Server server;
  guint port;

  token = run_user (db, "add", "alice", "Alice");
  g_assert_true (g_str_has_prefix (token, "tl_"));
  list = run_user (db, "list", NULL, NULL);
  g_assert_cmpstr (list, ==, "alice\tAlice");

  ready = start_with (&server, db, FALSE);
  g_assert_false (json_object_has_member (ready, "token"));
  port = json_object_get_int_member (ready, "port");
  client = tl_test_client_connect (port, token, TRUE);
  g_assert_nonnull (client->ws);
  tl_test_client_hello (client, NULL, 0);
  welcome = tl_test_client_wait (client, "welcome");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (welcome, "user"), "displayName"),
                   ==, "Alice");

  /* Rotating the token invalidates the old one at once. */
  rotated = run_user (db, "token", "alice", NULL);
  g_assert_cmpstr (rotated, !=, token);
  stale = tl_test_client_connect (port, token, TRUE);
  g_assert_cmpuint (stale->status, ==, 401);
  g_clear_pointer (&stale, tl_test_client_free);
  stale = tl_test_client_connect (port, rotated, TRUE);
  g_assert_nonnull (stale->ws);

  none = run_user (db, "remove", "alice", NULL);
  gone = tl_test_client_connect (port, rotated, TRUE);
  g_assert_cmpuint (gone->status, ==, 401);

  g_clear_pointer (&client, tl_test_client_free);
  g_clear_pointer (&stale, tl_test_client_free);
  stop (&server);
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
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/threadline/server/user-commands", test_user_commands);
  g_test_add_func ("/threadline/server/demo-and-restart", test_demo_and_restart);
  return g_test_run ();
}
