/* test-cli.c — threadline-cli dump/send against the scripted peer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The CLI runs as a real subprocess; the peer answers it from this process's
 * main loop. Checks stdout (exactly the dump and a newline), the exit codes
 * of PROTOCOL.md's failure cases, and the token options.
 */
#include "tl-json.h"
#include "tl-store.h"
#include "tl-test-peer.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

typedef enum
{
  SCRIPT_SNAPSHOT,       /* every hello: snapshot */
  SCRIPT_CLOSE_FIRST,    /* hello 1: snapshot then close 4000; hello 2: replay with one more */
  SCRIPT_CLOSE_CODE,     /* every hello: close with close_code */
} Script;

typedef struct
{
  TlTestPeer *peer;
  Script      script;
  gushort     close_code;
  gboolean    send_fails;
  guint       hellos;
  GPtrArray  *truth;
  gint64      next_seq;

  /* the subprocess */
  gboolean    finished;
  int         exit_status;
  char       *out;
  char       *err;
} Fixture;

static const char *snapshot_frames[] = {
  "{\"type\":\"snapshot-begin\",\"epoch\":\"e-1\",\"atSeq\":2}",
  "{\"type\":\"snapshot-conversations\",\"conversations\":[{\"id\":\"c-1\",\"title\":\"General\"}]}",
  "{\"type\":\"snapshot-messages\",\"conversationId\":\"c-1\",\"messages\":["
  "{\"id\":\"m-1\",\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\"one\"}],"
  "\"createdAt\":\"2026-12-03T10:00:01.000Z\"},"
  "{\"id\":\"m-2\",\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\"two\"}],"
  "\"createdAt\":\"2026-12-03T10:00:02.000Z\"}]}",
  "{\"type\":\"snapshot-end\",\"atSeq\":2}",
};

static const char *event_3 =
  "{\"type\":\"message-added\",\"seq\":3,\"message\":{\"id\":\"m-3\",\"conversationId\":\"c-1\","
  "\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\"three\"}],"
  "\"createdAt\":\"2026-12-03T10:00:03.000Z\"}}";

static void
serve_snapshot (Fixture *f)
{
  tl_test_peer_send (f->peer, "{\"type\":\"welcome\",\"protocol\":1,\"epoch\":\"e-1\",\"headSeq\":2,"
                     "\"mode\":\"snapshot\",\"reason\":\"no-cursor\",\"heartbeatMs\":25000,"
                     "\"user\":{\"id\":\"u-1\"}}");
  g_ptr_array_set_size (f->truth, 0);
  for (guint i = 0; i < G_N_ELEMENTS (snapshot_frames); i++)
    {
      tl_test_peer_send (f->peer, snapshot_frames[i]);
      g_ptr_array_add (f->truth, g_strdup (snapshot_frames[i]));
    }
  f->next_seq = 3;
}

