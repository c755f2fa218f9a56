#!/usr/bin/env bash
# Builds the benchmark's C reference into build/bench/c-reference with cc,
# -O3 -march=native and liburing. Does nothing when the program is newer
# than its sources and this script. Run: bash bench/build.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src=$root/bench/c-reference
out=$root/build/bench/c-reference

fail() {
  printf 'bench-build: %s\n' "$1" >&2
  printf '             fix: %s\n' "$2" >&2
  exit 1
}

is_fresh() {
  local input
  [[ -x $out ]] || return 1
  for input in "$src"/*.c "$src"/*.h "$root/algos/edgecam_tile.h" \
    "$root/algos/edgecam_plugin.h" "${BASH_SOURCE[0]}"; do
    [[ $out -nt $input ]] || return 1
  done
}

is_fresh && exit 0
command -v cc >/dev/null || fail "no C compiler (cc)" \
  "apt-get install -y build-essential"
[[ -f /usr/include/liburing.h ]] || fail "liburing's header is missing" \
  "apt-get install -y liburing-dev"

mkdir -p "$(dirname "$out")"
cc -std=gnu11 -O3 -march=native -Wall -Wextra -Werror -pthread \
  -I"$root/algos" -o "$out.tmp.$$" "$src"/*.c -luring || {
  rm -f "$out.tmp.$$"
  fail "bench/c-reference did not compile (errors above)" \
    "fix the error, then: bash bench/build.sh"
}
mv -f "$out.tmp.$$" "$out"
printf 'bench-build: %s\n' "build/bench/c-reference is ready"
