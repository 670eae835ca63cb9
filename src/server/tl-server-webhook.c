/* tl-server-webhook.c — the assistant hook: tell an external assistant
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Whenever a user writes in a conversation with an assistant participant
 * (a participant whose role is "assistant"), asks to regenerate a reply, or
 * answers a tool approval, one JSON object is POSTed to the configured URL
 * with the admin token. The service answers through the HTTP stream API.
 * A failed delivery is retried with exponential backoff; after the last try
 * the conversation shows the reply as failed (an "error" chunk), so the user
 * is not left waiting for an answer that will never come.
 */
#define G_LOG_DOMAIN "threadline-server"

#include "tl-server-webhook.h"

#include <libsoup/soup.h>
#include <string.h>

#include "tl-json.h"
#include "tl-server-json.h"

#define HISTORY_LENGTH 20

struct _TlServerWebhook
{
  GObject      parent_instance;

  /* owned */
  TlServerHub *hub;
  SoupSession *session;
  GCancellable *cancellable;
  char        *url;
  char        *admin_token;
  char        *base_url;

  guint        retry_ms;
  guint        attempts;
};

G_DEFINE_FINAL_TYPE (TlServerWebhook, tl_server_webhook, G_TYPE_OBJECT)

typedef struct
{
  TlServerWebhook *self;            /* strong */
  GBytes          *body;
  char            *conversation_id;
  char            *stream_id;       /* reply already announced, or NULL */
  JsonObject      *author;          /* the assistant, for a failed reply */
  guint            attempt;
  guint            timer_id;
} Delivery;

static void
delivery_free (Delivery *delivery)
{
  g_clear_handle_id (&delivery->timer_id, g_source_remove);
  g_clear_object (&delivery->self);
  g_bytes_unref (delivery->body);
  g_free (delivery->conversation_id);
  g_free (delivery->stream_id);
  g_clear_pointer (&delivery->author, json_object_unref);
  g_free (delivery);
}

static void
tl_server_webhook_dispose (GObject *object)
{
  TlServerWebhook *self = TL_SERVER_WEBHOOK (object);

  g_cancellable_cancel (self->cancellable);
  if (self->hub != NULL)
    g_signal_handlers_disconnect_by_data (self->hub, self);
  g_clear_object (&self->hub);
  g_clear_object (&self->session);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (tl_server_webhook_parent_class)->dispose (object);
}

static void
tl_server_webhook_finalize (GObject *object)
{
  TlServerWebhook *self = TL_SERVER_WEBHOOK (object);

  g_free (self->url);
  g_free (self->admin_token);
  g_free (self->base_url);

  G_OBJECT_CLASS (tl_server_webhook_parent_class)->finalize (object);
}

static void
tl_server_webhook_class_init (TlServerWebhookClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tl_server_webhook_dispose;
  object_class->finalize = tl_server_webhook_finalize;
}

static void
tl_server_webhook_init (TlServerWebhook *self)
{
  self->session = soup_session_new ();
  self->cancellable = g_cancellable_new ();
}

/* The assistant participant of a conversation, or NULL. */
static JsonObject *
find_assistant (JsonObject *conversation)
{
  JsonNode *node = json_object_get_member (conversation, "participants");

  for (guint i = 0; node != NULL && JSON_NODE_HOLDS_ARRAY (node) &&
                    i < json_array_get_length (json_node_get_array (node)); i++)
    {
      JsonNode *user = json_array_get_element (json_node_get_array (node), i);

      if (JSON_NODE_HOLDS_OBJECT (user) &&
          g_strcmp0 (tl_server_json_get_string (json_node_get_object (user), "role"), "assistant") == 0)
        return json_node_get_object (user);
    }
  return NULL;
}

static void give_up (Delivery *delivery);
static void send_attempt (Delivery *delivery);

static gboolean
on_retry_cb (gpointer user_data)
{
  Delivery *delivery = user_data;

  delivery->timer_id = 0;
  send_attempt (delivery);
  return G_SOURCE_REMOVE;
}

static void
on_sent_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Delivery *delivery = user_data;
  TlServerWebhook *self = delivery->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) reply = NULL;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  guint status;

  reply = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      delivery_free (delivery);
      return;
    }
  status = msg != NULL ? soup_message_get_status (msg) : 0;
  if (reply != NULL && SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      delivery_free (delivery);
      return;
    }

  delivery->attempt++;
  g_message ("Assistant webhook failed (attempt %u of %u): %s", delivery->attempt, self->attempts,
             error != NULL ? error->message : soup_status_get_phrase (status));
  if (delivery->attempt >= self->attempts)
    {
      give_up (delivery);
      delivery_free (delivery);
      return;
    }
  delivery->timer_id = g_timeout_add (self->retry_ms << (delivery->attempt - 1), on_retry_cb, delivery);
}

static void
send_attempt (Delivery *delivery)
{
  TlServerWebhook *self = delivery->self;
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", self->url);
  g_autofree char *auth = NULL;

  if (msg == NULL)
    {
      g_warning ("Invalid assistant webhook URL");
      delivery_free (delivery);
      return;
    }
  if (self->admin_token != NULL)
    {
      auth = g_strdup_printf ("Bearer %s", self->admin_token);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  soup_message_set_request_body_from_bytes (msg, "application/json", delivery->body);
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, self->cancellable,
                                    on_sent_cb, delivery);
}

