/* tl-conversation.c — one conversation and its thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "threadline-core"

#include "tl-conversation-private.h"
#include "tl-message-private.h"
#include "tl-json.h"

#include <string.h>

struct _TlConversation
{
  GObject       parent_instance;

  char         *id;               /* GRefString, shared with its messages */
  char         *title;
  char         *subtitle;
  char         *avatar_url;
  char         *read_state;
  char         *last_message_at;
  TlTimestamp   last_message_ts;
  gint64        unread_count;
  gboolean      has_unread_count;
  JsonNode     *participants;
  JsonNode     *metadata;

  TlSortedList *messages;
  guint         n_untimed;
  GSequenceIter *list_iter;       /* in the store's sidebar */

  gboolean      has_more_history;
  char         *history_cursor;

  GPtrArray    *typing;           /* sorted ids, NULL-terminated */
  GHashTable   *typing_since;     /* id → monotonic µs of the last isTyping:true */
  GHashTable   *receipts;         /* user id → message id */

  /* The sidebar key as last placed; only changed through update_sort_key(),
   * so the sidebar can still find the conversation under its old key. */
  gboolean      has_sort_key;
  TlTimestamp   sort_key;
  char         *sort_key_text;
};

enum {
  PROP_0,
  PROP_ID,
  PROP_TITLE,
  PROP_SUBTITLE,
  PROP_AVATAR_URL,
  PROP_READ_STATE,
  PROP_LAST_MESSAGE_AT,
  PROP_UNREAD_COUNT,
  PROP_IS_UNREAD,
  PROP_PARTICIPANTS,
  PROP_METADATA,
  PROP_TYPING,
  PROP_HAS_MORE_HISTORY,
  PROP_HISTORY_CURSOR,
  PROP_RECEIPTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (TlConversation, tl_conversation, G_TYPE_OBJECT)

static void
tl_conversation_finalize (GObject *object)
{
  TlConversation *self = TL_CONVERSATION (object);

  g_clear_pointer (&self->id, g_ref_string_release);
  g_free (self->title);
  g_free (self->subtitle);
  g_free (self->avatar_url);
  g_free (self->read_state);
  g_free (self->last_message_at);
  g_clear_pointer (&self->participants, json_node_unref);
  g_clear_pointer (&self->metadata, json_node_unref);
  g_clear_object (&self->messages);
  g_clear_pointer (&self->typing, g_ptr_array_unref);
  g_clear_pointer (&self->typing_since, g_hash_table_unref);
  g_clear_pointer (&self->receipts, g_hash_table_unref);
  g_free (self->sort_key_text);
  g_free (self->history_cursor);

  G_OBJECT_CLASS (tl_conversation_parent_class)->finalize (object);
}

static void
tl_conversation_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  TlConversation *self = TL_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_ID: g_value_set_string (value, self->id); break;
    case PROP_TITLE: g_value_set_string (value, self->title); break;
    case PROP_SUBTITLE: g_value_set_string (value, self->subtitle); break;
    case PROP_AVATAR_URL: g_value_set_string (value, self->avatar_url); break;
    case PROP_READ_STATE: g_value_set_string (value, self->read_state); break;
    case PROP_LAST_MESSAGE_AT: g_value_set_string (value, self->last_message_at); break;
    case PROP_UNREAD_COUNT:
      g_value_set_int64 (value, self->has_unread_count ? self->unread_count : 0);
      break;
    case PROP_IS_UNREAD: g_value_set_boolean (value, tl_conversation_get_is_unread (self)); break;
    case PROP_PARTICIPANTS: g_value_set_boxed (value, self->participants); break;
    case PROP_METADATA: g_value_set_boxed (value, self->metadata); break;
    case PROP_TYPING: g_value_set_boxed (value, self->typing->pdata); break;
    case PROP_HAS_MORE_HISTORY: g_value_set_boolean (value, self->has_more_history); break;
    case PROP_HISTORY_CURSOR: g_value_set_string (value, self->history_cursor); break;
    case PROP_RECEIPTS: g_value_set_boxed (value, self->receipts); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tl_conversation_class_init (TlConversationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = tl_conversation_finalize;
  object_class->get_property = tl_conversation_get_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, flags);
  properties[PROP_SUBTITLE] = g_param_spec_string ("subtitle", NULL, NULL, NULL, flags);
  properties[PROP_AVATAR_URL] = g_param_spec_string ("avatar-url", NULL, NULL, NULL, flags);
  properties[PROP_READ_STATE] = g_param_spec_string ("read-state", NULL, NULL, NULL, flags);
  properties[PROP_LAST_MESSAGE_AT] = g_param_spec_string ("last-message-at", NULL, NULL, NULL, flags);
  properties[PROP_UNREAD_COUNT] = g_param_spec_int64 ("unread-count", NULL, NULL,
                                                      0, G_MAXINT64, 0, flags);
  properties[PROP_IS_UNREAD] = g_param_spec_boolean ("is-unread", NULL, NULL, FALSE, flags);
  properties[PROP_PARTICIPANTS] = g_param_spec_boxed ("participants", NULL, NULL,
                                                      JSON_TYPE_NODE, flags);
  properties[PROP_METADATA] = g_param_spec_boxed ("metadata", NULL, NULL, JSON_TYPE_NODE, flags);
  properties[PROP_TYPING] = g_param_spec_boxed ("typing", NULL, NULL, G_TYPE_STRV, flags);
  /* Where older messages continue on the server (snapshot pages and
   * history replies say); not part of the dump. */
  properties[PROP_HAS_MORE_HISTORY] = g_param_spec_boolean ("has-more-history", NULL, NULL, FALSE, flags);
  properties[PROP_HISTORY_CURSOR] = g_param_spec_string ("history-cursor", NULL, NULL, NULL, flags);
  properties[PROP_RECEIPTS] = g_param_spec_boxed ("receipts", NULL, NULL, G_TYPE_HASH_TABLE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tl_conversation_init (TlConversation *self)
{
  self->messages = tl_sorted_list_new (TL_TYPE_MESSAGE, tl_message_compare, NULL,
                                       tl_message_list_slot);
  self->typing = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->typing, NULL);
  self->typing_since = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->receipts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

TlConversation *
tl_conversation_new (const char *id)
{
  TlConversation *self = g_object_new (TL_TYPE_CONVERSATION, NULL);

  self->id = g_ref_string_new (id);
  return self;
}

static void
set_string (TlConversation  *self,
            char           **field,
            const char      *value,
            guint            prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static gboolean
node_equal (JsonNode *a,
            JsonNode *b)
{
  g_autofree char *ja = NULL;
  g_autofree char *jb = NULL;

  if (a == NULL || b == NULL)
    return a == b;
  /* Serialised comparison keeps member order significant, as the dump does;
   * json_node_equal() would call a reordered object equal. */
  ja = tl_json_node_to_string (a);
  jb = tl_json_node_to_string (b);
  return strcmp (ja, jb) == 0;
}

static void
set_node (TlConversation  *self,
          JsonNode       **field,
          JsonNode        *value,
          guint            prop)
{
  if (node_equal (*field, value))
    return;
  g_clear_pointer (field, json_node_unref);
  *field = value != NULL ? json_node_ref (value) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

void
tl_conversation_apply_record (TlConversation             *self,
                              const TlConversationRecord *record,
                              gboolean                    replace)
{
  gboolean was_unread;

  g_return_if_fail (TL_IS_CONVERSATION (self));

  was_unread = tl_conversation_get_is_unread (self);
  g_object_freeze_notify (G_OBJECT (self));

#define TAKES(field) (replace || record->field != NULL)
  if (TAKES (title))
    set_string (self, &self->title, record->title, PROP_TITLE);
  if (TAKES (subtitle))
    set_string (self, &self->subtitle, record->subtitle, PROP_SUBTITLE);
  if (TAKES (avatar_url))
    set_string (self, &self->avatar_url, record->avatar_url, PROP_AVATAR_URL);
  if (TAKES (read_state))
    set_string (self, &self->read_state, record->read_state, PROP_READ_STATE);
  if (TAKES (last_message_at))
    {
      set_string (self, &self->last_message_at, record->last_message_at, PROP_LAST_MESSAGE_AT);
      if (self->last_message_at != NULL)
        {
          self->last_message_ts = record->last_message_ts;
          self->last_message_ts.text = self->last_message_at;
        }
    }
  if (TAKES (participants))
    set_node (self, &self->participants, record->participants, PROP_PARTICIPANTS);
  if (TAKES (metadata))
    set_node (self, &self->metadata, record->metadata, PROP_METADATA);
#undef TAKES

  if (replace || record->has_unread_count)
    {
      gint64 count = record->has_unread_count ? record->unread_count : 0;

      if (self->has_unread_count != record->has_unread_count || self->unread_count != count)
        {
          self->has_unread_count = record->has_unread_count;
          self->unread_count = count;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNREAD_COUNT]);
        }
    }

  if (was_unread != tl_conversation_get_is_unread (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_UNREAD]);

  g_object_thaw_notify (G_OBJECT (self));
}

void
tl_conversation_mark_read (TlConversation *self)
{
  TlConversationRecord record = {
    .read_state = "read",
    .has_unread_count = TRUE,
    .unread_count = 0,
  };

  tl_conversation_apply_record (self, &record, FALSE);
}

void
tl_conversation_set_history (TlConversation *self,
                             gboolean        has_more,
                             const char     *cursor)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (self->has_more_history != has_more)
    {
      self->has_more_history = has_more;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_MORE_HISTORY]);
    }
  set_string (self, &self->history_cursor, cursor, PROP_HISTORY_CURSOR);
  g_object_thaw_notify (G_OBJECT (self));
}

