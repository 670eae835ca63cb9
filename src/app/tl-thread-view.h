/* tl-thread-view.h — the active conversation's messages, kept in view
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "tl-store.h"

G_BEGIN_DECLS

#define TL_TYPE_THREAD_VIEW (tl_thread_view_get_type ())

G_DECLARE_FINAL_TYPE (TlThreadView, tl_thread_view, TL, THREAD_VIEW, GtkWidget)

GtkWidget      *tl_thread_view_new              (TlStore        *store);
void            tl_thread_view_set_conversation (TlThreadView   *self,
                                                 TlConversation *conversation);
TlConversation *tl_thread_view_get_conversation (TlThreadView   *self);
/* Stick-to-bottom: TRUE while the newest message is in view. */
gboolean        tl_thread_view_get_stuck        (TlThreadView   *self);
void            tl_thread_view_scroll_to_end    (TlThreadView   *self);

G_END_DECLS
