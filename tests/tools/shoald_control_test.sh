#!/usr/bin/env bash
# shoald's configuration file and control listener, on real processes:
# config errors, precedence, /healthz, /readyz flipping when the node is
# isolated and when peers return, /status, /routing-table, /metrics checked by
# promtool and scraped by a real Prometheus server, SIGHUP with a good and a
# bad file. Ports 23910-23929 on 127.0.0.1. About two minutes (readiness waits
# out its one-minute window).
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "curl missing (scripts/setup.sh installs it)"; exit 1; }
tmp=$(mktemp -d)
trap 'cleanup; rm -rf "$tmp"' EXIT
code() { curl -s -o /dev/null -w '%{http_code}' "$@" || true; }
# wait_for SECONDS CMD...: polls CMD every 0.5 s; 0 when it succeeded in time.
wait_for() { local n=$(( $1 * 2 )); shift; for _ in $(seq "$n"); do "$@" && return 0; sleep 0.5; done; return 1; }

# --- configuration errors: exit 2, naming file, line and key --------------------------------
printf 'port = 23910\nmax_records = 0\n' > "$tmp/bad.toml"
expect 2 "--check-config: out of range" -- "$BIN/shoald" --check-config "$tmp/bad.toml"
contains "$err" "$tmp/bad.toml:2:1: max_records: 0 is out of range" "the error names file, line and key"
printf 'prot = 1\n' > "$tmp/bad2.toml"
expect 2 "--config: unknown key" -- "$BIN/shoald" --config "$tmp/bad2.toml"
contains "$err" "bad2.toml:1:1: unknown key 'prot'" "an unknown key is named"
printf 'port = "x"\n' > "$tmp/bad3.toml"
expect 2 "wrong type" -- "$BIN/shoald" --check-config "$tmp/bad3.toml"
contains "$err" "port: expected an integer, got a string" "a wrong type is named"
expect 2 "bad environment" -- env SHOALD_SHARDS=0 "$BIN/shoald"
contains "$err" "environment SHOALD_SHARDS: 0 is out of range" "the variable is named"
"$BIN/shoald" --print-config > "$tmp/default.toml"
expect 0 "the printed default file checks clean" -- "$BIN/shoald" --check-config "$tmp/default.toml"
expect 2 "a control address that is not HOST:PORT" -- "$BIN/shoald" --control localhost

