#!/usr/bin/env bash
# scripts/bench.sh store [--quick]
#
# One shoald shard (core 0), loaded by shoal-load (core 1):
#   - bytes of RSS per stored record: RSS after a warm-up load, then after
#     100k distinct records (100 topics x 1000 keys) are announced, and the
#     same for 100k records spread over 65k topics (one or two per topic);
#   - LOOKUP replies/s against the 100k records (20 random records a reply),
#     beside FIND_NODE replies/s on the same node with a 300-node table;
#   - ANNOUNCE handled/s with single (libsodium) verification (shoald
#     --verify single), beside libsodium's verification rate on the same
#     core in the same run.
# The fake nodes of --populate live as long as the shoal-load that made
# them, so every measured LOOKUP and FIND_NODE run brings its own.
# Ends with: lookup_rps, find_node_rps, lookup_vs_find_node, announce_per_s,
#   libsodium_verifies_per_s, announce_vs_libsodium, bytes_per_record,
#   bytes_per_record_sparse
set -euo pipefail
bin=${SHOAL_BIN:?run through scripts/bench.sh}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
quick=0; [ "${1:-}" = --quick ] && quick=1
if [ $quick = 1 ]; then reps=2 dur=1.5 records=50000; else reps=5 dur=4 records=100000; fi
load() { "$bin/shoal-load" --cpus 1 --quiet --kv --timeout-ms 500 "$@"; }
rss_kib() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status"; }

# Per-record memory: warm the node's buffers with load that stores nothing,
# then store $records records and compare.
measure_bytes() {  # topics keys -> bytes per record
  local port; port=$(next_port)
  start_server "$port" "$bin/shoald" --host 127.0.0.1 --port "$port" --public-host 127.0.0.1 --cpus 0 --stats-interval 0
  load --target "127.0.0.1:$port" --mix lookup,find_node --populate 300 --duration 1.5 --warmup 0.2 > /dev/null
  local before; before=$(rss_kib "$server_pid")
  load --target "127.0.0.1:$port" --mix lookup --topics "$1" --keys "$2" --preload "$records" --flows 16 --window 8 \
    --duration 0.3 --warmup 0 > /dev/null
  sleep 0.2
  local after; after=$(rss_kib "$server_pid")
  stop_server
  awk -v a="$after" -v b="$before" -v n="$records" 'BEGIN {printf "%.0f", (a - b) * 1024 / n}'
}

dense=$(measure_bytes 100 1000)
sparse=$(measure_bytes 65535 2)
echo "  bytes per record: $dense (100 topics), $sparse (one or two per topic)" >&2

"$bin/verify_rate" --cpu 0 --seconds 1 > "$bench_tmp/v0"

port=$(next_port)
start_server "$port" "$bin/shoald" --host 127.0.0.1 --port "$port" --public-host 127.0.0.1 --cpus 0 --stats-interval 0 \
  --verify single
load --target "127.0.0.1:$port" --mix lookup --populate 300 --topics 100 --keys 1000 --preload "$records" --flows 16 \
  --window 8 --duration 0.3 --warmup 0 > /dev/null
for r in $(seq 1 "$reps"); do
  load --target "127.0.0.1:$port" --mix lookup --populate 300 --topics 100 --keys 1000 --flows 64 --window 16 \
    --duration "$dur" --warmup 0.5 \
    --server-pid "$server_pid" > "$bench_tmp/out"
  kv "$bench_tmp/out" replies_per_s >> "$bench_tmp/lookup"
  load --target "127.0.0.1:$port" --mix find_node --populate 300 --flows 64 --window 16 --duration "$dur" --warmup 0.5 \
    --server-pid "$server_pid" > "$bench_tmp/out"
  kv "$bench_tmp/out" replies_per_s >> "$bench_tmp/find_node"
  load --target "127.0.0.1:$port" --mix announce --topics 100 --keys 1000 --flows 16 --window 8 --duration "$dur" --warmup 0.5 \
    --server-pid "$server_pid" > "$bench_tmp/out"
  kv "$bench_tmp/out" replies_per_s >> "$bench_tmp/announce"
  "$bin/verify_rate" --cpu 0 --seconds 1 > "$bench_tmp/v"
  kv "$bench_tmp/v" verifies_per_s >> "$bench_tmp/verify"
  printf '  rep %d: lookup %s/s  find_node %s/s  announce %s/s  libsodium verify %s/s\n' "$r" \
    "$(tail -n1 "$bench_tmp/lookup")" "$(tail -n1 "$bench_tmp/find_node")" "$(tail -n1 "$bench_tmp/announce")" \
    "$(tail -n1 "$bench_tmp/verify")" >&2
done
stop_server

lk=$(median "$bench_tmp/lookup"); fn=$(median "$bench_tmp/find_node"); an=$(median "$bench_tmp/announce"); vr=$(median "$bench_tmp/verify")
echo
echo "one shoald shard on core 0, shoal-load on core 1, ${reps} runs x ${dur}s, medians:"
printf '  LOOKUP (100 topics x 1000 records, 20 per reply)  %9.0f replies/s\n' "$lk"
printf '  FIND_NODE (300-node table)                        %9.0f replies/s\n' "$fn"
printf '  ANNOUNCE (one libsodium verification each)        %9.0f handled/s\n' "$an"
printf '  libsodium crypto_sign_verify_detached, same core  %9.0f verifies/s\n' "$vr"
printf '  RSS per stored record: %s bytes (1000 per topic), %s bytes (one or two per topic)\n' "$dense" "$sparse"
echo
echo "lookup_rps=$lk"
echo "find_node_rps=$fn"
echo "lookup_vs_find_node=$(ratio "$lk" "$fn")"
echo "announce_per_s=$an"
echo "libsodium_verifies_per_s=$vr"
echo "announce_vs_libsodium=$(ratio "$an" "$vr")"
echo "bytes_per_record=$dense"
echo "bytes_per_record_sparse=$sparse"
