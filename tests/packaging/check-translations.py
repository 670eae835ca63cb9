#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every translation in po/LINGUAS is complete and well-formed.

1. Extract the strings from the sources now (xgettext with meson's glib
   preset over po/POTFILES.in) — so a string added after the last
   translation pass makes this test fail, not just a stale .pot.
2. msgmerge each po/LL.po with that template, then
   msgfmt --check --check-accelerators=_ --statistics: any untranslated or
   fuzzy entry, broken format string or lost/extra mnemonic fails.
3. The same for the committed po/LL.po itself.
4. Typography: where the English uses “…”, German uses „…“ and French « … »;
   no straight double quotes where the English has none.
"""
import os
import re
import subprocess
import sys
import tempfile

XGETTEXT_ARGS = [
    '--from-code=UTF-8', '--add-comments',
    '--keyword=_', '--keyword=N_', '--keyword=C_:1c,2', '--keyword=NC_:1c,2',
    '--keyword=g_dcgettext:2', '--keyword=g_dngettext:2,3', '--keyword=g_dpgettext2:2c,3',
    '--flag=N_:1:pass-c-format', '--flag=C_:2:pass-c-format', '--flag=NC_:2:pass-c-format',
    '--flag=g_dngettext:2:pass-c-format', '--flag=g_strdup_printf:1:c-format',
    '--flag=g_string_printf:2:c-format', '--flag=g_string_append_printf:2:c-format',
    '--flag=g_error_new:3:c-format', '--flag=g_set_error:4:c-format',
    '--flag=g_markup_printf_escaped:1:c-format', '--flag=g_log:3:c-format',
    '--flag=g_print:1:c-format', '--flag=g_printerr:1:c-format', '--flag=g_printf:1:c-format',
    '--flag=g_fprintf:2:c-format', '--flag=g_sprintf:2:c-format', '--flag=g_snprintf:3:c-format',
]
PLURAL_FORMS = {
    'de': 'nplurals=2; plural=(n != 1);',
    'fr': 'nplurals=2; plural=(n > 1);',
}
QUOTES = {'de': ('„', '“'), 'fr': ('«', '»')}


def unquote(s):
    s = s.strip()
    assert s.startswith('"') and s.endswith('"'), s
    return (s[1:-1].replace('\\n', '\n').replace('\\t', '\t')
            .replace('\\"', '"').replace('\\\\', '\\'))


def parse_po(path):
    """Entries as dicts: msgctxt, msgid, msgid_plural, msgstr (list), flags, obsolete."""
    entries, cur, key = [], None, None

    def flush():
        if cur is not None and 'msgid' in cur:
            entries.append(cur)

    with open(path, encoding='utf-8') as f:
        for raw in f:
            line = raw.rstrip('\n')
            obsolete = line.startswith('#~')
            if obsolete:
                line = line[2:].lstrip()
            if line.startswith('#,'):
                if cur is not None and 'msgid' in cur:
                    flush()
                    cur = None
                cur = cur or {'flags': set(), 'msgstr': []}
                cur['flags'].update(f.strip() for f in line[2:].split(','))
                continue
            if line.startswith('#') or not line.strip():
                continue
            m = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$', line)
            if m:
                kw, value = m.group(1), unquote(m.group(2))
                if kw in ('msgctxt', 'msgid') and cur is not None and 'msgid' in cur:
                    flush()
                    cur = None
                if cur is None:
                    cur = {'flags': set(), 'msgstr': []}
                cur['obsolete'] = obsolete
                if kw.startswith('msgstr'):
                    cur['msgstr'].append(value)
                    key = ('msgstr', len(cur['msgstr']) - 1)
                else:
                    cur[kw] = value
                    key = kw
            elif line.startswith('"') and cur is not None:
                value = unquote(line)
                if isinstance(key, tuple):
                    cur['msgstr'][key[1]] += value
                else:
                    cur[key] += value
    flush()
    return entries


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def main():
    root = sys.argv[1]
    po = os.path.join(root, 'po')
    with open(os.path.join(po, 'LINGUAS'), encoding='utf-8') as f:
        langs = [w for l in f if not l.startswith('#') for w in l.split()]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        pot = os.path.join(tmp, 'threadline.pot')
        proc = run(['xgettext', '--package-name=threadline', f'--directory={root}',
                    f'--files-from={os.path.join(po, "POTFILES.in")}', f'--output={pot}']
                   + XGETTEXT_ARGS)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            print('FAIL: xgettext failed', file=sys.stderr)
            return 1
        n_template = sum(1 for e in parse_po(pot) if e['msgid'])
        for lang in langs:
            po_file = os.path.join(po, lang + '.po')
            if not os.path.isfile(po_file):
                failures.append(f'{lang}: po/{lang}.po is missing')
                continue
            merged = os.path.join(tmp, lang + '.po')
            proc = run(['msgmerge', '--quiet', '--output-file=' + merged, po_file, pot])
            if proc.returncode != 0:
                failures.append(f'{lang}: msgmerge failed: {proc.stderr.strip()}')
                continue
            for label, path in (('against the sources', merged), ('as committed', po_file)):
                proc = run(['msgfmt', '--check', '--check-accelerators=_', '--statistics',
                            '-o', os.devnull, path])
                stats = proc.stderr.strip()
                print(f'{lang} ({label}): {stats}')
                if proc.returncode != 0:
                    failures.append(f'{lang} ({label}): msgfmt --check failed')
                elif 'untranslated' in stats or 'fuzzy' in stats:
                    failures.append(f'{lang} ({label}): incomplete: {stats.splitlines()[-1]}')

            entries = parse_po(merged)
            header = next((e for e in entries if e['msgid'] == ''), None)
            if header is None or PLURAL_FORMS.get(lang, '') not in header['msgstr'][0]:
                failures.append(f'{lang}: Plural-Forms header is not {PLURAL_FORMS.get(lang)!r}')
            for e in entries:
                if not e['msgid'] or e.get('obsolete'):
                    continue
                for s in e['msgstr']:
                    if '“' in e['msgid'] and lang in QUOTES:
                        opening, closing = QUOTES[lang]
                        if opening not in s or closing not in s:
                            failures.append(f'{lang}: {e["msgid"]!r}: use {opening}…{closing} '
                                            f'quotes: {s!r}')
                    if '"' in s and '"' not in e['msgid']:
                        failures.append(f'{lang}: {e["msgid"]!r}: straight quotes in {s!r}')
                    if lang == 'fr' and re.search(r'«(?![\u00a0\u202f])|(?<![\u00a0\u202f])»', s):
                        failures.append(f'{lang}: {e["msgid"]!r}: « » need no-break spaces '
                                        f'inside: {s!r}')
        print(f'{n_template} strings in the sources, {len(langs)} languages')
    for f in failures:
        print('FAIL:', f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
