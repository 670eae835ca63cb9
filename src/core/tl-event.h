/* tl-event.h — parsed, validated protocol events
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "tl-timestamp.h"

G_BEGIN_DECLS

#define TL_EVENT_ERROR (tl_event_error_quark ())

typedef enum
{
  TL_EVENT_ERROR_MALFORMED,      /* not JSON at all */
  TL_EVENT_ERROR_INVALID_UTF8,
  TL_EVENT_ERROR_TOO_LARGE,
  TL_EVENT_ERROR_TOO_DEEP,
  TL_EVENT_ERROR_NOT_OBJECT,
  TL_EVENT_ERROR_NO_TYPE,        /* no string "type" member */
  TL_EVENT_ERROR_INVALID_SEQ,
  TL_EVENT_ERROR_MISSING_SEQ,    /* durable event without seq on a live connection */
  TL_EVENT_ERROR_MISSING_FIELD,
  TL_EVENT_ERROR_WRONG_TYPE,
  TL_EVENT_ERROR_INVALID_VALUE,  /* empty id, unparseable timestamp, negative count */
  TL_EVENT_ERROR_UNKNOWN_TYPE,   /* reported once per type; the event is skipped */
  TL_EVENT_ERROR_UNKNOWN_MESSAGE, /* a message without conversationId whose id is not known */
} TlEventError;

typedef enum
{
  TL_EVENT_UNKNOWN,
  TL_EVENT_MESSAGE_ADDED,
  TL_EVENT_MESSAGE_UPDATED,
  TL_EVENT_MESSAGE_REMOVED,
  TL_EVENT_CONVERSATION_ADDED,
  TL_EVENT_CONVERSATION_UPDATED,
  TL_EVENT_CONVERSATION_REMOVED,
  TL_EVENT_READ,
  TL_EVENT_TYPING,
  TL_EVENT_PRESENCE,
  TL_EVENT_HEARTBEAT,
  TL_EVENT_PONG,
  TL_EVENT_SNAPSHOT_BEGIN,
  TL_EVENT_SNAPSHOT_CONVERSATIONS,
  TL_EVENT_SNAPSHOT_MESSAGES,
  TL_EVENT_SNAPSHOT_END,
  TL_EVENT_STREAM_CHUNK,
} TlEventKind;

/* A ChatMessage as it arrived. Absent and null fields are NULL. Strings and
 * nodes are borrowed from the event's JSON tree; @author may hold null
 * members, which count as absent (tl_json_write_user() leaves them out). */
typedef struct
{
  const char  *id;
  const char  *conversation_id;
  const char  *role;
  const char  *status;
  const char  *created_at;
  TlTimestamp  created_ts;
  const char  *updated_at;
  const char  *edited_at;
  JsonNode    *parts;
  JsonNode    *metadata;
  JsonNode    *author;
} TlMessageRecord;

/* A ChatConversation as it arrived; @participants is an owned copy whose
 * users have no null members. */
typedef struct
{
  const char  *id;
  const char  *title;
  const char  *subtitle;
  const char  *avatar_url;
  const char  *read_state;
  const char  *last_message_at;
  TlTimestamp  last_message_ts;
  gboolean     has_unread_count;
  gint64       unread_count;
  JsonNode    *participants;
  JsonNode    *metadata;
} TlConversationRecord;

typedef struct _TlEvent TlEvent;

struct _TlEvent
{
  /*< private >*/
  gatomicrefcount       ref_count;
  JsonNode             *root;

  /*< public, read-only >*/
  TlEventKind           kind;
  const char           *type;            /* as received */
  gint64                seq;             /* 0 when absent */

  /* message-added/-updated */
  TlMessageRecord       message;
  /* conversation-added/-updated */
  TlConversationRecord  conversation;

  /* removals, read, typing, presence, stream-chunk, snapshot-messages */
  const char           *conversation_id;
  const char           *message_id;
  const char           *user_id;
  gboolean              flag;            /* isTyping, isOnline, hasMoreHistory */

  /* heartbeat, pong: headSeq (-1 when absent) */
  gint64                head_seq;

  /* snapshot-begin/-end */
  const char           *epoch;
  gint64                at_seq;

  /* snapshot-conversations: TlConversationRecord*; snapshot-messages: TlMessageRecord* */
  GPtrArray            *records;
  const char           *history_cursor;

  /* stream-chunk */
  gint64                sequence;
  JsonObject           *chunk;
  const char           *chunk_type;
};

GQuark      tl_event_error_quark     (void);
GType       tl_event_get_type        (void) G_GNUC_CONST;
TlEvent    *tl_event_ref             (TlEvent     *event);
void        tl_event_unref           (TlEvent     *event);

/* Parses a decoded frame (see tl_json_decode_frame()). When the frame has a
 * valid seq but an invalid payload, @out_seq still receives that seq: such an
 * event is skipped but its seq is consumed. */
TlEvent    *tl_event_parse           (JsonNode    *root,
                                      gint64      *out_seq,
                                      GError     **error);

gboolean    tl_event_is_durable      (const TlEvent *event);
const char *tl_event_kind_to_string  (TlEventKind  kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlEvent, tl_event_unref)

G_END_DECLS
