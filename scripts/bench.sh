#!/usr/bin/env bash
# scripts/bench.sh SUITE [--quick]
# Builds the release binaries, then runs scripts/bench/SUITE.sh. Every suite
# ends with its headline figures as key=value lines (ratios included), measured
# against a baseline taken in the same run. --quick finishes in under a minute.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
suites=$(cd "$here/scripts/bench" && ls -1 ./*.sh 2>/dev/null | grep -v '^./lib.sh$' | sed 's|^\./||; s|\.sh$||' | tr '\n' ' ')
if [ $# -lt 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
  echo "usage: scripts/bench.sh SUITE [--quick]    suites: $suites" >&2
  [ $# -ge 1 ] && exit 0 || exit 2
fi
suite=$1; shift
if [ "$suite" = lib ] || [ ! -f "$here/scripts/bench/$suite.sh" ]; then
  echo "bench.sh: unknown suite '$suite' (suites: $suites)" >&2
  exit 2
fi
bin=$("$here/scripts/build.sh" | tail -n 1)
export SHOAL_BIN="$bin" SHOAL_ROOT="$here"
exec bash "$here/scripts/bench/$suite.sh" "$@"
