/* tl-markdown.c — Markdown parsed into plain text blocks with styled spans
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * md4c reports the document as enter/leave/text callbacks; we collect the
 * text verbatim and the styles as byte ranges. Nothing here produces or
 * consumes Pango markup, so no byte of network text is ever interpreted:
 * raw HTML in a message stays literal text.
 */
#define G_LOG_DOMAIN "threadline-app"

#include "tl-markdown.h"

#include <md4c.h>
#include <string.h>

typedef struct
{
  GPtrArray *blocks;
  TlMdBlock *current;       /* the block receiving text, or NULL */
  GArray    *open_spans;    /* indexes into current->spans still open */
  guint      quote_depth;
  GArray    *list_stack;    /* guint: next number, 0 for bullets */
  TlMdBlock *table;
  GPtrArray *table_row;
  gboolean   in_header;
  gboolean   in_code;
} Parser;

static TlMdBlock *
block_new (TlMdBlockKind kind)
{
  TlMdBlock *block = g_new0 (TlMdBlock, 1);

  block->kind = kind;
  block->text = g_string_new (NULL);
  block->spans = g_array_new (FALSE, TRUE, sizeof (TlMdSpan));
  return block;
}

void
tl_md_block_free (TlMdBlock *block)
{
  if (block == NULL)
    return;
  for (guint i = 0; i < block->spans->len; i++)
    g_free (g_array_index (block->spans, TlMdSpan, i).url);
  g_array_unref (block->spans);
  g_string_free (block->text, TRUE);
  g_free (block->language);
  g_clear_pointer (&block->rows, g_ptr_array_unref);
  g_free (block);
}

static void
start_text_block (Parser        *p,
                  TlMdBlockKind  kind)
{
  TlMdBlock *block = block_new (kind);

  if (p->table_row != NULL)
    g_ptr_array_add (p->table_row, block);
  else
    g_ptr_array_add (p->blocks, block);
  p->current = block;
  g_array_set_size (p->open_spans, 0);
}

static int
enter_block (MD_BLOCKTYPE type,
             void        *detail,
             void        *user_data)
{
  Parser *p = user_data;

  switch (type)
    {
    case MD_BLOCK_QUOTE:
      p->quote_depth++;
      break;
    case MD_BLOCK_UL:
      {
        guint zero = 0;

        g_array_append_val (p->list_stack, zero);
      }
      break;
    case MD_BLOCK_OL:
      {
        guint start = ((MD_BLOCK_OL_DETAIL *) detail)->start;

        start = MAX (start, 1);
        g_array_append_val (p->list_stack, start);
      }
      break;
    case MD_BLOCK_LI:
      {
        guint *number = &g_array_index (p->list_stack, guint, p->list_stack->len - 1);

        start_text_block (p, TL_MD_LIST_ITEM);
        p->current->level = p->list_stack->len;
        p->current->number = *number;
        if (*number > 0)
          (*number)++;
      }
      break;
    case MD_BLOCK_P:
      /* A list item's first paragraph is the item itself. */
      if (p->current != NULL && p->current->kind == TL_MD_LIST_ITEM && p->current->text->len == 0)
        break;
      if (p->table_row == NULL)
        start_text_block (p, p->quote_depth > 0 ? TL_MD_QUOTE_PARAGRAPH : TL_MD_PARAGRAPH);
      break;
    case MD_BLOCK_H:
      start_text_block (p, TL_MD_HEADING);
      p->current->level = ((MD_BLOCK_H_DETAIL *) detail)->level;
      break;
    case MD_BLOCK_CODE:
      {
        MD_BLOCK_CODE_DETAIL *code = detail;

        start_text_block (p, TL_MD_CODE);
        if (code->lang.size > 0)
          p->current->language = g_strndup (code->lang.text, code->lang.size);
        p->in_code = TRUE;
      }
      break;
    case MD_BLOCK_HR:
      g_ptr_array_add (p->blocks, block_new (TL_MD_RULE));
      p->current = NULL;
      break;
    case MD_BLOCK_TABLE:
      p->table = block_new (TL_MD_TABLE);
      p->table->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
      g_ptr_array_add (p->blocks, p->table);
      break;
    case MD_BLOCK_THEAD:
      p->in_header = TRUE;
      break;
    case MD_BLOCK_TR:
      p->table_row = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_md_block_free);
      break;
    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
      start_text_block (p, TL_MD_PARAGRAPH);
      break;
    case MD_BLOCK_HTML:
      start_text_block (p, TL_MD_PARAGRAPH);
      break;
    case MD_BLOCK_DOC:
    case MD_BLOCK_TBODY:
    default:
      break;
    }
  return 0;
}

