/* test-window.c — the window against an in-process store, under Xvfb
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Drives the real widgets: rows follow the models, the placeholder appears
 * when the active conversation is removed, markup in messages stays literal,
 * a streaming reply grows in one row, and the composer raises app actions.
 * Saves screenshots of the main states to $TL_SCREENSHOT_DIR.
 */
#include <adwaita.h>
#include <string.h>

#include "tl-composer.h"
#include "tl-conversation-row.h"
#include "tl-app-util.h"
#include "tl-day-clock.h"
#include "tl-message-row.h"
#include "tl-markdown-view.h"
#include "tl-json.h"
#include "tl-store.h"
#include "tl-thread-view.h"
#include "tl-window.h"
#include "tl-ui-test.h"

static void
apply (TlStore    *store,
       const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = tl_json_decode_frame (json, strlen (json), &error);

  g_assert_no_error (error);
  tl_store_apply_node (store, root, TL_APPLY_FLAGS_FILE, &error);
  g_assert_no_error (error);
}

/* Iterates until @check holds; the timeout only guards against a hang. */
static gboolean
wait_for (gboolean (*check) (gpointer),
          gpointer   data)
{
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (!check (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return TRUE;
}

static gboolean
label_with_text_exists (GtkWidget  *root,
                        const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LABEL (child) && gtk_widget_get_mapped (child) &&
          g_strcmp0 (gtk_label_get_text (GTK_LABEL (child)), text) == 0)
        return TRUE;
      if (label_with_text_exists (child, text))
        return TRUE;
    }
  return FALSE;
}

typedef struct
{
  TlStore    *store;
  TlWindow   *window;
  GPtrArray  *actions;   /* "name parameter" of app.* actions raised */
} Fixture;

static void
on_app_action_cb (GSimpleAction *action,
                  GVariant      *parameter,
                  Fixture       *fixture)
{
  g_autofree char *printed = parameter ? g_variant_print (parameter, FALSE) : g_strdup ("");

  g_ptr_array_add (fixture->actions,
                   g_strdup_printf ("%s %s", g_action_get_name (G_ACTION (action)), printed));
}

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  static const struct { const char *name; const char *type; } app_actions[] = {
    { "send-message", "(ss)" }, { "set-typing", "(sb)" }, { "mark-read", "(ss)" },
    { "retry-message", "s" }, { "regenerate", "s" }, { "stop-stream", "s" },
    { "respond-tool-approval", "(sssbs)" }, { "new-conversation", NULL },
    { "remove-conversation", "s" }, { "reconnect", NULL }, { "preferences", NULL },
    { "load-history", "(ss)" }, { "remove-message", "s" }, { "try-demo", NULL },
  };
  g_autoptr(GSimpleActionGroup) group = g_simple_action_group_new ();

  fixture->store = tl_store_new ();
  fixture->actions = g_ptr_array_new_with_free_func (g_free);
  tl_store_set_local_user_id (fixture->store, "u-me");
  apply (fixture->store,
         "{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c-support\",\"title\":\"Support\","
         "\"unreadCount\":3,\"participants\":[{\"id\":\"u-me\",\"displayName\":\"Ada\"},"
         "{\"id\":\"u-grace\",\"displayName\":\"Grace\",\"isOnline\":true}]}}");
  apply (fixture->store,
         "{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c-team\",\"title\":\"Team room\","
         "\"lastMessageAt\":\"2026-12-03T09:00:00Z\"}}");
  apply (fixture->store,
         "{\"type\":\"message-added\",\"message\":{\"id\":\"m-1\",\"conversationId\":\"c-support\",\"role\":\"user\","
         "\"parts\":[{\"type\":\"text\",\"text\":\"Export fails with <b>&amp;</b> — see **this**\"}],"
         "\"createdAt\":\"2026-12-03T10:00:00Z\",\"status\":\"sent\","
         "\"author\":{\"id\":\"u-grace\",\"displayName\":\"Grace\"}}}");
  apply (fixture->store,
         "{\"type\":\"message-added\",\"message\":{\"id\":\"m-2\",\"conversationId\":\"c-support\",\"role\":\"user\","
         "\"parts\":[{\"type\":\"text\",\"text\":\"Looking into it. Try:\\n\\n```sh\\nexport --verbose\\n```\"}],"
         "\"createdAt\":\"2026-12-03T10:01:00Z\",\"status\":\"sent\","
         "\"author\":{\"id\":\"u-me\",\"displayName\":\"Ada\"}}}");

  for (guint i = 0; i < G_N_ELEMENTS (app_actions); i++)
    {
      g_autoptr(GSimpleAction) action =
        g_simple_action_new (app_actions[i].name,
                             app_actions[i].type ? G_VARIANT_TYPE (app_actions[i].type) : NULL);

      g_signal_connect (action, "activate", G_CALLBACK (on_app_action_cb), fixture);
      g_action_map_add_action (G_ACTION_MAP (group), G_ACTION (action));
    }

  fixture->window = tl_window_new (NULL, fixture->store);
  gtk_widget_insert_action_group (GTK_WIDGET (fixture->window), "app", G_ACTION_GROUP (group));
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1000, 640);
  gtk_window_present (GTK_WINDOW (fixture->window));
  tl_ui_test_pump (200);
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  tl_ui_test_pump (50);
  g_clear_object (&fixture->store);
  g_ptr_array_unref (fixture->actions);
}

static gboolean
action_raised (Fixture    *f,
               const char *text)
{
  for (guint i = 0; i < f->actions->len; i++)
    if (strcmp (f->actions->pdata[i], text) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
has_rows (gpointer data)
{
  Fixture *f = data;

  return tl_ui_test_count (GTK_WIDGET (f->window), TL_TYPE_CONVERSATION_ROW) >= 2;
}

static void
test_sidebar_follows_store (Fixture      *f,
                            gconstpointer data)
{
  g_assert_true (wait_for (has_rows, f));
  tl_ui_test_screenshot (GTK_WIDGET (f->window), "welcome.png");
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "Support"));
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "3"));
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "No Conversation Selected"));

  apply (f->store, "{\"type\":\"conversation-updated\",\"conversation\":{\"id\":\"c-team\",\"title\":\"Renamed room\"}}");
  tl_ui_test_pump (50);
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "Renamed room"));

  apply (f->store, "{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c-new\",\"title\":\"Brand new\"}}");
  tl_ui_test_pump (50);
  g_assert_cmpuint (tl_ui_test_count (GTK_WIDGET (f->window), TL_TYPE_CONVERSATION_ROW), ==, 3);

  apply (f->store, "{\"type\":\"conversation-removed\",\"conversationId\":\"c-new\"}");
  tl_ui_test_pump (50);
  g_assert_false (label_with_text_exists (GTK_WIDGET (f->window), "Brand new"));

  /* Presence of the one other person in a 1:1 conversation. */
  {
    GtkWidget *row = tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_CONVERSATION_ROW, 0);
    GtkWidget *dot = NULL;
    GtkWidget *box;

    for (guint i = 0; (box = tl_ui_test_find (row, GTK_TYPE_BOX, i)) != NULL; i++)
      if (gtk_widget_has_css_class (box, "tl-presence-dot"))
        dot = box;
    g_assert_nonnull (dot);
    apply (f->store, "{\"type\":\"presence\",\"userId\":\"u-grace\",\"isOnline\":false}");
    tl_ui_test_pump (30);
    g_assert_false (gtk_widget_get_visible (dot));
  }

  /* Typing shows in the row, the local user's own never. */
  apply (f->store, "{\"type\":\"typing\",\"conversationId\":\"c-support\",\"userId\":\"u-me\",\"isTyping\":true}");
  tl_ui_test_pump (30);
  g_assert_false (label_with_text_exists (GTK_WIDGET (f->window), "Ada is typing…"));
  apply (f->store, "{\"type\":\"typing\",\"conversationId\":\"c-support\",\"userId\":\"u-grace\",\"isTyping\":true}");
  tl_ui_test_pump (30);
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "Grace is typing…"));
}

