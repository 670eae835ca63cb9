/* tl-thread-view.c — the active conversation's messages, kept in view
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GTK has no stick-to-bottom. "Stuck" is explicit state: it is true while
 * the view sits at the end, is decided before a change reaches the list
 * (our items-changed handler is connected before the list view's), and while
 * stuck every growth of the content (a new message, a streaming reply
 * getting taller) keeps the end in view. Scrolled up, nothing moves and a
 * "jump to latest" button appears instead.
 *
 * Older messages appear before the user reaches the top — within a screen
 * of it, or at once when what is shown does not fill the view: first those
 * the store already has (a conversation opens on its newest ones, see
 * TlTailModel), then pages asked of the server, one request at a time,
 * until it says there is no more.
 */

/* The shortest row (a one-line message under its author's previous one) and
 * the height assumed before the view has one. */
#define MIN_ROW_HEIGHT  24
#define DEFAULT_HEIGHT  1000
#define G_LOG_DOMAIN "threadline-app"

#include <glib/gi18n.h>

#include "tl-app-util.h"
#include "tl-frame-model.h"
#include "tl-message-row.h"
#include "tl-tail-model.h"
#include "tl-thread-view.h"

struct _TlThreadView
{
  GtkWidget       parent_instance;

  /* template widgets */
  GtkWidget      *box;
  GtkWidget      *pages;

  /* the current conversation's page */
  GtkWidget      *scroller;
  GtkListView    *list_view;
  GtkRevealer    *jump_revealer;
  GtkLabel       *typing_label;

  /* owned */
  GtkListItemFactory *factory;
  GtkWidget      *retired;     /* the previous page, released after a frame */
  TlConversation *conversation;
  TlTailModel    *tail;
  GSignalGroup   *conversation_signals;
  GSignalGroup   *messages_signals;

  /* borrowed */
  TlStore        *store;
  GtkAdjustment  *vadjustment;

  gboolean        stuck;
  gboolean        scrolling;   /* our own scroll in progress */
  guint           scroll_tick_id;
  gboolean        scroll_precise;
  gboolean        opening;     /* shown, not yet painted at its end */
  GdkFrameClock  *opening_clock;
  gulong          opening_paint_id;
  guint           opened_tick_id;
  char           *requested_cursor;  /* history asked for, not yet arrived */
};

G_DEFINE_FINAL_TYPE (TlThreadView, tl_thread_view, GTK_TYPE_WIDGET)

static void
set_stuck (TlThreadView *self,
           gboolean      stuck)
{
  self->stuck = stuck;
  gtk_revealer_set_reveal_child (self->jump_revealer, !stuck);
}

static void
stick (TlThreadView *self)
{
  double end = gtk_adjustment_get_upper (self->vadjustment) -
               gtk_adjustment_get_page_size (self->vadjustment);

  self->scrolling = TRUE;
  gtk_adjustment_set_value (self->vadjustment, MAX (end, 0));
  self->scrolling = FALSE;
}

/* Rows enough to fill the view once: every row is built before the first
 * frame (GTK 4.8 builds all of a short model), so a conversation opens on
 * a screenful and each reveal adds about one more. */
static guint
rows_to_fill (TlThreadView *self)
{
  GtkWidget *root = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (self)));
  int height = gtk_widget_get_height (GTK_WIDGET (self));

  /* Not shown yet (behind the placeholder): the window bounds it. */
  if (height <= 0 && root != NULL)
    height = gtk_widget_get_height (root);
  return (height > 0 ? height : DEFAULT_HEIGHT) / MIN_ROW_HEIGHT + 2;
}

