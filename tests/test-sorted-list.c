/* test-sorted-list.c — order, lookups and coalesced items-changed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "tl-sorted-list.h"
#include "tl-test-util.h"

static int
compare_values (gconstpointer a,
                gconstpointer b,
                gpointer      user_data)
{
  int va = GPOINTER_TO_INT (g_object_get_data ((GObject *) a, "v"));
  int vb = GPOINTER_TO_INT (g_object_get_data ((GObject *) b, "v"));

  return va < vb ? -1 : va > vb;
}

static GSequenceIter **
slot (gpointer item)
{
  return g_object_get_data (item, "slot");
}

static GObject *
item (int v)
{
  GObject *object = g_object_new (G_TYPE_OBJECT, NULL);

  g_object_set_data (object, "v", GINT_TO_POINTER (v));
  g_object_set_data_full (object, "slot", g_new0 (GSequenceIter *, 1), g_free);
  return object;
}

static void
test_coalescing (void)
{
  g_autoptr(TlSortedList) list = tl_sorted_list_new (G_TYPE_OBJECT, compare_values, NULL, slot);
  g_autoptr(TlChangeRecorder) rec = tl_change_recorder_new (G_LIST_MODEL (list));
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *c1 = NULL, *c2 = NULL, *c3 = NULL, *c4 = NULL, *c5 = NULL;
  guint position;

  for (int i = 0; i < 10; i++)
    g_ptr_array_add (items, item (i * 10));
  tl_sorted_list_splice_sorted (list, items);
  c1 = tl_change_recorder_take (rec);
  g_assert_cmpstr (c1, ==, "0,0,10");

  /* Unbatched: each change as it happens. */
  {
    g_autoptr(GObject) x = item (55);

    g_assert_cmpuint (tl_sorted_list_insert (list, x), ==, 6);
    g_assert_true (tl_sorted_list_find (list, x, &position));
    g_assert_cmpuint (position, ==, 6);
    tl_sorted_list_remove_at (list, 6);
  }
  c2 = tl_change_recorder_take (rec);
  g_assert_cmpstr (c2, ==, "6,0,1;6,1,0");

  /* Batched inserts around the middle become one change over their span. */
  tl_sorted_list_begin_batch (list);
  {
    g_autoptr(GObject) a = item (25);
    g_autoptr(GObject) b = item (65);

    tl_sorted_list_insert (list, a);
    tl_sorted_list_insert (list, b);
  }
  tl_sorted_list_end_batch (list);
  c3 = tl_change_recorder_take (rec);
  g_assert_cmpstr (c3, ==, "3,4,6");

  /* Insert then remove of the same item: no visible change at all. */
  tl_sorted_list_begin_batch (list);
  {
    g_autoptr(GObject) t = item (1000);

    tl_sorted_list_insert (list, t);
    g_assert_true (tl_sorted_list_remove (list, t));
  }
  tl_sorted_list_end_batch (list);
  c4 = tl_change_recorder_take (rec);
  g_assert_cmpstr (c4, ==, "");

  /* A key change moves the item with one change spanning the move. */
  g_object_set_data (tl_sorted_list_peek (list, 0), "v", GINT_TO_POINTER (45));
  g_assert_cmpuint (tl_sorted_list_reposition (list, 0), ==, 5);
  c5 = tl_change_recorder_take (rec);
  g_assert_cmpstr (c5, ==, "0,6,6");
  for (guint i = 1; i < g_list_model_get_n_items (G_LIST_MODEL (list)); i++)
    g_assert_cmpint (compare_values (tl_sorted_list_peek (list, i - 1),
                                     tl_sorted_list_peek (list, i), NULL), <, 0);
}

static void
on_replay_items_changed_cb (GListModel *model,
                            guint       position,
                            guint       removed,
                            guint       added,
                            GListStore *replay)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < added; i++)
    g_ptr_array_add (items, g_list_model_get_item (model, position + i));
  g_list_store_splice (replay, position, removed, items->pdata, added);
}

static void
test_random_against_reference (void)
{
  g_autoptr(TlSortedList) list = tl_sorted_list_new (G_TYPE_OBJECT, compare_values, NULL, slot);
  g_autoptr(GPtrArray) mirror = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autoptr(GListStore) replay = g_list_store_new (G_TYPE_OBJECT);
  g_autoptr(GHashTable) used = g_hash_table_new (NULL, NULL);

  /* Replaying every emitted change onto a plain copy must reproduce the list. */
  g_signal_connect (list, "items-changed", G_CALLBACK (on_replay_items_changed_cb), replay);

  for (int round = 0; round < 200; round++)
    {
      tl_sorted_list_begin_batch (list);
      for (int op = g_rand_int_range (rand, 1, 8); op > 0; op--)
        {
          guint n = g_list_model_get_n_items (G_LIST_MODEL (list));

          if (n == 0 || g_rand_boolean (rand))
            {
              int v;
              g_autoptr(GObject) x = NULL;

              do
                v = g_rand_int_range (rand, 0, 100000);
              while (g_hash_table_contains (used, GINT_TO_POINTER (v)));
              g_hash_table_add (used, GINT_TO_POINTER (v));
              x = item (v);
              tl_sorted_list_insert (list, x);
            }
          else
            tl_sorted_list_remove_at (list, g_rand_int_range (rand, 0, n));
        }
      tl_sorted_list_end_batch (list);
    }

  for (guint i = 1; i < g_list_model_get_n_items (G_LIST_MODEL (list)); i++)
    g_assert_cmpint (compare_values (tl_sorted_list_peek (list, i - 1),
                                     tl_sorted_list_peek (list, i), NULL), <, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (replay)), ==,
                    g_list_model_get_n_items (G_LIST_MODEL (list)));
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (list)); i++)
    {
      g_autoptr(GObject) copy = g_list_model_get_item (G_LIST_MODEL (replay), i);

      g_assert_true (copy == tl_sorted_list_peek (list, i));
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/threadline/sorted-list/coalescing", test_coalescing);
  g_test_add_func ("/threadline/sorted-list/random", test_random_against_reference);

  return g_test_run ();
}
