/* tl-server-json.c — small JSON helpers for the server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "threadline-server"

#include "tl-server-json.h"

#include "tl-event.h"
#include "tl-json.h"

JsonNode *
tl_server_json_decode_body (const char *data,
                            gsize       length,
                            gsize       max_size,
                            GError    **error)
{
  const char *p = data;
  const char *end = data + length;
  guint allowed = TL_FRAME_MAX_DEPTH;

  /* A body that is an array of events gets one level for the array. */
  while (p < end && g_ascii_isspace (*p))
    p++;
  if (p < end && *p == '[')
    allowed++;
  return tl_json_decode_value (data, length, max_size, allowed, error);
}

JsonObject *
tl_server_json_parse_object (const char *text)
{
  g_autoptr(JsonNode) node = NULL;

  if (text == NULL)
    return NULL;
  node = json_from_string (text, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_object_ref (json_node_get_object (node));
}

/* Null in an optional field counts as absent (PROTOCOL.md, "Payloads"), so
 * it is never stored. Nested values are shared, not copied. */
JsonObject *
tl_server_json_without_nulls (JsonObject *object)
{
  JsonObject *copy = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    if (!JSON_NODE_HOLDS_NULL (value))
      json_object_set_member (copy, name, json_node_copy (value));
  return copy;
}

char *
tl_server_json_object_to_string (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  return tl_json_node_to_string (node);
}

void
tl_server_json_append_member (GString    *out,
                              const char *name,
                              const char *raw_json)
{
  if (out->len > 0 && out->str[out->len - 1] != '{')
    g_string_append_c (out, ',');
  tl_json_write_string (out, name);
  g_string_append_c (out, ':');
  g_string_append (out, raw_json);
}

void
tl_server_json_append_string_member (GString    *out,
                                     const char *name,
                                     const char *value)
{
  if (out->len > 0 && out->str[out->len - 1] != '{')
    g_string_append_c (out, ',');
  tl_json_write_string (out, name);
  g_string_append_c (out, ':');
  tl_json_write_string (out, value);
}

char *
tl_server_json_now (void)
{
  /* Strictly increasing, so two messages sent within one millisecond keep
   * their order in the thread (ties would fall back to id order). Only the
   * main thread calls this. */
  static gint64 last_ms;
  gint64 ms = g_get_real_time () / 1000;
  g_autoptr(GDateTime) at = NULL;
  g_autofree char *base = NULL;

  if (ms <= last_ms)
    ms = last_ms + 1;
  last_ms = ms;
  at = g_date_time_new_from_unix_utc (ms / 1000);
  base = g_date_time_format (at, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%03dZ", base, (int) (ms % 1000));
}

const char *
tl_server_json_get_string (JsonObject *object,
                           const char *name)
{
  JsonNode *node;

  if (object == NULL)
    return NULL;
  node = json_object_get_member (object, name);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}
