/* tl-message.c — one chat message
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A thread may hold a million messages, so a message is laid out for size
 * (docs/performance.md has the measurements behind each choice):
 * - verbatim values (parts, metadata, author) are compact JSON text, not
 *   json-glib trees, which cost several hundred bytes each; a lone text part,
 *   the common case, is kept as its text alone;
 * - values that repeat across messages (role, status, author) are interned
 *   GRefStrings;
 * - the id and createdAt share one allocation;
 * - fields most messages never have live in a lazily allocated extension;
 * - the sort key is packed: seconds, nanoseconds and flags in 16 bytes.
 * Parts become TlPart objects only when something needs them as objects: a
 * stream writing into them, or a row showing them.
 */
#define G_LOG_DOMAIN "threadline-core"

#include "tl-message-private.h"
#include "tl-json.h"
#include "tl-part-private.h"

#include <string.h>

#define NSEC_MASK        0x3fffffffu   /* nanoseconds < 2^30 */
#define FLAG_CREATED     0x80000000u   /* in created_nsec */
#define FLAG_MORE_DIGITS 0x40000000u   /* in created_nsec */
#define FLAG_PLAIN_TEXT  0x80000000u   /* in arrival: body is a lone text part's text */
#define ARRIVAL_MASK     0x7fffffffu

typedef struct
{
  char      *updated_at;
  char      *edited_at;
  char      *metadata_json;
  char      *error_text;   /* why a stream failed; not part of the dump */
  GPtrArray *parts;        /* materialized TlPart*, then body is NULL */
} TlMessageExtra;

struct _TlMessage
{
  GObject         parent_instance;

  /* First, so TlMessageKey can stand in for a message in the id index. */
  char           *id;                /* "id\0createdAt\0" in one block */
  char           *conversation_id;   /* GRefString shared with the conversation */
  char           *role;              /* interned GRefString */
  char           *status;            /* interned GRefString */
  char           *author_json;       /* interned GRefString */
  char           *body;              /* parts JSON, or a lone text part's text */
  TlMessageExtra *extra;
  GSequenceIter  *list_iter;         /* in its conversation's TlSortedList */
  gint64          created_sec;
  guint32         created_nsec;      /* with FLAG_CREATED, FLAG_MORE_DIGITS */
  guint32         arrival;           /* with FLAG_PLAIN_TEXT */
};

G_STATIC_ASSERT (G_STRUCT_OFFSET (TlMessage, id) == G_STRUCT_OFFSET (TlMessageKey, id));

