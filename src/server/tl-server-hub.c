/* tl-server-hub.c — the server's domain logic: membership, unread, fan-out
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every change follows one shape: begin a transaction, write the state and
 * append one event per member to their logs, commit, and only then hand the
 * frames to the sink. So an event is durable before any client sees it, and
 * a failed change leaves neither state nor events behind.
 *
 * Conversations are stored with their shared fields only; unreadCount and
 * readState are per member and added when a conversation is sent to one.
 */
#define G_LOG_DOMAIN "threadline-server"

#include "tl-server-hub.h"

#include <string.h>

#include "tl-event.h"
#include "tl-json.h"
#include "tl-server-json.h"
#include "tl-store.h"
#include "tl-stream.h"
#include "tl-timestamp.h"

#define SNAPSHOT_CONVERSATIONS_PAGE 200
#define SNAPSHOT_MESSAGES_PAGE      100
#define HISTORY_DEFAULT_LIMIT       50
#define HISTORY_MAX_LIMIT           200

/* Server→client frames are at most 1 MiB (PROTOCOL.md): pages and single
 * entities stay below this, leaving room for the envelope. */
#define PAGE_BUDGET (TL_FRAME_MAX_SIZE - 64 * 1024)

typedef struct
{
  char     *user_id;
  char     *frame;
  gpointer  except;     /* a connection not to send to, or NULL */
} Delivery;

typedef struct
{
  char      *message_id;
  char      *conversation_id;
  GPtrArray *frames;        /* stream-chunk frames, index = sequence - 1 */
  TlStore   *mirror;        /* the message as clients build it */
} Stream;

struct _TlServerHub
{
  GObject           parent_instance;

  /* owned */
  TlServerStore    *store;
  char             *epoch;
  GPtrArray        *pending;      /* Delivery*, sent by tl_server_hub_flush() */
  GHashTable       *touched;      /* user ids whose log grew in this transaction */
  GHashTable       *presence;     /* user id → GINT_TO_POINTER (online) */
  GHashTable       *streams;      /* message id → Stream* */
  gint64            order;        /* arrival counter for messages without createdAt */
  gint64            retain;

  /* borrowed for the duration of a push */
  JsonObject       *result_seqs;

  TlServerSinkFunc  sink;
  gpointer          sink_data;
  gboolean          in_transaction;
  gboolean          holding;      /* queue ephemeral frames until the flush */
};

G_DEFINE_FINAL_TYPE (TlServerHub, tl_server_hub, G_TYPE_OBJECT)

enum {
  MESSAGE_SENT,
  REGENERATE,
  TOOL_APPROVAL,
  STREAM_ENDED,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

G_DEFINE_QUARK (tl-server-error-quark, tl_server_error)

static void end_stream     (TlServerHub *self,
                            const char  *message_id);
static void end_streams_in (TlServerHub *self,
                            const char  *conversation_id);

const char *
tl_server_error_code (const GError *error)
{
  if (error == NULL || error->domain != TL_SERVER_ERROR)
    return "internal";
  switch ((TlServerError) error->code)
    {
    case TL_SERVER_ERROR_BAD_REQUEST: return "bad-request";
    case TL_SERVER_ERROR_NOT_FOUND: return "not-found";
    case TL_SERVER_ERROR_CONFLICT: return "conflict";
    case TL_SERVER_ERROR_FORBIDDEN: return "forbidden";
    case TL_SERVER_ERROR_TOO_LARGE: return "too-large";
    case TL_SERVER_ERROR_INTERNAL:
    default: return "internal";
    }
}

static void
delivery_free (gpointer data)
{
  Delivery *delivery = data;

  g_free (delivery->user_id);
  g_free (delivery->frame);
  g_free (delivery);
}

static void
stream_free (gpointer data)
{
  Stream *stream = data;

  g_free (stream->message_id);
  g_free (stream->conversation_id);
  g_ptr_array_unref (stream->frames);
  g_clear_object (&stream->mirror);
  g_free (stream);
}

static void
tl_server_hub_finalize (GObject *object)
{
  TlServerHub *self = TL_SERVER_HUB (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->epoch, g_free);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->touched, g_hash_table_unref);
  g_clear_pointer (&self->presence, g_hash_table_unref);
  g_clear_pointer (&self->streams, g_hash_table_unref);

  G_OBJECT_CLASS (tl_server_hub_parent_class)->finalize (object);
}

