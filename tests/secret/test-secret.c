/* test-secret.c — the token in a real Secret Service
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs gnome-keyring-daemon on a private session bus (GTestDBus) with a
 * throwaway home, so the user's keyring is never touched. Without
 * gnome-keyring-daemon installed, the keyring case is skipped and says why;
 * the "no Secret Service" cases always run, in subprocesses.
 */
#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <signal.h>

#include "tl-secret.h"

#define URL_A "wss://chat.example.com/v1/stream"
#define URL_B "wss://other.example.org/v1/stream"

typedef struct
{
  GMainLoop    *loop;
  GAsyncResult *result;
} Wait;

static void
on_done_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = g_object_ref (result);
  g_main_loop_quit (wait->loop);
}

static GAsyncResult *
wait_for (Wait *wait)
{
  g_main_loop_run (wait->loop);
  return wait->result;
}

static void
wait_init (Wait *wait)
{
  wait->loop = g_main_loop_new (NULL, FALSE);
  wait->result = NULL;
}

static void
wait_clear (Wait *wait)
{
  g_clear_object (&wait->result);
  g_clear_pointer (&wait->loop, g_main_loop_unref);
}

static gboolean
store (const char    *url,
       const char    *token,
       GCancellable  *cancellable,
       GError       **error)
{
  Wait wait;
  gboolean ok;

  wait_init (&wait);
  tl_secret_store_token_async (url, token, cancellable, on_done_cb, &wait);
  ok = tl_secret_store_token_finish (wait_for (&wait), error);
  wait_clear (&wait);
  return ok;
}

static char *
lookup (const char  *url,
        GError     **error)
{
  Wait wait;
  char *token;

  wait_init (&wait);
  tl_secret_lookup_token_async (url, NULL, on_done_cb, &wait);
  token = tl_secret_lookup_token_finish (wait_for (&wait), error);
  wait_clear (&wait);
  return token;
}

static gboolean
clear (const char  *url,
       GError     **error)
{
  Wait wait;
  gboolean ok;

  wait_init (&wait);
  tl_secret_clear_token_async (url, NULL, on_done_cb, &wait);
  ok = tl_secret_clear_token_finish (wait_for (&wait), error);
  wait_clear (&wait);
  return ok;
}

static void
drain_main_context (void)
{
  gint64 until = g_get_monotonic_time () + G_USEC_PER_SEC / 5;

  while (g_get_monotonic_time () < until)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (5 * 1000);
}

static void
assert_all_unavailable (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  g_assert_false (store (URL_A, "tl_secret", NULL, &error));
  g_assert_error (error, TL_SECRET_ERROR, TL_SECRET_ERROR_UNAVAILABLE);
  /* The message is for the user: it says what happens to the token. */
  g_assert_nonnull (strstr (error->message, "session"));
  g_clear_error (&error);

  token = lookup (URL_A, &error);
  g_assert_null (token);
  g_assert_error (error, TL_SECRET_ERROR, TL_SECRET_ERROR_UNAVAILABLE);
  g_clear_error (&error);

  g_assert_false (clear (URL_A, &error));
  g_assert_error (error, TL_SECRET_ERROR, TL_SECRET_ERROR_UNAVAILABLE);
}

/* No session bus at all (a bare TTY, a container) */
static void
test_no_bus (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *dir = g_dir_make_tmp ("tl-secret-nobus-XXXXXX", NULL);
      g_autofree char *address = g_strdup_printf ("unix:path=%s/no-bus", dir);

      g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);
      assert_all_unavailable ();
      g_rmdir (dir);
      return;
    }
  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* A session bus on which nobody provides org.freedesktop.secrets */
static void
test_no_service (void)
{
  if (g_test_subprocess ())
    {
      /* Leaked on purpose, like the keyring case's: see there. */
      GTestDBus *bus = g_test_dbus_new (G_TEST_DBUS_NONE);

      g_test_dbus_up (bus);
      assert_all_unavailable ();
      secret_service_disconnect ();
      drain_main_context ();
      g_test_dbus_stop (bus);
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* A real gnome-keyring-daemon */

static gboolean
name_has_owner (GDBusConnection *connection,
                const char      *name)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

/* Exactly one item for @url under TL_SECRET_SCHEMA_NAME, labelled with it */
static void
assert_one_item (const char *url)
{
  g_autoptr(GHashTable) attributes = g_hash_table_new (g_str_hash, g_str_equal);
  g_autolist(SecretItem) items = NULL;
  g_autoptr(SecretService) service = NULL;
  g_autoptr(GError) error = NULL;

  service = secret_service_get_sync (SECRET_SERVICE_NONE, NULL, &error);
  g_assert_no_error (error);
  g_hash_table_insert (attributes, (gpointer) "url", (gpointer) url);
  g_hash_table_insert (attributes, (gpointer) "xdg:schema", (gpointer) TL_SECRET_SCHEMA_NAME);
  items = secret_service_search_sync (service, NULL, attributes, SECRET_SEARCH_ALL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_length (items), ==, 1);
  g_assert_nonnull (strstr (secret_item_get_label (items->data), url));
}

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);

        if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
          rm_rf (child);
        else
          g_unlink (child);
      }
  g_rmdir (path);
}

