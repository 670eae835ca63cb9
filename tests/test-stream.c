/* test-stream.c — streamed replies, typing expiry, alongside collection events
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "tl-part.h"
#include "tl-test-util.h"

#include <string.h>

static char *
chunk (const char *message_id,
       int         sequence,
       const char *body)
{
  return g_strdup_printf ("{\"type\":\"stream-chunk\",\"conversationId\":\"c-1\",\"messageId\":\"%s\","
                          "\"sequence\":%d,\"chunk\":%s}", message_id, sequence, body);
}

static TlApplyResult
feed (TlStore    *store,
      const char *message_id,
      int         sequence,
      const char *body)
{
  g_autofree char *line = chunk (message_id, sequence, body);

  return tl_test_apply (store, 0, line, NULL);
}

static char *
parts_of (TlStore    *store,
          const char *message_id)
{
  TlMessage *message = tl_store_lookup_message (store, message_id);

  g_assert_nonnull (message);
  return tl_message_dup_parts_json (message);
}

static void
test_text_grows_in_place (void)
{
  g_autoptr(TlStore) store = tl_store_new ();
  g_autoptr(TlChangeRecorder) rec = NULL;
  g_autoptr(TlNotifyCounter) text = NULL;
  g_autofree char *changes = NULL;
  g_autofree char *parts = NULL;
  TlMessage *message;
  TlPart *part;

  tl_test_apply_all (store,
                     "{\"type\":\"message-added\",\"seq\":1,\"message\":{\"id\":\"m-77\",\"conversationId\":\"c-1\","
                     "\"role\":\"assistant\",\"parts\":[],\"status\":\"streaming\",\"createdAt\":\"2026-12-03T10:00:00Z\"}}",
                     NULL);
  message = tl_store_lookup_message (store, "m-77");
  rec = tl_change_recorder_new (tl_conversation_get_messages (tl_store_lookup_conversation (store, "c-1")));

  g_assert_cmpint (feed (store, "m-77", 1, "{\"type\":\"start\",\"messageId\":\"m-77\"}"), ==, TL_APPLY_APPLIED);
  g_assert_cmpint (feed (store, "m-77", 2, "{\"type\":\"text-start\",\"id\":\"t1\"}"), ==, TL_APPLY_APPLIED);
  part = g_ptr_array_index (tl_message_get_parts (message), 0);
  text = tl_notify_counter_new (part, "text");
  g_assert_cmpint (feed (store, "m-77", 3, "{\"type\":\"text-delta\",\"id\":\"t1\",\"delta\":\"Hel\"}"), ==, TL_APPLY_APPLIED);
  g_assert_cmpint (feed (store, "m-77", 4, "{\"type\":\"text-delta\",\"id\":\"t1\",\"delta\":\"lo <b>\"}"), ==, TL_APPLY_APPLIED);
  g_assert_cmpstr (tl_part_get_text (part), ==, "Hello <b>");
  g_assert_cmpuint (text->count, ==, 2);
  g_assert_cmpint (feed (store, "m-77", 5, "{\"type\":\"text-end\",\"id\":\"t1\"}"), ==, TL_APPLY_APPLIED);
  g_assert_cmpstr (tl_message_get_status (message), ==, "streaming");
  g_assert_cmpint (feed (store, "m-77", 6, "{\"type\":\"finish\",\"messageId\":\"m-77\",\"finishReason\":\"stop\"}"),
                   ==, TL_APPLY_APPLIED);

  /* The row never left the model: every change was a property change. */
  changes = tl_change_recorder_take (rec);
  g_assert_cmpstr (changes, ==, "");
  g_assert_true (g_ptr_array_index (tl_message_get_parts (message), 0) == part);
  g_assert_cmpstr (tl_message_get_status (message), ==, "sent");
  parts = parts_of (store, "m-77");
  g_assert_cmpstr (parts, ==, "[{\"type\":\"text\",\"text\":\"Hello <b>\",\"state\":\"done\"}]");

  /* Over for good: a late chunk changes nothing. */
  g_assert_cmpint (feed (store, "m-77", 7, "{\"type\":\"text-delta\",\"id\":\"t1\",\"delta\":\"!\"}"), ==, TL_APPLY_DUPLICATE);
  g_assert_cmpstr (tl_message_get_status (message), ==, "sent");
}

