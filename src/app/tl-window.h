/* tl-window.h — the main window: sidebar and thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "tl-store.h"

G_BEGIN_DECLS

typedef enum
{
  TL_WINDOW_STATUS_ONLINE,
  TL_WINDOW_STATUS_CONNECTING,
  TL_WINDOW_STATUS_SYNCING,
  TL_WINDOW_STATUS_OFFLINE,        /* retrying */
  TL_WINDOW_STATUS_AUTH_FAILED,
  TL_WINDOW_STATUS_UNSUPPORTED,
  TL_WINDOW_STATUS_CLOSED,
} TlWindowStatus;

#define TL_TYPE_WINDOW (tl_window_get_type ())

G_DECLARE_FINAL_TYPE (TlWindow, tl_window, TL, WINDOW, AdwApplicationWindow)

TlWindow *tl_window_new              (GtkApplication *application,
                                      TlStore        *store);
TlStore  *tl_window_get_store        (TlWindow       *self);
/* @retry_in_seconds: for OFFLINE, when the next attempt happens (-1: unknown). */
void      tl_window_set_status       (TlWindow       *self,
                                      TlWindowStatus  status,
                                      int             retry_in_seconds);
void      tl_window_show_toast       (TlWindow       *self,
                                      const char     *text);
/* First run, no backend configured: offer to connect or to try the demo. */
void      tl_window_set_welcome      (TlWindow       *self,
                                      gboolean        welcome);

G_END_DECLS
