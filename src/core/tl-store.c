/* tl-store.c — the normalized client state and the one place events apply
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every lookup is by id through a hash table and every position is found by
 * binary search on the sort key, so no event costs time linear in the size of
 * a thread or of the sidebar (a cascade delete is linear in what it deletes).
 * Each applied event, and each batch, runs inside a store batch: a model it
 * touches emits one items-changed at the end, spanning exactly what changed.
 */
#define G_LOG_DOMAIN "threadline-core"

#include "tl-store.h"
#include "tl-conversation-private.h"
#include "tl-json.h"
#include "tl-message-private.h"
#include "tl-snapshot.h"
#include "tl-sorted-list.h"
#include "tl-stream.h"

#include <string.h>

typedef struct
{
  gint64   seq;
  TlEvent *event;   /* NULL for an invalid event whose seq still counts */
} HeldEvent;

struct _TlStore
{
  GObject       parent_instance;

  TlSortedList *sidebar;
  GHashTable   *conversations;    /* id (borrowed) → TlConversation (owned) */
  GHashTable   *messages;         /* set of TlMessage (owned by their threads), by id */
  GHashTable   *participation;    /* user id → set of TlConversation* they take part in */
  GHashTable   *presence;         /* user id → GINT_TO_POINTER (isOnline + 1) */
  GHashTable   *unknown_types;    /* types already reported */

  char         *active_conversation_id;
  char         *local_user_id;
  char         *epoch;
  gint64        seq;
  guint64       arrival;

  guint         batch_depth;
  GPtrArray    *batched_lists;    /* TlSortedList* in a batch of ours, owned */

  TlSnapshot   *snapshot;
  GArray       *held;             /* HeldEvent */

  GHashTable   *streams;          /* message id → TlStream, not over yet */
  GHashTable   *ended_streams;    /* message ids whose stream is over for good */
  GHashTable   *typing;           /* set of TlConversation* with someone typing */
  GPtrArray    *added;            /* TlMessage* created in this batch, announced after it */
  TlClockFunc   clock;
  gpointer      clock_data;
};

enum {
  SIGNAL_STREAM_GAP,
  SIGNAL_TYPING_CHANGED,
  SIGNAL_MESSAGE_ADDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

enum {
  PROP_0,
  PROP_ACTIVE_CONVERSATION_ID,
  PROP_LOCAL_USER_ID,
  PROP_EPOCH,
  PROP_SEQ,
  PROP_IN_SNAPSHOT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (TlStore, tl_store, G_TYPE_OBJECT)

static void
clear_held (gpointer data)
{
  HeldEvent *held = data;

  g_clear_pointer (&held->event, tl_event_unref);
}

static void
tl_store_finalize (GObject *object)
{
  TlStore *self = TL_STORE (object);

  g_clear_pointer (&self->snapshot, tl_snapshot_free);
  g_clear_pointer (&self->held, g_array_unref);
  g_clear_pointer (&self->streams, g_hash_table_unref);
  g_clear_pointer (&self->ended_streams, g_hash_table_unref);
  g_clear_pointer (&self->typing, g_hash_table_unref);
  g_clear_pointer (&self->added, g_ptr_array_unref);
  g_clear_pointer (&self->batched_lists, g_ptr_array_unref);
  g_clear_pointer (&self->messages, g_hash_table_unref);
  g_clear_pointer (&self->participation, g_hash_table_unref);
  g_clear_pointer (&self->conversations, g_hash_table_unref);
  g_clear_pointer (&self->presence, g_hash_table_unref);
  g_clear_pointer (&self->unknown_types, g_hash_table_unref);
  g_clear_object (&self->sidebar);
  g_free (self->active_conversation_id);
  g_free (self->local_user_id);
  g_free (self->epoch);

  G_OBJECT_CLASS (tl_store_parent_class)->finalize (object);
}

static void
tl_store_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  TlStore *self = TL_STORE (object);

