/* bench-naive.c — the baseline: a store the way a naive client writes it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One GListStore of conversations and one per conversation of messages, as
 * Threadline has, but without the id index and the binary search: every
 * update or removal finds its item with g_list_store_find_with_equal_func(),
 * a new message is appended (or placed by a linear scan when it is older than
 * the newest), and a conversation with a new message is moved to the top.
 * It copies the same content as TlStore (parts, metadata and author as JSON
 * text), so the difference measured is the lookup strategy, not the payload
 * work. It exists only to be measured against; it skips the seq rules.
 */
#define G_LOG_DOMAIN "threadline-bench"

#include "bench-naive.h"

#include <string.h>

#include "tl-json.h"

/* Items */

#define BENCH_TYPE_NAIVE_MESSAGE (bench_naive_message_get_type ())
G_DECLARE_FINAL_TYPE (BenchNaiveMessage, bench_naive_message, BENCH, NAIVE_MESSAGE, GObject)

struct _BenchNaiveMessage
{
  GObject  parent_instance;

  char    *id;
  char    *role;
  char    *status;
  char    *created_at;
  char    *updated_at;
  char    *edited_at;
  char    *parts_json;
  char    *metadata_json;
  char    *author_json;
};

G_DEFINE_FINAL_TYPE (BenchNaiveMessage, bench_naive_message, G_TYPE_OBJECT)

static void
bench_naive_message_finalize (GObject *object)
{
  BenchNaiveMessage *self = BENCH_NAIVE_MESSAGE (object);

  g_free (self->id);
  g_free (self->role);
  g_free (self->status);
  g_free (self->created_at);
  g_free (self->updated_at);
  g_free (self->edited_at);
  g_free (self->parts_json);
  g_free (self->metadata_json);
  g_free (self->author_json);

  G_OBJECT_CLASS (bench_naive_message_parent_class)->finalize (object);
}

static void
bench_naive_message_class_init (BenchNaiveMessageClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bench_naive_message_finalize;
}

static void
bench_naive_message_init (BenchNaiveMessage *self)
{
}

#define BENCH_TYPE_NAIVE_CONVERSATION (bench_naive_conversation_get_type ())
G_DECLARE_FINAL_TYPE (BenchNaiveConversation, bench_naive_conversation,
                      BENCH, NAIVE_CONVERSATION, GObject)

struct _BenchNaiveConversation
{
  GObject     parent_instance;

  char       *id;
  char       *title;
  char       *subtitle;
  char       *read_state;
  gint64      unread_count;
  GListStore *messages;   /* BenchNaiveMessage, oldest first */
};

G_DEFINE_FINAL_TYPE (BenchNaiveConversation, bench_naive_conversation, G_TYPE_OBJECT)

static void
bench_naive_conversation_finalize (GObject *object)
{
  BenchNaiveConversation *self = BENCH_NAIVE_CONVERSATION (object);

  g_free (self->id);
  g_free (self->title);
  g_free (self->subtitle);
  g_free (self->read_state);
  g_clear_object (&self->messages);

  G_OBJECT_CLASS (bench_naive_conversation_parent_class)->finalize (object);
}

static void
bench_naive_conversation_class_init (BenchNaiveConversationClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bench_naive_conversation_finalize;
}

static void
bench_naive_conversation_init (BenchNaiveConversation *self)
{
  self->messages = g_list_store_new (BENCH_TYPE_NAIVE_MESSAGE);
}

/* The store */

struct _BenchNaiveStore
{
  GListStore             *sidebar;   /* BenchNaiveConversation, most recently active first */

  /* g_list_store_find_with_equal_func() compares against an item of the
   * store's type, so lookups by id go through a probe carrying the id. */
  BenchNaiveConversation *conversation_probe;
  BenchNaiveMessage      *message_probe;
};

BenchNaiveStore *
bench_naive_store_new (void)
{
  BenchNaiveStore *self = g_new0 (BenchNaiveStore, 1);

  self->sidebar = g_list_store_new (BENCH_TYPE_NAIVE_CONVERSATION);
  self->conversation_probe = g_object_new (BENCH_TYPE_NAIVE_CONVERSATION, NULL);
  self->message_probe = g_object_new (BENCH_TYPE_NAIVE_MESSAGE, NULL);
  return self;
}

void
bench_naive_store_free (BenchNaiveStore *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->sidebar);
  g_clear_object (&self->conversation_probe);
  g_clear_object (&self->message_probe);
  g_free (self);
}

static gboolean
conversation_same_id (gconstpointer a,
                      gconstpointer b)
{
  return strcmp (((const BenchNaiveConversation *) a)->id,
                 ((const BenchNaiveConversation *) b)->id) == 0;
}

