# Shared helpers for scripts/bench/*.sh (sourced).
# Requires SHOAL_BIN (set by scripts/bench.sh).

# shoald's control listener is off in benchmarks unless a run sets SHOALD_CONTROL.
export SHOALD_CONTROL=${SHOALD_CONTROL:-off}

bench_tmp=$(mktemp -d)
bench_pids=()
bench_cleanup() { kill "${bench_pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$bench_tmp"; }
trap bench_cleanup EXIT

# A fresh port for each server started.
bench_port=$(( 20000 + RANDOM % 20000 ))
next_port() { bench_port=$((bench_port + 1)); echo $bench_port; }

# wait_udp PORT: until something listens on UDP PORT (up to 5 s).
wait_udp() { for _ in $(seq 250); do ss -Hlun "sport = :$1" | grep -q . && return 0; sleep 0.02; done; return 1; }

# start_server PORT CMD...: runs CMD in the background, waits for PORT, sets server_pid.
start_server() {
  local port=$1; shift
  "$@" 2>"$bench_tmp/server.$port.log" &
  server_pid=$!
  bench_pids+=("$server_pid")
  wait_udp "$port" || { echo "server on $port did not start:" >&2; cat "$bench_tmp/server.$port.log" >&2; return 1; }
}
stop_server() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }

# kv FILE KEY: the value of KEY=... in FILE.
kv() { sed -n "s/^$2=//p" "$1" | tail -n 1; }

median() { sort -g "$1" | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", (b > 0 ? a / b : 0)}'; }
