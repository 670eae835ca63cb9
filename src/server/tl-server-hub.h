/* tl-server-hub.h — the server's domain logic: membership, unread, fan-out
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "tl-server-store.h"

G_BEGIN_DECLS

#define TL_SERVER_ERROR (tl_server_error_quark ())

typedef enum
{
  TL_SERVER_ERROR_BAD_REQUEST,
  TL_SERVER_ERROR_NOT_FOUND,
  TL_SERVER_ERROR_CONFLICT,
  TL_SERVER_ERROR_FORBIDDEN,
  TL_SERVER_ERROR_TOO_LARGE,
  TL_SERVER_ERROR_INTERNAL,
} TlServerError;

#define TL_SERVER_MAX_TEXT (32 * 1024)

/* Delivers @frame to every live connection of @user_id except @except. */
typedef void (*TlServerSinkFunc) (const char *user_id,
                                  const char *frame,
                                  gpointer    except,
                                  gpointer    user_data);

#define TL_TYPE_SERVER_HUB (tl_server_hub_get_type ())

G_DECLARE_FINAL_TYPE (TlServerHub, tl_server_hub, TL, SERVER_HUB, GObject)

GQuark         tl_server_error_quark              (void);
const char    *tl_server_error_code               (const GError   *error);

TlServerHub   *tl_server_hub_new                  (TlServerStore  *store,
                                                   gint64          retain,
                                                   GError        **error);
TlServerStore *tl_server_hub_get_store            (TlServerHub    *self);
const char    *tl_server_hub_get_epoch            (TlServerHub    *self);
void           tl_server_hub_set_sink             (TlServerHub    *self,
                                                   TlServerSinkFunc func,
                                                   gpointer        user_data);
void           tl_server_hub_flush                (TlServerHub    *self);
/* Until the next flush, ephemeral frames queue behind the durable ones
 * instead of going out at once: a command's reply then comes first. */
void           tl_server_hub_hold                 (TlServerHub    *self);

/* Commands. On success each returns the members of its ack (JSON text
 * without braces, "type" or "requestId"). Call tl_server_hub_flush() after
 * sending the ack: the ack goes first, then the durable events. */
char          *tl_server_hub_send_message         (TlServerHub    *self,
                                                   const char     *user_id,
                                                   JsonObject     *message,
                                                   GError        **error);
char          *tl_server_hub_mark_read            (TlServerHub    *self,
                                                   const char     *user_id,
                                                   const char     *conversation_id,
                                                   const char     *message_id,
                                                   GError        **error);
gboolean       tl_server_hub_set_typing           (TlServerHub    *self,
                                                   const char     *user_id,
                                                   const char     *conversation_id,
                                                   gboolean        is_typing,
                                                   gpointer        except,
                                                   GError        **error);
char          *tl_server_hub_load_history         (TlServerHub    *self,
                                                   const char     *user_id,
                                                   const char     *conversation_id,
                                                   const char     *cursor,
                                                   gint64          limit,
                                                   GError        **error);
char          *tl_server_hub_get_message          (TlServerHub    *self,
                                                   const char     *user_id,
                                                   const char     *message_id,
                                                   GError        **error);
char          *tl_server_hub_create_conversation  (TlServerHub    *self,
                                                   const char     *user_id,
                                                   JsonObject     *conversation,
                                                   GError        **error);
char          *tl_server_hub_remove_conversation  (TlServerHub    *self,
                                                   const char     *user_id,
                                                   const char     *conversation_id,
                                                   GError        **error);
char          *tl_server_hub_remove_message       (TlServerHub    *self,
                                                   const char     *user_id,
                                                   const char     *message_id,
                                                   GError        **error);

/* The push API: one realtime event object or an array of them, validated by
 * core's tl_event_parse(), applied in one transaction. Returns the results
 * array, or NULL with @bad_index set to the offending element (-1 for the
 * body as a whole) and nothing stored. */
JsonNode      *tl_server_hub_push                 (TlServerHub    *self,
                                                   JsonNode       *body,
                                                   gint           *bad_index,
                                                   GError        **error);

/* Connection support. */
GPtrArray     *tl_server_hub_build_snapshot       (TlServerHub    *self,
                                                   const char     *user_id,
                                                   gint64          at_seq);
GPtrArray     *tl_server_hub_presence_frames      (TlServerHub    *self,
                                                   const char     *user_id);
void           tl_server_hub_set_presence         (TlServerHub    *self,
                                                   const char     *user_id,
                                                   gboolean        online);

/* Streams of assistant replies. A terminal chunk (finish, abort, error)
 * ends the stream and persists the complete message, built from the chunks
 * by core's own stream rules, as a durable message-updated. */
char          *tl_server_hub_stream_begin         (TlServerHub    *self,
                                                   const char     *conversation_id,
                                                   const char     *message_id,
                                                   JsonObject     *author,
                                                   const char     *created_at,
                                                   GError        **error);
gint64         tl_server_hub_stream_chunk         (TlServerHub    *self,
                                                   const char     *message_id,
                                                   JsonObject     *chunk,
                                                   gboolean       *terminal,
                                                   GError        **error);
gboolean       tl_server_hub_stream_validate_chunk (JsonNode      *node,
                                                   GError        **error);
gboolean       tl_server_hub_stream_is_live       (TlServerHub    *self,
                                                   const char     *message_id);
GPtrArray     *tl_server_hub_stream_frames_after  (TlServerHub    *self,
                                                   const char     *user_id,
                                                   const char     *message_id,
                                                   gint64          after);
gboolean       tl_server_hub_fail_orphaned_streams (TlServerHub   *self,
                                                   GError        **error);
JsonObject    *tl_server_hub_dup_message          (TlServerHub    *self,
                                                   const char     *message_id);
char          *tl_server_hub_stop_stream          (TlServerHub    *self,
                                                   const char     *user_id,
                                                   const char     *message_id,
                                                   GError        **error);
char          *tl_server_hub_regenerate           (TlServerHub    *self,
                                                   const char     *user_id,
                                                   const char     *message_id,
                                                   GError        **error);
char          *tl_server_hub_respond_tool_approval (TlServerHub   *self,
                                                   const char     *user_id,
                                                   const char     *message_id,
                                                   const char     *tool_call_id,
                                                   gboolean        approved,
                                                   const char     *reason,
                                                   GError        **error);

G_END_DECLS
