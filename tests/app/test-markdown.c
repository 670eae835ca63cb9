/* test-markdown.c — streamed Markdown renders as if parsed whole
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The scanner's cuts are checked against md4c itself: for every cut it
 * reports while a document grows, the part before and the part after,
 * parsed apart, give the same blocks as the whole. The view is then fed
 * each document in small deltas and, after every delta, must show what a
 * fresh view shows for the same text, while the blocks before the last cut
 * keep their widgets.
 */
#include <adwaita.h>
#include <string.h>

#include "tl-markdown.h"
#include "tl-markdown-view.h"

static const char *documents[] = {
  "One paragraph\nwrapped.\n\nAnother, with **strong** and `code`.\n\nA third.\n",
  "# Title\nText under it.\n## Next\n\n#hashtag is text\nmore\n",
  "Setext title\n---\n\nAnd\n===\n\npara\n-\nafter\n",
  "- one\n- two\n- three with *emphasis*\n- four\n\nAfter the list.\n",
  "Intro:\n- a bullet interrupts\n- another\nlazy continuation\n- last\n",
  "3. three\n4. four\n10) ten\n\n1. restart\n",
  "text\n2. is not a list here\n\n- - -\n* * *\n",
  "- loose\n\n- items\n\n  with a second paragraph\n- tight again\n",
  "- outer\n  - inner\n  - inner two\n- outer two\n  1. nested ordered\n",
  "```c\nint main (void)\n{\n  return 0;\n}\n```\nAfter the code.\n",
  "Before\n~~~~\nnot closed by ```\n~~~\nstill code\n~~~~\n\n```\nunclosed to the end\n",
  "- item\n  ```\n  code in an item\n  ```\n- next item\n",
  "> a quote\nlazy\n> more\n\n> another\n- list after quote\n",
  "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n\nAfter the table.\n",
  "para\n\n    indented code\n    more\n\npara again\n",
  "```py title=x\nprint ('a')\n```\n```\nsecond\n```\n",
  "``` not a fence, a backtick follows ```\nnext line\n\nafter\n",
  "1. one\n1. two\n1. three\n\n0. zero\n1. one\n",
  "a paragraph\n2. goes on\n3. and on\n\n- x\n",
  "1. item\n\n  not in it\n2. a paragraph's\n\nend\n",
  "- item\n\n text\n-\n\nlast\n",
  "10. Build:\n    ```\n    make\n```\n# Done\nmore\n",
  "para\r\n\r\n```\r\ncode\r\n```\r\nafter\r\n- a\r\n- b\r\n",
  "1) a\n2) b\n3. new list\n4. on\n",
};