static void
tl_server_hub_class_init (TlServerHubClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tl_server_hub_finalize;

  /* Emitted after a client's send-message is committed, with the sender,
   * the conversation and the message id: how assistants learn about a
   * message to answer. */
  signals [MESSAGE_SENT] =
    g_signal_new ("message-sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  /* conversation id, the new reply's id (already announced), the old id */
  signals [REGENERATE] =
    g_signal_new ("regenerate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  /* message id, tool call id, approved */
  signals [TOOL_APPROVAL] =
    g_signal_new ("tool-approval", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_STRING, G_TYPE_STRING, G_TYPE_BOOLEAN);
  /* message id: the stream is over (terminal chunk, stop, removal) */
  signals [STREAM_ENDED] =
    g_signal_new ("stream-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
tl_server_hub_init (TlServerHub *self)
{
  self->pending = g_ptr_array_new_with_free_func (delivery_free);
  self->touched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->presence = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->streams = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, stream_free);
}

TlServerHub *
tl_server_hub_new (TlServerStore  *store,
                   gint64          retain,
                   GError        **error)
{
  g_autoptr(TlServerHub) self = NULL;
  g_autofree char *order = NULL;

  g_return_val_if_fail (TL_IS_SERVER_STORE (store), NULL);

  self = g_object_new (TL_TYPE_SERVER_HUB, NULL);
  self->store = g_object_ref (store);
  self->retain = retain;

  /* The epoch names this database's history; it only changes when the
   * database is replaced, which is exactly when cursors become invalid. */
  self->epoch = tl_server_store_get_meta (store, "epoch");
  if (self->epoch == NULL)
    {
      self->epoch = g_strdup_printf ("e-%08x%08x", g_random_int (), g_random_int ());
      if (!tl_server_store_set_meta (store, "epoch", self->epoch, error))
        return NULL;
    }
  order = tl_server_store_get_meta (store, "order");
  self->order = order != NULL ? g_ascii_strtoll (order, NULL, 10) : 0;

  return g_steal_pointer (&self);
}

TlServerStore *
tl_server_hub_get_store (TlServerHub *self)
{
  g_return_val_if_fail (TL_IS_SERVER_HUB (self), NULL);
  return self->store;
}

const char *
tl_server_hub_get_epoch (TlServerHub *self)
{
  g_return_val_if_fail (TL_IS_SERVER_HUB (self), NULL);
  return self->epoch;
}

void
tl_server_hub_set_sink (TlServerHub      *self,
                        TlServerSinkFunc  func,
                        gpointer          user_data)
{
  g_return_if_fail (TL_IS_SERVER_HUB (self));
  self->sink = func;
  self->sink_data = user_data;
}

void
tl_server_hub_flush (TlServerHub *self)
{
  g_autoptr(GPtrArray) pending = NULL;

  g_return_if_fail (TL_IS_SERVER_HUB (self));
  g_assert (!self->in_transaction);

  self->holding = FALSE;
  /* Swap first: a sink may cause further changes (the demo reacts). */
  pending = g_steal_pointer (&self->pending);
  self->pending = g_ptr_array_new_with_free_func (delivery_free);
  for (guint i = 0; i < pending->len; i++)
    {
      Delivery *delivery = g_ptr_array_index (pending, i);

      if (self->sink != NULL)
        self->sink (delivery->user_id, delivery->frame, delivery->except, self->sink_data);
    }
}

/* Transactions */

static gboolean
begin (TlServerHub  *self,
       GError      **error)
{
  g_assert (!self->in_transaction);
  if (!tl_server_store_begin (self->store, error))
    return FALSE;
  self->in_transaction = TRUE;
  g_hash_table_remove_all (self->touched);
  return TRUE;
}

static void
abort_transaction (TlServerHub *self)
{
  tl_server_store_rollback (self->store);
  self->in_transaction = FALSE;
  g_ptr_array_set_size (self->pending, 0);
  g_hash_table_remove_all (self->touched);
}

static gboolean
commit (TlServerHub  *self,
        GError      **error)
{
  GHashTableIter iter;
  gpointer user_id;
  g_autofree char *order = g_strdup_printf ("%" G_GINT64_FORMAT, self->order);

  g_hash_table_iter_init (&iter, self->touched);
  while (g_hash_table_iter_next (&iter, &user_id, NULL))
    if (!tl_server_store_trim_events (self->store, user_id, self->retain, error))
      goto fail;
  if (!tl_server_store_set_meta (self->store, "order", order, error) ||
      !tl_server_store_commit (self->store, error))
    goto fail;

  self->in_transaction = FALSE;
  g_hash_table_remove_all (self->touched);
  return TRUE;

fail:
  abort_transaction (self);
  return FALSE;
}

/* Appends a durable event to @user_id's log and queues its frame. */
static gboolean
emit (TlServerHub  *self,
      const char   *user_id,
      const char   *type,
      const char   *body,
      gint64       *out_seq,
      GError      **error)
{
  Delivery *delivery;
  char *frame = NULL;
  gint64 seq;

  g_assert (self->in_transaction);

  seq = tl_server_store_append_event (self->store, user_id, type, body, &frame, error);
  if (seq <= 0)
    return FALSE;

  delivery = g_new0 (Delivery, 1);
  delivery->user_id = g_strdup (user_id);
  delivery->frame = frame;
  g_ptr_array_add (self->pending, delivery);
  g_hash_table_add (self->touched, g_strdup (user_id));

  /* The first event a change gives a user is the change itself; what
   * follows (its conversation-updated) is bookkeeping. */
  if (self->result_seqs != NULL && !json_object_has_member (self->result_seqs, user_id))
    json_object_set_int_member (self->result_seqs, user_id, seq);
  if (out_seq != NULL)
    *out_seq = seq;
  return TRUE;
}

/* Queues an ephemeral frame: it goes out with the durable ones of the same
 * change, or right away outside a transaction. */
static void
emit_ephemeral (TlServerHub *self,
                const char  *user_id,
                const char  *frame,
                gpointer     except)
{
  Delivery *delivery;

  if (!self->in_transaction && !self->holding)
    {
      if (self->sink != NULL)
        self->sink (user_id, frame, except, self->sink_data);
      return;
    }
  delivery = g_new0 (Delivery, 1);
  delivery->user_id = g_strdup (user_id);
  delivery->frame = g_strdup (frame);
  delivery->except = except;
  g_ptr_array_add (self->pending, delivery);
}

void
tl_server_hub_hold (TlServerHub *self)
{
  g_return_if_fail (TL_IS_SERVER_HUB (self));
  self->holding = TRUE;
}

/* Helpers */

static gboolean
store_failed (GError **error)
{
  if (error != NULL && *error == NULL)
    g_set_error_literal (error, TL_SERVER_ERROR, TL_SERVER_ERROR_INTERNAL, "storage failed");
  return FALSE;
}

static gboolean
require_member (TlServerHub  *self,
                const char   *conversation_id,
                const char   *user_id,
                GError      **error)
{
  /* Not a member and no such conversation look the same from outside, so
   * nobody learns which conversation ids exist. */
  if (conversation_id == NULL ||
      !tl_server_store_get_unread (self->store, conversation_id, user_id, NULL))
    {
      g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_NOT_FOUND,
                   "no conversation “%s”", conversation_id != NULL ? conversation_id : "");
      return FALSE;
    }
  return TRUE;
}

static char *
sort_key_for (TlServerHub *self,
              JsonObject  *message,
              const char  *old_key)
{
  const char *created_at = tl_server_json_get_string (message, "createdAt");
  TlTimestamp ts;

  /* Thread order is (createdAt as an instant, id); a fixed-width key makes it
   * a byte order the database can index. Messages without createdAt sort
   * after every timestamped one, in arrival order ('~' > digits). */
  if (created_at != NULL && tl_timestamp_parse (created_at, &ts))
    return g_strdup_printf ("%020" G_GINT64_FORMAT ".%09u",
                            ts.sec + G_GINT64_CONSTANT (62135596800), ts.nsec);
  if (old_key != NULL)
    return g_strdup (old_key);
  return g_strdup_printf ("~%020" G_GINT64_FORMAT, ++self->order);
}

static char *
encode_cursor (const char *sort_key,
               const char *id)
{
  g_autofree char *raw = g_strconcat (sort_key, "\n", id, NULL);

  return g_base64_encode ((const guchar *) raw, strlen (raw));
}

static gboolean
decode_cursor (const char  *cursor,
               char       **sort_key,
               char       **id)
{
  g_autofree guchar *raw = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  char *nl;

  raw = g_base64_decode (cursor, &len);
  if (raw == NULL || len == 0)
    return FALSE;
  text = g_strndup ((const char *) raw, len);
  nl = strchr (text, '\n');
  if (nl == NULL || !g_utf8_validate (text, -1, NULL))
    return FALSE;
  *nl = '\0';
  *sort_key = g_strdup (text);
  *id = g_strdup (nl + 1);
  return TRUE;
}

/* The conversation as @user_id sees it: shared fields plus their unread
 * state. */
static char *
conversation_view (TlServerHub *self,
                   JsonObject  *stored,
                   const char  *conversation_id,
                   const char  *user_id)
{
  g_autoptr(JsonObject) view = tl_server_json_without_nulls (stored);
  gint64 unread = 0;

  tl_server_store_get_unread (self->store, conversation_id, user_id, &unread);
  json_object_set_int_member (view, "unreadCount", unread);
  json_object_set_string_member (view, "readState", unread > 0 ? "unread" : "read");
  return tl_server_json_object_to_string (view);
}

static char *
body_with (const char *name,
           const char *raw_json)
{
  GString *out = g_string_new (NULL);

  tl_server_json_append_member (out, name, raw_json);
  return g_string_free (out, FALSE);
}

static gboolean
emit_conversation_state (TlServerHub  *self,
                         const char   *conversation_id,
                         const char   *user_id,
                         const char   *last_message_at,
                         gint64        unread,
                         GError      **error)
{
  g_autoptr(GString) conv = g_string_new ("{");
  g_autofree char *body = NULL;

  tl_server_json_append_string_member (conv, "id", conversation_id);
  if (last_message_at != NULL)
    tl_server_json_append_string_member (conv, "lastMessageAt", last_message_at);
  g_string_append_printf (conv, ",\"unreadCount\":%" G_GINT64_FORMAT, unread);
  tl_server_json_append_string_member (conv, "readState", unread > 0 ? "unread" : "read");
  g_string_append_c (conv, '}');
  body = body_with ("conversation", conv->str);
  return emit (self, user_id, "conversation-updated", body, NULL, error);
}

/* Updates lastMessageAt (when @created_at is later) and every member's
 * unread count after a new message by @author_id, and tells each member. */
static gboolean
account_new_message (TlServerHub  *self,
                     const char   *conversation_id,
                     const char   *author_id,
                     const char   *created_at,
                     GError      **error)
{
  g_autofree char *conv_json = tl_server_store_get_conversation (self->store, conversation_id);
  g_autoptr(JsonObject) conv = tl_server_json_parse_object (conv_json);
  g_auto(GStrv) members = NULL;
  const char *last = NULL;
  TlTimestamp new_ts, old_ts;

  if (conv == NULL)
    return store_failed (error);

  if (created_at != NULL && tl_timestamp_parse (created_at, &new_ts))
    {
      const char *old = tl_server_json_get_string (conv, "lastMessageAt");

      if (old == NULL || !tl_timestamp_parse (old, &old_ts) ||
          tl_timestamp_compare (&new_ts, &old_ts) > 0)
        {
          g_autofree char *text = NULL;

          json_object_set_string_member (conv, "lastMessageAt", created_at);
          text = tl_server_json_object_to_string (conv);
          if (!tl_server_store_put_conversation (self->store, conversation_id, text, error))
            return FALSE;
        }
    }
  last = tl_server_json_get_string (conv, "lastMessageAt");

  members = tl_server_store_list_members (self->store, conversation_id);
  for (guint i = 0; members[i] != NULL; i++)
    {
      gint64 unread = 0;

      tl_server_store_get_unread (self->store, conversation_id, members[i], &unread);
      /* Whoever wrote it has read the conversation up to it. */
      unread = g_strcmp0 (members[i], author_id) == 0 ? 0 : unread + 1;
      if (!tl_server_store_set_unread (self->store, conversation_id, members[i], unread, error) ||
          !emit_conversation_state (self, conversation_id, members[i], last, unread, error))
        return FALSE;
    }
  return TRUE;
}

/* Validates an entity with core's parser by wrapping it in the event that
 * would carry it: the server accepts exactly what a client would. */
static TlEvent *
parse_wrapped (const char  *type,
               const char  *member,
               JsonObject  *entity,
               GError     **error)
{
  g_autoptr(JsonObject) wrapper = json_object_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local_error = NULL;
  TlEvent *event;

  json_object_set_string_member (wrapper, "type", type);
  json_object_set_object_member (wrapper, member, json_object_ref (entity));
  root = json_node_init_object (json_node_alloc (), wrapper);
  event = tl_event_parse (root, NULL, &local_error);
  if (event == NULL)
    g_set_error_literal (error, TL_SERVER_ERROR, TL_SERVER_ERROR_BAD_REQUEST,
                         local_error->message);
  return event;
}

static gsize
text_size (JsonObject *message)
{
  JsonNode *parts = json_object_get_member (message, "parts");
  gsize size = 0;

  if (parts == NULL || !JSON_NODE_HOLDS_ARRAY (parts))
    return 0;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (parts)); i++)
    {
      JsonNode *part = json_array_get_element (json_node_get_array (parts), i);
      const char *text = JSON_NODE_HOLDS_OBJECT (part) ?
        tl_server_json_get_string (json_node_get_object (part), "text") : NULL;

      if (text != NULL)
        size += strlen (text);
    }
  return size;
}

static JsonNode *
author_for (TlServerHub *self,
            const char  *user_id)
{
  g_autoptr(TlServerUser) user = tl_server_store_get_user (self->store, user_id);
  g_autoptr(JsonObject) author = json_object_new ();

  json_object_set_string_member (author, "id", user_id);
  if (user != NULL && user->display_name != NULL)
    json_object_set_string_member (author, "displayName", user->display_name);
  return json_node_init_object (json_node_alloc (), author);
}

/* Commands */