static void
test_ordering (void)
{
  g_autoptr(TlStore) store = tl_store_new ();
  g_autofree char *parts = NULL;

  g_assert_cmpint (feed (store, "m-1", 1, "{\"type\":\"text-delta\",\"id\":\"a\",\"delta\":\"1\"}"), ==, TL_APPLY_APPLIED);
  /* Out of order: 3 and 4 wait for 2. */
  g_assert_cmpint (feed (store, "m-1", 3, "{\"type\":\"text-delta\",\"id\":\"a\",\"delta\":\"3\"}"), ==, TL_APPLY_HELD);
  g_assert_true (tl_store_stream_has_gap (store, "m-1"));
  g_assert_cmpint (feed (store, "m-1", 4, "{\"type\":\"text-delta\",\"id\":\"a\",\"delta\":\"4\"}"), ==, TL_APPLY_HELD);
  /* A repeated sequence keeps the first copy. */
  g_assert_cmpint (feed (store, "m-1", 3, "{\"type\":\"text-delta\",\"id\":\"a\",\"delta\":\"X\"}"), ==, TL_APPLY_DUPLICATE);
  g_assert_cmpint (tl_store_get_stream_sequence (store, "m-1"), ==, 1);
  g_assert_cmpint (feed (store, "m-1", 2, "{\"type\":\"text-delta\",\"id\":\"a\",\"delta\":\"2\"}"), ==, TL_APPLY_APPLIED);
  g_assert_false (tl_store_stream_has_gap (store, "m-1"));
  g_assert_cmpint (tl_store_get_stream_sequence (store, "m-1"), ==, 4);
  /* Lower and repeated sequences are dropped. */
  g_assert_cmpint (feed (store, "m-1", 2, "{\"type\":\"text-delta\",\"id\":\"a\",\"delta\":\"Y\"}"), ==, TL_APPLY_DUPLICATE);
  parts = parts_of (store, "m-1");
  g_assert_cmpstr (parts, ==, "[{\"type\":\"text\",\"text\":\"1234\",\"state\":\"streaming\"}]");
}

static void
on_stream_gap_cb (TlStore    *store,
                  const char *message_id,
                  GPtrArray  *seen)
{
  g_ptr_array_add (seen, g_strdup (message_id));
}

static void
test_gap_signal_and_resync (void)
{
  g_autoptr(TlStore) store = tl_store_new ();
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *parts = NULL;

  g_signal_connect (store, "stream-gap", G_CALLBACK (on_stream_gap_cb), seen);
  feed (store, "m-1", 1, "{\"type\":\"text-delta\",\"id\":\"a\",\"delta\":\"A\"}");
  feed (store, "m-1", 3, "{\"type\":\"text-delta\",\"id\":\"a\",\"delta\":\"C\"}");
  feed (store, "m-1", 5, "{\"type\":\"text-delta\",\"id\":\"a\",\"delta\":\"E\"}");
  /* One signal per gap episode, not per buffered chunk. */
  g_assert_cmpuint (seen->len, ==, 1);
  g_assert_cmpstr (seen->pdata[0], ==, "m-1");

  /* get-message says the server's copy is at sequence 4: 3 is dropped, 5 applies. */
  g_assert_true (json_parser_load_from_data (parser,
                 "{\"id\":\"m-1\",\"conversationId\":\"c-1\",\"role\":\"assistant\",\"status\":\"streaming\","
                 "\"parts\":[{\"type\":\"text\",\"text\":\"ABCD\",\"state\":\"streaming\"}]}", -1, NULL));
  g_assert_true (tl_store_resync_stream (store, json_parser_get_root (parser), 4, &error));
  g_assert_no_error (error);
  g_assert_false (tl_store_stream_has_gap (store, "m-1"));
  g_assert_cmpint (tl_store_get_stream_sequence (store, "m-1"), ==, 5);
  parts = parts_of (store, "m-1");
  g_assert_cmpstr (parts, ==, "[{\"type\":\"text\",\"text\":\"ABCDE\",\"state\":\"streaming\"}]");
}

