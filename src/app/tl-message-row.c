/* tl-message-row.c — one message in the thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A row is recycled by GtkListView and follows its message through signal
 * groups. Parts are rebuilt only when the list of parts changes; a streamed
 * delta reaches its TlMarkdownView through the part's notify::text, so a
 * growing reply never re-creates its row or its widgets.
 *
 * The row lays out its avatar and bubble itself instead of in a horizontal
 * GtkBox: a box allocating across asks each child for its width at a given
 * height, which a wrapping label answers with a binary search of layouts —
 * most of the cost of opening a thread on GTK 4.8. Here the bubble is only
 * ever asked for its height at a width.
 */

#define AVATAR_SPACING 10
#define DAY_SPACING    4
#define G_LOG_DOMAIN "threadline-app"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "tl-app-util.h"
#include "tl-day-clock.h"
#include "tl-markdown-view.h"
#include "tl-message-row.h"
#include "tl-part.h"

struct _TlMessageRow
{
  GtkWidget     parent_instance;

  /* template widgets, the first three children in this order */
  GtkLabel     *day_label;
  AdwAvatar    *avatar;
  GtkWidget    *bubble;
  GtkWidget    *header;
  GtkLabel     *author_label;
  GtkLabel     *time_label;
  GtkWidget    *edited_label;

  /* built the first time the message needs one (most never do) */
  GtkWidget    *footer;
  GtkLabel     *status_label;
  GtkWidget    *retry_button;
  GtkWidget    *regenerate_button;
  GtkLabel     *receipts_label;

  /* owned */
  TlMessage    *message;
  GSignalGroup *message_signals;
  GSignalGroup *conversation_signals;

  /* borrowed */
  TlStore      *store;
  TlMessage    *previous;     /* weak: the neighbour the row was laid out after */
};

G_DEFINE_FINAL_TYPE (TlMessageRow, tl_message_row, GTK_TYPE_WIDGET)

static gboolean
is_own (TlMessageRow *self)
{
  g_autofree char *author = tl_message_dup_author_id (self->message);
  const char *local = tl_store_get_local_user_id (self->store);

  return local != NULL && g_strcmp0 (author, local) == 0;
}

static void
on_part_text_cb (TlPart         *part,
                 GParamSpec     *pspec,
                 TlMarkdownView *view)
{
  tl_markdown_view_set_text (view, tl_part_get_text (part),
                             g_strcmp0 (tl_part_get_state (part), "streaming") == 0);
}

static GtkWidget *
text_view_for (TlPart *part)
{
  GtkWidget *view = tl_markdown_view_new ();

  on_part_text_cb (part, NULL, TL_MARKDOWN_VIEW (view));
  g_signal_connect_object (part, "notify::text", G_CALLBACK (on_part_text_cb), view, 0);
  g_signal_connect_object (part, "notify::state", G_CALLBACK (on_part_text_cb), view, 0);
  return view;
}

static char *
json_preview (JsonObject *object,
              const char *member,
              guint       max)
{
  JsonNode *node = json_object_get_member (object, member);
  g_autoptr(JsonGenerator) generator = NULL;
  g_autofree char *text = NULL;

  if (node == NULL)
    return NULL;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    text = g_strdup (json_node_get_string (node));
  else
    {
      generator = json_generator_new ();
      json_generator_set_pretty (generator, TRUE);
      json_generator_set_root (generator, node);
      text = json_generator_to_data (generator, NULL);
    }
  if (g_utf8_strlen (text, -1) > max)
    {
      char *cut = g_utf8_offset_to_pointer (text, max);

      *cut = '\0';
      return g_strconcat (text, "…", NULL);
    }
  return g_steal_pointer (&text);
}

static GtkWidget *
caption_label (const char *text,
               gboolean    monospace)
{
  GtkWidget *label = tl_text_label_new (text);

  if (monospace)
    gtk_widget_add_css_class (label, "monospace");
  return label;
}

