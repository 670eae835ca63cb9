/* tl-deadline.c — a re-armable one-shot timer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The silence timer is pushed back on every received frame, tens of
 * thousands of times a second under load. Moving the ready time of one
 * attached GSource costs next to nothing, where removing and adding a
 * timeout source per frame would churn the main context.
 */
#define G_LOG_DOMAIN "threadline-net"

#include "tl-deadline.h"

typedef struct
{
  GSource     source;
  TlDeadline *owner;
} DeadlineSource;

struct _TlDeadline
{
  GSource        *source;
  TlDeadlineFunc  func;
  gpointer        user_data;
};

static gboolean
deadline_dispatch (GSource     *source,
                   GSourceFunc  callback,
                   gpointer     user_data)
{
  TlDeadline *self = ((DeadlineSource *) source)->owner;

  /* Disarm first: the callback may re-arm, or free the deadline. */
  g_source_set_ready_time (source, -1);
  self->func (self->user_data);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs deadline_funcs = {
  .dispatch = deadline_dispatch,
};

TlDeadline *
tl_deadline_new (TlDeadlineFunc func,
                 gpointer       user_data)
{
  TlDeadline *self = g_new0 (TlDeadline, 1);

  self->func = func;
  self->user_data = user_data;
  self->source = g_source_new (&deadline_funcs, sizeof (DeadlineSource));
  ((DeadlineSource *) self->source)->owner = self;
  g_source_set_name (self->source, "[threadline-net] deadline");
  g_source_set_ready_time (self->source, -1);
  g_source_attach (self->source, g_main_context_get_thread_default ());
  return self;
}

void
tl_deadline_free (TlDeadline *self)
{
  if (self == NULL)
    return;
  g_source_destroy (self->source);
  g_source_unref (self->source);
  g_free (self);
}

void
tl_deadline_arm (TlDeadline *self,
                 guint       ms)
{
  g_return_if_fail (self != NULL);
  g_source_set_ready_time (self->source, g_get_monotonic_time () + (gint64) ms * 1000);
}

void
tl_deadline_arm_at (TlDeadline *self,
                    gint64      ready_time)
{
  g_return_if_fail (self != NULL);
  g_source_set_ready_time (self->source, MAX (ready_time, 0));
}

void
tl_deadline_disarm (TlDeadline *self)
{
  g_return_if_fail (self != NULL);
  g_source_set_ready_time (self->source, -1);
}

gboolean
tl_deadline_is_armed (TlDeadline *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return g_source_get_ready_time (self->source) >= 0;
}
