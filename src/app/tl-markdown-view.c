/* tl-markdown-view.c — Markdown shown as widgets, without markup
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every block becomes a GtkLabel whose text is set with gtk_label_set_text()
 * and styled with a PangoAttrList built from byte ranges, so no character of
 * a message is ever parsed as markup. Links are found under the pointer in
 * the label's layout, since plain labels have no link support.
 *
 * While a reply streams, the text before its last stable block boundary is
 * rendered once; each delta re-renders only the block after it. A code
 * fence still open at the end grows in place instead, and is split into
 * labels of CODE_CHUNK_LINES lines, so that a long one is not laid out
 * again as a whole per delta.
 */
#define G_LOG_DOMAIN "threadline-app"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "tl-markdown-view.h"
#include "tl-markdown.h"

#define CODE_CHUNK_LINES 32
/* Past this many final blocks, the next go into boxes of this many: a box
 * whose children did not change answers a measure from its cache, so
 * laying out a long reply after a delta visits a few dozen widgets, not
 * every block. A short message has no box of its own to build. */
#define GROUP_BLOCKS     32

struct _TlMarkdownView
{
  GtkWidget    parent_instance;

  GString     *text;
  TlMdScanner  scanner;
  gsize        stable_length;   /* bytes of text rendered as stable blocks */
  guint        stable_widgets;  /* children that belong to them: groups */
  GtkWidget   *group;           /* the last group, while it has room */
  guint        group_blocks;
  gboolean     final;           /* rendered whole: a growing text starts over */
  GtkWidget   *open_code;       /* the last child: a fence still streaming */
  gsize        open_code_end;   /* the bytes of text it shows end here */
};

G_DEFINE_FINAL_TYPE (TlMarkdownView, tl_markdown_view, GTK_TYPE_WIDGET)

static void remove_children_from (TlMarkdownView *self,
                                  guint           keep);

static void
tl_markdown_view_dispose (GObject *object)
{
  remove_children_from (TL_MARKDOWN_VIEW (object), 0);

  G_OBJECT_CLASS (tl_markdown_view_parent_class)->dispose (object);
}

static void
tl_markdown_view_finalize (GObject *object)
{
  TlMarkdownView *self = TL_MARKDOWN_VIEW (object);

  g_string_free (self->text, TRUE);

  G_OBJECT_CLASS (tl_markdown_view_parent_class)->finalize (object);
}

static void
tl_markdown_view_class_init (TlMarkdownViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tl_markdown_view_dispose;
  object_class->finalize = tl_markdown_view_finalize;

  /* Blocks are children of the view itself: one widget fewer per message
   * than an inner box, and a thread builds many. */
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "markdown");
}

static void
tl_markdown_view_init (TlMarkdownView *self)
{
  GtkLayoutManager *layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));

  self->text = g_string_new (NULL);
  tl_md_scanner_init (&self->scanner);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 6);
}

GtkWidget *
tl_markdown_view_new (void)
{
  return g_object_new (TL_TYPE_MARKDOWN_VIEW, NULL);
}

static gboolean
is_openable (const char *url)
{
  return g_str_has_prefix (url, "https://") || g_str_has_prefix (url, "http://") ||
         g_str_has_prefix (url, "mailto:");
}

static const char *
link_at (GtkLabel *label,
         double    x,
         double    y)
{
  GArray *spans = g_object_get_data (G_OBJECT (label), "tl-spans");
  PangoLayout *layout = gtk_label_get_layout (label);
  int ox, oy, index, trailing;

  if (spans == NULL)
    return NULL;
  gtk_label_get_layout_offsets (label, &ox, &oy);
  if (!pango_layout_xy_to_index (layout, (int) ((x - ox) * PANGO_SCALE),
                                 (int) ((y - oy) * PANGO_SCALE), &index, &trailing))
    return NULL;
  for (guint i = 0; i < spans->len; i++)
    {
      TlMdSpan *span = &g_array_index (spans, TlMdSpan, i);

      if ((span->flags & TL_MD_SPAN_LINK) && span->url != NULL && is_openable (span->url) &&
          (guint) index >= span->start && (guint) index < span->end)
        return span->url;
    }
  return NULL;
}

static void
on_link_released_cb (GtkGestureClick *gesture,
                     int              n_press,
                     double           x,
                     double           y,
                     GtkLabel        *label)
{
  const char *url = link_at (label, x, y);
  int start, end;

  /* A drag that selected text is a selection, not a click. */
  if (url == NULL || (gtk_label_get_selection_bounds (label, &start, &end) && start != end))
    return;
  gtk_show_uri (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (label))), url, GDK_CURRENT_TIME);
}

