/* tl-server-store.c — the storage interface and its shared helpers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "threadline-server"

#include "tl-server-store.h"

#include <string.h>

G_DEFINE_INTERFACE (TlServerStore, tl_server_store, G_TYPE_OBJECT)

static void
tl_server_store_default_init (TlServerStoreInterface *iface)
{
}

void
tl_server_user_free (TlServerUser *user)
{
  if (user == NULL)
    return;
  g_free (user->id);
  g_free (user->display_name);
  g_free (user->salt);
  g_free (user->token_hash);
  g_free (user);
}

void
tl_server_message_row_free (TlServerMessageRow *row)
{
  if (row == NULL)
    return;
  g_free (row->id);
  g_free (row->sort_key);
  g_free (row->json);
  g_free (row);
}

static char *
random_hex (guint n_bytes)
{
  GString *out = g_string_sized_new (n_bytes * 2);

  /* g_random_int is seeded from /dev/urandom per process; tokens are bearer
   * secrets for a loopback or TLS-fronted service, and 128+ bits of it are
   * plenty against online guessing. */
  for (guint i = 0; i < n_bytes; i++)
    g_string_append_printf (out, "%02x", g_random_int_range (0, 256));
  return g_string_free (out, FALSE);
}

char *
tl_server_generate_token (void)
{
  g_autofree char *hex = random_hex (24);

  return g_strconcat ("tl_", hex, NULL);
}

static char *
hash_token (const char *salt,
            const char *token)
{
  g_autofree char *salted = g_strconcat (salt, ":", token, NULL);

  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, salted, -1);
}

TlServerUser *
tl_server_user_new_with_token (const char *id,
                               const char *display_name,
                               const char *token)
{
  TlServerUser *user = g_new0 (TlServerUser, 1);

  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (token != NULL, NULL);

  user->id = g_strdup (id);
  user->display_name = g_strdup (display_name);
  user->salt = random_hex (16);
  user->token_hash = hash_token (user->salt, token);
  return user;
}

gboolean
tl_server_user_check_token (const TlServerUser *user,
                            const char         *token)
{
  g_autofree char *hash = NULL;
  guchar diff = 0;
  gsize len;

  g_return_val_if_fail (user != NULL, FALSE);

  if (token == NULL || user->salt == NULL || user->token_hash == NULL)
    return FALSE;

  hash = hash_token (user->salt, token);
  len = strlen (hash);
  if (len != strlen (user->token_hash))
    return FALSE;
  /* Compare every byte so the time taken says nothing about the prefix. */
  for (gsize i = 0; i < len; i++)
    diff |= (guchar) (hash[i] ^ user->token_hash[i]);
  return diff == 0;
}

char *
tl_server_frame_with_seq (const char *type,
                          gint64      seq,
                          const char *body)
{
  /* @type is one of our own event names, never user input, so it needs no
   * escaping; @body is already JSON members ("a":1,"b":2). */
  if (body == NULL || body[0] == '\0')
    return g_strdup_printf ("{\"type\":\"%s\",\"seq\":%" G_GINT64_FORMAT "}", type, seq);
  return g_strdup_printf ("{\"type\":\"%s\",\"seq\":%" G_GINT64_FORMAT ",%s}", type, seq, body);
}

#define IFACE(self) TL_SERVER_STORE_GET_IFACE (self)

gboolean
tl_server_store_begin (TlServerStore *self,
                       GError       **error)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), FALSE);
  return IFACE (self)->begin (self, error);
}

gboolean
tl_server_store_commit (TlServerStore *self,
                        GError       **error)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), FALSE);
  return IFACE (self)->commit (self, error);
}

void
tl_server_store_rollback (TlServerStore *self)
{
  g_return_if_fail (TL_IS_SERVER_STORE (self));
  IFACE (self)->rollback (self);
}

char *
tl_server_store_get_meta (TlServerStore *self,
                          const char    *key)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), NULL);
  return IFACE (self)->get_meta (self, key);
}

gboolean
tl_server_store_set_meta (TlServerStore *self,
                          const char    *key,
                          const char    *value,
                          GError       **error)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), FALSE);
  return IFACE (self)->set_meta (self, key, value, error);
}

gboolean
tl_server_store_put_user (TlServerStore      *self,
                          const TlServerUser *user,
                          GError            **error)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), FALSE);
  g_return_val_if_fail (user != NULL && user->id != NULL, FALSE);
  return IFACE (self)->put_user (self, user, error);
}

gboolean
tl_server_store_remove_user (TlServerStore *self,
                             const char    *id,
                             GError       **error)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), FALSE);
  return IFACE (self)->remove_user (self, id, error);
}

TlServerUser *
tl_server_store_get_user (TlServerStore *self,
                          const char    *id)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), NULL);
  return IFACE (self)->get_user (self, id);
}

GPtrArray *
tl_server_store_list_users (TlServerStore *self)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), NULL);
  return IFACE (self)->list_users (self);
}

