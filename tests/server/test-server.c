/* test-server.c — threadline-server over loopback, in process
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <string.h>

#include "tl-server.h"
#include "tl-test-client.h"

#define ADMIN "admin-secret"

typedef struct
{
  char           *dir;
  TlServerConfig  config;
  TlServer       *server;
  guint           port;
} Fixture;

static void
start_server (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  f->server = tl_server_new (&f->config, &error);
  g_assert_no_error (error);
  g_assert_true (tl_server_add_user (f->server, "alice", "token-a", "Alice", &error));
  g_assert_true (tl_server_add_user (f->server, "bob", "token-b", "Bob", &error));
  g_assert_true (tl_server_add_user (f->server, "carol", "token-c", NULL, &error));
  g_assert_true (tl_server_listen (f->server, &error));
  g_assert_no_error (error);
  f->port = tl_server_get_port (f->server);
  g_assert_cmpuint (f->port, >, 0);
}

static void
stop_server (Fixture *f)
{
  g_clear_object (&f->server);
  /* Let libsoup finish tearing down sockets before the next server. */
  while (g_main_context_iteration (NULL, FALSE));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("tl-server-XXXXXX", &error);
  g_assert_no_error (error);
  tl_server_config_init (&f->config);
  g_free (f->config.db_path);
  f->config.db_path = g_build_filename (f->dir, "test.db", NULL);
  f->config.port = 0;
  f->config.admin_token = g_strdup (ADMIN);
  if (data != NULL)
    ((void (*) (TlServerConfig *)) data) (&f->config);
  start_server (f);
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (dir);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  stop_server (f);
  tl_server_config_clear (&f->config);
  remove_tree (f->dir);
  g_free (f->dir);
}

static JsonNode *
push (Fixture    *f,
      const char *body)
{
  JsonNode *response = NULL;
  guint status = tl_test_post (f->port, ADMIN, "application/json", body, &response);

  if (status != 200)
    g_error ("push failed with %u: %s", status,
             response != NULL ? json_to_string (response, FALSE) : "(no body)");
  return response;
}

static void
seed_conversations (Fixture *f)
{
  g_autoptr(JsonNode) r = push (f,
    "[{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c-ab\",\"title\":\"Alice and Bob\","
    "\"participants\":[{\"id\":\"alice\"},{\"id\":\"bob\"}]}},"
    "{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c-a\",\"title\":\"Alice only\","
    "\"participants\":[{\"id\":\"alice\"},{\"id\":\"bot\"}]}},"
    "{\"type\":\"message-added\",\"message\":{\"id\":\"m-a1\",\"conversationId\":\"c-a\",\"role\":\"user\","
    "\"parts\":[{\"type\":\"text\",\"text\":\"secret\"}],\"createdAt\":\"2026-12-03T10:00:00.000Z\","
    "\"author\":{\"id\":\"bot\"}}},"
    "{\"type\":\"message-added\",\"message\":{\"id\":\"m-ab1\",\"conversationId\":\"c-ab\",\"role\":\"user\","
    "\"parts\":[{\"type\":\"text\",\"text\":\"hi\"}],\"createdAt\":\"2026-12-03T10:00:01.000Z\","
    "\"author\":{\"id\":\"bob\"}}}]");
}

/* Connects, sends hello and returns the welcome. */
static JsonObject *
connect_hello (Fixture       *f,
               TlTestClient **out,
               const char    *token,
               const char    *epoch,
               gint64         seq)
{
  TlTestClient *client = tl_test_client_connect (f->port, token, TRUE);

  g_assert_nonnull (client->ws);
  tl_test_client_hello (client, epoch, seq);
  *out = client;
  return tl_test_client_wait (client, "welcome");
}

static gint64
int_member (JsonObject *o,
            const char *name)
{
  return json_object_get_int_member_with_default (o, name, -1);
}

static const char *
str_member (JsonObject *o,
            const char *name)
{
  return json_object_get_string_member_with_default (o, name, NULL);
}

/* Tests */

static void
test_auth_refused (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(TlTestClient) wrong = tl_test_client_connect (f->port, "nope", TRUE);
  g_autoptr(TlTestClient) none = tl_test_client_connect (f->port, NULL, TRUE);

  g_assert_null (wrong->ws);
  g_assert_cmpuint (wrong->status, ==, 401);
  g_assert_null (none->ws);
  g_assert_cmpuint (none->status, ==, 401);
}

static void
test_subprotocol_refused (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(TlTestClient) client = tl_test_client_connect (f->port, "token-a", FALSE);

  g_assert_null (client->ws);
  g_assert_cmpuint (client->status, ==, 400);
}

static void
test_hello_snapshot (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(TlTestClient) client = NULL;
  JsonObject *welcome, *begin, *convs, *msgs, *end;
  JsonArray *list;

  seed_conversations (f);
  welcome = connect_hello (f, &client, "token-a", NULL, 0);
  g_assert_cmpstr (str_member (welcome, "mode"), ==, "snapshot");
  g_assert_cmpstr (str_member (welcome, "reason"), ==, "no-cursor");
  g_assert_cmpint (int_member (welcome, "protocol"), ==, 1);
  g_assert_nonnull (str_member (welcome, "epoch"));
  g_assert_cmpstr (str_member (json_object_get_object_member (welcome, "user"), "id"), ==, "alice");
  g_assert_cmpstr (str_member (json_object_get_object_member (welcome, "user"), "displayName"), ==, "Alice");

  begin = tl_test_client_next (client);
  g_assert_cmpstr (str_member (begin, "type"), ==, "snapshot-begin");
  g_assert_cmpint (int_member (begin, "atSeq"), ==, int_member (welcome, "headSeq"));
  g_assert_cmpstr (str_member (begin, "epoch"), ==, str_member (welcome, "epoch"));
  convs = tl_test_client_next (client);
  g_assert_cmpstr (str_member (convs, "type"), ==, "snapshot-conversations");
  list = json_object_get_array_member (convs, "conversations");
  g_assert_cmpuint (json_array_get_length (list), ==, 2);
  msgs = tl_test_client_next (client);
  g_assert_cmpstr (str_member (msgs, "type"), ==, "snapshot-messages");
  msgs = tl_test_client_next (client);
  g_assert_cmpstr (str_member (msgs, "type"), ==, "snapshot-messages");
  end = tl_test_client_next (client);
  g_assert_cmpstr (str_member (end, "type"), ==, "snapshot-end");
  g_assert_cmpint (int_member (end, "atSeq"), ==, int_member (welcome, "headSeq"));
}