static void
on_link_motion_cb (GtkEventControllerMotion *motion,
                   double                    x,
                   double                    y,
                   GtkLabel                 *label)
{
  gtk_widget_set_cursor_from_name (GTK_WIDGET (label), link_at (label, x, y) ? "pointer" : NULL);
}

static void
free_spans (gpointer data)
{
  GArray *spans = data;

  for (guint i = 0; i < spans->len; i++)
    g_free (g_array_index (spans, TlMdSpan, i).url);
  g_array_unref (spans);
}

GtkWidget *
tl_text_label_new (const char *text)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_text (GTK_LABEL (label), text);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  /* Words longer than a line (URLs, hostile strings) break anywhere. */
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  /* A wrapping label's minimum width is its text laid out at that width;
   * at the default (0) every character becomes a line, which made laying
   * out a thread row cost milliseconds. Twenty characters is still narrow
   * enough for a phone-sized window. */
  gtk_label_set_width_chars (GTK_LABEL (label), 20);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_halign (label, GTK_ALIGN_FILL);
  gtk_widget_set_focusable (label, FALSE);
  return label;
}

const char *
tl_text_label_get_link (GtkLabel *label,
                        guint     index)
{
  GArray *spans = g_object_get_data (G_OBJECT (label), "tl-spans");

  for (guint i = 0; spans != NULL && i < spans->len; i++)
    {
      TlMdSpan *span = &g_array_index (spans, TlMdSpan, i);

      if ((span->flags & TL_MD_SPAN_LINK) && span->url != NULL && is_openable (span->url) && index-- == 0)
        return span->url;
    }
  return NULL;
}

/* Links take the accent colour of the style in use (libadwaita's
 * @accent_color, light and dark), as a label's own links would. */
static void
color_links (GtkLabel *label)
{
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  GArray *spans = g_object_get_data (G_OBJECT (label), "tl-spans");
  PangoAttrList *attrs = gtk_label_get_attributes (label) ? pango_attr_list_copy (gtk_label_get_attributes (label))
                                                          : pango_attr_list_new ();

  for (guint i = 0; i < spans->len; i++)
    {
      TlMdSpan *span = &g_array_index (spans, TlMdSpan, i);
      PangoAttribute *attr;

      if (!(span->flags & TL_MD_SPAN_LINK) || span->url == NULL || !is_openable (span->url))
        continue;
      attr = dark ? pango_attr_foreground_new (0x7800, 0xae00, 0xed00)
                  : pango_attr_foreground_new (0x1c00, 0x7100, 0xd800);
      attr->start_index = span->start;
      attr->end_index = span->end;
      pango_attr_list_change (attrs, attr);
    }
  gtk_label_set_attributes (label, attrs);
  pango_attr_list_unref (attrs);
}

static GtkWidget *
label_for (TlMdBlock *block)
{
  GtkWidget *label = tl_text_label_new (block->text->str);
  PangoAttrList *attrs = pango_attr_list_new ();
  gboolean has_link = FALSE;

  for (guint i = 0; i < block->spans->len; i++)
    {
      TlMdSpan *span = &g_array_index (block->spans, TlMdSpan, i);
      PangoAttribute *attr;

#define ADD(make) \
      attr = (make); attr->start_index = span->start; attr->end_index = span->end; \
      pango_attr_list_insert (attrs, attr);
      if (span->flags & TL_MD_SPAN_STRONG)
        { ADD (pango_attr_weight_new (PANGO_WEIGHT_BOLD)); }
      if (span->flags & TL_MD_SPAN_EMPHASIS)
        { ADD (pango_attr_style_new (PANGO_STYLE_ITALIC)); }
      if (span->flags & TL_MD_SPAN_CODE)
        { ADD (pango_attr_family_new ("monospace")); }
      if (span->flags & TL_MD_SPAN_STRIKE)
        { ADD (pango_attr_strikethrough_new (TRUE)); }
      if ((span->flags & TL_MD_SPAN_LINK) && span->url != NULL && is_openable (span->url))
        {
          ADD (pango_attr_underline_new (PANGO_UNDERLINE_SINGLE));
          has_link = TRUE;
        }
#undef ADD
    }
  gtk_label_set_attributes (GTK_LABEL (label), attrs);
  pango_attr_list_unref (attrs);

  if (has_link)
    {
      GtkGesture *click = gtk_gesture_click_new ();
      GtkEventController *motion = gtk_event_controller_motion_new ();
      GArray *spans = g_array_new (FALSE, FALSE, sizeof (TlMdSpan));

      for (guint i = 0; i < block->spans->len; i++)
        {
          TlMdSpan copy = g_array_index (block->spans, TlMdSpan, i);

          copy.url = g_strdup (copy.url);
          g_array_append_val (spans, copy);
        }
      g_object_set_data_full (G_OBJECT (label), "tl-spans", spans, free_spans);
      color_links (GTK_LABEL (label));
      g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                               G_CALLBACK (color_links), label, G_CONNECT_SWAPPED);
      g_signal_connect (click, "released", G_CALLBACK (on_link_released_cb), label);
      g_signal_connect (motion, "motion", G_CALLBACK (on_link_motion_cb), label);
      gtk_widget_add_controller (label, GTK_EVENT_CONTROLLER (click));
      gtk_widget_add_controller (label, motion);
    }
  return label;
}

