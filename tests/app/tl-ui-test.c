/* tl-ui-test.c — what the window tests share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "tl-ui-test.h"

#include <gdk/x11/gdkx.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <X11/extensions/XTest.h>

void
tl_ui_test_init (int    *argc,
                 char ***argv)
{
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

  gtk_test_init (argc, argv, NULL);
  adw_init ();
  /* A transition still running would take the clicks meant for what it
   * reveals, and a test would depend on how long it waited. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  gtk_css_provider_load_from_resource (css, "/io/github/threadline/Threadline/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  gtk_icon_theme_add_resource_path (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                    "/io/github/threadline/Threadline/icons");
}

void
tl_ui_test_pump (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

void
tl_ui_test_screenshot (GtkWidget  *widget,
                       const char *name)
{
  const char *dir = g_getenv ("TL_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  int width, height;

  if (dir == NULL)
    return;
  tl_ui_test_pump (150);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    return;
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_mkdir_with_parents (dir, 0755);
  path = g_build_filename (dir, name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
}

static void
collect_mapped (GtkWidget *root,
                GType      type,
                GPtrArray *out)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type) && gtk_widget_get_mapped (child))
        g_ptr_array_add (out, child);
      collect_mapped (child, type, out);
    }
}

GtkWidget *
tl_ui_test_find (GtkWidget *root,
                 GType      type,
                 guint      index)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new ();

  collect_mapped (root, type, found);
  return index < found->len ? g_ptr_array_index (found, index) : NULL;
}

guint
tl_ui_test_count (GtkWidget *root,
                  GType      type)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new ();

  collect_mapped (root, type, found);
  return found->len;
}

static Display *
x_display_for (GtkWidget *widget)
{
  return gdk_x11_display_get_xdisplay (gtk_widget_get_display (widget));
}

static void
focus_window (GtkWindow *window)
{
  Display *display = x_display_for (GTK_WIDGET (window));
  Window xid = gdk_x11_surface_get_xid (gtk_native_get_surface (GTK_NATIVE (window)));

  /* Without a window manager nobody else hands out the focus. */
  XRaiseWindow (display, xid);
  XSetInputFocus (display, xid, RevertToParent, CurrentTime);
  XSync (display, False);
  tl_ui_test_pump (30);
}

static void
fake_key (Display *display,
          KeySym   keysym,
          gboolean press)
{
  KeyCode code = XKeysymToKeycode (display, keysym);

  g_assert_cmpuint (code, !=, 0);
  XTestFakeKeyEvent (display, code, press, CurrentTime);
}

void
tl_ui_test_key (GtkWindow       *window,
                guint            keyval,
                GdkModifierType  modifiers)
{
  Display *display = x_display_for (GTK_WIDGET (window));

  focus_window (window);
  if (modifiers & GDK_CONTROL_MASK)
    fake_key (display, XK_Control_L, TRUE);
  if (modifiers & GDK_SHIFT_MASK)
    fake_key (display, XK_Shift_L, TRUE);
  fake_key (display, keyval, TRUE);
  fake_key (display, keyval, FALSE);
  if (modifiers & GDK_SHIFT_MASK)
    fake_key (display, XK_Shift_L, FALSE);
  if (modifiers & GDK_CONTROL_MASK)
    fake_key (display, XK_Control_L, FALSE);
  XSync (display, False);
  tl_ui_test_pump (50);
}

void
tl_ui_test_click (GtkWidget *widget)
{
  GtkNative *native = gtk_widget_get_native (widget);
  Display *display = x_display_for (widget);
  Window xid = gdk_x11_surface_get_xid (gtk_native_get_surface (native));
  graphene_point_t centre;
  double dx, dy;
  int root_x, root_y;
  Window child;

  focus_window (GTK_WINDOW (gtk_widget_get_root (widget)));
  g_assert_true (gtk_widget_compute_point (widget, GTK_WIDGET (native),
                                           &GRAPHENE_POINT_INIT (gtk_widget_get_width (widget) / 2.f,
                                                                 gtk_widget_get_height (widget) / 2.f),
                                           &centre));
  {
    GtkWidget *picked = gtk_widget_pick (GTK_WIDGET (native), centre.x, centre.y, GTK_PICK_DEFAULT);

    /* Covered by something else, the click would land there instead. */
    g_assert_true (picked == widget || (picked != NULL && gtk_widget_is_ancestor (picked, widget)));
  }
  /* The surface starts outside the client-side decorations' shadow. */
  gtk_native_get_surface_transform (native, &dx, &dy);
  XTranslateCoordinates (display, xid, DefaultRootWindow (display),
                         (int) (centre.x + dx), (int) (centre.y + dy), &root_x, &root_y, &child);
  XTestFakeMotionEvent (display, -1, root_x, root_y, CurrentTime);
  XSync (display, False);
  tl_ui_test_pump (30);
  XTestFakeButtonEvent (display, 1, True, CurrentTime);
  XTestFakeButtonEvent (display, 1, False, CurrentTime);
  XSync (display, False);
  tl_ui_test_pump (50);
}

static void
die_with_parent (gpointer user_data)
{
#ifdef __linux__
  /* A failed assertion must not leave a server behind. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
#endif
}

TlUiTestServer *
tl_ui_test_server_start (void)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GDataInputStream) input = NULL;
  g_autoptr(JsonNode) ready = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *db = NULL;
  g_autofree char *line = NULL;
  TlUiTestServer *server = g_new0 (TlUiTestServer, 1);

  server->dir = g_dir_make_tmp ("threadline-ui-XXXXXX", &error);
  g_assert_no_error (error);
  db = g_build_filename (server->dir, "demo.db", NULL);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  server->process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("THREADLINE_SERVER"),
                                                 "--demo", "--port", "0", "--db", db, NULL);
  g_assert_no_error (error);
  /* Its first line says where it listens, and the demo user's token. */
  input = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  line = g_data_input_stream_read_line (input, NULL, NULL, &error);
  g_assert_no_error (error);
  ready = json_from_string (line, &error);
  g_assert_no_error (error);
  server->url = g_strdup (json_object_get_string_member (json_node_get_object (ready), "url"));
  server->token = g_strdup (json_object_get_string_member (json_node_get_object (ready), "token"));
  return server;
}

void
tl_ui_test_server_stop (TlUiTestServer *server)
{
  g_autofree char *db = g_build_filename (server->dir, "demo.db", NULL);

  g_subprocess_send_signal (server->process, SIGTERM);
  g_subprocess_wait (server->process, NULL, NULL);
  g_object_unref (server->process);
  g_unlink (db);
  g_rmdir (server->dir);
  g_free (server->dir);
  g_free (server->url);
  g_free (server->token);
  g_free (server);
}
