/* tl-stream.c — one assistant reply streaming in, chunk by chunk
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The chunk vocabulary is the headless runtime's (ENTITIES.md); what each
 * chunk does to the message follows PROTOCOL.md "Precise readings, Streams".
 * Tool chunks assign their fields as the runtime's object spread does: a
 * field the chunk lacks is removed, a field already there keeps its place,
 * a new one goes last.
 */
#define G_LOG_DOMAIN "threadline-core"

#include "tl-stream.h"
#include "tl-json.h"
#include "tl-message-private.h"
#include "tl-part-private.h"

#include <string.h>

struct _TlStream
{
  char       *message_id;
  char       *conversation_id;
  gint64      applied;
  gboolean    over;
  GHashTable *buffered;     /* sequence → TlEvent */
  GHashTable *text_ids;     /* text stream id → part index */
  GHashTable *reasoning_ids;
};

TlStream *
tl_stream_new (const char *message_id)
{
  TlStream *self = g_new0 (TlStream, 1);

  self->message_id = g_strdup (message_id);
  self->buffered = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                          (GDestroyNotify) tl_event_unref);
  self->text_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->reasoning_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return self;
}

void
tl_stream_free (TlStream *self)
{
  g_free (self->message_id);
  g_free (self->conversation_id);
  g_hash_table_unref (self->buffered);
  g_hash_table_unref (self->text_ids);
  g_hash_table_unref (self->reasoning_ids);
  g_free (self);
}

const char *
tl_stream_get_message_id (TlStream *self)
{
  return self->message_id;
}

const char *
tl_stream_get_conversation_id (TlStream *self)
{
  return self->conversation_id;
}

void
tl_stream_set_conversation_id (TlStream   *self,
                               const char *conversation_id)
{
  if (g_strcmp0 (self->conversation_id, conversation_id) == 0)
    return;
  g_free (self->conversation_id);
  self->conversation_id = g_strdup (conversation_id);
}

gint64
tl_stream_get_applied (TlStream *self)
{
  return self->applied;
}

gboolean
tl_stream_is_over (TlStream *self)
{
  return self->over;
}

gboolean
tl_stream_has_gap (TlStream *self)
{
  return g_hash_table_size (self->buffered) > 0;
}

void
tl_stream_end (TlStream *self)
{
  self->over = TRUE;
  g_hash_table_remove_all (self->buffered);
  g_hash_table_remove_all (self->text_ids);
  g_hash_table_remove_all (self->reasoning_ids);
}

TlStreamOffer
tl_stream_offer (TlStream *self,
                 TlEvent  *event)
{
  gint64 sequence = event->sequence;

  if (self->over || sequence <= self->applied)
    return TL_STREAM_STALE;
  if (sequence == self->applied + 1)
    {
      self->applied = sequence;
      return TL_STREAM_NEXT;
    }
  /* A repeated sequence keeps the first copy. */
  if (g_hash_table_contains (self->buffered, &sequence))
    return TL_STREAM_STALE;
  g_hash_table_insert (self->buffered, g_memdup2 (&sequence, sizeof sequence), tl_event_ref (event));
  return TL_STREAM_BUFFERED;
}

TlEvent *
tl_stream_take_ready (TlStream *self)
{
  gint64 next = self->applied + 1;
  gpointer key, value;

  if (self->over || !g_hash_table_steal_extended (self->buffered, &next, &key, &value))
    return NULL;
  g_free (key);
  self->applied = next;
  return value;
}

void
tl_stream_resync (TlStream *self,
                  gint64    sequence)
{
  GHashTableIter iter;
  gpointer key;

  if (sequence <= self->applied)
    return;
  self->applied = sequence;
  g_hash_table_iter_init (&iter, self->buffered);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (*(gint64 *) key <= sequence)
      g_hash_table_iter_remove (&iter);
}

/* Validation */

typedef enum
{
  FIELD_STRING,
  FIELD_ID,         /* non-empty string */
  FIELD_BOOLEAN,
  FIELD_OBJECT,
  FIELD_USER,
  FIELD_ANY,
} FieldKind;

