#!/usr/bin/env bash
# Release build of every binary (shoald, shoal, shoal-load, shoal-net and the
# benchmarks). Installs missing dependencies first. The last line printed is the
# folder that holds the binaries.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$here/scripts/setup.sh"
preset=${SHOAL_BUILD_PRESET:-release}
cmake --preset "$preset" -S "$here" >/dev/null
cmake --build --preset "$preset" -- -k 0 >&2
echo "$here/build/$preset/bin"
