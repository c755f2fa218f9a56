#!/usr/bin/env bash
# Fetches Wasmtime 49.0.0's C API (shared library and headers) into
# .cache/wasmtime/49.0.0/{lib,include} for the algorithm host to link.
# Run: bash scripts/fetch-wasmtime.sh   (a second run only checks the marker)
#
# Where the pieces come from, since Wasmtime's own release archives are not
# reachable here (only package registries are):
# - the library: PyPI's `wasmtime` wheel carries the official release's C API
#   library; we pin the wheel's sha256 and refuse anything else;
# - the headers: crates.io's `wasmtime-c-api-impl` crate carries include/ for
#   the same version; cargo verifies its checksum, and the crate's own cmake
#   script generates wasmtime/conf.h for the features we name below.
set -euo pipefail

readonly VERSION=49.0.0
readonly WHEEL=wasmtime-${VERSION}-py3-none-manylinux1_x86_64.whl
readonly WHEEL_SHA256=94f0288f9e1c33924995a72bb769f4c4e2885002391589dd6992cdaa35d1990a
readonly WHEEL_LIB=wasmtime/linux-x86_64/_libwasmtime.so
# The release library marks its version with this exported symbol.
readonly VERSION_SYMBOL=set_vmctx_memory_${VERSION//./_}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly CACHE=$ROOT/.cache/wasmtime/$VERSION
readonly MARKER=$CACHE/.complete
readonly SELF="bash scripts/fetch-wasmtime.sh"

# The Cargo features the release library was built with: Wasmtime's default
# set (every feature but disable-logging and all-arch). conf.h must declare
# the same, or headers would hide functions the library has, or declare ones
# it lacks. Each feature is paired with a symbol that proves the library has
# it ("-" where the feature adds no symbol of its own).
readonly FEATURES=(
  "PROFILING wasmtime_guestprofiler_new"
  "WAT wasmtime_wat2wasm"
  "CACHE wasmtime_config_cache_config_load"
  "PARALLEL_COMPILATION wasmtime_config_parallel_compilation_set"
  "WASI wasi_config_new"
  "WASI_HTTP wasmtime_context_set_wasi_http"
  "LOGGING -"
  "COREDUMP -"
  "ADDR2LINE -"
  "DEMANGLE -"
  "THREADS wasmtime_sharedmemory_new"
  "GC wasmtime_anyref_clone"
  "GC_DRC -"
  "GC_NULL -"
  "ASYNC wasmtime_func_call_async"
  "CRANELIFT -"
  "WINCH -"
  "DEBUG_BUILTINS -"
  "POOLING_ALLOCATOR wasmtime_pooling_allocation_config_new"
  "COMPONENT_MODEL wasmtime_component_linker_new"
  "COMPONENT_MODEL_ASYNC wasmtime_component_linker_instantiate_async"
  "PULLEY -"
)

step() { printf 'fetch-wasmtime: %s\n' "$*"; }

# fail REASON FIX: one line saying what failed, one saying what to run.
fail() {
  printf 'fetch-wasmtime: FAILED: %s\n' "$1" >&2
  printf 'fetch-wasmtime: fix: %s\n' "$2" >&2
  exit 1
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

check_machine() {
  local arch
  arch=$(uname -m)
  if [[ $arch != x86_64 ]]; then
    fail "this script fetches the x86_64 Linux library; this machine is $arch" \
      "run on an x86_64 Linux machine (no other build is pinned)"
  fi
  command -v python3 >/dev/null ||
    fail "python3 not found" "apt-get install -y python3 python3-pip"
  python3 -m pip --version >/dev/null 2>&1 ||
    fail "pip not found for python3" "apt-get install -y python3-pip"
  command -v cargo >/dev/null ||
    fail "cargo not found (it fetches the headers' crate)" \
      "apt-get install -y cargo   (or install rustup), then: $SELF"
  command -v cmake >/dev/null ||
    fail "cmake not found (it installs the headers)" "apt-get install -y cmake"
}

# A finished cache holds the library's hash in its marker; a run that finds
# it intact does nothing else.
cache_is_complete() {
  [[ -f $MARKER && -f $CACHE/lib/libwasmtime.so ]] || return 1
  [[ -f $CACHE/include/wasmtime.h && -f $CACHE/include/wasmtime/conf.h ]] ||
    return 1
  [[ $(cat "$MARKER") == "$(sha256_of "$CACHE/lib/libwasmtime.so")" ]]
}

fetch_wheel() {
  local dir=$CACHE/download
  local wheel=$dir/$WHEEL

  if [[ -f $wheel && $(sha256_of "$wheel") == "$WHEEL_SHA256" ]]; then
    step "wheel $WHEEL already downloaded"
    return
  fi
  step "downloading $WHEEL from PyPI"
  rm -f "$wheel"
  mkdir -p "$dir"
  python3 -m pip download --quiet --no-deps --only-binary=:all: \
    --platform manylinux2014_x86_64 --python-version 3.11 \
    --dest "$dir" "wasmtime==$VERSION" >&2 ||
    fail "pip could not download wasmtime==$VERSION" \
      "check that PyPI is reachable (pip download wasmtime==$VERSION), then: $SELF"
  [[ -f $wheel ]] ||
    fail "pip saved no $WHEEL (another platform's wheel?)" \
      "rm -rf $dir && $SELF"

  local got
  got=$(sha256_of "$wheel")
  if [[ $got != "$WHEEL_SHA256" ]]; then
    rm -f "$wheel"
    fail "$WHEEL has sha256 $got, expected $WHEEL_SHA256; refusing it" \
      "check where pip downloads from (pip config list), then: $SELF"
  fi
  step "wheel sha256 verified ($WHEEL_SHA256)"
}

# Copies the library out of the wheel as libwasmtime.so. Rule: link it with
# an rpath. Reason: it has no SONAME, so the loader records whatever file
# name the linker saw; a stable name and an rpath make the host find it.
extract_library() {
  local lib=$CACHE/lib/libwasmtime.so

  step "extracting $WHEEL_LIB to lib/libwasmtime.so"
  mkdir -p "$CACHE/lib"
  python3 - "$CACHE/download/$WHEEL" "$WHEEL_LIB" "$lib.tmp" <<'EOF' ||
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst)
EOF
    fail "could not extract $WHEEL_LIB from the wheel" \
      "rm -rf $CACHE/download && $SELF"
  mv -f "$lib.tmp" "$lib"
}

# Proves the library is the pinned version and has every feature conf.h will
# declare, by looking for exported names in its dynamic string table.
check_library_symbols() {
  local lib=$CACHE/lib/libwasmtime.so
  local names=("$VERSION_SYMBOL")
  local pair

  for pair in "${FEATURES[@]}"; do
    [[ ${pair#* } == - ]] || names+=("${pair#* }")
  done
  python3 - "$lib" "${names[@]}" <<'EOF' ||
import sys
data = open(sys.argv[1], "rb").read()
missing = [n for n in sys.argv[2:] if b"\0" + n.encode() + b"\0" not in data]
if missing:
    sys.exit("missing symbols: " + " ".join(missing))
EOF
    fail "lib/libwasmtime.so lacks symbols the $VERSION headers need" \
      "rm -rf $CACHE && $SELF"
  step "library exports $VERSION_SYMBOL and ${#names[@]} feature symbols"
}

# Finds the crate's source directory: a throwaway Cargo project depending on
# exactly this version; `cargo fetch` downloads and checksums the crate.
fetch_header_crate() {
  local project=$CACHE/header-crate
  local manifest

  step "fetching crate wasmtime-c-api-impl =$VERSION with cargo" >&2
  mkdir -p "$project/src"
  : >"$project/src/lib.rs"
  cat >"$project/Cargo.toml" <<EOF
[package]
name = "edgecam-wasmtime-headers"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
wasmtime-c-api-impl = { version = "=$VERSION", default-features = false }

[workspace]
EOF
  cargo fetch --quiet --manifest-path "$project/Cargo.toml" \
    --target x86_64-unknown-linux-gnu >&2 ||
    fail "cargo fetch of wasmtime-c-api-impl =$VERSION failed" \
      "check that crates.io is reachable (cargo search wasmtime-c-api-impl), then: $SELF"

  manifest=$(cargo metadata --quiet --format-version 1 \
    --manifest-path "$project/Cargo.toml" |
    python3 -c 'import json, sys
m = json.load(sys.stdin)
print(next(p["manifest_path"] for p in m["packages"]
           if p["name"] == "wasmtime-c-api-impl"))') ||
    fail "cargo metadata did not list wasmtime-c-api-impl" \
      "rm -rf $project && $SELF"
  dirname "$manifest"
}

install_headers() {
  local crate=$1
  local include=$CACHE/include
  local args=(-DWASMTIME_DISABLE_ALL_FEATURES=ON)
  local pair

  for pair in "${FEATURES[@]}"; do
    args+=("-DWASMTIME_FEATURE_${pair%% *}=ON")
  done
  step "installing headers with the crate's cmake/install-headers.cmake"
  rm -rf "$include.tmp"
  cmake "${args[@]}" -DWASMTIME_HEADER_DST="$include.tmp" \
    -P "$crate/cmake/install-headers.cmake" >/dev/null ||
    fail "cmake -P $crate/cmake/install-headers.cmake failed" \
      "rm -rf $CACHE/header-crate && $SELF"
  grep -q "#define WASMTIME_VERSION \"$VERSION\"" "$include.tmp/wasmtime.h" ||
    fail "the crate's wasmtime.h is not version $VERSION" \
      "rm -rf $CACHE/header-crate && $SELF"
  rm -rf "$include"
  mv "$include.tmp" "$include"
}

main() {
  if cache_is_complete; then
    step "wasmtime $VERSION already in .cache/wasmtime/$VERSION (marker and hash ok)"
    return
  fi
  check_machine
  rm -f "$MARKER"

  fetch_wheel
  extract_library
  check_library_symbols
  install_headers "$(fetch_header_crate)"

  sha256_of "$CACHE/lib/libwasmtime.so" >"$MARKER"
  step "done: lib/libwasmtime.so and include/ in .cache/wasmtime/$VERSION"
}

main "$@"
