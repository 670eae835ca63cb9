/* tl-snapshot.c — a snapshot being received, kept off to the side
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The pages only reference records inside their events, so the snapshot
 * keeps those events alive until the store swaps it in.
 */
#define G_LOG_DOMAIN "threadline-core"

#include "tl-snapshot.h"

struct _TlSnapshot
{
  char       *epoch;
  gint64      at_seq;
  GPtrArray  *events;             /* TlEvent*, owned */
  GHashTable *conversations;      /* id → TlConversationRecord* or NULL (placeholder) */
  GPtrArray  *conversation_ids;   /* borrowed ids, first-seen order */
  GHashTable *messages;           /* id → TlSnapshotMessage* */
  GPtrArray  *message_order;      /* TlSnapshotMessage*, owned */
  GHashTable *last_pages;         /* conversation id → TlEvent (borrowed) */
};

TlSnapshot *
tl_snapshot_new (TlEvent *begin)
{
  TlSnapshot *self = g_new0 (TlSnapshot, 1);

  self->epoch = g_strdup (begin->epoch);
  self->at_seq = begin->at_seq;
  self->events = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_event_unref);
  self->conversations = g_hash_table_new (g_str_hash, g_str_equal);
  self->conversation_ids = g_ptr_array_new ();
  self->messages = g_hash_table_new (g_str_hash, g_str_equal);
  self->message_order = g_ptr_array_new_with_free_func (g_free);
  self->last_pages = g_hash_table_new (g_str_hash, g_str_equal);
  return self;
}

void
tl_snapshot_free (TlSnapshot *self)
{
  g_free (self->epoch);
  g_hash_table_unref (self->conversations);
  g_ptr_array_unref (self->conversation_ids);
  g_hash_table_unref (self->messages);
  g_ptr_array_unref (self->message_order);
  g_hash_table_unref (self->last_pages);
  g_ptr_array_unref (self->events);
  g_free (self);
}

const char *
tl_snapshot_get_epoch (TlSnapshot *self)
{
  return self->epoch;
}

gint64
tl_snapshot_get_at_seq (TlSnapshot *self)
{
  return self->at_seq;
}

void
tl_snapshot_set_at_seq (TlSnapshot *self,
                        gint64      at_seq)
{
  self->at_seq = at_seq;
}

static void
note_conversation (TlSnapshot                 *self,
                   const char                 *id,
                   const TlConversationRecord *record)
{
  gpointer old;

  if (!g_hash_table_lookup_extended (self->conversations, id, NULL, &old))
    {
      g_ptr_array_add (self->conversation_ids, (gpointer) id);
      g_hash_table_insert (self->conversations, (gpointer) id, (gpointer) record);
    }
  else if (record != NULL)
    g_hash_table_insert (self->conversations, (gpointer) id, (gpointer) record);
}

void
tl_snapshot_add_conversations (TlSnapshot *self,
                               TlEvent    *event)
{
  g_ptr_array_add (self->events, tl_event_ref (event));
  for (guint i = 0; i < event->records->len; i++)
    {
      const TlConversationRecord *record = g_ptr_array_index (event->records, i);

      note_conversation (self, record->id, record);
    }
}

void
tl_snapshot_add_messages (TlSnapshot *self,
                          TlEvent    *event)
{
  g_ptr_array_add (self->events, tl_event_ref (event));
  g_hash_table_insert (self->last_pages, (gpointer) event->conversation_id, event);
  for (guint i = 0; i < event->records->len; i++)
    {
      const TlMessageRecord *record = g_ptr_array_index (event->records, i);
      const char *conversation_id = record->conversation_id ? record->conversation_id
                                                            : event->conversation_id;
      TlSnapshotMessage *staged = g_hash_table_lookup (self->messages, record->id);

      note_conversation (self, conversation_id, NULL);
      if (staged == NULL)
        {
          staged = g_new0 (TlSnapshotMessage, 1);
          g_ptr_array_add (self->message_order, staged);
        }
      staged->record = record;
      staged->conversation_id = conversation_id;
      g_hash_table_insert (self->messages, (gpointer) record->id, staged);
    }
}

GPtrArray *
tl_snapshot_get_conversation_ids (TlSnapshot *self)
{
  return self->conversation_ids;
}

const TlConversationRecord *
tl_snapshot_lookup_conversation (TlSnapshot *self,
                                 const char *id)
{
  return g_hash_table_lookup (self->conversations, id);
}

GPtrArray *
tl_snapshot_get_messages (TlSnapshot *self)
{
  return self->message_order;
}

TlEvent *
tl_snapshot_get_last_page (TlSnapshot *self,
                           const char *conversation_id)
{
  return g_hash_table_lookup (self->last_pages, conversation_id);
}