static void
test_replay (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(TlTestClient) first = NULL;
  g_autoptr(TlTestClient) second = NULL;
  g_autofree char *epoch = NULL;
  JsonObject *welcome;
  gint64 head;

  seed_conversations (f);
  welcome = connect_hello (f, &first, "token-b", NULL, 0);
  epoch = g_strdup (str_member (welcome, "epoch"));
  head = int_member (welcome, "headSeq");
  tl_test_client_wait (first, "snapshot-end");
  g_clear_pointer (&first, tl_test_client_free);

  /* Two events for bob while he is away. */
  json_node_unref (push (f,
    "{\"type\":\"message-added\",\"message\":{\"id\":\"m-ab2\",\"conversationId\":\"c-ab\","
    "\"role\":\"user\",\"parts\":[],\"author\":{\"id\":\"alice\"},\"createdAt\":\"2026-12-03T11:00:00Z\"}}"));

  welcome = connect_hello (f, &second, "token-b", epoch, head);
  g_assert_cmpstr (str_member (welcome, "mode"), ==, "replay");
  g_assert_cmpint (int_member (welcome, "headSeq"), ==, head + 2);
  {
    JsonObject *e1 = tl_test_client_next (second);
    JsonObject *e2 = tl_test_client_next (second);
    JsonObject *done = tl_test_client_next (second);

    g_assert_cmpstr (str_member (e1, "type"), ==, "message-added");
    g_assert_cmpint (int_member (e1, "seq"), ==, head + 1);
    g_assert_cmpstr (str_member (e2, "type"), ==, "conversation-updated");
    g_assert_cmpint (int_member (e2, "seq"), ==, head + 2);
    g_assert_cmpint (int_member (json_object_get_object_member (e2, "conversation"), "unreadCount"), ==, 1);
    g_assert_cmpstr (str_member (done, "type"), ==, "replay-done");
    g_assert_cmpint (int_member (done, "seq"), ==, head + 2);
  }
}

static void
test_replay_after_restart (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(TlTestClient) client = NULL;
  g_autofree char *epoch = NULL;
  JsonObject *welcome;
  gint64 head;

  seed_conversations (f);
  welcome = connect_hello (f, &client, "token-a", NULL, 0);
  epoch = g_strdup (str_member (welcome, "epoch"));
  head = int_member (welcome, "headSeq");
  g_assert_cmpint (head, >, 0);
  g_clear_pointer (&client, tl_test_client_free);

  stop_server (f);
  start_server (f);

  welcome = connect_hello (f, &client, "token-a", epoch, head - 1);
  g_assert_cmpstr (str_member (welcome, "mode"), ==, "replay");
  g_assert_cmpstr (str_member (welcome, "epoch"), ==, epoch);
  g_assert_cmpint (int_member (welcome, "headSeq"), ==, head);
  g_assert_cmpint (int_member (tl_test_client_next (client), "seq"), ==, head);
  g_assert_cmpstr (str_member (tl_test_client_next (client), "type"), ==, "replay-done");
}

static void
test_snapshot_reasons (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(TlTestClient) a = NULL;
  g_autoptr(TlTestClient) b = NULL;
  g_autoptr(TlTestClient) c = NULL;
  g_autofree char *epoch = NULL;
  JsonObject *welcome;

  seed_conversations (f);
  welcome = connect_hello (f, &a, "token-a", "e-other", 1);
  g_assert_cmpstr (str_member (welcome, "mode"), ==, "snapshot");
  g_assert_cmpstr (str_member (welcome, "reason"), ==, "epoch-changed");
  epoch = g_strdup (str_member (welcome, "epoch"));

  /* A cursor from the future. */
  welcome = connect_hello (f, &b, "token-a", epoch, int_member (welcome, "headSeq") + 5);
  g_assert_cmpstr (str_member (welcome, "mode"), ==, "snapshot");
  g_assert_cmpstr (str_member (welcome, "reason"), ==, "expired");
  tl_test_client_wait (b, "snapshot-end");
}

static void
small_retain (TlServerConfig *config)
{
  config->retain = 3;
}

static void
test_snapshot_expired (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(TlTestClient) client = NULL;
  g_autoptr(TlTestClient) again = NULL;
  g_autofree char *epoch = NULL;
  JsonObject *welcome;
  gint64 head;

  seed_conversations (f);   /* alice: well over 3 events */
  welcome = connect_hello (f, &client, "token-a", NULL, 0);
  epoch = g_strdup (str_member (welcome, "epoch"));
  head = int_member (welcome, "headSeq");
  g_assert_cmpint (head, >, 4);
  g_clear_pointer (&client, tl_test_client_free);

  welcome = connect_hello (f, &client, "token-a", epoch, 1);
  g_assert_cmpstr (str_member (welcome, "mode"), ==, "snapshot");
  g_assert_cmpstr (str_member (welcome, "reason"), ==, "expired");

  /* Inside the window it still replays. */
  welcome = connect_hello (f, &again, "token-a", epoch, head - 3);
  g_assert_cmpstr (str_member (welcome, "mode"), ==, "replay");
}

static void
test_membership (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(TlTestClient) bob = NULL;
  g_autoptr(TlTestClient) carol = NULL;
  JsonObject *convs, *reply, *event;
  JsonArray *list;

  seed_conversations (f);
  connect_hello (f, &bob, "token-b", NULL, 0);
  tl_test_client_wait (bob, "snapshot-begin");
  convs = tl_test_client_next (bob);
  list = json_object_get_array_member (convs, "conversations");
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  g_assert_cmpstr (str_member (json_array_get_object_element (list, 0), "id"), ==, "c-ab");
  tl_test_client_wait (bob, "snapshot-end");

  tl_test_client_send (bob, "{\"type\":\"get-message\",\"requestId\":\"r1\",\"messageId\":\"m-a1\"}");
  reply = tl_test_client_wait (bob, "error");
  g_assert_cmpstr (str_member (reply, "code"), ==, "not-found");
  g_assert_cmpstr (str_member (reply, "requestId"), ==, "r1");
  tl_test_client_send (bob, "{\"type\":\"load-history\",\"requestId\":\"r2\",\"conversationId\":\"c-a\"}");
  reply = tl_test_client_wait (bob, "error");
  g_assert_cmpstr (str_member (reply, "code"), ==, "not-found");
  tl_test_client_send (bob, "{\"type\":\"send-message\",\"requestId\":\"r3\",\"message\":{\"id\":\"x1\","
                            "\"conversationId\":\"c-a\",\"role\":\"user\",\"parts\":[]}}");
  reply = tl_test_client_wait (bob, "error");
  g_assert_cmpstr (str_member (reply, "code"), ==, "not-found");

  /* Live: an event in c-a never reaches bob; the next one he sees is c-ab's. */
  json_node_unref (push (f,
    "[{\"type\":\"message-added\",\"message\":{\"id\":\"m-a2\",\"conversationId\":\"c-a\",\"parts\":[]}},"
    "{\"type\":\"message-added\",\"message\":{\"id\":\"m-ab3\",\"conversationId\":\"c-ab\",\"parts\":[]}}]"));
  event = tl_test_client_wait (bob, "message-added");
  g_assert_cmpstr (str_member (json_object_get_object_member (event, "message"), "id"), ==, "m-ab3");

  /* Dropping bob from the participants removes the conversation for him. */
  json_node_unref (push (f,
    "{\"type\":\"conversation-updated\",\"conversation\":{\"id\":\"c-ab\",\"participants\":[{\"id\":\"alice\"}]}}"));
  event = tl_test_client_wait (bob, "conversation-removed");
  g_assert_cmpstr (str_member (event, "conversationId"), ==, "c-ab");

  /* carol is in nothing at all. */
  connect_hello (f, &carol, "token-c", NULL, 0);
  tl_test_client_wait (carol, "snapshot-begin");
  convs = tl_test_client_next (carol);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (convs, "conversations")), ==, 0);
  g_assert_cmpstr (str_member (tl_test_client_next (carol), "type"), ==, "snapshot-end");
}

