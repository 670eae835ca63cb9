/* bench-markdown.c — a reply streaming into the Markdown view
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Grows one reply to 100 KB in 10-byte deltas, as text streams in, for three
 * shapes of reply: paragraphs, one long fenced code block, one long tight
 * list. After each delta the view is measured at a fixed width, as a frame
 * would. Reported per delta at growing lengths, beside the same text
 * rendered from scratch at that length (what a view that re-renders per
 * delta pays), so the ratio shows whether a delta costs O(delta) or
 * O(reply). Run under Xvfb: GSK_RENDERER=cairo xvfb-run -a bench/bench-markdown [KB]
 * (default 100).
 */
#include <adwaita.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "tl-markdown-view.h"

#define DELTA_BYTES   10
#define WIDTH         600
#define SAMPLES       50

typedef struct
{
  const char *name;
  const char *unit;   /* repeated to build the reply */
  const char *head;
} Shape;

static const Shape shapes[] = {
  { "paragraphs", "The export fails when the path has **spaces**; see `export.c` and [the docs](https://example.com).\n\n", "" },
  { "code block", "    if (status != 0) { g_warning (\"export failed: %s\", error->message); return FALSE; }\n", "```c\n" },
  { "tight list", "- check the log for `E1234` and retry with **--verbose**\n", "" },
};

static double
now_us (void)
{
  return (double) g_get_monotonic_time ();
}

static void
layout (GtkWidget *view)
{
  int minimum, natural;

  gtk_widget_measure (view, GTK_ORIENTATION_VERTICAL, WIDTH, &minimum, &natural, NULL, NULL);
  gtk_widget_allocate (view, WIDTH, natural, -1, NULL);
}

static gsize target_bytes = 100 * 1024;

static char *
build_reply (const Shape *shape)
{
  GString *text = g_string_new (shape->head);

  while (text->len < target_bytes)
    g_string_append (text, shape->unit);
  g_string_truncate (text, target_bytes);
  return g_string_free (text, FALSE);
}

/* Microseconds for one set_text + layout of @length bytes, rendered fresh. */
static double
from_scratch (const char *reply,
              gsize       length)
{
  g_autofree char *prefix = g_strndup (reply, length);
  GtkWidget *view = g_object_ref_sink (tl_markdown_view_new ());
  double start = now_us ();

  tl_markdown_view_set_text (TL_MARKDOWN_VIEW (view), prefix, FALSE);
  layout (view);
  start = now_us () - start;
  g_object_unref (view);
  return start;
}

static void
run_shape (const Shape *shape)
{
  g_autofree char *reply = build_reply (shape);
  const gsize checkpoints[] = { target_bytes / 10, target_bytes / 2, target_bytes };
  GtkWidget *view = g_object_ref_sink (tl_markdown_view_new ());
  GString *shown = g_string_new (NULL);
  guint next = 0;
  double window_us = 0;
  guint window_n = 0;

  for (gsize at = 0; at < target_bytes && next < G_N_ELEMENTS (checkpoints); at += DELTA_BYTES)
    {
      double start;

      g_string_append_len (shown, reply + at, MIN (DELTA_BYTES, target_bytes - at));
      start = now_us ();
      tl_markdown_view_set_text (TL_MARKDOWN_VIEW (view), shown->str, TRUE);
      layout (view);
      /* The last SAMPLES deltas before each checkpoint. */
      if (shown->len + SAMPLES * DELTA_BYTES > checkpoints[next])
        {
          window_us += now_us () - start;
          window_n++;
        }
      if (shown->len >= checkpoints[next])
        {
          double delta = window_us / window_n;
          double scratch = from_scratch (reply, shown->len);

          printf ("%-11s %4zu KB   %9.1f µs/delta   %9.1f µs from scratch   %6.2f×\n",
                  shape->name, shown->len / 1024, delta, scratch, scratch / delta);
          window_us = 0;
          window_n = 0;
          next++;
        }
    }
  g_string_free (shown, TRUE);
  g_object_unref (view);
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  setvbuf (stdout, NULL, _IOLBF, 0);
  if (argc > 1)
    target_bytes = (gsize) g_ascii_strtoull (argv[1], NULL, 10) * 1024;
  gtk_init ();
  adw_init ();

  printf ("A reply grown in %d-byte deltas, measured at %d px after each delta.\n"
          "Baseline: the same text rendered from scratch once (one delta's cost if every\n"
          "delta re-rendered the reply). A flat µs/delta means O(delta).\n\n",
          DELTA_BYTES, WIDTH);
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    run_shape (&shapes[i]);
  return 0;
}
