/* tl-outbox.c — messages the user sent that the server has not confirmed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * PROTOCOL.md "Commands": a sent message shows at once (status "sending"),
 * and is confirmed by the ack or by the durable message-added echo,
 * whichever arrives first; both carry the client's id, so the row is
 * reconciled in place. send-message is idempotent on message.id, so every
 * retry reuses the id (with a new requestId) and can never create a second
 * copy. One message per conversation is in flight at a time, which keeps the
 * server's order equal to the order the user typed in.
 */
#define G_LOG_DOMAIN "threadline-net"

#include "tl-outbox.h"
#include "tl-deadline.h"
#include "tl-json.h"

typedef enum
{
  ITEM_QUEUED,
  ITEM_IN_FLIGHT,
  ITEM_FAILED,
} ItemState;

typedef struct
{
  char      *id;
  char      *conversation_id;
  char      *author_id;
  JsonNode  *parts;
  ItemState  state;
  gint64     attempt_started_us;   /* the 5 minutes count from here */
  gint64     sent_us;
  gint64     not_before_us;        /* after a retryable error */
} Item;

struct _TlOutbox
{
  /* borrowed */
  TlStore           *store;

  /* owned */
  GHashTable        *items;         /* id → Item */
  GHashTable        *queues;        /* conversation id → GQueue of Item* (borrowed) */
  GHashTable        *requests;      /* request id → message id */
  TlDeadline        *timer;

  TlOutboxCallbacks  callbacks;
  gpointer           user_data;
  guint              resend_ms;
  guint              give_up_ms;
  guint              retry_error_ms;
  gboolean           online;
};

static void pump (TlOutbox *self);

static void
item_free (Item *item)
{
  g_free (item->id);
  g_free (item->conversation_id);
  g_free (item->author_id);
  g_clear_pointer (&item->parts, json_node_unref);
  g_free (item);
}

static void
queue_free (GQueue *queue)
{
  g_queue_free (queue);
}

static void
on_timer_cb (gpointer user_data)
{
  pump (user_data);
}

TlOutbox *
tl_outbox_new (TlStore                 *store,
               const TlOutboxCallbacks *callbacks,
               gpointer                 user_data)
{
  TlOutbox *self = g_new0 (TlOutbox, 1);

  self->store = store;
  self->callbacks = *callbacks;
  self->user_data = user_data;
  self->items = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) item_free);
  self->queues = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) queue_free);
  self->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->timer = tl_deadline_new (on_timer_cb, self);
  self->resend_ms = 10000;
  self->give_up_ms = 5 * 60 * 1000;
  self->retry_error_ms = 1000;
  return self;
}

void
tl_outbox_free (TlOutbox *self)
{
  if (self == NULL)
    return;
  tl_deadline_free (self->timer);
  g_hash_table_unref (self->queues);
  g_hash_table_unref (self->requests);
  g_hash_table_unref (self->items);
  g_free (self);
}

void
tl_outbox_set_timings (TlOutbox *self,
                       guint     resend_ms,
                       guint     give_up_ms,
                       guint     retry_error_ms)
{
  g_return_if_fail (self != NULL);

  self->resend_ms = resend_ms;
  self->give_up_ms = give_up_ms;
  self->retry_error_ms = retry_error_ms;
}

static JsonNode *
build_message (Item       *item,
               const char *status)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, item->id);
  json_builder_set_member_name (builder, "conversationId");
  json_builder_add_string_value (builder, item->conversation_id);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, "user");
  json_builder_set_member_name (builder, "parts");
  json_builder_add_value (builder, json_node_copy (item->parts));
  if (status != NULL)
    {
      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, status);
    }
  if (status != NULL && item->author_id != NULL)
    {
      json_builder_set_member_name (builder, "author");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, item->author_id);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* Applies a message record that is ours, not the server's stream.
 *
 * A live connection refuses durable events without seq (they would bypass
 * the gapless order), so the optimistic row and its local status changes go
 * in with the file rules instead: a seq-less event applies in place and does
 * not move the cursor. That is safe only because these records describe our
 * own pending message, which the server's echo (with its seq) replaces in
 * place; nothing from the server ever goes through here without a seq check
 * of its own (see handle_ack). */
