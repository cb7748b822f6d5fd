#!/usr/bin/env bash
# Re-records qmp4j-bench/src/main/resources/qemu-7.2-query-qmp-schema.json: the exact bytes of
# the installed QEMU's reply to query-qmp-schema (one compact line, CRLF included).
# Needs qemu-system-x86_64 (7.2) and a JDK 17+ on PATH; builds nothing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/src/main/resources/qemu-7.2-query-qmp-schema.json}"
dir="$(mktemp -d)"
sock="$dir/qmp.sock"
qemu-system-x86_64 -S -machine none -nodefaults -display none \
  -chardev "socket,id=mon,path=$sock,server=on,wait=off" -mon chardev=mon,mode=control \
  -pidfile "$dir/qemu.pid" -daemonize
cleanup() {
  if [ -f "$dir/qemu.pid" ]; then kill "$(cat "$dir/qemu.pid")" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
qemu-system-x86_64 --version | head -1 >&2
java "$here/src/main/java/org/qmp4j/bench/codec/RecordSchema.java" "$sock" "$out"
