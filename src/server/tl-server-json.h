/* tl-server-json.h — small JSON helpers for the server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Decodes an HTTP body: the limits of tl_json_decode_frame() (UTF-8, size,
 * nesting) but any JSON value at the top, so a push batch can be an array.
 * Inside an array each element counts from depth 1, as a frame would. */
JsonNode   *tl_server_json_decode_body     (const char  *data,
                                            gsize        length,
                                            gsize        max_size,
                                            GError     **error);
JsonObject *tl_server_json_parse_object    (const char  *text);
JsonObject *tl_server_json_without_nulls   (JsonObject  *object);
char       *tl_server_json_object_to_string (JsonObject *object);
void        tl_server_json_append_member   (GString     *out,
                                            const char  *name,
                                            const char  *raw_json);
void        tl_server_json_append_string_member (GString    *out,
                                            const char  *name,
                                            const char  *value);
char       *tl_server_json_now             (void);
const char *tl_server_json_get_string      (JsonObject  *object,
                                            const char  *name);

G_END_DECLS
