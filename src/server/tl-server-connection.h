/* tl-server-connection.h — one client's WebSocket
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>

#include "tl-server-config.h"
#include "tl-server-hub.h"

G_BEGIN_DECLS

#define TL_TYPE_SERVER_CONNECTION (tl_server_connection_get_type ())

G_DECLARE_FINAL_TYPE (TlServerConnection, tl_server_connection, TL, SERVER_CONNECTION, GObject)

TlServerConnection *tl_server_connection_new         (TlServerHub             *hub,
                                                      SoupWebsocketConnection *socket,
                                                      const char              *user_id,
                                                      const char              *display_name,
                                                      const TlServerConfig    *config);
const char         *tl_server_connection_get_user_id (TlServerConnection      *self);
gboolean            tl_server_connection_is_live     (TlServerConnection      *self);
gboolean            tl_server_connection_is_closed   (TlServerConnection      *self);
void                tl_server_connection_send        (TlServerConnection      *self,
                                                      const char              *frame);
void                tl_server_connection_close       (TlServerConnection      *self,
                                                      gushort                  code,
                                                      const char              *reason);

G_END_DECLS