static void
test_send_idempotent (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(TlTestClient) alice = NULL;
  g_autoptr(TlTestClient) bob = NULL;
#define SEND \
    "{\"type\":\"send-message\",\"requestId\":\"%s\",\"message\":{\"id\":\"m-new\"," \
    "\"conversationId\":\"c-ab\",\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\"hello\"}]}}"
  g_autofree char *first = g_strdup_printf (SEND, "r-1");
  g_autofree char *retry = g_strdup_printf (SEND, "r-2");
  JsonObject *ack, *echo, *update, *ack2, *message;
  gint64 seq;
  guint mark;

  seed_conversations (f);
  connect_hello (f, &alice, "token-a", NULL, 0);
  tl_test_client_wait (alice, "snapshot-end");
  connect_hello (f, &bob, "token-b", NULL, 0);
  tl_test_client_wait (bob, "snapshot-end");

  tl_test_client_send (alice, first);
  ack = tl_test_client_next (alice);
  g_assert_cmpstr (str_member (ack, "type"), ==, "ack");
  g_assert_cmpstr (str_member (ack, "requestId"), ==, "r-1");
  g_assert_cmpstr (str_member (ack, "messageId"), ==, "m-new");
  seq = int_member (ack, "seq");
  message = json_object_get_object_member (ack, "message");
  g_assert_cmpstr (str_member (message, "status"), ==, "sent");
  g_assert_cmpstr (str_member (json_object_get_object_member (message, "author"), "id"), ==, "alice");
  g_assert_nonnull (str_member (message, "createdAt"));

  echo = tl_test_client_next (alice);
  g_assert_cmpstr (str_member (echo, "type"), ==, "message-added");
  g_assert_cmpint (int_member (echo, "seq"), ==, seq);
  g_assert_cmpstr (str_member (json_object_get_object_member (echo, "message"), "id"), ==, "m-new");
  update = tl_test_client_next (alice);
  g_assert_cmpstr (str_member (update, "type"), ==, "conversation-updated");
  g_assert_cmpint (int_member (update, "seq"), ==, seq + 1);
  g_assert_cmpint (int_member (json_object_get_object_member (update, "conversation"), "unreadCount"), ==, 0);
  g_assert_cmpstr (str_member (json_object_get_object_member (update, "conversation"), "readState"), ==, "read");
  g_assert_cmpstr (str_member (json_object_get_object_member (update, "conversation"), "lastMessageAt"), ==,
                   str_member (message, "createdAt"));

  echo = tl_test_client_wait (bob, "message-added");
  update = tl_test_client_wait (bob, "conversation-updated");
  g_assert_cmpint (int_member (json_object_get_object_member (update, "conversation"), "unreadCount"), ==, 1);
  g_assert_cmpstr (str_member (json_object_get_object_member (update, "conversation"), "readState"), ==, "unread");

  /* The retry: the original result, nothing new. */
  mark = alice->frames->len;
  tl_test_client_send (alice, retry);
  ack2 = tl_test_client_wait (alice, "ack");
  g_assert_cmpstr (str_member (ack2, "requestId"), ==, "r-2");
  g_assert_cmpstr (str_member (ack2, "messageId"), ==, "m-new");
  g_assert_cmpint (int_member (ack2, "seq"), ==, seq);
  tl_test_client_barrier (alice);
  tl_test_client_barrier (bob);
  g_assert_cmpuint (tl_test_client_count_since (alice, mark, "message-added"), ==, 0);
  g_assert_cmpuint (tl_test_client_count_since (bob, 0, "message-added"), ==, 1);

  /* bob reads: his unread count goes to zero, alice sees the receipt. */
  tl_test_client_send (bob, "{\"type\":\"mark-read\",\"requestId\":\"r-3\",\"conversationId\":\"c-ab\",\"messageId\":\"m-new\"}");
  ack = tl_test_client_wait (bob, "ack");
  g_assert_cmpint (int_member (ack, "seq"), >, 0);
  echo = tl_test_client_wait (alice, "read");
  g_assert_cmpstr (str_member (echo, "userId"), ==, "bob");
  g_assert_cmpstr (str_member (echo, "messageId"), ==, "m-new");

  /* Too much text is refused. */
  {
    g_autoptr(GString) big = g_string_new ("{\"type\":\"send-message\",\"requestId\":\"r-4\",\"message\":"
                                           "{\"id\":\"m-big\",\"conversationId\":\"c-ab\",\"parts\":[{\"type\":\"text\",\"text\":\"");
    JsonObject *error;

    for (guint i = 0; i < 33 * 1024; i++)
      g_string_append_c (big, 'x');
    g_string_append (big, "\"}]}}");
    tl_test_client_send (alice, big->str);
    error = tl_test_client_wait (alice, "error");
    g_assert_cmpstr (str_member (error, "code"), ==, "too-large");
  }
}

static void
test_typing (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(TlTestClient) a1 = NULL;
  g_autoptr(TlTestClient) a2 = NULL;
  g_autoptr(TlTestClient) b = NULL;
  JsonObject *typing;
  guint mark;

  seed_conversations (f);
  connect_hello (f, &a1, "token-a", NULL, 0);
  tl_test_client_wait (a1, "snapshot-end");
  connect_hello (f, &a2, "token-a", NULL, 0);
  tl_test_client_wait (a2, "snapshot-end");
  connect_hello (f, &b, "token-b", NULL, 0);
  tl_test_client_wait (b, "snapshot-end");

  mark = a1->frames->len;
  tl_test_client_send (a1, "{\"type\":\"set-typing\",\"conversationId\":\"c-ab\",\"isTyping\":true}");
  typing = tl_test_client_wait (b, "typing");
  g_assert_cmpstr (str_member (typing, "userId"), ==, "alice");
  g_assert_true (json_object_get_boolean_member (typing, "isTyping"));
  typing = tl_test_client_wait (a2, "typing");
  g_assert_cmpstr (str_member (typing, "conversationId"), ==, "c-ab");
  tl_test_client_barrier (a1);
  g_assert_cmpuint (tl_test_client_count_since (a1, mark, "typing"), ==, 0);
}