static const char *
tool_state_text (const char *state)
{
  static const struct { const char *state; const char *text; } states[] = {
    { "input-streaming", N_("Preparing") },
    { "input-available", N_("Running") },
    { "approval-requested", N_("Waiting for approval") },
    { "approval-responded", N_("Answered") },
    { "output-available", N_("Done") },
    { "output-error", N_("Failed") },
    { "output-denied", N_("Denied") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    if (g_strcmp0 (states[i].state, state) == 0)
      return _(states[i].text);
  return state;
}

/* A tool call's card: built once, its labels updated as the call moves
 * on, so a reason being typed survives the updates that stream in. */
typedef struct
{
  GtkWidget *name;
  GtkWidget *state;
  GtkWidget *input;
  GtkWidget *output;
  GtkWidget *error;
  GtkWidget *approval;    /* reason entry and buttons */
  GtkWidget *reason;
  char      *message_id;
  char      *call_id;
  char      *approval_id;
  gboolean   answered;    /* for approval_id, by this window */
} ToolCard;

static void
tool_card_free (gpointer data)
{
  ToolCard *card = data;

  g_free (card->message_id);
  g_free (card->call_id);
  g_free (card->approval_id);
  g_free (card);
}

static void
on_tool_response_clicked_cb (GtkButton *button,
                             ToolCard  *card)
{
  gboolean approved = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "tl-approved"));

  /* The reason is whatever the entry holds when the user decides. */
  gtk_widget_activate_action (GTK_WIDGET (button), "app.respond-tool-approval", "(sssbs)",
                              card->message_id, card->call_id,
                              card->approval_id ? card->approval_id : "", approved,
                              gtk_editable_get_text (GTK_EDITABLE (card->reason)));
  /* Answered once: the server's update will say what became of it. */
  card->answered = TRUE;
  gtk_widget_set_sensitive (card->approval, FALSE);
}

static GtkWidget *
approval_box_new (ToolCard *card)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *deny = gtk_button_new_with_mnemonic (_("_Deny"));
  GtkWidget *approve = gtk_button_new_with_mnemonic (_("_Approve"));

  card->reason = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (card->reason), _("Reason (optional)"));
  gtk_widget_set_hexpand (card->reason, TRUE);
  gtk_widget_add_css_class (approve, "suggested-action");
  g_object_set_data (G_OBJECT (approve), "tl-approved", GINT_TO_POINTER (TRUE));
  g_signal_connect (deny, "clicked", G_CALLBACK (on_tool_response_clicked_cb), card);
  g_signal_connect (approve, "clicked", G_CALLBACK (on_tool_response_clicked_cb), card);
  gtk_box_append (GTK_BOX (box), card->reason);
  gtk_box_append (GTK_BOX (box), deny);
  gtk_box_append (GTK_BOX (box), approve);
  return box;
}

/* Shows @text in @label, hidden when there is none. */
static void
set_optional_text (GtkWidget  *label,
                   const char *text)
{
  gtk_label_set_text (GTK_LABEL (label), text ? text : "");
  gtk_widget_set_visible (label, text != NULL);
}

static void
update_tool_card (TlPart     *part,
                  GParamSpec *pspec,
                  GtkWidget  *widget)
{
  ToolCard *card = g_object_get_data (G_OBJECT (widget), "tl-tool-card");
  JsonNode *node = tl_part_get_node (part);
  JsonObject *invocation = NULL;
  const char *tool_name = NULL, *state_name = NULL, *approval_id = NULL;
  g_autofree char *input = NULL, *output = NULL;
  gboolean waiting;

  if (node != NULL)
    {
      JsonNode *inv = json_object_get_member (json_node_get_object (node), "toolInvocation");

      if (inv != NULL && JSON_NODE_HOLDS_OBJECT (inv))
        invocation = json_node_get_object (inv);
    }
  if (invocation != NULL)
    {
      tool_name = json_object_get_string_member_with_default (invocation, "toolName", NULL);
      state_name = json_object_get_string_member_with_default (invocation, "state", NULL);
      approval_id = json_object_get_string_member_with_default (invocation, "approvalId", NULL);
      input = json_preview (invocation, "input", 400);
      output = json_preview (invocation, "output", 600);
      g_free (card->call_id);
      card->call_id = g_strdup (json_object_get_string_member_with_default (invocation, "toolCallId", ""));
    }

  gtk_label_set_text (GTK_LABEL (card->name), tool_name ? tool_name : _("Tool"));
  gtk_label_set_text (GTK_LABEL (card->state), tool_state_text (state_name));
  set_optional_text (card->input, input);
  set_optional_text (card->output, output);
  set_optional_text (card->error, invocation ? json_object_get_string_member_with_default (invocation, "errorText", NULL)
                                             : NULL);

  waiting = g_strcmp0 (state_name, "approval-requested") == 0;
  if (waiting && card->approval == NULL)
    {
      card->approval = approval_box_new (card);
      gtk_box_append (GTK_BOX (widget), card->approval);
    }
  if (card->approval != NULL)
    {
      /* A new request (another approval id) can be answered again. */
      if (g_strcmp0 (approval_id, card->approval_id) != 0)
        {
          g_free (card->approval_id);
          card->approval_id = g_strdup (approval_id);
          card->answered = FALSE;
        }
      gtk_widget_set_visible (card->approval, waiting);
      gtk_widget_set_sensitive (card->approval, !card->answered);
    }
}