gboolean
tl_conversation_get_has_more_history (TlConversation *self)
{
  g_return_val_if_fail (TL_IS_CONVERSATION (self), FALSE);
  return self->has_more_history;
}

const char *
tl_conversation_get_history_cursor (TlConversation *self)
{
  g_return_val_if_fail (TL_IS_CONVERSATION (self), NULL);
  return self->history_cursor;
}

void
tl_conversation_set_receipt (TlConversation *self,
                             const char     *user_id,
                             const char     *message_id)
{
  if (g_strcmp0 (g_hash_table_lookup (self->receipts, user_id), message_id) == 0)
    return;
  g_hash_table_replace (self->receipts, g_strdup (user_id), g_strdup (message_id));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECEIPTS]);
}

void
tl_conversation_clear_receipts (TlConversation *self)
{
  if (g_hash_table_size (self->receipts) == 0)
    return;
  g_hash_table_remove_all (self->receipts);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECEIPTS]);
}

static gboolean
typing_find (TlConversation *self,
             const char     *user_id,
             guint          *position)
{
  guint lo = 0;
  guint hi = self->typing->len - 1;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      int c = strcmp (g_ptr_array_index (self->typing, mid), user_id);

      if (c == 0)
        {
          *position = mid;
          return TRUE;
        }
      if (c < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  *position = lo;
  return FALSE;
}

gboolean
tl_conversation_set_typing (TlConversation *self,
                            const char     *user_id,
                            gboolean        typing,
                            gint64          now)
{
  guint position;
  gboolean found = typing_find (self, user_id, &position);

  if (typing)
    g_hash_table_replace (self->typing_since, g_strdup (user_id), g_memdup2 (&now, sizeof now));
  else
    g_hash_table_remove (self->typing_since, user_id);

  if (found == typing)
    return FALSE;
  if (typing)
    g_ptr_array_insert (self->typing, position, g_strdup (user_id));
  else
    g_ptr_array_remove_index (self->typing, position);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TYPING]);
  return TRUE;
}

