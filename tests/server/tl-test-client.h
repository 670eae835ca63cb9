/* tl-test-client.h — a small libsoup WebSocket/HTTP client for server tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct
{
  SoupSession             *session;
  SoupWebsocketConnection *ws;
  GPtrArray               *frames;      /* JsonNode*, everything received */
  guint                    next;        /* first frame not yet consumed */
  guint                    status;      /* HTTP status when the upgrade failed */
  gboolean                 finished;    /* the connect attempt completed */
  gboolean                 closed;
  gushort                  close_code;
  char                    *close_reason;
} TlTestClient;

/* Runs the default main context until @cond holds; a generous guard turns
 * a hang into a test failure, it never measures time. */
void          tl_test_wait_until        (gboolean   (*cond) (gpointer),
                                         gpointer     data,
                                         const char  *what);

TlTestClient *tl_test_client_connect    (guint        port,
                                         const char  *token,
                                         gboolean     subprotocol);
void          tl_test_client_free       (TlTestClient *client);
void          tl_test_client_send       (TlTestClient *client,
                                         const char   *json);
void          tl_test_client_hello      (TlTestClient *client,
                                         const char   *epoch,
                                         gint64        seq);
JsonObject   *tl_test_client_wait       (TlTestClient *client,
                                         const char   *type);
JsonObject   *tl_test_client_next       (TlTestClient *client);
void          tl_test_client_barrier    (TlTestClient *client);
gushort       tl_test_client_wait_closed (TlTestClient *client);
guint         tl_test_client_count_since (TlTestClient *client,
                                         guint         from,
                                         const char   *type);

/* POST /v1/events; returns the status and stores the parsed body. */
guint         tl_test_post              (guint         port,
                                         const char   *token,
                                         const char   *content_type,
                                         const char   *body,
                                         JsonNode    **response);

guint         tl_test_post_path         (guint         port,
                                         const char   *path,
                                         const char   *token,
                                         const char   *content_type,
                                         const char   *body,
                                         JsonNode    **response);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlTestClient, tl_test_client_free)

G_END_DECLS
