/* tl-server-store-sqlite.c — TlServerStore on SQLite (WAL)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One connection, used from the main thread only. WAL with synchronous=FULL:
 * the protocol promises that an event a client has seen survives a crash of
 * the server, so a commit must reach the disk before anything is sent.
 */
#define G_LOG_DOMAIN "threadline-server"

#include "tl-server-store-sqlite.h"

#include <gio/gio.h>
#include <sqlite3.h>
#include <string.h>

struct _TlServerStoreSqlite
{
  GObject     parent_instance;

  /* owned */
  sqlite3    *db;
  GHashTable *statements;   /* SQL text → sqlite3_stmt* */
  char       *path;

  gboolean    in_transaction;
};

static void store_iface_init (TlServerStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TlServerStoreSqlite, tl_server_store_sqlite, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TL_TYPE_SERVER_STORE, store_iface_init))

static const char schema[] =
  "CREATE TABLE IF NOT EXISTS meta ("
  "  key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "CREATE TABLE IF NOT EXISTS users ("
  "  id TEXT PRIMARY KEY, display_name TEXT, salt TEXT NOT NULL,"
  "  token_hash TEXT NOT NULL, head_seq INTEGER NOT NULL DEFAULT 0,"
  "  floor_seq INTEGER NOT NULL DEFAULT 0);"
  "CREATE TABLE IF NOT EXISTS conversations ("
  "  id TEXT PRIMARY KEY, json TEXT NOT NULL);"
  "CREATE TABLE IF NOT EXISTS participants ("
  "  conversation_id TEXT NOT NULL, user_id TEXT NOT NULL,"
  "  unread INTEGER NOT NULL DEFAULT 0,"
  "  PRIMARY KEY (conversation_id, user_id)) WITHOUT ROWID;"
  "CREATE INDEX IF NOT EXISTS participants_by_user ON participants (user_id);"
  "CREATE TABLE IF NOT EXISTS messages ("
  "  id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL,"
  "  sort_key TEXT NOT NULL, json TEXT NOT NULL);"
  "CREATE INDEX IF NOT EXISTS messages_by_thread ON messages (conversation_id, sort_key, id);"
  "CREATE TABLE IF NOT EXISTS events ("
  "  user_id TEXT NOT NULL, seq INTEGER NOT NULL, frame TEXT NOT NULL,"
  "  PRIMARY KEY (user_id, seq)) WITHOUT ROWID;"
  "CREATE TABLE IF NOT EXISTS idempotency ("
  "  key TEXT PRIMARY KEY, owner TEXT NOT NULL, value TEXT NOT NULL);";

static gboolean
set_error (TlServerStoreSqlite *self,
           GError             **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "database error: %s",
               sqlite3_errmsg (self->db));
  return FALSE;
}

/* Statements are prepared once and reused: the SQL literal is the key. */
static sqlite3_stmt *
prepare (TlServerStoreSqlite *self,
         const char          *sql)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (self->statements, sql);

  if (stmt == NULL)
    {
      if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
        {
          g_critical ("Cannot prepare statement: %s", sqlite3_errmsg (self->db));
          return NULL;
        }
      g_hash_table_insert (self->statements, (gpointer) sql, stmt);
    }
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  return stmt;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
}

static char *
column_text (sqlite3_stmt *stmt,
             int           index)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, index));
}

/* Runs a statement that returns no rows. */
static gboolean
step_done (TlServerStoreSqlite *self,
           sqlite3_stmt        *stmt,
           GError             **error)
{
  int rc;

  if (stmt == NULL)
    return set_error (self, error);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return set_error (self, error);
  return TRUE;
}

static char **
collect_strings (sqlite3_stmt *stmt)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  while (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    g_strv_builder_add (builder, (const char *) sqlite3_column_text (stmt, 0));
  if (stmt != NULL)
    sqlite3_reset (stmt);
  return g_strv_builder_end (builder);
}

static gboolean
store_begin (TlServerStore *store,
             GError       **error)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);

  g_assert (!self->in_transaction);
  if (!step_done (self, prepare (self, "BEGIN IMMEDIATE"), error))
    return FALSE;
  self->in_transaction = TRUE;
  return TRUE;
}

