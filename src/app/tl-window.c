/* tl-window.c — the main window: sidebar and thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window holds no sync logic. It shows the store's models and turns what
 * the user does into app.* actions, which the application carries out on the
 * connection. The sidebar selection and the store's active conversation
 * follow each other both ways.
 */
#define G_LOG_DOMAIN "threadline-app"

#include <glib/gi18n.h>

#include "tl-app-util.h"
#include "tl-composer.h"
#include "tl-conversation-row.h"
#include "tl-thread-view.h"
#include "tl-window.h"

struct _TlWindow
{
  AdwApplicationWindow  parent_instance;

  /* template widgets */
  AdwToastOverlay      *toast_overlay;
  AdwLeaflet           *leaflet;
  GtkWidget            *sidebar;
  GtkToggleButton      *search_button;
  GtkSearchBar         *search_bar;
  GtkSearchEntry       *search_entry;
  GtkRevealer          *status_revealer;
  GtkLabel             *status_label;
  GtkButton            *status_button;
  GtkStack             *sidebar_stack;
  GtkListView          *sidebar_list;
  GtkWidget            *content;
  AdwWindowTitle       *thread_title;
  GtkWidget            *conversation_menu_button;
  GtkStack             *content_stack;
  GtkWidget            *thread_box;

  /* owned */
  TlStore              *store;
  GtkCustomFilter      *filter;
  GtkSingleSelection   *selection;
  GSignalGroup         *active_signals;
  GSignalGroup         *thread_signals;
  GSignalGroup         *last_message_signals;
  GSettings            *settings;
  char                 *active_title;
  char                 *read_requested;  /* the message last marked read */
  char                 *composer_id;     /* the conversation being written in */
  GHashTable           *drafts;          /* conversation id → unsent text */
  guint                 active_position;

  /* borrowed */
  TlThreadView         *thread_view;
  TlComposer           *composer;

  gboolean              syncing_selection;
  gboolean              browsing;        /* the sidebar's selection moved by key */
  gboolean              welcome;
  gboolean              watching_titles;
  guint                 resync_idle_id;
};

G_DEFINE_FINAL_TYPE (TlWindow, tl_window, ADW_TYPE_APPLICATION_WINDOW)

static TlConversation *
active_conversation (TlWindow *self)
{
  const char *id = tl_store_get_active_conversation_id (self->store);

  return id ? tl_store_lookup_conversation (self->store, id) : NULL;
}