static int
leave_block (MD_BLOCKTYPE type,
             void        *detail,
             void        *user_data)
{
  Parser *p = user_data;

  switch (type)
    {
    case MD_BLOCK_QUOTE:
      p->quote_depth--;
      break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      g_array_set_size (p->list_stack, p->list_stack->len - 1);
      break;
    case MD_BLOCK_CODE:
      /* md4c ends every code line with a newline; the last one is noise. */
      if (p->current != NULL && p->current->text->len > 0 &&
          p->current->text->str[p->current->text->len - 1] == '\n')
        g_string_truncate (p->current->text, p->current->text->len - 1);
      p->in_code = FALSE;
      p->current = NULL;
      break;
    case MD_BLOCK_THEAD:
      p->in_header = FALSE;
      break;
    case MD_BLOCK_TR:
      if (p->table != NULL)
        {
          if (p->in_header)
            p->table->header_row = TRUE;
          g_ptr_array_add (p->table->rows, g_steal_pointer (&p->table_row));
        }
      g_clear_pointer (&p->table_row, g_ptr_array_unref);
      p->current = NULL;
      break;
    case MD_BLOCK_TABLE:
      p->table = NULL;
      break;
    case MD_BLOCK_P:
    case MD_BLOCK_H:
    case MD_BLOCK_LI:
    case MD_BLOCK_HTML:
    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
      p->current = NULL;
      break;
    case MD_BLOCK_DOC:
    case MD_BLOCK_HR:
    case MD_BLOCK_TBODY:
    default:
      break;
    }
  return 0;
}

static TlMdSpanFlags
span_flag (MD_SPANTYPE type)
{
  switch (type)
    {
    case MD_SPAN_STRONG: return TL_MD_SPAN_STRONG;
    case MD_SPAN_EM: return TL_MD_SPAN_EMPHASIS;
    case MD_SPAN_CODE: return TL_MD_SPAN_CODE;
    case MD_SPAN_DEL: return TL_MD_SPAN_STRIKE;
    case MD_SPAN_A: return TL_MD_SPAN_LINK;
    case MD_SPAN_IMG:
    case MD_SPAN_U:
    default: return 0;
    }
}

static void
ensure_current (Parser *p)
{
  if (p->current == NULL)
    start_text_block (p, p->quote_depth > 0 ? TL_MD_QUOTE_PARAGRAPH : TL_MD_PARAGRAPH);
}

static int
enter_span (MD_SPANTYPE type,
            void       *detail,
            void       *user_data)
{
  Parser *p = user_data;
  TlMdSpan span = { 0 };
  guint index;

  ensure_current (p);
  span.start = p->current->text->len;
  span.flags = span_flag (type);
  if (type == MD_SPAN_A)
    {
      MD_SPAN_A_DETAIL *a = detail;

      span.url = g_strndup (a->href.text, a->href.size);
    }
  index = p->current->spans->len;
  g_array_append_val (p->current->spans, span);
  g_array_append_val (p->open_spans, index);
  return 0;
}

static int
leave_span (MD_SPANTYPE type,
            void       *detail,
            void       *user_data)
{
  Parser *p = user_data;
  guint index;

  if (p->current == NULL || p->open_spans->len == 0)
    return 0;
  index = g_array_index (p->open_spans, guint, p->open_spans->len - 1);
  g_array_set_size (p->open_spans, p->open_spans->len - 1);
  g_array_index (p->current->spans, TlMdSpan, index).end = p->current->text->len;
  return 0;
}

static int
text_cb (MD_TEXTTYPE    type,
         const MD_CHAR *text,
         MD_SIZE        size,
         void          *user_data)
{
  Parser *p = user_data;

  ensure_current (p);
  switch (type)
    {
    case MD_TEXT_NULLCHAR:
      g_string_append (p->current->text, "\xef\xbf\xbd");
      break;
    case MD_TEXT_BR:
      g_string_append_c (p->current->text, '\n');
      break;
    case MD_TEXT_SOFTBR:
      g_string_append_c (p->current->text, p->in_code ? '\n' : ' ');
      break;
    case MD_TEXT_ENTITY:
      /* Kept as typed: "&amp;" shows as "&amp;". Network text is shown,
       * never interpreted, and that includes entities. */
    case MD_TEXT_NORMAL:
    case MD_TEXT_CODE:
    case MD_TEXT_HTML:
    case MD_TEXT_LATEXMATH:
    default:
      g_string_append_len (p->current->text, text, size);
      break;
    }
  return 0;
}

