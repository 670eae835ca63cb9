/* tl-composer.c — where the user writes a message
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Enter sends and Shift+Enter starts a new line. Typing is announced at most
 * every few seconds and withdrawn after five idle seconds or on send, so a
 * fast typist does not flood the connection.
 */
#define G_LOG_DOMAIN "threadline-app"

#include "tl-composer.h"

#define TYPING_REPEAT_US (3 * G_USEC_PER_SEC)
#define TYPING_IDLE_MS   5000

struct _TlComposer
{
  GtkWidget    parent_instance;

  /* template widgets */
  GtkWidget   *box;
  GtkLabel    *reason_label;
  GtkTextView *text_view;
  GtkStack    *button_stack;
  GtkWidget   *send_button;
  GtkWidget   *stop_button;

  gint64       typing_sent_at;
  guint        typing_idle_id;
  gboolean     typing;
  gboolean     restoring;   /* a draft put back is not typing */
  gboolean     composing;   /* an input method has text being composed */
};

enum {
  SIGNAL_SEND,
  SIGNAL_TYPING,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (TlComposer, tl_composer, GTK_TYPE_WIDGET)

static void
set_typing (TlComposer *self,
            gboolean    typing)
{
  if (!typing && !self->typing)
    return;
  self->typing = typing;
  self->typing_sent_at = typing ? g_get_monotonic_time () : 0;
  g_signal_emit (self, signals[SIGNAL_TYPING], 0, typing);
}

static gboolean
on_typing_idle_cb (gpointer user_data)
{
  TlComposer *self = user_data;

  self->typing_idle_id = 0;
  set_typing (self, FALSE);
  return G_SOURCE_REMOVE;
}

static void
on_buffer_changed_cb (TlComposer    *self,
                      GtkTextBuffer *buffer)
{
  gboolean empty = gtk_text_buffer_get_char_count (buffer) == 0;

  gtk_widget_set_sensitive (self->send_button, !empty);
  if (self->restoring)
    return;
  g_clear_handle_id (&self->typing_idle_id, g_source_remove);
  if (empty)
    {
      set_typing (self, FALSE);
      return;
    }
  if (!self->typing || g_get_monotonic_time () - self->typing_sent_at > TYPING_REPEAT_US)
    set_typing (self, TRUE);
  self->typing_idle_id = g_timeout_add (TYPING_IDLE_MS, on_typing_idle_cb, self);
}

char *
tl_composer_dup_text (TlComposer *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

void
tl_composer_set_text (TlComposer *self,
                      const char *text)
{
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), text ? text : "", -1);
}

char *
tl_composer_swap_draft (TlComposer *self,
                        const char *draft)
{
  char *previous;

  g_return_val_if_fail (TL_IS_COMPOSER (self), NULL);

  g_clear_handle_id (&self->typing_idle_id, g_source_remove);
  set_typing (self, FALSE);
  previous = tl_composer_dup_text (self);
  self->restoring = TRUE;
  tl_composer_set_text (self, draft);
  self->restoring = FALSE;
  return previous;
}

void
tl_composer_submit (TlComposer *self)
{
  g_autofree char *text = tl_composer_dup_text (self);
  g_autofree char *trimmed = g_strstrip (g_strdup (text));

  if (*trimmed == '\0' || !gtk_widget_get_sensitive (GTK_WIDGET (self->text_view)))
    return;
  g_clear_handle_id (&self->typing_idle_id, g_source_remove);
  set_typing (self, FALSE);
  g_signal_emit (self, signals[SIGNAL_SEND], 0, trimmed);
  tl_composer_set_text (self, NULL);
}

static gboolean
on_key_pressed_cb (GtkEventControllerKey *controller,
                   guint                  keyval,
                   guint                  keycode,
                   GdkModifierType        state,
                   TlComposer            *self)
{
  /* While an input method composes, Enter is its to commit the text. */
  if ((keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter) && !self->composing &&
      (state & (GDK_SHIFT_MASK | GDK_CONTROL_MASK | GDK_ALT_MASK)) == 0)
    {
      tl_composer_submit (self);
      return GDK_EVENT_STOP;
    }
  return GDK_EVENT_PROPAGATE;
}

static void
on_preedit_changed_cb (TlComposer *self,
                       const char *preedit)
{
  self->composing = preedit != NULL && *preedit != '\0';
}

static gboolean
tl_composer_grab_focus (GtkWidget *widget)
{
  return gtk_widget_grab_focus (GTK_WIDGET (TL_COMPOSER (widget)->text_view));
}

static void
tl_composer_dispose (GObject *object)
{
  TlComposer *self = TL_COMPOSER (object);

  g_clear_handle_id (&self->typing_idle_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), TL_TYPE_COMPOSER);

  G_OBJECT_CLASS (tl_composer_parent_class)->dispose (object);
}

static void
tl_composer_class_init (TlComposerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tl_composer_dispose;
  widget_class->grab_focus = tl_composer_grab_focus;

  signals[SIGNAL_SEND] = g_signal_new ("send", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_TYPING] = g_signal_new ("typing", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/threadline/Threadline/tl-composer.ui");
  gtk_widget_class_bind_template_child (widget_class, TlComposer, box);
  gtk_widget_class_bind_template_child (widget_class, TlComposer, reason_label);
  gtk_widget_class_bind_template_child (widget_class, TlComposer, text_view);
  gtk_widget_class_bind_template_child (widget_class, TlComposer, button_stack);
  gtk_widget_class_bind_template_child (widget_class, TlComposer, send_button);
  gtk_widget_class_bind_template_child (widget_class, TlComposer, stop_button);
  gtk_widget_class_bind_template_callback (widget_class, tl_composer_submit);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
tl_composer_init (TlComposer *self)
{
  GtkEventController *keys = gtk_event_controller_key_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Capture phase: Enter must not reach the text view as a newline. */
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->text_view), keys);
  g_signal_connect_object (self->text_view, "preedit-changed",
                           G_CALLBACK (on_preedit_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_text_view_get_buffer (self->text_view), "changed",
                           G_CALLBACK (on_buffer_changed_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_set_sensitive (self->send_button, FALSE);
}

GtkWidget *
tl_composer_new (void)
{
  return g_object_new (TL_TYPE_COMPOSER, NULL);
}

void
tl_composer_set_streaming (TlComposer *self,
                           gboolean    streaming)
{
  g_return_if_fail (TL_IS_COMPOSER (self));
  gtk_stack_set_visible_child_name (self->button_stack, streaming ? "stop" : "send");
}

void
tl_composer_set_disabled_reason (TlComposer *self,
                                 const char *reason)
{
  g_return_if_fail (TL_IS_COMPOSER (self));

  gtk_label_set_text (self->reason_label, reason ? reason : "");
  gtk_widget_set_visible (GTK_WIDGET (self->reason_label), reason != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->text_view), reason == NULL);
  gtk_widget_set_sensitive (self->send_button,
                            reason == NULL &&
                            gtk_text_buffer_get_char_count (gtk_text_view_get_buffer (self->text_view)) > 0);
}
