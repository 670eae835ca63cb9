/* test-store.c — the collection events applied to the models
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "tl-sorted-list.h"
#include "tl-test-util.h"

#define CONV(id, extra) \
  "{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"" id "\"" extra "}}"
#define MSG(seq, id, conv, at) \
  "{\"type\":\"message-added\",\"seq\":" #seq ",\"message\":{\"id\":\"" id "\"," \
  "\"conversationId\":\"" conv "\",\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\"x\"}]," \
  "\"createdAt\":\"" at "\"}}"

static TlStore *
store_with_thread (void)
{
  TlStore *store = tl_store_new ();

  tl_test_apply_all (store,
                     CONV ("c-1", ",\"title\":\"One\""),
                     MSG (1, "m-1", "c-1", "2026-12-03T10:00:00Z"),
                     MSG (2, "m-2", "c-1", "2026-12-03T10:01:00Z"),
                     MSG (3, "m-3", "c-1", "2026-12-03T10:02:00Z"),
                     NULL);
  return store;
}

static GListModel *
thread (TlStore    *store,
        const char *id)
{
  return tl_conversation_get_messages (tl_store_lookup_conversation (store, id));
}

static void
test_append_emits_one_insert (void)
{
  g_autoptr(TlStore) store = store_with_thread ();
  g_autoptr(TlChangeRecorder) rec = tl_change_recorder_new (thread (store, "c-1"));
  g_autofree char *changes = NULL;
  g_autofree char *ids = NULL;

  tl_test_apply_all (store, MSG (4, "m-4", "c-1", "2026-12-03T10:03:00Z"), NULL);
  changes = tl_change_recorder_take (rec);
  g_assert_cmpstr (changes, ==, "3,0,1");
  ids = tl_test_ids (store, "c-1");
  g_assert_cmpstr (ids, ==, "m-1,m-2,m-3,m-4");
}

static void
test_insert_in_order_by_instant (void)
{
  g_autoptr(TlStore) store = store_with_thread ();
  g_autoptr(TlChangeRecorder) rec = tl_change_recorder_new (thread (store, "c-1"));
  g_autofree char *changes = NULL;
  g_autofree char *ids = NULL;

  /* 11:00:30+01:00 is 10:00:30Z: between m-1 and m-2, though as a string it
   * sorts after all of them. */
  tl_test_apply_all (store, MSG (4, "m-x", "c-1", "2026-12-03T11:00:30+01:00"), NULL);
  changes = tl_change_recorder_take (rec);
  g_assert_cmpstr (changes, ==, "1,0,1");
  ids = tl_test_ids (store, "c-1");
  g_assert_cmpstr (ids, ==, "m-1,m-x,m-2,m-3");
}

static void
test_ties_by_id_and_untimed_last (void)
{
  g_autoptr(TlStore) store = tl_store_new ();
  g_autofree char *ids = NULL;

  tl_test_apply_all (store,
                     "{\"type\":\"message-added\",\"message\":{\"id\":\"u-2\",\"conversationId\":\"c\"}}",
                     MSG (1, "b", "c", "2026-12-03T10:00:00.5Z"),
                     "{\"type\":\"message-added\",\"message\":{\"id\":\"u-1\",\"conversationId\":\"c\"}}",
                     MSG (2, "a", "c", "2026-12-03T10:00:00.500Z"),
                     MSG (3, "z", "c", "2026-12-03T10:00:00.4999999999Z"),
                     NULL);
  ids = tl_test_ids (store, "c");
  g_assert_cmpstr (ids, ==, "z,a,b,u-2,u-1");
}