static void
test_thread_and_markup (Fixture      *f,
                        gconstpointer data)
{
  tl_store_set_active_conversation_id (f->store, "c-support");
  tl_ui_test_pump (200);
  /* The marked-up text is shown as typed, never interpreted. */
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "Export fails with <b>&amp;</b> — see this"));
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "export --verbose"));
  g_assert_cmpuint (tl_ui_test_count (GTK_WIDGET (f->window), TL_TYPE_MESSAGE_ROW), ==, 2);
  /* A second message from the same author shares the first one's header
   * and avatar. */
  apply (f->store, "{\"type\":\"message-added\",\"message\":{\"id\":\"m-3\",\"conversationId\":\"c-support\",\"role\":\"user\","
                   "\"parts\":[{\"type\":\"text\",\"text\":\"One more thing.\"}],"
                   "\"createdAt\":\"2026-12-03T10:02:00Z\",\"status\":\"sent\","
                   "\"author\":{\"id\":\"u-me\",\"displayName\":\"Ada\"}}}");
  tl_ui_test_pump (100);
  {
    GtkWidget *grouped = tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_MESSAGE_ROW, 2);

    g_assert_true (label_with_text_exists (grouped, "One more thing."));
    g_assert_cmpuint (tl_ui_test_count (grouped, ADW_TYPE_AVATAR), ==, 0);
    g_assert_false (label_with_text_exists (grouped, "Ada"));
    g_assert_cmpuint (tl_ui_test_count (tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_MESSAGE_ROW, 1),
                                        ADW_TYPE_AVATAR), ==, 1);
  }
  /* Opening the conversation marks it read through the app. */
  g_assert_true (action_raised (f, "mark-read ('c-support', 'm-2')"));
  /* A receipt shows on the message it names, as it arrives. */
  apply (f->store, "{\"type\":\"read\",\"conversationId\":\"c-support\",\"messageId\":\"m-2\",\"userId\":\"u-grace\"}");
  tl_ui_test_pump (50);
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "Seen by Grace"));
  tl_ui_test_screenshot (GTK_WIDGET (f->window), "thread.png");
}

static void
test_placeholder_when_active_removed (Fixture      *f,
                                      gconstpointer data)
{
  tl_store_set_active_conversation_id (f->store, "c-support");
  tl_ui_test_pump (100);
  g_assert_false (label_with_text_exists (GTK_WIDGET (f->window), "No Conversation Selected"));
  apply (f->store, "{\"type\":\"conversation-removed\",\"conversationId\":\"c-support\"}");
  tl_ui_test_pump (100);
  g_assert_null (tl_store_get_active_conversation_id (f->store));
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "No Conversation Selected"));
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "“Support” was removed"));
  tl_ui_test_screenshot (GTK_WIDGET (f->window), "placeholder.png");
}

static void
test_toast_is_literal (Fixture      *f,
                       gconstpointer data)
{
  tl_store_set_active_conversation_id (f->store, "c-team");
  apply (f->store, "{\"type\":\"conversation-updated\",\"conversation\":{\"id\":\"c-team\","
                   "\"title\":\"Tom & <b>Jerry</b>\"}}");
  tl_ui_test_pump (50);
  apply (f->store, "{\"type\":\"conversation-removed\",\"conversationId\":\"c-team\"}");
  tl_ui_test_pump (100);
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "“Tom & <b>Jerry</b>” was removed"));
}

static void
test_streaming_grows_in_place (Fixture      *f,
                               gconstpointer data)
{
  GtkWidget *row, *row_after;
  static const char *deltas[] = { "Here is", " a **plan**:\\n\\n", "1. check the log\\n", "2. retry" };

  tl_store_set_active_conversation_id (f->store, "c-support");
  apply (f->store,
         "{\"type\":\"message-added\",\"seq\":1,\"message\":{\"id\":\"r-1\",\"conversationId\":\"c-support\","
         "\"role\":\"assistant\",\"parts\":[],\"status\":\"streaming\",\"author\":{\"id\":\"bot\",\"displayName\":\"Helper\"}}}");
  tl_ui_test_pump (100);
  row = tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_MESSAGE_ROW, 2);
  g_assert_nonnull (row);
  g_assert_cmpstr (tl_message_get_id (tl_message_row_get_message (TL_MESSAGE_ROW (row))), ==, "r-1");

  for (guint i = 0; i < G_N_ELEMENTS (deltas); i++)
    {
      g_autofree char *line = g_strdup_printf (
        "{\"type\":\"stream-chunk\",\"conversationId\":\"c-support\",\"messageId\":\"r-1\",\"sequence\":%u,"
        "\"chunk\":{\"type\":\"text-delta\",\"id\":\"t\",\"delta\":\"%s\"}}", i + 1, deltas[i]);

      apply (f->store, line);
      tl_ui_test_pump (30);
    }
  tl_ui_test_screenshot (GTK_WIDGET (f->window), "streaming.png");
  row_after = tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_MESSAGE_ROW, 2);
  g_assert_true (row_after == row);
  g_assert_true (label_with_text_exists (row, "retry"));
  g_assert_true (label_with_text_exists (row, "Writing…"));
  /* The sidebar's preview follows the reply as it grows, as read. */
  g_assert_true (label_with_text_exists (tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_CONVERSATION_ROW, 0),
                                         "Here is a plan: check the log retry"));

  apply (f->store,
         "{\"type\":\"stream-chunk\",\"conversationId\":\"c-support\",\"messageId\":\"r-1\",\"sequence\":5,"
         "\"chunk\":{\"type\":\"finish\"}}");
  tl_ui_test_pump (50);
  g_assert_false (label_with_text_exists (row, "Writing…"));
}