# --- precedence: flag > environment > file ---------------------------------------------------
cat > "$tmp/node.toml" <<TOML
host = "127.0.0.1"
port = 23919
public_host = "127.0.0.1"
stats_interval = 0
shards = 2
max_records = 1000
log_level = "info"
control = "127.0.0.1:23920"
TOML
SHOALD_PORT=23918 SHOALD_SHARDS=1 "$BIN/shoald" --config "$tmp/node.toml" --port 23911 2>"$tmp/boot.log" &
boot=$!
pids+=($boot)
wait_for 10 curl -sf http://127.0.0.1:23920/healthz >/dev/null
status=$(curl -s http://127.0.0.1:23920/status)
contains "$status" '"bound": "127.0.0.1:23911"' "a flag wins over the environment and the file"
contains "$status" '"shards": 1' "the environment wins over the file"
contains "$status" "\"config_file\": \"$tmp/node.toml\"" "status names the file"
[ "$(code http://127.0.0.1:23920/healthz)" = 200 ] && echo "ok   /healthz 200" || { echo "FAIL /healthz"; failures=$((failures + 1)); }
[ "$(code -X POST -d '' http://127.0.0.1:23920/healthz)" = 405 ] && echo "ok   a wrong method is 405" || { echo "FAIL 405"; failures=$((failures + 1)); }
[ "$(code http://127.0.0.1:23920/nothing)" = 404 ] && echo "ok   an unknown path is 404" || { echo "FAIL 404"; failures=$((failures + 1)); }

# --- readiness: not ready alone, ready with peers, not ready within a minute of isolation -----
contains "$(curl -s http://127.0.0.1:23920/readyz)" "not ready" "a node with no peers is not ready"
# The peers are persistent from the start (--public-host), so what is measured is
# the node's readiness, not how fast restarted peers pass their firewall test.
start_peers() {
  for p in 23912 23913 23914; do
    "$BIN/shoald" --host 127.0.0.1 --port $p --public-host 127.0.0.1 --bootstrap 127.0.0.1:23911 --control off \
      --stats-interval 0 2>/dev/null &
    pids+=($!)
    peers+=($!)
  done
}
peers=()
start_peers
ready() { [ "$(code http://127.0.0.1:23920/readyz)" = 200 ]; }
not_ready() { [ "$(code http://127.0.0.1:23920/readyz)" = 503 ]; }
if wait_for 30 ready; then echo "ok   ready once three peers answered"; else echo "FAIL not ready with peers: $(curl -s http://127.0.0.1:23920/readyz)"; failures=$((failures + 1)); fi
expect 0 "shoal status --control: exit 0 when ready" -- "$BIN/shoal" --json status --control 127.0.0.1:23920
contains "$out" '"bound": "127.0.0.1:23911"' "it prints the node's /status"
expect 0 "shoal top --count 2" -- "$BIN/shoal" top --control 127.0.0.1:23920 --count 2
contains "$out" "requests served" "top shows requests per command"
contains "$out" "find_node" "with the commands the node served"
contains "$out" "table 3 nodes" "and the table"
expect 1 "shoal top on a closed port" -- "$BIN/shoal" top --control 127.0.0.1:23929 --count 1
contains "$err" "cannot connect" "says it cannot connect"
table=$(curl -s http://127.0.0.1:23920/routing-table)
contains "$table" '"size": 3' "/routing-table lists the three peers"
contains "$table" '"address": "127.0.0.1:2391' "with their addresses"
kill "${peers[@]}"
wait "${peers[@]}" 2>/dev/null || true
t0=$SECONDS
if wait_for 70 not_ready; then
  echo "ok   isolated: not ready after $((SECONDS - t0)) s"
  [ $((SECONDS - t0)) -le 61 ] || { echo "FAIL it took more than a minute"; failures=$((failures + 1)); }
else
  echo "FAIL still ready 70 s after its peers left"; failures=$((failures + 1))
fi
contains "$(curl -s http://127.0.0.1:23920/readyz)" "reached this node in the last minute" "the 503 body says why"
peers=()
start_peers
t0=$SECONDS
if wait_for 30 ready; then echo "ok   ready again $((SECONDS - t0)) s after peers returned"; else echo "FAIL not ready again"; failures=$((failures + 1)); fi

# --- routines: listed, stopped, re-timed; bad requests refused --------------------------------
routines=$(curl -s http://127.0.0.1:23920/routines)
for r in pings refresh expiry snapshot status_line; do contains "$routines" "\"name\": \"$r\"" "/routines lists $r"; done
changed=$(curl -s -X POST -d '' 'http://127.0.0.1:23920/routines/expiry?interval=12')
contains "$changed" '"interval_seconds": 15.0' "expiry re-timed to 12 s runs on whole ticks (15 s)"
changed=$(curl -s -X POST -d '' 'http://127.0.0.1:23920/routines/pings?action=stop')
contains "$changed" '"enabled": false' "pings stopped"
contains "$(curl -s http://127.0.0.1:23920/routines)" '"enabled": false' "and listed as stopped"
curl -s -X POST -d '' 'http://127.0.0.1:23920/routines/pings?action=start' >/dev/null
[ "$(code -X POST -d '' 'http://127.0.0.1:23920/routines/nothing?action=stop')" = 404 ] && echo "ok   an unknown routine is 404" || { echo "FAIL unknown routine"; failures=$((failures + 1)); }
[ "$(code -X POST -d '' 'http://127.0.0.1:23920/routines/pings?interval=0')" = 400 ] && echo "ok   a bad interval is 400" || { echo "FAIL bad interval"; failures=$((failures + 1)); }

# --- /metrics: promtool and a real Prometheus scrape -------------------------------------------
curl -s http://127.0.0.1:23920/metrics > "$tmp/metrics.txt"
contains "$(cat "$tmp/metrics.txt")" 'shoal_dht_requests_total{shard="0",command="ping"}' "per-command counters carry shard and command labels"
contains "$(cat "$tmp/metrics.txt")" 'shoal_node_ready 1' "the readiness gauge"
contains "$(cat "$tmp/metrics.txt")" 'shoal_dht_rpc_rtt_seconds_bucket{shard="0",le="+Inf"}' "request round-trip times as a histogram"
if command -v promtool >/dev/null; then
  if lint=$(promtool check metrics < "$tmp/metrics.txt" 2>&1); then echo "ok   promtool check metrics"; else echo "FAIL promtool: $lint"; failures=$((failures + 1)); fi
else
  echo "FAIL promtool missing (scripts/setup.sh installs prometheus)"; failures=$((failures + 1))
fi
if command -v prometheus >/dev/null; then
  cat > "$tmp/prom.yml" <<YML
global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: shoald
    static_configs: [{targets: ["127.0.0.1:23920"]}]
YML
  prometheus --config.file="$tmp/prom.yml" --storage.tsdb.path="$tmp/tsdb" --web.listen-address=127.0.0.1:23921 \
    --log.level=warn 2>"$tmp/prom.log" &
  pids+=($!)
  scraped() { curl -s 'http://127.0.0.1:23921/api/v1/query?query=shoal_node_table_nodes' | grep -q '"value":\[[0-9.]*,"3"\]'; }
  if wait_for 30 scraped; then
    echo "ok   a real Prometheus server scraped shoal_node_table_nodes = 3"
    up=$(curl -s -G --data-urlencode 'query=up{job="shoald"}' http://127.0.0.1:23921/api/v1/query)
    contains "$up" '"1"]' "Prometheus reports the target up"
    errs=$(curl -s 'http://127.0.0.1:23921/api/v1/targets' | grep -o '"lastError":"[^"]*"' | sort -u)
    contains "$errs" '"lastError":""' "the scrape had no error"
  else
    echo "FAIL Prometheus did not scrape: $(tail -5 "$tmp/prom.log")"; failures=$((failures + 1))
  fi
else
  echo "FAIL prometheus missing (scripts/setup.sh installs it)"; failures=$((failures + 1))
fi

# --- SIGHUP: a good file applies, a bad file is refused and the old settings stay ------------------
sed -i 's/log_level = "info"/log_level = "debug"/; s/max_records = 1000/max_records = 2000/' "$tmp/node.toml"
kill -HUP $boot
wait_for 5 grep -q 'SIGHUP: log_level "info" -> "debug"' "$tmp/boot.log" && echo "ok   SIGHUP applies log_level" ||
  { echo "FAIL SIGHUP log_level: $(tail -3 "$tmp/boot.log")"; failures=$((failures + 1)); }
contains "$(cat "$tmp/boot.log")" "SIGHUP: max_records changed" "a start-only key is said to wait for a restart"
printf 'log_level = "loud"\n' > "$tmp/node.toml"
kill -HUP $boot
wait_for 5 grep -q 'SIGHUP: keeping the running settings' "$tmp/boot.log" && echo "ok   SIGHUP with a bad file keeps the settings" ||
  { echo "FAIL bad SIGHUP: $(tail -3 "$tmp/boot.log")"; failures=$((failures + 1)); }
contains "$(grep 'keeping the running' "$tmp/boot.log")" "node.toml:1:1: log_level" "and says where the file is wrong"
[ "$(code http://127.0.0.1:23920/healthz)" = 200 ] && echo "ok   still serving after a bad reload" || { echo "FAIL not serving"; failures=$((failures + 1)); }
kill -TERM $boot
rc=0; wait $boot || rc=$?
[ $rc = 0 ] && echo "ok   SIGTERM exits 0" || { echo "FAIL SIGTERM exit $rc"; failures=$((failures + 1)); }
finish