  switch (prop_id)
    {
    case PROP_ACTIVE_CONVERSATION_ID:
      g_value_set_string (value, self->active_conversation_id);
      break;
    case PROP_LOCAL_USER_ID:
      g_value_set_string (value, self->local_user_id);
      break;
    case PROP_EPOCH:
      g_value_set_string (value, self->epoch);
      break;
    case PROP_SEQ:
      g_value_set_int64 (value, self->seq);
      break;
    case PROP_IN_SNAPSHOT:
      g_value_set_boolean (value, self->snapshot != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tl_store_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  TlStore *self = TL_STORE (object);

  switch (prop_id)
    {
    case PROP_ACTIVE_CONVERSATION_ID:
      tl_store_set_active_conversation_id (self, g_value_get_string (value));
      break;
    case PROP_LOCAL_USER_ID:
      tl_store_set_local_user_id (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tl_store_class_init (TlStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = tl_store_finalize;
  object_class->get_property = tl_store_get_property;
  object_class->set_property = tl_store_set_property;

  properties[PROP_ACTIVE_CONVERSATION_ID] =
    g_param_spec_string ("active-conversation-id", NULL, NULL, NULL, rw);
  properties[PROP_LOCAL_USER_ID] = g_param_spec_string ("local-user-id", NULL, NULL, NULL, rw);
  properties[PROP_EPOCH] = g_param_spec_string ("epoch", NULL, NULL, NULL, ro);
  properties[PROP_SEQ] = g_param_spec_int64 ("seq", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_IN_SNAPSHOT] = g_param_spec_boolean ("in-snapshot", NULL, NULL, FALSE, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A stream got a chunk ahead of a gap; the connection asks the server for
   * the message if the gap is still there a moment later. */
  signals[SIGNAL_STREAM_GAP] =
    g_signal_new ("stream-gap", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /* Someone started or stopped typing somewhere: whoever runs the clock
   * asks tl_store_expire_typing() for the next deadline. */
  /* A message the store had not seen, after its batch reached the models:
   * for notifications. A snapshot's messages are state, not news. */
  signals[SIGNAL_MESSAGE_ADDED] =
    g_signal_new ("message-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, TL_TYPE_MESSAGE);

  signals[SIGNAL_TYPING_CHANGED] =
    g_signal_new ("typing-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static gint64
monotonic_clock (gpointer user_data)
{
  return g_get_monotonic_time ();
}

static void
tl_store_init (TlStore *self)
{
  self->sidebar = tl_sorted_list_new (TL_TYPE_CONVERSATION, tl_conversation_compare, NULL,
                                      tl_conversation_list_slot);
  self->conversations = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  self->messages = g_hash_table_new (tl_message_key_hash, tl_message_key_equal);
  self->participation = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify) g_hash_table_unref);
  self->presence = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->unknown_types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->batched_lists = g_ptr_array_new_with_free_func (g_object_unref);
  self->held = g_array_new (FALSE, FALSE, sizeof (HeldEvent));
  g_array_set_clear_func (self->held, clear_held);
  self->streams = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify) tl_stream_free);
  self->ended_streams = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->typing = g_hash_table_new (NULL, NULL);
  self->added = g_ptr_array_new_with_free_func (g_object_unref);
  self->clock = monotonic_clock;
}

TlStore *
tl_store_new (void)
{
  return g_object_new (TL_TYPE_STORE, NULL);
}

/* Batching */

void
tl_store_begin_batch (TlStore *self)
{
  g_return_if_fail (TL_IS_STORE (self));

  if (self->batch_depth++ == 0)
    {
      /* Property changes wait for the models: a listener hearing that the
       * active conversation changed must find every model consistent with
       * what it was told. */
      g_object_freeze_notify (G_OBJECT (self));
      tl_sorted_list_begin_batch (self->sidebar);
      g_ptr_array_add (self->batched_lists, g_object_ref (self->sidebar));
    }
}

void
tl_store_end_batch (TlStore *self)
{
  g_autoptr(GPtrArray) lists = NULL;
  g_autoptr(GPtrArray) added = NULL;

  g_return_if_fail (TL_IS_STORE (self));
  g_return_if_fail (self->batch_depth > 0);

  if (--self->batch_depth > 0)
    return;

  /* Swap first: a listener reacting to items-changed may apply more events. */
  lists = g_steal_pointer (&self->batched_lists);
  self->batched_lists = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < lists->len; i++)
    tl_sorted_list_end_batch (lists->pdata[i]);
  g_object_thaw_notify (G_OBJECT (self));

  added = g_steal_pointer (&self->added);
  self->added = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < added->len; i++)
    g_signal_emit (self, signals[SIGNAL_MESSAGE_ADDED], 0, added->pdata[i]);
}

/* Every mutation of a list goes through here, so a list joins the current
 * batch the first time it is touched. */
static TlSortedList *
touch (TlStore      *self,
       TlSortedList *list)
{
  /* Only the store batches these lists, so "in a batch" means "in ours". */
  if (self->batch_depth > 0 && !tl_sorted_list_in_batch (list))
    {
      tl_sorted_list_begin_batch (list);
      g_ptr_array_add (self->batched_lists, g_object_ref (list));
    }
  return list;
}

/* Active conversation */

const char *
tl_store_get_active_conversation_id (TlStore *self)
{
  g_return_val_if_fail (TL_IS_STORE (self), NULL);
  return self->active_conversation_id;
}

void
tl_store_set_active_conversation_id (TlStore    *self,
                                     const char *id)
{
  g_return_if_fail (TL_IS_STORE (self));

  if (g_strcmp0 (self->active_conversation_id, id) == 0)
    return;
  g_free (self->active_conversation_id);
  self->active_conversation_id = g_strdup (id);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTIVE_CONVERSATION_ID]);
}

const char *
tl_store_get_local_user_id (TlStore *self)
{
  g_return_val_if_fail (TL_IS_STORE (self), NULL);
  return self->local_user_id;
}

void
tl_store_set_local_user_id (TlStore    *self,
                            const char *id)
{
  g_return_if_fail (TL_IS_STORE (self));

  if (g_strcmp0 (self->local_user_id, id) == 0)
    return;
  g_free (self->local_user_id);
  self->local_user_id = g_strdup (id);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCAL_USER_ID]);
}

const char *
tl_store_get_epoch (TlStore *self)
{
  g_return_val_if_fail (TL_IS_STORE (self), NULL);
  return self->epoch;
}

gint64
tl_store_get_seq (TlStore *self)
{
  g_return_val_if_fail (TL_IS_STORE (self), 0);
  return self->seq;
}

gboolean
tl_store_get_in_snapshot (TlStore *self)
{
  g_return_val_if_fail (TL_IS_STORE (self), FALSE);
  return self->snapshot != NULL;
}

GHashTable *
tl_store_get_presence (TlStore *self)
{
  g_return_val_if_fail (TL_IS_STORE (self), NULL);
  return self->presence;
}

GListModel *
tl_store_get_conversations (TlStore *self)
{
  g_return_val_if_fail (TL_IS_STORE (self), NULL);
  return G_LIST_MODEL (self->sidebar);
}

TlConversation *
tl_store_lookup_conversation (TlStore    *self,
                              const char *id)
{
  g_return_val_if_fail (TL_IS_STORE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);
  return g_hash_table_lookup (self->conversations, id);
}

TlMessage *
tl_store_lookup_message (TlStore    *self,
                         const char *id)
{
  g_return_val_if_fail (TL_IS_STORE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);
  return g_hash_table_lookup (self->messages, TL_MESSAGE_KEY (id));
}

static void
set_seq (TlStore *self,
         gint64   seq)
{
  if (self->seq == seq)
    return;
  self->seq = seq;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEQ]);
}