char *
tl_server_hub_send_message (TlServerHub  *self,
                            const char   *user_id,
                            JsonObject   *message,
                            GError      **error)
{
  g_autoptr(TlEvent) event = NULL;
  g_autoptr(JsonObject) stored = NULL;
  g_autofree char *key = NULL;
  g_autofree char *owner = NULL;
  g_autofree char *previous = NULL;
  g_autofree char *existing = NULL;
  g_autofree char *now = NULL;
  g_autofree char *sort_key = NULL;
  g_autofree char *json = NULL;
  g_autofree char *body = NULL;
  g_auto(GStrv) members = NULL;
  g_autoptr(GString) ack = NULL;
  const char *id;
  const char *conversation_id;
  gint64 seq = 0;

  g_return_val_if_fail (TL_IS_SERVER_HUB (self), NULL);

  if (message == NULL)
    {
      g_set_error_literal (error, TL_SERVER_ERROR, TL_SERVER_ERROR_BAD_REQUEST,
                           "send-message: missing “message”");
      return NULL;
    }
  event = parse_wrapped ("message-added", "message", message, error);
  if (event == NULL)
    return NULL;
  id = event->message.id;
  conversation_id = event->message.conversation_id;

  /* A retry (same id, same sender) gets the original result and creates
   * nothing. */
  key = g_strconcat ("message:", id, NULL);
  previous = tl_server_store_get_idempotent (self->store, key, &owner);
  if (previous != NULL)
    {
      if (g_strcmp0 (owner, user_id) == 0)
        return g_steal_pointer (&previous);
      g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_CONFLICT,
                   "message id “%s” is already taken", id);
      return NULL;
    }
  existing = tl_server_store_get_message (self->store, id, NULL, NULL);
  if (existing != NULL)
    {
      g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_CONFLICT,
                   "message id “%s” is already taken", id);
      return NULL;
    }
  if (conversation_id == NULL)
    {
      g_set_error_literal (error, TL_SERVER_ERROR, TL_SERVER_ERROR_BAD_REQUEST,
                           "message: missing required field “conversationId”");
      return NULL;
    }
  if (!require_member (self, conversation_id, user_id, error))
    return NULL;
  if (text_size (message) > TL_SERVER_MAX_TEXT)
    {
      g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_TOO_LARGE,
                   "message text exceeds %d bytes", TL_SERVER_MAX_TEXT);
      return NULL;
    }

  /* The server is authoritative for who sent it, when, and its status. */
  now = tl_server_json_now ();
  stored = json_object_new ();
  json_object_set_string_member (stored, "id", id);
  json_object_set_string_member (stored, "conversationId", conversation_id);
  json_object_set_string_member (stored, "role", event->message.role != NULL ? event->message.role : "user");
  if (event->message.parts != NULL)
    json_object_set_member (stored, "parts", json_node_copy (event->message.parts));
  else
    json_object_set_array_member (stored, "parts", json_array_new ());
  if (event->message.metadata != NULL)
    json_object_set_member (stored, "metadata", json_node_copy (event->message.metadata));
  json_object_set_string_member (stored, "createdAt", now);
  json_object_set_string_member (stored, "status", "sent");
  json_object_set_member (stored, "author", author_for (self, user_id));

  json = tl_server_json_object_to_string (stored);
  body = body_with ("message", json);

  if (!begin (self, error))
    return NULL;
  sort_key = sort_key_for (self, stored, NULL);
  if (!tl_server_store_put_message (self->store, id, conversation_id, sort_key, json, error))
    goto fail;
  members = tl_server_store_list_members (self->store, conversation_id);
  for (guint i = 0; members[i] != NULL; i++)
    if (!emit (self, members[i], "message-added", body,
               g_strcmp0 (members[i], user_id) == 0 ? &seq : NULL, error))
      goto fail;
  if (!account_new_message (self, conversation_id, user_id, now, error))
    goto fail;

  ack = g_string_new (NULL);
  tl_server_json_append_string_member (ack, "messageId", id);
  g_string_append_printf (ack, ",\"seq\":%" G_GINT64_FORMAT, seq);
  tl_server_json_append_member (ack, "message", json);
  if (!tl_server_store_put_idempotent (self->store, key, user_id, ack->str, error) ||
      !commit (self, error))
    goto fail;

  g_signal_emit (self, signals [MESSAGE_SENT], 0, user_id, conversation_id, id);
  return g_string_free (g_steal_pointer (&ack), FALSE);

fail:
  if (self->in_transaction)
    abort_transaction (self);
  store_failed (error);
  return NULL;
}

char *
tl_server_hub_mark_read (TlServerHub  *self,
                         const char   *user_id,
                         const char   *conversation_id,
                         const char   *message_id,
                         GError      **error)
{
  g_autoptr(GString) body = g_string_new (NULL);
  g_auto(GStrv) members = NULL;
  gint64 seq = 0;

  g_return_val_if_fail (TL_IS_SERVER_HUB (self), NULL);

  if (!require_member (self, conversation_id, user_id, error))
    return NULL;
  if (message_id != NULL)
    {
      g_autofree char *message_conv = NULL;
      g_autofree char *json = tl_server_store_get_message (self->store, message_id, &message_conv, NULL);

      if (json == NULL || g_strcmp0 (message_conv, conversation_id) != 0)
        {
          g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_NOT_FOUND,
                       "no message “%s” in this conversation", message_id);
          return NULL;
        }
    }

  tl_server_json_append_string_member (body, "conversationId", conversation_id);
  if (message_id != NULL)
    tl_server_json_append_string_member (body, "messageId", message_id);
  tl_server_json_append_string_member (body, "userId", user_id);

  if (!begin (self, error))
    return NULL;
  if (!tl_server_store_set_unread (self->store, conversation_id, user_id, 0, error))
    goto fail;
  members = tl_server_store_list_members (self->store, conversation_id);
  for (guint i = 0; members[i] != NULL; i++)
    if (!emit (self, members[i], "read", body->str,
               g_strcmp0 (members[i], user_id) == 0 ? &seq : NULL, error))
      goto fail;
  if (!commit (self, error))
    goto fail;

  return g_strdup_printf ("\"seq\":%" G_GINT64_FORMAT, seq);

fail:
  if (self->in_transaction)
    abort_transaction (self);
  store_failed (error);
  return NULL;
}

gboolean
tl_server_hub_set_typing (TlServerHub  *self,
                          const char   *user_id,
                          const char   *conversation_id,
                          gboolean      is_typing,
                          gpointer      except,
                          GError      **error)
{
  g_autoptr(GString) frame = g_string_new ("{\"type\":\"typing\"");
  g_auto(GStrv) members = NULL;

  g_return_val_if_fail (TL_IS_SERVER_HUB (self), FALSE);

  if (!require_member (self, conversation_id, user_id, error))
    return FALSE;

  tl_server_json_append_string_member (frame, "conversationId", conversation_id);
  tl_server_json_append_string_member (frame, "userId", user_id);
  g_string_append_printf (frame, ",\"isTyping\":%s}", is_typing ? "true" : "false");

  members = tl_server_store_list_members (self->store, conversation_id);
  for (guint i = 0; members[i] != NULL; i++)
    emit_ephemeral (self, members[i], frame->str, except);
  return TRUE;
}

static void
append_messages (GString   *out,
                 GPtrArray *rows)
{
  g_string_append_c (out, '[');
  for (guint i = 0; i < rows->len; i++)
    {
      TlServerMessageRow *row = g_ptr_array_index (rows, i);

      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, row->json);
    }
  g_string_append_c (out, ']');
}

static void
fit_page (GPtrArray *rows,
          gboolean  *has_more)
{
  gsize total = 0;

  for (guint i = 0; i < rows->len; i++)
    total += strlen (((TlServerMessageRow *) g_ptr_array_index (rows, i))->json) + 1;
  while (total > PAGE_BUDGET && rows->len > 1)
    {
      total -= strlen (((TlServerMessageRow *) g_ptr_array_index (rows, 0))->json) + 1;
      g_ptr_array_remove_index (rows, 0);
      *has_more = TRUE;
    }
}

/* Appends messages, hasMoreHistory and historyCursor for one page. */
static void
append_page (GString    *out,
             GPtrArray  *rows,
             gboolean    has_more)
{
  fit_page (rows, &has_more);

  if (out->len > 0 && out->str[out->len - 1] != '{')
    g_string_append_c (out, ',');
  g_string_append (out, "\"messages\":");
  append_messages (out, rows);
  g_string_append_printf (out, ",\"hasMoreHistory\":%s", has_more ? "true" : "false");
  if (rows->len > 0)
    {
      TlServerMessageRow *oldest = g_ptr_array_index (rows, 0);
      g_autofree char *cursor = encode_cursor (oldest->sort_key, oldest->id);

      tl_server_json_append_string_member (out, "historyCursor", cursor);
    }
}

char *
tl_server_hub_load_history (TlServerHub  *self,
                            const char   *user_id,
                            const char   *conversation_id,
                            const char   *cursor,
                            gint64        limit,
                            GError      **error)
{
  g_autofree char *before_key = NULL;
  g_autofree char *before_id = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  gboolean has_more = FALSE;

  g_return_val_if_fail (TL_IS_SERVER_HUB (self), NULL);

  if (!require_member (self, conversation_id, user_id, error))
    return NULL;
  if (cursor != NULL && !decode_cursor (cursor, &before_key, &before_id))
    {
      g_set_error_literal (error, TL_SERVER_ERROR, TL_SERVER_ERROR_BAD_REQUEST,
                           "load-history: invalid “cursor”");
      return NULL;
    }
  if (limit <= 0)
    limit = HISTORY_DEFAULT_LIMIT;
  limit = MIN (limit, HISTORY_MAX_LIMIT);

  rows = tl_server_store_list_messages (self->store, conversation_id, before_key, before_id,
                                        (guint) limit, &has_more);
  tl_server_json_append_string_member (out, "conversationId", conversation_id);
  append_page (out, rows, has_more);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static JsonObject *current_message (TlServerHub  *self,
                                    const char   *message_id,
                                    char        **conversation_id,
                                    char        **sort_key);

char *
tl_server_hub_get_message (TlServerHub  *self,
                           const char   *user_id,
                           const char   *message_id,
                           GError      **error)
{
  g_autofree char *conversation_id = NULL;
  g_autoptr(JsonObject) message = NULL;
  g_autofree char *json = NULL;
  Stream *stream;

  g_return_val_if_fail (TL_IS_SERVER_HUB (self), NULL);

  if (message_id != NULL)
    message = current_message (self, message_id, &conversation_id, NULL);
  if (message == NULL ||
      !tl_server_store_get_unread (self->store, conversation_id, user_id, NULL))
    {
      g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_NOT_FOUND,
                   "no message “%s”", message_id != NULL ? message_id : "");
      return NULL;
    }
  /* A live stream's copy is the one built from its chunks so far, and
   * streamSequence says up to which chunk. */
  stream = g_hash_table_lookup (self->streams, message_id);
  json = tl_server_json_object_to_string (message);
  return g_strdup_printf ("\"message\":%s,\"streamSequence\":%u", json,
                          stream != NULL ? stream->frames->len : 0);
}

