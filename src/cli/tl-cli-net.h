/* tl-cli-net.h — threadline-cli dump, send and watch
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int tl_cli_dump  (int argc, char **argv);
int tl_cli_send  (int argc, char **argv);
int tl_cli_watch (int argc, char **argv);

G_END_DECLS