static void
test_commands (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(TlTestClient) alice = NULL;
  g_autoptr(TlTestClient) bob = NULL;
  JsonObject *reply, *event;

  seed_conversations (f);
  connect_hello (f, &alice, "token-a", NULL, 0);
  tl_test_client_wait (alice, "snapshot-end");
  connect_hello (f, &bob, "token-b", NULL, 0);
  tl_test_client_wait (bob, "snapshot-end");

  /* create-conversation: the creator joins; bob is a member. */
  tl_test_client_send (alice, "{\"type\":\"create-conversation\",\"requestId\":\"r-1\",\"conversation\":"
                              "{\"id\":\"c-new\",\"title\":\"New chat\",\"participants\":[{\"id\":\"bob\"}]}}");
  reply = tl_test_client_wait (alice, "ack");
  g_assert_cmpstr (str_member (reply, "conversationId"), ==, "c-new");
  event = tl_test_client_wait (alice, "conversation-added");
  g_assert_cmpstr (str_member (json_object_get_object_member (event, "conversation"), "title"), ==, "New chat");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      json_object_get_object_member (event, "conversation"), "participants")), ==, 2);
  event = tl_test_client_wait (bob, "conversation-added");
  g_assert_cmpstr (str_member (json_object_get_object_member (event, "conversation"), "id"), ==, "c-new");

  /* remove-message: only the author. */
  tl_test_client_send (alice, "{\"type\":\"remove-message\",\"requestId\":\"r-2\",\"messageId\":\"m-ab1\"}");
  reply = tl_test_client_wait (alice, "error");
  g_assert_cmpstr (str_member (reply, "code"), ==, "forbidden");
  tl_test_client_send (bob, "{\"type\":\"remove-message\",\"requestId\":\"r-3\",\"messageId\":\"m-ab1\"}");
  reply = tl_test_client_wait (bob, "ack");
  event = tl_test_client_wait (alice, "message-removed");
  g_assert_cmpstr (str_member (event, "messageId"), ==, "m-ab1");
  g_assert_cmpstr (str_member (event, "conversationId"), ==, "c-ab");

  /* get-message for a member. */
  tl_test_client_send (alice, "{\"type\":\"get-message\",\"requestId\":\"r-4\",\"messageId\":\"m-a1\"}");
  reply = tl_test_client_wait (alice, "ack");
  g_assert_cmpstr (str_member (json_object_get_object_member (reply, "message"), "id"), ==, "m-a1");
  g_assert_cmpint (int_member (reply, "streamSequence"), ==, 0);

  /* remove-conversation of a shared one: alice leaves, bob keeps it. */
  tl_test_client_send (alice, "{\"type\":\"remove-conversation\",\"requestId\":\"r-5\",\"conversationId\":\"c-new\"}");
  reply = tl_test_client_wait (alice, "ack");
  event = tl_test_client_wait (alice, "conversation-removed");
  g_assert_cmpstr (str_member (event, "conversationId"), ==, "c-new");
  g_assert_cmpint (int_member (reply, "seq"), ==, int_member (event, "seq"));
  event = tl_test_client_wait (bob, "conversation-updated");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      json_object_get_object_member (event, "conversation"), "participants")), ==, 1);

  /* Unknown command, missing requestId. */
  tl_test_client_send (alice, "{\"type\":\"frobnicate\",\"requestId\":\"r-6\"}");
  reply = tl_test_client_wait (alice, "error");
  g_assert_cmpstr (str_member (reply, "code"), ==, "unknown-command");
  tl_test_client_send (alice, "{\"type\":\"mark-read\",\"conversationId\":\"c-ab\"}");
  reply = tl_test_client_wait (alice, "error");
  g_assert_cmpstr (str_member (reply, "code"), ==, "bad-request");

  /* ping → pong with headSeq */
  tl_test_client_send (alice, "{\"type\":\"ping\",\"n\":7}");
  reply = tl_test_client_wait (alice, "pong");
  g_assert_cmpint (int_member (reply, "n"), ==, 7);
  g_assert_cmpint (int_member (reply, "headSeq"), >, 0);
}

static void
test_history (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(TlTestClient) bob = NULL;
  g_autoptr(GString) batch = g_string_new ("[");
  JsonObject *page, *history;
  JsonArray *messages;
  const char *cursor;

  seed_conversations (f);
  for (guint i = 0; i < 120; i++)
    g_string_append_printf (batch,
      "%s{\"type\":\"message-added\",\"message\":{\"id\":\"h-%03u\",\"conversationId\":\"c-ab\","
      "\"parts\":[],\"createdAt\":\"2026-12-04T10:%02u:%02u.000Z\"}}",
      i > 0 ? "," : "", i, i / 60, i % 60);
  g_string_append (batch, "]");
  json_node_unref (push (f, batch->str));

  connect_hello (f, &bob, "token-b", NULL, 0);
  page = tl_test_client_wait (bob, "snapshot-messages");
  messages = json_object_get_array_member (page, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 100);
  g_assert_true (json_object_get_boolean_member (page, "hasMoreHistory"));
  /* Thread order, newest 100: h-020 … h-119. */
  g_assert_cmpstr (str_member (json_array_get_object_element (messages, 0), "id"), ==, "h-020");
  g_assert_cmpstr (str_member (json_array_get_object_element (messages, 99), "id"), ==, "h-119");
  cursor = str_member (page, "historyCursor");
  g_assert_nonnull (cursor);
  tl_test_client_wait (bob, "snapshot-end");

  {
    g_autofree char *cmd = g_strdup_printf ("{\"type\":\"load-history\",\"requestId\":\"r-1\","
                                            "\"conversationId\":\"c-ab\",\"cursor\":\"%s\",\"limit\":15}", cursor);

    tl_test_client_send (bob, cmd);
  }
  history = tl_test_client_wait (bob, "history");
  g_assert_cmpstr (str_member (history, "requestId"), ==, "r-1");
  messages = json_object_get_array_member (history, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 15);
  g_assert_cmpstr (str_member (json_array_get_object_element (messages, 0), "id"), ==, "h-005");
  g_assert_cmpstr (str_member (json_array_get_object_element (messages, 14), "id"), ==, "h-019");
  g_assert_true (json_object_get_boolean_member (history, "hasMoreHistory"));

  {
    g_autofree char *cmd = g_strdup_printf ("{\"type\":\"load-history\",\"requestId\":\"r-2\","
                                            "\"conversationId\":\"c-ab\",\"cursor\":\"%s\"}",
                                            str_member (history, "historyCursor"));

    tl_test_client_send (bob, cmd);
  }
  history = tl_test_client_wait (bob, "history");
  messages = json_object_get_array_member (history, "messages");
  /* h-000 … h-004 and the seeded m-ab1 (earlier createdAt). */
  g_assert_cmpuint (json_array_get_length (messages), ==, 6);
  g_assert_cmpstr (str_member (json_array_get_object_element (messages, 0), "id"), ==, "m-ab1");
  g_assert_false (json_object_get_boolean_member (history, "hasMoreHistory"));
}

