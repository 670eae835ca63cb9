/* tl-test-peer.h — a scriptable in-process WebSocket server for net tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _TlTestPeer TlTestPeer;

/* Called with each hello as it arrives (the connection is then current). */
typedef void (*TlTestPeerFrameFunc) (TlTestPeer *peer,
                                     JsonObject *frame,
                                     gpointer    user_data);

TlTestPeer *tl_test_peer_new              (void);
/* wss:// with @certificate (which must hold its private key). */
TlTestPeer *tl_test_peer_new_tls          (GTlsCertificate *certificate);
void        tl_test_peer_free             (TlTestPeer  *self);
const char *tl_test_peer_get_url          (TlTestPeer  *self);

/* Upgrades answered with @status (401, 503…) until set back to 0. */
void        tl_test_peer_set_refuse       (TlTestPeer  *self,
                                           guint        status,
                                           const char  *retry_after);
/* Answer pings with pongs carrying headSeq (default on). */
void        tl_test_peer_set_auto_pong    (TlTestPeer  *self,
                                           gboolean     auto_pong);
/* headSeq of pongs; by default the highest seq/atSeq the peer has sent. */
void        tl_test_peer_set_head_seq     (TlTestPeer  *self,
                                           gint64       head_seq);
gint64      tl_test_peer_get_head_seq     (TlTestPeer  *self);
/* Every frame the client sends is passed here, after it was recorded. */
void        tl_test_peer_set_frame_func   (TlTestPeer          *self,
                                           TlTestPeerFrameFunc  func,
                                           gpointer             user_data);

guint       tl_test_peer_get_n_connections (TlTestPeer *self);
guint       tl_test_peer_get_n_upgrades   (TlTestPeer  *self);
gboolean    tl_test_peer_is_connected     (TlTestPeer  *self);
/* Close code the client sent on the last connection it closed, 0 if none. */
gushort     tl_test_peer_get_client_close_code (TlTestPeer *self);
const char *tl_test_peer_get_last_authorization (TlTestPeer *self);

/* Sends on the current connection. */
void        tl_test_peer_send             (TlTestPeer  *self,
                                           const char  *frame);
void        tl_test_peer_sendf            (TlTestPeer  *self,
                                           const char  *format,
                                           ...) G_GNUC_PRINTF (2, 3);
void        tl_test_peer_send_binary      (TlTestPeer  *self,
                                           const char  *data,
                                           gsize        length);
void        tl_test_peer_close            (TlTestPeer  *self,
                                           gushort      code,
                                           const char  *reason);
/* Resets the TCP connection (RST, no close frame). */
void        tl_test_peer_reset            (TlTestPeer  *self);

/* The first frame of @type not taken yet, waiting for it (fails the test
 * after a generous timeout). Borrowed; valid until the peer is freed. */
JsonObject *tl_test_peer_wait_frame       (TlTestPeer  *self,
                                           const char  *type);
/* Same without waiting; NULL when none. */
JsonObject *tl_test_peer_take_frame       (TlTestPeer  *self,
                                           const char  *type);
guint       tl_test_peer_count_frames     (TlTestPeer  *self,
                                           const char  *type);

/* Iterates the main context until @cond holds; aborts after TL_TEST_WAIT_MS. */
#define TL_TEST_WAIT_MS 20000
gboolean    tl_test_tick_cb               (gpointer     user_data);
#define TL_WAIT_UNTIL(expr)                                                    \
  G_STMT_START {                                                               \
    gint64 _tl_deadline = g_get_monotonic_time () + TL_TEST_WAIT_MS * 1000;    \
    guint _tl_tick = g_timeout_add (10, tl_test_tick_cb, NULL);                \
    while (!(expr))                                                            \
      {                                                                        \
        if (g_get_monotonic_time () > _tl_deadline)                            \
          g_error ("%s:%d: timed out waiting for %s", __FILE__, __LINE__, #expr); \
        g_main_context_iteration (NULL, TRUE);                                 \
      }                                                                        \
    g_source_remove (_tl_tick);                                                \
  } G_STMT_END
/* Runs the main context for @ms (to check that nothing happens). */
void        tl_test_run_for               (guint        ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlTestPeer, tl_test_peer_free)

G_END_DECLS
