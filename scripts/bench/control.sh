#!/usr/bin/env bash
# scripts/bench.sh control [--quick]
#
# What the control plane costs the packet path: one shoald shard (core 0)
# loaded by shoal-load (core 1), in alternating runs with the control listener
# off and with it on while a scraper fetches /metrics every second (as a
# Prometheus server would), for
#   - FIND_NODE replies/s (a 300-node table, as in `bench.sh dht`), and
#   - LOOKUP replies/s over stored records (as in `bench.sh store`).
# Then the cost of one scrape (latency and shoald CPU per /metrics, 200
# scrapes back to back on an idle 2-shard node with a full table and a store) and of
# one routing table snapshot (shoald's own timing, --log-level debug).
#
# Ends with: find_node_off_rps, find_node_scraped_rps, find_node_scraped_vs_off,
#   find_node_cpu_scraped_vs_off, lookup_off_rps, lookup_scraped_rps, lookup_scraped_vs_off,
#   lookup_cpu_scraped_vs_off,
#   scrape_ms_median, scrape_cpu_us, metrics_bytes, snapshot_us_median
set -euo pipefail
bin=${SHOAL_BIN:?run through scripts/bench.sh}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
quick=0; [ "${1:-}" = --quick ] && quick=1
if [ $quick = 1 ]; then reps=2 dur=2 records=20000; else reps=${SHOAL_BENCH_REPS:-10} dur=4 records=100000; fi
load() { "$bin/shoal-load" --cpus 1 --quiet --kv --timeout-ms 500 "$@"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
scraper_pid=0

# start MODE PORT: shoald on core 0, control off or on (MODE scraped: scraped every second).
start() {
  local mode=$1 port=$2
  if [ "$mode" = scraped ]; then
    SHOALD_CONTROL="127.0.0.1:$port" start_server "$port" "$bin/shoald" --host 127.0.0.1 --port "$port" \
      --public-host 127.0.0.1 --cpus 0 --stats-interval 0
    ( while :; do curl -s -o /dev/null "http://127.0.0.1:$port/metrics" || true; sleep 1; done ) &
    scraper_pid=$!
    bench_pids+=("$scraper_pid")
  else
    SHOALD_CONTROL=off start_server "$port" "$bin/shoald" --host 127.0.0.1 --port "$port" --public-host 127.0.0.1 \
      --cpus 0 --stats-interval 0
  fi
}
stop() {
  [ "$scraper_pid" != 0 ] && { kill "$scraper_pid" 2>/dev/null || true; wait "$scraper_pid" 2>/dev/null || true; scraper_pid=0; }
  stop_server
}

for r in $(seq 1 "$reps"); do
  for mode in off scraped; do
    port=$(next_port)
    start "$mode" "$port"
    load --target "127.0.0.1:$port" --mix find_node --populate 300 --flows 64 --window 16 --duration "$dur" \
      --warmup 1 --server-pid "$server_pid" > "$bench_tmp/out"
    kv "$bench_tmp/out" replies_per_s >> "$bench_tmp/fn.$mode"
    kv "$bench_tmp/out" server_cpu_s_per_million >> "$bench_tmp/fncpu.$mode"
    load --target "127.0.0.1:$port" --mix lookup --populate 300 --topics 100 --keys 1000 --preload "$records" \
      --flows 16 --window 8 --duration 0.3 --warmup 0 > /dev/null
    load --target "127.0.0.1:$port" --mix lookup --populate 300 --topics 100 --keys 1000 --flows 64 --window 16 \
      --duration "$dur" --warmup 1 --server-pid "$server_pid" > "$bench_tmp/out2"
    kv "$bench_tmp/out2" replies_per_s >> "$bench_tmp/lk.$mode"
    kv "$bench_tmp/out2" server_cpu_s_per_million >> "$bench_tmp/lkcpu.$mode"
    stop
    printf '  rep %d %-8s find_node %9s/s  lookup %9s/s\n' "$r" "$mode" "$(kv "$bench_tmp/out" replies_per_s)" \
      "$(kv "$bench_tmp/out2" replies_per_s)" >&2
  done
done

# One scrape: a 2-shard node with a populated table and a store. The load runs
# 8 s (so the primary copies its table at a few ticks and saves it each second),
# then, with the node idle, 200 scrapes back to back.
port=$(next_port)
SHOALD_CONTROL="127.0.0.1:$port" start_server "$port" "$bin/shoald" --host 127.0.0.1 --port "$port" \
  --public-host 127.0.0.1 --shards 2 --stats-interval 0 --state-dir "$bench_tmp/state" --snapshot-interval 1 \
  --log-level debug
load --target "127.0.0.1:$port" --mix lookup --populate 300 --topics 100 --keys 100 --preload 10000 --flows 16 \
  --window 8 --duration 8 --warmup 0 > /dev/null
curl -s -o "$bench_tmp/metrics" "http://127.0.0.1:$port/metrics"
c0=$(cpu_ticks "$server_pid")
for _ in $(seq 200); do curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/metrics" >> "$bench_tmp/scrape"; done
c1=$(cpu_ticks "$server_pid")
stop_server
hz=$(getconf CLK_TCK)
# The idle node's own ticks are in this figure too (a few us a second).
scrape_cpu_us=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN {printf "%.0f", (b - a) / hz * 1e6 / 200}')
sed -n 's/.*routing table snapshot: \([0-9]*\) nodes saved in \([0-9]*\) us.*/\2/p' "$bench_tmp/server.$port.log" > "$bench_tmp/snap"
snap_nodes=$(sed -n 's/.*routing table snapshot: \([0-9]*\) nodes saved in.*/\1/p' "$bench_tmp/server.$port.log" | tail -n 1)

fn_off=$(median "$bench_tmp/fn.off"); fn_on=$(median "$bench_tmp/fn.scraped")
lk_off=$(median "$bench_tmp/lk.off"); lk_on=$(median "$bench_tmp/lk.scraped")
echo
echo "control listener off vs on and scraped every second, ${reps} alternating runs x ${dur}s, medians:"
printf '  find_node  off %9.0f/s %6.3f cpu-s/1M   scraped %9.0f/s %6.3f cpu-s/1M\n' "$fn_off" \
  "$(median "$bench_tmp/fncpu.off")" "$fn_on" "$(median "$bench_tmp/fncpu.scraped")"
printf '  lookup     off %9.0f/s %6.3f cpu-s/1M   scraped %9.0f/s %6.3f cpu-s/1M\n' "$lk_off" \
  "$(median "$bench_tmp/lkcpu.off")" "$lk_on" "$(median "$bench_tmp/lkcpu.scraped")"
printf '  one scrape of %s bytes (2 shards): median %s ms, %s us of shoald CPU\n' "$(wc -c < "$bench_tmp/metrics")" \
  "$(awk '{print $1 * 1000}' "$bench_tmp/scrape" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" "$scrape_cpu_us"
printf '  routing table snapshot of %s nodes: median %s us (%s saves)\n' "${snap_nodes:-?}" \
  "$(median "$bench_tmp/snap" 2>/dev/null || echo '?')" "$(wc -l < "$bench_tmp/snap")"
echo
echo "find_node_off_rps=$fn_off"
echo "find_node_scraped_rps=$fn_on"
echo "find_node_scraped_vs_off=$(ratio "$fn_on" "$fn_off")"
echo "find_node_cpu_scraped_vs_off=$(ratio "$(median "$bench_tmp/fncpu.scraped")" "$(median "$bench_tmp/fncpu.off")")"
echo "lookup_off_rps=$lk_off"
echo "lookup_scraped_rps=$lk_on"
echo "lookup_scraped_vs_off=$(ratio "$lk_on" "$lk_off")"
echo "lookup_cpu_scraped_vs_off=$(ratio "$(median "$bench_tmp/lkcpu.scraped")" "$(median "$bench_tmp/lkcpu.off")")"
echo "scrape_ms_median=$(awk '{print $1 * 1000}' "$bench_tmp/scrape" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
echo "scrape_cpu_us=$scrape_cpu_us"
echo "metrics_bytes=$(wc -c < "$bench_tmp/metrics")"
echo "snapshot_us_median=$(median "$bench_tmp/snap")"
