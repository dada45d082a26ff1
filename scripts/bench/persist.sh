#!/usr/bin/env bash
# scripts/bench.sh persist [--quick]
#
# Keeping the record store on disk (docs/benchmarks.md "persist"): the
# database choice. LMDB, SQLite and RocksDB on the writer's workload
# (bench/persist/db_compare.cc): batched upserts of 33-byte keys with 60-1100
# byte values in transactions of 100 and 1000, deletes, the scan at start, the
# size on disk, and damaged copies (truncated, garbage) opened and scanned in a
# child: clean, error reported, or crashed.
# Ends with the engines' figures as key=value lines.
set -euo pipefail
bin=${SHOAL_BIN:?run through scripts/bench.sh}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$bin/persist_db_compare" ${1:+"$1"} --dir "$bench_tmp/db"
