/* tl-snapshot.h — a snapshot being received, kept off to the side
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "tl-event.h"

G_BEGIN_DECLS

typedef struct _TlSnapshot TlSnapshot;

typedef struct
{
  const TlMessageRecord *record;
  const char            *conversation_id;  /* the record's, else its page's */
} TlSnapshotMessage;

TlSnapshot *tl_snapshot_new                (TlEvent     *begin);
void        tl_snapshot_free               (TlSnapshot  *self);
const char *tl_snapshot_get_epoch          (TlSnapshot  *self);
gint64      tl_snapshot_get_at_seq         (TlSnapshot  *self);
void        tl_snapshot_set_at_seq         (TlSnapshot  *self,
                                            gint64       at_seq);
void        tl_snapshot_add_conversations  (TlSnapshot  *self,
                                            TlEvent     *event);
void        tl_snapshot_add_messages       (TlSnapshot  *self,
                                            TlEvent     *event);
/* Conversation ids in first-seen order, pages' placeholders included. */
GPtrArray  *tl_snapshot_get_conversation_ids (TlSnapshot *self);
/* The conversation's record, or NULL for a placeholder. */
const TlConversationRecord *
            tl_snapshot_lookup_conversation (TlSnapshot *self,
                                            const char  *id);
/* TlSnapshotMessage* in first-seen order; a repeated id keeps its first
 * position and takes the later copy's record. */
GPtrArray  *tl_snapshot_get_messages       (TlSnapshot  *self);
/* The last snapshot-messages page of @conversation_id, or NULL. */
TlEvent    *tl_snapshot_get_last_page      (TlSnapshot  *self,
                                            const char  *conversation_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlSnapshot, tl_snapshot_free)

G_END_DECLS