static void
test_composer_sends (Fixture      *f,
                     gconstpointer data)
{
  TlComposer *composer;
  g_autofree char *left = NULL;

  tl_store_set_active_conversation_id (f->store, "c-support");
  tl_ui_test_pump (100);
  composer = TL_COMPOSER (tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_COMPOSER, 0));
  g_assert_nonnull (composer);
  /* Whitespace alone is not a message. */
  tl_composer_set_text (composer, "   \n ");
  tl_composer_submit (composer);
  g_assert_false (action_raised (f, "send-message ('c-support', '')"));

  tl_composer_set_text (composer, "  hello <i>there</i>\nsecond line ");
  tl_ui_test_pump (20);
  g_assert_true (action_raised (f, "set-typing ('c-support', true)"));
  tl_composer_submit (composer);
  g_assert_true (action_raised (f, "send-message ('c-support', 'hello <i>there</i>\\nsecond line')"));
  g_assert_true (action_raised (f, "set-typing ('c-support', false)"));
  left = tl_composer_dup_text (composer);
  g_assert_cmpstr (left, ==, "");
}

static void
test_optimistic_row_reconciled (Fixture      *f,
                                gconstpointer data)
{
  GtkWidget *row;

  tl_store_set_active_conversation_id (f->store, "c-support");
  tl_ui_test_pump (100);
  /* The outbox's optimistic row has no createdAt, so it sorts last… */
  apply (f->store, "{\"type\":\"message-added\",\"message\":{\"id\":\"m-o\",\"conversationId\":\"c-support\","
                   "\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\"optimistic\"}],\"status\":\"sending\","
                   "\"author\":{\"id\":\"u-me\",\"displayName\":\"Ada\"}}}");
  tl_ui_test_pump (100);
  row = tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_MESSAGE_ROW, 2);
  g_assert_nonnull (row);
  g_assert_true (label_with_text_exists (row, "Sending…"));
  /* …and the server's copy places it by its createdAt, between the others. */
  apply (f->store, "{\"type\":\"message-added\",\"seq\":7,\"message\":{\"id\":\"m-o\",\"conversationId\":\"c-support\","
                   "\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\"optimistic\"}],\"status\":\"sent\","
                   "\"createdAt\":\"2026-12-03T10:00:30Z\",\"author\":{\"id\":\"u-me\",\"displayName\":\"Ada\"}}}");
  tl_ui_test_pump (100);
  g_assert_false (label_with_text_exists (GTK_WIDGET (f->window), "Sending…"));
  g_assert_cmpuint (tl_ui_test_count (GTK_WIDGET (f->window), TL_TYPE_MESSAGE_ROW), ==, 3);
}

static void
test_change_before_first_frame (Fixture      *f,
                                gconstpointer data)
{
  /* Open a conversation and change its thread before any frame has laid
   * the list out, then go away at once: the teardown must cope. */
  tl_store_set_active_conversation_id (f->store, "c-support");
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  apply (f->store, "{\"type\":\"message-added\",\"message\":{\"id\":\"m-early\",\"conversationId\":\"c-support\","
                   "\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\"early\"}],\"status\":\"sending\"}}");
  for (int i = 0; i < 5; i++)
    g_main_context_iteration (NULL, FALSE);
}

static void
test_welcome (Fixture      *f,
              gconstpointer data)
{
  GtkWidget *button = NULL;
  GtkWidget *candidate;

  /* First run: the thread side offers the demo and a way to connect. */
  tl_window_set_welcome (f->window, TRUE);
  tl_ui_test_pump (100);
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "Welcome to Threadline"));
  for (guint i = 0; (candidate = tl_ui_test_find (GTK_WIDGET (f->window), GTK_TYPE_BUTTON, i)) != NULL; i++)
    if (g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (candidate)), "app.try-demo") == 0)
      button = candidate;
  g_assert_nonnull (button);
  tl_ui_test_screenshot (GTK_WIDGET (f->window), "first-run.png");
  g_signal_emit_by_name (button, "clicked");
  g_assert_true (action_raised (f, "try-demo "));
  tl_window_set_welcome (f->window, FALSE);
  tl_ui_test_pump (50);
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "No Conversation Selected"));
}

static void
test_created_conversation_opens_on_arrival (Fixture      *f,
                                            gconstpointer data)
{
  /* The app makes a conversation it creates active at once; the server's
   * conversation-added follows. */
  tl_store_set_active_conversation_id (f->store, "c-new");
  tl_ui_test_pump (50);
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "No Conversation Selected"));
  apply (f->store, "{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c-new\",\"title\":\"Launch plans\"}}");
  tl_ui_test_pump (100);
  g_assert_false (label_with_text_exists (GTK_WIDGET (f->window), "No Conversation Selected"));
  g_assert_cmpstr (tl_store_get_active_conversation_id (f->store), ==, "c-new");
}

static void
test_message_actions (Fixture      *f,
                      gconstpointer data)
{
  GtkWidget *theirs, *own;
  GdkClipboard *clipboard;

  tl_store_set_active_conversation_id (f->store, "c-support");
  tl_ui_test_pump (150);
  theirs = tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_MESSAGE_ROW, 0);
  own = tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_MESSAGE_ROW, 1);
  g_assert_cmpstr (tl_message_get_id (tl_message_row_get_message (TL_MESSAGE_ROW (own))), ==, "m-2");

  /* Removing is for one's own messages only. */
  gtk_widget_activate_action (theirs, "message.remove", NULL);
  g_assert_false (action_raised (f, "remove-message 'm-1'"));
  gtk_widget_activate_action (own, "message.remove", NULL);
  g_assert_true (action_raised (f, "remove-message 'm-2'"));

  /* Copy puts the text as written on the clipboard. */
  gtk_widget_activate_action (theirs, "message.copy", NULL);
  clipboard = gtk_widget_get_clipboard (theirs);
  g_assert_true (gdk_clipboard_is_local (clipboard));
  {
    GdkContentProvider *content = gdk_clipboard_get_content (clipboard);
    GValue value = G_VALUE_INIT;

    g_value_init (&value, G_TYPE_STRING);
    g_assert_true (gdk_content_provider_get_value (content, &value, NULL));
    g_assert_cmpstr (g_value_get_string (&value), ==, "Export fails with <b>&amp;</b> — see **this**");
    g_value_unset (&value);
  }
}