static void
small_body (TlServerConfig *config)
{
  config->max_body = 4096;
}

static void
test_push_validation (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(JsonNode) r = NULL;
  g_autoptr(TlTestClient) alice = NULL;
  g_autoptr(GString) big = g_string_new ("[");
  const char *ok = "{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c-1\",\"participants\":[{\"id\":\"alice\"}]}}";
  JsonObject *o;
  JsonObject *welcome;
  gint64 head;

  g_assert_cmpuint (tl_test_post (f->port, NULL, "application/json", ok, NULL), ==, 401);
  g_assert_cmpuint (tl_test_post (f->port, "wrong", "application/json", ok, NULL), ==, 401);
  g_assert_cmpuint (tl_test_post (f->port, ADMIN, "text/plain", ok, NULL), ==, 415);
  g_assert_cmpuint (tl_test_post (f->port, ADMIN, "application/json", "{not json", &r), ==, 400);
  g_assert_cmpstr (str_member (json_node_get_object (r), "error"), ==, "malformed");
  g_clear_pointer (&r, json_node_unref);

  /* The second element is bad: 400 naming it, and the first is not stored. */
  g_assert_cmpuint (tl_test_post (f->port, ADMIN, "application/json",
    "[{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c-x\",\"participants\":[{\"id\":\"alice\"}]}},"
    "{\"type\":\"conversation-updated\",\"conversation\":{\"id\":\"c-x\",\"title\":42}}]", &r), ==, 400);
  o = json_node_get_object (r);
  g_assert_cmpint (int_member (o, "index"), ==, 1);
  g_assert_nonnull (strstr (str_member (o, "message"), "title"));
  g_clear_pointer (&r, json_node_unref);

  /* A semantic error at apply time rolls back the earlier elements too. */
  g_assert_cmpuint (tl_test_post (f->port, ADMIN, "application/json",
    "[{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c-y\",\"participants\":[{\"id\":\"alice\"}]}},"
    "{\"type\":\"message-added\",\"message\":{\"id\":\"m-1\",\"conversationId\":\"c-nowhere\",\"parts\":[]}}]", &r), ==, 400);
  g_assert_cmpint (int_member (json_node_get_object (r), "index"), ==, 1);
  g_clear_pointer (&r, json_node_unref);

  g_assert_cmpuint (tl_test_post (f->port, ADMIN, "application/json",
    "{\"type\":\"message-added\",\"seq\":3,\"message\":{\"id\":\"m-1\",\"conversationId\":\"c-1\"}}", &r), ==, 400);
  g_clear_pointer (&r, json_node_unref);
  g_assert_cmpuint (tl_test_post (f->port, ADMIN, "application/json",
    "{\"type\":\"snapshot-begin\",\"atSeq\":3}", &r), ==, 400);
  g_clear_pointer (&r, json_node_unref);
  g_assert_cmpuint (tl_test_post (f->port, ADMIN, "application/json",
    "{\"type\":\"gizmo-added\"}", &r), ==, 400);
  g_clear_pointer (&r, json_node_unref);

  for (guint i = 0; i < 100; i++)
    g_string_append_printf (big, "%s%s", i > 0 ? "," : "", ok);
  g_string_append (big, "]");
  g_assert_cmpuint (tl_test_post (f->port, ADMIN, "application/json", big->str, &r), ==, 413);
  g_clear_pointer (&r, json_node_unref);

  /* Nothing of the refused batches exists: alice has no events at all. */
  welcome = connect_hello (f, &alice, "token-a", NULL, 0);
  g_assert_cmpint (int_member (welcome, "headSeq"), ==, 0);
  head = int_member (welcome, "headSeq");

  /* A good one answers the seqs it assigned, per recipient. */
  g_assert_cmpuint (tl_test_post (f->port, ADMIN, "application/json; charset=utf-8", ok, &r), ==, 200);
  o = json_node_get_object (r);
  g_assert_cmpint (int_member (o, "accepted"), ==, 1);
  o = json_array_get_object_element (json_object_get_array_member (o, "results"), 0);
  g_assert_cmpint (int_member (json_object_get_object_member (o, "seqs"), "alice"), ==, head + 1);
  g_assert_cmpint (int_member (tl_test_client_wait (alice, "conversation-added"), "seq"), ==, head + 1);
}

static void
tight_rate (TlServerConfig *config)
{
  config->rate_per_sec = 0.001;
  config->rate_burst = 5;
}

static void
test_rate_limit (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(TlTestClient) client = NULL;
  g_autoptr(JsonNode) reason = NULL;

  connect_hello (f, &client, "token-a", NULL, 0);
  for (guint i = 0; i < 20; i++)
    tl_test_client_send (client, "{\"type\":\"ping\",\"n\":1}");
  g_assert_cmpuint (tl_test_client_wait_closed (client), ==, 4008);
  reason = json_from_string (client->close_reason, NULL);
  g_assert_nonnull (reason);
  g_assert_cmpint (int_member (json_node_get_object (reason), "retryAfterMs"), >, 0);
}

static void
test_undecodable (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(TlTestClient) a = NULL;
  g_autoptr(TlTestClient) b = NULL;
  g_autoptr(TlTestClient) c = NULL;
  g_autoptr(GString) deep = g_string_new ("{\"type\":\"ping\",\"x\":");

  connect_hello (f, &a, "token-a", NULL, 0);
  tl_test_client_send (a, "this is not json");
  g_assert_cmpuint (tl_test_client_wait_closed (a), ==, 4003);

  for (guint i = 0; i < 40; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < 40; i++)
    g_string_append_c (deep, ']');
  g_string_append_c (deep, '}');
  connect_hello (f, &b, "token-a", NULL, 0);
  tl_test_client_send (b, deep->str);
  g_assert_cmpuint (tl_test_client_wait_closed (b), ==, 4003);

  /* The first frame must be hello, with protocol 1. */
  c = tl_test_client_connect (f->port, "token-a", TRUE);
  tl_test_client_send (c, "{\"type\":\"hello\",\"protocol\":[2]}");
  g_assert_cmpuint (tl_test_client_wait_closed (c), ==, 4010);
}

static void
fast_heartbeat (TlServerConfig *config)
{
  config->heartbeat_ms = 50;
}