/* A code block's text, shown as labels of CODE_CHUNK_LINES lines each. */
typedef struct
{
  GString   *code;
  GtkWidget *lines;        /* box of chunk labels */
  GtkWidget *last;         /* the chunk still growing */
  gsize      last_start;   /* where in code it begins */
  guint      last_lines;   /* newlines in it */
} CodeBlock;

static void
code_block_free (gpointer data)
{
  CodeBlock *block = data;

  g_string_free (block->code, TRUE);
  g_free (block);
}

static CodeBlock *
code_block_of (GtkWidget *frame)
{
  return g_object_get_data (G_OBJECT (frame), "tl-code-block");
}

static void
on_copy_clicked_cb (GtkButton *button,
                    GtkWidget *frame)
{
  GString *code = code_block_of (frame)->code;
  gsize length = code->len;
  g_autofree char *text = NULL;

  /* A fence still streaming may end in the newline before what comes next. */
  if (length > 0 && code->str[length - 1] == '\n')
    length--;
  text = g_strndup (code->str, length);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), text);
}

static GtkWidget *
code_chunk_new (void)
{
  GtkWidget *label = tl_text_label_new ("");

  gtk_label_set_wrap (GTK_LABEL (label), FALSE);
  gtk_widget_add_css_class (label, "monospace");
  return label;
}

static void
set_chunk_text (GtkWidget  *label,
                const char *text,
                gsize       length)
{
  g_autofree char *copy = NULL;

  if (length > 0 && text[length - 1] == '\n')
    length--;
  copy = g_strndup (text, length);
  gtk_label_set_text (GTK_LABEL (label), copy);
}

/* Appends @length bytes of code; only the last chunk is laid out again. */
static void
code_block_append (GtkWidget  *frame,
                   const char *text,
                   gsize       length)
{
  CodeBlock *block = code_block_of (frame);
  gsize from = block->code->len;

  g_string_append_len (block->code, text, length);
  for (gsize i = from; i < block->code->len; i++)
    {
      /* Full, and something follows: it is final, and the rest goes into a
       * new chunk (not before: an empty chunk would show a blank line). */
      if (block->last_lines == CODE_CHUNK_LINES)
        {
          set_chunk_text (block->last, block->code->str + block->last_start, i - block->last_start);
          block->last = code_chunk_new ();
          gtk_box_append (GTK_BOX (block->lines), block->last);
          block->last_start = i;
          block->last_lines = 0;
        }
      if (block->code->str[i] == '\n')
        block->last_lines++;
    }
  set_chunk_text (block->last, block->code->str + block->last_start,
                  block->code->len - block->last_start);
}

