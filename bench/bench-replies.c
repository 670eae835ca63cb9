/* bench-replies.c — streamed assistant replies, many at once
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * 100 replies stream 10,000 text deltas each, interleaved with 10,000
 * collection events, through the real parse + apply path. Reported beside
 * json-glib parsing the same lines alone, and beside the naive way to grow a
 * text (a new string per delta, as an immutable-state client does), so the
 * ratio shows whether a delta costs O(delta) or O(text so far).
 *
 * Usage: bench-replies [--streams N] [--deltas N] [--events N] [--json]
 */
#include "bench-stream.h"
#include "tl-json.h"
#include "tl-store.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#define DELTA "0123456789"   /* 10 bytes: a 10,000-delta reply is 100 KB */
#define N_BUCKETS 5

typedef struct
{
  guint    streams;
  guint    deltas;
  guint    events;
  gboolean json;
} Options;

typedef struct
{
  BenchLines *lines;
  GArray     *delta_index;   /* guint per line: which delta of its reply, or G_MAXUINT */
} Workload;

static double
now_seconds (void)
{
  return g_get_monotonic_time () / (double) G_USEC_PER_SEC;
}

static void
workload_clear (Workload *w)
{
  g_clear_pointer (&w->lines, bench_lines_free);
  g_clear_pointer (&w->delta_index, g_array_unref);
}

/* One start chunk per reply, then round-robin deltas; a collection event
 * every (streams * deltas / events) chunks. Deterministic. */
static void
build_workload (const Options *o,
                Workload      *w)
{
  BenchRand rand;
  guint total = o->streams * o->deltas;
  guint every = o->events > 0 ? MAX (1, total / o->events) : G_MAXUINT;
  guint emitted_events = 0;
  guint next_message = 0;
  gint64 seq = 0;

  bench_rand_init (&rand, 42);
  w->lines = bench_lines_new ();
  w->delta_index = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint s = 0; s < o->streams; s++)
    {
      guint none = G_MAXUINT;

      g_string_append_printf (w->lines->buffer,
                              "{\"type\":\"stream-chunk\",\"conversationId\":\"c-%u\",\"messageId\":\"r-%u\","
                              "\"sequence\":1,\"chunk\":{\"type\":\"text-start\",\"id\":\"t\"}}",
                              s % 20, s);
      bench_lines_end_line (w->lines);
      g_array_append_val (w->delta_index, none);
    }

  for (guint i = 0; i < total; i++)
    {
      guint s = i % o->streams;
      guint d = i / o->streams;

      g_string_append_printf (w->lines->buffer,
                              "{\"type\":\"stream-chunk\",\"conversationId\":\"c-%u\",\"messageId\":\"r-%u\","
                              "\"sequence\":%u,\"chunk\":{\"type\":\"text-delta\",\"id\":\"t\",\"delta\":\"" DELTA "\"}}",
                              s % 20, s, d + 2);
      bench_lines_end_line (w->lines);
      g_array_append_val (w->delta_index, d);

      if (i % every == every - 1 && emitted_events < o->events)
        {
          guint none = G_MAXUINT;
          guint kind = bench_rand_below (&rand, 10);

          seq++;
          if (kind < 6 || next_message < 10)
            g_string_append_printf (w->lines->buffer,
                                    "{\"type\":\"message-added\",\"seq\":%" G_GINT64_FORMAT ",\"message\":{\"id\":\"m-%u\","
                                    "\"conversationId\":\"c-%u\",\"role\":\"user\",\"parts\":[{\"type\":\"text\","
                                    "\"text\":\"meanwhile\"}],\"createdAt\":\"2026-12-03T10:%02u:%02u.%03uZ\"}}",
                                    seq, next_message, bench_rand_below (&rand, 20),
                                    (next_message / 60000) % 60, (next_message / 1000) % 60,
                                    next_message % 1000),
            next_message++;
          else if (kind < 9)
            g_string_append_printf (w->lines->buffer,
                                    "{\"type\":\"message-updated\",\"seq\":%" G_GINT64_FORMAT ",\"message\":{\"id\":\"m-%u\","
                                    "\"status\":\"read\"}}", seq, bench_rand_below (&rand, next_message));
          else
            g_string_append_printf (w->lines->buffer,
                                    "{\"type\":\"conversation-updated\",\"seq\":%" G_GINT64_FORMAT ",\"conversation\":"
                                    "{\"id\":\"c-%u\",\"title\":\"Room %u\"}}",
                                    seq, bench_rand_below (&rand, 20), emitted_events);
          bench_lines_end_line (w->lines);
          g_array_append_val (w->delta_index, none);
          emitted_events++;
        }
    }
}

static double
run_parse_only (Workload *w)
{
  guint n = bench_lines_get_n (w->lines);
  double start = now_seconds ();

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      gsize length;
      const char *line = bench_lines_get (w->lines, i, &length);

      if (!json_parser_load_from_data (parser, line, (gssize) length, NULL))
        g_error ("line %u does not parse", i);
    }
  return now_seconds () - start;
}

/* Parse + apply through the real path; @bucket_ns gets the mean cost of the
 * deltas in each fifth of the reply length. */
