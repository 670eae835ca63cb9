/* tl-message.c — one chat message
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A thread may hold a million messages, so a message keeps its verbatim
 * values (parts, metadata, author) as compact JSON text rather than as
 * json-glib trees, which cost several hundred bytes per object. Values that
 * repeat across messages (role, status, author) are interned GRefStrings.
 * Parts become TlPart objects only when something needs them as objects: a
 * stream writing into them, or a row showing them.
 */
#define G_LOG_DOMAIN "threadline-core"

#include "tl-message-private.h"
#include "tl-json.h"
#include "tl-part-private.h"

#include <string.h>

struct _TlMessage
{
  GObject      parent_instance;

  char        *id;
  char        *conversation_id;  /* GRefString shared with the conversation */
  char        *role;             /* interned GRefString */
  char        *status;           /* interned GRefString */
  char        *created_at;
  char        *updated_at;
  char        *edited_at;
  char        *author_json;      /* interned GRefString */
  char        *metadata_json;
  char        *parts_json;       /* frozen parts, or NULL */
  GPtrArray   *parts;            /* materialized TlPart*, or NULL; never both */
  char        *error_text;       /* why a stream failed; not part of the dump */
  TlTimestamp  created_ts;       /* valid when created_at != NULL */
  guint64      arrival;
};

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

static void
tl_message_finalize (GObject *object)
{
  TlMessage *self = TL_MESSAGE (object);

  g_free (self->id);
  release_ref_string (&self->conversation_id);
  release_ref_string (&self->role);
  release_ref_string (&self->status);
  release_ref_string (&self->author_json);
  g_free (self->created_at);
  g_free (self->updated_at);
  g_free (self->edited_at);
  g_free (self->metadata_json);
  g_free (self->parts_json);
  g_clear_pointer (&self->parts, g_ptr_array_unref);
  g_free (self->error_text);

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
    case PROP_CREATED_AT: g_value_set_string (value, self->created_at); break;
    case PROP_UPDATED_AT: g_value_set_string (value, self->updated_at); break;
    case PROP_EDITED_AT: g_value_set_string (value, self->edited_at); break;
    case PROP_PARTS: g_value_take_string (value, tl_message_dup_parts_json (self)); break;
    case PROP_METADATA_JSON: g_value_set_string (value, self->metadata_json); break;
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
  self->arrival = arrival;
  return self;
}

/* Setters: each notifies only when the value really changes. */

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
set_owned_take (TlMessage  *self,
                char      **field,
                char       *value,
                guint       prop)
{
  if (g_strcmp0 (*field, value) == 0)
    {
      g_free (value);
      return;
    }
  g_free (*field);
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
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

/* Keeps the representation the message already has: a materialized message
 * stays materialized so rows and streams holding its parts see the change. */
static void
set_parts (TlMessage *self,
           JsonNode  *node)
{
  g_autofree char *old = tl_message_dup_parts_json (self);
  g_autofree char *json = node ? tl_json_node_to_string (node) : NULL;

  if (g_strcmp0 (old, json) == 0)
    return;

  if (self->parts != NULL && node != NULL)
    {
      g_ptr_array_unref (self->parts);
      self->parts = parts_from_node (node);
    }
  else
    {
      g_clear_pointer (&self->parts, g_ptr_array_unref);
      g_free (self->parts_json);
      self->parts_json = g_steal_pointer (&json);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PARTS]);
}

char *
tl_message_dup_parts_json (TlMessage *self)
{
  GString *out;

  g_return_val_if_fail (TL_IS_MESSAGE (self), NULL);

  if (self->parts == NULL)
    return g_strdup (self->parts_json);
  out = g_string_new (NULL);
  write_parts (self, out);
  return g_string_free (out, FALSE);
}

GPtrArray *
tl_message_get_parts (TlMessage *self)
{
  g_return_val_if_fail (TL_IS_MESSAGE (self), NULL);

  if (self->parts == NULL && self->parts_json != NULL)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      /* Our own serialisation of an array we validated: it always parses. */
      if (!json_parser_load_from_data (parser, self->parts_json, -1, NULL))
        g_assert_not_reached ();
      self->parts = parts_from_node (json_parser_get_root (parser));
      g_clear_pointer (&self->parts_json, g_free);
    }
  return self->parts;
}