typedef struct
{
  const char *name;
  FieldKind   kind;
  gboolean    required;
} Field;

typedef struct
{
  const char  *type;
  Field        fields[5];
} ChunkSpec;

#define ID(n) { n, FIELD_ID, TRUE }
#define OPT(n, k) { n, k, FALSE }
#define REQ(n, k) { n, k, TRUE }

static const ChunkSpec specs[] = {
  { "start", { OPT ("messageId", FIELD_STRING), OPT ("author", FIELD_USER) } },
  { "text-start", { ID ("id") } },
  { "text-delta", { ID ("id"), REQ ("delta", FIELD_STRING) } },
  { "text-end", { ID ("id") } },
  { "reasoning-start", { ID ("id") } },
  { "reasoning-delta", { ID ("id"), REQ ("delta", FIELD_STRING) } },
  { "reasoning-end", { ID ("id") } },
  { "tool-input-start", { ID ("toolCallId"), OPT ("toolName", FIELD_STRING), OPT ("dynamic", FIELD_BOOLEAN) } },
  { "tool-input-delta", { ID ("toolCallId"), OPT ("inputTextDelta", FIELD_STRING) } },
  { "tool-input-available", { ID ("toolCallId"), OPT ("toolName", FIELD_STRING), OPT ("input", FIELD_ANY),
                              OPT ("dynamic", FIELD_BOOLEAN) } },
  { "tool-input-error", { ID ("toolCallId"), OPT ("errorText", FIELD_STRING) } },
  { "tool-approval-request", { ID ("toolCallId"), OPT ("toolName", FIELD_STRING), OPT ("input", FIELD_ANY),
                               OPT ("approvalId", FIELD_STRING), OPT ("dynamic", FIELD_BOOLEAN) } },
  { "tool-output-available", { ID ("toolCallId"), OPT ("output", FIELD_ANY), OPT ("preliminary", FIELD_BOOLEAN) } },
  { "tool-output-error", { ID ("toolCallId"), OPT ("errorText", FIELD_STRING) } },
  { "tool-output-denied", { ID ("toolCallId"), OPT ("reason", FIELD_STRING) } },
  { "source-url", { REQ ("sourceId", FIELD_STRING), REQ ("url", FIELD_STRING), OPT ("title", FIELD_STRING) } },
  { "source-document", { REQ ("sourceId", FIELD_STRING), OPT ("title", FIELD_STRING), OPT ("text", FIELD_STRING) } },
  { "file", { REQ ("mediaType", FIELD_STRING), REQ ("url", FIELD_STRING), OPT ("filename", FIELD_STRING) } },
  { "data-", { OPT ("id", FIELD_STRING), OPT ("data", FIELD_ANY), OPT ("transient", FIELD_BOOLEAN) } },
  { "start-step", { { NULL } } },
  { "finish-step", { { NULL } } },
  { "message-metadata", { REQ ("metadata", FIELD_OBJECT) } },
  { "finish", { OPT ("messageId", FIELD_STRING), OPT ("finishReason", FIELD_STRING) } },
  { "abort", { OPT ("messageId", FIELD_STRING) } },
  { "error", { OPT ("errorText", FIELD_STRING) } },
};

#undef ID
#undef OPT
#undef REQ

static const ChunkSpec *
find_spec (const char *type)
{
  /* Every type that begins with "data-", "data-" itself included. */
  if (g_str_has_prefix (type, "data-"))
    type = "data-";
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    if (strcmp (specs[i].type, type) == 0)
      return &specs[i];
  return NULL;
}

/* A chunk's field, with null counting as absent. */
static JsonNode *
chunk_member (JsonObject *chunk,
              const char *name)
{
  JsonNode *node = json_object_get_member (chunk, name);

  return node != NULL && !JSON_NODE_HOLDS_NULL (node) ? node : NULL;
}

static const char *
chunk_string (JsonObject *chunk,
              const char *name)
{
  JsonNode *node = chunk_member (chunk, name);

  return node ? json_node_get_string (node) : NULL;
}

