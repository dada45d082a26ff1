#!/usr/bin/env bash
# scripts/bench.sh dht [--quick]
#
# FIND_NODE replies/s from one shoald shard holding a full routing table
# (shoal-load --populate 300 fills rows 0..~14 with fake nodes that answer
# pings), next to the engine echo server measured in the same run with the
# same client: shoal-load, pinned to core 1, 64 flows x window 16, random
# targets. Servers are pinned to core 0. Runs alternate and the figures are
# medians.
#
# Then routing_table::closest() on its own (bench/dht/routing_table_bench.cc).
#
# Ends with: find_node_replies_per_s, echo_replies_per_s, find_node_vs_echo,
#            find_node_cpu_s_per_million, echo_cpu_s_per_million, find_node_p99_ms,
#            closest20_full_table_ns, closest20_half_table_ns, closest20_half_vs_sort_all
set -euo pipefail
bin=${SHOAL_BIN:?run through scripts/bench.sh}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
quick=0; [ "${1:-}" = --quick ] && quick=1
if [ $quick = 1 ]; then reps=3 dur=1.5 warm=0.5; else reps=7 dur=5 warm=1; fi
load=(--cpus 1 --flows 64 --window 16 --duration "$dur" --warmup "$warm" --timeout-ms 500 --quiet --kv)

for r in $(seq 1 "$reps"); do
  port=$(next_port)
  start_server "$port" "$bin/shoald" --host 127.0.0.1 --port "$port" --public-host 127.0.0.1 --cpus 0 --stats-interval 0
  "$bin/shoal-load" --target "127.0.0.1:$port" --mix find_node --populate 300 --server-pid "$server_pid" "${load[@]}" > "$bench_tmp/out"
  stop_server
  kv "$bench_tmp/out" replies_per_s >> "$bench_tmp/fn.rps"
  kv "$bench_tmp/out" server_cpu_s_per_million >> "$bench_tmp/fn.cpu"
  kv "$bench_tmp/out" p99_ms >> "$bench_tmp/fn.p99"
  printf '  rep %d find_node %9s replies/s  %6s cpu-s/1M  p99 %s ms\n' "$r" "$(kv "$bench_tmp/out" replies_per_s)" \
    "$(kv "$bench_tmp/out" server_cpu_s_per_million)" "$(kv "$bench_tmp/out" p99_ms)" >&2

  port=$(next_port)
  start_server "$port" "$bin/engine_echo" --port "$port" --cpus 0
  "$bin/shoal-load" --target "127.0.0.1:$port" --mix echo --echo-bytes 64 --server-pid "$server_pid" "${load[@]}" > "$bench_tmp/out"
  stop_server
  kv "$bench_tmp/out" replies_per_s >> "$bench_tmp/echo.rps"
  kv "$bench_tmp/out" server_cpu_s_per_million >> "$bench_tmp/echo.cpu"
  printf '  rep %d echo      %9s replies/s  %6s cpu-s/1M\n' "$r" "$(kv "$bench_tmp/out" replies_per_s)" \
    "$(kv "$bench_tmp/out" server_cpu_s_per_million)" >&2
done

fn=$(median "$bench_tmp/fn.rps"); echo_rps=$(median "$bench_tmp/echo.rps")
echo
echo "FIND_NODE (random targets, 300-node table) vs engine echo, ${reps} runs x ${dur}s, medians:"
printf '  find_node  %9.0f replies/s  %.3f cpu-s per 1M replies  p99 %.3f ms\n' "$fn" "$(median "$bench_tmp/fn.cpu")" "$(median "$bench_tmp/fn.p99")"
printf '  echo       %9.0f replies/s  %.3f cpu-s per 1M replies\n' "$echo_rps" "$(median "$bench_tmp/echo.cpu")"
echo
echo "routing_table::closest(target, 20), median of 3 (Google Benchmark; SortAll20 = partial sort of every node):"
"$bin/dht_bench" --benchmark_min_time=0.1 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_format=csv 2>/dev/null | sed -n 's/^"\(BM_[^"]*\)_median",[^,]*,\([^,]*\),.*/\1 \2/p' > "$bench_tmp/micro"
while read -r name ns; do printf '  %-36s %8.0f ns\n' "$name" "$ns"; done < "$bench_tmp/micro"
micro() { awk -v n="$1" '$1 == n {printf "%.0f", $2}' "$bench_tmp/micro"; }
echo
echo "find_node_replies_per_s=$fn"
echo "echo_replies_per_s=$echo_rps"
echo "find_node_vs_echo=$(ratio "$fn" "$echo_rps")"
echo "find_node_cpu_s_per_million=$(median "$bench_tmp/fn.cpu")"
echo "echo_cpu_s_per_million=$(median "$bench_tmp/echo.cpu")"
echo "find_node_p99_ms=$(median "$bench_tmp/fn.p99")"
echo "closest20_full_table_ns=$(micro BM_RoutingTable_Closest20/100)"
echo "closest20_half_table_ns=$(micro BM_RoutingTable_Closest20/50)"
echo "closest20_half_vs_sort_all=$(ratio "$(micro BM_RoutingTable_SortAll20/50)" "$(micro BM_RoutingTable_Closest20/50)")"
