#!/usr/bin/env bash
# Installs everything shoal needs to build, test and benchmark on Debian 12:
# the Debian packages (apt-get update at most once, skipped when all are present)
# and the pinned npm packages used by the interop tests (npm ci from the lockfile).
# Idempotent; prints nothing on success unless SHOAL_VERBOSE=1.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(
  build-essential cmake ninja-build pkg-config git
  g++ clang clang-14 lld libclang-rt-14-dev llvm
  liburing-dev libsodium-dev libmimalloc-dev libxxhash-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libexpected-dev libcli11-dev libtomlplusplus-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libcpp-httplib-dev libsystemd-dev librocksdb-dev
  nodejs npm
  iproute2 procps util-linux nftables curl prometheus python3
  dpkg-dev help2man lintian systemd debootstrap
)

log() { [ "${SHOAL_VERBOSE:-0}" = 1 ] && echo "setup: $*" >&2 || true; }

missing=()
for p in "${packages[@]}"; do
  # A package counts as present only when dpkg says it is fully installed.
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

# Node.js may come from outside Debian (a newer build already on the machine); accept it.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  keep=()
  for p in "${missing[@]}"; do
    [ "$p" = nodejs ] || [ "$p" = npm ] || keep+=("$p")
  done
  missing=("${keep[@]+"${keep[@]}"}")
fi

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages for the interop tests and the side-by-side benchmarks, pinned by the lockfile.
npmdir="$here/tests/interop"
if [ -f "$npmdir/package-lock.json" ]; then
  stamp="$npmdir/node_modules/.shoal-lock-stamp"
  if [ ! -f "$stamp" ] || ! cmp -s "$npmdir/package-lock.json" "$stamp"; then
    log "npm ci in $npmdir"
    (cd "$npmdir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    cp "$npmdir/package-lock.json" "$stamp"
  fi
fi
