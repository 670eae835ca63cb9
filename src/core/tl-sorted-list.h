/* tl-sorted-list.h — a GListStore kept in order, with coalesced changes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TL_TYPE_SORTED_LIST (tl_sorted_list_get_type ())

G_DECLARE_FINAL_TYPE (TlSortedList, tl_sorted_list, TL, SORTED_LIST, GObject)

/* Items must have distinct sort keys under @compare (ties are broken by id
 * in every order Threadline uses), so a binary search finds an item exactly. */
TlSortedList *tl_sorted_list_new             (GType             item_type,
                                              GCompareDataFunc  compare,
                                              gpointer          compare_data);
guint         tl_sorted_list_insert          (TlSortedList     *self,
                                              gpointer          item);
gboolean      tl_sorted_list_find            (TlSortedList     *self,
                                              gpointer          item,
                                              guint            *position);
void          tl_sorted_list_remove_at       (TlSortedList     *self,
                                              guint             position);
gboolean      tl_sorted_list_remove          (TlSortedList     *self,
                                              gpointer          item);
guint         tl_sorted_list_reposition      (TlSortedList     *self,
                                              guint             position);
void          tl_sorted_list_remove_all      (TlSortedList     *self);
void          tl_sorted_list_splice_sorted   (TlSortedList     *self,
                                              GPtrArray        *items);
gpointer      tl_sorted_list_peek            (TlSortedList     *self,
                                              guint             position);

/* Between begin and end, changes reach listeners as one items-changed that
 * spans exactly the range that differs. Calls nest. */
void          tl_sorted_list_begin_batch     (TlSortedList     *self);
void          tl_sorted_list_end_batch       (TlSortedList     *self);

G_END_DECLS
