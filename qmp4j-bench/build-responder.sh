#!/usr/bin/env bash
# Builds the C QMP responder (the round-trip latency floor) into qmp4j-bench/target/qmp-responder.
# Usage: qmp4j-bench/build-responder.sh [OUTPUT_DIR]   (default: qmp4j-bench/target)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/target}"
mkdir -p "$out"
gcc -O2 -std=c11 -Wall -Wextra -Werror -o "$out/qmp-responder" "$here/src/main/c/qmp-responder.c"
echo "$out/qmp-responder"