static gboolean
store_commit (TlServerStore *store,
              GError       **error)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);

  g_assert (self->in_transaction);
  self->in_transaction = FALSE;
  if (!step_done (self, prepare (self, "COMMIT"), error))
    {
      /* A failed COMMIT may leave the transaction open: end it so the
       * next one can begin. */
      if (!sqlite3_get_autocommit (self->db))
        step_done (self, prepare (self, "ROLLBACK"), NULL);
      return FALSE;
    }
  return TRUE;
}

static void
store_rollback (TlServerStore *store)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);

  if (!self->in_transaction)
    return;
  step_done (self, prepare (self, "ROLLBACK"), NULL);
  self->in_transaction = FALSE;
}

static char *
store_get_meta (TlServerStore *store,
                const char    *key)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  sqlite3_stmt *stmt = prepare (self, "SELECT value FROM meta WHERE key = ?");
  char *value = NULL;

  bind_text (stmt, 1, key);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = column_text (stmt, 0);
  sqlite3_reset (stmt);
  return value;
}

static gboolean
store_set_meta (TlServerStore *store,
                const char    *key,
                const char    *value,
                GError       **error)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  sqlite3_stmt *stmt = prepare (self, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");

  bind_text (stmt, 1, key);
  bind_text (stmt, 2, value);
  return step_done (self, stmt, error);
}

static gboolean
store_put_user (TlServerStore      *store,
                const TlServerUser *user,
                GError            **error)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  sqlite3_stmt *stmt = prepare (self,
    "INSERT INTO users (id, display_name, salt, token_hash) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, "
    "salt = excluded.salt, token_hash = excluded.token_hash");

  bind_text (stmt, 1, user->id);
  bind_text (stmt, 2, user->display_name);
  bind_text (stmt, 3, user->salt);
  bind_text (stmt, 4, user->token_hash);
  return step_done (self, stmt, error);
}

static gboolean
store_remove_user (TlServerStore *store,
                   const char    *id,
                   GError       **error)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  sqlite3_stmt *stmt;

  stmt = prepare (self, "DELETE FROM events WHERE user_id = ?");
  bind_text (stmt, 1, id);
  if (!step_done (self, stmt, error))
    return FALSE;
  stmt = prepare (self, "DELETE FROM users WHERE id = ?");
  bind_text (stmt, 1, id);
  if (!step_done (self, stmt, error))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no user “%s”", id);
      return FALSE;
    }
  return TRUE;
}

static TlServerUser *
user_from_row (sqlite3_stmt *stmt)
{
  TlServerUser *user = g_new0 (TlServerUser, 1);

  user->id = column_text (stmt, 0);
  user->display_name = column_text (stmt, 1);
  user->salt = column_text (stmt, 2);
  user->token_hash = column_text (stmt, 3);
  user->head_seq = sqlite3_column_int64 (stmt, 4);
  user->floor_seq = sqlite3_column_int64 (stmt, 5);
  return user;
}

static TlServerUser *
store_get_user (TlServerStore *store,
                const char    *id)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  sqlite3_stmt *stmt = prepare (self,
    "SELECT id, display_name, salt, token_hash, head_seq, floor_seq FROM users WHERE id = ?");
  TlServerUser *user = NULL;

  bind_text (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    user = user_from_row (stmt);
  sqlite3_reset (stmt);
  return user;
}

static GPtrArray *
store_list_users (TlServerStore *store)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  sqlite3_stmt *stmt = prepare (self,
    "SELECT id, display_name, salt, token_hash, head_seq, floor_seq FROM users ORDER BY id");
  GPtrArray *users = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_server_user_free);

  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (users, user_from_row (stmt));
  sqlite3_reset (stmt);
  return users;
}

static gboolean
store_put_conversation (TlServerStore *store,
                        const char    *id,
                        const char    *json,
                        GError       **error)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  sqlite3_stmt *stmt = prepare (self,
    "INSERT OR REPLACE INTO conversations (id, json) VALUES (?, ?)");

  bind_text (stmt, 1, id);
  bind_text (stmt, 2, json);
  return step_done (self, stmt, error);
}

