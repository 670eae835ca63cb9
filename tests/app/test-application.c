/* test-application.c — TlApplication's account flow, against a real server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The application object runs in-process, as Preferences drive it: the
 * token through app.set-token, the address through GSettings and
 * app.reconnect. There is no session bus here, so no keyring either, which
 * is also how a first run without one behaves.
 */
#include <adwaita.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "tl-application.h"
#include "tl-window.h"
#include "tl-ui-test.h"

static void
die_with_parent (gpointer user_data)
{
#ifdef __linux__
  /* A failed assertion must not leave a server behind. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
#endif
}

static gboolean
has_conversations (TlStore *store)
{
  gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  /* The deadline only guards against a hang; the store decides. */
  while (g_list_model_get_n_items (tl_store_get_conversations (store)) == 0)
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, TRUE);
    }
  return TRUE;
}

static void
test_token_before_address (void)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GDataInputStream) input = NULL;
  g_autoptr(JsonNode) ready = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = g_settings_new ("io.github.threadline.Threadline");
  g_autoptr(TlApplication) app = NULL;
  g_autofree char *dir = g_dir_make_tmp ("threadline-app-XXXXXX", &error);
  g_autofree char *db = NULL;
  g_autofree char *line = NULL;
  JsonObject *ready_object;
  GtkWindow *window;

  g_assert_no_error (error);
  db = g_build_filename (dir, "demo.db", NULL);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  server = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("THREADLINE_SERVER"),
                                        "--demo", "--port", "0", "--db", db, NULL);
  g_assert_no_error (error);
  input = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line (input, NULL, NULL, &error);
  g_assert_no_error (error);
  ready = json_from_string (line, &error);
  g_assert_no_error (error);
  ready_object = json_node_get_object (ready);

  app = tl_application_new ();
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  window = gtk_application_get_windows (GTK_APPLICATION (app))->data;
  tl_ui_test_pump (100);

  /* First run: the token typed first, then the address. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "set-token",
                                  g_variant_new_string (json_object_get_string_member (ready_object, "token")));
  g_settings_set_string (settings, "backend-url", json_object_get_string_member (ready_object, "url"));
  g_action_group_activate_action (G_ACTION_GROUP (app), "reconnect", NULL);
  g_assert_true (has_conversations (tl_window_get_store (TL_WINDOW (window))));

  gtk_window_destroy (window);
  tl_ui_test_pump (50);
  g_settings_reset (settings, "backend-url");
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
}

int
main (int    argc,
      char **argv)
{
  /* No session bus: the application runs on its own, without a keyring. */
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "disabled:", TRUE);
  tl_ui_test_init (&argc, &argv);
  g_test_add_func ("/threadline/application/token-before-address", test_token_before_address);
  return g_test_run ();
}
