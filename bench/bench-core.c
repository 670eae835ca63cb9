/* bench-core.c — how fast the core applies events, and what it holds
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Three measurements, each against a baseline taken in the same run so a
 * noisy machine moves both alike:
 *
 *  1. A deterministic mixed stream (docs/performance.md lists the counts):
 *     json-glib parsing alone, then the real path (tl_json_decode_frame +
 *     tl_store_apply_node), then apply alone on pre-parsed events, then a
 *     naive store (GListStore + linear find by id) on the same events.
 *  2. The cost of one live event in a thread of 1k … 1M messages, for the
 *     store and for the naive baseline: it must not grow with the thread.
 *  3. The memory a stored message costs beyond its text (RSS at 1M).
 *
 * The memory figure is taken first, before anything else has grown the heap:
 * glibc reuses freed memory, so measuring later would understate it.
 */
#define G_LOG_DOMAIN "threadline-bench"

#include <json-glib/json-glib.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench-naive.h"
#include "bench-stream.h"
#include "tl-conversation.h"
#include "tl-json.h"
#include "tl-store.h"

#define NS_PER_S 1e9

/* Options and results */

typedef struct
{
  int       conversations;
  int       messages;
  int       updates;
  int       removes;
  int       conversation_updates;
  int       conversation_removes;
  gint64    seed;
  char     *emit;
  gboolean  quick;
  gboolean  json;
  char     *sizes;
  int       naive_max;
  int       memory_messages;
  int       repeat;
  double    min_time;
  char     *only;
} Options;

typedef struct
{
  gboolean ran;
  guint    n_lines;
  gsize    n_bytes;
  guint    counts[BENCH_N_KINDS];
  guint    repeat;
  double   parse_rate;          /* (a) json-glib, one parser reused */
  double   parse_fresh_rate;    /* json-glib, a new parser per line */
  double   decode_rate;         /* tl_json_decode_frame alone */
  double   event_parse_rate;    /* tl_event_parse alone, on decoded trees */
  double   parse_apply_rate;    /* (b) */
  double   parse_apply_ratio;   /* (b) / (a), median over the repeats */
  double   ratio_min;
  double   ratio_max;
  double   apply_rate;          /* (c) */
  double   naive_rate;          /* (d) */
  double   apply_naive_ratio;   /* (c) / (d), median over the repeats */
} StreamResult;

typedef struct
{
  guint    size;
  gboolean ran;
  guint64  events;
  guint    rounds;
  double   ns_per_event;        /* median of the means of batches of events */
  double   ns_mean;             /* plain mean over every event */
  double   ns_per_op[BENCH_N_OPS];  /* median of single events of each kind */
  double   changes_per_event;   /* items-changed emissions per event (ours) */
} SizeResult;

typedef struct
{
  gboolean ran;
  guint    messages;
  gint64   rss_before;
  gint64   rss_after;
  gint64   heap_before;
  gint64   heap_after;
  guint64  text_bytes;
  double   build_s;
} MemoryResult;

/* Small helpers */

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static void progress (const char *format, ...) G_GNUC_PRINTF (1, 2);

/* Progress goes to stderr so stdout stays the report (or the JSON). */
static void
progress (const char *format,
          ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("bench-core: %s\n", message);
}

/* 1234567 → "1,234,567": figures this size are unreadable without groups. */
static char *
group (double value)
{
  g_autofree char *digits = g_strdup_printf ("%.0f", value);
  GString *out = g_string_new (NULL);
  gsize len = strlen (digits);
  gsize start = digits[0] == '-' ? 1 : 0;

  g_string_append_len (out, digits, start);
  for (gsize i = start; i < len; i++)
    {
      if (i > start && (len - i) % 3 == 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, digits[i]);
    }
  return g_string_free (out, FALSE);
}

static gint64
read_rss (void)
{
  g_autofree char *statm = NULL;
  unsigned long size = 0, resident = 0;

  if (!g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL) ||
      sscanf (statm, "%lu %lu", &size, &resident) != 2)
    return -1;
  return (gint64) resident * sysconf (_SC_PAGESIZE);
}

/* Bytes malloc has handed out and not had back: RSS without the page
 * granularity and without what glibc keeps cached. */
static gint64
heap_in_use (void)
{
  struct mallinfo2 info = mallinfo2 ();

  return (gint64) (info.uordblks + info.hblkhd);
}

static JsonNode *
decode_line (BenchLines *lines,
             guint       i)
{
  g_autoptr(GError) error = NULL;
  gsize length;
  const char *data = bench_lines_get (lines, i, &length);
  JsonNode *root = tl_json_decode_frame (data, length, &error);

  if (root == NULL)
    g_error ("line %u does not decode: %s", i + 1, error->message);
  return root;
}

/* A benchmark of a path that fails is no benchmark: stop loudly. */
static void
check_applied (TlApplyResult  result,
               const GError  *error,
               guint          line)
{
  if (result != TL_APPLY_APPLIED)
    g_error ("line %u did not apply (result %d): %s", line, result,
             error != NULL ? error->message : "no error");
}

