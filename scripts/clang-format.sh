#!/usr/bin/env bash
# Checks (--check) or applies (--fix) the committed .clang-format to every
# C and C++ file the repository tracks or is about to track.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:---check}
mapfile -t files < <(git ls-files --cached --others --exclude-standard \
  '*.c' '*.h' '*.cc' '*.hh' '*.cpp')
[ ${#files[@]} -eq 0 ] && exit 0

case "$mode" in
--fix) clang-format -i "${files[@]}" ;;
--check)
  if ! clang-format --dry-run --Werror "${files[@]}" 2>/dev/null; then
    clang-format --dry-run "${files[@]}" 2>&1 | grep -E '^[^ ].*warning' |
      cut -d: -f1 | sort -u | sed 's/^/unformatted: /' >&2
    echo "fix: npm run format" >&2
    exit 1
  fi
  ;;
*)
  echo "usage: scripts/clang-format.sh --check|--fix" >&2
  exit 2
  ;;
esac
