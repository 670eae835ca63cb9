/* tl-application.c — Threadline, the application
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Owns the store and the connection, and carries out the app.* actions the
 * window raises. With no backend configured (a first run) or with --demo it
 * starts threadline-server's demo on a loopback port with a throwaway
 * database, so a new user sees live activity at once.
 */
#define G_LOG_DOMAIN "threadline-app"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>

#include "tl-app-util.h"
#include "tl-application.h"
#include "tl-connection.h"
#include "tl-notify.h"
#include "tl-preferences-window.h"
#include "tl-secret.h"
#include "tl-window.h"

struct _TlApplication
{
  AdwApplication  parent_instance;

  TlStore        *store;
  TlConnection   *connection;
  GSubprocess    *demo_server;
  GCancellable   *cancellable;
  char           *demo_dir;
  char           *url;
  char           *token;
  gboolean        token_unbound;  /* entered before any server address */
  gboolean        demo;
  guint           typing_timeout_id;
  guint           countdown_id;
  GSettings      *settings;
  char           *current_url;
};

G_DEFINE_FINAL_TYPE (TlApplication, tl_application, ADW_TYPE_APPLICATION)

static TlWindow *
main_window (TlApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  return TL_IS_WINDOW (window) ? TL_WINDOW (window) : NULL;
}

static void
toast (TlApplication *self,
       const char    *text)
{
  TlWindow *window = main_window (self);

  if (window != NULL)
    tl_window_show_toast (window, text);
}

/* Typing expires on its own; the store says when the next one is due. */
static gboolean on_typing_timeout_cb (gpointer user_data);

static void
schedule_typing_expiry (TlApplication *self)
{
  gint64 deadline = tl_store_expire_typing (self->store);
  gint64 delay_ms;

  g_clear_handle_id (&self->typing_timeout_id, g_source_remove);
  if (deadline < 0)
    return;
  delay_ms = MAX (0, (deadline - g_get_monotonic_time ()) / 1000) + 1;
  self->typing_timeout_id = g_timeout_add ((guint) MIN (delay_ms, G_MAXUINT), on_typing_timeout_cb, self);
}

static gboolean
on_typing_timeout_cb (gpointer user_data)
{
  TlApplication *self = user_data;

  self->typing_timeout_id = 0;
  schedule_typing_expiry (self);
  return G_SOURCE_REMOVE;
}

static void
on_typing_changed_cb (TlApplication *self)
{
  schedule_typing_expiry (self);
}

/* Notifications */

static void
on_message_added_cb (TlApplication *self,
                     TlMessage     *message)
{
  TlWindow *window = main_window (self);
  TlNotifyContext context = {
    .enabled = g_settings_get_boolean (self->settings, "notifications"),
    .live = self->connection != NULL &&
            tl_connection_get_state (self->connection) == TL_CONNECTION_STATE_LIVE,
    .window_active = window != NULL && gtk_window_is_active (GTK_WINDOW (window)),
  };
  g_autoptr(GNotification) notification = tl_notify_for_message (self->store, message, &context);

  /* One per conversation: a newer message replaces the older notice. */
  if (notification != NULL)
    g_application_send_notification (G_APPLICATION (self), tl_message_get_conversation_id (message),
                                     notification);
}

static void
on_active_conversation_cb (TlApplication *self)
{
  const char *id = tl_store_get_active_conversation_id (self->store);

  if (id != NULL)
    g_application_withdraw_notification (G_APPLICATION (self), id);
}

static void
on_history_loaded_cb (TlApplication *self,
                      const char    *conversation_id,
                      gboolean       has_more,
                      const char    *cursor)
{
  tl_store_set_history_position (self->store, conversation_id, has_more, cursor);
}

/* Connection state → what the window shows */

static gboolean
on_countdown_cb (gpointer user_data);

