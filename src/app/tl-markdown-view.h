/* tl-markdown-view.h — Markdown shown as widgets, without markup
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TL_TYPE_MARKDOWN_VIEW (tl_markdown_view_get_type ())

G_DECLARE_FINAL_TYPE (TlMarkdownView, tl_markdown_view, TL, MARKDOWN_VIEW, GtkWidget)

GtkWidget  *tl_markdown_view_new      (void);
/* With @growing (a reply still streaming), text that extends what was shown
 * re-renders only from the last stable block boundary on. */
void        tl_markdown_view_set_text (TlMarkdownView *self,
                                       const char     *text,
                                       gboolean        growing);
/* A selectable label for text from the network: plain text, wrapped. */
GtkWidget  *tl_text_label_new         (const char     *text);
/* The @index-th openable link a label made from Markdown shows, or NULL. */
const char *tl_text_label_get_link    (GtkLabel       *label,
                                       guint           index);

/* The plain text shown, for accessibility and copying. */
const char *tl_markdown_view_get_text (TlMarkdownView *self);

G_END_DECLS