static GtkWidget *
tool_card_for (TlMessageRow *self,
               TlPart       *part)
{
  GtkWidget *widget = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *title_row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  ToolCard *card = g_new0 (ToolCard, 1);

  card->message_id = g_strdup (tl_message_get_id (self->message));
  g_object_set_data_full (G_OBJECT (widget), "tl-tool-card", card, tool_card_free);
  gtk_widget_add_css_class (widget, "card");
  gtk_widget_add_css_class (widget, "tl-tool-card");

  card->name = gtk_label_new (NULL);
  gtk_widget_add_css_class (card->name, "heading");
  gtk_widget_set_hexpand (card->name, TRUE);
  gtk_label_set_xalign (GTK_LABEL (card->name), 0);
  card->state = gtk_label_new (NULL);
  gtk_widget_add_css_class (card->state, "caption");
  gtk_widget_add_css_class (card->state, "dim-label");
  gtk_box_append (GTK_BOX (title_row), gtk_image_new_from_icon_name ("applications-engineering-symbolic"));
  gtk_box_append (GTK_BOX (title_row), card->name);
  gtk_box_append (GTK_BOX (title_row), card->state);
  gtk_box_append (GTK_BOX (widget), title_row);

  card->input = caption_label ("", TRUE);
  card->output = caption_label ("", TRUE);
  card->error = caption_label ("", FALSE);
  gtk_widget_add_css_class (card->error, "error");
  gtk_box_append (GTK_BOX (widget), card->input);
  gtk_box_append (GTK_BOX (widget), card->output);
  gtk_box_append (GTK_BOX (widget), card->error);

  update_tool_card (part, NULL, widget);
  g_signal_connect_object (part, "notify::node", G_CALLBACK (update_tool_card), widget, 0);
  return widget;
}

static GtkWidget *
link_for (JsonObject *object,
          const char *label_member)
{
  const char *url = json_object_get_string_member_with_default (object, "url", NULL);
  const char *label = json_object_get_string_member_with_default (object, label_member, NULL);
  GtkWidget *button;

  if (url == NULL || !(g_str_has_prefix (url, "https://") || g_str_has_prefix (url, "http://")))
    return caption_label (label ? label : (url ? url : ""), FALSE);
  /* gtk_link_button_new_with_label() takes the label as plain text. */
  button = gtk_link_button_new_with_label (url, label ? label : url);
  gtk_widget_set_halign (button, GTK_ALIGN_START);
  return button;
}

static GtkWidget *
widget_for_part (TlMessageRow *self,
                 TlPart       *part)
{
  const char *type = tl_part_get_part_type (part);
  JsonNode *node = tl_part_get_node (part);
  JsonObject *object = node ? json_node_get_object (node) : NULL;

  if (g_strcmp0 (type, "text") == 0)
    return text_view_for (part);
  if (g_strcmp0 (type, "reasoning") == 0)
    {
      GtkWidget *expander = gtk_expander_new (_("Reasoning"));
      GtkWidget *view = text_view_for (part);

      gtk_widget_add_css_class (view, "dim-label");
      gtk_expander_set_child (GTK_EXPANDER (expander), view);
      gtk_expander_set_expanded (GTK_EXPANDER (expander),
                                 g_strcmp0 (tl_part_get_state (part), "streaming") == 0);
      return expander;
    }
  if (g_strcmp0 (type, "tool") == 0 || g_strcmp0 (type, "dynamic-tool") == 0)
    return tool_card_for (self, part);
  if (object != NULL && g_strcmp0 (type, "file") == 0)
    return link_for (object, "filename");
  if (object != NULL && g_strcmp0 (type, "source-url") == 0)
    return link_for (object, "title");
  if (object != NULL && g_strcmp0 (type, "source-document") == 0)
    return caption_label (json_object_get_string_member_with_default (object, "title", _("Document")),
                          FALSE);
  /* step-start, data-* and custom parts carry nothing to read. */
  return NULL;
}

/* Parts are the bubble's children between the header and the footer. A
 * part still in the message keeps its widget: a reply streams part after
 * part, and a card being answered or text being selected must survive the
 * next one. */
