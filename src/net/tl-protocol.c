/* tl-protocol.c — the protocol frames that are not store events
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * welcome, replay-done, ack, error and history steer the connection rather
 * than the state, so they are read here, each with just the checks the
 * connection relies on. An invalid one is skipped with an error that names
 * the field: never a disconnect, which would only loop.
 */
#define G_LOG_DOMAIN "threadline-net"

#include "tl-protocol.h"
#include "tl-json.h"

#include <string.h>

static gboolean
is_integer (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_INT64;
}

static gboolean
is_string (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_STRING;
}

static gboolean
read_string (JsonObject  *frame,
             const char  *name,
             gboolean     required,
             const char **out,
             GError     **error)
{
  JsonNode *node = json_object_get_member (frame, name);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (!required)
        return TRUE;
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_MISSING_FIELD,
                   "%s: “%s” is required", json_object_get_string_member (frame, "type"), name);
      return FALSE;
    }
  if (!is_string (node) || *json_node_get_string (node) == '\0')
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_WRONG_TYPE,
                   "%s: “%s” must be a non-empty string",
                   json_object_get_string_member (frame, "type"), name);
      return FALSE;
    }
  *out = json_node_get_string (node);
  return TRUE;
}

static gboolean
read_integer (JsonObject  *frame,
              const char  *name,
              gboolean     required,
              gint64       min,
              gint64       absent,
              gint64      *out,
              GError     **error)
{
  JsonNode *node = json_object_get_member (frame, name);

  *out = absent;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (!required)
        return TRUE;
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_MISSING_FIELD,
                   "%s: “%s” is required", json_object_get_string_member (frame, "type"), name);
      return FALSE;
    }
  if (!is_integer (node) || json_node_get_int (node) < min)
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_WRONG_TYPE,
                   "%s: “%s” must be an integer ≥ %" G_GINT64_FORMAT,
                   json_object_get_string_member (frame, "type"), name, min);
      return FALSE;
    }
  *out = json_node_get_int (node);
  return TRUE;
}

gboolean
tl_protocol_parse_welcome (JsonObject  *frame,
                           TlWelcome   *out,
                           GError     **error)
{
  JsonNode *user;

  memset (out, 0, sizeof *out);
  if (!read_integer (frame, "protocol", TRUE, 0, 0, &out->protocol, error) ||
      !read_string (frame, "epoch", TRUE, &out->epoch, error) ||
      !read_integer (frame, "headSeq", FALSE, 0, -1, &out->head_seq, error) ||
      !read_string (frame, "mode", TRUE, &out->mode, error) ||
      !read_string (frame, "reason", FALSE, &out->reason, error) ||
      !read_integer (frame, "heartbeatMs", FALSE, 0, 0, &out->heartbeat_ms, error))
    return FALSE;

  if (g_strcmp0 (out->mode, "replay") != 0 && g_strcmp0 (out->mode, "snapshot") != 0)
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_INVALID_VALUE,
                   "welcome: “mode” must be \"replay\" or \"snapshot\"");
      return FALSE;
    }

  user = json_object_get_member (frame, "user");
  if (user != NULL && !JSON_NODE_HOLDS_NULL (user))
    {
      if (!JSON_NODE_HOLDS_OBJECT (user) ||
          !read_string (json_node_get_object (user), "id", TRUE, &out->user_id, NULL))
        {
          g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_WRONG_TYPE,
                       "welcome: “user” must be a ChatUser with an id");
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
tl_protocol_parse_replay_done (JsonObject  *frame,
                               gint64      *seq,
                               GError     **error)
{
  return read_integer (frame, "seq", TRUE, 0, -1, seq, error);
}

gboolean
tl_protocol_parse_ack (JsonObject  *frame,
                       const char **request_id,
                       GError     **error)
{
  return read_string (frame, "requestId", TRUE, request_id, error);
}

gboolean
tl_protocol_parse_error (JsonObject     *frame,
                         TlServerError  *out,
                         GError        **error)
{
  JsonNode *retryable;

  memset (out, 0, sizeof *out);
  if (!read_string (frame, "requestId", FALSE, &out->request_id, error) ||
      !read_string (frame, "code", FALSE, &out->code, error) ||
      !read_string (frame, "message", FALSE, &out->message, error))
    return FALSE;

  retryable = json_object_get_member (frame, "retryable");
  if (retryable != NULL && !JSON_NODE_HOLDS_NULL (retryable))
    {
      if (!JSON_NODE_HOLDS_VALUE (retryable) ||
          json_node_get_value_type (retryable) != G_TYPE_BOOLEAN)
        {
          g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_WRONG_TYPE,
                       "error: “retryable” must be a boolean");
          return FALSE;
        }
      out->retryable = json_node_get_boolean (retryable);
    }
  else
    {
      /* Unsaid: the command may be tried again; only an explicit false is final. */
      out->retryable = TRUE;
    }
  return TRUE;
}

