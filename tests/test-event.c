/* test-event.c — decoding and validation, one error per kind of bad input
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "tl-event.h"
#include "tl-json.h"

#include <string.h>

static void
assert_decode_error (const char *data,
                     gssize      length,
                     int         code)
{
  if (length < 0)
    length = strlen (data);

  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = tl_json_decode_frame (data, length, &error);
  g_autofree char *head = g_strndup (data, MIN (length, 60));
  /* Escaped: the bad bytes under test would break the TAP stream. */
  g_autofree char *shown = g_strescape (head, NULL);

  g_test_message ("decoding: %s", shown);
  g_assert_null (root);
  g_assert_error (error, TL_EVENT_ERROR, code);
}

static void
test_undecodable (void)
{
  g_autofree char *deep = NULL;
  g_autofree char *ok = NULL;
  g_autofree char *big = NULL;
  g_autoptr(GString) nest = g_string_new ("{\"type\":\"x\",\"a\":");
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;

  assert_decode_error ("not json", -1, TL_EVENT_ERROR_MALFORMED);
  assert_decode_error ("{\"type\":\"typing\"", -1, TL_EVENT_ERROR_MALFORMED);
  assert_decode_error ("{\"type\":\"\xff\"}", 12, TL_EVENT_ERROR_INVALID_UTF8);
  /* json-glib alone would accept each of these. */
  assert_decode_error ("{'type':'x'}", -1, TL_EVENT_ERROR_MALFORMED);
  assert_decode_error ("{\"type\":\"x\"}{}", -1, TL_EVENT_ERROR_MALFORMED);
  assert_decode_error ("{\"type\":\"x\",\"a\":/*c*/1}", -1, TL_EVENT_ERROR_MALFORMED);
  assert_decode_error ("{\"type\":\"x\",\"a\":01}", -1, TL_EVENT_ERROR_MALFORMED);
  assert_decode_error ("{\"type\":\"x\",\"a\":1,}", -1, TL_EVENT_ERROR_MALFORMED);
  assert_decode_error ("{\"type\":\"x\",\"a\":9223372036854775808}", -1, TL_EVENT_ERROR_MALFORMED);
  assert_decode_error ("{\"type\":\"x\",\"a\":1e999}", -1, TL_EVENT_ERROR_MALFORMED);
  assert_decode_error ("{\"type\":\"a\tb\"}", -1, TL_EVENT_ERROR_MALFORMED);
  assert_decode_error ("{\"type\":\"\\x\"}", -1, TL_EVENT_ERROR_MALFORMED);
  assert_decode_error ("", -1, TL_EVENT_ERROR_MALFORMED);
  assert_decode_error ("[1,2]", -1, TL_EVENT_ERROR_NOT_OBJECT);
  assert_decode_error ("\"str\"", -1, TL_EVENT_ERROR_NOT_OBJECT);
  assert_decode_error ("{\"seq\":1}", -1, TL_EVENT_ERROR_NO_TYPE);
  assert_decode_error ("{\"type\":7}", -1, TL_EVENT_ERROR_NO_TYPE);

  /* The top-level object is depth 1: 32 levels pass, 33 do not. Brackets
   * inside strings do not count. */
  for (int i = 0; i < 31; i++)
    g_string_append (nest, "[");
  g_string_append (nest, "\"[[[[{{{{\"");
  for (int i = 0; i < 31; i++)
    g_string_append (nest, "]");
  ok = g_strdup_printf ("%s}", nest->str);
  root = tl_json_decode_frame (ok, strlen (ok), &error);
  g_assert_no_error (error);
  g_assert_nonnull (root);
  deep = g_strdup_printf ("{\"type\":\"x\",\"a\":[%s]}", nest->str + strlen ("{\"type\":\"x\",\"a\":"));
  assert_decode_error (deep, strlen (deep), TL_EVENT_ERROR_TOO_DEEP);

  big = g_malloc (TL_FRAME_MAX_SIZE + 2);
  memset (big, ' ', TL_FRAME_MAX_SIZE + 1);
  big[TL_FRAME_MAX_SIZE + 1] = '\0';
  memcpy (big, "{\"type\":\"x\"}", 12);
  assert_decode_error (big, TL_FRAME_MAX_SIZE + 1, TL_EVENT_ERROR_TOO_LARGE);
  g_clear_pointer (&root, json_node_unref);
  root = tl_json_decode_frame (big, TL_FRAME_MAX_SIZE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (root);
}

static TlEvent *
parse (const char *json,
       gint64     *seq,
       GError    **error)
{
  g_autoptr(JsonNode) root = tl_json_decode_frame (json, strlen (json), NULL);

  g_assert_nonnull (root);
  return tl_event_parse (root, seq, error);
}

static void
test_seq_validation (void)
{
  static const char *bad[] = { "\"12\"", "0", "-3", "true", "1.5", "null" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"type\":\"read\",\"seq\":%s,\"conversationId\":\"c\"}", bad[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(TlEvent) event = NULL;
      gint64 seq = -1;

      event = parse (json, &seq, &error);
      g_assert_null (event);
      g_assert_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_INVALID_SEQ);
      g_assert_cmpint (seq, ==, 0);
    }
}

static void
test_invalid_payload_keeps_seq (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TlEvent) event = NULL;
  gint64 seq = 0;

  event = parse ("{\"type\":\"conversation-removed\",\"seq\":42}", &seq, &error);
  g_assert_null (event);
  g_assert_error (error, TL_EVENT_ERROR, TL_EVENT_ERROR_MISSING_FIELD);
  g_assert_cmpint (seq, ==, 42);
}

