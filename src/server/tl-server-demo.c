/* tl-server-demo.c — live demo activity for a fresh install
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The demo is just another backend: it builds realtime events as JSON and
 * feeds them through the same path as the HTTP push API (so through core's
 * parser), and it streams assistant replies through the hub's stream API.
 * Its choices come from one GRand seeded with --seed, so a fresh database
 * with the same seed sees the same sequence of actions.
 */
#define G_LOG_DOMAIN "threadline-server"

#include "tl-server-demo.h"

#include <string.h>

#include "tl-json.h"
#include "tl-server-json.h"

#define SUPPORT   "demo-support"
#define TEAM      "demo-team"
#define ASSISTANT "demo-assistant"

typedef struct
{
  const char *id;
  const char *name;
} Bot;

static const Bot team_bots[] = {
  { "ada", "Ada Lovelace" },
  { "grace", "Grace Hopper" },
  { "linus", "Linus" },
};

static const Bot support_bot = { "sam", "Sam (Support)" };

static const char *team_lines[] = {
  "Morning! Coffee is ready in the kitchen.",
  "The build is green again.",
  "Who is reviewing the sync branch?",
  "I pushed the fix for the scrolling bug.",
  "Lunch at noon?",
  "Release notes are in the shared folder.",
  "Can someone look at the flaky test?",
  "Standup in five minutes.",
  "Nice work on the sidebar, it feels much faster.",
  "I'll be offline this afternoon.",
};

static const char *support_lines[] = {
  "Thanks for reaching out! Let me check that for you.",
  "Could you tell me which version you are running?",
  "I have forwarded this to the engineering team.",
  "That should be fixed in the next update.",
  "Is there anything else I can help with?",
};

static const char *team_titles[] = {
  "Team room", "Team room 🚀", "Engineering", "The usual suspects",
};

static const char *reply_words[] = {
  "Sure", "here", "is", "a", "short", "answer", "from", "the", "demo", "assistant,",
  "streamed", "word", "by", "word", "so", "you", "can", "watch", "it", "arrive.",
};

struct _TlServerDemo
{
  GObject      parent_instance;

  /* owned */
  TlServerHub *hub;
  char        *user_id;
  GRand       *rand;
  GQueue       recent;         /* char* ids of bot messages, newest last */
  GPtrArray   *temporary;      /* ids of conversations the demo added */
  GPtrArray   *replies;        /* Reply*, assistant streams in flight */

  guint        interval_ms;
  guint        timer_id;
  gint64       counter;
  guint32      seed;
  gboolean     assistant;      /* answer in the assistant conversation */
};

typedef struct
{
  TlServerDemo *demo;          /* borrowed */
  char         *message_id;
  GPtrArray    *chunks;        /* JsonObject*, sent in order */
  guint         next;
  guint         timer_id;
  gboolean      in_tick;
  gboolean      ended;
} Reply;

G_DEFINE_FINAL_TYPE (TlServerDemo, tl_server_demo, G_TYPE_OBJECT)

static void
reply_free (gpointer data)
{
  Reply *reply = data;

  g_clear_handle_id (&reply->timer_id, g_source_remove);
  g_free (reply->message_id);
  g_ptr_array_unref (reply->chunks);
  g_free (reply);
}

static void
tl_server_demo_dispose (GObject *object)
{
  TlServerDemo *self = TL_SERVER_DEMO (object);

  tl_server_demo_stop (self);
  g_clear_pointer (&self->replies, g_ptr_array_unref);
  if (self->hub != NULL)
    g_signal_handlers_disconnect_by_data (self->hub, self);
  g_clear_object (&self->hub);

  G_OBJECT_CLASS (tl_server_demo_parent_class)->dispose (object);
}

static void
tl_server_demo_finalize (GObject *object)
{
  TlServerDemo *self = TL_SERVER_DEMO (object);

  g_free (self->user_id);
  g_clear_pointer (&self->rand, g_rand_free);
  g_queue_clear_full (&self->recent, g_free);
  g_clear_pointer (&self->temporary, g_ptr_array_unref);

  G_OBJECT_CLASS (tl_server_demo_parent_class)->finalize (object);
}

