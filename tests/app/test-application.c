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

#include "tl-application.h"
#include "tl-window.h"
#include "tl-ui-test.h"

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
  g_autoptr(GSettings) settings = g_settings_new ("io.github.threadline.Threadline");
  g_autoptr(TlApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  TlUiTestServer *server = tl_ui_test_server_start ();
  GtkWindow *window;

  app = tl_application_new ();
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  window = gtk_application_get_windows (GTK_APPLICATION (app))->data;
  tl_ui_test_pump (100);

  /* First run: the token typed first, then the address. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "set-token",
                                  g_variant_new_string (server->token));
  g_settings_set_string (settings, "backend-url", server->url);
  g_action_group_activate_action (G_ACTION_GROUP (app), "reconnect", NULL);
  g_assert_true (has_conversations (tl_window_get_store (TL_WINDOW (window))));

  gtk_window_destroy (window);
  tl_ui_test_pump (50);
  g_settings_reset (settings, "backend-url");
  tl_ui_test_server_stop (server);
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
