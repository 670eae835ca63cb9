/* tl-conversation.h — one conversation and its thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TL_TYPE_CONVERSATION (tl_conversation_get_type ())

G_DECLARE_FINAL_TYPE (TlConversation, tl_conversation, TL, CONVERSATION, GObject)

const char  *tl_conversation_get_id              (TlConversation *self);
const char  *tl_conversation_get_title           (TlConversation *self);
const char  *tl_conversation_get_subtitle        (TlConversation *self);
const char  *tl_conversation_get_avatar_url      (TlConversation *self);
const char  *tl_conversation_get_read_state      (TlConversation *self);
const char  *tl_conversation_get_last_message_at (TlConversation *self);
gboolean     tl_conversation_has_unread_count    (TlConversation *self);
gint64       tl_conversation_get_unread_count    (TlConversation *self);
/* Shown as unread when unreadCount > 0 or readState is "unread". */
gboolean     tl_conversation_get_is_unread       (TlConversation *self);
JsonNode    *tl_conversation_get_participants    (TlConversation *self);
JsonNode    *tl_conversation_get_metadata        (TlConversation *self);
/* Its messages in thread order (TlMessage items). */
GListModel  *tl_conversation_get_messages        (TlConversation *self);
/* Sorted ids of the users typing now. */
const char * const *tl_conversation_get_typing   (TlConversation *self);
/* Whether the server has older messages, and the cursor to ask for them. */
gboolean     tl_conversation_get_has_more_history (TlConversation *self);
const char  *tl_conversation_get_history_cursor  (TlConversation *self);
/* user id → message id of that user's latest read receipt. */
GHashTable  *tl_conversation_get_receipts        (TlConversation *self);

/* Sidebar order: newest first by lastMessageAt (else the newest message's
 * createdAt), conversations with neither last, ties by id. */
int          tl_conversation_compare             (gconstpointer a,
                                                  gconstpointer b,
                                                  gpointer      user_data);

G_END_DECLS