static void
test_older_history_requested (Fixture      *f,
                              gconstpointer data)
{
  /* A first page that does not fill the view asks for more at once, once. */
  apply (f->store, "{\"type\":\"snapshot-begin\",\"epoch\":\"e\",\"atSeq\":0}");
  apply (f->store, "{\"type\":\"snapshot-conversations\",\"conversations\":[{\"id\":\"c-long\",\"title\":\"Long\"}]}");
  apply (f->store, "{\"type\":\"snapshot-messages\",\"conversationId\":\"c-long\",\"messages\":["
                   "{\"id\":\"h-1\",\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\"recent\"}],"
                   "\"createdAt\":\"2026-12-03T10:00:00Z\"}],\"hasMoreHistory\":true,\"historyCursor\":\"before-h-1\"}");
  apply (f->store, "{\"type\":\"snapshot-end\",\"atSeq\":0}");
  tl_store_set_active_conversation_id (f->store, "c-long");
  tl_ui_test_pump (200);
  g_assert_true (action_raised (f, "load-history ('c-long', 'before-h-1')"));
  {
    guint count = 0;

    for (guint i = 0; i < f->actions->len; i++)
      count += g_str_has_prefix (f->actions->pdata[i], "load-history ");
    g_assert_cmpuint (count, ==, 1);
  }
  /* The page arrives and says there is no more: no further request. */
  tl_store_set_history_position (f->store, "c-long", FALSE, NULL);
  tl_ui_test_pump (100);
  g_assert_false (action_raised (f, "load-history ('c-long', '')"));
}

static void
test_header_presence (Fixture      *f,
                      gconstpointer data)
{
  /* A person: online or offline as the server says, as it changes. */
  tl_store_set_active_conversation_id (f->store, "c-support");
  tl_ui_test_pump (100);
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "Online"));
  apply (f->store, "{\"type\":\"presence\",\"userId\":\"u-grace\",\"isOnline\":false}");
  tl_ui_test_pump (50);
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "Offline"));

  /* An assistant has no presence to show, whatever the server sends. */
  apply (f->store, "{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c-bot\",\"title\":\"Assistant\","
                   "\"participants\":[{\"id\":\"u-me\"},{\"id\":\"bot\",\"role\":\"assistant\",\"isOnline\":false}]}}");
  tl_store_set_active_conversation_id (f->store, "c-bot");
  tl_ui_test_pump (100);
  g_assert_false (label_with_text_exists (GTK_WIDGET (f->window), "Offline"));
  g_assert_false (label_with_text_exists (GTK_WIDGET (f->window), "Online"));
}

static GtkWidget *
find_button_labelled (GtkWidget  *root,
                      const char *label)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (child) && gtk_widget_get_mapped (child) &&
          g_strcmp0 (gtk_button_get_label (GTK_BUTTON (child)), label) == 0)
        return child;
      if ((found = find_button_labelled (child, label)) != NULL)
        return found;
    }
  return NULL;
}

static void
test_connection_status (Fixture      *f,
                        gconstpointer data)
{
  GtkWidget *button;
  GtkWidget *text_view;

  tl_store_set_active_conversation_id (f->store, "c-support");
  tl_ui_test_pump (100);
  text_view = tl_ui_test_find (GTK_WIDGET (f->window), GTK_TYPE_TEXT_VIEW, 0);

  /* Offline: when the next attempt is, and a way to try now. */
  tl_window_set_status (f->window, TL_WINDOW_STATUS_OFFLINE, 5);
  tl_ui_test_pump (400);
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "Offline — retrying in 5 seconds"));
  button = find_button_labelled (GTK_WIDGET (f->window), "Retry _Now");
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  g_assert_true (action_raised (f, "reconnect "));
  /* Messages written offline wait in the outbox: the composer stays open. */
  g_assert_true (gtk_widget_get_sensitive (text_view));

  /* Signed out: the composer says why it is closed, and how to sign in. */
  tl_window_set_status (f->window, TL_WINDOW_STATUS_AUTH_FAILED, -1);
  tl_ui_test_pump (400);
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window),
                                         "Authentication failed. Sign in again to keep chatting."));
  g_assert_nonnull (find_button_labelled (GTK_WIDGET (f->window), "_Sign In"));
  g_assert_false (gtk_widget_get_sensitive (text_view));
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window),
                                         "You are signed out. Messages you write wait until you sign in again."));

  /* Back online: nothing in the way. */
  tl_window_set_status (f->window, TL_WINDOW_STATUS_ONLINE, -1);
  tl_ui_test_pump (400);
  g_assert_true (gtk_widget_get_sensitive (text_view));
  g_assert_false (label_with_text_exists (GTK_WIDGET (f->window),
                                          "Authentication failed. Sign in again to keep chatting."));
}

/* The mapped widget with @role (or any, if -1) whose accessible label is
 * @label, as a screen reader would find it. */
static GtkWidget *
find_accessible (GtkWidget  *root,
                 int         role,
                 const char *label)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (gtk_widget_get_mapped (child) &&
          (role < 0 || gtk_test_accessible_has_role (GTK_ACCESSIBLE (child), role)))
        {
          g_autofree char *mismatch =
            gtk_test_accessible_check_property (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_PROPERTY_LABEL, label);

          if (mismatch == NULL)
            return child;
        }
      if ((found = find_accessible (child, role, label)) != NULL)
        return found;
    }
  return NULL;
}

static GtkListView *
thread_list (Fixture *f)
{
  GtkWidget *thread = tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_THREAD_VIEW, 0);

  return GTK_LIST_VIEW (tl_ui_test_find (thread, GTK_TYPE_LIST_VIEW, 0));
}