static GtkWidget *
code_block_new (const char *language_name)
{
  GtkWidget *frame = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *language = gtk_label_new (language_name ? language_name : "");
  GtkWidget *copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");
  GtkWidget *scroller = gtk_scrolled_window_new ();
  CodeBlock *block = g_new0 (CodeBlock, 1);

  block->code = g_string_new (NULL);
  block->lines = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  block->last = code_chunk_new ();
  gtk_box_append (GTK_BOX (block->lines), block->last);
  g_object_set_data_full (G_OBJECT (frame), "tl-code-block", block, code_block_free);

  gtk_widget_add_css_class (frame, "tl-code-block");
  gtk_widget_add_css_class (language, "dim-label");
  gtk_widget_add_css_class (language, "caption");
  gtk_widget_set_hexpand (language, TRUE);
  gtk_label_set_xalign (GTK_LABEL (language), 0);
  gtk_widget_add_css_class (copy, "flat");
  gtk_widget_set_tooltip_text (copy, _("Copy Code"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (copy), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Copy code"), -1);
  g_signal_connect (copy, "clicked", G_CALLBACK (on_copy_clicked_cb), frame);
  gtk_box_append (GTK_BOX (header), language);
  gtk_box_append (GTK_BOX (header), copy);

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_AUTOMATIC,
                                  GTK_POLICY_NEVER);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), block->lines);

  gtk_box_append (GTK_BOX (frame), header);
  gtk_box_append (GTK_BOX (frame), scroller);
  return frame;
}

static GtkWidget *
code_block_for (TlMdBlock *block)
{
  GtkWidget *frame = code_block_new (block->language);

  code_block_append (frame, block->text->str, block->text->len);
  return frame;
}

static GtkWidget *
table_for (TlMdBlock *block)
{
  GtkWidget *grid = gtk_grid_new ();

  gtk_widget_add_css_class (grid, "tl-table");
  gtk_grid_set_column_spacing (GTK_GRID (grid), 18);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  for (guint r = 0; r < block->rows->len; r++)
    {
      GPtrArray *row = g_ptr_array_index (block->rows, r);

      for (guint c = 0; c < row->len; c++)
        {
          GtkWidget *cell = label_for (g_ptr_array_index (row, c));

          if (r == 0 && block->header_row)
            gtk_widget_add_css_class (cell, "heading");
          gtk_grid_attach (GTK_GRID (grid), cell, (int) c, (int) r, 1, 1);
        }
    }
  return grid;
}

static GtkWidget *
widget_for (TlMdBlock *block)
{
  GtkWidget *widget;

  switch (block->kind)
    {
    case TL_MD_CODE:
      return code_block_for (block);
    case TL_MD_TABLE:
      return table_for (block);
    case TL_MD_RULE:
      return gtk_separator_new (GTK_ORIENTATION_HORIZONTAL);
    case TL_MD_HEADING:
      widget = label_for (block);
      gtk_widget_add_css_class (widget, block->level <= 2 ? "title-3" : "heading");
      return widget;
    case TL_MD_QUOTE_PARAGRAPH:
      widget = label_for (block);
      gtk_widget_add_css_class (widget, "tl-quote");
      return widget;
    case TL_MD_LIST_ITEM:
      {
        g_autofree char *marker = block->number > 0 ? g_strdup_printf ("%u.", block->number)
                                                    : g_strdup ("•");
        GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
        GtkWidget *bullet = gtk_label_new (marker);

        gtk_widget_set_valign (bullet, GTK_ALIGN_START);
        gtk_widget_set_margin_start (row, 12 * (int) block->level);
        gtk_box_append (GTK_BOX (row), bullet);
        widget = label_for (block);
        gtk_widget_set_hexpand (widget, TRUE);
        gtk_box_append (GTK_BOX (row), widget);
        return row;
      }
    case TL_MD_PARAGRAPH:
    default:
      return label_for (block);
    }
}

/* Renders @text[from..to) as widgets appended to the view. */
static void
render_range (TlMarkdownView *self,
              gsize           from,
              gsize           to)
{
  g_autoptr(GPtrArray) blocks = tl_markdown_parse (self->text->str + from, to - from);

  for (guint i = 0; i < blocks->len; i++)
    gtk_widget_insert_before (widget_for (g_ptr_array_index (blocks, i)), GTK_WIDGET (self), NULL);
}

/* Renders @text[from..to), which never changes again, into groups; the
 * view must have no other children after them. */
static void
render_final (TlMarkdownView *self,
              gsize           from,
              gsize           to)
{
  g_autoptr(GPtrArray) blocks = tl_markdown_parse (self->text->str + from, to - from);

  for (guint i = 0; i < blocks->len; i++)
    {
      if (self->group == NULL && self->stable_widgets < GROUP_BLOCKS)
        {
          gtk_widget_insert_before (widget_for (g_ptr_array_index (blocks, i)), GTK_WIDGET (self), NULL);
          self->stable_widgets++;
          continue;
        }
      if (self->group == NULL || self->group_blocks == GROUP_BLOCKS)
        {
          self->group = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
          gtk_widget_insert_before (self->group, GTK_WIDGET (self), NULL);
          self->group_blocks = 0;
          self->stable_widgets++;
        }
      gtk_box_append (GTK_BOX (self->group), widget_for (g_ptr_array_index (blocks, i)));
      self->group_blocks++;
    }
}

