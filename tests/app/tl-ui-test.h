/* tl-ui-test.h — what the window tests share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* gtk_test_init() and adw_init(), then the app's style sheet and icons,
 * which AdwApplication would load and these tests run without. */
void tl_ui_test_init       (int         *argc,
                            char      ***argv);
/* Lets GTK run (frames, idles) for about @ms, then drains what is ready. */
void tl_ui_test_pump       (guint        ms);
/* The @index-th mapped widget of @type below @root, in tree order. */
GtkWidget *tl_ui_test_find  (GtkWidget   *root,
                             GType        type,
                             guint        index);
/* How many mapped widgets of @type are below @root. */
guint      tl_ui_test_count (GtkWidget   *root,
                             GType        type);
/* Real input through the X server (XTEST), so that events travel GTK's
 * whole path: capture and bubble phases, bindings, gestures. Each call
 * gives @window the keyboard focus first, then lets GTK handle the events. */
void tl_ui_test_key   (GtkWindow       *window,
                       guint            keyval,
                       GdkModifierType  modifiers);
/* A primary-button click at the centre of @widget. */
void tl_ui_test_click (GtkWidget       *widget);
/* threadline-server --demo ($THREADLINE_SERVER) on a free loopback port,
 * with a throwaway database; it dies with the test if the test dies. */
typedef struct
{
  GSubprocess *process;
  char        *dir;
  char        *url;
  char        *token;
} TlUiTestServer;

TlUiTestServer *tl_ui_test_server_start (void);
/* Stops it and removes its database. */
void            tl_ui_test_server_stop  (TlUiTestServer *server);

/* Saves @widget as @name (a PNG) under $TL_SCREENSHOT_DIR, if set. */
void tl_ui_test_screenshot (GtkWidget   *widget,
                            const char  *name);

G_END_DECLS