static void
test_payload_errors (void)
{
  static const struct {
    const char *json;
    int         code;
  } cases[] = {
    { "{\"type\":\"typing\",\"conversationId\":\"c\",\"userId\":\"u\"}", TL_EVENT_ERROR_MISSING_FIELD },
    { "{\"type\":\"typing\",\"conversationId\":\"c\",\"userId\":\"u\",\"isTyping\":null}", TL_EVENT_ERROR_MISSING_FIELD },
    { "{\"type\":\"typing\",\"conversationId\":\"c\",\"userId\":\"u\",\"isTyping\":\"yes\"}", TL_EVENT_ERROR_WRONG_TYPE },
    { "{\"type\":\"presence\",\"userId\":\"\",\"isOnline\":true}", TL_EVENT_ERROR_INVALID_VALUE },
    { "{\"type\":\"message-added\",\"message\":[]}", TL_EVENT_ERROR_WRONG_TYPE },
    { "{\"type\":\"message-added\",\"message\":{\"id\":\"m\",\"parts\":[1]}}", TL_EVENT_ERROR_WRONG_TYPE },
    { "{\"type\":\"message-added\",\"message\":{\"id\":\"m\",\"parts\":[{\"text\":\"no type\"}]}}", TL_EVENT_ERROR_WRONG_TYPE },
    { "{\"type\":\"message-added\",\"message\":{\"id\":\"m\",\"createdAt\":\"2026-12-03T10:00:00\"}}", TL_EVENT_ERROR_INVALID_VALUE },
    { "{\"type\":\"message-added\",\"message\":{\"id\":\"m\",\"author\":{\"displayName\":\"x\"}}}", TL_EVENT_ERROR_MISSING_FIELD },
    { "{\"type\":\"message-added\",\"message\":{\"id\":\"m\",\"author\":{\"id\":\"u\",\"isOnline\":1}}}", TL_EVENT_ERROR_WRONG_TYPE },
    { "{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c\",\"unreadCount\":-1}}", TL_EVENT_ERROR_INVALID_VALUE },
    { "{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c\",\"unreadCount\":1.5}}", TL_EVENT_ERROR_WRONG_TYPE },
    { "{\"type\":\"conversation-added\",\"conversation\":{\"id\":\"c\",\"participants\":[\"u\"]}}", TL_EVENT_ERROR_WRONG_TYPE },
    { "{\"type\":\"snapshot-begin\",\"epoch\":\"e\"}", TL_EVENT_ERROR_MISSING_FIELD },
    { "{\"type\":\"stream-chunk\",\"messageId\":\"m\",\"sequence\":0,\"chunk\":{\"type\":\"start\"}}", TL_EVENT_ERROR_INVALID_VALUE },
    { "{\"type\":\"stream-chunk\",\"messageId\":\"m\",\"sequence\":1,\"chunk\":null}", TL_EVENT_ERROR_MISSING_FIELD },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TlEvent) event = parse (cases[i].json, NULL, &error);

      g_test_message ("case %u: %s", i, cases[i].json);
      g_assert_null (event);
      g_assert_error (error, TL_EVENT_ERROR, cases[i].code);
    }
}