static void
test_duplicate_add_replaces_in_place (void)
{
  g_autoptr(TlStore) store = store_with_thread ();
  g_autoptr(TlChangeRecorder) rec = tl_change_recorder_new (thread (store, "c-1"));
  TlMessage *before = tl_store_lookup_message (store, "m-2");
  g_autoptr(TlNotifyCounter) status = tl_notify_counter_new (before, "status");
  g_autofree char *changes = NULL;

  tl_test_apply_all (store,
                     "{\"type\":\"message-added\",\"message\":{\"id\":\"m-2\",\"role\":\"user\","
                     "\"status\":\"sent\",\"createdAt\":\"2026-12-03T10:01:00Z\"}}",
                     NULL);
  changes = tl_change_recorder_take (rec);
  g_assert_cmpstr (changes, ==, "");
  g_assert_true (tl_store_lookup_message (store, "m-2") == before);
  g_assert_cmpuint (g_list_model_get_n_items (thread (store, "c-1")), ==, 3);
  g_assert_cmpstr (tl_message_get_status (before), ==, "sent");
  /* Replace, not merge: the parts it did not carry are gone. */
  g_assert_null (tl_message_get_parts (before));
  g_assert_cmpuint (status->count, ==, 1);
}

static void
test_update_merges_and_notifies_on_change_only (void)
{
  g_autoptr(TlStore) store = store_with_thread ();
  TlMessage *message = tl_store_lookup_message (store, "m-1");
  g_autoptr(TlNotifyCounter) status = tl_notify_counter_new (message, "status");
  g_autoptr(TlNotifyCounter) parts = tl_notify_counter_new (message, "parts");
  g_autofree char *parts_json = NULL;
  const char *update = "{\"type\":\"message-updated\",\"message\":{\"id\":\"m-1\",\"status\":\"read\"}}";

  tl_test_apply_all (store, update, update, NULL);
  g_assert_cmpuint (status->count, ==, 1);
  g_assert_cmpuint (parts->count, ==, 0);
  parts_json = tl_message_dup_parts_json (message);
  g_assert_cmpstr (parts_json, ==, "[{\"type\":\"text\",\"text\":\"x\"}]");
  g_assert_cmpstr (tl_message_get_role (message), ==, "user");
}

static void
test_update_unknown_is_upsert (void)
{
  g_autoptr(TlStore) store = tl_store_new ();
  g_autoptr(GError) error = NULL;

  tl_test_apply_all (store,
                     "{\"type\":\"message-updated\",\"message\":{\"id\":\"m-9\",\"conversationId\":\"c-9\",\"status\":\"sent\"}}",
                     NULL);
  g_assert_nonnull (tl_store_lookup_message (store, "m-9"));
  /* The placeholder conversation has nothing but its id. */
  g_assert_nonnull (tl_store_lookup_conversation (store, "c-9"));
  g_assert_null (tl_conversation_get_title (tl_store_lookup_conversation (store, "c-9")));

  /* Without conversationId an unknown message cannot be placed. */
  g_assert_cmpint (tl_test_apply (store, TL_APPLY_FLAGS_FILE,
                                  "{\"type\":\"message-updated\",\"message\":{\"id\":\"m-10\"}}", &error),
                   ==, TL_APPLY_INVALID);
  g_assert_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_UNKNOWN_MESSAGE);
  g_assert_null (tl_store_lookup_message (store, "m-10"));
}

static void
test_update_moves_between_conversations (void)
{
  g_autoptr(TlStore) store = store_with_thread ();
  g_autoptr(TlChangeRecorder) from = tl_change_recorder_new (thread (store, "c-1"));
  g_autofree char *from_changes = NULL;
  g_autofree char *ids = NULL;
  g_autofree char *ids2 = NULL;

  tl_test_apply_all (store,
                     "{\"type\":\"message-updated\",\"message\":{\"id\":\"m-2\",\"conversationId\":\"c-2\"}}",
                     NULL);
  from_changes = tl_change_recorder_take (from);
  g_assert_cmpstr (from_changes, ==, "1,1,0");
  ids = tl_test_ids (store, "c-1");
  g_assert_cmpstr (ids, ==, "m-1,m-3");
  ids2 = tl_test_ids (store, "c-2");
  g_assert_cmpstr (ids2, ==, "m-2");
  g_assert_cmpstr (tl_message_get_conversation_id (tl_store_lookup_message (store, "m-2")), ==, "c-2");
}

