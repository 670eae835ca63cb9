/* bench-stream.h — deterministic event streams for the benchmarks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* splitmix64: tiny, fast, and the same sequence on every platform and GLib
 * version, so a seed names one exact stream. */
typedef struct
{
  guint64 state;
} BenchRand;

void        bench_rand_init        (BenchRand  *rand,
                                    guint64     seed);
guint64     bench_rand_next        (BenchRand  *rand);
/* Uniform in [0, n); n must be > 0. */
guint       bench_rand_below       (BenchRand  *rand,
                                    guint       n);
double      bench_rand_double      (BenchRand  *rand);

/* JSON lines kept in one buffer: a stream of 270k lines would otherwise be
 * 270k separate allocations, and the parse loop would measure malloc. */
typedef struct
{
  GString *buffer;
  GArray  *offsets;   /* gsize: start of line i; one extra entry for the end */
} BenchLines;

BenchLines *bench_lines_new        (void);
void        bench_lines_free       (BenchLines  *lines);
guint       bench_lines_get_n      (BenchLines  *lines);
const char *bench_lines_get        (BenchLines  *lines,
                                    guint        i,
                                    gsize       *length);
/* Ends the line written to lines->buffer since the previous end. */
void        bench_lines_end_line   (BenchLines  *lines);
gboolean    bench_lines_write_file (BenchLines  *lines,
                                    const char  *path,
                                    GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BenchLines, bench_lines_free)

typedef enum
{
  BENCH_KIND_CONVERSATION_ADDED,
  BENCH_KIND_MESSAGE_ADDED,
  BENCH_KIND_MESSAGE_UPDATED,
  BENCH_KIND_MESSAGE_REMOVED,
  BENCH_KIND_CONVERSATION_UPDATED,
  BENCH_KIND_CONVERSATION_REMOVED,
  BENCH_N_KINDS
} BenchKind;

const char *bench_kind_to_string   (BenchKind kind);

/* The mixed stream of section 1 */

typedef struct
{
  guint   conversations;
  guint   messages;
  guint   updates;
  guint   removes;
  guint   conversation_updates;
  guint   conversation_removes;
  guint64 seed;
} BenchStreamConfig;

typedef struct
{
  BenchLines *lines;
  guint       counts[BENCH_N_KINDS];
  /* What a correct client holds at the end, to check both stores. */
  guint       live_conversations;
  guint       live_messages;
} BenchStream;

BenchStream *bench_stream_generate (const BenchStreamConfig *config);
void         bench_stream_free     (BenchStream             *stream);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BenchStream, bench_stream_free)

/* One big thread (sections 2 and 3)
 *
 * Line 0 is conversation-added (seq 1); line i ≥ 1 is the message-added of
 * "msg-<i-1>" (seq i + 1), createdAt one second after the previous one. Lines
 * are produced on demand, so a million-message thread needs no stream in
 * memory while its footprint is measured. */

#define BENCH_THREAD_CONVERSATION_ID "conv-big"

typedef struct
{
  BenchRand rand;
  guint     size;
  guint64   text_bytes;   /* text written so far by bench_thread_write_line() */
} BenchThread;

void        bench_thread_init        (BenchThread *thread,
                                      guint        size,
                                      guint64      seed);
/* Writes line @i (0 ≤ i ≤ size) without a newline; lines must be written in
 * order, once each, for the text to be the same on every run. */
void        bench_thread_write_line  (BenchThread *thread,
                                      guint        i,
                                      GString     *out);

typedef enum
{
  BENCH_OP_APPEND,   /* message-added, newest */
  BENCH_OP_UPDATE,   /* message-updated of a random existing message */
  BENCH_OP_REMOVE,   /* message-removed of a random existing message */
  BENCH_OP_INSERT,   /* message-added in the middle by createdAt */
  BENCH_N_OPS
} BenchOp;

const char *bench_op_to_string       (BenchOp op);

/* @n single events that follow a thread of @size messages (seq size + 2
 * onwards), in random order, an equal share of each op. */
BenchLines *bench_thread_mix         (guint        size,
                                      guint        n,
                                      guint64      seed,
                                      GArray      *out_ops);

G_END_DECLS