/* Sidebar */

/* Call after anything that may change @conversation's sidebar key: its
 * lastMessageAt or its newest timestamped message. */
static void
sidebar_touch (TlStore        *self,
               TlConversation *conversation)
{
  guint position;

  if (!tl_conversation_sort_key_would_change (conversation))
    return;

  touch (self, self->sidebar);
  if (!tl_sorted_list_find (self->sidebar, conversation, &position))
    g_assert_not_reached ();
  tl_conversation_update_sort_key (conversation);
  tl_sorted_list_reposition (self->sidebar, position);
}

static void
participation_update (TlStore        *self,
                      TlConversation *conversation,
                      gboolean        add)
{
  JsonNode *participants = tl_conversation_get_participants (conversation);
  JsonArray *array;

  if (participants == NULL)
    return;

  array = json_node_get_array (participants);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *user = json_array_get_object_element (array, i);
      const char *id = json_object_get_string_member (user, "id");
      GHashTable *set = g_hash_table_lookup (self->participation, id);

      if (add)
        {
          if (set == NULL)
            {
              set = g_hash_table_new (NULL, NULL);
              g_hash_table_insert (self->participation, g_strdup (id), set);
            }
          g_hash_table_add (set, conversation);
        }
      else if (set != NULL)
        {
          g_hash_table_remove (set, conversation);
          if (g_hash_table_size (set) == 0)
            g_hash_table_remove (self->participation, id);
        }
    }
}

static TlConversation *
ensure_conversation (TlStore    *self,
                     const char *id)
{
  TlConversation *conversation = g_hash_table_lookup (self->conversations, id);

  if (conversation != NULL)
    return conversation;

  /* A placeholder: {"id": …} alone until a conversation event fills it in. */
  conversation = tl_conversation_new (id);
  g_hash_table_insert (self->conversations, (gpointer) tl_conversation_get_id (conversation),
                       conversation);
  tl_sorted_list_insert (touch (self, self->sidebar), conversation);
  return conversation;
}

/* Threads */

static void
thread_insert (TlStore        *self,
               TlConversation *conversation,
               TlMessage      *message)
{
  tl_message_set_conversation (message, tl_conversation_get_id_ref (conversation));
  tl_sorted_list_insert (touch (self, tl_conversation_get_message_list (conversation)), message);
  if (tl_message_get_created_at (message) == NULL)
    tl_conversation_count_untimed (conversation, 1);
}

static void
thread_remove (TlStore        *self,
               TlConversation *conversation,
               TlMessage      *message)
{
  TlSortedList *list = tl_conversation_get_message_list (conversation);

  if (tl_message_get_created_at (message) == NULL)
    tl_conversation_count_untimed (conversation, -1);
  if (!tl_sorted_list_remove (touch (self, list), message))
    g_assert_not_reached ();
}

static gboolean
apply_message (TlStore               *self,
               const TlMessageRecord *record,
               gboolean               replace,
               GError               **error)
{
  TlMessage *message = g_hash_table_lookup (self->messages, TL_MESSAGE_KEY (record->id));
  TlConversation *from, *to;

  if (message == NULL)
    {
      g_autoptr(TlMessage) created = NULL;

      if (record->conversation_id == NULL)
        {
          g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_UNKNOWN_MESSAGE,
                       "message: “conversationId” is required for a message that is not known yet");
          return FALSE;
        }
      to = ensure_conversation (self, record->conversation_id);
      created = tl_message_new (record->id, self->arrival++);
      tl_message_apply_record (created, record, TRUE);
      g_hash_table_add (self->messages, created);
      thread_insert (self, to, created);
      sidebar_touch (self, to);
      if (self->batch_depth > 0)
        g_ptr_array_add (self->added, g_object_ref (created));
      return TRUE;
    }

  from = g_hash_table_lookup (self->conversations, tl_message_get_conversation_id (message));
  g_assert (from != NULL);
  to = from;
  if (record->conversation_id != NULL &&
      strcmp (record->conversation_id, tl_conversation_get_id (from)) != 0)
    to = ensure_conversation (self, record->conversation_id);

  if (to != from)
    {
      g_autoptr(TlMessage) held = g_object_ref (message);

      thread_remove (self, from, message);
      tl_message_apply_record (message, record, replace);
      thread_insert (self, to, message);
      sidebar_touch (self, from);
      sidebar_touch (self, to);
    }
  else if (tl_message_record_moves (message, record, replace))
    {
      TlSortedList *list = touch (self, tl_conversation_get_message_list (from));
      gboolean was_timed = tl_message_get_created_at (message) != NULL;
      gboolean is_timed;
      guint position;

      if (!tl_sorted_list_find (list, message, &position))
        g_assert_not_reached ();
      tl_message_apply_record (message, record, replace);
      is_timed = tl_message_get_created_at (message) != NULL;
      if (was_timed != is_timed)
        tl_conversation_count_untimed (from, is_timed ? -1 : 1);
      tl_sorted_list_reposition (list, position);
      sidebar_touch (self, from);
    }
  else
    tl_message_apply_record (message, record, replace);

  return TRUE;
}

