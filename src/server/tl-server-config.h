/* tl-server-config.h — settings shared by the server's objects
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char    *listen;           /* address, default 127.0.0.1 */
  guint    port;             /* 0: any free port */
  char    *db_path;
  char    *admin_token;      /* NULL: push API disabled */
  gint64   retain;           /* replay window in events per user */
  guint    heartbeat_ms;
  double   rate_per_sec;     /* command rate limit: refill per second */
  guint    rate_burst;       /* bucket size */
  gsize    max_body;         /* largest push body in bytes */
  char    *webhook_url;      /* assistant hook, NULL: none */
  guint    webhook_retry_ms; /* first retry delay, doubling */
  guint    webhook_attempts;
} TlServerConfig;

#define TL_SERVER_DEFAULT_PORT         8765
#define TL_SERVER_DEFAULT_RETAIN       10000
#define TL_SERVER_DEFAULT_HEARTBEAT_MS 25000
#define TL_SERVER_DEFAULT_RATE         50.0
#define TL_SERVER_DEFAULT_BURST        200
#define TL_SERVER_DEFAULT_MAX_BODY     (1024 * 1024)
#define TL_SERVER_CLIENT_FRAME_MAX     (64 * 1024)
#define TL_SERVER_DEFAULT_WEBHOOK_RETRY_MS 1000
#define TL_SERVER_DEFAULT_WEBHOOK_ATTEMPTS 4

void tl_server_config_init  (TlServerConfig *config);
void tl_server_config_clear (TlServerConfig *config);

G_END_DECLS