static void
maybe_load_older (TlThreadView *self)
{
  const char *cursor;
  double value, page;

  /* Until the first frame at the end, the adjustment still says "top":
   * revealing then would build rows nobody asked for. */
  if (self->conversation == NULL || self->opening)
    return;
  value = gtk_adjustment_get_value (self->vadjustment);
  page = gtk_adjustment_get_page_size (self->vadjustment);
  /* With rows shown but not laid out (page 0), the next change of upper
   * asks again; with none shown there is nothing to measure. */
  if (self->tail != NULL && g_list_model_get_n_items (G_LIST_MODEL (self->tail)) > 0 &&
      (page <= 0 || value > page))
    return;
  /* What the store already has comes first. */
  if (self->tail != NULL && tl_tail_model_reveal (self->tail, rows_to_fill (self)) > 0)
    return;
  if (!tl_conversation_get_has_more_history (self->conversation))
    return;
  cursor = tl_conversation_get_history_cursor (self->conversation);
  /* One request per cursor: the next one waits for its page. */
  if (g_strcmp0 (cursor, self->requested_cursor) == 0 && self->requested_cursor != NULL)
    return;
  g_free (self->requested_cursor);
  self->requested_cursor = g_strdup (cursor ? cursor : "");
  gtk_widget_activate_action (GTK_WIDGET (self), "app.load-history", "(ss)",
                              tl_conversation_get_id (self->conversation), cursor ? cursor : "");
}

static void
on_value_changed_cb (TlThreadView  *self,
                     GtkAdjustment *adjustment)
{
  double end;

  if (self->scrolling)
    return;
  end = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);
  set_stuck (self, gtk_adjustment_get_value (adjustment) >= end - 2);
  maybe_load_older (self);
}

static void
on_upper_changed_cb (TlThreadView  *self,
                     GParamSpec    *pspec,
                     GtkAdjustment *adjustment)
{
  if (self->stuck)
    stick (self);
  /* A first page shorter than the view never scrolls: ask now. */
  maybe_load_older (self);
}

static void
release_retired (TlThreadView *self)
{
  if (self->retired == NULL)
    return;
  gtk_list_view_set_model (GTK_LIST_VIEW (gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (self->retired))),
                           NULL);
  gtk_box_remove (GTK_BOX (self->pages), self->retired);
  self->retired = NULL;
}

static void
stop_opening (TlThreadView *self)
{
  if (self->opening_paint_id != 0)
    g_signal_handler_disconnect (self->opening_clock, self->opening_paint_id);
  self->opening_paint_id = 0;
  g_clear_object (&self->opening_clock);
  self->opening = FALSE;
}

static gboolean
opened_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       user_data)
{
  TlThreadView *self = TL_THREAD_VIEW (widget);

  self->opened_tick_id = 0;
  release_retired (self);
  maybe_load_older (self);
  return G_SOURCE_REMOVE;
}

/* Only once the list has laid out what it shows does the adjustment say
 * whether that fills the view; older rows, if any are wanted, are built in
 * the next frame, not at the end of the first one. */
static void
on_opened_cb (TlThreadView *self)
{
  stop_opening (self);
  if (self->opened_tick_id == 0)
    self->opened_tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), opened_tick_cb, NULL, NULL);
}

static gboolean
scroll_to_end_tick_cb (GtkWidget     *widget,
                       GdkFrameClock *clock,
                       gpointer       user_data)
{
  TlThreadView *self = TL_THREAD_VIEW (widget);
  GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (self->list_view));
  guint n = model ? g_list_model_get_n_items (model) : 0;

  /* The list view estimates the heights of rows it has not realized; asking
   * it to show the last item is exact where the adjustment alone is not. */
  self->scroll_tick_id = 0;
  /* Re-anchoring is costly in GTK 4.8 (the list rebuilds up to 200 rows):
   * only for a jump, not for every message that arrives while stuck. */
  if (n > 0 && self->scroll_precise)
    gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", n - 1);
  self->scroll_precise = FALSE;
  stick (self);
  if (self->opening && self->opening_paint_id == 0)
    {
      self->opening_clock = g_object_ref (clock);
      self->opening_paint_id = g_signal_connect_object (clock, "after-paint", G_CALLBACK (on_opened_cb),
                                                        self, G_CONNECT_SWAPPED);
    }
  return G_SOURCE_REMOVE;
}

/* However many changes arrive, one scroll per frame. */
static void
queue_scroll_to_end (TlThreadView *self,
                     gboolean      precise)
{
  self->scroll_precise |= precise;
  if (self->scroll_tick_id == 0)
    self->scroll_tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), scroll_to_end_tick_cb,
                                                         NULL, NULL);
}

