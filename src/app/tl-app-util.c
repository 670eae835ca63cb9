/* tl-app-util.c — small formatting helpers the views share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "threadline-app"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "tl-app-util.h"
#include "tl-markdown.h"
#include "tl-part.h"

char *
tl_message_dup_preview (TlMessage *message,
                        guint      max)
{
  GPtrArray *parts = tl_message_get_parts (message);
  GString *out;

  if (parts == NULL)
    return NULL;
  for (guint i = 0; i < parts->len; i++)
    {
      TlPart *part = g_ptr_array_index (parts, i);
      const char *text;

      if (g_strcmp0 (tl_part_get_part_type (part), "text") != 0)
        continue;
      text = tl_part_get_text (part);
      if (text == NULL || *text == '\0')
        continue;

      {
        /* Previews show what the reader sees, not the Markdown source. */
        g_autoptr(GPtrArray) blocks = tl_markdown_parse (text, strlen (text));
        g_autoptr(GString) plain = g_string_new (NULL);
        guint count = 0;

        for (guint b = 0; b < blocks->len; b++)
          {
            TlMdBlock *block = g_ptr_array_index (blocks, b);

            if (plain->len > 0)
              g_string_append_c (plain, ' ');
            g_string_append (plain, block->text->str);
          }
        out = g_string_new (NULL);
        for (const char *p = plain->str; *p != '\0' && count < max; p = g_utf8_next_char (p), count++)
          {
            gunichar c = g_utf8_get_char (p);

            g_string_append_unichar (out, c == '\n' || c == '\t' ? ' ' : c);
          }
      }
      return g_string_free (out, FALSE);
    }
  return NULL;
}

static JsonObject *
parse_object (const char *json,
              JsonParser *parser)
{
  JsonNode *root;

  if (json == NULL || !json_parser_load_from_data (parser, json, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
}

char *
tl_message_dup_author_name (TlMessage *message)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *author = parse_object (tl_message_get_author_json (message), parser);
  const char *name;

  if (author == NULL)
    return NULL;
  name = json_object_get_string_member_with_default (author, "displayName", NULL);
  if (name == NULL)
    name = json_object_get_string_member_with_default (author, "id", NULL);
  return g_strdup (name);
}

char *
tl_message_dup_author_id (TlMessage *message)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *author = parse_object (tl_message_get_author_json (message), parser);

  if (author == NULL)
    return NULL;
  return g_strdup (json_object_get_string_member_with_default (author, "id", NULL));
}

char *
tl_conversation_dup_user_name (TlConversation *conversation,
                               const char     *user_id)
{
  JsonNode *participants = tl_conversation_get_participants (conversation);
  JsonArray *array;

  if (participants == NULL)
    return g_strdup (user_id);
  array = json_node_get_array (participants);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *user = json_array_get_object_element (array, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (user, "id", NULL), user_id) == 0)
        {
          const char *name = json_object_get_string_member_with_default (user, "displayName", NULL);

          return g_strdup (name ? name : user_id);
        }
    }
  return g_strdup (user_id);
}

char *
tl_conversation_dup_display_title (TlConversation *conversation,
                                   const char     *local_user_id)
{
  JsonNode *participants;
  g_autoptr(GPtrArray) names = NULL;

  if (tl_conversation_get_title (conversation) != NULL)
    return g_strdup (tl_conversation_get_title (conversation));

  participants = tl_conversation_get_participants (conversation);
  if (participants != NULL)
    {
      JsonArray *array = json_node_get_array (participants);

      names = g_ptr_array_new ();
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonObject *user = json_array_get_object_element (array, i);
          const char *id = json_object_get_string_member_with_default (user, "id", NULL);
          const char *name = json_object_get_string_member_with_default (user, "displayName", id);

          if (g_strcmp0 (id, local_user_id) != 0 && name != NULL)
            g_ptr_array_add (names, (gpointer) name);
        }
      if (names->len > 0)
        {
          g_ptr_array_add (names, NULL);
          return g_strjoinv (", ", (char **) names->pdata);
        }
    }
  return g_strdup (tl_conversation_get_id (conversation));
}

/* g_date_time_to_local() looks the zone up (a stat of /etc/localtime) on
 * every call, and rows format times on every bind: keep the zone for a
 * minute, which still follows a change of time zone soon enough. */
static GTimeZone *
local_zone (void)
{
  static GTimeZone *zone;
  static gint64 loaded_at;
  gint64 now = g_get_monotonic_time ();

  if (zone == NULL || now - loaded_at > 60 * G_USEC_PER_SEC)
    {
      g_clear_pointer (&zone, g_time_zone_unref);
      zone = g_time_zone_new_local ();
      loaded_at = now;
    }
  return zone;
}

static GDateTime *
parse_local (const char *timestamp)
{
  g_autoptr(GDateTime) utc = timestamp ? g_date_time_new_from_iso8601 (timestamp, NULL) : NULL;

  return utc ? g_date_time_to_timezone (utc, local_zone ()) : NULL;
}

char *
tl_format_clock (const char *timestamp)
{
  g_autoptr(GDateTime) local = parse_local (timestamp);

  return local ? g_date_time_format (local, "%H:%M") : NULL;
}

/* How long before the start of @now's day @local is (≤ 0: today). */
static GTimeSpan
before_today (GDateTime *local,
              GDateTime *now)
{
  g_autoptr(GDateTime) today = g_date_time_new_local (g_date_time_get_year (now),
                                                      g_date_time_get_month (now),
                                                      g_date_time_get_day_of_month (now), 0, 0, 0);

  return g_date_time_difference (today, local);
}

char *
tl_format_time_short (const char *timestamp,
                      GDateTime  *now)
{
  g_autoptr(GDateTime) local = parse_local (timestamp);
  GTimeSpan ago;

  if (local == NULL)
    return NULL;
  ago = before_today (local, now);
  if (ago <= 0)
    return g_date_time_format (local, "%H:%M");
  if (ago <= G_TIME_SPAN_DAY)
    return g_strdup (_("Yesterday"));
  if (ago <= 6 * G_TIME_SPAN_DAY)
    return g_date_time_format (local, "%A");
  return g_date_time_format (local, "%e %b");
}

char *
tl_format_day (const char *timestamp,
               GDateTime  *now)
{
  g_autoptr(GDateTime) local = parse_local (timestamp);
  GTimeSpan ago;

  if (local == NULL)
    return NULL;
  ago = before_today (local, now);
  if (ago <= 0)
    return g_strdup (_("Today"));
  if (ago <= G_TIME_SPAN_DAY)
    return g_strdup (_("Yesterday"));
  return g_date_time_format (local, "%A %e %B %Y");
}

gboolean
tl_same_day (const char *a,
             const char *b)
{
  g_autoptr(GDateTime) da = parse_local (a);
  g_autoptr(GDateTime) db = parse_local (b);

  return da != NULL && db != NULL &&
         g_date_time_get_year (da) == g_date_time_get_year (db) &&
         g_date_time_get_day_of_year (da) == g_date_time_get_day_of_year (db);
}
