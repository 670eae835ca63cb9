/* tl-message-row.h — one message in the thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "tl-message.h"
#include "tl-store.h"

G_BEGIN_DECLS

#define TL_TYPE_MESSAGE_ROW (tl_message_row_get_type ())

G_DECLARE_FINAL_TYPE (TlMessageRow, tl_message_row, TL, MESSAGE_ROW, GtkWidget)

GtkWidget *tl_message_row_new         (TlStore      *store);
TlMessage *tl_message_row_get_message (TlMessageRow *self);
/* @previous decides grouping and the day separator; may be NULL. */
void       tl_message_row_set_message (TlMessageRow *self,
                                       TlMessage    *message,
                                       TlMessage    *previous);

G_END_DECLS