void
tl_thread_view_scroll_to_end (TlThreadView *self)
{
  g_return_if_fail (TL_IS_THREAD_VIEW (self));

  set_stuck (self, TRUE);
  queue_scroll_to_end (self, TRUE);
}

static void
on_jump_clicked_cb (TlThreadView *self)
{
  tl_thread_view_scroll_to_end (self);
}

static void
on_items_changed_cb (TlThreadView *self,
                     guint         position,
                     guint         removed,
                     guint         added,
                     GListModel   *model)
{
  /* Runs before the list view hears of the change: "stuck" still describes
   * the view as the user saw it. */
  if (self->stuck && added > 0)
    queue_scroll_to_end (self, FALSE);
}

static void
update_typing (TlThreadView *self)
{
  const char * const *typing;
  const char *local;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *text = NULL;

  if (self->conversation == NULL)
    {
      gtk_label_set_text (self->typing_label, "");
      return;
    }
  typing = tl_conversation_get_typing (self->conversation);
  local = tl_store_get_local_user_id (self->store);
  for (guint i = 0; typing[i] != NULL; i++)
    if (g_strcmp0 (typing[i], local) != 0)
      g_ptr_array_add (names, tl_conversation_dup_user_name (self->conversation, typing[i]));

  if (names->len == 1)
    text = g_strdup_printf (_("%s is typing…"), (char *) names->pdata[0]);
  else if (names->len == 2)
    text = g_strdup_printf (_("%s and %s are typing…"), (char *) names->pdata[0],
                            (char *) names->pdata[1]);
  else if (names->len > 2)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u person is typing…",
                                         "%u people are typing…", names->len), names->len);
  gtk_label_set_text (self->typing_label, text ? text : "");
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              TlThreadView             *self)
{
  gtk_list_item_set_child (item, tl_message_row_new (self->store));
  gtk_list_item_set_activatable (item, FALSE);
  gtk_list_item_set_selectable (item, FALSE);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             TlThreadView             *self)
{
  GtkWidget *row = gtk_list_item_get_child (item);
  /* Its own list: a retired one may still hear of changes. */
  GtkListView *list = GTK_LIST_VIEW (gtk_widget_get_ancestor (row, GTK_TYPE_LIST_VIEW));
  guint position = gtk_list_item_get_position (item);
  GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (list));
  g_autoptr(TlMessage) previous = position > 0 ? g_list_model_get_item (model, position - 1) : NULL;

  tl_message_row_set_message (TL_MESSAGE_ROW (row), gtk_list_item_get_item (item), previous);
}

/* A new page (scroller and list) for every conversation: tearing down the
 * rows of the one being left costs as much as building the new ones, and
 * most of it is taking them out of the widget tree, so the old page is
 * only hidden until the new one has been painted (see opened_tick_cb). */
static void
replace_page (TlThreadView *self)
{
  release_retired (self);
  if (self->scroller != NULL)
    {
      self->retired = self->scroller;
      gtk_widget_set_visible (self->retired, FALSE);
      g_signal_handlers_disconnect_by_data (self->vadjustment, self);
    }

  self->list_view = GTK_LIST_VIEW (gtk_list_view_new (NULL, g_object_ref (self->factory)));
  gtk_list_view_set_single_click_activate (self->list_view, FALSE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list_view), "tl-thread");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list_view),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Messages"), -1);
  self->scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (self->scroller, TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scroller), GTK_WIDGET (self->list_view));
  gtk_box_append (GTK_BOX (self->pages), self->scroller);

  self->vadjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scroller));
  g_signal_connect_object (self->vadjustment, "value-changed",
                           G_CALLBACK (on_value_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->vadjustment, "notify::upper",
                           G_CALLBACK (on_upper_changed_cb), self, G_CONNECT_SWAPPED);
}

static void
tl_thread_view_dispose (GObject *object)
{
  TlThreadView *self = TL_THREAD_VIEW (object);

  g_clear_object (&self->conversation_signals);
  g_clear_object (&self->messages_signals);
  g_clear_object (&self->conversation);
  g_clear_object (&self->tail);
  g_clear_pointer (&self->requested_cursor, g_free);
  stop_opening (self);
  release_retired (self);
  g_clear_object (&self->factory);
  if (self->scroll_tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->scroll_tick_id);
      self->scroll_tick_id = 0;
    }
  if (self->opened_tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->opened_tick_id);
      self->opened_tick_id = 0;
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), TL_TYPE_THREAD_VIEW);

  G_OBJECT_CLASS (tl_thread_view_parent_class)->dispose (object);
}

