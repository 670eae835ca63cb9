/* main.c — threadline
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <locale.h>

#include "tl-application.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(TlApplication) app = NULL;

  setlocale (LC_ALL, "");

  /* Run from the build tree (tools/bootstrap does), the schema is not
   * installed: use the one the build compiled. Decided by where this binary
   * is, before anything reads GSettings (the default schema source is
   * fixed on first use), and never over an explicit setting. */
  {
    g_autofree char *self_path = g_file_read_link ("/proc/self/exe", NULL);
    g_autofree char *dir = self_path ? g_path_get_dirname (self_path) : NULL;

    if (g_strcmp0 (dir, TL_BUILD_APP_DIR) == 0)
      g_setenv ("GSETTINGS_SCHEMA_DIR", TL_BUILD_SCHEMA_DIR, FALSE);
  }
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = tl_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
