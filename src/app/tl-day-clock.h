/* tl-day-clock.h — tells when the local date changes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define TL_TYPE_DAY_CLOCK (tl_day_clock_get_type ())

G_DECLARE_FINAL_TYPE (TlDayClock, tl_day_clock, TL, DAY_CLOCK, GObject)

/* Emits "day-changed" once the local date is not what it was: "Today"
 * and "Yesterday" are to be written again. */
TlDayClock *tl_day_clock_get_default (void);
/* Now, local, as this clock sees it. */
GDateTime  *tl_day_clock_dup_now     (TlDayClock *self);
/* Moves this clock's idea of now by @span and looks at the date at once:
 * how the tests cross midnight. */
void        tl_day_clock_advance     (TlDayClock *self,
                                      GTimeSpan   span);

G_END_DECLS
