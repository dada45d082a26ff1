// Generates tests/dht/vectors/nat-sampler.json from the reference nat-sampler
// (the version pinned in tests/interop/package-lock.json):
//   node tests/dht/gen/nat_sampler_vectors.js > tests/dht/vectors/nat-sampler.json
// Every third case comes from a NAT that randomises ports. Each case is a sequence of samples and the sampler's (host, port) after each.
const NatSampler = require('../../interop/node_modules/nat-sampler')

let seed = 20261121
function rnd (n) { // small LCG so the file is reproducible
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed % n
}

const cases = []
for (let c = 0; c < 120; c++) {
  const hosts = ['1.2.3.4', '5.6.7.8', '9.9.9.9'].slice(0, 1 + rnd(3))
  const ports = [1000, 2000, 3000, 4000].slice(0, 1 + rnd(4))
  const randomPorts = c % 3 === 0 // a NAT that picks a new port per destination
  const s = new NatSampler()
  const steps = []
  const n = 1 + rnd(60)
  for (let i = 0; i < n; i++) {
    const host = randomPorts ? hosts[0] : hosts[rnd(hosts.length)]
    const port = randomPorts ? 1024 + rnd(60000) : ports[rnd(ports.length)]
    s.add(host, port)
    steps.push({ add: host + ':' + port, host: s.host, port: s.port })
  }
  cases.push(steps)
}
process.stdout.write(JSON.stringify(cases) + '\n')