static void
end_stream (TlStore    *self,
            const char *message_id)
{
  if (g_hash_table_contains (self->ended_streams, message_id))
    return;
  g_hash_table_remove (self->streams, message_id);
  g_hash_table_add (self->ended_streams, g_strdup (message_id));
}

static void
remove_message (TlStore    *self,
                const char *id)
{
  TlMessage *message = g_hash_table_lookup (self->messages, TL_MESSAGE_KEY (id));
  g_autoptr(TlMessage) held = NULL;
  TlConversation *conversation;

  /* Over for good, even for an id not seen yet: a late chunk must not
   * bring the message back. */
  end_stream (self, id);
  if (message == NULL)
    return;

  held = g_object_ref (message);
  conversation = g_hash_table_lookup (self->conversations, tl_message_get_conversation_id (message));
  g_hash_table_remove (self->messages, message);
  thread_remove (self, conversation, message);
  sidebar_touch (self, conversation);
}

static void
apply_conversation (TlStore                    *self,
                    const TlConversationRecord *record,
                    gboolean                    replace)
{
  TlConversation *conversation = ensure_conversation (self, record->id);
  gboolean participants_change = replace || record->participants != NULL;

  if (participants_change)
    participation_update (self, conversation, FALSE);
  tl_conversation_apply_record (conversation, record, replace);
  if (participants_change)
    participation_update (self, conversation, TRUE);
  sidebar_touch (self, conversation);
}

/* Drops a conversation and its messages from the state; the active
 * conversation is the caller's business. */
static void
drop_conversation (TlStore        *self,
                   TlConversation *conversation,
                   gboolean        from_sidebar)
{
  GListModel *messages = tl_conversation_get_messages (conversation);
  guint n = g_list_model_get_n_items (messages);

  for (guint i = 0; i < n; i++)
    {
      TlMessage *message = tl_sorted_list_peek (TL_SORTED_LIST (messages), i);

      if (g_strcmp0 (tl_message_get_status (message), "streaming") == 0 ||
          g_hash_table_contains (self->streams, tl_message_get_id (message)))
        end_stream (self, tl_message_get_id (message));
      g_hash_table_remove (self->messages, message);
    }
  /* Empty the model too, so a view still bound to it shows nothing stale. */
  tl_sorted_list_remove_all (touch (self, TL_SORTED_LIST (messages)));
  tl_conversation_reset_untimed (conversation, 0);
  tl_conversation_clear_typing (conversation);
  g_hash_table_remove (self->typing, conversation);
  participation_update (self, conversation, FALSE);
  if (from_sidebar && !tl_sorted_list_remove (touch (self, self->sidebar), conversation))
    g_assert_not_reached ();
  g_hash_table_remove (self->conversations, tl_conversation_get_id (conversation));
}

static void
remove_conversation (TlStore    *self,
                     const char *id)
{
  TlConversation *conversation;
  g_autoptr(GPtrArray) ended = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer value;

  /* Streams announced only by their chunks' envelopes end with it too. */
  g_hash_table_iter_init (&iter, self->streams);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_strcmp0 (tl_stream_get_conversation_id (value), id) == 0)
      g_ptr_array_add (ended, g_strdup (tl_stream_get_message_id (value)));
  for (guint i = 0; i < ended->len; i++)
    end_stream (self, ended->pdata[i]);

  conversation = g_hash_table_lookup (self->conversations, id);
  if (conversation != NULL)
    drop_conversation (self, conversation, TRUE);

  /* Last, so whoever hears of the change finds the conversation gone. */
  if (g_strcmp0 (self->active_conversation_id, id) == 0)
    tl_store_set_active_conversation_id (self, NULL);
}

static void
apply_read (TlStore       *self,
            const TlEvent *event)
{
  TlConversation *conversation = g_hash_table_lookup (self->conversations, event->conversation_id);

  if (conversation == NULL)
    return;

  if (event->user_id == NULL || g_strcmp0 (event->user_id, self->local_user_id) == 0)
    tl_conversation_mark_read (conversation);
  else if (event->message_id != NULL)
    tl_conversation_set_receipt (conversation, event->user_id, event->message_id);
}

static void
apply_typing (TlStore       *self,
              const TlEvent *event)
{
  TlConversation *conversation = g_hash_table_lookup (self->conversations, event->conversation_id);

  if (conversation == NULL)
    return;
  tl_conversation_set_typing (conversation, event->user_id, event->flag,
                              self->clock (self->clock_data));
  if (tl_conversation_has_typing (conversation))
    g_hash_table_add (self->typing, conversation);
  else
    g_hash_table_remove (self->typing, conversation);
  g_signal_emit (self, signals[SIGNAL_TYPING_CHANGED], 0);
}

void
tl_store_set_clock (TlStore     *self,
                    TlClockFunc  clock,
                    gpointer     user_data)
{
  g_return_if_fail (TL_IS_STORE (self));

  self->clock = clock ? clock : monotonic_clock;
  self->clock_data = user_data;
}

