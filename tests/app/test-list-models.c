/* test-list-models.c — the thread's list models: the tail that shows the
 * newest items, and the frame model that tells changes once a frame
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "tl-frame-model.h"
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

static GObject *
item_new (guint value)
{
  GObject *item = g_object_new (G_TYPE_OBJECT, NULL);

  g_object_set_data (item, "v", GUINT_TO_POINTER (value));
  return item;
}

static void
fill (GListStore *store,
      guint       from,
      guint       n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) item = item_new (from + i);

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
test_held (void)
{
  g_autoptr(GListStore) store = g_list_store_new (G_TYPE_OBJECT);
  g_autoptr(TlFrameModel) frame = NULL;
  g_autoptr(GString) log = g_string_new (NULL);
  GListModel *model;

  fill (store, 0, 100);
  frame = tl_frame_model_new (G_LIST_MODEL (store), NULL);
  model = G_LIST_MODEL (frame);
  g_signal_connect (frame, "items-changed", G_CALLBACK (on_changed_cb), log);

  /* Appends and a removal near the end: nothing heard, nothing moved. */
  fill (store, 100, 3);
  g_list_store_remove (store, 95);
  fill (store, 200, 1);
  g_assert_cmpstr (log->str, ==, "");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 100);
  for (guint i = 0; i < 95; i++)
    g_assert_cmpuint (value_at (model, i), ==, i);
  tl_frame_model_flush (frame);
  /* Unchanged: 0–94 in front; the change spans from 95 to the end. */
  g_assert_cmpstr (log->str, ==, "95,5,8");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 103);
  g_assert_cmpuint (value_at (model, 95), ==, 96);
  g_assert_cmpuint (value_at (model, 102), ==, 200);

  /* A flush with nothing held says nothing. */
  g_string_truncate (log, 0);
  tl_frame_model_flush (frame);
  g_assert_cmpstr (log->str, ==, "");

  /* A change at the front: the announced suffix reads through to the same
   * items at their new positions. */
  g_list_store_remove (store, 0);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 103);
  g_assert_cmpuint (value_at (model, 102), ==, 200);
  g_assert_cmpuint (value_at (model, 1), ==, 1);
  tl_frame_model_flush (frame);
  g_assert_cmpstr (log->str, ==, "0,1,0");
  g_assert_cmpuint (value_at (model, 0), ==, 1);

  /* Everything removed: reads stay within what was announced. */
  g_string_truncate (log, 0);
  g_list_store_remove_all (store);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 102);
  g_assert_null (g_list_model_get_item (model, 0));
  tl_frame_model_flush (frame);
  g_assert_cmpstr (log->str, ==, "0,102,0");
}

typedef struct
{
  GListModel *frame;
  GListStore *mirror;
} Replay;

/* Applies each change the frame model reports to a plain copy, with the
 * items it holds at that moment, as a list view would. */
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
  guint n = g_list_model_get_n_items (replay->frame);

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (replay->mirror)), ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) a = g_list_model_get_item (replay->frame, i);
      g_autoptr(GObject) b = g_list_model_get_item (G_LIST_MODEL (replay->mirror), i);

      g_assert_true (a == b);
    }
}

/* The thread's chain (store list → tail → frame model) under random
 * splices anywhere, hidden items included, reveals and flushes: a listener
 * replaying what it heard holds exactly what is shown after each flush,
 * and between flushes the model reads as announced. */
static void
test_random (void)
{
  g_autoptr(GListStore) store = g_list_store_new (G_TYPE_OBJECT);
  g_autoptr(GListStore) mirror = g_list_store_new (G_TYPE_OBJECT);
  g_autoptr(TlTailModel) tail = NULL;
  g_autoptr(TlFrameModel) frame = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261204);
  Replay replay;
  guint next = 1000;

  fill (store, 0, 60);
  tail = tl_tail_model_new (G_LIST_MODEL (store), 20);
  frame = tl_frame_model_new (G_LIST_MODEL (tail), NULL);
  replay.frame = G_LIST_MODEL (frame);
  replay.mirror = mirror;
  for (guint i = 0; i < g_list_model_get_n_items (replay.frame); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (replay.frame, i);

      g_list_store_append (mirror, item);
    }
  g_signal_connect (frame, "items-changed", G_CALLBACK (on_replay_cb), &replay);

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
            g_ptr_array_add (items, item_new (next++));
          g_list_store_splice (store, position, removed, items->pdata, added);
          /* Held: what listeners heard still reads the same. */
          g_assert_cmpuint (g_list_model_get_n_items (replay.frame), ==,
                            g_list_model_get_n_items (G_LIST_MODEL (mirror)));
        }
      else if (op < 7)
        tl_tail_model_reveal (tail, g_rand_int_range (rand, 1, 5));
      else
        {
          tl_frame_model_flush (frame);
          assert_mirrors (&replay);
        }
    }
  tl_frame_model_flush (frame);
  assert_mirrors (&replay);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/threadline/app/tail-model", test_translation);
  g_test_add_func ("/threadline/app/frame-model/held", test_held);
  g_test_add_func ("/threadline/app/frame-model/random", test_random);
  return g_test_run ();
}
