/* tl-conversation-row.h — one conversation in the sidebar
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "tl-conversation.h"
#include "tl-store.h"

G_BEGIN_DECLS

#define TL_TYPE_CONVERSATION_ROW (tl_conversation_row_get_type ())

G_DECLARE_FINAL_TYPE (TlConversationRow, tl_conversation_row, TL, CONVERSATION_ROW, GtkWidget)

GtkWidget      *tl_conversation_row_new              (TlStore           *store);
TlConversation *tl_conversation_row_get_conversation (TlConversationRow *self);
void            tl_conversation_row_set_conversation (TlConversationRow *self,
                                                      TlConversation    *conversation);

G_END_DECLS
