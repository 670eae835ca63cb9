/* tl-tail-model.h — the newest items of a list, growing toward the oldest
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TL_TYPE_TAIL_MODEL (tl_tail_model_get_type ())

G_DECLARE_FINAL_TYPE (TlTailModel, tl_tail_model, TL, TAIL_MODEL, GObject)

/* Shows the last @initial items of @model (all of them if fewer), and every
 * item added after the first shown one. */
TlTailModel *tl_tail_model_new    (GListModel  *model,
                                   guint        initial);
/* How many older items are not shown yet. */
guint        tl_tail_model_get_hidden (TlTailModel *self);
/* Shows up to @count more older items; returns how many. */
guint        tl_tail_model_reveal (TlTailModel *self,
                                   guint        count);

G_END_DECLS
