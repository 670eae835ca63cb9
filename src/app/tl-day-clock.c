/* tl-day-clock.c — tells when the local date changes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Looks at the date once a minute rather than sleeping until midnight: a
 * timeout runs on the monotonic clock, which stands still while the
 * machine is suspended, and the time zone may change meanwhile too.
 */
#include "tl-day-clock.h"

struct _TlDayClock
{
  GObject  parent_instance;

  int        year;
  int        day_of_year;
  GTimeSpan  offset;
  guint      check_id;
};

enum {
  SIGNAL_DAY_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (TlDayClock, tl_day_clock, G_TYPE_OBJECT)

GDateTime *
tl_day_clock_dup_now (TlDayClock *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  g_return_val_if_fail (TL_IS_DAY_CLOCK (self), NULL);
  return g_date_time_add (now, self->offset);
}

static gboolean
remember_today (TlDayClock *self)
{
  g_autoptr(GDateTime) now = tl_day_clock_dup_now (self);
  gboolean changed = g_date_time_get_year (now) != self->year ||
                     g_date_time_get_day_of_year (now) != self->day_of_year;

  self->year = g_date_time_get_year (now);
  self->day_of_year = g_date_time_get_day_of_year (now);
  return changed;
}

static gboolean
on_check_cb (gpointer user_data)
{
  TlDayClock *self = user_data;

  if (remember_today (self))
    g_signal_emit (self, signals[SIGNAL_DAY_CHANGED], 0);
  return G_SOURCE_CONTINUE;
}

static void
tl_day_clock_class_init (TlDayClockClass *klass)
{
  signals[SIGNAL_DAY_CHANGED] = g_signal_new ("day-changed", G_TYPE_FROM_CLASS (klass),
                                              G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                              G_TYPE_NONE, 0);
}

static void
tl_day_clock_init (TlDayClock *self)
{
  remember_today (self);
  self->check_id = g_timeout_add_seconds (60, on_check_cb, self);
}

TlDayClock *
tl_day_clock_get_default (void)
{
  static TlDayClock *clock;

  /* Lives as long as the program, like the rows that listen to it. */
  if (clock == NULL)
    clock = g_object_new (TL_TYPE_DAY_CLOCK, NULL);
  return clock;
}

void
tl_day_clock_advance (TlDayClock *self,
                      GTimeSpan   span)
{
  g_return_if_fail (TL_IS_DAY_CLOCK (self));

  self->offset += span;
  on_check_cb (self);
}
