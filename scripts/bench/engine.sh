#!/usr/bin/env bash
# scripts/bench.sh engine [--quick]
#
# Echo throughput of the engine against a minimal recvmmsg/sendmmsg echo
# (bench/engine/baseline_echo.cc) in one run on this 2-core machine: servers
# on core 0, the same client (shoal-load --mix echo, 64-byte datagrams,
# 64 flows x window 8) on core 1. Variants alternate, repeat, and report
# medians; ratios compare medians of the same run. The full run also reports
# the other send mode (io_uring SQE batches; the default is sendmmsg), the
# epoll backend, and the ring and timer microbenchmarks.
#
# Ends with: baseline_replies_per_s, engine_replies_per_s, engine_2shards_replies_per_s,
#   baseline_cpu_s_per_million, engine_cpu_s_per_million, engine_vs_baseline,
#   engine_2shards_vs_baseline, engine_cpu_vs_baseline (baseline CPU / engine CPU per reply)
set -euo pipefail
bin=${SHOAL_BIN:?run through scripts/bench.sh}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
quick=0; [ "${1:-}" = --quick ] && quick=1
if [ $quick = 1 ]; then reps=3 dur=1.5; else reps=7 dur=3; fi

variants=(baseline engine engine_2shards)
[ $quick = 1 ] || variants+=(engine_sqe engine_epoll engine_2shards_sqe)

server() {  # variant port
  case $1 in
    baseline) echo "taskset -c 0 $bin/baseline_echo --port $2" ;;
    engine) echo "$bin/engine_echo --port $2 --cpus 0 --sends sendmmsg" ;;
    engine_sqe) echo "$bin/engine_echo --port $2 --cpus 0 --sends sqe" ;;
    engine_epoll) echo "$bin/engine_echo --port $2 --cpus 0 --backend epoll" ;;
    engine_2shards) echo "$bin/engine_echo --port $2 --shards 2 --cpus 0,1 --sends sendmmsg" ;;
    engine_2shards_sqe) echo "$bin/engine_echo --port $2 --shards 2 --cpus 0,1 --sends sqe" ;;
  esac
}

for r in $(seq 1 "$reps"); do
  for v in "${variants[@]}"; do
    port=$(next_port)
    # shellcheck disable=SC2046
    start_server "$port" $(server "$v" "$port")
    "$bin/shoal-load" --target "127.0.0.1:$port" --mix echo --echo-bytes 64 --cpus 1 --flows 64 --window 8 \
      --duration "$dur" --warmup 0.5 --timeout-ms 500 --quiet --kv --server-pid "$server_pid" > "$bench_tmp/out"
    stop_server
    kv "$bench_tmp/out" replies_per_s >> "$bench_tmp/$v.rps"
    kv "$bench_tmp/out" server_cpu_s_per_million >> "$bench_tmp/$v.cpu"
    printf '  rep %d %-24s %9s replies/s  %6s cpu-s per 1M replies\n' "$r" "$v" \
      "$(kv "$bench_tmp/out" replies_per_s)" "$(kv "$bench_tmp/out" server_cpu_s_per_million)" >&2
  done
done

echo
echo "echo over loopback, server on core 0, shoal-load on core 1, ${reps} runs x ${dur}s, medians:"
printf '  %-24s %12s %22s\n' variant replies/s "cpu-s per 1M replies"
for v in "${variants[@]}"; do
  printf '  %-24s %12.0f %22.3f\n' "$v" "$(median "$bench_tmp/$v.rps")" "$(median "$bench_tmp/$v.cpu")"
done
echo "  (engine_2shards: shards on cores 0 and 1, sharing core 1 with the client)"

if [ $quick = 0 ]; then
  echo
  echo "microbenchmarks (Google Benchmark, real time per item):"
  "$bin/base_bench" --benchmark_min_time=0.2 2>/dev/null | grep -E '^BM_' | sed 's/^/  /'
fi

b=$(median "$bench_tmp/baseline.rps"); e=$(median "$bench_tmp/engine.rps"); e2=$(median "$bench_tmp/engine_2shards.rps")
bc=$(median "$bench_tmp/baseline.cpu"); ec=$(median "$bench_tmp/engine.cpu")
echo
echo "baseline_replies_per_s=$b"
echo "engine_replies_per_s=$e"
echo "engine_2shards_replies_per_s=$e2"
echo "baseline_cpu_s_per_million=$bc"
echo "engine_cpu_s_per_million=$ec"
echo "engine_vs_baseline=$(ratio "$e" "$b")"
echo "engine_2shards_vs_baseline=$(ratio "$e2" "$b")"
echo "engine_cpu_vs_baseline=$(ratio "$bc" "$ec")"