static void
tl_server_demo_class_init (TlServerDemoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tl_server_demo_dispose;
  object_class->finalize = tl_server_demo_finalize;
}

static void
tl_server_demo_init (TlServerDemo *self)
{
  g_queue_init (&self->recent);
  self->temporary = g_ptr_array_new_with_free_func (g_free);
  self->replies = g_ptr_array_new_with_free_func (reply_free);
}

/* Ids stay unique across restarts: the counter lives in the database. */
static char *
next_id (TlServerDemo *self,
         const char   *prefix)
{
  TlServerStore *store = tl_server_hub_get_store (self->hub);
  g_autofree char *value = NULL;

  self->counter++;
  value = g_strdup_printf ("%" G_GINT64_FORMAT, self->counter);
  tl_server_store_set_meta (store, "demo.counter", value, NULL);
  return g_strdup_printf ("%s-%" G_GINT64_FORMAT, prefix, self->counter);
}

static gboolean
conversation_exists (TlServerDemo *self,
                     const char   *id)
{
  g_autofree char *json = tl_server_store_get_conversation (tl_server_hub_get_store (self->hub), id);

  return json != NULL;
}

static gboolean
push (TlServerDemo *self,
      const char   *json,
      GError      **error)
{
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonNode) results = NULL;
  gint bad_index = -1;

  body = json_from_string (json, error);
  if (body == NULL)
    return FALSE;
  results = tl_server_hub_push (self->hub, body, &bad_index, error);
  if (results == NULL)
    return FALSE;
  tl_server_hub_flush (self->hub);
  return TRUE;
}

static void
push_or_warn (TlServerDemo *self,
              const char   *json)
{
  g_autoptr(GError) error = NULL;

  if (!push (self, json, &error))
    g_warning ("Demo event refused: %s", error->message);
}

static void
append_user (GString    *out,
             const char *id,
             const char *name,
             const char *role)
{
  g_string_append_c (out, '{');
  tl_server_json_append_string_member (out, "id", id);
  if (name != NULL)
    tl_server_json_append_string_member (out, "displayName", name);
  if (role != NULL)
    tl_server_json_append_string_member (out, "role", role);
  g_string_append_c (out, '}');
}

static char *
message_event (const char *type,
               const char *id,
               const char *conversation_id,
               const Bot  *author,
               const char *text,
               gboolean    edited)
{
  GString *out = g_string_new ("{");
  g_autofree char *now = tl_server_json_now ();

  tl_server_json_append_string_member (out, "type", type);
  g_string_append (out, ",\"message\":{");
  tl_server_json_append_string_member (out, "id", id);
  tl_server_json_append_string_member (out, "conversationId", conversation_id);
  tl_server_json_append_string_member (out, "role", "user");
  g_string_append (out, ",\"parts\":[{\"type\":\"text\"");
  tl_server_json_append_string_member (out, "text", text);
  g_string_append (out, "}]");
  if (edited)
    tl_server_json_append_string_member (out, "editedAt", now);
  else
    {
      tl_server_json_append_string_member (out, "createdAt", now);
      tl_server_json_append_string_member (out, "status", "sent");
      g_string_append (out, ",\"author\":");
      append_user (out, author->id, author->name, NULL);
    }
  g_string_append (out, "}}");
  return g_string_free (out, FALSE);
}

static void
post_bot_message (TlServerDemo *self,
                  const char   *conversation_id,
                  const Bot    *bot,
                  const char   *text)
{
  g_autofree char *id = next_id (self, "demo-m");
  g_autofree char *event = message_event ("message-added", id, conversation_id, bot, text, FALSE);

  push_or_warn (self, event);
  g_queue_push_tail (&self->recent, g_strdup (id));
  while (self->recent.length > 10)
    g_free (g_queue_pop_head (&self->recent));
}

/* Setup */