static guint
count_messages (TlStore *store)
{
  GListModel *sidebar = tl_store_get_conversations (store);
  guint n = g_list_model_get_n_items (sidebar);
  guint total = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TlConversation) conversation = g_list_model_get_item (sidebar, i);

      total += g_list_model_get_n_items (tl_conversation_get_messages (conversation));
    }
  return total;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (double *values,
        guint   n)
{
  qsort (values, n, sizeof (double), compare_doubles);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/* 1. The mixed stream
 *
 * Every figure of this section is taken chunk by chunk over the same lines,
 * all measurements interleaved (a few milliseconds each, in an order that
 * rotates from chunk to chunk): on a shared machine a neighbour's load then
 * falls on all of them alike, and the ratios stay meaningful even when the
 * rates themselves move. The timed loops are functions of their own so a
 * profiler can be pointed at one (valgrind --tool=callgrind
 * --toggle-collect=apply_lines, or apply_events, apply_mix, …). */

typedef enum
{
  MEASURE_PARSE,         /* (a) */
  MEASURE_PARSE_FRESH,
  MEASURE_DECODE,
  MEASURE_PARSE_APPLY,   /* (b) */
  MEASURE_APPLY,         /* (c) */
  MEASURE_NAIVE,         /* (d) */
  MEASURE_EVENT_PARSE,   /* first in every chunk: (c) and (d) need its events */
  N_MEASURES
} Measure;

#define CHUNK_LINES 1024

typedef struct
{
  BenchLines      *lines;
  GPtrArray       *roots;      /* decoded trees, for tl_event_parse alone */
  GPtrArray       *events;     /* this pass's events, NULL until parsed */
  JsonParser      *parser;
  TlStore         *store_b;
  TlStore         *store_c;
  BenchNaiveStore *naive;
  gint64           ns[N_MEASURES];
} StreamRun;

static void
verify_store (TlStore           *store,
              const BenchStream *stream)
{
  guint n_conversations = g_list_model_get_n_items (tl_store_get_conversations (store));
  guint n_messages = count_messages (store);

  if (tl_store_get_seq (store) != bench_lines_get_n (stream->lines) ||
      n_conversations != stream->live_conversations || n_messages != stream->live_messages)
    g_error ("store ends with seq %" G_GINT64_FORMAT ", %u conversations, %u messages; "
             "expected %u, %u, %u", tl_store_get_seq (store), n_conversations, n_messages,
             bench_lines_get_n (stream->lines), stream->live_conversations,
             stream->live_messages);
}

static void
verify_naive (BenchNaiveStore   *naive,
              const BenchStream *stream)
{
  if (bench_naive_store_n_conversations (naive) != stream->live_conversations ||
      bench_naive_store_n_messages (naive) != stream->live_messages)
    g_error ("the naive store ends with %u conversations and %u messages; expected %u, %u",
             bench_naive_store_n_conversations (naive), bench_naive_store_n_messages (naive),
             stream->live_conversations, stream->live_messages);
}

/* (a): json-glib alone, one parser reused. */
static G_GNUC_NO_INLINE gint64
parse_lines (JsonParser *parser,
             BenchLines *lines,
             guint       begin,
             guint       end)
{
  gint64 start = now_ns ();

  for (guint i = begin; i < end; i++)
    {
      gsize length;
      const char *data = bench_lines_get (lines, i, &length);

      if (!json_parser_load_from_data (parser, data, (gssize) length, NULL))
        g_error ("line %u is not JSON", i + 1);
    }
  return now_ns () - start;
}

/* json-glib alone with a new parser per line, as tl_json_decode_frame does. */
static G_GNUC_NO_INLINE gint64
parse_lines_fresh (BenchLines *lines,
                   guint       begin,
                   guint       end)
{
  gint64 start = now_ns ();

  for (guint i = begin; i < end; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      gsize length;
      const char *data = bench_lines_get (lines, i, &length);

      if (!json_parser_load_from_data (parser, data, (gssize) length, NULL))
        g_error ("line %u is not JSON", i + 1);
    }
  return now_ns () - start;
}

static G_GNUC_NO_INLINE gint64
decode_lines (BenchLines *lines,
              guint       begin,
              guint       end)
{
  gint64 start = now_ns ();

  for (guint i = begin; i < end; i++)
    json_node_unref (decode_line (lines, i));
  return now_ns () - start;
}

/* (b): exactly what a live connection does with each frame. */
static G_GNUC_NO_INLINE gint64
apply_lines (TlStore    *store,
             BenchLines *lines,
             guint       begin,
             guint       end)
{
  gint64 start = now_ns ();

  for (guint i = begin; i < end; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) root = NULL;
      gsize length;
      const char *data = bench_lines_get (lines, i, &length);
      TlApplyResult result;

      root = tl_json_decode_frame (data, length, &error);
      if (root == NULL)
        g_error ("line %u does not decode: %s", i + 1, error->message);
      result = tl_store_apply_node (store, root, 0, &error);
      check_applied (result, error, i + 1);
    }
  return now_ns () - start;
}

static G_GNUC_NO_INLINE gint64
parse_events (GPtrArray *roots,
              GPtrArray *events,
              guint      begin,
              guint      end)
{
  gint64 start = now_ns ();

  for (guint i = begin; i < end; i++)
    {
      g_autoptr(GError) error = NULL;
      TlEvent *event = tl_event_parse (roots->pdata[i], NULL, &error);

      if (event == NULL)
        g_error ("line %u is not a valid event: %s", i + 1, error->message);
      g_clear_pointer (&events->pdata[i], tl_event_unref);
      events->pdata[i] = event;
    }
  return now_ns () - start;
}

/* (c): the store alone, on events parsed beforehand. */
static G_GNUC_NO_INLINE gint64
apply_events (TlStore   *store,
              GPtrArray *events,
              guint      begin,
              guint      end)
{
  gint64 start = now_ns ();

  for (guint i = begin; i < end; i++)
    {
      g_autoptr(GError) error = NULL;
      TlApplyResult result = tl_store_apply_event (store, events->pdata[i], 0, &error);

      check_applied (result, error, i + 1);
    }
  return now_ns () - start;
}

/* (d): the naive store on the same events. */
static G_GNUC_NO_INLINE gint64
apply_naive (BenchNaiveStore *naive,
             GPtrArray       *events,
             guint            begin,
             guint            end)
{
  gint64 start = now_ns ();

  for (guint i = begin; i < end; i++)
    bench_naive_store_apply (naive, events->pdata[i]);
  return now_ns () - start;
}

static void
free_event (gpointer event)
{
  if (event != NULL)
    tl_event_unref (event);
}

static void
stream_chunk (StreamRun *run,
              guint      begin,
              guint      end,
              guint      k)
{
  run->ns[MEASURE_EVENT_PARSE] += parse_events (run->roots, run->events, begin, end);

  for (guint j = 0; j < MEASURE_EVENT_PARSE; j++)
    {
      Measure m = (k + j) % MEASURE_EVENT_PARSE;

      switch (m)
        {
        case MEASURE_PARSE:
          run->ns[m] += parse_lines (run->parser, run->lines, begin, end);
          break;
        case MEASURE_PARSE_FRESH:
          run->ns[m] += parse_lines_fresh (run->lines, begin, end);
          break;
        case MEASURE_DECODE:
          run->ns[m] += decode_lines (run->lines, begin, end);
          break;
        case MEASURE_PARSE_APPLY:
          run->ns[m] += apply_lines (run->store_b, run->lines, begin, end);
          break;
        case MEASURE_APPLY:
          run->ns[m] += apply_events (run->store_c, run->events, begin, end);
          break;
        case MEASURE_NAIVE:
          run->ns[m] += apply_naive (run->naive, run->events, begin, end);
          break;
        case MEASURE_EVENT_PARSE:
        case N_MEASURES:
        default:
          g_assert_not_reached ();
        }
    }
}

/* One pass over the stream with fresh stores; the end states are checked
 * outside the timing: a wrong state would make every figure moot. */
static void
stream_pass (StreamRun         *run,
             const BenchStream *stream)
{
  guint n = bench_lines_get_n (run->lines);

  run->store_b = tl_store_new ();
  run->store_c = tl_store_new ();
  run->naive = bench_naive_store_new ();

  for (guint begin = 0, k = 0; begin < n; begin += CHUNK_LINES, k++)
    stream_chunk (run, begin, MIN (begin + CHUNK_LINES, n), k);

  verify_store (run->store_b, stream);
  verify_store (run->store_c, stream);
  verify_naive (run->naive, stream);
  g_clear_object (&run->store_b);
  g_clear_object (&run->store_c);
  g_clear_pointer (&run->naive, bench_naive_store_free);
}

