#!/usr/bin/env bash
# Sequential round trips of the qmp4j server against the C responder floor (docs/benchmarks.md,
# "Server"), measured by the same RawSocketLoop client in alternating rounds, with the Java NIO
# responder (no JSON: the upper bound of a selector design on the JVM) alongside. Prints one line
# per run and, per peer, the median p50 and the median ratio of its rate to the C responder's rate
# in the same round.
#
# Needs: a built qmp4j-bench (benchmarks.jar, by default qmp4j-bench/target/benchmarks.jar), gcc.
# Usage: qmp4j-bench/run-server-rtt.sh [ROUNDS [COUNT [WARMUP]]]
# Env:   JAR=path/to/benchmarks.jar   PIN=1 (client and servers on CPU 0: one scheduling regime,
#        far less noise on a shared machine; both peers get the same treatment)
#        CLIENT_JAR=... (the client's jar, default JAR: keep the client fixed when comparing builds)
#        EXTRA="name=JAR ..." (more qmp4j builds to measure side by side)
#        SERVER_NICE=-10 (every server, C and Java alike, at this nice value; the client stays at
#        the shell's: see docs/benchmarks.md for why the server's weight matters)
#        QMP4J_JVM_OPTS="-XX:+UseSerialGC" (more JVM options for the qmp4j servers, after -Xmx512m)
#        WARMUP_ROUNDS=8 (untimed rounds per server before measuring, default 1: G1 sizes its young
#        generation over the first million requests or so, see docs/benchmarks.md)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rounds="${1:-5}"
count="${2:-100000}"
warmup="${3:-50000}"
jar="${JAR:-$here/target/benchmarks.jar}"
client_jar="${CLIENT_JAR:-$jar}"
[ -f "$jar" ] || { echo "missing $jar: build qmp4j-bench first" >&2; exit 2; }
dir="$(mktemp -d)"
responder="$("$here/build-responder.sh" "$dir/bin")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

pin() { if [ "${PIN:-0}" = 1 ]; then taskset -a -p -c 0 "$1" >/dev/null; fi; }
client() { if [ "${PIN:-0}" = 1 ]; then taskset -c 0 "$@"; else "$@"; fi; }

declare -A sock pid
start() { # name, command...
  local name="$1"
  shift
  if [ -n "${SERVER_NICE:-}" ]; then
    nice -n "$SERVER_NICE" "$@" >"$dir/$name.log" 2>&1 &
  else
    "$@" >"$dir/$name.log" 2>&1 &
  fi
  pid[$name]=$!
  pids+=($!)
  sock[$name]="$dir/$name.sock"
}
start resp "$responder" --unix "$dir/resp.sock"
start nio java -cp "$jar" org.qmp4j.bench.server.NioResponder "$dir/nio.sock" select
# shellcheck disable=SC2086 # QMP4J_JVM_OPTS is a list of options
start qmp4j java -Xmx512m ${QMP4J_JVM_OPTS:-} -cp "$jar" org.qmp4j.bench.server.BenchServer "$dir/qmp4j.sock"
names=(resp nio qmp4j)
for e in ${EXTRA:-}; do
  # shellcheck disable=SC2086
  start "${e%%=*}" java -Xmx512m ${QMP4J_JVM_OPTS:-} -cp "${e#*=}" org.qmp4j.bench.server.BenchServer \
    "$dir/${e%%=*}.sock"
  names+=("${e%%=*}")
done
for n in "${names[@]}"; do
  for _ in $(seq 100); do [ -S "${sock[$n]}" ] && break; sleep 0.1; done
  pin "${pid[$n]}"
done

# Untimed rounds let the JVM servers compile their hot paths (and G1 size its generations).
for n in "${names[@]}"; do
  for _ in $(seq "${WARMUP_ROUNDS:-1}"); do
    client java -cp "$client_jar" org.qmp4j.bench.e2e.RawSocketLoop "unix:${sock[$n]}" \
      --count "$count" --warmup "$warmup" --mode sequential >/dev/null
  done
done
results="$dir/results"
for r in $(seq "$rounds"); do
  for n in "${names[@]}"; do
    line=$(client java -XX:+UseSerialGC -cp "$client_jar" org.qmp4j.bench.e2e.RawSocketLoop \
      "unix:${sock[$n]}" --count "$count" --warmup "$warmup" --mode sequential | grep '^sequential')
    echo "$r $n $(echo "$line" | awk '{print $2, $5, $8}')" | tee -a "$results"
  done
done
echo "summary (median over rounds):"
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for n in "${names[@]}"; do
  p50=$(awk -v n="$n" '$2 == n { print $4 }' "$results" | median)
  ratio=$(awk -v n="$n" '$2 == "resp" { c[$1] = $3 } $2 == n { o[$1] = $3 }
    END { for (r in o) if (c[r] > 0) printf "%.3f\n", o[r] / c[r] }' "$results" | median)
  printf "%-8s p50 %s us   rate / C responder's rate in the same round: %s\n" "$n" "$p50" "$ratio"
done