/* Participants as stored: the cleaned copy core's parser made, so null
 * members are gone and every user is valid. */
static char **
participant_ids (JsonObject *conversation)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonNode *node = json_object_get_member (conversation, "participants");

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *user = json_array_get_element (array, i);
          const char *id = JSON_NODE_HOLDS_OBJECT (user) ?
            tl_server_json_get_string (json_node_get_object (user), "id") : NULL;

          if (id != NULL)
            g_strv_builder_add (builder, id);
        }
    }
  return g_strv_builder_end (builder);
}

/* Stores a conversation record (added = replace, else shallow merge) and
 * reconciles membership: dropped members get conversation-removed, new ones
 * conversation-added, the others @update_type with @partial. */
static gboolean
put_conversation (TlServerHub          *self,
                  TlConversationRecord *record,
                  JsonObject           *raw,
                  gboolean              replace,
                  GError              **error)
{
  g_autoptr(JsonObject) incoming = tl_server_json_without_nulls (raw);
  g_autofree char *existing_json = tl_server_store_get_conversation (self->store, record->id);
  g_autoptr(JsonObject) existing = tl_server_json_parse_object (existing_json);
  g_autoptr(JsonObject) stored = NULL;
  g_auto(GStrv) old_members = NULL;
  g_auto(GStrv) new_members = NULL;
  g_autofree char *stored_json = NULL;
  g_autofree char *partial_json = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  /* Unread state is per member, never shared. */
  json_object_remove_member (incoming, "unreadCount");
  json_object_remove_member (incoming, "readState");
  if (record->participants != NULL)
    json_object_set_member (incoming, "participants", json_node_copy (record->participants));

  if (replace || existing == NULL)
    stored = json_object_ref (incoming);
  else
    {
      stored = json_object_ref (existing);
      json_object_iter_init_ordered (&iter, incoming);
      while (json_object_iter_next_ordered (&iter, &name, &value))
        json_object_set_member (stored, name, json_node_copy (value));
    }

  stored_json = tl_server_json_object_to_string (stored);
  if (!tl_server_store_put_conversation (self->store, record->id, stored_json, error))
    return FALSE;

  old_members = existing != NULL ? tl_server_store_list_members (self->store, record->id)
                                 : g_new0 (char *, 1);
  if (replace || existing == NULL || record->participants != NULL)
    {
      g_auto(GStrv) ids = participant_ids (stored);

      if (!tl_server_store_set_participants (self->store, record->id,
                                             (const char * const *) ids, error))
        return FALSE;
    }
  new_members = tl_server_store_list_members (self->store, record->id);

  for (guint i = 0; old_members[i] != NULL; i++)
    if (!g_strv_contains ((const char * const *) new_members, old_members[i]))
      {
        g_autofree char *body = NULL;
        g_autoptr(GString) id = g_string_new (NULL);

        tl_server_json_append_string_member (id, "conversationId", record->id);
        body = g_string_free (g_steal_pointer (&id), FALSE);
        if (!emit (self, old_members[i], "conversation-removed", body, NULL, error))
          return FALSE;
      }

  partial_json = tl_server_json_object_to_string (incoming);
  for (guint i = 0; new_members[i] != NULL; i++)
    {
      gboolean is_new = !g_strv_contains ((const char * const *) old_members, new_members[i]);
      g_autofree char *view = NULL;
      g_autofree char *body = NULL;

      if (record->has_unread_count &&
          !tl_server_store_set_unread (self->store, record->id, new_members[i],
                                       record->unread_count, error))
        return FALSE;

      if (replace || is_new)
        {
          view = conversation_view (self, stored, record->id, new_members[i]);
          body = body_with ("conversation", view);
          if (!emit (self, new_members[i], "conversation-added", body, NULL, error))
            return FALSE;
        }
      else
        {
          g_autoptr(JsonObject) partial = tl_server_json_parse_object (partial_json);

          if (record->has_unread_count)
            {
              json_object_set_int_member (partial, "unreadCount", record->unread_count);
              json_object_set_string_member (partial, "readState",
                                             record->unread_count > 0 ? "unread" : "read");
            }
          view = tl_server_json_object_to_string (partial);
          body = body_with ("conversation", view);
          if (!emit (self, new_members[i], "conversation-updated", body, NULL, error))
            return FALSE;
        }
    }
  return TRUE;
}

char *
tl_server_hub_create_conversation (TlServerHub  *self,
                                   const char   *user_id,
                                   JsonObject   *conversation,
                                   GError      **error)
{
  g_autoptr(TlEvent) event = NULL;
  g_autofree char *existing = NULL;
  g_autoptr(JsonArray) participants = NULL;
  gboolean has_self = FALSE;
  gint64 seq = 0;

  g_return_val_if_fail (TL_IS_SERVER_HUB (self), NULL);

  if (conversation == NULL)
    {
      g_set_error_literal (error, TL_SERVER_ERROR, TL_SERVER_ERROR_BAD_REQUEST,
                           "create-conversation: missing “conversation”");
      return NULL;
    }
  event = parse_wrapped ("conversation-added", "conversation", conversation, error);
  if (event == NULL)
    return NULL;

  existing = tl_server_store_get_conversation (self->store, event->conversation.id);
  if (existing != NULL)
    {
      /* A retry of our own creation is answered like the first time. */
      if (tl_server_store_get_unread (self->store, event->conversation.id, user_id, NULL))
        return g_strdup_printf ("\"conversationId\":\"%s\"", event->conversation.id);
      g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_CONFLICT,
                   "conversation id “%s” is already taken", event->conversation.id);
      return NULL;
    }

  /* The creator is always a participant, so always a member. */
  participants = json_array_new ();
  if (event->conversation.participants != NULL)
    {
      JsonArray *given = json_node_get_array (event->conversation.participants);

      for (guint i = 0; i < json_array_get_length (given); i++)
        {
          JsonNode *p = json_array_get_element (given, i);

          if (g_strcmp0 (tl_server_json_get_string (json_node_get_object (p), "id"), user_id) == 0)
            has_self = TRUE;
          json_array_add_element (participants, json_node_copy (p));
        }
    }
  if (!has_self)
    json_array_add_element (participants, author_for (self, user_id));
  g_clear_pointer (&event->conversation.participants, json_node_unref);
  event->conversation.participants = json_node_init_array (json_node_alloc (), participants);
  event->conversation.has_unread_count = FALSE;

  if (!begin (self, error))
    return NULL;
  self->result_seqs = json_object_new ();
  if (!put_conversation (self, &event->conversation, conversation, TRUE, error))
    {
      g_clear_pointer (&self->result_seqs, json_object_unref);
      goto fail;
    }
  seq = json_object_get_int_member_with_default (self->result_seqs, user_id, 0);
  g_clear_pointer (&self->result_seqs, json_object_unref);
  if (!commit (self, error))
    goto fail;

  return g_strdup_printf ("\"conversationId\":\"%s\",\"seq\":%" G_GINT64_FORMAT,
                          event->conversation.id, seq);

fail:
  if (self->in_transaction)
    abort_transaction (self);
  store_failed (error);
  return NULL;
}

static gboolean
emit_to_members (TlServerHub  *self,
                 const char   *conversation_id,
                 const char   *type,
                 const char   *body,
                 const char   *user_id,
                 gint64       *user_seq,
                 GError      **error)
{
  g_auto(GStrv) members = tl_server_store_list_members (self->store, conversation_id);

  for (guint i = 0; members[i] != NULL; i++)
    if (!emit (self, members[i], type, body,
               g_strcmp0 (members[i], user_id) == 0 ? user_seq : NULL, error))
      return FALSE;
  return TRUE;
}

static char *
removal_body (const char *id_name,
              const char *id,
              const char *conversation_id)
{
  GString *out = g_string_new (NULL);

  tl_server_json_append_string_member (out, id_name, id);
  if (conversation_id != NULL)
    tl_server_json_append_string_member (out, "conversationId", conversation_id);
  return g_string_free (out, FALSE);
}

