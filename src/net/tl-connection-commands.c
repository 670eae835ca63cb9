/* tl-connection-commands.c — commands to the server, each with its requestId
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Replies come back through tl-connection.c (ack, error, history) and are
 * matched by requestId. send-message is the outbox's business: it works
 * offline and retries; the others need a live connection and fail at once
 * without one, since the app offers them as buttons on what it shows.
 */
#define G_LOG_DOMAIN "threadline-net"

#include "tl-connection-internal.h"
#include "tl-json.h"
#include "tl-protocol.h"

#include <string.h>

/* Commands */

gboolean
tl_connection_send_command (TlConnection  *self,
                            const char    *type,
                            RequestKind    kind,
                            const char    *message_id,
                            JsonObject    *fields,
                            char         **out_request_id,
                            GError       **error)
{
  g_autofree char *request_id = g_uuid_string_random ();
  g_autofree char *frame = NULL;
  Request *request;

  if (self->state != TL_CONNECTION_STATE_LIVE || !tl_connection_is_open (self))
    {
      g_set_error (error, TL_CONNECTION_ERROR, TL_CONNECTION_ERROR_NOT_CONNECTED,
                   "not connected");
      return FALSE;
    }
  frame = tl_protocol_build_command (type, request_id, fields);
  if (strlen (frame) > 64 * 1024)
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_TOO_LARGE,
                   "%s: command exceeds the 64 KiB frame limit", type);
      return FALSE;
    }
  tl_connection_send_text (self, frame);
  request = g_new0 (Request, 1);
  request->kind = kind;
  request->message_id = g_strdup (message_id);
  g_hash_table_insert (self->requests, g_strdup (request_id), request);
  if (out_request_id != NULL)
    *out_request_id = g_steal_pointer (&request_id);
  return TRUE;
}

static char *
simple_command (TlConnection  *self,
                const char    *type,
                JsonObject    *fields,
                GError       **error)
{
  char *request_id = NULL;

  if (!tl_connection_send_command (self, type, REQUEST_OTHER, NULL, fields, &request_id, error))
    return NULL;
  return request_id;
}

char *
tl_connection_send_message (TlConnection  *self,
                            const char    *conversation_id,
                            const char    *text,
                            GError       **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) parts = NULL;

  g_return_val_if_fail (TL_IS_CONNECTION (self), NULL);
  g_return_val_if_fail (conversation_id != NULL, NULL);
  g_return_val_if_fail (text != NULL, NULL);

  if (strlen (text) > 32 * 1024)
    {
      g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_TOO_LARGE,
                   "message text exceeds 32 KiB");
      return NULL;
    }

  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "text");
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, text);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  parts = json_builder_get_root (builder);

  /* Escaping can grow text several times over; the frame must stay within
   * the 64 KiB a server accepts (with room for ids and the envelope). */
  {
    g_autofree char *encoded = tl_json_node_to_string (parts);

    if (strlen (encoded) + strlen (conversation_id) + 256 > 64 * 1024)
      {
        g_set_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_TOO_LARGE,
                     "message exceeds the 64 KiB frame limit once encoded");
        return NULL;
      }
  }

  return tl_outbox_add (self->outbox, conversation_id, parts,
                        tl_store_get_local_user_id (self->store), error);
}

gboolean
tl_connection_retry_message (TlConnection *self,
                             const char   *message_id)
{
  g_return_val_if_fail (TL_IS_CONNECTION (self), FALSE);
  return tl_outbox_retry (self->outbox, message_id);
}

char *
tl_connection_stop_stream (TlConnection  *self,
                           const char    *message_id,
                           GError       **error)
{
  g_autoptr(JsonObject) fields = json_object_new ();

  g_return_val_if_fail (TL_IS_CONNECTION (self), NULL);

  json_object_set_string_member (fields, "messageId", message_id);
  return simple_command (self, "stop-stream", fields, error);
}

char *
tl_connection_mark_read (TlConnection  *self,
                         const char    *conversation_id,
                         const char    *message_id,
                         GError       **error)
{
  g_autoptr(JsonObject) fields = json_object_new ();

  g_return_val_if_fail (TL_IS_CONNECTION (self), NULL);

  json_object_set_string_member (fields, "conversationId", conversation_id);
  if (message_id != NULL)
    json_object_set_string_member (fields, "messageId", message_id);
  return simple_command (self, "mark-read", fields, error);
}