GPtrArray *
tl_markdown_parse (const char *text,
                   gsize       length)
{
  const MD_PARSER parser = {
    .abi_version = 0,
    .flags = MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_PERMISSIVEAUTOLINKS |
             MD_FLAG_NOHTMLBLOCKS | MD_FLAG_NOHTMLSPANS,
    .enter_block = enter_block,
    .leave_block = leave_block,
    .enter_span = enter_span,
    .leave_span = leave_span,
    .text = text_cb,
  };
  Parser p = {
    .blocks = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_md_block_free),
    .open_spans = g_array_new (FALSE, FALSE, sizeof (guint)),
    .list_stack = g_array_new (FALSE, FALSE, sizeof (guint)),
  };

  md_parse (text, (MD_SIZE) length, &parser, &p);

  g_clear_pointer (&p.table_row, g_ptr_array_unref);
  g_array_unref (p.open_spans);
  g_array_unref (p.list_stack);
  return p.blocks;
}

void
tl_md_scanner_init (TlMdScanner *scanner)
{
  *scanner = (TlMdScanner) { .fence_start = G_MAXSIZE };
}

static gsize
indent_of (const char *line,
           gsize       n)
{
  gsize indent = 0;

  /* A tab indents like four spaces: enough to count as "indented". */
  while (indent < n && (line[indent] == ' ' || line[indent] == '\t'))
    {
      if (line[indent] == '\t')
        return 4;
      indent++;
    }
  return indent;
}

/* ``` or ~~~ (three or more); returns the run's length, 0 if none. */
static gsize
fence_run (const char *line,
           gsize       n)
{
  gsize run = 0;

  if (n < 3 || (line[0] != '`' && line[0] != '~'))
    return 0;
  while (run < n && line[run] == line[0])
    run++;
  return run >= 3 ? run : 0;
}

typedef enum { ITEM_NONE, ITEM_BULLET, ITEM_ORDERED } ItemKind;

typedef struct
{
  ItemKind kind;
  char     delimiter;   /* - * + or . ) */
  guint    number;
  gsize    content;     /* the column its text starts at */
  gboolean empty;
} Item;

/* A list item's marker at the start of an unindented line. */
static ItemKind
item_start (const char *line,
            gsize       n,
            Item       *item)
{
  gsize i = 0;

  *item = (Item) { ITEM_NONE };
  if (n > 0 && (line[0] == '-' || line[0] == '*' || line[0] == '+'))
    {
      item->kind = ITEM_BULLET;
      item->delimiter = line[0];
      i = 1;
    }
  else
    {
      while (i < n && i < 9 && g_ascii_isdigit (line[i]))
        item->number = item->number * 10 + (guint) (line[i++] - '0');
      if (i == 0 || i >= n || (line[i] != '.' && line[i] != ')'))
        return ITEM_NONE;
      item->kind = ITEM_ORDERED;
      item->delimiter = line[i++];
    }
  if (i < n && line[i] != ' ' && line[i] != '\t')
    return item->kind = ITEM_NONE;
  item->content = i + 1;
  while (i < n && (line[i] == ' ' || line[i] == '\t'))
    i++;
  item->empty = i == n;
  /* Five spaces or more after the marker: code in the item, text at one. */
  if (!item->empty && i - item->content < 4)
    item->content = i;
  return item->kind;
}

static gboolean
is_blank (const char *text,
          gsize       n)
{
  for (gsize i = 0; i < n; i++)
    if (text[i] != ' ' && text[i] != '\t')
      return FALSE;
  return TRUE;
}

/* "# Title": an ATX heading. "#hashtag" is a paragraph. */
static gboolean
is_heading (const char *line,
            gsize       n)
{
  gsize level = 0;

  while (level < n && line[level] == '#')
    level++;
  return level >= 1 && level <= 6 && (level == n || line[level] == ' ' || line[level] == '\t');
}

static gsize
indent_spaces (const char *line,
               gsize       n)
{
  gsize i = 0;

  while (i < n && (line[i] == ' ' || line[i] == '\t'))
    i++;
  return i;
}

static void
cut (TlMdScanner *s,
     gsize        at)
{
  if (!s->frozen)
    s->stable = at;
}

