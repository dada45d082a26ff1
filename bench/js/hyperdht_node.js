// The JavaScript reference node for side-by-side benchmarks: the pinned npm
// hyperdht (tests/interop/package-lock.json), made with its own bootstrapper
// constructor so it is persistent at 127.0.0.1:PORT from the start and
// serves every storage command, like `shoald --public-host`.
//   NODE_PATH=tests/interop/node_modules node bench/js/hyperdht_node.js PORT
'use strict'
const DHT = require('hyperdht')

const port = Number(process.argv[2])
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: hyperdht_node.js PORT')
  process.exit(2)
}

const node = DHT.bootstrapper(port, '127.0.0.1', { host: '127.0.0.1' })
node.fullyBootstrapped().then(() => {
  if (!node.id) {
    console.error('hyperdht_node: did not become persistent')
    process.exit(1)
  }
  console.error(`hyperdht_node: listening on 127.0.0.1:${port}, id ${node.id.toString('hex')}`)
})

async function stop () {
  await node.destroy()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
