#!/usr/bin/env bash
# The shoal CLI: bad input (exit 2), and every operation against a real
# 5-node shoald network on loopback.
source "$(dirname "$0")/lib.sh"
S=(--host 127.0.0.1 --bootstrap 127.0.0.1:23801 --json)
seed=$(printf '01%.0s' $(seq 32))

expect 2 "no subcommand" -- "$BIN/shoal"
expect 2 "bad topic hex" -- "$BIN/shoal" "${S[@]}" lookup --topic zz
expect 2 "no topic" -- "$BIN/shoal" "${S[@]}" lookup
expect 2 "bad seed" -- "$BIN/shoal" "${S[@]}" announce --topic-string t --seed 12
expect 2 "bad bootstrap" -- "$BIN/shoal" --bootstrap nothing lookup --topic-string t
expect 2 "missing bootstrap" -- "$BIN/shoal" lookup --topic-string t
expect 2 "too many relays" -- "$BIN/shoal" "${S[@]}" announce --topic-string t --seed "$seed" --relay 1.1.1.1:1,1.1.1.1:2,1.1.1.1:3,1.1.1.1:4
expect 2 "value too large" -- "$BIN/shoal" "${S[@]}" immutable-put --value "$(head -c 1200 /dev/zero | tr '\0' x)"

# keygen is deterministic for a seed (the reference vector for seed 01 x 32).
expect 0 "keygen --seed" -- "$BIN/shoal" --json keygen --seed "$seed"
contains "$out" "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c" "keygen gives the reference public key"

# No network: a bounded, clear failure.
expect 1 "timeout with no network" -- "$BIN/shoal" --host 127.0.0.1 --bootstrap 127.0.0.1:9 --timeout 1 lookup --topic-string t

network 23801 5
expect 0 "ping" -- "$BIN/shoal" "${S[@]}" ping 127.0.0.1:23802
contains "$out" '"persistent": true' "ping sees a persistent node"
expect 0 "status" -- "$BIN/shoal" "${S[@]}" status 127.0.0.1:23801
contains "$out" '"knows"' "status lists what the node knows"
expect 0 "find-node" -- "$BIN/shoal" "${S[@]}" find-node
expect 0 "announce" -- "$BIN/shoal" "${S[@]}" announce --topic-string cli-test --seed "$seed" --relay 127.0.0.1:23802
expect 0 "lookup" -- "$BIN/shoal" "${S[@]}" lookup --topic-string cli-test
contains "$out" "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c" "lookup finds the announce"
expect 0 "unannounce" -- "$BIN/shoal" "${S[@]}" unannounce --topic-string cli-test --seed "$seed"
expect 1 "lookup after unannounce" -- "$BIN/shoal" "${S[@]}" lookup --topic-string cli-test
expect 0 "announce --self" -- "$BIN/shoal" "${S[@]}" announce --self --seed "$seed"
expect 0 "find-peer" -- "$BIN/shoal" "${S[@]}" find-peer 8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c
expect 0 "mutable-put" -- "$BIN/shoal" "${S[@]}" mutable-put --seed "$seed" --seq 3 --value hello
expect 0 "mutable-get" -- "$BIN/shoal" "${S[@]}" mutable-get 8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c
contains "$out" '"value": "hello"' "mutable-get returns the value"
expect 1 "mutable-get above the stored seq" -- "$BIN/shoal" "${S[@]}" mutable-get 8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c --seq 4
expect 0 "immutable-put" -- "$BIN/shoal" "${S[@]}" immutable-put --value "shoal immutable"
hash=$(printf '%s' "$out" | sed -n 's/.*"hash": "\([0-9a-f]*\)".*/\1/p')
expect 0 "immutable-get" -- "$BIN/shoal" "${S[@]}" immutable-get "$hash"
contains "$out" '"value": "shoal immutable"' "immutable-get returns the value"
# A value with terminal escapes and invalid UTF-8 prints escaped, never raw.
expect 0 "mutable-put binary" -- "$BIN/shoal" "${S[@]}" mutable-put --seed "$seed" --seq 5 --value-hex 1b5b324aff00c3
expect 0 "mutable-get binary --json" -- "$BIN/shoal" "${S[@]}" mutable-get 8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c
contains "$out" '"valueHex": "1b5b324aff00c3"' "the exact bytes come back as hex"
expect 0 "mutable-get binary, human" -- "$BIN/shoal" --host 127.0.0.1 --bootstrap 127.0.0.1:23801 mutable-get 8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c
contains "$out" 'value         \x1b[2J\xff\x00\xc3' "the value prints escaped"
if printf '%s' "$out" | grep -q $'\x1b'; then echo "FAIL raw escape byte printed"; failures=$((failures + 1)); else echo "ok   no raw escape byte"; fi
contains "$out" 'found         yes' "human output has one field per line"
finish
