/* tl-composer.h — where the user writes a message
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TL_TYPE_COMPOSER (tl_composer_get_type ())

G_DECLARE_FINAL_TYPE (TlComposer, tl_composer, TL, COMPOSER, GtkWidget)

GtkWidget  *tl_composer_new                (void);
/* Shows a Stop button in place of Send while a reply streams. */
void        tl_composer_set_streaming      (TlComposer *self,
                                            gboolean    streaming);
/* NULL enables; a reason disables writing and says why. */
void        tl_composer_set_disabled_reason (TlComposer *self,
                                            const char *reason);
void        tl_composer_set_text           (TlComposer *self,
                                            const char *text);
char       *tl_composer_dup_text           (TlComposer *self);
/* Sends what is written, as Enter does. */
/* Puts @draft (or nothing) in place of what is being written, without
 * announcing typing, and withdraws typing for what it replaces; returns
 * that text. */
char       *tl_composer_swap_draft         (TlComposer *self,
                                            const char *draft);
void        tl_composer_submit             (TlComposer *self);

G_END_DECLS