static void
test_long_conversation (Fixture      *f,
                        gconstpointer data)
{
  GtkAdjustment *adjustment;
  GtkWidget *old_row;
  guint built, n_shown;

  apply (f->store, "{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c-long\",\"title\":\"Long\"}}");
  tl_store_begin_batch (f->store);
  for (guint i = 0; i < 2000; i++)
    {
      g_autofree char *line =
        g_strdup_printf ("{\"type\":\"message-added\",\"message\":{\"id\":\"l-%04u\",\"conversationId\":\"c-long\","
                         "\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\"line %u\"}],"
                         "\"createdAt\":\"2026-12-03T10:%02u:%02uZ\",\"author\":{\"id\":\"u-%u\"}}}",
                         i, i, i / 60, i % 60, i % 3);
      apply (f->store, line);
    }
  tl_store_end_batch (f->store);

  /* It opens at its newest message on a screenful of rows (at most one
   * per 24 pixels of height), with one more screen above: not 2000. */
  tl_store_set_active_conversation_id (f->store, "c-long");
  tl_ui_test_pump (300);
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "line 1999"));
  g_assert_true (tl_thread_view_get_stuck (TL_THREAD_VIEW (tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_THREAD_VIEW, 0))));
  built = tl_ui_test_count (GTK_WIDGET (thread_list (f)), TL_TYPE_MESSAGE_ROW);
  n_shown = g_list_model_get_n_items (G_LIST_MODEL (gtk_list_view_get_model (thread_list (f))));
  g_assert_cmpuint (built, >=, 10);
  g_assert_cmpuint (n_shown, <=,
                    2 * (gtk_widget_get_height (tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_THREAD_VIEW, 0)) / 24 + 2));

  /* Near the top, older messages the store holds appear before any are
   * asked of the server. */
  adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (thread_list (f)));
  gtk_adjustment_set_value (adjustment, 0);
  tl_ui_test_pump (300);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (gtk_list_view_get_model (thread_list (f)))), >, n_shown);
  g_assert_false (action_raised (f, "load-history ('c-long', '')"));

  /* Scrolled up, what arrives does not move the view: a button offers the
   * way back down instead. */
  {
    TlThreadView *thread = TL_THREAD_VIEW (tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_THREAD_VIEW, 0));
    GtkWidget *jump;
    double value;

    gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) / 2);
    tl_ui_test_pump (200);
    value = gtk_adjustment_get_value (adjustment);
    g_assert_false (tl_thread_view_get_stuck (thread));
    apply (f->store, "{\"type\":\"message-added\",\"message\":{\"id\":\"l-new\",\"conversationId\":\"c-long\","
                     "\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\"newest\"}],"
                     "\"createdAt\":\"2026-12-03T11:00:00Z\",\"author\":{\"id\":\"u-1\"}}}");
    tl_ui_test_pump (200);
    g_assert_cmpfloat_with_epsilon (gtk_adjustment_get_value (adjustment), value, 1.0);
    jump = find_accessible (GTK_WIDGET (f->window), GTK_ACCESSIBLE_ROLE_BUTTON, "Jump to latest message");
    g_assert_nonnull (jump);
    g_signal_emit_by_name (jump, "clicked");
    tl_ui_test_pump (300);
    g_assert_true (tl_thread_view_get_stuck (thread));
    g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "newest"));
    g_assert_cmpfloat_with_epsilon (gtk_adjustment_get_value (adjustment),
                                    gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment),
                                    2.0);
  }

  /* Leaving it releases its rows once the next conversation is shown. */
  old_row = tl_ui_test_find (GTK_WIDGET (thread_list (f)), TL_TYPE_MESSAGE_ROW, 0);
  g_object_add_weak_pointer (G_OBJECT (old_row), (gpointer *) &old_row);
  tl_store_set_active_conversation_id (f->store, "c-support");
  tl_ui_test_pump (300);
  g_assert_null (old_row);
  g_assert_cmpuint (tl_ui_test_count (GTK_WIDGET (thread_list (f)), TL_TYPE_MESSAGE_ROW), ==, 2);
}

static void
test_accessibility (Fixture      *f,
                    gconstpointer data)
{
  static const struct { int role; const char *label; } controls[] = {
    { GTK_ACCESSIBLE_ROLE_BUTTON, "New Conversation" },
    { GTK_ACCESSIBLE_ROLE_BUTTON, "Search Conversations" },
    { -1, "Main Menu" },
    { GTK_ACCESSIBLE_ROLE_LIST, "Conversations" },
    { GTK_ACCESSIBLE_ROLE_LIST, "Messages" },
    { -1, "Conversation Menu" },
    { GTK_ACCESSIBLE_ROLE_TEXT_BOX, "Message" },
    { GTK_ACCESSIBLE_ROLE_BUTTON, "Send message" },
  };
  GtkWidget *row;

  g_assert_true (wait_for (has_rows, f));
  row = tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_CONVERSATION_ROW, 0);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, "Support");

  tl_store_set_active_conversation_id (f->store, "c-support");
  tl_ui_test_pump (100);
  row = tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_MESSAGE_ROW, 0);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Grace: Export fails with <b>&amp;</b> — see this");

  /* Every main control has a name and the role it looks like. */
  for (guint i = 0; i < G_N_ELEMENTS (controls); i++)
    if (find_accessible (GTK_WIDGET (f->window), controls[i].role, controls[i].label) == NULL)
      g_error ("no control named “%s” with role %d", controls[i].label, controls[i].role);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (find_accessible (GTK_WIDGET (f->window),
                                                                    GTK_ACCESSIBLE_ROLE_BUTTON,
                                                                    "Search Conversations")), TRUE);
  tl_ui_test_pump (100);
  g_assert_nonnull (find_accessible (GTK_WIDGET (f->window), GTK_ACCESSIBLE_ROLE_SEARCH_BOX, "Search conversations"));
}

static void
test_narrow_and_dark (Fixture      *f,
                      gconstpointer data)
{
  gtk_window_set_default_size (GTK_WINDOW (f->window), 400, 640);
  tl_ui_test_pump (200);
  tl_ui_test_screenshot (GTK_WIDGET (f->window), "narrow.png");
  tl_store_set_active_conversation_id (f->store, "c-support");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1000, 640);
  tl_ui_test_pump (200);
  tl_ui_test_screenshot (GTK_WIDGET (f->window), "dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
}

static gboolean
focus_is_in (Fixture   *f,
             GtkWidget *ancestor)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (f->window));

  return focus != NULL && (focus == ancestor || gtk_widget_is_ancestor (focus, ancestor));
}

static GtkWidget *
sidebar_row (Fixture *f,
             guint    index)
{
  GtkWidget *row = tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_CONVERSATION_ROW, index);

  g_assert_nonnull (row);
  return row;
}

static void
test_sidebar_keyboard (Fixture      *f,
                       gconstpointer data)
{
  GtkWidget *sidebar = tl_ui_test_find (GTK_WIDGET (f->window), GTK_TYPE_LIST_VIEW, 0);
  GtkWidget *composer;

  /* A click opens a conversation to write in. */
  tl_ui_test_click (sidebar_row (f, 1));
  composer = tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_COMPOSER, 0);
  g_assert_cmpstr (tl_store_get_active_conversation_id (f->store), ==, "c-team");
  g_assert_true (focus_is_in (f, composer));

  /* The arrow keys step through the list and show each conversation,
   * and leave the focus in the list. */
  gtk_widget_grab_focus (gtk_widget_get_parent (sidebar_row (f, 1)));
  tl_ui_test_key (GTK_WINDOW (f->window), GDK_KEY_Up, 0);
  g_assert_cmpstr (tl_store_get_active_conversation_id (f->store), ==, "c-support");
  g_assert_true (focus_is_in (f, sidebar));
  tl_ui_test_key (GTK_WINDOW (f->window), GDK_KEY_Down, 0);
  g_assert_cmpstr (tl_store_get_active_conversation_id (f->store), ==, "c-team");
  g_assert_true (focus_is_in (f, sidebar));
  /* Enter opens it. */
  tl_ui_test_key (GTK_WINDOW (f->window), GDK_KEY_Return, 0);
  g_assert_true (focus_is_in (f, composer));

  /* The window's shortcuts work while the composer has the focus, though
   * a text view binds the same keys. */
  tl_ui_test_key (GTK_WINDOW (f->window), GDK_KEY_Page_Up, GDK_CONTROL_MASK);
  g_assert_cmpstr (tl_store_get_active_conversation_id (f->store), ==, "c-support");
  tl_ui_test_key (GTK_WINDOW (f->window), GDK_KEY_Page_Down, GDK_CONTROL_MASK);
  g_assert_cmpstr (tl_store_get_active_conversation_id (f->store), ==, "c-team");
  g_assert_true (focus_is_in (f, composer));
}

