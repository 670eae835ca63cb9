/* main.c — threadline-server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "threadline-server"

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "tl-json.h"
#include "tl-server.h"
#include "tl-server-demo.h"
#include "tl-server-json.h"
#include "tl-server-store-sqlite.h"

#define DEMO_USER "demo"

typedef struct
{
  GMainLoop *loop;
  TlServer  *server;
  guint      grace_id;
  gboolean   stopping;
} App;

static gboolean
on_grace_timeout_cb (gpointer user_data)
{
  App *app = user_data;

  /* Clients that do not answer the close frame do not hold up shutdown. */
  app->grace_id = 0;
  g_main_loop_quit (app->loop);
  return G_SOURCE_REMOVE;
}

static void
on_n_connections_cb (GObject    *object,
                     GParamSpec *pspec,
                     gpointer    user_data)
{
  App *app = user_data;

  if (app->stopping && tl_server_get_n_connections (app->server) == 0)
    g_main_loop_quit (app->loop);
}

static gboolean
on_signal_cb (gpointer user_data)
{
  App *app = user_data;

  if (app->stopping)
    return G_SOURCE_CONTINUE;
  app->stopping = TRUE;
  g_message ("Shutting down");
  tl_server_shutdown (app->server);
  if (tl_server_get_n_connections (app->server) == 0)
    g_main_loop_quit (app->loop);
  else
    app->grace_id = g_timeout_add_seconds (3, on_grace_timeout_cb, app);
  return G_SOURCE_CONTINUE;
}

static gboolean
parse_user_spec (const char  *spec,
                 char       **id,
                 char       **token,
                 char       **name)
{
  g_auto(GStrv) fields = g_strsplit (spec, ":", 3);

  if (fields[0] == NULL || fields[1] == NULL || fields[0][0] == '\0' || fields[1][0] == '\0')
    return FALSE;
  *id = g_strdup (fields[0]);
  *token = g_strdup (fields[1]);
  *name = g_strdup (fields[2]);
  return TRUE;
}

static char *
default_db_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "threadline-server", "threadline.db", NULL);
}

