/* tl-store.h — the normalized client state and the one place events apply
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "tl-conversation.h"
#include "tl-event.h"
#include "tl-message.h"

G_BEGIN_DECLS

#define TL_TYPE_STORE (tl_store_get_type ())

G_DECLARE_FINAL_TYPE (TlStore, tl_store, TL, STORE, GObject)

typedef enum
{
  /* An apply file (threadline-cli apply): durable events may omit seq, and a
   * seq gap is reported but the event applies anyway. Live connections pass 0:
   * durable events need a seq and a gap applies nothing. */
  TL_APPLY_FLAGS_FILE = 1 << 0,
} TlApplyFlags;

typedef enum
{
  TL_APPLY_APPLIED,
  TL_APPLY_GAP,        /* live: nothing applied, resume; file: applied after a gap */
  TL_APPLY_DUPLICATE,  /* seq already applied (or covered by a snapshot): dropped */
  TL_APPLY_HELD,       /* durable event during a snapshot, applied after the swap */
  TL_APPLY_IGNORED,    /* accepted no-op: heartbeat, pong, unknown type, stray snapshot frame */
  TL_APPLY_INVALID,    /* skipped with an error; any seq it carried is consumed */
} TlApplyResult;

TlStore        *tl_store_new                       (void);

GListModel     *tl_store_get_conversations         (TlStore      *self);
TlConversation *tl_store_lookup_conversation       (TlStore      *self,
                                                    const char   *id);
TlMessage      *tl_store_lookup_message            (TlStore      *self,
                                                    const char   *id);

const char     *tl_store_get_active_conversation_id (TlStore     *self);
void            tl_store_set_active_conversation_id (TlStore     *self,
                                                    const char   *id);
const char     *tl_store_get_local_user_id         (TlStore      *self);
void            tl_store_set_local_user_id         (TlStore      *self,
                                                    const char   *id);
const char     *tl_store_get_epoch                 (TlStore      *self);
gint64          tl_store_get_seq                   (TlStore      *self);
gboolean        tl_store_get_in_snapshot           (TlStore      *self);
/* user id → GINT_TO_POINTER (isOnline + 1) */
GHashTable     *tl_store_get_presence              (TlStore      *self);

/* Decodes, validates and applies one frame's JSON. */
TlApplyResult   tl_store_apply_node                (TlStore      *self,
                                                    JsonNode     *root,
                                                    TlApplyFlags  flags,
                                                    GError      **error);
TlApplyResult   tl_store_apply_event               (TlStore      *self,
                                                    TlEvent      *event,
                                                    TlApplyFlags  flags,
                                                    GError      **error);
/* Consumes the seq of an event that could not be parsed (see tl_event_parse()). */
TlApplyResult   tl_store_consume_seq               (TlStore      *self,
                                                    gint64        seq,
                                                    TlApplyFlags  flags);

/* Between begin and end every model changes at most once, in one
 * items-changed spanning what differs. Calls nest. */
void            tl_store_begin_batch               (TlStore      *self);
void            tl_store_end_batch                 (TlStore      *self);

char           *tl_store_dump                      (TlStore      *self);

/* Typing expires TL_TYPING_TIMEOUT_US after the last isTyping:true on the
 * store's monotonic clock (g_get_monotonic_time() unless tests set another).
 * Nothing expires on its own: whoever owns a main loop calls expire_typing()
 * at the deadline it returns (-1 when nobody is typing). */
#define TL_TYPING_TIMEOUT_US (8 * G_USEC_PER_SEC)
typedef gint64 (*TlClockFunc) (gpointer user_data);
void            tl_store_set_clock                 (TlStore      *self,
                                                    TlClockFunc   clock,
                                                    gpointer      user_data);
gint64          tl_store_expire_typing             (TlStore      *self);
/* On disconnect. */
void            tl_store_clear_typing              (TlStore      *self);
/* At welcome: presence is replaced by what the server re-sends after it.
 * Participants keep the isOnline they carry until it arrives. */
void            tl_store_clear_presence            (TlStore      *self);

/* After a history page: whether older messages remain, and from where. */
void            tl_store_set_history_position      (TlStore      *self,
                                                    const char   *conversation_id,
                                                    gboolean      has_more,
                                                    const char   *cursor);

/* Streams in progress, for hello.streams: ids of replies not yet over, and
 * the highest contiguous chunk sequence applied to each. */
GStrv           tl_store_dup_stream_ids            (TlStore      *self);
gint64          tl_store_get_stream_sequence       (TlStore      *self,
                                                    const char   *message_id);
gboolean        tl_store_stream_has_gap            (TlStore      *self,
                                                    const char   *message_id);
/* The server's full copy of a streaming message (a get-message reply) at
 * chunk @sequence: replaces the message and continues after @sequence. */
gboolean        tl_store_resync_stream             (TlStore      *self,
                                                    JsonNode     *message,
                                                    gint64        sequence,
                                                    GError      **error);

G_END_DECLS
