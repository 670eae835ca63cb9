/* tl-message-private.h — what the store may do to a message
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "tl-message.h"
#include "tl-event.h"
#include "tl-part.h"

G_BEGIN_DECLS

/* The store's id index is a set of messages (no separate values array); a
 * TlMessageKey on the stack stands in for a message to look one up by id. */
typedef struct
{
  GObject     parent_instance;
  const char *id;
} TlMessageKey;

#define TL_MESSAGE_KEY(message_id) (&(TlMessageKey) { .id = (message_id) })

guint      tl_message_key_hash          (gconstpointer          key);
gboolean   tl_message_key_equal         (gconstpointer          a,
                                         gconstpointer          b);

TlMessage *tl_message_new               (const char            *id,
                                         guint64                arrival);
/* @conversation_id is a GRefString the message shares with its conversation. */
void       tl_message_set_conversation  (TlMessage             *self,
                                         const char            *conversation_id);
/* With @replace every field takes the record's value (absent clears it);
 * without, only the fields the record carries change (a shallow merge). */
void       tl_message_apply_record      (TlMessage             *self,
                                         const TlMessageRecord *record,
                                         gboolean               replace);
gboolean   tl_message_record_moves      (TlMessage             *self,
                                         const TlMessageRecord *record,
                                         gboolean               replace);
gboolean   tl_message_get_created_ts    (TlMessage             *self,
                                         TlTimestamp           *out);
/* For TlSortedList: where the message keeps its list iterator. */
GSequenceIter **tl_message_list_slot    (gpointer               item);
void       tl_message_write_json        (TlMessage             *self,
                                         GString               *out);

/* For streams. */
GPtrArray *tl_message_ensure_parts      (TlMessage             *self);
void       tl_message_add_part          (TlMessage             *self,
                                         TlPart                *part);
void       tl_message_set_status        (TlMessage             *self,
                                         const char            *status);
void       tl_message_set_role          (TlMessage             *self,
                                         const char            *role);
void       tl_message_set_author        (TlMessage             *self,
                                         JsonNode              *author);
void       tl_message_merge_metadata    (TlMessage             *self,
                                         JsonObject            *metadata);
void       tl_message_set_error_text    (TlMessage             *self,
                                         const char            *error_text);

G_END_DECLS
