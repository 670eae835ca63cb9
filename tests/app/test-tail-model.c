/* test-tail-model.c — the newest items, revealed toward the oldest
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>

#include "tl-tail-model.h"

static void
on_changed_cb (GListModel *model,
               guint       position,
               guint       removed,
               guint       added,
               GString    *log)
{
  g_string_append_printf (log, "%s%u,%u,%u", log->len ? ";" : "", position, removed, added);
}

static void
fill (GListStore *store,
      guint       from,
      guint       n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) item = g_object_new (G_TYPE_OBJECT, NULL);

      g_object_set_data (item, "v", GUINT_TO_POINTER (from + i));
      g_list_store_append (store, item);
    }
}

static guint
value_at (GListModel *model,
          guint       position)
{
  g_autoptr(GObject) item = g_list_model_get_item (model, position);

  return GPOINTER_TO_UINT (g_object_get_data (item, "v"));
}

static void
test_translation (void)
{
  g_autoptr(GListStore) store = g_list_store_new (G_TYPE_OBJECT);
  g_autoptr(TlTailModel) tail = NULL;
  g_autoptr(GString) log = g_string_new (NULL);
  GListModel *model;

  fill (store, 0, 100);
  tail = tl_tail_model_new (G_LIST_MODEL (store), 10);
  model = G_LIST_MODEL (tail);
  g_signal_connect (tail, "items-changed", G_CALLBACK (on_changed_cb), log);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 10);
  g_assert_cmpuint (value_at (model, 0), ==, 90);
  g_assert_cmpuint (tl_tail_model_get_hidden (tail), ==, 90);

  /* New items at the end show; changes among the hidden ones are silent. */
  fill (store, 100, 1);
  g_list_store_remove (store, 5);
  g_assert_cmpstr (log->str, ==, "10,0,1");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 11);
  g_assert_cmpuint (value_at (model, 0), ==, 90);

  /* Revealing is one change at the front. */
  g_string_truncate (log, 0);
  g_assert_cmpuint (tl_tail_model_reveal (tail, 30), ==, 30);
  g_assert_cmpstr (log->str, ==, "0,0,30");
  g_assert_cmpuint (value_at (model, 0), ==, 60);

  /* A change straddling the first shown item shows from the change on. */
  g_string_truncate (log, 0);
  g_list_store_splice (store, 50, 20, NULL, 0);    /* indexes 50–69; 59–69 were shown */
  g_assert_cmpstr (log->str, ==, "0,11,0");
  g_assert_cmpuint (value_at (model, 0), ==, 71);

  /* Reveal never goes past the start. */
  g_string_truncate (log, 0);
  g_assert_cmpuint (tl_tail_model_reveal (tail, 1000), ==, 50);
  g_assert_cmpuint (tl_tail_model_get_hidden (tail), ==, 0);
  g_assert_cmpuint (tl_tail_model_reveal (tail, 10), ==, 0);
  g_assert_cmpuint (value_at (model, 0), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, g_list_model_get_n_items (G_LIST_MODEL (store)));
}

/* Held changes read as last announced, and flush as one exact change. */
static void
test_deferred (void)
{
  g_autoptr(GListStore) store = g_list_store_new (G_TYPE_OBJECT);
  g_autoptr(GListStore) mirror = g_list_store_new (G_TYPE_OBJECT);
  g_autoptr(TlTailModel) tail = NULL;
  g_autoptr(GString) log = g_string_new (NULL);
  GListModel *model;

  fill (store, 0, 100);
  tail = tl_tail_model_new (G_LIST_MODEL (store), 10);
  tl_tail_model_defer_to (tail, NULL);
  model = G_LIST_MODEL (tail);
  g_signal_connect (tail, "items-changed", G_CALLBACK (on_changed_cb), log);

  /* Appends, an update in place, a removal: nothing heard, nothing moved. */
  fill (store, 100, 3);
  g_list_store_remove (store, 95);
  fill (store, 200, 1);
  g_assert_cmpstr (log->str, ==, "");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 10);
  for (guint i = 0; i < 5; i++)
    g_assert_cmpuint (value_at (model, i), ==, 90 + i);
  tl_tail_model_flush (tail);
  /* Unchanged: 90–94 in front; the change spans from 95 to the end. */
  g_assert_cmpstr (log->str, ==, "5,5,8");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 13);
  g_assert_cmpuint (value_at (model, 5), ==, 96);
  g_assert_cmpuint (value_at (model, 12), ==, 200);

  /* A flush with nothing held says nothing. */
  g_string_truncate (log, 0);
  tl_tail_model_flush (tail);
  g_assert_cmpstr (log->str, ==, "");

  /* Changes at both ends: the unchanged middle is kept, the suffix of what
   * was announced reads through to the same items. */
  g_list_store_remove (store, 90);                  /* the first shown */
  g_assert_cmpuint (value_at (model, 12), ==, 200);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 13);
  fill (store, 300, 1);
  g_assert_cmpuint (value_at (model, 3), ==, 94);   /* in the changed span: some item */
  tl_tail_model_flush (tail);
  g_assert_cmpstr (log->str, ==, "0,13,13");
  g_assert_cmpuint (value_at (model, 0), ==, 91);
  g_assert_cmpuint (value_at (model, 12), ==, 300);

  /* Revealing flushes first, then is its own change at the front. */
  g_string_truncate (log, 0);
  fill (store, 400, 1);
  g_assert_cmpuint (tl_tail_model_reveal (tail, 2), ==, 2);
  g_assert_cmpstr (log->str, ==, "13,0,1;0,0,2");

  /* Whatever happened, a listener replaying the changes holds the list. */
  g_string_truncate (log, 0);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);
      g_list_store_append (mirror, item);
    }
  g_list_store_remove (store, g_list_model_get_n_items (G_LIST_MODEL (store)) - 1);
  fill (store, 500, 2);
  g_list_store_remove (store, 93);
  tl_tail_model_flush (tail);
  {
    guint position, removed, added;
    g_auto(GStrv) fields = g_strsplit (log->str, ",", -1);

    position = atoi (fields[0]);
    removed = atoi (fields[1]);
    added = atoi (fields[2]);
    g_list_store_splice (mirror, position, removed, NULL, 0);
    for (guint i = 0; i < added; i++)
      {
        g_autoptr(GObject) item = g_list_model_get_item (model, position + i);
        g_list_store_insert (mirror, position + i, item);
      }
  }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (mirror)), ==, g_list_model_get_n_items (model));
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    g_assert_cmpuint (value_at (G_LIST_MODEL (mirror), i), ==, value_at (model, i));
}

