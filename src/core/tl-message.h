/* tl-message.h — one chat message
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TL_TYPE_MESSAGE (tl_message_get_type ())

G_DECLARE_FINAL_TYPE (TlMessage, tl_message, TL, MESSAGE, GObject)

const char *tl_message_get_id              (TlMessage *self);
const char *tl_message_get_conversation_id (TlMessage *self);
const char *tl_message_get_role            (TlMessage *self);
const char *tl_message_get_status          (TlMessage *self);
const char *tl_message_get_created_at      (TlMessage *self);
const char *tl_message_get_updated_at      (TlMessage *self);
const char *tl_message_get_edited_at       (TlMessage *self);
/* Compact JSON of the verbatim values, or NULL when absent. */
char       *tl_message_dup_parts_json      (TlMessage *self);
const char *tl_message_get_metadata_json   (TlMessage *self);
const char *tl_message_get_author_json     (TlMessage *self);
/* TlPart objects (created on first call), or NULL when the message has no
 * parts. notify::parts when the list changes; TlPart notifies its own text. */
GPtrArray  *tl_message_get_parts           (TlMessage *self);
/* Why a streamed reply failed (the error chunk's errorText), if it did. */
const char *tl_message_get_error_text      (TlMessage *self);

/* Thread order: createdAt as an instant, ties by id in byte order; messages
 * without createdAt after all others, in the order they were first received. */
int         tl_message_compare             (gconstpointer a,
                                            gconstpointer b,
                                            gpointer      user_data);

G_END_DECLS