static char *
describe (GPtrArray *blocks)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < blocks->len; i++)
    {
      TlMdBlock *block = g_ptr_array_index (blocks, i);

      g_string_append_printf (out, "[%d l%u n%u %s] %s", block->kind, block->level, block->number,
                              block->language ? block->language : "-", block->text->str);
      for (guint s = 0; s < block->spans->len; s++)
        {
          TlMdSpan *span = &g_array_index (block->spans, TlMdSpan, s);

          g_string_append_printf (out, " <%u-%u %x>", span->start, span->end, span->flags);
        }
      if (block->rows != NULL)
        g_string_append_printf (out, " rows=%u", block->rows->len);
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

static char *
parse_and_describe (const char *text,
                    gsize       length)
{
  g_autoptr(GPtrArray) blocks = tl_markdown_parse (text, length);

  return describe (blocks);
}

static void
test_cuts_parse_as_whole (void)
{
  guint all_cuts = 0;

  for (guint d = 0; d < G_N_ELEMENTS (documents); d++)
    {
      const char *doc = documents[d];
      gsize length = strlen (doc);
      TlMdScanner scanner;
      gsize last_cut = 0;
      guint cuts = 0;

      tl_md_scanner_init (&scanner);
      for (gsize grown = 1; grown <= length; grown++)
        {
          tl_md_scanner_feed (&scanner, doc, grown);
          g_assert_cmpuint (scanner.stable, >=, last_cut);
          g_assert_cmpuint (scanner.stable, <=, grown);
          if (scanner.stable == last_cut)
            continue;
          last_cut = scanner.stable;
          cuts++;
          /* Whatever follows: checked against every longer prefix too. */
          for (gsize end = grown; end <= length; end++)
            {
              g_autofree char *whole = parse_and_describe (doc, end);
              g_autofree char *before = parse_and_describe (doc, last_cut);
              g_autofree char *after = parse_and_describe (doc + last_cut, end - last_cut);
              g_autofree char *joined = g_strconcat (before, after, NULL);

              if (g_strcmp0 (whole, joined) != 0)
                g_error ("document %u cut at %zu, parsed to %zu:\n%s\nwhole:\n%s\napart:\n%s",
                         d, last_cut, end, doc, whole, joined);
            }
        }
      g_test_message ("document %u: %u cuts", d, cuts);
      all_cuts += cuts;
    }
  /* Some documents rightly have none ("0." after "1." continues a list). */
  g_assert_cmpuint (all_cuts, >, G_N_ELEMENTS (documents));
}

static void
test_fence_state (void)
{
  const char *doc = "para\n\n```rust\nfn main() {}\n";
  TlMdScanner scanner;

  tl_md_scanner_init (&scanner);
  tl_md_scanner_feed (&scanner, doc, strlen (doc));
  g_assert_true (scanner.in_fence);
  g_assert_cmpuint (scanner.fence_start, ==, 6);
  g_assert_cmpuint (scanner.stable, ==, 6);
  g_assert_cmpuint (scanner.fence_body, ==, strlen ("para\n\n```rust\n"));
  /* A shorter run does not close it, a longer one does. */
  doc = "para\n\n```rust\nfn main() {}\n``\n````\n";
  tl_md_scanner_feed (&scanner, doc, strlen (doc));
  g_assert_false (scanner.in_fence);
  g_assert_cmpuint (scanner.stable, ==, strlen (doc));
  g_assert_cmpuint (scanner.fence_start, ==, G_MAXSIZE);
}

/* What the view shows, in order: each label's text, code blocks whole. */
static void
dump_widget (GtkWidget *widget,
             GString   *out)
{
  if (gtk_widget_has_css_class (widget, "tl-code-block"))
    {
      GtkWidget *language = gtk_widget_get_first_child (gtk_widget_get_first_child (widget));
      gboolean first = TRUE;

      g_string_append_printf (out, "[code %s]\n", gtk_label_get_text (GTK_LABEL (language)));
      /* frame → header, scroller → viewport → lines → chunks */
      for (GtkWidget *chunk = gtk_widget_get_first_child (
             gtk_widget_get_first_child (gtk_widget_get_first_child (gtk_widget_get_last_child (widget))));
           chunk != NULL; chunk = gtk_widget_get_next_sibling (chunk))
        {
          g_string_append_printf (out, "%s%s", first ? "" : "\n", gtk_label_get_text (GTK_LABEL (chunk)));
          first = FALSE;
        }
      g_string_append (out, "\n[/code]\n");
      return;
    }
  if (GTK_IS_LABEL (widget))
    g_string_append_printf (out, "%s\n", gtk_label_get_text (GTK_LABEL (widget)));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    dump_widget (child, out);
}

static char *
dump_view (GtkWidget *view)
{
  GString *out = g_string_new (NULL);

  dump_widget (view, out);
  return g_string_free (out, FALSE);
}

static void
check_streamed (const char *doc,
                guint       step)
{
  gsize length = strlen (doc);
  GtkWidget *view = g_object_ref_sink (tl_markdown_view_new ());

  for (gsize grown = 0; grown < length; )
    {
      g_autofree char *prefix = NULL;
      g_autofree char *streamed = NULL;
      g_autofree char *fresh = NULL;
      GtkWidget *reference = g_object_ref_sink (tl_markdown_view_new ());

      grown = MIN (grown + step, length);
      prefix = g_strndup (doc, grown);
      tl_markdown_view_set_text (TL_MARKDOWN_VIEW (view), prefix, TRUE);
      tl_markdown_view_set_text (TL_MARKDOWN_VIEW (reference), prefix, FALSE);
      streamed = dump_view (view);
      fresh = dump_view (reference);
      if (g_strcmp0 (streamed, fresh) != 0)
        g_error ("streamed in steps of %u to %zu bytes of\n%s\nshows\n%s\ninstead of\n%s",
                 step, grown, doc, streamed, fresh);
      g_object_unref (reference);
    }
  g_object_unref (view);
}

static void
test_view_streams_as_whole (void)
{
  g_autoptr(GString) long_code = g_string_new ("Code:\n\n```\n");

  for (guint d = 0; d < G_N_ELEMENTS (documents); d++)
    for (guint step = 1; step <= 7; step += 3)
      check_streamed (documents[d], step);

  /* Past 32 lines a code block is split into labels: never into an empty one. */
  for (guint i = 0; i < 70; i++)
    g_string_append_printf (long_code, "line %u\n", i);
  g_string_append (long_code, "```\nafter\n");
  check_streamed (long_code->str, 1);
  check_streamed (long_code->str, 8);
}

static void
test_view_final_then_growing (void)
{
  GtkWidget *view = g_object_ref_sink (tl_markdown_view_new ());
  GtkWidget *reference = g_object_ref_sink (tl_markdown_view_new ());
  g_autofree char *streamed = NULL;
  g_autofree char *fresh = NULL;

  /* A reply shown whole (say, from history) that then streams on. */
  tl_markdown_view_set_text (TL_MARKDOWN_VIEW (view), "One.\n\nTwo.\n", FALSE);
  tl_markdown_view_set_text (TL_MARKDOWN_VIEW (view), "One.\n\nTwo.\n\nThree", TRUE);
  tl_markdown_view_set_text (TL_MARKDOWN_VIEW (reference), "One.\n\nTwo.\n\nThree", FALSE);
  streamed = dump_view (view);
  fresh = dump_view (reference);
  g_assert_cmpstr (streamed, ==, fresh);
  g_object_unref (view);
  g_object_unref (reference);
}

static void
test_view_keeps_final_blocks (void)
{
  g_autoptr(GString) doc = g_string_new (NULL);
  GtkWidget *view = g_object_ref_sink (tl_markdown_view_new ());
  GtkWidget *first, *code = NULL;
  g_autoptr(GListModel) children = NULL;

  for (guint i = 0; i < 100; i++)
    g_string_append_printf (doc, "- item %u\n", i);
  tl_markdown_view_set_text (TL_MARKDOWN_VIEW (view), doc->str, TRUE);
  first = gtk_widget_get_first_child (view);
  g_string_append (doc, "\n```sh\n");
  for (guint i = 0; i < 100; i++)
    {
      g_string_append_printf (doc, "echo %u\n", i);
      tl_markdown_view_set_text (TL_MARKDOWN_VIEW (view), doc->str, TRUE);
      if (i == 0)
        code = gtk_widget_get_last_child (view);
      /* Blocks before the fence stay; the open fence grows in place. */
      g_assert_true (gtk_widget_get_first_child (view) == first);
      g_assert_true (gtk_widget_get_last_child (view) == code);
    }
  /* A hundred items and one code block, not a hundred and one children. */
  children = gtk_widget_observe_children (view);
  g_assert_cmpuint (g_list_model_get_n_items (children), <, 40);
  g_object_unref (view);
}

int
main (int    argc,
      char **argv)
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/threadline/markdown/cuts-parse-as-whole", test_cuts_parse_as_whole);
  g_test_add_func ("/threadline/markdown/fence-state", test_fence_state);
  g_test_add_func ("/threadline/markdown/view-streams-as-whole", test_view_streams_as_whole);
  g_test_add_func ("/threadline/markdown/view-keeps-final-blocks", test_view_keeps_final_blocks);
  g_test_add_func ("/threadline/markdown/view-final-then-growing", test_view_final_then_growing);
  return g_test_run ();
}
