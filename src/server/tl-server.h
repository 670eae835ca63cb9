/* tl-server.h — threadline-server: HTTP + WebSocket front of the hub
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "tl-server-config.h"
#include "tl-server-hub.h"
#include "tl-server-store.h"

G_BEGIN_DECLS

#define TL_TYPE_SERVER (tl_server_get_type ())

G_DECLARE_FINAL_TYPE (TlServer, tl_server, TL, SERVER, GObject)

TlServer      *tl_server_new               (const TlServerConfig  *config,
                                            GError               **error);
TlServerHub   *tl_server_get_hub           (TlServer              *self);
TlServerStore *tl_server_get_store         (TlServer              *self);
gboolean       tl_server_add_user          (TlServer              *self,
                                            const char            *id,
                                            const char            *token,
                                            const char            *display_name,
                                            GError               **error);
gboolean       tl_server_listen            (TlServer              *self,
                                            GError               **error);
guint          tl_server_get_port          (TlServer              *self);
guint          tl_server_get_n_connections (TlServer              *self);
void           tl_server_shutdown          (TlServer              *self);

G_END_DECLS
