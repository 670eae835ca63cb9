/* tl-sorted-list.c — a GListStore kept in order, with coalesced changes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Listeners (GtkListView above all) pay for every items-changed they see, so
 * mutations inside a batch are not forwarded one by one. Instead the list
 * remembers the longest prefix and suffix that no mutation touched; at the end
 * of the batch everything between them is reported as one replacement. That
 * range is exact for the common cases (an append is (n, 0, 1), a move is one
 * change spanning the move) and costs O(1) per mutation to track.
 */
#define G_LOG_DOMAIN "threadline-core"

#include "tl-sorted-list.h"

struct _TlSortedList
{
  GObject           parent_instance;

  GListStore       *store;
  GType             item_type;
  GCompareDataFunc  compare;
  gpointer          compare_data;

  guint             batch_depth;
  guint             n_before;
  guint             untouched_head;
  guint             untouched_tail;
};

static GType
tl_sorted_list_get_item_type (GListModel *model)
{
  return TL_SORTED_LIST (model)->item_type;
}

static guint
tl_sorted_list_get_n_items (GListModel *model)
{
  return g_list_model_get_n_items (G_LIST_MODEL (TL_SORTED_LIST (model)->store));
}

static gpointer
tl_sorted_list_get_item (GListModel *model,
                         guint       position)
{
  return g_list_model_get_item (G_LIST_MODEL (TL_SORTED_LIST (model)->store), position);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = tl_sorted_list_get_item_type;
  iface->get_n_items = tl_sorted_list_get_n_items;
  iface->get_item = tl_sorted_list_get_item;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TlSortedList, tl_sorted_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static void
tl_sorted_list_finalize (GObject *object)
{
  TlSortedList *self = TL_SORTED_LIST (object);

  g_clear_object (&self->store);

  G_OBJECT_CLASS (tl_sorted_list_parent_class)->finalize (object);
}

static void
tl_sorted_list_class_init (TlSortedListClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tl_sorted_list_finalize;
}

static void
tl_sorted_list_init (TlSortedList *self)
{
}

TlSortedList *
tl_sorted_list_new (GType            item_type,
                    GCompareDataFunc compare,
                    gpointer         compare_data)
{
  TlSortedList *self;

  g_return_val_if_fail (g_type_is_a (item_type, G_TYPE_OBJECT), NULL);
  g_return_val_if_fail (compare != NULL, NULL);

  self = g_object_new (TL_TYPE_SORTED_LIST, NULL);
  self->store = g_list_store_new (item_type);
  self->item_type = item_type;
  self->compare = compare;
  self->compare_data = compare_data;
  return self;
}

static guint
n_items (TlSortedList *self)
{
  return g_list_model_get_n_items (G_LIST_MODEL (self->store));
}

gpointer
tl_sorted_list_peek (TlSortedList *self,
                     guint         position)
{
  g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (self->store), position);

  /* The store keeps its own reference, so the borrowed pointer stays valid. */
  return item;
}

/* Outside a batch a mutation is forwarded as it is; inside one it only
 * shrinks the untouched prefix and suffix. */
static void
note_change (TlSortedList *self,
             guint         position,
             guint         removed,
             guint         added)
{
  guint after;

  if (self->batch_depth == 0)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
      return;
    }

  after = n_items (self) - position - added;
  self->untouched_head = MIN (self->untouched_head, position);
  self->untouched_tail = MIN (self->untouched_tail, after);
}

void
tl_sorted_list_begin_batch (TlSortedList *self)
{
  g_return_if_fail (TL_IS_SORTED_LIST (self));

  if (self->batch_depth++ == 0)
    {
      self->n_before = n_items (self);
      self->untouched_head = G_MAXUINT;
      self->untouched_tail = G_MAXUINT;
    }
}

void
tl_sorted_list_end_batch (TlSortedList *self)
{
  guint n_now, removed, added;

  g_return_if_fail (TL_IS_SORTED_LIST (self));
  g_return_if_fail (self->batch_depth > 0);

  if (--self->batch_depth > 0 || self->untouched_head == G_MAXUINT)
    return;

  n_now = n_items (self);
  /* Nothing before the head was touched, so it fits both lengths; the
   * suffix may overlap the prefix only when the net change is empty. */
  g_assert (self->untouched_head <= MIN (self->n_before, n_now));
  self->untouched_tail = MIN (self->untouched_tail,
                              MIN (self->n_before, n_now) - self->untouched_head);
  removed = self->n_before - self->untouched_head - self->untouched_tail;
  added = n_now - self->untouched_head - self->untouched_tail;
  if (removed > 0 || added > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), self->untouched_head, removed, added);
}

