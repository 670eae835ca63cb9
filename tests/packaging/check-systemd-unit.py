#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""systemd-analyze verify on data/threadline-server.service, with ExecStart
pointed at the threadline-server just built (verify wants it to exist)."""
import os
import subprocess
import sys
import tempfile


def main():
    analyze, unit = sys.argv[1:3]
    server = os.path.abspath(sys.argv[3])
    with open(unit, encoding='utf-8') as f:
        text = f.read()
    if 'ExecStart=/usr/bin/threadline-server ' not in text:
        print('FAIL: ExecStart does not run /usr/bin/threadline-server', file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, os.path.basename(unit))
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text.replace('ExecStart=/usr/bin/threadline-server ', f'ExecStart={server} '))
        proc = subprocess.run([analyze, 'verify', path], capture_output=True, text=True)
    sys.stderr.write(proc.stdout + proc.stderr)
    if proc.returncode != 0 or (proc.stdout + proc.stderr).strip():
        print('FAIL: systemd-analyze verify reported problems', file=sys.stderr)
        return 1
    print('unit verified')
    return 0


if __name__ == '__main__':
    sys.exit(main())