gboolean
tl_stream_validate_chunk (JsonObject  *chunk,
                          const char  *type,
                          GError     **error)
{
  const ChunkSpec *spec = find_spec (type);

  if (spec == NULL)
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_UNKNOWN_TYPE,
                   "stream-chunk: unknown chunk type “%s” skipped", type);
      return FALSE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (spec->fields) && spec->fields[i].name != NULL; i++)
    {
      const Field *field = &spec->fields[i];
      JsonNode *node = chunk_member (chunk, field->name);
      gboolean ok = TRUE;

      if (node == NULL)
        {
          if (field->required)
            {
              g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_MISSING_FIELD,
                           "stream-chunk %s: missing required field “%s”", type, field->name);
              return FALSE;
            }
          continue;
        }

      switch (field->kind)
        {
        case FIELD_STRING:
        case FIELD_ID:
          ok = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
          break;
        case FIELD_BOOLEAN:
          ok = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN;
          break;
        case FIELD_OBJECT:
          ok = JSON_NODE_HOLDS_OBJECT (node);
          break;
        case FIELD_USER:
          {
            g_autoptr(JsonNode) user = tl_json_dup_user (node, "stream-chunk start.author", error);

            if (user == NULL)
              return FALSE;
          }
          break;
        case FIELD_ANY:
        default:
          break;
        }
      if (!ok)
        {
          g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_WRONG_TYPE,
                       "stream-chunk %s: field “%s” has the wrong type", type, field->name);
          return FALSE;
        }
      if (field->kind == FIELD_ID && json_node_get_string (node)[0] == '\0')
        {
          g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_INVALID_VALUE,
                       "stream-chunk %s: field “%s” must not be empty", type, field->name);
          return FALSE;
        }
    }
  return TRUE;
}

/* Text and reasoning */

static TlPart *
part_at (TlMessage *message,
         guint      index)
{
  GPtrArray *parts = tl_message_get_parts (message);

  return parts != NULL && index < parts->len ? g_ptr_array_index (parts, index) : NULL;
}

/* The part a text/reasoning stream id writes to, if it is still writable. */
static TlPart *
live_part (GHashTable *ids,
           TlMessage  *message,
           const char *type,
           const char *id,
           gboolean    allow_done)
{
  gpointer index;
  TlPart *part;

  if (!g_hash_table_lookup_extended (ids, id, NULL, &index))
    return NULL;
  part = part_at (message, GPOINTER_TO_UINT (index));
  if (part == NULL || strcmp (tl_part_get_part_type (part), type) != 0 ||
      tl_part_get_text (part) == NULL)
    return NULL;
  if (!allow_done && g_strcmp0 (tl_part_get_state (part), "done") == 0)
    return NULL;
  return part;
}

static void
open_text_part (GHashTable *ids,
                TlMessage  *message,
                const char *type,
                const char *id,
                const char *text)
{
  g_autoptr(TlPart) part = tl_part_new_text (type, text, "streaming");
  GPtrArray *parts = tl_message_ensure_parts (message);

  g_hash_table_insert (ids, g_strdup (id), GUINT_TO_POINTER (parts->len));
  tl_message_add_part (message, part);
}

static void
apply_text (TlStream   *self,
            TlMessage  *message,
            JsonObject *chunk,
            const char *type)
{
  gboolean reasoning = g_str_has_prefix (type, "reasoning-");
  const char *part_type = reasoning ? "reasoning" : "text";
  const char *action = type + strlen (part_type) + 1;
  GHashTable *ids = reasoning ? self->reasoning_ids : self->text_ids;
  const char *id = chunk_string (chunk, "id");
  TlPart *part;

  if (strcmp (action, "start") == 0)
    {
      if (live_part (ids, message, part_type, id, FALSE) == NULL)
        open_text_part (ids, message, part_type, id, "");
    }
  else if (strcmp (action, "delta") == 0)
    {
      part = live_part (ids, message, part_type, id, FALSE);
      if (part != NULL)
        tl_part_append_text (part, chunk_string (chunk, "delta"));
      else
        open_text_part (ids, message, part_type, id, chunk_string (chunk, "delta"));
    }
  else
    {
      part = live_part (ids, message, part_type, id, TRUE);
      if (part != NULL)
        tl_part_set_state (part, "done");
    }
}