static void
test_narrow_navigation (Fixture      *f,
                        gconstpointer data)
{
  AdwLeaflet *leaflet = ADW_LEAFLET (tl_ui_test_find (GTK_WIDGET (f->window), ADW_TYPE_LEAFLET, 0));
  GtkWidget *sidebar;

  gtk_window_set_default_size (GTK_WINDOW (f->window), 400, 640);
  tl_ui_test_pump (200);
  g_assert_true (adw_leaflet_get_folded (leaflet));
  sidebar = adw_leaflet_get_visible_child (leaflet);

  tl_ui_test_click (sidebar_row (f, 0));
  g_assert_cmpstr (tl_store_get_active_conversation_id (f->store), ==, "c-support");
  g_assert_true (adw_leaflet_get_visible_child (leaflet) != sidebar);
  g_assert_true (action_raised (f, "mark-read ('c-support', 'm-2')"));

  tl_ui_test_click (find_accessible (GTK_WIDGET (f->window), GTK_ACCESSIBLE_ROLE_BUTTON, "Back"));
  g_assert_true (adw_leaflet_get_visible_child (leaflet) == sidebar);
  /* Behind the sidebar the thread is out of sight: nothing is read. */
  g_ptr_array_set_size (f->actions, 0);
  apply (f->store,
         "{\"type\":\"message-added\",\"message\":{\"id\":\"m-3\",\"conversationId\":\"c-support\",\"role\":\"user\","
         "\"parts\":[{\"type\":\"text\",\"text\":\"Any news?\"}],\"createdAt\":\"2026-12-03T10:05:00Z\","
         "\"status\":\"sent\",\"author\":{\"id\":\"u-grace\",\"displayName\":\"Grace\"}}}");
  apply (f->store, "{\"type\":\"conversation-updated\",\"conversation\":{\"id\":\"c-support\",\"unreadCount\":4}}");
  tl_ui_test_pump (100);
  g_assert_false (action_raised (f, "mark-read ('c-support', 'm-3')"));

  /* The same conversation, chosen again, opens again; now it is read. */
  tl_ui_test_click (sidebar_row (f, 0));
  g_assert_true (adw_leaflet_get_visible_child (leaflet) != sidebar);
  g_assert_true (action_raised (f, "mark-read ('c-support', 'm-3')"));
}

static void
test_removal_opens_next (Fixture      *f,
                         gconstpointer data)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.threadline.Threadline");

  g_settings_set_string (settings, "removal-behaviour", "next");
  apply (f->store,
         "{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c-third\",\"title\":\"Third\","
         "\"lastMessageAt\":\"2026-12-03T08:00:00Z\"}}");
  tl_store_set_active_conversation_id (f->store, "c-team");
  tl_ui_test_pump (100);
  /* News moves the open conversation to the top... */
  apply (f->store, "{\"type\":\"conversation-updated\",\"conversation\":{\"id\":\"c-team\","
                   "\"lastMessageAt\":\"2026-12-03T11:00:00Z\"}}");
  tl_ui_test_pump (100);
  g_assert_true (tl_conversation_row_get_conversation (TL_CONVERSATION_ROW (sidebar_row (f, 0))) ==
                 tl_store_lookup_conversation (f->store, "c-team"));
  /* ...so the one after it is now Support, not Third. */
  apply (f->store, "{\"type\":\"conversation-removed\",\"conversationId\":\"c-team\"}");
  tl_ui_test_pump (100);
  g_assert_cmpstr (tl_store_get_active_conversation_id (f->store), ==, "c-support");
  g_settings_reset (settings, "removal-behaviour");
}

static void
test_search_keeps_selection (Fixture      *f,
                             gconstpointer data)
{
  GtkWidget *search;

  tl_store_set_active_conversation_id (f->store, "c-support");
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.search", NULL);
  tl_ui_test_pump (100);
  search = find_accessible (GTK_WIDGET (f->window), GTK_ACCESSIBLE_ROLE_SEARCH_BOX, "Search conversations");
  g_assert_nonnull (search);
  /* GtkSearchEntry reports a change after 150 ms. */
  gtk_editable_set_text (GTK_EDITABLE (search), "team");
  tl_ui_test_pump (300);
  g_assert_cmpuint (tl_ui_test_count (GTK_WIDGET (f->window), TL_TYPE_CONVERSATION_ROW), ==, 1);
  gtk_editable_set_text (GTK_EDITABLE (search), "");
  tl_ui_test_pump (300);
  g_assert_cmpuint (tl_ui_test_count (GTK_WIDGET (f->window), TL_TYPE_CONVERSATION_ROW), ==, 2);
  /* A conversation renamed into the search shows up. */
  gtk_editable_set_text (GTK_EDITABLE (search), "team");
  tl_ui_test_pump (300);
  apply (f->store, "{\"type\":\"conversation-updated\",\"conversation\":{\"id\":\"c-support\","
                   "\"title\":\"Support team\"}}");
  tl_ui_test_pump (100);
  g_assert_cmpuint (tl_ui_test_count (GTK_WIDGET (f->window), TL_TYPE_CONVERSATION_ROW), ==, 2);
  gtk_editable_set_text (GTK_EDITABLE (search), "");
  tl_ui_test_pump (300);
  /* The open conversation is selected again, and the next one follows it. */
  g_assert_true (gtk_widget_get_state_flags (gtk_widget_get_parent (sidebar_row (f, 0))) & GTK_STATE_FLAG_SELECTED);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.next-conversation", NULL);
  g_assert_cmpstr (tl_store_get_active_conversation_id (f->store), ==, "c-team");
}

static guint
count_actions (Fixture    *f,
               const char *text)
{
  guint n = 0;

  for (guint i = 0; i < f->actions->len; i++)
    n += strcmp (f->actions->pdata[i], text) == 0;
  return n;
}

static void
test_drafts_per_conversation (Fixture      *f,
                              gconstpointer data)
{
  TlComposer *composer;
  g_autofree char *team_text = NULL;
  g_autofree char *support_text = NULL;
  g_autofree char *team_again = NULL;

  tl_store_set_active_conversation_id (f->store, "c-support");
  tl_ui_test_pump (100);
  composer = TL_COMPOSER (tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_COMPOSER, 0));
  tl_composer_set_text (composer, "half a thought");
  g_assert_cmpuint (count_actions (f, "set-typing ('c-support', true)"), ==, 1);

  /* Another conversation: typing stops where it was announced, and the
   * draft stays behind. */
  tl_store_set_active_conversation_id (f->store, "c-team");
  tl_ui_test_pump (50);
  g_assert_cmpuint (count_actions (f, "set-typing ('c-support', false)"), ==, 1);
  team_text = tl_composer_dup_text (composer);
  g_assert_cmpstr (team_text, ==, "");
  tl_composer_set_text (composer, "for the team");
  g_assert_cmpuint (count_actions (f, "set-typing ('c-team', true)"), ==, 1);

  /* Back: the draft returns, without claiming to type again. */
  tl_store_set_active_conversation_id (f->store, "c-support");
  tl_ui_test_pump (50);
  g_assert_cmpuint (count_actions (f, "set-typing ('c-team', false)"), ==, 1);
  support_text = tl_composer_dup_text (composer);
  g_assert_cmpstr (support_text, ==, "half a thought");
  g_assert_cmpuint (count_actions (f, "set-typing ('c-support', true)"), ==, 1);
  tl_composer_submit (composer);
  g_assert_true (action_raised (f, "send-message ('c-support', 'half a thought')"));

  tl_store_set_active_conversation_id (f->store, "c-team");
  tl_ui_test_pump (50);
  team_again = tl_composer_dup_text (composer);
  g_assert_cmpstr (team_again, ==, "for the team");
}

