/* test-timestamp.c — RFC 3339 instants, compared exactly
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "tl-timestamp.h"

static int
cmp (const char *a,
     const char *b)
{
  TlTimestamp ta, tb;

  g_assert_true (tl_timestamp_parse (a, &ta));
  g_assert_true (tl_timestamp_parse (b, &tb));
  return tl_timestamp_compare (&ta, &tb);
}

static void
test_compare (void)
{
  g_assert_cmpint (cmp ("2026-12-03T10:00:00Z", "2026-12-03T12:00:00+02:00"), ==, 0);
  g_assert_cmpint (cmp ("2026-12-03T10:00:00.5Z", "2026-12-03T10:00:00.500000000000Z"), ==, 0);
  g_assert_cmpint (cmp ("2026-12-03T10:00:00.1234567891Z", "2026-12-03T10:00:00.1234567890Z"), >, 0);
  g_assert_cmpint (cmp ("2026-12-03T10:00:00.12345678901Z", "2026-12-03T10:00:00.1234567891Z"), <, 0);
  g_assert_cmpint (cmp ("2026-12-03T09:59:59.999Z", "2026-12-03T10:00:00Z"), <, 0);
  g_assert_cmpint (cmp ("2026-12-03t10:00:00z", "2026-12-03T10:00:00Z"), ==, 0);
  g_assert_cmpint (cmp ("1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z"), <, 0);
  g_assert_cmpint (cmp ("2024-02-29T00:00:00-00:30", "2024-02-29T00:30:00Z"), ==, 0);
}

static void
test_invalid (void)
{
  static const char *bad[] = {
    "2026-12-03T10:00:00", "2026-12-03", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
    "2026-12-03T24:00:00Z", "2026-12-03T10:00:00.Z", "2026-12-03T10:00:00+0200",
    "2026-12-03T10:00:00Z ", "yesterday", "", "2026-12-03T10:00:00+24:00",
  };
  TlTimestamp ts;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (tl_timestamp_parse (bad[i], &ts));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/threadline/timestamp/compare", test_compare);
  g_test_add_func ("/threadline/timestamp/invalid", test_invalid);

  return g_test_run ();
}