static void
on_connection_state_cb (TlApplication *self)
{
  TlWindow *window = main_window (self);
  TlWindowStatus status;
  gint64 retry_at;
  int seconds = -1;

  g_clear_handle_id (&self->countdown_id, g_source_remove);
  if (window == NULL || self->connection == NULL)
    return;
  switch (tl_connection_get_state (self->connection))
    {
    case TL_CONNECTION_STATE_LIVE: status = TL_WINDOW_STATUS_ONLINE; break;
    case TL_CONNECTION_STATE_CONNECTING:
    case TL_CONNECTION_STATE_HANDSHAKE:
      status = tl_connection_get_ever_connected (self->connection) ? TL_WINDOW_STATUS_OFFLINE
                                                                   : TL_WINDOW_STATUS_CONNECTING;
      break;
    case TL_CONNECTION_STATE_SYNCING: status = TL_WINDOW_STATUS_SYNCING; break;
    case TL_CONNECTION_STATE_OFFLINE: status = TL_WINDOW_STATUS_OFFLINE; break;
    case TL_CONNECTION_STATE_STOPPED_AUTH_FAILED: status = TL_WINDOW_STATUS_AUTH_FAILED; break;
    case TL_CONNECTION_STATE_STOPPED_PROTOCOL_UNSUPPORTED: status = TL_WINDOW_STATUS_UNSUPPORTED; break;
    case TL_CONNECTION_STATE_STOPPED_CLOSED:
    default:
      status = TL_WINDOW_STATUS_CLOSED;
      break;
    }

  /* "Retrying in N s", counted down once a second until the attempt. */
  retry_at = tl_connection_get_retry_at (self->connection);
  if (status == TL_WINDOW_STATUS_OFFLINE && retry_at >= 0)
    {
      gint64 left = retry_at - g_get_monotonic_time ();

      seconds = (int) MAX (0, (left + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
      if (seconds > 0)
        self->countdown_id = g_timeout_add_seconds (1, on_countdown_cb, self);
    }
  tl_window_set_status (window, status, seconds);
}

static gboolean
on_countdown_cb (gpointer user_data)
{
  TlApplication *self = user_data;

  self->countdown_id = 0;
  on_connection_state_cb (self);
  return G_SOURCE_REMOVE;
}

static void
connect_to (TlApplication *self,
            const char    *url,
            const char    *token)
{
  g_autoptr(GError) error = NULL;

  if (self->connection != NULL)
    {
      tl_connection_stop (self->connection);
      g_signal_handlers_disconnect_by_data (self->connection, self);
      g_clear_object (&self->connection);
    }

  g_free (self->current_url);
  self->current_url = g_strdup (url);
  self->connection = tl_connection_new (self->store, url, &error);
  if (self->connection == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Cannot connect: %s"), error->message);

      toast (self, text);
      return;
    }
  tl_connection_set_token (self->connection, token);
  g_signal_connect_object (self->connection, "notify::state",
                           G_CALLBACK (on_connection_state_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->connection, "history-loaded",
                           G_CALLBACK (on_history_loaded_cb), self, G_CONNECT_SWAPPED);
  tl_connection_start (self->connection);
  on_connection_state_cb (self);
}

/* The demo backend */

static char *
find_server_binary (void)
{
  g_autofree char *self_path = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = self_path ? g_path_get_dirname (self_path) : NULL;
  const char *env = g_getenv ("THREADLINE_SERVER");
  char *candidate;

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  /* Beside us when installed, in the sibling build directory when run from
   * a build tree. */
  if (dir != NULL)
    {
      candidate = g_build_filename (dir, "threadline-server", NULL);
      if (g_file_test (candidate, G_FILE_TEST_IS_EXECUTABLE))
        return candidate;
      g_free (candidate);
      candidate = g_build_filename (dir, "..", "server", "threadline-server", NULL);
      if (g_file_test (candidate, G_FILE_TEST_IS_EXECUTABLE))
        return candidate;
      g_free (candidate);
    }
  return g_find_program_in_path ("threadline-server");
}

static void
on_ready_line_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TlApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source),
                                                                result, NULL, &error);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *ready;
  const char *url, *token;

  if (line == NULL || !json_parser_load_from_data (parser, line, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, _("The demo server did not start"));
      return;
    }
  ready = json_node_get_object (json_parser_get_root (parser));
  url = json_object_get_string_member_with_default (ready, "url", NULL);
  token = json_object_get_string_member_with_default (ready, "token", NULL);
  if (url == NULL)
    {
      toast (self, _("The demo server did not start"));
      return;
    }
  connect_to (self, url, token);
}