/* A run of the open fence's character, at least as long, alone. */
static gboolean
closes_fence (const TlMdScanner *s,
              const char        *line,
              gsize              n)
{
  gsize indent = indent_of (line, n);
  gsize run = indent < 4 ? fence_run (line + indent, n - indent) : 0;

  return run >= s->fence_length && line[indent] == s->fence_char &&
         is_blank (line + indent + run, n - indent - run);
}

static void
scan_line (TlMdScanner *s,
           const char  *text,
           gsize        start,
           gsize        end)
{
  const char *line = text + start;
  gsize n = end - start;
  gsize indent;
  gboolean blank;
  gboolean after_heading = s->after_heading;
  gsize run;
  Item item;

  /* CRLF: the carriage return is the line's end, not its text. */
  if (n > 0 && line[n - 1] == '\r')
    n--;
  indent = indent_of (line, n);
  blank = is_blank (line, n);
  s->after_heading = FALSE;
  if (s->in_fence)
    {
      if (closes_fence (s, line, n))
        {
          s->in_fence = FALSE;
          /* An unindented fence is a block of its own, complete now. */
          if (s->fence_start != G_MAXSIZE)
            cut (s, end + 1);
          s->fence_start = G_MAXSIZE;
        }
      return;
    }

  if (blank)
    {
      s->previous_blank = TRUE;
      return;
    }
  /* A fence this deep is one inside a list item whose text starts far in,
   * whose end the lines alone do not tell: no more cuts in this reply (its
   * last render, from scratch, is exact). */
  if (indent >= 4 && fence_run (line + indent_spaces (line, n), n - indent_spaces (line, n)) > 0)
    s->frozen = TRUE;
  run = indent < 4 ? fence_run (line + indent, n - indent) : 0;
  if (run > 0 && !(line[indent] == '`' && memchr (line + indent + run, '`', n - indent - run)))
    {
      s->in_fence = TRUE;
      s->fence_char = line[indent];
      s->fence_length = run;
      s->fence_start = G_MAXSIZE;
      /* A fence interrupts a paragraph and, unindented, ends a list. */
      if (indent == 0)
        {
          cut (s, start);
          s->fence_start = start;
          s->fence_body = end + 1;
          s->in_list = FALSE;
        }
    }
  else if (indent > 0)
    {
      /* Past a blank line, a line indented less than the item's text is
       * no part of the item: the list has ended. */
      if (s->previous_blank && indent < s->item_content)
        s->in_list = FALSE;
      if (after_heading)
        cut (s, start);
    }
  else if (item_start (line, n, &item) != ITEM_NONE)
    {
      gboolean same_list = s->in_list && item.delimiter == s->item_delimiter;
      /* Only a bullet with text, or "1." with text, interrupts a paragraph. */
      gboolean interrupts = s->previous_blank || after_heading ||
                            (!item.empty && (item.kind == ITEM_BULLET || item.number == 1));

      if (same_list)
        {
          /* An item of the list above: cut where, parsed alone, it would
           * get the number it has in the list. */
          if (item.kind == ITEM_BULLET || item.number == s->item_number)
            cut (s, start);
          s->item_number++;
          s->item_content = item.content;
        }
      else if (s->in_list || interrupts)
        {
          cut (s, start);
          s->in_list = TRUE;
          s->item_delimiter = item.delimiter;
          s->item_number = item.number + 1;
          s->item_content = item.content;
        }
      /* Otherwise it continues a paragraph ("text\n2. more"). */
    }
  else if (is_heading (line, n))
    {
      /* It interrupts a paragraph, and is one line long. */
      cut (s, start);
      s->after_heading = TRUE;
      s->in_list = FALSE;
    }
  else if (s->previous_blank || after_heading)
    {
      cut (s, start);
      s->in_list = FALSE;
    }
  s->previous_blank = FALSE;
}

void
tl_md_scanner_feed (TlMdScanner *scanner,
                    const char  *text,
                    gsize        length)
{
  while (scanner->scanned < length)
    {
      const char *nl = memchr (text + scanner->scanned, '\n', length - scanner->scanned);
      gsize end;

      /* Only whole lines: the end of a partial one may still change it. */
      if (nl == NULL)
        break;
      end = (gsize) (nl - text);
      scan_line (scanner, text, scanner->scanned, end);
      scanner->scanned = end + 1;
    }
}

gboolean
tl_md_scanner_closing (const TlMdScanner *scanner,
                       const char        *text,
                       gsize              length)
{
  return scanner->in_fence && length > scanner->scanned &&
         closes_fence (scanner, text + scanner->scanned, length - scanner->scanned);
}
