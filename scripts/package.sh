#!/usr/bin/env bash
# scripts/package.sh: builds the Debian package (build/release/package/shoal_VERSION_ARCH.deb):
#   1. installs what it needs (scripts/setup.sh: dpkg-dev, help2man, lintian, ...);
#   2. release build of shoald, shoal, shoal-load and shoal-net (scripts/build.sh), with the
#      package's install rules switched on (SHOAL_PACKAGE, packaging/CMakeLists.txt);
#   3. cpack: binaries, systemd unit, default config (conffile), man pages, alert rules, docs;
#   4. lintian: any error fails; warnings and infos are printed (docs/operations.md says why
#      each one that remains is accepted).
# The last line printed is the .deb's path.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$here/scripts/setup.sh"
build="$here/build/release"
log="$here/build/package.log"
mkdir -p "$here/build"
echo "package.sh: configuring and building release (log: $here/build/release.build.log)" >&2
cmake --preset release -S "$here" -DSHOAL_PACKAGE=ON >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
SHOAL_BUILD_PRESET=release "$here/scripts/build.sh" shoald shoal shoal-load shoal-net >/dev/null
echo "package.sh: cpack (log: $log)" >&2
rm -f "$build"/package/shoal_*.deb
if ! (cd "$build" && cpack --config CPackConfig.cmake) >>"$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "package.sh: cpack failed; see $log" >&2
  exit 1
fi
debs=("$build"/package/shoal_*.deb)
[ ${#debs[@]} = 1 ] && [ -f "${debs[0]}" ] || { echo "package.sh: cpack made no single .deb" >&2; exit 1; }
deb=${debs[0]}
echo "package.sh: lintian $deb" >&2
# lintian exits non-zero on any error tag (--fail-on error); its warnings are listed and pass.
if ! lintian --fail-on error --display-info "$deb" >&2; then
  echo "package.sh: lintian reports errors" >&2
  exit 1
fi
echo "$deb"
