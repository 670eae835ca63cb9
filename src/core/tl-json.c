/* tl-json.c — decoding frames and writing canonical JSON
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "threadline-core"

#include "tl-json.h"
#include "tl-event.h"

#include <math.h>
#include <string.h>

/* json-glib 1.6 parses with GScanner, which accepts single quotes, comments,
 * leading zeros and trailing garbage, wraps integers past 64 bits to -1, and
 * recurses once per nesting level. So every frame is first checked here
 * against the RFC 8259 grammar in one pass, with the nesting limit, before
 * json-glib sees it. */
typedef enum
{
  SYNTAX_OK,
  SYNTAX_ERROR,
  SYNTAX_TOO_DEEP,
  SYNTAX_RANGE,
} SyntaxResult;

typedef struct
{
  const char *p;
  const char *end;
  guint       depth;
  guint       max_depth;
} Scanner;

static void
skip_ws (Scanner *s)
{
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

static SyntaxResult
scan_string (Scanner *s)
{
  /* s->p is on the opening quote. UTF-8 was validated beforehand. */
  for (s->p++; s->p < s->end; s->p++)
    {
      guchar c = (guchar) *s->p;

      if (c == '"')
        {
          s->p++;
          return SYNTAX_OK;
        }
      if (c < 0x20)
        return SYNTAX_ERROR;
      if (c == '\\')
        {
          if (++s->p >= s->end)
            return SYNTAX_ERROR;
          switch (*s->p)
            {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
              break;
            case 'u':
              if (s->end - s->p < 5)
                return SYNTAX_ERROR;
              for (int i = 1; i <= 4; i++)
                if (!g_ascii_isxdigit (s->p[i]))
                  return SYNTAX_ERROR;
              s->p += 4;
              break;
            default:
              return SYNTAX_ERROR;
            }
        }
    }
  return SYNTAX_ERROR;
}

static SyntaxResult
scan_number (Scanner *s)
{
  const char *start = s->p;
  const char *digits;
  gboolean integer = TRUE;

  if (*s->p == '-')
    s->p++;
  digits = s->p;
  if (s->p >= s->end || !g_ascii_isdigit (*s->p))
    return SYNTAX_ERROR;
  if (*s->p == '0')
    s->p++;
  else
    while (s->p < s->end && g_ascii_isdigit (*s->p))
      s->p++;
  if (s->p < s->end && *s->p == '.')
    {
      integer = FALSE;
      if (++s->p >= s->end || !g_ascii_isdigit (*s->p))
        return SYNTAX_ERROR;
      while (s->p < s->end && g_ascii_isdigit (*s->p))
        s->p++;
    }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
    {
      integer = FALSE;
      s->p++;
      if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
        s->p++;
      if (s->p >= s->end || !g_ascii_isdigit (*s->p))
        return SYNTAX_ERROR;
      while (s->p < s->end && g_ascii_isdigit (*s->p))
        s->p++;
    }

  if (integer)
    {
      /* Integers beyond 64 bits would silently become another number. */
      gsize n = s->p - digits;

      if (n > 19)
        return SYNTAX_RANGE;
      if (n == 19)
        {
          const char *limit = *start == '-' ? "9223372036854775808" : "9223372036854775807";

          if (memcmp (digits, limit, 19) > 0)
            return SYNTAX_RANGE;
        }
    }
  else
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE * 4];
      gsize n = MIN ((gsize) (s->p - start), sizeof buf - 1);
      double value;

      memcpy (buf, start, n);
      buf[n] = '\0';
      value = g_ascii_strtod (buf, NULL);
      if (isinf (value))
        return SYNTAX_RANGE;
    }
  return SYNTAX_OK;
}

static SyntaxResult
scan_literal (Scanner    *s,
              const char *word)
{
  gsize n = strlen (word);

  if ((gsize) (s->end - s->p) < n || memcmp (s->p, word, n) != 0)
    return SYNTAX_ERROR;
  s->p += n;
  return SYNTAX_OK;
}

static SyntaxResult scan_value (Scanner *s);

static SyntaxResult
scan_container (Scanner *s,
                char     close)
{
  SyntaxResult r;

  if (++s->depth > s->max_depth)
    return SYNTAX_TOO_DEEP;
  s->p++;
  skip_ws (s);
  if (s->p < s->end && *s->p == close)
    {
      s->p++;
      s->depth--;
      return SYNTAX_OK;
    }
  for (;;)
    {
      if (close == '}')
        {
          if (s->p >= s->end || *s->p != '"')
            return SYNTAX_ERROR;
          if ((r = scan_string (s)) != SYNTAX_OK)
            return r;
          skip_ws (s);
          if (s->p >= s->end || *s->p != ':')
            return SYNTAX_ERROR;
          s->p++;
        }
      if ((r = scan_value (s)) != SYNTAX_OK)
        return r;
      skip_ws (s);
      if (s->p >= s->end)
        return SYNTAX_ERROR;
      if (*s->p == close)
        {
          s->p++;
          s->depth--;
          return SYNTAX_OK;
        }
      if (*s->p != ',')
        return SYNTAX_ERROR;
      s->p++;
      skip_ws (s);
    }
}