static double
run_threadline (Workload *w,
                const Options *o,
                double   *bucket_ns)
{
  g_autoptr(TlStore) store = tl_store_new ();
  guint n = bench_lines_get_n (w->lines);
  double bucket_time[N_BUCKETS] = { 0 };
  guint bucket_count[N_BUCKETS] = { 0 };
  double start = now_seconds ();

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(JsonNode) root = NULL;
      gsize length;
      const char *line = bench_lines_get (w->lines, i, &length);
      guint d = g_array_index (w->delta_index, guint, i);
      gint64 t0 = d != G_MAXUINT ? g_get_monotonic_time () : 0;

      root = tl_json_decode_frame (line, length, NULL);
      if (tl_store_apply_node (store, root, 0, NULL) != TL_APPLY_APPLIED)
        g_error ("line %u did not apply", i);
      if (d != G_MAXUINT)
        {
          guint b = d * N_BUCKETS / o->deltas;

          bucket_time[b] += (double) (g_get_monotonic_time () - t0);
          bucket_count[b]++;
        }
    }

  for (guint b = 0; b < N_BUCKETS; b++)
    bucket_ns[b] = bucket_count[b] ? bucket_time[b] * 1000.0 / bucket_count[b] : 0;
  return now_seconds () - start;
}

/* The naive growth: every delta builds a new string of the whole text. Only
 * the string work is timed, no JSON, so this is a lower bound on that design. */
static double
run_naive_concat (const Options *o,
                  double        *bucket_ns)
{
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  double bucket_time[N_BUCKETS] = { 0 };
  double start = now_seconds ();

  for (guint s = 0; s < o->streams; s++)
    g_ptr_array_add (texts, g_strdup (""));

  for (guint d = 0; d < o->deltas; d++)
    {
      gint64 t0 = g_get_monotonic_time ();

      for (guint s = 0; s < o->streams; s++)
        {
          char *grown = g_strconcat (texts->pdata[s], DELTA, NULL);

          g_free (texts->pdata[s]);
          texts->pdata[s] = grown;
        }
      bucket_time[d * N_BUCKETS / o->deltas] += (double) (g_get_monotonic_time () - t0);
    }

  for (guint b = 0; b < N_BUCKETS; b++)
    bucket_ns[b] = bucket_time[b] * 1000.0 / ((double) o->streams * o->deltas / N_BUCKETS);
  return now_seconds () - start;
}

static gboolean
parse_options (int      argc,
               char   **argv,
               Options *o)
{
  for (int i = 1; i < argc; i++)
    {
      guint *target = NULL;

      if (strcmp (argv[i], "--json") == 0)
        {
          o->json = TRUE;
          continue;
        }
      if (strcmp (argv[i], "--streams") == 0)
        target = &o->streams;
      else if (strcmp (argv[i], "--deltas") == 0)
        target = &o->deltas;
      else if (strcmp (argv[i], "--events") == 0)
        target = &o->events;
      if (target == NULL || i + 1 >= argc)
        {
          g_printerr ("Usage: bench-replies [--streams N] [--deltas N] [--events N] [--json]\n");
          return FALSE;
        }
      *target = (guint) g_ascii_strtoull (argv[++i], NULL, 10);
    }
  return o->streams > 0 && o->deltas >= N_BUCKETS;
}

int
main (int    argc,
      char **argv)
{
  Options o = { 100, 10000, 10000, FALSE };
  Workload w = { NULL, NULL };
  double ours[N_BUCKETS], naive[N_BUCKETS];
  double parse_s, ours_s, naive_s;
  guint n_deltas, n_lines;

  setlocale (LC_ALL, "");
  if (!parse_options (argc, argv, &o))
    return 2;

  build_workload (&o, &w);
  n_lines = bench_lines_get_n (w.lines);
  n_deltas = o.streams * o.deltas;

  parse_s = run_parse_only (&w);
  ours_s = run_threadline (&w, &o, ours);
  naive_s = run_naive_concat (&o, naive);

  if (o.json)
    {
      g_print ("{\"streams\":%u,\"deltasPerStream\":%u,\"collectionEvents\":%u,\"lines\":%u,"
               "\"jsonGlibParseLinesPerSecond\":%.0f,\"parseApplyLinesPerSecond\":%.0f,"
               "\"parseApplyDeltasPerSecond\":%.0f,\"ratioToParseAlone\":%.3f,"
               "\"perDeltaNsByFifth\":[%.0f,%.0f,%.0f,%.0f,%.0f],"
               "\"naiveConcatNsByFifth\":[%.0f,%.0f,%.0f,%.0f,%.0f],\"naiveConcatSeconds\":%.3f}\n",
               o.streams, o.deltas, o.events, n_lines,
               n_lines / parse_s, n_lines / ours_s, n_deltas / ours_s, parse_s / ours_s,
               ours[0], ours[1], ours[2], ours[3], ours[4],
               naive[0], naive[1], naive[2], naive[3], naive[4], naive_s);
    }
  else
    {
      g_print ("Streamed replies: %u streams × %u deltas of %d bytes, %u collection events, %u lines\n\n",
               o.streams, o.deltas, (int) strlen (DELTA), o.events, n_lines);
      g_print ("  json-glib parse alone (baseline)   %10.0f lines/s\n", n_lines / parse_s);
      g_print ("  Threadline parse + apply           %10.0f lines/s  (%.0f%% of parse alone)\n",
               n_lines / ours_s, 100.0 * parse_s / ours_s);
      g_print ("                                     %10.0f deltas/s\n\n", n_deltas / ours_s);
      g_print ("  cost per delta by reply length (ns):\n");
      g_print ("  reply length       Threadline   naive concat (string work only)\n");
      for (guint b = 0; b < N_BUCKETS; b++)
        g_print ("  %5.0f–%5.0f KB   %10.0f   %10.0f\n",
                 b * o.deltas * 10.0 / N_BUCKETS / 1000, (b + 1) * o.deltas * 10.0 / N_BUCKETS / 1000,
                 ours[b], naive[b]);
      g_print ("\n  last fifth / first fifth: Threadline %.2f×, naive %.2f×\n",
               ours[N_BUCKETS - 1] / ours[0], naive[N_BUCKETS - 1] / naive[0]);
    }

  workload_clear (&w);
  return 0;
}
