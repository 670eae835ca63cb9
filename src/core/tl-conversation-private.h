/* tl-conversation-private.h — what the store may do to a conversation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "tl-conversation.h"
#include "tl-event.h"
#include "tl-sorted-list.h"

G_BEGIN_DECLS

TlConversation *tl_conversation_new               (const char                 *id);
/* The id as a GRefString, for messages to share. */
const char     *tl_conversation_get_id_ref        (TlConversation             *self);
TlSortedList   *tl_conversation_get_message_list  (TlConversation             *self);
void            tl_conversation_apply_record      (TlConversation             *self,
                                                   const TlConversationRecord *record,
                                                   gboolean                    replace);
void            tl_conversation_set_history       (TlConversation             *self,
                                                   gboolean                    has_more,
                                                   const char                 *cursor);
void            tl_conversation_mark_read         (TlConversation             *self);
void            tl_conversation_set_receipt       (TlConversation             *self,
                                                   const char                 *user_id,
                                                   const char                 *message_id);
void            tl_conversation_clear_receipts    (TlConversation             *self);
/* @now is a monotonic time in µs; typing expires on its own later. */
gboolean        tl_conversation_set_typing        (TlConversation             *self,
                                                   const char                 *user_id,
                                                   gboolean                    typing,
                                                   gint64                      now);
/* Drops users whose last isTyping:true is at or before @cutoff; returns the
 * oldest remaining time, or G_MAXINT64. */
gint64          tl_conversation_expire_typing     (TlConversation             *self,
                                                   gint64                      cutoff);
gboolean        tl_conversation_has_typing        (TlConversation             *self);
void            tl_conversation_clear_typing      (TlConversation             *self);
gboolean        tl_conversation_set_presence      (TlConversation             *self,
                                                   const char                 *user_id,
                                                   gboolean                    online);

/* Untimed messages (no createdAt) are counted so the newest timestamped one
 * is found in O(log n) for the sidebar key. */
void            tl_conversation_count_untimed     (TlConversation             *self,
                                                   int                         delta);
void            tl_conversation_reset_untimed     (TlConversation             *self,
                                                   guint                       n_untimed);
/* Recomputes the sidebar key; TRUE when it changed. The caller must have
 * located the conversation in the sidebar under the old key beforehand. */
gboolean        tl_conversation_sort_key_would_change (TlConversation         *self);
void            tl_conversation_update_sort_key   (TlConversation             *self);

/* For TlSortedList: where the conversation keeps its sidebar iterator. */
GSequenceIter **tl_conversation_list_slot         (gpointer                    item);
void            tl_conversation_write_json        (TlConversation             *self,
                                                   GString                    *out);

G_END_DECLS
