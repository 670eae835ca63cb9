#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Static checks of the Flatpak manifest (the runtime cannot be fetched here).

flatpak-builder --show-manifest exits 1 on a syntax error but only prints a
WARNING on stderr (exit 0) for an unknown key: both fail this test. Then the
manifest's shape: GNOME 50, exactly the finish-args the app needs, every
downloaded source pinned by sha256, the app built with meson from this
checkout.
"""
import json
import os
import re
import subprocess
import sys

FINISH_ARGS = ['--share=network', '--share=ipc', '--socket=wayland',
               '--socket=fallback-x11', '--device=dri']
errors = []


def check(ok, what):
    if not ok:
        errors.append(what)


def main():
    builder, manifest_path = sys.argv[1], sys.argv[2]
    proc = subprocess.run([builder, '--show-manifest', manifest_path],
                          capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.abspath(manifest_path)))
    sys.stderr.write(proc.stderr)
    check(proc.returncode == 0, f'flatpak-builder --show-manifest exited {proc.returncode}')
    check('warning' not in proc.stderr.lower(), 'flatpak-builder printed a warning')
    check(proc.stderr.strip() == '', 'flatpak-builder printed something on stderr')

    with open(manifest_path, encoding='utf-8') as f:
        m = json.load(f)
    check(m.get('runtime') == 'org.gnome.Platform', 'runtime is not org.gnome.Platform')
    check(m.get('sdk') == 'org.gnome.Sdk', 'sdk is not org.gnome.Sdk')
    check(m.get('runtime-version') == '50', 'runtime-version is not "50"')
    check(m.get('command') == 'threadline', 'command is not threadline')
    check(m.get('finish-args') == FINISH_ARGS,
          f'finish-args are {m.get("finish-args")!r}, not exactly {FINISH_ARGS!r}')

    modules = m.get('modules', [])
    names = [mod.get('name') for mod in modules if isinstance(mod, dict)]
    check('md4c' in names, 'no md4c module')
    check(names and names[-1] == 'threadline', 'the app is not the last module')
    for mod in modules:
        if not isinstance(mod, dict):
            continue
        for src in mod.get('sources', []):
            if src.get('type') in ('archive', 'file') and 'url' in src:
                check(src['url'].startswith('https://'),
                      f'{mod["name"]}: source URL is not https: {src["url"]}')
                check(re.fullmatch(r'[0-9a-f]{64}', src.get('sha256', '')) is not None,
                      f'{mod["name"]}: source without a sha256')
            if src.get('type') == 'git':
                check(re.fullmatch(r'[0-9a-f]{40}', src.get('commit', '')) is not None,
                      f'{mod["name"]}: git source without a commit')
    app = modules[-1] if modules else {}
    check(app.get('buildsystem') == 'meson', 'the app is not built with meson')
    check(app.get('sources') == [{'type': 'dir', 'path': '..'}],
          'the app is not built from the local checkout (type dir, path "..")')

    if errors:
        for e in errors:
            print('FAIL:', e, file=sys.stderr)
        return 1
    print('manifest valid:', ', '.join(names))
    return 0


if __name__ == '__main__':
    sys.exit(main())
