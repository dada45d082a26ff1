#!/usr/bin/env bash
# scripts/bench.sh vs-js [--quick]
#
# shoald and the JavaScript reference node (npm hyperdht, pinned; run by
# bench/js/hyperdht_node.js) side by side. Each server in turn is pinned to
# core 0 and given the same state -- a routing table filled by 300 fake nodes
# that answer pings (shoal-load --populate, in every measured run: the fake
# nodes live only as long as the shoal-load that made them) and 1000 records
# on one topic -- then loaded by the same shoal-load on core 1 with FIND_NODE (random
# targets), LOOKUP (that topic: 20 random records a reply) and ANNOUNCE
# (pre-signed; shoald verifies in batches). shoald also runs with 2 shards
# (cores 0 and 1, the second shared with the client). Runs alternate;
# figures are medians.
#
# Ends with: find_node_vs_js, lookup_vs_js, announce_vs_js (shoald 1 shard /
# JS, per core), their _2shards variants, and each side's replies/s.
set -euo pipefail
bin=${SHOAL_BIN:?run through scripts/bench.sh}
root=${SHOAL_ROOT:?run through scripts/bench.sh}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
quick=0; [ "${1:-}" = --quick ] && quick=1
if [ $quick = 1 ]; then reps=1 dur=1.5; else reps=3 dur=4; fi
export NODE_PATH="$root/tests/interop/node_modules"
[ -d "$NODE_PATH/hyperdht" ] || { echo "vs-js: npm packages missing; run scripts/setup.sh" >&2; exit 1; }

servers=(js shoald shoald_2shards)
mixes=(find_node lookup announce)
load() { "$bin/shoal-load" --cpus 1 --quiet --kv --timeout-ms 1000 --topics 1 --keys 1000 "$@"; }

for r in $(seq 1 "$reps"); do
  for srv in "${servers[@]}"; do
    port=$(next_port)
    case $srv in
      js) start_server "$port" taskset -c 0 node "$root/bench/js/hyperdht_node.js" "$port" ;;
      shoald) start_server "$port" "$bin/shoald" --host 127.0.0.1 --port "$port" --public-host 127.0.0.1 --cpus 0 --stats-interval 0 ;;
      shoald_2shards) start_server "$port" "$bin/shoald" --host 127.0.0.1 --port "$port" --public-host 127.0.0.1 --shards 2 --cpus 0,1 --stats-interval 0 ;;
    esac
    sleep 0.5  # the JS node finishes bootstrapping after it binds
    load --target "127.0.0.1:$port" --mix lookup --populate 300 --preload 1000 --flows 16 --window 4 --duration 0.5 --warmup 0 > /dev/null
    for mix in "${mixes[@]}"; do
      if [ "$mix" = announce ]; then shape=(--flows 16 --window 16); else shape=(--flows 64 --window 16); fi
      load --target "127.0.0.1:$port" --mix "$mix" "${shape[@]}" --populate 300 --duration "$dur" --warmup 1 \
        --server-pid "$server_pid" > "$bench_tmp/out"
      for k in replies_per_s p99_ms server_cpu_s_per_million server_rss_kib; do
        kv "$bench_tmp/out" $k >> "$bench_tmp/$srv.$mix.$k"
      done
      printf '  rep %d %-15s %-9s %9s replies/s  p99 %6s ms  %7s cpu-s/1M  rss %s KiB\n' "$r" "$srv" "$mix" \
        "$(kv "$bench_tmp/out" replies_per_s)" "$(kv "$bench_tmp/out" p99_ms)" \
        "$(kv "$bench_tmp/out" server_cpu_s_per_million)" "$(kv "$bench_tmp/out" server_rss_kib)" >&2
    done
    stop_server
  done
done

m() { median "$bench_tmp/$1.$2.$3"; }
echo
echo "side by side, servers pinned to core 0, shoal-load on core 1, ${reps} run(s) x ${dur}s, medians:"
printf '  %-9s %-15s %11s %9s %14s %10s\n' mix server replies/s "p99 ms" "cpu-s per 1M" "RSS MiB"
for mix in "${mixes[@]}"; do
  for srv in "${servers[@]}"; do
    printf '  %-9s %-15s %11.0f %9.3f %14.3f %10.1f\n' "$mix" "$srv" "$(m $srv $mix replies_per_s)" "$(m $srv $mix p99_ms)" \
      "$(m $srv $mix server_cpu_s_per_million)" "$(awk -v k="$(m $srv $mix server_rss_kib)" 'BEGIN {print k / 1024}')"
  done
done
echo "  (shoald_2shards uses cores 0 and 1; core 1 also runs the client)"
echo
for mix in "${mixes[@]}"; do
  echo "${mix}_js_per_s=$(m js $mix replies_per_s)"
  echo "${mix}_shoald_per_s=$(m shoald $mix replies_per_s)"
  echo "${mix}_shoald_2shards_per_s=$(m shoald_2shards $mix replies_per_s)"
done
for mix in "${mixes[@]}"; do
  echo "${mix}_vs_js=$(ratio "$(m shoald $mix replies_per_s)" "$(m js $mix replies_per_s)")"
  echo "${mix}_2shards_vs_js=$(ratio "$(m shoald_2shards $mix replies_per_s)" "$(m js $mix replies_per_s)")"
done