gboolean
tl_protocol_parse_history (JsonObject  *frame,
                           TlHistory   *out,
                           GError     **error)
{
  JsonNode *messages, *has_more;

  memset (out, 0, sizeof *out);
  if (!read_string (frame, "requestId", TRUE, &out->request_id, error) ||
      !read_string (frame, "conversationId", TRUE, &out->conversation_id, error) ||
      !read_string (frame, "historyCursor", FALSE, &out->cursor, error))
    return FALSE;

  messages = json_object_get_member (frame, "messages");
  if (messages == NULL || !JSON_NODE_HOLDS_ARRAY (messages))
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_WRONG_TYPE,
                   "history: “messages” must be an array");
      return FALSE;
    }
  out->messages = json_node_get_array (messages);

  has_more = json_object_get_member (frame, "hasMoreHistory");
  if (has_more != NULL && JSON_NODE_HOLDS_VALUE (has_more) &&
      json_node_get_value_type (has_more) == G_TYPE_BOOLEAN)
    out->has_more = json_node_get_boolean (has_more);
  return TRUE;
}

gboolean
tl_protocol_parse_pong_n (JsonObject *frame,
                          guint      *n)
{
  JsonNode *node = json_object_get_member (frame, "n");

  if (!is_integer (node) || json_node_get_int (node) < 0 || json_node_get_int (node) > G_MAXUINT)
    return FALSE;
  *n = (guint) json_node_get_int (node);
  return TRUE;
}

gint64
tl_protocol_parse_retry_after (const char *close_reason)
{
  g_autoptr(JsonNode) root = NULL;
  JsonNode *value;

  if (close_reason == NULL || *close_reason == '\0')
    return -1;
  root = json_from_string (close_reason, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return -1;
  value = json_object_get_member (json_node_get_object (root), "retryAfterMs");
  if (!is_integer (value) || json_node_get_int (value) < 0)
    return -1;
  return json_node_get_int (value);
}

char *
tl_protocol_build_hello (TlStore  *store,
                         gboolean  resume)
{
  g_autoptr(GString) out = g_string_new ("{\"type\":\"hello\",\"protocol\":[1],"
                                         "\"client\":{\"name\":\"threadline\",\"version\":");
  g_auto(GStrv) streams = tl_store_dup_stream_ids (store);
  const char *epoch = tl_store_get_epoch (store);

  tl_json_write_string (out, TL_VERSION);
  g_string_append (out, "},\"resume\":");
  if (resume && epoch != NULL)
    {
      g_string_append (out, "{\"epoch\":");
      tl_json_write_string (out, epoch);
      g_string_append_printf (out, ",\"seq\":%" G_GINT64_FORMAT "}", tl_store_get_seq (store));
    }
  else
    g_string_append (out, "null");

  g_string_append (out, ",\"streams\":[");
  for (guint i = 0; streams[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, "{\"messageId\":");
      tl_json_write_string (out, streams[i]);
      g_string_append_printf (out, ",\"sequence\":%" G_GINT64_FORMAT "}",
                              tl_store_get_stream_sequence (store, streams[i]));
    }
  g_string_append (out, "]}");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
tl_protocol_build_command (const char *type,
                           const char *request_id,
                           JsonObject *fields)
{
  g_autoptr(GString) out = g_string_new ("{\"type\":");

  tl_json_write_string (out, type);
  if (request_id != NULL)
    {
      g_string_append (out, ",\"requestId\":");
      tl_json_write_string (out, request_id);
    }
  if (fields != NULL)
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      json_object_iter_init_ordered (&iter, fields);
      while (json_object_iter_next_ordered (&iter, &name, &value))
        {
          g_string_append_c (out, ',');
          tl_json_write_string (out, name);
          g_string_append_c (out, ':');
          tl_json_write_node (out, value);
        }
    }
  g_string_append_c (out, '}');
  return g_string_free (g_steal_pointer (&out), FALSE);
}
