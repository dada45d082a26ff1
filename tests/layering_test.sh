#!/usr/bin/env bash
# The layering the build promises (docs/architecture.md, "Layers"), checked on
# the sources themselves: a folder includes only itself and the folders below
# it, another folder's detail/ headers are private to it, and the sans-I/O
# layers include no socket or io_uring header. Fails naming every include that
# breaks a rule. Usage: layering_test.sh [repo root]
set -euo pipefail
root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
cd "$root"

# folder -> the folders it may include (itself included).
declare -A allowed=(
  [base]="base"
  [engine]="base engine"
  [crypto]="base crypto"
  [store]="base crypto store"
  [persist]="base crypto store persist"
  [dht]="base crypto dht"
  [hyperdht]="base crypto store dht hyperdht"
  [control]="base control"
  [tools]="base engine crypto store persist dht hyperdht control tools"
)
# Layers that never touch sockets, rings or the kernel's network API.
sans_io="crypto store dht hyperdht"

bad=0
for folder in "${!allowed[@]}"; do
  [ -d "$folder" ] || continue
  while IFS=: read -r file line text; do
    inc=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/' <<<"$text")
    top=${inc%%/*}
    [ "$top" = "$inc" ] && continue  # a local or system-style include without a folder
    if [[ " ${allowed[$folder]} " != *" $top "* ]]; then
      echo "$file:$line: $folder/ may not include $inc (allowed: ${allowed[$folder]})"
      bad=1
    elif [[ "$inc" == */detail/* && "$top" != "$folder" ]]; then
      echo "$file:$line: $inc is private to $top/"
      bad=1
    fi
  done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' --include='*.h' --include='*.cc' "$folder" || true)
done
for folder in $sans_io; do
  if grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<(liburing\.h|sys/socket\.h|netinet/[^>]*|arpa/inet\.h|sys/epoll\.h)>' \
       --include='*.h' --include='*.cc' "$folder"; then
    echo "$folder/ is sans-I/O: the lines above include socket or io_uring headers"
    bad=1
  fi
done
# Every folder with sources must have a rule.
for d in */; do
  d=${d%/}
  case "$d" in tests|bench|scripts|docs|cmake|build|packaging) continue ;; esac
  if compgen -G "$d/*.cc" > /dev/null || compgen -G "$d/*.h" > /dev/null; then
    [ -n "${allowed[$d]+x}" ] || { echo "$d/ has sources but no layering rule in $0"; bad=1; }
  fi
done
[ $bad = 0 ] && echo "layering: every include follows the layers"
exit $bad