/* threadline-server user add|list|remove|token … */
static int
run_user_command (int    argc,
                  char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TlServerStore) store = NULL;
  g_autofree char *db = NULL;
  g_autofree char *name = NULL;
  const char *verb;
  GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Database file", "PATH" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "Display name (user add)", "NAME" },
    { NULL }
  };

  context = g_option_context_new ("add ID | list | remove ID | token ID");
  g_option_context_set_summary (context,
    "Manage the users of a threadline-server database. “add” and “token” print a\n"
    "fresh token once; only its salted hash is stored.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("threadline-server user: %s\n", error->message);
      return 2;
    }
  if (argc < 2)
    {
      g_printerr ("threadline-server user: missing action (add, list, remove, token)\n");
      return 2;
    }
  verb = argv[1];
  if (db == NULL)
    db = default_db_path ();
  store = tl_server_store_sqlite_open (db, &error);
  if (store == NULL)
    {
      g_printerr ("threadline-server: %s\n", error->message);
      return 1;
    }

  if (strcmp (verb, "list") == 0)
    {
      g_autoptr(GPtrArray) users = tl_server_store_list_users (store);

      for (guint i = 0; i < users->len; i++)
        {
          TlServerUser *user = g_ptr_array_index (users, i);

          g_print ("%s\t%s\n", user->id, user->display_name != NULL ? user->display_name : "");
        }
      return 0;
    }
  if (argc < 3)
    {
      g_printerr ("threadline-server user %s: missing user id\n", verb);
      return 2;
    }
  if (strcmp (verb, "add") == 0 || strcmp (verb, "token") == 0)
    {
      g_autoptr(TlServerUser) existing = tl_server_store_get_user (store, argv[2]);
      g_autoptr(TlServerUser) user = NULL;
      g_autofree char *token = tl_server_generate_token ();

      if (strcmp (verb, "add") == 0 && existing != NULL)
        {
          g_printerr ("threadline-server: user “%s” already exists (use “user token” to rotate)\n", argv[2]);
          return 1;
        }
      if (strcmp (verb, "token") == 0 && existing == NULL)
        {
          g_printerr ("threadline-server: no user “%s”\n", argv[2]);
          return 1;
        }
      user = tl_server_user_new_with_token (argv[2],
                                            name != NULL ? name : existing != NULL ? existing->display_name : NULL,
                                            token);
      if (!tl_server_store_put_user (store, user, &error))
        {
          g_printerr ("threadline-server: %s\n", error->message);
          return 1;
        }
      g_print ("%s\n", token);
      return 0;
    }
  if (strcmp (verb, "remove") == 0)
    {
      if (!tl_server_store_remove_user (store, argv[2], &error))
        {
          g_printerr ("threadline-server: %s\n", error->message);
          return 1;
        }
      return 0;
    }
  g_printerr ("threadline-server user: unknown action “%s”\n", verb);
  return 2;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TlServer) server = NULL;
  g_autoptr(TlServerDemo) demo = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GString) ready = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *db = NULL;
  g_autofree char *admin_token = NULL;
  g_autofree char *demo_token = NULL;
  g_autofree char *webhook = NULL;
  gint webhook_retry_ms = TL_SERVER_DEFAULT_WEBHOOK_RETRY_MS;
  gint webhook_attempts = TL_SERVER_DEFAULT_WEBHOOK_ATTEMPTS;
  g_auto(GStrv) users = NULL;
  gboolean demo_mode = FALSE;
  gboolean version = FALSE;
  gint port = TL_SERVER_DEFAULT_PORT;
  gint64 seed = 1;
  gint64 retain = TL_SERVER_DEFAULT_RETAIN;
  gint heartbeat_ms = TL_SERVER_DEFAULT_HEARTBEAT_MS;
  gint demo_interval_ms = 3000;
  double rate = TL_SERVER_DEFAULT_RATE;
  gint burst = TL_SERVER_DEFAULT_BURST;
  TlServerConfig config;
  App app = { 0 };
  GOptionEntry entries[] = {
    { "listen", 0, 0, G_OPTION_ARG_STRING, &listen, "Address to listen on (default 127.0.0.1)", "ADDR" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "Port (default 8765; 0 picks a free one)", "N" },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Database file (default in the XDG data dir)", "PATH" },
    { "user", 0, 0, G_OPTION_ARG_STRING_ARRAY, &users, "Add or update a user (repeatable)", "ID:TOKEN[:NAME]" },
    { "admin-token", 0, 0, G_OPTION_ARG_STRING, &admin_token, "Token for the HTTP push API (disabled without)", "TOKEN" },
    { "demo", 0, 0, G_OPTION_ARG_NONE, &demo_mode, "Generate demo conversations and activity", NULL },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of the demo generator (default 1)", "N" },
    { "demo-interval", 0, 0, G_OPTION_ARG_INT, &demo_interval_ms, "Milliseconds between demo actions (default 3000)", "MS" },
    { "assistant-webhook", 0, 0, G_OPTION_ARG_STRING, &webhook, "POST assistant requests to this URL (with the admin token)", "URL" },
    { "webhook-retry-ms", 0, 0, G_OPTION_ARG_INT, &webhook_retry_ms, "First webhook retry delay, doubling (default 1000)", "MS" },
    { "webhook-attempts", 0, 0, G_OPTION_ARG_INT, &webhook_attempts, "Webhook tries before the reply shows an error (default 4)", "N" },
    { "retain", 0, 0, G_OPTION_ARG_INT64, &retain, "Replay window in events per user (default 10000)", "N" },
    { "heartbeat-ms", 0, 0, G_OPTION_ARG_INT, &heartbeat_ms, "Heartbeat interval (default 25000)", "MS" },
    { "rate-limit", 0, 0, G_OPTION_ARG_DOUBLE, &rate, "Commands per second per connection (default 50)", "N" },
    { "rate-burst", 0, 0, G_OPTION_ARG_INT, &burst, "Command burst per connection (default 200)", "N" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");

  if (argc >= 2 && strcmp (argv[1], "user") == 0)
    return run_user_command (argc - 1, argv + 1);

  context = g_option_context_new ("[user add|list|remove|token …]");
  g_option_context_set_summary (context,
    "The Threadline reference backend: the sync protocol over WebSocket at /v1/stream,\n"
    "the HTTP push API at POST /v1/events, and an optional demo activity generator.\n"
    "When ready it prints one JSON line on stdout:\n"
    "  {\"ready\":true,\"url\":\"ws://ADDR:PORT/v1/stream\",\"port\":PORT}\n"
    "(with \"user\" and \"token\" when --demo created the demo user).\n"
    "Users can also be managed with “threadline-server user --help”.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("threadline-server: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("threadline-server %s\n", TL_VERSION);
      return 0;
    }
  if (port < 0 || port > 65535)
    {
      g_printerr ("threadline-server: invalid --port %d\n", port);
      return 2;
    }

  tl_server_config_init (&config);
  if (listen != NULL)
    {
      g_free (config.listen);
      config.listen = g_strdup (listen);
    }
  if (db != NULL)
    {
      g_free (config.db_path);
      config.db_path = g_strdup (db);
    }
  config.admin_token = g_strdup (admin_token);
  config.webhook_url = g_strdup (webhook);
  config.webhook_retry_ms = (guint) MAX (webhook_retry_ms, 1);
  config.webhook_attempts = (guint) MAX (webhook_attempts, 1);
  config.port = (guint) port;
  config.retain = retain;
  config.heartbeat_ms = (guint) MAX (heartbeat_ms, 10);
  config.rate_per_sec = rate;
  config.rate_burst = (guint) MAX (burst, 1);

  server = tl_server_new (&config, &error);
  tl_server_config_clear (&config);
  if (server == NULL)
    {
      g_printerr ("threadline-server: %s\n", error->message);
      return 1;
    }

  for (guint i = 0; users != NULL && users[i] != NULL; i++)
    {
      g_autofree char *id = NULL;
      g_autofree char *token = NULL;
      g_autofree char *name = NULL;

      if (!parse_user_spec (users[i], &id, &token, &name))
        {
          g_printerr ("threadline-server: --user wants ID:TOKEN[:NAME]\n");
          return 2;
        }
      if (!tl_server_add_user (server, id, token, name, &error))
        {
          g_printerr ("threadline-server: %s\n", error->message);
          return 1;
        }
    }

  if (demo_mode)
    {
      const char *demo_user = users != NULL && users[0] != NULL ? NULL : DEMO_USER;
      g_autofree char *first_id = NULL;

      if (demo_user != NULL)
        {
          /* A fresh token every start: it is printed, never stored. */
          demo_token = tl_server_generate_token ();
          if (!tl_server_add_user (server, DEMO_USER, demo_token, "You", &error))
            {
              g_printerr ("threadline-server: %s\n", error->message);
              return 1;
            }
        }
      else
        first_id = g_strndup (users[0], strcspn (users[0], ":"));

      demo = tl_server_demo_new (tl_server_get_hub (server),
                                 demo_user != NULL ? demo_user : first_id,
                                 (guint32) seed, (guint) MAX (demo_interval_ms, 1));
      /* An external assistant, when configured, answers instead. */
      tl_server_demo_set_assistant (demo, webhook == NULL);
      if (!tl_server_demo_start (demo, &error))
        {
          g_printerr ("threadline-server: demo: %s\n", error->message);
          return 1;
        }
    }

  if (!tl_server_listen (server, &error))
    {
      g_printerr ("threadline-server: %s\n", error->message);
      return 1;
    }

  loop = g_main_loop_new (NULL, FALSE);
  app.loop = loop;
  app.server = server;
  g_unix_signal_add (SIGINT, on_signal_cb, &app);
  g_unix_signal_add (SIGTERM, on_signal_cb, &app);
  g_signal_connect (server, "notify::n-connections", G_CALLBACK (on_n_connections_cb), &app);

  {
    g_autofree char *url = NULL;
    const char *host = listen != NULL ? listen : "127.0.0.1";

    if (strchr (host, ':') != NULL)
      url = g_strdup_printf ("ws://[%s]:%u/v1/stream", host, tl_server_get_port (server));
    else
      url = g_strdup_printf ("ws://%s:%u/v1/stream", host, tl_server_get_port (server));
    ready = g_string_new ("{\"ready\":true");
    tl_server_json_append_string_member (ready, "url", url);
    g_string_append_printf (ready, ",\"port\":%u", tl_server_get_port (server));
    if (demo_token != NULL)
      {
        tl_server_json_append_string_member (ready, "user", DEMO_USER);
        tl_server_json_append_string_member (ready, "token", demo_token);
      }
    g_string_append (ready, "}\n");
    fputs (ready->str, stdout);
    fflush (stdout);
  }

  g_main_loop_run (loop);

  g_clear_handle_id (&app.grace_id, g_source_remove);
  if (demo != NULL)
    tl_server_demo_stop (demo);
  return 0;
}