gboolean
tl_connection_set_typing (TlConnection  *self,
                          const char    *conversation_id,
                          gboolean       is_typing,
                          GError       **error)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autofree char *frame = NULL;

  g_return_val_if_fail (TL_IS_CONNECTION (self), FALSE);

  /* Ephemeral and unanswered: no requestId. */
  if (self->state != TL_CONNECTION_STATE_LIVE || !tl_connection_is_open (self))
    {
      g_set_error (error, TL_CONNECTION_ERROR, TL_CONNECTION_ERROR_NOT_CONNECTED,
                   "not connected");
      return FALSE;
    }
  json_object_set_string_member (fields, "conversationId", conversation_id);
  json_object_set_boolean_member (fields, "isTyping", is_typing);
  frame = tl_protocol_build_command ("set-typing", NULL, fields);
  return tl_connection_send_text (self, frame);
}

char *
tl_connection_load_history (TlConnection  *self,
                            const char    *conversation_id,
                            const char    *cursor,
                            guint          limit,
                            GError       **error)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  char *request_id = NULL;

  g_return_val_if_fail (TL_IS_CONNECTION (self), NULL);

  json_object_set_string_member (fields, "conversationId", conversation_id);
  if (cursor != NULL)
    json_object_set_string_member (fields, "cursor", cursor);
  if (limit > 0)
    json_object_set_int_member (fields, "limit", limit);
  if (!tl_connection_send_command (self, "load-history", REQUEST_HISTORY, NULL, fields, &request_id, error))
    return NULL;
  return request_id;
}

char *
tl_connection_create_conversation (TlConnection  *self,
                                   const char    *title,
                                   char         **out_conversation_id,
                                   GError       **error)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(JsonObject) conversation = json_object_new ();
  g_autofree char *id = g_uuid_string_random ();
  char *request_id;

  g_return_val_if_fail (TL_IS_CONNECTION (self), NULL);

  /* The client names the conversation, so it can open it before the
   * server's conversation-added arrives. */
  json_object_set_string_member (conversation, "id", id);
  if (title != NULL && *title != '\0')
    json_object_set_string_member (conversation, "title", title);
  json_object_set_object_member (fields, "conversation", g_steal_pointer (&conversation));
  request_id = simple_command (self, "create-conversation", fields, error);
  if (request_id != NULL && out_conversation_id != NULL)
    *out_conversation_id = g_steal_pointer (&id);
  return request_id;
}

char *
tl_connection_remove_conversation (TlConnection  *self,
                                   const char    *conversation_id,
                                   GError       **error)
{
  g_autoptr(JsonObject) fields = json_object_new ();

  g_return_val_if_fail (TL_IS_CONNECTION (self), NULL);

  json_object_set_string_member (fields, "conversationId", conversation_id);
  return simple_command (self, "remove-conversation", fields, error);
}

char *
tl_connection_remove_message (TlConnection  *self,
                              const char    *message_id,
                              GError       **error)
{
  g_autoptr(JsonObject) fields = json_object_new ();

  g_return_val_if_fail (TL_IS_CONNECTION (self), NULL);

  json_object_set_string_member (fields, "messageId", message_id);
  return simple_command (self, "remove-message", fields, error);
}

char *
tl_connection_regenerate (TlConnection  *self,
                          const char    *message_id,
                          GError       **error)
{
  g_autoptr(JsonObject) fields = json_object_new ();

  g_return_val_if_fail (TL_IS_CONNECTION (self), NULL);

  json_object_set_string_member (fields, "messageId", message_id);
  return simple_command (self, "regenerate", fields, error);
}

char *
tl_connection_respond_tool_approval (TlConnection  *self,
                                     const char    *message_id,
                                     const char    *tool_call_id,
                                     const char    *approval_id,
                                     gboolean       approved,
                                     const char    *reason,
                                     GError       **error)
{
  g_autoptr(JsonObject) fields = json_object_new ();

  g_return_val_if_fail (TL_IS_CONNECTION (self), NULL);

  json_object_set_string_member (fields, "messageId", message_id);
  json_object_set_string_member (fields, "toolCallId", tool_call_id);
  if (approval_id != NULL)
    json_object_set_string_member (fields, "approvalId", approval_id);
  json_object_set_boolean_member (fields, "approved", approved);
  if (reason != NULL)
    json_object_set_string_member (fields, "reason", reason);
  return simple_command (self, "respond-tool-approval", fields, error);
}
