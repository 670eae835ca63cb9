/* tl-event.c — parsed, validated protocol events
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Validation follows PROTOCOL.md "Precise readings": null in an optional
 * field is absence, a wrongly typed field invalidates the whole event, ids are
 * non-empty strings, timestamps are RFC 3339 with an offset. Every error names
 * the field, so a backend developer reading the log knows what to fix.
 */
#define G_LOG_DOMAIN "threadline-core"

#include "tl-event.h"
#include "tl-json.h"

#include <string.h>

G_DEFINE_QUARK (tl-event-error-quark, tl_event_error)
G_DEFINE_BOXED_TYPE (TlEvent, tl_event, tl_event_ref, tl_event_unref)

static const struct {
  const char  *name;
  TlEventKind  kind;
} kinds[] = {
  { "message-added", TL_EVENT_MESSAGE_ADDED },
  { "message-updated", TL_EVENT_MESSAGE_UPDATED },
  { "message-removed", TL_EVENT_MESSAGE_REMOVED },
  { "conversation-added", TL_EVENT_CONVERSATION_ADDED },
  { "conversation-updated", TL_EVENT_CONVERSATION_UPDATED },
  { "conversation-removed", TL_EVENT_CONVERSATION_REMOVED },
  { "read", TL_EVENT_READ },
  { "typing", TL_EVENT_TYPING },
  { "presence", TL_EVENT_PRESENCE },
  { "heartbeat", TL_EVENT_HEARTBEAT },
  { "pong", TL_EVENT_PONG },
  { "snapshot-begin", TL_EVENT_SNAPSHOT_BEGIN },
  { "snapshot-conversations", TL_EVENT_SNAPSHOT_CONVERSATIONS },
  { "snapshot-messages", TL_EVENT_SNAPSHOT_MESSAGES },
  { "snapshot-end", TL_EVENT_SNAPSHOT_END },
  { "stream-chunk", TL_EVENT_STREAM_CHUNK },
};

const char *
tl_event_kind_to_string (TlEventKind kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (kinds[i].kind == kind)
      return kinds[i].name;
  return "unknown";
}

static TlEventKind
kind_from_string (const char *type)
{
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (strcmp (kinds[i].name, type) == 0)
      return kinds[i].kind;
  return TL_EVENT_UNKNOWN;
}

gboolean
tl_event_is_durable (const TlEvent *event)
{
  g_return_val_if_fail (event != NULL, FALSE);

  return event->kind >= TL_EVENT_MESSAGE_ADDED && event->kind <= TL_EVENT_READ;
}

static void
clear_conversation_record (TlConversationRecord *record)
{
  g_clear_pointer (&record->participants, json_node_unref);
}

static void
free_conversation_record (gpointer data)
{
  clear_conversation_record (data);
  g_free (data);
}

TlEvent *
tl_event_ref (TlEvent *event)
{
  g_return_val_if_fail (event != NULL, NULL);

  g_atomic_ref_count_inc (&event->ref_count);
  return event;
}

void
tl_event_unref (TlEvent *event)
{
  g_return_if_fail (event != NULL);

  if (!g_atomic_ref_count_dec (&event->ref_count))
    return;

  clear_conversation_record (&event->conversation);
  g_clear_pointer (&event->records, g_ptr_array_unref);
  g_clear_pointer (&event->root, json_node_unref);
  g_free (event);
}

/* Field readers. Each returns FALSE with a specific error; an absent member
 * or a null one leaves the output untouched (absent). */

static JsonNode *
member (JsonObject *object,
        const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return node;
}

static gboolean
read_string (JsonObject  *object,
             const char  *what,
             const char  *name,
             gboolean     required,
             const char **out,
             GError     **error)
{
  JsonNode *node = member (object, name);

  if (node == NULL)
    {
      if (required)
        {
          g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_MISSING_FIELD,
                       "%s: missing required field “%s”", what, name);
          return FALSE;
        }
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_WRONG_TYPE,
                   "%s: field “%s” must be a string", what, name);
      return FALSE;
    }
  *out = json_node_get_string (node);
  return TRUE;
}

static gboolean
read_id (JsonObject  *object,
         const char  *what,
         const char  *name,
         gboolean     required,
         const char **out,
         GError     **error)
{
  const char *id = NULL;

  if (!read_string (object, what, name, required, &id, error))
    return FALSE;
  if (id != NULL && id[0] == '\0')
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_INVALID_VALUE,
                   "%s: field “%s” must not be an empty string", what, name);
      return FALSE;
    }
  *out = id;
  return TRUE;
}

