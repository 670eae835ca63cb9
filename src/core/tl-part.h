/* tl-part.h — one part of a message (text, reasoning, tool call, file, …)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TL_TYPE_PART (tl_part_get_type ())

G_DECLARE_FINAL_TYPE (TlPart, tl_part, TL, PART, GObject)

/* The part's "type" as received: "text", "reasoning", "tool", "data-x", … */
const char *tl_part_get_part_type (TlPart *self);
/* For text and reasoning parts: the text so far (notify::text on growth). */
const char *tl_part_get_text      (TlPart *self);
gsize       tl_part_get_text_length (TlPart *self);
/* "streaming", "done" or NULL. */
const char *tl_part_get_state     (TlPart *self);
/* The verbatim object for every other kind of part (notify::node when a
 * stream changes it, e.g. a tool invocation's state); NULL for plain text. */
JsonNode   *tl_part_get_node      (TlPart *self);

G_END_DECLS