GPtrArray *
tl_message_ensure_parts (TlMessage *self)
{
  if (tl_message_get_parts (self) == NULL)
    {
      self->parts = g_ptr_array_new_with_free_func (g_object_unref);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PARTS]);
    }
  return self->parts;
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
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  if (self->metadata_json != NULL)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (!json_parser_load_from_data (parser, self->metadata_json, -1, NULL))
        g_assert_not_reached ();
      json_object_iter_init_ordered (&iter, json_node_get_object (json_parser_get_root (parser)));
      while (json_object_iter_next_ordered (&iter, &name, &value))
        json_object_set_member (merged, name, json_node_ref (value));
    }
  json_object_iter_init_ordered (&iter, metadata);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    json_object_set_member (merged, name, json_node_ref (value));

  node = json_node_init_object (json_node_alloc (), merged);
  set_owned_take (self, &self->metadata_json, tl_json_node_to_string (node), PROP_METADATA_JSON);
}

const char *
tl_message_get_error_text (TlMessage *self)
{
  g_return_val_if_fail (TL_IS_MESSAGE (self), NULL);
  return self->error_text;
}

void
tl_message_set_error_text (TlMessage  *self,
                           const char *error_text)
{
  g_free (self->error_text);
  self->error_text = g_strdup (error_text);
}

static char *
node_to_json (JsonNode *node)
{
  return node != NULL ? tl_json_node_to_string (node) : NULL;
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
    {
      set_owned (self, &self->created_at, record->created_at, PROP_CREATED_AT);
      if (self->created_at != NULL)
        {
          self->created_ts = record->created_ts;
          self->created_ts.text = self->created_at;
        }
    }
  if (TAKES (updated_at))
    set_owned (self, &self->updated_at, record->updated_at, PROP_UPDATED_AT);
  if (TAKES (edited_at))
    set_owned (self, &self->edited_at, record->edited_at, PROP_EDITED_AT);
  if (TAKES (parts))
    set_parts (self, record->parts);
  if (TAKES (metadata))
    set_owned_take (self, &self->metadata_json, node_to_json (record->metadata),
                    PROP_METADATA_JSON);
  if (TAKES (author))
    {
      g_autofree char *json = node_to_json (record->author);

      set_interned (self, &self->author_json, json, PROP_AUTHOR_JSON);
    }
#undef TAKES

  g_object_thaw_notify (object);
}

gboolean
tl_message_record_moves (TlMessage             *self,
                         const TlMessageRecord *record,
                         gboolean               replace)
{
  g_return_val_if_fail (TL_IS_MESSAGE (self), FALSE);

  if (record->created_at == NULL)
    return replace && self->created_at != NULL;
  if (self->created_at == NULL)
    return TRUE;
  return tl_timestamp_compare (&self->created_ts, &record->created_ts) != 0;
}

gboolean
tl_message_get_created_ts (TlMessage   *self,
                           TlTimestamp *out)
{
  if (self->created_at == NULL)
    return FALSE;
  *out = self->created_ts;
  return TRUE;
}

int
tl_message_compare (gconstpointer a,
                    gconstpointer b,
                    gpointer      user_data)
{
  const TlMessage *ma = a;
  const TlMessage *mb = b;

  if ((ma->created_at != NULL) != (mb->created_at != NULL))
    return ma->created_at != NULL ? -1 : 1;

  if (ma->created_at != NULL)
    {
      int c = tl_timestamp_compare (&ma->created_ts, &mb->created_ts);

      if (c != 0)
        return c;
      c = strcmp (ma->id, mb->id);
      return c < 0 ? -1 : c > 0;
    }

  return ma->arrival < mb->arrival ? -1 : ma->arrival > mb->arrival;
}

static void
write_parts (TlMessage *self,
             GString   *out)
{
  if (self->parts == NULL)
    {
      g_string_append (out, self->parts_json);
      return;
    }
  g_string_append_c (out, '[');
  for (guint i = 0; i < self->parts->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      tl_part_write_json (g_ptr_array_index (self->parts, i), out);
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
  if (self->parts != NULL || self->parts_json != NULL)
    {
      g_string_append (out, ",\"parts\":");
      write_parts (self, out);
    }
  write_member_raw (out, "metadata", self->metadata_json);
  write_member_string (out, "createdAt", self->created_at);
  write_member_string (out, "updatedAt", self->updated_at);
  write_member_string (out, "status", self->status);
  write_member_raw (out, "author", self->author_json);
  write_member_string (out, "editedAt", self->edited_at);
  g_string_append_c (out, '}');
}

#define DEFINE_GETTER(name) \
  const char * \
  tl_message_get_##name (TlMessage *self) \
  { \
    g_return_val_if_fail (TL_IS_MESSAGE (self), NULL); \
    return self->name; \
  }

DEFINE_GETTER (id)
DEFINE_GETTER (conversation_id)
DEFINE_GETTER (role)
DEFINE_GETTER (status)
DEFINE_GETTER (created_at)
DEFINE_GETTER (updated_at)
DEFINE_GETTER (edited_at)
DEFINE_GETTER (metadata_json)
DEFINE_GETTER (author_json)
