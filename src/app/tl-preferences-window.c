/* tl-preferences-window.c — the backend, the token and how the app behaves
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything but the token is GSettings. The token never goes there: the
 * window hands it to app.set-token, which keeps it in the Secret Service.
 */
#define G_LOG_DOMAIN "threadline-app"

#include <glib/gi18n.h>

#include "tl-preferences-window.h"

struct _TlPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* template widgets */
  AdwEntryRow          *url_row;
  AdwPasswordEntryRow  *token_row;
  AdwComboRow          *removal_row;
  GtkSwitch            *notifications_switch;

  /* owned */
  GSettings            *settings;
};

G_DEFINE_FINAL_TYPE (TlPreferencesWindow, tl_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
on_url_apply_cb (TlPreferencesWindow *self)
{
  const char *url = gtk_editable_get_text (GTK_EDITABLE (self->url_row));

  g_settings_set_string (self->settings, "backend-url", url);
  gtk_widget_activate_action (GTK_WIDGET (self), "app.reconnect", NULL);
}

static void
on_token_apply_cb (TlPreferencesWindow *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "app.set-token", "s",
                              gtk_editable_get_text (GTK_EDITABLE (self->token_row)));
}

static void
on_removal_selected_cb (TlPreferencesWindow *self)
{
  g_settings_set_string (self->settings, "removal-behaviour",
                         adw_combo_row_get_selected (self->removal_row) == 1 ? "next" : "placeholder");
}

static void
tl_preferences_window_dispose (GObject *object)
{
  TlPreferencesWindow *self = TL_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), TL_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (tl_preferences_window_parent_class)->dispose (object);
}

static void
tl_preferences_window_class_init (TlPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tl_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/threadline/Threadline/tl-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TlPreferencesWindow, url_row);
  gtk_widget_class_bind_template_child (widget_class, TlPreferencesWindow, token_row);
  gtk_widget_class_bind_template_child (widget_class, TlPreferencesWindow, removal_row);
  gtk_widget_class_bind_template_child (widget_class, TlPreferencesWindow, notifications_switch);
  gtk_widget_class_bind_template_callback (widget_class, on_url_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_token_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_removal_selected_cb);
}

static void
tl_preferences_window_init (TlPreferencesWindow *self)
{
  g_autofree char *url = NULL;
  g_autofree char *removal = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new ("io.github.threadline.Threadline");
  url = g_settings_get_string (self->settings, "backend-url");
  gtk_editable_set_text (GTK_EDITABLE (self->url_row), url);
  removal = g_settings_get_string (self->settings, "removal-behaviour");
  adw_combo_row_set_selected (self->removal_row, g_strcmp0 (removal, "next") == 0 ? 1 : 0);
  g_settings_bind (self->settings, "notifications", self->notifications_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
}

GtkWidget *
tl_preferences_window_new (GtkWindow *parent)
{
  return g_object_new (TL_TYPE_PREFERENCES_WINDOW, "transient-for", parent, "modal", TRUE, NULL);
}

const char *
tl_preferences_window_get_token (TlPreferencesWindow *self)
{
  g_return_val_if_fail (TL_IS_PREFERENCES_WINDOW (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->token_row));
}

void
tl_preferences_window_set_token (TlPreferencesWindow *self,
                                 const char          *token)
{
  g_return_if_fail (TL_IS_PREFERENCES_WINDOW (self));
  gtk_editable_set_text (GTK_EDITABLE (self->token_row), token ? token : "");
}