static void
test_heartbeat (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(TlTestClient) client = NULL;
  JsonObject *welcome, *heartbeat;

  welcome = connect_hello (f, &client, "token-a", NULL, 0);
  g_assert_cmpint (int_member (welcome, "heartbeatMs"), ==, 50);
  heartbeat = tl_test_client_wait (client, "heartbeat");
  g_assert_cmpint (int_member (heartbeat, "headSeq"), ==, 0);
}

static void
test_shutdown (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(TlTestClient) client = NULL;

  connect_hello (f, &client, "token-a", NULL, 0);
  tl_test_client_wait (client, "snapshot-end");
  tl_server_shutdown (f->server);
  g_assert_cmpuint (tl_test_client_wait_closed (client), ==, 4011);
}

static void
test_presence (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(TlTestClient) alice = NULL;
  g_autoptr(TlTestClient) bob = NULL;
  JsonObject *presence;

  seed_conversations (f);
  connect_hello (f, &alice, "token-a", NULL, 0);
  tl_test_client_wait (alice, "snapshot-end");
  /* After welcome alice hears the presence of everyone she shares with. */
  presence = tl_test_client_wait (alice, "presence");
  g_assert_false (json_object_get_boolean_member (presence, "isOnline"));

  connect_hello (f, &bob, "token-b", NULL, 0);
  do
    presence = tl_test_client_wait (alice, "presence");
  while (g_strcmp0 (str_member (presence, "userId"), "bob") != 0);
  g_assert_true (json_object_get_boolean_member (presence, "isOnline"));

  g_clear_pointer (&bob, tl_test_client_free);
  presence = tl_test_client_wait (alice, "presence");
  g_assert_cmpstr (str_member (presence, "userId"), ==, "bob");
  g_assert_false (json_object_get_boolean_member (presence, "isOnline"));
}

static JsonObject *
post_ok (Fixture    *f,
         const char *path,
         const char *body,
         JsonNode  **keep)
{
  guint status = tl_test_post_path (f->port, path, ADMIN, "application/json", body, keep);

  if (status != 200)
    g_error ("POST %s failed with %u: %s", path, status,
             *keep != NULL ? json_to_string (*keep, FALSE) : "(no body)");
  return json_node_get_object (*keep);
}

static JsonObject *
first_part (JsonObject *message)
{
  return json_array_get_object_element (json_object_get_array_member (message, "parts"), 0);
}

static void
test_stream_api (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(TlTestClient) alice = NULL;
  g_autoptr(TlTestClient) bob = NULL;
  g_autoptr(JsonNode) r1 = NULL;
  g_autoptr(JsonNode) r2 = NULL;
  g_autoptr(JsonNode) r3 = NULL;
  g_autoptr(JsonNode) r4 = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  JsonObject *o, *event, *message;
  JsonArray *sequences;

  seed_conversations (f);
  connect_hello (f, &alice, "token-a", NULL, 0);
  tl_test_client_wait (alice, "snapshot-end");

  o = post_ok (f, "/v1/streams", "{\"conversationId\":\"c-ab\",\"author\":{\"id\":\"bot-x\",\"displayName\":\"Bot\"}}", &r1);
  id = g_strdup (str_member (o, "messageId"));
  g_assert_nonnull (id);
  event = tl_test_client_wait (alice, "message-added");
  message = json_object_get_object_member (event, "message");
  g_assert_cmpstr (str_member (message, "id"), ==, id);
  g_assert_cmpstr (str_member (message, "status"), ==, "streaming");
  g_assert_cmpstr (str_member (message, "role"), ==, "assistant");

  path = g_strdup_printf ("/v1/streams/%s/chunks", id);
  o = post_ok (f, path,
    "[{\"type\":\"start\"},{\"type\":\"text-start\",\"id\":\"t1\"},"
    "{\"type\":\"text-delta\",\"id\":\"t1\",\"delta\":\"Hel\"},"
    "{\"type\":\"text-delta\",\"id\":\"t1\",\"delta\":\"lo\"}]", &r2);
  sequences = json_object_get_array_member (o, "sequences");
  g_assert_cmpuint (json_array_get_length (sequences), ==, 4);
  g_assert_cmpint (json_array_get_int_element (sequences, 3), ==, 4);
  g_assert_false (json_object_get_boolean_member (o, "finished"));
  for (gint64 i = 1; i <= 4; i++)
    {
      event = tl_test_client_wait (alice, "stream-chunk");
      g_assert_cmpint (int_member (event, "sequence"), ==, i);
      g_assert_cmpstr (str_member (event, "messageId"), ==, id);
      g_assert_cmpstr (str_member (event, "conversationId"), ==, "c-ab");
    }

  /* get-message mid-stream: the copy built from the chunks so far. */
  {
    g_autofree char *cmd = g_strdup_printf ("{\"type\":\"get-message\",\"requestId\":\"g\",\"messageId\":\"%s\"}", id);

    tl_test_client_send (alice, cmd);
  }
  o = tl_test_client_wait (alice, "ack");
  g_assert_cmpint (int_member (o, "streamSequence"), ==, 4);
  g_assert_cmpstr (str_member (first_part (json_object_get_object_member (o, "message")), "text"), ==, "Hello");

  /* A reconnecting client continues after the sequence it had. */
  {
    g_autofree char *hello = g_strdup_printf ("{\"type\":\"hello\",\"protocol\":[1],\"resume\":null,"
                                              "\"streams\":[{\"messageId\":\"%s\",\"sequence\":2}]}", id);

    bob = tl_test_client_connect (f->port, "token-b", TRUE);
    tl_test_client_send (bob, hello);
  }
  tl_test_client_wait (bob, "snapshot-end");
  event = tl_test_client_wait (bob, "stream-chunk");
  g_assert_cmpint (int_member (event, "sequence"), ==, 3);
  event = tl_test_client_wait (bob, "stream-chunk");
  g_assert_cmpint (int_member (event, "sequence"), ==, 4);

  o = post_ok (f, path, "[{\"type\":\"text-end\",\"id\":\"t1\"},{\"type\":\"finish\"}]", &r3);
  g_assert_true (json_object_get_boolean_member (o, "finished"));
  event = tl_test_client_wait (alice, "message-updated");
  message = json_object_get_object_member (event, "message");
  g_assert_cmpstr (str_member (message, "id"), ==, id);
  g_assert_cmpstr (str_member (message, "status"), ==, "sent");
  g_assert_cmpstr (str_member (first_part (message), "text"), ==, "Hello");
  g_assert_cmpstr (str_member (first_part (message), "state"), ==, "done");
  g_assert_cmpstr (str_member (json_object_get_object_member (message, "author"), "id"), ==, "bot-x");
  event = tl_test_client_wait (bob, "message-updated");

  /* Over for good. */
  g_assert_cmpuint (tl_test_post_path (f->port, path, ADMIN, "application/json",
                                       "{\"type\":\"text-delta\",\"id\":\"t1\",\"delta\":\"x\"}", NULL), ==, 409);
  g_assert_cmpuint (tl_test_post_path (f->port, "/v1/streams/nope/chunks", ADMIN, "application/json",
                                       "{\"type\":\"start\"}", NULL), ==, 404);
  g_assert_cmpuint (tl_test_post_path (f->port, "/v1/streams", ADMIN, "application/json",
                                       "{\"conversationId\":\"c-nowhere\"}", NULL), ==, 404);
  g_assert_cmpuint (tl_test_post_path (f->port, "/v1/streams", "wrong", "application/json",
                                       "{\"conversationId\":\"c-ab\"}", NULL), ==, 401);

  /* An invalid chunk is refused with its index, and nothing of the batch goes out. */
  {
    g_autoptr(JsonNode) r5 = NULL;
    g_autofree char *path2 = NULL;
    guint mark;

    o = post_ok (f, "/v1/streams", "{\"conversationId\":\"c-ab\"}", &r4);
    path2 = g_strdup_printf ("/v1/streams/%s/chunks", str_member (o, "messageId"));
    tl_test_client_wait (alice, "message-added");
    mark = alice->frames->len;
    g_assert_cmpuint (tl_test_post_path (f->port, path2, ADMIN, "application/json",
                                         "[{\"type\":\"start\"},{\"type\":\"text-delta\"}]", &r5), ==, 400);
    g_assert_cmpint (int_member (json_node_get_object (r5), "index"), ==, 1);
    tl_test_client_barrier (alice);
    g_assert_cmpuint (tl_test_client_count_since (alice, mark, "stream-chunk"), ==, 0);
  }
}

