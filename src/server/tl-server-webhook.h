/* tl-server-webhook.h — the assistant hook: tell an external assistant
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "tl-server-hub.h"

G_BEGIN_DECLS

#define TL_TYPE_SERVER_WEBHOOK (tl_server_webhook_get_type ())

G_DECLARE_FINAL_TYPE (TlServerWebhook, tl_server_webhook, TL, SERVER_WEBHOOK, GObject)

TlServerWebhook *tl_server_webhook_new (TlServerHub *hub,
                                        const char  *url,
                                        const char  *admin_token,
                                        const char  *base_url,
                                        guint        retry_ms,
                                        guint        attempts);

G_END_DECLS
