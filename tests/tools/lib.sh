# Shared helpers for the tools' shell tests (sourced). Needs BIN (the folder
# holding the binaries) from the environment.
set -euo pipefail
: "${BIN:?set BIN to the binaries folder}"
failures=0
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# expect CODE DESCRIPTION -- CMD...: runs CMD, checks its exit status; keeps output in $out/$err.
expect() {
  local want=$1 what=$2; shift 3
  set +e
  out=$("$@" 2>/tmp/tools-test-err.$$); local got=$?
  set -e
  err=$(cat /tmp/tools-test-err.$$)
  if [ "$got" != "$want" ]; then
    echo "FAIL $what: exit $got (wanted $want)"; echo "  stdout: $out"; echo "  stderr: $err"
    failures=$((failures + 1))
  else
    echo "ok   $what"
  fi
}
# contains HAYSTACK NEEDLE DESCRIPTION
contains() {
  if [[ "$1" == *"$2"* ]]; then echo "ok   $3"; else echo "FAIL $3: '$2' not in: $1"; failures=$((failures + 1)); fi
}
# network BASE N: starts N shoald nodes on 127.0.0.1 from port BASE (the first a bootstrap node).
network() {
  local base=$1 n=$2
  for i in $(seq 0 $((n - 1))); do
    local args=(--host 127.0.0.1 --port $((base + i)) --public-host 127.0.0.1 --stats-interval 0 --control off)
    [ "$i" -gt 0 ] && args+=(--bootstrap "127.0.0.1:$base")
    "$BIN/shoald" "${args[@]}" 2>/dev/null &
    pids+=($!)
  done
  for i in $(seq 0 $((n - 1))); do
    for _ in $(seq 100); do ss -Hlun "sport = :$((base + i))" | grep -q . && break; sleep 0.05; done
  done
  sleep 0.5
}
finish() {
  [ "$failures" = 0 ] && { echo "all passed"; exit 0; }
  echo "$failures failed"; exit 1
}