static void
test_regenerate_approval_stop (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(TlTestClient) alice = NULL;
  g_autoptr(JsonNode) r1 = NULL;
  g_autoptr(JsonNode) r2 = NULL;
  g_autofree char *old_id = NULL;
  g_autofree char *new_id = NULL;
  g_autofree char *created = NULL;
  g_autofree char *path = NULL;
  g_autofree char *cmd = NULL;
  JsonObject *o, *event, *message, *invocation;

  seed_conversations (f);
  connect_hello (f, &alice, "token-a", NULL, 0);
  tl_test_client_wait (alice, "snapshot-end");

  o = post_ok (f, "/v1/streams", "{\"conversationId\":\"c-ab\"}", &r1);
  old_id = g_strdup (str_member (o, "messageId"));
  event = tl_test_client_wait (alice, "message-added");
  created = g_strdup (str_member (json_object_get_object_member (event, "message"), "createdAt"));

  cmd = g_strdup_printf ("{\"type\":\"regenerate\",\"requestId\":\"r-1\",\"messageId\":\"%s\"}", old_id);
  tl_test_client_send (alice, cmd);
  o = tl_test_client_wait (alice, "ack");
  new_id = g_strdup (str_member (o, "messageId"));
  g_assert_cmpstr (new_id, !=, old_id);
  event = tl_test_client_wait (alice, "message-removed");
  g_assert_cmpstr (str_member (event, "messageId"), ==, old_id);
  event = tl_test_client_wait (alice, "message-added");
  message = json_object_get_object_member (event, "message");
  g_assert_cmpstr (str_member (message, "id"), ==, new_id);
  g_assert_cmpstr (str_member (message, "status"), ==, "streaming");
  g_assert_cmpstr (str_member (message, "createdAt"), ==, created);

  path = g_strdup_printf ("/v1/streams/%s/chunks", new_id);
  post_ok (f, path,
    "[{\"type\":\"start\"},{\"type\":\"tool-approval-request\",\"toolCallId\":\"c1\","
    "\"toolName\":\"deploy\",\"input\":{\"env\":\"prod\"},\"approvalId\":\"ap-1\"}]", &r2);

  g_free (cmd);
  cmd = g_strdup_printf ("{\"type\":\"respond-tool-approval\",\"requestId\":\"r-2\",\"messageId\":\"%s\","
                         "\"toolCallId\":\"c1\",\"approvalId\":\"ap-1\",\"approved\":false,\"reason\":\"not on prod\"}",
                         new_id);
  tl_test_client_send (alice, cmd);
  o = tl_test_client_wait (alice, "ack");
  g_assert_cmpstr (str_member (o, "requestId"), ==, "r-2");
  event = tl_test_client_wait (alice, "message-updated");
  invocation = json_object_get_object_member (first_part (json_object_get_object_member (event, "message")),
                                              "toolInvocation");
  g_assert_cmpstr (str_member (invocation, "state"), ==, "approval-responded");
  g_assert_false (json_object_get_boolean_member (json_object_get_object_member (invocation, "approval"), "approved"));
  g_assert_cmpstr (str_member (json_object_get_object_member (invocation, "approval"), "reason"), ==, "not on prod");

  /* Answering twice is a conflict. */
  tl_test_client_send (alice, cmd);
  o = tl_test_client_wait (alice, "error");
  g_assert_cmpstr (str_member (o, "code"), ==, "conflict");

  g_free (cmd);
  cmd = g_strdup_printf ("{\"type\":\"stop-stream\",\"requestId\":\"r-3\",\"messageId\":\"%s\"}", new_id);
  tl_test_client_send (alice, cmd);
  tl_test_client_wait (alice, "ack");
  do
    event = tl_test_client_wait (alice, "stream-chunk");
  while (g_strcmp0 (str_member (json_object_get_object_member (event, "chunk"), "type"), "abort") != 0);
  event = tl_test_client_wait (alice, "message-updated");
  message = json_object_get_object_member (event, "message");
  g_assert_cmpstr (str_member (message, "status"), ==, "cancelled");
  /* The approval the user gave survives the end of the stream. */
  invocation = json_object_get_object_member (first_part (message), "toolInvocation");
  g_assert_cmpstr (str_member (invocation, "state"), ==, "approval-responded");
}

static void
test_orphaned_stream (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(TlTestClient) alice = NULL;
  g_autoptr(JsonNode) r = NULL;
  g_autofree char *epoch = NULL;
  g_autofree char *id = NULL;
  JsonObject *welcome, *event, *message;
  gint64 head;

  seed_conversations (f);
  id = g_strdup (str_member (post_ok (f, "/v1/streams", "{\"conversationId\":\"c-ab\"}", &r), "messageId"));
  welcome = connect_hello (f, &alice, "token-a", NULL, 0);
  epoch = g_strdup (str_member (welcome, "epoch"));
  head = int_member (welcome, "headSeq");
  g_clear_pointer (&alice, tl_test_client_free);

  /* The stream dies with the server; the restarted one ends it as failed. */
  stop_server (f);
  start_server (f);
  welcome = connect_hello (f, &alice, "token-a", epoch, head);
  g_assert_cmpstr (str_member (welcome, "mode"), ==, "replay");
  event = tl_test_client_next (alice);
  g_assert_cmpstr (str_member (event, "type"), ==, "message-updated");
  message = json_object_get_object_member (event, "message");
  g_assert_cmpstr (str_member (message, "id"), ==, id);
  g_assert_cmpstr (str_member (message, "status"), ==, "error");
  g_assert_cmpstr (str_member (tl_test_client_next (alice), "type"), ==, "replay-done");
}

