#!/usr/bin/env bash
# scripts/bench/verify.sh [--quick] -- Ed25519 verification cost per signature:
# libsodium's crypto_sign_verify_detached one at a time against
# crypto::verify_batch at batch sizes 1..128 on every field backend this CPU
# has (avx512ifma, avx2, portable; each forced), the hit rate of the per-shard
# key cache, and announces per second through one shoald shard per backend.
# Run through `scripts/bench.sh verify [--quick]`, which builds the release
# binaries and sets SHOAL_BIN.
#
# Every figure is the median over repetitions of one run, with the repetitions
# of all benchmarks interleaved at random (the machine is shared, so a load
# change hits all of them alike); the table shows min..max as the spread.
# Ends with key=value lines. --quick finishes in under a minute.
set -euo pipefail

quick=0
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "verify.sh: unknown argument '$a'" >&2; exit 2 ;;
  esac
done

bin=${SHOAL_BIN:-}
if [ -z "$bin" ] || [ ! -x "$bin/verify_bench" ]; then
  echo "verify.sh: \$SHOAL_BIN must name the folder holding verify_bench (run scripts/bench.sh verify)" >&2
  exit 2
fi

if [ "$quick" = 1 ]; then reps=3; min_time=0.1; else reps=9; min_time=0.5; fi

sizes="1 4 8 16 32 64 128"
backends="Ifma Avx2 Portable"
filter='^(BM_VerifySingle_Libsodium|BM_VerifyBatch_(Ifma|Avx2|Portable)/(1|4|8|16|32|64|128))$'
csv=$("$bin/verify_bench" --benchmark_filter="$filter" --benchmark_repetitions="$reps" \
        --benchmark_min_time="$min_time" --benchmark_enable_random_interleaving=true \
        --benchmark_format=csv 2>/dev/null)