static char *
store_get_conversation (TlServerStore *store,
                        const char    *id)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  sqlite3_stmt *stmt = prepare (self, "SELECT json FROM conversations WHERE id = ?");
  char *json = NULL;

  bind_text (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    json = column_text (stmt, 0);
  sqlite3_reset (stmt);
  return json;
}

static gboolean
store_delete_conversation (TlServerStore *store,
                           const char    *id,
                           GError       **error)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  static const char *statements[] = {
    "DELETE FROM messages WHERE conversation_id = ?",
    "DELETE FROM participants WHERE conversation_id = ?",
    "DELETE FROM conversations WHERE id = ?",
  };

  for (guint i = 0; i < G_N_ELEMENTS (statements); i++)
    {
      sqlite3_stmt *stmt = prepare (self, statements[i]);

      bind_text (stmt, 1, id);
      if (!step_done (self, stmt, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
store_set_participants (TlServerStore      *store,
                        const char         *conversation_id,
                        const char * const *user_ids,
                        GError            **error)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  g_auto(GStrv) existing = NULL;
  sqlite3_stmt *stmt;

  stmt = prepare (self, "SELECT user_id FROM participants WHERE conversation_id = ?");
  bind_text (stmt, 1, conversation_id);
  existing = collect_strings (stmt);

  /* Rows that stay keep their unread count. */
  for (guint i = 0; existing[i] != NULL; i++)
    {
      if (user_ids != NULL && g_strv_contains (user_ids, existing[i]))
        continue;
      stmt = prepare (self, "DELETE FROM participants WHERE conversation_id = ? AND user_id = ?");
      bind_text (stmt, 1, conversation_id);
      bind_text (stmt, 2, existing[i]);
      if (!step_done (self, stmt, error))
        return FALSE;
    }
  for (guint i = 0; user_ids != NULL && user_ids[i] != NULL; i++)
    {
      stmt = prepare (self,
        "INSERT OR IGNORE INTO participants (conversation_id, user_id) VALUES (?, ?)");
      bind_text (stmt, 1, conversation_id);
      bind_text (stmt, 2, user_ids[i]);
      if (!step_done (self, stmt, error))
        return FALSE;
    }
  return TRUE;
}

static char **
store_list_members (TlServerStore *store,
                    const char    *conversation_id)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  sqlite3_stmt *stmt = prepare (self,
    "SELECT p.user_id FROM participants p JOIN users u ON u.id = p.user_id "
    "WHERE p.conversation_id = ? ORDER BY p.user_id");

  bind_text (stmt, 1, conversation_id);
  return collect_strings (stmt);
}

static char **
store_list_conversations (TlServerStore *store,
                          const char    *user_id)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  sqlite3_stmt *stmt = prepare (self,
    "SELECT p.conversation_id FROM participants p "
    "JOIN conversations c ON c.id = p.conversation_id "
    "WHERE p.user_id = ? ORDER BY p.conversation_id");

  bind_text (stmt, 1, user_id);
  return collect_strings (stmt);
}

static char **
store_list_co_participants (TlServerStore *store,
                            const char    *user_id)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  sqlite3_stmt *stmt = prepare (self,
    "SELECT DISTINCT p2.user_id FROM participants p1 "
    "JOIN participants p2 ON p2.conversation_id = p1.conversation_id "
    "WHERE p1.user_id = ? ORDER BY p2.user_id");

  bind_text (stmt, 1, user_id);
  return collect_strings (stmt);
}

static gboolean
store_get_unread (TlServerStore *store,
                  const char    *conversation_id,
                  const char    *user_id,
                  gint64        *unread)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  sqlite3_stmt *stmt = prepare (self,
    "SELECT p.unread FROM participants p JOIN users u ON u.id = p.user_id "
    "WHERE p.conversation_id = ? AND p.user_id = ?");
  gboolean found = FALSE;

  bind_text (stmt, 1, conversation_id);
  bind_text (stmt, 2, user_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      found = TRUE;
      if (unread != NULL)
        *unread = sqlite3_column_int64 (stmt, 0);
    }
  sqlite3_reset (stmt);
  return found;
}

