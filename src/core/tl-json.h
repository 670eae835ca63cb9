/* tl-json.h — decoding frames and writing canonical JSON
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TL_FRAME_MAX_SIZE  (1024 * 1024)
#define TL_FRAME_MAX_DEPTH 32

/* Decodes any JSON value under the given limits: valid UTF-8, the strict
 * RFC 8259 grammar, at most @max_size bytes and @max_depth levels of
 * nesting (top level = 1). Errors are in the TL_EVENT_ERROR domain. */
JsonNode *tl_json_decode_value  (const char  *data,
                                 gsize        length,
                                 gsize        max_size,
                                 guint        max_depth,
                                 GError     **error);

/* Decodes one frame: valid UTF-8, at most TL_FRAME_MAX_SIZE bytes, nesting at
 * most TL_FRAME_MAX_DEPTH, a JSON object with a string "type". Errors are in
 * the TL_EVENT_ERROR domain. */
JsonNode *tl_json_decode_frame  (const char  *data,
                                 gsize        length,
                                 GError     **error);

/* Appends @node as compact JSON. Object members keep their stored order. */
void      tl_json_write_node    (GString     *out,
                                 JsonNode    *node);
void      tl_json_write_string  (GString     *out,
                                 const char  *str);
char     *tl_json_node_to_string (JsonNode   *node);

/* Checks a ChatUser (null members count as absent); @field, if given, is
 * appended to @what in the error. */
gboolean  tl_json_check_user    (JsonNode    *node,
                                 const char  *what,
                                 const char  *field,
                                 GError     **error);
/* Writes a user object without its null members. */
void      tl_json_write_user    (GString     *out,
                                 JsonNode    *node);

/* A copy of a user object with its null members dropped (null counts as
 * absent there), or NULL with @error when it is not a valid ChatUser. */
JsonNode *tl_json_dup_user      (JsonNode    *node,
                                 const char  *what,
                                 GError     **error);

G_END_DECLS