static void
test_reasoning_tools_sources (void)
{
  g_autoptr(TlStore) store = tl_store_new ();
  g_autofree char *parts = NULL;
  g_autofree char *dump = NULL;
  static const char *chunks[] = {
    "{\"type\":\"start\",\"author\":{\"id\":\"bot\",\"displayName\":\"Helper\",\"avatarUrl\":null}}",
    "{\"type\":\"start-step\"}",
    "{\"type\":\"reasoning-start\",\"id\":\"r\"}",
    "{\"type\":\"reasoning-delta\",\"id\":\"r\",\"delta\":\"think\"}",
    "{\"type\":\"reasoning-end\",\"id\":\"r\"}",
    "{\"type\":\"tool-input-start\",\"toolCallId\":\"call-1\",\"toolName\":\"search\"}",
    "{\"type\":\"tool-input-delta\",\"toolCallId\":\"call-1\",\"inputTextDelta\":\"{\\\"q\"}",
    "{\"type\":\"tool-input-available\",\"toolCallId\":\"call-1\",\"toolName\":\"search\",\"input\":{\"q\":\"x\",\"n\":null}}",
    "{\"type\":\"tool-output-available\",\"toolCallId\":\"call-1\",\"output\":[1,2]}",
    "{\"type\":\"tool-output-error\",\"toolCallId\":\"unknown\",\"errorText\":\"ignored\"}",
    "{\"type\":\"tool-approval-request\",\"toolCallId\":\"call-2\",\"toolName\":\"deploy\",\"input\":{},\"approvalId\":\"ap-1\",\"dynamic\":true}",
    "{\"type\":\"tool-output-denied\",\"toolCallId\":\"call-2\",\"dynamic\":false}",
    "{\"type\":\"tool-input-start\",\"toolCallId\":\"call-3\",\"toolName\":\"x\"}",
    "{\"type\":\"tool-input-error\",\"toolCallId\":\"call-3\",\"errorText\":\"bad input\"}",
    "{\"type\":\"finish-step\"}",
    "{\"type\":\"source-url\",\"sourceId\":\"s1\",\"url\":\"https://example.org\",\"title\":\"Ex\",\"extra\":1}",
    "{\"type\":\"source-document\",\"sourceId\":\"s2\",\"title\":\"Doc\"}",
    "{\"type\":\"file\",\"mediaType\":\"image/png\",\"url\":\"https://example.org/a.png\"}",
    "{\"type\":\"data-weather\",\"id\":\"w\",\"data\":{\"t\":null}}",
    "{\"type\":\"data-\",\"data\":null}",
    "{\"type\":\"message-metadata\",\"metadata\":{\"model\":\"m1\"}}",
    "{\"type\":\"message-metadata\",\"metadata\":{\"tokens\":3}}",
    "{\"type\":\"text-delta\",\"id\":\"t\",\"delta\":\"answer\"}",
    "{\"type\":\"error\",\"errorText\":\"quota\"}",
  };
  TlMessage *message;

  for (guint i = 0; i < G_N_ELEMENTS (chunks); i++)
    g_assert_cmpint (feed (store, "m-1", i + 1, chunks[i]), ==, TL_APPLY_APPLIED);

  message = tl_store_lookup_message (store, "m-1");
  parts = parts_of (store, "m-1");
  g_assert_cmpstr (parts, ==,
                   "[{\"type\":\"step-start\"},"
                   "{\"type\":\"reasoning\",\"text\":\"think\",\"state\":\"done\"},"
                   "{\"type\":\"tool\",\"toolInvocation\":{\"toolCallId\":\"call-1\",\"toolName\":\"search\","
                   "\"state\":\"output-available\",\"input\":{\"q\":\"x\",\"n\":null},\"output\":[1,2]}},"
                   "{\"type\":\"dynamic-tool\",\"toolInvocation\":{\"toolCallId\":\"call-2\","
                   "\"toolName\":\"deploy\",\"input\":{},\"approvalId\":\"ap-1\","
                   "\"state\":\"output-denied\",\"approval\":{\"approved\":false}}},"
                   "{\"type\":\"tool\",\"toolInvocation\":{\"toolCallId\":\"call-3\",\"toolName\":\"x\","
                   "\"state\":\"output-error\",\"errorText\":\"bad input\"}},"
                   "{\"type\":\"source-url\",\"sourceId\":\"s1\",\"url\":\"https://example.org\",\"title\":\"Ex\"},"
                   "{\"type\":\"source-document\",\"sourceId\":\"s2\",\"title\":\"Doc\"},"
                   "{\"type\":\"file\",\"mediaType\":\"image/png\",\"url\":\"https://example.org/a.png\"},"
                   "{\"type\":\"data-weather\",\"id\":\"w\",\"data\":{\"t\":null}},"
                   "{\"type\":\"data-\",\"data\":null},"
                   "{\"type\":\"text\",\"text\":\"answer\",\"state\":\"done\"}]");
  g_assert_cmpstr (tl_message_get_status (message), ==, "error");
  g_assert_cmpstr (tl_message_get_error_text (message), ==, "quota");
  g_assert_cmpstr (tl_message_get_role (message), ==, "assistant");
  g_assert_null (tl_message_get_created_at (message));
  g_assert_cmpstr (tl_message_get_metadata_json (message), ==, "{\"model\":\"m1\",\"tokens\":3}");
  g_assert_cmpstr (tl_message_get_author_json (message), ==, "{\"id\":\"bot\",\"displayName\":\"Helper\"}");
  /* The error text is kept beside the message, never in the dump. */
  dump = tl_store_dump (store);
  g_assert_null (strstr (dump, "quota"));
}

