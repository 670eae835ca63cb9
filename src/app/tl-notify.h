/* tl-notify.h — which new messages become desktop notifications
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "tl-store.h"

G_BEGIN_DECLS

typedef struct
{
  gboolean enabled;          /* the "notifications" preference */
  gboolean live;             /* connected and in sync: not a replay catching up */
  gboolean window_active;    /* the window has the focus */
} TlNotifyContext;

/* The notification for @message, or NULL when there should be none: not
 * live, turned off, the user's own words, a system message, or what the
 * user is looking at. Its id is the conversation's (one per conversation,
 * a newer message replaces it); clicking opens the conversation. */
GNotification *tl_notify_for_message (TlStore               *store,
                                      TlMessage             *message,
                                      const TlNotifyContext *context);

G_END_DECLS
