#!/bin/sh
# test-docs-curl.sh — runs the curl examples of docs/server.md against a real server
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Every ```sh block between <!-- curl-test:begin --> and <!-- curl-test:end -->
# runs, in order, with TL and ADMIN set; curl -f makes an HTTP error fail it.
set -eu

binary=$1
doc=$2
dir=$(mktemp -d)
pid=
cleanup () {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

mkfifo "$dir/ready"
"$binary" --port 0 --db "$dir/docs.db" --admin-token docs-admin \
  --user alice:alice-token:Alice >"$dir/ready" &
pid=$!
exec 3<"$dir/ready"
IFS= read -r line <&3
port=$(printf '%s\n' "$line" | sed -n 's/.*"port":\([0-9]*\).*/\1/p')
[ -n "$port" ] || { echo "no ready line: $line" >&2; exit 1; }

TL="http://127.0.0.1:$port"
ADMIN=docs-admin
export TL ADMIN

awk -v dir="$dir" '
  /<!-- curl-test:begin -->/ { inside = 1; next }
  /<!-- curl-test:end -->/   { inside = 0; next }
  inside && /^```sh/          { block++; code = 1; next }
  inside && code && /^```/    { code = 0; next }
  inside && code && !/^#/     { print > (dir "/block-" sprintf("%02d", block) ".sh") }
' "$doc"

count=0
for block in "$dir"/block-*.sh; do
  [ -e "$block" ] || { echo "no curl-test blocks in $doc" >&2; exit 1; }
  count=$((count + 1))
  if ! out=$(sh -e "$block" 2>&1); then
    echo "block $count failed:" >&2
    cat "$block" >&2
    echo "$out" >&2
    exit 1
  fi
  echo "block $count: $out"
done

kill -TERM "$pid"
wait "$pid"
pid=
echo "ran $count blocks"
