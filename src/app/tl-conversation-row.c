/* tl-conversation-row.c — one conversation in the sidebar
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The row follows its conversation through signal groups, so GtkListView can
 * rebind a recycled row to another conversation in one call, and a rename,
 * a new message or someone typing updates the row in place.
 */
#define G_LOG_DOMAIN "threadline-app"

/* Characters of the last message the sidebar shows. */
#define PREVIEW_LENGTH 120

#include <glib/gi18n.h>

#include "tl-app-util.h"
#include "tl-conversation-row.h"
#include "tl-day-clock.h"
#include "tl-part.h"

#include <json-glib/json-glib.h>

struct _TlConversationRow
{
  GtkWidget       parent_instance;

  /* template widgets */
  GtkWidget      *box;
  AdwAvatar      *avatar;
  GtkWidget      *presence_dot;
  GtkLabel       *title_label;
  GtkLabel       *time_label;
  GtkLabel       *preview_label;
  GtkLabel       *unread_badge;

  /* owned */
  TlConversation *conversation;
  GSignalGroup   *conversation_signals;
  GSignalGroup   *messages_signals;
  GSignalGroup   *last_message_signals;
  GSignalGroup   *preview_part_signals;   /* the text the preview shows */
  gboolean        preview_full;           /* as long as a preview gets */

  /* borrowed */
  TlStore        *store;
};

G_DEFINE_FINAL_TYPE (TlConversationRow, tl_conversation_row, GTK_TYPE_WIDGET)

static TlMessage *
last_message (TlConversationRow *self)
{
  GListModel *messages = tl_conversation_get_messages (self->conversation);
  guint n = g_list_model_get_n_items (messages);

  return n > 0 ? g_list_model_get_item (messages, n - 1) : NULL;
}

static char *
typing_text (TlConversationRow *self)
{
  const char * const *typing = tl_conversation_get_typing (self->conversation);
  const char *local = tl_store_get_local_user_id (self->store);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  /* The local user's own typing is recorded, but never shown to them. */
  for (guint i = 0; typing[i] != NULL; i++)
    if (g_strcmp0 (typing[i], local) != 0)
      g_ptr_array_add (names, tl_conversation_dup_user_name (self->conversation, typing[i]));

  if (names->len == 0)
    return NULL;
  if (names->len == 1)
    return g_strdup_printf (_("%s is typing…"), (char *) names->pdata[0]);
  if (names->len == 2)
    return g_strdup_printf (_("%s and %s are typing…"), (char *) names->pdata[0],
                            (char *) names->pdata[1]);
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u person is typing…",
                                       "%u people are typing…", names->len), names->len);
}

static TlPart *
first_text_part (TlMessage *message)
{
  GPtrArray *parts = tl_message_get_parts (message);

  for (guint i = 0; parts != NULL && i < parts->len; i++)
    if (g_strcmp0 (tl_part_get_part_type (parts->pdata[i]), "text") == 0)
      return parts->pdata[i];
  return NULL;
}

/* @last: the conversation's newest message, or NULL to look it up. */
static void
update_time (TlConversationRow *self,
             TlMessage         *last)
{
  g_autoptr(TlMessage) looked_up = NULL;
  g_autoptr(GDateTime) now = tl_day_clock_dup_now (tl_day_clock_get_default ());
  g_autofree char *time = NULL;
  const char *at;

  if (self->conversation == NULL)
    return;
  at = tl_conversation_get_last_message_at (self->conversation);
  if (at == NULL && last == NULL)
    last = looked_up = last_message (self);
  if (at == NULL && last != NULL)
    at = tl_message_get_created_at (last);
  time = at ? tl_format_time_short (at, now) : NULL;
  gtk_label_set_text (self->time_label, time ? time : "");
}

static void
on_day_changed_cb (TlConversationRow *self)
{
  update_time (self, NULL);
}

static void
update_preview (TlConversationRow *self)
{
  g_autoptr(TlMessage) message = NULL;
  g_autofree char *typing = NULL;
  g_autofree char *preview = NULL;

  if (self->conversation == NULL)
    return;

  message = last_message (self);
  g_signal_group_set_target (self->last_message_signals, message);

  typing = typing_text (self);
  if (typing != NULL)
    {
      gtk_label_set_text (self->preview_label, typing);
      gtk_widget_add_css_class (GTK_WIDGET (self->preview_label), "accent");
    }
  else
    {
      preview = message ? tl_message_dup_preview (message, PREVIEW_LENGTH) : NULL;
      gtk_label_set_text (self->preview_label, preview ? preview : "");
      gtk_widget_remove_css_class (GTK_WIDGET (self->preview_label), "accent");
    }
  g_signal_group_set_target (self->preview_part_signals, message ? first_text_part (message) : NULL);
  self->preview_full = preview != NULL && g_utf8_strlen (preview, -1) >= PREVIEW_LENGTH;
  update_time (self, message);
}

static void
update_title (TlConversationRow *self)
{
  g_autofree char *title = NULL;

  if (self->conversation == NULL)
    return;
  title = tl_conversation_dup_display_title (self->conversation,
                                             tl_store_get_local_user_id (self->store));
  gtk_label_set_text (self->title_label, title);
  adw_avatar_set_text (self->avatar, title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
}

/* A one-to-one conversation shows whether the other person is online. */
static void
update_presence (TlConversationRow *self)
{
  JsonNode *participants;
  JsonArray *array;
  const char *local = tl_store_get_local_user_id (self->store);
  guint others = 0;
  gboolean online = FALSE;

  if (self->conversation == NULL)
    return;
  participants = tl_conversation_get_participants (self->conversation);
  array = participants ? json_node_get_array (participants) : NULL;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *user = json_array_get_object_element (array, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (user, "id", NULL), local) == 0)
        continue;
      others++;
      online = json_object_get_boolean_member_with_default (user, "isOnline", FALSE);
    }
  gtk_widget_set_visible (self->presence_dot, others == 1 && online);
  gtk_widget_set_tooltip_text (self->presence_dot, others == 1 && online ? _("Online") : NULL);
}

