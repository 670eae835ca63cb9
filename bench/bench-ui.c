/* bench-ui.c — the window under load, measured from the frame clock
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Run under Xvfb: xvfb-run -a build/bench/bench-ui [--messages N] [--seconds S] [--rate R] [--opens K]
 *
 * 1. Opening a conversation of N messages (default 100,000): time from
 *    making it active to the end of the first frame that shows it, once cold
 *    and K times (default 5) warm, coming from a 500-message conversation.
 * 2. R events per second (default 1,000) for S seconds (default 60) into the
 *    visible thread and the sidebar: new messages, edits, renames that move
 *    conversations, typing. Frame work (from the frame clock's
 *    "before-paint" to "after-paint": update, layout and paint) at p50 and
 *    p99, and frames per second.
 * 3. RSS with the thread loaded.
 * The baseline in the same run: the same frame measurement with no events,
 * so what the load adds is visible.
 */
#include <adwaita.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl-json.h"
#include "tl-store.h"
#include "tl-window.h"

typedef struct
{
  guint   messages;
  guint   seconds;
  guint   rate;
  guint   opens;
} Options;

typedef struct
{
  GArray  *frame_us;     /* gint64 work per frame */
  gint64   frame_start;
  gboolean recording;
  gboolean painted;
  guint    frames;
} FrameStats;

static void
apply (TlStore    *store,
       const char *json)
{
  g_autoptr(JsonNode) root = tl_json_decode_frame (json, strlen (json), NULL);

  g_assert (root != NULL);
  tl_store_apply_node (store, root, TL_APPLY_FLAGS_FILE, NULL);
}

static long
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmRSS:");
  return line ? strtol (line + 6, NULL, 10) : -1;
}

static void
on_before_paint_cb (GdkFrameClock *clock,
                    FrameStats    *stats)
{
  stats->frame_start = g_get_monotonic_time ();
}

static void
on_after_paint_cb (GdkFrameClock *clock,
                   FrameStats    *stats)
{
  gint64 work;

  stats->painted = TRUE;
  if (!stats->recording || stats->frame_start == 0)
    return;
  work = g_get_monotonic_time () - stats->frame_start;
  stats->frame_start = 0;
  g_array_append_val (stats->frame_us, work);
  stats->frames++;
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static double
percentile (GArray *values,
            double  p)
{
  guint i;

  if (values->len == 0)
    return 0;
  g_array_sort (values, compare_gint64);
  i = MIN (values->len - 1, (guint) (p * values->len));
  return g_array_index (values, gint64, i) / 1000.0;
}

static void
run_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
}

typedef struct
{
  TlStore *store;
  gint64   busy_us;   /* time spent applying events (store + model handlers) */
  int      only;      /* BENCH_UI_ONLY: one kind of event (0 add, 5 update, 7 rename, 9 typing) */
  guint    rate;
  guint    sent;
  guint    next_id;
  gint64   started;
  gint64   seq;
} Load;

/* Applies however many events the rate calls for by now, as one batch: the
 * connection coalesces the same way, per main-loop dispatch. */
static gboolean
on_load_tick_cb (gpointer user_data)
{
  Load *load = user_data;
  gint64 begin = g_get_monotonic_time ();
  gint64 due = (begin - load->started) * load->rate / G_USEC_PER_SEC;

  tl_store_begin_batch (load->store);
  while ((gint64) load->sent < due)
    {
      g_autofree char *line = NULL;
      guint kind = load->only >= 0 ? (guint) load->only : load->sent % 10;

      if (kind < 5)
        line = g_strdup_printf ("{\"type\":\"message-added\",\"message\":{\"id\":\"live-%u\",\"conversationId\":\"c-0\","
                                "\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\"live message %u with **bold** text\"}],"
                                "\"createdAt\":\"2026-12-04T00:%02u:%02u.%03uZ\",\"author\":{\"id\":\"u-%u\",\"displayName\":\"User %u\"}}}",
                                load->next_id, load->next_id, (load->next_id / 60000) % 60,
                                (load->next_id / 1000) % 60, load->next_id % 1000,
                                load->next_id % 7, load->next_id % 7),
        load->next_id++;
      else if (kind < 7 && load->next_id > 0)
        line = g_strdup_printf ("{\"type\":\"message-updated\",\"message\":{\"id\":\"live-%u\",\"status\":\"read\","
                                "\"editedAt\":\"2026-12-04T01:00:00Z\"}}", load->next_id - 1);
      else if (kind < 9)
        line = g_strdup_printf ("{\"type\":\"conversation-updated\",\"conversation\":{\"id\":\"c-%u\","
                                "\"title\":\"Room %u\",\"lastMessageAt\":\"2026-12-04T00:00:%02u.%03uZ\"}}",
                                1 + load->sent % 199, load->sent, (load->sent / 1000) % 60, load->sent % 1000);
      else
        line = g_strdup_printf ("{\"type\":\"typing\",\"conversationId\":\"c-0\",\"userId\":\"u-%u\",\"isTyping\":%s}",
                                load->sent % 5, (load->sent / 10) % 2 ? "true" : "false");
      if (line != NULL)
        apply (load->store, line);
      load->sent++;
    }
  tl_store_end_batch (load->store);
  load->busy_us += g_get_monotonic_time () - begin;
  return G_SOURCE_CONTINUE;
}

