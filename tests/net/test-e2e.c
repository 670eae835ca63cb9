/* test-e2e.c — TlConnection and threadline-cli against the real threadline-server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Skipped when the build has no threadline-server. The oracle: what one
 * client shows equals what a fresh client syncing from the server prints,
 * and a sent message appears exactly once.
 */
#include "tl-connection.h"
#include "tl-connection-private.h"
#include "tl-json.h"
#include "tl-store.h"
#include "tl-test-peer.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

typedef struct
{
  char        *dir;
  GSubprocess *server;
  guint        port;
  char        *url;
} Fixture;

static void
die_with_parent (gpointer user_data)
{
#ifdef __linux__
  /* A failed assertion must not leave a server behind holding the pipes. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
#endif
}

static void
start_server (Fixture *f,
              guint    port)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GDataInputStream) input = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *db = g_build_filename (f->dir, "server.sqlite", NULL);
  g_autofree char *port_arg = g_strdup_printf ("--port=%u", port);
  g_autofree char *line = NULL;
  g_autoptr(JsonNode) ready = NULL;

  /* The server is not under test here: its warnings must not abort it. */
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "gc-friendly", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  f->server = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("THREADLINE_SERVER"),
                                           port_arg, "--db", db,
                                           "--user", "u-1:tok-1:Ada",
                                           "--user", "u-2:tok-2:Grace",
                                           "--admin-token", "adm", NULL);
  g_assert_no_error (error);
  input = g_data_input_stream_new (g_subprocess_get_stdout_pipe (f->server));
  line = g_data_input_stream_read_line_utf8 (input, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  ready = json_from_string (line, &error);
  g_assert_no_error (error);
  f->port = (guint) json_object_get_int_member (json_node_get_object (ready), "port");
  g_free (f->url);
  f->url = g_strdup (json_object_get_string_member (json_node_get_object (ready), "url"));
}

static void
stop_server (Fixture *f)
{
  if (f->server == NULL)
    return;
  g_subprocess_send_signal (f->server, SIGTERM);
  g_subprocess_wait (f->server, NULL, NULL);
  g_clear_object (&f->server);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("threadline-e2e-XXXXXX", &error);
  g_assert_no_error (error);
  start_server (f, 0);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *db = g_build_filename (f->dir, "server.sqlite", NULL);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  stop_server (f);
  dir = g_dir_open (f->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->url);
}

static void
push (Fixture    *f,
      const char *body)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u/v1/events", f->port);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", uri);
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GBytes) content = g_bytes_new (body, strlen (body));
  g_autoptr(GError) error = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                "Bearer adm");
  soup_message_set_request_body_from_bytes (msg, "application/json", content);
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
}

static char *
run_cli (Fixture    *f,
         const char *token,
         int        *status,
         const char *verb,
         ...)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (char *) g_getenv ("THREADLINE_CLI"));
  g_ptr_array_add (argv, (char *) verb);
  g_ptr_array_add (argv, "--url");
  g_ptr_array_add (argv, f->url);
  g_ptr_array_add (argv, "--settle");
  g_ptr_array_add (argv, "200");
  va_start (args, verb);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_setenv (launcher, "THREADLINE_TOKEN", token, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  *status = g_subprocess_get_exit_status (process);
  return out;
}

