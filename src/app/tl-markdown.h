/* tl-markdown.h — Markdown parsed into plain text blocks with styled spans
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  TL_MD_PARAGRAPH,
  TL_MD_HEADING,      /* level 1–6 */
  TL_MD_CODE,         /* fenced or indented; info string in @language */
  TL_MD_QUOTE_PARAGRAPH,
  TL_MD_LIST_ITEM,    /* @level nesting depth, @number > 0 for ordered items */
  TL_MD_TABLE,        /* @rows of cells, each cell a TlMdBlock paragraph */
  TL_MD_RULE,
} TlMdBlockKind;

typedef enum
{
  TL_MD_SPAN_STRONG = 1 << 0,
  TL_MD_SPAN_EMPHASIS = 1 << 1,
  TL_MD_SPAN_CODE = 1 << 2,
  TL_MD_SPAN_STRIKE = 1 << 3,
  TL_MD_SPAN_LINK = 1 << 4,
} TlMdSpanFlags;

/* A styled byte range of a block's text. */
typedef struct
{
  guint          start;
  guint          end;
  TlMdSpanFlags  flags;
  char          *url;      /* links only */
} TlMdSpan;

typedef struct _TlMdBlock TlMdBlock;

struct _TlMdBlock
{
  TlMdBlockKind  kind;
  guint          level;
  guint          number;
  char          *language;
  GString       *text;     /* plain text, never markup */
  GArray        *spans;    /* TlMdSpan */
  GPtrArray     *rows;     /* tables: GPtrArray of TlMdBlock* cells per row */
  gboolean       header_row;
};

/* Parses @length bytes of CommonMark (with GFM tables and strikethrough).
 * Raw HTML is kept as literal text. */
GPtrArray *tl_markdown_parse            (const char *text,
                                         gsize       length);
/* Finds where a streaming text can be cut so that the part before it
 * parses the same whatever follows: before a paragraph, heading or
 * top-level list item, around an unindented code fence. Fed the text as it
 * grows, it reads each line once, so a delta costs what the delta adds. */
typedef struct
{
  gsize    scanned;        /* bytes of whole lines read */
  gsize    stable;         /* the text before this never changes */
  gsize    fence_start;    /* an unindented fence still open begins here, */
  gsize    fence_body;     /* and its code here; G_MAXSIZE when none */
  gsize    fence_length;
  char     fence_char;
  gboolean in_fence;
  gboolean in_list;        /* a top-level list is open, */
  char     item_delimiter; /* its marker, */
  guint    item_number;    /* the number its next item gets, */
  gsize    item_content;   /* and the column its last item's text is at */
  gboolean previous_blank;
  gboolean after_heading;
  gboolean frozen;         /* no more cuts: the structure is unclear */
} TlMdScanner;

void       tl_md_scanner_init           (TlMdScanner *scanner);
/* @text is what was fed before and possibly more. */
void       tl_md_scanner_feed           (TlMdScanner *scanner,
                                         const char  *text,
                                         gsize        length);
/* Whether the partial line after what was fed closes the open fence: the
 * fence then ends at that line, though the scanner has not read it. */
gboolean   tl_md_scanner_closing        (const TlMdScanner *scanner,
                                         const char        *text,
                                         gsize              length);
void       tl_md_block_free             (TlMdBlock  *block);

G_END_DECLS