static void
test_update_created_at_moves_with_one_change (void)
{
  g_autoptr(TlStore) store = store_with_thread ();
  g_autoptr(TlChangeRecorder) rec = tl_change_recorder_new (thread (store, "c-1"));
  g_autofree char *changes = NULL;
  g_autofree char *ids = NULL;

  tl_test_apply_all (store,
                     "{\"type\":\"message-updated\",\"message\":{\"id\":\"m-3\",\"createdAt\":\"2026-12-03T09:00:00Z\"}}",
                     NULL);
  changes = tl_change_recorder_take (rec);
  g_assert_cmpstr (changes, ==, "0,3,3");
  ids = tl_test_ids (store, "c-1");
  g_assert_cmpstr (ids, ==, "m-3,m-1,m-2");
}

static void
test_remove_message (void)
{
  g_autoptr(TlStore) store = store_with_thread ();
  g_autoptr(TlChangeRecorder) rec = tl_change_recorder_new (thread (store, "c-1"));
  g_autofree char *changes = NULL;

  tl_test_apply_all (store,
                     /* conversationId is not a filter */
                     "{\"type\":\"message-removed\",\"messageId\":\"m-2\",\"conversationId\":\"elsewhere\"}",
                     "{\"type\":\"message-removed\",\"messageId\":\"never-seen\"}",
                     NULL);
  changes = tl_change_recorder_take (rec);
  g_assert_cmpstr (changes, ==, "1,1,0");
  g_assert_null (tl_store_lookup_message (store, "m-2"));
  g_assert_null (tl_store_lookup_conversation (store, "elsewhere"));
}

static void
test_conversation_removed_cascades_and_resets_active (void)
{
  g_autoptr(TlStore) store = store_with_thread ();
  g_autoptr(TlNotifyCounter) active = tl_notify_counter_new (store, "active-conversation-id");
  g_autoptr(TlChangeRecorder) sidebar = tl_change_recorder_new (tl_store_get_conversations (store));
  g_autoptr(GListModel) messages = g_object_ref (thread (store, "c-1"));
  g_autofree char *changes = NULL;

  tl_store_set_active_conversation_id (store, "c-1");
  g_assert_cmpuint (active->count, ==, 1);
  tl_test_apply_all (store,
                     "{\"type\":\"typing\",\"conversationId\":\"c-1\",\"userId\":\"u-2\",\"isTyping\":true}",
                     "{\"type\":\"conversation-removed\",\"conversationId\":\"c-1\"}",
                     NULL);
  g_assert_cmpuint (active->count, ==, 2);
  g_assert_null (tl_store_get_active_conversation_id (store));
  g_assert_null (tl_store_lookup_conversation (store, "c-1"));
  for (int i = 1; i <= 3; i++)
    {
      g_autofree char *id = g_strdup_printf ("m-%d", i);

      g_assert_null (tl_store_lookup_message (store, id));
    }
  /* A view still holding the old thread model sees it emptied. */
  g_assert_cmpuint (g_list_model_get_n_items (messages), ==, 0);
  changes = tl_change_recorder_take (sidebar);
  g_assert_cmpstr (changes, ==, "0,1,0");

  /* An unknown id that equals the active id still unsets it. */
  tl_store_set_active_conversation_id (store, "ghost");
  tl_test_apply_all (store, "{\"type\":\"conversation-removed\",\"conversationId\":\"ghost\"}", NULL);
  g_assert_null (tl_store_get_active_conversation_id (store));
}

typedef struct
{
  GListModel *messages;
  guint       n_seen;
  guint       n_told;
} Observer;

static void
on_messages_changed_cb (GListModel *model,
                        guint       position,
                        guint       removed,
                        guint       added,
                        Observer   *observer)
{
  observer->n_told = observer->n_told - removed + added;
}