static void
test_approval_spread_removes_absent_fields (void)
{
  g_autoptr(TlStore) store = tl_store_new ();
  g_autofree char *parts = NULL;

  feed (store, "m-1", 1, "{\"type\":\"tool-approval-request\",\"toolCallId\":\"c\",\"toolName\":\"rm\",\"input\":{\"f\":1},\"approvalId\":\"ap\"}");
  /* Each chunk assigns its own fields only: approvalId is not one of
   * tool-input-available's, so it stays; toolName keeps its place. */
  feed (store, "m-1", 2, "{\"type\":\"tool-input-available\",\"toolCallId\":\"c\",\"toolName\":\"rm2\",\"input\":{\"f\":2}}");
  feed (store, "m-1", 3, "{\"type\":\"tool-output-available\",\"toolCallId\":\"c\",\"output\":\"ok\",\"preliminary\":true}");
  /* Absent preliminary: the spread removes it. */
  feed (store, "m-1", 4, "{\"type\":\"tool-output-available\",\"toolCallId\":\"c\",\"output\":\"done\"}");
  parts = parts_of (store, "m-1");
  g_assert_cmpstr (parts, ==,
                   "[{\"type\":\"tool\",\"toolInvocation\":{\"toolCallId\":\"c\",\"toolName\":\"rm2\","
                   "\"input\":{\"f\":2},\"approvalId\":\"ap\",\"state\":\"output-available\","
                   "\"output\":\"done\"}}]");
}

static void
test_text_id_rules (void)
{
  g_autoptr(TlStore) store = tl_store_new ();
  g_autofree char *parts = NULL;
  g_autofree char *parts2 = NULL;

  feed (store, "m-1", 1, "{\"type\":\"text-start\",\"id\":\"t\"}");
  feed (store, "m-1", 2, "{\"type\":\"text-start\",\"id\":\"t\"}");          /* live: nothing */
  feed (store, "m-1", 3, "{\"type\":\"text-delta\",\"id\":\"t\",\"delta\":\"a\"}");
  feed (store, "m-1", 4, "{\"type\":\"text-end\",\"id\":\"t\"}");
  feed (store, "m-1", 5, "{\"type\":\"text-end\",\"id\":\"nope\"}");        /* unknown: nothing */
  feed (store, "m-1", 6, "{\"type\":\"text-delta\",\"id\":\"t\",\"delta\":\"b\"}"); /* done: new part */
  feed (store, "m-1", 7, "{\"type\":\"text-start\",\"id\":\"u\"}");
  feed (store, "m-1", 8, "{\"type\":\"reasoning-delta\",\"id\":\"t\",\"delta\":\"r\"}"); /* own namespace */
  parts = parts_of (store, "m-1");
  g_assert_cmpstr (parts, ==,
                   "[{\"type\":\"text\",\"text\":\"a\",\"state\":\"done\"},"
                   "{\"type\":\"text\",\"text\":\"b\",\"state\":\"streaming\"},"
                   "{\"type\":\"text\",\"text\":\"\",\"state\":\"streaming\"},"
                   "{\"type\":\"reasoning\",\"text\":\"r\",\"state\":\"streaming\"}]");

  /* A durable update replaces what chunks built; deltas then write into the
   * part now at their index if it fits, else open a new one. */
  tl_test_apply_all (store,
                     "{\"type\":\"message-updated\",\"message\":{\"id\":\"m-1\",\"parts\":["
                     "{\"type\":\"reasoning\",\"text\":\"R\"},{\"type\":\"text\",\"text\":\"B\",\"state\":\"streaming\"}]}}",
                     NULL);
  feed (store, "m-1", 9, "{\"type\":\"text-delta\",\"id\":\"t\",\"delta\":\"+\"}");   /* index 1: text, streaming */
  feed (store, "m-1", 10, "{\"type\":\"text-delta\",\"id\":\"u\",\"delta\":\"?\"}");  /* index 2: none → new */
  parts2 = parts_of (store, "m-1");
  g_assert_cmpstr (parts2, ==,
                   "[{\"type\":\"reasoning\",\"text\":\"R\"},"
                   "{\"type\":\"text\",\"text\":\"B+\",\"state\":\"streaming\"},"
                   "{\"type\":\"text\",\"text\":\"?\",\"state\":\"streaming\"}]");
}