gint64
tl_conversation_expire_typing (TlConversation *self,
                               gint64          cutoff)
{
  GHashTableIter iter;
  gpointer key, value;
  gint64 oldest = G_MAXINT64;
  gboolean changed = FALSE;

  g_hash_table_iter_init (&iter, self->typing_since);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gint64 since = *(gint64 *) value;
      guint position;

      if (since > cutoff)
        {
          oldest = MIN (oldest, since);
          continue;
        }
      if (typing_find (self, key, &position))
        g_ptr_array_remove_index (self->typing, position);
      g_hash_table_iter_remove (&iter);
      changed = TRUE;
    }
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TYPING]);
  return oldest;
}

gboolean
tl_conversation_has_typing (TlConversation *self)
{
  return self->typing->len > 1;
}

void
tl_conversation_clear_typing (TlConversation *self)
{
  g_hash_table_remove_all (self->typing_since);
  if (self->typing->len == 1)
    return;
  g_ptr_array_remove_range (self->typing, 0, self->typing->len - 1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TYPING]);
}

gboolean
tl_conversation_set_presence (TlConversation *self,
                              const char     *user_id,
                              gboolean        online)
{
  JsonArray *array;
  gboolean changed = FALSE;

  if (self->participants == NULL)
    return FALSE;

  array = json_node_get_array (self->participants);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *user = json_array_get_object_element (array, i);
      JsonNode *current;

      if (g_strcmp0 (json_object_get_string_member_with_default (user, "id", NULL), user_id) != 0)
        continue;
      current = json_object_get_member (user, "isOnline");
      if (current != NULL && json_node_get_boolean (current) == online)
        continue;
      json_object_set_boolean_member (user, "isOnline", online);
      changed = TRUE;
    }
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PARTICIPANTS]);
  return changed;
}

