/* tl-part.c — one part of a message
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A streamed reply is mostly text deltas, so plain text and reasoning parts
 * ({type, text[, state]} in that order, the shape streams create) keep their
 * text in a GString: appending is amortised O(delta) and rows bound to
 * notify::text update in place. Any other part, a text part with extra keys
 * included, stays a verbatim JSON object so nothing it carried is lost.
 */
#define G_LOG_DOMAIN "threadline-core"

#include "tl-part-private.h"
#include "tl-json.h"

#include <string.h>

struct _TlPart
{
  GObject   parent_instance;

  char     *type;     /* interned GRefString */
  GString  *text;     /* plain text/reasoning parts */
  char     *state;    /* interned GRefString or NULL; plain parts only */
  JsonNode *node;     /* every other part */
};

enum {
  PROP_0,
  PROP_PART_TYPE,
  PROP_TEXT,
  PROP_STATE,
  PROP_NODE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (TlPart, tl_part, G_TYPE_OBJECT)

static void
tl_part_finalize (GObject *object)
{
  TlPart *self = TL_PART (object);

  g_clear_pointer (&self->type, g_ref_string_release);
  g_clear_pointer (&self->state, g_ref_string_release);
  if (self->text != NULL)
    g_string_free (self->text, TRUE);
  g_clear_pointer (&self->node, json_node_unref);

  G_OBJECT_CLASS (tl_part_parent_class)->finalize (object);
}

static void
tl_part_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  TlPart *self = TL_PART (object);