static void
rebuild_parts (TlMessageRow *self)
{
  g_autoptr(GHashTable) shown = g_hash_table_new (NULL, NULL);
  GPtrArray *parts = self->message ? tl_message_get_parts (self->message) : NULL;
  GtkWidget *child, *last;
  GHashTableIter iter;
  gpointer widget;

  for (child = gtk_widget_get_next_sibling (self->header); child != NULL && child != self->footer;
       child = gtk_widget_get_next_sibling (child))
    g_hash_table_insert (shown, g_object_get_data (G_OBJECT (child), "tl-part"), child);

  last = self->header;
  for (guint i = 0; parts != NULL && i < parts->len; i++)
    {
      TlPart *part = g_ptr_array_index (parts, i);

      if ((widget = g_hash_table_lookup (shown, part)) != NULL)
        {
          g_hash_table_remove (shown, part);
          gtk_box_reorder_child_after (GTK_BOX (self->bubble), widget, last);
        }
      else if ((widget = widget_for_part (self, part)) != NULL)
        {
          /* Held, so that no other part can come to have its address. */
          g_object_set_data_full (G_OBJECT (widget), "tl-part", g_object_ref (part), g_object_unref);
          gtk_box_insert_child_after (GTK_BOX (self->bubble), widget, last);
        }
      else
        continue;
      /* Parts sit a little further apart than the header from the first. */
      gtk_widget_set_margin_top (widget, last != self->header ? 2 : 0);
      last = widget;
    }

  g_hash_table_iter_init (&iter, shown);
  while (g_hash_table_iter_next (&iter, NULL, &widget))
    gtk_box_remove (GTK_BOX (self->bubble), widget);
}

static void
ensure_footer (TlMessageRow *self)
{
  if (self->footer != NULL)
    return;

  self->footer = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  self->status_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->status_label, 0);
  gtk_label_set_wrap (self->status_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "caption");

  self->retry_button = gtk_button_new_with_mnemonic (_("_Retry"));
  gtk_widget_add_css_class (self->retry_button, "flat");
  gtk_widget_add_css_class (self->retry_button, "caption");

  self->regenerate_button = gtk_button_new_from_icon_name ("view-refresh-symbolic");
  gtk_widget_set_tooltip_text (self->regenerate_button, _("Regenerate Reply"));
  gtk_widget_add_css_class (self->regenerate_button, "flat");
  gtk_widget_add_css_class (self->regenerate_button, "circular");

  self->receipts_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_set_hexpand (GTK_WIDGET (self->receipts_label), TRUE);
  gtk_label_set_xalign (self->receipts_label, 1);
  gtk_widget_add_css_class (GTK_WIDGET (self->receipts_label), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (self->receipts_label), "caption");

  gtk_box_append (GTK_BOX (self->footer), GTK_WIDGET (self->status_label));
  gtk_box_append (GTK_BOX (self->footer), self->retry_button);
  gtk_box_append (GTK_BOX (self->footer), self->regenerate_button);
  gtk_box_append (GTK_BOX (self->footer), GTK_WIDGET (self->receipts_label));
  gtk_box_append (GTK_BOX (self->bubble), self->footer);
}

static void
update_status (TlMessageRow *self)
{
  const char *status = tl_message_get_status (self->message);
  const char *role = tl_message_get_role (self->message);
  const char *text = NULL;
  g_autofree char *owned = NULL;
  gboolean retry = FALSE, regenerate = FALSE;
  GVariant *target;

  if (g_strcmp0 (status, "sending") == 0 || g_strcmp0 (status, "pending") == 0)
    text = _("Sending…");
  else if (g_strcmp0 (status, "streaming") == 0)
    text = _("Writing…");
  else if (g_strcmp0 (status, "cancelled") == 0)
    text = _("Stopped");
  else if (g_strcmp0 (status, "error") == 0)
    {
      if (tl_message_get_error_text (self->message) != NULL)
        text = owned = g_strdup_printf (_("Failed: %s"), tl_message_get_error_text (self->message));
      else
        text = _("Not sent");
      retry = is_own (self);
    }

  regenerate = g_strcmp0 (role, "assistant") == 0 && g_strcmp0 (status, "streaming") != 0;

  if (self->footer == NULL && text == NULL && !retry && !regenerate)
    return;
  ensure_footer (self);
  gtk_label_set_text (self->status_label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), text != NULL);
  if (g_strcmp0 (status, "error") == 0)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
  gtk_widget_set_visible (self->retry_button, retry);
  gtk_widget_set_visible (self->regenerate_button, regenerate);
  /* Target before name: a name without its target would not match the
   * action's parameter type. */
  target = g_variant_ref_sink (g_variant_new_string (tl_message_get_id (self->message)));
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (self->retry_button), target);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->retry_button), "thread.retry");
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (self->regenerate_button), target);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->regenerate_button), "thread.regenerate");
  g_variant_unref (target);
  gtk_widget_set_visible (self->footer, text != NULL || retry || regenerate ||
                                        gtk_widget_get_visible (GTK_WIDGET (self->receipts_label)));
}