/* Passes until every measurement has run min_time; rates in lines/s. */
static void
stream_repetition (StreamRun         *run,
                   const BenchStream *stream,
                   gint64             min_ns,
                   double            *rates)
{
  guint n = bench_lines_get_n (run->lines);
  guint64 passes = 0;
  gboolean short_of_time;

  memset (run->ns, 0, sizeof run->ns);
  do
    {
      stream_pass (run, stream);
      passes++;
      short_of_time = FALSE;
      for (guint m = 0; m < N_MEASURES; m++)
        short_of_time |= run->ns[m] < min_ns;
    }
  while (short_of_time);

  for (guint m = 0; m < N_MEASURES; m++)
    rates[m] = passes * n / (run->ns[m] / NS_PER_S);
}

static void
run_stream (const Options *options,
            StreamResult  *result)
{
  BenchStreamConfig config = {
    .conversations = options->conversations,
    .messages = options->messages,
    .updates = options->updates,
    .removes = options->removes,
    .conversation_updates = options->conversation_updates,
    .conversation_removes = options->conversation_removes,
    .seed = (guint64) options->seed,
  };
  gint64 min_ns = (gint64) (options->min_time * NS_PER_S);
  g_autoptr(BenchStream) stream = NULL;
  g_autoptr(GPtrArray) roots = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  guint repeat = options->repeat;
  g_autofree double *rates = g_new0 (double, (gsize) repeat * N_MEASURES);
  g_autofree double *column = g_new0 (double, repeat);
  g_autofree double *ratios = g_new0 (double, repeat);
  g_autofree double *naive_ratios = g_new0 (double, repeat);
  StreamRun run = { 0 };
  double medians[N_MEASURES];
  guint n;

  progress ("stream: generating");
  stream = bench_stream_generate (&config);
  n = bench_lines_get_n (stream->lines);
  result->ran = TRUE;
  result->n_lines = n;
  result->n_bytes = stream->lines->buffer->len;
  result->repeat = repeat;
  memcpy (result->counts, stream->counts, sizeof result->counts);

  /* The trees tl_event_parse reads, decoded once and untimed. */
  roots = g_ptr_array_new_full (n, (GDestroyNotify) json_node_unref);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (roots, decode_line (stream->lines, i));
  events = g_ptr_array_new_full (n, free_event);
  g_ptr_array_set_size (events, n);

  run.lines = stream->lines;
  run.roots = roots;
  run.events = events;
  run.parser = parser;

  for (guint r = 0; r < repeat; r++)
    {
      double *row = &rates[r * N_MEASURES];

      progress ("stream: all measurements interleaved, %u/%u", r + 1, repeat);
      stream_repetition (&run, stream, min_ns, row);
      ratios[r] = row[MEASURE_PARSE_APPLY] / row[MEASURE_PARSE];
      naive_ratios[r] = row[MEASURE_APPLY] / row[MEASURE_NAIVE];
    }

  for (guint m = 0; m < N_MEASURES; m++)
    {
      for (guint r = 0; r < repeat; r++)
        column[r] = rates[r * N_MEASURES + m];
      medians[m] = median (column, repeat);
    }
  result->parse_rate = medians[MEASURE_PARSE];
  result->parse_fresh_rate = medians[MEASURE_PARSE_FRESH];
  result->decode_rate = medians[MEASURE_DECODE];
  result->event_parse_rate = medians[MEASURE_EVENT_PARSE];
  result->parse_apply_rate = medians[MEASURE_PARSE_APPLY];
  result->apply_rate = medians[MEASURE_APPLY];
  result->naive_rate = medians[MEASURE_NAIVE];

  /* The ratios are taken within each repetition, then the median. */
  result->parse_apply_ratio = median (ratios, repeat);
  result->ratio_min = ratios[0];           /* median() sorted them */
  result->ratio_max = ratios[repeat - 1];
  result->apply_naive_ratio = median (naive_ratios, repeat);
}

/* 2. Per-event cost by thread size
 *
 * All sizes are measured together: each has its own thread, and turns of a
 * few milliseconds go round the sizes until each has spent min_time, so a
 * neighbour's load shifts every size alike and cost(1M)/cost(1k) stays
 * meaningful on a shared machine. A thread is rebuilt (untimed) once its mix
 * of events is used up, which keeps it within a tenth of the size named. */

/* Loads a thread of @size messages as one batch, as a snapshot or history
 * load does; returns the text bytes of its messages. */
static guint64
build_thread (TlStore *store,
              guint    size,
              guint64  seed)
{
  g_autoptr(GString) line = g_string_sized_new (1024);
  BenchThread thread;

  bench_thread_init (&thread, size, seed);
  tl_store_begin_batch (store);
  for (guint i = 0; i <= size; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) root = NULL;
      TlApplyResult result;

      g_string_truncate (line, 0);
      bench_thread_write_line (&thread, i, line);
      root = tl_json_decode_frame (line->str, line->len, &error);
      if (root == NULL)
        g_error ("thread line %u does not decode: %s", i, error->message);
      result = tl_store_apply_node (store, root, 0, &error);
      check_applied (result, error, i);
    }
  tl_store_end_batch (store);

  return thread.text_bytes;
}

static void
build_naive_thread (BenchNaiveStore *naive,
                    guint            size,
                    guint64          seed)
{
  g_autoptr(GString) line = g_string_sized_new (1024);
  BenchThread thread;

  bench_thread_init (&thread, size, seed);
  for (guint i = 0; i <= size; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) root = NULL;
      g_autoptr(TlEvent) event = NULL;

      g_string_truncate (line, 0);
      bench_thread_write_line (&thread, i, line);
      root = tl_json_decode_frame (line->str, line->len, &error);
      if (root != NULL)
        event = tl_event_parse (root, NULL, &error);
      if (event == NULL)
        g_error ("thread line %u: %s", i, error->message);
      bench_naive_store_apply (naive, event);
    }
}

static void
on_items_changed_cb (GListModel *model,
                     guint       position,
                     guint       removed,
                     guint       added,
                     gpointer    user_data)
{
  guint64 *count = user_data;

  (*count)++;
}

#define BATCH_EVENTS 1000

/* Single-event timings. A busy neighbour shows up as bursts of slow events;
 * medians (of batch means for the headline figure, of single events per
 * kind) keep such bursts from deciding a ratio. */