char *
tl_server_hub_remove_conversation (TlServerHub  *self,
                                   const char   *user_id,
                                   const char   *conversation_id,
                                   GError      **error)
{
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) conv = NULL;
  g_auto(GStrv) members = NULL;
  g_autofree char *body = NULL;
  gboolean others = FALSE;
  gint64 seq = 0;

  g_return_val_if_fail (TL_IS_SERVER_HUB (self), NULL);

  if (!require_member (self, conversation_id, user_id, error))
    return NULL;

  json = tl_server_store_get_conversation (self->store, conversation_id);
  conv = tl_server_json_parse_object (json);
  members = tl_server_store_list_members (self->store, conversation_id);
  for (guint i = 0; members[i] != NULL; i++)
    if (g_strcmp0 (members[i], user_id) != 0)
      others = TRUE;

  body = removal_body ("conversationId", conversation_id, NULL);
  if (!begin (self, error))
    return NULL;

  if (others && conv != NULL)
    {
      /* Removing a shared conversation means leaving it: the others keep it
       * and see the participant list shrink; the leaver, no longer a
       * member, gets conversation-removed from put_conversation(). */
      g_autoptr(JsonArray) kept = json_array_new ();
      g_autoptr(JsonObject) raw = json_object_new ();
      g_autoptr(JsonObject) seqs = json_object_new ();
      JsonNode *node = json_object_get_member (conv, "participants");
      TlConversationRecord record = { 0 };
      gboolean ok;

      if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
        for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
          {
            JsonNode *p = json_array_get_element (json_node_get_array (node), i);

            if (g_strcmp0 (tl_server_json_get_string (json_node_get_object (p), "id"), user_id) != 0)
              json_array_add_element (kept, json_node_copy (p));
          }
      record.id = conversation_id;
      record.participants = json_node_init_array (json_node_alloc (), kept);
      json_object_set_string_member (raw, "id", conversation_id);
      json_object_set_member (raw, "participants", json_node_copy (record.participants));

      self->result_seqs = seqs;
      ok = put_conversation (self, &record, raw, FALSE, error);
      self->result_seqs = NULL;
      json_node_unref (record.participants);
      if (!ok)
        goto fail;
      seq = json_object_get_int_member_with_default (seqs, user_id, 0);
    }
  else if (!emit (self, user_id, "conversation-removed", body, &seq, error) ||
           !tl_server_store_delete_conversation (self->store, conversation_id, error))
    goto fail;
  else
    end_streams_in (self, conversation_id);

  if (!commit (self, error))
    goto fail;
  return g_strdup_printf ("\"seq\":%" G_GINT64_FORMAT, seq);

fail:
  if (self->in_transaction)
    abort_transaction (self);
  store_failed (error);
  return NULL;
}

char *
tl_server_hub_remove_message (TlServerHub  *self,
                              const char   *user_id,
                              const char   *message_id,
                              GError      **error)
{
  g_autofree char *conversation_id = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) message = NULL;
  g_autofree char *body = NULL;
  JsonObject *author = NULL;
  gint64 seq = 0;

  g_return_val_if_fail (TL_IS_SERVER_HUB (self), NULL);

  if (message_id != NULL)
    json = tl_server_store_get_message (self->store, message_id, &conversation_id, NULL);
  if (json == NULL || !require_member (self, conversation_id, user_id, NULL))
    {
      g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_NOT_FOUND,
                   "no message “%s”", message_id != NULL ? message_id : "");
      return NULL;
    }
  message = tl_server_json_parse_object (json);
  if (message != NULL && json_object_has_member (message, "author") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (message, "author")))
    author = json_object_get_object_member (message, "author");
  if (g_strcmp0 (tl_server_json_get_string (author, "id"), user_id) != 0)
    {
      g_set_error_literal (error, TL_SERVER_ERROR, TL_SERVER_ERROR_FORBIDDEN,
                           "only the author may remove a message");
      return NULL;
    }

  body = removal_body ("messageId", message_id, conversation_id);
  if (!begin (self, error))
    return NULL;
  if (!tl_server_store_delete_message (self->store, message_id, error) ||
      !emit_to_members (self, conversation_id, "message-removed", body, user_id, &seq, error) ||
      !commit (self, error))
    goto fail;
  end_stream (self, message_id);
  return g_strdup_printf ("\"seq\":%" G_GINT64_FORMAT, seq);

fail:
  if (self->in_transaction)
    abort_transaction (self);
  store_failed (error);
  return NULL;
}

/* The push API */

static gboolean
apply_message (TlServerHub  *self,
               TlEvent      *event,
               JsonObject   *raw,
               GError      **error)
{
  TlMessageRecord *record = &event->message;
  g_autofree char *old_conv = NULL;
  g_autofree char *old_key = NULL;
  g_autofree char *old_json = tl_server_store_get_message (self->store, record->id, &old_conv, &old_key);
  g_autoptr(JsonObject) incoming = tl_server_json_without_nulls (raw);
  g_autoptr(JsonObject) stored = NULL;
  g_autofree char *conv_json = NULL;
  g_autofree char *sort_key = NULL;
  g_autofree char *json = NULL;
  g_autofree char *body = NULL;
  g_auto(GStrv) members = NULL;
  const char *conversation_id = record->conversation_id != NULL ? record->conversation_id : old_conv;
  gboolean added = event->kind == TL_EVENT_MESSAGE_ADDED;

  if (conversation_id == NULL)
    {
      g_set_error_literal (error, TL_SERVER_ERROR, TL_SERVER_ERROR_BAD_REQUEST,
                           "message: “conversationId” is required for a new message");
      return FALSE;
    }
  conv_json = tl_server_store_get_conversation (self->store, conversation_id);
  if (conv_json == NULL)
    {
      g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_BAD_REQUEST,
                   "message: conversation “%s” does not exist", conversation_id);
      return FALSE;
    }
  if (text_size (incoming) > TL_SERVER_MAX_TEXT)
    {
      g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_BAD_REQUEST,
                   "message: text exceeds %d bytes", TL_SERVER_MAX_TEXT);
      return FALSE;
    }
  if (record->author != NULL)
    json_object_set_member (incoming, "author", json_node_copy (record->author));

  if (added || old_json == NULL)
    stored = json_object_ref (incoming);
  else
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      stored = tl_server_json_parse_object (old_json);
      json_object_iter_init_ordered (&iter, incoming);
      while (json_object_iter_next_ordered (&iter, &name, &value))
        json_object_set_member (stored, name, json_node_copy (value));
    }
  json_object_set_string_member (stored, "conversationId", conversation_id);

  sort_key = sort_key_for (self, stored, old_key);
  json = tl_server_json_object_to_string (stored);
  if (strlen (json) > PAGE_BUDGET)
    {
      g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_BAD_REQUEST,
                   "message: too large to fit a %d-byte frame", TL_FRAME_MAX_SIZE);
      return FALSE;
    }
  if (!tl_server_store_put_message (self->store, record->id, conversation_id, sort_key, json, error))
    return FALSE;

  members = tl_server_store_list_members (self->store, conversation_id);

  /* A move: members of the old conversation only lose the message. */
  if (old_conv != NULL && g_strcmp0 (old_conv, conversation_id) != 0)
    {
      g_auto(GStrv) old_members = tl_server_store_list_members (self->store, old_conv);
      g_autofree char *removal = removal_body ("messageId", record->id, old_conv);

      for (guint i = 0; old_members[i] != NULL; i++)
        if (!g_strv_contains ((const char * const *) members, old_members[i]) &&
            !emit (self, old_members[i], "message-removed", removal, NULL, error))
          return FALSE;
    }

  body = body_with ("message", json);
  for (guint i = 0; members[i] != NULL; i++)
    if (!emit (self, members[i], added ? "message-added" : "message-updated", body, NULL, error))
      return FALSE;

  if (added && old_json == NULL)
    {
      JsonNode *author = json_object_get_member (stored, "author");
      const char *author_id = author != NULL && JSON_NODE_HOLDS_OBJECT (author) ?
        tl_server_json_get_string (json_node_get_object (author), "id") : NULL;

      if (!account_new_message (self, conversation_id, author_id, record->created_at, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
apply_event (TlServerHub  *self,
             TlEvent      *event,
             JsonObject   *object,
             GError      **error)
{
  switch (event->kind)
    {
    case TL_EVENT_MESSAGE_ADDED:
    case TL_EVENT_MESSAGE_UPDATED:
      return apply_message (self, event, json_object_get_object_member (object, "message"), error);

    case TL_EVENT_MESSAGE_REMOVED:
      {
        g_autofree char *conversation_id = NULL;
        g_autofree char *json = tl_server_store_get_message (self->store, event->message_id,
                                                             &conversation_id, NULL);
        g_autofree char *body = NULL;

        end_stream (self, event->message_id);
        if (json == NULL)
          return TRUE;
        body = removal_body ("messageId", event->message_id, conversation_id);
        return tl_server_store_delete_message (self->store, event->message_id, error) &&
               emit_to_members (self, conversation_id, "message-removed", body, NULL, NULL, error);
      }

    case TL_EVENT_CONVERSATION_ADDED:
    case TL_EVENT_CONVERSATION_UPDATED:
      return put_conversation (self, &event->conversation,
                               json_object_get_object_member (object, "conversation"),
                               event->kind == TL_EVENT_CONVERSATION_ADDED, error);

    case TL_EVENT_CONVERSATION_REMOVED:
      {
        g_autofree char *json = tl_server_store_get_conversation (self->store, event->conversation_id);
        g_autofree char *body = NULL;

        if (json == NULL)
          return TRUE;
        body = removal_body ("conversationId", event->conversation_id, NULL);
        end_streams_in (self, event->conversation_id);
        return emit_to_members (self, event->conversation_id, "conversation-removed", body,
                                NULL, NULL, error) &&
               tl_server_store_delete_conversation (self->store, event->conversation_id, error);
      }

    case TL_EVENT_READ:
      {
        g_autoptr(GString) body = g_string_new (NULL);
        g_autofree char *json = tl_server_store_get_conversation (self->store, event->conversation_id);

        if (json == NULL)
          {
            g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_BAD_REQUEST,
                         "read: conversation “%s” does not exist", event->conversation_id);
            return FALSE;
          }
        if (event->user_id == NULL)
          {
            /* On the wire a read without userId means "the local user";
             * pushed to everyone it would mean nothing. */
            g_set_error_literal (error, TL_SERVER_ERROR, TL_SERVER_ERROR_BAD_REQUEST,
                                 "read: “userId” is required in the push API");
            return FALSE;
          }
        tl_server_json_append_string_member (body, "conversationId", event->conversation_id);
        if (event->message_id != NULL)
          tl_server_json_append_string_member (body, "messageId", event->message_id);
        tl_server_json_append_string_member (body, "userId", event->user_id);
        if (tl_server_store_get_unread (self->store, event->conversation_id, event->user_id, NULL) &&
            !tl_server_store_set_unread (self->store, event->conversation_id, event->user_id, 0, error))
          return FALSE;
        return emit_to_members (self, event->conversation_id, "read", body->str, NULL, NULL, error);
      }

    case TL_EVENT_TYPING:
      {
        g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
        g_autofree char *frame = tl_json_node_to_string (node);
        g_auto(GStrv) members = tl_server_store_list_members (self->store, event->conversation_id);

        for (guint i = 0; members[i] != NULL; i++)
          emit_ephemeral (self, members[i], frame, NULL);
        return TRUE;
      }

    case TL_EVENT_PRESENCE:
      tl_server_hub_set_presence (self, event->user_id, event->flag);
      return TRUE;

    case TL_EVENT_UNKNOWN:
      g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_BAD_REQUEST,
                   "unknown event type “%s”", event->type);
      return FALSE;

    default:
      g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_BAD_REQUEST,
                   "“%s” is not a realtime event", event->type);
      return FALSE;
    }
}

