/* tl-json.c — decoding frames and writing canonical JSON
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "threadline-core"

#include "tl-json.h"
#include "tl-event.h"

#include <string.h>

/* Measures nesting before json-glib sees the text: its parser recurses, so a
 * hostile frame of a million '[' must never reach it. */
static gboolean
depth_within (const char *data,
              gsize       length,
              guint       max)
{
  guint depth = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      switch (c)
        {
        case '"':
          in_string = TRUE;
          break;
        case '{':
        case '[':
          if (++depth > max)
            return FALSE;
          break;
        case '}':
        case ']':
          if (depth > 0)
            depth--;
          break;
        default:
          break;
        }
    }
  return TRUE;
}

JsonNode *
tl_json_decode_frame (const char *data,
                      gsize       length,
                      GError    **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;
  JsonNode *type;

  if (length > TL_FRAME_MAX_SIZE)
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_TOO_LARGE,
                   "frame of %" G_GSIZE_FORMAT " bytes exceeds the %d-byte limit",
                   length, TL_FRAME_MAX_SIZE);
      return NULL;
    }
  if (!g_utf8_validate_len (data, length, NULL))
    {
      g_set_error_literal (error, TL_EVENT_ERROR, TL_EVENT_ERROR_INVALID_UTF8,
                           "frame is not valid UTF-8");
      return NULL;
    }
  if (!depth_within (data, length, TL_FRAME_MAX_DEPTH))
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_TOO_DEEP,
                   "frame nests deeper than %d levels", TL_FRAME_MAX_DEPTH);
      return NULL;
    }

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize) length, &local_error))
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_MALFORMED,
                   "frame is not valid JSON: %s", local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, TL_EVENT_ERROR, TL_EVENT_ERROR_NOT_OBJECT,
                           "frame is not a JSON object");
      return NULL;
    }
  type = json_object_get_member (json_node_get_object (root), "type");
  if (type == NULL || !JSON_NODE_HOLDS_VALUE (type) ||
      json_node_get_value_type (type) != G_TYPE_STRING)
    {
      g_set_error_literal (error, TL_EVENT_ERROR, TL_EVENT_ERROR_NO_TYPE,
                           "frame has no string “type”");
      return NULL;
    }

  return json_node_ref (root);
}

void
tl_json_write_string (GString    *out,
                      const char *str)
{
  static const char hex[] = "0123456789abcdef";
  const char *run = str;
  const char *p;

  g_string_append_c (out, '"');
  for (p = str; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;
      const char *esc = NULL;

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;

      g_string_append_len (out, run, p - run);
      run = p + 1;
      switch (c)
        {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default: break;
        }
      if (esc != NULL)
        g_string_append (out, esc);
      else
        {
          char u[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf], 0 };
          g_string_append (out, u);
        }
    }
  g_string_append_len (out, run, p - run);
  g_string_append_c (out, '"');
}

static void
write_double (GString *out,
              double   value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  /* The shortest of %.15g/%.16g/%.17g that reads back as the same double:
   * 0.1 stays 0.1, as every other JSON writer prints it. */
  for (int precision = 15; precision <= 17; precision++)
    {
      g_ascii_formatd (buf, sizeof buf, precision == 15 ? "%.15g" :
                       precision == 16 ? "%.16g" : "%.17g", value);
      if (g_ascii_strtod (buf, NULL) == value)
        break;
    }
  g_string_append (out, buf);
  /* A double that happens to be integral keeps its fraction mark, so it
   * reads back as a double. */
  if (strpbrk (buf, ".eEn") == NULL)
    g_string_append (out, ".0");
}

void
tl_json_write_node (GString  *out,
                    JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        const char *name;
        JsonNode *child;
        gboolean first = TRUE;

        g_string_append_c (out, '{');
        json_object_iter_init_ordered (&iter, json_node_get_object (node));
        while (json_object_iter_next_ordered (&iter, &name, &child))
          {
            if (!first)
              g_string_append_c (out, ',');
            first = FALSE;
            tl_json_write_string (out, name);
            g_string_append_c (out, ':');
            tl_json_write_node (out, child);
          }
        g_string_append_c (out, '}');
      }
      break;

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            tl_json_write_node (out, json_array_get_element (array, i));
          }
        g_string_append_c (out, ']');
      }
      break;

    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_INT64:
          g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
          break;
        case G_TYPE_DOUBLE:
          write_double (out, json_node_get_double (node));
          break;
        case G_TYPE_BOOLEAN:
          g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
          break;
        case G_TYPE_STRING:
          tl_json_write_string (out, json_node_get_string (node));
          break;
        default:
          g_assert_not_reached ();
        }
      break;

    case JSON_NODE_NULL:
    default:
      g_string_append (out, "null");
      break;
    }
}

char *
tl_json_node_to_string (JsonNode *node)
{
  GString *out = g_string_new (NULL);

  tl_json_write_node (out, node);
  return g_string_free (out, FALSE);
}

static gboolean
check_user_member (const char *where,
                   const char *name,
                   JsonNode   *value,
                   GError    **error)
{
  static const struct {
    const char *name;
    GType       type;   /* G_TYPE_NONE: an object */
  } fields[] = {
    { "id", G_TYPE_STRING },
    { "displayName", G_TYPE_STRING },
    { "avatarUrl", G_TYPE_STRING },
    { "role", G_TYPE_STRING },
    { "isOnline", G_TYPE_BOOLEAN },
    { "metadata", G_TYPE_NONE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      gboolean ok;

      if (strcmp (fields[i].name, name) != 0)
        continue;
      if (fields[i].type == G_TYPE_NONE)
        ok = JSON_NODE_HOLDS_OBJECT (value);
      else
        ok = JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == fields[i].type;
      if (!ok)
        {
          g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_WRONG_TYPE,
                       "%s: field “%s” must be %s", where, name,
                       fields[i].type == G_TYPE_STRING ? "a string" :
                       fields[i].type == G_TYPE_BOOLEAN ? "a boolean" : "an object");
          return FALSE;
        }
      if (fields[i].type == G_TYPE_STRING && strcmp (name, "id") == 0 &&
          json_node_get_string (value)[0] == '\0')
        {
          g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_INVALID_VALUE,
                       "%s: field “id” must not be an empty string", where);
          return FALSE;
        }
      return TRUE;
    }
  return TRUE;
}

JsonNode *
tl_json_dup_user (JsonNode   *node,
                  const char *what,
                  GError    **error)
{
  g_autoptr(JsonObject) copy = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_WRONG_TYPE,
                   "%s must be an object", what);
      return NULL;
    }

  json_object_iter_init_ordered (&iter, json_node_get_object (node));
  while (json_object_iter_next_ordered (&iter, &name, &value))
    {
      if (JSON_NODE_HOLDS_NULL (value))
        continue;
      if (!check_user_member (what, name, value, error))
        return NULL;
      json_object_set_member (copy, name, json_node_ref (value));
    }
  if (!json_object_has_member (copy, "id"))
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_MISSING_FIELD,
                   "%s: missing required field “id”", what);
      return NULL;
    }
  return json_node_init_object (json_node_alloc (), copy);
}
