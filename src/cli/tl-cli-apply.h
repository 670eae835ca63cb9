/* tl-cli-apply.h — threadline-cli apply
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int tl_cli_apply (int argc, char **argv);

G_END_DECLS