static void
test_invalid_and_unknown_chunks_consume (void)
{
  g_autoptr(TlStore) store = tl_store_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *line = chunk ("m-1", 1, "{\"type\":\"hologram\"}");

  g_assert_cmpint (tl_test_apply (store, 0, line, &error), ==, TL_APPLY_INVALID);
  g_assert_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_UNKNOWN_TYPE);
  /* Nothing created, but the sequence counts. */
  g_assert_null (tl_store_lookup_message (store, "m-1"));
  g_assert_cmpint (tl_store_get_stream_sequence (store, "m-1"), ==, 1);
  g_assert_cmpint (feed (store, "m-1", 2, "{\"type\":\"text-delta\",\"id\":\"t\"}"), ==, TL_APPLY_INVALID);
  g_assert_cmpint (feed (store, "m-1", 3, "{\"type\":\"text-delta\",\"id\":\"t\",\"delta\":\"ok\"}"), ==, TL_APPLY_APPLIED);
  g_assert_nonnull (tl_store_lookup_message (store, "m-1"));

  /* Without conversationId an unknown message cannot be created. */
  g_assert_cmpint (tl_test_apply (store, 0,
                                  "{\"type\":\"stream-chunk\",\"messageId\":\"m-2\",\"sequence\":1,"
                                  "\"chunk\":{\"type\":\"start\"}}", NULL), ==, TL_APPLY_APPLIED);
  g_assert_null (tl_store_lookup_message (store, "m-2"));
}

static void
test_removal_ends_stream (void)
{
  g_autoptr(TlStore) store = tl_store_new ();

  feed (store, "m-1", 1, "{\"type\":\"text-delta\",\"id\":\"t\",\"delta\":\"a\"}");
  tl_test_apply_all (store, "{\"type\":\"message-removed\",\"messageId\":\"m-1\"}", NULL);
  g_assert_cmpint (feed (store, "m-1", 2, "{\"type\":\"text-delta\",\"id\":\"t\",\"delta\":\"b\"}"), ==, TL_APPLY_DUPLICATE);
  g_assert_null (tl_store_lookup_message (store, "m-1"));

  /* Even an id not seen yet. */
  tl_test_apply_all (store, "{\"type\":\"message-removed\",\"messageId\":\"m-future\"}", NULL);
  g_assert_cmpint (feed (store, "m-future", 1, "{\"type\":\"start\"}"), ==, TL_APPLY_DUPLICATE);
  g_assert_null (tl_store_lookup_message (store, "m-future"));

  /* A removed conversation ends its streams, buffered ones included. */
  feed (store, "m-2", 1, "{\"type\":\"text-delta\",\"id\":\"t\",\"delta\":\"a\"}");
  feed (store, "m-3", 2, "{\"type\":\"text-delta\",\"id\":\"t\",\"delta\":\"z\"}");
  tl_test_apply_all (store, "{\"type\":\"conversation-removed\",\"conversationId\":\"c-1\"}", NULL);
  g_assert_cmpint (feed (store, "m-2", 2, "{\"type\":\"text-delta\",\"id\":\"t\",\"delta\":\"b\"}"), ==, TL_APPLY_DUPLICATE);
  g_assert_cmpint (feed (store, "m-3", 1, "{\"type\":\"start\"}"), ==, TL_APPLY_DUPLICATE);
  g_assert_null (tl_store_lookup_conversation (store, "c-1"));
  g_assert_null (tl_store_lookup_message (store, "m-2"));
}