JsonNode *
tl_server_hub_push (TlServerHub  *self,
                    JsonNode     *body,
                    gint         *bad_index,
                    GError      **error)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_event_unref);
  g_autoptr(GPtrArray) nodes = g_ptr_array_new ();
  g_autoptr(JsonArray) results = json_array_new ();
  guint i;

  g_return_val_if_fail (TL_IS_SERVER_HUB (self), NULL);

  *bad_index = -1;
  if (JSON_NODE_HOLDS_ARRAY (body))
    {
      JsonArray *array = json_node_get_array (body);

      for (i = 0; i < json_array_get_length (array); i++)
        g_ptr_array_add (nodes, json_array_get_element (array, i));
    }
  else if (JSON_NODE_HOLDS_OBJECT (body))
    g_ptr_array_add (nodes, body);
  else
    {
      g_set_error_literal (error, TL_SERVER_ERROR, TL_SERVER_ERROR_BAD_REQUEST,
                           "body must be an event object or an array of them");
      return NULL;
    }

  /* Validate everything before touching the database. */
  for (i = 0; i < nodes->len; i++)
    {
      g_autoptr(GError) local_error = NULL;
      JsonNode *node = g_ptr_array_index (nodes, i);
      TlEvent *event;
      gint64 seq = 0;

      *bad_index = (gint) i;
      if (JSON_NODE_HOLDS_OBJECT (node) && json_object_has_member (json_node_get_object (node), "seq"))
        {
          g_set_error_literal (error, TL_SERVER_ERROR, TL_SERVER_ERROR_BAD_REQUEST,
                               "“seq” is assigned by the server; leave it out");
          return NULL;
        }
      event = tl_event_parse (node, &seq, &local_error);
      if (event == NULL)
        {
          g_set_error_literal (error, TL_SERVER_ERROR, TL_SERVER_ERROR_BAD_REQUEST,
                               local_error->message);
          return NULL;
        }
      g_ptr_array_add (events, event);
      if (event->kind == TL_EVENT_UNKNOWN)
        {
          g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_BAD_REQUEST,
                       "unknown event type “%s”", event->type);
          return NULL;
        }
      if (!tl_event_is_durable (event) && event->kind != TL_EVENT_TYPING &&
          event->kind != TL_EVENT_PRESENCE)
        {
          g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_BAD_REQUEST,
                       "“%s” is not a realtime event", event->type);
          return NULL;
        }
    }

  if (!begin (self, error))
    {
      *bad_index = -1;
      return NULL;
    }
  for (i = 0; i < events->len; i++)
    {
      TlEvent *event = g_ptr_array_index (events, i);
      JsonNode *node = g_ptr_array_index (nodes, i);
      g_autoptr(JsonObject) result = json_object_new ();
      g_autoptr(JsonObject) seqs = json_object_new ();

      *bad_index = (gint) i;
      self->result_seqs = seqs;
      if (!apply_event (self, event, json_node_get_object (node), error))
        {
          self->result_seqs = NULL;
          abort_transaction (self);
          store_failed (error);
          return NULL;
        }
      self->result_seqs = NULL;
      json_object_set_int_member (result, "index", i);
      json_object_set_string_member (result, "type", event->type);
      json_object_set_object_member (result, "seqs", g_steal_pointer (&seqs));
      json_array_add_object_element (results, g_steal_pointer (&result));
    }
  if (!commit (self, error))
    {
      *bad_index = -1;
      store_failed (error);
      return NULL;
    }
  *bad_index = -1;
  return json_node_init_array (json_node_alloc (), results);
}

/* Snapshots and presence */

GPtrArray *
tl_server_hub_build_snapshot (TlServerHub *self,
                              const char  *user_id,
                              gint64       at_seq)
{
  GPtrArray *frames = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) ids = NULL;
  GString *page = NULL;
  guint in_page = 0;

  g_return_val_if_fail (TL_IS_SERVER_HUB (self), NULL);

  g_ptr_array_add (frames, g_strdup_printf ("{\"type\":\"snapshot-begin\",\"epoch\":\"%s\","
                                            "\"atSeq\":%" G_GINT64_FORMAT "}",
                                            self->epoch, at_seq));

  /* Pages of at most 200 conversations; always at least one, so the
   * client sees an empty list as such. */
  ids = tl_server_store_list_conversations (self->store, user_id);
  page = g_string_new ("{\"type\":\"snapshot-conversations\",\"conversations\":[");
  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autofree char *json = tl_server_store_get_conversation (self->store, ids[i]);
      g_autoptr(JsonObject) conv = tl_server_json_parse_object (json);
      g_autofree char *view = NULL;

      if (conv == NULL)
        continue;
      view = conversation_view (self, conv, ids[i], user_id);
      if (in_page == SNAPSHOT_CONVERSATIONS_PAGE ||
          (in_page > 0 && page->len + strlen (view) > PAGE_BUDGET))
        {
          g_string_append (page, "]}");
          g_ptr_array_add (frames, g_string_free (page, FALSE));
          page = g_string_new ("{\"type\":\"snapshot-conversations\",\"conversations\":[");
          in_page = 0;
        }
      if (in_page++ > 0)
        g_string_append_c (page, ',');
      g_string_append (page, view);
    }
  g_string_append (page, "]}");
  g_ptr_array_add (frames, g_string_free (page, FALSE));

  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autoptr(GPtrArray) rows = NULL;
      g_autoptr(GString) frame = NULL;
      gboolean has_more = FALSE;

      rows = tl_server_store_list_messages (self->store, ids[i], NULL, NULL,
                                            SNAPSHOT_MESSAGES_PAGE, &has_more);
      if (rows->len == 0)
        continue;
      frame = g_string_new ("{\"type\":\"snapshot-messages\"");
      tl_server_json_append_string_member (frame, "conversationId", ids[i]);
      append_page (frame, rows, has_more);
      g_string_append_c (frame, '}');
      g_ptr_array_add (frames, g_string_free (g_steal_pointer (&frame), FALSE));
    }

  g_ptr_array_add (frames, g_strdup_printf ("{\"type\":\"snapshot-end\",\"atSeq\":%" G_GINT64_FORMAT "}",
                                            at_seq));
  return frames;
}

static char *
presence_frame (const char *user_id,
                gboolean    online)
{
  GString *out = g_string_new ("{\"type\":\"presence\"");

  tl_server_json_append_string_member (out, "userId", user_id);
  g_string_append_printf (out, ",\"isOnline\":%s}", online ? "true" : "false");
  return g_string_free (out, FALSE);
}

GPtrArray *
tl_server_hub_presence_frames (TlServerHub *self,
                               const char  *user_id)
{
  GPtrArray *frames = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) others = NULL;

  g_return_val_if_fail (TL_IS_SERVER_HUB (self), NULL);

  /* Everyone who shares a conversation with @user_id, online or not: the
   * client replaces its presence map with what it hears after welcome. */
  others = tl_server_store_list_co_participants (self->store, user_id);
  for (guint i = 0; others[i] != NULL; i++)
    {
      gboolean online = GPOINTER_TO_INT (g_hash_table_lookup (self->presence, others[i]));

      if (g_strcmp0 (others[i], user_id) == 0)
        continue;
      g_ptr_array_add (frames, presence_frame (others[i], online));
    }
  return frames;
}

void
tl_server_hub_set_presence (TlServerHub *self,
                            const char  *user_id,
                            gboolean     online)
{
  g_auto(GStrv) others = NULL;
  g_autofree char *frame = NULL;
  gboolean was = GPOINTER_TO_INT (g_hash_table_lookup (self->presence, user_id));

  g_return_if_fail (TL_IS_SERVER_HUB (self));

  if (was == online && g_hash_table_contains (self->presence, user_id))
    return;
  g_hash_table_insert (self->presence, g_strdup (user_id), GINT_TO_POINTER (online));

  frame = presence_frame (user_id, online);
  others = tl_server_store_list_co_participants (self->store, user_id);
  for (guint i = 0; others[i] != NULL; i++)
    if (g_strcmp0 (others[i], user_id) != 0)
      emit_ephemeral (self, others[i], frame, NULL);
}

/* Streams
 *
 * Each live reply keeps a private core TlStore as a mirror: the chunks are
 * applied to it exactly as a client applies them, so the complete message
 * the server persists at the end (and hands out to get-message meanwhile)
 * is what every client built — no second implementation of the chunk
 * rules. */

static gboolean
mirror_apply (Stream      *stream,
              const char  *frame,
              GError     **error)
{
  g_autoptr(JsonNode) node = json_from_string (frame, error);

  if (node == NULL)
    return FALSE;
  return tl_store_apply_node (stream->mirror, node, TL_APPLY_FLAGS_FILE, error) != TL_APPLY_INVALID;
}

