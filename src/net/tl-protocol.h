/* tl-protocol.h — the protocol frames that are not store events
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "tl-store.h"

G_BEGIN_DECLS

/* Strings are borrowed from the frame. */
typedef struct
{
  gint64      protocol;
  const char *epoch;
  gint64      head_seq;       /* -1 when absent */
  const char *mode;           /* "replay" or "snapshot" */
  const char *reason;
  gint64      heartbeat_ms;   /* 0 when absent */
  const char *user_id;
} TlWelcome;

typedef struct
{
  const char *request_id;     /* NULL for a connection-level error */
  const char *code;
  const char *message;
  gboolean    retryable;
} TlServerError;

typedef struct
{
  const char *request_id;
  const char *conversation_id;
  JsonArray  *messages;
  gboolean    has_more;
  const char *cursor;
} TlHistory;

/* Each checks the fields it reads and names the first wrong one in @error
 * (TL_EVENT_ERROR domain). */
gboolean  tl_protocol_parse_welcome     (JsonObject     *frame,
                                         TlWelcome      *out,
                                         GError        **error);
gboolean  tl_protocol_parse_replay_done (JsonObject     *frame,
                                         gint64         *seq,
                                         GError        **error);
gboolean  tl_protocol_parse_ack         (JsonObject     *frame,
                                         const char    **request_id,
                                         GError        **error);
gboolean  tl_protocol_parse_error       (JsonObject     *frame,
                                         TlServerError  *out,
                                         GError        **error);
gboolean  tl_protocol_parse_history     (JsonObject     *frame,
                                         TlHistory      *out,
                                         GError        **error);
/* pong.n; FALSE when absent or not a non-negative integer. */
gboolean  tl_protocol_parse_pong_n      (JsonObject     *frame,
                                         guint          *n);
/* 4008's close reason {"retryAfterMs":N}; -1 when unusable. */
gint64    tl_protocol_parse_retry_after (const char     *close_reason);

/* The hello frame. @resume: resume from the store's epoch and seq (else
 * "resume":null). Streams in progress are always listed. */
char     *tl_protocol_build_hello       (TlStore        *store,
                                         gboolean        resume);
/* {"type":@type,"requestId":@request_id, …@fields} */
char     *tl_protocol_build_command     (const char     *type,
                                         const char     *request_id,
                                         JsonObject     *fields);

G_END_DECLS
