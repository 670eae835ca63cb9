/* tl-test-util.h — helpers shared by the core tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "tl-store.h"

G_BEGIN_DECLS

/* Records every items-changed of a model as "pos,removed,added" strings. */
typedef struct
{
  GListModel *model;
  GPtrArray  *changes;
  gulong      handler;
} TlChangeRecorder;

TlChangeRecorder *tl_change_recorder_new    (GListModel       *model);
void              tl_change_recorder_free   (TlChangeRecorder *self);
/* "0,0,1;3,1,1" — all changes since the last call, then forgets them. */
char             *tl_change_recorder_take   (TlChangeRecorder *self);

/* Counts notify::PROPERTY emissions. */
typedef struct
{
  GObject *object;
  guint    count;
  gulong   handler;
} TlNotifyCounter;

TlNotifyCounter  *tl_notify_counter_new     (gpointer          object,
                                             const char       *property);
void              tl_notify_counter_free    (TlNotifyCounter  *self);

/* Applies one JSON line with the given flags and returns the result. */
TlApplyResult     tl_test_apply             (TlStore          *store,
                                             TlApplyFlags      flags,
                                             const char       *json,
                                             GError          **error);
/* Applies lines (file flags) and asserts none was invalid. */
void              tl_test_apply_all         (TlStore          *store,
                                             const char       *first_line,
                                             ...) G_GNUC_NULL_TERMINATED;
/* Ids of a conversation's messages, or of the sidebar (conversation NULL), joined by ','. */
char             *tl_test_ids               (TlStore          *store,
                                             const char       *conversation_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlChangeRecorder, tl_change_recorder_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlNotifyCounter, tl_notify_counter_free)

G_END_DECLS
