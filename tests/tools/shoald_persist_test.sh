#!/usr/bin/env bash
# shoald keeps its store in <state_dir>/store: an immutable value, a mutable
# value and an announce put through the shoal CLI come back after kill -9 and
# a restart with the same state_dir (1 shard, then 2 shards, then 2 -> 1); a
# node without a state_dir has nothing after the same restart; a damaged
# database is reported, moved aside, and the node starts empty. Ports 23940-23959.
source "$(dirname "$0")/lib.sh"
port=23940
S=(--host 127.0.0.1 --bootstrap "127.0.0.1:$port" --json --timeout 3)
seed=$(printf '02%.0s' $(seq 32))
pk=$("$BIN/shoal" keygen --seed "$seed" | sed -n "s/^public key *//p")
state=$(mktemp -d)
trap 'cleanup; rm -rf "$state"' EXIT

# start_node LOG ARGS...: one shoald on $port; waits until it listens.
start_node() {
  local log=$1; shift
  "$BIN/shoald" --host 127.0.0.1 --port "$port" --public-host 127.0.0.1 --stats-interval 0 --control off "$@" 2>"$log" &
  node=$!
  pids+=("$node")
  for _ in $(seq 100); do ss -Hlun "sport = :$port" | grep -q . && break; sleep 0.05; done
  sleep 0.2
}
kill9() { kill -9 "$node"; wait "$node" 2>/dev/null || true; }

put_all() {  # TAG SEQ: an immutable value, a mutable value (at SEQ) and an announce, all named by TAG
  expect 0 "$1: immutable-put" -- "$BIN/shoal" "${S[@]}" immutable-put --value "kept $1"
  hash=$(printf '%s' "$out" | sed -n 's/.*"hash": "\([0-9a-f]*\)".*/\1/p')
  expect 0 "$1: mutable-put" -- "$BIN/shoal" "${S[@]}" mutable-put --seed "$seed" --seq "$2" --value "mutable $1"
  expect 0 "$1: announce" -- "$BIN/shoal" "${S[@]}" announce --topic-string "topic $1" --seed "$seed" --relay 127.0.0.1:23959
}
get_all() {  # TAG SEQ [LABEL]: the three come back
  local what=${3:-$1}
  expect 0 "$what: immutable-get after restart" -- "$BIN/shoal" "${S[@]}" immutable-get "$hash"
  contains "$out" "\"value\": \"kept $1\"" "$what: immutable value restored"
  expect 0 "$what: mutable-get after restart" -- "$BIN/shoal" "${S[@]}" mutable-get "$pk"
  contains "$out" "\"value\": \"mutable $1\"" "$what: mutable value restored"
  contains "$out" "\"seq\": $2," "$what: mutable seq restored"
  expect 0 "$what: lookup after restart" -- "$BIN/shoal" "${S[@]}" lookup --topic-string "topic $1"
  contains "$out" "$pk" "$what: announce restored"
}

# No state_dir: a restarted node has nothing (the control for the cases below).
start_node "$state/none.log"
put_all none 1
kill9
start_node "$state/none2.log"
expect 1 "without state_dir: immutable-get after restart finds nothing" -- "$BIN/shoal" "${S[@]}" immutable-get "$hash"
expect 1 "without state_dir: lookup after restart finds nothing" -- "$BIN/shoal" "${S[@]}" lookup --topic-string "topic none"
kill9

# One shard; wait past the flush interval (100 ms), kill -9, restart.
start_node "$state/a.log" --state-dir "$state/one"
put_all one 2
sleep 0.5
kill9
start_node "$state/a2.log" --state-dir "$state/one"
contains "$(cat "$state/a2.log")" "loaded 3 entries" "one shard: the log says what was loaded"
get_all one 2
kill9

# Two shards, restarted with two, then with one (entries move to their new shard).
start_node "$state/b.log" --state-dir "$state/two" --shards 2 --store-flush-ms 50
put_all two 3
sleep 0.4
kill9
start_node "$state/b2.log" --state-dir "$state/two" --shards 2
contains "$(cat "$state/b2.log")" "loaded 3 entries" "two shards: the log says what was loaded"
get_all two 3
kill9
start_node "$state/b3.log" --state-dir "$state/two" --shards 1
get_all two 3 two-to-one
kill -TERM "$node"; wait "$node" 2>/dev/null || true

# A damaged database: garbage over its largest data file, then a truncated one.
damage() {  # MODE
  local f
  f=$(ls -S "$state/two/store"/*.sst "$state/two/store"/*.log 2>/dev/null | head -n 1)
  if [ "$1" = garbage ]; then
    head -c 65536 /dev/urandom | dd of="$f" bs=1 seek=16 conv=notrunc status=none
  else
    truncate -s 100 "$f"
  fi
}
seq=4
for mode in garbage truncate; do
  seq=$((seq + 1))
  start_node "$state/c.log" --state-dir "$state/two"
  put_all "$mode" "$seq"
  kill -TERM "$node"; wait "$node" 2>/dev/null || true
  damage "$mode"
  start_node "$state/c2.log" --state-dir "$state/two"
  expect 0 "$mode: the node starts and answers" -- "$BIN/shoal" "${S[@]}" ping "127.0.0.1:$port"
  log=$(cat "$state/c2.log")
  contains "$log" "damaged" "$mode: the damage is reported"
  contains "$log" "moved to $state/two/store.corrupt-" "$mode: the database is moved aside"
  expect 1 "$mode: the node started empty" -- "$BIN/shoal" "${S[@]}" lookup --topic-string "topic $mode"
  [ -d "$(ls -d "$state/two/store.corrupt-"* | head -n 1)" ] && echo "ok   $mode: the old database is kept" ||
    { echo "FAIL $mode: no .corrupt- directory"; failures=$((failures + 1)); }
  rm -rf "$state/two/store.corrupt-"*
  kill9
done
finish
