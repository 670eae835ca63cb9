/* tl-cli-net.c — threadline-cli dump, send and watch: the client without a window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The same TlStore and TlConnection the app uses, so what these verbs print
 * is what the app would show, and they ride out every fault the app does.
 * stdout carries only the dump (or, for watch, one event per line); every
 * log line goes to stderr.
 */
#define G_LOG_DOMAIN "threadline-cli"

#include "tl-cli-net.h"
#include "tl-connection.h"
#include "tl-json.h"
#include "tl-store.h"

#include <errno.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define EXIT_RUNTIME   1
#define EXIT_USAGE     2
#define EXIT_AUTH      3
#define EXIT_PROTOCOL  4
#define EXIT_NO_SERVER 5

typedef enum
{
  VERB_DUMP,
  VERB_SEND,
  VERB_WATCH,
} Verb;

typedef struct
{
  Verb          verb;
  TlStore      *store;
  TlConnection *conn;
  GMainLoop    *loop;
  char         *conversation_id;
  char         *text;
  char         *message_id;      /* send: ours, once added */
  guint         settle_ms;
  guint         settle_id;
  guint         timeout_id;
  guint         probe_n;
  int           exit_code;
  gboolean      confirmed;
  gboolean      done;
} Run;

static GLogWriterOutput
log_to_stderr (GLogLevelFlags   level,
               const GLogField *fields,
               gsize            n_fields,
               gpointer         user_data)
{
  g_autofree char *line = NULL;
  const char *domain = NULL;

  for (gsize i = 0; i < n_fields; i++)
    if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0)
      domain = fields[i].value;
  if (g_log_writer_default_would_drop (level, domain))
    return G_LOG_WRITER_HANDLED;

  /* GLib's default writer puts debug and info on stdout, which is the dump's. */
  line = g_log_writer_format_fields (level, fields, n_fields, isatty (STDERR_FILENO));
  fprintf (stderr, "%s\n", line);
  fflush (stderr);
  return G_LOG_WRITER_HANDLED;
}

static void
finish (Run *run,
        int  exit_code)
{
  if (run->done)
    return;
  run->done = TRUE;
  run->exit_code = exit_code;
  g_clear_handle_id (&run->settle_id, g_source_remove);
  g_clear_handle_id (&run->timeout_id, g_source_remove);
  g_main_loop_quit (run->loop);
}

static gboolean
print_dump (Run *run)
{
  g_autofree char *dump = tl_store_dump (run->store);

  fputs (dump, stdout);
  fputc ('\n', stdout);
  return fflush (stdout) == 0;
}

static gboolean on_settle_cb (gpointer user_data);

static void
restart_settle (Run *run)
{
  if (run->verb == VERB_WATCH || run->done)
    return;
  /* A frame after the probe's ping spoils it: wait for quiet again. */
  run->probe_n = 0;
  g_clear_handle_id (&run->settle_id, g_source_remove);
  run->settle_id = g_timeout_add (run->settle_ms, on_settle_cb, run);
}

static gboolean
ready_to_probe (Run *run)
{
  return tl_connection_get_state (run->conn) == TL_CONNECTION_STATE_LIVE &&
         tl_connection_is_idle (run->conn) &&
         (run->verb != VERB_SEND || run->confirmed);
}

static gboolean
on_settle_cb (gpointer user_data)
{
  Run *run = user_data;

  run->settle_id = 0;
  if (!ready_to_probe (run))
    {
      restart_settle (run);
      return G_SOURCE_REMOVE;
    }
  /* The final probe: the pong must show the server at our seq. */
  run->probe_n = tl_connection_probe (run->conn);
  if (run->probe_n == 0)
    restart_settle (run);
  return G_SOURCE_REMOVE;
}

static void
on_pong_cb (TlConnection *conn,
            guint         n,
            gint64        head_seq,
            gboolean      quiet,
            Run          *run)
{
  if (run->probe_n == 0 || n != run->probe_n)
    return;
  run->probe_n = 0;

  /* A higher headSeq makes the connection resume on its own; any other
   * frame before the pong means the server was not done. */
  if (quiet && ready_to_probe (run) &&
      (head_seq < 0 || head_seq == tl_store_get_seq (run->store)))
    {
      finish (run, print_dump (run) ? 0 : EXIT_RUNTIME);
      return;
    }
  restart_settle (run);
}

