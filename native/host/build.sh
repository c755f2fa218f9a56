#!/usr/bin/env bash
# Builds the algorithm host into build/host/edgecam-host. Quick when up to
# date (cmake only checks timestamps). Needs Wasmtime in .cache first.
# Run: bash native/host/build.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly ROOT
readonly OUT=$ROOT/build/host
readonly WASMTIME=$ROOT/.cache/wasmtime/49.0.0

fail() {
  printf 'host-build: FAILED: %s\n' "$1" >&2
  printf 'host-build: fix: %s\n' "$2" >&2
  exit 1
}

[[ -f $WASMTIME/.complete ]] ||
  fail "Wasmtime 49.0.0 is not in .cache/wasmtime/49.0.0" \
    "bash scripts/fetch-wasmtime.sh"
command -v cmake >/dev/null || fail "cmake not found" "apt-get install -y cmake"

mkdir -p "$ROOT/build"
if [[ ! -f $OUT/CMakeCache.txt ]]; then
  cmake -S "$ROOT/native/host" -B "$OUT" -DCMAKE_BUILD_TYPE=Release \
    >"$OUT.configure.log" 2>&1 || {
    cat "$OUT.configure.log" >&2
    fail "cmake could not configure native/host (output above)" \
      "rm -rf build/host && bash native/host/build.sh"
  }
  rm -f "$OUT.configure.log"
fi

cmake --build "$OUT" -j2 >"$OUT.build.log" 2>&1 || {
  cat "$OUT.build.log" >&2
  fail "the host did not compile (errors above)" \
    "fix the error, then: bash native/host/build.sh"
}
rm -f "$OUT.build.log"
printf 'host-build: %s\n' "build/host/edgecam-host is ready"
