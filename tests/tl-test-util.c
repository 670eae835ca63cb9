/* tl-test-util.c — helpers shared by the core tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "tl-test-util.h"
#include "tl-json.h"

#include <string.h>

static void
on_items_changed_cb (GListModel       *model,
                     guint             position,
                     guint             removed,
                     guint             added,
                     TlChangeRecorder *self)
{
  g_ptr_array_add (self->changes, g_strdup_printf ("%u,%u,%u", position, removed, added));
}

TlChangeRecorder *
tl_change_recorder_new (GListModel *model)
{
  TlChangeRecorder *self = g_new0 (TlChangeRecorder, 1);

  self->model = g_object_ref (model);
  self->changes = g_ptr_array_new_with_free_func (g_free);
  self->handler = g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed_cb), self);
  return self;
}

void
tl_change_recorder_free (TlChangeRecorder *self)
{
  g_signal_handler_disconnect (self->model, self->handler);
  g_object_unref (self->model);
  g_ptr_array_unref (self->changes);
  g_free (self);
}

char *
tl_change_recorder_take (TlChangeRecorder *self)
{
  char *joined;

  g_ptr_array_add (self->changes, NULL);
  joined = g_strjoinv (";", (char **) self->changes->pdata);
  g_ptr_array_set_size (self->changes, 0);
  return joined;
}

static void
on_notify_cb (GObject         *object,
              GParamSpec      *pspec,
              TlNotifyCounter *self)
{
  self->count++;
}

TlNotifyCounter *
tl_notify_counter_new (gpointer    object,
                       const char *property)
{
  TlNotifyCounter *self = g_new0 (TlNotifyCounter, 1);
  g_autofree char *signal = g_strdup_printf ("notify::%s", property);

  self->object = g_object_ref (object);
  self->handler = g_signal_connect (object, signal, G_CALLBACK (on_notify_cb), self);
  return self;
}

void
tl_notify_counter_free (TlNotifyCounter *self)
{
  g_signal_handler_disconnect (self->object, self->handler);
  g_object_unref (self->object);
  g_free (self);
}

TlApplyResult
tl_test_apply (TlStore     *store,
               TlApplyFlags flags,
               const char  *json,
               GError     **error)
{
  g_autoptr(JsonNode) root = tl_json_decode_frame (json, strlen (json), error);

  if (root == NULL)
    return TL_APPLY_INVALID;
  return tl_store_apply_node (store, root, flags, error);
}

void
tl_test_apply_all (TlStore    *store,
                   const char *first_line,
                   ...)
{
  va_list args;

  va_start (args, first_line);
  for (const char *line = first_line; line != NULL; line = va_arg (args, const char *))
    {
      g_autoptr(GError) error = NULL;
      TlApplyResult result = tl_test_apply (store, TL_APPLY_FLAGS_FILE, line, &error);

      g_assert_no_error (error);
      g_assert_cmpint (result, !=, TL_APPLY_INVALID);
    }
  va_end (args);
}

char *
tl_test_ids (TlStore    *store,
             const char *conversation_id)
{
  GListModel *model;
  g_autoptr(GString) out = g_string_new (NULL);

  if (conversation_id == NULL)
    model = tl_store_get_conversations (store);
  else
    model = tl_conversation_get_messages (tl_store_lookup_conversation (store, conversation_id));

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);
      g_autofree char *id = NULL;

      g_object_get (item, "id", &id, NULL);
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, id);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}