/* The mirror's current copy of the streaming message, from core's dump. */
static JsonObject *
mirror_message (Stream *stream)
{
  g_autofree char *dump = tl_store_dump (stream->mirror);
  g_autoptr(JsonObject) root = tl_server_json_parse_object (dump);
  JsonArray *conversations;

  if (root == NULL)
    return NULL;
  conversations = json_object_get_array_member (root, "conversations");
  for (guint i = 0; conversations != NULL && i < json_array_get_length (conversations); i++)
    {
      JsonObject *conv = json_array_get_object_element (conversations, i);
      JsonArray *messages = json_object_get_array_member (conv, "messages");

      for (guint j = 0; messages != NULL && j < json_array_get_length (messages); j++)
        {
          JsonObject *message = json_array_get_object_element (messages, j);

          if (g_strcmp0 (tl_server_json_get_string (message, "id"), stream->message_id) == 0)
            {
              JsonObject *copy = tl_server_json_without_nulls (message);

              json_object_set_string_member (copy, "conversationId", stream->conversation_id);
              return copy;
            }
        }
    }
  return NULL;
}

static void
end_stream (TlServerHub *self,
            const char  *message_id)
{
  g_autofree char *id = g_strdup (message_id);

  if (g_hash_table_remove (self->streams, id))
    g_signal_emit (self, signals [STREAM_ENDED], 0, id);
}

static void
end_streams_in (TlServerHub *self,
                const char  *conversation_id)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->streams);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_strcmp0 (((Stream *) value)->conversation_id, conversation_id) == 0)
      g_ptr_array_add (ids, g_strdup (((Stream *) value)->message_id));
  for (guint i = 0; i < ids->len; i++)
    end_stream (self, g_ptr_array_index (ids, i));
}

static JsonObject *
current_message (TlServerHub  *self,
                 const char   *message_id,
                 char        **conversation_id,
                 char        **sort_key)
{
  g_autofree char *json = tl_server_store_get_message (self->store, message_id, conversation_id, sort_key);
  Stream *stream = g_hash_table_lookup (self->streams, message_id);

  if (json == NULL)
    return NULL;
  if (stream != NULL)
    {
      JsonObject *live = mirror_message (stream);

      if (live != NULL)
        return live;
    }
  return tl_server_json_parse_object (json);
}

char *
tl_server_hub_stream_begin (TlServerHub  *self,
                            const char   *conversation_id,
                            const char   *message_id,
                            JsonObject   *author,
                            const char   *created_at,
                            GError      **error)
{
  g_autoptr(JsonObject) message = json_object_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *now = NULL;
  g_autofree char *json = NULL;
  g_autofree char *body = NULL;
  g_autofree char *sort_key = NULL;
  g_autofree char *conv = NULL;
  g_autofree char *event = NULL;
  Stream *stream;

  g_return_val_if_fail (TL_IS_SERVER_HUB (self), NULL);

  conv = tl_server_store_get_conversation (self->store, conversation_id);
  if (conv == NULL)
    {
      g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_NOT_FOUND,
                   "no conversation “%s”", conversation_id);
      return NULL;
    }
  id = message_id != NULL ? g_strdup (message_id) : g_uuid_string_random ();
  json = tl_server_store_get_message (self->store, id, NULL, NULL);
  if (json != NULL || g_hash_table_contains (self->streams, id))
    {
      /* A stream never reopens on an id whose stream has ended. */
      g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_CONFLICT,
                   "message id “%s” is already taken", id);
      return NULL;
    }
  g_clear_pointer (&json, g_free);

  now = created_at != NULL ? g_strdup (created_at) : tl_server_json_now ();
  json_object_set_string_member (message, "id", id);
  json_object_set_string_member (message, "conversationId", conversation_id);
  json_object_set_string_member (message, "role", "assistant");
  json_object_set_array_member (message, "parts", json_array_new ());
  json_object_set_string_member (message, "createdAt", now);
  json_object_set_string_member (message, "status", "streaming");
  if (author != NULL)
    json_object_set_object_member (message, "author", json_object_ref (author));
  json = tl_server_json_object_to_string (message);
  body = body_with ("message", json);

  if (!begin (self, error))
    return NULL;
  sort_key = sort_key_for (self, message, NULL);
  if (!tl_server_store_put_message (self->store, id, conversation_id, sort_key, json, error) ||
      !emit_to_members (self, conversation_id, "message-added", body, NULL, NULL, error) ||
      (created_at == NULL &&
       !account_new_message (self, conversation_id,
                             author != NULL ? tl_server_json_get_string (author, "id") : NULL,
                             now, error)) ||
      !commit (self, error))
    {
      if (self->in_transaction)
        abort_transaction (self);
      store_failed (error);
      return NULL;
    }

  stream = g_new0 (Stream, 1);
  stream->message_id = g_strdup (id);
  stream->conversation_id = g_strdup (conversation_id);
  stream->frames = g_ptr_array_new_with_free_func (g_free);
  stream->mirror = tl_store_new ();
  event = g_strdup_printf ("{\"type\":\"message-added\",\"message\":%s}", json);
  if (!mirror_apply (stream, event, &local_error))
    g_warning ("Stream mirror refused its announcement: %s", local_error->message);
  g_hash_table_insert (self->streams, stream->message_id, stream);
  return g_steal_pointer (&id);
}

static gboolean
is_terminal (const char *type)
{
  return g_strcmp0 (type, "finish") == 0 || g_strcmp0 (type, "abort") == 0 ||
         g_strcmp0 (type, "error") == 0;
}

gboolean
tl_server_hub_stream_validate_chunk (JsonNode  *node,
                                     GError   **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *type;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, TL_SERVER_ERROR, TL_SERVER_ERROR_BAD_REQUEST,
                           "a chunk must be an object");
      return FALSE;
    }
  type = tl_server_json_get_string (json_node_get_object (node), "type");
  if (type == NULL)
    {
      g_set_error_literal (error, TL_SERVER_ERROR, TL_SERVER_ERROR_BAD_REQUEST,
                           "a chunk needs a string “type”");
      return FALSE;
    }
  if (!tl_stream_validate_chunk (json_node_get_object (node), type, &local_error))
    {
      g_set_error_literal (error, TL_SERVER_ERROR, TL_SERVER_ERROR_BAD_REQUEST,
                           local_error->message);
      return FALSE;
    }
  return TRUE;
}

/* Persists the mirror's complete message as a durable message-updated. */
static gboolean
finish_stream (TlServerHub  *self,
               Stream       *stream,
               GError      **error)
{
  g_autofree char *old_key = NULL;
  g_autofree char *old_json = tl_server_store_get_message (self->store, stream->message_id, NULL, &old_key);
  g_autoptr(JsonObject) complete = NULL;
  g_autofree char *json = NULL;
  g_autofree char *body = NULL;
  g_autofree char *message_id = g_strdup (stream->message_id);
  g_autofree char *conversation_id = g_strdup (stream->conversation_id);

  if (old_json == NULL)
    {
      end_stream (self, message_id);
      return TRUE;   /* removed while streaming: nothing to complete */
    }
  complete = mirror_message (stream);
  end_stream (self, message_id);
  if (complete == NULL)
    return store_failed (error);

  json = tl_server_json_object_to_string (complete);
  body = body_with ("message", json);
  if (!begin (self, error))
    return FALSE;
  if (!tl_server_store_put_message (self->store, message_id, conversation_id, old_key, json, error) ||
      !emit_to_members (self, conversation_id, "message-updated", body, NULL, NULL, error) ||
      !commit (self, error))
    {
      if (self->in_transaction)
        abort_transaction (self);
      return store_failed (error);
    }
  return TRUE;
}

gint64
tl_server_hub_stream_chunk (TlServerHub  *self,
                            const char   *message_id,
                            JsonObject   *chunk,
                            gboolean     *terminal,
                            GError      **error)
{
  Stream *stream = g_hash_table_lookup (self->streams, message_id);
  g_autoptr(GString) frame = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *chunk_json = NULL;
  g_auto(GStrv) members = NULL;
  g_autoptr(JsonNode) node = NULL;
  const char *type;
  gint64 sequence;

  g_return_val_if_fail (TL_IS_SERVER_HUB (self), 0);

  if (terminal != NULL)
    *terminal = FALSE;
  if (stream == NULL)
    {
      g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_NOT_FOUND,
                   "no live stream for message “%s”", message_id);
      return 0;
    }
  node = json_node_init_object (json_node_alloc (), chunk);
  if (!tl_server_hub_stream_validate_chunk (node, error))
    return 0;
  type = tl_server_json_get_string (chunk, "type");

  chunk_json = tl_server_json_object_to_string (chunk);
  sequence = stream->frames->len + 1;
  frame = g_string_new ("{\"type\":\"stream-chunk\"");
  tl_server_json_append_string_member (frame, "conversationId", stream->conversation_id);
  tl_server_json_append_string_member (frame, "messageId", stream->message_id);
  g_string_append_printf (frame, ",\"sequence\":%" G_GINT64_FORMAT, sequence);
  tl_server_json_append_member (frame, "chunk", chunk_json);
  g_string_append_c (frame, '}');
  if (frame->len > PAGE_BUDGET)
    {
      g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_TOO_LARGE,
                   "chunk too large for a %d-byte frame", TL_FRAME_MAX_SIZE);
      return 0;
    }

  if (!mirror_apply (stream, frame->str, &local_error))
    g_message ("Stream mirror skipped a chunk: %s", local_error->message);

  members = tl_server_store_list_members (self->store, stream->conversation_id);
  for (guint i = 0; members[i] != NULL; i++)
    emit_ephemeral (self, members[i], frame->str, NULL);
  g_ptr_array_add (stream->frames, g_string_free (g_steal_pointer (&frame), FALSE));

  if (is_terminal (type))
    {
      if (terminal != NULL)
        *terminal = TRUE;
      if (!finish_stream (self, stream, error))
        return 0;
    }
  return sequence;
}

