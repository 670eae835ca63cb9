/* test-connection.c — TlConnection against a scripted peer, with faults
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The oracle of every case: the client's dump equals the dump of a fresh
 * store that applied the server's truth (its durable log, plus the snapshot
 * it started from) with the file rules, so nothing was lost or doubled.
 * Intervals are injected in milliseconds; no test sleeps.
 */
#include "tl-connection.h"
#include "tl-backoff.h"
#include "tl-connection-private.h"
#include "tl-json.h"
#include "tl-message.h"
#include "tl-test-peer.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct
{
  gint64  seq;
  char   *line;
} LogEntry;

typedef struct
{
  TlTestPeer          *peer;
  TlStore             *store;
  TlConnection        *conn;
  GRand               *rand;
  TlConnectionTimings  timings;
  GPtrArray           *truth;   /* lines the server's state is made of */
  GArray              *log;     /* LogEntry: durable events after the snapshot */
  GPtrArray           *confirmed;
  GPtrArray           *failed;
} Fixture;

static void
log_entry_clear (gpointer data)
{
  g_free (((LogEntry *) data)->line);
}

static void
on_confirmed_cb (TlConnection *conn,
                 const char   *id,
                 Fixture      *f)
{
  g_ptr_array_add (f->confirmed, g_strdup (id));
}

static void
on_failed_cb (TlConnection *conn,
              const char   *id,
              const char   *reason,
              Fixture      *f)
{
  g_ptr_array_add (f->failed, g_strdup (id));
}