static SyntaxResult
scan_value (Scanner *s)
{
  skip_ws (s);
  if (s->p >= s->end)
    return SYNTAX_ERROR;
  switch (*s->p)
    {
    case '{': return scan_container (s, '}');
    case '[': return scan_container (s, ']');
    case '"': return scan_string (s);
    case 't': return scan_literal (s, "true");
    case 'f': return scan_literal (s, "false");
    case 'n': return scan_literal (s, "null");
    default: return scan_number (s);
    }
}

/* Containers recurse, but never more than max_depth levels. */
static SyntaxResult
check_syntax (const char *data,
              gsize       length,
              guint       max_depth,
              gsize      *offset)
{
  Scanner s = { data, data + length, 0, max_depth };
  SyntaxResult r = scan_value (&s);

  if (r == SYNTAX_OK)
    {
      skip_ws (&s);
      if (s.p != s.end)
        r = SYNTAX_ERROR;
    }
  *offset = s.p - data;
  return r;
}

/* Building the tree. The text has passed check_syntax(), so the builder
 * needs no error paths; it works on a private copy of the frame, unescaping
 * each string in place (never longer than its escaped form) and ending it
 * with a NUL there, so json-glib's own copy is the only one. This is about
 * twice as fast as json-glib's GScanner-based parser (docs/performance.md). */

static void
build_ws (char **pp)
{
  char *p = *pp;

  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
    p++;
  *pp = p;
}

static guint
hex4 (const char *p)
{
  guint v = 0;

  for (int i = 0; i < 4; i++)
    v = (v << 4) | (guint) g_ascii_xdigit_value (p[i]);
  return v;
}

/* Returns the unescaped string, NUL-terminated in place. */
static char *
build_string (char **pp)
{
  char *p = *pp + 1;
  char *w = p;
  char *start = p;

  for (;;)
    {
      char c = *p;

      if (c == '"')
        {
          *w = '\0';
          *pp = p + 1;
          return start;
        }
      if (c != '\\')
        {
          *w++ = *p++;
          continue;
        }
      p++;
      switch (*p++)
        {
        case '"': *w++ = '"'; break;
        case '\\': *w++ = '\\'; break;
        case '/': *w++ = '/'; break;
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        case 'u':
        default:
          {
            gunichar u = hex4 (p);

            p += 4;
            if (u >= 0xd800 && u <= 0xdbff && p[0] == '\\' && p[1] == 'u' &&
                hex4 (p + 2) >= 0xdc00 && hex4 (p + 2) <= 0xdfff)
              {
                u = 0x10000 + ((u - 0xd800) << 10) + (hex4 (p + 2) - 0xdc00);
                p += 6;
              }
            /* A lone surrogate is no character; U+0000 would end the C
             * string json-glib keeps and silently lose the rest. Both
             * become U+FFFD, the replacement character. */
            if ((u >= 0xd800 && u <= 0xdfff) || u == 0)
              u = 0xfffd;
            w += g_unichar_to_utf8 (u, w);
          }
          break;
        }
    }
}

static JsonNode *build_value (char **pp);

static JsonNode *
build_object (char **pp)
{
  JsonObject *object = json_object_new ();
  char *p = *pp + 1;

  build_ws (&p);
  if (*p == '}')
    p++;
  else
    for (;;)
      {
        char *name;

        build_ws (&p);
        name = build_string (&p);
        build_ws (&p);
        p++;                           /* ':' */
        json_object_set_member (object, name, build_value (&p));
        build_ws (&p);
        if (*p++ == '}')
          break;                       /* else ',' */
      }
  *pp = p;
  return json_node_init_object (json_node_alloc (), object);
}

static JsonNode *
build_array (char **pp)
{
  JsonArray *array = json_array_new ();
  char *p = *pp + 1;

  build_ws (&p);
  if (*p == ']')
    p++;
  else
    for (;;)
      {
        json_array_add_element (array, build_value (&p));
        build_ws (&p);
        if (*p++ == ']')
          break;
      }
  *pp = p;
  return json_node_init_array (json_node_alloc (), array);
}

static JsonNode *
build_value (char **pp)
{
  char *p;
  JsonNode *node;

  build_ws (pp);
  p = *pp;
  switch (*p)
    {
    case '{':
      node = build_object (pp);
      json_object_unref (json_node_get_object (node));
      return node;
    case '[':
      node = build_array (pp);
      json_array_unref (json_node_get_array (node));
      return node;
    case '"':
      return json_node_init_string (json_node_alloc (), build_string (pp));
    case 't':
      *pp = p + 4;
      return json_node_init_boolean (json_node_alloc (), TRUE);
    case 'f':
      *pp = p + 5;
      return json_node_init_boolean (json_node_alloc (), FALSE);
    case 'n':
      *pp = p + 4;
      return json_node_init_null (json_node_alloc ());
    default:
      {
        char *end = p + (*p == '-');
        gboolean integer = TRUE;

        while (g_ascii_isdigit (*end) || *end == '.' || *end == 'e' || *end == 'E' ||
               *end == '+' || *end == '-')
          {
            integer &= *end != '.' && *end != 'e' && *end != 'E';
            end++;
          }
        *pp = end;
        /* Both stop at the delimiter that follows a valid number. */
        if (integer)
          return json_node_init_int (json_node_alloc (), g_ascii_strtoll (p, NULL, 10));
        return json_node_init_double (json_node_alloc (), g_ascii_strtod (p, NULL));
      }
    }
}

