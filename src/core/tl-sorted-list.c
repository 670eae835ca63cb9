/* tl-sorted-list.c — a list model kept in order, with coalesced changes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The items live in a GSequence (a balanced tree) that this model owns, and
 * each item keeps its own iterator. GListStore, the obvious choice, hides its
 * GSequence, so every lookup was a binary search of get_item() calls, each a
 * walk from the root: at a million messages that search was 70 % of an
 * event's time (docs/performance.md). Here finding an item is O(1), its
 * position O(log n), inserting and moving one O(log n) comparisons.
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

  GSequence        *items;          /* owns a reference to each item */
  guint             n_items;
  GType             item_type;
  GCompareDataFunc  compare;
  gpointer          compare_data;
  TlSortedListSlot  slot;

  /* get_item() is called in order by views and by the dump. */
  GSequenceIter    *last_iter;
  guint             last_position;

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
  return TL_SORTED_LIST (model)->n_items;
}

static gpointer
tl_sorted_list_get_item (GListModel *model,
                         guint       position)
{
  TlSortedList *self = TL_SORTED_LIST (model);

  if (position >= self->n_items)
    return NULL;
  return g_object_ref (tl_sorted_list_peek (self, position));
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
clear_slots (TlSortedList *self)
{
  GSequenceIter *iter = g_sequence_get_begin_iter (self->items);

  for (; !g_sequence_iter_is_end (iter); iter = g_sequence_iter_next (iter))
    *self->slot (g_sequence_get (iter)) = NULL;
}

static void
tl_sorted_list_finalize (GObject *object)
{
  TlSortedList *self = TL_SORTED_LIST (object);

  clear_slots (self);
  g_sequence_free (self->items);

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
  self->items = g_sequence_new (g_object_unref);
}

TlSortedList *
tl_sorted_list_new (GType            item_type,
                    GCompareDataFunc compare,
                    gpointer         compare_data,
                    TlSortedListSlot slot)
{
  TlSortedList *self;

  g_return_val_if_fail (g_type_is_a (item_type, G_TYPE_OBJECT), NULL);
  g_return_val_if_fail (compare != NULL, NULL);
  g_return_val_if_fail (slot != NULL, NULL);

  self = g_object_new (TL_TYPE_SORTED_LIST, NULL);
  self->item_type = item_type;
  self->compare = compare;
  self->compare_data = compare_data;
  self->slot = slot;
  return self;
}

static GSequenceIter *
iter_at (TlSortedList *self,
         guint         position)
{
  GSequenceIter *iter;

  if (self->last_iter != NULL && position == self->last_position)
    return self->last_iter;
  if (self->last_iter != NULL && position == self->last_position + 1)
    iter = g_sequence_iter_next (self->last_iter);
  else if (self->last_iter != NULL && position + 1 == self->last_position)
    iter = g_sequence_iter_prev (self->last_iter);
  else
    iter = g_sequence_get_iter_at_pos (self->items, (int) position);
  self->last_iter = iter;
  self->last_position = position;
  return iter;
}

gpointer
tl_sorted_list_peek (TlSortedList *self,
                     guint         position)
{
  g_return_val_if_fail (position < self->n_items, NULL);
  return g_sequence_get (iter_at (self, position));
}

gpointer
tl_sorted_list_peek_last (TlSortedList *self)
{
  if (self->n_items == 0)
    return NULL;
  return g_sequence_get (g_sequence_iter_prev (g_sequence_get_end_iter (self->items)));
}

/* Outside a batch a mutation is forwarded as it is; inside one it only
 * shrinks the untouched prefix and suffix. Either way the position cache
 * is stale. */
static void
note_change (TlSortedList *self,
             guint         position,
             guint         removed,
             guint         added)
{
  guint after;

  self->last_iter = NULL;
  if (self->batch_depth == 0)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
      return;
    }

  after = self->n_items - position - added;
  self->untouched_head = MIN (self->untouched_head, position);
  self->untouched_tail = MIN (self->untouched_tail, after);
}

void
tl_sorted_list_begin_batch (TlSortedList *self)
{
  g_return_if_fail (TL_IS_SORTED_LIST (self));

  if (self->batch_depth++ == 0)
    {
      self->n_before = self->n_items;
      self->untouched_head = G_MAXUINT;
      self->untouched_tail = G_MAXUINT;
    }
}

gboolean
tl_sorted_list_in_batch (TlSortedList *self)
{
  return self->batch_depth > 0;
}