static void
test_concurrent_streams_with_collection_events (void)
{
  g_autoptr(TlStore) store = tl_store_new ();
  g_auto(GStrv) ids = NULL;
  g_autofree char *dump = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;

  tl_test_apply_all (store,
                     "{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c-2\"}}",
                     NULL);
  for (int i = 1; i <= 50; i++)
    {
      g_autofree char *ca = g_strdup_printf ("{\"type\":\"stream-chunk\",\"conversationId\":\"c-1\",\"messageId\":\"a\","
                                             "\"sequence\":%d,\"chunk\":{\"type\":\"text-delta\",\"id\":\"t\",\"delta\":\"a\"}}", i);
      g_autofree char *cb = g_strdup_printf ("{\"type\":\"stream-chunk\",\"conversationId\":\"c-1\",\"messageId\":\"b\","
                                             "\"sequence\":%d,\"chunk\":{\"type\":\"text-delta\",\"id\":\"t\",\"delta\":\"b\"}}", i);
      g_autofree char *cc = g_strdup_printf ("{\"type\":\"stream-chunk\",\"conversationId\":\"c-2\",\"messageId\":\"c\","
                                             "\"sequence\":%d,\"chunk\":{\"type\":\"text-delta\",\"id\":\"t\",\"delta\":\"c\"}}", i);
      g_autofree char *msg = g_strdup_printf ("{\"type\":\"message-added\",\"message\":{\"id\":\"u-%d\",\"conversationId\":\"c-%d\","
                                              "\"createdAt\":\"2026-12-03T10:00:%02dZ\"}}", i, 1 + i % 2, i);
      g_autofree char *upd = g_strdup_printf ("{\"type\":\"conversation-updated\",\"conversation\":{\"id\":\"c-2\",\"title\":\"T%d\"}}", i);
      g_autofree char *rm = g_strdup_printf ("{\"type\":\"message-removed\",\"messageId\":\"u-%d\"}", i - 1);

      tl_test_apply_all (store, ca, msg, cb, upd, cc, rm, NULL);
    }
  ids = tl_store_dup_stream_ids (store);
  g_assert_cmpuint (g_strv_length (ids), ==, 3);
  g_assert_cmpstr (ids[0], ==, "a");
  g_assert_cmpint (tl_store_get_stream_sequence (store, "b"), ==, 50);

  a = parts_of (store, "a");
  b = parts_of (store, "b");
  c = parts_of (store, "c");
  g_assert_cmpuint (strlen (a), ==, strlen ("[{\"type\":\"text\",\"text\":\"\",\"state\":\"streaming\"}]") + 50);
  g_assert_nonnull (strstr (b, "\"bbbbbbbbbb"));
  g_assert_nonnull (strstr (c, "\"cccccccccc"));
  g_assert_cmpstr (tl_message_get_conversation_id (tl_store_lookup_message (store, "c")), ==, "c-2");
  /* The streamed replies sort after the timestamped messages of their thread. */
  dump = tl_store_dump (store);
  g_assert_nonnull (strstr (dump, "\"id\":\"u-50\""));
  g_assert_null (strstr (dump, "\"id\":\"u-49\""));
}

static gint64
fake_clock (gpointer user_data)
{
  return *(gint64 *) user_data;
}