static gboolean
store_set_unread (TlServerStore *store,
                  const char    *conversation_id,
                  const char    *user_id,
                  gint64         unread,
                  GError       **error)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  sqlite3_stmt *stmt = prepare (self,
    "UPDATE participants SET unread = ? WHERE conversation_id = ? AND user_id = ?");

  sqlite3_bind_int64 (stmt, 1, unread);
  bind_text (stmt, 2, conversation_id);
  bind_text (stmt, 3, user_id);
  return step_done (self, stmt, error);
}

static gboolean
store_put_message (TlServerStore *store,
                   const char    *id,
                   const char    *conversation_id,
                   const char    *sort_key,
                   const char    *json,
                   GError       **error)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  sqlite3_stmt *stmt = prepare (self,
    "INSERT OR REPLACE INTO messages (id, conversation_id, sort_key, json) VALUES (?, ?, ?, ?)");

  bind_text (stmt, 1, id);
  bind_text (stmt, 2, conversation_id);
  bind_text (stmt, 3, sort_key);
  bind_text (stmt, 4, json);
  return step_done (self, stmt, error);
}

static char *
store_get_message (TlServerStore *store,
                   const char    *id,
                   char         **conversation_id,
                   char         **sort_key)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  sqlite3_stmt *stmt = prepare (self,
    "SELECT json, conversation_id, sort_key FROM messages WHERE id = ?");
  char *json = NULL;

  bind_text (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      json = column_text (stmt, 0);
      if (conversation_id != NULL)
        *conversation_id = column_text (stmt, 1);
      if (sort_key != NULL)
        *sort_key = column_text (stmt, 2);
    }
  sqlite3_reset (stmt);
  return json;
}

static gboolean
store_delete_message (TlServerStore *store,
                      const char    *id,
                      GError       **error)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  sqlite3_stmt *stmt = prepare (self, "DELETE FROM messages WHERE id = ?");

  bind_text (stmt, 1, id);
  return step_done (self, stmt, error);
}

static char **
store_list_streaming (TlServerStore *store)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  sqlite3_stmt *stmt = prepare (self,
    "SELECT id FROM messages WHERE json_extract (json, '$.status') = 'streaming' ORDER BY id");

  return collect_strings (stmt);
}

static GPtrArray *
store_list_messages (TlServerStore *store,
                     const char    *conversation_id,
                     const char    *before_key,
                     const char    *before_id,
                     guint          limit,
                     gboolean      *has_more)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_server_message_row_free);
  sqlite3_stmt *stmt;

  /* Newest first so LIMIT picks the page next to the cursor; one extra row
   * tells whether older history exists. The page is reversed afterwards. */
  if (before_key != NULL)
    {
      stmt = prepare (self,
        "SELECT id, sort_key, json FROM messages WHERE conversation_id = ?1 "
        "AND (sort_key < ?2 OR (sort_key = ?2 AND id < ?3)) "
        "ORDER BY sort_key DESC, id DESC LIMIT ?4");
      bind_text (stmt, 1, conversation_id);
      bind_text (stmt, 2, before_key);
      bind_text (stmt, 3, before_id != NULL ? before_id : "");
      sqlite3_bind_int64 (stmt, 4, (gint64) limit + 1);
    }
  else
    {
      stmt = prepare (self,
        "SELECT id, sort_key, json FROM messages WHERE conversation_id = ?1 "
        "ORDER BY sort_key DESC, id DESC LIMIT ?2");
      bind_text (stmt, 1, conversation_id);
      sqlite3_bind_int64 (stmt, 2, (gint64) limit + 1);
    }

  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      TlServerMessageRow *row = g_new0 (TlServerMessageRow, 1);

      row->id = column_text (stmt, 0);
      row->sort_key = column_text (stmt, 1);
      row->json = column_text (stmt, 2);
      g_ptr_array_add (rows, row);
    }
  sqlite3_reset (stmt);

  if (has_more != NULL)
    *has_more = rows->len > limit;
  if (rows->len > limit)
    g_ptr_array_set_size (rows, limit);

  for (guint i = 0, j = rows->len; i + 1 < j; i++, j--)
    {
      gpointer tmp = rows->pdata[i];

      rows->pdata[i] = rows->pdata[j - 1];
      rows->pdata[j - 1] = tmp;
    }
  return rows;
}

