#!/usr/bin/env bash
# scripts/bench.sh engine [--quick]
#
# Echo throughput of the engine against a minimal recvmmsg/sendmmsg echo
# (bench/engine/baseline_echo.cc), in one run on this 2-core machine: the
# server is pinned to core 0 and the same batched client (bench/engine/
# echo_client.cc) to core 1. Variants run interleaved, repeated, and reported
# as medians; the ratios compare medians of the same run. Also runs the
# ring and timer-wheel microbenchmarks.
#
# Output ends with key=value lines:
#   baseline_replies_per_s, engine_replies_per_s, engine_2shards_replies_per_s,
#   baseline_cpu_s_per_million, engine_cpu_s_per_million, engine_vs_baseline,
#   engine_2shards_vs_baseline, engine_cpu_vs_baseline (baseline CPU / engine CPU per reply)
set -euo pipefail
bin=${SHOAL_BIN:?run through scripts/bench.sh}
quick=0
[ "${1:-}" = --quick ] && quick=1
if [ $quick = 1 ]; then reps=3 dur=1 warm=0.3; else reps=7 dur=3 warm=0.5; fi
flows=64 window=8  # enough outstanding datagrams to keep the server saturated (see docs/benchmarks.md)
port=$(( 20000 + RANDOM % 20000 ))
tmp=$(mktemp -d)
trap 'pkill -P $$ 2>/dev/null || true; rm -rf "$tmp"' EXIT

variants=(baseline engine engine_2shards)
[ $quick = 1 ] || variants+=(engine_sendmmsg engine_epoll)

server_cmd() {  # variant port -> command line
  case $1 in
    baseline) echo "taskset -c 0 $bin/baseline_echo --port $2" ;;
    engine) echo "$bin/engine_echo --port $2 --cpus 0 --sends sqe" ;;
    engine_sendmmsg) echo "$bin/engine_echo --port $2 --cpus 0 --sends sendmmsg" ;;
    engine_epoll) echo "$bin/engine_echo --port $2 --cpus 0 --backend epoll" ;;
    engine_2shards) echo "$bin/engine_echo --port $2 --shards 2 --cpus 0,1 --sends sqe" ;;
  esac
}

for r in $(seq 1 $reps); do
  for v in "${variants[@]}"; do
    port=$((port + 1))
    $(server_cmd $v $port) 2>"$tmp/$v.err" &
    pid=$!
    for _ in $(seq 50); do ss -Hlun "sport = :$port" | grep -q . && break; sleep 0.02; done
    "$bin/echo_client" --target 127.0.0.1:$port --cpu 1 --flows $flows --window $window \
      --duration $dur --warmup $warm --server-pid $pid > "$tmp/out"
    kill $pid; wait $pid 2>/dev/null || true
    rps=$(sed -n 's/^replies_per_s=//p' "$tmp/out")
    cpu=$(sed -n 's/^server_cpu_s_per_million=//p' "$tmp/out")
    echo "$rps" >> "$tmp/$v.rps"
    echo "$cpu" >> "$tmp/$v.cpu"
    printf '  rep %d %-16s %9s replies/s  %6s cpu-s per 1M replies\n' "$r" "$v" "$rps" "$cpu" >&2
  done
done

median() { sort -g "$1" | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", (b > 0 ? a / b : 0)}'; }

echo
echo "echo over loopback, server on core 0, client on core 1, ${reps} runs x ${dur}s, medians:"
printf '  %-16s %12s %22s\n' variant replies/s "cpu-s per 1M replies"
for v in "${variants[@]}"; do
  printf '  %-16s %12.0f %22.3f\n' "$v" "$(median "$tmp/$v.rps")" "$(median "$tmp/$v.cpu")"
done
echo "  (engine_2shards: shards on cores 0 and 1, sharing core 1 with the client)"

if [ $quick = 0 ]; then
  echo
  echo "microbenchmarks (Google Benchmark):"
  "$bin/base_bench" --benchmark_min_time=0.2 2>/dev/null | grep -E '^BM_' | sed 's/^/  /'
fi

b=$(median "$tmp/baseline.rps"); e=$(median "$tmp/engine.rps"); e2=$(median "$tmp/engine_2shards.rps")
bc=$(median "$tmp/baseline.cpu"); ec=$(median "$tmp/engine.cpu")
echo
echo "baseline_replies_per_s=$b"
echo "engine_replies_per_s=$e"
echo "engine_2shards_replies_per_s=$e2"
echo "baseline_cpu_s_per_million=$bc"
echo "engine_cpu_s_per_million=$ec"
echo "engine_vs_baseline=$(ratio "$e" "$b")"
echo "engine_2shards_vs_baseline=$(ratio "$e2" "$b")"
echo "engine_cpu_vs_baseline=$(ratio "$bc" "$ec")"
