/* test-live.c — the window, a real connection and a real server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What issue 6 asks of the composer end to end: a message written in the
 * window shows at once as "Sending…", and the same row turns sent when the
 * server's ack or echo arrives — against threadline-server --demo over
 * loopback, through TlConnection. The test's app.send-message does what
 * TlApplication's does: hand the text to the connection.
 */
#include <adwaita.h>
#include <string.h>

#include "tl-composer.h"
#include "tl-conversation-row.h"
#include "tl-connection.h"
#include "tl-message-row.h"
#include "tl-window.h"
#include "tl-ui-test.h"

typedef struct
{
  TlUiTestServer *server;
  TlStore      *store;
  TlConnection *connection;
  TlWindow     *window;
} Fixture;

static gboolean
wait_until (gboolean (*check) (Fixture *),
            Fixture   *f)
{
  gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  /* The deadline only guards against a hang; the check decides. */
  while (!check (f))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, TRUE);
    }
  return TRUE;
}

static void
on_send_cb (GSimpleAction *action,
            GVariant      *parameter,
            Fixture       *f)
{
  const char *conversation, *text;
  g_autofree char *id = NULL;

  g_variant_get (parameter, "(&s&s)", &conversation, &text);
  id = tl_connection_send_message (f->connection, conversation, text, NULL);
  g_assert_nonnull (id);
}

static GtkWidget *
find_composer (GtkWidget *root)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (TL_IS_COMPOSER (child))
        return child;
      if ((found = find_composer (child)) != NULL)
        return found;
    }
  return NULL;
}

static gboolean
is_live (Fixture *f)
{
  return tl_connection_get_state (f->connection) == TL_CONNECTION_STATE_LIVE &&
         g_list_model_get_n_items (tl_store_get_conversations (f->store)) > 0;
}

static TlMessage *
find_sent_text (Fixture    *f,
                const char *text)
{
  GListModel *conversations = tl_store_get_conversations (f->store);

  for (guint c = 0; c < g_list_model_get_n_items (conversations); c++)
    {
      g_autoptr(TlConversation) conversation = g_list_model_get_item (conversations, c);
      GListModel *messages = tl_conversation_get_messages (conversation);

      for (guint i = 0; i < g_list_model_get_n_items (messages); i++)
        {
          g_autoptr(TlMessage) message = g_list_model_get_item (messages, i);
          g_autofree char *parts = tl_message_dup_parts_json (message);

          if (parts != NULL && strstr (parts, text) != NULL)
            return message;
        }
    }
  return NULL;
}

static gboolean
is_sent (Fixture *f)
{
  TlMessage *message = find_sent_text (f, "hello from the window");

  return message != NULL && g_strcmp0 (tl_message_get_status (message), "sent") == 0;
}

static void
test_send_turns_sent (void)
{
  g_autoptr(GSimpleActionGroup) app = g_simple_action_group_new ();
  g_autoptr(GSimpleAction) send = g_simple_action_new ("send-message", G_VARIANT_TYPE ("(ss)"));
  g_autoptr(GError) error = NULL;
  g_autoptr(TlConversation) first = NULL;
  Fixture f = { NULL };
  TlComposer *composer;
  TlMessage *message;
  guint sending_rows_seen = 0;

  f.server = tl_ui_test_server_start ();
  f.store = tl_store_new ();
  f.connection = tl_connection_new (f.store, f.server->url, &error);
  g_assert_no_error (error);
  tl_connection_set_token (f.connection, f.server->token);
  tl_connection_start (f.connection);
  g_assert_true (wait_until (is_live, &f));

  g_signal_connect (send, "activate", G_CALLBACK (on_send_cb), &f);
  g_action_map_add_action (G_ACTION_MAP (app), G_ACTION (send));
  f.window = tl_window_new (NULL, f.store);
  gtk_widget_insert_action_group (GTK_WIDGET (f.window), "app", G_ACTION_GROUP (app));
  gtk_window_set_default_size (GTK_WINDOW (f.window), 1000, 640);
  gtk_window_present (GTK_WINDOW (f.window));
  first = g_list_model_get_item (tl_store_get_conversations (f.store), 0);
  tl_store_set_active_conversation_id (f.store, tl_conversation_get_id (first));
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);

  /* Opened just as the connection went live: one row per conversation,
   * as many as the store holds (the models were not ahead of their
   * announcements when the state changed). */
  tl_ui_test_pump (200);
  g_assert_cmpuint (tl_ui_test_count (GTK_WIDGET (f.window), TL_TYPE_CONVERSATION_ROW), ==,
                    g_list_model_get_n_items (tl_store_get_conversations (f.store)));

  composer = TL_COMPOSER (find_composer (GTK_WIDGET (f.window)));
  g_assert_nonnull (composer);
  tl_composer_set_text (composer, "hello from the window");
  tl_composer_submit (composer);

  /* Shown at once, as sending: the optimistic row. */
  message = find_sent_text (&f, "hello from the window");
  g_assert_nonnull (message);
  sending_rows_seen = g_strcmp0 (tl_message_get_status (message), "sending") == 0;
  g_assert_cmpuint (sending_rows_seen, ==, 1);
  g_object_ref (message);

  /* The same object turns sent: reconciled in place, never duplicated. */
  g_assert_true (wait_until (is_sent, &f));
  g_assert_true (find_sent_text (&f, "hello from the window") == message);
  g_object_unref (message);

  /* The demo going on around it, for the metainfo and for looking at. */
  tl_ui_test_pump (1500);
  tl_ui_test_screenshot (GTK_WIDGET (f.window), "demo.png");

  /* As the app quits: the connection first, then the window once its
   * pending frames have run. Destroying a window whose thread list still
   * has a change waiting for its next frame aborts inside GTK 4.8's list
   * item manager; the app never does that (a window closes between
   * frames). */
  tl_connection_stop (f.connection);
  {
    gint64 end = g_get_monotonic_time () + 300 * 1000;

    while (g_get_monotonic_time () < end)
      g_main_context_iteration (NULL, FALSE);
  }
  gtk_window_destroy (GTK_WINDOW (f.window));
  g_clear_object (&f.connection);
  g_clear_object (&f.store);
  tl_ui_test_server_stop (f.server);
}

int
main (int    argc,
      char **argv)
{
  tl_ui_test_init (&argc, &argv);
  g_test_add_func ("/threadline/app/live/send-turns-sent", test_send_turns_sent);
  return g_test_run ();
}