static gint64
head_seq (TlServerStoreSqlite *self,
          const char          *user_id,
          gint64              *floor_seq)
{
  sqlite3_stmt *stmt = prepare (self, "SELECT head_seq, floor_seq FROM users WHERE id = ?");
  gint64 head = -1;

  bind_text (stmt, 1, user_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      head = sqlite3_column_int64 (stmt, 0);
      if (floor_seq != NULL)
        *floor_seq = sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_reset (stmt);
  return head;
}

static gint64
store_append_event (TlServerStore *store,
                    const char    *user_id,
                    const char    *type,
                    const char    *body,
                    char         **frame,
                    GError       **error)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  g_autofree char *text = NULL;
  sqlite3_stmt *stmt;
  gint64 seq;

  g_assert (self->in_transaction);

  seq = head_seq (self, user_id, NULL);
  if (seq < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no user “%s”", user_id);
      return 0;
    }
  seq++;
  text = tl_server_frame_with_seq (type, seq, body);

  stmt = prepare (self, "INSERT INTO events (user_id, seq, frame) VALUES (?, ?, ?)");
  bind_text (stmt, 1, user_id);
  sqlite3_bind_int64 (stmt, 2, seq);
  bind_text (stmt, 3, text);
  if (!step_done (self, stmt, error))
    return 0;

  stmt = prepare (self, "UPDATE users SET head_seq = ? WHERE id = ?");
  sqlite3_bind_int64 (stmt, 1, seq);
  bind_text (stmt, 2, user_id);
  if (!step_done (self, stmt, error))
    return 0;

  if (frame != NULL)
    *frame = g_steal_pointer (&text);
  return seq;
}

static gboolean
store_foreach_event (TlServerStore     *store,
                     const char        *user_id,
                     gint64             after,
                     gint64             upto,
                     TlServerEventFunc  func,
                     gpointer           user_data,
                     GError           **error)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  sqlite3_stmt *stmt = prepare (self,
    "SELECT seq, frame FROM events WHERE user_id = ? AND seq > ? AND seq <= ? ORDER BY seq");
  int rc;

  bind_text (stmt, 1, user_id);
  sqlite3_bind_int64 (stmt, 2, after);
  sqlite3_bind_int64 (stmt, 3, upto);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      if (!func (sqlite3_column_int64 (stmt, 0),
                 (const char *) sqlite3_column_text (stmt, 1), user_data))
        {
          rc = SQLITE_DONE;
          break;
        }
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return set_error (self, error);
  return TRUE;
}

static gboolean
store_trim_events (TlServerStore *store,
                   const char    *user_id,
                   gint64         keep,
                   GError       **error)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  gint64 floor_seq = 0;
  gint64 head = head_seq (self, user_id, &floor_seq);
  sqlite3_stmt *stmt;

  if (keep <= 0 || head - keep <= floor_seq)
    return TRUE;

  stmt = prepare (self, "DELETE FROM events WHERE user_id = ? AND seq <= ?");
  bind_text (stmt, 1, user_id);
  sqlite3_bind_int64 (stmt, 2, head - keep);
  if (!step_done (self, stmt, error))
    return FALSE;
  stmt = prepare (self, "UPDATE users SET floor_seq = ? WHERE id = ?");
  sqlite3_bind_int64 (stmt, 1, head - keep);
  bind_text (stmt, 2, user_id);
  return step_done (self, stmt, error);
}