static void
apply_chunk (Fixture    *f,
             guint       sequence,
             const char *chunk)
{
  g_autofree char *line = g_strdup_printf (
    "{\"type\":\"stream-chunk\",\"conversationId\":\"c-support\",\"messageId\":\"r-t\",\"sequence\":%u,"
    "\"chunk\":%s}", sequence, chunk);

  apply (f->store, line);
  tl_ui_test_pump (50);
}

static void
test_tool_card_approval (Fixture      *f,
                         gconstpointer data)
{
  static const char *request =
    "{\"type\":\"tool-approval-request\",\"toolCallId\":\"call-1\",\"toolName\":\"delete_files\","
    "\"input\":{\"path\":\"/tmp/old\"},\"approvalId\":\"ap-1\"}";
  GtkWidget *reason, *approve;

  tl_store_set_active_conversation_id (f->store, "c-support");
  apply (f->store,
         "{\"type\":\"message-added\",\"seq\":1,\"message\":{\"id\":\"r-t\",\"conversationId\":\"c-support\","
         "\"role\":\"assistant\",\"parts\":[],\"status\":\"streaming\",\"author\":{\"id\":\"bot\",\"displayName\":\"Helper\"}}}");
  tl_ui_test_pump (100);
  apply_chunk (f, 1, request);
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "delete_files"));
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "Waiting for approval"));
  reason = tl_ui_test_find (GTK_WIDGET (f->window), GTK_TYPE_ENTRY, 0);
  g_assert_nonnull (reason);
  gtk_editable_set_text (GTK_EDITABLE (reason), "only the old ones");

  /* Updates to the call while the user writes keep what was written. */
  apply_chunk (f, 2, request);
  g_assert_true (tl_ui_test_find (GTK_WIDGET (f->window), GTK_TYPE_ENTRY, 0) == reason);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (reason)), ==, "only the old ones");

  approve = find_button_labelled (GTK_WIDGET (f->window), "_Approve");
  g_assert_nonnull (approve);
  tl_ui_test_click (approve);
  g_assert_true (action_raised (f, "respond-tool-approval ('r-t', 'call-1', 'ap-1', true, 'only the old ones')"));
  /* Answered: not twice. */
  g_assert_false (gtk_widget_is_sensitive (approve));
  /* Nor after the reply moves on to a part of its own. */
  apply_chunk (f, 3, "{\"type\":\"text-delta\",\"id\":\"t\",\"delta\":\"While that runs\"}");
  g_assert_true (find_button_labelled (GTK_WIDGET (f->window), "_Approve") == approve);
  g_assert_false (gtk_widget_is_sensitive (approve));
  g_assert_true (tl_ui_test_find (GTK_WIDGET (f->window), GTK_TYPE_ENTRY, 0) == reason);
  tl_ui_test_screenshot (GTK_WIDGET (f->window), "tool-approval.png");

  apply_chunk (f, 4, "{\"type\":\"tool-output-available\",\"toolCallId\":\"call-1\",\"output\":\"deleted 3 files\"}");
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "Done"));
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "deleted 3 files"));
  g_assert_null (tl_ui_test_find (GTK_WIDGET (f->window), GTK_TYPE_ENTRY, 0));
}

static void
test_message_menu_from_keyboard (Fixture      *f,
                                 gconstpointer data)
{
  GtkWidget *row, *popover;

  tl_store_set_active_conversation_id (f->store, "c-support");
  apply (f->store,
         "{\"type\":\"message-added\",\"message\":{\"id\":\"m-l\",\"conversationId\":\"c-support\",\"role\":\"user\","
         "\"parts\":[{\"type\":\"text\",\"text\":\"See [the guide](https://docs.example.com/guide) or [write](mailto:first_last@example.org)\"}],"
         "\"createdAt\":\"2026-12-03T10:02:00Z\",\"status\":\"sent\","
         "\"author\":{\"id\":\"u-grace\",\"displayName\":\"Grace\"}}}");
  tl_ui_test_pump (100);
  row = tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_MESSAGE_ROW, 2);
  g_assert_cmpstr (tl_message_get_id (tl_message_row_get_message (TL_MESSAGE_ROW (row))), ==, "m-l");

  /* The keyboard reaches messages: from the one above, Down moves on. */
  g_assert_true (gtk_widget_grab_focus (tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_MESSAGE_ROW, 1)));
  tl_ui_test_key (GTK_WINDOW (f->window), GDK_KEY_Down, 0);
  g_assert_true (gtk_root_get_focus (GTK_ROOT (f->window)) == row);
  tl_ui_test_key (GTK_WINDOW (f->window), GDK_KEY_F10, GDK_SHIFT_MASK);
  popover = tl_ui_test_find (row, GTK_TYPE_POPOVER_MENU, 0);
  g_assert_nonnull (popover);
  g_assert_true (label_with_text_exists (popover, "Copy Text"));
  /* Links can be opened without a pointer. */
  g_assert_true (label_with_text_exists (popover, "Open docs.example.com"));
  /* Shown as written, not as a mnemonic. */
  g_assert_true (label_with_text_exists (popover, "Open mailto:first_last@example.org"));
  tl_ui_test_screenshot (GTK_WIDGET (f->window), "message-menu.png");
  gtk_popover_popdown (GTK_POPOVER (popover));
  tl_ui_test_pump (50);
}