static gboolean
message_same_id (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (((const BenchNaiveMessage *) a)->id,
                 ((const BenchNaiveMessage *) b)->id) == 0;
}

/* ISO timestamps from one backend share a format, so a naive client
 * compares them as strings. */
static gboolean
message_is_later (gconstpointer item,
                  gconstpointer message)
{
  const char *a = ((const BenchNaiveMessage *) item)->created_at;
  const char *b = ((const BenchNaiveMessage *) message)->created_at;

  return g_strcmp0 (a, b) > 0;
}

/* Borrowed; the sidebar holds a reference. */
static BenchNaiveConversation *
find_conversation (BenchNaiveStore *self,
                   const char      *id,
                   guint           *position)
{
  g_autoptr(BenchNaiveConversation) conversation = NULL;
  gboolean found;
  guint unused;

  if (position == NULL)
    position = &unused;
  /* The probe borrows @id only for the search. */
  self->conversation_probe->id = (char *) id;
  found = g_list_store_find_with_equal_func (self->sidebar, self->conversation_probe,
                                             conversation_same_id, position);
  self->conversation_probe->id = NULL;
  if (!found)
    return NULL;
  conversation = g_list_model_get_item (G_LIST_MODEL (self->sidebar), *position);
  return conversation;
}

/* Borrowed; the thread holds a reference. */
static BenchNaiveMessage *
find_in_conversation (BenchNaiveStore        *self,
                      BenchNaiveConversation *conversation,
                      const char             *id,
                      guint                  *position)
{
  g_autoptr(BenchNaiveMessage) message = NULL;
  gboolean found;

  self->message_probe->id = (char *) id;
  found = g_list_store_find_with_equal_func (conversation->messages, self->message_probe,
                                             message_same_id, position);
  self->message_probe->id = NULL;
  if (!found)
    return NULL;
  message = g_list_model_get_item (G_LIST_MODEL (conversation->messages), *position);
  return message;
}

/* Finds a message by id in its conversation, or in every conversation when
 * the event does not say which. */
static BenchNaiveMessage *
find_message (BenchNaiveStore         *self,
              const char              *conversation_id,
              const char              *id,
              BenchNaiveConversation **out_conversation,
              guint                   *out_position)
{
  guint n;

  if (conversation_id != NULL)
    {
      *out_conversation = find_conversation (self, conversation_id, NULL);
      if (*out_conversation == NULL)
        return NULL;
      return find_in_conversation (self, *out_conversation, id, out_position);
    }

  n = g_list_model_get_n_items (G_LIST_MODEL (self->sidebar));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(BenchNaiveConversation) conversation =
        g_list_model_get_item (G_LIST_MODEL (self->sidebar), i);
      BenchNaiveMessage *message = find_in_conversation (self, conversation, id, out_position);

      if (message != NULL)
        {
          *out_conversation = conversation;
          return message;
        }
    }
  return NULL;
}