static void
on_active_cb (TlStore    *store,
              GParamSpec *pspec,
              Observer   *observer)
{
  observer->n_seen = g_list_model_get_n_items (observer->messages);
}

static void
test_notify_after_models (void)
{
  g_autoptr(TlStore) store = store_with_thread ();
  g_autoptr(GListModel) messages = g_object_ref (thread (store, "c-1"));
  Observer observer = { messages, 0, 3 };

  /* When the active conversation is removed, a listener of the active id
   * must already have heard the thread model empty itself. */
  tl_store_set_active_conversation_id (store, "c-1");
  g_signal_connect (observer.messages, "items-changed", G_CALLBACK (on_messages_changed_cb), &observer);
  g_signal_connect (store, "notify::active-conversation-id", G_CALLBACK (on_active_cb), &observer);
  observer.n_seen = G_MAXUINT;
  tl_test_apply_all (store, "{\"type\":\"conversation-removed\",\"conversationId\":\"c-1\"}", NULL);
  g_assert_cmpuint (observer.n_told, ==, 0);
  g_assert_cmpuint (observer.n_seen, ==, observer.n_told);
  g_signal_handlers_disconnect_by_data (observer.messages, &observer);
}

static void
test_sidebar_order_and_move (void)
{
  g_autoptr(TlStore) store = tl_store_new ();
  g_autoptr(TlChangeRecorder) rec = NULL;
  g_autofree char *ids = NULL;
  g_autofree char *ids2 = NULL;
  g_autofree char *changes = NULL;

  tl_test_apply_all (store,
                     CONV ("c-empty", ""),
                     CONV ("c-a", ",\"lastMessageAt\":\"2026-12-03T10:00:00Z\""),
                     CONV ("c-b", ",\"lastMessageAt\":\"2026-12-03T12:00:00+02:00\""),
                     CONV ("c-c", ",\"lastMessageAt\":\"2026-12-03T09:00:00Z\""),
                     MSG (1, "m-1", "c-d", "2026-12-03T09:30:00Z"),
                     NULL);
  /* c-a and c-b are the same instant: ties by id. */
  ids = tl_test_ids (store, NULL);
  g_assert_cmpstr (ids, ==, "c-a,c-b,c-d,c-c,c-empty");

  rec = tl_change_recorder_new (tl_store_get_conversations (store));
  tl_test_apply_all (store,
                     "{\"type\":\"conversation-updated\",\"conversation\":{\"id\":\"c-c\","
                     "\"lastMessageAt\":\"2026-12-03T11:00:00Z\"}}",
                     NULL);
  changes = tl_change_recorder_take (rec);
  g_assert_cmpstr (changes, ==, "0,4,4");
  ids2 = tl_test_ids (store, NULL);
  g_assert_cmpstr (ids2, ==, "c-c,c-a,c-b,c-d,c-empty");
}

static void
test_sidebar_key_follows_newest_message (void)
{
  g_autoptr(TlStore) store = tl_store_new ();
  g_autofree char *ids = NULL;
  g_autofree char *ids2 = NULL;
  g_autofree char *ids3 = NULL;

  tl_test_apply_all (store,
                     MSG (1, "m-1", "c-1", "2026-12-03T10:00:00Z"),
                     MSG (2, "m-2", "c-2", "2026-12-03T11:00:00Z"),
                     NULL);
  ids = tl_test_ids (store, NULL);
  g_assert_cmpstr (ids, ==, "c-2,c-1");

  /* An untimed message does not count for the key. */
  tl_test_apply_all (store,
                     "{\"type\":\"message-added\",\"message\":{\"id\":\"m-u\",\"conversationId\":\"c-1\"}}",
                     MSG (3, "m-3", "c-1", "2026-12-03T12:00:00Z"),
                     NULL);
  ids2 = tl_test_ids (store, NULL);
  g_assert_cmpstr (ids2, ==, "c-1,c-2");

  tl_test_apply_all (store, "{\"type\":\"message-removed\",\"messageId\":\"m-3\"}", NULL);
  ids3 = tl_test_ids (store, NULL);
  g_assert_cmpstr (ids3, ==, "c-2,c-1");
}