enum {
  PROP_0,
  PROP_ID,
  PROP_CONVERSATION_ID,
  PROP_ROLE,
  PROP_STATUS,
  PROP_CREATED_AT,
  PROP_UPDATED_AT,
  PROP_EDITED_AT,
  PROP_PARTS,
  PROP_METADATA_JSON,
  PROP_AUTHOR_JSON,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void write_parts (TlMessage *self,
                         GString   *out);

G_DEFINE_FINAL_TYPE (TlMessage, tl_message, G_TYPE_OBJECT)

static void
release_ref_string (char **str)
{
  g_clear_pointer (str, g_ref_string_release);
}

static TlMessageExtra *
extra (TlMessage *self)
{
  if (self->extra == NULL)
    self->extra = g_new0 (TlMessageExtra, 1);
  return self->extra;
}

#define EXTRA_FIELD(self, field) ((self)->extra ? (self)->extra->field : NULL)

static void
tl_message_finalize (GObject *object)
{
  TlMessage *self = TL_MESSAGE (object);

  g_free (self->id);
  release_ref_string (&self->conversation_id);
  release_ref_string (&self->role);
  release_ref_string (&self->status);
  release_ref_string (&self->author_json);
  g_free (self->body);
  if (self->extra != NULL)
    {
      g_free (self->extra->updated_at);
      g_free (self->extra->edited_at);
      g_free (self->extra->metadata_json);
      g_free (self->extra->error_text);
      g_clear_pointer (&self->extra->parts, g_ptr_array_unref);
      g_free (self->extra);
    }

  G_OBJECT_CLASS (tl_message_parent_class)->finalize (object);
}

static void
tl_message_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  TlMessage *self = TL_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_ID: g_value_set_string (value, self->id); break;
    case PROP_CONVERSATION_ID: g_value_set_string (value, self->conversation_id); break;
    case PROP_ROLE: g_value_set_string (value, self->role); break;
    case PROP_STATUS: g_value_set_string (value, self->status); break;
    case PROP_CREATED_AT: g_value_set_string (value, tl_message_get_created_at (self)); break;
    case PROP_UPDATED_AT: g_value_set_string (value, EXTRA_FIELD (self, updated_at)); break;
    case PROP_EDITED_AT: g_value_set_string (value, EXTRA_FIELD (self, edited_at)); break;
    case PROP_PARTS: g_value_take_string (value, tl_message_dup_parts_json (self)); break;
    case PROP_METADATA_JSON: g_value_set_string (value, EXTRA_FIELD (self, metadata_json)); break;
    case PROP_AUTHOR_JSON: g_value_set_string (value, self->author_json); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tl_message_class_init (TlMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  static const char *names[N_PROPS] = {
    NULL, "id", "conversation-id", "role", "status", "created-at", "updated-at",
    "edited-at", "parts", "metadata-json", "author-json",
  };

  object_class->finalize = tl_message_finalize;
  object_class->get_property = tl_message_get_property;

  for (guint i = 1; i < N_PROPS; i++)
    properties[i] = g_param_spec_string (names[i], NULL, NULL, NULL,
                                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                                         G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tl_message_init (TlMessage *self)
{
}

TlMessage *
tl_message_new (const char *id,
                guint64     arrival)
{
  TlMessage *self = g_object_new (TL_TYPE_MESSAGE, NULL);

  self->id = g_strdup (id);
  /* A session that receives more than two billion messages wraps the
   * first-received order of untimed ones; nothing else depends on it. */
  self->arrival = (guint32) (arrival & ARRIVAL_MASK);
  return self;
}

guint
tl_message_key_hash (gconstpointer key)
{
  return g_str_hash (((const TlMessageKey *) key)->id);
}

gboolean
tl_message_key_equal (gconstpointer a,
                      gconstpointer b)
{
  return strcmp (((const TlMessageKey *) a)->id, ((const TlMessageKey *) b)->id) == 0;
}

/* Setters: each notifies only when the value really changes. */

static gboolean
has_created (const TlMessage *self)
{
  return (self->created_nsec & FLAG_CREATED) != 0;
}

static void
set_owned (TlMessage   *self,
           char       **field,
           const char  *value,
           guint        prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_extra (TlMessage   *self,
           gsize        offset,
           const char  *value,
           guint        prop)
{
  char **field;

  if (value == NULL && self->extra == NULL)
    return;
  field = G_STRUCT_MEMBER_P (extra (self), offset);
  set_owned (self, field, value, prop);
}

static void
set_interned (TlMessage   *self,
              char       **field,
              const char  *value,
              guint        prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  release_ref_string (field);
  *field = value != NULL ? g_ref_string_new_intern (value) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_created (TlMessage         *self,
             const char        *created_at,
             const TlTimestamp *ts)
{
  gsize id_len = strlen (self->id);
  char *block;

  if (g_strcmp0 (tl_message_get_created_at (self), created_at) == 0)
    return;

  block = g_malloc (id_len + 1 + (created_at ? strlen (created_at) + 1 : 0));
  memcpy (block, self->id, id_len + 1);
  if (created_at != NULL)
    strcpy (block + id_len + 1, created_at);
  g_free (self->id);
  self->id = block;

  if (created_at != NULL)
    {
      self->created_sec = ts->sec;
      self->created_nsec = ts->nsec | FLAG_CREATED | (ts->more_digits ? FLAG_MORE_DIGITS : 0);
    }
  else
    {
      self->created_sec = 0;
      self->created_nsec = 0;
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CREATED_AT]);
}

void
tl_message_set_conversation (TlMessage  *self,
                             const char *conversation_id)
{
  g_return_if_fail (TL_IS_MESSAGE (self));

  if (self->conversation_id == conversation_id)
    return;
  release_ref_string (&self->conversation_id);
  self->conversation_id = conversation_id ? g_ref_string_acquire ((char *) conversation_id) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION_ID]);
}

/* Parts */

static GPtrArray *
parts_from_node (JsonNode *node)
{
  JsonArray *array = json_node_get_array (node);
  guint n = json_array_get_length (array);
  GPtrArray *parts = g_ptr_array_new_full (n, g_object_unref);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (parts, tl_part_new_from_node (json_array_get_element (array, i)));
  return parts;
}

/* The text of parts that are exactly [{"type":"text","text":…}], else NULL. */
static const char *
lone_text (JsonNode *parts)
{
  JsonArray *array = json_node_get_array (parts);
  JsonObject *part;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  guint i = 0;
  const char *text = NULL;

  if (json_array_get_length (array) != 1)
    return NULL;
  part = json_array_get_object_element (array, 0);
  json_object_iter_init_ordered (&iter, part);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    {
      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        return NULL;
      if (i == 0 && (strcmp (name, "type") != 0 || strcmp (json_node_get_string (value), "text") != 0))
        return NULL;
      if (i == 1)
        {
          if (strcmp (name, "text") != 0)
            return NULL;
          text = json_node_get_string (value);
        }
      if (++i > 2)
        return NULL;
    }
  return text;
}

/* Exactly sized: a GString keeps its power-of-two capacity. */
static char *
exact_json (JsonNode *node)
{
  g_autoptr(GString) out = g_string_sized_new (256);

  tl_json_write_node (out, node);
  return g_strndup (out->str, out->len);
}

/* Keeps the representation the message already has: a materialized message
 * stays materialized so rows and streams holding its parts see the change. */
static void
set_parts (TlMessage *self,
           JsonNode  *node)
{
  g_autofree char *old = tl_message_dup_parts_json (self);
  g_autofree char *json = node ? exact_json (node) : NULL;
  const char *text;

  if (g_strcmp0 (old, json) == 0)
    return;

  if (EXTRA_FIELD (self, parts) != NULL && node != NULL)
    {
      g_ptr_array_unref (self->extra->parts);
      self->extra->parts = parts_from_node (node);
    }
  else
    {
      if (self->extra != NULL)
        g_clear_pointer (&self->extra->parts, g_ptr_array_unref);
      g_free (self->body);
      self->arrival &= ARRIVAL_MASK;
      if (node != NULL && (text = lone_text (node)) != NULL)
        {
          self->body = g_strdup (text);
          self->arrival |= FLAG_PLAIN_TEXT;
        }
      else
        self->body = g_steal_pointer (&json);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PARTS]);
}

char *
tl_message_dup_parts_json (TlMessage *self)
{
  GString *out;

  g_return_val_if_fail (TL_IS_MESSAGE (self), NULL);

  if (EXTRA_FIELD (self, parts) == NULL && self->body == NULL)
    return NULL;
  out = g_string_new (NULL);
  write_parts (self, out);
  return g_string_free (out, FALSE);
}

GPtrArray *
tl_message_get_parts (TlMessage *self)
{
  g_return_val_if_fail (TL_IS_MESSAGE (self), NULL);

  if (EXTRA_FIELD (self, parts) == NULL && self->body != NULL)
    {
      GPtrArray *parts;

      if (self->arrival & FLAG_PLAIN_TEXT)
        {
          parts = g_ptr_array_new_with_free_func (g_object_unref);
          g_ptr_array_add (parts, tl_part_new_text ("text", self->body, NULL));
        }
      else
        {
          g_autoptr(JsonParser) parser = json_parser_new ();

          /* Our own serialisation of an array we validated: it always parses. */
          if (!json_parser_load_from_data (parser, self->body, -1, NULL))
            g_assert_not_reached ();
          parts = parts_from_node (json_parser_get_root (parser));
        }
      extra (self)->parts = parts;
      g_clear_pointer (&self->body, g_free);
      self->arrival &= ARRIVAL_MASK;
    }
  return EXTRA_FIELD (self, parts);
}

GPtrArray *
tl_message_ensure_parts (TlMessage *self)
{
  if (tl_message_get_parts (self) == NULL)
    {
      extra (self)->parts = g_ptr_array_new_with_free_func (g_object_unref);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PARTS]);
    }
  return self->extra->parts;
}