static void
on_frame_cb (TlConnection *conn,
             Run          *run)
{
  /* The pong of our probe is handled by on_pong_cb, which runs first. */
  if (run->probe_n != 0 || run->settle_id != 0)
    restart_settle (run);
}

static void
add_message (Run *run)
{
  g_autoptr(GError) error = NULL;

  run->message_id = tl_connection_send_message (run->conn, run->conversation_id, run->text, &error);
  if (run->message_id == NULL)
    {
      g_printerr ("threadline-cli: cannot send: %s\n", error->message);
      finish (run, EXIT_RUNTIME);
    }
}

static void
on_state_cb (TlConnection *conn,
             GParamSpec   *pspec,
             Run          *run)
{
  TlConnectionState state = tl_connection_get_state (conn);
  const char *error = tl_connection_get_last_error (conn);

  if (run->verb == VERB_WATCH)
    g_printerr ("threadline-cli: %s%s%s\n", tl_connection_state_to_string (state),
                error && state != TL_CONNECTION_STATE_LIVE ? ": " : "",
                error && state != TL_CONNECTION_STATE_LIVE ? error : "");

  switch (state)
    {
    case TL_CONNECTION_STATE_STOPPED_AUTH_FAILED:
      g_printerr ("threadline-cli: authentication failed (%s): sign in again\n",
                  error ? error : "refused by the server");
      finish (run, EXIT_AUTH);
      break;

    case TL_CONNECTION_STATE_STOPPED_PROTOCOL_UNSUPPORTED:
      g_printerr ("threadline-cli: protocol version unsupported by the server\n");
      finish (run, EXIT_PROTOCOL);
      break;

    case TL_CONNECTION_STATE_STOPPED_CLOSED:
      g_printerr ("threadline-cli: %s\n", error ? error : "connection closed");
      finish (run, EXIT_RUNTIME);
      break;

    case TL_CONNECTION_STATE_SYNCING:
      g_clear_handle_id (&run->timeout_id, g_source_remove);
      break;

    case TL_CONNECTION_STATE_LIVE:
      g_clear_handle_id (&run->timeout_id, g_source_remove);
      /* Synced first, so the optimistic row lands in the state it belongs to. */
      if (run->verb == VERB_SEND && run->message_id == NULL)
        add_message (run);
      restart_settle (run);
      break;

    case TL_CONNECTION_STATE_OFFLINE:
    case TL_CONNECTION_STATE_CONNECTING:
    case TL_CONNECTION_STATE_HANDSHAKE:
    default:
      run->probe_n = 0;
      g_clear_handle_id (&run->settle_id, g_source_remove);
      break;
    }
}

static void
on_confirmed_cb (TlConnection *conn,
                 const char   *message_id,
                 Run          *run)
{
  if (g_strcmp0 (message_id, run->message_id) != 0)
    return;
  run->confirmed = TRUE;
  restart_settle (run);
}

static void
on_failed_cb (TlConnection *conn,
              const char   *message_id,
              const char   *reason,
              Run          *run)
{
  if (g_strcmp0 (message_id, run->message_id) != 0)
    return;
  g_printerr ("threadline-cli: message not sent: %s\n", reason);
  /* The dump shows the message marked "error". */
  print_dump (run);
  finish (run, EXIT_RUNTIME);
}