static void
test_batch_emits_once_per_model (void)
{
  g_autoptr(TlStore) store = store_with_thread ();
  g_autoptr(TlChangeRecorder) rec = tl_change_recorder_new (thread (store, "c-1"));
  g_autoptr(TlChangeRecorder) sidebar = tl_change_recorder_new (tl_store_get_conversations (store));
  g_autofree char *changes = NULL;
  g_autofree char *sidebar_changes = NULL;

  tl_store_begin_batch (store);
  for (int i = 10; i < 60; i++)
    {
      g_autofree char *line =
        g_strdup_printf ("{\"type\":\"message-added\",\"message\":{\"id\":\"n-%d\",\"conversationId\":\"c-1\","
                         "\"createdAt\":\"2026-12-03T11:%02d:00Z\"}}", i, i);

      tl_test_apply_all (store, line, NULL);
    }
  tl_test_apply_all (store, CONV ("c-2", ",\"title\":\"Two\""), NULL);
  g_assert_cmpstr ((changes = tl_change_recorder_take (rec)), ==, "");
  tl_store_end_batch (store);

  g_clear_pointer (&changes, g_free);
  changes = tl_change_recorder_take (rec);
  g_assert_cmpstr (changes, ==, "3,0,50");
  sidebar_changes = tl_change_recorder_take (sidebar);
  g_assert_cmpstr (sidebar_changes, ==, "1,0,1");
}

static void
test_invalid_payload_leaves_state (void)
{
  static const char *bad[] = {
    "{\"type\":\"conversation-updated\",\"seq\":4,\"conversation\":{\"id\":\"c-1\",\"title\":42}}",
    "{\"type\":\"conversation-updated\",\"seq\":5,\"conversation\":{\"id\":\"c-1\",\"metadata\":[1]}}",
    "{\"type\":\"message-added\",\"seq\":6,\"message\":{\"id\":\"m-1\",\"author\":\"u-1\"}}",
    "{\"type\":\"message-added\",\"seq\":7,\"message\":{\"id\":\"m-1\",\"createdAt\":1767258000}}",
    "{\"type\":\"conversation-updated\",\"seq\":8,\"conversation\":{\"id\":\"c-1\",\"unreadCount\":\"3\"}}",
    "{\"type\":\"message-updated\",\"seq\":9,\"message\":{\"id\":\"m-1\",\"createdAt\":\"yesterday\"}}",
    "{\"type\":\"message-updated\",\"seq\":10,\"message\":{\"id\":\"\"}}",
  };
  g_autoptr(TlStore) store = store_with_thread ();
  g_autofree char *before = tl_store_dump (store);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *after = NULL;

      /* Live flags: a bad payload is skipped, never a reason to resume. */
      g_assert_cmpint (tl_test_apply (store, 0, bad[i], &error), ==, TL_APPLY_INVALID);
      g_assert_error (error, TL_EVENT_ERROR,
                      (i >= 5 ? TL_EVENT_ERROR_INVALID_VALUE : TL_EVENT_ERROR_WRONG_TYPE));
      g_assert_cmpint (tl_store_get_seq (store), ==, 4 + i);
      after = tl_store_dump (store);
      /* Everything but the consumed seq is untouched. */
      g_assert_cmpstr (strstr (after, ",\"activeConversationId\""), ==,
                       strstr (before, ",\"activeConversationId\""));
    }
}