void
tl_message_add_part (TlMessage *self,
                     TlPart    *part)
{
  g_ptr_array_add (tl_message_ensure_parts (self), g_object_ref (part));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PARTS]);
}

void
tl_message_set_status (TlMessage  *self,
                       const char *status)
{
  set_interned (self, &self->status, status, PROP_STATUS);
}

void
tl_message_set_role (TlMessage  *self,
                     const char *role)
{
  set_interned (self, &self->role, role, PROP_ROLE);
}

void
tl_message_set_author (TlMessage *self,
                       JsonNode  *author)
{
  g_autofree char *json = tl_json_node_to_string (author);

  set_interned (self, &self->author_json, json, PROP_AUTHOR_JSON);
}

void
tl_message_merge_metadata (TlMessage  *self,
                           JsonObject *metadata)
{
  g_autoptr(JsonObject) merged = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *json = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  if (EXTRA_FIELD (self, metadata_json) != NULL)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (!json_parser_load_from_data (parser, self->extra->metadata_json, -1, NULL))
        g_assert_not_reached ();
      json_object_iter_init_ordered (&iter, json_node_get_object (json_parser_get_root (parser)));
      while (json_object_iter_next_ordered (&iter, &name, &value))
        json_object_set_member (merged, name, json_node_ref (value));
    }
  json_object_iter_init_ordered (&iter, metadata);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    json_object_set_member (merged, name, json_node_ref (value));

  node = json_node_init_object (json_node_alloc (), merged);
  json = exact_json (node);
  set_extra (self, G_STRUCT_OFFSET (TlMessageExtra, metadata_json), json, PROP_METADATA_JSON);
}

