#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The app id must be the same everywhere it is spelled.

The Flatpak manifest, the GSettings schema and the GResource prefix use the
stable id; the desktop file, the metainfo and the installed icons use the id
of this build (the stable id, or the stable id + ".Devel" with
-Ddevelopment=true). Literal ids and resource paths in src/app/*.c must name
the stable id too.
"""
import argparse
import configparser
import glob
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

errors = []


def check(ok, what):
    if not ok:
        errors.append(what)


def main():
    ap = argparse.ArgumentParser()
    for name in ('app-id', 'base-id', 'manifest', 'desktop', 'metainfo', 'schema',
                 'gresource', 'icon-dir'):
        ap.add_argument('--' + name, required=True)
    args = ap.parse_args()
    app_id, base_id = args.app_id, args.base_id
    base_path = '/' + base_id.replace('.', '/')

    check(app_id in (base_id, base_id + '.Devel'),
          f'app id {app_id!r} is neither {base_id!r} nor its .Devel variant')

    # Flatpak manifest
    with open(args.manifest, encoding='utf-8') as f:
        manifest = json.load(f)
    manifest_id = manifest.get('id', manifest.get('app-id'))
    check(manifest_id == base_id, f'{args.manifest}: id is {manifest_id!r}, not {base_id!r}')
    check(os.path.basename(args.manifest) == base_id + '.json',
          f'{args.manifest}: file name does not match the app id {base_id!r}')

    # Desktop file
    check(os.path.basename(args.desktop) == app_id + '.desktop',
          f'{args.desktop}: file name does not match the app id {app_id!r}')
    desktop = configparser.ConfigParser(interpolation=None, strict=False)
    desktop.optionxform = str
    desktop.read(args.desktop, encoding='utf-8')
    icon = desktop.get('Desktop Entry', 'Icon', fallback=None)
    check(icon == app_id, f'{args.desktop}: Icon={icon!r}, not {app_id!r}')

    # Metainfo
    component = ET.parse(args.metainfo).getroot()
    cid = component.findtext('id')
    check(cid == app_id, f'{args.metainfo}: <id> is {cid!r}, not {app_id!r}')
    launchables = [l.text for l in component.findall('launchable')
                   if l.get('type') == 'desktop-id']
    check(launchables == [app_id + '.desktop'],
          f'{args.metainfo}: <launchable type="desktop-id"> is {launchables!r}, '
          f'not [{app_id + ".desktop"!r}]')
    check(os.path.basename(args.metainfo) == app_id + '.metainfo.xml',
          f'{args.metainfo}: file name does not match the app id {app_id!r}')

    # GSettings schema
    schemas = ET.parse(args.schema).getroot().findall('schema')
    check(len(schemas) >= 1, f'{args.schema}: no <schema>')
    for schema in schemas:
        sid, path = schema.get('id'), schema.get('path')
        check(sid == base_id or sid.startswith(base_id + '.'),
              f'{args.schema}: schema id {sid!r} is not under {base_id!r}')
        expected_path = '/' + sid.replace('.', '/') + '/'
        check(path == expected_path,
              f'{args.schema}: schema {sid!r} has path {path!r}, not {expected_path!r}')
    check(any(s.get('id') == base_id for s in schemas),
          f'{args.schema}: no schema with id {base_id!r}')

    # GResource
    prefixes = [r.get('prefix') for r in ET.parse(args.gresource).getroot().findall('gresource')]
    check(prefixes and all(p.rstrip('/') == base_path for p in prefixes),
          f'{args.gresource}: prefixes {prefixes!r}, not {base_path!r}')

    # Icons (installed under the build's app id, kept under the stable one)
    for rel in (f'hicolor/scalable/apps/{base_id}.svg',
                f'hicolor/symbolic/apps/{base_id}-symbolic.svg'):
        check(os.path.isfile(os.path.join(args.icon_dir, rel)), f'missing icon {rel}')

    # Literal ids in the app's C sources
    src_app = os.path.dirname(os.path.abspath(args.gresource))
    id_re = re.compile(r'"(' + re.escape(base_id.split('.')[0]) + r'\.[A-Za-z0-9_.\-]+)"')
    path_re = re.compile(r'"(/' + re.escape(base_id.split('.')[0]) + r'/[^"]*)"')
    for c_file in sorted(glob.glob(os.path.join(src_app, '*.c'))):
        with open(c_file, encoding='utf-8') as f:
            for lineno, line in enumerate(f, 1):
                for m in id_re.finditer(line):
                    value = m.group(1)
                    check(value == base_id or value.startswith(base_id + '.'),
                          f'{c_file}:{lineno}: id {value!r} is not {base_id!r}')
                for m in path_re.finditer(line):
                    value = m.group(1)
                    check(value == base_path or value.startswith(base_path + '/'),
                          f'{c_file}:{lineno}: resource path {value!r} is not under {base_path!r}')

    if errors:
        for e in errors:
            print('FAIL:', e, file=sys.stderr)
        return 1
    print(f'app id {app_id} (stable {base_id}) agrees in manifest, desktop file, metainfo, '
          f'schema, resources, icons and sources')
    return 0


if __name__ == '__main__':
    sys.exit(main())