static gboolean
read_timestamp (JsonObject  *object,
                const char  *what,
                const char  *name,
                const char **out,
                TlTimestamp *ts,
                GError     **error)
{
  const char *text = NULL;
  TlTimestamp parsed;

  if (!read_string (object, what, name, FALSE, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  if (!tl_timestamp_parse (text, &parsed))
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_INVALID_VALUE,
                   "%s: field “%s” is not an RFC 3339 date-time with an offset", what, name);
      return FALSE;
    }
  *out = text;
  if (ts != NULL)
    *ts = parsed;
  return TRUE;
}

static gboolean
read_boolean (JsonObject *object,
              const char *what,
              const char *name,
              gboolean    required,
              gboolean   *out,
              GError    **error)
{
  JsonNode *node = member (object, name);

  if (node == NULL)
    {
      if (required)
        {
          g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_MISSING_FIELD,
                       "%s: missing required field “%s”", what, name);
          return FALSE;
        }
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_WRONG_TYPE,
                   "%s: field “%s” must be a boolean", what, name);
      return FALSE;
    }
  *out = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
is_integer (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64;
}

/* Reads an integer ≥ @min; @present tells whether it was there. */
static gboolean
read_integer (JsonObject *object,
              const char *what,
              const char *name,
              gboolean    required,
              gint64      min,
              gboolean   *present,
              gint64     *out,
              GError    **error)
{
  JsonNode *node = member (object, name);

  if (node == NULL)
    {
      if (required)
        {
          g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_MISSING_FIELD,
                       "%s: missing required field “%s”", what, name);
          return FALSE;
        }
      return TRUE;
    }
  if (!is_integer (node))
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_WRONG_TYPE,
                   "%s: field “%s” must be an integer", what, name);
      return FALSE;
    }
  if (json_node_get_int (node) < min)
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_INVALID_VALUE,
                   "%s: field “%s” must be at least %" G_GINT64_FORMAT, what, name, min);
      return FALSE;
    }
  if (present != NULL)
    *present = TRUE;
  *out = json_node_get_int (node);
  return TRUE;
}

static gboolean
read_container (JsonObject  *object,
                const char  *what,
                const char  *name,
                JsonNodeType type,
                gboolean     required,
                JsonNode   **out,
                GError     **error)
{
  JsonNode *node = member (object, name);

  if (node == NULL)
    {
      if (required)
        {
          g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_MISSING_FIELD,
                       "%s: missing required field “%s”", what, name);
          return FALSE;
        }
      return TRUE;
    }
  if (JSON_NODE_TYPE (node) != type)
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_WRONG_TYPE,
                   "%s: field “%s” must be an %s", what, name,
                   type == JSON_NODE_OBJECT ? "object" : "array");
      return FALSE;
    }
  *out = node;
  return TRUE;
}

static gboolean
read_parts (JsonObject *object,
            const char *what,
            JsonNode  **out,
            GError    **error)
{
  JsonNode *parts = NULL;
  JsonArray *array;
  guint n;

  if (!read_container (object, what, "parts", JSON_NODE_ARRAY, FALSE, &parts, error))
    return FALSE;
  if (parts == NULL)
    return TRUE;

  array = json_node_get_array (parts);
  n = json_array_get_length (array);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *part = json_array_get_element (array, i);
      JsonNode *type;

      if (!JSON_NODE_HOLDS_OBJECT (part))
        {
          g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_WRONG_TYPE,
                       "%s: parts[%u] must be an object", what, i);
          return FALSE;
        }
      type = json_object_get_member (json_node_get_object (part), "type");
      if (type == NULL || !JSON_NODE_HOLDS_VALUE (type) ||
          json_node_get_value_type (type) != G_TYPE_STRING)
        {
          g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_WRONG_TYPE,
                       "%s: parts[%u] must have a string “type”", what, i);
          return FALSE;
        }
    }
  *out = parts;
  return TRUE;
}

static gboolean
parse_message_record (JsonNode        *node,
                      const char      *what,
                      TlMessageRecord *record,
                      GError         **error)
{
  JsonObject *object;
  JsonNode *author = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_WRONG_TYPE,
                   "%s must be an object", what);
      return FALSE;
    }
  object = json_node_get_object (node);

  if (!read_id (object, what, "id", TRUE, &record->id, error) ||
      !read_id (object, what, "conversationId", FALSE, &record->conversation_id, error) ||
      !read_string (object, what, "role", FALSE, &record->role, error) ||
      !read_string (object, what, "status", FALSE, &record->status, error) ||
      !read_timestamp (object, what, "createdAt", &record->created_at, &record->created_ts, error) ||
      !read_timestamp (object, what, "updatedAt", &record->updated_at, NULL, error) ||
      !read_timestamp (object, what, "editedAt", &record->edited_at, NULL, error) ||
      !read_parts (object, what, &record->parts, error) ||
      !read_container (object, what, "metadata", JSON_NODE_OBJECT, FALSE, &record->metadata, error) ||
      !read_container (object, what, "author", JSON_NODE_OBJECT, FALSE, &author, error))
    return FALSE;

  if (author != NULL)
    {
      if (!tl_json_check_user (author, what, "author", error))
        return FALSE;
      record->author = author;
    }
  return TRUE;
}