static void
on_frame_cb (TlTestPeer *peer,
             JsonObject *frame,
             gpointer    user_data)
{
  Fixture *f = user_data;
  const char *type = json_object_get_string_member (frame, "type");

  if (strcmp (type, "hello") == 0)
    {
      f->hellos++;
      switch (f->script)
        {
        case SCRIPT_SNAPSHOT:
          serve_snapshot (f);
          break;

        case SCRIPT_CLOSE_FIRST:
          if (f->hellos == 1)
            {
              serve_snapshot (f);
              tl_test_peer_close (peer, 4000, NULL);
            }
          else
            {
              tl_test_peer_send (peer, "{\"type\":\"welcome\",\"protocol\":1,\"epoch\":\"e-1\","
                                 "\"headSeq\":3,\"mode\":\"replay\",\"user\":{\"id\":\"u-1\"}}");
              tl_test_peer_send (peer, event_3);
              g_ptr_array_add (f->truth, g_strdup (event_3));
              tl_test_peer_send (peer, "{\"type\":\"replay-done\",\"seq\":3}");
              f->next_seq = 4;
            }
          break;

        case SCRIPT_CLOSE_CODE:
        default:
          tl_test_peer_close (peer, f->close_code, NULL);
          break;
        }
    }
  else if (strcmp (type, "send-message") == 0)
    {
      JsonObject *message = json_object_get_object_member (frame, "message");
      const char *request_id = json_object_get_string_member (frame, "requestId");
      g_autofree char *echo = NULL;

      if (f->send_fails)
        {
          tl_test_peer_sendf (peer, "{\"type\":\"error\",\"requestId\":\"%s\",\"code\":\"forbidden\","
                              "\"message\":\"read-only conversation\",\"retryable\":false}", request_id);
          return;
        }
      echo = g_strdup_printf ("{\"type\":\"message-added\",\"seq\":%" G_GINT64_FORMAT ","
                              "\"message\":{\"id\":\"%s\",\"conversationId\":\"%s\",\"role\":\"user\","
                              "\"parts\":[{\"type\":\"text\",\"text\":\"hello there\"}],\"status\":\"sent\","
                              "\"createdAt\":\"2026-12-03T10:01:00.000Z\",\"author\":{\"id\":\"u-1\"}}}",
                              f->next_seq, json_object_get_string_member (message, "id"),
                              json_object_get_string_member (message, "conversationId"));
      /* The ack first, then the echo: the row is reconciled twice, in place. */
      tl_test_peer_sendf (peer, "{\"type\":\"ack\",\"requestId\":\"%s\",\"messageId\":\"%s\","
                          "\"seq\":%" G_GINT64_FORMAT "}", request_id,
                          json_object_get_string_member (message, "id"), f->next_seq);
      tl_test_peer_send (peer, echo);
      g_ptr_array_add (f->truth, g_steal_pointer (&echo));
      f->next_seq++;
    }
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->peer = tl_test_peer_new ();
  f->truth = g_ptr_array_new_with_free_func (g_free);
  tl_test_peer_set_frame_func (f->peer, on_frame_cb, f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  tl_test_run_for (20);
  tl_test_peer_free (f->peer);
  g_ptr_array_unref (f->truth);
  g_free (f->out);
  g_free (f->err);
}

static char *
truth_dump (Fixture *f)
{
  g_autoptr(TlStore) store = tl_store_new ();

  tl_store_set_local_user_id (store, "u-1");
  for (guint i = 0; i < f->truth->len; i++)
    {
      const char *line = f->truth->pdata[i];
      g_autoptr(JsonNode) root = tl_json_decode_frame (line, strlen (line), NULL);

      tl_store_apply_node (store, root, TL_APPLY_FLAGS_FILE, NULL);
    }
  return tl_store_dump (store);
}

static void
on_communicated_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &f->out, &f->err, &error);
  g_assert_no_error (error);
  f->exit_status = g_subprocess_get_exit_status (G_SUBPROCESS (source));
  f->finished = TRUE;
}

/* Runs threadline-cli VERB --url <peer> ARGS… (NULL-terminated). */
static void
run_cli (Fixture    *f,
         const char *token_env,
         const char *verb,
         ...)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  const char *cli = g_getenv ("THREADLINE_CLI");
  const char *arg;
  va_list args;

  g_assert_nonnull (cli);
  g_ptr_array_add (argv, (char *) cli);
  g_ptr_array_add (argv, (char *) verb);
  g_ptr_array_add (argv, "--url");
  g_ptr_array_add (argv, (char *) tl_test_peer_get_url (f->peer));
  va_start (args, verb);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  if (token_env != NULL)
    g_subprocess_launcher_setenv (launcher, "THREADLINE_TOKEN", token_env, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "THREADLINE_TOKEN");
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  f->finished = FALSE;
  g_subprocess_communicate_utf8_async (process, NULL, NULL, on_communicated_cb, f);
  TL_WAIT_UNTIL (f->finished);
  g_test_message ("stderr: %s", f->err);
}