void
tl_window_show_toast (TlWindow   *self,
                      const char *text)
{
  AdwToast *toast;

  g_return_if_fail (TL_IS_WINDOW (self));
#if ADW_CHECK_VERSION (1, 4, 0)
  toast = adw_toast_new (text);
  adw_toast_set_use_markup (toast, FALSE);
#else
  {
    /* Before 1.4 a toast's title is always markup, and toasts name
     * conversations and quote errors that come from the network. */
    g_autofree char *escaped = g_markup_escape_text (text, -1);

    toast = adw_toast_new (escaped);
  }
#endif
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* Search */

static gboolean
filter_conversation (gpointer item,
                     gpointer user_data)
{
  TlWindow *self = user_data;
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *title = NULL;
  g_autofree char *folded_title = NULL;
  g_autofree char *folded_query = NULL;

  if (query == NULL || *query == '\0')
    return TRUE;
  title = tl_conversation_dup_display_title (item, tl_store_get_local_user_id (self->store));
  folded_title = g_utf8_casefold (title, -1);
  folded_query = g_utf8_casefold (query, -1);
  return strstr (folded_title, folded_query) != NULL;
}

static void
on_searched_title_cb (TlWindow *self)
{
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static void
watch_title (TlWindow       *self,
             TlConversation *conversation,
             gboolean        watch)
{
  if (!watch)
    {
      g_signal_handlers_disconnect_by_func (conversation, on_searched_title_cb, self);
      return;
    }
  g_signal_connect_object (conversation, "notify::title", G_CALLBACK (on_searched_title_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (conversation, "notify::participants", G_CALLBACK (on_searched_title_cb), self,
                           G_CONNECT_SWAPPED);
}

static void
on_conversations_changed_cb (TlWindow   *self,
                             guint       position,
                             guint       removed,
                             guint       added,
                             GListModel *conversations)
{
  /* A move is a removal and an addition of the same item: connect once. */
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(TlConversation) conversation = g_list_model_get_item (conversations, i);

      watch_title (self, conversation, FALSE);
      watch_title (self, conversation, TRUE);
    }
}

/* While searching, a conversation renamed into or out of the query is
 * filtered again: the filter model only looks at items as they change
 * places. Watched only then, since that costs a pass over the list. */
static void
watch_titles (TlWindow *self,
              gboolean  watch)
{
  GListModel *conversations = tl_store_get_conversations (self->store);

  if (watch == self->watching_titles)
    return;
  self->watching_titles = watch;
  for (guint i = 0; i < g_list_model_get_n_items (conversations); i++)
    {
      g_autoptr(TlConversation) conversation = g_list_model_get_item (conversations, i);

      watch_title (self, conversation, watch);
    }
  if (watch)
    g_signal_connect_object (conversations, "items-changed", G_CALLBACK (on_conversations_changed_cb), self,
                             G_CONNECT_SWAPPED);
  else
    g_signal_handlers_disconnect_by_func (conversations, on_conversations_changed_cb, self);
}

static void
on_search_changed_cb (TlWindow *self)
{
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  watch_titles (self, query != NULL && *query != '\0');
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

/* Selection and the active conversation */

static void
update_streaming (TlWindow *self)
{
  TlConversation *conversation = active_conversation (self);
  GListModel *messages = conversation ? tl_conversation_get_messages (conversation) : NULL;
  guint n = messages ? g_list_model_get_n_items (messages) : 0;
  g_autoptr(TlMessage) last = n > 0 ? g_list_model_get_item (messages, n - 1) : NULL;

  /* Streamed replies have no createdAt until the server's final copy, so a
   * streaming reply sorts last: looking at the last message is enough. */
  g_signal_group_set_target (self->last_message_signals, last);
  tl_composer_set_streaming (self->composer,
                             last != NULL && g_strcmp0 (tl_message_get_status (last), "streaming") == 0);
}

/* Folded, the thread is out of sight while the sidebar is shown. */
static gboolean
thread_is_visible (TlWindow *self)
{
  return !adw_leaflet_get_folded (self->leaflet) ||
         adw_leaflet_get_visible_child (self->leaflet) == self->content;
}

static void
mark_read (TlWindow *self)
{
  TlConversation *conversation = active_conversation (self);
  GListModel *messages;
  guint n;
  g_autoptr(TlMessage) last = NULL;
  g_autofree char *key = NULL;

  if (conversation == NULL || !gtk_window_is_active (GTK_WINDOW (self)) ||
      !thread_is_visible (self) || !tl_conversation_get_is_unread (conversation))
    return;
  messages = tl_conversation_get_messages (conversation);
  n = g_list_model_get_n_items (messages);
  last = n > 0 ? g_list_model_get_item (messages, n - 1) : NULL;
  /* Once per message: the conversation stays unread until the server
   * answers, and every change to the thread meanwhile comes here. */
  key = g_strdup_printf ("%s/%s", tl_conversation_get_id (conversation), last ? tl_message_get_id (last) : "");
  if (g_strcmp0 (key, self->read_requested) == 0)
    return;
  g_free (self->read_requested);
  self->read_requested = g_steal_pointer (&key);
  gtk_widget_activate_action (GTK_WIDGET (self), "app.mark-read", "(ss)",
                              tl_conversation_get_id (conversation),
                              last ? tl_message_get_id (last) : "");
}

static void
update_title (TlWindow *self)
{
  TlConversation *conversation = active_conversation (self);
  g_autofree char *title = NULL;
  JsonNode *participants;
  g_autofree char *subtitle = NULL;

  if (conversation == NULL)
    {
      adw_window_title_set_title (self->thread_title, "");
      adw_window_title_set_subtitle (self->thread_title, "");
      return;
    }
  title = tl_conversation_dup_display_title (conversation, tl_store_get_local_user_id (self->store));
  adw_window_title_set_title (self->thread_title, title);
  g_free (self->active_title);
  self->active_title = g_strdup (title);

  if (tl_conversation_get_subtitle (conversation) != NULL)
    subtitle = g_strdup (tl_conversation_get_subtitle (conversation));
  else if ((participants = tl_conversation_get_participants (conversation)) != NULL)
    {
      JsonArray *array = json_node_get_array (participants);
      guint online = 0, others = 0, known = 0;

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonObject *user = json_array_get_object_element (array, i);

          if (g_strcmp0 (json_object_get_string_member_with_default (user, "id", NULL),
                         tl_store_get_local_user_id (self->store)) == 0)
            continue;
          others++;
          /* An assistant is neither online nor offline. */
          if (g_strcmp0 (json_object_get_string_member_with_default (user, "role", NULL), "assistant") == 0)
            continue;
          known += json_object_has_member (user, "isOnline");
          online += json_object_get_boolean_member_with_default (user, "isOnline", FALSE);
        }
      /* One other person: whether they are here, if the server says; a
       * group: how many are. */
      if (others == 1 && known == 1)
        subtitle = g_strdup (online ? _("Online") : _("Offline"));
      else if (others > 1)
        subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u member, %u online",
                                                 "%u members, %u online", others + 1),
                                    others + 1, online);
    }
  adw_window_title_set_subtitle (self->thread_title, subtitle ? subtitle : "");
}

static guint
position_of (TlWindow   *self,
             const char *id)
{
  GListModel *model = G_LIST_MODEL (self->selection);
  guint n = g_list_model_get_n_items (model);

  /* Only when the active conversation changes, never per event. */
  for (guint i = 0; id != NULL && i < n; i++)
    {
      g_autoptr(TlConversation) conversation = g_list_model_get_item (model, i);

      if (g_strcmp0 (tl_conversation_get_id (conversation), id) == 0)
        return i;
    }
  return GTK_INVALID_LIST_POSITION;
}

static void
sync_selection (TlWindow *self)
{
  self->syncing_selection = TRUE;
  gtk_single_selection_set_selected (self->selection,
                                     position_of (self, tl_store_get_active_conversation_id (self->store)));
  self->syncing_selection = FALSE;
}

static void
open_active (TlWindow *self)
{
  adw_leaflet_set_visible_child (self->leaflet, self->content);
  gtk_widget_grab_focus (GTK_WIDGET (self->composer));
  mark_read (self);
}

/* Each conversation keeps what was written in it and not sent. */
static void
switch_draft (TlWindow   *self,
              const char *id)
{
  g_autofree char *previous = NULL;

  if (g_strcmp0 (self->composer_id, id) == 0)
    return;
  /* Typing is withdrawn for the conversation it was announced in. */
  previous = tl_composer_swap_draft (self->composer, id ? g_hash_table_lookup (self->drafts, id) : NULL);
  if (id != NULL)
    g_hash_table_remove (self->drafts, id);
  if (self->composer_id != NULL && *previous != '\0' &&
      tl_store_lookup_conversation (self->store, self->composer_id) != NULL)
    g_hash_table_insert (self->drafts, g_steal_pointer (&self->composer_id), g_steal_pointer (&previous));
  g_free (self->composer_id);
  self->composer_id = g_strdup (id);
}

static void
on_active_changed_cb (TlWindow *self)
{
  TlConversation *conversation = active_conversation (self);
  const char *id = tl_store_get_active_conversation_id (self->store);

  if (id == NULL && self->active_title != NULL)
    {
      g_autofree char *title = g_steal_pointer (&self->active_title);
      guint previous = self->active_position;

      /* The active conversation went away while shown: it was removed. */
      if (tl_thread_view_get_conversation (self->thread_view) != NULL &&
          tl_store_lookup_conversation (self->store,
                                        tl_conversation_get_id (tl_thread_view_get_conversation (self->thread_view))) == NULL)
        {
          g_autofree char *text = g_strdup_printf (_("“%s” was removed"), title);
          guint n = g_list_model_get_n_items (G_LIST_MODEL (self->selection));

          tl_window_show_toast (self, text);
          if (n > 0 && g_strcmp0 (g_settings_get_string (self->settings, "removal-behaviour"), "next") == 0)
            {
              g_autoptr(TlConversation) next = g_list_model_get_item (G_LIST_MODEL (self->selection),
                                                                      MIN (previous, n - 1));

              tl_store_set_active_conversation_id (self->store, tl_conversation_get_id (next));
              return;
            }
        }
    }

  switch_draft (self, conversation ? tl_conversation_get_id (conversation) : NULL);
  g_signal_group_set_target (self->active_signals, conversation);
  g_signal_group_set_target (self->thread_signals,
                             conversation ? tl_conversation_get_messages (conversation) : NULL);
  tl_thread_view_set_conversation (self->thread_view, conversation);
  gtk_stack_set_visible_child_name (self->content_stack,
                                    conversation ? "thread" : self->welcome ? "welcome" : "placeholder");
  gtk_widget_set_sensitive (self->conversation_menu_button, conversation != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.remove-conversation", conversation != NULL);
  update_title (self);
  update_streaming (self);

  sync_selection (self);

  /* Stepping through the sidebar with the arrow keys shows each
   * conversation but leaves the focus, and a folded window, where it is. */
  if (conversation != NULL && !self->browsing)
    open_active (self);
  else
    mark_read (self);
}

/* A click, Enter or a shortcut: the conversation is to be read and written in. */
static void
open_conversation (TlWindow       *self,
                   TlConversation *conversation)
{
  const char *id = tl_conversation_get_id (conversation);

  if (g_strcmp0 (tl_store_get_active_conversation_id (self->store), id) == 0)
    open_active (self);
  else
    tl_store_set_active_conversation_id (self->store, id);
}

static void
on_selection_changed_cb (TlWindow *self)
{
  TlConversation *conversation = gtk_single_selection_get_selected_item (self->selection);

  if (self->syncing_selection)
    return;
  /* A re-sort moves the selected row; only a different item is a change. */
  if (conversation == NULL)
    return;
  self->browsing = TRUE;
  tl_store_set_active_conversation_id (self->store, tl_conversation_get_id (conversation));
  self->browsing = FALSE;
}

static void
on_selected_position_cb (TlWindow *self)
{
  guint selected = gtk_single_selection_get_selected (self->selection);

  /* Remembered across re-sorts, for "open the next conversation" once the
   * selected one is gone. */
  if (selected != GTK_INVALID_LIST_POSITION)
    self->active_position = selected;
}

static void
on_sidebar_activate_cb (TlWindow *self,
                        guint     position)
{
  g_autoptr(TlConversation) conversation = g_list_model_get_item (G_LIST_MODEL (self->selection), position);

  if (conversation != NULL)
    open_conversation (self, conversation);
}

static void
on_sidebar_row_released_cb (GtkGestureClick *gesture,
                            int              n_press,
                            double           x,
                            double           y,
                            TlWindow        *self)
{
  GtkWidget *row = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture));
  TlConversation *conversation = tl_conversation_row_get_conversation (TL_CONVERSATION_ROW (row));

  /* A click selects the row too, but selecting the row that is already
   * selected changes nothing: folded, it must still open the thread. */
  if (conversation != NULL)
    open_conversation (self, conversation);
}

