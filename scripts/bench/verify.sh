#!/usr/bin/env bash
# scripts/bench/verify.sh [--quick] -- Ed25519 verification cost per signature:
# libsodium's crypto_sign_verify_detached one at a time against
# crypto::verify_batch at batch sizes 1..128 (the backend this CPU picks), plus
# the portable backend at 64. Run through `scripts/bench.sh verify [--quick]`,
# which builds the release binaries and sets SHOAL_BIN.
#
# Every figure is the median over repetitions of one run, with the repetitions
# of all benchmarks interleaved at random (the machine is shared, so a load
# change hits all of them alike); the table shows min..max as the spread.
# Ends with key=value lines. --quick finishes in well under a minute.
set -euo pipefail

quick=0
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "verify.sh: unknown argument '$a'" >&2; exit 2 ;;
  esac
done

bin=${SHOAL_BIN:-}
if [ -z "$bin" ] || [ ! -x "$bin/verify_bench" ]; then
  echo "verify.sh: \$SHOAL_BIN must name the folder holding verify_bench (run scripts/bench.sh verify)" >&2
  exit 2
fi

if [ "$quick" = 1 ]; then reps=3; min_time=0.1; else reps=9; min_time=0.5; fi

filter='^(BM_VerifySingle_Libsodium|BM_VerifyBatch_Default/(1|4|8|16|32|64|128)|BM_VerifyBatch_Portable/64)$'
csv=$("$bin/verify_bench" --benchmark_filter="$filter" --benchmark_repetitions="$reps" \
        --benchmark_min_time="$min_time" --benchmark_enable_random_interleaving=true \
        --benchmark_format=csv 2>/dev/null)
# The field arithmetic verify_batch picked, from the benchmark's label column.
backend=$(printf '%s\n' "$csv" | awk -F, '$1 ~ /BM_VerifyBatch_Default\/64"?$/ { gsub(/"/, "", $8); print $8; exit }')

# us per signature = 1e6 / items_per_second (CPU time). Per benchmark: median, min, max.
summary=$(printf '%s\n' "$csv" | awk -F, '
  NR == 1 { for (i = 1; i <= NF; i++) if ($i == "items_per_second") col = i; next }
  {
    name = $1; gsub(/"/, "", name)
    if (name ~ /_(mean|stddev|cv)$/) next
    us = ($col > 0) ? 1e6 / $col : -1
    if (name ~ /_median$/) { sub(/_median$/, "", name); med[name] = us; next }
    if (!(name in lo) || us < lo[name]) lo[name] = us
    if (!(name in hi) || us > hi[name]) hi[name] = us
  }
  END { for (n in med) printf "%s %.3f %.3f %.3f\n", n, med[n], lo[n], hi[n] }')

get() { printf '%s\n' "$summary" | awk -v n="$1" -v f="$2" '$1 == n { print $f }'; }

lib=$(get BM_VerifySingle_Libsodium 2)
if [ -z "$lib" ]; then
  echo "verify.sh: no libsodium figure in the benchmark output" >&2
  exit 1
fi

printf '%-34s %12s %22s %10s\n' "benchmark" "us/sig" "spread (min..max)" "vs libsodium"
row() {
  local name=$1 label=$2 med lo hi
  med=$(get "$name" 2); lo=$(get "$name" 3); hi=$(get "$name" 4)
  [ -n "$med" ] || { echo "verify.sh: missing $name" >&2; exit 1; }
  printf '%-34s %12.2f %10.2f .. %8.2f %9.2fx\n' "$label" "$med" "$lo" "$hi" "$(awk -v a="$lib" -v b="$med" 'BEGIN { print a / b }')"
}
row BM_VerifySingle_Libsodium "libsodium single"
for n in 1 4 8 16 32 64 128; do row "BM_VerifyBatch_Default/$n" "verify_batch, batch $n"; done
row BM_VerifyBatch_Portable/64 "verify_batch portable, batch 64"
echo "($reps repetitions, interleaved; batch 1 is handed to libsodium by design)"

# End to end: ANNOUNCE handled per second by one shoald shard (core 0) with
# batched and with single verification, loaded by shoal-load (core 1) with
# pre-signed announces; runs alternate, medians reported.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ "${quick:-0}" = 1 ] || [ "${1:-}" = --quick ]; then e2e_reps=2 e2e_dur=1.5; else e2e_reps=5 e2e_dur=3; fi
for r in $(seq 1 "$e2e_reps"); do
  for mode in batch single; do
    port=$(next_port)
    start_server "$port" "$SHOAL_BIN/shoald" --host 127.0.0.1 --port "$port" --public-host 127.0.0.1 --cpus 0 \
      --stats-interval 0 --verify "$mode"
    "$SHOAL_BIN/shoal-load" --target "127.0.0.1:$port" --cpus 1 --flows 16 --window 16 --mix announce \
      --duration "$e2e_dur" --warmup 1 --timeout-ms 500 --quiet --kv --server-pid "$server_pid" > "$bench_tmp/e2e"
    stop_server
    kv "$bench_tmp/e2e" replies_per_s >> "$bench_tmp/ann.$mode"
    printf '  rep %d announce (%s verification) %8s handled/s\n' "$r" "$mode" "$(kv "$bench_tmp/e2e" replies_per_s)" >&2
  done
done
ab=$(median "$bench_tmp/ann.batch"); as=$(median "$bench_tmp/ann.single")
printf '\nannounces per second, one shard, batched %.0f vs single %.0f (%d runs x %ss)\n' "$ab" "$as" "$e2e_reps" "$e2e_dur"

echo "backend=${backend:-unknown}"
echo "libsodium_us_per_sig=$lib"
for n in 1 4 8 16 32 64 128; do echo "batch${n}_us_per_sig=$(get "BM_VerifyBatch_Default/$n" 2)"; done
b64=$(get BM_VerifyBatch_Default/64 2)
p64=$(get BM_VerifyBatch_Portable/64 2)
echo "portable_batch64_us_per_sig=$p64"
echo "portable_batch64_vs_libsodium=$(awk -v a="$lib" -v b="$p64" 'BEGIN { printf "%.2f", a / b }')"
echo "batch64_vs_libsodium=$(awk -v a="$lib" -v b="$b64" 'BEGIN { printf "%.2f", a / b }')"
echo "announce_batched_per_s=$ab"
echo "announce_single_per_s=$as"
echo "announce_batched_vs_single=$(ratio "$ab" "$as")"
