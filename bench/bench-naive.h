/* bench-naive.h — the baseline: a store the way a naive client writes it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "tl-event.h"

G_BEGIN_DECLS

typedef struct _BenchNaiveStore BenchNaiveStore;

BenchNaiveStore *bench_naive_store_new            (void);
void             bench_naive_store_free           (BenchNaiveStore *self);
/* Applies a parsed event; only the six collection events do anything. */
void             bench_naive_store_apply          (BenchNaiveStore *self,
                                                   const TlEvent   *event);
guint            bench_naive_store_n_conversations (BenchNaiveStore *self);
guint            bench_naive_store_n_messages     (BenchNaiveStore *self);
/* The thread of @conversation_id, or NULL. */
GListModel      *bench_naive_store_get_thread     (BenchNaiveStore *self,
                                                   const char      *conversation_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BenchNaiveStore, bench_naive_store_free)

G_END_DECLS
