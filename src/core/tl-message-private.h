/* tl-message-private.h — what the store may do to a message
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "tl-message.h"
#include "tl-event.h"
#include "tl-part.h"

G_BEGIN_DECLS

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
