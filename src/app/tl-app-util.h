/* tl-app-util.h — small formatting helpers the views share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "tl-conversation.h"
#include "tl-message.h"

G_BEGIN_DECLS

/* The first text part, on one line, at most @max characters. */
char  *tl_message_dup_preview      (TlMessage      *message,
                                    guint           max);
/* The author's displayName, else their id, else NULL. */
char  *tl_message_dup_author_name  (TlMessage      *message);
char  *tl_message_dup_author_id    (TlMessage      *message);
/* A conversation's title, else its participants' names, else its id. */
char  *tl_conversation_dup_display_title (TlConversation *conversation,
                                          const char     *local_user_id);
/* "14:05", "Yesterday", "Monday", "3 Dec" for an RFC 3339 time seen at @now. */
char  *tl_format_time_short        (const char     *timestamp,
                                    GDateTime      *now);
/* "14:05" */
char  *tl_format_clock             (const char     *timestamp);
/* "Today", "Yesterday", "Thursday 3 December 2026" */
char  *tl_format_day               (const char     *timestamp,
                                    GDateTime      *now);
/* Same calendar day in local time. */
gboolean tl_same_day               (const char     *a,
                                    const char     *b);
/* A display name for a user id from a conversation's participants. */
char  *tl_conversation_dup_user_name (TlConversation *conversation,
                                      const char     *user_id);

G_END_DECLS