typedef struct
{
  GListModel *tail;
  GListStore *mirror;
} Replay;

/* Applies each change the tail reports to a plain copy, with the items the
 * tail holds at that moment, as a list view would. */
static void
on_replay_cb (GListModel *model,
              guint       position,
              guint       removed,
              guint       added,
              Replay     *replay)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  g_assert_cmpuint (position + removed, <=, g_list_model_get_n_items (G_LIST_MODEL (replay->mirror)));
  for (guint i = 0; i < added; i++)
    g_ptr_array_add (items, g_list_model_get_item (model, position + i));
  g_list_store_splice (replay->mirror, position, removed, items->pdata, added);
}

static void
assert_mirrors (Replay *replay)
{
  guint n = g_list_model_get_n_items (replay->tail);

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (replay->mirror)), ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) a = g_list_model_get_item (replay->tail, i);
      g_autoptr(GObject) b = g_list_model_get_item (G_LIST_MODEL (replay->mirror), i);

      g_assert_true (a == b);
    }
}

/* Random splices anywhere (hidden items included), reveals and flushes: a
 * listener replaying what it heard always holds exactly what the tail
 * shows once flushed, and between flushes the tail reads as announced. */
static void
test_deferred_random (void)
{
  g_autoptr(GListStore) store = g_list_store_new (G_TYPE_OBJECT);
  g_autoptr(GListStore) mirror = g_list_store_new (G_TYPE_OBJECT);
  g_autoptr(TlTailModel) tail = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261204);
  Replay replay;
  guint next = 1000;

  fill (store, 0, 60);
  tail = tl_tail_model_new (G_LIST_MODEL (store), 20);
  tl_tail_model_defer_to (tail, NULL);
  replay.tail = G_LIST_MODEL (tail);
  replay.mirror = mirror;
  for (guint i = 0; i < g_list_model_get_n_items (replay.tail); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (replay.tail, i);
      g_list_store_append (mirror, item);
    }
  g_signal_connect (tail, "items-changed", G_CALLBACK (on_replay_cb), &replay);

  for (guint step = 0; step < 3000; step++)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (store));
      guint op = g_rand_int_range (rand, 0, 10);

      if (op < 6)
        {
          guint position = g_rand_int_range (rand, 0, n + 1);
          guint wanted = g_rand_int_range (rand, 0, 3);
          guint removed = MIN (n - position, wanted);
          guint added = g_rand_int_range (rand, 0, 3);
          g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

          for (guint k = 0; k < added; k++)
            {
              GObject *item = g_object_new (G_TYPE_OBJECT, NULL);

              g_object_set_data (item, "v", GUINT_TO_POINTER (next++));
              g_ptr_array_add (items, item);
            }
          g_list_store_splice (store, position, removed, items->pdata, added);
          /* Held: what listeners heard still reads the same. */
          g_assert_cmpuint (g_list_model_get_n_items (replay.tail), ==,
                            g_list_model_get_n_items (G_LIST_MODEL (mirror)));
        }
      else if (op < 7)
        tl_tail_model_reveal (tail, g_rand_int_range (rand, 1, 5));
      else
        {
          tl_tail_model_flush (tail);
          assert_mirrors (&replay);
        }
    }
  tl_tail_model_flush (tail);
  assert_mirrors (&replay);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/threadline/app/tail-model", test_translation);
  g_test_add_func ("/threadline/app/tail-model/deferred", test_deferred);
  g_test_add_func ("/threadline/app/tail-model/deferred-random", test_deferred_random);
  return g_test_run ();
}
