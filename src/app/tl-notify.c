/* tl-notify.c — which new messages become desktop notifications
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "threadline-app"


#include "tl-app-util.h"
#include "tl-notify.h"

GNotification *
tl_notify_for_message (TlStore               *store,
                       TlMessage             *message,
                       const TlNotifyContext *context)
{
  const char *conversation_id = tl_message_get_conversation_id (message);
  TlConversation *conversation = tl_store_lookup_conversation (store, conversation_id);
  g_autofree char *author_id = tl_message_dup_author_id (message);
  g_autofree char *author = NULL;
  g_autofree char *preview = NULL;
  g_autofree char *title = NULL;
  g_autofree char *body = NULL;
  GNotification *notification;

  if (!context->enabled || !context->live || conversation == NULL ||
      g_strcmp0 (author_id, tl_store_get_local_user_id (store)) == 0 ||
      g_strcmp0 (tl_message_get_role (message), "system") == 0)
    return NULL;
  if (context->window_active &&
      g_strcmp0 (tl_store_get_active_conversation_id (store), conversation_id) == 0)
    return NULL;

  preview = tl_message_dup_preview (message, 200);
  /* A reply announced before its first words says nothing yet. */
  if (preview == NULL)
    return NULL;
  title = tl_conversation_dup_display_title (conversation, tl_store_get_local_user_id (store));
  author = tl_message_dup_author_name (message);
  body = author && g_strcmp0 (author, title) != 0 ? g_strdup_printf ("%s: %s", author, preview)
                                                  : g_steal_pointer (&preview);

  notification = g_notification_new (title);
  g_notification_set_body (notification, body);
  g_notification_set_default_action_and_target (notification, "app.open-conversation", "s",
                                                conversation_id);
  return notification;
}