typedef struct
{
  GArray *by_op[BENCH_N_OPS];   /* double ns */
  GArray *batches;              /* double: mean ns/event of BATCH_EVENTS events */
  double  batch_sum;
  guint   batch_n;
  double  total;
  guint64 n;
} Samples;

static void
samples_init (Samples *samples)
{
  memset (samples, 0, sizeof *samples);
  for (guint op = 0; op < BENCH_N_OPS; op++)
    samples->by_op[op] = g_array_new (FALSE, FALSE, sizeof (double));
  samples->batches = g_array_new (FALSE, FALSE, sizeof (double));
}

static void
samples_add (Samples *samples,
             BenchOp  op,
             gint64   ns)
{
  double value = (double) ns;

  g_array_append_val (samples->by_op[op], value);
  samples->total += value;
  samples->n++;
  samples->batch_sum += value;
  if (++samples->batch_n == BATCH_EVENTS)
    {
      double mean = samples->batch_sum / BATCH_EVENTS;

      g_array_append_val (samples->batches, mean);
      samples->batch_sum = 0;
      samples->batch_n = 0;
    }
}

static void
samples_finish (Samples    *samples,
                SizeResult *result)
{
  /* Fewer events than one batch (the naive store at large sizes): their
   * mean is the only batch. */
  if (samples->batches->len == 0 && samples->batch_n > 0)
    {
      double mean = samples->batch_sum / samples->batch_n;

      g_array_append_val (samples->batches, mean);
    }

  result->ran = TRUE;
  result->events = samples->n;
  result->ns_mean = samples->n > 0 ? samples->total / samples->n : 0;
  result->ns_per_event = samples->batches->len > 0
                           ? median ((double *) (void *) samples->batches->data,
                                     samples->batches->len)
                           : 0;
  for (guint op = 0; op < BENCH_N_OPS; op++)
    {
      GArray *values = samples->by_op[op];

      result->ns_per_op[op] = values->len > 0
                                ? median ((double *) (void *) values->data, values->len)
                                : 0;
      g_array_unref (values);
    }
  g_array_unref (samples->batches);
}

typedef struct
{
  guint            size;
  GPtrArray       *events;    /* the mix, parsed once */
  GArray          *ops;       /* BenchOp of each event, as guint8 */
  guint            cursor;
  TlStore         *store;
  GListModel      *thread;    /* borrowed from store */
  BenchNaiveStore *naive;
  guint64          changes;
  gint64           spent;
  guint            rounds;
  Samples          samples;
} SizeRun;

/* Per size and turn. A naive event at a million messages takes tens of
 * milliseconds, so its turns are longer, and it runs a minimum of events. */
#define TURN_NS          (2 * 1000 * 1000)
#define NAIVE_TURN_NS    (10 * 1000 * 1000)
#define NAIVE_MIN_EVENTS 32

static void
size_run_clear_store (SizeRun *run)
{
  if (run->thread != NULL)
    g_signal_handlers_disconnect_by_func (run->thread, on_items_changed_cb, &run->changes);
  run->thread = NULL;
  g_clear_object (&run->store);
  g_clear_pointer (&run->naive, bench_naive_store_free);
}

static void
size_run_rebuild (SizeRun       *run,
                  gboolean       naive,
                  const Options *options)
{
  guint n;

  size_run_clear_store (run);
  if (naive)
    {
      GListModel *thread;

      run->naive = bench_naive_store_new ();
      build_naive_thread (run->naive, run->size, (guint64) options->seed);
      thread = bench_naive_store_get_thread (run->naive, BENCH_THREAD_CONVERSATION_ID);
      n = thread != NULL ? g_list_model_get_n_items (thread) : 0;
    }
  else
    {
      TlConversation *conversation;

      run->store = tl_store_new ();
      build_thread (run->store, run->size, (guint64) options->seed);
      conversation = tl_store_lookup_conversation (run->store, BENCH_THREAD_CONVERSATION_ID);
      run->thread = tl_conversation_get_messages (conversation);
      n = g_list_model_get_n_items (run->thread);
      /* A view listens to the thread; count what it would be told. */
      g_signal_connect (run->thread, "items-changed", G_CALLBACK (on_items_changed_cb),
                        &run->changes);
    }
  if (n != run->size)
    g_error ("the thread holds %u messages, not %u", n, run->size);
  run->cursor = 0;
  run->rounds++;
}

/* One turn of live events on the store, each applied and timed alone. */
static G_GNUC_NO_INLINE void
apply_mix (SizeRun *run)
{
  gint64 turn = 0;

  while (run->cursor < run->events->len && turn < TURN_NS)
    {
      g_autoptr(GError) error = NULL;
      gint64 t0 = now_ns ();
      TlApplyResult applied = tl_store_apply_event (run->store, run->events->pdata[run->cursor],
                                                    0, &error);
      gint64 ns = now_ns () - t0;

      samples_add (&run->samples, g_array_index (run->ops, guint8, run->cursor), ns);
      turn += ns;
      check_applied (applied, error, run->cursor + 1);
      run->cursor++;
    }
  run->spent += turn;
}

static G_GNUC_NO_INLINE void
apply_mix_naive (SizeRun *run)
{
  gint64 turn = 0;

  while (run->cursor < run->events->len && turn < NAIVE_TURN_NS)
    {
      gint64 t0 = now_ns ();
      gint64 ns;

      bench_naive_store_apply (run->naive, run->events->pdata[run->cursor]);
      ns = now_ns () - t0;
      samples_add (&run->samples, g_array_index (run->ops, guint8, run->cursor), ns);
      turn += ns;
      run->cursor++;
    }
  run->spent += turn;
}

static void
measure_sizes (SizeRun       *runs,
               guint          n_runs,
               gboolean       naive,
               const Options *options,
               GArray        *results)
{
  gint64 min_ns = (gint64) (options->min_time * NS_PER_S);
  gboolean more;

  for (guint i = 0; i < n_runs; i++)
    {
      g_autofree char *label = group (runs[i].size);

      progress ("threads: building %s%s messages", label, naive ? " naive" : "");
      samples_init (&runs[i].samples);
      runs[i].spent = 0;
      runs[i].rounds = 0;
      runs[i].changes = 0;
      size_run_rebuild (&runs[i], naive, options);
    }

  progress ("threads: measuring%s", naive ? " the naive baseline" : "");
  do
    {
      more = FALSE;
      for (guint i = 0; i < n_runs; i++)
        {
          SizeRun *run = &runs[i];

          if (naive)
            apply_mix_naive (run);
          else
            apply_mix (run);
          if (run->cursor == run->events->len)
            size_run_rebuild (run, naive, options);
          if (run->spent < min_ns || (naive && run->samples.n < NAIVE_MIN_EVENTS))
            more = TRUE;
        }
    }
  while (more);

  for (guint i = 0; i < n_runs; i++)
    {
      SizeResult *result = &g_array_index (results, SizeResult, i);

      samples_finish (&runs[i].samples, result);
      result->rounds = runs[i].rounds;
      if (!naive)
        result->changes_per_event = (double) runs[i].changes / result->events;
      size_run_clear_store (&runs[i]);
    }
}