static gboolean
on_resync_idle_cb (gpointer user_data)
{
  TlWindow *self = user_data;

  self->resync_idle_id = 0;
  if (active_conversation (self) == NULL)
    return G_SOURCE_REMOVE;
  if (tl_thread_view_get_conversation (self->thread_view) == NULL)
    on_active_changed_cb (self);
  else if (gtk_single_selection_get_selected (self->selection) == GTK_INVALID_LIST_POSITION)
    sync_selection (self);
  return G_SOURCE_REMOVE;
}

static void
on_sidebar_items_changed_cb (TlWindow *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->selection));

  /* Made active before it existed (a conversation we just created), or
   * unselected by a search that hid it and has been cleared since: show and
   * select it now that it is listed — from an idle, since changing the
   * selection while it is still reporting this change would corrupt the
   * list view. */
  if (self->thread_view != NULL && active_conversation (self) != NULL && self->resync_idle_id == 0 &&
      (tl_thread_view_get_conversation (self->thread_view) == NULL ||
       gtk_single_selection_get_selected (self->selection) == GTK_INVALID_LIST_POSITION))
    self->resync_idle_id = g_idle_add (on_resync_idle_cb, self);
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  gtk_stack_set_visible_child_name (self->sidebar_stack, n > 0 ? "list" : "empty");
  adw_status_page_set_description (ADW_STATUS_PAGE (gtk_stack_get_child_by_name (self->sidebar_stack, "empty")),
                                   query && *query ? _("No conversation matches the search")
                                                   : _("Conversations you join appear here"));
}

