#!/usr/bin/env bash
# The whole test suite, from a fresh machine:
#   1. installs dependencies (scripts/setup.sh);
#   2. ci:   g++ 12, -O2, -Werror  -- unit tests, corpus replays, simulations, interop with npm hyperdht;
#   3. asan: clang 14, ASan+UBSan, -Werror -- unit tests and corpus replays;
#   4. tsan: clang 14, ThreadSanitizer -- the tests that cross threads (rings, engine);
#   5. fuzz: clang 14 libFuzzer -- a short real fuzzing run per decoder from its corpus;
#   6. package: the release .deb (scripts/package.sh), installed in a fresh Debian root (root only).
# Usage: scripts/test.sh [--only ci|asan|tsan|fuzz|package]...   (default: all, in that order)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

phases=()
while [ $# -gt 0 ]; do
  case "$1" in
    --only) phases+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
[ ${#phases[@]} -gt 0 ] || phases=(ci asan tsan fuzz package)

"$here/scripts/setup.sh"

jobs=$(nproc)
summary=()
run_phase() {
  local preset=$1 target=$2
  local t0=$SECONDS
  echo "== $preset: configure and build" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" --target "$target" -- -k 0
  echo "== $preset: test" >&2
  if ! ctest --preset "$preset" -j "$jobs" --timeout 600; then
    show_failures "build/$preset/Testing/Temporary/LastTest.log"
    echo "test.sh: $preset failed" >&2
    exit 1
  fi
  summary+=("$preset: passed in $((SECONDS - t0)) s")
}

# The package phase: scripts/package.sh builds the release binaries and the .deb once
# (lintian must pass there too); the package test then installs that .deb in a fresh root.
run_package() {
  local t0=$SECONDS deb
  echo "== package: release build and .deb (scripts/package.sh)" >&2
  deb=$("$here/scripts/package.sh" | tail -n 1)
  echo "== package: test" >&2
  if ! SHOAL_DEB="$deb" ctest --preset package; then
    show_failures "build/release/Testing/Temporary/LastTest.log"
    echo "test.sh: package failed" >&2
    exit 1
  fi
  summary+=("package: passed in $((SECONDS - t0)) s")
}

# The lines that say why each failed test failed, printed last so that they end
# up in the tail of a CI log.
show_failures() {
  local log=$1
  [ -f "$log" ] || return 0
  echo "== why the failed tests failed (from $log)" >&2
  grep -E '^FAIL |Failure$|^Expected|^  Actual|^Value of|^Which is|^ +Which is|actual: |^\[  FAILED  \]|ERROR: |Sanitizer|runtime error' "$log" |
    grep -v '^\[  FAILED  \] [0-9]* tests\?, listed below' | tail -n 40 >&2 || true
}

for p in "${phases[@]}"; do
  case "$p" in
    ci) run_phase ci all ;;
    asan) run_phase asan all ;;
    tsan) run_phase tsan tsan_tests ;;
    fuzz) run_phase fuzz all ;;
    package) run_package ;;
    *) echo "test.sh: unknown phase '$p'" >&2; exit 2 ;;
  esac
done
printf '%s\n' "${summary[@]}"
echo "test.sh: all phases passed"
