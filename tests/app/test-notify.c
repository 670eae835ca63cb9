/* test-notify.c — which new messages become desktop notifications
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "tl-json.h"
#include "tl-notify.h"

static void
apply (TlStore    *store,
       const char *json)
{
  g_autoptr(JsonNode) root = tl_json_decode_frame (json, strlen (json), NULL);

  g_assert_nonnull (root);
  tl_store_apply_node (store, root, TL_APPLY_FLAGS_FILE, NULL);
}

static void
test_decisions (void)
{
  g_autoptr(TlStore) store = tl_store_new ();
  TlNotifyContext live = { TRUE, TRUE, TRUE };
  TlNotifyContext off = { FALSE, TRUE, FALSE };
  TlNotifyContext replay = { TRUE, FALSE, FALSE };
  TlNotifyContext away = { TRUE, TRUE, FALSE };
  g_autoptr(GNotification) theirs = NULL;
  g_autoptr(GNotification) in_view = NULL;
  g_autoptr(GNotification) own = NULL;
  g_autoptr(GNotification) unfocused = NULL;
  g_autoptr(GNotification) disabled = NULL;
  g_autoptr(GNotification) replayed = NULL;
  g_autoptr(GNotification) silent = NULL;

  tl_store_set_local_user_id (store, "me");
  tl_store_set_active_conversation_id (store, "c-open");
  apply (store, "{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c-other\",\"title\":\"Team\"}}");
  apply (store, "{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c-open\",\"title\":\"Open\"}}");
  apply (store, "{\"type\":\"message-added\",\"message\":{\"id\":\"m-1\",\"conversationId\":\"c-other\",\"role\":\"user\","
                "\"parts\":[{\"type\":\"text\",\"text\":\"Deploy **now**?\"}],\"author\":{\"id\":\"u-2\",\"displayName\":\"Grace\"}}}");
  apply (store, "{\"type\":\"message-added\",\"message\":{\"id\":\"m-2\",\"conversationId\":\"c-open\",\"role\":\"user\","
                "\"parts\":[{\"type\":\"text\",\"text\":\"hi\"}],\"author\":{\"id\":\"u-2\"}}}");
  apply (store, "{\"type\":\"message-added\",\"message\":{\"id\":\"m-3\",\"conversationId\":\"c-other\",\"role\":\"user\","
                "\"parts\":[{\"type\":\"text\",\"text\":\"mine\"}],\"author\":{\"id\":\"me\"}}}");
  apply (store, "{\"type\":\"message-added\",\"message\":{\"id\":\"m-4\",\"conversationId\":\"c-other\",\"role\":\"assistant\","
                "\"parts\":[],\"status\":\"streaming\"}}");

  /* Someone else, in a conversation out of view: notified. */
  theirs = tl_notify_for_message (store, tl_store_lookup_message (store, "m-1"), &live);
  g_assert_nonnull (theirs);
  /* The one being read, while the window has the focus: not. */
  in_view = tl_notify_for_message (store, tl_store_lookup_message (store, "m-2"), &live);
  g_assert_null (in_view);
  /* …but when the window is in the background: yes. */
  unfocused = tl_notify_for_message (store, tl_store_lookup_message (store, "m-2"), &away);
  g_assert_nonnull (unfocused);
  /* Never the user's own words; never when off; never for a replay. */
  own = tl_notify_for_message (store, tl_store_lookup_message (store, "m-3"), &away);
  g_assert_null (own);
  disabled = tl_notify_for_message (store, tl_store_lookup_message (store, "m-1"), &off);
  g_assert_null (disabled);
  replayed = tl_notify_for_message (store, tl_store_lookup_message (store, "m-1"), &replay);
  g_assert_null (replayed);
  /* A reply that has not said anything yet waits. */
  silent = tl_notify_for_message (store, tl_store_lookup_message (store, "m-4"), &away);
  g_assert_null (silent);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/threadline/app/notify/decisions", test_decisions);
  return g_test_run ();
}