static gboolean
parse_conversation_record (JsonNode             *node,
                           const char           *what,
                           TlConversationRecord *record,
                           GError              **error)
{
  JsonObject *object;
  JsonNode *participants = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_WRONG_TYPE,
                   "%s must be an object", what);
      return FALSE;
    }
  object = json_node_get_object (node);

  if (!read_id (object, what, "id", TRUE, &record->id, error) ||
      !read_string (object, what, "title", FALSE, &record->title, error) ||
      !read_string (object, what, "subtitle", FALSE, &record->subtitle, error) ||
      !read_string (object, what, "avatarUrl", FALSE, &record->avatar_url, error) ||
      !read_string (object, what, "readState", FALSE, &record->read_state, error) ||
      !read_timestamp (object, what, "lastMessageAt", &record->last_message_at,
                       &record->last_message_ts, error) ||
      !read_integer (object, what, "unreadCount", FALSE, 0, &record->has_unread_count,
                     &record->unread_count, error) ||
      !read_container (object, what, "metadata", JSON_NODE_OBJECT, FALSE, &record->metadata, error) ||
      !read_container (object, what, "participants", JSON_NODE_ARRAY, FALSE, &participants, error))
    return FALSE;

  if (participants != NULL)
    {
      JsonArray *in = json_node_get_array (participants);
      g_autoptr(JsonArray) out = json_array_sized_new (json_array_get_length (in));

      for (guint i = 0; i < json_array_get_length (in); i++)
        {
          g_autofree char *where = g_strdup_printf ("%s.participants[%u]", what, i);
          JsonNode *user = json_array_get_element (in, i);

          if (!JSON_NODE_HOLDS_OBJECT (user))
            {
              g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_WRONG_TYPE,
                           "%s must be an object", where);
              return FALSE;
            }
          user = tl_json_dup_user (user, where, error);
          if (user == NULL)
            return FALSE;
          json_array_add_element (out, user);
        }
      record->participants = json_node_init_array (json_node_alloc (), out);
    }
  return TRUE;
}

