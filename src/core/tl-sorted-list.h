/* tl-sorted-list.h — a list model kept in order, with coalesced changes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TL_TYPE_SORTED_LIST (tl_sorted_list_get_type ())

G_DECLARE_FINAL_TYPE (TlSortedList, tl_sorted_list, TL, SORTED_LIST, GObject)

/* Where an item keeps the iterator of the list that holds it (an item is in
 * at most one list at a time): finding an item is then O(1) and its
 * position O(log n), with no search. */
typedef GSequenceIter **(*TlSortedListSlot) (gpointer item);

/* Items must have distinct sort keys under @compare (ties are broken by id
 * in every order Threadline uses). */
TlSortedList *tl_sorted_list_new             (GType             item_type,
                                              GCompareDataFunc  compare,
                                              gpointer          compare_data,
                                              TlSortedListSlot  slot);
guint         tl_sorted_list_insert          (TlSortedList     *self,
                                              gpointer          item);
gboolean      tl_sorted_list_find            (TlSortedList     *self,
                                              gpointer          item,
                                              guint            *position);
void          tl_sorted_list_remove_at       (TlSortedList     *self,
                                              guint             position);
gboolean      tl_sorted_list_remove          (TlSortedList     *self,
                                              gpointer          item);
/* The item at @position may have a new sort key: moves it where it now
 * belongs and returns its new position. */
guint         tl_sorted_list_reposition      (TlSortedList     *self,
                                              guint             position);
void          tl_sorted_list_remove_all      (TlSortedList     *self);
/* @items: sorted by the list's order, none of them in any list. */
void          tl_sorted_list_splice_sorted   (TlSortedList     *self,
                                              GPtrArray        *items);
/* Borrowed; sequential access is O(1) per step. */
gpointer      tl_sorted_list_peek            (TlSortedList     *self,
                                              guint             position);
gpointer      tl_sorted_list_peek_last       (TlSortedList     *self);

/* Between begin and end, changes reach listeners as one items-changed that
 * spans exactly the range that differs. Calls nest. */
void          tl_sorted_list_begin_batch     (TlSortedList     *self);
void          tl_sorted_list_end_batch       (TlSortedList     *self);
gboolean      tl_sorted_list_in_batch        (TlSortedList     *self);

G_END_DECLS
