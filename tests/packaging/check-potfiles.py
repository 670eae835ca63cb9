#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""po/POTFILES.in must list every file with translatable strings, and only
files that exist.

Translatable: C with _(), N_(), C_(), NC_(), g_dngettext() and friends; .ui
files with translatable="yes"; the desktop file and metainfo templates and the
GSettings schema (their strings are translatable by their format).
"""
import os
import re
import sys

SCAN_DIRS = ('src', 'data')
C_MARKERS = re.compile(r'(?<![A-Za-z0-9_])(_|N_|C_|NC_|Q_|g_dngettext|g_dpgettext2?|g_dcgettext'
                       r'|g_dgettext|ngettext|dngettext)\s*\(')
UI_MARKER = re.compile(r'translatable\s*=\s*"(yes|true|1)"')
ALWAYS = re.compile(r'\.(desktop\.in|metainfo\.xml\.in|appdata\.xml\.in)(\.in)?$|\.gschema\.xml$')


def strip_c_comments(text):
    text = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
    return re.sub(r'//[^\n]*', '', text)


def translatable(path):
    if ALWAYS.search(path):
        return True
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except (UnicodeDecodeError, OSError):
        return False
    if path.endswith(('.c', '.h')):
        return C_MARKERS.search(strip_c_comments(text)) is not None
    if path.endswith(('.ui', '.xml')):
        return UI_MARKER.search(text) is not None
    return False


def main():
    root = sys.argv[1]
    potfiles_path = os.path.join(root, 'po', 'POTFILES.in')
    with open(potfiles_path, encoding='utf-8') as f:
        listed = [l.strip() for l in f if l.strip() and not l.lstrip().startswith('#')]
    failed = False
    for entry in listed:
        if not os.path.isfile(os.path.join(root, entry)):
            print(f'FAIL: po/POTFILES.in lists {entry}, which does not exist', file=sys.stderr)
            failed = True
    if len(set(listed)) != len(listed):
        print('FAIL: po/POTFILES.in lists a file twice', file=sys.stderr)
        failed = True

    found = []
    for top in SCAN_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(('.', 'build')))
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                if translatable(path):
                    found.append(os.path.relpath(path, root))
    missing = [p for p in found if p not in listed]
    for p in missing:
        print(f'FAIL: {p} has translatable strings but is missing from po/POTFILES.in',
              file=sys.stderr)
    if missing or failed:
        return 1
    print(f'po/POTFILES.in lists all {len(found)} files with translatable strings')
    return 0


if __name__ == '__main__':
    sys.exit(main())