static gboolean
parse_records (JsonObject *object,
               TlEvent    *event,
               const char *name,
               gboolean    messages,
               GError    **error)
{
  JsonNode *node = NULL;
  JsonArray *array;
  guint n;

  if (!read_container (object, event->type, name, JSON_NODE_ARRAY, TRUE, &node, error))
    return FALSE;

  array = json_node_get_array (node);
  n = json_array_get_length (array);
  /* A message record borrows everything from the event's tree. */
  event->records = g_ptr_array_new_full (n, messages ? g_free
                                                     : free_conversation_record);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *where = g_strdup_printf ("%s.%s[%u]", event->type, name, i);
      JsonNode *element = json_array_get_element (array, i);
      gboolean ok;

      if (messages)
        {
          TlMessageRecord *record = g_new0 (TlMessageRecord, 1);

          g_ptr_array_add (event->records, record);
          ok = parse_message_record (element, where, record, error);
        }
      else
        {
          TlConversationRecord *record = g_new0 (TlConversationRecord, 1);

          g_ptr_array_add (event->records, record);
          ok = parse_conversation_record (element, where, record, error);
        }
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_payload (TlEvent    *event,
               JsonObject *object,
               GError    **error)
{
  const char *what = event->type;
  JsonNode *node = NULL;
  gint64 unused;

  switch (event->kind)
    {
    case TL_EVENT_MESSAGE_ADDED:
    case TL_EVENT_MESSAGE_UPDATED:
      if (!read_container (object, what, "message", JSON_NODE_OBJECT, TRUE, &node, error))
        return FALSE;
      return parse_message_record (node, "message", &event->message, error);

    case TL_EVENT_MESSAGE_REMOVED:
      return read_id (object, what, "messageId", TRUE, &event->message_id, error) &&
             read_id (object, what, "conversationId", FALSE, &event->conversation_id, error);

    case TL_EVENT_CONVERSATION_ADDED:
    case TL_EVENT_CONVERSATION_UPDATED:
      if (!read_container (object, what, "conversation", JSON_NODE_OBJECT, TRUE, &node, error))
        return FALSE;
      return parse_conversation_record (node, "conversation", &event->conversation, error);

    case TL_EVENT_CONVERSATION_REMOVED:
      return read_id (object, what, "conversationId", TRUE, &event->conversation_id, error);

    case TL_EVENT_READ:
      return read_id (object, what, "conversationId", TRUE, &event->conversation_id, error) &&
             read_id (object, what, "messageId", FALSE, &event->message_id, error) &&
             read_id (object, what, "userId", FALSE, &event->user_id, error);

    case TL_EVENT_TYPING:
      return read_id (object, what, "conversationId", TRUE, &event->conversation_id, error) &&
             read_id (object, what, "userId", TRUE, &event->user_id, error) &&
             read_boolean (object, what, "isTyping", TRUE, &event->flag, error);

    case TL_EVENT_PRESENCE:
      return read_id (object, what, "userId", TRUE, &event->user_id, error) &&
             read_boolean (object, what, "isOnline", TRUE, &event->flag, error);

    case TL_EVENT_HEARTBEAT:
    case TL_EVENT_PONG:
      event->head_seq = -1;
      return read_integer (object, what, "headSeq", FALSE, 0, NULL, &event->head_seq, error) &&
             read_integer (object, what, "n", FALSE, G_MININT64, NULL, &unused, error);

    case TL_EVENT_SNAPSHOT_BEGIN:
      return read_string (object, what, "epoch", FALSE, &event->epoch, error) &&
             read_integer (object, what, "atSeq", TRUE, 0, NULL, &event->at_seq, error);

    case TL_EVENT_SNAPSHOT_END:
      return read_integer (object, what, "atSeq", TRUE, 0, NULL, &event->at_seq, error);

    case TL_EVENT_SNAPSHOT_CONVERSATIONS:
      return parse_records (object, event, "conversations", FALSE, error);

    case TL_EVENT_SNAPSHOT_MESSAGES:
      return read_id (object, what, "conversationId", TRUE, &event->conversation_id, error) &&
             read_boolean (object, what, "hasMoreHistory", FALSE, &event->flag, error) &&
             read_string (object, what, "historyCursor", FALSE, &event->history_cursor, error) &&
             parse_records (object, event, "messages", TRUE, error);

    case TL_EVENT_STREAM_CHUNK:
      if (!read_id (object, what, "messageId", TRUE, &event->message_id, error) ||
          !read_id (object, what, "conversationId", FALSE, &event->conversation_id, error) ||
          !read_integer (object, what, "sequence", TRUE, 1, NULL, &event->sequence, error) ||
          !read_container (object, what, "chunk", JSON_NODE_OBJECT, TRUE, &node, error))
        return FALSE;
      event->chunk = json_node_get_object (node);
      if (!read_string (event->chunk, "stream-chunk.chunk", "type", TRUE, &event->chunk_type, error))
        return FALSE;
      return TRUE;

    case TL_EVENT_UNKNOWN:
    default:
      return TRUE;
    }
}

TlEvent *
tl_event_parse (JsonNode *root,
                gint64   *out_seq,
                GError  **error)
{
  g_autoptr(TlEvent) event = NULL;
  JsonObject *object;
  JsonNode *type;
  JsonNode *seq;

  g_return_val_if_fail (root != NULL, NULL);

  if (out_seq != NULL)
    *out_seq = 0;

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, TL_EVENT_ERROR, TL_EVENT_ERROR_NOT_OBJECT,
                           "frame is not a JSON object");
      return NULL;
    }
  object = json_node_get_object (root);

  type = json_object_get_member (object, "type");
  if (type == NULL || !JSON_NODE_HOLDS_VALUE (type) ||
      json_node_get_value_type (type) != G_TYPE_STRING)
    {
      g_set_error_literal (error, TL_EVENT_ERROR, TL_EVENT_ERROR_NO_TYPE,
                           "frame has no string “type”");
      return NULL;
    }

  event = g_new0 (TlEvent, 1);
  g_atomic_ref_count_init (&event->ref_count);
  event->root = json_node_ref (root);
  event->type = json_node_get_string (type);
  event->kind = kind_from_string (event->type);

  /* "seq", wherever present, must be a positive JSON integer — null included. */
  seq = json_object_get_member (object, "seq");
  if (seq != NULL)
    {
      if (!is_integer (seq) || json_node_get_int (seq) < 1)
        {
          g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_INVALID_SEQ,
                       "%s: “seq” must be an integer ≥ 1", event->type);
          return NULL;
        }
      event->seq = json_node_get_int (seq);
    }

  /* Only sequenced kinds consume a seq: durable events and unknown types
   * (which may be durable events of a later protocol revision). */
  if (!tl_event_is_durable (event) && event->kind != TL_EVENT_UNKNOWN)
    event->seq = 0;

  if (out_seq != NULL)
    *out_seq = event->seq;

  if (!parse_payload (event, object, error))
    return NULL;

  return g_steal_pointer (&event);
}