static void
update_receipts (TlMessageRow *self)
{
  TlConversation *conversation =
    tl_store_lookup_conversation (self->store, tl_message_get_conversation_id (self->message));
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer user, message_id;

  if (conversation != NULL)
    {
      g_hash_table_iter_init (&iter, tl_conversation_get_receipts (conversation));
      while (g_hash_table_iter_next (&iter, &user, &message_id))
        if (g_strcmp0 (message_id, tl_message_get_id (self->message)) == 0)
          g_ptr_array_add (names, tl_conversation_dup_user_name (conversation, user));
    }

  if (names->len == 0 && self->footer == NULL)
    return;
  ensure_footer (self);
  if (names->len > 0)
    {
      g_autofree char *joined = NULL;
      g_autofree char *text = NULL;

      g_ptr_array_add (names, NULL);
      joined = g_strjoinv (", ", (char **) names->pdata);
      text = g_strdup_printf (_("Seen by %s"), joined);
      gtk_label_set_text (self->receipts_label, text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->receipts_label), names->len > 0);
}

static void
on_receipts_changed_cb (TlMessageRow *self)
{
  if (self->message == NULL)
    return;
  update_receipts (self);
  update_status (self);
}

static void
update_header (TlMessageRow *self)
{
  g_autofree char *author = tl_message_dup_author_name (self->message);
  g_autofree char *time = tl_format_clock (tl_message_get_created_at (self->message));
  const char *role = tl_message_get_role (self->message);

  if (author == NULL)
    author = g_strdup (g_strcmp0 (role, "assistant") == 0 ? _("Assistant") :
                       g_strcmp0 (role, "system") == 0 ? _("System") : _("Unknown"));
  gtk_label_set_text (self->author_label, author);
  adw_avatar_set_text (self->avatar, author);
  gtk_label_set_text (self->time_label, time ? time : "");
  gtk_widget_set_visible (self->edited_label, tl_message_get_edited_at (self->message) != NULL);

  if (is_own (self))
    gtk_widget_add_css_class (GTK_WIDGET (self), "tl-own");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "tl-own");
}

static void
update_accessible (TlMessageRow *self)
{
  g_autofree char *author = tl_message_dup_author_name (self->message);
  g_autofree char *text = tl_message_dup_preview (self->message, 2000);
  g_autofree char *label = g_strdup_printf ("%s: %s", author ? author : "", text ? text : "");

  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

static void
on_message_notify_cb (TlMessageRow *self,
                      GParamSpec   *pspec)
{
  const char *name = pspec->name;

  if (g_str_equal (name, "parts"))
    {
      rebuild_parts (self);
      update_accessible (self);
    }
  else if (g_str_equal (name, "status"))
    update_status (self);
  else if (g_str_equal (name, "author-json") || g_str_equal (name, "created-at") ||
           g_str_equal (name, "edited-at"))
    update_header (self);
}

/* The context menu: copy the text, remove one's own message. */

static void
message_copy (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  TlMessageRow *self = TL_MESSAGE_ROW (widget);
  g_autofree char *text = NULL;
  GPtrArray *parts;
  g_autoptr(GString) all = g_string_new (NULL);

  if (self->message == NULL)
    return;
  /* The text as written (Markdown source), parts separated by a blank line. */
  parts = tl_message_get_parts (self->message);
  for (guint i = 0; parts != NULL && i < parts->len; i++)
    {
      TlPart *part = g_ptr_array_index (parts, i);

      if (g_strcmp0 (tl_part_get_part_type (part), "text") != 0 || tl_part_get_text (part) == NULL)
        continue;
      if (all->len > 0)
        g_string_append (all, "\n\n");
      g_string_append (all, tl_part_get_text (part));
    }
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), all->str);
}