static void
test_day_changes (Fixture      *f,
                  gconstpointer data)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format_iso8601 (now);
  g_autofree char *line = g_strdup_printf (
    "{\"type\":\"message-added\",\"message\":{\"id\":\"m-now\",\"conversationId\":\"c-team\",\"role\":\"user\","
    "\"parts\":[{\"type\":\"text\",\"text\":\"Just now\"}],\"createdAt\":\"%s\",\"status\":\"sent\","
    "\"author\":{\"id\":\"u-grace\",\"displayName\":\"Grace\"}}}", stamp);
  g_autofree char *update = g_strdup_printf (
    "{\"type\":\"conversation-updated\",\"conversation\":{\"id\":\"c-team\",\"lastMessageAt\":\"%s\"}}", stamp);
  g_autofree char *clock = NULL;
  TlDayClock *day_clock = tl_day_clock_get_default ();

  apply (f->store, line);
  apply (f->store, update);
  tl_store_set_active_conversation_id (f->store, "c-team");
  tl_ui_test_pump (100);
  clock = tl_format_clock (stamp);
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "Today"));
  g_assert_true (label_with_text_exists (tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_CONVERSATION_ROW, 0), clock));

  /* Past midnight, what was today is yesterday, in the thread and the sidebar. */
  tl_day_clock_advance (day_clock, G_TIME_SPAN_DAY);
  tl_ui_test_pump (50);
  g_assert_false (label_with_text_exists (GTK_WIDGET (f->window), "Today"));
  g_assert_true (label_with_text_exists (tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_MESSAGE_ROW, 0), "Yesterday"));
  g_assert_true (label_with_text_exists (tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_CONVERSATION_ROW, 0), "Yesterday"));
  tl_day_clock_advance (day_clock, -G_TIME_SPAN_DAY);
  tl_ui_test_pump (50);
  g_assert_true (label_with_text_exists (GTK_WIDGET (f->window), "Today"));
}

static void
test_composer_keys (Fixture      *f,
                    gconstpointer data)
{
  GtkWidget *text_view;

  tl_store_set_active_conversation_id (f->store, "c-support");
  tl_ui_test_pump (100);
  text_view = tl_ui_test_find (tl_ui_test_find (GTK_WIDGET (f->window), TL_TYPE_COMPOSER, 0),
                               GTK_TYPE_TEXT_VIEW, 0);
  gtk_widget_grab_focus (text_view);
  /* Shift+Enter starts a line, Enter sends. */
  tl_ui_test_key (GTK_WINDOW (f->window), GDK_KEY_h, 0);
  tl_ui_test_key (GTK_WINDOW (f->window), GDK_KEY_i, 0);
  tl_ui_test_key (GTK_WINDOW (f->window), GDK_KEY_Return, GDK_SHIFT_MASK);
  tl_ui_test_key (GTK_WINDOW (f->window), GDK_KEY_y, 0);
  tl_ui_test_key (GTK_WINDOW (f->window), GDK_KEY_Return, 0);
  g_assert_true (action_raised (f, "send-message ('c-support', 'hi\\ny')"));

  /* While an input method composes, Enter is the method's. */
  g_ptr_array_set_size (f->actions, 0);
  tl_ui_test_key (GTK_WINDOW (f->window), GDK_KEY_k, 0);
  g_signal_emit_by_name (text_view, "preedit-changed", "ka");
  tl_ui_test_key (GTK_WINDOW (f->window), GDK_KEY_Return, 0);
  g_assert_false (action_raised (f, "send-message ('c-support', 'k')"));
  g_signal_emit_by_name (text_view, "preedit-changed", "");
  tl_ui_test_key (GTK_WINDOW (f->window), GDK_KEY_Return, 0);
  g_assert_cmpuint (f->actions->len, >, 0);
  g_assert_true (g_str_has_prefix (f->actions->pdata[f->actions->len - 1], "send-message ('c-support', 'k"));
}

static void
test_mark_read_once (Fixture      *f,
                     gconstpointer data)
{
  tl_ui_test_click (sidebar_row (f, 0));
  g_assert_cmpuint (count_actions (f, "mark-read ('c-support', 'm-2')"), ==, 1);
  /* Until the server answers, changes to the thread do not ask again. */
  apply (f->store,
         "{\"type\":\"message-updated\",\"message\":{\"id\":\"m-1\",\"conversationId\":\"c-support\",\"role\":\"user\","
         "\"parts\":[{\"type\":\"text\",\"text\":\"Export fails (edited)\"}],\"createdAt\":\"2026-12-03T10:00:00Z\","
         "\"editedAt\":\"2026-12-03T10:03:00Z\",\"status\":\"sent\",\"author\":{\"id\":\"u-grace\",\"displayName\":\"Grace\"}}}");
  tl_ui_test_pump (50);
  g_assert_cmpuint (count_actions (f, "mark-read ('c-support', 'm-2')"), ==, 1);
  /* Asked while offline, it is asked again once online. */
  tl_window_set_status (f->window, TL_WINDOW_STATUS_OFFLINE, 5);
  tl_window_set_status (f->window, TL_WINDOW_STATUS_ONLINE, -1);
  tl_ui_test_pump (50);
  g_assert_cmpuint (count_actions (f, "mark-read ('c-support', 'm-2')"), ==, 2);
  /* Once the server has it read, nothing more is asked. */
  apply (f->store, "{\"type\":\"conversation-updated\",\"conversation\":{\"id\":\"c-support\",\"unreadCount\":0}}");
  tl_window_set_status (f->window, TL_WINDOW_STATUS_ONLINE, -1);
  tl_ui_test_pump (50);
  g_assert_cmpuint (count_actions (f, "mark-read ('c-support', 'm-2')"), ==, 2);
}

int
main (int    argc,
      char **argv)
{
  tl_ui_test_init (&argc, &argv);

#define ADD(path, fn) g_test_add ("/threadline/app/" path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("sidebar-follows-store", test_sidebar_follows_store);
  ADD ("thread-and-markup", test_thread_and_markup);
  ADD ("placeholder-when-active-removed", test_placeholder_when_active_removed);
  ADD ("toast-is-literal", test_toast_is_literal);
  ADD ("sidebar-keyboard", test_sidebar_keyboard);
  ADD ("narrow-navigation", test_narrow_navigation);
  ADD ("mark-read-once", test_mark_read_once);
  ADD ("removal-opens-next", test_removal_opens_next);
  ADD ("search-keeps-selection", test_search_keeps_selection);
  ADD ("streaming-grows-in-place", test_streaming_grows_in_place);
  ADD ("tool-card-approval", test_tool_card_approval);
  ADD ("composer-sends", test_composer_sends);
  ADD ("composer-keys", test_composer_keys);
  ADD ("drafts-per-conversation", test_drafts_per_conversation);
  ADD ("message-actions", test_message_actions);
  ADD ("message-menu-from-keyboard", test_message_menu_from_keyboard);
  ADD ("created-conversation-opens-on-arrival", test_created_conversation_opens_on_arrival);
  ADD ("optimistic-row-reconciled", test_optimistic_row_reconciled);
  ADD ("welcome", test_welcome);
  ADD ("change-before-first-frame", test_change_before_first_frame);
  ADD ("older-history-requested", test_older_history_requested);
  ADD ("long-conversation", test_long_conversation);
  ADD ("header-presence", test_header_presence);
  ADD ("day-changes", test_day_changes);
  ADD ("connection-status", test_connection_status);
  ADD ("accessibility", test_accessibility);
  ADD ("narrow-and-dark", test_narrow_and_dark);
#undef ADD

  return g_test_run ();
}