gboolean
tl_server_hub_stream_is_live (TlServerHub *self,
                              const char  *message_id)
{
  g_return_val_if_fail (TL_IS_SERVER_HUB (self), FALSE);
  return message_id != NULL && g_hash_table_contains (self->streams, message_id);
}

GPtrArray *
tl_server_hub_stream_frames_after (TlServerHub *self,
                                   const char  *user_id,
                                   const char  *message_id,
                                   gint64       after)
{
  Stream *stream = g_hash_table_lookup (self->streams, message_id);
  GPtrArray *frames = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (TL_IS_SERVER_HUB (self), NULL);

  if (stream == NULL ||
      !tl_server_store_get_unread (self->store, stream->conversation_id, user_id, NULL))
    return frames;
  for (gint64 i = MAX (after, 0); i < (gint64) stream->frames->len; i++)
    g_ptr_array_add (frames, g_strdup (g_ptr_array_index (stream->frames, i)));
  return frames;
}

static JsonObject *
chunk_new (const char *type)
{
  JsonObject *chunk = json_object_new ();

  json_object_set_string_member (chunk, "type", type);
  return chunk;
}

char *
tl_server_hub_stop_stream (TlServerHub  *self,
                           const char   *user_id,
                           const char   *message_id,
                           GError      **error)
{
  g_autofree char *conversation_id = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) abort_chunk = chunk_new ("abort");

  g_return_val_if_fail (TL_IS_SERVER_HUB (self), NULL);

  if (message_id != NULL)
    json = tl_server_store_get_message (self->store, message_id, &conversation_id, NULL);
  if (json == NULL || !require_member (self, conversation_id, user_id, NULL))
    {
      g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_NOT_FOUND,
                   "no message “%s”", message_id != NULL ? message_id : "");
      return NULL;
    }
  /* Stopping a reply that already ended is not an error: the client's
   * wish holds either way. */
  if (tl_server_hub_stream_is_live (self, message_id) &&
      tl_server_hub_stream_chunk (self, message_id, abort_chunk, NULL, error) == 0)
    return NULL;
  return g_strdup_printf ("\"messageId\":\"%s\"", message_id);
}

char *
tl_server_hub_regenerate (TlServerHub  *self,
                          const char   *user_id,
                          const char   *message_id,
                          GError      **error)
{
  g_autofree char *conversation_id = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) old = NULL;
  g_autofree char *body = NULL;
  g_autofree char *new_id = NULL;
  g_autofree char *created_at = NULL;
  JsonObject *author = NULL;

  g_return_val_if_fail (TL_IS_SERVER_HUB (self), NULL);

  if (message_id != NULL)
    json = tl_server_store_get_message (self->store, message_id, &conversation_id, NULL);
  if (json == NULL || !require_member (self, conversation_id, user_id, NULL))
    {
      g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_NOT_FOUND,
                   "no message “%s”", message_id != NULL ? message_id : "");
      return NULL;
    }
  old = tl_server_json_parse_object (json);
  if (g_strcmp0 (tl_server_json_get_string (old, "role"), "assistant") != 0)
    {
      g_set_error_literal (error, TL_SERVER_ERROR, TL_SERVER_ERROR_BAD_REQUEST,
                           "regenerate: only an assistant reply can be regenerated");
      return NULL;
    }
  created_at = g_strdup (tl_server_json_get_string (old, "createdAt"));
  if (json_object_has_member (old, "author") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (old, "author")))
    author = json_object_get_object_member (old, "author");

  /* The old reply goes (its stream too), the new one takes its place in
   * the thread: same createdAt, a fresh id. */
  end_stream (self, message_id);
  body = removal_body ("messageId", message_id, conversation_id);
  if (!begin (self, error))
    return NULL;
  if (!tl_server_store_delete_message (self->store, message_id, error) ||
      !emit_to_members (self, conversation_id, "message-removed", body, NULL, NULL, error) ||
      !commit (self, error))
    {
      if (self->in_transaction)
        abort_transaction (self);
      store_failed (error);
      return NULL;
    }
  new_id = tl_server_hub_stream_begin (self, conversation_id, NULL, author, created_at, error);
  if (new_id == NULL)
    return NULL;
  g_signal_emit (self, signals [REGENERATE], 0, conversation_id, new_id, message_id);
  return g_strdup_printf ("\"messageId\":\"%s\"", new_id);
}

char *
tl_server_hub_respond_tool_approval (TlServerHub  *self,
                                     const char   *user_id,
                                     const char   *message_id,
                                     const char   *tool_call_id,
                                     gboolean      approved,
                                     const char   *reason,
                                     GError      **error)
{
  g_autofree char *conversation_id = NULL;
  g_autofree char *sort_key = NULL;
  g_autoptr(JsonObject) message = NULL;
  g_autofree char *json = NULL;
  g_autofree char *body = NULL;
  JsonObject *invocation = NULL;
  JsonNode *parts;
  Stream *stream;

  g_return_val_if_fail (TL_IS_SERVER_HUB (self), NULL);

  if (message_id != NULL)
    message = current_message (self, message_id, &conversation_id, &sort_key);
  if (message == NULL || !require_member (self, conversation_id, user_id, NULL))
    {
      g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_NOT_FOUND,
                   "no message “%s”", message_id != NULL ? message_id : "");
      return NULL;
    }
  parts = json_object_get_member (message, "parts");
  for (guint i = 0; parts != NULL && JSON_NODE_HOLDS_ARRAY (parts) &&
                    i < json_array_get_length (json_node_get_array (parts)); i++)
    {
      JsonNode *part = json_array_get_element (json_node_get_array (parts), i);
      JsonNode *inv;

      if (!JSON_NODE_HOLDS_OBJECT (part))
        continue;
      inv = json_object_get_member (json_node_get_object (part), "toolInvocation");
      if (inv != NULL && JSON_NODE_HOLDS_OBJECT (inv) &&
          g_strcmp0 (tl_server_json_get_string (json_node_get_object (inv), "toolCallId"), tool_call_id) == 0)
        invocation = json_node_get_object (inv);
    }
  if (invocation == NULL)
    {
      g_set_error (error, TL_SERVER_ERROR, TL_SERVER_ERROR_NOT_FOUND,
                   "no tool call “%s” in that message", tool_call_id != NULL ? tool_call_id : "");
      return NULL;
    }
  if (g_strcmp0 (tl_server_json_get_string (invocation, "state"), "approval-requested") != 0)
    {
      g_set_error_literal (error, TL_SERVER_ERROR, TL_SERVER_ERROR_CONFLICT,
                           "that tool call is not waiting for an approval");
      return NULL;
    }

  {
    JsonObject *approval = json_object_new ();

    json_object_set_boolean_member (approval, "approved", approved);
    if (reason != NULL)
      json_object_set_string_member (approval, "reason", reason);
    json_object_set_string_member (invocation, "state", "approval-responded");
    json_object_set_object_member (invocation, "approval", approval);
  }

  json = tl_server_json_object_to_string (message);
  body = body_with ("message", json);
  if (!begin (self, error))
    return NULL;
  if (!tl_server_store_put_message (self->store, message_id, conversation_id, sort_key, json, error) ||
      !emit_to_members (self, conversation_id, "message-updated", body, NULL, NULL, error) ||
      !commit (self, error))
    {
      if (self->in_transaction)
        abort_transaction (self);
      store_failed (error);
      return NULL;
    }

  /* The mirror follows the durable update, as clients do. */
  stream = g_hash_table_lookup (self->streams, message_id);
  if (stream != NULL)
    {
      g_autofree char *event = g_strdup_printf ("{\"type\":\"message-updated\",\"message\":%s}", json);

      mirror_apply (stream, event, NULL);
    }
  g_signal_emit (self, signals [TOOL_APPROVAL], 0, message_id, tool_call_id, approved);
  return g_strdup_printf ("\"messageId\":\"%s\"", message_id);
}

/* Chunks live in memory only: a reply that was streaming when the server
 * stopped can never finish. Ending it as an error (durably) tells every
 * client instead of leaving it "streaming" forever. */
gboolean
tl_server_hub_fail_orphaned_streams (TlServerHub  *self,
                                     GError      **error)
{
  g_auto(GStrv) ids = NULL;

  g_return_val_if_fail (TL_IS_SERVER_HUB (self), FALSE);

  ids = tl_server_store_list_streaming (self->store);
  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autofree char *conversation_id = NULL;
      g_autofree char *sort_key = NULL;
      g_autofree char *json = NULL;
      g_autofree char *body = NULL;
      g_autoptr(JsonObject) message = NULL;

      if (g_hash_table_contains (self->streams, ids[i]))
        continue;
      json = tl_server_store_get_message (self->store, ids[i], &conversation_id, &sort_key);
      message = tl_server_json_parse_object (json);
      if (message == NULL)
        continue;
      json_object_set_string_member (message, "status", "error");
      g_clear_pointer (&json, g_free);
      json = tl_server_json_object_to_string (message);
      body = body_with ("message", json);
      if (!begin (self, error))
        return FALSE;
      if (!tl_server_store_put_message (self->store, ids[i], conversation_id, sort_key, json, error) ||
          !emit_to_members (self, conversation_id, "message-updated", body, NULL, NULL, error) ||
          !commit (self, error))
        {
          if (self->in_transaction)
            abort_transaction (self);
          return store_failed (error);
        }
    }
  tl_server_hub_flush (self);
  return TRUE;
}

JsonObject *
tl_server_hub_dup_message (TlServerHub *self,
                           const char  *message_id)
{
  g_return_val_if_fail (TL_IS_SERVER_HUB (self), NULL);
  return current_message (self, message_id, NULL, NULL);
}