gint64
tl_store_expire_typing (TlStore *self)
{
  gint64 now, oldest = G_MAXINT64;
  GHashTableIter iter;
  gpointer conversation;

  g_return_val_if_fail (TL_IS_STORE (self), -1);

  now = self->clock (self->clock_data);
  g_hash_table_iter_init (&iter, self->typing);
  while (g_hash_table_iter_next (&iter, &conversation, NULL))
    {
      oldest = MIN (oldest, tl_conversation_expire_typing (conversation, now - TL_TYPING_TIMEOUT_US));
      if (!tl_conversation_has_typing (conversation))
        g_hash_table_iter_remove (&iter);
    }
  return oldest == G_MAXINT64 ? -1 : oldest + TL_TYPING_TIMEOUT_US;
}

void
tl_store_clear_typing (TlStore *self)
{
  GHashTableIter iter;
  gpointer conversation;

  g_return_if_fail (TL_IS_STORE (self));

  g_hash_table_iter_init (&iter, self->typing);
  while (g_hash_table_iter_next (&iter, &conversation, NULL))
    tl_conversation_clear_typing (conversation);
  g_hash_table_remove_all (self->typing);
}

void
tl_store_clear_presence (TlStore *self)
{
  g_return_if_fail (TL_IS_STORE (self));
  g_hash_table_remove_all (self->presence);
}

/* Streams */

static TlStream *
lookup_stream (TlStore    *self,
               const char *message_id,
               gboolean    create)
{
  TlStream *stream = g_hash_table_lookup (self->streams, message_id);

  if (stream == NULL && create && !g_hash_table_contains (self->ended_streams, message_id))
    {
      stream = tl_stream_new (message_id);
      g_hash_table_insert (self->streams, (gpointer) tl_stream_get_message_id (stream), stream);
    }
  return stream;
}

/* Applies one chunk that is next in its stream's order. */
static gboolean
apply_chunk_now (TlStore  *self,
                 TlStream *stream,
                 TlEvent  *event,
                 GError  **error)
{
  TlMessage *message;
  g_autofree char *message_id = g_strdup (tl_stream_get_message_id (stream));

  if (!tl_stream_validate_chunk (event->chunk, event->chunk_type, error))
    return FALSE;

  message = g_hash_table_lookup (self->messages, TL_MESSAGE_KEY (message_id));
  if (message == NULL)
    {
      TlMessageRecord record = {
        .id = message_id,
        .conversation_id = event->conversation_id,
        .role = "assistant",
        .status = "streaming",
      };

      /* Without a conversation there is nowhere to put it. */
      if (event->conversation_id == NULL)
        return TRUE;
      if (!apply_message (self, &record, TRUE, error))
        return FALSE;
      message = g_hash_table_lookup (self->messages, TL_MESSAGE_KEY (message_id));
      tl_message_ensure_parts (message);
    }

  tl_stream_set_conversation_id (stream, tl_message_get_conversation_id (message));
  if (tl_stream_apply_chunk (stream, message, event->chunk, event->chunk_type))
    end_stream (self, message_id);
  return TRUE;
}

static TlApplyResult
apply_chunk (TlStore *self,
             TlEvent *event,
             GError **error)
{
  TlStream *stream = lookup_stream (self, event->message_id, TRUE);
  gboolean had_gap;
  gboolean ok;
  TlEvent *ready;

  if (stream == NULL)
    return TL_APPLY_DUPLICATE;

  if (event->conversation_id != NULL && tl_stream_get_conversation_id (stream) == NULL)
    tl_stream_set_conversation_id (stream, event->conversation_id);

  had_gap = tl_stream_has_gap (stream);
  switch (tl_stream_offer (stream, event))
    {
    case TL_STREAM_STALE:
      return TL_APPLY_DUPLICATE;
    case TL_STREAM_BUFFERED:
      if (!had_gap)
        g_signal_emit (self, signals[SIGNAL_STREAM_GAP], 0, event->message_id);
      return TL_APPLY_HELD;
    case TL_STREAM_NEXT:
    default:
      break;
    }

  ok = apply_chunk_now (self, stream, event, error);
  /* The stream may have ended (and been freed) while applying. */
  while ((stream = lookup_stream (self, event->message_id, FALSE)) != NULL &&
         (ready = tl_stream_take_ready (stream)) != NULL)
    {
      g_autoptr(GError) ignored = NULL;

      apply_chunk_now (self, stream, ready, &ignored);
      if (ignored != NULL)
        g_debug ("buffered chunk skipped: %s", ignored->message);
      tl_event_unref (ready);
    }
  return ok ? TL_APPLY_APPLIED : TL_APPLY_INVALID;
}

void
tl_store_set_history_position (TlStore    *self,
                               const char *conversation_id,
                               gboolean    has_more,
                               const char *cursor)
{
  TlConversation *conversation;

  g_return_if_fail (TL_IS_STORE (self));

  conversation = g_hash_table_lookup (self->conversations, conversation_id);
  if (conversation != NULL)
    tl_conversation_set_history (conversation, has_more, cursor);
}

GStrv
tl_store_dup_stream_ids (TlStore *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GList) ids = NULL;

  g_return_val_if_fail (TL_IS_STORE (self), NULL);

  ids = g_hash_table_get_keys (self->streams);
  ids = g_list_sort (ids, (GCompareFunc) strcmp);
  for (GList *l = ids; l != NULL; l = l->next)
    g_strv_builder_add (builder, l->data);
  return g_strv_builder_end (builder);
}