static void
test_seq_rules_live (void)
{
  g_autoptr(TlStore) store = store_with_thread ();
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (tl_test_apply (store, 0, MSG (2, "m-dup", "c-1", "2026-12-03T10:00:00Z"), NULL),
                   ==, TL_APPLY_DUPLICATE);
  g_assert_null (tl_store_lookup_message (store, "m-dup"));
  g_assert_cmpint (tl_test_apply (store, 0, MSG (5, "m-gap", "c-1", "2026-12-03T10:00:00Z"), NULL),
                   ==, TL_APPLY_GAP);
  g_assert_null (tl_store_lookup_message (store, "m-gap"));
  g_assert_cmpint (tl_store_get_seq (store), ==, 3);
  /* Unknown types consume their seq. */
  g_assert_cmpint (tl_test_apply (store, 0, "{\"type\":\"future-thing\",\"seq\":4}", &error),
                   ==, TL_APPLY_INVALID);
  g_assert_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_UNKNOWN_TYPE);
  g_assert_cmpint (tl_store_get_seq (store), ==, 4);
  /* Reported once per type. */
  g_assert_cmpint (tl_test_apply (store, 0, "{\"type\":\"future-thing\",\"seq\":5}", NULL),
                   ==, TL_APPLY_IGNORED);
  g_assert_cmpint (tl_store_get_seq (store), ==, 5);
  g_clear_error (&error);
  /* Live, a durable event needs a seq. */
  g_assert_cmpint (tl_test_apply (store, 0,
                                  "{\"type\":\"message-removed\",\"messageId\":\"m-1\"}", &error),
                   ==, TL_APPLY_INVALID);
  g_assert_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_MISSING_SEQ);
  g_assert_nonnull (tl_store_lookup_message (store, "m-1"));
}

static void
test_read_and_receipts (void)
{
  g_autoptr(TlStore) store = tl_store_new ();
  TlConversation *conversation;
  g_autoptr(TlNotifyCounter) unread = NULL;

  tl_store_set_local_user_id (store, "me");
  tl_test_apply_all (store,
                     CONV ("c-1", ",\"unreadCount\":4,\"readState\":\"unread\""),
                     NULL);
  conversation = tl_store_lookup_conversation (store, "c-1");
  unread = tl_notify_counter_new (conversation, "is-unread");
  g_assert_true (tl_conversation_get_is_unread (conversation));
  tl_test_apply_all (store,
                     "{\"type\":\"read\",\"conversationId\":\"c-1\",\"messageId\":\"m-1\",\"userId\":\"u-2\"}",
                     "{\"type\":\"read\",\"conversationId\":\"c-1\",\"messageId\":\"m-3\",\"userId\":\"u-2\"}",
                     "{\"type\":\"read\",\"conversationId\":\"c-1\",\"userId\":\"u-3\"}",
                     "{\"type\":\"read\",\"conversationId\":\"nope\"}",
                     NULL);
  g_assert_cmpstr (g_hash_table_lookup (tl_conversation_get_receipts (conversation), "u-2"), ==, "m-3");
  g_assert_cmpuint (g_hash_table_size (tl_conversation_get_receipts (conversation)), ==, 1);
  g_assert_true (tl_conversation_get_is_unread (conversation));

  tl_test_apply_all (store,
                     "{\"type\":\"read\",\"conversationId\":\"c-1\",\"userId\":\"me\"}",
                     NULL);
  g_assert_cmpint (tl_conversation_get_unread_count (conversation), ==, 0);
  g_assert_cmpstr (tl_conversation_get_read_state (conversation), ==, "read");
  g_assert_false (tl_conversation_get_is_unread (conversation));
  g_assert_cmpuint (unread->count, ==, 1);
}

static void
test_presence_updates_participants (void)
{
  g_autoptr(TlStore) store = tl_store_new ();
  g_autofree char *dump = NULL;

  tl_test_apply_all (store,
                     CONV ("c-1", ",\"participants\":[{\"id\":\"u-2\",\"isOnline\":true,\"x\":1},{\"id\":\"u-3\"}]"),
                     CONV ("c-2", ",\"participants\":[{\"id\":\"u-2\"}]"),
                     "{\"type\":\"presence\",\"userId\":\"u-2\",\"isOnline\":false}",
                     CONV ("c-3", ",\"participants\":[{\"id\":\"u-2\",\"isOnline\":true}]"),
                     NULL);
  dump = tl_store_dump (store);
  g_assert_nonnull (strstr (dump, "\"participants\":[{\"id\":\"u-2\",\"isOnline\":false,\"x\":1},{\"id\":\"u-3\"}]"));
  g_assert_nonnull (strstr (dump, "\"id\":\"c-2\",\"participants\":[{\"id\":\"u-2\",\"isOnline\":false}]"));
  /* Participants arriving later keep what they carry. */
  g_assert_nonnull (strstr (dump, "\"id\":\"c-3\",\"participants\":[{\"id\":\"u-2\",\"isOnline\":true}]"));
  g_assert_nonnull (strstr (dump, "\"presence\":{\"u-2\":false}"));
}

