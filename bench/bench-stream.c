/* bench-stream.c — deterministic event streams for the benchmarks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The lines look like what a real backend sends (PROTOCOL.md shapes, the
 * fields a chat backend fills in, text of 20–200 characters with the odd
 * quote, newline and non-ASCII character), because json-glib's cost and the
 * store's memory both depend on the shape and size of each line. Everything
 * is drawn from one seeded generator, so a seed names one exact stream.
 */
#define G_LOG_DOMAIN "threadline-bench"

#include "bench-stream.h"

#include <string.h>

#include "tl-json.h"

/* 2026-03-01T09:00:00.000Z: every timestamp counts up from here. */
#define BASE_MS G_GINT64_CONSTANT (1772355600000)

/* PRNG */

void
bench_rand_init (BenchRand *rand,
                 guint64    seed)
{
  rand->state = seed;
}

guint64
bench_rand_next (BenchRand *rand)
{
  guint64 z = (rand->state += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

guint
bench_rand_below (BenchRand *rand,
                  guint      n)
{
  /* Lemire's multiply-shift: no modulo bias worth speaking of, no division. */
  return (guint) (((bench_rand_next (rand) >> 32) * (guint64) n) >> 32);
}

double
bench_rand_double (BenchRand *rand)
{
  return (bench_rand_next (rand) >> 11) * (1.0 / 9007199254740992.0);
}

/* Lines */

BenchLines *
bench_lines_new (void)
{
  BenchLines *lines = g_new0 (BenchLines, 1);
  gsize zero = 0;

  lines->buffer = g_string_sized_new (1024 * 1024);
  lines->offsets = g_array_new (FALSE, FALSE, sizeof (gsize));
  g_array_append_val (lines->offsets, zero);
  return lines;
}

void
bench_lines_free (BenchLines *lines)
{
  if (lines == NULL)
    return;
  g_string_free (lines->buffer, TRUE);
  g_array_unref (lines->offsets);
  g_free (lines);
}

guint
bench_lines_get_n (BenchLines *lines)
{
  return lines->offsets->len - 1;
}

const char *
bench_lines_get (BenchLines *lines,
                 guint       i,
                 gsize      *length)
{
  gsize start = g_array_index (lines->offsets, gsize, i);
  gsize end = g_array_index (lines->offsets, gsize, i + 1);

  /* Each line is stored with its '\n' so --emit writes the buffer as is;
   * the parsers see the line without it. */
  *length = end - start - 1;
  return lines->buffer->str + start;
}

void
bench_lines_end_line (BenchLines *lines)
{
  g_string_append_c (lines->buffer, '\n');
  g_array_append_val (lines->offsets, lines->buffer->len);
}

gboolean
bench_lines_write_file (BenchLines  *lines,
                        const char  *path,
                        GError     **error)
{
  return g_file_set_contents (path, lines->buffer->str, lines->buffer->len, error);
}

const char *
bench_kind_to_string (BenchKind kind)
{
  static const char *names[BENCH_N_KINDS] = {
    "conversation-added", "message-added", "message-updated", "message-removed",
    "conversation-updated", "conversation-removed",
  };

  return names[kind];
}

const char *
bench_op_to_string (BenchOp op)
{
  static const char *names[BENCH_N_OPS] = { "append", "update", "remove", "insert-middle" };

  return names[op];
}

/* Content */

static const char *const words[] = {
  "the", "a", "and", "to", "of", "in", "is", "it", "that", "for", "on", "with", "this",
  "we", "you", "can", "be", "not", "have", "are", "will", "just", "so", "but", "if",
  "meeting", "tomorrow", "deploy", "build", "release", "branch", "review", "ticket",
  "server", "client", "thread", "message", "sidebar", "update", "fixed", "broken",
  "please", "thanks", "sure", "maybe", "later", "today", "morning", "lunch", "coffee",
  "schedule", "customer", "invoice", "draft", "design", "layout", "screenshot", "bug",
  "think", "should", "could", "would", "looks", "good", "great", "weird", "again",
  "latency", "memory", "benchmark", "numbers", "chart", "question", "answer", "idea",
  "Monday", "Friday", "week", "minutes", "hours", "soon", "done", "almost", "ready",
};

/* Rare tokens that exercise the escape and UTF-8 paths of every parser. */
static const char *const specials[] = {
  "café", "naïve", "—", "😀", "\"quoted\"", "line\nbreak", "tab\there", "Grüße", "日本語",
};

static const char *const names[] = {
  "Ada", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances", "Alan",
  "Radia", "Edsger", "Hedy", "Donald", "Katherine", "John", "Sophie", "Guido", "Anita",
  "Niklaus", "Joan",
};

#define N_USERS 40

/* Appends a JSON string of about @min..@max bytes of text and returns the
 * number of text bytes (as stored, after unescaping). */
static guint64
write_text (GString   *out,
            BenchRand *rand,
            guint      min,
            guint      max)
{
  g_autoptr(GString) text = g_string_sized_new (max + 16);
  guint target = min + bench_rand_below (rand, max - min + 1);
  gboolean capital = TRUE;

  while (text->len < target)
    {
      const char *word;

      if (text->len > 0)
        g_string_append_c (text, ' ');
      word = bench_rand_below (rand, 40) == 0
               ? specials[bench_rand_below (rand, G_N_ELEMENTS (specials))]
               : words[bench_rand_below (rand, G_N_ELEMENTS (words))];
      if (capital && g_ascii_islower (word[0]))
        {
          g_string_append_c (text, g_ascii_toupper (word[0]));
          g_string_append (text, word + 1);
        }
      else
        g_string_append (text, word);
      capital = FALSE;
      if (bench_rand_below (rand, 9) == 0)
        {
          g_string_append_c (text, ",.?!"[bench_rand_below (rand, 4)]);
          capital = text->str[text->len - 1] != ',';
        }
    }
  /* Words overshoot the target by a few bytes; cut back within @max on a
   * character boundary so the text stays valid UTF-8. */
  if (text->len > max)
    {
      const char *end = g_utf8_find_prev_char (text->str, text->str + max + 1);

      g_string_truncate (text, end - text->str);
    }

  tl_json_write_string (out, text->str);
  return text->len;
}

static void
write_timestamp (GString *out,
                 gint64   ms)
{
  /* Civil from days (H. Hinnant): exact for any date after 1970, and far
   * cheaper than a GDateTime per line. */
  gint64 days = ms / 86400000;
  guint rem = (guint) (ms % 86400000);
  gint64 z = days + 719468;
  gint64 era = z / 146097;
  guint doe = (guint) (z - era * 146097);
  guint yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  guint doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  guint mp = (5 * doy + 2) / 153;
  guint day = doy - (153 * mp + 2) / 5 + 1;
  guint month = mp < 10 ? mp + 3 : mp - 9;
  gint64 year = yoe + era * 400 + (month <= 2);

  g_string_append_printf (out, "\"%04" G_GINT64_FORMAT "-%02u-%02uT%02u:%02u:%02u.%03uZ\"",
                          year, month, day, rem / 3600000, rem / 60000 % 60, rem / 1000 % 60,
                          rem % 1000);
}

static void
write_user (GString *out,
            guint    user)
{
  g_string_append_printf (out, "{\"id\":\"u-%u\",\"displayName\":\"%s %c.\"}", user,
                          names[user % G_N_ELEMENTS (names)], 'A' + user % 26);
}

static void
write_me (GString *out)
{
  g_string_append (out, "{\"id\":\"u-me\",\"displayName\":\"Me\"}");
}

static void
write_assistant (GString *out)
{
  g_string_append (out, "{\"id\":\"assistant\",\"displayName\":\"Assistant\","
                   "\"role\":\"assistant\"}");
}

/* @author: a user number, or G_MAXUINT for the local user, G_MAXUINT - 1 for
 * the assistant. */
#define AUTHOR_ME        G_MAXUINT
#define AUTHOR_ASSISTANT (G_MAXUINT - 1)

static guint64
write_parts (GString   *out,
             BenchRand *rand,
             gboolean   assistant)
{
  guint64 text = 0;

  g_string_append_c (out, '[');
  if (assistant && bench_rand_below (rand, 5) == 0)
    {
      g_string_append (out, "{\"type\":\"reasoning\",\"text\":");
      text += write_text (out, rand, 20, 200);
      g_string_append (out, ",\"state\":\"done\"},");
    }
  g_string_append (out, "{\"type\":\"text\",\"text\":");
  text += write_text (out, rand, 20, 200);
  g_string_append (out, assistant ? ",\"state\":\"done\"}" : "}");
  if (bench_rand_below (rand, 33) == 0)
    g_string_append_printf (out, ",{\"type\":\"file\",\"mediaType\":\"image/png\","
                            "\"url\":\"https://files.example.org/%08x.png\"}",
                            (guint) bench_rand_next (rand));
  g_string_append_c (out, ']');
  return text;
}

static guint64
write_message_added (GString    *out,
                     BenchRand  *rand,
                     gint64      seq,
                     guint       id,
                     const char *conversation_id,
                     guint       author,
                     gint64      created_ms)
{
  gboolean assistant = author == AUTHOR_ASSISTANT;
  guint64 text;

  g_string_append_printf (out, "{\"type\":\"message-added\",\"seq\":%" G_GINT64_FORMAT ","
                          "\"message\":{\"id\":\"msg-%u\",\"conversationId\":\"%s\","
                          "\"role\":\"%s\",\"parts\":",
                          seq, id, conversation_id, assistant ? "assistant" : "user");
  text = write_parts (out, rand, assistant);
  g_string_append (out, ",\"status\":\"sent\",\"createdAt\":");
  write_timestamp (out, created_ms);
  g_string_append (out, ",\"author\":");
  if (assistant)
    write_assistant (out);
  else if (author == AUTHOR_ME)
    write_me (out);
  else
    write_user (out, author);
  /* Some clients tag their messages; metadata is stored per message. */
  if (bench_rand_below (rand, 20) == 0)
    g_string_append (out, ",\"metadata\":{\"client\":\"web\"}");
  g_string_append (out, "}}");
  return text;
}

/* An edit (new parts, editedAt) or a status change (delivered → read), the
 * two updates a chat backend sends most. */
static void
write_message_updated (GString    *out,
                       BenchRand  *rand,
                       gint64      seq,
                       guint       id,
                       const char *conversation_id,
                       gint64      now_ms)
{
  g_string_append_printf (out, "{\"type\":\"message-updated\",\"seq\":%" G_GINT64_FORMAT ","
                          "\"message\":{\"id\":\"msg-%u\",\"conversationId\":\"%s\",",
                          seq, id, conversation_id);
  if (bench_rand_below (rand, 2) == 0)
    {
      g_string_append (out, "\"parts\":[{\"type\":\"text\",\"text\":");
      write_text (out, rand, 20, 200);
      g_string_append (out, "}],\"editedAt\":");
      write_timestamp (out, now_ms);
    }
  else
    g_string_append (out, "\"status\":\"read\"");
  g_string_append (out, ",\"updatedAt\":");
  write_timestamp (out, now_ms);
  g_string_append (out, "}}");
}

static void
write_message_removed (GString    *out,
                       gint64      seq,
                       guint       id,
                       const char *conversation_id)
{
  g_string_append_printf (out, "{\"type\":\"message-removed\",\"seq\":%" G_GINT64_FORMAT ","
                          "\"messageId\":\"msg-%u\",\"conversationId\":\"%s\"}",
                          seq, id, conversation_id);
}

/* The mixed stream */

typedef struct
{
  char     id[16];
  gboolean alive;
  gboolean assistant;
  double   weight;          /* how busy this conversation is */
  guint    users[3];
  guint    n_users;
} Conversation;

typedef struct
{
  guint id;
  guint conversation;
} LiveMessage;

static void
write_conversation_added (GString            *out,
                          BenchRand          *rand,
                          gint64              seq,
                          const Conversation *conversation)
{
  g_string_append_printf (out, "{\"type\":\"conversation-added\",\"seq\":%" G_GINT64_FORMAT ","
                          "\"conversation\":{\"id\":\"%s\",\"title\":",
                          seq, conversation->id);
  write_text (out, rand, 8, 30);
  g_string_append (out, ",\"participants\":[");
  write_me (out);
  for (guint i = 0; i < conversation->n_users; i++)
    {
      g_string_append_c (out, ',');
      write_user (out, conversation->users[i]);
    }
  if (conversation->assistant)
    {
      g_string_append_c (out, ',');
      write_assistant (out);
    }
  g_string_append (out, "],\"unreadCount\":0,\"readState\":\"read\"}}");
}

static void
write_conversation_updated (GString            *out,
                            BenchRand          *rand,
                            gint64              seq,
                            const Conversation *conversation)
{
  guint unread = bench_rand_below (rand, 4) == 0 ? 0 : 1 + bench_rand_below (rand, 20);

  /* No lastMessageAt: the sidebar key then follows the newest message, so
   * every message-added may move its conversation, the dearer path. */
  g_string_append_printf (out, "{\"type\":\"conversation-updated\",\"seq\":%" G_GINT64_FORMAT ","
                          "\"conversation\":{\"id\":\"%s\",\"subtitle\":",
                          seq, conversation->id);
  write_text (out, rand, 20, 60);
  if (bench_rand_below (rand, 10) < 3)
    {
      g_string_append (out, ",\"title\":");
      write_text (out, rand, 8, 30);
    }
  g_string_append_printf (out, ",\"unreadCount\":%u,\"readState\":\"%s\"}}",
                          unread, unread > 0 ? "unread" : "read");
}

static void
write_conversation_removed (GString            *out,
                            gint64              seq,
                            const Conversation *conversation)
{
  g_string_append_printf (out, "{\"type\":\"conversation-removed\",\"seq\":%" G_GINT64_FORMAT ","
                          "\"conversationId\":\"%s\"}",
                          seq, conversation->id);
}

/* A live message to update or remove: mostly a recent one (status changes
 * and edits follow sending closely), sometimes any. Messages of removed
 * conversations are dropped from the pool as they are met. */
static gboolean
pick_message (GArray             *pool,
              const Conversation *conversations,
              BenchRand          *rand,
              guint              *out_index)
{
  while (pool->len > 0)
    {
      guint n = pool->len;
      guint i = bench_rand_below (rand, 10) < 6
                  ? n - 1 - bench_rand_below (rand, MIN (n, 64))
                  : bench_rand_below (rand, n);

      if (conversations[g_array_index (pool, LiveMessage, i).conversation].alive)
        {
          *out_index = i;
          return TRUE;
        }
      g_array_remove_index_fast (pool, i);
    }
  return FALSE;
}

/* Conversations come in bursts (a reply follows a message), otherwise by
 * how busy each one is. */
static guint
pick_conversation (const Conversation *conversations,
                   guint               n_created,
                   guint               previous,
                   BenchRand          *rand)
{
  double total = 0, r;

  if (previous < n_created && conversations[previous].alive && bench_rand_below (rand, 10) < 6)
    return previous;

  for (guint i = 0; i < n_created; i++)
    if (conversations[i].alive)
      total += conversations[i].weight;
  r = bench_rand_double (rand) * total;
  for (guint i = 0; i < n_created; i++)
    {
      if (!conversations[i].alive)
        continue;
      if (r < conversations[i].weight)
        return i;
      r -= conversations[i].weight;
    }
  /* Rounding left r past the end: the last live one. */
  for (guint i = n_created; i > 0; i--)
    if (conversations[i - 1].alive)
      return i - 1;
  g_assert_not_reached ();
}

/* Heavy-tailed, 1 to 20: a few busy conversations, many quiet ones. */
static double
busy_weight (BenchRand *rand)
{
  double u = bench_rand_double (rand);

  return 1.0 + 19.0 * u * u * u;
}

static guint
message_author (const Conversation *conversation,
                BenchRand          *rand)
{
  if (conversation->assistant)
    return bench_rand_below (rand, 2) ? AUTHOR_ASSISTANT : AUTHOR_ME;
  if (bench_rand_below (rand, 10) < 3)
    return AUTHOR_ME;
  return conversation->users[bench_rand_below (rand, conversation->n_users)];
}

BenchStream *
bench_stream_generate (const BenchStreamConfig *config)
{
  g_autoptr(BenchStream) stream = g_new0 (BenchStream, 1);
  g_autofree Conversation *conversations = g_new0 (Conversation, MAX (config->conversations, 1));
  g_autoptr(GArray) pool = g_array_new (FALSE, FALSE, sizeof (LiveMessage));
  guint remaining[BENCH_N_KINDS] = {
    [BENCH_KIND_CONVERSATION_ADDED] = config->conversations,
    [BENCH_KIND_MESSAGE_ADDED] = config->messages,
    [BENCH_KIND_MESSAGE_UPDATED] = config->updates,
    [BENCH_KIND_MESSAGE_REMOVED] = config->removes,
    [BENCH_KIND_CONVERSATION_UPDATED] = config->conversation_updates,
    [BENCH_KIND_CONVERSATION_REMOVED] = config->conversation_removes,
  };
  guint total = 0;
  guint n_created = 0, n_alive = 0, next_message = 0, previous = G_MAXUINT;
  gint64 seq = 0, now_ms = BASE_MS;
  BenchRand rand;
  GString *out;

  bench_rand_init (&rand, config->seed);
  stream->lines = bench_lines_new ();
  out = stream->lines->buffer;
  for (guint k = 0; k < BENCH_N_KINDS; k++)
    total += remaining[k];

  while (total > 0)
    {
      guint weights[BENCH_N_KINDS] = { 0 };
      guint sum = 0, r, index = 0;
      BenchKind kind;

      /* Each kind in proportion to what is left of it, so every kind is
       * spread over the whole stream; a kind waits while it has no target
       * (no messages to update yet), and no conversation is removed in the
       * first 5 % of the stream. */
      weights[BENCH_KIND_CONVERSATION_ADDED] = remaining[BENCH_KIND_CONVERSATION_ADDED];
      if (n_alive > 0)
        {
          weights[BENCH_KIND_MESSAGE_ADDED] = remaining[BENCH_KIND_MESSAGE_ADDED];
          weights[BENCH_KIND_CONVERSATION_UPDATED] = remaining[BENCH_KIND_CONVERSATION_UPDATED];
        }
      if (pool->len > 0)
        {
          weights[BENCH_KIND_MESSAGE_UPDATED] = remaining[BENCH_KIND_MESSAGE_UPDATED];
          weights[BENCH_KIND_MESSAGE_REMOVED] = remaining[BENCH_KIND_MESSAGE_REMOVED];
        }
      if (n_alive > 1 && (guint64) seq * 20 > (guint64) (seq + total))
        weights[BENCH_KIND_CONVERSATION_REMOVED] = remaining[BENCH_KIND_CONVERSATION_REMOVED];
      if (seq == 0 && remaining[BENCH_KIND_CONVERSATION_ADDED] > 0)
        weights[BENCH_KIND_MESSAGE_ADDED] = 0;

      for (guint k = 0; k < BENCH_N_KINDS; k++)
        sum += weights[k];
      if (sum == 0)
        {
          /* Only updates or removals are left and nothing is there to
           * target (tiny or odd counts): stop, the counts say what ran. */
          break;
        }
      r = bench_rand_below (&rand, sum);
      for (kind = 0; r >= weights[kind]; kind++)
        r -= weights[kind];

      if ((kind == BENCH_KIND_MESSAGE_UPDATED || kind == BENCH_KIND_MESSAGE_REMOVED) &&
          !pick_message (pool, conversations, &rand, &index))
        continue;

      now_ms += 1 + bench_rand_below (&rand, 3000);
      seq++;

      switch (kind)
        {
        case BENCH_KIND_CONVERSATION_ADDED:
          {
            Conversation *c = &conversations[n_created++];

            g_snprintf (c->id, sizeof c->id, "conv-%u", n_created - 1);
            c->alive = TRUE;
            c->assistant = bench_rand_below (&rand, 10) < 3;
            c->weight = busy_weight (&rand);
            c->n_users = c->assistant ? 0 : 1 + bench_rand_below (&rand, 3);
            for (guint i = 0; i < c->n_users; i++)
              c->users[i] = bench_rand_below (&rand, N_USERS);
            n_alive++;
            write_conversation_added (out, &rand, seq, c);
          }
          break;

        case BENCH_KIND_MESSAGE_ADDED:
          {
            guint ci = pick_conversation (conversations, n_created, previous, &rand);
            LiveMessage live = { next_message++, ci };

            write_message_added (out, &rand, seq, live.id, conversations[ci].id,
                                 message_author (&conversations[ci], &rand), now_ms);
            g_array_append_val (pool, live);
            previous = ci;
          }
          break;

        case BENCH_KIND_MESSAGE_UPDATED:
          {
            LiveMessage *live = &g_array_index (pool, LiveMessage, index);

            write_message_updated (out, &rand, seq, live->id,
                                   conversations[live->conversation].id, now_ms);
          }
          break;

        case BENCH_KIND_MESSAGE_REMOVED:
          {
            LiveMessage *live = &g_array_index (pool, LiveMessage, index);

            write_message_removed (out, seq, live->id, conversations[live->conversation].id);
            g_array_remove_index_fast (pool, index);
          }
          break;

        case BENCH_KIND_CONVERSATION_UPDATED:
          write_conversation_updated (out, &rand, seq,
                                      &conversations[pick_conversation (conversations, n_created,
                                                                        G_MAXUINT, &rand)]);
          break;

        case BENCH_KIND_CONVERSATION_REMOVED:
          {
            /* Any live conversation, not by weight: busy ones are rarely
             * deleted, but a uniform pick is the plainer assumption. */
            guint nth = bench_rand_below (&rand, n_alive);
            guint ci = 0;

            for (ci = 0; ci < n_created; ci++)
              if (conversations[ci].alive && nth-- == 0)
                break;
            g_assert (ci < n_created);
            write_conversation_removed (out, seq, &conversations[ci]);
            conversations[ci].alive = FALSE;
            n_alive--;
          }
          break;

        case BENCH_N_KINDS:
        default:
          g_assert_not_reached ();
        }

      bench_lines_end_line (stream->lines);
      stream->counts[kind]++;
      remaining[kind]--;
      total--;
    }

  stream->live_conversations = n_alive;
  for (guint i = 0; i < pool->len; i++)
    stream->live_messages +=
      conversations[g_array_index (pool, LiveMessage, i).conversation].alive;

  return g_steal_pointer (&stream);
}

void
bench_stream_free (BenchStream *stream)
{
  if (stream == NULL)
    return;
  bench_lines_free (stream->lines);
  g_free (stream);
}

/* One big thread */

#define THREAD_USERS 8

void
bench_thread_init (BenchThread *thread,
                   guint        size,
                   guint64      seed)
{
  bench_rand_init (&thread->rand, seed);
  thread->size = size;
  thread->text_bytes = 0;
}

static guint
thread_author (BenchRand *rand)
{
  guint pick = bench_rand_below (rand, THREAD_USERS + 1);

  return pick == THREAD_USERS ? AUTHOR_ME : pick;
}

void
bench_thread_write_line (BenchThread *thread,
                         guint        i,
                         GString     *out)
{
  g_return_if_fail (i <= thread->size);

  if (i == 0)
    {
      g_string_append (out, "{\"type\":\"conversation-added\",\"seq\":1,\"conversation\":"
                       "{\"id\":\"" BENCH_THREAD_CONVERSATION_ID "\",\"title\":\"Big room\","
                       "\"participants\":[");
      write_me (out);
      for (guint u = 0; u < THREAD_USERS; u++)
        {
          g_string_append_c (out, ',');
          write_user (out, u);
        }
      g_string_append (out, "],\"unreadCount\":0}}");
      return;
    }

  thread->text_bytes += write_message_added (out, &thread->rand, (gint64) i + 1, i - 1,
                                             BENCH_THREAD_CONVERSATION_ID,
                                             thread_author (&thread->rand),
                                             BASE_MS + (gint64) (i - 1) * 1000);
}

BenchLines *
bench_thread_mix (guint    size,
                  guint    n,
                  guint64  seed,
                  GArray  *out_ops)
{
  g_autoptr(BenchLines) lines = bench_lines_new ();
  g_autoptr(GArray) live = g_array_sized_new (FALSE, FALSE, sizeof (guint), size + n);
  g_autoptr(GArray) ops = g_array_sized_new (FALSE, FALSE, sizeof (guint8), n);
  guint next_id = size, appended = 0;
  gint64 seq = (gint64) size + 2;
  BenchRand rand;

  g_return_val_if_fail (size > 0, NULL);

  bench_rand_init (&rand, seed ^ ((guint64) size * G_GUINT64_CONSTANT (0x2545f4914f6cdd1d)));
  for (guint i = 0; i < size; i++)
    g_array_append_val (live, i);

  /* An equal share of each op, shuffled (Fisher–Yates). */
  for (guint i = 0; i < n; i++)
    {
      guint8 op = i % BENCH_N_OPS;

      g_array_append_val (ops, op);
    }
  for (guint i = n; i > 1; i--)
    {
      guint j = bench_rand_below (&rand, i);
      guint8 tmp = g_array_index (ops, guint8, i - 1);

      g_array_index (ops, guint8, i - 1) = g_array_index (ops, guint8, j);
      g_array_index (ops, guint8, j) = tmp;
    }

  for (guint i = 0; i < n; i++, seq++)
    {
      BenchOp op = g_array_index (ops, guint8, i);
      gint64 now_ms = BASE_MS + (gint64) (size + appended) * 1000;

      /* Never let removals empty the thread (only possible for tiny sizes). */
      if (live->len == 0 && (op == BENCH_OP_UPDATE || op == BENCH_OP_REMOVE))
        op = g_array_index (ops, guint8, i) = BENCH_OP_APPEND;

      switch (op)
        {
        case BENCH_OP_APPEND:
          write_message_added (lines->buffer, &rand, seq, next_id, BENCH_THREAD_CONVERSATION_ID,
                               thread_author (&rand), now_ms);
          g_array_append_val (live, next_id);
          next_id++;
          appended++;
          break;

        case BENCH_OP_INSERT:
          /* Between two existing seconds, so it lands strictly inside. */
          write_message_added (lines->buffer, &rand, seq, next_id, BENCH_THREAD_CONVERSATION_ID,
                               thread_author (&rand),
                               BASE_MS + (gint64) bench_rand_below (&rand, size) * 1000 +
                               1 + bench_rand_below (&rand, 998));
          g_array_append_val (live, next_id);
          next_id++;
          break;

        case BENCH_OP_UPDATE:
          write_message_updated (lines->buffer, &rand, seq,
                                 g_array_index (live, guint, bench_rand_below (&rand, live->len)),
                                 BENCH_THREAD_CONVERSATION_ID, now_ms);
          break;

        case BENCH_OP_REMOVE:
          {
            guint at = bench_rand_below (&rand, live->len);

            write_message_removed (lines->buffer, seq, g_array_index (live, guint, at),
                                   BENCH_THREAD_CONVERSATION_ID);
            g_array_remove_index_fast (live, at);
          }
          break;

        case BENCH_N_OPS:
        default:
          g_assert_not_reached ();
        }
      bench_lines_end_line (lines);
    }

  if (out_ops != NULL)
    g_array_append_vals (out_ops, ops->data, ops->len);
  return g_steal_pointer (&lines);
}
