/* tl-tail-model.c — the newest items of a list, growing toward the oldest
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GTK 4.8's list view builds up to 200 rows around its anchor whatever the
 * model's size, and a message row is not cheap, so opening a conversation
 * shows only its newest messages and reveals older ones as the user scrolls
 * up, before any are asked of the server. GtkSliceListModel cannot do this:
 * moving its offset reports the whole range as replaced, which rebinds every
 * row and makes the view jump. Here revealing is one (0, 0, k) change, and
 * changes of the underlying list are passed on translated, exactly.
 *
 * Deferred, it also coalesces: GTK 4.8's list view pays for every
 * items-changed it has ever seen (its tree of item ranges only grows), and
 * the connection applies a batch per socket dispatch, up to hundreds a
 * second. Held changes are tracked as the longest unchanged prefix and
 * suffix of what was announced, so the flush is one exact replacement, and
 * reads in between map onto the current list: the prefix and suffix to the
 * same items, the changed middle to some current item, which the flush
 * then replaces.
 */
#define G_LOG_DOMAIN "threadline-app"

#include "tl-tail-model.h"

struct _TlTailModel
{
  GObject     parent_instance;

  GListModel *model;
  guint       start;   /* index in model of the first item shown */

  gboolean    deferred;
  GtkWidget  *flush_widget;   /* weak */
  gboolean    flush_queued;
  gboolean    dirty;          /* changes held since the last flush */
  guint       announced;      /* n_items as listeners last heard, when dirty */
  guint       front;          /* leading items unchanged since then */
  guint       back;           /* trailing items unchanged since then */
};

static guint
current_n_items (TlTailModel *self)
{
  return g_list_model_get_n_items (self->model) - self->start;
}

static GType
tl_tail_model_get_item_type (GListModel *list)
{
  return g_list_model_get_item_type (TL_TAIL_MODEL (list)->model);
}

static guint
tl_tail_model_get_n_items (GListModel *list)
{
  TlTailModel *self = TL_TAIL_MODEL (list);

  return self->dirty ? self->announced : current_n_items (self);
}

static gpointer
tl_tail_model_get_item (GListModel *list,
                        guint       position)
{
  TlTailModel *self = TL_TAIL_MODEL (list);
  guint n = current_n_items (self);
  guint index = position;

  if (position >= tl_tail_model_get_n_items (list))
    return NULL;
  if (self->dirty && position >= self->front)
    {
      if (position >= self->announced - self->back)
        index = position + n - self->announced;
      else if (n > self->front + self->back)
        index = CLAMP (position, self->front, n - self->back - 1);
      else if (n > 0)
        index = MIN (position, n - 1);
      else
        return NULL;
    }
  return g_list_model_get_item (self->model, self->start + index);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = tl_tail_model_get_item_type;
  iface->get_n_items = tl_tail_model_get_n_items;
  iface->get_item = tl_tail_model_get_item;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TlTailModel, tl_tail_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static gboolean
flush_tick_cb (GtkWidget     *widget,
               GdkFrameClock *clock,
               gpointer       user_data)
{
  TlTailModel *self = user_data;

  self->flush_queued = FALSE;
  tl_tail_model_flush (self);
  return G_SOURCE_REMOVE;
}

/* A change of what is shown, (@position, @removed, @added) in the model's
 * positions after @start has been updated for it. */
static void
changed (TlTailModel *self,
         guint        position,
         guint        removed,
         guint        added)
{
  guint n = current_n_items (self);

  if (!self->deferred)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
      return;
    }
  if (!self->dirty)
    {
      self->dirty = TRUE;
      self->announced = n - added + removed;
      self->front = position;
      self->back = n - position - added;
    }
  else
    {
      self->front = MIN (self->front, position);
      self->back = MIN (self->back, n - position - added);
    }
  if (self->flush_widget != NULL && !self->flush_queued)
    {
      self->flush_queued = TRUE;
      gtk_widget_add_tick_callback (self->flush_widget, flush_tick_cb, g_object_ref (self), g_object_unref);
    }
}

static void
on_items_changed_cb (GListModel  *model,
                     guint        position,
                     guint        removed,
                     guint        added,
                     TlTailModel *self)
{
  guint shown_removed;

  if (position + removed <= self->start && position < self->start)
    {
      /* Entirely among the hidden older items: only the window moves. */
      self->start = self->start - removed + added;
      return;
    }
  if (position >= self->start)
    {
      changed (self, position - self->start, removed, added);
      return;
    }
  /* Straddles the first shown item: show from the change on. */
  shown_removed = position + removed - self->start;
  self->start = position;
  changed (self, 0, shown_removed, added);
}

static void
tl_tail_model_dispose (GObject *object)
{
  TlTailModel *self = TL_TAIL_MODEL (object);

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, on_items_changed_cb, self);
  g_clear_object (&self->model);
  g_clear_weak_pointer (&self->flush_widget);

  G_OBJECT_CLASS (tl_tail_model_parent_class)->dispose (object);
}

static void
tl_tail_model_class_init (TlTailModelClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = tl_tail_model_dispose;
}

static void
tl_tail_model_init (TlTailModel *self)
{
}

TlTailModel *
tl_tail_model_new (GListModel *model,
                   guint       initial)
{
  TlTailModel *self;
  guint n;

  g_return_val_if_fail (G_IS_LIST_MODEL (model), NULL);

  self = g_object_new (TL_TYPE_TAIL_MODEL, NULL);
  self->model = g_object_ref (model);
  n = g_list_model_get_n_items (model);
  self->start = n > initial ? n - initial : 0;
  g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed_cb), self);
  return self;
}

guint
tl_tail_model_get_hidden (TlTailModel *self)
{
  g_return_val_if_fail (TL_IS_TAIL_MODEL (self), 0);
  return self->start;
}

guint
tl_tail_model_reveal (TlTailModel *self,
                      guint        count)
{
  g_return_val_if_fail (TL_IS_TAIL_MODEL (self), 0);

  count = MIN (count, self->start);
  if (count == 0)
    return 0;
  tl_tail_model_flush (self);
  self->start -= count;
  g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, count);
  return count;
}

void
tl_tail_model_defer_to (TlTailModel *self,
                        GtkWidget   *widget)
{
  g_return_if_fail (TL_IS_TAIL_MODEL (self));
  g_return_if_fail (widget == NULL || GTK_IS_WIDGET (widget));

  self->deferred = TRUE;
  g_set_weak_pointer (&self->flush_widget, widget);
}

void
tl_tail_model_flush (TlTailModel *self)
{
  guint n, keep;

  g_return_if_fail (TL_IS_TAIL_MODEL (self));

  if (!self->dirty)
    return;
  self->dirty = FALSE;
  n = current_n_items (self);
  /* What was kept at each end cannot overlap across both lists. */
  keep = MIN (self->announced, n);
  self->front = MIN (self->front, keep);
  self->back = MIN (self->back, keep - self->front);
  if (self->announced == n && self->front + self->back == n)
    return;
  g_list_model_items_changed (G_LIST_MODEL (self), self->front,
                              self->announced - self->front - self->back,
                              n - self->front - self->back);
}