static gboolean
apply_local (TlOutbox   *self,
             const char *type,
             JsonNode   *message,
             GError    **error)
{
  g_autoptr(JsonObject) wrapper = json_object_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(TlEvent) event = NULL;

  json_object_set_string_member (wrapper, "type", type);
  json_object_set_member (wrapper, "message", json_node_ref (message));
  root = json_node_init_object (json_node_alloc (), wrapper);
  event = tl_event_parse (root, NULL, error);
  if (event == NULL)
    return FALSE;
  return tl_store_apply_event (self->store, event, TL_APPLY_FLAGS_FILE, error) != TL_APPLY_INVALID;
}

static void
set_status (TlOutbox   *self,
            Item       *item,
            const char *status)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonNode) message = NULL;
  g_autoptr(GError) error = NULL;

  /* In a snapshot: the swap decides; after_snapshot() sets what is ours. */
  if (tl_store_lookup_message (self->store, item->id) == NULL ||
      tl_store_get_in_snapshot (self->store))
    return;
  json_object_set_string_member (object, "id", item->id);
  json_object_set_string_member (object, "status", status);
  message = json_node_init_object (json_node_alloc (), object);
  if (!apply_local (self, "message-updated", message, &error))
    g_warning ("outbox: cannot mark message %s %s: %s", item->id, status, error->message);
}

static gboolean
insert_optimistic (TlOutbox  *self,
                   Item      *item,
                   GError   **error)
{
  g_autoptr(JsonNode) message = NULL;

  /* During a snapshot the store would hold the row and apply it after the
   * swap, on top of the server's copy if the snapshot has one. The row is
   * put in by tl_outbox_after_snapshot() instead, once the swap is done. */
  if (tl_store_get_in_snapshot (self->store))
    return TRUE;
  message = build_message (item, "sending");
  return apply_local (self, "message-added", message, error);
}

static GQueue *
get_queue (TlOutbox   *self,
           const char *conversation_id)
{
  GQueue *queue = g_hash_table_lookup (self->queues, conversation_id);

  if (queue == NULL)
    {
      queue = g_queue_new ();
      g_hash_table_insert (self->queues, g_strdup (conversation_id), queue);
    }
  return queue;
}

static void
unqueue (TlOutbox *self,
         Item     *item)
{
  GQueue *queue = g_hash_table_lookup (self->queues, item->conversation_id);

  if (queue == NULL)
    return;
  g_queue_remove (queue, item);
  if (g_queue_is_empty (queue))
    g_hash_table_remove (self->queues, item->conversation_id);
}

static void
send_item (TlOutbox *self,
           Item     *item)
{
  g_autoptr(JsonNode) message = build_message (item, NULL);
  g_autoptr(GString) frame = g_string_new ("{\"type\":\"send-message\",\"requestId\":");
  g_autofree char *request_id = g_uuid_string_random ();

  tl_json_write_string (frame, request_id);
  g_string_append (frame, ",\"message\":");
  tl_json_write_node (frame, message);
  g_string_append_c (frame, '}');

  if (!self->callbacks.send (frame->str, self->user_data))
    return;
  g_debug ("outbox: sent message %s (request %s)", item->id, request_id);
  g_hash_table_insert (self->requests, g_steal_pointer (&request_id), g_strdup (item->id));
  item->state = ITEM_IN_FLIGHT;
  item->sent_us = g_get_monotonic_time ();
}

static void
confirm (TlOutbox *self,
         Item     *item)
{
  g_autofree char *id = g_strdup (item->id);

  unqueue (self, item);
  g_hash_table_remove (self->items, id);
  g_debug ("outbox: message %s confirmed", id);
  self->callbacks.confirmed (id, self->user_data);
  pump (self);
}

static void
fail (TlOutbox   *self,
      Item       *item,
      const char *reason)
{
  g_autofree char *id = g_strdup (item->id);

  unqueue (self, item);
  item->state = ITEM_FAILED;
  set_status (self, item, "error");
  g_message ("outbox: message %s not sent: %s", id, reason);
  self->callbacks.failed (id, reason, self->user_data);
  pump (self);
}

/* Sends what may go out, gives up on what waited too long, and arms the
 * timer for the next thing that will need doing. */
