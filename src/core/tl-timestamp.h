/* tl-timestamp.h — RFC 3339 instants compared exactly
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* An instant parsed from an RFC 3339 date-time. Any number of fraction
 * digits is allowed and compared exactly: the first nine live in @nsec, and
 * @more_digits says further non-zero digits exist (then the textual fraction
 * decides ties, see tl_timestamp_compare()). */
typedef struct
{
  gint64      sec;          /* seconds since the Unix epoch, UTC */
  guint32     nsec;
  gboolean    more_digits;
  const char *text;         /* borrowed verbatim text, only read when more_digits */
} TlTimestamp;

gboolean tl_timestamp_parse   (const char        *text,
                               TlTimestamp       *out);
int      tl_timestamp_compare (const TlTimestamp *a,
                               const TlTimestamp *b);

G_END_DECLS
