/* test-tail-model.c — the newest items, revealed toward the oldest
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
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

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/threadline/app/tail-model", test_translation);
  return g_test_run ();
}
