/* tl-frame-model.h — a list model whose changes are told once a frame
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TL_TYPE_FRAME_MODEL (tl_frame_model_get_type ())

G_DECLARE_FINAL_TYPE (TlFrameModel, tl_frame_model, TL, FRAME_MODEL, GObject)

/* Shows @model; its changes are held and reported as one items-changed on
 * @widget's next frame (if @widget is not NULL) or at tl_frame_model_flush().
 * Until then the model reads as its listeners last heard it. */
TlFrameModel *tl_frame_model_new   (GListModel   *model,
                                    GtkWidget    *widget);
/* Reports what is held now: before reading positions that must be current. */
void          tl_frame_model_flush (TlFrameModel *self);

G_END_DECLS