static void
message_remove (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  TlMessageRow *self = TL_MESSAGE_ROW (widget);

  if (self->message != NULL && is_own (self))
    gtk_widget_activate_action (widget, "app.remove-message", "s", tl_message_get_id (self->message));
}

static void
message_open_link (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  gtk_show_uri (GTK_WINDOW (gtk_widget_get_root (widget)), g_variant_get_string (parameter, NULL),
                GDK_CURRENT_TIME);
}

#define MENU_LINKS 5

/* The links the message shows, so they can be opened without a pointer. */
static void
collect_links (GtkWidget  *widget,
               GPtrArray  *urls)
{
  const char *url;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL && urls->len < MENU_LINKS; child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LABEL (child))
        for (guint i = 0; (url = tl_text_label_get_link (GTK_LABEL (child), i)) != NULL; i++)
          if (urls->len < MENU_LINKS && !g_ptr_array_find_with_equal_func (urls, url, g_str_equal, NULL))
            g_ptr_array_add (urls, (gpointer) url);
      collect_links (child, urls);
    }
}

static void
show_menu (TlMessageRow *self,
           double        x,
           double        y)
{
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GPtrArray) urls = g_ptr_array_new ();
  GtkWidget *popover;

  if (self->message == NULL)
    return;
  g_menu_append (menu, _("_Copy Text"), "message.copy");
  if (is_own (self))
    g_menu_append (menu, _("_Remove Message"), "message.remove");
  collect_links (GTK_WIDGET (self->bubble), urls);
  if (urls->len > 0)
    {
      g_autoptr(GMenu) links = g_menu_new ();

      for (guint i = 0; i < urls->len; i++)
        {
          g_autoptr(GMenuItem) item = NULL;
          g_autofree char *label = NULL;
          g_autoptr(GUri) uri = g_uri_parse (urls->pdata[i], G_URI_FLAGS_NONE, NULL);
          const char *host = uri ? g_uri_get_host (uri) : NULL;

          g_auto(GStrv) pieces = g_strsplit (host && *host ? host : (const char *) urls->pdata[i], "_", -1);
          g_autofree char *shown = g_strjoinv ("__", pieces);

          /* Menu labels take mnemonics: "__" shows a "_" as written. */
          label = g_strdup_printf (_("Open %s"), shown);
          item = g_menu_item_new (label, NULL);
          g_menu_item_set_action_and_target_value (item, "message.open-link",
                                                   g_variant_new_string (urls->pdata[i]));
          g_menu_append_item (links, item);
        }
      g_menu_append_section (menu, NULL, G_MENU_MODEL (links));
    }
  popover = gtk_popover_menu_new_from_model (G_MENU_MODEL (menu));
  gtk_widget_set_parent (popover, GTK_WIDGET (self));
  gtk_popover_set_pointing_to (GTK_POPOVER (popover), &(GdkRectangle) { (int) x, (int) y, 1, 1 });
  gtk_popover_set_has_arrow (GTK_POPOVER (popover), FALSE);
  gtk_widget_set_halign (popover, GTK_ALIGN_START);
  /* Unparented when closed, so a recycled row carries no stale menu. */
  g_signal_connect (popover, "closed", G_CALLBACK (gtk_widget_unparent), NULL);
  gtk_popover_popup (GTK_POPOVER (popover));
}

static gboolean
on_menu_key_cb (GtkWidget *widget,
                GVariant  *args,
                gpointer   user_data)
{
  show_menu (TL_MESSAGE_ROW (widget), gtk_widget_get_width (widget) / 2.0, 0);
  return TRUE;
}

static void
on_secondary_click_cb (GtkGestureClick *gesture,
                       int              n_press,
                       double           x,
                       double           y,
                       TlMessageRow    *self)
{
  show_menu (self, x, y);
}

static void
on_long_press_cb (GtkGestureLongPress *gesture,
                  double               x,
                  double               y,
                  TlMessageRow        *self)
{
  show_menu (self, x, y);
}

static GtkSizeRequestMode
tl_message_row_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

/* The day separator on top across the whole width; below it the avatar at
 * its size and the bubble in the rest of the width. A grouped message hides
 * its avatar but keeps its place, so bubbles stay aligned. */
