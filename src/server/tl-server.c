/* tl-server.c — threadline-server: HTTP + WebSocket front of the hub
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Owns the SoupServer, the store and the hub, authenticates upgrades
 * (bearer token, subprotocol) before a WebSocket exists, routes the hub's
 * frames to the live connections of each user, and serves the HTTP push API.
 */
#define G_LOG_DOMAIN "threadline-server"

#include "tl-server.h"

#include <libsoup/soup.h>
#include <string.h>

#include "tl-event.h"
#include "tl-json.h"
#include "tl-server-connection.h"
#include "tl-server-json.h"
#include "tl-server-store-sqlite.h"
#include "tl-server-webhook.h"

#define SUBPROTOCOL "threadline.v1"

struct _TlServer
{
  GObject          parent_instance;

  /* owned */
  TlServerConfig   config;
  TlServerStore   *store;
  TlServerHub     *hub;
  SoupServer      *soup;
  TlServerWebhook *webhook;
  GPtrArray       *connections;   /* TlServerConnection*, all of them */
  GHashTable      *by_user;       /* user id → GPtrArray of borrowed connections */

  guint            port;
  gboolean         shutting_down;
};

G_DEFINE_FINAL_TYPE (TlServer, tl_server, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_N_CONNECTIONS,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static void
tl_server_dispose (GObject *object)
{
  TlServer *self = TL_SERVER (object);

  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  g_clear_object (&self->webhook);
  if (self->connections != NULL)
    for (guint i = 0; i < self->connections->len; i++)
      g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->connections, i), self);
  g_clear_pointer (&self->connections, g_ptr_array_unref);
  g_clear_pointer (&self->by_user, g_hash_table_unref);
  if (self->hub != NULL)
    tl_server_hub_set_sink (self->hub, NULL, NULL);
  g_clear_object (&self->hub);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (tl_server_parent_class)->dispose (object);
}

static void
tl_server_finalize (GObject *object)
{
  TlServer *self = TL_SERVER (object);

  tl_server_config_clear (&self->config);

  G_OBJECT_CLASS (tl_server_parent_class)->finalize (object);
}

static void
tl_server_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  TlServer *self = TL_SERVER (object);

  switch (prop_id)
    {
    case PROP_N_CONNECTIONS:
      g_value_set_uint (value, tl_server_get_n_connections (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tl_server_class_init (TlServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tl_server_dispose;
  object_class->finalize = tl_server_finalize;
  object_class->get_property = tl_server_get_property;

  properties [PROP_N_CONNECTIONS] =
    g_param_spec_uint ("n-connections", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tl_server_init (TlServer *self)
{
  self->connections = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_user = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_ptr_array_unref);
}

TlServerHub *
tl_server_get_hub (TlServer *self)
{
  g_return_val_if_fail (TL_IS_SERVER (self), NULL);
  return self->hub;
}

TlServerStore *
tl_server_get_store (TlServer *self)
{
  g_return_val_if_fail (TL_IS_SERVER (self), NULL);
  return self->store;
}

guint
tl_server_get_port (TlServer *self)
{
  g_return_val_if_fail (TL_IS_SERVER (self), 0);
  return self->port;
}

guint
tl_server_get_n_connections (TlServer *self)
{
  g_return_val_if_fail (TL_IS_SERVER (self), 0);
  return self->connections->len;
}

static void
sink_cb (const char *user_id,
         const char *frame,
         gpointer    except,
         gpointer    user_data)
{
  TlServer *self = user_data;
  GPtrArray *list = g_hash_table_lookup (self->by_user, user_id);

  if (list == NULL)
    return;
  for (guint i = 0; i < list->len; i++)
    {
      TlServerConnection *connection = g_ptr_array_index (list, i);

      if (connection != except && tl_server_connection_is_live (connection))
        tl_server_connection_send (connection, frame);
    }
}

gboolean
tl_server_add_user (TlServer    *self,
                    const char  *id,
                    const char  *token,
                    const char  *display_name,
                    GError     **error)
{
  g_autoptr(TlServerUser) user = NULL;

  g_return_val_if_fail (TL_IS_SERVER (self), FALSE);

  if (id == NULL || id[0] == '\0' || token == NULL || token[0] == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "a user needs a non-empty id and token");
      return FALSE;
    }
  user = tl_server_user_new_with_token (id, display_name, token);
  return tl_server_store_put_user (self->store, user, error);
}

/* Authentication */

static char *
bearer_token (SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Authorization");

  if (header == NULL || g_ascii_strncasecmp (header, "Bearer ", 7) != 0)
    return NULL;
  return g_strstrip (g_strdup (header + 7));
}

static gboolean
secret_equal (const char *a,
              const char *b)
{
  gsize la, lb;
  guchar diff = 0;

  if (a == NULL || b == NULL)
    return FALSE;
  la = strlen (a);
  lb = strlen (b);
  for (gsize i = 0; i < MAX (la, lb); i++)
    diff |= (guchar) ((i < la ? a[i] : 0) ^ (i < lb ? b[i] : 0));
  return diff == 0 && la == lb;
}

static void
respond_json (SoupServerMessage *msg,
              guint              status,
              char              *json)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    json, strlen (json));
}

static void
respond_error (SoupServerMessage *msg,
               guint              status,
               const char        *code,
               const char        *message,
               gint               index)
{
  GString *out = g_string_new ("{");

  tl_server_json_append_string_member (out, "error", code);
  tl_server_json_append_string_member (out, "message", message);
  if (index >= 0)
    g_string_append_printf (out, ",\"index\":%d", index);
  g_string_append_c (out, '}');
  if (status == SOUP_STATUS_UNAUTHORIZED)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "WWW-Authenticate", "Bearer realm=\"threadline\"");
  respond_json (msg, status, g_string_free (out, FALSE));
}

