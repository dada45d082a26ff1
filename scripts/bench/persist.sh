#!/usr/bin/env bash
# scripts/bench.sh persist [--quick]
#
# Keeping the record store on disk (persist/, docs/benchmarks.md "persist"):
#   1. the database choice: LMDB, SQLite and RocksDB on the writer's workload
#      (bench/persist/db_compare.cc): batched upserts of 33-byte keys with
#      60-1100 byte values in transactions of 100 and 1000, deletes, the scan at
#      start, the size on disk, and damaged copies (truncated, garbage) opened
#      and scanned in a child: clean, error reported, or crashed;
#   2. what kill -9 loses: one shoald (state_dir, store_flush_ms 100) under a
#      steady ANNOUNCE load is killed with SIGKILL at a random moment; the
#      restarted node logs the time of its last commit, and the gap from that
#      commit to the kill is the window of writes lost;
#   3. the cost: ANNOUNCE handled/s and LOOKUP replies/s of one shard with
#      state_dir on and off, alternated.
# Ends with the engines' figures, loss_ms_median, loss_ms_max,
#   announce_per_s_off/on, announce_on_vs_off, lookup_rps_off/on, lookup_on_vs_off.
set -euo pipefail
bin=${SHOAL_BIN:?run through scripts/bench.sh}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
quick=0; [ "${1:-}" = --quick ] && quick=1
if [ $quick = 1 ]; then kills=5 reps=2 dur=1.5; else kills=15 reps=5 dur=4; fi
load() { "$bin/shoal-load" --cpus 1 --quiet --kv --timeout-ms 500 "$@"; }
now_ms() { date +%s%3N; }

echo "1. databases (bench/persist/db_compare.cc)" >&2
"$bin/persist_db_compare" ${1:+"$1"} --dir "$bench_tmp/db" | tee "$bench_tmp/db.out" >&2

echo "2. kill -9 under ANNOUNCE load, store_flush_ms 100" >&2
port=$(next_port)
state="$bench_tmp/state"
for k in $(seq 1 "$kills"); do
  start_server "$port" "$bin/shoald" --host 127.0.0.1 --port "$port" --public-host 127.0.0.1 --cpus 0 --stats-interval 0 \
    --state-dir "$state" --store-flush-ms 100
  load --target "127.0.0.1:$port" --mix announce --topics 1000 --keys 1000 --rate 5000 --duration 5 \
    --seed "$k" > /dev/null 2>&1 &
  load_pid=$!
  sleep "$(awk -v r=$RANDOM 'BEGIN {printf "%.3f", 1 + r / 32767 * 1.5}')"
  kill -9 "$server_pid"; killed=$(now_ms)
  wait "$server_pid" 2>/dev/null || true
  kill "$load_pid" 2>/dev/null || true; wait "$load_pid" 2>/dev/null || true
  start_server "$port" "$bin/shoald" --host 127.0.0.1 --port "$port" --public-host 127.0.0.1 --cpus 0 --stats-interval 0 \
    --state-dir "$state" --store-flush-ms 100
  sleep 0.2
  stop_server
  last=$(sed -n 's/.*last commit at \([0-9]*\) (unix ms).*/\1/p' "$bench_tmp/server.$port.log" | tail -n 1)
  loaded=$(sed -n 's/.*loaded \([0-9]*\) entries.*/\1/p' "$bench_tmp/server.$port.log" | tail -n 1)
  echo $((killed - last)) >> "$bench_tmp/loss"
  printf '  kill %d: last commit %d ms before the kill, %s entries loaded\n' "$k" $((killed - last)) "$loaded" >&2
done
rm -rf "$state"

echo "3. one shard with state_dir off and on, alternated" >&2
run_one() {  # off|on -> appends to $bench_tmp/announce.$1 and lookup.$1
  local extra=() port; port=$(next_port)
  [ "$1" = on ] && extra=(--state-dir "$bench_tmp/cost")
  rm -rf "$bench_tmp/cost"
  start_server "$port" "$bin/shoald" --host 127.0.0.1 --port "$port" --public-host 127.0.0.1 --cpus 0 --stats-interval 0 \
    "${extra[@]}"
  load --target "127.0.0.1:$port" --mix announce --topics 100 --keys 1000 --flows 16 --window 8 --duration "$dur" \
    --warmup 0.5 --server-pid "$server_pid" > "$bench_tmp/out"
  kv "$bench_tmp/out" replies_per_s >> "$bench_tmp/announce.$1"
  load --target "127.0.0.1:$port" --mix lookup --populate 300 --topics 100 --keys 1000 --flows 64 --window 16 \
    --duration "$dur" --warmup 0.5 --server-pid "$server_pid" > "$bench_tmp/out"
  kv "$bench_tmp/out" replies_per_s >> "$bench_tmp/lookup.$1"
  stop_server
  printf '  %s: announce %s/s  lookup %s/s\n' "$1" "$(tail -n1 "$bench_tmp/announce.$1")" "$(tail -n1 "$bench_tmp/lookup.$1")" >&2
}
for r in $(seq 1 "$reps"); do run_one off; run_one on; done

an_off=$(median "$bench_tmp/announce.off"); an_on=$(median "$bench_tmp/announce.on")
lk_off=$(median "$bench_tmp/lookup.off"); lk_on=$(median "$bench_tmp/lookup.on")
sort -n "$bench_tmp/loss" > "$bench_tmp/loss.sorted"
loss_med=$(median "$bench_tmp/loss"); loss_max=$(tail -n 1 "$bench_tmp/loss.sorted")
echo
echo "kill -9 at a random moment under 5000 announces/s, $kills times: last commit before the kill"
echo "  median ${loss_med} ms, max ${loss_max} ms (store_flush_ms 100)"
echo "one shard, ${reps} runs x ${dur}s each, medians: ANNOUNCE ${an_off}/s off, ${an_on}/s on;" \
  "LOOKUP ${lk_off}/s off, ${lk_on}/s on"
echo
sed -n '/=/p' "$bench_tmp/db.out"
echo "loss_ms_median=$loss_med"
echo "loss_ms_max=$loss_max"
echo "announce_per_s_off=$an_off"
echo "announce_per_s_on=$an_on"
echo "announce_on_vs_off=$(ratio "$an_on" "$an_off")"
echo "lookup_rps_off=$lk_off"
echo "lookup_rps_on=$lk_on"
echo "lookup_on_vs_off=$(ratio "$lk_on" "$lk_off")"
