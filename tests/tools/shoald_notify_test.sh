#!/usr/bin/env bash
# shoald as a systemd Type=notify service, against a stand-in notify socket:
# READY=1 once bootstrapped, STATUS= lines, WATCHDOG=1 pings at half the
# watchdog interval while the shards turn, RELOADING=1/READY=1 around SIGHUP,
# STOPPING=1 at stop. Port 23930 on 127.0.0.1; about 6 s.
source "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'cleanup; rm -rf "$tmp"' EXIT
python3 "$(dirname "$0")/notify_receiver.py" "$tmp/notify" "$tmp/got" 8 &
pids+=($!)
for _ in $(seq 50); do [ -S "$tmp/notify" ] && break; sleep 0.1; done
NOTIFY_SOCKET="$tmp/notify" WATCHDOG_USEC=1000000 "$BIN/shoald" --host 127.0.0.1 --port 23930 \
  --public-host 127.0.0.1 --stats-interval 0 --control off 2>"$tmp/log" &
node=$!
pids+=($node)
sleep 4
kill -HUP $node
sleep 1
kill -TERM $node
wait $node || true
sleep 0.3
got=$(cat "$tmp/got" 2>/dev/null || true)
contains "$got" "READY=1" "READY=1 once bootstrapped"
contains "$got" "STATUS=not ready: " "STATUS says why it is not ready (no peers)"
pings=$(grep -c "WATCHDOG=1" "$tmp/got" || true)
[ "$pings" -ge 6 ] && echo "ok   $pings watchdog pings in ~5 s at a 1 s watchdog" ||
  { echo "FAIL $pings watchdog pings (wanted >= 6): $got"; failures=$((failures + 1)); }
contains "$got" "RELOADING=1" "RELOADING=1 on SIGHUP"
contains "$(grep -A3 RELOADING "$tmp/got")" "READY=1" "then READY=1"
contains "$(tail -n 1 "$tmp/got")" "STOPPING=1" "STOPPING=1 last"
contains "$(cat "$tmp/log")" "systemd watchdog: a ping every 500 ms" "the log says the watchdog is on"
finish