static gboolean
offers_subprotocol (SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Sec-WebSocket-Protocol");
  g_auto(GStrv) offered = NULL;

  if (header == NULL)
    return FALSE;
  offered = g_strsplit (header, ",", -1);
  for (guint i = 0; offered[i] != NULL; i++)
    if (strcmp (g_strstrip (offered[i]), SUBPROTOCOL) == 0)
      return TRUE;
  return FALSE;
}

/* Runs on the upgrade's headers, before libsoup answers 101: a refused
 * client never gets a WebSocket. */
static void
on_stream_early_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    const char        *path,
                    GHashTable        *query,
                    gpointer           user_data)
{
  TlServer *self = user_data;
  g_autofree char *token = bearer_token (msg);
  TlServerUser *user = NULL;

  if (self->shutting_down)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", "5");
      respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "shutting-down",
                     "the server is shutting down", -1);
      return;
    }
  user = tl_server_store_find_user_by_token (self->store, token);
  if (user == NULL)
    {
      respond_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                     "a valid bearer token is required", -1);
      return;
    }
  if (!offers_subprotocol (msg))
    {
      tl_server_user_free (user);
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "subprotocol",
                     "the " SUBPROTOCOL " subprotocol is required", -1);
      return;
    }
  g_object_set_data_full (G_OBJECT (msg), "tl-server-user", user,
                          (GDestroyNotify) tl_server_user_free);
}

static void
on_connection_live_cb (TlServerConnection *connection,
                       TlServer           *self)
{
  GPtrArray *list = g_hash_table_lookup (self->by_user,
                                         tl_server_connection_get_user_id (connection));
  guint live = 0;

  for (guint i = 0; list != NULL && i < list->len; i++)
    if (tl_server_connection_is_live (g_ptr_array_index (list, i)))
      live++;
  if (live == 1)
    tl_server_hub_set_presence (self->hub, tl_server_connection_get_user_id (connection), TRUE);
}

static void
on_connection_closed_cb (TlServerConnection *connection,
                         TlServer           *self)
{
  g_autofree char *user_id = g_strdup (tl_server_connection_get_user_id (connection));
  GPtrArray *list = g_hash_table_lookup (self->by_user, user_id);

  if (list != NULL)
    {
      g_ptr_array_remove (list, connection);
      if (list->len == 0)
        {
          g_hash_table_remove (self->by_user, user_id);
          tl_server_hub_set_presence (self->hub, user_id, FALSE);
        }
    }
  g_signal_handlers_disconnect_by_data (connection, self);
  g_ptr_array_remove (self->connections, connection);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_N_CONNECTIONS]);
}

static void
on_stream_websocket_cb (SoupServer              *server,
                        SoupServerMessage       *msg,
                        const char              *path,
                        SoupWebsocketConnection *socket,
                        gpointer                 user_data)
{
  TlServer *self = user_data;
  TlServerUser *user = g_object_get_data (G_OBJECT (msg), "tl-server-user");
  TlServerConnection *connection;
  GPtrArray *list;

  if (user == NULL)
    {
      /* Cannot happen: the early handler refused it. Be safe anyway. */
      soup_websocket_connection_close (socket, 4004, "authentication failed");
      return;
    }

  connection = tl_server_connection_new (self->hub, socket, user->id, user->display_name,
                                         &self->config);
  g_ptr_array_add (self->connections, connection);
  list = g_hash_table_lookup (self->by_user, user->id);
  if (list == NULL)
    {
      list = g_ptr_array_new ();
      g_hash_table_insert (self->by_user, g_strdup (user->id), list);
    }
  g_ptr_array_add (list, connection);
  g_signal_connect (connection, "live", G_CALLBACK (on_connection_live_cb), self);
  g_signal_connect (connection, "closed", G_CALLBACK (on_connection_closed_cb), self);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_N_CONNECTIONS]);
}