int
main (int    argc,
      char **argv)
{
  Options o = { 100000, 60, 1000, 5 };
  g_autoptr(TlStore) store = NULL;
  g_autoptr(GArray) baseline = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) opens = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) in_order = NULL;   /* the load's frames, unsorted */
  FrameStats stats = { NULL };
  GdkFrameClock *clock;
  TlWindow *window;
  Load load = { 0 };
  gint64 t0, open_us, cold_us;
  long rss_before, rss_loaded;
  double base_fps, load_fps;
  guint timer;

  for (int i = 1; i + 1 < argc; i += 2)
    {
      guint value = (guint) g_ascii_strtoull (argv[i + 1], NULL, 10);

      if (strcmp (argv[i], "--messages") == 0)
        o.messages = value;
      else if (strcmp (argv[i], "--seconds") == 0)
        o.seconds = value;
      else if (strcmp (argv[i], "--rate") == 0)
        o.rate = value;
      else if (strcmp (argv[i], "--opens") == 0)
        o.opens = MAX (value, 1);
    }

  /* The window reads the schema the build compiled; settings stay in
   * memory so a run neither reads nor changes the user's. */
  g_setenv ("GSETTINGS_SCHEMA_DIR", TL_BUILD_SCHEMA_DIR, FALSE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  gtk_init ();
  adw_init ();

  rss_before = rss_kib ();
  store = tl_store_new ();
  tl_store_begin_batch (store);
  for (guint c = 0; c < 200; c++)
    {
      g_autofree char *line = g_strdup_printf ("{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c-%u\","
                                               "\"title\":\"Room %u\",\"lastMessageAt\":\"2026-12-03T%02u:00:00Z\"}}",
                                               c, c, c % 24);
      apply (store, line);
    }
  for (guint m = 0; m < o.messages; m++)
    {
      g_autofree char *line = g_strdup_printf ("{\"type\":\"message-added\",\"message\":{\"id\":\"m-%07u\",\"conversationId\":\"c-0\","
                                               "\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\"Message number %u, with a little *markdown*.\"}],"
                                               "\"createdAt\":\"2026-12-03T%02u:%02u:%02u.%03uZ\",\"author\":{\"id\":\"u-%u\",\"displayName\":\"User %u\"}}}",
                                               m, m, (m / 3600000) % 24, (m / 60000) % 60, (m / 1000) % 60, m % 1000,
                                               m % 5, m % 5);
      apply (store, line);
    }
  /* The conversation the warm opens come from: switching tears its rows
   * down, as it does for a user going from one room to another. */
  for (guint m = 0; m < 500; m++)
    {
      g_autofree char *line = g_strdup_printf ("{\"type\":\"message-added\",\"message\":{\"id\":\"o-%u\",\"conversationId\":\"c-1\","
                                               "\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\"Earlier room, message %u\"}],"
                                               "\"createdAt\":\"2026-12-02T10:%02u:%02uZ\",\"author\":{\"id\":\"u-%u\",\"displayName\":\"User %u\"}}}",
                                               m, m, (m / 60) % 60, m % 60, m % 3, m % 3);
      apply (store, line);
    }
  tl_store_end_batch (store);

  window = tl_window_new (NULL, store);
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  gtk_window_present (GTK_WINDOW (window));
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  stats.frame_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_signal_connect (clock, "before-paint", G_CALLBACK (on_before_paint_cb), &stats);
  g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint_cb), &stats);
  run_for (500);

  /* 1. Open the big thread: once cold (the first thread this process shows:
   * fonts, templates, style), then warm, after visiting another room. */
  stats.painted = FALSE;
  t0 = g_get_monotonic_time ();
  tl_store_set_active_conversation_id (store, "c-0");
  while (!stats.painted)
    g_main_context_iteration (NULL, TRUE);
  cold_us = g_get_monotonic_time () - t0;
  for (guint i = 0; i < o.opens; i++)
    {
      run_for (300);
      tl_store_set_active_conversation_id (store, "c-1");
      run_for (300);
      stats.painted = FALSE;
      t0 = g_get_monotonic_time ();
      tl_store_set_active_conversation_id (store, "c-0");
      while (!stats.painted)
        g_main_context_iteration (NULL, TRUE);
      open_us = g_get_monotonic_time () - t0;
      g_array_append_val (opens, open_us);
    }
  run_for (500);
  rss_loaded = rss_kib ();

  /* Baseline: frames with nothing arriving (the clock keeps ticking while
   * we request redraws, so ask for a frame every tick). */
  stats.recording = TRUE;
  stats.frames = 0;
  g_array_set_size (stats.frame_us, 0);
  t0 = g_get_monotonic_time ();
  while (g_get_monotonic_time () - t0 < 2 * G_USEC_PER_SEC)
    {
      gtk_widget_queue_draw (GTK_WIDGET (window));
      g_main_context_iteration (NULL, TRUE);
    }
  base_fps = stats.frames / 2.0;
  g_array_append_vals (baseline, stats.frame_us->data, stats.frame_us->len);

  /* 2. The load. */
  stats.frames = 0;
  g_array_set_size (stats.frame_us, 0);
  load.store = store;
  load.rate = o.rate;
  load.only = g_getenv ("BENCH_UI_ONLY") ? atoi (g_getenv ("BENCH_UI_ONLY")) : -1;
  load.started = g_get_monotonic_time ();
  timer = g_timeout_add (5, on_load_tick_cb, &load);
  t0 = g_get_monotonic_time ();
  while (g_get_monotonic_time () - t0 < (gint64) o.seconds * G_USEC_PER_SEC)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timer);
  in_order = g_array_copy (stats.frame_us);
  load_fps = stats.frames / (double) o.seconds;

  g_print ("UI benchmark: %u messages in the open thread, 200 conversations, %s renderer\n\n",
           o.messages, G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (window))));
  g_print ("  open the %u-message conversation (to first painted frame): warm median %.1f ms, "
           "max %.1f ms (%u opens); cold (first thread shown by the process) %.1f ms\n",
           o.messages, percentile (opens, 0.5), percentile (opens, 1.0), o.opens, cold_us / 1000.0);
  g_print ("  RSS: before the store %ld KiB, thread loaded and shown %ld KiB (%.0f B/message)\n",
           rss_before, rss_loaded, (rss_loaded - rss_before) * 1024.0 / o.messages);
  g_print ("\n  frame work (before→after paint)     p50 ms   p99 ms   frames/s\n");
  g_print ("  idle, redraw every frame (baseline) %6.2f   %6.2f   %6.1f\n",
           percentile (baseline, 0.50), percentile (baseline, 0.99), base_fps);
  g_print ("  %u events/s for %u s               %6.2f   %6.2f   %6.1f   (%u events applied)\n",
           o.rate, o.seconds, percentile (stats.frame_us, 0.50), percentile (stats.frame_us, 0.99),
           load_fps, load.sent);
  /* Per stretch of the run: a cost that grows with the changes a list has
   * seen shows as a rising p99. */
  g_print ("  p99 of each 600 frames (about 10 s) in turn:");
  for (guint start = 0; start < in_order->len; start += 600)
    {
      g_autoptr(GArray) part = g_array_new (FALSE, FALSE, sizeof (gint64));

      g_array_append_vals (part, &g_array_index (in_order, gint64, start),
                           MIN (600, in_order->len - start));
      g_print (" %.1f", percentile (part, 0.99));
    }
  g_print (" ms\n");
  g_print ("  time applying events (store and model listeners): %.1f%% of the run\n",
           100.0 * load.busy_us / ((double) o.seconds * G_USEC_PER_SEC));

  gtk_window_destroy (GTK_WINDOW (window));
  g_array_unref (stats.frame_us);
  return 0;
}