static void
start_demo (TlApplication *self)
{
  g_autofree char *server = find_server_binary ();
  g_autofree char *db = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) lines = NULL;

  if (server == NULL)
    {
      toast (self, _("The demo needs threadline-server, which is not installed"));
      return;
    }
  self->demo_dir = g_dir_make_tmp ("threadline-demo-XXXXXX", &error);
  if (self->demo_dir == NULL)
    {
      g_warning ("Cannot make a directory for the demo: %s", error->message);
      return;
    }
  db = g_build_filename (self->demo_dir, "demo.sqlite", NULL);
  self->demo_server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                        server, "--demo", "--port", "0", "--db", db, NULL);
  if (self->demo_server == NULL)
    {
      g_warning ("Cannot start the demo server: %s", error->message);
      toast (self, _("The demo server did not start"));
      return;
    }
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->demo_server));
  g_data_input_stream_read_line_async (lines, G_PRIORITY_DEFAULT, self->cancellable,
                                       on_ready_line_cb, g_object_ref (self));
}

static void
stop_demo (TlApplication *self)
{
  if (self->demo_server != NULL)
    {
      /* SIGTERM: the server closes its clients with 4011 and exits. */
      g_subprocess_send_signal (self->demo_server, SIGTERM);
      g_subprocess_wait (self->demo_server, NULL, NULL);
      g_clear_object (&self->demo_server);
    }
  if (self->demo_dir != NULL)
    {
      g_autofree char *db = g_build_filename (self->demo_dir, "demo.sqlite", NULL);
      g_autofree char *wal = g_strconcat (db, "-wal", NULL);
      g_autofree char *shm = g_strconcat (db, "-shm", NULL);

      g_unlink (db);
      g_unlink (wal);
      g_unlink (shm);
      g_rmdir (self->demo_dir);
      g_clear_pointer (&self->demo_dir, g_free);
    }
}

/* Actions */

static void on_saved_token_cb (GObject      *source,
                               GAsyncResult *result,
                               gpointer      user_data);

static gboolean
require_connection (TlApplication *self)
{
  if (self->connection != NULL)
    return TRUE;
  toast (self, _("Not connected to a server"));
  return FALSE;
}

static void
report (TlApplication *self,
        GError        *error)
{
  if (error != NULL && !g_error_matches (error, TL_CONNECTION_ERROR, TL_CONNECTION_ERROR_NOT_CONNECTED))
    toast (self, error->message);
  else if (error != NULL)
    toast (self, _("Offline — try again when connected"));
}

/* The commands that take one id and only need their errors reported. */
typedef char *(*IdCommand) (TlConnection *connection,
                            const char   *id,
                            GError      **error);

static void
run_id_command (TlApplication *self,
                IdCommand      command,
                GVariant      *parameter)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *request = NULL;

  if (!require_connection (self))
    return;
  request = command (self->connection, g_variant_get_string (parameter, NULL), &error);
  report (self, error);
}

static void
app_send_message (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  TlApplication *self = user_data;
  const char *conversation, *text;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;

  if (!require_connection (self))
    return;
  g_variant_get (parameter, "(&s&s)", &conversation, &text);
  id = tl_connection_send_message (self->connection, conversation, text, &error);
  report (self, error);
}

static void
app_retry_message (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  TlApplication *self = user_data;

  if (require_connection (self))
    tl_connection_retry_message (self->connection, g_variant_get_string (parameter, NULL));
}

static void
app_regenerate (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  run_id_command (user_data, tl_connection_regenerate, parameter);
}

static void
app_stop_stream (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  run_id_command (user_data, tl_connection_stop_stream, parameter);
}

static void
app_respond_tool_approval (GSimpleAction *action,
                           GVariant      *parameter,
                           gpointer       user_data)
{
  TlApplication *self = user_data;
  const char *message, *call, *approval, *reason;
  gboolean approved;
  g_autoptr(GError) error = NULL;
  g_autofree char *request = NULL;

  if (!require_connection (self))
    return;
  g_variant_get (parameter, "(&s&s&sb&s)", &message, &call, &approval, &approved, &reason);
  request = tl_connection_respond_tool_approval (self->connection, message, call,
                                                 *approval ? approval : NULL, approved,
                                                 *reason ? reason : NULL, &error);
  report (self, error);
}