static gboolean
create_conversation (TlServerDemo *self,
                     const char   *id,
                     const char   *title,
                     const Bot    *bots,
                     guint         n_bots,
                     const char   *bot_role,
                     GError      **error)
{
  g_autoptr(GString) out = g_string_new ("{\"type\":\"conversation-added\",\"conversation\":{");

  tl_server_json_append_string_member (out, "id", id);
  tl_server_json_append_string_member (out, "title", title);
  g_string_append (out, ",\"participants\":[");
  append_user (out, self->user_id, NULL, NULL);
  for (guint i = 0; i < n_bots; i++)
    {
      g_string_append_c (out, ',');
      append_user (out, bots[i].id, bots[i].name, bot_role);
    }
  g_string_append (out, "]}}");
  return push (self, out->str, error);
}

static gboolean
ensure_conversations (TlServerDemo  *self,
                      GError       **error)
{
  static const Bot assistant = { "assistant", "Assistant" };

  if (!conversation_exists (self, SUPPORT))
    {
      if (!create_conversation (self, SUPPORT, "Support", &support_bot, 1, NULL, error))
        return FALSE;
      post_bot_message (self, SUPPORT, &support_bot,
                        "Hi! I'm Sam from support. How can I help you today?");
    }
  if (!conversation_exists (self, TEAM))
    {
      if (!create_conversation (self, TEAM, team_titles[0], team_bots,
                                G_N_ELEMENTS (team_bots), NULL, error))
        return FALSE;
      post_bot_message (self, TEAM, &team_bots[0], "Welcome to the team room!");
    }
  if (!conversation_exists (self, ASSISTANT))
    {
      if (!create_conversation (self, ASSISTANT, "Assistant", &assistant, 1, "assistant", error))
        return FALSE;
      post_bot_message (self, ASSISTANT, &assistant,
                        "Ask me anything: I answer every message you send here.");
    }
  return TRUE;
}

/* Assistant replies
 *
 * The demo assistant answers every message in its conversation through the
 * hub's stream API, as an external assistant would through HTTP. A message
 * mentioning "weather" gets a tool call, "deploy" a tool call that waits
 * for the user's approval, "think" a reasoning part; otherwise the seeded
 * generator decides. */

static JsonObject *
chunk_new (const char *type,
           const char *id_name,
           const char *id)
{
  JsonObject *chunk = json_object_new ();

  json_object_set_string_member (chunk, "type", type);
  if (id_name != NULL)
    json_object_set_string_member (chunk, id_name, id);
  return chunk;
}

static void
add_text (Reply      *reply,
          const char *type_prefix,
          const char *id,
          const char *const *words,
          guint       n_words)
{
  g_autofree char *start = g_strconcat (type_prefix, "-start", NULL);
  g_autofree char *delta_type = g_strconcat (type_prefix, "-delta", NULL);
  g_autofree char *end = g_strconcat (type_prefix, "-end", NULL);

  g_ptr_array_add (reply->chunks, chunk_new (start, "id", id));
  for (guint i = 0; i < n_words; i++)
    {
      JsonObject *chunk = chunk_new (delta_type, "id", id);
      g_autofree char *delta = g_strdup_printf ("%s%s", i > 0 ? " " : "", words[i]);

      json_object_set_string_member (chunk, "delta", delta);
      g_ptr_array_add (reply->chunks, chunk);
    }
  g_ptr_array_add (reply->chunks, chunk_new (end, "id", id));
}

static void
add_answer (Reply *reply)
{
  add_text (reply, "text", "t1", reply_words, G_N_ELEMENTS (reply_words));
  g_ptr_array_add (reply->chunks, chunk_new ("finish", "messageId", reply->message_id));
}

static gboolean on_reply_tick_cb (gpointer user_data);

static void
schedule (Reply *reply)
{
  if (reply->timer_id == 0)
    reply->timer_id = g_timeout_add (MAX (reply->demo->interval_ms / 20, 1), on_reply_tick_cb, reply);
}

