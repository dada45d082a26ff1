#!/usr/bin/env bash
# The control listener's guard on state-changing routes, from a client that is
# not on loopback: in a network namespace of its own (so nothing touches the
# host's interfaces) shoald listens on 0.0.0.0 and a client reaches it through
# a veth interface's address. Without the bearer token a POST is 403 and a GET
# works; with the token from control_token_file (0600) the POST works.
# Needs root (ip netns); exits 77 (skipped) otherwise. About 2 s.
source "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then echo "SKIP: needs root and iproute2 for a network namespace"; exit 77; fi
ns="shoaltok$$"
tmp=$(mktemp -d)
ip netns add "$ns" || { echo "SKIP: cannot create a network namespace"; exit 77; }
trap 'cleanup; ip netns del "$ns" 2>/dev/null; rm -rf "$tmp"' EXIT
in_ns() { ip netns exec "$ns" "$@"; }
in_ns ip link set lo up
in_ns ip link add d0 type veth peer name d1
in_ns ip addr add 10.77.0.1/24 dev d0
in_ns ip link set d0 up
in_ns ip link set d1 up
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$tmp/token"
chmod 600 "$tmp/token"
# Not through in_ns: $! must be shoald itself (ip execs it), or cleanup would miss it.
ip netns exec "$ns" "$BIN/shoald" --host 127.0.0.1 --port 23970 --public-host 127.0.0.1 --stats-interval 0 \
  --control 0.0.0.0:23971 --control-token-file "$tmp/token" >/dev/null 2>"$tmp/log" &
pids+=($!)
for _ in $(seq 50); do in_ns curl -s -o /dev/null http://10.77.0.1:23971/healthz && break; sleep 0.1; done
code() { in_ns curl -s -o /dev/null -w '%{http_code}' "$@" || true; }
[ "$(code http://10.77.0.1:23971/routines)" = 200 ] && echo "ok   a GET from 10.77.0.1 is served" || { echo "FAIL GET: $(cat "$tmp/log")"; failures=$((failures + 1)); }
[ "$(code -X POST -d '' 'http://10.77.0.1:23971/routines/pings?action=stop')" = 403 ] && echo "ok   a POST from 10.77.0.1 without the token is 403" || { echo "FAIL no 403"; failures=$((failures + 1)); }
[ "$(code -X POST -d '' -H 'Authorization: Bearer wrong-token-of-some-length' 'http://10.77.0.1:23971/routines/pings?action=stop')" = 403 ] && echo "ok   a wrong token is 403" || { echo "FAIL wrong token"; failures=$((failures + 1)); }
[ "$(code -X POST -d '' -H "Authorization: Bearer $(cat "$tmp/token")" 'http://10.77.0.1:23971/routines/pings?action=stop')" = 200 ] && echo "ok   with the token it is 200" || { echo "FAIL token refused"; failures=$((failures + 1)); }
[ "$(code -X POST -d '' 'http://127.0.0.1:23971/routines/pings?action=start')" = 200 ] && echo "ok   loopback needs no token" || { echo "FAIL loopback"; failures=$((failures + 1)); }
chmod 644 "$tmp/token"
expect 2 "a token file readable by others is refused" -- "$BIN/shoald" --control 127.0.0.1:23972 --control-token-file "$tmp/token"
contains "$err" "chmod 600" "and says how to fix it"
finish
