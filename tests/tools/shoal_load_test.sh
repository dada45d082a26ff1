#!/usr/bin/env bash
# shoal-load: bad input (exit 2), and a short real run of every command
# against one shoald, with JSON output checked.
source "$(dirname "$0")/lib.sh"
L=("$BIN/shoal-load" --quiet)
expect 2 "no target" -- "${L[@]}"
expect 2 "unknown command in --mix" -- "${L[@]}" --target 127.0.0.1:1 --mix find_nodes
expect 2 "bad weight" -- "${L[@]}" --target 127.0.0.1:1 --mix ping=x
expect 2 "preload larger than topics x keys" -- "${L[@]}" --target 127.0.0.1:1 --topics 2 --keys 2 --preload 5
expect 2 "populate needs loopback" -- "${L[@]}" --target 10.0.0.1:1 --populate 10
expect 2 "negative rate" -- "${L[@]}" --target 127.0.0.1:1 --rate -5

network 23851 1
expect 0 "every command, closed loop" -- "${L[@]}" --target 127.0.0.1:23851 --populate 100 --preload 200 --topics 10 --keys 50 \
  --mix ping,find_node,lookup,find_peer,announce,mutable_get,mutable_put,immutable_get,immutable_put \
  --flows 8 --window 4 --duration 1 --warmup 0.2 --json
for c in ping find_node lookup find_peer announce mutable_get mutable_put immutable_get immutable_put; do
  contains "$out" "\"$c\"" "a $c line in the JSON"
done
contains "$out" '"timeouts": 0' "no timeouts against a local node"
contains "$out" '"errors": 0' "no error replies"
expect 0 "open loop at a fixed rate" -- "${L[@]}" --target 127.0.0.1:23851 --mix ping --rate 2000 --duration 1 --warmup 0.2 --kv
rps=$(printf '%s\n' "$out" | sed -n 's/^replies_per_s=//p')
if [ "${rps%.*}" -ge 1800 ] && [ "${rps%.*}" -le 2200 ]; then echo "ok   the open loop holds its rate ($rps/s)"; else echo "FAIL open loop rate $rps"; failures=$((failures + 1)); fi
finish
