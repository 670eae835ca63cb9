/* tl-outbox.h — messages the user sent that the server has not confirmed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "tl-store.h"

G_BEGIN_DECLS

typedef struct _TlOutbox TlOutbox;

typedef struct
{
  /* Send one command frame; FALSE when there is no connection to send on. */
  gboolean (*send)      (const char *frame,
                         gpointer    user_data);
  void     (*confirmed) (const char *message_id,
                         gpointer    user_data);
  void     (*failed)    (const char *message_id,
                         const char *reason,
                         gpointer    user_data);
} TlOutboxCallbacks;

TlOutbox *tl_outbox_new              (TlStore                 *store,
                                      const TlOutboxCallbacks *callbacks,
                                      gpointer                 user_data);
void      tl_outbox_free             (TlOutbox    *self);
void      tl_outbox_set_timings      (TlOutbox    *self,
                                      guint        resend_ms,
                                      guint        give_up_ms,
                                      guint        retry_error_ms);

/* Adds the optimistic message (status "sending") and queues it. @parts is a
 * JSON array of parts. Returns the new message id. */
char     *tl_outbox_add              (TlOutbox    *self,
                                      const char  *conversation_id,
                                      JsonNode    *parts,
                                      const char  *author_id,
                                      GError     **error);
/* Sends again a message that failed, as a new attempt. */
gboolean  tl_outbox_retry            (TlOutbox    *self,
                                      const char  *message_id);

/* Online: the connection is live, heads of the queues go out. Offline:
 * whatever was in flight is sent again next time. */
void      tl_outbox_set_online       (TlOutbox    *self,
                                      gboolean     online);

/* Replies to our requests; FALSE when @request_id is not ours. */
gboolean  tl_outbox_handle_ack       (TlOutbox    *self,
                                      const char  *request_id,
                                      JsonObject  *ack);
gboolean  tl_outbox_handle_error     (TlOutbox    *self,
                                      const char  *request_id,
                                      const char  *code,
                                      const char  *message,
                                      gboolean     retryable);
/* A durable event carrying @message_id was applied: the echo. */
void      tl_outbox_message_applied  (TlOutbox    *self,
                                      const char  *message_id);
/* A snapshot replaced the state: confirms what the server has, puts back
 * the optimistic rows of the rest. */
void      tl_outbox_after_snapshot   (TlOutbox    *self);

guint     tl_outbox_get_n_pending    (TlOutbox    *self);
gboolean  tl_outbox_has_in_flight    (TlOutbox    *self);
gboolean  tl_outbox_is_pending       (TlOutbox    *self,
                                      const char  *message_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlOutbox, tl_outbox_free)

G_END_DECLS