static void
apply_timings (Fixture *f)
{
  tl_connection_set_timings (f->conn, &f->timings);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->peer = tl_test_peer_new ();
  f->store = tl_store_new ();
  f->rand = g_rand_new_with_seed (42);
  f->conn = tl_connection_new (f->store, tl_test_peer_get_url (f->peer), &error);
  g_assert_no_error (error);
  tl_connection_set_token (f->conn, "secret-token");
  /* The test machine's network and bus must not inject probes. */
  tl_wakeup_set_sources (tl_connection_get_wakeup (f->conn), FALSE, FALSE);
  tl_connection_get_default_timings (&f->timings);
  f->timings.backoff_unit_ms = 5;
  f->timings.backoff_cap_ms = 40;
  f->timings.restart_max_ms = 40;
  f->timings.stream_gap_ms = 30;
  f->timings.resend_ms = 300;
  f->timings.retry_error_ms = 20;
  f->timings.close_grace_ms = 200;
  apply_timings (f);
  tl_connection_set_rand (f->conn, f->rand);
  f->truth = g_ptr_array_new_with_free_func (g_free);
  f->log = g_array_new (FALSE, FALSE, sizeof (LogEntry));
  g_array_set_clear_func (f->log, log_entry_clear);
  f->confirmed = g_ptr_array_new_with_free_func (g_free);
  f->failed = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (f->conn, "message-confirmed", G_CALLBACK (on_confirmed_cb), f);
  g_signal_connect (f->conn, "message-failed", G_CALLBACK (on_failed_cb), f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_signal_handlers_disconnect_by_data (f->conn, f);
  tl_connection_stop (f->conn);
  g_clear_object (&f->conn);
  g_clear_object (&f->store);
  /* Let the closes finish before the server goes. */
  tl_test_run_for (20);
  tl_test_peer_free (f->peer);
  g_rand_free (f->rand);
  g_ptr_array_unref (f->truth);
  g_array_unref (f->log);
  g_ptr_array_unref (f->confirmed);
  g_ptr_array_unref (f->failed);
}

/* The server side */

static char *
message_json (const char *id,
              const char *conversation_id,
              int         second,
              const char *text)
{
  return g_strdup_printf ("{\"id\":\"%s\",\"conversationId\":\"%s\",\"role\":\"user\","
                          "\"parts\":[{\"type\":\"text\",\"text\":\"%s\"}],\"status\":\"sent\","
                          "\"createdAt\":\"2026-12-03T10:00:%02d.000Z\","
                          "\"author\":{\"id\":\"u-2\",\"displayName\":\"Grace\"}}",
                          id, conversation_id, text, second);
}

static char *
added_line (gint64      seq,
            const char *id,
            const char *conversation_id,
            int         second)
{
  g_autofree char *message = message_json (id, conversation_id, second, "hi");

  return g_strdup_printf ("{\"type\":\"message-added\",\"seq\":%" G_GINT64_FORMAT
                          ",\"message\":%s}", seq, message);
}

static gint64
log_head (Fixture *f)
{
  return f->log->len ? g_array_index (f->log, LogEntry, f->log->len - 1).seq : 0;
}

/* A durable event enters the server's log; @send: also pushed live now. */
static void
emit (Fixture    *f,
      gint64      seq,
      char       *line,
      gboolean    send)
{
  LogEntry entry = { seq, line };

  g_ptr_array_add (f->truth, g_strdup (line));
  g_array_append_val (f->log, entry);
  if (send)
    tl_test_peer_send (f->peer, line);
}

static void
send_welcome (Fixture    *f,
              const char *mode,
              const char *epoch,
              gint64      head_seq)
{
  tl_test_peer_sendf (f->peer,
                      "{\"type\":\"welcome\",\"protocol\":1,\"epoch\":\"%s\",\"headSeq\":%"
                      G_GINT64_FORMAT ",\"mode\":\"%s\",\"heartbeatMs\":25000,"
                      "\"user\":{\"id\":\"u-1\",\"displayName\":\"Ada\"}}",
                      epoch, head_seq, mode);
}

static void
send_truth (Fixture    *f,
            const char *line)
{
  g_ptr_array_add (f->truth, g_strdup (line));
  tl_test_peer_send (f->peer, line);
}

/* welcome (snapshot) and a snapshot of @conversations (a JSON array) and
 * @pages (snapshot-messages frames without their type), NULL-terminated. */
static void
serve_snapshot (Fixture     *f,
                const char  *epoch,
                gint64       at_seq,
                const char  *conversations,
                const char **pages)
{
  g_autofree char *begin = g_strdup_printf ("{\"type\":\"snapshot-begin\",\"epoch\":\"%s\","
                                            "\"atSeq\":%" G_GINT64_FORMAT "}", epoch, at_seq);
  g_autofree char *convs = g_strdup_printf ("{\"type\":\"snapshot-conversations\","
                                            "\"conversations\":%s}", conversations);
  g_autofree char *end = g_strdup_printf ("{\"type\":\"snapshot-end\",\"atSeq\":%" G_GINT64_FORMAT
                                          "}", at_seq);

  g_ptr_array_set_size (f->truth, 0);
  g_array_set_size (f->log, 0);
  send_welcome (f, "snapshot", epoch, at_seq);
  send_truth (f, begin);
  send_truth (f, convs);
  for (guint i = 0; pages != NULL && pages[i] != NULL; i++)
    {
      g_autofree char *page = g_strdup_printf ("{\"type\":\"snapshot-messages\",%s}", pages[i]);

      send_truth (f, page);
    }
  send_truth (f, end);
  g_array_set_size (f->log, 0);
  {
    LogEntry base = { at_seq, g_strdup ("") };

    g_array_append_val (f->log, base);
  }
}

/* welcome (replay) and every logged event after @after. */
static void
serve_replay (Fixture    *f,
              const char *epoch,
              gint64      after)
{
  send_welcome (f, "replay", epoch, log_head (f));
  for (guint i = 0; i < f->log->len; i++)
    {
      LogEntry *entry = &g_array_index (f->log, LogEntry, i);

      if (entry->seq > after && *entry->line != '\0')
        tl_test_peer_send (f->peer, entry->line);
    }
  tl_test_peer_sendf (f->peer, "{\"type\":\"replay-done\",\"seq\":%" G_GINT64_FORMAT "}",
                      log_head (f));
}

static char *
truth_dump (Fixture *f)
{
  g_autoptr(TlStore) store = tl_store_new ();

  tl_store_set_local_user_id (store, "u-1");
  for (guint i = 0; i < f->truth->len; i++)
    {
      const char *line = f->truth->pdata[i];
      g_autoptr(JsonNode) root = tl_json_decode_frame (line, strlen (line), NULL);

      g_assert_nonnull (root);
      tl_store_apply_node (store, root, TL_APPLY_FLAGS_FILE, NULL);
    }
  return tl_store_dump (store);
}

static void
assert_dump_is_truth (Fixture *f)
{
  g_autofree char *expected = truth_dump (f);
  g_autofree char *actual = tl_store_dump (f->store);

  g_assert_cmpstr (actual, ==, expected);
}

static TlConnectionState
state (Fixture *f)
{
  return tl_connection_get_state (f->conn);
}

static gint64
resume_seq (JsonObject *hello)
{
  JsonNode *resume = json_object_get_member (hello, "resume");

  g_assert_nonnull (resume);
  if (JSON_NODE_HOLDS_NULL (resume))
    return -1;
  return json_object_get_int_member (json_node_get_object (resume), "seq");
}

static const char *
resume_epoch (JsonObject *hello)
{
  JsonNode *resume = json_object_get_member (hello, "resume");

  return JSON_NODE_HOLDS_OBJECT (resume)
         ? json_object_get_string_member (json_node_get_object (resume), "epoch") : NULL;
}

static guint
count_messages (Fixture    *f,
                const char *conversation_id)
{
  TlConversation *conversation = tl_store_lookup_conversation (f->store, conversation_id);

  return conversation ? g_list_model_get_n_items (tl_conversation_get_messages (conversation)) : 0;
}

/* Models hear of what a dispatch applied when its batch ends, an iteration
 * later; the dump reads the state itself and does not need this. */
static void
flush_batches (void)
{
  for (guint i = 0; i < 50 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

/* Connect, snapshot e-1 at seq 2: c-1 with m-1 and m-2. */
static void
first_sync (Fixture *f)
{
  g_autofree char *m1 = message_json ("m-1", "c-1", 1, "one");
  g_autofree char *m2 = message_json ("m-2", "c-1", 2, "two");
  g_autofree char *page = g_strdup_printf ("\"conversationId\":\"c-1\",\"messages\":[%s,%s]", m1, m2);
  const char *pages[] = { page, NULL };
  JsonObject *hello;

  tl_connection_start (f->conn);
  hello = tl_test_peer_wait_frame (f->peer, "hello");
  g_assert_cmpint (resume_seq (hello), ==, -1);
  serve_snapshot (f, "e-1", 2, "[{\"id\":\"c-1\",\"title\":\"General\"}]", pages);
  TL_WAIT_UNTIL (state (f) == TL_CONNECTION_STATE_LIVE);
  flush_batches ();
  assert_dump_is_truth (f);
}

/* Cases */

static void
test_first_hello (Fixture       *f,
                  gconstpointer  data)
{
  JsonObject *hello;
  JsonArray *protocol;

  tl_connection_start (f->conn);
  hello = tl_test_peer_wait_frame (f->peer, "hello");
  g_assert_cmpint (resume_seq (hello), ==, -1);
  protocol = json_object_get_array_member (hello, "protocol");
  g_assert_cmpuint (json_array_get_length (protocol), ==, 1);
  g_assert_cmpint (json_array_get_int_element (protocol, 0), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (hello, "streams")), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (hello, "client"),
                                                  "name"), ==, "threadline");
  g_assert_cmpstr (tl_test_peer_get_last_authorization (f->peer), ==, "Bearer secret-token");
  g_assert_cmpint (state (f), ==, TL_CONNECTION_STATE_HANDSHAKE);
  g_assert_cmpuint (tl_test_peer_count_frames (f->peer, "hello"), ==, 1);
}

typedef enum
{
  FAULT_CLOSE_1001,
  FAULT_RESET,
  FAULT_SILENT,
} Fault;

static void
resume_after (Fixture *f,
              Fault    fault)
{
  JsonObject *hello;

  if (fault == FAULT_SILENT)
    {
      f->timings.ping_interval_ms = 40;
      f->timings.pong_timeout_ms = 80;
      f->timings.silence_timeout_ms = 400;
      apply_timings (f);
    }

  first_sync (f);
  emit (f, 3, added_line (3, "m-3", "c-1", 3), TRUE);
  TL_WAIT_UNTIL (tl_store_get_seq (f->store) == 3);

  switch (fault)
    {
    case FAULT_CLOSE_1001:
      tl_test_peer_close (f->peer, 1001, NULL);
      break;
    case FAULT_RESET:
      tl_test_peer_reset (f->peer);
      break;
    case FAULT_SILENT:
      tl_test_peer_set_auto_pong (f->peer, FALSE);
      TL_WAIT_UNTIL (tl_test_peer_get_client_close_code (f->peer) == 4002);
      tl_test_peer_set_auto_pong (f->peer, TRUE);
      break;
    default:
      g_assert_not_reached ();
    }

  /* Meanwhile the server moved on. */
  emit (f, 4, added_line (4, "m-4", "c-1", 4), FALSE);
  emit (f, 5, g_strdup ("{\"type\":\"conversation-updated\",\"seq\":5,"
                        "\"conversation\":{\"id\":\"c-1\",\"title\":\"Renamed\"}}"), FALSE);

  hello = tl_test_peer_wait_frame (f->peer, "hello");
  g_assert_cmpint (resume_seq (hello), ==, 3);
  g_assert_cmpstr (resume_epoch (hello), ==, "e-1");
  serve_replay (f, "e-1", 3);
  TL_WAIT_UNTIL (state (f) == TL_CONNECTION_STATE_LIVE && tl_store_get_seq (f->store) == 5);
  assert_dump_is_truth (f);
  g_assert_cmpuint (count_messages (f, "c-1"), ==, 4);
  g_assert_cmpuint (tl_test_peer_get_n_connections (f->peer), ==, 2);
}

static void
test_resume_1001 (Fixture       *f,
                  gconstpointer  data)
{
  resume_after (f, FAULT_CLOSE_1001);
}

static void
test_resume_reset (Fixture       *f,
                   gconstpointer  data)
{
  resume_after (f, FAULT_RESET);
}

static void
test_resume_silent (Fixture       *f,
                    gconstpointer  data)
{
  resume_after (f, FAULT_SILENT);
}

static void
on_items_changed_cb (GListModel *model,
                     guint       position,
                     guint       removed,
                     guint       added,
                     guint      *count)
{
  g_test_message ("items-changed %u -%u +%u (of %u)", position, removed, added,
                  g_list_model_get_n_items (model));
  (*count)++;
}

typedef struct
{
  GListModel *model;
  guint       changes;
  guint       announced;   /* n_items as its listeners have been told */
  guint       checks;
} Announced;

static void
on_announced_cb (GListModel *model,
                 guint       position,
                 guint       removed,
                 guint       added,
                 Announced  *a)
{
  a->changes++;
  a->announced = a->announced - removed + added;
}

/* Runs where GTK would lay out: a model read there must say what its
 * listeners have heard, not more. A timeout, like GDK's frame clock, so
 * that it lets the connection's low-priority drain run in between. */
static gboolean
check_announced_cb (gpointer user_data)
{
  Announced *a = user_data;

  g_assert_cmpuint (g_list_model_get_n_items (a->model), ==, a->announced);
  a->checks++;
  return G_SOURCE_CONTINUE;
}

static void
test_replay_batch (Fixture       *f,
                   gconstpointer  data)
{
  Announced a = { NULL };
  JsonObject *hello;
  guint check_id;

  /* Counts changes per dispatch: a budget running out on a slow machine
   * would split a dispatch and the count with it. */
  f->timings.dispatch_budget_ms = 60 * 1000;
  apply_timings (f);
  first_sync (f);
  tl_test_peer_close (f->peer, 1001, NULL);
  for (gint64 seq = 3; seq < 53; seq++)
    {
      g_autofree char *id = g_strdup_printf ("m-r%02" G_GINT64_FORMAT, seq);

      emit (f, seq, added_line (seq, id, "c-1", (int) (seq % 60)), FALSE);
    }

  a.model = tl_conversation_get_messages (tl_store_lookup_conversation (f->store, "c-1"));
  a.announced = g_list_model_get_n_items (a.model);
  g_signal_connect (a.model, "items-changed", G_CALLBACK (on_announced_cb), &a);
  check_id = g_timeout_add_full (G_PRIORITY_HIGH_IDLE + 20, 1, check_announced_cb, &a, NULL);

  hello = tl_test_peer_wait_frame (f->peer, "hello");
  g_assert_cmpint (resume_seq (hello), ==, 2);
  /* The replay in two bursts, with the main loop running in between. */
  send_welcome (f, "replay", "e-1", log_head (f));
  for (guint i = 0; i < f->log->len; i++)
    {
      LogEntry *entry = &g_array_index (f->log, LogEntry, i);

      if (entry->seq > 2 && *entry->line != '\0')
        tl_test_peer_send (f->peer, entry->line);
      if (entry->seq == 27)
        {
          guint checks;

          TL_WAIT_UNTIL (tl_store_get_seq (f->store) == 27);
          checks = a.checks;
          TL_WAIT_UNTIL (a.checks > checks);
        }
    }
  tl_test_peer_sendf (f->peer, "{\"type\":\"replay-done\",\"seq\":%" G_GINT64_FORMAT "}", log_head (f));
  TL_WAIT_UNTIL (state (f) == TL_CONNECTION_STATE_LIVE);
  flush_batches ();
  g_source_remove (check_id);
  g_assert_cmpint (tl_store_get_seq (f->store), ==, 52);
  /* Fifty events in a change per dispatch, not one each. */
  g_assert_cmpuint (a.changes, >=, 1);
  g_assert_cmpuint (a.changes, <=, 5);
  g_assert_cmpuint (a.checks, >, 0);
  g_signal_handlers_disconnect_by_data (a.model, &a);
  assert_dump_is_truth (f);
}

static void
test_snapshot_swap (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *m1 = message_json ("m-1", "c-1", 1, "one");
  g_autofree char *m9 = message_json ("m-9", "c-2", 9, "nine");
  g_autofree char *p1 = g_strdup_printf ("\"conversationId\":\"c-1\",\"messages\":[%s]", m1);
  g_autofree char *p2 = g_strdup_printf ("\"conversationId\":\"c-2\",\"messages\":[%s]", m9);
  const char *pages[] = { p1, p2, NULL };
  g_autofree char *m3 = message_json ("m-3", "c-1", 3, "three");
  g_autofree char *page = NULL;
  g_autofree char *end = NULL;
  JsonObject *hello;

  tl_connection_start (f->conn);
  tl_test_peer_wait_frame (f->peer, "hello");
  serve_snapshot (f, "e-1", 2, "[{\"id\":\"c-1\"},{\"id\":\"c-2\",\"title\":\"Old\"}]", pages);
  TL_WAIT_UNTIL (state (f) == TL_CONNECTION_STATE_LIVE);
  assert_dump_is_truth (f);

  /* The server restarts with a new epoch: its state lost c-2. */
  tl_test_peer_close (f->peer, 4005, NULL);
  hello = tl_test_peer_wait_frame (f->peer, "hello");
  g_assert_cmpint (resume_seq (hello), ==, 2);

  g_ptr_array_set_size (f->truth, 0);
  send_welcome (f, "snapshot", "e-2", 10);
  send_truth (f, "{\"type\":\"snapshot-begin\",\"epoch\":\"e-2\",\"atSeq\":10}");
  send_truth (f, "{\"type\":\"snapshot-conversations\",\"conversations\":[{\"id\":\"c-1\"}]}");
  TL_WAIT_UNTIL (tl_store_get_in_snapshot (f->store));
  /* The old state stays visible until snapshot-end. */
  g_assert_nonnull (tl_store_lookup_conversation (f->store, "c-2"));
  g_assert_nonnull (tl_store_lookup_message (f->store, "m-9"));
  g_assert_cmpint (state (f), ==, TL_CONNECTION_STATE_SYNCING);

  page = g_strdup_printf ("{\"type\":\"snapshot-messages\",\"conversationId\":\"c-1\","
                          "\"messages\":[%s,%s]}", m1, m3);
  send_truth (f, page);
  end = g_strdup ("{\"type\":\"snapshot-end\",\"atSeq\":10}");
  send_truth (f, end);
  TL_WAIT_UNTIL (state (f) == TL_CONNECTION_STATE_LIVE);

  g_assert_null (tl_store_lookup_conversation (f->store, "c-2"));
  g_assert_null (tl_store_lookup_message (f->store, "m-9"));
  g_assert_nonnull (tl_store_lookup_message (f->store, "m-3"));
  g_assert_cmpstr (tl_store_get_epoch (f->store), ==, "e-2");
  g_assert_cmpint (tl_store_get_seq (f->store), ==, 10);
  assert_dump_is_truth (f);
}

static void
test_duplicates_after_resume (Fixture       *f,
                              gconstpointer  data)
{
  JsonObject *hello;

  first_sync (f);
  emit (f, 3, added_line (3, "m-3", "c-1", 3), TRUE);
  emit (f, 4, added_line (4, "m-4", "c-1", 4), TRUE);
  TL_WAIT_UNTIL (tl_store_get_seq (f->store) == 4);
  tl_test_peer_close (f->peer, 1001, NULL);
  emit (f, 5, added_line (5, "m-5", "c-1", 5), FALSE);

  hello = tl_test_peer_wait_frame (f->peer, "hello");
  g_assert_cmpint (resume_seq (hello), ==, 4);
  /* An at-least-once server replays more than asked. */
  serve_replay (f, "e-1", 2);
  TL_WAIT_UNTIL (state (f) == TL_CONNECTION_STATE_LIVE);
  /* And a live duplicate too. */
  tl_test_peer_send (f->peer, g_array_index (f->log, LogEntry, 2).line);
  emit (f, 6, added_line (6, "m-6", "c-1", 6), TRUE);
  TL_WAIT_UNTIL (tl_store_get_seq (f->store) == 6);
  g_assert_cmpuint (count_messages (f, "c-1"), ==, 6);
  g_assert_cmpuint (tl_test_peer_get_n_connections (f->peer), ==, 2);
  assert_dump_is_truth (f);
}

static void
test_skipped_seq (Fixture       *f,
                  gconstpointer  data)
{
  JsonObject *hello;

  first_sync (f);
  emit (f, 3, added_line (3, "m-3", "c-1", 3), TRUE);
  emit (f, 4, added_line (4, "m-4", "c-1", 4), FALSE);   /* lost */
  emit (f, 5, added_line (5, "m-5", "c-1", 5), TRUE);

  TL_WAIT_UNTIL (tl_test_peer_get_client_close_code (f->peer) == 4001);
  g_assert_cmpint (tl_store_get_seq (f->store), ==, 3);
  g_assert_null (tl_store_lookup_message (f->store, "m-5"));

  hello = tl_test_peer_wait_frame (f->peer, "hello");
  g_assert_cmpint (resume_seq (hello), ==, 3);
  serve_replay (f, "e-1", 3);
  TL_WAIT_UNTIL (state (f) == TL_CONNECTION_STATE_LIVE && tl_store_get_seq (f->store) == 5);
  assert_dump_is_truth (f);
}

static void
test_silent_gap (Fixture       *f,
                 gconstpointer  data)
{
  JsonObject *hello;

  first_sync (f);
  emit (f, 3, added_line (3, "m-3", "c-1", 3), FALSE);   /* never arrives */
  tl_test_peer_send (f->peer, "{\"type\":\"heartbeat\",\"headSeq\":3}");

  TL_WAIT_UNTIL (tl_test_peer_get_client_close_code (f->peer) == 4001);
  hello = tl_test_peer_wait_frame (f->peer, "hello");
  g_assert_cmpint (resume_seq (hello), ==, 2);
  serve_replay (f, "e-1", 2);
  TL_WAIT_UNTIL (state (f) == TL_CONNECTION_STATE_LIVE && tl_store_get_seq (f->store) == 3);
  assert_dump_is_truth (f);
}

static const char *streaming_m77 =
  "{\"type\":\"message-added\",\"seq\":3,\"message\":{\"id\":\"m-77\",\"conversationId\":\"c-1\","
  "\"role\":\"assistant\",\"parts\":[],\"status\":\"streaming\","
  "\"createdAt\":\"2026-12-03T10:00:07.000Z\"}}";
static const char *final_m77 =
  "{\"type\":\"message-updated\",\"seq\":4,\"message\":{\"id\":\"m-77\",\"conversationId\":\"c-1\","
  "\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"text\":\"Hello\",\"state\":\"done\"}],"
  "\"status\":\"sent\",\"createdAt\":\"2026-12-03T10:00:07.000Z\"}}";

static char *
chunk_line (int         sequence,
            const char *chunk)
{
  return g_strdup_printf ("{\"type\":\"stream-chunk\",\"conversationId\":\"c-1\","
                          "\"messageId\":\"m-77\",\"sequence\":%d,\"chunk\":%s}", sequence, chunk);
}

static const char *chunks[] = {
  NULL,
  "{\"type\":\"start\",\"messageId\":\"m-77\"}",
  "{\"type\":\"text-start\",\"id\":\"t1\"}",
  "{\"type\":\"text-delta\",\"id\":\"t1\",\"delta\":\"Hel\"}",
  "{\"type\":\"text-delta\",\"id\":\"t1\",\"delta\":\"lo\"}",
  "{\"type\":\"text-end\",\"id\":\"t1\"}",
  "{\"type\":\"finish\",\"messageId\":\"m-77\"}",
};

static void
test_stream_resumed (Fixture       *f,
                     gconstpointer  data)
{
  JsonObject *hello;
  JsonArray *streams;
  JsonObject *stream;

  first_sync (f);
  emit (f, 3, g_strdup (streaming_m77), TRUE);
  for (int i = 1; i <= 3; i++)
    {
      g_autofree char *line = chunk_line (i, chunks[i]);

      send_truth (f, line);
    }
  TL_WAIT_UNTIL (tl_store_get_stream_sequence (f->store, "m-77") == 3);
  tl_test_peer_reset (f->peer);

  hello = tl_test_peer_wait_frame (f->peer, "hello");
  g_assert_cmpint (resume_seq (hello), ==, 3);
  streams = json_object_get_array_member (hello, "streams");
  g_assert_cmpuint (json_array_get_length (streams), ==, 1);
  stream = json_array_get_object_element (streams, 0);
  g_assert_cmpstr (json_object_get_string_member (stream, "messageId"), ==, "m-77");
  g_assert_cmpint (json_object_get_int_member (stream, "sequence"), ==, 3);

  serve_replay (f, "e-1", 3);
  for (int i = 4; i <= 5; i++)
    {
      g_autofree char *line = chunk_line (i, chunks[i]);

      send_truth (f, line);
    }
  TL_WAIT_UNTIL (tl_store_get_stream_sequence (f->store, "m-77") == 5);
  /* The chunks built what the server streamed, nothing twice. */
  assert_dump_is_truth (f);

  {
    g_autofree char *line = chunk_line (6, chunks[6]);

    send_truth (f, line);
  }
  emit (f, 4, g_strdup (final_m77), TRUE);
  TL_WAIT_UNTIL (tl_store_get_seq (f->store) == 4);
  assert_dump_is_truth (f);
}

static void
test_stream_gap_get_message (Fixture       *f,
                             gconstpointer  data)
{
  JsonObject *request;
  g_autofree char *chunk4 = chunk_line (4, chunks[4]);

  first_sync (f);
  emit (f, 3, g_strdup (streaming_m77), TRUE);
  for (int i = 1; i <= 2; i++)
    {
      g_autofree char *line = chunk_line (i, chunks[i]);

      tl_test_peer_send (f->peer, line);
    }
  /* Chunk 3 is lost; 4 is buffered. */
  tl_test_peer_send (f->peer, chunk4);

  request = tl_test_peer_wait_frame (f->peer, "get-message");
  g_assert_cmpstr (json_object_get_string_member (request, "messageId"), ==, "m-77");
  g_assert_true (tl_store_stream_has_gap (f->store, "m-77"));
  g_assert_false (tl_connection_is_idle (f->conn));

  tl_test_peer_sendf (f->peer,
                      "{\"type\":\"ack\",\"requestId\":\"%s\",\"message\":{\"id\":\"m-77\","
                      "\"conversationId\":\"c-1\",\"role\":\"assistant\",\"parts\":[{\"type\":"
                      "\"text\",\"text\":\"Hel\",\"state\":\"streaming\"}],\"status\":\"streaming\","
                      "\"createdAt\":\"2026-12-03T10:00:07.000Z\"},\"streamSequence\":3}",
                      json_object_get_string_member (request, "requestId"));
  TL_WAIT_UNTIL (tl_store_get_stream_sequence (f->store, "m-77") == 4);
  g_assert_false (tl_store_stream_has_gap (f->store, "m-77"));
  g_assert_true (tl_connection_is_idle (f->conn));

  for (int i = 5; i <= 6; i++)
    {
      g_autofree char *line = chunk_line (i, chunks[i]);

      tl_test_peer_send (f->peer, line);
    }
  emit (f, 4, g_strdup (final_m77), TRUE);
  TL_WAIT_UNTIL (tl_store_get_seq (f->store) == 4);
  assert_dump_is_truth (f);
  g_assert_cmpuint (tl_test_peer_count_frames (f->peer, "get-message"), ==, 1);
}

/* The server's side of an accepted send-message at @seq. */
static char *
echo_line (JsonObject *send,
           gint64      seq)
{
  JsonObject *message = json_object_get_object_member (send, "message");

  return g_strdup_printf ("{\"type\":\"message-added\",\"seq\":%" G_GINT64_FORMAT
                          ",\"message\":{\"id\":\"%s\",\"conversationId\":\"%s\",\"role\":\"user\","
                          "\"parts\":[{\"type\":\"text\",\"text\":\"hello\"}],\"status\":\"sent\","
                          "\"createdAt\":\"2026-12-03T10:01:00.000Z\",\"author\":{\"id\":\"u-1\"}}}",
                          seq, json_object_get_string_member (message, "id"),
                          json_object_get_string_member (message, "conversationId"));
}

static void
send_ack (Fixture    *f,
          JsonObject *send,
          gint64      seq)
{
  g_autofree char *echo = echo_line (send, seq);
  g_autoptr(JsonNode) root = json_from_string (echo, NULL);
  g_autofree char *message = json_to_string (json_object_get_member (json_node_get_object (root),
                                                                     "message"), FALSE);

  tl_test_peer_sendf (f->peer, "{\"type\":\"ack\",\"requestId\":\"%s\",\"messageId\":\"%s\","
                      "\"seq\":%" G_GINT64_FORMAT ",\"message\":%s}",
                      json_object_get_string_member (send, "requestId"),
                      json_object_get_string_member (json_object_get_object_member (send, "message"), "id"),
                      seq, message);
}

static const char *
message_status (Fixture    *f,
                const char *id)
{
  TlMessage *message = tl_store_lookup_message (f->store, id);

  return message ? tl_message_get_status (message) : NULL;
}

static void
test_send_lost_ack (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  JsonObject *first, *second;

  first_sync (f);
  id = tl_connection_send_message (f->conn, "c-1", "hello", &error);
  g_assert_no_error (error);
  /* Shown at once. */
  g_assert_cmpstr (message_status (f, id), ==, "sending");
  g_assert_cmpuint (count_messages (f, "c-1"), ==, 3);

  first = tl_test_peer_wait_frame (f->peer, "send-message");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (first, "message"), "id"),
                   ==, id);
  /* No reply: after the resend interval it comes again, same id. */
  second = tl_test_peer_wait_frame (f->peer, "send-message");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (second, "message"), "id"),
                   ==, id);
  g_assert_cmpstr (json_object_get_string_member (first, "requestId"), !=,
                   json_object_get_string_member (second, "requestId"));

  emit (f, 3, echo_line (second, 3), TRUE);
  send_ack (f, second, 3);
  TL_WAIT_UNTIL (f->confirmed->len == 1);
  TL_WAIT_UNTIL (tl_connection_is_idle (f->conn));
  g_assert_cmpstr (f->confirmed->pdata[0], ==, id);
  g_assert_cmpstr (message_status (f, id), ==, "sent");
  g_assert_cmpuint (count_messages (f, "c-1"), ==, 3);
  assert_dump_is_truth (f);
}

