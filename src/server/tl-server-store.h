/* tl-server-store.h — the server's durable state, behind an interface
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything the server must not lose lives behind this interface, so that a
 * PostgreSQL implementation for multi-instance deployments can follow the
 * SQLite one without touching the protocol code. Entities are exchanged as
 * JSON text: the store never interprets them.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define TL_TYPE_SERVER_STORE (tl_server_store_get_type ())

G_DECLARE_INTERFACE (TlServerStore, tl_server_store, TL, SERVER_STORE, GObject)

typedef struct
{
  char   *id;
  char   *display_name;   /* nullable */
  char   *salt;
  char   *token_hash;
  gint64  head_seq;
  gint64  floor_seq;      /* events with seq ≤ floor_seq are no longer kept */
} TlServerUser;

typedef struct
{
  char *id;
  char *sort_key;
  char *json;
} TlServerMessageRow;

/* Called for each retained event in seq order; returning FALSE stops. */
typedef gboolean (*TlServerEventFunc) (gint64      seq,
                                       const char *frame,
                                       gpointer    user_data);

struct _TlServerStoreInterface
{
  GTypeInterface parent_iface;

  gboolean      (*begin)               (TlServerStore      *self,
                                        GError            **error);
  gboolean      (*commit)              (TlServerStore      *self,
                                        GError            **error);
  void          (*rollback)            (TlServerStore      *self);

  char         *(*get_meta)            (TlServerStore      *self,
                                        const char         *key);
  gboolean      (*set_meta)            (TlServerStore      *self,
                                        const char         *key,
                                        const char         *value,
                                        GError            **error);

  gboolean      (*put_user)            (TlServerStore      *self,
                                        const TlServerUser *user,
                                        GError            **error);
  gboolean      (*remove_user)         (TlServerStore      *self,
                                        const char         *id,
                                        GError            **error);
  TlServerUser *(*get_user)            (TlServerStore      *self,
                                        const char         *id);
  GPtrArray    *(*list_users)          (TlServerStore      *self);

  gboolean      (*put_conversation)    (TlServerStore      *self,
                                        const char         *id,
                                        const char         *json,
                                        GError            **error);
  char         *(*get_conversation)    (TlServerStore      *self,
                                        const char         *id);
  gboolean      (*delete_conversation) (TlServerStore      *self,
                                        const char         *id,
                                        GError            **error);
  gboolean      (*set_participants)    (TlServerStore      *self,
                                        const char         *conversation_id,
                                        const char * const *user_ids,
                                        GError            **error);
  char        **(*list_members)        (TlServerStore      *self,
                                        const char         *conversation_id);
  char        **(*list_conversations)  (TlServerStore      *self,
                                        const char         *user_id);
  char        **(*list_co_participants) (TlServerStore     *self,
                                        const char         *user_id);
  gboolean      (*get_unread)          (TlServerStore      *self,
                                        const char         *conversation_id,
                                        const char         *user_id,
                                        gint64             *unread);
  gboolean      (*set_unread)          (TlServerStore      *self,
                                        const char         *conversation_id,
                                        const char         *user_id,
                                        gint64              unread,
                                        GError            **error);

  gboolean      (*put_message)         (TlServerStore      *self,
                                        const char         *id,
                                        const char         *conversation_id,
                                        const char         *sort_key,
                                        const char         *json,
                                        GError            **error);
  char         *(*get_message)         (TlServerStore      *self,
                                        const char         *id,
                                        char              **conversation_id,
                                        char              **sort_key);
  gboolean      (*delete_message)      (TlServerStore      *self,
                                        const char         *id,
                                        GError            **error);
  char        **(*list_streaming)      (TlServerStore      *self);
  GPtrArray    *(*list_messages)       (TlServerStore      *self,
                                        const char         *conversation_id,
                                        const char         *before_key,
                                        const char         *before_id,
                                        guint               limit,
                                        gboolean           *has_more);

  gint64        (*append_event)        (TlServerStore      *self,
                                        const char         *user_id,
                                        const char         *type,
                                        const char         *body,
                                        char              **frame,
                                        GError            **error);
  gboolean      (*foreach_event)       (TlServerStore      *self,
                                        const char         *user_id,
                                        gint64              after,
                                        gint64              upto,
                                        TlServerEventFunc   func,
                                        gpointer            user_data,
                                        GError            **error);
  gboolean      (*trim_events)         (TlServerStore      *self,
                                        const char         *user_id,
                                        gint64              keep,
                                        GError            **error);

  char         *(*get_idempotent)      (TlServerStore      *self,
                                        const char         *key,
                                        char              **owner);
  gboolean      (*put_idempotent)      (TlServerStore      *self,
                                        const char         *key,
                                        const char         *owner,
                                        const char         *value,
                                        GError            **error);
};