static void
test_snapshot_swaps_once (void)
{
  g_autoptr(TlStore) store = store_with_thread ();
  g_autoptr(TlChangeRecorder) rec = tl_change_recorder_new (thread (store, "c-1"));
  g_autoptr(TlChangeRecorder) sidebar = tl_change_recorder_new (tl_store_get_conversations (store));
  TlMessage *kept = tl_store_lookup_message (store, "m-2");
  g_autofree char *changes = NULL;
  g_autofree char *sidebar_changes = NULL;
  g_autofree char *ids = NULL;

  tl_store_set_active_conversation_id (store, "c-1");
  tl_test_apply_all (store,
                     "{\"type\":\"snapshot-begin\",\"epoch\":\"e-2\",\"atSeq\":10}",
                     "{\"type\":\"snapshot-conversations\",\"conversations\":[{\"id\":\"c-1\",\"title\":\"New\"},{\"id\":\"c-2\"}]}",
                     "{\"type\":\"snapshot-messages\",\"conversationId\":\"c-1\",\"messages\":["
                     "{\"id\":\"m-2\",\"createdAt\":\"2026-12-03T10:01:00Z\",\"status\":\"sent\"},"
                     "{\"id\":\"m-5\",\"createdAt\":\"2026-12-03T10:05:00Z\"}]}",
                     /* durable events during the snapshot: ≤ atSeq dropped, above held */
                     MSG (9, "m-old", "c-1", "2026-12-03T10:06:00Z"),
                     MSG (11, "m-new", "c-1", "2026-12-03T10:07:00Z"),
                     NULL);
  /* The old state stays visible until the end. */
  g_assert_cmpstr ((changes = tl_change_recorder_take (rec)), ==, "");
  g_assert_nonnull (tl_store_lookup_message (store, "m-1"));
  g_assert_true (tl_store_get_in_snapshot (store));

  tl_test_apply_all (store, "{\"type\":\"snapshot-end\",\"atSeq\":10}", NULL);
  g_clear_pointer (&changes, g_free);
  changes = tl_change_recorder_take (rec);
  g_assert_cmpstr (changes, ==, "0,3,3");
  sidebar_changes = tl_change_recorder_take (sidebar);
  g_assert_cmpstr (sidebar_changes, ==, "0,1,2");
  ids = tl_test_ids (store, "c-1");
  g_assert_cmpstr (ids, ==, "m-2,m-5,m-new");
  g_assert_null (tl_store_lookup_message (store, "m-1"));
  g_assert_null (tl_store_lookup_message (store, "m-old"));
  g_assert_true (tl_store_lookup_message (store, "m-2") == kept);
  g_assert_cmpstr (tl_store_get_epoch (store), ==, "e-2");
  g_assert_cmpint (tl_store_get_seq (store), ==, 11);
  g_assert_cmpstr (tl_store_get_active_conversation_id (store), ==, "c-1");
  g_assert_false (tl_store_get_in_snapshot (store));
}

static void
on_message_added_cb (TlStore   *store,
                     TlMessage *message,
                     GPtrArray *seen)
{
  /* Announced after the batch: the model already holds it. */
  guint position;
  TlConversation *conversation = tl_store_lookup_conversation (store, tl_message_get_conversation_id (message));

  g_assert_true (tl_sorted_list_find (TL_SORTED_LIST (tl_conversation_get_messages (conversation)),
                                      message, &position));
  g_ptr_array_add (seen, g_strdup (tl_message_get_id (message)));
}