static void
tl_message_row_measure (GtkWidget      *widget,
                        GtkOrientation  orientation,
                        int             for_size,
                        int            *minimum,
                        int            *natural,
                        int            *minimum_baseline,
                        int            *natural_baseline)
{
  TlMessageRow *self = TL_MESSAGE_ROW (widget);
  GtkWidget *day = GTK_WIDGET (self->day_label);
  int avatar_width = adw_avatar_get_size (self->avatar);
  int avatar_height = 0, bubble_min, bubble_nat, day_min = 0, day_nat = 0;

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      gtk_widget_measure (self->bubble, GTK_ORIENTATION_HORIZONTAL, -1, &bubble_min, &bubble_nat, NULL, NULL);
      if (gtk_widget_should_layout (day))
        gtk_widget_measure (day, GTK_ORIENTATION_HORIZONTAL, -1, &day_min, &day_nat, NULL, NULL);
      *minimum = MAX (day_min, avatar_width + AVATAR_SPACING + bubble_min);
      *natural = MAX (day_nat, avatar_width + AVATAR_SPACING + bubble_nat);
    }
  else
    {
      int bubble_width = for_size < 0 ? -1 : MAX (for_size - avatar_width - AVATAR_SPACING, 0);

      if (gtk_widget_should_layout (GTK_WIDGET (self->avatar)))
        gtk_widget_measure (GTK_WIDGET (self->avatar), GTK_ORIENTATION_VERTICAL, -1,
                            NULL, &avatar_height, NULL, NULL);
      gtk_widget_measure (self->bubble, GTK_ORIENTATION_VERTICAL, bubble_width,
                          &bubble_min, &bubble_nat, NULL, NULL);
      if (gtk_widget_should_layout (day))
        {
          gtk_widget_measure (day, GTK_ORIENTATION_VERTICAL, for_size, &day_min, &day_nat, NULL, NULL);
          day_min += DAY_SPACING;
          day_nat += DAY_SPACING;
        }
      *minimum = day_min + MAX (avatar_height, bubble_min);
      *natural = day_nat + MAX (avatar_height, bubble_nat);
    }
  *minimum_baseline = *natural_baseline = -1;
}

static void
tl_message_row_size_allocate (GtkWidget *widget,
                              int        width,
                              int        height,
                              int        baseline)
{
  TlMessageRow *self = TL_MESSAGE_ROW (widget);
  GtkWidget *day = GTK_WIDGET (self->day_label);
  gboolean rtl = gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL;
  int avatar_width = adw_avatar_get_size (self->avatar);
  int bubble_width = MAX (width - avatar_width - AVATAR_SPACING, 0);
  int y = 0;

  if (gtk_widget_should_layout (day))
    {
      gtk_widget_measure (day, GTK_ORIENTATION_VERTICAL, width, NULL, &y, NULL, NULL);
      gtk_widget_allocate (day, width, y, -1, NULL);
      y += DAY_SPACING;
    }
  if (gtk_widget_should_layout (GTK_WIDGET (self->avatar)))
    gtk_widget_allocate (GTK_WIDGET (self->avatar), avatar_width, avatar_width, -1,
                         gsk_transform_translate (NULL, &GRAPHENE_POINT_INIT (rtl ? width - avatar_width : 0, y)));
  gtk_widget_allocate (self->bubble, bubble_width, MAX (height - y, 0), -1,
                       gsk_transform_translate (NULL, &GRAPHENE_POINT_INIT (rtl ? 0 : avatar_width + AVATAR_SPACING, y)));
}

static void
tl_message_row_dispose (GObject *object)
{
  TlMessageRow *self = TL_MESSAGE_ROW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), TL_TYPE_MESSAGE_ROW);
  /* Went with the bubble. */
  self->footer = self->retry_button = self->regenerate_button = NULL;
  self->status_label = self->receipts_label = NULL;
  g_clear_object (&self->message_signals);
  g_clear_object (&self->conversation_signals);
  g_clear_object (&self->message);
  g_clear_weak_pointer (&self->previous);

  G_OBJECT_CLASS (tl_message_row_parent_class)->dispose (object);
}

static void
tl_message_row_class_init (TlMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tl_message_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/threadline/Threadline/tl-message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, TlMessageRow, day_label);
  gtk_widget_class_bind_template_child (widget_class, TlMessageRow, avatar);
  gtk_widget_class_bind_template_child (widget_class, TlMessageRow, bubble);
  gtk_widget_class_bind_template_child (widget_class, TlMessageRow, header);
  gtk_widget_class_bind_template_child (widget_class, TlMessageRow, author_label);
  gtk_widget_class_bind_template_child (widget_class, TlMessageRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, TlMessageRow, edited_label);
  widget_class->get_request_mode = tl_message_row_get_request_mode;
  widget_class->measure = tl_message_row_measure;
  widget_class->size_allocate = tl_message_row_size_allocate;
  gtk_widget_class_set_css_name (widget_class, "messagerow");
  gtk_widget_class_install_action (widget_class, "message.copy", NULL, message_copy);
  gtk_widget_class_install_action (widget_class, "message.remove", NULL, message_remove);
  gtk_widget_class_install_action (widget_class, "message.open-link", "s", message_open_link);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_F10, GDK_SHIFT_MASK, on_menu_key_cb, NULL);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_Menu, 0, on_menu_key_cb, NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK, "message.copy", NULL);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
