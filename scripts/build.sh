#!/usr/bin/env bash
# scripts/build.sh [TARGET...]
# Release build of the given targets, or of everything (shoald, shoal,
# shoal-load, shoal-net, the benchmarks, the tests) when none is given.
# Installs missing dependencies first. The last line printed is the folder
# that holds the binaries.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$here/scripts/setup.sh"
preset=${SHOAL_BUILD_PRESET:-release}
log="$here/build/$preset.build.log"
mkdir -p "$here/build"
targets=()
for t in "$@"; do targets+=(--target "$t"); done
echo "build.sh: building the $preset ${*:-binaries} (log: $log)" >&2
if ! { cmake --preset "$preset" -S "$here" && cmake --build --preset "$preset" "${targets[@]}" -- -k 0; } >"$log" 2>&1; then
  grep -E 'error|Error|FAILED' "$log" | head -40 >&2
  echo "build.sh: build failed; see $log" >&2
  exit 1
fi
echo "$here/build/$preset/bin"
