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
 */
#define G_LOG_DOMAIN "threadline-app"

#include "tl-tail-model.h"

struct _TlTailModel
{
  GObject     parent_instance;

  GListModel *model;
  guint       start;   /* index in model of the first item shown */
};

static GType
tl_tail_model_get_item_type (GListModel *list)
{
  return g_list_model_get_item_type (TL_TAIL_MODEL (list)->model);
}

static guint
tl_tail_model_get_n_items (GListModel *list)
{
  TlTailModel *self = TL_TAIL_MODEL (list);

  return g_list_model_get_n_items (self->model) - self->start;
}

static gpointer
tl_tail_model_get_item (GListModel *list,
                        guint       position)
{
  TlTailModel *self = TL_TAIL_MODEL (list);

  if (position >= tl_tail_model_get_n_items (list))
    return NULL;
  return g_list_model_get_item (self->model, self->start + position);
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

static void
on_items_changed_cb (GListModel  *model,
                     guint        position,
                     guint        removed,
                     guint        added,
                     TlTailModel *self)
{
  if (position + removed <= self->start && position < self->start)
    {
      /* Entirely among the hidden older items: only the window moves. */
      self->start = self->start - removed + added;
      return;
    }
  if (position >= self->start)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), position - self->start, removed, added);
      return;
    }
  /* Straddles the first shown item: show from the change on. */
  g_list_model_items_changed (G_LIST_MODEL (self), 0, position + removed - self->start, added);
  self->start = position;
}

static void
tl_tail_model_dispose (GObject *object)
{
  TlTailModel *self = TL_TAIL_MODEL (object);

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, on_items_changed_cb, self);
  g_clear_object (&self->model);

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
  self->start -= count;
  g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, count);
  return count;
}
