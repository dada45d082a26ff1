#!/usr/bin/env bash
# shoald's command line: help, version, and clear errors (exit 2) for bad input;
# the counters and the status line.
source "$(dirname "$0")/lib.sh"
expect 0 "--help" -- "$BIN/shoald" --help
contains "$out" "--public-host" "--help lists the flags"
expect 0 "--version" -- "$BIN/shoald" --version
contains "$out" "shoald" "--version names the program"
expect 2 "unknown flag" -- "$BIN/shoald" --no-such-flag
expect 2 "port out of range" -- "$BIN/shoald" --port 70000
expect 2 "bad --host" -- "$BIN/shoald" --host 1.2.3
contains "$err" "--host" "the error names the flag"
expect 2 "bad --public-host" -- "$BIN/shoald" --public-host abc
expect 2 "--public-host with --ephemeral" -- "$BIN/shoald" --public-host 1.2.3.4 --ephemeral
expect 2 "--public-port without --public-host" -- "$BIN/shoald" --public-port 5
expect 2 "bad --bootstrap" -- "$BIN/shoald" --bootstrap 127.0.0.1
expect 2 "--shards 0" -- "$BIN/shoald" --shards 0
expect 2 "bad --verify" -- "$BIN/shoald" --verify sometimes
# A port in use: exit 1 with the reason.
log=$(mktemp)
"$BIN/shoald" --host 127.0.0.1 --port 23901 --public-host 127.0.0.1 --stats-interval 0 --control off 2>"$log" &
node=$!
pids+=($node)
sleep 0.5
expect 1 "port already in use" -- "$BIN/shoald" --host 127.0.0.1 --port 23901 --public-host 127.0.0.1 --control off
contains "$err" "Address already in use" "the error says why"
# Junk and a PING reach the counters; SIGUSR1 logs them, and so does a clean stop.
printf 'x' > /dev/udp/127.0.0.1/23901
printf '\x03\x04\x01\x00\x7f\x00\x00\x01\x5d\x5d\x00' > /dev/udp/127.0.0.1/23901   # PING, tid 1
printf '\x03\x10' > /dev/udp/127.0.0.1/23901                                               # truncated
sleep 0.3
kill -USR1 $node
sleep 1.2
contains "$(cat "$log")" "counters:" "SIGUSR1 logs the counters"
contains "$(cat "$log")" "probes=1" "a 1-byte datagram counts as a probe"
contains "$(cat "$log")" "drop_truncated=1" "a truncated frame has its own drop counter"
kill -TERM $node
rc=0; wait $node || rc=$?
[ $rc = 0 ] && echo "ok   SIGTERM exits 0" || { echo "FAIL SIGTERM exit $rc"; failures=$((failures + 1)); }
contains "$(tail -n 3 "$log")" "rx_requests=1" "the stop logs the counters"
# The status line tells an operator what the store holds.
"$BIN/shoald" --host 127.0.0.1 --port 23902 --public-host 127.0.0.1 --stats-interval 1 --control off 2>"$log" &
node=$!
pids+=($node)
sleep 0.5
seed=$(printf '01%.0s' $(seq 32))
C=(--host 127.0.0.1 --bootstrap 127.0.0.1:23902 --json)
expect 0 "announce to a one-node network" -- "$BIN/shoal" "${C[@]}" announce --topic-string status-test --seed "$seed"
expect 0 "immutable-put to a one-node network" -- "$BIN/shoal" "${C[@]}" immutable-put --value "status test"
# Shards publish their store figures once a second and the line comes every second: wait for it (up to
# 10 s, for slow sanitizer builds) rather than a fixed time.
want="store 1 records in 1 topics, 0 routes, 1 values"
for _ in $(seq 50); do grep -q "$want" "$log" && break; sleep 0.2; done
contains "$(grep "$want" "$log" | tail -n 1)" "$want" "the status line counts what is stored"
kill -TERM $node
wait $node || true
# A node killed with SIGKILL and restarted at once binds at the first attempt
# (an io_uring node's sockets outlive it by a few ms while the kernel tears its ring down).
restarted=0
for _ in 1 2 3 4 5; do
  "$BIN/shoald" --host 127.0.0.1 --port 23903 --public-host 127.0.0.1 --stats-interval 0 --control off 2>/dev/null &
  victim=$!
  for _ in $(seq 100); do ss -Hlun "sport = :23903" | grep -q . && break; sleep 0.02; done
  sleep 0.2
  kill -9 $victim; wait $victim 2>/dev/null || true
  "$BIN/shoald" --host 127.0.0.1 --port 23903 --public-host 127.0.0.1 --stats-interval 0 --control off 2>"$log" &
  node=$!
  pids+=($node)
  for _ in $(seq 150); do grep -q "listening on\|cannot start" "$log" && break; sleep 0.02; done
  grep -q "listening on" "$log" && restarted=$((restarted + 1)) || echo "  restart failed: $(cat "$log")"
  kill -TERM $node 2>/dev/null || true; wait $node 2>/dev/null || true
done
[ $restarted = 5 ] && echo "ok   5 of 5 restarts right after kill -9 bound at once" ||
  { echo "FAIL only $restarted of 5 restarts after kill -9 bound"; failures=$((failures + 1)); }
rm -f "$log"
finish
