#!/usr/bin/env bash
# shoald's state directory on real processes: the routing table snapshot is
# written periodically, and a node killed with -9 while its only bootstrap node
# is gone too rejoins through the nodes it saved (pinged first; the dead one
# stays out). A corrupt snapshot and one from another network are reported
# and skipped. Ports 23960-23969 on 127.0.0.1; about 20 s.
source "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'cleanup; rm -rf "$tmp"' EXIT
code() { curl -s -o /dev/null -w '%{http_code}' "$@" || true; }
wait_for() { local n=$(( $1 * 2 )); shift; for _ in $(seq "$n"); do "$@" && return 0; sleep 0.5; done; return 1; }
N=(--host 127.0.0.1 --public-host 127.0.0.1 --stats-interval 0)

"$BIN/shoald" "${N[@]}" --port 23960 --control off 2>/dev/null &
boot=$!
pids+=($boot)
sleep 0.3
for p in 23962 23963 23964; do
  "$BIN/shoald" "${N[@]}" --port $p --bootstrap 127.0.0.1:23960 --control off 2>/dev/null &
  pids+=($!)
done
node() {  # the node under test, on 23961, control on 23969
  "$BIN/shoald" "${N[@]}" --port 23961 --bootstrap 127.0.0.1:23960 --control 127.0.0.1:23969 \
    --state-dir "$tmp/state" --snapshot-interval 1 "$@" 2>>"$tmp/node.log" &
  me=$!
  pids+=($me)
}
node
has_snapshot() { [ -s "$tmp/state/routing-table" ] && [ "$(stat -c %s "$tmp/state/routing-table")" -ge $((30 + 4 * 38 + 8)) ]; }
wait_for 20 has_snapshot && echo "ok   the snapshot holds the four other nodes" ||
  { echo "FAIL no full snapshot: $(ls -la "$tmp/state" 2>&1)"; failures=$((failures + 1)); }
[ "$(stat -c %a "$tmp/state")" = 700 ] && echo "ok   the state dir is private (0700)" || { echo "FAIL state dir mode"; failures=$((failures + 1)); }
kill -9 $boot $me
wait $boot $me 2>/dev/null || true
: > "$tmp/node.log"
node
ready() { [ "$(code http://127.0.0.1:23969/readyz)" = 200 ]; }
if wait_for 30 ready; then
  echo "ok   after kill -9, with no bootstrap node, it rejoined from its snapshot"
else
  echo "FAIL not ready again: $(curl -s http://127.0.0.1:23969/readyz) $(cat "$tmp/node.log")"; failures=$((failures + 1))
fi
metrics=$(curl -s http://127.0.0.1:23969/metrics)
contains "$metrics" 'shoal_dht_known_nodes_pinged_total{shard="0"} 4' "it pinged the four saved nodes"
contains "$metrics" 'shoal_dht_known_nodes_answered_total{shard="0"} 3' "three answered (the bootstrap node is dead)"
contains "$(curl -s http://127.0.0.1:23969/routing-table)" '"size": 3' "only the three live ones are in its table"
contains "$(cat "$tmp/node.log")" "routing table snapshot: 4 nodes" "the log says where it rejoined from"
kill -TERM $me; wait $me 2>/dev/null || true

# A corrupt snapshot: reported and skipped; the node starts.
cp "$tmp/state/routing-table" "$tmp/good-snapshot"
printf 'SHOALRT1 garbage that is not a snapshot at all, not even the right length' > "$tmp/state/routing-table"
: > "$tmp/node.log"
node
wait_for 10 grep -q "listening on" "$tmp/node.log" && echo "ok   a corrupt snapshot does not stop the start" ||
  { echo "FAIL did not start: $(cat "$tmp/node.log")"; failures=$((failures + 1)); }
contains "$(cat "$tmp/node.log")" "routing table snapshot skipped: $tmp/state/routing-table: checksum mismatch" "and is reported"
kill -TERM $me; wait $me 2>/dev/null || true

# A snapshot of another network (another bootstrap list) is not used.
cp "$tmp/good-snapshot" "$tmp/state/routing-table"
: > "$tmp/node.log"
"$BIN/shoald" "${N[@]}" --port 23961 --bootstrap 127.0.0.1:23968 --control off --state-dir "$tmp/state" 2>>"$tmp/node.log" &
me=$!
pids+=($me)
wait_for 10 grep -q "listening on" "$tmp/node.log" || true
contains "$(cat "$tmp/node.log")" "saved on another network" "a snapshot of another network is skipped"
kill -TERM $me; wait $me 2>/dev/null || true
finish