/* The HTTP push API */

static void
on_events_early_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    const char        *path,
                    GHashTable        *query,
                    gpointer           user_data)
{
  TlServer *self = user_data;
  goffset length = soup_message_headers_get_content_length (soup_server_message_get_request_headers (msg));

  /* Refuse an oversized body before reading it. */
  if (length > (goffset) self->config.max_body)
    respond_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too-large",
                   "the body exceeds the size limit", -1);
}

/* The checks every admin endpoint shares: POST, the admin token, JSON,
 * size. Returns the decoded body, or NULL after answering the error. */
static JsonNode *
admin_request_body (TlServer          *self,
                    SoupServerMessage *msg)
{
  g_autofree char *token = bearer_token (msg);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *body;
  const char *content_type;

  if (strcmp (soup_server_message_get_method (msg), "POST") != 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "POST");
      respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method", "use POST", -1);
      return NULL;
    }
  if (self->config.admin_token == NULL || !secret_equal (token, self->config.admin_token))
    {
      respond_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                     self->config.admin_token == NULL ?
                       "the HTTP API is disabled: start the server with --admin-token" :
                       "a valid admin bearer token is required", -1);
      return NULL;
    }
  content_type = soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg), NULL);
  if (g_strcmp0 (content_type, "application/json") != 0)
    {
      respond_error (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "media-type",
                     "Content-Type must be application/json", -1);
      return NULL;
    }

  bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  if (g_bytes_get_size (bytes) > self->config.max_body)
    {
      respond_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too-large",
                     "the body exceeds the size limit", -1);
      return NULL;
    }
  body = tl_server_json_decode_body (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                     self->config.max_body, &error);
  if (body == NULL)
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "malformed", error->message, -1);
      return NULL;
    }
  return body;
}

static guint
status_for (const GError *error)
{
  if (error->domain != TL_SERVER_ERROR)
    return SOUP_STATUS_INTERNAL_SERVER_ERROR;
  switch ((TlServerError) error->code)
    {
    case TL_SERVER_ERROR_NOT_FOUND: return SOUP_STATUS_NOT_FOUND;
    case TL_SERVER_ERROR_CONFLICT: return SOUP_STATUS_CONFLICT;
    case TL_SERVER_ERROR_FORBIDDEN: return SOUP_STATUS_FORBIDDEN;
    case TL_SERVER_ERROR_TOO_LARGE: return SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
    case TL_SERVER_ERROR_BAD_REQUEST: return SOUP_STATUS_BAD_REQUEST;
    case TL_SERVER_ERROR_INTERNAL:
    default: return SOUP_STATUS_INTERNAL_SERVER_ERROR;
    }
}

static void
on_events_cb (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  TlServer *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonNode) results = NULL;
  g_autoptr(GString) out = NULL;
  gint bad_index = -1;

  body = admin_request_body (self, msg);
  if (body == NULL)
    return;

  results = tl_server_hub_push (self->hub, body, &bad_index, &error);
  if (results == NULL)
    {
      gboolean internal = g_error_matches (error, TL_SERVER_ERROR, TL_SERVER_ERROR_INTERNAL);

      respond_error (msg, internal ? SOUP_STATUS_INTERNAL_SERVER_ERROR : SOUP_STATUS_BAD_REQUEST,
                     internal ? "internal" : "invalid-event", error->message, bad_index);
      return;
    }
  tl_server_hub_flush (self->hub);

  out = g_string_new ("{\"accepted\":");
  g_string_append_printf (out, "%u,\"results\":", json_array_get_length (json_node_get_array (results)));
  tl_json_write_node (out, results);
  g_string_append_c (out, '}');
  respond_json (msg, SOUP_STATUS_OK, g_string_free (g_steal_pointer (&out), FALSE));
}