typedef struct
{
  GPtrArray *bodies;     /* JsonNode* */
  guint      failures;   /* answer 500 this many times first */
  char      *auth;
} Hook;

static void
on_hook_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  Hook *hook = user_data;
  g_autoptr(GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

  g_free (hook->auth);
  hook->auth = g_strdup (soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                       "Authorization"));
  g_ptr_array_add (hook->bodies, json_from_string (text, NULL));
  if (hook->failures > 0)
    {
      hook->failures--;
      soup_server_message_set_status (msg, 500, NULL);
    }
  else
    soup_server_message_set_status (msg, 204, NULL);
}

static gboolean
hook_has_two (gpointer data)
{
  return ((Hook *) data)->bodies->len >= 2;
}

static void
test_webhook (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(SoupServer) hook_server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TlTestClient) alice = NULL;
  g_autoptr(JsonNode) r = NULL;
  GSList *uris;
  Hook hook = { g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref), 1, NULL };
  JsonObject *body, *event, *message;
  guint hook_port;

  soup_server_add_handler (hook_server, "/hook", on_hook_cb, &hook, NULL);
  g_assert_true (soup_server_listen_local (hook_server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  uris = soup_server_get_uris (hook_server);
  hook_port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  stop_server (f);
  f->config.webhook_url = g_strdup_printf ("http://127.0.0.1:%u/hook", hook_port);
  f->config.webhook_retry_ms = 1;
  f->config.webhook_attempts = 3;
  start_server (f);

  json_node_unref (push (f,
    "{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c-ai\",\"title\":\"AI\","
    "\"participants\":[{\"id\":\"alice\"},{\"id\":\"llm\",\"displayName\":\"LLM\",\"role\":\"assistant\"}]}}"));
  connect_hello (f, &alice, "token-a", NULL, 0);
  tl_test_client_wait (alice, "snapshot-end");
  tl_test_client_send (alice, "{\"type\":\"send-message\",\"requestId\":\"r-1\",\"message\":{\"id\":\"q-1\","
                              "\"conversationId\":\"c-ai\",\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\"hi\"}]}}");

  /* One failure, then the retry gets through. */
  tl_test_wait_until (hook_has_two, &hook, "the webhook retry");
  body = json_node_get_object (g_ptr_array_index (hook.bodies, 1));
  g_assert_cmpstr (hook.auth, ==, "Bearer " ADMIN);
  g_assert_cmpstr (str_member (body, "reason"), ==, "message");
  g_assert_cmpstr (str_member (body, "replyTo"), ==, "q-1");
  g_assert_cmpstr (str_member (json_object_get_object_member (body, "message"), "id"), ==, "q-1");
  g_assert_cmpstr (str_member (json_object_get_object_member (body, "conversation"), "id"), ==, "c-ai");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (body, "history")), ==, 1);
  {
    g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/v1/streams", f->port);

    g_assert_cmpstr (str_member (body, "streamUrl"), ==, url);
  }

  /* The service answers through the stream API. */
  {
    g_autofree char *path = NULL;
    JsonObject *o = post_ok (f, "/v1/streams",
                             "{\"conversationId\":\"c-ai\",\"author\":{\"id\":\"llm\",\"role\":\"assistant\"}}", &r);

    path = g_strdup_printf ("/v1/streams/%s/chunks", str_member (o, "messageId"));
    g_assert_cmpuint (tl_test_post_path (f->port, path, ADMIN, "application/json",
                                         "[{\"type\":\"text-delta\",\"id\":\"a\",\"delta\":\"Hi!\"},{\"type\":\"finish\"}]",
                                         NULL), ==, 200);
  }
  do
    {
      event = tl_test_client_wait (alice, "message-updated");
      message = json_object_get_object_member (event, "message");
    }
  while (g_strcmp0 (str_member (message, "role"), "assistant") != 0);
  g_assert_cmpstr (str_member (message, "status"), ==, "sent");
  g_assert_cmpstr (str_member (first_part (message), "text"), ==, "Hi!");

  /* A hook that never answers: after the last try the reply shows an error. */
  hook.failures = 100;
  tl_test_client_send (alice, "{\"type\":\"send-message\",\"requestId\":\"r-2\",\"message\":{\"id\":\"q-2\","
                              "\"conversationId\":\"c-ai\",\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\"again\"}]}}");
  do
    {
      event = tl_test_client_wait (alice, "message-updated");
      message = json_object_get_object_member (event, "message");
    }
  while (g_strcmp0 (str_member (message, "status"), "error") != 0);
  g_assert_cmpstr (str_member (message, "role"), ==, "assistant");
  g_assert_cmpstr (str_member (json_object_get_object_member (message, "author"), "id"), ==, "llm");
  g_assert_cmpuint (hook.bodies->len, ==, 2 + 3);

  g_ptr_array_unref (hook.bodies);
  g_free (hook.auth);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn, cfg) \
  g_test_add ("/threadline/server/" path, Fixture, (gconstpointer) (cfg), fixture_setup, fn, fixture_teardown)

  ADD ("auth-refused", test_auth_refused, NULL);
  ADD ("subprotocol-refused", test_subprotocol_refused, NULL);
  ADD ("hello-snapshot", test_hello_snapshot, NULL);
  ADD ("replay", test_replay, NULL);
  ADD ("replay-after-restart", test_replay_after_restart, NULL);
  ADD ("snapshot-reasons", test_snapshot_reasons, NULL);
  ADD ("snapshot-expired", test_snapshot_expired, small_retain);
  ADD ("membership", test_membership, NULL);
  ADD ("send-idempotent", test_send_idempotent, NULL);
  ADD ("typing", test_typing, NULL);
  ADD ("commands", test_commands, NULL);
  ADD ("history", test_history, NULL);
  ADD ("push-validation", test_push_validation, small_body);
  ADD ("rate-limit", test_rate_limit, tight_rate);
  ADD ("undecodable", test_undecodable, NULL);
  ADD ("heartbeat", test_heartbeat, fast_heartbeat);
  ADD ("shutdown", test_shutdown, NULL);
  ADD ("presence", test_presence, NULL);
  ADD ("stream-api", test_stream_api, NULL);
  ADD ("regenerate-approval-stop", test_regenerate_approval_stop, NULL);
  ADD ("webhook", test_webhook, NULL);
  ADD ("orphaned-stream", test_orphaned_stream, NULL);

  return g_test_run ();
}
