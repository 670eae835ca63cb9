/* tl-deadline.h — a re-armable one-shot timer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TlDeadline TlDeadline;
typedef void (*TlDeadlineFunc) (gpointer user_data);

TlDeadline *tl_deadline_new        (TlDeadlineFunc  func,
                                    gpointer        user_data);
void        tl_deadline_free       (TlDeadline     *self);
/* Fires once, @ms from now, replacing any earlier arming. */
void        tl_deadline_arm        (TlDeadline     *self,
                                    guint           ms);
/* Fires once at @ready_time (monotonic µs). */
void        tl_deadline_arm_at     (TlDeadline     *self,
                                    gint64          ready_time);
void        tl_deadline_disarm     (TlDeadline     *self);
gboolean    tl_deadline_is_armed   (TlDeadline     *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlDeadline, tl_deadline_free)

G_END_DECLS