static void
run_threads (const Options *options,
             const GArray  *sizes,
             GArray        *ours,
             GArray        *naive)
{
  g_autofree SizeRun *runs = g_new0 (SizeRun, MAX (sizes->len, 1));
  guint n_naive = 0;

  for (guint s = 0; s < sizes->len; s++)
    {
      SizeRun *run = &runs[s];
      g_autoptr(BenchLines) mix = NULL;
      g_autofree char *label = NULL;
      SizeResult empty = { 0 };
      guint n;

      run->size = g_array_index (sizes, guint, s);
      /* A tenth of the size in net growth at most: a quarter of the events
       * add. Beyond 100k events the mix only costs memory: a round at a
       * million messages never gets through them. */
      n = CLAMP (run->size / 10 * 4, 64, 100000);
      label = group (run->size);
      empty.size = run->size;

      progress ("threads: %s messages, a mix of %u events", label, n);
      run->ops = g_array_new (FALSE, FALSE, sizeof (guint8));
      mix = bench_thread_mix (run->size, n, (guint64) options->seed, run->ops);
      run->events = g_ptr_array_new_full (bench_lines_get_n (mix), free_event);
      for (guint i = 0; i < bench_lines_get_n (mix); i++)
        {
          g_autoptr(JsonNode) root = decode_line (mix, i);
          g_autoptr(GError) error = NULL;
          TlEvent *event = tl_event_parse (root, NULL, &error);

          if (event == NULL)
            g_error ("mix line %u: %s", i + 1, error->message);
          g_ptr_array_add (run->events, event);
        }

      g_array_append_val (ours, empty);
      g_array_append_val (naive, empty);
      /* Sizes are sorted, so the naive baseline runs on a prefix. */
      if (run->size <= (guint) options->naive_max)
        n_naive++;
    }

  measure_sizes (runs, sizes->len, FALSE, options, ours);
  if (n_naive > 0)
    measure_sizes (runs, n_naive, TRUE, options, naive);

  for (guint s = 0; s < sizes->len; s++)
    {
      g_ptr_array_unref (runs[s].events);
      g_array_unref (runs[s].ops);
    }
}

/* 3. Memory */

static void
run_memory (const Options *options,
            MemoryResult  *result)
{
  g_autoptr(TlStore) store = NULL;
  g_autofree char *label = group (options->memory_messages);
  gint64 start;

  progress ("memory: loading %s messages into one thread", label);

  /* Give back what earlier work freed, on both readings alike. */
  malloc_trim (0);
  result->rss_before = read_rss ();
  result->heap_before = heap_in_use ();

  start = now_ns ();
  store = tl_store_new ();
  result->text_bytes = build_thread (store, options->memory_messages, (guint64) options->seed);
  result->build_s = (now_ns () - start) / NS_PER_S;

  malloc_trim (0);
  result->rss_after = read_rss ();
  result->heap_after = heap_in_use ();
  result->messages = count_messages (store);
  result->ran = TRUE;

  if (result->messages != (guint) options->memory_messages)
    g_error ("the thread holds %u messages, not %d", result->messages, options->memory_messages);
}

/* Reporting */

typedef struct
{
  char *date;
  char *cpu;
  char *os;
  char *kernel;
  char *glib;
  guint n_cpus;
} Machine;

static void
machine_init (Machine *machine)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *cpuinfo = NULL;
  struct utsname uts;

  machine->date = g_date_time_format (now, "%Y-%m-%d %H:%M %Z");
  machine->n_cpus = g_get_num_processors ();
  machine->glib = g_strdup_printf ("%u.%u.%u", glib_major_version, glib_minor_version,
                                   glib_micro_version);
  machine->os = g_get_os_info (G_OS_INFO_KEY_PRETTY_NAME);
  if (machine->os == NULL)
    machine->os = g_strdup ("unknown OS");
  machine->kernel = g_strdup (uname (&uts) == 0 ? uts.release : "unknown");
  if (g_file_get_contents ("/proc/cpuinfo", &cpuinfo, NULL, NULL))
    {
      const char *model = strstr (cpuinfo, "model name");
      const char *colon = model != NULL ? strchr (model, ':') : NULL;

      if (colon != NULL)
        machine->cpu = g_strstrip (g_strndup (colon + 1, strcspn (colon + 1, "\n")));
    }
  if (machine->cpu == NULL)
    machine->cpu = g_strdup ("unknown CPU");
}

static void
machine_clear (Machine *machine)
{
  g_free (machine->date);
  g_free (machine->cpu);
  g_free (machine->os);
  g_free (machine->kernel);
  g_free (machine->glib);
}

static const char *
verdict (gboolean met)
{
  return met ? "met" : "MISSED";
}

/* ns/event at the largest size over the smallest, for the 2× target. */
static double
growth (const GArray *sizes)
{
  const SizeResult *first = NULL, *last = NULL;

  for (guint i = 0; i < sizes->len; i++)
    {
      const SizeResult *r = &g_array_index (sizes, SizeResult, i);

      if (!r->ran)
        continue;
      if (first == NULL)
        first = r;
      last = r;
    }
  if (first == NULL || first == last)
    return 0;
  return last->ns_per_event / first->ns_per_event;
}

static const SizeResult *
largest_ran (const GArray *sizes)
{
  const SizeResult *last = NULL;

  for (guint i = 0; i < sizes->len; i++)
    if (g_array_index (sizes, SizeResult, i).ran)
      last = &g_array_index (sizes, SizeResult, i);
  return last;
}