static void
assert_stdout_is_truth (Fixture *f)
{
  g_autofree char *expected = truth_dump (f);
  g_autofree char *line = g_strconcat (expected, "\n", NULL);

  g_assert_cmpstr (f->out, ==, line);
}

static void
test_dump (Fixture       *f,
           gconstpointer  data)
{
  run_cli (f, NULL, "dump", "--token", "t0k", "--settle", "50", NULL);
  g_assert_cmpint (f->exit_status, ==, 0);
  assert_stdout_is_truth (f);
  g_assert_cmpstr (tl_test_peer_get_last_authorization (f->peer), ==, "Bearer t0k");
}

static void
test_dump_rides_out_close (Fixture       *f,
                           gconstpointer  data)
{
  f->script = SCRIPT_CLOSE_FIRST;
  run_cli (f, "from-env", "dump", "--settle", "50", NULL);
  g_assert_cmpint (f->exit_status, ==, 0);
  g_assert_cmpuint (f->hellos, ==, 2);
  assert_stdout_is_truth (f);
  g_assert_cmpstr (tl_test_peer_get_last_authorization (f->peer), ==, "Bearer from-env");
}

static void
test_token_file (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  int fd;

  fd = g_file_open_tmp ("threadline-token-XXXXXX", &path, &error);
  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, "file-token\n", -1, &error);
  g_assert_no_error (error);
  run_cli (f, "ignored-env", "dump", "--token-file", path, "--settle", "50", NULL);
  g_unlink (path);
  g_assert_cmpint (f->exit_status, ==, 0);
  g_assert_cmpstr (tl_test_peer_get_last_authorization (f->peer), ==, "Bearer file-token");
}

static void
test_send (Fixture       *f,
           gconstpointer  data)
{
  run_cli (f, NULL, "send", "--token", "t", "--conversation", "c-1", "--text", "hello there",
           "--settle", "50", NULL);
  g_assert_cmpint (f->exit_status, ==, 0);
  g_assert_cmpuint (tl_test_peer_count_frames (f->peer, "send-message"), ==, 1);
  /* The message once, as the server has it. */
  assert_stdout_is_truth (f);
  g_assert_nonnull (strstr (f->out, "hello there"));
}

static void
test_send_error (Fixture       *f,
                 gconstpointer  data)
{
  f->send_fails = TRUE;
  run_cli (f, NULL, "send", "--token", "t", "--conversation", "c-1", "--text", "nope",
           "--settle", "50", NULL);
  g_assert_cmpint (f->exit_status, ==, 1);
  g_assert_nonnull (strstr (f->err, "read-only conversation"));
  g_assert_nonnull (strstr (f->out, "\"status\":\"error\""));
}

static void
test_exit_401 (Fixture       *f,
               gconstpointer  data)
{
  tl_test_peer_set_refuse (f->peer, 401, NULL);
  run_cli (f, NULL, "dump", "--token", "wrong", "--settle", "50", NULL);
  g_assert_cmpint (f->exit_status, ==, 3);
  g_assert_nonnull (strstr (f->err, "sign in again"));
  g_assert_cmpstr (f->out, ==, "");
  g_assert_cmpuint (tl_test_peer_get_n_upgrades (f->peer), ==, 1);
}

static void
test_exit_4004 (Fixture       *f,
                gconstpointer  data)
{
  f->script = SCRIPT_CLOSE_CODE;
  f->close_code = 4004;
  run_cli (f, NULL, "dump", "--token", "wrong", "--settle", "50", NULL);
  g_assert_cmpint (f->exit_status, ==, 3);
  g_assert_cmpuint (f->hellos, ==, 1);
}