static void
test_message_added_signal (void)
{
  g_autoptr(TlStore) store = tl_store_new ();
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);

  g_signal_connect (store, "message-added", G_CALLBACK (on_message_added_cb), seen);
  tl_test_apply_all (store,
                     "{\"type\":\"snapshot-begin\",\"epoch\":\"e\",\"atSeq\":0}",
                     "{\"type\":\"snapshot-messages\",\"conversationId\":\"c\",\"messages\":[{\"id\":\"old\"}],"
                     "\"hasMoreHistory\":true,\"historyCursor\":\"cur-1\"}",
                     "{\"type\":\"snapshot-end\",\"atSeq\":0}",
                     MSG (1, "new", "c", "2026-12-03T10:00:00Z"),
                     MSG (2, "new", "c", "2026-12-03T10:00:00Z"),
                     "{\"type\":\"message-updated\",\"message\":{\"id\":\"up\",\"conversationId\":\"c\"}}",
                     NULL);
  /* A snapshot is state, not news; a replace is not new. */
  g_assert_cmpuint (seen->len, ==, 2);
  g_assert_cmpstr (seen->pdata[0], ==, "new");
  g_assert_cmpstr (seen->pdata[1], ==, "up");
  g_assert_true (tl_conversation_get_has_more_history (tl_store_lookup_conversation (store, "c")));
  g_assert_cmpstr (tl_conversation_get_history_cursor (tl_store_lookup_conversation (store, "c")), ==, "cur-1");
  tl_store_set_history_position (store, "c", FALSE, NULL);
  g_assert_false (tl_conversation_get_has_more_history (tl_store_lookup_conversation (store, "c")));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/threadline/store/append-emits-one-insert", test_append_emits_one_insert);
  g_test_add_func ("/threadline/store/insert-in-order-by-instant", test_insert_in_order_by_instant);
  g_test_add_func ("/threadline/store/ties-by-id-and-untimed-last", test_ties_by_id_and_untimed_last);
  g_test_add_func ("/threadline/store/duplicate-add-replaces-in-place", test_duplicate_add_replaces_in_place);
  g_test_add_func ("/threadline/store/update-merges", test_update_merges_and_notifies_on_change_only);
  g_test_add_func ("/threadline/store/update-unknown-is-upsert", test_update_unknown_is_upsert);
  g_test_add_func ("/threadline/store/update-moves-between-conversations", test_update_moves_between_conversations);
  g_test_add_func ("/threadline/store/update-created-at-moves", test_update_created_at_moves_with_one_change);
  g_test_add_func ("/threadline/store/remove-message", test_remove_message);
  g_test_add_func ("/threadline/store/conversation-removed", test_conversation_removed_cascades_and_resets_active);
  g_test_add_func ("/threadline/store/notify-after-models", test_notify_after_models);
  g_test_add_func ("/threadline/store/sidebar-order-and-move", test_sidebar_order_and_move);
  g_test_add_func ("/threadline/store/sidebar-key-follows-newest", test_sidebar_key_follows_newest_message);
  g_test_add_func ("/threadline/store/batch-emits-once-per-model", test_batch_emits_once_per_model);
  g_test_add_func ("/threadline/store/invalid-payload-leaves-state", test_invalid_payload_leaves_state);
  g_test_add_func ("/threadline/store/seq-rules-live", test_seq_rules_live);
  g_test_add_func ("/threadline/store/read-and-receipts", test_read_and_receipts);
  g_test_add_func ("/threadline/store/presence-updates-participants", test_presence_updates_participants);
  g_test_add_func ("/threadline/store/snapshot-swaps-once", test_snapshot_swaps_once);
  g_test_add_func ("/threadline/store/message-added-signal", test_message_added_signal);

  return g_test_run ();
}
