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
/* Where a streaming text can be cut so that the part before never changes
 * as more text arrives: after the last blank line outside a code fence.
 * Returns 0 when there is no such place. */
gsize      tl_markdown_stable_prefix    (const char *text,
                                         gsize       length);
void       tl_md_block_free             (TlMdBlock  *block);

G_END_DECLS