static void
on_thread_items_changed_cb (TlWindow *self)
{
  update_streaming (self);
  if (tl_thread_view_get_stuck (self->thread_view))
    mark_read (self);
}

static void
on_active_notify_cb (TlWindow   *self,
                     GParamSpec *pspec)
{
  if (g_str_equal (pspec->name, "is-unread"))
    {
      /* The server's word on it: ask again if it is still unread. */
      g_clear_pointer (&self->read_requested, g_free);
      mark_read (self);
    }
  else
    update_title (self);
}

/* Sidebar rows */

static void
setup_sidebar_row_cb (GtkSignalListItemFactory *factory,
                      GtkListItem              *item,
                      TlWindow                 *self)
{
  GtkWidget *row = tl_conversation_row_new (self->store);
  GtkGesture *click = gtk_gesture_click_new ();

  g_signal_connect (click, "released", G_CALLBACK (on_sidebar_row_released_cb), self);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (click));
  gtk_list_item_set_child (item, row);
}

static void
bind_sidebar_row_cb (GtkSignalListItemFactory *factory,
                     GtkListItem              *item,
                     TlWindow                 *self)
{
  tl_conversation_row_set_conversation (TL_CONVERSATION_ROW (gtk_list_item_get_child (item)),
                                        gtk_list_item_get_item (item));
}

