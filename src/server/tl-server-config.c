/* tl-server-config.c — settings shared by the server's objects
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "threadline-server"

#include "tl-server-config.h"

void
tl_server_config_init (TlServerConfig *config)
{
  g_return_if_fail (config != NULL);

  *config = (TlServerConfig) {
    .listen = g_strdup ("127.0.0.1"),
    .port = TL_SERVER_DEFAULT_PORT,
    .db_path = g_build_filename (g_get_user_data_dir (), "threadline-server", "threadline.db", NULL),
    .admin_token = NULL,
    .retain = TL_SERVER_DEFAULT_RETAIN,
    .heartbeat_ms = TL_SERVER_DEFAULT_HEARTBEAT_MS,
    .rate_per_sec = TL_SERVER_DEFAULT_RATE,
    .rate_burst = TL_SERVER_DEFAULT_BURST,
    .max_body = TL_SERVER_DEFAULT_MAX_BODY,
    .webhook_url = NULL,
    .webhook_retry_ms = TL_SERVER_DEFAULT_WEBHOOK_RETRY_MS,
    .webhook_attempts = TL_SERVER_DEFAULT_WEBHOOK_ATTEMPTS,
  };
}

void
tl_server_config_clear (TlServerConfig *config)
{
  g_return_if_fail (config != NULL);

  g_clear_pointer (&config->listen, g_free);
  g_clear_pointer (&config->db_path, g_free);
  g_clear_pointer (&config->admin_token, g_free);
  g_clear_pointer (&config->webhook_url, g_free);
}
