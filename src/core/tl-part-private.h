/* tl-part-private.h — what the store and streams may do to a part
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "tl-part.h"

G_BEGIN_DECLS

/* Keeps @node (a part object) verbatim; plain text/reasoning parts are held
 * as a growable string instead, so streamed deltas cost O(delta). */
TlPart     *tl_part_new_from_node    (JsonNode   *node);
TlPart     *tl_part_new_text         (const char *type,
                                      const char *text,
                                      const char *state);
TlPart     *tl_part_new_object       (JsonObject *object);
void        tl_part_append_text      (TlPart     *self,
                                      const char *delta);
void        tl_part_set_state        (TlPart     *self,
                                      const char *state);
/* The toolInvocation object of a tool/dynamic-tool part, else NULL. */
JsonObject *tl_part_get_tool_invocation (TlPart  *self);
/* Call after changing the node in place. */
void        tl_part_node_changed     (TlPart     *self);
void        tl_part_write_json       (TlPart     *self,
                                      GString    *out);

G_END_DECLS