static void
print_report (FILE               *out,
              const Options      *options,
              const Machine      *machine,
              const StreamResult *stream,
              const GArray       *ours,
              const GArray       *naive,
              const MemoryResult *memory)
{
#ifdef __OPTIMIZE__
  const char *build_note = "";
#else
  const char *build_note = "; NOT OPTIMIZED, figures are meaningless";
#endif

  fprintf (out, "Threadline core benchmark — %s\n", machine->date);
  fprintf (out, "%s, %u CPUs, %s, Linux %s; GLib %s, json-glib %s%s\n",
           machine->cpu, machine->n_cpus, machine->os, machine->kernel, machine->glib,
           JSON_VERSION_S, build_note);
  fprintf (out, "seed %" G_GINT64_FORMAT ", each figure measured for ≥ %.1f s\n\n",
           options->seed, options->min_time);

  if (stream->ran)
    {
      g_autofree char *lines = group (stream->n_lines);
      g_autofree char *a = group (stream->parse_rate);
      g_autofree char *fresh = group (stream->parse_fresh_rate);
      g_autofree char *decode = group (stream->decode_rate);
      g_autofree char *event = group (stream->event_parse_rate);
      g_autofree char *b = group (stream->parse_apply_rate);
      g_autofree char *c = group (stream->apply_rate);
      g_autofree char *d = group (stream->naive_rate);

      fprintf (out, "1. Mixed stream: %s events, %.1f MB, %.0f bytes/line on average\n",
               lines, stream->n_bytes / 1e6, (double) stream->n_bytes / stream->n_lines);
      fprintf (out, "  ");
      for (guint k = 0; k < BENCH_N_KINDS; k++)
        {
          g_autofree char *count = group (stream->counts[k]);

          fprintf (out, " %s %s%s", count, bench_kind_to_string (k),
                   k + 1 < BENCH_N_KINDS ? "," : "\n");
        }
      fprintf (out, "\n  %-58s %14s\n", "", "per second");
      fprintf (out, "  %-58s %14s  (medians of %u; all rows interleaved)\n",
               "(a) json-glib parse alone, one parser reused", a, stream->repeat);
      fprintf (out, "  %-58s %14s\n", "    json-glib parse alone, new parser per line", fresh);
      fprintf (out, "  %-58s %14s\n",
               "    tl_json_decode_frame alone (checks + new parser)", decode);
      fprintf (out, "  %-58s %14s\n", "    tl_event_parse alone (on decoded trees)", event);
      fprintf (out, "  %-58s %14s  = %.0f %% of (a)  target ≥ 70 %%, floor 50 %%: %s\n",
               "(b) parse + apply (decode_frame + apply_node, live)", b,
               stream->parse_apply_ratio * 100,
               stream->parse_apply_ratio >= 0.7 ? "met" :
               stream->parse_apply_ratio >= 0.5 ? "MISSED (above the floor)"
                                                : "MISSED (below the floor)");
      if (stream->repeat > 1)
        fprintf (out, "  %-58s %14s  (b)/(a) ranged %.0f–%.0f %% over the %u repetitions\n",
                 "", "", stream->ratio_min * 100, stream->ratio_max * 100, stream->repeat);
      fprintf (out, "  %-58s %14s\n", "(c) apply alone (tl_store_apply_event)", c);
      fprintf (out, "  %-58s %14s  (c) is %.1f× faster\n",
               "(d) naive apply alone (GListStore + linear find)", d,
               stream->apply_naive_ratio);
      fprintf (out, "\n");
    }

  if (ours->len > 0)
    {
      double g = growth (ours);
      double gn = growth (naive);
      const SizeResult *naive_last = largest_ran (naive);

      fprintf (out, "2. One live event in a thread of N messages "
               "(ns/event; events applied one by one)\n\n");
      fprintf (out, "  %10s  %9s  %8s %8s %8s %8s  %7s  %12s  %9s\n", "N", "ours",
               "append", "update", "remove", "insert", "changes", "naive", "naive/ours");
      for (guint i = 0; i < ours->len; i++)
        {
          const SizeResult *r = &g_array_index (ours, SizeResult, i);
          const SizeResult *n = &g_array_index (naive, SizeResult, i);
          g_autofree char *size = group (r->size);
          g_autofree char *cost = group (r->ns_per_event);
          g_autofree char *naive_cost = n->ran ? group (n->ns_per_event) : g_strdup ("not run");
          g_autofree char *ratio = n->ran
                                     ? g_strdup_printf ("%.0f×", n->ns_per_event / r->ns_per_event)
                                     : g_strdup ("—");

          fprintf (out, "  %10s  %9s  %8.0f %8.0f %8.0f %8.0f  %7.2f  %12s  %9s\n", size, cost,
                   r->ns_per_op[BENCH_OP_APPEND], r->ns_per_op[BENCH_OP_UPDATE],
                   r->ns_per_op[BENCH_OP_REMOVE], r->ns_per_op[BENCH_OP_INSERT],
                   r->changes_per_event, naive_cost, ratio);
        }
      if (g > 0)
        {
          const SizeResult *first = &g_array_index (ours, SizeResult, 0);
          const SizeResult *last = largest_ran (ours);
          g_autofree char *from = group (first->size);
          g_autofree char *to = group (last->size);

          fprintf (out, "\n  cost(%s)/cost(%s): ours %.2f×  target ≤ 2×: %s", to, from, g,
                   verdict (g <= 2.0));
          if (gn > 0)
            {
              g_autofree char *naive_to = group (naive_last->size);

              fprintf (out, "; naive %.0f× (up to %s)", gn, naive_to);
            }
          fprintf (out, "\n");
        }
      for (guint i = 0; i < naive->len; i++)
        if (!g_array_index (naive, SizeResult, i).ran)
          {
            g_autofree char *max = group (options->naive_max);

            fprintf (out, "  naive baseline not run above %s messages (--naive-max)\n", max);
            break;
          }
      fprintf (out, "  ours, naive: median of the mean ns/event of batches of %d events; "
               "append … insert: median single event\n", BATCH_EVENTS);
      fprintf (out, "  changes = items-changed emissions on the thread per event (an update "
               "that keeps its place emits none)\n\n");
    }

  if (memory->ran)
    {
      gint64 rss = memory->rss_after - memory->rss_before;
      gint64 heap = memory->heap_after - memory->heap_before;
      double beyond = (double) (rss - (gint64) memory->text_bytes) / memory->messages;
      double heap_beyond = (double) (heap - (gint64) memory->text_bytes) / memory->messages;
      g_autofree char *n = group (memory->messages);

      fprintf (out, "3. Memory: %s messages in one thread (loaded as one batch in %.1f s)\n\n",
               n, memory->build_s);
      fprintf (out, "  RSS before %8.1f MB, after %8.1f MB: +%.1f MB = %.0f B/message\n",
               memory->rss_before / 1e6, memory->rss_after / 1e6, rss / 1e6,
               (double) rss / memory->messages);
      fprintf (out, "  text of the parts %.1f MB = %.0f B/message\n",
               memory->text_bytes / 1e6, (double) memory->text_bytes / memory->messages);
      fprintf (out, "  beyond text: %.0f B/message (RSS)  target ≤ 300 B: %s\n", beyond,
               verdict (beyond <= 300));
      fprintf (out, "               %.0f B/message (malloc in use, a cross-check)\n\n",
               heap_beyond);
    }
}