void          tl_server_user_free              (TlServerUser       *user);
void          tl_server_message_row_free       (TlServerMessageRow *row);
TlServerUser *tl_server_user_new_with_token    (const char         *id,
                                                const char         *display_name,
                                                const char         *token);
gboolean      tl_server_user_check_token       (const TlServerUser *user,
                                                const char         *token);
char         *tl_server_generate_token         (void);
char         *tl_server_frame_with_seq         (const char         *type,
                                                gint64              seq,
                                                const char         *body);

gboolean      tl_server_store_begin            (TlServerStore      *self,
                                                GError            **error);
gboolean      tl_server_store_commit           (TlServerStore      *self,
                                                GError            **error);
void          tl_server_store_rollback         (TlServerStore      *self);
char         *tl_server_store_get_meta         (TlServerStore      *self,
                                                const char         *key);
gboolean      tl_server_store_set_meta         (TlServerStore      *self,
                                                const char         *key,
                                                const char         *value,
                                                GError            **error);
gboolean      tl_server_store_put_user         (TlServerStore      *self,
                                                const TlServerUser *user,
                                                GError            **error);
gboolean      tl_server_store_remove_user      (TlServerStore      *self,
                                                const char         *id,
                                                GError            **error);
TlServerUser *tl_server_store_get_user         (TlServerStore      *self,
                                                const char         *id);
GPtrArray    *tl_server_store_list_users       (TlServerStore      *self);
TlServerUser *tl_server_store_find_user_by_token (TlServerStore    *self,
                                                const char         *token);
gboolean      tl_server_store_put_conversation (TlServerStore      *self,
                                                const char         *id,
                                                const char         *json,
                                                GError            **error);
char         *tl_server_store_get_conversation (TlServerStore      *self,
                                                const char         *id);
gboolean      tl_server_store_delete_conversation (TlServerStore   *self,
                                                const char         *id,
                                                GError            **error);
gboolean      tl_server_store_set_participants (TlServerStore      *self,
                                                const char         *conversation_id,
                                                const char * const *user_ids,
                                                GError            **error);
char        **tl_server_store_list_members     (TlServerStore      *self,
                                                const char         *conversation_id);
char        **tl_server_store_list_conversations (TlServerStore    *self,
                                                const char         *user_id);
char        **tl_server_store_list_co_participants (TlServerStore  *self,
                                                const char         *user_id);
gboolean      tl_server_store_get_unread       (TlServerStore      *self,
                                                const char         *conversation_id,
                                                const char         *user_id,
                                                gint64             *unread);
gboolean      tl_server_store_set_unread       (TlServerStore      *self,
                                                const char         *conversation_id,
                                                const char         *user_id,
                                                gint64              unread,
                                                GError            **error);
gboolean      tl_server_store_put_message      (TlServerStore      *self,
                                                const char         *id,
                                                const char         *conversation_id,
                                                const char         *sort_key,
                                                const char         *json,
                                                GError            **error);
char         *tl_server_store_get_message      (TlServerStore      *self,
                                                const char         *id,
                                                char              **conversation_id,
                                                char              **sort_key);
gboolean      tl_server_store_delete_message   (TlServerStore      *self,
                                                const char         *id,
                                                GError            **error);
/* Ids of stored messages whose status is "streaming". */
char        **tl_server_store_list_streaming   (TlServerStore      *self);
GPtrArray    *tl_server_store_list_messages    (TlServerStore      *self,
                                                const char         *conversation_id,
                                                const char         *before_key,
                                                const char         *before_id,
                                                guint               limit,
                                                gboolean           *has_more);
gint64        tl_server_store_append_event     (TlServerStore      *self,
                                                const char         *user_id,
                                                const char         *type,
                                                const char         *body,
                                                char              **frame,
                                                GError            **error);
gboolean      tl_server_store_foreach_event    (TlServerStore      *self,
                                                const char         *user_id,
                                                gint64              after,
                                                gint64              upto,
                                                TlServerEventFunc   func,
                                                gpointer            user_data,
                                                GError            **error);
gboolean      tl_server_store_trim_events      (TlServerStore      *self,
                                                const char         *user_id,
                                                gint64              keep,
                                                GError            **error);
char         *tl_server_store_get_idempotent   (TlServerStore      *self,
                                                const char         *key,
                                                char              **owner);
gboolean      tl_server_store_put_idempotent   (TlServerStore      *self,
                                                const char         *key,
                                                const char         *owner,
                                                const char         *value,
                                                GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlServerUser, tl_server_user_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlServerMessageRow, tl_server_message_row_free)

G_END_DECLS