/* After the last try the reply shows as failed. */
static void
give_up (Delivery *delivery)
{
  TlServerWebhook *self = delivery->self;
  g_autoptr(JsonObject) chunk = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;

  if (delivery->stream_id != NULL && tl_server_hub_stream_is_live (self->hub, delivery->stream_id))
    id = g_strdup (delivery->stream_id);
  else if (delivery->stream_id == NULL)
    id = tl_server_hub_stream_begin (self->hub, delivery->conversation_id, NULL, delivery->author,
                                     NULL, &error);
  if (id == NULL)
    {
      tl_server_hub_flush (self->hub);
      return;
    }
  json_object_set_string_member (chunk, "type", "error");
  json_object_set_string_member (chunk, "errorText", "The assistant did not answer.");
  tl_server_hub_stream_chunk (self->hub, id, chunk, NULL, NULL);
  tl_server_hub_flush (self->hub);
}

static void
deliver (TlServerWebhook *self,
         const char      *reason,
         const char      *conversation_id,
         const char      *message_id,
         const char      *stream_id,
         const char      *tool_call_id,
         gboolean         approved)
{
  TlServerStore *store = tl_server_hub_get_store (self->hub);
  g_autofree char *conversation_json = tl_server_store_get_conversation (store, conversation_id);
  g_autoptr(JsonObject) conversation = tl_server_json_parse_object (conversation_json);
  g_autoptr(JsonObject) message = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(GString) out = NULL;
  g_autofree char *conv_text = NULL;
  g_autofree char *message_text = NULL;
  g_autofree char *stream_url = NULL;
  JsonObject *assistant;
  Delivery *delivery;

  if (conversation == NULL || (assistant = find_assistant (conversation)) == NULL)
    return;
  message = tl_server_hub_dup_message (self->hub, message_id);
  history = tl_server_store_list_messages (store, conversation_id, NULL, NULL, HISTORY_LENGTH, NULL);

  conv_text = tl_server_json_object_to_string (conversation);
  out = g_string_new ("{");
  tl_server_json_append_string_member (out, "reason", reason);
  tl_server_json_append_member (out, "conversation", conv_text);
  if (message != NULL)
    {
      message_text = tl_server_json_object_to_string (message);
      tl_server_json_append_member (out, "message", message_text);
    }
  g_string_append (out, ",\"history\":[");
  for (guint i = 0; i < history->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, ((TlServerMessageRow *) g_ptr_array_index (history, i))->json);
    }
  g_string_append_c (out, ']');
  tl_server_json_append_string_member (out, "replyTo", message_id);
  if (stream_id != NULL)
    {
      g_autofree char *escaped = g_uri_escape_string (stream_id, NULL, FALSE);

      stream_url = g_strdup_printf ("%s/v1/streams/%s/chunks", self->base_url, escaped);
      tl_server_json_append_string_member (out, "streamMessageId", stream_id);
    }
  else
    stream_url = g_strdup_printf ("%s/v1/streams", self->base_url);
  tl_server_json_append_string_member (out, "streamUrl", stream_url);
  if (tool_call_id != NULL)
    {
      g_string_append (out, ",\"approval\":{");
      tl_server_json_append_string_member (out, "toolCallId", tool_call_id);
      g_string_append_printf (out, ",\"approved\":%s}", approved ? "true" : "false");
    }
  g_string_append_c (out, '}');

  delivery = g_new0 (Delivery, 1);
  delivery->self = g_object_ref (self);
  delivery->body = g_string_free_to_bytes (g_steal_pointer (&out));
  delivery->conversation_id = g_strdup (conversation_id);
  delivery->stream_id = g_strdup (stream_id);
  delivery->author = tl_server_json_without_nulls (assistant);
  send_attempt (delivery);
}

static void
on_message_sent_cb (TlServerHub     *hub,
                    const char      *user_id,
                    const char      *conversation_id,
                    const char      *message_id,
                    TlServerWebhook *self)
{
  deliver (self, "message", conversation_id, message_id, NULL, NULL, FALSE);
}

static void
on_regenerate_cb (TlServerHub     *hub,
                  const char      *conversation_id,
                  const char      *new_id,
                  const char      *old_id,
                  TlServerWebhook *self)
{
  deliver (self, "regenerate", conversation_id, new_id, new_id, NULL, FALSE);
}

static void
on_tool_approval_cb (TlServerHub     *hub,
                     const char      *message_id,
                     const char      *tool_call_id,
                     gboolean         approved,
                     TlServerWebhook *self)
{
  g_autofree char *conversation_id = NULL;
  g_autofree char *json = tl_server_store_get_message (tl_server_hub_get_store (hub), message_id,
                                                       &conversation_id, NULL);

  if (json == NULL)
    return;
  deliver (self, "tool-approval", conversation_id, message_id,
           tl_server_hub_stream_is_live (hub, message_id) ? message_id : NULL,
           tool_call_id, approved);
}

TlServerWebhook *
tl_server_webhook_new (TlServerHub *hub,
                       const char  *url,
                       const char  *admin_token,
                       const char  *base_url,
                       guint        retry_ms,
                       guint        attempts)
{
  TlServerWebhook *self;

  g_return_val_if_fail (TL_IS_SERVER_HUB (hub), NULL);
  g_return_val_if_fail (url != NULL, NULL);

  self = g_object_new (TL_TYPE_SERVER_WEBHOOK, NULL);
  self->hub = g_object_ref (hub);
  self->url = g_strdup (url);
  self->admin_token = g_strdup (admin_token);
  self->base_url = g_strdup (base_url);
  self->retry_ms = MAX (retry_ms, 1);
  self->attempts = MAX (attempts, 1);

  g_signal_connect (hub, "message-sent", G_CALLBACK (on_message_sent_cb), self);
  g_signal_connect (hub, "regenerate", G_CALLBACK (on_regenerate_cb), self);
  g_signal_connect (hub, "tool-approval", G_CALLBACK (on_tool_approval_cb), self);
  return self;
}
