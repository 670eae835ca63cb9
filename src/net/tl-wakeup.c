/* tl-wakeup.c — moments when a connection may have died unnoticed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * After a suspend, a network change or a clock jump, a TCP connection can be
 * half-open for minutes before the 55 s silence rule catches it. Each of
 * these is only a hint: it triggers an immediate ping, never a reconnect,
 * and never delays one (PROTOCOL.md "Connection details"). The system bus is
 * optional: containers and CI have none, and that is not an error.
 */
#define G_LOG_DOMAIN "threadline-net"

#include "tl-wakeup.h"
#include "tl-deadline.h"

struct _TlWakeup
{
  GObject          parent_instance;

  /* owned */
  GCancellable    *cancellable;
  GDBusConnection *system_bus;
  GNetworkMonitor *monitor;      /* a ref on the default monitor */
  TlDeadline      *clock_timer;

  guint            sleep_subscription;
  gboolean         want_system_bus;
  gulong           network_changed_id;
  guint            clock_interval_ms;
  guint            clock_jump_ms;
  gint64           last_drift;
  gboolean         have_drift;
  TlWallClockFunc  wall_clock;
  gpointer         wall_clock_data;
};

enum {
  SIGNAL_PROBE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (TlWakeup, tl_wakeup, G_TYPE_OBJECT)

static gint64
real_time (gpointer user_data)
{
  return g_get_real_time ();
}

static void
on_prepare_for_sleep_cb (GDBusConnection *connection,
                         const char      *sender,
                         const char      *path,
                         const char      *interface,
                         const char      *signal,
                         GVariant        *parameters,
                         gpointer         user_data)
{
  TlWakeup *self = user_data;
  gboolean going_down = TRUE;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(b)")))
    return;
  g_variant_get (parameters, "(b)", &going_down);
  /* Only the wake-up matters: before sleeping there is nothing to probe. */
  if (!going_down)
    g_signal_emit (self, signals[SIGNAL_PROBE], 0, "resumed from suspend");
}

static void
on_system_bus_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TlWakeup) self = user_data;
  g_autoptr(GError) error = NULL;
  GDBusConnection *bus;

  bus = g_bus_get_finish (result, &error);
  if (bus == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("no system bus, suspend is not watched: %s", error->message);
      return;
    }
  /* Turned off meanwhile, or a test gave its own bus. */
  if (self->want_system_bus && self->system_bus == NULL)
    tl_wakeup_set_system_bus (self, bus);
  g_object_unref (bus);
}

void
tl_wakeup_set_system_bus (TlWakeup        *self,
                          GDBusConnection *bus)
{
  g_return_if_fail (TL_IS_WAKEUP (self));

  if (self->sleep_subscription != 0)
    g_dbus_connection_signal_unsubscribe (self->system_bus, self->sleep_subscription);
  self->sleep_subscription = 0;
  g_set_object (&self->system_bus, bus);
  if (bus == NULL)
    return;
  self->sleep_subscription =
    g_dbus_connection_signal_subscribe (bus, "org.freedesktop.login1",
                                        "org.freedesktop.login1.Manager",
                                        "PrepareForSleep", "/org/freedesktop/login1",
                                        NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                        on_prepare_for_sleep_cb, self, NULL);
}

static void
on_network_changed_cb (GNetworkMonitor *monitor,
                       gboolean         available,
                       TlWakeup        *self)
{
  g_signal_emit (self, signals[SIGNAL_PROBE], 0, "network changed");
}

static gint64
current_drift (TlWakeup *self)
{
  return self->wall_clock (self->wall_clock_data) - g_get_monotonic_time ();
}

static void
on_clock_timer_cb (gpointer user_data)
{
  TlWakeup *self = user_data;
  gint64 drift = current_drift (self);

  /* The two clocks advance together unless the wall clock is set, NTP steps
   * it, or the machine slept with a monotonic clock that stopped. */
  if (self->have_drift && ABS (drift - self->last_drift) > (gint64) self->clock_jump_ms * 1000)
    g_signal_emit (self, signals[SIGNAL_PROBE], 0, "wall clock jumped");
  self->last_drift = drift;
  self->have_drift = TRUE;
  tl_deadline_arm (self->clock_timer, self->clock_interval_ms);
}

static void
tl_wakeup_dispose (GObject *object)
{
  TlWakeup *self = TL_WAKEUP (object);

  g_cancellable_cancel (self->cancellable);
  if (self->sleep_subscription != 0)
    g_dbus_connection_signal_unsubscribe (self->system_bus, self->sleep_subscription);
  self->sleep_subscription = 0;
  g_clear_signal_handler (&self->network_changed_id, self->monitor);
  g_clear_object (&self->monitor);
  g_clear_object (&self->system_bus);
  g_clear_pointer (&self->clock_timer, tl_deadline_free);

  G_OBJECT_CLASS (tl_wakeup_parent_class)->dispose (object);
}

static void
tl_wakeup_finalize (GObject *object)
{
  TlWakeup *self = TL_WAKEUP (object);

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (tl_wakeup_parent_class)->finalize (object);
}

static void
tl_wakeup_class_init (TlWakeupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tl_wakeup_dispose;
  object_class->finalize = tl_wakeup_finalize;

  signals[SIGNAL_PROBE] =
    g_signal_new ("probe", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
tl_wakeup_init (TlWakeup *self)
{
  self->cancellable = g_cancellable_new ();
  self->wall_clock = real_time;
  self->clock_interval_ms = 5000;
  self->clock_jump_ms = 3000;
  self->clock_timer = tl_deadline_new (on_clock_timer_cb, self);
}

TlWakeup *
tl_wakeup_new (void)
{
  TlWakeup *self = g_object_new (TL_TYPE_WAKEUP, NULL);

  tl_wakeup_set_sources (self, TRUE, TRUE);
  on_clock_timer_cb (self);
  return self;
}

void
tl_wakeup_set_sources (TlWakeup *self,
                       gboolean  system_bus,
                       gboolean  network_monitor)
{
  g_return_if_fail (TL_IS_WAKEUP (self));

  if (system_bus && !self->want_system_bus && self->system_bus == NULL)
    g_bus_get (G_BUS_TYPE_SYSTEM, self->cancellable, on_system_bus_cb, g_object_ref (self));
  self->want_system_bus = system_bus;

  if (network_monitor && self->monitor == NULL)
    {
      self->monitor = g_object_ref (g_network_monitor_get_default ());
      self->network_changed_id = g_signal_connect (self->monitor, "network-changed",
                                                   G_CALLBACK (on_network_changed_cb), self);
    }
  else if (!network_monitor && self->monitor != NULL)
    {
      g_clear_signal_handler (&self->network_changed_id, self->monitor);
      g_clear_object (&self->monitor);
    }
}

void
tl_wakeup_set_clock_check (TlWakeup *self,
                           guint     interval_ms,
                           guint     jump_ms)
{
  g_return_if_fail (TL_IS_WAKEUP (self));

  self->clock_interval_ms = MAX (interval_ms, 1);
  self->clock_jump_ms = jump_ms;
  self->have_drift = FALSE;
  on_clock_timer_cb (self);
}

void
tl_wakeup_set_wall_clock (TlWakeup        *self,
                          TlWallClockFunc  func,
                          gpointer         user_data)
{
  g_return_if_fail (TL_IS_WAKEUP (self));

  self->wall_clock = func ? func : real_time;
  self->wall_clock_data = user_data;
  self->have_drift = FALSE;
}
