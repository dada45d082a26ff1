#!/usr/bin/env bash
# fuzz-run.sh BINARY CORPUS_DIR SECONDS: a bounded libFuzzer run seeded from the
# checked-in corpus. New inputs go to a scratch folder so the tree stays clean;
# a crash leaves its reproducer in build/fuzz-artifacts/.
set -euo pipefail
bin=$1 corpus=$2 secs=${3:-10}
name=$(basename "$bin")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
art="$(dirname "$bin")/../fuzz-artifacts/$name/"
mkdir -p "$art"
seed_dirs=("$scratch")
[ -d "$corpus" ] && seed_dirs+=("$corpus")
exec "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$art" "${seed_dirs[@]}"
