#!/usr/bin/env bash
# The round-trip floor (docs/benchmarks.md, "Baselines"): RawSocketLoop sends query-status over a
# unix socket to the C responder and to QEMU 7.2, one at a time and with 64 in flight.
# Needs: qmp4j-bench/target/benchmarks.jar (./mvnw -pl qmp4j-bench -am package), gcc,
# qemu-system-x86_64. Usage: qmp4j-bench/run-baselines.sh [COUNT [WARMUP]]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
count="${1:-100000}"
warmup="${2:-20000}"
jar="$here/target/benchmarks.jar"
[ -f "$jar" ] || { echo "missing $jar: build qmp4j-bench first" >&2; exit 2; }
responder="$("$here/build-responder.sh")"
dir="$(mktemp -d)"
responder_pid=""
qemu_pid=""
cleanup() {
  [ -n "$responder_pid" ] && kill "$responder_pid" 2>/dev/null || true
  [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

"$responder" --unix "$dir/responder.sock" 2>/dev/null &
responder_pid=$!
# Not -daemonize: QEMU stays in this session (and scheduling group), like the responder.
qemu-system-x86_64 -S -machine none -nodefaults -display none \
  -chardev "socket,id=mon,path=$dir/qemu.sock,server=on,wait=off" -mon chardev=mon,mode=control &
qemu_pid=$!
for _ in $(seq 50); do
  [ -S "$dir/responder.sock" ] && [ -S "$dir/qemu.sock" ] && break
  sleep 0.1
done

echo "== C responder ($responder)"
java -cp "$jar" org.qmp4j.bench.e2e.RawSocketLoop "unix:$dir/responder.sock" --count "$count" --warmup "$warmup"
echo "== $(qemu-system-x86_64 --version | head -1)"
java -cp "$jar" org.qmp4j.bench.e2e.RawSocketLoop "unix:$dir/qemu.sock" --count "$count" --warmup "$warmup"