gint64
tl_store_get_stream_sequence (TlStore    *self,
                              const char *message_id)
{
  TlStream *stream;

  g_return_val_if_fail (TL_IS_STORE (self), 0);

  stream = g_hash_table_lookup (self->streams, message_id);
  return stream ? tl_stream_get_applied (stream) : 0;
}

gboolean
tl_store_stream_has_gap (TlStore    *self,
                         const char *message_id)
{
  TlStream *stream;

  g_return_val_if_fail (TL_IS_STORE (self), FALSE);

  stream = g_hash_table_lookup (self->streams, message_id);
  return stream != NULL && tl_stream_has_gap (stream);
}

gboolean
tl_store_resync_stream (TlStore   *self,
                        JsonNode  *message,
                        gint64     sequence,
                        GError   **error)
{
  g_autoptr(JsonObject) wrapper = json_object_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(TlEvent) event = NULL;
  TlStream *stream;
  TlEvent *ready;
  gboolean ok;

  g_return_val_if_fail (TL_IS_STORE (self), FALSE);

  /* Validated like any message-added, through the one parser. */
  json_object_set_string_member (wrapper, "type", "message-added");
  json_object_set_member (wrapper, "message", json_node_ref (message));
  root = json_node_init_object (json_node_alloc (), wrapper);
  event = tl_event_parse (root, NULL, error);
  if (event == NULL)
    return FALSE;

  stream = lookup_stream (self, event->message.id, FALSE);
  if (stream == NULL)
    return TRUE;

  tl_store_begin_batch (self);
  ok = apply_message (self, &event->message, TRUE, error);
  if (ok)
    {
      tl_stream_resync (stream, sequence);
      while ((stream = lookup_stream (self, event->message.id, FALSE)) != NULL &&
             (ready = tl_stream_take_ready (stream)) != NULL)
        {
          g_autoptr(GError) ignored = NULL;

          apply_chunk_now (self, stream, ready, &ignored);
          tl_event_unref (ready);
        }
    }
  tl_store_end_batch (self);
  return ok;
}

static void
apply_presence (TlStore       *self,
                const TlEvent *event)
{
  GHashTable *set;
  GHashTableIter iter;
  gpointer conversation;

  g_hash_table_replace (self->presence, g_strdup (event->user_id),
                        GINT_TO_POINTER (event->flag + 1));

  set = g_hash_table_lookup (self->participation, event->user_id);
  if (set == NULL)
    return;
  g_hash_table_iter_init (&iter, set);
  while (g_hash_table_iter_next (&iter, &conversation, NULL))
    tl_conversation_set_presence (conversation, event->user_id, event->flag);
}

/* Snapshots */

static void
begin_snapshot (TlStore *self,
                TlEvent *event)
{
  gboolean was = self->snapshot != NULL;

  /* A second snapshot-begin restarts; held events are re-filtered at the end. */
  g_clear_pointer (&self->snapshot, tl_snapshot_free);
  self->snapshot = tl_snapshot_new (event);
  if (!was)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IN_SNAPSHOT]);
}

static int
compare_held (gconstpointer a,
              gconstpointer b)
{
  const HeldEvent *ha = a;
  const HeldEvent *hb = b;
  /* Events without seq (apply files only) keep their place after the others. */
  gint64 sa = ha->seq > 0 ? ha->seq : G_MAXINT64;
  gint64 sb = hb->seq > 0 ? hb->seq : G_MAXINT64;

  return sa < sb ? -1 : sa > sb;
}

static int
compare_messages (gconstpointer a,
                  gconstpointer b)
{
  return tl_message_compare (*(TlMessage **) a, *(TlMessage **) b, NULL);
}

static int
compare_conversations (gconstpointer a,
                       gconstpointer b)
{
  return tl_conversation_compare (*(TlConversation **) a, *(TlConversation **) b, NULL);
}

/* Replaces the whole state with the snapshot's, reusing objects by id so rows
 * bound to them survive, and rebuilds each model with one splice. */