static void
update_unread (TlConversationRow *self)
{
  gint64 count;
  g_autofree char *text = NULL;

  if (self->conversation == NULL)
    return;
  count = tl_conversation_get_unread_count (self->conversation);
  if (count > 99)
    text = g_strdup (_("99+"));
  else if (count > 0)
    text = g_strdup_printf ("%" G_GINT64_FORMAT, count);

  gtk_widget_set_visible (GTK_WIDGET (self->unread_badge),
                          tl_conversation_get_is_unread (self->conversation));
  /* Unread without a count (readState alone) shows as a dot. */
  gtk_label_set_text (self->unread_badge, text ? text : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->unread_badge), text ? NULL : _("Unread"));
  if (tl_conversation_get_is_unread (self->conversation))
    gtk_widget_add_css_class (GTK_WIDGET (self->title_label), "tl-unread");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->title_label), "tl-unread");
}

static void
on_conversation_notify_cb (TlConversationRow *self,
                           GParamSpec        *pspec)
{
  const char *name = pspec->name;

  if (g_str_equal (name, "title") || g_str_equal (name, "participants"))
    {
      update_title (self);
      update_presence (self);
    }
  else if (g_str_equal (name, "unread-count") || g_str_equal (name, "is-unread"))
    update_unread (self);
  else if (g_str_equal (name, "typing") || g_str_equal (name, "last-message-at"))
    update_preview (self);
}

static void
on_preview_text_cb (TlConversationRow *self)
{
  if (!self->preview_full)
    update_preview (self);
}

static void
tl_conversation_row_dispose (GObject *object)
{
  TlConversationRow *self = TL_CONVERSATION_ROW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), TL_TYPE_CONVERSATION_ROW);
  g_clear_object (&self->conversation_signals);
  g_clear_object (&self->messages_signals);
  g_clear_object (&self->last_message_signals);
  g_clear_object (&self->preview_part_signals);
  g_clear_object (&self->conversation);

  G_OBJECT_CLASS (tl_conversation_row_parent_class)->dispose (object);
}

static void
tl_conversation_row_class_init (TlConversationRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tl_conversation_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/threadline/Threadline/tl-conversation-row.ui");
  gtk_widget_class_bind_template_child (widget_class, TlConversationRow, box);
  gtk_widget_class_bind_template_child (widget_class, TlConversationRow, avatar);
  gtk_widget_class_bind_template_child (widget_class, TlConversationRow, presence_dot);
  gtk_widget_class_bind_template_child (widget_class, TlConversationRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, TlConversationRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, TlConversationRow, preview_label);
  gtk_widget_class_bind_template_child (widget_class, TlConversationRow, unread_badge);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
tl_conversation_row_init (TlConversationRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->conversation_signals = g_signal_group_new (TL_TYPE_CONVERSATION);
  g_signal_group_connect_swapped (self->conversation_signals, "notify",
                                  G_CALLBACK (on_conversation_notify_cb), self);
  self->messages_signals = g_signal_group_new (G_TYPE_LIST_MODEL);
  g_signal_group_connect_swapped (self->messages_signals, "items-changed",
                                  G_CALLBACK (update_preview), self);
  self->last_message_signals = g_signal_group_new (TL_TYPE_MESSAGE);
  g_signal_group_connect_swapped (self->last_message_signals, "notify::parts",
                                  G_CALLBACK (update_preview), self);
  g_signal_group_connect_swapped (self->last_message_signals, "notify::status",
                                  G_CALLBACK (update_preview), self);
  /* A streamed reply's text grows inside its part: the preview follows it
   * until it is as long as a preview gets, then stops listening to deltas,
   * so a long reply costs the sidebar nothing per delta. */
  self->preview_part_signals = g_signal_group_new (TL_TYPE_PART);
  g_signal_group_connect_swapped (self->preview_part_signals, "notify::text",
                                  G_CALLBACK (on_preview_text_cb), self);
  g_signal_connect_object (tl_day_clock_get_default (), "day-changed",
                           G_CALLBACK (on_day_changed_cb), self, G_CONNECT_SWAPPED);
}

GtkWidget *
tl_conversation_row_new (TlStore *store)
{
  TlConversationRow *self = g_object_new (TL_TYPE_CONVERSATION_ROW, NULL);

  self->store = store;
  return GTK_WIDGET (self);
}

TlConversation *
tl_conversation_row_get_conversation (TlConversationRow *self)
{
  g_return_val_if_fail (TL_IS_CONVERSATION_ROW (self), NULL);
  return self->conversation;
}

void
tl_conversation_row_set_conversation (TlConversationRow *self,
                                      TlConversation    *conversation)
{
  g_return_if_fail (TL_IS_CONVERSATION_ROW (self));

  if (!g_set_object (&self->conversation, conversation))
    return;

  g_signal_group_set_target (self->conversation_signals, conversation);
  g_signal_group_set_target (self->messages_signals,
                             conversation ? tl_conversation_get_messages (conversation) : NULL);
  if (conversation == NULL)
    {
      g_signal_group_set_target (self->last_message_signals, NULL);
      g_signal_group_set_target (self->preview_part_signals, NULL);
      return;
    }
  update_title (self);
  update_presence (self);
  update_unread (self);
  update_preview (self);
}