TlServerUser *
tl_server_store_find_user_by_token (TlServerStore *self,
                                    const char    *token)
{
  g_autoptr(GPtrArray) users = NULL;
  TlServerUser *found = NULL;

  g_return_val_if_fail (TL_IS_SERVER_STORE (self), NULL);

  if (token == NULL || token[0] == '\0')
    return NULL;

  /* Salts are per user, so the hash cannot be an index: check each user.
   * A reference server has few users; a large deployment would key tokens
   * by a public prefix instead. */
  users = tl_server_store_list_users (self);
  for (guint i = 0; i < users->len; i++)
    {
      TlServerUser *user = g_ptr_array_index (users, i);

      if (found == NULL && tl_server_user_check_token (user, token))
        found = g_ptr_array_steal_index (users, i--);
    }
  return found;
}

gboolean
tl_server_store_put_conversation (TlServerStore *self,
                                  const char    *id,
                                  const char    *json,
                                  GError       **error)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), FALSE);
  return IFACE (self)->put_conversation (self, id, json, error);
}

char *
tl_server_store_get_conversation (TlServerStore *self,
                                  const char    *id)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), NULL);
  return IFACE (self)->get_conversation (self, id);
}

gboolean
tl_server_store_delete_conversation (TlServerStore *self,
                                     const char    *id,
                                     GError       **error)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), FALSE);
  return IFACE (self)->delete_conversation (self, id, error);
}

gboolean
tl_server_store_set_participants (TlServerStore      *self,
                                  const char         *conversation_id,
                                  const char * const *user_ids,
                                  GError            **error)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), FALSE);
  return IFACE (self)->set_participants (self, conversation_id, user_ids, error);
}

char **
tl_server_store_list_members (TlServerStore *self,
                              const char    *conversation_id)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), NULL);
  return IFACE (self)->list_members (self, conversation_id);
}

char **
tl_server_store_list_conversations (TlServerStore *self,
                                    const char    *user_id)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), NULL);
  return IFACE (self)->list_conversations (self, user_id);
}

char **
tl_server_store_list_co_participants (TlServerStore *self,
                                      const char    *user_id)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), NULL);
  return IFACE (self)->list_co_participants (self, user_id);
}

gboolean
tl_server_store_get_unread (TlServerStore *self,
                            const char    *conversation_id,
                            const char    *user_id,
                            gint64        *unread)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), FALSE);
  return IFACE (self)->get_unread (self, conversation_id, user_id, unread);
}

gboolean
tl_server_store_set_unread (TlServerStore *self,
                            const char    *conversation_id,
                            const char    *user_id,
                            gint64         unread,
                            GError       **error)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), FALSE);
  return IFACE (self)->set_unread (self, conversation_id, user_id, unread, error);
}

gboolean
tl_server_store_put_message (TlServerStore *self,
                             const char    *id,
                             const char    *conversation_id,
                             const char    *sort_key,
                             const char    *json,
                             GError       **error)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), FALSE);
  return IFACE (self)->put_message (self, id, conversation_id, sort_key, json, error);
}

char *
tl_server_store_get_message (TlServerStore *self,
                             const char    *id,
                             char         **conversation_id,
                             char         **sort_key)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), NULL);
  return IFACE (self)->get_message (self, id, conversation_id, sort_key);
}

gboolean
tl_server_store_delete_message (TlServerStore *self,
                                const char    *id,
                                GError       **error)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), FALSE);
  return IFACE (self)->delete_message (self, id, error);
}

char **
tl_server_store_list_streaming (TlServerStore *self)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), NULL);
  return IFACE (self)->list_streaming (self);
}

GPtrArray *
tl_server_store_list_messages (TlServerStore *self,
                               const char    *conversation_id,
                               const char    *before_key,
                               const char    *before_id,
                               guint          limit,
                               gboolean      *has_more)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), NULL);
  return IFACE (self)->list_messages (self, conversation_id, before_key, before_id,
                                      limit, has_more);
}

gint64
tl_server_store_append_event (TlServerStore *self,
                              const char    *user_id,
                              const char    *type,
                              const char    *body,
                              char         **frame,
                              GError       **error)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), 0);
  return IFACE (self)->append_event (self, user_id, type, body, frame, error);
}

gboolean
tl_server_store_foreach_event (TlServerStore     *self,
                               const char        *user_id,
                               gint64             after,
                               gint64             upto,
                               TlServerEventFunc  func,
                               gpointer           user_data,
                               GError           **error)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), FALSE);
  return IFACE (self)->foreach_event (self, user_id, after, upto, func, user_data, error);
}

gboolean
tl_server_store_trim_events (TlServerStore *self,
                             const char    *user_id,
                             gint64         keep,
                             GError       **error)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), FALSE);
  return IFACE (self)->trim_events (self, user_id, keep, error);
}

char *
tl_server_store_get_idempotent (TlServerStore *self,
                                const char    *key,
                                char         **owner)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), NULL);
  return IFACE (self)->get_idempotent (self, key, owner);
}

gboolean
tl_server_store_put_idempotent (TlServerStore *self,
                                const char    *key,
                                const char    *owner,
                                const char    *value,
                                GError       **error)
{
  g_return_val_if_fail (TL_IS_SERVER_STORE (self), FALSE);
  return IFACE (self)->put_idempotent (self, key, owner, value, error);
}
