/* tl-store-dump.c — the normalized state as one canonical JSON object
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The format of PROTOCOL.md "Client state dump": keys in a fixed order,
 * absent fields omitted, ids sorted by byte order, so two clients that
 * applied the same stream print byte-identical dumps.
 */
#define G_LOG_DOMAIN "threadline-core"

#include "tl-store.h"
#include "tl-conversation-private.h"
#include "tl-json.h"

#include <string.h>

static int
compare_ids (gconstpointer a,
             gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

char *
tl_store_dump (TlStore *self)
{
  GListModel *conversations;
  GHashTable *presence;
  g_autoptr(GPtrArray) users = NULL;
  GHashTableIter iter;
  gpointer key;
  GString *out;
  guint n;

  g_return_val_if_fail (TL_IS_STORE (self), NULL);

  out = g_string_sized_new (4096);
  g_string_append (out, "{\"epoch\":");
  if (tl_store_get_epoch (self) != NULL)
    tl_json_write_string (out, tl_store_get_epoch (self));
  else
    g_string_append (out, "null");
  g_string_append_printf (out, ",\"seq\":%" G_GINT64_FORMAT ",\"activeConversationId\":",
                          tl_store_get_seq (self));
  if (tl_store_get_active_conversation_id (self) != NULL)
    tl_json_write_string (out, tl_store_get_active_conversation_id (self));
  else
    g_string_append (out, "null");

  g_string_append (out, ",\"conversations\":[");
  conversations = tl_store_get_conversations (self);
  n = g_list_model_get_n_items (conversations);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TlConversation) conversation = g_list_model_get_item (conversations, i);

      if (i > 0)
        g_string_append_c (out, ',');
      tl_conversation_write_json (conversation, out);
    }

  g_string_append (out, "],\"presence\":{");
  presence = tl_store_get_presence (self);
  users = g_ptr_array_sized_new (g_hash_table_size (presence));
  g_hash_table_iter_init (&iter, presence);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (users, key);
  g_ptr_array_sort (users, compare_ids);
  for (guint i = 0; i < users->len; i++)
    {
      const char *user = g_ptr_array_index (users, i);

      if (i > 0)
        g_string_append_c (out, ',');
      tl_json_write_string (out, user);
      g_string_append (out, GPOINTER_TO_INT (g_hash_table_lookup (presence, user)) == 2
                            ? ":true" : ":false");
    }
  g_string_append (out, "}}");

  return g_string_free (out, FALSE);
}