static gboolean
on_reply_tick_cb (gpointer user_data)
{
  Reply *reply = user_data;
  TlServerDemo *self = reply->demo;
  g_autoptr(GError) error = NULL;
  gboolean terminal = FALSE;
  gint64 sequence;

  if (reply->next >= reply->chunks->len)
    {
      /* Waiting for the user's answer to a tool approval. */
      reply->timer_id = 0;
      return G_SOURCE_REMOVE;
    }

  reply->in_tick = TRUE;
  sequence = tl_server_hub_stream_chunk (self->hub, reply->message_id,
                                         g_ptr_array_index (reply->chunks, reply->next++),
                                         &terminal, &error);
  tl_server_hub_flush (self->hub);
  reply->in_tick = FALSE;

  if (sequence == 0 || terminal || reply->ended)
    {
      /* Done, or the message, its conversation or the stream went away. */
      if (sequence == 0)
        g_message ("Demo reply ended early: %s", error->message);
      reply->timer_id = 0;
      g_ptr_array_remove (self->replies, reply);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static char *
message_text (TlServerDemo *self,
              const char   *message_id)
{
  g_autoptr(JsonObject) message = tl_server_hub_dup_message (self->hub, message_id);
  GString *text = g_string_new (NULL);
  JsonNode *parts = message != NULL ? json_object_get_member (message, "parts") : NULL;

  for (guint i = 0; parts != NULL && JSON_NODE_HOLDS_ARRAY (parts) &&
                    i < json_array_get_length (json_node_get_array (parts)); i++)
    {
      JsonNode *part = json_array_get_element (json_node_get_array (parts), i);
      const char *t = JSON_NODE_HOLDS_OBJECT (part) ?
        tl_server_json_get_string (json_node_get_object (part), "text") : NULL;

      if (t != NULL)
        g_string_append (text, t);
    }
  return g_string_free (text, FALSE);
}

static void
start_reply (TlServerDemo *self,
             const char   *existing_id,
             const char   *prompt)
{
  static const char *thoughts[] = { "The", "user", "wrote", "something;", "a", "friendly", "answer", "fits." };
  g_autofree char *message_id = NULL;
  g_autofree char *lower = g_utf8_strdown (prompt != NULL ? prompt : "", -1);
  guint roll = g_rand_int_range (self->rand, 0, 6);
  gboolean reasoning = strstr (lower, "think") != NULL || roll == 0;
  gboolean weather = strstr (lower, "weather") != NULL || roll == 1;
  gboolean deploy = strstr (lower, "deploy") != NULL;
  Reply *reply;

  if (existing_id != NULL)
    message_id = g_strdup (existing_id);
  else
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) author = json_object_new ();
      g_autofree char *id = next_id (self, "demo-r");

      json_object_set_string_member (author, "id", "assistant");
      json_object_set_string_member (author, "displayName", "Assistant");
      json_object_set_string_member (author, "role", "assistant");
      message_id = tl_server_hub_stream_begin (self->hub, ASSISTANT, id, author, NULL, &error);
      tl_server_hub_flush (self->hub);
      if (message_id == NULL)
        {
          g_message ("Demo reply not started: %s", error->message);
          return;
        }
    }

  reply = g_new0 (Reply, 1);
  reply->demo = self;
  reply->message_id = g_strdup (message_id);
  reply->chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  g_ptr_array_add (reply->chunks, chunk_new ("start", "messageId", message_id));
  if (reasoning)
    add_text (reply, "reasoning", "r1", thoughts, G_N_ELEMENTS (thoughts));
  if (weather)
    {
      JsonObject *chunk = chunk_new ("tool-input-available", "toolCallId", "call-weather");
      JsonObject *input = json_object_new ();
      JsonObject *output = json_object_new ();

      json_object_set_string_member (input, "city", "Lisbon");
      json_object_set_string_member (chunk, "toolName", "weather");
      json_object_set_object_member (chunk, "input", input);
      g_ptr_array_add (reply->chunks, chunk);
      chunk = chunk_new ("tool-output-available", "toolCallId", "call-weather");
      json_object_set_string_member (output, "forecast", "sunny, 21 °C");
      json_object_set_object_member (chunk, "output", output);
      g_ptr_array_add (reply->chunks, chunk);
    }
  if (deploy)
    {
      JsonObject *chunk = chunk_new ("tool-approval-request", "toolCallId", "call-deploy");
      JsonObject *input = json_object_new ();

      json_object_set_string_member (input, "environment", "production");
      json_object_set_string_member (chunk, "toolName", "deploy");
      json_object_set_object_member (chunk, "input", input);
      json_object_set_string_member (chunk, "approvalId", "approval-deploy");
      g_ptr_array_add (reply->chunks, chunk);
      /* The rest follows the user's answer (on_tool_approval_cb). */
    }
  else
    add_answer (reply);

  g_ptr_array_add (self->replies, reply);
  schedule (reply);
}