static void
on_event_applied_cb (TlConnection *conn,
                     TlEvent      *event,
                     JsonNode     *root,
                     Run          *run)
{
  g_autofree char *line = tl_json_node_to_string (root);

  fputs (line, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}

static gboolean
on_timeout_cb (gpointer user_data)
{
  Run *run = user_data;
  const char *error = tl_connection_get_last_error (run->conn);

  run->timeout_id = 0;
  if (tl_connection_get_ever_connected (run->conn))
    return G_SOURCE_REMOVE;
  g_printerr ("threadline-cli: could not connect%s%s\n", error ? ": " : "", error ? error : "");
  finish (run, EXIT_NO_SERVER);
  return G_SOURCE_REMOVE;
}

static gboolean
on_signal_cb (gpointer user_data)
{
  finish (user_data, 0);
  /* Removed by run_verb() with the other one. */
  return G_SOURCE_CONTINUE;
}

static char *
read_token (const char  *token,
            const char  *token_file,
            GError     **error)
{
  g_autofree char *contents = NULL;
  const char *env;

  if (token != NULL)
    return g_strdup (token);
  if (token_file != NULL)
    {
      if (!g_file_get_contents (token_file, &contents, NULL, error))
        return NULL;
      return g_strdup (g_strstrip (contents));
    }
  env = g_getenv ("THREADLINE_TOKEN");
  if (env != NULL && *env != '\0')
    return g_strdup (env);
  g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                       "a token is required: --token, --token-file or THREADLINE_TOKEN");
  return NULL;
}