static void
test_send_lost_echo (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *id = NULL;
  JsonObject *send, *hello;

  first_sync (f);
  id = tl_connection_send_message (f->conn, "c-1", "hello", NULL);
  send = tl_test_peer_wait_frame (f->peer, "send-message");
  /* The ack arrives, its echo (seq 3) is lost. */
  emit (f, 3, echo_line (send, 3), FALSE);
  send_ack (f, send, 3);
  TL_WAIT_UNTIL (f->confirmed->len == 1);
  g_assert_cmpstr (message_status (f, id), ==, "sent");
  g_assert_cmpint (tl_store_get_seq (f->store), ==, 2);

  /* The next heartbeat shows the server ahead: resume and replay. */
  tl_test_peer_send (f->peer, "{\"type\":\"heartbeat\",\"headSeq\":3}");
  hello = tl_test_peer_wait_frame (f->peer, "hello");
  g_assert_cmpint (resume_seq (hello), ==, 2);
  serve_replay (f, "e-1", 2);
  TL_WAIT_UNTIL (state (f) == TL_CONNECTION_STATE_LIVE && tl_store_get_seq (f->store) == 3);
  g_assert_cmpuint (count_messages (f, "c-1"), ==, 3);
  g_assert_cmpuint (tl_test_peer_count_frames (f->peer, "send-message"), ==, 1);
  assert_dump_is_truth (f);
}