/* Binary search for the first position whose item sorts after @item. */
static guint
upper_bound (TlSortedList *self,
             gpointer      item)
{
  guint lo = 0;
  guint hi = n_items (self);

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (self->compare (tl_sorted_list_peek (self, mid), item, self->compare_data) <= 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

guint
tl_sorted_list_insert (TlSortedList *self,
                       gpointer      item)
{
  guint n, position;

  g_return_val_if_fail (TL_IS_SORTED_LIST (self), 0);

  n = n_items (self);
  /* New messages nearly always arrive newest: try the end first. */
  if (n == 0 || self->compare (tl_sorted_list_peek (self, n - 1), item, self->compare_data) < 0)
    position = n;
  else
    position = upper_bound (self, item);

  g_list_store_insert (self->store, position, item);
  note_change (self, position, 0, 1);
  return position;
}

gboolean
tl_sorted_list_find (TlSortedList *self,
                     gpointer      item,
                     guint        *position)
{
  guint lo = 0;
  guint hi;

  g_return_val_if_fail (TL_IS_SORTED_LIST (self), FALSE);

  hi = n_items (self);
  if (hi > 0 && tl_sorted_list_peek (self, hi - 1) == item)
    {
      *position = hi - 1;
      return TRUE;
    }

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      gpointer probe = tl_sorted_list_peek (self, mid);
      int c;

      if (probe == item)
        {
          *position = mid;
          return TRUE;
        }
      c = self->compare (probe, item, self->compare_data);
      if (c < 0)
        lo = mid + 1;
      else if (c > 0)
        hi = mid;
      else
        break;
    }
  return FALSE;
}

void
tl_sorted_list_remove_at (TlSortedList *self,
                          guint         position)
{
  g_return_if_fail (TL_IS_SORTED_LIST (self));
  g_return_if_fail (position < n_items (self));

  g_list_store_remove (self->store, position);
  note_change (self, position, 1, 0);
}

gboolean
tl_sorted_list_remove (TlSortedList *self,
                       gpointer      item)
{
  guint position;

  if (!tl_sorted_list_find (self, item, &position))
    return FALSE;
  tl_sorted_list_remove_at (self, position);
  return TRUE;
}

guint
tl_sorted_list_reposition (TlSortedList *self,
                           guint         position)
{
  g_autoptr(GObject) item = NULL;
  guint n, target;

  g_return_val_if_fail (TL_IS_SORTED_LIST (self), position);

  n = n_items (self);
  g_return_val_if_fail (position < n, position);

  item = g_list_model_get_item (G_LIST_MODEL (self->store), position);
  if ((position == 0 ||
       self->compare (tl_sorted_list_peek (self, position - 1), item, self->compare_data) < 0) &&
      (position + 1 == n ||
       self->compare (item, tl_sorted_list_peek (self, position + 1), self->compare_data) < 0))
    return position;

  tl_sorted_list_begin_batch (self);
  g_list_store_remove (self->store, position);
  note_change (self, position, 1, 0);
  target = upper_bound (self, item);
  g_list_store_insert (self->store, target, item);
  note_change (self, target, 0, 1);
  tl_sorted_list_end_batch (self);
  return target;
}

void
tl_sorted_list_remove_all (TlSortedList *self)
{
  guint n;

  g_return_if_fail (TL_IS_SORTED_LIST (self));

  n = n_items (self);
  if (n == 0)
    return;
  g_list_store_remove_all (self->store);
  note_change (self, 0, n, 0);
}

void
tl_sorted_list_splice_sorted (TlSortedList *self,
                              GPtrArray    *items)
{
  g_return_if_fail (TL_IS_SORTED_LIST (self));

  if (items->len == 0)
    return;

  if (n_items (self) == 0)
    {
      /* The bulk path (snapshot, first history page): one splice, which
       * GtkListView handles far better than many single inserts. */
      g_list_store_splice (self->store, 0, 0, items->pdata, items->len);
      note_change (self, 0, 0, items->len);
      return;
    }

  tl_sorted_list_begin_batch (self);
  for (guint i = 0; i < items->len; i++)
    tl_sorted_list_insert (self, items->pdata[i]);
  tl_sorted_list_end_batch (self);
}