void
tl_sorted_list_end_batch (TlSortedList *self)
{
  guint n_now, removed, added;

  g_return_if_fail (TL_IS_SORTED_LIST (self));
  g_return_if_fail (self->batch_depth > 0);

  if (--self->batch_depth > 0 || self->untouched_head == G_MAXUINT)
    return;

  n_now = self->n_items;
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

guint
tl_sorted_list_insert (TlSortedList *self,
                       gpointer      item)
{
  gpointer last;
  GSequenceIter *iter;
  guint position;

  g_return_val_if_fail (TL_IS_SORTED_LIST (self), 0);
  g_return_val_if_fail (*self->slot (item) == NULL, 0);

  /* New messages nearly always arrive newest: try the end first. */
  last = tl_sorted_list_peek_last (self);
  if (last == NULL || self->compare (last, item, self->compare_data) < 0)
    {
      iter = g_sequence_append (self->items, g_object_ref (item));
      position = self->n_items;
    }
  else
    {
      iter = g_sequence_insert_sorted (self->items, g_object_ref (item), self->compare,
                                       self->compare_data);
      position = (guint) g_sequence_iter_get_position (iter);
    }
  *self->slot (item) = iter;
  self->n_items++;
  note_change (self, position, 0, 1);
  return position;
}

gboolean
tl_sorted_list_find (TlSortedList *self,
                     gpointer      item,
                     guint        *position)
{
  GSequenceIter *iter;

  g_return_val_if_fail (TL_IS_SORTED_LIST (self), FALSE);

  iter = *self->slot (item);
  if (iter == NULL)
    return FALSE;
  *position = (guint) g_sequence_iter_get_position (iter);
  return TRUE;
}

static void
remove_iter (TlSortedList  *self,
             GSequenceIter *iter,
             guint          position)
{
  *self->slot (g_sequence_get (iter)) = NULL;
  self->n_items--;
  /* Frees the list's reference last: the item may go with it. */
  g_sequence_remove (iter);
  note_change (self, position, 1, 0);
}

void
tl_sorted_list_remove_at (TlSortedList *self,
                          guint         position)
{
  g_return_if_fail (TL_IS_SORTED_LIST (self));
  g_return_if_fail (position < self->n_items);

  remove_iter (self, iter_at (self, position), position);
}

gboolean
tl_sorted_list_remove (TlSortedList *self,
                       gpointer      item)
{
  guint position;

  if (!tl_sorted_list_find (self, item, &position))
    return FALSE;
  remove_iter (self, *self->slot (item), position);
  return TRUE;
}

guint
tl_sorted_list_reposition (TlSortedList *self,
                           guint         position)
{
  GSequenceIter *iter, *prev, *next;
  gpointer item;
  guint target;

  g_return_val_if_fail (TL_IS_SORTED_LIST (self), position);
  g_return_val_if_fail (position < self->n_items, position);

  iter = iter_at (self, position);
  item = g_sequence_get (iter);
  prev = g_sequence_iter_is_begin (iter) ? NULL : g_sequence_iter_prev (iter);
  next = g_sequence_iter_next (iter);
  if ((prev == NULL || self->compare (g_sequence_get (prev), item, self->compare_data) < 0) &&
      (g_sequence_iter_is_end (next) ||
       self->compare (item, g_sequence_get (next), self->compare_data) < 0))
    return position;

  g_sequence_sort_changed (iter, self->compare, self->compare_data);
  target = (guint) g_sequence_iter_get_position (iter);

  tl_sorted_list_begin_batch (self);
  self->n_items--;
  note_change (self, position, 1, 0);
  self->n_items++;
  note_change (self, target, 0, 1);
  tl_sorted_list_end_batch (self);
  return target;
}

void
tl_sorted_list_remove_all (TlSortedList *self)
{
  guint n;

  g_return_if_fail (TL_IS_SORTED_LIST (self));

  n = self->n_items;
  if (n == 0)
    return;
  clear_slots (self);
  self->n_items = 0;
  g_sequence_remove_range (g_sequence_get_begin_iter (self->items),
                           g_sequence_get_end_iter (self->items));
  note_change (self, 0, n, 0);
}

void
tl_sorted_list_splice_sorted (TlSortedList *self,
                              GPtrArray    *items)
{
  g_return_if_fail (TL_IS_SORTED_LIST (self));

  if (items->len == 0)
    return;

  if (self->n_items == 0)
    {
      /* The bulk path (snapshot, first history page): one change, which
       * GtkListView handles far better than many single inserts. */
      for (guint i = 0; i < items->len; i++)
        *self->slot (items->pdata[i]) = g_sequence_append (self->items, g_object_ref (items->pdata[i]));
      self->n_items = items->len;
      note_change (self, 0, 0, items->len);
      return;
    }

  tl_sorted_list_begin_batch (self);
  for (guint i = 0; i < items->len; i++)
    tl_sorted_list_insert (self, items->pdata[i]);
  tl_sorted_list_end_batch (self);
}