static void
test_send_offline (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *id = NULL;
  JsonObject *send, *hello;
  guint upgrades;

  first_sync (f);
  tl_test_peer_set_refuse (f->peer, 503, NULL);
  tl_test_peer_close (f->peer, 1001, NULL);
  upgrades = tl_test_peer_get_n_upgrades (f->peer);
  TL_WAIT_UNTIL (tl_test_peer_get_n_upgrades (f->peer) >= upgrades + 2);
  g_assert_cmpint (state (f), !=, TL_CONNECTION_STATE_LIVE);

  id = tl_connection_send_message (f->conn, "c-1", "hello", NULL);
  g_assert_nonnull (id);
  g_assert_cmpstr (message_status (f, id), ==, "sending");

  tl_test_peer_set_refuse (f->peer, 0, NULL);
  hello = tl_test_peer_wait_frame (f->peer, "hello");
  g_assert_cmpint (resume_seq (hello), ==, 2);
  g_assert_cmpuint (tl_test_peer_count_frames (f->peer, "send-message"), ==, 0);
  serve_replay (f, "e-1", 2);

  send = tl_test_peer_wait_frame (f->peer, "send-message");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (send, "message"), "id"),
                   ==, id);
  emit (f, 3, echo_line (send, 3), TRUE);
  TL_WAIT_UNTIL (f->confirmed->len == 1);
  send_ack (f, send, 3);
  TL_WAIT_UNTIL (tl_connection_is_idle (f->conn));
  tl_test_run_for (20);
  g_assert_cmpuint (count_messages (f, "c-1"), ==, 3);
  assert_dump_is_truth (f);
}

static void
test_send_reconnect_before_ack (Fixture       *f,
                                gconstpointer  data)
{
  g_autofree char *id = NULL;
  JsonObject *send, *hello;

  first_sync (f);
  id = tl_connection_send_message (f->conn, "c-1", "hello", NULL);
  send = tl_test_peer_wait_frame (f->peer, "send-message");
  /* The server took it (seq 3) but the connection dropped before any reply. */
  emit (f, 3, echo_line (send, 3), FALSE);
  tl_test_peer_reset (f->peer);

  hello = tl_test_peer_wait_frame (f->peer, "hello");
  g_assert_cmpint (resume_seq (hello), ==, 2);
  serve_replay (f, "e-1", 2);
  TL_WAIT_UNTIL (f->confirmed->len == 1);
  TL_WAIT_UNTIL (state (f) == TL_CONNECTION_STATE_LIVE);
  tl_test_run_for (20);
  g_assert_cmpuint (count_messages (f, "c-1"), ==, 3);
  assert_dump_is_truth (f);
}

static void
test_send_resent_after_reconnect (Fixture       *f,
                                  gconstpointer  data)
{
  g_autofree char *id = NULL;
  JsonObject *send, *again, *hello;

  first_sync (f);
  id = tl_connection_send_message (f->conn, "c-1", "hello", NULL);
  send = tl_test_peer_wait_frame (f->peer, "send-message");
  /* Lost before the server saw it. */
  tl_test_peer_close (f->peer, 1001, NULL);
  hello = tl_test_peer_wait_frame (f->peer, "hello");
  serve_replay (f, "e-1", resume_seq (hello));
  again = tl_test_peer_wait_frame (f->peer, "send-message");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (again, "message"), "id"),
                   ==, json_object_get_string_member (json_object_get_object_member (send, "message"), "id"));
  send_ack (f, again, 3);
  emit (f, 3, echo_line (again, 3), TRUE);
  TL_WAIT_UNTIL (f->confirmed->len == 1 && tl_store_get_seq (f->store) == 3);
  g_assert_cmpuint (count_messages (f, "c-1"), ==, 3);
  assert_dump_is_truth (f);
}

static void
test_send_error (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *id = NULL;
  JsonObject *send;

  first_sync (f);
  id = tl_connection_send_message (f->conn, "c-1", "hello", NULL);
  send = tl_test_peer_wait_frame (f->peer, "send-message");
  tl_test_peer_sendf (f->peer, "{\"type\":\"error\",\"requestId\":\"%s\",\"code\":\"not-found\","
                      "\"message\":\"no such conversation\",\"retryable\":false}",
                      json_object_get_string_member (send, "requestId"));
  TL_WAIT_UNTIL (f->failed->len == 1);
  g_assert_cmpstr (message_status (f, id), ==, "error");
  g_assert_true (tl_connection_retry_message (f->conn, id));
  g_assert_cmpstr (message_status (f, id), ==, "sending");
  send = tl_test_peer_wait_frame (f->peer, "send-message");
  emit (f, 3, echo_line (send, 3), TRUE);
  TL_WAIT_UNTIL (f->confirmed->len == 1);
  assert_dump_is_truth (f);
}