static void
app_mark_read (GSimpleAction *action,
               GVariant      *parameter,
               gpointer       user_data)
{
  TlApplication *self = user_data;
  const char *conversation, *message;
  g_autofree char *request = NULL;

  if (self->connection == NULL)
    return;
  g_variant_get (parameter, "(&s&s)", &conversation, &message);
  /* Offline it simply happens on the next read; no need to bother the user. */
  request = tl_connection_mark_read (self->connection, conversation, *message ? message : NULL, NULL);
}

static void
app_set_typing (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  TlApplication *self = user_data;
  const char *conversation;
  gboolean typing;

  if (self->connection == NULL)
    return;
  g_variant_get (parameter, "(&sb)", &conversation, &typing);
  tl_connection_set_typing (self->connection, conversation, typing, NULL);
}

static void
app_load_history (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  TlApplication *self = user_data;
  const char *conversation, *cursor;
  g_autofree char *request = NULL;

  if (self->connection == NULL)
    return;
  g_variant_get (parameter, "(&s&s)", &conversation, &cursor);
  request = tl_connection_load_history (self->connection, conversation, *cursor ? cursor : NULL, 50, NULL);
}

static void
on_new_conversation_response_cb (AdwMessageDialog *dialog,
                                 const char       *response,
                                 TlApplication    *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  g_autoptr(GError) error = NULL;
  g_autofree char *request = NULL;
  g_autofree char *id = NULL;

  if (g_strcmp0 (response, "create") != 0 || !require_connection (self))
    return;
  request = tl_connection_create_conversation (self->connection, gtk_editable_get_text (entry),
                                               &id, &error);
  report (self, error);
  /* Opened at once: it shows as soon as the server's conversation-added
   * arrives. */
  if (id != NULL)
    tl_store_set_active_conversation_id (self->store, id);
}