static void
tl_thread_view_class_init (TlThreadViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tl_thread_view_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/threadline/Threadline/tl-thread-view.ui");
  gtk_widget_class_bind_template_child (widget_class, TlThreadView, box);
  gtk_widget_class_bind_template_child (widget_class, TlThreadView, pages);
  gtk_widget_class_bind_template_child (widget_class, TlThreadView, jump_revealer);
  gtk_widget_class_bind_template_child (widget_class, TlThreadView, typing_label);
  gtk_widget_class_bind_template_callback (widget_class, on_jump_clicked_cb);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
tl_thread_view_init (TlThreadView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (self->factory, "setup", G_CALLBACK (setup_row_cb), self);
  /* No unbind, as in the sidebar: rebinding a row to the message it shows
   * is free, which keeps moves and batched changes cheap. */
  g_signal_connect (self->factory, "bind", G_CALLBACK (bind_row_cb), self);
  replace_page (self);

  self->conversation_signals = g_signal_group_new (TL_TYPE_CONVERSATION);
  g_signal_group_connect_swapped (self->conversation_signals, "notify::typing",
                                  G_CALLBACK (update_typing), self);
  g_signal_group_connect_swapped (self->conversation_signals, "notify::participants",
                                  G_CALLBACK (update_typing), self);
  g_signal_group_connect_swapped (self->conversation_signals, "notify::history-cursor",
                                  G_CALLBACK (maybe_load_older), self);
  g_signal_group_connect_swapped (self->conversation_signals, "notify::has-more-history",
                                  G_CALLBACK (maybe_load_older), self);
  self->messages_signals = g_signal_group_new (G_TYPE_LIST_MODEL);
  g_signal_group_connect_swapped (self->messages_signals, "items-changed",
                                  G_CALLBACK (on_items_changed_cb), self);
  set_stuck (self, TRUE);
}

GtkWidget *
tl_thread_view_new (TlStore *store)
{
  TlThreadView *self = g_object_new (TL_TYPE_THREAD_VIEW, NULL);

  self->store = store;
  return GTK_WIDGET (self);
}

TlConversation *
tl_thread_view_get_conversation (TlThreadView *self)
{
  g_return_val_if_fail (TL_IS_THREAD_VIEW (self), NULL);
  return self->conversation;
}

gboolean
tl_thread_view_get_stuck (TlThreadView *self)
{
  g_return_val_if_fail (TL_IS_THREAD_VIEW (self), FALSE);
  return self->stuck;
}

void
tl_thread_view_set_conversation (TlThreadView   *self,
                                 TlConversation *conversation)
{
  g_autoptr(GtkNoSelection) selection = NULL;
  GListModel *messages;

  g_return_if_fail (TL_IS_THREAD_VIEW (self));

  if (!g_set_object (&self->conversation, conversation))
    return;

  g_signal_group_set_target (self->conversation_signals, conversation);
  messages = conversation ? tl_conversation_get_messages (conversation) : NULL;
  /* Connected before the list view gets the model, so it runs first. */
  g_signal_group_set_target (self->messages_signals, messages);
  g_clear_object (&self->tail);
  replace_page (self);
  if (messages != NULL)
    {
      self->tail = tl_tail_model_new (messages, rows_to_fill (self));
      /* One change a frame reaches the list, however many batches arrive. */
      selection = gtk_no_selection_new (G_LIST_MODEL (tl_frame_model_new (G_LIST_MODEL (self->tail),
                                                                          GTK_WIDGET (self->list_view))));
    }
  else
    release_retired (self);   /* nothing new to show first */
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));
  g_clear_pointer (&self->requested_cursor, g_free);
  update_typing (self);
  stop_opening (self);
  self->opening = conversation != NULL;
  tl_thread_view_scroll_to_end (self);
}