static guint
count (const char *haystack,
       const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

static const char *setup_events =
  "[{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c-1\",\"title\":\"General\","
  "\"participants\":[{\"id\":\"u-1\"},{\"id\":\"u-2\"}]}},"
  "{\"type\":\"message-added\",\"message\":{\"id\":\"m-1\",\"conversationId\":\"c-1\",\"role\":\"user\","
  "\"parts\":[{\"type\":\"text\",\"text\":\"hi\"}],\"createdAt\":\"2026-12-03T10:00:00.000Z\","
  "\"author\":{\"id\":\"u-2\"}}}]";

static void
test_cli_send_then_dump (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *sent = NULL;
  g_autofree char *dumped = NULL;
  int status = -1;

  push (f, setup_events);
  sent = run_cli (f, "tok-1", &status, "send", "--conversation", "c-1", "--text", "hello e2e", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpuint (count (sent, "hello e2e"), ==, 1);
  g_assert_cmpuint (count (sent, "\"status\":\"sent\""), ==, 1);

  dumped = run_cli (f, "tok-1", &status, "dump", NULL);
  g_assert_cmpint (status, ==, 0);
  /* The sender's view once confirmed is the server's truth. */
  g_assert_cmpstr (sent, ==, dumped);

  g_free (dumped);
  dumped = run_cli (f, "wrong", &status, "dump", NULL);
  g_assert_cmpint (status, ==, 3);
}

static void
test_server_restart_replay (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(TlStore) store = tl_store_new ();
  g_autoptr(TlConnection) conn = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *epoch = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *actual = NULL;
  TlConnectionTimings timings;
  gint64 seq;
  int status = -1;
  guint port;

  push (f, setup_events);
  conn = tl_connection_new (store, f->url, &error);
  g_assert_no_error (error);
  tl_connection_set_token (conn, "tok-1");
  tl_wakeup_set_sources (tl_connection_get_wakeup (conn), FALSE, FALSE);
  tl_connection_get_default_timings (&timings);
  timings.backoff_unit_ms = 20;
  timings.backoff_cap_ms = 100;
  timings.restart_max_ms = 100;
  tl_connection_set_timings (conn, &timings);
  tl_connection_start (conn);
  TL_WAIT_UNTIL (tl_connection_get_state (conn) == TL_CONNECTION_STATE_LIVE);
  epoch = g_strdup (tl_store_get_epoch (store));
  seq = tl_store_get_seq (store);
  g_assert_nonnull (tl_store_lookup_message (store, "m-1"));

  /* Restart on the same port and database: same epoch, so a replay. */
  port = f->port;
  stop_server (f);
  TL_WAIT_UNTIL (tl_connection_get_state (conn) != TL_CONNECTION_STATE_LIVE);
  start_server (f, port);
  push (f, "{\"type\":\"message-added\",\"message\":{\"id\":\"m-2\",\"conversationId\":\"c-1\","
           "\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\"after restart\"}],"
           "\"createdAt\":\"2026-12-03T10:00:05.000Z\",\"author\":{\"id\":\"u-2\"}}}");
  TL_WAIT_UNTIL (tl_connection_get_state (conn) == TL_CONNECTION_STATE_LIVE &&
                 tl_store_lookup_message (store, "m-2") != NULL);
  g_assert_cmpstr (tl_store_get_epoch (store), ==, epoch);
  g_assert_cmpint (tl_store_get_seq (store), >, seq);

  /* Let the post-send conversation-updated and presence arrive too. */
  tl_test_run_for (300);
  expected = run_cli (f, "tok-1", &status, "dump", NULL);
  g_assert_cmpint (status, ==, 0);
  tl_test_run_for (100);
  actual = tl_store_dump (store);
  g_assert_cmpstr (g_strstrip (expected), ==, actual);
}

static void
remove_database (Fixture *f)
{
  g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->dir, name, NULL);

      g_unlink (path);
    }
}

static void
test_server_new_epoch_snapshot (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(TlStore) store = tl_store_new ();
  g_autoptr(TlConnection) conn = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *epoch = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *actual = NULL;
  TlConnectionTimings timings;
  int status = -1;
  guint port;

  push (f, setup_events);
  conn = tl_connection_new (store, f->url, &error);
  g_assert_no_error (error);
  tl_connection_set_token (conn, "tok-1");
  tl_wakeup_set_sources (tl_connection_get_wakeup (conn), FALSE, FALSE);
  tl_connection_get_default_timings (&timings);
  timings.backoff_unit_ms = 20;
  timings.backoff_cap_ms = 100;
  timings.restart_max_ms = 100;
  tl_connection_set_timings (conn, &timings);
  tl_connection_start (conn);
  TL_WAIT_UNTIL (tl_connection_get_state (conn) == TL_CONNECTION_STATE_LIVE);
  epoch = g_strdup (tl_store_get_epoch (store));
  g_assert_nonnull (tl_store_lookup_conversation (store, "c-1"));

  /* The server loses its database: a new epoch, other data. */
  port = f->port;
  stop_server (f);
  remove_database (f);
  TL_WAIT_UNTIL (tl_connection_get_state (conn) != TL_CONNECTION_STATE_LIVE);
  start_server (f, port);
  push (f, "{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c-9\",\"title\":\"Fresh\","
           "\"participants\":[{\"id\":\"u-1\"}]}}");
  TL_WAIT_UNTIL (tl_connection_get_state (conn) == TL_CONNECTION_STATE_LIVE &&
                 tl_store_lookup_conversation (store, "c-9") != NULL);
  g_assert_cmpstr (tl_store_get_epoch (store), !=, epoch);
  /* Stale entities are gone. */
  g_assert_null (tl_store_lookup_conversation (store, "c-1"));
  g_assert_null (tl_store_lookup_message (store, "m-1"));

  tl_test_run_for (300);
  expected = run_cli (f, "tok-1", &status, "dump", NULL);
  g_assert_cmpint (status, ==, 0);
  tl_test_run_for (100);
  actual = tl_store_dump (store);
  /* Presence too: it "is replaced by what the server re-sends after
   * welcome", so nothing from the old epoch lingers. */
  g_assert_cmpstr (g_strstrip (expected), ==, actual);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("THREADLINE_SERVER") == NULL ||
      !g_file_test (g_getenv ("THREADLINE_SERVER"), G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("threadline-server is not built");
      return g_test_run ();
    }

  g_test_add ("/threadline/net/e2e/cli-send-then-dump", Fixture, NULL,
              fixture_setup, test_cli_send_then_dump, fixture_teardown);
  g_test_add ("/threadline/net/e2e/server-restart-replay", Fixture, NULL,
              fixture_setup, test_server_restart_replay, fixture_teardown);
  g_test_add ("/threadline/net/e2e/server-new-epoch-snapshot", Fixture, NULL,
              fixture_setup, test_server_new_epoch_snapshot, fixture_teardown);
  return g_test_run ();
}