static void
remove_children_from (TlMarkdownView *self,
                      guint           keep)
{
  GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self));

  for (guint i = 0; child != NULL && i < keep; i++)
    child = gtk_widget_get_next_sibling (child);
  while (child != NULL)
    {
      GtkWidget *next = gtk_widget_get_next_sibling (child);

      if (child == self->open_code)
        self->open_code = NULL;
      if (child == self->group)
        self->group = NULL;
      gtk_widget_unparent (child);
      child = next;
    }
}

/* The info string's first word, as md4c reports a fence's language. */
static char *
fence_language (const char *line,
                gsize       length)
{
  gsize i = 0, end;

  while (i < length && line[i] == line[0])
    i++;
  while (i < length && (line[i] == ' ' || line[i] == '\t'))
    i++;
  end = i;
  while (end < length && line[end] != ' ' && line[end] != '\t' && line[end] != '\n')
    end++;
  return end > i ? g_strndup (line + i, end - i) : NULL;
}

static void
reset (TlMarkdownView *self)
{
  remove_children_from (self, 0);
  g_string_truncate (self->text, 0);
  tl_md_scanner_init (&self->scanner);
  self->stable_length = 0;
  self->stable_widgets = 0;
}

/* Whether @text, @length bytes, is what is shown and more. Past the length
 * only the last bytes shown are compared, so that a delta does not cost a
 * pass over the whole reply; a text replaced mid-stream is caught there,
 * and the final render (not growing) is exact whatever happened. */
static gboolean
extends_shown (TlMarkdownView *self,
               const char     *text,
               gsize           length)
{
  gsize check = MIN (self->text->len, 256);

  return length >= self->text->len &&
         memcmp (text + self->text->len - check, self->text->str + self->text->len - check, check) == 0;
}

void
tl_markdown_view_set_text (TlMarkdownView *self,
                           const char     *text,
                           gboolean        growing)
{
  TlMdScanner *scanner = &self->scanner;
  gsize length;

  g_return_if_fail (TL_IS_MARKDOWN_VIEW (self));

  text = text ? text : "";
  length = strlen (text);
  if (growing && length == self->text->len && memcmp (text, self->text->str, length) == 0)
    return;

  /* Not an extension of what is shown (or the stream ended, and the last
   * render must be exact): start over. */
  if (!growing || self->final || !extends_shown (self, text, length))
    reset (self);
  self->final = !growing;
  g_string_append_len (self->text, text + self->text->len, length - self->text->len);

  if (!growing)
    {
      render_final (self, 0, length);
      return;
    }

  tl_md_scanner_feed (scanner, self->text->str, self->text->len);
  if (scanner->stable > self->stable_length)
    {
      remove_children_from (self, self->stable_widgets);
      render_final (self, self->stable_length, scanner->stable);
      self->stable_length = scanner->stable;
    }
  else if (self->open_code != NULL && !tl_md_scanner_closing (scanner, self->text->str, length))
    {
      /* Still the same open fence: only the new code is added. */
      code_block_append (self->open_code, self->text->str + self->open_code_end,
                         length - self->open_code_end);
      self->open_code_end = length;
      return;
    }

  remove_children_from (self, self->stable_widgets);
  /* CRLF text leaves the fence to md4c: its code lines lose the \r. */
  if (scanner->in_fence && scanner->fence_start == self->stable_length &&
      self->text->str[scanner->fence_body - 2] != '\r' &&
      !tl_md_scanner_closing (scanner, self->text->str, length))
    {
      g_autofree char *language = fence_language (self->text->str + scanner->fence_start,
                                                  scanner->fence_body - scanner->fence_start);

      self->open_code = code_block_new (language);
      gtk_widget_insert_before (self->open_code, GTK_WIDGET (self), NULL);
      code_block_append (self->open_code, self->text->str + scanner->fence_body,
                         length - scanner->fence_body);
      self->open_code_end = length;
    }
  else
    render_range (self, self->stable_length, length);
}

const char *
tl_markdown_view_get_text (TlMarkdownView *self)
{
  g_return_val_if_fail (TL_IS_MARKDOWN_VIEW (self), NULL);
  return self->text->str;
}
