/* tl-preferences-window.h — the backend, the token and how the app behaves
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TL_TYPE_PREFERENCES_WINDOW (tl_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (TlPreferencesWindow, tl_preferences_window, TL, PREFERENCES_WINDOW, AdwPreferencesWindow)

GtkWidget *tl_preferences_window_new       (GtkWindow  *parent);
/* The token field's text (it is not kept in GSettings). */
const char *tl_preferences_window_get_token (TlPreferencesWindow *self);
void        tl_preferences_window_set_token (TlPreferencesWindow *self,
                                             const char          *token);

G_END_DECLS