void
tl_conversation_count_untimed (TlConversation *self,
                               int             delta)
{
  g_assert (delta >= 0 || self->n_untimed >= (guint) -delta);
  self->n_untimed += delta;
}

void
tl_conversation_reset_untimed (TlConversation *self,
                               guint           n_untimed)
{
  self->n_untimed = n_untimed;
}

static gboolean
compute_sort_key (TlConversation *self,
                  TlTimestamp    *out)
{
  guint n, timed;

  if (self->last_message_at != NULL)
    {
      *out = self->last_message_ts;
      return TRUE;
    }

  n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));
  timed = n - self->n_untimed;
  if (timed == 0)
    return FALSE;
  /* Untimed messages sort last; with none, the newest is the last one. */
  return tl_message_get_created_ts (timed == n ? tl_sorted_list_peek_last (self->messages)
                                               : tl_sorted_list_peek (self->messages, timed - 1),
                                    out);
}

gboolean
tl_conversation_sort_key_would_change (TlConversation *self)
{
  TlTimestamp key;
  gboolean has_key = compute_sort_key (self, &key);

  if (has_key != self->has_sort_key)
    return TRUE;
  return has_key && tl_timestamp_compare (&key, &self->sort_key) != 0;
}

void
tl_conversation_update_sort_key (TlConversation *self)
{
  TlTimestamp key;

  g_clear_pointer (&self->sort_key_text, g_free);
  self->has_sort_key = compute_sort_key (self, &key);
  if (self->has_sort_key)
    {
      /* The text only matters past nine fraction digits; own it then, as
       * the message it came from may go away. */
      self->sort_key = key;
      self->sort_key_text = key.more_digits ? g_strdup (key.text) : NULL;
      self->sort_key.text = self->sort_key_text;
    }
}

GSequenceIter **
tl_conversation_list_slot (gpointer item)
{
  return &TL_CONVERSATION (item)->list_iter;
}

