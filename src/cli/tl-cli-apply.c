/* tl-cli-apply.c — threadline-cli apply: what will the client show?
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reads JSON lines offline, applies them exactly as a live client would (with
 * the file rules of PROTOCOL.md: seq optional, gaps applied anyway) and
 * prints the state dump. The file is streamed, so memory follows the state,
 * not the file.
 */
#define G_LOG_DOMAIN "threadline-cli"

#include "tl-cli-apply.h"
#include "tl-json.h"
#include "tl-store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define READ_CHUNK (64 * 1024)

static const char usage[] =
  "Usage: threadline-cli apply [--user ID] [--active ID] FILE\n"
  "\n"
  "Apply a file of JSON lines (events, snapshot frames, stream chunks) offline\n"
  "and print the client state dump. FILE may be - for standard input.\n"
  "\n"
  "  --user ID     the local user, for read events\n"
  "  --active ID   the active conversation before the first line\n";

typedef struct
{
  TlStore    *store;
  const char *name;
  gsize       line_number;
} ApplyContext;

static gboolean
is_blank (const char *data,
          gsize       length)
{
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isspace (data[i]))
      return FALSE;
  return TRUE;
}

static void
report (ApplyContext *ctx,
        const char   *message)
{
  g_printerr ("threadline-cli: %s: line %" G_GSIZE_FORMAT ": %s\n",
              ctx->name, ctx->line_number, message);
}

static void
apply_line (ApplyContext *ctx,
            const char   *data,
            gsize         length,
            gboolean      oversized)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(TlEvent) event = NULL;
  g_autoptr(GError) error = NULL;
  gint64 before = tl_store_get_seq (ctx->store);
  gint64 seq = 0;
  TlApplyResult result;

  if (!oversized && is_blank (data, length))
    return;

  if (oversized)
    {
      report (ctx, "skipped: frame exceeds the 1048576-byte limit");
      return;
    }

  root = tl_json_decode_frame (data, length, &error);
  if (root == NULL)
    {
      g_autofree char *message = g_strdup_printf ("skipped: %s", error->message);

      report (ctx, message);
      return;
    }

  event = tl_event_parse (root, &seq, &error);
  if (event != NULL)
    result = tl_store_apply_event (ctx->store, event, TL_APPLY_FLAGS_FILE, &error);
  else
    result = tl_store_consume_seq (ctx->store, seq, TL_APPLY_FLAGS_FILE);

  if (result == TL_APPLY_GAP || (error != NULL && seq > before + 1 &&
                                 tl_store_get_seq (ctx->store) == seq))
    {
      g_autofree char *message =
        g_strdup_printf ("seq gap: expected %" G_GINT64_FORMAT ", got %" G_GINT64_FORMAT
                         " (applied anyway)", before + 1, seq);

      report (ctx, message);
    }
  if (error != NULL)
    {
      g_autofree char *message = g_strdup_printf ("skipped: %s", error->message);

      report (ctx, message);
    }
}

static gboolean
apply_stream (ApplyContext *ctx,
              FILE         *file)
{
  g_autoptr(GString) line = g_string_sized_new (4096);
  g_autofree char *buffer = g_malloc (READ_CHUNK);
  gboolean oversized = FALSE;
  size_t n;

  while ((n = fread (buffer, 1, READ_CHUNK, file)) > 0)
    {
      const char *p = buffer;
      const char *end = buffer + n;

      while (p < end)
        {
          const char *nl = memchr (p, '\n', end - p);
          const char *stop = nl ? nl : end;

          /* Past the limit the line is only scanned for its end, never kept. */
          if (!oversized)
            {
              g_string_append_len (line, p, stop - p);
              if (line->len > TL_FRAME_MAX_SIZE)
                {
                  oversized = TRUE;
                  g_string_truncate (line, 0);
                }
            }
          if (nl == NULL)
            break;

          ctx->line_number++;
          apply_line (ctx, line->str, line->len, oversized);
          g_string_truncate (line, 0);
          oversized = FALSE;
          p = nl + 1;
        }
    }

  if (ferror (file))
    {
      g_printerr ("threadline-cli: %s: %s\n", ctx->name, g_strerror (errno));
      return FALSE;
    }

  if (line->len > 0 || oversized)
    {
      ctx->line_number++;
      apply_line (ctx, line->str, line->len, oversized);
    }
  return TRUE;
}

int
tl_cli_apply (int    argc,
              char **argv)
{
  g_autoptr(TlStore) store = tl_store_new ();
  g_autofree char *dump = NULL;
  const char *path = NULL;
  ApplyContext ctx = { store, NULL, 0 };
  FILE *file;
  gboolean ok;

  for (int i = 1; i < argc; i++)
    {
      const char *arg = argv[i];

      /* Values are taken verbatim, so ids such as "-1" work. */
      if (strcmp (arg, "--user") == 0 || strcmp (arg, "--active") == 0)
        {
          if (i + 1 >= argc)
            {
              g_printerr ("threadline-cli apply: %s needs a value\n\n%s", arg, usage);
              return 2;
            }
          if (strcmp (arg, "--user") == 0)
            tl_store_set_local_user_id (store, argv[++i]);
          else
            tl_store_set_active_conversation_id (store, argv[++i]);
        }
      else if (g_str_has_prefix (arg, "--user="))
        tl_store_set_local_user_id (store, arg + strlen ("--user="));
      else if (g_str_has_prefix (arg, "--active="))
        tl_store_set_active_conversation_id (store, arg + strlen ("--active="));
      else if (strcmp (arg, "--help") == 0 || strcmp (arg, "-h") == 0)
        {
          g_print ("%s", usage);
          return 0;
        }
      else if (strcmp (arg, "--") == 0 && i + 1 < argc && path == NULL)
        path = argv[++i];
      else if ((arg[0] != '-' || strcmp (arg, "-") == 0) && path == NULL)
        path = arg;
      else
        {
          g_printerr ("threadline-cli apply: unexpected argument “%s”\n\n%s", arg, usage);
          return 2;
        }
    }

  if (path == NULL)
    {
      g_printerr ("threadline-cli apply: no FILE given\n\n%s", usage);
      return 2;
    }

  if (strcmp (path, "-") == 0)
    {
      file = stdin;
      ctx.name = "<stdin>";
    }
  else
    {
      file = fopen (path, "rb");
      ctx.name = path;
      if (file == NULL)
        {
          g_printerr ("threadline-cli: cannot open %s: %s\n", path, g_strerror (errno));
          return 1;
        }
    }

  ok = apply_stream (&ctx, file);
  if (file != stdin)
    fclose (file);
  if (!ok)
    return 1;

  dump = tl_store_dump (store);
  fputs (dump, stdout);
  fputc ('\n', stdout);
  return fflush (stdout) == 0 ? 0 : 1;
}