static void
add_size_results (JsonBuilder  *builder,
                  const GArray *results,
                  gboolean      counts_changes)
{
  json_builder_begin_array (builder);
  for (guint i = 0; i < results->len; i++)
    {
      const SizeResult *r = &g_array_index (results, SizeResult, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "size");
      json_builder_add_int_value (builder, r->size);
      json_builder_set_member_name (builder, "ran");
      json_builder_add_boolean_value (builder, r->ran);
      if (r->ran)
        {
          json_builder_set_member_name (builder, "ns_per_event");
          json_builder_add_double_value (builder, r->ns_per_event);
          json_builder_set_member_name (builder, "ns_mean");
          json_builder_add_double_value (builder, r->ns_mean);
          json_builder_set_member_name (builder, "ns_per_op");
          json_builder_begin_object (builder);
          for (guint op = 0; op < BENCH_N_OPS; op++)
            {
              json_builder_set_member_name (builder, bench_op_to_string (op));
              json_builder_add_double_value (builder, r->ns_per_op[op]);
            }
          json_builder_end_object (builder);
          json_builder_set_member_name (builder, "events");
          json_builder_add_int_value (builder, (gint64) r->events);
          json_builder_set_member_name (builder, "rounds");
          json_builder_add_int_value (builder, r->rounds);
          if (counts_changes)
            {
              json_builder_set_member_name (builder, "items_changed_per_event");
              json_builder_add_double_value (builder, r->changes_per_event);
            }
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
add_double (JsonBuilder *builder,
            const char  *name,
            double       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_double_value (builder, value);
}

static void
add_int (JsonBuilder *builder,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_ratio (JsonBuilder *builder,
           const char  *name,
           double       value)
{
  json_builder_set_member_name (builder, name);
  if (value > 0)
    json_builder_add_double_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static char *
results_to_json (const Options      *options,
                 const Machine      *machine,
                 const StreamResult *stream,
                 const GArray       *ours,
                 const GArray       *naive,
                 const MemoryResult *memory)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "machine");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "date");
  json_builder_add_string_value (builder, machine->date);
  json_builder_set_member_name (builder, "cpu");
  json_builder_add_string_value (builder, machine->cpu);
  add_int (builder, "cpus", machine->n_cpus);
  json_builder_set_member_name (builder, "os");
  json_builder_add_string_value (builder, machine->os);
  json_builder_set_member_name (builder, "kernel");
  json_builder_add_string_value (builder, machine->kernel);
  json_builder_set_member_name (builder, "glib");
  json_builder_add_string_value (builder, machine->glib);
  json_builder_set_member_name (builder, "json_glib");
  json_builder_add_string_value (builder, JSON_VERSION_S);
  json_builder_end_object (builder);

  add_int (builder, "seed", options->seed);
  add_double (builder, "min_time_s", options->min_time);

  if (stream->ran)
    {
      json_builder_set_member_name (builder, "stream");
      json_builder_begin_object (builder);
      add_int (builder, "events", stream->n_lines);
      add_int (builder, "bytes", (gint64) stream->n_bytes);
      json_builder_set_member_name (builder, "counts");
      json_builder_begin_object (builder);
      for (guint k = 0; k < BENCH_N_KINDS; k++)
        add_int (builder, bench_kind_to_string (k), stream->counts[k]);
      json_builder_end_object (builder);
      add_int (builder, "repeat", stream->repeat);
      add_double (builder, "json_glib_parse_lines_per_s", stream->parse_rate);
      add_double (builder, "json_glib_parse_new_parser_lines_per_s", stream->parse_fresh_rate);
      add_double (builder, "decode_frame_lines_per_s", stream->decode_rate);
      add_double (builder, "event_parse_events_per_s", stream->event_parse_rate);
      add_double (builder, "parse_apply_events_per_s", stream->parse_apply_rate);
      add_double (builder, "parse_apply_vs_parse", stream->parse_apply_ratio);
      add_double (builder, "parse_apply_vs_parse_min", stream->ratio_min);
      add_double (builder, "parse_apply_vs_parse_max", stream->ratio_max);
      add_double (builder, "apply_events_per_s", stream->apply_rate);
      add_double (builder, "naive_apply_events_per_s", stream->naive_rate);
      add_double (builder, "apply_vs_naive", stream->apply_naive_ratio);
      json_builder_end_object (builder);
    }

  if (ours->len > 0)
    {
      json_builder_set_member_name (builder, "thread_sizes");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "ours");
      add_size_results (builder, ours, TRUE);
      json_builder_set_member_name (builder, "naive");
      add_size_results (builder, naive, FALSE);
      /* null when fewer than two sizes ran */
      add_ratio (builder, "ours_cost_largest_vs_smallest", growth (ours));
      add_ratio (builder, "naive_cost_largest_vs_smallest", growth (naive));
      json_builder_end_object (builder);
    }

  if (memory->ran)
    {
      json_builder_set_member_name (builder, "memory");
      json_builder_begin_object (builder);
      add_int (builder, "messages", memory->messages);
      add_int (builder, "rss_before", memory->rss_before);
      add_int (builder, "rss_after", memory->rss_after);
      add_int (builder, "heap_before", memory->heap_before);
      add_int (builder, "heap_after", memory->heap_after);
      add_int (builder, "text_bytes", (gint64) memory->text_bytes);
      add_double (builder, "rss_bytes_per_message_beyond_text",
                  (double) (memory->rss_after - memory->rss_before -
                            (gint64) memory->text_bytes) / memory->messages);
      add_double (builder, "heap_bytes_per_message_beyond_text",
                  (double) (memory->heap_after - memory->heap_before -
                            (gint64) memory->text_bytes) / memory->messages);
      add_double (builder, "build_s", memory->build_s);
      json_builder_end_object (builder);
    }

  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, NULL);
}

/* Options */

static gboolean
parse_sizes (const char  *text,
             GArray      *sizes,
             GError     **error)
{
  g_auto(GStrv) items = g_strsplit (text, ",", -1);

  for (guint i = 0; items[i] != NULL; i++)
    {
      char *end = NULL;
      guint64 value = g_ascii_strtoull (g_strstrip (items[i]), &end, 10);
      guint size;

      if (end != NULL && (*end == 'k' || *end == 'K'))
        {
          value *= 1000;
          end++;
        }
      else if (end != NULL && (*end == 'm' || *end == 'M'))
        {
          value *= 1000000;
          end++;
        }
      if (end == items[i] || *end != '\0' || value == 0 || value > G_MAXUINT / 2)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "invalid thread size '%s'", items[i]);
          return FALSE;
        }
      size = (guint) value;
      g_array_append_val (sizes, size);
    }
  return TRUE;
}

static int
compare_sizes (gconstpointer a,
               gconstpointer b)
{
  guint x = *(const guint *) a;
  guint y = *(const guint *) b;

  return x < y ? -1 : x > y;
}

