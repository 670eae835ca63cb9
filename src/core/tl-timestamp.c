/* tl-timestamp.c — RFC 3339 instants compared exactly
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "threadline-core"

#include "tl-timestamp.h"

#include <string.h>

static gboolean
read_digits (const char **p,
             guint        n,
             int         *out)
{
  int v = 0;

  for (guint i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit ((*p)[i]))
        return FALSE;
      v = v * 10 + ((*p)[i] - '0');
    }
  *p += n;
  *out = v;
  return TRUE;
}

static gint64
days_from_civil (gint64 y,
                 unsigned m,
                 unsigned d)
{
  /* Howard Hinnant's algorithm: proleptic Gregorian, no tables, no locale. */
  gint64 era;
  unsigned yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (unsigned) (y - era * 400);
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (gint64) doe - 719468;
}

static gboolean
is_leap (int y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Returns the fraction digits past the ninth, without trailing zeros, so two
 * fractions that differ only in trailing zeros compare equal. */
static void
extra_digits (const char  *text,
              const char **start,
              gsize       *len)
{
  const char *p = strchr (text, '.');
  const char *end;

  *start = NULL;
  *len = 0;
  if (p == NULL)
    return;
  p++;
  end = p;
  while (g_ascii_isdigit (*end))
    end++;
  if (end - p <= 9)
    return;
  p += 9;
  while (end > p && end[-1] == '0')
    end--;
  *start = p;
  *len = end - p;
}

gboolean
tl_timestamp_parse (const char  *text,
                    TlTimestamp *out)
{
  static const guint8 mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  const char *p = text;
  int year, month, day, hour, minute, second;
  guint32 nsec = 0;
  gboolean more = FALSE;
  int offset = 0;
  int max_day;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!read_digits (&p, 4, &year) || *p++ != '-' ||
      !read_digits (&p, 2, &month) || *p++ != '-' ||
      !read_digits (&p, 2, &day))
    return FALSE;
  if (*p != 'T' && *p != 't' && *p != ' ')
    return FALSE;
  p++;
  if (!read_digits (&p, 2, &hour) || *p++ != ':' ||
      !read_digits (&p, 2, &minute) || *p++ != ':' ||
      !read_digits (&p, 2, &second))
    return FALSE;

  if (month < 1 || month > 12)
    return FALSE;
  max_day = mdays[month - 1] + (month == 2 && is_leap (year));
  /* RFC 3339 allows a leap second (60); it is the same instant as :59 plus one. */
  if (day < 1 || day > max_day || hour > 23 || minute > 59 || second > 60)
    return FALSE;

  if (*p == '.')
    {
      guint n = 0;

      p++;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      for (; g_ascii_isdigit (*p); p++, n++)
        {
          if (n < 9)
            nsec = nsec * 10 + (guint32) (*p - '0');
          else if (*p != '0')
            more = TRUE;
        }
      for (; n < 9; n++)
        nsec *= 10;
    }

  if (*p == 'Z' || *p == 'z')
    p++;
  else if (*p == '+' || *p == '-')
    {
      int sign = *p++ == '-' ? -1 : 1;
      int oh, om;

      if (!read_digits (&p, 2, &oh) || *p++ != ':' || !read_digits (&p, 2, &om))
        return FALSE;
      if (oh > 23 || om > 59)
        return FALSE;
      offset = sign * (oh * 3600 + om * 60);
    }
  else
    return FALSE;

  if (*p != '\0')
    return FALSE;

  out->sec = days_from_civil (year, (unsigned) month, (unsigned) day) * 86400
             + hour * 3600 + minute * 60 + second - offset;
  out->nsec = nsec;
  out->more_digits = more;
  out->text = text;
  return TRUE;
}

int
tl_timestamp_compare (const TlTimestamp *a,
                      const TlTimestamp *b)
{
  const char *ea, *eb;
  gsize la, lb;
  int c;

  if (a->sec != b->sec)
    return a->sec < b->sec ? -1 : 1;
  if (a->nsec != b->nsec)
    return a->nsec < b->nsec ? -1 : 1;
  if (!a->more_digits && !b->more_digits)
    return 0;

  extra_digits (a->text, &ea, &la);
  extra_digits (b->text, &eb, &lb);
  c = memcmp (ea ? ea : "", eb ? eb : "", MIN (la, lb));
  if (c != 0)
    return c < 0 ? -1 : 1;
  return la == lb ? 0 : (la < lb ? -1 : 1);
}