static void
test_exit_4010 (Fixture       *f,
                gconstpointer  data)
{
  f->script = SCRIPT_CLOSE_CODE;
  f->close_code = 4010;
  run_cli (f, NULL, "dump", "--token", "t", "--settle", "50", NULL);
  g_assert_cmpint (f->exit_status, ==, 4);
  g_assert_nonnull (strstr (f->err, "protocol version unsupported"));
  g_assert_cmpuint (f->hellos, ==, 1);
}

static void
test_exit_1000 (Fixture       *f,
                gconstpointer  data)
{
  f->script = SCRIPT_CLOSE_CODE;
  f->close_code = 1000;
  run_cli (f, NULL, "dump", "--token", "t", "--settle", "50", NULL);
  g_assert_cmpint (f->exit_status, ==, 1);
}

static void
test_exit_timeout (Fixture       *f,
                   gconstpointer  data)
{
  tl_test_peer_set_refuse (f->peer, 503, NULL);
  run_cli (f, NULL, "dump", "--token", "t", "--timeout", "0.5", NULL);
  g_assert_cmpint (f->exit_status, ==, 5);
  g_assert_cmpstr (f->out, ==, "");
}

typedef struct
{
  GPtrArray *lines;
  gboolean   eof;
} WatchOutput;

static void
on_line_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  WatchOutput *output = user_data;
  char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                         NULL, NULL);

  if (line == NULL)
    {
      output->eof = TRUE;
      return;
    }
  g_ptr_array_add (output->lines, line);
  g_data_input_stream_read_line_async (G_DATA_INPUT_STREAM (source), G_PRIORITY_DEFAULT, NULL,
                                       on_line_cb, output);
}

static void
test_watch (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) input = NULL;
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  WatchOutput output = { lines, FALSE };

  g_subprocess_launcher_setenv (launcher, "THREADLINE_TOKEN", "t", TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("THREADLINE_CLI"), "watch",
                                         "--url", tl_test_peer_get_url (f->peer), NULL);
  g_assert_no_error (error);
  input = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  g_data_input_stream_read_line_async (input, G_PRIORITY_DEFAULT, NULL, on_line_cb, &output);

  /* The four snapshot frames, then a live event. */
  TL_WAIT_UNTIL (lines->len == 4);
  tl_test_peer_send (f->peer, event_3);
  TL_WAIT_UNTIL (lines->len == 5);
  g_assert_nonnull (strstr (lines->pdata[0], "snapshot-begin"));
  g_assert_nonnull (strstr (lines->pdata[4], "\"m-3\""));

  g_subprocess_send_signal (process, SIGINT);
  TL_WAIT_UNTIL (output.eof);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
}

static void
test_usage (Fixture       *f,
            gconstpointer  data)
{
  run_cli (f, NULL, "dump", "--settle", "50", NULL);   /* no token anywhere */
  g_assert_cmpint (f->exit_status, ==, 2);
  run_cli (f, NULL, "send", "--token", "t", NULL);     /* no conversation */
  g_assert_cmpint (f->exit_status, ==, 2);
  run_cli (f, NULL, "dump", "--token", "t", "--bogus", NULL);
  g_assert_cmpint (f->exit_status, ==, 2);
  g_assert_cmpuint (tl_test_peer_get_n_upgrades (f->peer), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/threadline/net/cli/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("dump", test_dump);
  ADD ("dump-rides-out-close", test_dump_rides_out_close);
  ADD ("token-file", test_token_file);
  ADD ("send", test_send);
  ADD ("send-error-exit-1", test_send_error);
  ADD ("upgrade-401-exit-3", test_exit_401);
  ADD ("close-4004-exit-3", test_exit_4004);
  ADD ("close-4010-exit-4", test_exit_4010);
  ADD ("close-1000-exit-1", test_exit_1000);
  ADD ("timeout-exit-5", test_exit_timeout);
  ADD ("usage-exit-2", test_usage);
  ADD ("watch", test_watch);

  return g_test_run ();
}