# us per signature = 1e6 / items_per_second (CPU time). Per benchmark: median, min, max.
# Benchmarks skipped because the CPU lacks the backend have no items_per_second.
summary=$(printf '%s\n' "$csv" | awk -F, '
  NR == 1 { for (i = 1; i <= NF; i++) if ($i == "items_per_second") col = i; next }
  {
    name = $1; gsub(/"/, "", name)
    if (name ~ /_(mean|stddev|cv)$/ || $col == "" || $col <= 0) next
    us = 1e6 / $col
    if (name ~ /_median$/) { sub(/_median$/, "", name); med[name] = us; next }
    if (!(name in lo) || us < lo[name]) lo[name] = us
    if (!(name in hi) || us > hi[name]) hi[name] = us
  }
  END { for (n in med) printf "%s %.3f %.3f %.3f\n", n, med[n], lo[n], hi[n] }')

get() { printf '%s\n' "$summary" | awk -v n="$1" -v f="$2" '$1 == n { print $f }'; }
vs() { [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' || echo "n/a"; }

lib=$(get BM_VerifySingle_Libsodium 2)
if [ -z "$lib" ]; then
  echo "verify.sh: no libsodium figure in the benchmark output" >&2
  exit 1
fi

printf '%-36s %12s %22s %10s\n' "benchmark" "us/sig" "spread (min..max)" "vs libsodium"
row() {
  local name=$1 label=$2 med lo hi
  med=$(get "$name" 2); lo=$(get "$name" 3); hi=$(get "$name" 4)
  if [ -z "$med" ]; then printf '%-36s %12s\n' "$label" "n/a (CPU lacks it)"; return; fi
  printf '%-36s %12.2f %10.2f .. %8.2f %9.2fx\n' "$label" "$med" "$lo" "$hi" "$(vs "$lib" "$med")"
}
row BM_VerifySingle_Libsodium "libsodium single"
for be in $backends; do
  for n in $sizes; do row "BM_VerifyBatch_$be/$n" "$(echo "$be" | tr '[:upper:]' '[:lower:]') batch $n"; done
done
echo "($reps repetitions, interleaved; batch 1 is handed to libsodium by design)"

# The key cache (crypto/key_cache.h) replayed on announce streams: the vs-js
# ANNOUNCE mix (1000 keys in turn) and 10-minute re-announces of 100 000 keys
# on one shard, of 25 000 (four shards), and of 100 000 with a 131 072-entry cache.
kc=$("$bin/verify_bench" --benchmark_filter='^BM_KeyCache_' --benchmark_format=csv 2>/dev/null)
hit() { printf '%s\n' "$kc" | awk -F, -v n="$1" '
  NR == 1 { for (i = 1; i <= NF; i++) { h = $i; gsub(/"/, "", h); if (h == "hit_rate") col = i }; next }
  { name = $1; gsub(/"/, "", name); if (name == n) printf "%.3f", $col }'; }
kc_vsjs=$(hit BM_KeyCache_VsJs/0/0/iterations:1)
kc_100k=$(hit BM_KeyCache_Realistic/100000/0/iterations:1)
kc_25k=$(hit BM_KeyCache_Realistic/25000/0/iterations:1)
kc_100k_big=$(hit BM_KeyCache_Realistic/100000/131072/iterations:1)
printf '\nkey cache hit rate (default 16384 entries): vs-js announce mix %s; 100k keys re-announcing every 10 min on one shard %s, 25k keys %s; 100k keys with 131072 entries %s\n' \
  "$kc_vsjs" "$kc_100k" "$kc_25k" "$kc_100k_big"

# End to end: ANNOUNCE handled per second by one shoald shard (core 0), batched
# on each backend and single (libsodium), loaded by shoal-load (core 1) with
# pre-signed announces; runs alternate, medians reported.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ "$quick" = 1 ]; then e2e_reps=2 e2e_dur=1.5; else e2e_reps=5 e2e_dur=3; fi
modes="single"
for be in ifma avx2 portable; do
  if [ -n "$(get "BM_VerifyBatch_$(echo "${be:0:1}" | tr '[:lower:]' '[:upper:]')${be:1}/64" 2)" ]; then modes="$modes $be"; fi
done
for r in $(seq 1 "$e2e_reps"); do
  for mode in $modes; do
    port=$(next_port)
    if [ "$mode" = single ]; then vflags=(--verify single); else vflags=(--verify batch --verify-backend "$mode"); fi
    start_server "$port" "$SHOAL_BIN/shoald" --host 127.0.0.1 --port "$port" --public-host 127.0.0.1 --cpus 0 \
      --stats-interval 0 "${vflags[@]}"
    "$SHOAL_BIN/shoal-load" --target "127.0.0.1:$port" --cpus 1 --flows 16 --window 16 --mix announce \
      --duration "$e2e_dur" --warmup 1 --timeout-ms 500 --quiet --kv --server-pid "$server_pid" > "$bench_tmp/e2e"
    stop_server
    kv "$bench_tmp/e2e" replies_per_s >> "$bench_tmp/ann.$mode"
    printf '  rep %d announce (%s) %8s handled/s\n' "$r" "$mode" "$(kv "$bench_tmp/e2e" replies_per_s)" >&2
  done
done
printf '\nannounces per second, one shard (%d runs x %ss):' "$e2e_reps" "$e2e_dur"
for mode in $modes; do printf ' %s %.0f;' "$mode" "$(median "$bench_tmp/ann.$mode")"; done
echo

b() { get "BM_VerifyBatch_$1/$2" 2; }
best=$(b Ifma 64); best_name=avx512ifma
[ -n "$best" ] || { best=$(b Avx2 64); best_name=avx2; }
[ -n "$best" ] || { best=$(b Portable 64); best_name=portable; }
noifma=$(printf '%s\n%s\n' "$(b Avx2 64)" "$(b Portable 64)" | awk 'NF { if (m == "" || $1 < m) m = $1 } END { print m }')
echo "backend=$best_name"
echo "libsodium_us_per_sig=$lib"
for n in $sizes; do
  v=$(b Ifma "$n"); [ -n "$v" ] || v=$(b Avx2 "$n"); [ -n "$v" ] || v=$(b Portable "$n")
  echo "batch${n}_us_per_sig=$v"
done
for be in Ifma Avx2 Portable; do
  l=$(echo "$be" | tr '[:upper:]' '[:lower:]')
  echo "${l}_batch64_us_per_sig=$(b "$be" 64)"
done
echo "batch64_vs_libsodium=$(vs "$lib" "$best")"
echo "noifma_batch64_vs_libsodium=$(vs "$lib" "$noifma")"
echo "avx2_batch64_vs_libsodium=$(vs "$lib" "$(b Avx2 64)")"
echo "portable_batch64_vs_libsodium=$(vs "$lib" "$(b Portable 64)")"
echo "key_cache_hit_rate_vsjs=$kc_vsjs"
echo "key_cache_hit_rate_realistic_25k=$kc_25k"
echo "key_cache_hit_rate=$kc_100k"
for mode in $modes; do echo "announce_${mode}_per_s=$(median "$bench_tmp/ann.$mode")"; done
top=$(echo "$modes" | awk '{print $2}')
[ -n "$top" ] && echo "announce_batched_vs_single=$(ratio "$(median "$bench_tmp/ann.$top")" "$(median "$bench_tmp/ann.single")")"