/* Tools */

static TlPart *
find_tool_part (TlMessage  *message,
                const char *tool_call_id)
{
  GPtrArray *parts = tl_message_get_parts (message);

  for (guint i = 0; parts != NULL && i < parts->len; i++)
    {
      JsonObject *invocation = tl_part_get_tool_invocation (g_ptr_array_index (parts, i));

      if (invocation != NULL &&
          g_strcmp0 (json_object_get_string_member_with_default (invocation, "toolCallId", NULL),
                     tool_call_id) == 0)
        return g_ptr_array_index (parts, i);
    }
  return NULL;
}

static TlPart *
create_tool_part (TlMessage  *message,
                  const char *tool_call_id,
                  gboolean    dynamic)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonObject) invocation = json_object_new ();
  g_autoptr(TlPart) part = NULL;

  json_object_set_string_member (object, "type", dynamic ? "dynamic-tool" : "tool");
  json_object_set_string_member (invocation, "toolCallId", tool_call_id);
  json_object_set_object_member (object, "toolInvocation", g_steal_pointer (&invocation));
  part = tl_part_new_object (object);
  tl_message_add_part (message, part);
  return part;
}

/* The object spread: present → set (in place if it exists), absent → gone. */
static void
assign (JsonObject *invocation,
        JsonObject *chunk,
        const char *name)
{
  JsonNode *value = chunk_member (chunk, name);

  if (value != NULL)
    json_object_set_member (invocation, name, json_node_copy (value));
  else if (json_object_has_member (invocation, name))
    json_object_remove_member (invocation, name);
}

static void
apply_tool (TlMessage  *message,
            JsonObject *chunk,
            const char *type)
{
  static const struct {
    const char *type;
    gboolean    creates;
    const char *state;
    const char *fields[3];
  } rules[] = {
    { "tool-input-start", TRUE, "input-streaming", { "toolName" } },
    { "tool-input-delta", FALSE, "input-streaming", { NULL } },
    { "tool-input-available", TRUE, "input-available", { "toolName", "input" } },
    { "tool-approval-request", TRUE, "approval-requested", { "toolName", "input", "approvalId" } },
    { "tool-input-error", FALSE, "output-error", { "errorText" } },
    { "tool-output-available", FALSE, "output-available", { "output", "preliminary" } },
    { "tool-output-error", FALSE, "output-error", { "errorText" } },
    { "tool-output-denied", FALSE, "output-denied", { NULL } },
  };
  const char *tool_call_id = chunk_string (chunk, "toolCallId");
  TlPart *part = find_tool_part (message, tool_call_id);
  JsonObject *invocation;
  guint r;

  for (r = 0; r < G_N_ELEMENTS (rules); r++)
    if (strcmp (rules[r].type, type) == 0)
      break;
  g_assert (r < G_N_ELEMENTS (rules));

  if (part == NULL)
    {
      JsonNode *dynamic = chunk_member (chunk, "dynamic");

      if (!rules[r].creates)
        return;
      part = create_tool_part (message, tool_call_id, dynamic && json_node_get_boolean (dynamic));
    }

  invocation = tl_part_get_tool_invocation (part);
  for (guint i = 0; i < G_N_ELEMENTS (rules[r].fields) && rules[r].fields[i]; i++)
    assign (invocation, chunk, rules[r].fields[i]);
  if (strcmp (type, "tool-output-denied") == 0)
    {
      g_autoptr(JsonObject) approval = json_object_new ();
      const char *reason = chunk_string (chunk, "reason");

      json_object_set_boolean_member (approval, "approved", FALSE);
      if (reason != NULL)
        json_object_set_string_member (approval, "reason", reason);
      json_object_set_object_member (invocation, "approval", g_steal_pointer (&approval));
    }
  json_object_set_string_member (invocation, "state", rules[r].state);
  tl_part_node_changed (part);
}