int
tl_conversation_compare (gconstpointer a,
                         gconstpointer b,
                         gpointer      user_data)
{
  const TlConversation *ca = a;
  const TlConversation *cb = b;
  int c;

  if (ca->has_sort_key != cb->has_sort_key)
    return ca->has_sort_key ? -1 : 1;
  if (ca->has_sort_key)
    {
      c = tl_timestamp_compare (&cb->sort_key, &ca->sort_key);
      if (c != 0)
        return c;
    }
  c = strcmp (ca->id, cb->id);
  return c < 0 ? -1 : c > 0;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

void
tl_conversation_write_json (TlConversation *self,
                            GString        *out)
{
  GListModel *messages = G_LIST_MODEL (self->messages);
  guint n = g_list_model_get_n_items (messages);
  g_autoptr(GPtrArray) users = NULL;
  GHashTableIter iter;
  gpointer key;

#define STRING_MEMBER(name, value) \
  if ((value) != NULL) \
    { \
      g_string_append (out, ",\"" name "\":"); \
      tl_json_write_string (out, (value)); \
    }
#define NODE_MEMBER(name, value) \
  if ((value) != NULL) \
    { \
      g_string_append (out, ",\"" name "\":"); \
      tl_json_write_node (out, (value)); \
    }

  g_string_append (out, "{\"id\":");
  tl_json_write_string (out, self->id);
  STRING_MEMBER ("title", self->title);
  STRING_MEMBER ("subtitle", self->subtitle);
  STRING_MEMBER ("avatarUrl", self->avatar_url);
  if (self->has_unread_count)
    g_string_append_printf (out, ",\"unreadCount\":%" G_GINT64_FORMAT, self->unread_count);
  STRING_MEMBER ("readState", self->read_state);
  STRING_MEMBER ("lastMessageAt", self->last_message_at);
  NODE_MEMBER ("participants", self->participants);
  NODE_MEMBER ("metadata", self->metadata);
#undef STRING_MEMBER
#undef NODE_MEMBER

  g_string_append (out, ",\"messages\":[");
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      tl_message_write_json (tl_sorted_list_peek (self->messages, i), out);
    }

  g_string_append (out, "],\"typing\":[");
  for (guint i = 0; i + 1 < self->typing->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      tl_json_write_string (out, g_ptr_array_index (self->typing, i));
    }

  g_string_append (out, "],\"receipts\":{");
  users = g_ptr_array_sized_new (g_hash_table_size (self->receipts));
  g_hash_table_iter_init (&iter, self->receipts);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (users, key);
  g_ptr_array_sort (users, compare_strings);
  for (guint i = 0; i < users->len; i++)
    {
      const char *user = g_ptr_array_index (users, i);

      if (i > 0)
        g_string_append_c (out, ',');
      tl_json_write_string (out, user);
      g_string_append_c (out, ':');
      tl_json_write_string (out, g_hash_table_lookup (self->receipts, user));
    }
  g_string_append (out, "}}");
}

#define DEFINE_GETTER(type, name) \
  type \
  tl_conversation_get_##name (TlConversation *self) \
  { \
    g_return_val_if_fail (TL_IS_CONVERSATION (self), 0); \
    return self->name; \
  }

DEFINE_GETTER (const char *, id)
DEFINE_GETTER (const char *, title)
DEFINE_GETTER (const char *, subtitle)
DEFINE_GETTER (const char *, avatar_url)
DEFINE_GETTER (const char *, read_state)
DEFINE_GETTER (const char *, last_message_at)
DEFINE_GETTER (JsonNode *, participants)
DEFINE_GETTER (JsonNode *, metadata)
DEFINE_GETTER (GHashTable *, receipts)
DEFINE_GETTER (gint64, unread_count)

const char *
tl_conversation_get_id_ref (TlConversation *self)
{
  return self->id;
}

gboolean
tl_conversation_has_unread_count (TlConversation *self)
{
  g_return_val_if_fail (TL_IS_CONVERSATION (self), FALSE);
  return self->has_unread_count;
}

gboolean
tl_conversation_get_is_unread (TlConversation *self)
{
  g_return_val_if_fail (TL_IS_CONVERSATION (self), FALSE);
  return (self->has_unread_count && self->unread_count > 0) ||
         g_strcmp0 (self->read_state, "unread") == 0;
}

GListModel *
tl_conversation_get_messages (TlConversation *self)
{
  g_return_val_if_fail (TL_IS_CONVERSATION (self), NULL);
  return G_LIST_MODEL (self->messages);
}

TlSortedList *
tl_conversation_get_message_list (TlConversation *self)
{
  return self->messages;
}

const char * const *
tl_conversation_get_typing (TlConversation *self)
{
  g_return_val_if_fail (TL_IS_CONVERSATION (self), NULL);
  return (const char * const *) self->typing->pdata;
}