static void
take_string (char       **field,
             const char  *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

static void
take_json (char     **field,
           JsonNode  *node)
{
  g_free (*field);
  *field = node != NULL ? tl_json_node_to_string (node) : NULL;
}

static void
merge_message (BenchNaiveMessage     *message,
               const TlMessageRecord *record,
               gboolean               replace)
{
#define TAKES(field) (replace || record->field != NULL)
  if (TAKES (role))
    take_string (&message->role, record->role);
  if (TAKES (status))
    take_string (&message->status, record->status);
  if (TAKES (created_at))
    take_string (&message->created_at, record->created_at);
  if (TAKES (updated_at))
    take_string (&message->updated_at, record->updated_at);
  if (TAKES (edited_at))
    take_string (&message->edited_at, record->edited_at);
  if (TAKES (parts))
    take_json (&message->parts_json, record->parts);
  if (TAKES (metadata))
    take_json (&message->metadata_json, record->metadata);
  if (TAKES (author))
    take_json (&message->author_json, record->author);
#undef TAKES
}

static BenchNaiveConversation *
ensure_conversation (BenchNaiveStore *self,
                     const char      *id,
                     guint           *position)
{
  BenchNaiveConversation *conversation = find_conversation (self, id, position);
  g_autoptr(BenchNaiveConversation) created = NULL;

  if (conversation != NULL)
    return conversation;

  created = g_object_new (BENCH_TYPE_NAIVE_CONVERSATION, NULL);
  created->id = g_strdup (id);
  g_list_store_insert (self->sidebar, 0, created);
  *position = 0;
  return created;
}

static void
add_message (BenchNaiveStore       *self,
             const TlMessageRecord *record)
{
  g_autoptr(BenchNaiveMessage) message = NULL;
  g_autoptr(BenchNaiveMessage) last = NULL;
  BenchNaiveConversation *conversation;
  guint position, n;

  if (record->conversation_id == NULL)
    return;

  conversation = ensure_conversation (self, record->conversation_id, &position);
  message = g_object_new (BENCH_TYPE_NAIVE_MESSAGE, NULL);
  message->id = g_strdup (record->id);
  merge_message (message, record, TRUE);

  n = g_list_model_get_n_items (G_LIST_MODEL (conversation->messages));
  if (n > 0)
    last = g_list_model_get_item (G_LIST_MODEL (conversation->messages), n - 1);
  if (last == NULL || !message_is_later (last, message))
    g_list_store_append (conversation->messages, message);
  else
    {
      guint at = 0;

      /* The first message later than the new one, scanning from the oldest. */
      if (!g_list_store_find_with_equal_func (conversation->messages, message,
                                              message_is_later, &at))
        at = n;
      g_list_store_insert (conversation->messages, at, message);
    }

  /* Most recently active first. */
  if (position != 0)
    {
      g_autoptr(BenchNaiveConversation) moved = g_object_ref (conversation);

      g_list_store_remove (self->sidebar, position);
      g_list_store_insert (self->sidebar, 0, moved);
    }
}

static void
apply_message (BenchNaiveStore       *self,
               const TlMessageRecord *record,
               gboolean               added)
{
  BenchNaiveConversation *conversation = NULL;
  BenchNaiveMessage *message;
  guint position;

  /* A naive client appends what is added; only updates look for the id. */
  if (added)
    {
      add_message (self, record);
      return;
    }

  message = find_message (self, record->conversation_id, record->id, &conversation, &position);
  if (message == NULL)
    add_message (self, record);
  else
    merge_message (message, record, FALSE);
}

static void
remove_message (BenchNaiveStore *self,
                const TlEvent   *event)
{
  BenchNaiveConversation *conversation = NULL;
  guint position;

  if (find_message (self, event->conversation_id, event->message_id, &conversation, &position))
    g_list_store_remove (conversation->messages, position);
}

static void
apply_conversation (BenchNaiveStore            *self,
                    const TlConversationRecord *record,
                    gboolean                    replace)
{
  guint position;
  BenchNaiveConversation *conversation = ensure_conversation (self, record->id, &position);

  if (replace || record->title != NULL)
    take_string (&conversation->title, record->title);
  if (replace || record->subtitle != NULL)
    take_string (&conversation->subtitle, record->subtitle);
  if (replace || record->read_state != NULL)
    take_string (&conversation->read_state, record->read_state);
  if (replace || record->has_unread_count)
    conversation->unread_count = record->unread_count;
}

static void
remove_conversation (BenchNaiveStore *self,
                     const char      *id)
{
  guint position;

  if (find_conversation (self, id, &position) != NULL)
    g_list_store_remove (self->sidebar, position);
}

void
bench_naive_store_apply (BenchNaiveStore *self,
                         const TlEvent   *event)
{
  switch (event->kind)
    {
    case TL_EVENT_MESSAGE_ADDED:
    case TL_EVENT_MESSAGE_UPDATED:
      apply_message (self, &event->message, event->kind == TL_EVENT_MESSAGE_ADDED);
      break;
    case TL_EVENT_MESSAGE_REMOVED:
      remove_message (self, event);
      break;
    case TL_EVENT_CONVERSATION_ADDED:
    case TL_EVENT_CONVERSATION_UPDATED:
      apply_conversation (self, &event->conversation,
                          event->kind == TL_EVENT_CONVERSATION_ADDED);
      break;
    case TL_EVENT_CONVERSATION_REMOVED:
      remove_conversation (self, event->conversation_id);
      break;
    default:
      break;
    }
}

guint
bench_naive_store_n_conversations (BenchNaiveStore *self)
{
  return g_list_model_get_n_items (G_LIST_MODEL (self->sidebar));
}

guint
bench_naive_store_n_messages (BenchNaiveStore *self)
{
  guint n = bench_naive_store_n_conversations (self);
  guint total = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(BenchNaiveConversation) conversation =
        g_list_model_get_item (G_LIST_MODEL (self->sidebar), i);

      total += g_list_model_get_n_items (G_LIST_MODEL (conversation->messages));
    }
  return total;
}

GListModel *
bench_naive_store_get_thread (BenchNaiveStore *self,
                              const char      *conversation_id)
{
  BenchNaiveConversation *conversation = find_conversation (self, conversation_id, NULL);

  return conversation != NULL ? G_LIST_MODEL (conversation->messages) : NULL;
}