/* Composer */

static void
on_composer_send_cb (TlWindow   *self,
                     const char *text)
{
  if (self->composer_id == NULL)
    return;
  tl_thread_view_scroll_to_end (self->thread_view);
  gtk_widget_activate_action (GTK_WIDGET (self), "app.send-message", "(ss)", self->composer_id, text);
}

static void
on_composer_typing_cb (TlWindow *self,
                       gboolean  typing)
{
  if (self->composer_id != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "app.set-typing", "(sb)", self->composer_id, typing);
}

/* Actions */

static void
forward_string_action (GtkWidget  *widget,
                       const char *app_action,
                       GVariant   *parameter)
{
  gtk_widget_activate_action_variant (widget, app_action, parameter);
}

static void
thread_retry (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  forward_string_action (widget, "app.retry-message", parameter);
}

static void
thread_regenerate (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  forward_string_action (widget, "app.regenerate", parameter);
}

static void
thread_stop_stream (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  TlWindow *self = TL_WINDOW (widget);
  TlConversation *conversation = active_conversation (self);
  GListModel *messages = conversation ? tl_conversation_get_messages (conversation) : NULL;
  guint n = messages ? g_list_model_get_n_items (messages) : 0;
  g_autoptr(TlMessage) last = n > 0 ? g_list_model_get_item (messages, n - 1) : NULL;

  if (last != NULL && g_strcmp0 (tl_message_get_status (last), "streaming") == 0)
    gtk_widget_activate_action (widget, "app.stop-stream", "s", tl_message_get_id (last));
}

static void
win_new_conversation (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  gtk_widget_activate_action (widget, "app.new-conversation", NULL);
}

static void
on_remove_response_cb (AdwMessageDialog *dialog,
                       const char       *response,
                       TlWindow         *self)
{
  const char *id = g_object_get_data (G_OBJECT (dialog), "tl-conversation-id");

  if (g_strcmp0 (response, "remove") == 0)
    gtk_widget_activate_action (GTK_WIDGET (self), "app.remove-conversation", "s", id);
}