static void
test_typing_expiry (void)
{
  g_autoptr(TlStore) store = tl_store_new ();
  TlConversation *conversation;
  gint64 now = 1000 * G_USEC_PER_SEC;

  tl_store_set_clock (store, fake_clock, &now);
  tl_test_apply_all (store, "{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c-1\"}}", NULL);
  conversation = tl_store_lookup_conversation (store, "c-1");
  g_assert_cmpint (tl_store_expire_typing (store), ==, -1);

  tl_test_apply_all (store,
                     "{\"type\":\"typing\",\"conversationId\":\"c-1\",\"userId\":\"u-b\",\"isTyping\":true}",
                     NULL);
  now += 3 * G_USEC_PER_SEC;
  tl_test_apply_all (store,
                     "{\"type\":\"typing\",\"conversationId\":\"c-1\",\"userId\":\"u-a\",\"isTyping\":true}",
                     "{\"type\":\"typing\",\"conversationId\":\"nope\",\"userId\":\"u-a\",\"isTyping\":true}",
                     NULL);
  g_assert_cmpstr (tl_conversation_get_typing (conversation)[0], ==, "u-a");
  g_assert_cmpstr (tl_conversation_get_typing (conversation)[1], ==, "u-b");
  /* The next deadline is u-b's: 8 s after its last true. */
  g_assert_cmpint (tl_store_expire_typing (store), ==, 1008 * G_USEC_PER_SEC);

  now = 1008 * G_USEC_PER_SEC;
  g_assert_cmpint (tl_store_expire_typing (store), ==, 1011 * G_USEC_PER_SEC);
  g_assert_cmpstr (tl_conversation_get_typing (conversation)[0], ==, "u-a");
  g_assert_null (tl_conversation_get_typing (conversation)[1]);

  /* A fresh true pushes the deadline; false removes at once. */
  now = 1010 * G_USEC_PER_SEC;
  tl_test_apply_all (store,
                     "{\"type\":\"typing\",\"conversationId\":\"c-1\",\"userId\":\"u-a\",\"isTyping\":true}",
                     NULL);
  now = 1012 * G_USEC_PER_SEC;
  g_assert_cmpint (tl_store_expire_typing (store), ==, 1018 * G_USEC_PER_SEC);
  tl_test_apply_all (store,
                     "{\"type\":\"typing\",\"conversationId\":\"c-1\",\"userId\":\"u-a\",\"isTyping\":false}",
                     NULL);
  g_assert_null (tl_conversation_get_typing (conversation)[0]);
  g_assert_cmpint (tl_store_expire_typing (store), ==, -1);

  /* Disconnect clears everyone. */
  tl_test_apply_all (store,
                     "{\"type\":\"typing\",\"conversationId\":\"c-1\",\"userId\":\"u-c\",\"isTyping\":true}",
                     NULL);
  tl_store_clear_typing (store);
  g_assert_null (tl_conversation_get_typing (conversation)[0]);
}

static void
test_long_reply_is_linear (void)
{
  g_autoptr(TlStore) store = tl_store_new ();
  TlPart *part;

  /* 100 KB in 10-byte deltas; the part's text is one growing buffer, so the
   * total work is linear. (The benchmark measures the per-delta cost.) */
  for (int i = 1; i <= 10000; i++)
    g_assert_cmpint (feed (store, "m-1", i, "{\"type\":\"text-delta\",\"id\":\"t\",\"delta\":\"0123456789\"}"),
                     ==, TL_APPLY_APPLIED);
  part = g_ptr_array_index (tl_message_get_parts (tl_store_lookup_message (store, "m-1")), 0);
  g_assert_cmpuint (tl_part_get_text_length (part), ==, 100000);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/threadline/stream/text-grows-in-place", test_text_grows_in_place);
  g_test_add_func ("/threadline/stream/ordering", test_ordering);
  g_test_add_func ("/threadline/stream/gap-signal-and-resync", test_gap_signal_and_resync);
  g_test_add_func ("/threadline/stream/reasoning-tools-sources", test_reasoning_tools_sources);
  g_test_add_func ("/threadline/stream/approval-spread", test_approval_spread_removes_absent_fields);
  g_test_add_func ("/threadline/stream/text-id-rules", test_text_id_rules);
  g_test_add_func ("/threadline/stream/invalid-and-unknown-chunks", test_invalid_and_unknown_chunks_consume);
  g_test_add_func ("/threadline/stream/removal-ends-stream", test_removal_ends_stream);
  g_test_add_func ("/threadline/stream/concurrent-with-collection-events", test_concurrent_streams_with_collection_events);
  g_test_add_func ("/threadline/stream/typing-expiry", test_typing_expiry);
  g_test_add_func ("/threadline/stream/long-reply", test_long_reply_is_linear);

  return g_test_run ();
}