static void
swap_snapshot (TlStore *self)
{
  g_autoptr(TlSnapshot) snapshot = g_steal_pointer (&self->snapshot);
  GPtrArray *ids = tl_snapshot_get_conversation_ids (snapshot);
  GPtrArray *staged = tl_snapshot_get_messages (snapshot);
  g_autoptr(GHashTable) kept = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) threads = g_hash_table_new_full (NULL, NULL, NULL,
                                                          (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GHashTable) messages = g_hash_table_new (tl_message_key_hash, tl_message_key_equal);
  g_autoptr(GPtrArray) sidebar = g_ptr_array_new_full (ids->len, g_object_unref);
  g_autoptr(GList) old = NULL;
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; i < ids->len; i++)
    g_hash_table_add (kept, ids->pdata[i]);

  /* Conversations absent from the snapshot go, with their messages. */
  old = g_hash_table_get_values (self->conversations);
  for (GList *l = old; l != NULL; l = l->next)
    if (!g_hash_table_contains (kept, tl_conversation_get_id (l->data)))
      drop_conversation (self, l->data, FALSE);

  for (guint i = 0; i < ids->len; i++)
    {
      const char *id = ids->pdata[i];
      const TlConversationRecord *record = tl_snapshot_lookup_conversation (snapshot, id);
      TlConversationRecord placeholder = { .id = id };
      TlConversation *conversation = g_hash_table_lookup (self->conversations, id);

      if (conversation == NULL)
        {
          conversation = tl_conversation_new (id);
          g_hash_table_insert (self->conversations,
                               (gpointer) tl_conversation_get_id (conversation), conversation);
        }
      participation_update (self, conversation, FALSE);
      tl_conversation_apply_record (conversation, record ? record : &placeholder, TRUE);
      participation_update (self, conversation, TRUE);
      tl_conversation_clear_typing (conversation);
      tl_conversation_clear_receipts (conversation);
      {
        TlEvent *page = tl_snapshot_get_last_page (snapshot, id);

        tl_conversation_set_history (conversation, page && page->flag,
                                     page ? page->history_cursor : NULL);
      }
      g_hash_table_insert (threads, conversation, g_ptr_array_new_with_free_func (g_object_unref));
    }

  for (guint i = 0; i < staged->len; i++)
    {
      const TlSnapshotMessage *entry = g_ptr_array_index (staged, i);
      TlConversation *conversation = g_hash_table_lookup (self->conversations,
                                                          entry->conversation_id);
      TlMessage *message = g_hash_table_lookup (self->messages, TL_MESSAGE_KEY (entry->record->id));

      message = message ? g_object_ref (message)
                        : tl_message_new (entry->record->id, self->arrival++);
      tl_message_apply_record (message, entry->record, TRUE);
      tl_message_set_conversation (message, tl_conversation_get_id_ref (conversation));
      g_hash_table_add (messages, message);
      g_ptr_array_add (g_hash_table_lookup (threads, conversation), message);
    }

  g_hash_table_remove_all (self->messages);
  g_hash_table_iter_init (&iter, messages);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_hash_table_add (self->messages, key);

  g_hash_table_iter_init (&iter, threads);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      TlConversation *conversation = key;
      GPtrArray *thread = value;
      TlSortedList *list = touch (self, tl_conversation_get_message_list (conversation));
      guint untimed = 0;

      g_ptr_array_sort (thread, compare_messages);
      for (guint i = 0; i < thread->len; i++)
        untimed += tl_message_get_created_at (thread->pdata[i]) == NULL;
      tl_sorted_list_remove_all (list);
      tl_sorted_list_splice_sorted (list, thread);
      tl_conversation_reset_untimed (conversation, untimed);
      tl_conversation_update_sort_key (conversation);
      g_ptr_array_add (sidebar, g_object_ref (conversation));
    }

  g_ptr_array_sort (sidebar, compare_conversations);
  touch (self, self->sidebar);
  tl_sorted_list_remove_all (self->sidebar);
  tl_sorted_list_splice_sorted (self->sidebar, sidebar);

  if (g_strcmp0 (self->epoch, tl_snapshot_get_epoch (snapshot)) != 0)
    {
      g_free (self->epoch);
      self->epoch = g_strdup (tl_snapshot_get_epoch (snapshot));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EPOCH]);
    }
  set_seq (self, tl_snapshot_get_at_seq (snapshot));

  if (self->active_conversation_id != NULL &&
      !g_hash_table_contains (self->conversations, self->active_conversation_id))
    tl_store_set_active_conversation_id (self, NULL);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IN_SNAPSHOT]);
}

static TlApplyResult apply_sequenced (TlStore      *self,
                                      gint64        seq,
                                      TlEvent      *event,
                                      TlApplyFlags  flags,
                                      GError      **error);

static TlApplyResult
end_snapshot (TlStore      *self,
              TlEvent      *event,
              TlApplyFlags  flags)
{
  g_autoptr(GArray) held = NULL;
  TlApplyResult result = TL_APPLY_APPLIED;

  tl_snapshot_set_at_seq (self->snapshot, event->at_seq);
  swap_snapshot (self);

  held = g_steal_pointer (&self->held);
  self->held = g_array_new (FALSE, FALSE, sizeof (HeldEvent));
  g_array_set_clear_func (self->held, clear_held);

  g_array_sort (held, compare_held);
  for (guint i = 0; i < held->len; i++)
    {
      HeldEvent *h = &g_array_index (held, HeldEvent, i);
      g_autoptr(GError) ignored = NULL;

      /* Held events were checked when they arrived; an invalid one only
       * carries its seq. Errors were reported then. */
      if (apply_sequenced (self, h->seq, h->event, flags, &ignored) == TL_APPLY_GAP &&
          (flags & TL_APPLY_FLAGS_FILE) == 0)
        {
          /* Live: stop at the gap; the rest comes again after the resume. */
          result = TL_APPLY_GAP;
          break;
        }
    }
  return result;
}

/* Dispatch */