static void
win_remove_conversation (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  TlWindow *self = TL_WINDOW (widget);
  TlConversation *conversation = active_conversation (self);
  g_autofree char *title = NULL;
  GtkWidget *dialog;

  if (conversation == NULL)
    return;
  title = tl_conversation_dup_display_title (conversation, tl_store_get_local_user_id (self->store));
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Remove Conversation?"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("“%s” and all its messages will be removed for you."), title);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "remove", _("_Remove"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "tl-conversation-id",
                          g_strdup (tl_conversation_get_id (conversation)), g_free);
  g_signal_connect (dialog, "response", G_CALLBACK (on_remove_response_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
win_search (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  TlWindow *self = TL_WINDOW (widget);

  gtk_toggle_button_set_active (self->search_button, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
select_relative (TlWindow *self,
                 int       delta)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->selection));
  guint selected = gtk_single_selection_get_selected (self->selection);
  guint target;
  g_autoptr(TlConversation) conversation = NULL;

  if (n == 0)
    return;
  if (selected == GTK_INVALID_LIST_POSITION)
    target = delta > 0 ? 0 : n - 1;
  else
    target = (guint) CLAMP ((int) selected + delta, 0, (int) n - 1);
  conversation = g_list_model_get_item (G_LIST_MODEL (self->selection), target);
  open_conversation (self, conversation);
}

static void
win_next_conversation (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  select_relative (TL_WINDOW (widget), 1);
}

static void
win_previous_conversation (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  select_relative (TL_WINDOW (widget), -1);
}

static void
on_back_clicked_cb (TlWindow *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
on_folded_cb (TlWindow *self)
{
  /* Folded, the sidebar is a page of its own: show the thread only when
   * one is chosen. */
  if (adw_leaflet_get_folded (self->leaflet) && active_conversation (self) == NULL)
    adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
}

void
tl_window_set_status (TlWindow       *self,
                      TlWindowStatus  status,
                      int             retry_in_seconds)
{
  g_autofree char *text = NULL;
  const char *button = NULL;
  const char *action = NULL;
  const char *subtitle = NULL;
  const char *reason = NULL;

  g_return_if_fail (TL_IS_WINDOW (self));

  switch (status)
    {
    case TL_WINDOW_STATUS_ONLINE:
      break;
    case TL_WINDOW_STATUS_CONNECTING:
      subtitle = _("Connecting…");
      break;
    case TL_WINDOW_STATUS_SYNCING:
      subtitle = _("Syncing…");
      break;
    case TL_WINDOW_STATUS_OFFLINE:
      if (retry_in_seconds >= 0)
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Offline — retrying in %d second",
                                             "Offline — retrying in %d seconds", retry_in_seconds),
                                retry_in_seconds);
      else
        text = g_strdup (_("Offline"));
      button = _("Retry _Now");
      action = "app.reconnect";
      subtitle = _("Offline");
      break;
    case TL_WINDOW_STATUS_AUTH_FAILED:
      text = g_strdup (_("Authentication failed. Sign in again to keep chatting."));
      button = _("_Sign In");
      action = "app.preferences";
      subtitle = _("Signed out");
      reason = _("You are signed out. Messages you write wait until you sign in again.");
      break;
    case TL_WINDOW_STATUS_UNSUPPORTED:
      text = g_strdup (_("This server speaks a protocol version Threadline does not support."));
      subtitle = _("Unsupported server");
      reason = _("This server cannot be used with this version of Threadline.");
      break;
    case TL_WINDOW_STATUS_CLOSED:
    default:
      text = g_strdup (_("Disconnected"));
      button = _("_Connect");
      action = "app.reconnect";
      subtitle = _("Disconnected");
      break;
    }

  gtk_revealer_set_reveal_child (self->status_revealer, text != NULL);
  gtk_label_set_text (self->status_label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_button), button != NULL);
  if (button != NULL)
    {
      gtk_button_set_label (self->status_button, button);
      gtk_button_set_use_underline (self->status_button, TRUE);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->status_button), action);
    }
  adw_window_title_set_subtitle (ADW_WINDOW_TITLE (adw_header_bar_get_title_widget (
    ADW_HEADER_BAR (gtk_widget_get_first_child (self->sidebar)))), subtitle ? subtitle : "");
  tl_composer_set_disabled_reason (self->composer, reason);
  /* Asked while offline, the request went nowhere: ask again. */
  if (status == TL_WINDOW_STATUS_ONLINE)
    {
      g_clear_pointer (&self->read_requested, g_free);
      mark_read (self);
    }
}