static Reply *
find_reply (TlServerDemo *self,
            const char   *message_id)
{
  for (guint i = 0; i < self->replies->len; i++)
    {
      Reply *reply = g_ptr_array_index (self->replies, i);

      if (g_strcmp0 (reply->message_id, message_id) == 0)
        return reply;
    }
  return NULL;
}

static void
on_message_sent_cb (TlServerHub  *hub,
                    const char   *user_id,
                    const char   *conversation_id,
                    const char   *message_id,
                    TlServerDemo *self)
{
  g_autofree char *text = NULL;

  if (!self->assistant || g_strcmp0 (conversation_id, ASSISTANT) != 0)
    return;
  text = message_text (self, message_id);
  start_reply (self, NULL, text);
}

static void
on_regenerate_cb (TlServerHub  *hub,
                  const char   *conversation_id,
                  const char   *new_id,
                  const char   *old_id,
                  TlServerDemo *self)
{
  if (self->assistant && g_strcmp0 (conversation_id, ASSISTANT) == 0)
    start_reply (self, new_id, NULL);
}

static void
on_tool_approval_cb (TlServerHub  *hub,
                     const char   *message_id,
                     const char   *tool_call_id,
                     gboolean      approved,
                     TlServerDemo *self)
{
  Reply *reply = find_reply (self, message_id);
  JsonObject *chunk;

  if (reply == NULL || g_strcmp0 (tool_call_id, "call-deploy") != 0)
    return;
  if (approved)
    {
      JsonObject *output = json_object_new ();

      chunk = chunk_new ("tool-output-available", "toolCallId", tool_call_id);
      json_object_set_string_member (output, "status", "deployed");
      json_object_set_object_member (chunk, "output", output);
    }
  else
    {
      chunk = chunk_new ("tool-output-denied", "toolCallId", tool_call_id);
    }
  g_ptr_array_add (reply->chunks, chunk);
  add_answer (reply);
  schedule (reply);
}

static void
on_stream_ended_cb (TlServerHub  *hub,
                    const char   *message_id,
                    TlServerDemo *self)
{
  Reply *reply = find_reply (self, message_id);

  if (reply == NULL)
    return;
  /* Inside its own tick the reply is freed by the tick itself. */
  if (reply->in_tick)
    reply->ended = TRUE;
  else
    g_ptr_array_remove (self->replies, reply);
}

/* Activity */

static const Bot *
pick_team_bot (TlServerDemo *self)
{
  return &team_bots[g_rand_int_range (self->rand, 0, G_N_ELEMENTS (team_bots))];
}

static void
act_post (TlServerDemo *self)
{
  if (g_rand_boolean (self->rand) && conversation_exists (self, TEAM))
    post_bot_message (self, TEAM, pick_team_bot (self),
                      team_lines[g_rand_int_range (self->rand, 0, G_N_ELEMENTS (team_lines))]);
  else if (conversation_exists (self, SUPPORT))
    post_bot_message (self, SUPPORT, &support_bot,
                      support_lines[g_rand_int_range (self->rand, 0, G_N_ELEMENTS (support_lines))]);
}