static void
test_order_per_conversation (Fixture       *f,
                             gconstpointer  data)
{
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  JsonObject *send;

  first_sync (f);
  a = tl_connection_send_message (f->conn, "c-1", "hello", NULL);
  b = tl_connection_send_message (f->conn, "c-1", "hello", NULL);
  send = tl_test_peer_wait_frame (f->peer, "send-message");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (send, "message"), "id"),
                   ==, a);
  tl_test_run_for (50);
  /* One in flight per conversation. */
  g_assert_cmpuint (tl_test_peer_count_frames (f->peer, "send-message"), ==, 1);
  emit (f, 3, echo_line (send, 3), TRUE);
  send = tl_test_peer_wait_frame (f->peer, "send-message");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (send, "message"), "id"),
                   ==, b);
  emit (f, 4, echo_line (send, 4), TRUE);
  TL_WAIT_UNTIL (f->confirmed->len == 2);
  assert_dump_is_truth (f);
}

static void
assert_stopped (Fixture           *f,
                TlConnectionState  expected)
{
  guint upgrades;

  TL_WAIT_UNTIL (state (f) == expected);
  upgrades = tl_test_peer_get_n_upgrades (f->peer);
  /* Many backoff periods later: still no new attempt. */
  tl_test_run_for (150);
  g_assert_cmpuint (tl_test_peer_get_n_upgrades (f->peer), ==, upgrades);
  g_assert_cmpint (state (f), ==, expected);
  g_assert_nonnull (tl_connection_get_last_error (f->conn));
}

static void
test_close_4004 (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *id = NULL;

  first_sync (f);
  tl_test_peer_set_auto_pong (f->peer, TRUE);
  tl_test_peer_close (f->peer, 4004, NULL);
  assert_stopped (f, TL_CONNECTION_STATE_STOPPED_AUTH_FAILED);
  /* The outbox is kept for after the next sign-in. */
  id = tl_connection_send_message (f->conn, "c-1", "hello", NULL);
  g_assert_cmpstr (message_status (f, id), ==, "sending");
  g_assert_false (tl_connection_is_idle (f->conn));
}

static void
test_upgrade_401 (Fixture       *f,
                  gconstpointer  data)
{
  tl_test_peer_set_refuse (f->peer, 401, NULL);
  tl_connection_start (f->conn);
  assert_stopped (f, TL_CONNECTION_STATE_STOPPED_AUTH_FAILED);
  g_assert_cmpuint (tl_test_peer_get_n_upgrades (f->peer), ==, 1);
}

static void
test_close_4010 (Fixture       *f,
                 gconstpointer  data)
{
  first_sync (f);
  tl_test_peer_close (f->peer, 4010, NULL);
  assert_stopped (f, TL_CONNECTION_STATE_STOPPED_PROTOCOL_UNSUPPORTED);
}

static void
test_close_1000 (Fixture       *f,
                 gconstpointer  data)
{
  first_sync (f);
  tl_test_peer_close (f->peer, 1000, NULL);
  assert_stopped (f, TL_CONNECTION_STATE_STOPPED_CLOSED);
}

static void
test_close_4011 (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GRand) replica = g_rand_new_with_seed (42);
  gint64 expected_ms, closed_at;
  JsonObject *hello;

  f->timings.restart_max_ms = 300;
  apply_timings (f);
  first_sync (f);
  /* The first draw of the injected RNG is the 4011 delay. */
  expected_ms = g_rand_int_range (replica, 0, 301);

  closed_at = g_get_monotonic_time ();
  tl_test_peer_close (f->peer, 4011, NULL);
  /* Offline, the connection says when it will try again. */
  TL_WAIT_UNTIL (state (f) == TL_CONNECTION_STATE_OFFLINE);
  g_assert_cmpint (tl_connection_get_retry_at (f->conn), >=, closed_at + (expected_ms - 2) * 1000);
  g_assert_cmpint (tl_connection_get_retry_at (f->conn), <=, g_get_monotonic_time () + 301 * 1000);
  hello = tl_test_peer_wait_frame (f->peer, "hello");
  g_assert_cmpint ((g_get_monotonic_time () - closed_at) / 1000, >=, expected_ms - 2);
  g_assert_cmpint (resume_seq (hello), ==, 2);
  serve_replay (f, "e-1", 2);
  TL_WAIT_UNTIL (state (f) == TL_CONNECTION_STATE_LIVE);
  assert_dump_is_truth (f);
}

static void
test_close_4008 (Fixture       *f,
                 gconstpointer  data)
{
  gint64 closed_at;

  first_sync (f);
  closed_at = g_get_monotonic_time ();
  tl_test_peer_close (f->peer, 4008, "{\"retryAfterMs\":150}");
  tl_test_peer_wait_frame (f->peer, "hello");
  g_assert_cmpint ((g_get_monotonic_time () - closed_at) / 1000, >=, 148);
}

static void
test_upgrade_503 (Fixture       *f,
                  gconstpointer  data)
{
  tl_test_peer_set_refuse (f->peer, 503, NULL);
  tl_connection_start (f->conn);
  TL_WAIT_UNTIL (tl_test_peer_get_n_upgrades (f->peer) >= 3);
  g_assert_cmpint (tl_test_peer_get_n_connections (f->peer), ==, 0);
  tl_test_peer_set_refuse (f->peer, 0, NULL);
  tl_test_peer_wait_frame (f->peer, "hello");
  g_assert_true (tl_test_peer_is_connected (f->peer));
}

static void
test_undecodable_snapshot (Fixture       *f,
                           gconstpointer  data)
{
  JsonObject *hello;

  first_sync (f);
  /* Two in a row, then a good frame: the run is broken. */
  tl_test_peer_send (f->peer, "{not json");
  tl_test_peer_send (f->peer, "[1,2]");
  tl_test_peer_send (f->peer, "{\"type\":\"heartbeat\",\"headSeq\":2}");
  tl_test_peer_send_binary (f->peer, "\x01\x02", 2);
  tl_test_peer_send (f->peer, "{\"type\":42}");
  tl_test_peer_send (f->peer, "{\"no\":\"type\"}");
  emit (f, 3, added_line (3, "m-3", "c-1", 3), TRUE);
  TL_WAIT_UNTIL (tl_store_get_seq (f->store) == 3);
  g_assert_cmpuint (tl_test_peer_get_n_connections (f->peer), ==, 1);

  /* Three in a row: start over from a snapshot. */
  tl_test_peer_send (f->peer, "{bad");
  tl_test_peer_send (f->peer, "\"string\"");
  tl_test_peer_send (f->peer, "{\"type\":\"x\",");
  TL_WAIT_UNTIL (tl_test_peer_get_client_close_code (f->peer) == 4003);
  hello = tl_test_peer_wait_frame (f->peer, "hello");
  g_assert_cmpint (resume_seq (hello), ==, -1);
  {
    g_autofree char *m1 = message_json ("m-1", "c-1", 1, "one");
    g_autofree char *page = g_strdup_printf ("\"conversationId\":\"c-1\",\"messages\":[%s]", m1);
    const char *pages[] = { page, NULL };

    serve_snapshot (f, "e-1", 7, "[{\"id\":\"c-1\"}]", pages);
  }
  TL_WAIT_UNTIL (state (f) == TL_CONNECTION_STATE_LIVE);
  assert_dump_is_truth (f);

  /* Back to normal: the next reconnect resumes. */
  tl_test_peer_close (f->peer, 1001, NULL);
  hello = tl_test_peer_wait_frame (f->peer, "hello");
  g_assert_cmpint (resume_seq (hello), ==, 7);
}

static void
test_server_4003_thrice (Fixture       *f,
                         gconstpointer  data)
{
  JsonObject *hello;

  first_sync (f);
  /* The server could not decode us, three connections in a row. */
  for (guint i = 0; i < 3; i++)
    {
      tl_test_peer_close (f->peer, 4003, NULL);
      hello = tl_test_peer_wait_frame (f->peer, "hello");
      if (i < 2)
        {
          g_assert_cmpint (resume_seq (hello), ==, 2);
          serve_replay (f, "e-1", 2);
          TL_WAIT_UNTIL (state (f) == TL_CONNECTION_STATE_LIVE);
        }
    }
  /* The third asks for a snapshot. */
  g_assert_cmpint (resume_seq (hello), ==, -1);
}

static void
test_invalid_event_skipped (Fixture       *f,
                            gconstpointer  data)
{
  first_sync (f);
  /* A known type with a bad payload, and an unknown type: both consume
   * their seq, neither disconnects. */
  emit (f, 3, g_strdup ("{\"type\":\"conversation-updated\",\"seq\":3,"
                        "\"conversation\":{\"id\":\"c-1\",\"title\":42}}"), TRUE);
  emit (f, 4, g_strdup ("{\"type\":\"future-thing\",\"seq\":4}"), TRUE);
  /* A durable event without seq is invalid live. */
  tl_test_peer_send (f->peer, "{\"type\":\"conversation-removed\",\"conversationId\":\"c-1\"}");
  emit (f, 5, added_line (5, "m-5", "c-1", 5), TRUE);
  TL_WAIT_UNTIL (tl_store_get_seq (f->store) == 5);
  tl_test_run_for (30);
  g_assert_cmpuint (tl_test_peer_get_n_connections (f->peer), ==, 1);
  g_assert_nonnull (tl_store_lookup_conversation (f->store, "c-1"));
  assert_dump_is_truth (f);
}

static gint64 fake_offset;

static gint64
fake_wall_clock (gpointer user_data)
{
  return g_get_real_time () + fake_offset;
}

