/* tl-wakeup.h — moments when a connection may have died unnoticed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TL_TYPE_WAKEUP (tl_wakeup_get_type ())

G_DECLARE_FINAL_TYPE (TlWakeup, tl_wakeup, TL, WAKEUP, GObject)

typedef gint64 (*TlWallClockFunc) (gpointer user_data);

/* Emits "probe" (a short reason) after resume from suspend (logind
 * PrepareForSleep(false)), on GNetworkMonitor::network-changed, and when the
 * wall clock jumps against the monotonic clock. */
TlWakeup *tl_wakeup_new             (void);
void      tl_wakeup_set_clock_check (TlWakeup        *self,
                                     guint            interval_ms,
                                     guint            jump_ms);
/* Tests: a fake wall clock (µs). NULL restores g_get_real_time(). */
void      tl_wakeup_set_wall_clock  (TlWakeup        *self,
                                     TlWallClockFunc  func,
                                     gpointer         user_data);
void      tl_wakeup_set_sources     (TlWakeup        *self,
                                     gboolean         system_bus,
                                     gboolean         network_monitor);
/* Tests: listen for PrepareForSleep on @bus instead of the system bus. */
void      tl_wakeup_set_system_bus  (TlWakeup        *self,
                                     GDBusConnection *bus);

G_END_DECLS
