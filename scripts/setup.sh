#!/usr/bin/env bash
# Brings a fresh clone to a runnable EdgeCam: Debian packages, npm packages,
# Wasmtime's C API, the native addon, the algorithm host, the plugins and the
# TypeScript build. Every step is idempotent and skips what is already done,
# so `npm test` and `npm run demo` call it on every run.
#   bash scripts/setup.sh               everything
#   bash scripts/setup.sh --build-only  skip the package checks
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the build needs, with the command each one provides.
# pkg-config finds liburing; lld gives wasm-ld; libclang-rt-14-dev-wasm32
# gives the wasm32 builtins that clang links into every plugin.
debian_packages=(
  build-essential cmake pkg-config liburing-dev clang lld wasi-libc
  libclang-rt-14-dev-wasm32 clang-format python3 python3-pip strace
  python3-prometheus-client tmux
)

started=$(date +%s)
say() { printf 'setup: %s\n' "$*"; }
fail() {
  printf 'setup: %s\n' "$1" >&2
  [ $# -gt 1 ] && printf '       fix: %s\n' "$2" >&2
  exit 1
}

check_platform() {
  [ "$(uname -s)" = Linux ] ||
    fail "EdgeCam needs Linux (io_uring); this is $(uname -s)."
  [ "$(uname -m)" = x86_64 ] ||
    fail "the pinned Wasmtime library is for x86_64; this is $(uname -m)."
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  [ "$major" -ge 20 ] ||
    fail "Node.js 20 or newer is needed (found: $(node --version 2>&1))." \
      "install Node.js 20 (https://nodejs.org) and run this again"
}

install_debian_packages() {
  local missing=() p
  for p in "${debian_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
      missing+=("$p")
  done
  # pip may come from elsewhere (pyenv); then python3-pip is not needed.
  if python3 -m pip --version >/dev/null 2>&1; then
    local keep=()
    for p in "${missing[@]}"; do [ "$p" = python3-pip ] || keep+=("$p"); done
    missing=("${keep[@]+"${keep[@]}"}")
  fi
  [ ${#missing[@]} -eq 0 ] && return 0

  local cmd="apt-get update && apt-get install -y ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    fail "missing Debian packages: ${missing[*]}" "sudo sh -c '$cmd'"
  fi
  say "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive sh -c "$cmd" >build-apt.log 2>&1 ||
    fail "apt-get failed; its output is in build-apt.log" "$cmd"
  rm -f build-apt.log
}

install_npm_packages() {
  # npm writes node_modules/.package-lock.json on every install; when it is
  # newer than package-lock.json the tree matches the lock file.
  if [ -f node_modules/.package-lock.json ] &&
    [ node_modules/.package-lock.json -nt package-lock.json ]; then
    return 0
  fi
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error ||
    fail "npm ci failed (see above)" "npm ci"
}

check_rust() {
  command -v cargo >/dev/null 2>&1 && return 0
  [ -f .cache/wasmtime/49.0.0/include/wasmtime.h ] && return 0
  fail "cargo is needed once, to fetch Wasmtime's C headers from crates.io." \
    "install Rust (https://rustup.rs) or Debian's cargo: apt-get install -y cargo"
}

build_typescript() {
  ./node_modules/.bin/tsc -p . ||
    fail "the TypeScript build failed (see above)" "npx tsc -p ."
}

main() {
  check_platform
  if [ "${1:-}" != --build-only ]; then
    install_debian_packages
    install_npm_packages
    check_rust
  fi
  bash scripts/fetch-wasmtime.sh
  bash native/addon/build.sh
  bash native/host/build.sh
  bash algos/build
  build_typescript
  say "ready ($(($(date +%s) - started)) s)"
}

main "$@"
