/* tl-stream.h — one assistant reply streaming in, chunk by chunk
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "tl-event.h"
#include "tl-message.h"

G_BEGIN_DECLS

typedef struct _TlStream TlStream;

typedef enum
{
  TL_STREAM_NEXT,       /* the next sequence: apply it now */
  TL_STREAM_STALE,      /* already applied (or repeated), or the stream is over */
  TL_STREAM_BUFFERED,   /* ahead of a gap: kept until the gap fills */
} TlStreamOffer;

TlStream      *tl_stream_new              (const char  *message_id);
void           tl_stream_free             (TlStream    *self);
const char    *tl_stream_get_message_id   (TlStream    *self);
const char    *tl_stream_get_conversation_id (TlStream *self);
void           tl_stream_set_conversation_id (TlStream *self,
                                           const char  *conversation_id);
/* The highest sequence applied with nothing missing below it. */
gint64         tl_stream_get_applied      (TlStream    *self);
gboolean       tl_stream_is_over          (TlStream    *self);
gboolean       tl_stream_has_gap          (TlStream    *self);
/* Over for good: later chunks are dropped, whatever their sequence. */
void           tl_stream_end              (TlStream    *self);

/* Sequencing: offer a chunk event; on NEXT apply it, then call
 * tl_stream_take_ready() until it returns NULL to apply what it unblocked. */
TlStreamOffer  tl_stream_offer            (TlStream    *self,
                                           TlEvent     *event);
TlEvent       *tl_stream_take_ready       (TlStream    *self);
/* After the server's full copy at @sequence: buffered chunks ≤ it go. */
void           tl_stream_resync           (TlStream    *self,
                                           gint64       sequence);

/* Checks a chunk's fields (see PROTOCOL.md "Streams"). */
gboolean       tl_stream_validate_chunk   (JsonObject  *chunk,
                                           const char  *type,
                                           GError     **error);
/* Applies a valid chunk to @message; TRUE when it was terminal. */
gboolean       tl_stream_apply_chunk      (TlStream    *self,
                                           TlMessage   *message,
                                           JsonObject  *chunk,
                                           const char  *type);

G_END_DECLS