static char *
store_get_idempotent (TlServerStore *store,
                      const char    *key,
                      char         **owner)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  sqlite3_stmt *stmt = prepare (self, "SELECT value, owner FROM idempotency WHERE key = ?");
  char *value = NULL;

  bind_text (stmt, 1, key);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      value = column_text (stmt, 0);
      if (owner != NULL)
        *owner = column_text (stmt, 1);
    }
  sqlite3_reset (stmt);
  return value;
}

static gboolean
store_put_idempotent (TlServerStore *store,
                      const char    *key,
                      const char    *owner,
                      const char    *value,
                      GError       **error)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (store);
  sqlite3_stmt *stmt = prepare (self,
    "INSERT OR REPLACE INTO idempotency (key, owner, value) VALUES (?, ?, ?)");

  bind_text (stmt, 1, key);
  bind_text (stmt, 2, owner);
  bind_text (stmt, 3, value);
  return step_done (self, stmt, error);
}

static void
store_iface_init (TlServerStoreInterface *iface)
{
  iface->begin = store_begin;
  iface->commit = store_commit;
  iface->rollback = store_rollback;
  iface->get_meta = store_get_meta;
  iface->set_meta = store_set_meta;
  iface->put_user = store_put_user;
  iface->remove_user = store_remove_user;
  iface->get_user = store_get_user;
  iface->list_users = store_list_users;
  iface->put_conversation = store_put_conversation;
  iface->get_conversation = store_get_conversation;
  iface->delete_conversation = store_delete_conversation;
  iface->set_participants = store_set_participants;
  iface->list_members = store_list_members;
  iface->list_conversations = store_list_conversations;
  iface->list_co_participants = store_list_co_participants;
  iface->get_unread = store_get_unread;
  iface->set_unread = store_set_unread;
  iface->put_message = store_put_message;
  iface->get_message = store_get_message;
  iface->delete_message = store_delete_message;
  iface->list_streaming = store_list_streaming;
  iface->list_messages = store_list_messages;
  iface->append_event = store_append_event;
  iface->foreach_event = store_foreach_event;
  iface->trim_events = store_trim_events;
  iface->get_idempotent = store_get_idempotent;
  iface->put_idempotent = store_put_idempotent;
}

static void
finalize_statement (gpointer data)
{
  sqlite3_finalize (data);
}

static void
tl_server_store_sqlite_finalize (GObject *object)
{
  TlServerStoreSqlite *self = TL_SERVER_STORE_SQLITE (object);

  g_clear_pointer (&self->statements, g_hash_table_unref);
  if (self->db != NULL)
    sqlite3_close (self->db);
  g_free (self->path);

  G_OBJECT_CLASS (tl_server_store_sqlite_parent_class)->finalize (object);
}

static void
tl_server_store_sqlite_class_init (TlServerStoreSqliteClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tl_server_store_sqlite_finalize;
}

static void
tl_server_store_sqlite_init (TlServerStoreSqlite *self)
{
  self->statements = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, finalize_statement);
}

TlServerStore *
tl_server_store_sqlite_open (const char  *path,
                             GError     **error)
{
  g_autoptr(TlServerStoreSqlite) self = NULL;
  g_autofree char *dir = NULL;
  char *errmsg = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "cannot create directory %s", dir);
      return NULL;
    }

  self = g_object_new (TL_TYPE_SERVER_STORE_SQLITE, NULL);
  self->path = g_strdup (path);
  if (sqlite3_open_v2 (path, &self->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                       NULL) != SQLITE_OK)
    {
      set_error (self, error);
      return NULL;
    }
  sqlite3_busy_timeout (self->db, 5000);
  if (sqlite3_exec (self->db,
                    "PRAGMA journal_mode = WAL;"
                    "PRAGMA synchronous = FULL;"
                    "PRAGMA foreign_keys = OFF;",
                    NULL, NULL, &errmsg) != SQLITE_OK ||
      sqlite3_exec (self->db, schema, NULL, NULL, &errmsg) != SQLITE_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot open %s: %s", path,
                   errmsg != NULL ? errmsg : "unknown error");
      sqlite3_free (errmsg);
      return NULL;
    }

  return TL_SERVER_STORE (g_steal_pointer (&self));
}