static void
test_clock_jump_probe (Fixture       *f,
                       gconstpointer  data)
{
  TlWakeup *wakeup = tl_connection_get_wakeup (f->conn);

  fake_offset = 0;
  tl_wakeup_set_wall_clock (wakeup, fake_wall_clock, NULL);
  f->timings.clock_check_ms = 10;
  apply_timings (f);
  first_sync (f);
  tl_test_run_for (40);
  g_assert_cmpuint (tl_test_peer_count_frames (f->peer, "ping"), ==, 0);

  fake_offset = (gint64) 3600 * G_USEC_PER_SEC;
  tl_test_peer_wait_frame (f->peer, "ping");
  tl_test_run_for (30);
  /* One probe, answered; no reconnect. */
  g_assert_cmpuint (tl_test_peer_count_frames (f->peer, "ping"), ==, 1);
  g_assert_cmpuint (tl_test_peer_get_n_connections (f->peer), ==, 1);
  tl_wakeup_set_wall_clock (wakeup, NULL, NULL);
}

static void
test_typing_cleared_on_disconnect (Fixture       *f,
                                   gconstpointer  data)
{
  TlConversation *conversation;

  first_sync (f);
  tl_test_peer_send (f->peer, "{\"type\":\"typing\",\"conversationId\":\"c-1\",\"userId\":\"u-2\","
                     "\"isTyping\":true}");
  conversation = tl_store_lookup_conversation (f->store, "c-1");
  TL_WAIT_UNTIL (tl_conversation_get_typing (conversation)[0] != NULL);
  tl_test_peer_close (f->peer, 1001, NULL);
  TL_WAIT_UNTIL (state (f) != TL_CONNECTION_STATE_LIVE);
  g_assert_null (tl_conversation_get_typing (conversation)[0]);
}

static void
test_give_up_after_timeout (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *id = NULL;

  f->timings.give_up_ms = 150;
  apply_timings (f);
  first_sync (f);
  tl_test_peer_set_refuse (f->peer, 503, NULL);
  tl_test_peer_close (f->peer, 1001, NULL);
  TL_WAIT_UNTIL (state (f) != TL_CONNECTION_STATE_LIVE);
  id = tl_connection_send_message (f->conn, "c-1", "hello", NULL);
  g_assert_cmpstr (message_status (f, id), ==, "sending");
  TL_WAIT_UNTIL (f->failed->len == 1);
  g_assert_cmpstr (f->failed->pdata[0], ==, id);
  g_assert_cmpstr (message_status (f, id), ==, "error");
  /* The row stays, once, marked error. */
  g_assert_cmpuint (count_messages (f, "c-1"), ==, 3);
}

static void
test_oversized_frame_resumes (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GString) big = g_string_new ("{\"type\":\"heartbeat\",\"pad\":\"");
  JsonObject *hello;

  first_sync (f);
  /* Exactly the limit is accepted... */
  while (big->len < TL_FRAME_MAX_SIZE - 2)
    g_string_append_c (big, 'x');
  g_string_append (big, "\"}");
  g_assert_cmpuint (big->len, ==, TL_FRAME_MAX_SIZE);
  tl_test_peer_send (f->peer, big->str);
  emit (f, 3, added_line (3, "m-3", "c-1", 3), TRUE);
  TL_WAIT_UNTIL (tl_store_get_seq (f->store) == 3);
  g_assert_cmpuint (tl_test_peer_get_n_connections (f->peer), ==, 1);

  /* One byte more reaches the application, which skips it as undecodable
   * (libsoup 3.2.3 accepts a payload equal to max-incoming-payload-size). */
  g_string_insert_c (big, big->len - 2, 'x');
  tl_test_peer_send (f->peer, big->str);
  emit (f, 4, added_line (4, "m-4", "c-1", 4), TRUE);
  TL_WAIT_UNTIL (tl_store_get_seq (f->store) == 4);
  g_assert_cmpuint (tl_test_peer_get_n_connections (f->peer), ==, 1);

  /* Two more, and libsoup closes (1009): handled like 4000. */
  g_string_insert_c (big, big->len - 2, 'x');
  g_string_insert_c (big, big->len - 2, 'x');
  tl_test_peer_send (f->peer, big->str);
  hello = tl_test_peer_wait_frame (f->peer, "hello");
  g_assert_cmpint (resume_seq (hello), ==, 4);
  serve_replay (f, "e-1", 4);
  TL_WAIT_UNTIL (state (f) == TL_CONNECTION_STATE_LIVE);
  assert_dump_is_truth (f);
}

static void
test_one_probe_in_flight (Fixture       *f,
                          gconstpointer  data)
{
  guint a, b;

  first_sync (f);
  tl_test_peer_set_auto_pong (f->peer, FALSE);
  a = tl_connection_probe (f->conn);
  b = tl_connection_probe (f->conn);
  g_assert_cmpuint (a, !=, 0);
  g_assert_cmpuint (a, ==, b);
  tl_test_peer_wait_frame (f->peer, "ping");
  tl_test_run_for (30);
  g_assert_cmpuint (tl_test_peer_count_frames (f->peer, "ping"), ==, 1);
}

static void
on_history_loaded_cb (TlConnection *conn,
                      const char   *conversation_id,
                      gboolean      has_more,
                      const char   *cursor,
                      gboolean     *loaded)
{
  *loaded = TRUE;
}

static void
test_load_history_batch (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *request_id = NULL;
  g_autofree char *h1 = message_json ("h-1", "c-1", 0, "old");
  g_autofree char *stale = message_json ("m-1", "c-1", 1, "stale copy");
  const char *h2 = "{\"id\":\"h-2\",\"role\":\"user\",\"parts\":[],"
                   "\"createdAt\":\"2026-12-03T09:00:00.000Z\"}";
  JsonObject *request;
  gboolean loaded = FALSE;
  guint changes = 0;
  GListModel *messages;

  first_sync (f);
  request_id = tl_connection_load_history (f->conn, "c-1", "cur-1", 50, NULL);
  g_assert_nonnull (request_id);
  request = tl_test_peer_wait_frame (f->peer, "load-history");
  g_assert_cmpstr (json_object_get_string_member (request, "requestId"), ==, request_id);
  g_assert_cmpstr (json_object_get_string_member (request, "cursor"), ==, "cur-1");
  g_assert_false (tl_connection_is_idle (f->conn));

  messages = tl_conversation_get_messages (tl_store_lookup_conversation (f->store, "c-1"));
  g_signal_connect (messages, "items-changed", G_CALLBACK (on_items_changed_cb), &changes);
  g_signal_connect (f->conn, "history-loaded", G_CALLBACK (on_history_loaded_cb), &loaded);
  /* h-2 comes without conversationId: it takes the page's. */
  tl_test_peer_sendf (f->peer, "{\"type\":\"history\",\"requestId\":\"%s\",\"conversationId\":\"c-1\","
                      "\"messages\":[%s,%s,%s],\"hasMoreHistory\":false}", request_id, h2, h1, stale);
  TL_WAIT_UNTIL (loaded);
  flush_batches ();
  g_signal_handlers_disconnect_by_data (messages, &changes);
  g_assert_cmpuint (changes, ==, 1);
  g_assert_cmpuint (count_messages (f, "c-1"), ==, 4);
  g_assert_cmpstr (tl_message_get_conversation_id (tl_store_lookup_message (f->store, "h-2")), ==, "c-1");
  /* A known message is not rolled back to the page's copy. */
  {
    g_autofree char *dump = tl_store_dump (f->store);

    g_assert_null (strstr (dump, "stale copy"));
  }
  g_assert_true (tl_connection_is_idle (f->conn));
}

static void
on_command_reply_cb (TlConnection *conn,
                     const char   *request_id,
                     JsonNode     *reply,
                     char        **out)
{
  g_free (*out);
  *out = g_strdup (request_id);
}