/* Appended parts keep only the fields their shape lists. */
static void
append_listed (TlMessage         *message,
               JsonObject        *chunk,
               const char        *type,
               const char * const *fields)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(TlPart) part = NULL;

  json_object_set_string_member (object, "type", type);
  for (guint i = 0; fields[i] != NULL; i++)
    {
      JsonNode *value = json_object_get_member (chunk, fields[i]);

      /* data keeps a null verbatim; elsewhere null is absence. */
      if (value != NULL && (!JSON_NODE_HOLDS_NULL (value) || strcmp (fields[i], "data") == 0))
        json_object_set_member (object, fields[i], json_node_ref (value));
    }
  node = json_node_init_object (json_node_alloc (), object);
  part = tl_part_new_from_node (node);
  tl_message_add_part (message, part);
}

static void
finish (TlMessage  *message,
        const char *status)
{
  GPtrArray *parts = tl_message_get_parts (message);

  for (guint i = 0; parts != NULL && i < parts->len; i++)
    {
      TlPart *part = g_ptr_array_index (parts, i);
      const char *type = tl_part_get_part_type (part);

      if ((strcmp (type, "text") == 0 || strcmp (type, "reasoning") == 0) &&
          g_strcmp0 (tl_part_get_state (part), "streaming") == 0)
        tl_part_set_state (part, "done");
    }
  tl_message_set_status (message, status);
}

gboolean
tl_stream_apply_chunk (TlStream   *self,
                       TlMessage  *message,
                       JsonObject *chunk,
                       const char *type)
{
  static const char * const source_url[] = { "sourceId", "url", "title", NULL };
  static const char * const source_document[] = { "sourceId", "title", "text", NULL };
  static const char * const file[] = { "mediaType", "url", "filename", NULL };
  static const char * const data[] = { "id", "data", "transient", NULL };

  g_object_freeze_notify (G_OBJECT (message));
  tl_message_set_status (message, "streaming");

  if (strcmp (type, "start") == 0)
    {
      JsonNode *author = chunk_member (chunk, "author");

      if (author != NULL)
        {
          g_autoptr(JsonNode) user = tl_json_dup_user (author, "author", NULL);

          tl_message_set_author (message, user);
        }
    }
  else if (g_str_has_prefix (type, "text-") || g_str_has_prefix (type, "reasoning-"))
    apply_text (self, message, chunk, type);
  else if (g_str_has_prefix (type, "tool-"))
    apply_tool (message, chunk, type);
  else if (strcmp (type, "source-url") == 0)
    append_listed (message, chunk, type, source_url);
  else if (strcmp (type, "source-document") == 0)
    append_listed (message, chunk, type, source_document);
  else if (strcmp (type, "file") == 0)
    append_listed (message, chunk, type, file);
  else if (g_str_has_prefix (type, "data-"))
    append_listed (message, chunk, type, data);
  else if (strcmp (type, "start-step") == 0)
    {
      g_autoptr(TlPart) part = NULL;
      g_autoptr(JsonObject) object = json_object_new ();

      json_object_set_string_member (object, "type", "step-start");
      part = tl_part_new_object (object);
      tl_message_add_part (message, part);
    }
  else if (strcmp (type, "message-metadata") == 0)
    tl_message_merge_metadata (message, json_node_get_object (chunk_member (chunk, "metadata")));
  else if (strcmp (type, "finish") == 0 || strcmp (type, "abort") == 0 ||
           strcmp (type, "error") == 0)
    {
      if (strcmp (type, "error") == 0)
        tl_message_set_error_text (message, chunk_string (chunk, "errorText"));
      finish (message, type[0] == 'f' ? "sent" : type[0] == 'a' ? "cancelled" : "error");
      tl_stream_end (self);
    }
  /* finish-step: nothing beyond the status. */

  g_object_thaw_notify (G_OBJECT (message));
  return self->over;
}