static int
run_verb (Verb    verb,
          int     argc,
          char  **argv)
{
  g_autofree char *url = NULL;
  g_autofree char *token_arg = NULL;
  g_autofree char *token_file = NULL;
  g_autofree char *token = NULL;
  g_autofree char *user = NULL;
  g_autofree char *active = NULL;
  g_autofree char *conversation = NULL;
  g_autofree char *text = NULL;
  g_autofree char *message_id = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TlStore) store = NULL;
  g_autoptr(TlConnection) conn = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_auto(GStrv) args = NULL;
  int settle_ms = 1500;
  double timeout_s = 30;
  gboolean allow_insecure = FALSE;
  guint sigint_id, sigterm_id;
  Run run = { 0 };
  GOptionEntry common[] = {
    { "url", 0, 0, G_OPTION_ARG_STRING, &url, "Stream endpoint, e.g. ws://127.0.0.1:8765/v1/stream", "URL" },
    { "token", 0, 0, G_OPTION_ARG_STRING, &token_arg, "Bearer token (prefer --token-file or THREADLINE_TOKEN)", "TOKEN" },
    { "token-file", 0, 0, G_OPTION_ARG_FILENAME, &token_file, "Read the token from PATH", "PATH" },
    { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &timeout_s, "Seconds to make the first connection (default 30)", "S" },
    { "allow-insecure", 0, 0, G_OPTION_ARG_NONE, &allow_insecure, "Allow ws:// to a host that is not loopback", NULL },
    { NULL }
  };
  GOptionEntry sync[] = {
    { "user", 0, 0, G_OPTION_ARG_STRING, &user, "The local user (overrides welcome.user.id)", "ID" },
    { "active", 0, 0, G_OPTION_ARG_STRING, &active, "The active conversation", "ID" },
    { "settle", 0, 0, G_OPTION_ARG_INT, &settle_ms, "Quiet milliseconds before the dump (default 1500)", "MS" },
    { NULL }
  };
  GOptionEntry send[] = {
    { "conversation", 0, 0, G_OPTION_ARG_STRING, &conversation, "Conversation to send to", "ID" },
    { "text", 0, 0, G_OPTION_ARG_STRING, &text, "Message text", "TEXT" },
    { NULL }
  };
  static const char *names[] = { "dump", "send", "watch" };
  static const char *summaries[] = {
    "Connect, sync and print the client state dump.",
    "Sync, send a message, and print the dump once it is confirmed.",
    "Print each applied event as a JSON line until interrupted.",
  };

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, summaries[verb]);
  g_option_context_add_main_entries (context, common, NULL);
  if (verb != VERB_WATCH)
    g_option_context_add_main_entries (context, sync, NULL);
  if (verb == VERB_SEND)
    g_option_context_add_main_entries (context, send, NULL);
  g_option_context_set_help_enabled (context, TRUE);

  /* GOption wants argv[0] as the program name. */
  args = g_new0 (char *, argc + 1);
  args[0] = g_strdup_printf ("threadline-cli %s", names[verb]);
  for (int i = 1; i < argc; i++)
    args[i] = g_strdup (argv[i]);
  if (!g_option_context_parse_strv (context, &args, &error))
    {
      g_printerr ("threadline-cli %s: %s\n", names[verb], error->message);
      return EXIT_USAGE;
    }
  if (g_strv_length (args) > 1)
    {
      g_printerr ("threadline-cli %s: unexpected argument “%s”\n", names[verb], args[1]);
      return EXIT_USAGE;
    }
  if (url == NULL)
    {
      g_printerr ("threadline-cli %s: --url is required\n", names[verb]);
      return EXIT_USAGE;
    }
  if (verb == VERB_SEND && (conversation == NULL || *conversation == '\0' || text == NULL))
    {
      g_printerr ("threadline-cli send: --conversation and --text are required\n");
      return EXIT_USAGE;
    }
  if (settle_ms < 0 || timeout_s <= 0)
    {
      g_printerr ("threadline-cli %s: --settle and --timeout must be positive\n", names[verb]);
      return EXIT_USAGE;
    }
  token = read_token (token_arg, token_file, &error);
  if (token == NULL)
    {
      g_printerr ("threadline-cli %s: %s\n", names[verb], error->message);
      return EXIT_USAGE;
    }

  store = tl_store_new ();
  if (active != NULL)
    tl_store_set_active_conversation_id (store, active);
  conn = tl_connection_new (store, url, &error);
  if (conn == NULL)
    {
      g_printerr ("threadline-cli %s: %s\n", names[verb], error->message);
      return EXIT_USAGE;
    }
  if (tl_connection_is_insecure (conn) && !allow_insecure)
    {
      g_printerr ("threadline-cli %s: ws:// is only allowed for loopback addresses; "
                  "use wss:// or --allow-insecure\n", names[verb]);
      return EXIT_USAGE;
    }
  tl_connection_set_allow_insecure (conn, allow_insecure);
  tl_connection_set_token (conn, token);
  if (user != NULL)
    tl_connection_set_local_user (conn, user);

  loop = g_main_loop_new (NULL, FALSE);
  run.verb = verb;
  run.store = store;
  run.conn = conn;
  run.loop = loop;
  run.conversation_id = conversation;
  run.text = text;
  run.settle_ms = (guint) settle_ms;

  g_signal_connect (conn, "notify::state", G_CALLBACK (on_state_cb), &run);
  g_signal_connect (conn, "frame", G_CALLBACK (on_frame_cb), &run);
  g_signal_connect (conn, "pong", G_CALLBACK (on_pong_cb), &run);
  g_signal_connect (conn, "message-confirmed", G_CALLBACK (on_confirmed_cb), &run);
  g_signal_connect (conn, "message-failed", G_CALLBACK (on_failed_cb), &run);
  if (verb == VERB_WATCH)
    g_signal_connect (conn, "event-applied", G_CALLBACK (on_event_applied_cb), &run);

  sigint_id = g_unix_signal_add (SIGINT, on_signal_cb, &run);
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal_cb, &run);
  run.timeout_id = g_timeout_add ((guint) MIN (timeout_s * 1000, G_MAXUINT), on_timeout_cb, &run);

  tl_connection_start (conn);
  if (!run.done)
    g_main_loop_run (loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_clear_handle_id (&run.settle_id, g_source_remove);
  g_clear_handle_id (&run.timeout_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (conn, &run);
  message_id = g_steal_pointer (&run.message_id);

  /* Say goodbye properly: close 1000, and give the frame a moment to leave. */
  tl_connection_stop (conn);
  for (guint i = 0; i < 20 && g_main_context_iteration (NULL, FALSE); i++)
    ;
  if (token_arg != NULL)
    memset (token_arg, 0, strlen (token_arg));
  return run.exit_code;
}

static void
install_log_writer (void)
{
  static gsize installed = 0;

  if (g_once_init_enter (&installed))
    {
      g_log_set_writer_func (log_to_stderr, NULL, NULL);
      g_once_init_leave (&installed, 1);
    }
}

int
tl_cli_dump (int    argc,
             char **argv)
{
  install_log_writer ();
  return run_verb (VERB_DUMP, argc, argv);
}

int
tl_cli_send (int    argc,
             char **argv)
{
  install_log_writer ();
  return run_verb (VERB_SEND, argc, argv);
}

int
tl_cli_watch (int    argc,
              char **argv)
{
  install_log_writer ();
  return run_verb (VERB_WATCH, argc, argv);
}