static void
act_edit (TlServerDemo *self)
{
  g_autofree char *conversation_id = NULL;
  g_autofree char *json = NULL;
  g_autofree char *event = NULL;
  g_autofree char *text = NULL;
  const char *id;

  if (self->recent.length == 0)
    return;
  id = g_queue_peek_nth (&self->recent, g_rand_int_range (self->rand, 0, self->recent.length));
  json = tl_server_store_get_message (tl_server_hub_get_store (self->hub), id, &conversation_id, NULL);
  if (json == NULL)
    return;
  /* Clients mark an edited message themselves (editedAt). */
  text = g_strdup (team_lines[g_rand_int_range (self->rand, 0, G_N_ELEMENTS (team_lines))]);
  event = message_event ("message-updated", id, conversation_id, NULL, text, TRUE);
  push_or_warn (self, event);
}

static void
act_remove (TlServerDemo *self)
{
  g_autoptr(GString) out = g_string_new ("{\"type\":\"message-removed\"");
  g_autofree char *id = NULL;

  if (self->recent.length < 3)
    return;
  id = g_queue_pop_head (&self->recent);
  tl_server_json_append_string_member (out, "messageId", id);
  g_string_append_c (out, '}');
  push_or_warn (self, out->str);
}

static void
act_typing (TlServerDemo *self)
{
  g_autoptr(GString) out = g_string_new ("{\"type\":\"typing\"");
  gboolean team = g_rand_boolean (self->rand);
  const Bot *bot = team ? pick_team_bot (self) : &support_bot;
  const char *conversation_id = team ? TEAM : SUPPORT;

  if (!conversation_exists (self, conversation_id))
    return;
  tl_server_json_append_string_member (out, "conversationId", conversation_id);
  tl_server_json_append_string_member (out, "userId", bot->id);
  g_string_append_printf (out, ",\"isTyping\":%s}", g_rand_boolean (self->rand) ? "true" : "false");
  push_or_warn (self, out->str);
}

static void
act_read (TlServerDemo *self)
{
  g_autoptr(GString) out = g_string_new ("{\"type\":\"read\"");
  g_autofree char *conversation_id = NULL;
  g_autofree char *json = NULL;
  const char *id;

  /* A bot reads up to a recent message: the user sees a receipt. */
  if (self->recent.length == 0)
    return;
  id = g_queue_peek_tail (&self->recent);
  json = tl_server_store_get_message (tl_server_hub_get_store (self->hub), id, &conversation_id, NULL);
  if (json == NULL || g_strcmp0 (conversation_id, TEAM) != 0)
    return;
  tl_server_json_append_string_member (out, "conversationId", conversation_id);
  tl_server_json_append_string_member (out, "messageId", id);
  tl_server_json_append_string_member (out, "userId", pick_team_bot (self)->id);
  g_string_append_c (out, '}');
  push_or_warn (self, out->str);
}

static void
act_presence (TlServerDemo *self)
{
  g_autoptr(GString) out = g_string_new ("{\"type\":\"presence\"");
  const Bot *bot = g_rand_int_range (self->rand, 0, 4) == 0 ? &support_bot : pick_team_bot (self);

  tl_server_json_append_string_member (out, "userId", bot->id);
  g_string_append_printf (out, ",\"isOnline\":%s}", g_rand_boolean (self->rand) ? "true" : "false");
  push_or_warn (self, out->str);
}

static void
act_rename (TlServerDemo *self)
{
  g_autoptr(GString) out = g_string_new ("{\"type\":\"conversation-updated\",\"conversation\":{");

  if (!conversation_exists (self, TEAM))
    return;
  tl_server_json_append_string_member (out, "id", TEAM);
  tl_server_json_append_string_member (out, "title",
                                       team_titles[g_rand_int_range (self->rand, 0, G_N_ELEMENTS (team_titles))]);
  g_string_append (out, "}}");
  push_or_warn (self, out->str);
}