static void
app_new_conversation (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  TlApplication *self = user_data;
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (main_window (self)),
                                              _("New Conversation"), NULL);
  GtkWidget *entry = gtk_entry_new ();

  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Title"));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "create", _("C_reate"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "create",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "create");
  g_signal_connect (dialog, "response", G_CALLBACK (on_new_conversation_response_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
app_remove_conversation (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  run_id_command (user_data, tl_connection_remove_conversation, parameter);
}

static void
app_remove_message (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  run_id_command (user_data, tl_connection_remove_message, parameter);
}

static void
app_open_conversation (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  TlApplication *self = user_data;

  g_application_activate (G_APPLICATION (self));
  tl_store_set_active_conversation_id (self->store, g_variant_get_string (parameter, NULL));
}

static void
app_preferences (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  TlApplication *self = user_data;
  GtkWidget *preferences = tl_preferences_window_new (GTK_WINDOW (main_window (self)));

  tl_preferences_window_set_token (TL_PREFERENCES_WINDOW (preferences), self->token);
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
on_token_stored_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(TlApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (tl_secret_store_token_finish (result, &error))
    return;
  /* The token still works for this session; say why it will be asked again. */
  if (g_error_matches (error, TL_SECRET_ERROR, TL_SECRET_ERROR_UNAVAILABLE))
    toast (self, _("No keyring is available: the token is kept until Threadline quits"));
  else
    toast (self, error->message);
}

static void
app_set_token (GSimpleAction *action,
               GVariant      *parameter,
               gpointer       user_data)
{
  TlApplication *self = user_data;
  g_autofree char *saved = g_settings_get_string (self->settings, "backend-url");

  g_free (self->token);
  self->token = g_strdup (g_variant_get_string (parameter, NULL));
  /* With no address yet, it belongs to the one entered next. */
  self->token_unbound = *saved == '\0';
  /* Never in GSettings or a file: the Secret Service, under the backend it
   * belongs to. */
  if (*saved != '\0')
    tl_secret_store_token_async (saved, self->token, self->cancellable, on_token_stored_cb,
                                 g_object_ref (self));
  if (self->connection != NULL)
    {
      tl_connection_set_token (self->connection, self->token);
      tl_connection_start (self->connection);
    }
}

static void
app_reconnect (GSimpleAction *action,
               GVariant      *parameter,
               gpointer       user_data)
{
  TlApplication *self = user_data;
  g_autofree char *saved = g_settings_get_string (self->settings, "backend-url");

  /* A changed backend in the preferences means a new connection. */
  if (self->url == NULL && !self->demo && *saved != '\0' &&
      (self->connection == NULL || g_strcmp0 (saved, self->current_url) != 0))
    {
      stop_demo (self);
      if (main_window (self) != NULL)
        tl_window_set_welcome (main_window (self), FALSE);
      /* The new backend's own token, if the keyring has one. */
      tl_secret_lookup_token_async (saved, self->cancellable, on_saved_token_cb, g_object_ref (self));
      return;
    }
  if (self->connection != NULL)
    tl_connection_start (self->connection);
}

static void
app_try_demo (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  TlApplication *self = user_data;
  TlWindow *window = main_window (self);

  if (window != NULL)
    tl_window_set_welcome (window, FALSE);
  if (self->demo_server == NULL)
    start_demo (self);
}

static void
app_about (GSimpleAction *action,
           GVariant      *parameter,
           gpointer       user_data)
{
  TlApplication *self = user_data;
  const char *developers[] = { "The Threadline developers", NULL };

  adw_show_about_window (GTK_WINDOW (main_window (self)),
                         "application-name", _("Threadline"),
                         "application-icon", APPLICATION_ID,
                         "developer-name", _("The Threadline developers"),
                         "version", TL_VERSION,
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "developers", developers,
                         "comments", _("Chat that keeps up with every change"),
                         NULL);
}

static void
app_quit (GSimpleAction *action,
          GVariant      *parameter,
          gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static const GActionEntry app_entries[] = {
  { "send-message", app_send_message, "(ss)" },
  { "retry-message", app_retry_message, "s" },
  { "regenerate", app_regenerate, "s" },
  { "stop-stream", app_stop_stream, "s" },
  { "respond-tool-approval", app_respond_tool_approval, "(sssbs)" },
  { "mark-read", app_mark_read, "(ss)" },
  { "set-typing", app_set_typing, "(sb)" },
  { "reconnect", app_reconnect },
  { "load-history", app_load_history, "(ss)" },
  { "open-conversation", app_open_conversation, "s" },
  { "new-conversation", app_new_conversation },
  { "remove-conversation", app_remove_conversation, "s" },
  { "remove-message", app_remove_message, "s" },
  { "preferences", app_preferences },
  { "set-token", app_set_token, "s" },
  { "about", app_about },
  { "try-demo", app_try_demo },
  { "quit", app_quit },
};

/* GApplication */

static int
tl_application_handle_local_options (GApplication *application,
                                     GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("threadline %s\n", TL_VERSION);
      return 0;
    }
  return -1;
}

static gboolean
read_token_file (const char  *path,
                 char       **token,
                 GError     **error)
{
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return FALSE;
  *token = g_strdup (g_strstrip (contents));
  return TRUE;
}

static int
tl_application_command_line (GApplication            *application,
                             GApplicationCommandLine *command_line)
{
  TlApplication *self = TL_APPLICATION (application);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  const char *url = NULL, *token_file = NULL;
  g_autoptr(GError) error = NULL;

  g_variant_dict_lookup (options, "url", "&s", &url);
  g_variant_dict_lookup (options, "token-file", "^&ay", &token_file);
  self->demo = g_variant_dict_contains (options, "demo");

  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->token, g_free);
  if (url != NULL)
    {
      self->url = g_strdup (url);
      if (token_file != NULL && !read_token_file (token_file, &self->token, &error))
        {
          g_application_command_line_printerr (command_line, "threadline: %s\n", error->message);
          return 1;
        }
      if (self->token == NULL)
        self->token = g_strdup (g_application_command_line_getenv (command_line, "THREADLINE_TOKEN"));
    }

  g_application_activate (application);
  return 0;
}

static void
on_saved_token_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(TlApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = tl_secret_lookup_token_finish (result, &error);
  g_autofree char *saved = g_settings_get_string (self->settings, "backend-url");

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    toast (self, g_error_matches (error, TL_SECRET_ERROR, TL_SECRET_ERROR_UNAVAILABLE)
                 ? _("No keyring is available: enter the token in Preferences")
                 : error->message);
  if (token == NULL && self->token_unbound)
    {
      /* Entered before the address: it is this backend's, and the keyring
       * has it from now on. Any other token stays with its own backend. */
      tl_secret_store_token_async (saved, self->token, self->cancellable, on_token_stored_cb,
                                   g_object_ref (self));
    }
  else
    {
      g_free (self->token);
      self->token = g_steal_pointer (&token);
    }
  self->token_unbound = FALSE;
  connect_to (self, saved, self->token);
}

static void
tl_application_activate (GApplication *application)
{
  TlApplication *self = TL_APPLICATION (application);
  TlWindow *window = main_window (self);

  if (window == NULL)
    {
      g_autofree char *saved = g_settings_get_string (self->settings, "backend-url");

      window = tl_window_new (GTK_APPLICATION (self), self->store);
      gtk_window_present (GTK_WINDOW (window));

      /* --url wins for this run; then the saved backend; --demo goes
       * straight into the demo; a first run asks. */
      if (self->url != NULL && !self->demo)
        connect_to (self, self->url, self->token);
      else if (!self->demo && *saved != '\0')
        tl_secret_lookup_token_async (saved, self->cancellable, on_saved_token_cb, g_object_ref (self));
      else if (self->demo)
        start_demo (self);
      else
        tl_window_set_welcome (window, TRUE);
      return;
    }
  gtk_window_present (GTK_WINDOW (window));
}

static void
tl_application_shutdown (GApplication *application)
{
  TlApplication *self = TL_APPLICATION (application);

  g_cancellable_cancel (self->cancellable);
  if (self->connection != NULL)
    tl_connection_stop (self->connection);
  stop_demo (self);

  G_APPLICATION_CLASS (tl_application_parent_class)->shutdown (application);
}

static void
tl_application_startup (GApplication *application)
{
  TlApplication *self = TL_APPLICATION (application);
  static const char *quit_accels[] = { "<Control>q", NULL };

  G_APPLICATION_CLASS (tl_application_parent_class)->startup (application);

  /* Not in init: --version and --help must work without the schema. */
  self->settings = g_settings_new ("io.github.threadline.Threadline");

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_entries, G_N_ELEMENTS (app_entries), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
}

static void
tl_application_finalize (GObject *object)
{
  TlApplication *self = TL_APPLICATION (object);

  g_clear_handle_id (&self->typing_timeout_id, g_source_remove);
  g_clear_handle_id (&self->countdown_id, g_source_remove);
  g_clear_object (&self->connection);
  g_clear_object (&self->store);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);
  g_free (self->url);
  g_free (self->token);
  g_free (self->current_url);

  G_OBJECT_CLASS (tl_application_parent_class)->finalize (object);
}

static void
tl_application_class_init (TlApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = tl_application_finalize;
  app_class->startup = tl_application_startup;
  app_class->activate = tl_application_activate;
  app_class->shutdown = tl_application_shutdown;
  app_class->command_line = tl_application_command_line;
  app_class->handle_local_options = tl_application_handle_local_options;
}

static void
tl_application_init (TlApplication *self)
{
  static const GOptionEntry entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
    { "demo", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Start a local demo backend with live activity and connect to it"), NULL },
    { "url", 0, 0, G_OPTION_ARG_STRING, NULL, N_("Connect to this backend for this run"), N_("URL") },
    { "token-file", 0, 0, G_OPTION_ARG_FILENAME, NULL, N_("Read the access token from this file"), N_("PATH") },
    { NULL }
  };

  self->store = tl_store_new ();
  self->cancellable = g_cancellable_new ();
  g_signal_connect_object (self->store, "message-added", G_CALLBACK (on_message_added_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store, "notify::active-conversation-id",
                           G_CALLBACK (on_active_conversation_cb), self, G_CONNECT_SWAPPED);
  g_application_add_main_option_entries (G_APPLICATION (self), entries);
  g_signal_connect_object (self->store, "typing-changed", G_CALLBACK (on_typing_changed_cb), self,
                           G_CONNECT_SWAPPED);
}

TlApplication *
tl_application_new (void)
{
  return g_object_new (TL_TYPE_APPLICATION,
                       /* .Devel in a development build, so it runs beside a
                        * stable install; schema and resources keep the
                        * stable id. */
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", "/io/github/threadline/Threadline",
                       NULL);
}