static void
test_commands (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *regenerate = NULL;
  g_autofree char *approval = NULL;
  g_autofree char *replied = NULL;
  JsonObject *frame;

  /* Too large, before anything is shown or queued. */
  {
    g_autofree char *text = g_strnfill (32 * 1024 + 1, 'a');
    g_autofree char *controls = g_strnfill (16 * 1024, '\x01');

    g_assert_null (tl_connection_send_message (f->conn, "c-1", text, &error));
    g_assert_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_TOO_LARGE);
    g_clear_error (&error);
    /* 16 KiB of text, but ~96 KiB once escaped. */
    g_assert_null (tl_connection_send_message (f->conn, "c-1", controls, &error));
    g_assert_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_TOO_LARGE);
    g_clear_error (&error);
  }

  /* Offline: refused, not queued. */
  g_assert_null (tl_connection_regenerate (f->conn, "m-2", &error));
  g_assert_error (error, TL_CONNECTION_ERROR, TL_CONNECTION_ERROR_NOT_CONNECTED);
  g_clear_error (&error);

  first_sync (f);
  g_signal_connect (f->conn, "command-reply", G_CALLBACK (on_command_reply_cb), &replied);
  regenerate = tl_connection_regenerate (f->conn, "m-2", &error);
  g_assert_no_error (error);
  frame = tl_test_peer_wait_frame (f->peer, "regenerate");
  g_assert_cmpstr (json_object_get_string_member (frame, "messageId"), ==, "m-2");
  tl_test_peer_sendf (f->peer, "{\"type\":\"ack\",\"requestId\":\"%s\",\"messageId\":\"m-9\"}",
                      regenerate);
  TL_WAIT_UNTIL (replied != NULL);
  g_assert_cmpstr (replied, ==, regenerate);

  approval = tl_connection_respond_tool_approval (f->conn, "m-2", "call-1", "ap-1", FALSE,
                                                  "not on production", &error);
  g_assert_no_error (error);
  frame = tl_test_peer_wait_frame (f->peer, "respond-tool-approval");
  g_assert_cmpstr (json_object_get_string_member (frame, "toolCallId"), ==, "call-1");
  g_assert_false (json_object_get_boolean_member (frame, "approved"));
  g_assert_cmpstr (json_object_get_string_member (frame, "reason"), ==, "not on production");
  g_assert_true (tl_connection_set_typing (f->conn, "c-1", TRUE, NULL));
  frame = tl_test_peer_wait_frame (f->peer, "set-typing");
  g_assert_false (json_object_has_member (frame, "requestId"));

  /* The client names a new conversation, so it can open it at once. */
  {
    g_autofree char *created = NULL;
    g_autofree char *request = tl_connection_create_conversation (f->conn, "Plans", &created, &error);
    g_autofree char *removed = NULL;
    g_autofree char *removed_message = NULL;
    JsonObject *conversation;

    g_assert_no_error (error);
    g_assert_nonnull (created);
    frame = tl_test_peer_wait_frame (f->peer, "create-conversation");
    g_assert_cmpstr (json_object_get_string_member (frame, "requestId"), ==, request);
    conversation = json_object_get_object_member (frame, "conversation");
    g_assert_cmpstr (json_object_get_string_member (conversation, "id"), ==, created);
    g_assert_cmpstr (json_object_get_string_member (conversation, "title"), ==, "Plans");

    removed = tl_connection_remove_conversation (f->conn, "c-1", &error);
    g_assert_no_error (error);
    frame = tl_test_peer_wait_frame (f->peer, "remove-conversation");
    g_assert_cmpstr (json_object_get_string_member (frame, "conversationId"), ==, "c-1");
    removed_message = tl_connection_remove_message (f->conn, "m-2", &error);
    g_assert_no_error (error);
    frame = tl_test_peer_wait_frame (f->peer, "remove-message");
    g_assert_cmpstr (json_object_get_string_member (frame, "messageId"), ==, "m-2");
  }
  g_signal_handlers_disconnect_by_data (f->conn, &replied);
}

static void
test_send_during_snapshot (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *m1 = message_json ("m-1", "c-1", 1, "one");
  g_autofree char *page = NULL;
  g_autofree char *id = NULL;
  JsonObject *send;

  tl_connection_start (f->conn);
  tl_test_peer_wait_frame (f->peer, "hello");
  send_welcome (f, "snapshot", "e-1", 2);
  send_truth (f, "{\"type\":\"snapshot-begin\",\"epoch\":\"e-1\",\"atSeq\":2}");
  send_truth (f, "{\"type\":\"snapshot-conversations\",\"conversations\":[{\"id\":\"c-1\"}]}");
  TL_WAIT_UNTIL (tl_store_get_in_snapshot (f->store));

  /* The user sends while the snapshot is still arriving. */
  id = tl_connection_send_message (f->conn, "c-1", "hello", NULL);
  g_assert_nonnull (id);

  page = g_strdup_printf ("{\"type\":\"snapshot-messages\",\"conversationId\":\"c-1\","
                          "\"messages\":[%s]}", m1);
  send_truth (f, page);
  send_truth (f, "{\"type\":\"snapshot-end\",\"atSeq\":2}");
  {
    LogEntry base = { 2, g_strdup ("") };

    g_array_append_val (f->log, base);
  }
  TL_WAIT_UNTIL (state (f) == TL_CONNECTION_STATE_LIVE);
  /* Shown once the swap is done, and sent once live. */
  g_assert_cmpstr (message_status (f, id), ==, "sending");
  send = tl_test_peer_wait_frame (f->peer, "send-message");
  emit (f, 3, echo_line (send, 3), TRUE);
  TL_WAIT_UNTIL (f->confirmed->len == 1);
  g_assert_cmpuint (count_messages (f, "c-1"), ==, 2);
  assert_dump_is_truth (f);
}

static gboolean
send_heartbeat_cb (gpointer user_data)
{
  Fixture *f = user_data;

  if (tl_test_peer_is_connected (f->peer))
    tl_test_peer_send (f->peer, "{\"type\":\"heartbeat\",\"headSeq\":2}");
  return G_SOURCE_CONTINUE;
}

static void
test_pong_behind_traffic (Fixture       *f,
                          gconstpointer  data)
{
  guint heartbeat_id;

  f->timings.ping_interval_ms = 30;
  f->timings.pong_timeout_ms = 80;
  f->timings.silence_timeout_ms = 2000;
  apply_timings (f);
  first_sync (f);
  tl_test_peer_set_auto_pong (f->peer, FALSE);

  /* No pong, but frames keep coming (a long snapshot, say): alive. */
  heartbeat_id = g_timeout_add (10, send_heartbeat_cb, f);
  tl_test_peer_wait_frame (f->peer, "ping");
  tl_test_run_for (400);
  g_assert_cmpuint (tl_test_peer_get_n_connections (f->peer), ==, 1);
  g_assert_cmpint (state (f), ==, TL_CONNECTION_STATE_LIVE);

  /* Quiet now: dead within the pong interval, not the silence one. */
  g_source_remove (heartbeat_id);
  TL_WAIT_UNTIL (tl_test_peer_get_client_close_code (f->peer) == 4002);
}

/* A self-signed certificate for 127.0.0.1, made with openssl(1). */
static char *
make_certificate (const char *dir)
{
  g_autofree char *cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key = g_build_filename (dir, "key.pem", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) openssl = NULL;

  openssl = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                              &error, "openssl", "req", "-x509", "-newkey", "ec",
                              "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                              "-keyout", key, "-out", cert, "-days", "1",
                              "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                              NULL);
  if (openssl == NULL || !g_subprocess_wait_check (openssl, NULL, NULL))
    return NULL;
  return g_steal_pointer (&cert);
}

static void
test_tls_untrusted_then_trusted (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("threadline-tls-XXXXXX", NULL);
  g_autofree char *cert_path = make_certificate (dir);
  g_autofree char *key_path = g_build_filename (dir, "key.pem", NULL);
  g_autoptr(GTlsCertificate) server_cert = NULL;
  g_autoptr(GTlsCertificate) trusted = NULL;
  g_autoptr(TlTestPeer) peer = NULL;
  g_autoptr(TlStore) store = tl_store_new ();
  g_autoptr(TlConnection) conn = NULL;

  if (cert_path == NULL)
    {
      g_test_skip ("openssl cannot make a test certificate");
      return;
    }
  server_cert = g_tls_certificate_new_from_files (cert_path, key_path, &error);
  g_assert_no_error (error);
  peer = tl_test_peer_new_tls (server_cert);
  g_assert_true (g_str_has_prefix (tl_test_peer_get_url (peer), "wss://"));

  /* Self-signed: fatal, no retry loop. */
  conn = tl_connection_new (store, tl_test_peer_get_url (peer), &error);
  g_assert_no_error (error);
  tl_wakeup_set_sources (tl_connection_get_wakeup (conn), FALSE, FALSE);
  tl_connection_start (conn);
  TL_WAIT_UNTIL (tl_connection_get_state (conn) == TL_CONNECTION_STATE_STOPPED_CLOSED);
  g_assert_nonnull (strstr (tl_connection_get_last_error (conn), "TLS"));
  tl_test_run_for (50);
  g_assert_cmpuint (tl_test_peer_get_n_upgrades (peer), ==, 0);

  /* The user trusts this very certificate. */
  trusted = g_tls_certificate_new_from_file (cert_path, &error);
  g_assert_no_error (error);
  tl_connection_set_trusted_certificate (conn, trusted);
  tl_connection_start (conn);
  tl_test_peer_wait_frame (peer, "hello");
  g_assert_cmpint (tl_connection_get_state (conn), ==, TL_CONNECTION_STATE_HANDSHAKE);
  tl_connection_stop (conn);
  tl_test_run_for (20);

  g_unlink (cert_path);
  g_unlink (key_path);
  g_rmdir (dir);
}

static void
on_name_acquired_cb (GDBusConnection *connection,
                     const char      *name,
                     gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
test_resume_from_suspend_probe (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GTestDBus) bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_autoptr(GDBusConnection) listener = NULL;
  g_autoptr(GDBusConnection) logind = NULL;
  g_autoptr(GError) error = NULL;
  TlWakeup *wakeup = tl_connection_get_wakeup (f->conn);
  gboolean owned = FALSE;
  guint owner_id;

  g_test_dbus_up (bus);
  listener = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (bus),
                                                     G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                     G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                     NULL, NULL, &error);
  g_assert_no_error (error);
  logind = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (bus),
                                                   G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                   G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                   NULL, NULL, &error);
  g_assert_no_error (error);
  /* A stand-in for logind, owning its name on a private bus. */
  owner_id = g_bus_own_name_on_connection (logind, "org.freedesktop.login1",
                                           G_BUS_NAME_OWNER_FLAGS_NONE,
                                           on_name_acquired_cb, NULL, &owned, NULL);
  TL_WAIT_UNTIL (owned);
  tl_wakeup_set_system_bus (wakeup, listener);

  first_sync (f);
  /* Going to sleep: nothing to probe. */
  g_dbus_connection_emit_signal (logind, NULL, "/org/freedesktop/login1",
                                 "org.freedesktop.login1.Manager", "PrepareForSleep",
                                 g_variant_new ("(b)", TRUE), &error);
  g_assert_no_error (error);
  tl_test_run_for (50);
  g_assert_cmpuint (tl_test_peer_count_frames (f->peer, "ping"), ==, 0);

  /* Woken up: an immediate ping. */
  g_dbus_connection_emit_signal (logind, NULL, "/org/freedesktop/login1",
                                 "org.freedesktop.login1.Manager", "PrepareForSleep",
                                 g_variant_new ("(b)", FALSE), &error);
  g_assert_no_error (error);
  tl_test_peer_wait_frame (f->peer, "ping");

  /* And a network change probes too (the monitor never blocks anything). */
  tl_wakeup_set_sources (wakeup, FALSE, TRUE);
  tl_test_run_for (30);
  g_signal_emit_by_name (g_network_monitor_get_default (), "network-changed", TRUE);
  tl_test_peer_wait_frame (f->peer, "ping");
  g_assert_cmpuint (tl_test_peer_get_n_connections (f->peer), ==, 1);

  tl_wakeup_set_sources (wakeup, FALSE, FALSE);
  tl_wakeup_set_system_bus (wakeup, NULL);
  g_bus_unown_name (owner_id);
  g_dbus_connection_close_sync (listener, NULL, NULL);
  g_dbus_connection_close_sync (logind, NULL, NULL);
  g_test_dbus_down (bus);
}