static gboolean
section_wanted (const Options *options,
                const char    *name)
{
  g_auto(GStrv) wanted = NULL;

  if (options->only == NULL)
    return TRUE;
  wanted = g_strsplit (options->only, ",", -1);
  return g_strv_contains ((const char * const *) wanted, name);
}

/* Unset counts take the full or the --quick default. */
static void
apply_defaults (Options *options)
{
#define DEFAULT(field, full_value, quick_value) \
  if (options->field < 0) \
    options->field = options->quick ? (quick_value) : (full_value)
  DEFAULT (conversations, 200, 20);
  DEFAULT (messages, 200000, 10000);
  DEFAULT (updates, 50000, 2500);
  DEFAULT (removes, 20000, 1000);
  DEFAULT (conversation_updates, 1000, 50);
  DEFAULT (conversation_removes, 50, 3);
  DEFAULT (memory_messages, 1000000, 100000);
  DEFAULT (repeat, 3, 1);
  DEFAULT (naive_max, 1000000, 1000000);
#undef DEFAULT
  if (options->min_time < 0)
    options->min_time = options->quick ? 0.2 : 0.5;
  if (options->sizes == NULL)
    options->sizes = g_strdup (options->quick ? "1k,10k" : "1k,10k,100k,1M");
}

/* The strings GOption filled in, freed on every way out of main(). */
static void
options_clear (Options *options)
{
  g_clear_pointer (&options->emit, g_free);
  g_clear_pointer (&options->sizes, g_free);
  g_clear_pointer (&options->only, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

int
main (int   argc,
      char *argv[])
{
  /* -1: not given, apply_defaults() picks the full or the --quick value. */
  g_auto(Options) options = {
    .conversations = -1,
    .messages = -1,
    .updates = -1,
    .removes = -1,
    .conversation_updates = -1,
    .conversation_removes = -1,
    .seed = 20260301,
    .naive_max = -1,
    .memory_messages = -1,
    .repeat = -1,
    .min_time = -1.0,
  };
  GOptionEntry entries[] = {
    { "conversations", 0, 0, G_OPTION_ARG_INT, &options.conversations,
      "Conversations in the stream (200)", "N" },
    { "messages", 0, 0, G_OPTION_ARG_INT, &options.messages,
      "message-added events (200000)", "N" },
    { "updates", 0, 0, G_OPTION_ARG_INT, &options.updates,
      "message-updated events (50000)", "N" },
    { "removes", 0, 0, G_OPTION_ARG_INT, &options.removes,
      "message-removed events (20000)", "N" },
    { "conversation-updates", 0, 0, G_OPTION_ARG_INT, &options.conversation_updates,
      "conversation-updated events (1000)", "N" },
    { "conversation-removes", 0, 0, G_OPTION_ARG_INT, &options.conversation_removes,
      "conversation-removed events (50)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &options.seed,
      "Seed of the generator (20260301)", "N" },
    { "emit", 0, 0, G_OPTION_ARG_FILENAME, &options.emit,
      "Write the stream as JSON lines to FILE and exit", "FILE" },
    { "quick", 0, 0, G_OPTION_ARG_NONE, &options.quick,
      "A small run (1/20 of the stream, sizes 1k and 10k, 100k for memory)", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &options.json,
      "Print the results as JSON on stdout (the table goes to stderr)", NULL },
    { "sizes", 0, 0, G_OPTION_ARG_STRING, &options.sizes,
      "Thread sizes for the per-event cost (1k,10k,100k,1M)", "LIST" },
    { "naive-max", 0, 0, G_OPTION_ARG_INT, &options.naive_max,
      "Largest thread the naive baseline runs on (1000000)", "N" },
    { "memory-messages", 0, 0, G_OPTION_ARG_INT, &options.memory_messages,
      "Messages loaded for the memory figure (1000000)", "N" },
    { "repeat", 0, 0, G_OPTION_ARG_INT, &options.repeat,
      "Repetitions of (a) and (b), whose medians are reported (3)", "N" },
    { "min-time", 0, 0, G_OPTION_ARG_DOUBLE, &options.min_time,
      "Seconds each measurement runs at least (0.5)", "S" },
    { "only", 0, 0, G_OPTION_ARG_STRING, &options.only,
      "Run only these sections: stream,threads,memory", "LIST" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— benchmark the Threadline core");
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) sizes = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) ours = g_array_new (FALSE, FALSE, sizeof (SizeResult));
  g_autoptr(GArray) naive = g_array_new (FALSE, FALSE, sizeof (SizeResult));
  StreamResult stream = { 0 };
  MemoryResult memory = { 0 };
  Machine machine = { 0 };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-core: %s\n", error->message);
      return 2;
    }
  apply_defaults (&options);
  if (!parse_sizes (options.sizes, sizes, &error))
    {
      g_printerr ("bench-core: %s\n", error->message);
      return 2;
    }
  /* Ascending: the growth ratio reads smallest to largest, and the naive
   * baseline runs on the sizes up to --naive-max. */
  g_array_sort (sizes, compare_sizes);
  if (options.conversations < 1 || options.messages < 0 || options.updates < 0 ||
      options.removes < 0 || options.conversation_updates < 0 ||
      options.conversation_removes < 0 || options.memory_messages < 1 ||
      options.repeat < 1 || options.min_time < 0)
    {
      g_printerr ("bench-core: counts must be positive\n");
      return 2;
    }

  if (options.emit != NULL)
    {
      BenchStreamConfig config = {
        .conversations = options.conversations,
        .messages = options.messages,
        .updates = options.updates,
        .removes = options.removes,
        .conversation_updates = options.conversation_updates,
        .conversation_removes = options.conversation_removes,
        .seed = (guint64) options.seed,
      };
      g_autoptr(BenchStream) emitted = bench_stream_generate (&config);

      if (!bench_lines_write_file (emitted->lines, options.emit, &error))
        {
          g_printerr ("bench-core: %s\n", error->message);
          return 1;
        }
      progress ("wrote %u lines (%" G_GSIZE_FORMAT " bytes) to %s; the final state holds "
                "%u conversations and %u messages",
                bench_lines_get_n (emitted->lines), emitted->lines->buffer->len, options.emit,
                emitted->live_conversations, emitted->live_messages);
      return 0;
    }

  machine_init (&machine);

  if (section_wanted (&options, "memory"))
    run_memory (&options, &memory);
  if (section_wanted (&options, "stream"))
    run_stream (&options, &stream);
  if (section_wanted (&options, "threads"))
    run_threads (&options, sizes, ours, naive);

  print_report (options.json ? stderr : stdout, &options, &machine, &stream, ours, naive, &memory);
  if (options.json)
    {
      g_autofree char *json = results_to_json (&options, &machine, &stream, ours, naive, &memory);

      g_print ("%s\n", json);
    }

  machine_clear (&machine);
  return 0;
}