static void
pump (TlOutbox *self)
{
  g_autoptr(GPtrArray) expired = g_ptr_array_new ();
  gint64 now = g_get_monotonic_time ();
  gint64 next = G_MAXINT64;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->items);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Item *item = value;
      gint64 give_up_at = item->attempt_started_us + (gint64) self->give_up_ms * 1000;

      if (item->state == ITEM_FAILED)
        continue;
      if (now >= give_up_at)
        g_ptr_array_add (expired, item);
      else
        next = MIN (next, give_up_at);
    }
  if (expired->len > 0)
    {
      /* fail() pumps again, with the expired ones out of the way. */
      fail (self, expired->pdata[0], "not delivered within 5 minutes");
      return;
    }

  if (self->online)
    {
      g_hash_table_iter_init (&iter, self->queues);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          Item *head = g_queue_peek_head (value);

          if (head->state == ITEM_IN_FLIGHT &&
              now >= head->sent_us + (gint64) self->resend_ms * 1000)
            {
              /* No ack and no echo within 10 s: same id, new request. */
              g_debug ("outbox: no reply for message %s, sending again", head->id);
              head->state = ITEM_QUEUED;
            }
          if (head->state == ITEM_QUEUED && now >= head->not_before_us)
            send_item (self, head);

          if (head->state == ITEM_IN_FLIGHT)
            next = MIN (next, head->sent_us + (gint64) self->resend_ms * 1000);
          else if (head->state == ITEM_QUEUED)
            next = MIN (next, MAX (head->not_before_us, now + 1000));
        }
    }

  if (next == G_MAXINT64)
    tl_deadline_disarm (self->timer);
  else
    tl_deadline_arm_at (self->timer, next);
}

char *
tl_outbox_add (TlOutbox    *self,
               const char  *conversation_id,
               JsonNode    *parts,
               const char  *author_id,
               GError     **error)
{
  Item *item;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (conversation_id != NULL && *conversation_id != '\0', NULL);
  g_return_val_if_fail (parts != NULL && JSON_NODE_HOLDS_ARRAY (parts), NULL);

  item = g_new0 (Item, 1);
  item->id = g_uuid_string_random ();
  item->conversation_id = g_strdup (conversation_id);
  item->author_id = g_strdup (author_id);
  item->parts = json_node_copy (parts);
  item->state = ITEM_QUEUED;
  item->attempt_started_us = g_get_monotonic_time ();

  if (!insert_optimistic (self, item, error))
    {
      item_free (item);
      return NULL;
    }
  g_hash_table_insert (self->items, item->id, item);
  g_queue_push_tail (get_queue (self, conversation_id), item);
  pump (self);
  return g_strdup (item->id);
}

gboolean
tl_outbox_retry (TlOutbox   *self,
                 const char *message_id)
{
  Item *item;

  g_return_val_if_fail (self != NULL, FALSE);

  item = g_hash_table_lookup (self->items, message_id);
  if (item == NULL || item->state != ITEM_FAILED)
    return FALSE;
  item->state = ITEM_QUEUED;
  item->attempt_started_us = g_get_monotonic_time ();
  item->not_before_us = 0;
  if (tl_store_lookup_message (self->store, item->id) == NULL)
    insert_optimistic (self, item, NULL);
  else
    set_status (self, item, "sending");
  g_queue_push_tail (get_queue (self, item->conversation_id), item);
  pump (self);
  return TRUE;
}

void
tl_outbox_set_online (TlOutbox *self,
                      gboolean  online)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (self != NULL);

  self->online = online;
  if (!online)
    {
      /* Replies to these requests can no longer arrive. */
      g_hash_table_remove_all (self->requests);
      g_hash_table_iter_init (&iter, self->items);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          Item *item = value;

          if (item->state == ITEM_IN_FLIGHT)
            item->state = ITEM_QUEUED;
          item->not_before_us = 0;
        }
    }
  pump (self);
}

static Item *
lookup_request (TlOutbox   *self,
                const char *request_id,
                gboolean   *ours)
{
  const char *id = g_hash_table_lookup (self->requests, request_id);

  *ours = id != NULL;
  return id ? g_hash_table_lookup (self->items, id) : NULL;
}