static void
test_nulls_are_absent (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TlEvent) event = NULL;
  g_autoptr(GString) author = g_string_new (NULL);

  event = parse ("{\"type\":\"message-updated\",\"seq\":3,\"message\":{\"id\":\"m\",\"role\":null,"
                 "\"metadata\":null,\"author\":{\"id\":\"u\",\"displayName\":null,\"k\":[null]}}}",
                 NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (event->kind, ==, TL_EVENT_MESSAGE_UPDATED);
  g_assert_cmpint (event->seq, ==, 3);
  g_assert_null (event->message.role);
  g_assert_null (event->message.metadata);
  /* Null members of a user are absent; nulls inside its values stay. */
  tl_json_write_user (author, event->message.author);
  g_assert_cmpstr (author->str, ==, "{\"id\":\"u\",\"k\":[null]}");
}

static void
test_ephemeral_seq_ignored (void)
{
  g_autoptr(TlEvent) event = parse ("{\"type\":\"typing\",\"seq\":9,\"conversationId\":\"c\",\"userId\":\"u\",\"isTyping\":true}",
                                    NULL, NULL);

  g_assert_nonnull (event);
  g_assert_cmpint (event->seq, ==, 0);
  g_assert_false (tl_event_is_durable (event));
}

static void
test_decode_builds_exact_values (void)
{
  static const struct {
    const char *json;
    const char *written;   /* tl_json_write_node() of the decoded value */
  } cases[] = {
    { "{\"a\":\"\\ud83d\\ude00\"}", "{\"a\":\"\xf0\x9f\x98\x80\"}" },     /* surrogate pair */
    { "{\"a\":\"x\\ud83dy\"}", "{\"a\":\"x\xef\xbf\xbdy\"}" },              /* lone high surrogate */
    { "{\"a\":\"\\ude00\"}", "{\"a\":\"\xef\xbf\xbd\"}" },                 /* lone low surrogate */
    { "{\"a\":\"before\\u0000after\"}", "{\"a\":\"before\xef\xbf\xbd" "after\"}" },
    { "{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20ac\"}", "{\"a\":\"\\\"\\\\/\\b\\f\\n\\r\\t\xc3\xa9\xe2\x82\xac\"}" },
    { "{\"n\":[0,-0,-12,9223372036854775807,-9223372036854775808,1.5,-2.5e-3,1E2,0.1]}",
      "{\"n\":[0,0,-12,9223372036854775807,-9223372036854775808,1.5,-0.0025,100.0,0.1]}" },
    { " { \"a\" : [ ] , \"b\" : { } , \"c\" : [ { } , [ ] ] } ", "{\"a\":[],\"b\":{},\"c\":[{},[]]}" },
    { "{\"k\":1,\"k\":2,\"z\":true,\"f\":false,\"u\":null}", "{\"k\":2,\"z\":true,\"f\":false,\"u\":null}" },
    { "[\"\",\"\\\"\"]", "[\"\",\"\\\"\"]" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = tl_json_decode_value (cases[i].json, strlen (cases[i].json),
                                                       1024, 32, &error);
      g_autofree char *written = NULL;

      g_test_message ("case %u: %s", i, cases[i].json);
      g_assert_no_error (error);
      written = tl_json_node_to_string (node);
      g_assert_cmpstr (written, ==, cases[i].written);
    }
}

static void
test_write_hostile_strings (void)
{
  g_autoptr(GString) out = g_string_new (NULL);

  tl_json_write_string (out, "<b>&amp;</b> \"q\" \\ \n\t\x01 é \xe2\x80\xa8");
  g_assert_cmpstr (out->str, ==, "\"<b>&amp;</b> \\\"q\\\" \\\\ \\n\\t\\u0001 é \xe2\x80\xa8\"");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/threadline/event/undecodable", test_undecodable);
  g_test_add_func ("/threadline/event/seq-validation", test_seq_validation);
  g_test_add_func ("/threadline/event/invalid-payload-keeps-seq", test_invalid_payload_keeps_seq);
  g_test_add_func ("/threadline/event/payload-errors", test_payload_errors);
  g_test_add_func ("/threadline/event/nulls-are-absent", test_nulls_are_absent);
  g_test_add_func ("/threadline/event/ephemeral-seq-ignored", test_ephemeral_seq_ignored);
  g_test_add_func ("/threadline/event/decode-builds-exact-values", test_decode_builds_exact_values);
  g_test_add_func ("/threadline/event/write-hostile-strings", test_write_hostile_strings);

  return g_test_run ();
}
