/* tl-secret.c — the access token in the Secret Service
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One item per backend URL, through libsecret's password API: gnome-keyring
 * (or KWallet, KeePassXC…) on a desktop, the Secret portal inside Flatpak.
 * libsecret's and D-Bus's errors are folded into TL_SECRET_ERROR so the app
 * can tell "there is no keyring here, keep the token for this session" from
 * a real failure. Tokens never appear in a log message or an error.
 */
#define G_LOG_DOMAIN "threadline-secret"

#include <glib/gi18n.h>
#include <libsecret/secret.h>

#include "tl-secret.h"

G_DEFINE_QUARK (tl-secret-error-quark, tl_secret_error)

static const SecretSchema token_schema = {
  TL_SECRET_SCHEMA_NAME,
  SECRET_SCHEMA_NONE,
  {
    { "url", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
};

static gboolean
is_unavailable (const GError *error)
{
  if (error->domain == G_DBUS_ERROR)
    {
      switch (error->code)
        {
        case G_DBUS_ERROR_SERVICE_UNKNOWN:
        case G_DBUS_ERROR_NAME_HAS_NO_OWNER:
        case G_DBUS_ERROR_NO_SERVER:
        case G_DBUS_ERROR_NO_REPLY:
        case G_DBUS_ERROR_TIMEOUT:
        case G_DBUS_ERROR_TIMED_OUT:
        case G_DBUS_ERROR_DISCONNECTED:
        case G_DBUS_ERROR_ACCESS_DENIED:
        case G_DBUS_ERROR_NOT_SUPPORTED:
        case G_DBUS_ERROR_UNKNOWN_METHOD:
        case G_DBUS_ERROR_UNKNOWN_INTERFACE:
        case G_DBUS_ERROR_UNKNOWN_OBJECT:
        case G_DBUS_ERROR_SPAWN_EXEC_FAILED:
        case G_DBUS_ERROR_SPAWN_FORK_FAILED:
        case G_DBUS_ERROR_SPAWN_CHILD_EXITED:
        case G_DBUS_ERROR_SPAWN_CHILD_SIGNALED:
        case G_DBUS_ERROR_SPAWN_FAILED:
        case G_DBUS_ERROR_SPAWN_SETUP_FAILED:
        case G_DBUS_ERROR_SPAWN_CONFIG_INVALID:
        case G_DBUS_ERROR_SPAWN_SERVICE_INVALID:
        case G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND:
        case G_DBUS_ERROR_SPAWN_PERMISSIONS_INVALID:
        case G_DBUS_ERROR_SPAWN_FILE_INVALID:
        case G_DBUS_ERROR_SPAWN_NO_MEMORY:
          return TRUE;
        default:
          return FALSE;
        }
    }
  /* No session bus at all: the address is missing, points nowhere, or
   * autolaunch is impossible. */
  return error->domain == G_IO_ERROR || error->domain == G_SPAWN_ERROR;
}

/* Takes @error; returns the error to report. Cancellation stays as it is. */
static GError *
translate_error (GError *error)
{
  GError *translated;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return error;

  g_debug ("Secret Service: %s (%s, %d)", error->message,
           g_quark_to_string (error->domain), error->code);
  if (g_error_matches (error, SECRET_ERROR, SECRET_ERROR_IS_LOCKED))
    translated = g_error_new_literal (TL_SECRET_ERROR, TL_SECRET_ERROR_LOCKED,
                                      _("The keyring is locked. The token is kept for this session only."));
  else if (is_unavailable (error))
    translated = g_error_new_literal (TL_SECRET_ERROR, TL_SECRET_ERROR_UNAVAILABLE,
                                      _("No keyring is available. The token is kept for this session only."));
  else
    translated = g_error_new (TL_SECRET_ERROR, TL_SECRET_ERROR_FAILED,
                              _("The keyring could not be used: %s"), error->message);
  g_error_free (error);
  return translated;
}

static void on_password_clear_cb (GObject      *source,
                                  GAsyncResult *result,
                                  gpointer      user_data);

/* Store */

static void
on_password_store_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (secret_password_store_finish (result, &error))
    g_task_return_boolean (task, TRUE);
  else if (error != NULL)
    g_task_return_error (task, translate_error (error));
  else
    g_task_return_new_error (task, TL_SECRET_ERROR, TL_SECRET_ERROR_FAILED,
                             _("The keyring did not store the token"));
}

void
tl_secret_store_token_async (const char          *url,
                             const char          *token,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *label = NULL;

  g_return_if_fail (url != NULL && *url != '\0');
  g_return_if_fail (token != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, tl_secret_store_token_async);
  /* An empty token (a cleared field in the preferences) means "none". */
  if (*token == '\0')
    {
      secret_password_clear (&token_schema, cancellable, on_password_clear_cb,
                             g_steal_pointer (&task),
                             "url", url,
                             NULL);
      return;
    }
  /* Translators: the name of the keyring item, shown in Passwords and Keys;
   * %s is the server's address */
  label = g_strdup_printf (_("Threadline token for %s"), url);
  secret_password_store (&token_schema, SECRET_COLLECTION_DEFAULT, label, token,
                         cancellable, on_password_store_cb, g_steal_pointer (&task),
                         "url", url,
                         NULL);
}

gboolean
tl_secret_store_token_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tl_secret_store_token_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Lookup */

static void
on_password_lookup_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *token = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    g_task_return_error (task, translate_error (error));
  else
    g_task_return_pointer (task, token, (GDestroyNotify) secret_password_free);
}

void
tl_secret_lookup_token_async (const char          *url,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (url != NULL && *url != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, tl_secret_lookup_token_async);
  secret_password_lookup (&token_schema, cancellable, on_password_lookup_cb,
                          g_steal_pointer (&task),
                          "url", url,
                          NULL);
}

char *
tl_secret_lookup_token_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tl_secret_lookup_token_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Clear */

static void
on_password_clear_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  /* FALSE without an error: there was nothing to remove. */
  if (!secret_password_clear_finish (result, &error) && error != NULL)
    g_task_return_error (task, translate_error (error));
  else
    g_task_return_boolean (task, TRUE);
}

void
tl_secret_clear_token_async (const char          *url,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (url != NULL && *url != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, tl_secret_clear_token_async);
  secret_password_clear (&token_schema, cancellable, on_password_clear_cb,
                         g_steal_pointer (&task),
                         "url", url,
                         NULL);
}

gboolean
tl_secret_clear_token_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tl_secret_clear_token_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
