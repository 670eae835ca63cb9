/* tl-server-demo.h — live demo activity for a fresh install
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "tl-server-hub.h"

G_BEGIN_DECLS

#define TL_TYPE_SERVER_DEMO (tl_server_demo_get_type ())

G_DECLARE_FINAL_TYPE (TlServerDemo, tl_server_demo, TL, SERVER_DEMO, GObject)

TlServerDemo *tl_server_demo_new   (TlServerHub  *hub,
                                    const char   *user_id,
                                    guint32       seed,
                                    guint         interval_ms);
gboolean      tl_server_demo_start (TlServerDemo *self,
                                    GError      **error);
void          tl_server_demo_stop  (TlServerDemo *self);
/* Off when an external assistant (--assistant-webhook) answers instead. */
void          tl_server_demo_set_assistant (TlServerDemo *self,
                                            gboolean      enabled);

G_END_DECLS