static void
on_is_active_cb (TlWindow *self)
{
  mark_read (self);
}

static gboolean
tl_window_close_request (GtkWindow *window)
{
  TlWindow *self = TL_WINDOW (window);
  int width, height;

  /* The unmaximized size, so a maximized window restores to something sane. */
  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));

  return GTK_WINDOW_CLASS (tl_window_parent_class)->close_request (window);
}

static void
tl_window_dispose (GObject *object)
{
  TlWindow *self = TL_WINDOW (object);

  g_clear_handle_id (&self->resync_idle_id, g_source_remove);
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_object (&self->active_signals);
  g_clear_object (&self->thread_signals);
  g_clear_object (&self->last_message_signals);
  gtk_widget_dispose_template (GTK_WIDGET (self), TL_TYPE_WINDOW);

  G_OBJECT_CLASS (tl_window_parent_class)->dispose (object);
}

static void
tl_window_finalize (GObject *object)
{
  TlWindow *self = TL_WINDOW (object);

  g_clear_object (&self->selection);
  g_clear_object (&self->filter);
  g_clear_object (&self->settings);
  g_clear_object (&self->store);
  g_free (self->active_title);
  g_free (self->read_requested);
  g_free (self->composer_id);
  g_hash_table_unref (self->drafts);

  G_OBJECT_CLASS (tl_window_parent_class)->finalize (object);
}

static void
tl_window_class_init (TlWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tl_window_dispose;
  object_class->finalize = tl_window_finalize;
  GTK_WINDOW_CLASS (klass)->close_request = tl_window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/threadline/Threadline/tl-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TlWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, status_revealer);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, status_button);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, sidebar_list);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, content);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, thread_title);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, conversation_menu_button);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, thread_box);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_folded_cb);

  gtk_widget_class_install_action (widget_class, "thread.retry", "s", thread_retry);
  gtk_widget_class_install_action (widget_class, "thread.regenerate", "s", thread_regenerate);
  gtk_widget_class_install_action (widget_class, "thread.stop-stream", NULL, thread_stop_stream);
  gtk_widget_class_install_action (widget_class, "win.new-conversation", NULL, win_new_conversation);
  gtk_widget_class_install_action (widget_class, "win.remove-conversation", NULL, win_remove_conversation);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, win_search);
  gtk_widget_class_install_action (widget_class, "win.next-conversation", NULL, win_next_conversation);
  gtk_widget_class_install_action (widget_class, "win.previous-conversation", NULL, win_previous_conversation);

}

/* In the capture phase, before the focused widget sees the keys: the
 * composer's text view binds Ctrl+Page Up/Down and Ctrl+. itself. */
static void
add_shortcuts (TlWindow *self)
{
  static const struct { guint keyval; const char *action; } shortcuts[] = {
    { GDK_KEY_f, "win.search" },
    { GDK_KEY_n, "win.new-conversation" },
    { GDK_KEY_Page_Down, "win.next-conversation" },
    { GDK_KEY_Page_Up, "win.previous-conversation" },
    { GDK_KEY_period, "thread.stop-stream" },
    { GDK_KEY_comma, "app.preferences" },
  };
  GtkEventController *controller = gtk_shortcut_controller_new ();

  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  for (guint i = 0; i < G_N_ELEMENTS (shortcuts); i++)
    gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller),
                                          gtk_shortcut_new (gtk_keyval_trigger_new (shortcuts[i].keyval,
                                                                                    GDK_CONTROL_MASK),
                                                            gtk_named_action_new (shortcuts[i].action)));
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
}

static void
tl_window_init (TlWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  add_shortcuts (self);
  self->drafts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->settings = g_settings_new ("io.github.threadline.Threadline");
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  gtk_search_bar_set_key_capture_widget (self->search_bar, self->sidebar);
}