gboolean
tl_outbox_handle_ack (TlOutbox   *self,
                      const char *request_id,
                      JsonObject *ack)
{
  gboolean ours = FALSE;
  Item *item;
  gint64 seq = 0;
  JsonNode *message;

  g_return_val_if_fail (self != NULL, FALSE);

  item = lookup_request (self, request_id, &ours);
  if (!ours)
    return FALSE;
  g_hash_table_remove (self->requests, request_id);
  if (item == NULL)
    return TRUE;   /* already confirmed by its echo or an earlier ack */

  message = json_object_get_member (ack, "message");
  if (json_object_has_member (ack, "seq") &&
      JSON_NODE_HOLDS_VALUE (json_object_get_member (ack, "seq")) &&
      json_node_get_value_type (json_object_get_member (ack, "seq")) == G_TYPE_INT64)
    seq = json_object_get_int_member (ack, "seq");

  /* The echo carries the same record with its seq. When it was applied
   * already (seq ≤ last applied), later updates may have been too: the ack's
   * copy would be older than the store's, so it is not applied. */
  if (tl_store_get_in_snapshot (self->store))
    {
      /* The snapshot, or the echo held behind it, brings the server's copy. */
    }
  else if (seq > tl_store_get_seq (self->store) && message != NULL && JSON_NODE_HOLDS_OBJECT (message))
    {
      g_autoptr(GError) error = NULL;
      JsonObject *object = json_node_get_object (message);
      const char *id = json_object_get_string_member_with_default (object, "id", NULL);

      if (g_strcmp0 (id, item->id) != 0 || !apply_local (self, "message-added", message, &error))
        {
          g_message ("outbox: ack for message %s carries an unusable message: %s",
                     item->id, error ? error->message : "wrong id");
          set_status (self, item, "sent");
        }
    }
  else if (seq > tl_store_get_seq (self->store) || seq == 0)
    set_status (self, item, "sent");

  confirm (self, item);
  return TRUE;
}

gboolean
tl_outbox_handle_error (TlOutbox   *self,
                        const char *request_id,
                        const char *code,
                        const char *message,
                        gboolean    retryable)
{
  gboolean ours = FALSE;
  Item *item;

  g_return_val_if_fail (self != NULL, FALSE);

  item = lookup_request (self, request_id, &ours);
  if (!ours)
    return FALSE;
  g_hash_table_remove (self->requests, request_id);
  if (item == NULL || item->state != ITEM_IN_FLIGHT)
    return TRUE;

  if (!retryable)
    {
      g_autofree char *reason = g_strdup_printf ("%s%s%s", code ? code : "error",
                                                 message ? ": " : "", message ? message : "");

      fail (self, item, reason);
      return TRUE;
    }

  g_debug ("outbox: retryable error for message %s (%s), sending again", item->id,
           code ? code : "error");
  item->state = ITEM_QUEUED;
  item->not_before_us = g_get_monotonic_time () + (gint64) self->retry_error_ms * 1000;
  pump (self);
  return TRUE;
}

void
tl_outbox_message_applied (TlOutbox   *self,
                           const char *message_id)
{
  Item *item;

  g_return_if_fail (self != NULL);

  if (message_id == NULL || (item = g_hash_table_lookup (self->items, message_id)) == NULL)
    return;
  confirm (self, item);
}

void
tl_outbox_after_snapshot (TlOutbox *self)
{
  g_autoptr(GList) items = NULL;

  g_return_if_fail (self != NULL);

  items = g_hash_table_get_values (self->items);
  for (GList *l = items; l != NULL; l = l->next)
    {
      Item *item = l->data;
      TlMessage *message = tl_store_lookup_message (self->store, item->id);

      if (message != NULL && item->state != ITEM_FAILED)
        {
          /* Whatever the snapshot holds came from the server. */
          confirm (self, item);
        }
      else if (message == NULL)
        {
          insert_optimistic (self, item, NULL);
          if (item->state == ITEM_FAILED)
            set_status (self, item, "error");
        }
    }
}

guint
tl_outbox_get_n_pending (TlOutbox *self)
{
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  g_return_val_if_fail (self != NULL, 0);

  g_hash_table_iter_init (&iter, self->items);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    n += ((Item *) value)->state != ITEM_FAILED;
  return n;
}

gboolean
tl_outbox_has_in_flight (TlOutbox *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return g_hash_table_size (self->requests) > 0;
}

gboolean
tl_outbox_is_pending (TlOutbox   *self,
                      const char *message_id)
{
  Item *item;

  g_return_val_if_fail (self != NULL, FALSE);

  item = g_hash_table_lookup (self->items, message_id);
  return item != NULL && item->state != ITEM_FAILED;
}