const char *
tl_message_get_error_text (TlMessage *self)
{
  g_return_val_if_fail (TL_IS_MESSAGE (self), NULL);
  return EXTRA_FIELD (self, error_text);
}

void
tl_message_set_error_text (TlMessage  *self,
                           const char *error_text)
{
  if (error_text == NULL && self->extra == NULL)
    return;
  g_free (extra (self)->error_text);
  self->extra->error_text = g_strdup (error_text);
}

void
tl_message_apply_record (TlMessage             *self,
                         const TlMessageRecord *record,
                         gboolean               replace)
{
  GObject *object = G_OBJECT (self);

  g_return_if_fail (TL_IS_MESSAGE (self));

  g_object_freeze_notify (object);

#define TAKES(field) (replace || record->field != NULL)
  if (TAKES (role))
    set_interned (self, &self->role, record->role, PROP_ROLE);
  if (TAKES (status))
    set_interned (self, &self->status, record->status, PROP_STATUS);
  if (TAKES (created_at))
    set_created (self, record->created_at, &record->created_ts);
  if (TAKES (updated_at))
    set_extra (self, G_STRUCT_OFFSET (TlMessageExtra, updated_at), record->updated_at, PROP_UPDATED_AT);
  if (TAKES (edited_at))
    set_extra (self, G_STRUCT_OFFSET (TlMessageExtra, edited_at), record->edited_at, PROP_EDITED_AT);
  if (TAKES (parts))
    set_parts (self, record->parts);
  if (TAKES (metadata))
    {
      g_autofree char *json = record->metadata ? exact_json (record->metadata) : NULL;

      set_extra (self, G_STRUCT_OFFSET (TlMessageExtra, metadata_json), json, PROP_METADATA_JSON);
    }
  if (TAKES (author))
    {
      g_autoptr(GString) json = NULL;

      if (record->author != NULL)
        {
          json = g_string_sized_new (64);
          tl_json_write_user (json, record->author);
        }
      set_interned (self, &self->author_json, json ? json->str : NULL, PROP_AUTHOR_JSON);
    }
#undef TAKES

  g_object_thaw_notify (object);
}

gboolean
tl_message_get_created_ts (TlMessage   *self,
                           TlTimestamp *out)
{
  if (!has_created (self))
    return FALSE;
  out->sec = self->created_sec;
  out->nsec = self->created_nsec & NSEC_MASK;
  out->more_digits = (self->created_nsec & FLAG_MORE_DIGITS) != 0;
  out->text = tl_message_get_created_at (self);
  return TRUE;
}

gboolean
tl_message_record_moves (TlMessage             *self,
                         const TlMessageRecord *record,
                         gboolean               replace)
{
  TlTimestamp ts;

  g_return_val_if_fail (TL_IS_MESSAGE (self), FALSE);

  if (record->created_at == NULL)
    return replace && has_created (self);
  if (!tl_message_get_created_ts (self, &ts))
    return TRUE;
  return tl_timestamp_compare (&ts, &record->created_ts) != 0;
}

GSequenceIter **
tl_message_list_slot (gpointer item)
{
  return &TL_MESSAGE (item)->list_iter;
}

