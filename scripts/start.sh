#!/usr/bin/env bash
# scripts/start.sh [NODES] [BASE_PORT]
# Sets everything up, builds only the binaries it runs (shoald, shoal,
# shoal-load) and runs a local shoal network in the foreground: NODES (default
# 5) shoald processes on 127.0.0.1, ports BASE_PORT.. (default 10001..), the
# first a bootstrap node, each with its control listener (metrics, health,
# status) on 127.0.0.1:BASE_PORT+1000+i. Ctrl-C stops it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
nodes=${1:-5}
base=${2:-10001}
case "$nodes" in ''|*[!0-9]*) echo "start.sh: NODES must be a number" >&2; exit 2 ;; esac
case "$base" in ''|*[!0-9]*) echo "start.sh: BASE_PORT must be a number" >&2; exit 2 ;; esac
[ "$nodes" -ge 1 ] && [ $((base + 1000 + nodes - 1)) -le 65535 ] || { echo "start.sh: bad NODES/BASE_PORT" >&2; exit 2; }

# Only what the network and the banner's commands run: not the tests, fuzzers or benchmarks.
bin=$("$here/scripts/build.sh" shoald shoal shoal-load | tail -n 1)
logs=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; echo "stopped; logs in $logs"; }
trap cleanup EXIT INT TERM

for i in $(seq 0 $((nodes - 1))); do
  port=$((base + i))
  args=(--host 127.0.0.1 --port "$port" --public-host 127.0.0.1 --control "127.0.0.1:$((port + 1000))")
  [ "$i" -gt 0 ] && args+=(--bootstrap "127.0.0.1:$base")
  "$bin/shoald" "${args[@]}" 2>"$logs/shoald-$port.log" &
  pids+=($!)
  sleep 0.1
done
sleep 1
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || { echo "a node failed to start:" >&2; cat "$logs"/*.log >&2; exit 1; }; done

cat <<EOT
shoal network up: $nodes nodes on 127.0.0.1:$base-$((base + nodes - 1)) (bootstrap 127.0.0.1:$base)
logs: $logs
control listeners: 127.0.0.1:$((base + 1000))-$((base + 1000 + nodes - 1)), e.g. for the bootstrap node
  curl http://127.0.0.1:$((base + 1000))/metrics      (Prometheus)
  curl http://127.0.0.1:$((base + 1000))/status       (JSON; also /readyz, /healthz, /routing-table)
  $bin/shoal top --control 127.0.0.1:$((base + 1000))    (live rates, drops, store, table)

Talk to it with the real HyperDHT client, e.g. list the nodes a client finds:
  NODE_PATH=$here/tests/interop/node_modules node -e "
    const DHT = require('hyperdht');
    const d = new DHT({ bootstrap: ['127.0.0.1:$base'], host: '127.0.0.1' });
    d.fullyBootstrapped().then(() => { console.log(d.toArray()); return d.destroy() })"

or with shoal's own client:
  $bin/shoal --bootstrap 127.0.0.1:$base status 127.0.0.1:$base
  $bin/shoal --bootstrap 127.0.0.1:$base announce --topic-string hello --seed \$($bin/shoal keygen | sed -n 's/^seed *//p')
  $bin/shoal --bootstrap 127.0.0.1:$base lookup --topic-string hello
  $bin/shoal-load --target 127.0.0.1:$base --mix find_node=3,lookup=1 --duration 5

Ctrl-C stops the network.
EOT
wait