static TlApplyResult
dispatch (TlStore      *self,
          TlEvent      *event,
          TlApplyFlags  flags,
          GError      **error)
{
  switch (event->kind)
    {
    case TL_EVENT_MESSAGE_ADDED:
    case TL_EVENT_MESSAGE_UPDATED:
      if (!apply_message (self, &event->message, event->kind == TL_EVENT_MESSAGE_ADDED, error))
        return TL_APPLY_INVALID;
      return TL_APPLY_APPLIED;

    case TL_EVENT_MESSAGE_REMOVED:
      remove_message (self, event->message_id);
      return TL_APPLY_APPLIED;

    case TL_EVENT_CONVERSATION_ADDED:
    case TL_EVENT_CONVERSATION_UPDATED:
      apply_conversation (self, &event->conversation, event->kind == TL_EVENT_CONVERSATION_ADDED);
      return TL_APPLY_APPLIED;

    case TL_EVENT_CONVERSATION_REMOVED:
      remove_conversation (self, event->conversation_id);
      return TL_APPLY_APPLIED;

    case TL_EVENT_READ:
      apply_read (self, event);
      return TL_APPLY_APPLIED;

    case TL_EVENT_TYPING:
      apply_typing (self, event);
      return TL_APPLY_APPLIED;

    case TL_EVENT_PRESENCE:
      apply_presence (self, event);
      return TL_APPLY_APPLIED;

    case TL_EVENT_SNAPSHOT_BEGIN:
      begin_snapshot (self, event);
      return TL_APPLY_APPLIED;

    case TL_EVENT_SNAPSHOT_CONVERSATIONS:
      if (self->snapshot == NULL)
        return TL_APPLY_IGNORED;
      tl_snapshot_add_conversations (self->snapshot, event);
      return TL_APPLY_APPLIED;

    case TL_EVENT_SNAPSHOT_MESSAGES:
      if (self->snapshot == NULL)
        return TL_APPLY_IGNORED;
      tl_snapshot_add_messages (self->snapshot, event);
      return TL_APPLY_APPLIED;

    case TL_EVENT_SNAPSHOT_END:
      if (self->snapshot == NULL)
        return TL_APPLY_IGNORED;
      return end_snapshot (self, event, flags);

    case TL_EVENT_STREAM_CHUNK:
      return apply_chunk (self, event, error);

    case TL_EVENT_HEARTBEAT:
    case TL_EVENT_PONG:
      return TL_APPLY_IGNORED;

    case TL_EVENT_UNKNOWN:
    default:
      if (g_hash_table_contains (self->unknown_types, event->type))
        return TL_APPLY_IGNORED;
      g_hash_table_add (self->unknown_types, g_strdup (event->type));
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_UNKNOWN_TYPE,
                   "unknown event type “%s” skipped (reported once)", event->type);
      return TL_APPLY_INVALID;
    }
}

/* The seq rules of PROTOCOL.md, for an event or (with @event NULL) for the
 * seq of an event that failed validation. */
static TlApplyResult
apply_sequenced (TlStore      *self,
                 gint64        seq,
                 TlEvent      *event,
                 TlApplyFlags  flags,
                 GError      **error)
{
  gboolean sequenced = event == NULL || tl_event_is_durable (event) ||
                       event->kind == TL_EVENT_UNKNOWN;
  gboolean gap = FALSE;
  TlApplyResult result = TL_APPLY_INVALID;

  if (sequenced && self->snapshot != NULL && (seq > 0 || (event && tl_event_is_durable (event))))
    {
      HeldEvent held = { seq, event ? tl_event_ref (event) : NULL };

      if (seq > 0 && seq <= tl_snapshot_get_at_seq (self->snapshot))
        {
          clear_held (&held);
          return TL_APPLY_DUPLICATE;
        }
      g_array_append_val (self->held, held);
      return TL_APPLY_HELD;
    }

  if (seq > 0)
    {
      if (seq <= self->seq)
        return TL_APPLY_DUPLICATE;
      if (seq > self->seq + 1)
        {
          if ((flags & TL_APPLY_FLAGS_FILE) == 0)
            return TL_APPLY_GAP;
          gap = TRUE;
        }
    }

  if (event != NULL)
    {
      tl_store_begin_batch (self);
      result = dispatch (self, event, flags, error);
      tl_store_end_batch (self);
    }

  /* Consumed whether or not the payload applied: skipping must never look
   * like a gap. */
  if (seq > 0)
    set_seq (self, seq);

  if (gap && result != TL_APPLY_INVALID)
    return TL_APPLY_GAP;
  return result;
}

TlApplyResult
tl_store_apply_event (TlStore      *self,
                      TlEvent      *event,
                      TlApplyFlags  flags,
                      GError      **error)
{
  g_return_val_if_fail (TL_IS_STORE (self), TL_APPLY_INVALID);
  g_return_val_if_fail (event != NULL, TL_APPLY_INVALID);

  if (tl_event_is_durable (event) && event->seq == 0 && (flags & TL_APPLY_FLAGS_FILE) == 0)
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_MISSING_SEQ,
                   "%s: durable events must carry “seq” on a live connection", event->type);
      return TL_APPLY_INVALID;
    }

  return apply_sequenced (self, event->seq, event, flags, error);
}

TlApplyResult
tl_store_consume_seq (TlStore      *self,
                      gint64        seq,
                      TlApplyFlags  flags)
{
  g_return_val_if_fail (TL_IS_STORE (self), TL_APPLY_INVALID);

  if (seq <= 0)
    return TL_APPLY_INVALID;
  return apply_sequenced (self, seq, NULL, flags, NULL);
}

TlApplyResult
tl_store_apply_node (TlStore      *self,
                     JsonNode     *root,
                     TlApplyFlags  flags,
                     GError      **error)
{
  g_autoptr(TlEvent) event = NULL;
  g_autoptr(GError) local_error = NULL;
  gint64 seq = 0;

  g_return_val_if_fail (TL_IS_STORE (self), TL_APPLY_INVALID);
  g_return_val_if_fail (root != NULL, TL_APPLY_INVALID);

  event = tl_event_parse (root, &seq, &local_error);
  if (event == NULL)
    {
      TlApplyResult result = tl_store_consume_seq (self, seq, flags);

      g_propagate_error (error, g_steal_pointer (&local_error));
      /* A gap still matters to the caller more than the bad payload. */
      return result == TL_APPLY_GAP ? TL_APPLY_GAP : TL_APPLY_INVALID;
    }
  return tl_store_apply_event (self, event, flags, error);
}
