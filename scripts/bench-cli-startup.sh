#!/usr/bin/env bash
# Start-up of `qmp4j exec` against a running QEMU 7.2, wall time of the whole command, measured in
# alternating rounds next to its baselines (see docs/benchmarks.md, "Command line"):
#   launcher       ./qmp4j exec SOCK query-status           (class-data sharing archive, C1 only)
#   launcher-nocds QMP4J_CDS=off ./qmp4j exec ...           (C1 only, no archive)
#   java-jar       java -jar qmp4j-cli/target/qmp4j.jar exec ... (a plain JVM, as before)
#   python-qmp     QEMU's own Python library (qemu.qmp 7.2, from /work/qemu-src or $QEMU_PYTHON):
#                  QEMUMonitorProtocol(SOCK).connect(); cmd('query-status')
# Usage: scripts/bench-cli-startup.sh [ROUNDS]   (default 10)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-10}
qemu_python=${QEMU_PYTHON:-/work/qemu-src/qemu-7.2.0/python}
tmp=$(mktemp -d)
sock=$tmp/qmp.sock
qemu-system-x86_64 -S -machine none -nodefaults -display none \
  -qmp "unix:$sock,server=on,wait=off" >"$tmp/qemu.log" 2>&1 &
qemu=$!
trap 'kill $qemu 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [[ -S $sock ]] && break; sleep 0.1; done

"$root/qmp4j" exec "$sock" query-status >/dev/null # builds and trains on first use
jar=$root/qmp4j-cli/target/qmp4j.jar

variants=(launcher launcher-nocds java-jar)
[[ -d $qemu_python/qemu/qmp ]] && variants+=(python-qmp)

# Each variant runs in a bash of its own (for /usr/bin/time); these are what it needs.
export root sock jar qemu_python
run() {
  case $1 in
    launcher) "$root/qmp4j" exec "$sock" query-status ;;
    launcher-nocds) QMP4J_CDS=off "$root/qmp4j" exec "$sock" query-status ;;
    java-jar) java -jar "$jar" exec "$sock" query-status ;;
    python-qmp)
      PYTHONPATH=$qemu_python python3 -c "
import sys
from qemu.qmp.legacy import QEMUMonitorProtocol
m = QEMUMonitorProtocol(sys.argv[1]); m.connect(); print(m.cmd('query-status')['return']); m.close()
" "$sock" ;;
  esac
}

declare -A times cpus
for ((r = 0; r < rounds; r++)); do
  for v in "${variants[@]}"; do
    start=$(date +%s%N)
    /usr/bin/time -f '%U %S' -o "$tmp/cpu" bash -c "$(declare -f run); run $v" >/dev/null
    end=$(date +%s%N)
    times[$v]+="$(((end - start) / 1000000)) "
    cpus[$v]+="$(awk '{printf "%d", ($1 + $2) * 1000}' "$tmp/cpu") "
  done
done

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $rounds rounds"
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }
printf '%-15s %11s %8s %8s %13s   %s\n' variant "wall median" min max "CPU median" "wall, all (ms)"
for v in "${variants[@]}"; do
  # shellcheck disable=SC2086
  sorted=$(printf '%s\n' ${times[$v]} | sort -n)
  # shellcheck disable=SC2086
  printf '%-15s %8s ms %5s ms %5s ms %10s ms   %s\n' "$v" "$(median ${times[$v]})" \
    "$(head -1 <<<"$sorted")" "$(tail -1 <<<"$sorted")" "$(median ${cpus[$v]})" "${times[$v]}"
done
