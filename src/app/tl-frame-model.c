/* tl-frame-model.c — a list model whose changes are told once a frame
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GTK 4.8's list view pays for every items-changed it hears (its tree of
 * item ranges only grows, and every row of a changed range is updated),
 * while the connection applies a batch per socket dispatch, up to hundreds
 * a second. Between a view and its model this holds the changes and tells
 * them as one exact replacement on the view's next frame.
 *
 * Held changes are tracked as the longest prefix and suffix of what was
 * announced that no change has touched since, O(1) per change. Reads in
 * between map onto the current list: the prefix and suffix to the same
 * items, the changed middle to some current item, which the flush then
 * replaces — so a list view binding rows before the flush binds nothing it
 * will not be told about.
 */
#define G_LOG_DOMAIN "threadline-app"

#include "tl-frame-model.h"

struct _TlFrameModel
{
  GObject     parent_instance;

  GListModel *model;
  GtkWidget  *widget;      /* weak */
  gboolean    flush_queued;
  gboolean    dirty;       /* changes held since the last flush */
  guint       announced;   /* n_items as listeners last heard, when dirty */
  guint       front;       /* leading items unchanged since then */
  guint       back;        /* trailing items unchanged since then */
};

static GType
tl_frame_model_get_item_type (GListModel *list)
{
  return g_list_model_get_item_type (TL_FRAME_MODEL (list)->model);
}

static guint
tl_frame_model_get_n_items (GListModel *list)
{
  TlFrameModel *self = TL_FRAME_MODEL (list);

  return self->dirty ? self->announced : g_list_model_get_n_items (self->model);
}

static gpointer
tl_frame_model_get_item (GListModel *list,
                         guint       position)
{
  TlFrameModel *self = TL_FRAME_MODEL (list);
  guint n = g_list_model_get_n_items (self->model);
  guint index = position;

  if (position >= tl_frame_model_get_n_items (list))
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
  return g_list_model_get_item (self->model, index);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = tl_frame_model_get_item_type;
  iface->get_n_items = tl_frame_model_get_n_items;
  iface->get_item = tl_frame_model_get_item;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TlFrameModel, tl_frame_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static gboolean
flush_tick_cb (GtkWidget     *widget,
               GdkFrameClock *clock,
               gpointer       user_data)
{
  TlFrameModel *self = user_data;

  self->flush_queued = FALSE;
  tl_frame_model_flush (self);
  return G_SOURCE_REMOVE;
}

static void
on_items_changed_cb (GListModel   *model,
                     guint         position,
                     guint         removed,
                     guint         added,
                     TlFrameModel *self)
{
  guint n = g_list_model_get_n_items (model);

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
  if (self->widget != NULL && !self->flush_queued)
    {
      self->flush_queued = TRUE;
      gtk_widget_add_tick_callback (self->widget, flush_tick_cb, g_object_ref (self), g_object_unref);
    }
}

static void
tl_frame_model_dispose (GObject *object)
{
  TlFrameModel *self = TL_FRAME_MODEL (object);

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, on_items_changed_cb, self);
  g_clear_object (&self->model);
  g_clear_weak_pointer (&self->widget);

  G_OBJECT_CLASS (tl_frame_model_parent_class)->dispose (object);
}

static void
tl_frame_model_class_init (TlFrameModelClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = tl_frame_model_dispose;
}

static void
tl_frame_model_init (TlFrameModel *self)
{
}

TlFrameModel *
tl_frame_model_new (GListModel *model,
                    GtkWidget  *widget)
{
  TlFrameModel *self;

  g_return_val_if_fail (G_IS_LIST_MODEL (model), NULL);
  g_return_val_if_fail (widget == NULL || GTK_IS_WIDGET (widget), NULL);

  self = g_object_new (TL_TYPE_FRAME_MODEL, NULL);
  self->model = g_object_ref (model);
  g_set_weak_pointer (&self->widget, widget);
  g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed_cb), self);
  return self;
}

void
tl_frame_model_flush (TlFrameModel *self)
{
  guint n;

  g_return_if_fail (TL_IS_FRAME_MODEL (self));

  if (!self->dirty)
    return;
  self->dirty = FALSE;
  n = g_list_model_get_n_items (self->model);
  /* Kept at each end of both the announced list and the current one. */
  g_assert (self->front + self->back <= MIN (self->announced, n));
  if (self->announced == n && self->front + self->back == n)
    return;
  g_list_model_items_changed (G_LIST_MODEL (self), self->front,
                              self->announced - self->front - self->back,
                              n - self->front - self->back);
}