JsonNode *
tl_json_decode_value (const char *data,
                      gsize       length,
                      gsize       max_size,
                      guint       max_depth,
                      GError    **error)
{
  g_autofree char *copy = NULL;
  char *p;
  gsize offset = 0;

  if (length > max_size)
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_TOO_LARGE,
                   "%" G_GSIZE_FORMAT " bytes exceed the %" G_GSIZE_FORMAT "-byte limit",
                   length, max_size);
      return NULL;
    }
  if (!g_utf8_validate_len (data, length, NULL))
    {
      g_set_error_literal (error, TL_EVENT_ERROR, TL_EVENT_ERROR_INVALID_UTF8,
                           "not valid UTF-8");
      return NULL;
    }
  switch (check_syntax (data, length, max_depth, &offset))
    {
    case SYNTAX_OK:
      break;
    case SYNTAX_TOO_DEEP:
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_TOO_DEEP,
                   "nests deeper than %u levels", max_depth);
      return NULL;
    case SYNTAX_RANGE:
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_MALFORMED,
                   "not valid JSON: number out of range at byte %" G_GSIZE_FORMAT, offset);
      return NULL;
    case SYNTAX_ERROR:
    default:
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_MALFORMED,
                   "not valid JSON: syntax error at byte %" G_GSIZE_FORMAT, offset);
      return NULL;
    }

  copy = g_malloc (length + 1);
  memcpy (copy, data, length);
  copy[length] = '\0';
  p = copy;
  return build_value (&p);
}

JsonNode *
tl_json_decode_frame (const char *data,
                      gsize       length,
                      GError    **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *type;

  root = tl_json_decode_value (data, length, TL_FRAME_MAX_SIZE, TL_FRAME_MAX_DEPTH, &local_error);
  if (root == NULL)
    {
      g_set_error (error, TL_EVENT_ERROR, local_error->code, "frame: %s", local_error->message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
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

  return g_steal_pointer (&root);
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

gboolean
tl_json_check_user (JsonNode   *node,
                    const char *what,
                    const char *field,
                    GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *where = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  gboolean has_id = FALSE;

  /* The "where" of an error is only built for an error: this runs for
   * every message's author. */
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_WRONG_TYPE,
                   "%s%s%s must be an object", what, field ? "." : "", field ? field : "");
      return FALSE;
    }

  json_object_iter_init_ordered (&iter, json_node_get_object (node));
  while (json_object_iter_next_ordered (&iter, &name, &value))
    {
      if (JSON_NODE_HOLDS_NULL (value))
        continue;
      if (!check_user_member ("", name, value, &local_error))
        {
          where = g_strdup_printf ("%s%s%s", what, field ? "." : "", field ? field : "");
          g_set_error (error, TL_EVENT_ERROR, local_error->code, "%s%s", where, local_error->message);
          return FALSE;
        }
      has_id |= strcmp (name, "id") == 0;
    }
  if (!has_id)
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_MISSING_FIELD,
                   "%s%s%s: missing required field “id”", what, field ? "." : "", field ? field : "");
      return FALSE;
    }
  return TRUE;
}

void
tl_json_write_user (GString  *out,
                    JsonNode *node)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  gboolean first = TRUE;

  g_string_append_c (out, '{');
  json_object_iter_init_ordered (&iter, json_node_get_object (node));
  while (json_object_iter_next_ordered (&iter, &name, &value))
    {
      if (JSON_NODE_HOLDS_NULL (value))
        continue;
      if (!first)
        g_string_append_c (out, ',');
      first = FALSE;
      tl_json_write_string (out, name);
      g_string_append_c (out, ':');
      tl_json_write_node (out, value);
    }
  g_string_append_c (out, '}');
}

JsonNode *
tl_json_dup_user (JsonNode   *node,
                  const char *what,
                  GError    **error)
{
  g_autoptr(JsonObject) copy = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  if (!tl_json_check_user (node, what, NULL, error))
    return NULL;

  copy = json_object_new ();
  json_object_iter_init_ordered (&iter, json_node_get_object (node));
  while (json_object_iter_next_ordered (&iter, &name, &value))
    if (!JSON_NODE_HOLDS_NULL (value))
      json_object_set_member (copy, name, json_node_ref (value));
  return json_node_init_object (json_node_alloc (), copy);
}