static void
keyring_round_trip (const char *daemon_path)
{
  GTestDBus *bus = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GCancellable) cancelled = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *home = NULL;
  g_autofree char *data = NULL;
  g_autofree char *runtime = NULL;
  g_autofree char *token = NULL;
  GOutputStream *stdin_pipe;
  gint64 deadline;
  gboolean ok;

  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);

  home = g_dir_make_tmp ("tl-secret-home-XXXXXX", &error);
  g_assert_no_error (error);
  data = g_build_filename (home, "data", NULL);
  runtime = g_build_filename (home, "runtime", NULL);
  g_assert_cmpint (g_mkdir_with_parents (data, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (runtime, 0700), ==, 0);

  /* --unlock reads the password of a new "login" keyring from stdin; it
   * becomes the default collection, unlocked. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
  /* The daemon warns when an item is replaced; our fatal-warnings is not for it. */
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  g_subprocess_launcher_unsetenv (launcher, "MALLOC_CHECK_");
  g_subprocess_launcher_unsetenv (launcher, "MALLOC_PERTURB_");
  g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", runtime, TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                g_test_dbus_get_bus_address (bus), TRUE);
  daemon = g_subprocess_launcher_spawn (launcher, &error, daemon_path,
                                        "--foreground", "--unlock", "--components=secrets", NULL);
  g_assert_no_error (error);
  stdin_pipe = g_subprocess_get_stdin_pipe (daemon);
  g_output_stream_write_all (stdin_pipe, "test-password", strlen ("test-password"), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (stdin_pipe, NULL, &error);
  g_assert_no_error (error);

  connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (!name_has_owner (connection, "org.freedesktop.secrets"))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * 1000);
    }

  /* Nothing stored yet: NULL, and no error */
  token = lookup (URL_A, &error);
  g_assert_no_error (error);
  g_assert_null (token);

  /* Store, read back; one item per URL */
  ok = store (URL_A, "tl_token_a", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  ok = store (URL_B, "tl_token_b", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  token = lookup (URL_A, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "tl_token_a");
  g_clear_pointer (&token, g_free);

  /* The item is findable by other tools under the documented schema */
  assert_one_item (URL_B);

  /* Storing again replaces, it does not add a second item */
  ok = store (URL_A, "tl_token_a2", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  token = lookup (URL_A, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "tl_token_a2");
  g_clear_pointer (&token, g_free);
  assert_one_item (URL_A);

  /* Clear removes only that URL's token, and clearing twice is fine */
  g_assert_true (clear (URL_A, &error));
  g_assert_no_error (error);
  g_assert_true (clear (URL_A, &error));
  g_assert_no_error (error);
  token = lookup (URL_A, &error);
  g_assert_no_error (error);
  g_assert_null (token);
  token = lookup (URL_B, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "tl_token_b");
  g_clear_pointer (&token, g_free);

  /* Cancellation is reported as such, not as a missing keyring */
  cancelled = g_cancellable_new ();
  g_cancellable_cancel (cancelled);
  g_assert_false (store (URL_A, "tl_token_x", cancelled, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* An empty token removes the stored one */
  ok = store (URL_B, "", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  token = lookup (URL_B, &error);
  g_assert_no_error (error);
  g_assert_null (token);

  /* libsecret lets go of the bus connection from idle callbacks */
  secret_service_disconnect ();
  g_clear_object (&connection);
  drain_main_context ();
  g_subprocess_send_signal (daemon, SIGTERM);
  g_subprocess_wait (daemon, NULL, NULL);
  /* Not g_test_dbus_down(), and @bus is not unreffed (that calls it): it
   * waits for the session bus connection to be finalized, and libsecret's
   * singletons keep a reference to it. This process exits right after. */
  g_test_dbus_stop (bus);
  rm_rf (home);
}

static void
test_keyring (void)
{
  g_autofree char *daemon_path = g_find_program_in_path ("gnome-keyring-daemon");

  if (daemon_path == NULL)
    {
      g_test_skip ("gnome-keyring-daemon is not installed (Debian: apt install gnome-keyring); "
                   "the Secret Service round trip was not tested");
      return;
    }
  if (g_test_subprocess ())
    {
      keyring_round_trip (daemon_path);
      return;
    }
  g_test_trap_subprocess (NULL, 90 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/threadline/secret/unavailable/no-bus", test_no_bus);
  g_test_add_func ("/threadline/secret/unavailable/no-service", test_no_service);
  g_test_add_func ("/threadline/secret/keyring", test_keyring);

  return g_test_run ();
}
