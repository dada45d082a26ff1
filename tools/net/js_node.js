// A persistent JS hyperdht node for shoal-net (tools/net/process_set.h).
//
//   NODE_PATH=tests/interop/node_modules node tools/net/js_node.js \
//       --host 127.0.0.1 --port 23010 --bootstrap 127.0.0.1:23000
//
// Binds exactly host:port (no fallback port: its id must be H(host:port)),
// joins through --bootstrap, and once bootstrapped prints one JSON line
//   {"ready":true,"port":P,"persistent":true,"id":"<64 hex>"}
// which shoal-net waits for and checks. Exits on SIGTERM/SIGINT after
// destroying the node; shoal-net's children also die with it (PDEATHSIG).
'use strict'
const DHT = require('hyperdht')

function parseArgs (argv) {
  const out = {}
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]
    const v = argv[i + 1]
    if (!k.startsWith('--') || v === undefined) fail(`bad argument ${k}`)
    out[k.slice(2)] = v
  }
  for (const k of ['host', 'port', 'bootstrap']) if (!out[k]) fail(`--${k} is required`)
  const port = Number(out.port)
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`bad --port ${out.port}`)
  const [bhost, bport] = out.bootstrap.split(':')
  if (!bhost || !(Number(bport) > 0)) fail(`bad --bootstrap ${out.bootstrap}`)
  return { host: out.host, port, bootstrap: [{ host: bhost, port: Number(bport) }] }
}

function fail (msg) {
  console.error(`js_node: ${msg}`)
  process.exit(2)
}

async function main () {
  const a = parseArgs(process.argv.slice(2))
  const dht = new DHT({
    host: a.host,
    port: a.port,
    anyPort: false,
    ephemeral: false,
    firewalled: false,
    bootstrap: a.bootstrap
  })
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    try { await dht.destroy() } catch {}
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  await dht.fullyBootstrapped()
  const bound = dht.address().port
  if (bound !== a.port) fail(`bound port ${bound}, wanted ${a.port}`)
  console.log(JSON.stringify({
    ready: true,
    port: bound,
    persistent: !dht.ephemeral,
    id: dht.id ? dht.id.toString('hex') : null
  }))
}

main().catch((err) => fail(err && err.stack ? err.stack : String(err)))