/* POST /v1/streams: announce a reply. */
static void
begin_stream (TlServer          *self,
              SoupServerMessage *msg,
              JsonNode          *body)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autoptr(GString) out = NULL;
  JsonObject *request;
  JsonObject *author = NULL;
  JsonNode *author_node;
  const char *conversation_id;
  const char *message_id;

  if (!JSON_NODE_HOLDS_OBJECT (body))
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid-request", "the body must be an object", -1);
      return;
    }
  request = json_node_get_object (body);
  conversation_id = tl_server_json_get_string (request, "conversationId");
  message_id = tl_server_json_get_string (request, "messageId");
  author_node = json_object_get_member (request, "author");
  if (conversation_id == NULL || conversation_id[0] == '\0' ||
      (json_object_has_member (request, "messageId") &&
       !JSON_NODE_HOLDS_NULL (json_object_get_member (request, "messageId")) &&
       (message_id == NULL || message_id[0] == '\0')))
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid-request",
                     "“conversationId” (and “messageId”, when given) must be non-empty strings", -1);
      return;
    }
  if (author_node != NULL && !JSON_NODE_HOLDS_NULL (author_node))
    {
      g_autoptr(JsonNode) user = tl_json_dup_user (author_node, "author", &error);

      if (user == NULL)
        {
          respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid-request", error->message, -1);
          return;
        }
      author = json_object_ref (json_node_get_object (user));
    }

  id = tl_server_hub_stream_begin (self->hub, conversation_id, message_id, author, NULL, &error);
  g_clear_pointer (&author, json_object_unref);
  if (id == NULL)
    {
      respond_error (msg, status_for (error), tl_server_error_code (error), error->message, -1);
      return;
    }
  tl_server_hub_flush (self->hub);

  out = g_string_new ("{");
  tl_server_json_append_string_member (out, "messageId", id);
  tl_server_json_append_string_member (out, "conversationId", conversation_id);
  respond_json (msg, SOUP_STATUS_OK, g_strconcat (out->str, "}", NULL));
}

/* POST /v1/streams/ID/chunks: one chunk or an array; the server numbers
 * them. Everything is checked before the first one goes out. */
static void
add_chunks (TlServer          *self,
            SoupServerMessage *msg,
            const char        *message_id,
            JsonNode          *body)
{
  g_autoptr(GPtrArray) chunks = g_ptr_array_new ();
  g_autoptr(GString) out = g_string_new ("{\"sequences\":[");
  gboolean finished = FALSE;

  if (JSON_NODE_HOLDS_ARRAY (body))
    for (guint i = 0; i < json_array_get_length (json_node_get_array (body)); i++)
      g_ptr_array_add (chunks, json_array_get_element (json_node_get_array (body), i));
  else
    g_ptr_array_add (chunks, body);

  if (!tl_server_hub_stream_is_live (self->hub, message_id))
    {
      g_autoptr(JsonObject) existing = tl_server_hub_dup_message (self->hub, message_id);

      if (existing != NULL)
        respond_error (msg, SOUP_STATUS_CONFLICT, "stream-over",
                       "that stream has ended; a stream never reopens", -1);
      else
        respond_error (msg, SOUP_STATUS_NOT_FOUND, "not-found", "no such stream", -1);
      return;
    }
  for (guint i = 0; i < chunks->len; i++)
    {
      g_autoptr(GError) error = NULL;
      JsonNode *chunk = g_ptr_array_index (chunks, i);
      const char *type;

      if (!tl_server_hub_stream_validate_chunk (chunk, &error))
        {
          respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid-chunk", error->message, (gint) i);
          return;
        }
      type = tl_server_json_get_string (json_node_get_object (chunk), "type");
      if (i + 1 < chunks->len &&
          (strcmp (type, "finish") == 0 || strcmp (type, "abort") == 0 || strcmp (type, "error") == 0))
        {
          respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid-chunk",
                         "a terminal chunk must be the last one", (gint) i);
          return;
        }
    }

  for (guint i = 0; i < chunks->len; i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 sequence;

      sequence = tl_server_hub_stream_chunk (self->hub, message_id,
                                             json_node_get_object (g_ptr_array_index (chunks, i)),
                                             &finished, &error);
      if (sequence == 0)
        {
          /* The chunks before this one were sent: say which. */
          tl_server_hub_flush (self->hub);
          respond_error (msg, status_for (error), tl_server_error_code (error), error->message, (gint) i);
          return;
        }
      g_string_append_printf (out, "%s%" G_GINT64_FORMAT, i > 0 ? "," : "", sequence);
    }
  tl_server_hub_flush (self->hub);
  g_string_append_printf (out, "],\"finished\":%s}", finished ? "true" : "false");
  respond_json (msg, SOUP_STATUS_OK, g_string_free (g_steal_pointer (&out), FALSE));
}