static void
test_url_checks (void)
{
  g_autoptr(TlStore) store = tl_store_new ();
  g_autoptr(TlConnection) conn = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (tl_connection_new (store, "http://127.0.0.1/v1/stream", &error));
  g_assert_error (error, TL_CONNECTION_ERROR, TL_CONNECTION_ERROR_INVALID_URL);
  g_clear_error (&error);
  g_assert_null (tl_connection_new (store, "not a url", &error));
  g_assert_error (error, TL_CONNECTION_ERROR, TL_CONNECTION_ERROR_INVALID_URL);
  g_clear_error (&error);

  /* Plain ws:// off loopback: refused unless the user allows it. */
  conn = tl_connection_new (store, "ws://192.0.2.1:9/v1/stream", &error);
  g_assert_no_error (error);
  tl_wakeup_set_sources (tl_connection_get_wakeup (conn), FALSE, FALSE);
  g_assert_true (tl_connection_is_insecure (conn));
  tl_connection_start (conn);
  g_assert_cmpint (tl_connection_get_state (conn), ==, TL_CONNECTION_STATE_STOPPED_CLOSED);
  g_assert_nonnull (strstr (tl_connection_get_last_error (conn), "ws://"));
  g_clear_object (&conn);

  conn = tl_connection_new (store, "ws://[::1]:9/v1/stream", &error);
  g_assert_no_error (error);
  g_assert_false (tl_connection_is_insecure (conn));
  g_clear_object (&conn);
  conn = tl_connection_new (store, "wss://chat.example.com/v1/stream", &error);
  g_assert_no_error (error);
  g_assert_false (tl_connection_is_insecure (conn));
}

static void
test_live_coalesced (Fixture       *f,
                     gconstpointer  data)
{
  GListModel *messages;
  guint changes = 0;
  const guint n = 300;

  first_sync (f);
  messages = tl_conversation_get_messages (tl_store_lookup_conversation (f->store, "c-1"));
  g_signal_connect (messages, "items-changed", G_CALLBACK (on_items_changed_cb), &changes);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("m-live-%03u", i);

      emit (f, 3 + i, added_line (3 + i, id, "c-1", (int) (i % 60)), TRUE);
    }
  TL_WAIT_UNTIL (tl_store_get_seq (f->store) == 2 + n);
  flush_batches ();
  g_signal_handlers_disconnect_by_data (messages, &changes);
  g_test_message ("%u live events reached the thread model in %u changes", n, changes);
  /* One change per dispatch, not per event. */
  g_assert_cmpuint (changes, <, n / 2);
  assert_dump_is_truth (f);
}

typedef struct
{
  Fixture *f;
  gint64   target;
  guint    runs;
} RedrawProbe;

static gboolean
redraw_probe_cb (gpointer user_data)
{
  RedrawProbe *probe = user_data;

  /* Counts the redraws that got to run while events were being applied. */
  if (tl_store_get_seq (probe->f->store) > 2 && tl_store_get_seq (probe->f->store) < probe->target)
    probe->runs++;
  return G_SOURCE_CONTINUE;
}

static void
test_dispatch_bounded (Fixture       *f,
                       gconstpointer  data)
{
  RedrawProbe probe = { f, 2 + 200, 0 };
  guint redraw_id;

  /* A zero budget yields after every frame. */
  f->timings.dispatch_budget_ms = 0;
  apply_timings (f);
  first_sync (f);
  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *id = g_strdup_printf ("m-b%03u", i);

      emit (f, 3 + i, added_line (3 + i, id, "c-1", (int) (i % 60)), TRUE);
    }
  /* A frame clock at GDK's redraw priority: below the socket's, above the drain's. */
  redraw_id = g_timeout_add_full (G_PRIORITY_HIGH_IDLE + 20, 1, redraw_probe_cb, &probe, NULL);
  TL_WAIT_UNTIL (tl_store_get_seq (f->store) == probe.target);
  g_source_remove (redraw_id);
  g_test_message ("redraws while applying 200 events: %u", probe.runs);
  /* Unbounded, all 200 would apply in one dispatch and no redraw could run. */
  g_assert_cmpuint (probe.runs, >, 1);
  assert_dump_is_truth (f);

  /* A queue being worked through when the server closes is handled first. */
  for (guint i = 200; i < 260; i++)
    {
      g_autofree char *id = g_strdup_printf ("m-b%03u", i);

      emit (f, 3 + i, added_line (3 + i, id, "c-1", (int) (i % 60)), TRUE);
    }
  tl_test_peer_close (f->peer, 1000, NULL);
  TL_WAIT_UNTIL (state (f) == TL_CONNECTION_STATE_STOPPED_CLOSED);
  g_assert_cmpint (tl_store_get_seq (f->store), ==, 262);
  assert_dump_is_truth (f);
}

static void
test_backoff_ceilings (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autoptr(TlBackoff) backoff = tl_backoff_new (1000, 60000, rand);
  const guint ceilings[] = { 1000, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000 };

  for (guint round = 0; round < 50; round++)
    {
      for (guint i = 0; i < G_N_ELEMENTS (ceilings); i++)
        g_assert_cmpuint (tl_backoff_next (backoff), <=, ceilings[i]);
      tl_backoff_reset (backoff);
    }
  /* Full jitter: over many draws the first delay covers its range. */
  {
    guint low = 0, high = 0;

    for (guint i = 0; i < 1000; i++)
      {
        guint delay;

        tl_backoff_reset (backoff);
        delay = tl_backoff_next (backoff);
        low += delay < 250;
        high += delay > 750;
      }
    g_assert_cmpuint (low, >, 100);
    g_assert_cmpuint (high, >, 100);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/threadline/net/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("first-hello", test_first_hello);
  ADD ("resume-after-1001", test_resume_1001);
  ADD ("resume-after-reset", test_resume_reset);
  ADD ("resume-after-silent-peer", test_resume_silent);
  ADD ("replay-batched-per-dispatch", test_replay_batch);
  ADD ("snapshot-swap", test_snapshot_swap);
  ADD ("duplicates-after-resume", test_duplicates_after_resume);
  ADD ("skipped-seq", test_skipped_seq);
  ADD ("silent-gap", test_silent_gap);
  ADD ("stream-resumed", test_stream_resumed);
  ADD ("stream-gap-get-message", test_stream_gap_get_message);
  ADD ("send-lost-ack", test_send_lost_ack);
  ADD ("send-lost-echo", test_send_lost_echo);
  ADD ("send-offline", test_send_offline);
  ADD ("send-reconnect-before-ack", test_send_reconnect_before_ack);
  ADD ("send-resent-after-reconnect", test_send_resent_after_reconnect);
  ADD ("send-error-and-retry", test_send_error);
  ADD ("send-order-per-conversation", test_order_per_conversation);
  ADD ("close-4004-stops", test_close_4004);
  ADD ("upgrade-401-stops", test_upgrade_401);
  ADD ("close-4010-stops", test_close_4010);
  ADD ("close-1000-stops", test_close_1000);
  ADD ("close-4011-waits", test_close_4011);
  ADD ("close-4008-retry-after", test_close_4008);
  ADD ("upgrade-503-retries", test_upgrade_503);
  ADD ("undecodable-asks-snapshot", test_undecodable_snapshot);
  ADD ("invalid-event-skipped", test_invalid_event_skipped);
  ADD ("server-4003-thrice-asks-snapshot", test_server_4003_thrice);
  ADD ("clock-jump-probe", test_clock_jump_probe);
  ADD ("typing-cleared-on-disconnect", test_typing_cleared_on_disconnect);
  ADD ("send-gives-up-after-timeout", test_give_up_after_timeout);
  ADD ("oversized-frame-resumes", test_oversized_frame_resumes);
  ADD ("one-probe-in-flight", test_one_probe_in_flight);
  ADD ("load-history-one-batch", test_load_history_batch);
  ADD ("commands", test_commands);
  ADD ("send-during-snapshot", test_send_during_snapshot);
  ADD ("pong-late-behind-traffic", test_pong_behind_traffic);
  ADD ("probe-after-suspend-and-network-change", test_resume_from_suspend_probe);
  ADD ("live-events-coalesced", test_live_coalesced);
  ADD ("dispatch-bounded", test_dispatch_bounded);
  g_test_add_func ("/threadline/net/backoff-ceilings", test_backoff_ceilings);
  g_test_add_func ("/threadline/net/url-checks", test_url_checks);
  g_test_add_func ("/threadline/net/tls-untrusted-then-trusted", test_tls_untrusted_then_trusted);

  return g_test_run ();
}
