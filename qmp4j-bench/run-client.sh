#!/usr/bin/env bash
# The client benchmarks of docs/benchmarks.md ("Client"), in one run: the qmp4j server (BenchServer,
# its own JVM), then QEMU 7.2; each peer measured with the raw socket loop and the client.
# Usage: qmp4j-bench/run-client.sh [BENCHMARKS_JAR]   (build it first: ./mvnw -B -pl qmp4j-bench -am package -DskipTests)
set -u
here="$(cd "$(dirname "$0")" && pwd)"
J=${1:-$here/target/benchmarks.jar}
echo "== $(date -u) $(nproc) cpus, load: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f /tmp/cb.sock
java -cp "$J" org.qmp4j.bench.server.BenchServer /tmp/cb.sock > /tmp/cb-server.log 2>&1 & S=$!
sleep 2
echo "== qmp4j BenchServer"
java -cp "$J" org.qmp4j.bench.client.ClientBench unix:/tmp/cb.sock --count 200000 --warmup 50000 --rounds 5 --emit 200000 --blast 1000000
kill $S; wait $S 2>/dev/null
rm -f /tmp/qb.sock
qemu-system-x86_64 -S -machine none -nodefaults -display none -qmp unix:/tmp/qb.sock,server=on,wait=off > /tmp/qb.log 2>&1 & Q=$!
sleep 1
echo "== QEMU 7.2, raw loop without id"
java -cp "$J" org.qmp4j.bench.client.ClientBench unix:/tmp/qb.sock --count 20000 --warmup 5000 --rounds 3
echo "== QEMU 7.2, raw loop with an id like the client's"
java -cp "$J" org.qmp4j.bench.client.ClientBench unix:/tmp/qb.sock --count 20000 --warmup 5000 --rounds 3 --raw-id true
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
kill $Q; wait $Q 2>/dev/null