static void
setup (TlWindow *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkFilterListModel *filtered;
  GtkWidget *separator;

  self->filter = gtk_custom_filter_new (filter_conversation, self, NULL);
  filtered = gtk_filter_list_model_new (g_object_ref (tl_store_get_conversations (self->store)),
                                        g_object_ref (GTK_FILTER (self->filter)));
  self->selection = gtk_single_selection_new (G_LIST_MODEL (filtered));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  g_signal_connect_object (self->selection, "notify::selected-item",
                           G_CALLBACK (on_selection_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->selection, "notify::selected",
                           G_CALLBACK (on_selected_position_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->selection, "items-changed",
                           G_CALLBACK (on_sidebar_items_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sidebar_list, "activate",
                           G_CALLBACK (on_sidebar_activate_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->leaflet, "notify::visible-child",
                           G_CALLBACK (mark_read), self, G_CONNECT_SWAPPED);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_sidebar_row_cb), self);
  /* No unbind: GTK 4.8 unbinds and rebinds every row of a moved range, and
   * a row bound again to the conversation it shows has nothing to do. */
  g_signal_connect (factory, "bind", G_CALLBACK (bind_sidebar_row_cb), self);
  gtk_list_view_set_factory (self->sidebar_list, factory);
  gtk_list_view_set_model (self->sidebar_list, GTK_SELECTION_MODEL (self->selection));

  self->thread_view = TL_THREAD_VIEW (tl_thread_view_new (self->store));
  gtk_widget_set_vexpand (GTK_WIDGET (self->thread_view), TRUE);
  gtk_box_append (GTK_BOX (self->thread_box), GTK_WIDGET (self->thread_view));
  separator = gtk_separator_new (GTK_ORIENTATION_HORIZONTAL);
  gtk_box_append (GTK_BOX (self->thread_box), separator);
  self->composer = TL_COMPOSER (tl_composer_new ());
  gtk_box_append (GTK_BOX (self->thread_box), GTK_WIDGET (self->composer));
  g_signal_connect_object (self->composer, "send", G_CALLBACK (on_composer_send_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->composer, "typing", G_CALLBACK (on_composer_typing_cb), self,
                           G_CONNECT_SWAPPED);

  self->active_signals = g_signal_group_new (TL_TYPE_CONVERSATION);
  g_signal_group_connect_swapped (self->active_signals, "notify::title", G_CALLBACK (on_active_notify_cb), self);
  g_signal_group_connect_swapped (self->active_signals, "notify::subtitle", G_CALLBACK (on_active_notify_cb), self);
  g_signal_group_connect_swapped (self->active_signals, "notify::participants", G_CALLBACK (on_active_notify_cb), self);
  g_signal_group_connect_swapped (self->active_signals, "notify::is-unread", G_CALLBACK (on_active_notify_cb), self);
  self->thread_signals = g_signal_group_new (G_TYPE_LIST_MODEL);
  g_signal_group_connect_swapped (self->thread_signals, "items-changed",
                                  G_CALLBACK (on_thread_items_changed_cb), self);
  self->last_message_signals = g_signal_group_new (TL_TYPE_MESSAGE);
  g_signal_group_connect_swapped (self->last_message_signals, "notify::status",
                                  G_CALLBACK (update_streaming), self);

  g_signal_connect_object (self->store, "notify::active-conversation-id",
                           G_CALLBACK (on_active_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect (self, "notify::is-active", G_CALLBACK (on_is_active_cb), NULL);

  on_sidebar_items_changed_cb (self);
  on_active_changed_cb (self);
  tl_window_set_status (self, TL_WINDOW_STATUS_ONLINE, -1);
}

TlWindow *
tl_window_new (GtkApplication *application,
               TlStore        *store)
{
  TlWindow *self;

  g_return_val_if_fail (TL_IS_STORE (store), NULL);

  self = g_object_new (TL_TYPE_WINDOW, "application", application, NULL);
  self->store = g_object_ref (store);
  setup (self);
  return self;
}

void
tl_window_set_welcome (TlWindow *self,
                       gboolean  welcome)
{
  g_return_if_fail (TL_IS_WINDOW (self));

  self->welcome = welcome;
  if (active_conversation (self) == NULL)
    gtk_stack_set_visible_child_name (self->content_stack, welcome ? "welcome" : "placeholder");
}

TlStore *
tl_window_get_store (TlWindow *self)
{
  g_return_val_if_fail (TL_IS_WINDOW (self), NULL);
  return self->store;
}