int
tl_message_compare (gconstpointer a,
                    gconstpointer b,
                    gpointer      user_data)
{
  TlMessage *ma = (TlMessage *) a;
  TlMessage *mb = (TlMessage *) b;
  gboolean ta = has_created (ma);
  gboolean tb = has_created (mb);

  if (ta != tb)
    return ta ? -1 : 1;

  if (ta)
    {
      int c;

      if (ma->created_sec != mb->created_sec)
        return ma->created_sec < mb->created_sec ? -1 : 1;
      if ((ma->created_nsec & NSEC_MASK) != (mb->created_nsec & NSEC_MASK))
        return (ma->created_nsec & NSEC_MASK) < (mb->created_nsec & NSEC_MASK) ? -1 : 1;
      if ((ma->created_nsec | mb->created_nsec) & FLAG_MORE_DIGITS)
        {
          TlTimestamp xa, xb;

          tl_message_get_created_ts (ma, &xa);
          tl_message_get_created_ts (mb, &xb);
          c = tl_timestamp_compare (&xa, &xb);
          if (c != 0)
            return c;
        }
      c = strcmp (ma->id, mb->id);
      return c < 0 ? -1 : c > 0;
    }

  return (ma->arrival & ARRIVAL_MASK) < (mb->arrival & ARRIVAL_MASK) ? -1
       : (ma->arrival & ARRIVAL_MASK) > (mb->arrival & ARRIVAL_MASK);
}

/* The dump */

static void
write_parts (TlMessage *self,
             GString   *out)
{
  GPtrArray *parts = EXTRA_FIELD (self, parts);

  if (parts == NULL)
    {
      if (self->arrival & FLAG_PLAIN_TEXT)
        {
          g_string_append (out, "[{\"type\":\"text\",\"text\":");
          tl_json_write_string (out, self->body);
          g_string_append (out, "}]");
        }
      else
        g_string_append (out, self->body);
      return;
    }
  g_string_append_c (out, '[');
  for (guint i = 0; i < parts->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      tl_part_write_json (g_ptr_array_index (parts, i), out);
    }
  g_string_append_c (out, ']');
}

static void
write_member_raw (GString    *out,
                  const char *name,
                  const char *json)
{
  if (json == NULL)
    return;
  g_string_append_c (out, ',');
  tl_json_write_string (out, name);
  g_string_append_c (out, ':');
  g_string_append (out, json);
}

static void
write_member_string (GString    *out,
                     const char *name,
                     const char *value)
{
  if (value == NULL)
    return;
  g_string_append_c (out, ',');
  tl_json_write_string (out, name);
  g_string_append_c (out, ':');
  tl_json_write_string (out, value);
}

void
tl_message_write_json (TlMessage *self,
                       GString   *out)
{
  g_string_append (out, "{\"id\":");
  tl_json_write_string (out, self->id);
  write_member_string (out, "conversationId", self->conversation_id);
  write_member_string (out, "role", self->role);
  if (EXTRA_FIELD (self, parts) != NULL || self->body != NULL)
    {
      g_string_append (out, ",\"parts\":");
      write_parts (self, out);
    }
  write_member_raw (out, "metadata", EXTRA_FIELD (self, metadata_json));
  write_member_string (out, "createdAt", tl_message_get_created_at (self));
  write_member_string (out, "updatedAt", EXTRA_FIELD (self, updated_at));
  write_member_string (out, "status", self->status);
  write_member_raw (out, "author", self->author_json);
  write_member_string (out, "editedAt", EXTRA_FIELD (self, edited_at));
  g_string_append_c (out, '}');
}

/* Getters */

const char *
tl_message_get_id (TlMessage *self)
{
  g_return_val_if_fail (TL_IS_MESSAGE (self), NULL);
  return self->id;
}

const char *
tl_message_get_created_at (TlMessage *self)
{
  g_return_val_if_fail (TL_IS_MESSAGE (self), NULL);
  return has_created (self) ? self->id + strlen (self->id) + 1 : NULL;
}

#define DEFINE_GETTER(name) \
  const char * \
  tl_message_get_##name (TlMessage *self) \
  { \
    g_return_val_if_fail (TL_IS_MESSAGE (self), NULL); \
    return self->name; \
  }

DEFINE_GETTER (conversation_id)
DEFINE_GETTER (role)
DEFINE_GETTER (status)
DEFINE_GETTER (author_json)

#define DEFINE_EXTRA_GETTER(name) \
  const char * \
  tl_message_get_##name (TlMessage *self) \
  { \
    g_return_val_if_fail (TL_IS_MESSAGE (self), NULL); \
    return EXTRA_FIELD (self, name); \
  }

DEFINE_EXTRA_GETTER (updated_at)
DEFINE_EXTRA_GETTER (edited_at)
DEFINE_EXTRA_GETTER (metadata_json)