static void
on_streams_cb (SoupServer        *server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  TlServer *self = user_data;
  g_autoptr(JsonNode) body = NULL;

  body = admin_request_body (self, msg);
  if (body == NULL)
    return;

  if (strcmp (path, "/v1/streams") == 0)
    begin_stream (self, msg, body);
  else if (g_str_has_prefix (path, "/v1/streams/") && g_str_has_suffix (path, "/chunks"))
    {
      gsize start = strlen ("/v1/streams/");
      gsize end = strlen (path) - strlen ("/chunks");
      g_autofree char *message_id = end > start ? g_strndup (path + start, end - start) : NULL;

      if (message_id == NULL || strchr (message_id, '/') != NULL)
        respond_error (msg, SOUP_STATUS_NOT_FOUND, "not-found", "no such resource", -1);
      else
        add_chunks (self, msg, message_id, body);
    }
  else
    respond_error (msg, SOUP_STATUS_NOT_FOUND, "not-found", "no such resource", -1);
}

TlServer *
tl_server_new (const TlServerConfig  *config,
               GError               **error)
{
  g_autoptr(TlServer) self = NULL;
  const char *protocols[] = { SUBPROTOCOL, NULL };

  g_return_val_if_fail (config != NULL, NULL);

  self = g_object_new (TL_TYPE_SERVER, NULL);
  self->config = *config;
  self->config.listen = g_strdup (config->listen);
  self->config.db_path = g_strdup (config->db_path);
  self->config.admin_token = g_strdup (config->admin_token);
  self->config.webhook_url = g_strdup (config->webhook_url);

  self->store = tl_server_store_sqlite_open (self->config.db_path, error);
  if (self->store == NULL)
    return NULL;
  self->hub = tl_server_hub_new (self->store, self->config.retain, error);
  if (self->hub == NULL)
    return NULL;
  tl_server_hub_set_sink (self->hub, sink_cb, self);
  if (!tl_server_hub_fail_orphaned_streams (self->hub, error))
    return NULL;

  self->soup = soup_server_new ("server-header", "threadline-server/" TL_VERSION " ", NULL);
  soup_server_add_early_handler (self->soup, "/v1/stream", on_stream_early_cb, self, NULL);
  soup_server_add_websocket_handler (self->soup, "/v1/stream", NULL, (char **) protocols,
                                     on_stream_websocket_cb, self, NULL);
  soup_server_add_early_handler (self->soup, "/v1/events", on_events_early_cb, self, NULL);
  soup_server_add_handler (self->soup, "/v1/events", on_events_cb, self, NULL);
  soup_server_add_early_handler (self->soup, "/v1/streams", on_events_early_cb, self, NULL);
  soup_server_add_handler (self->soup, "/v1/streams", on_streams_cb, self, NULL);

  return g_steal_pointer (&self);
}

gboolean
tl_server_listen (TlServer  *self,
                  GError   **error)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  GSList *uris;

  g_return_val_if_fail (TL_IS_SERVER (self), FALSE);

  inet = g_inet_address_new_from_string (self->config.listen);
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IP address", self->config.listen);
      return FALSE;
    }
  address = g_inet_socket_address_new (inet, self->config.port);
  if (!soup_server_listen (self->soup, address, 0, error))
    return FALSE;

  uris = soup_server_get_uris (self->soup);
  if (uris != NULL)
    self->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  /* The hook tells the assistant where to stream, so it needs the port. */
  if (self->config.webhook_url != NULL && self->webhook == NULL)
    {
      g_autofree char *base = NULL;

      if (strchr (self->config.listen, ':') != NULL)
        base = g_strdup_printf ("http://[%s]:%u", self->config.listen, self->port);
      else
        base = g_strdup_printf ("http://%s:%u", self->config.listen, self->port);
      self->webhook = tl_server_webhook_new (self->hub, self->config.webhook_url,
                                             self->config.admin_token, base,
                                             self->config.webhook_retry_ms,
                                             self->config.webhook_attempts);
    }
  return TRUE;
}

void
tl_server_shutdown (TlServer *self)
{
  g_autoptr(GPtrArray) connections = NULL;

  g_return_if_fail (TL_IS_SERVER (self));

  self->shutting_down = TRUE;
  /* Closing may finish synchronously and shrink the list: walk a copy. */
  connections = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < self->connections->len; i++)
    g_ptr_array_add (connections, g_object_ref (g_ptr_array_index (self->connections, i)));
  for (guint i = 0; i < connections->len; i++)
    tl_server_connection_close (g_ptr_array_index (connections, i), 4011, "server restarting");
}
