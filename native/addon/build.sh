#!/usr/bin/env bash
# Builds the io_uring addon into build/addon/Release/edgecam_native.node with
# cmake-js, against this machine's Node headers (nothing is downloaded).
# Usage: bash native/addon/build.sh   (does nothing when already up to date)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
addon="$root/build/addon/Release/edgecam_native.node"
log="$root/build/addon-build.log"

fail() {
  echo "native/addon: $*" >&2
  exit 1
}

# Up to date: the addon is newer than every file of native/addon.
if [[ -f "$addon" ]] &&
  [[ -z "$(find "$root/native/addon" -type f -newer "$addon" -print -quit)" ]]; then
  exit 0
fi

# What the build needs, each with the command that provides it.
command -v cmake >/dev/null || fail "cmake is missing; run: apt-get install cmake"
command -v g++ >/dev/null || fail "g++ is missing; run: apt-get install g++"
pkg-config --exists 'liburing >= 2.3' ||
  fail "liburing 2.3+ headers are missing; run: apt-get install liburing-dev"
cmake_js="$root/node_modules/.bin/cmake-js"
[[ -x "$cmake_js" ]] || fail "cmake-js is missing; run: npm install"
[[ -d "$root/node_modules/node-addon-api" ]] || fail "node-addon-api is missing; run: npm install"

# Rule: point cmake-js at the headers of the Node that runs it. Reason:
# without npm's nodedir it downloads headers from nodejs.org.
nodedir="${npm_config_nodedir:-$(node -p 'require("path").resolve(process.execPath, "../..")')}"
[[ -f "$nodedir/include/node/node_api.h" ]] ||
  fail "no Node headers in $nodedir/include/node; run: apt-get install libnode-dev" \
    "(or set npm_config_nodedir to a Node install that has them)"

mkdir -p "$root/build"
if ! npm_config_nodedir="$nodedir" "$cmake_js" build \
  --directory "$root/native/addon" --out "$root/build/addon" \
  --parallel 2 --log-level warn >"$log" 2>&1; then
  cat "$log" >&2
  fail "the build failed (output above, kept in build/addon-build.log);" \
    "fix it and run: bash native/addon/build.sh"
fi
touch "$addon"
echo "native/addon: built $addon"