update_day (TlMessageRow *self)
{
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *day = NULL;

  if (self->message == NULL || !gtk_widget_get_visible (GTK_WIDGET (self->day_label)))
    return;
  now = tl_day_clock_dup_now (tl_day_clock_get_default ());
  day = tl_format_day (tl_message_get_created_at (self->message), now);
  gtk_label_set_text (self->day_label, day);
}

static void
tl_message_row_init (TlMessageRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* The keyboard reaches each message with the list's arrow keys, and its
   * menu (Shift+F10) and Ctrl+C from there; a click does not take focus. */
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  g_signal_connect_object (tl_day_clock_get_default (), "day-changed",
                           G_CALLBACK (update_day), self, G_CONNECT_SWAPPED);

  self->message_signals = g_signal_group_new (TL_TYPE_MESSAGE);
  g_signal_group_connect_swapped (self->message_signals, "notify",
                                  G_CALLBACK (on_message_notify_cb), self);
  self->conversation_signals = g_signal_group_new (TL_TYPE_CONVERSATION);
  g_signal_group_connect_swapped (self->conversation_signals, "notify::receipts",
                                  G_CALLBACK (on_receipts_changed_cb), self);

  {
    GtkGesture *click = gtk_gesture_click_new ();
    GtkGesture *press = gtk_gesture_long_press_new ();

    gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
    g_signal_connect (click, "pressed", G_CALLBACK (on_secondary_click_cb), self);
    gtk_gesture_single_set_touch_only (GTK_GESTURE_SINGLE (press), TRUE);
    g_signal_connect (press, "pressed", G_CALLBACK (on_long_press_cb), self);
    gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
    gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (press));
  }
}

GtkWidget *
tl_message_row_new (TlStore *store)
{
  TlMessageRow *self = g_object_new (TL_TYPE_MESSAGE_ROW, NULL);

  self->store = store;
  return GTK_WIDGET (self);
}

TlMessage *
tl_message_row_get_message (TlMessageRow *self)
{
  g_return_val_if_fail (TL_IS_MESSAGE_ROW (self), NULL);
  return self->message;
}

void
tl_message_row_set_message (TlMessageRow *self,
                            TlMessage    *message,
                            TlMessage    *previous)
{
  g_autofree char *author = NULL;
  g_autofree char *previous_author = NULL;
  gboolean new_day, grouped;

  g_return_if_fail (TL_IS_MESSAGE_ROW (self));

  /* Bound again to what it shows, with the same neighbour: nothing changed. */
  if (message == self->message && previous == self->previous)
    return;
  g_set_weak_pointer (&self->previous, previous);
  g_set_object (&self->message, message);
  g_signal_group_set_target (self->message_signals, message);
  g_signal_group_set_target (self->conversation_signals,
                             message ? tl_store_lookup_conversation (self->store,
                                                                     tl_message_get_conversation_id (message))
                                     : NULL);
  if (message == NULL)
    {
      rebuild_parts (self);
      return;
    }

  new_day = tl_message_get_created_at (message) != NULL &&
            (previous == NULL || !tl_same_day (tl_message_get_created_at (previous),
                                               tl_message_get_created_at (message)));
  gtk_widget_set_visible (GTK_WIDGET (self->day_label), new_day);
  update_day (self);

  /* Consecutive messages of one author on one day share a header. */
  author = tl_message_dup_author_id (message);
  previous_author = previous ? tl_message_dup_author_id (previous) : NULL;
  grouped = !new_day && previous != NULL && author != NULL && g_strcmp0 (author, previous_author) == 0;
  gtk_widget_set_visible (self->header, !grouped);
  gtk_widget_set_visible (GTK_WIDGET (self->avatar), !grouped);

  update_header (self);
  rebuild_parts (self);
  update_receipts (self);
  update_status (self);
  update_accessible (self);
}

