/* main.c — threadline-cli
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <locale.h>
#include <string.h>

#include "tl-cli-apply.h"
#include "tl-cli-net.h"

static const char usage[] =
  "Usage: threadline-cli COMMAND [OPTIONS]\n"
  "\n"
  "Commands:\n"
  "  apply     apply a file of JSON lines offline and print the state dump\n"
  "  dump      connect, sync and print the state dump\n"
  "  send      sync, send a message and print the dump once it is confirmed\n"
  "  watch     print each applied event as a JSON line until interrupted\n"
  "\n"
  "Run “threadline-cli COMMAND --help” for a command's options.\n";

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");

  if (argc < 2)
    {
      g_printerr ("%s", usage);
      return 2;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      g_print ("%s", usage);
      return 0;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      g_print ("threadline-cli %s\n", TL_VERSION);
      return 0;
    }
  if (strcmp (argv[1], "apply") == 0)
    return tl_cli_apply (argc - 1, argv + 1);
  if (strcmp (argv[1], "dump") == 0)
    return tl_cli_dump (argc - 1, argv + 1);
  if (strcmp (argv[1], "send") == 0)
    return tl_cli_send (argc - 1, argv + 1);
  if (strcmp (argv[1], "watch") == 0)
    return tl_cli_watch (argc - 1, argv + 1);

  g_printerr ("threadline-cli: unknown command “%s”\n\n%s", argv[1], usage);
  return 2;
}