static void
act_add_or_remove_conversation (TlServerDemo *self)
{
  g_autoptr(GError) error = NULL;

  if (self->temporary->len > 0 && g_rand_boolean (self->rand))
    {
      g_autoptr(GString) out = g_string_new ("{\"type\":\"conversation-removed\"");
      g_autofree char *id = g_strdup (g_ptr_array_index (self->temporary, 0));

      g_ptr_array_remove_index (self->temporary, 0);
      tl_server_json_append_string_member (out, "conversationId", id);
      g_string_append_c (out, '}');
      push_or_warn (self, out->str);
    }
  else
    {
      g_autofree char *id = next_id (self, "demo-c");
      g_autofree char *title = g_strdup_printf ("Side project %" G_GINT64_FORMAT, self->counter);
      const Bot *bot = pick_team_bot (self);

      if (!create_conversation (self, id, title, bot, 1, NULL, &error))
        {
          g_warning ("Demo conversation refused: %s", error->message);
          return;
        }
      g_ptr_array_add (self->temporary, g_strdup (id));
      post_bot_message (self, id, bot, "Started a thread for the side project.");
    }
}

static gboolean
on_tick_cb (gpointer user_data)
{
  TlServerDemo *self = user_data;
  guint roll = g_rand_int_range (self->rand, 0, 100);

  /* Mostly chatter; now and then the rarer kinds of change. */
  if (roll < 30)
    act_post (self);
  else if (roll < 36)
    act_read (self);
  else if (roll < 50)
    act_typing (self);
  else if (roll < 62)
    act_presence (self);
  else if (roll < 74)
    act_edit (self);
  else if (roll < 84)
    act_remove (self);
  else if (roll < 92)
    act_rename (self);
  else
    act_add_or_remove_conversation (self);
  return G_SOURCE_CONTINUE;
}

TlServerDemo *
tl_server_demo_new (TlServerHub *hub,
                    const char  *user_id,
                    guint32      seed,
                    guint        interval_ms)
{
  TlServerDemo *self;

  g_return_val_if_fail (TL_IS_SERVER_HUB (hub), NULL);
  g_return_val_if_fail (user_id != NULL, NULL);

  self = g_object_new (TL_TYPE_SERVER_DEMO, NULL);
  self->hub = g_object_ref (hub);
  self->user_id = g_strdup (user_id);
  self->seed = seed;
  self->interval_ms = MAX (interval_ms, 1);
  self->assistant = TRUE;
  return self;
}

void
tl_server_demo_set_assistant (TlServerDemo *self,
                              gboolean      enabled)
{
  g_return_if_fail (TL_IS_SERVER_DEMO (self));
  self->assistant = enabled;
}

gboolean
tl_server_demo_start (TlServerDemo  *self,
                      GError       **error)
{
  g_autofree char *counter = NULL;

  g_return_val_if_fail (TL_IS_SERVER_DEMO (self), FALSE);

  counter = tl_server_store_get_meta (tl_server_hub_get_store (self->hub), "demo.counter");
  self->counter = counter != NULL ? g_ascii_strtoll (counter, NULL, 10) : 0;
  /* Continue the sequence after a restart instead of replaying it. */
  self->rand = g_rand_new_with_seed (self->seed ^ (guint32) self->counter);

  if (!ensure_conversations (self, error))
    return FALSE;

  g_signal_connect (self->hub, "message-sent", G_CALLBACK (on_message_sent_cb), self);
  g_signal_connect (self->hub, "regenerate", G_CALLBACK (on_regenerate_cb), self);
  g_signal_connect (self->hub, "tool-approval", G_CALLBACK (on_tool_approval_cb), self);
  g_signal_connect (self->hub, "stream-ended", G_CALLBACK (on_stream_ended_cb), self);
  self->timer_id = g_timeout_add (self->interval_ms, on_tick_cb, self);
  return TRUE;
}

void
tl_server_demo_stop (TlServerDemo *self)
{
  g_return_if_fail (TL_IS_SERVER_DEMO (self));

  g_clear_handle_id (&self->timer_id, g_source_remove);
  if (self->replies != NULL)
    g_ptr_array_set_size (self->replies, 0);
}