  switch (prop_id)
    {
    case PROP_PART_TYPE: g_value_set_string (value, self->type); break;
    case PROP_TEXT: g_value_set_string (value, tl_part_get_text (self)); break;
    case PROP_STATE: g_value_set_string (value, tl_part_get_state (self)); break;
    case PROP_NODE: g_value_set_boxed (value, self->node); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tl_part_class_init (TlPartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = tl_part_finalize;
  object_class->get_property = tl_part_get_property;

  properties[PROP_PART_TYPE] = g_param_spec_string ("part-type", NULL, NULL, NULL, flags);
  properties[PROP_TEXT] = g_param_spec_string ("text", NULL, NULL, NULL, flags);
  properties[PROP_STATE] = g_param_spec_string ("state", NULL, NULL, NULL, flags);
  properties[PROP_NODE] = g_param_spec_boxed ("node", NULL, NULL, JSON_TYPE_NODE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tl_part_init (TlPart *self)
{
}

static const char *
string_member (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* TRUE for {"type","text"[,"state"]} with string values, in that order. */
static gboolean
is_plain_text (JsonObject *object)
{
  static const char *order[] = { "type", "text", "state" };
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  guint i = 0;
  const char *type = string_member (object, "type");

  if (g_strcmp0 (type, "text") != 0 && g_strcmp0 (type, "reasoning") != 0)
    return FALSE;

  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    {
      if (i >= G_N_ELEMENTS (order) || strcmp (name, order[i]) != 0 ||
          !JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        return FALSE;
      i++;
    }
  return i >= 2;
}

TlPart *
tl_part_new_text (const char *type,
                  const char *text,
                  const char *state)
{
  TlPart *self = g_object_new (TL_TYPE_PART, NULL);

  self->type = g_ref_string_new_intern (type);
  self->text = g_string_new (text);
  self->state = state ? g_ref_string_new_intern (state) : NULL;
  return self;
}

TlPart *
tl_part_new_object (JsonObject *object)
{
  TlPart *self;

  if (is_plain_text (object))
    return tl_part_new_text (string_member (object, "type"), string_member (object, "text"),
                             string_member (object, "state"));

  self = g_object_new (TL_TYPE_PART, NULL);
  self->type = g_ref_string_new_intern (string_member (object, "type"));
  self->node = json_node_init_object (json_node_alloc (), object);
  return self;
}

static JsonNode *
deep_copy (JsonNode *node)
{
  /* json_node_copy() shares objects and arrays; parts are changed in place by
   * streams, so each part must own its tree. */
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *in = json_node_get_object (node);
        g_autoptr(JsonObject) out = json_object_new ();
        JsonObjectIter iter;
        const char *name;
        JsonNode *child;

        json_object_iter_init_ordered (&iter, in);
        while (json_object_iter_next_ordered (&iter, &name, &child))
          json_object_set_member (out, name, deep_copy (child));
        return json_node_init_object (json_node_alloc (), out);
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *in = json_node_get_array (node);
        g_autoptr(JsonArray) out = json_array_sized_new (json_array_get_length (in));

        for (guint i = 0; i < json_array_get_length (in); i++)
          json_array_add_element (out, deep_copy (json_array_get_element (in, i)));
        return json_node_init_array (json_node_alloc (), out);
      }
    case JSON_NODE_VALUE:
    case JSON_NODE_NULL:
    default:
      return json_node_copy (node);
    }
}

TlPart *
tl_part_new_from_node (JsonNode *node)
{
  g_autoptr(JsonNode) copy = deep_copy (node);

  g_return_val_if_fail (JSON_NODE_HOLDS_OBJECT (node), NULL);

  return tl_part_new_object (json_node_get_object (copy));
}

const char *
tl_part_get_part_type (TlPart *self)
{
  g_return_val_if_fail (TL_IS_PART (self), NULL);
  return self->type;
}

const char *
tl_part_get_text (TlPart *self)
{
  g_return_val_if_fail (TL_IS_PART (self), NULL);

  if (self->text != NULL)
    return self->text->str;
  if (strcmp (self->type, "text") == 0 || strcmp (self->type, "reasoning") == 0)
    return string_member (json_node_get_object (self->node), "text");
  return NULL;
}

gsize
tl_part_get_text_length (TlPart *self)
{
  const char *text;

  g_return_val_if_fail (TL_IS_PART (self), 0);

  if (self->text != NULL)
    return self->text->len;
  text = tl_part_get_text (self);
  return text ? strlen (text) : 0;
}

const char *
tl_part_get_state (TlPart *self)
{
  g_return_val_if_fail (TL_IS_PART (self), NULL);

  if (self->node != NULL)
    return string_member (json_node_get_object (self->node), "state");
  return self->state;
}

JsonNode *
tl_part_get_node (TlPart *self)
{
  g_return_val_if_fail (TL_IS_PART (self), NULL);
  return self->node;
}

void
tl_part_append_text (TlPart     *self,
                     const char *delta)
{
  g_return_if_fail (TL_IS_PART (self));

  if (delta[0] == '\0')
    return;

  if (self->text != NULL)
    g_string_append (self->text, delta);
  else
    {
      /* A verbatim text part with extra keys: rare, so copying is fine. */
      JsonObject *object = json_node_get_object (self->node);
      g_autofree char *joined = g_strconcat (string_member (object, "text") ?: "", delta, NULL);

      json_object_set_string_member (object, "text", joined);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXT]);
}

void
tl_part_set_state (TlPart     *self,
                   const char *state)
{
  g_return_if_fail (TL_IS_PART (self));

  if (g_strcmp0 (tl_part_get_state (self), state) == 0)
    return;

  if (self->node != NULL)
    json_object_set_string_member (json_node_get_object (self->node), "state", state);
  else
    {
      g_clear_pointer (&self->state, g_ref_string_release);
      self->state = state ? g_ref_string_new_intern (state) : NULL;
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

JsonObject *
tl_part_get_tool_invocation (TlPart *self)
{
  JsonNode *invocation;

  g_return_val_if_fail (TL_IS_PART (self), NULL);

  if (self->node == NULL ||
      (strcmp (self->type, "tool") != 0 && strcmp (self->type, "dynamic-tool") != 0))
    return NULL;
  invocation = json_object_get_member (json_node_get_object (self->node), "toolInvocation");
  if (invocation == NULL || !JSON_NODE_HOLDS_OBJECT (invocation))
    return NULL;
  return json_node_get_object (invocation);
}

void
tl_part_node_changed (TlPart *self)
{
  g_return_if_fail (TL_IS_PART (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NODE]);
}

void
tl_part_write_json (TlPart  *self,
                    GString *out)
{
  if (self->node != NULL)
    {
      tl_json_write_node (out, self->node);
      return;
    }
  g_string_append (out, "{\"type\":");
  tl_json_write_string (out, self->type);
  g_string_append (out, ",\"text\":");
  tl_json_write_string (out, self->text->str);
  if (self->state != NULL)
    {
      g_string_append (out, ",\"state\":");
      tl_json_write_string (out, self->state);
    }
  g_string_append_c (out, '}');
}
