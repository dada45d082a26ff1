// Interop: shoald against the real npm hyperdht (pinned in package-lock.json).
//  (a) >= 5 shoald nodes form the network; JS nodes bootstrap from it and list
//      the shoald nodes in their routing tables; replies carry verifiable ids.
//  (b) shoald bootstraps from a JS testnet and the JS nodes add it; a shoald
//      without a configured address learns it and becomes persistent.
//  (c) a junk token gets error 2 and a fresh token, an unknown internal
//      command gets error 1, malformed datagrams get no reply and move a drop
//      counter, and the node keeps serving.
'use strict'
const assert = require('assert')
const DHT = require('hyperdht')
const createTestnet = require('hyperdht/testnet')
const peer = require('dht-rpc/lib/peer')
const h = require('./lib/harness')

const BASE = 21000
const LOCAL = { host: '127.0.0.1', port: 0 }

function tablePorts (dht) {
  return dht.toArray().map((n) => n.port)
}

h.run([
  ['(a) JS nodes bootstrap through 5 shoald nodes and list all of them', async () => {
    const nodes = await h.startNetwork(5, BASE, [])
    // One more with two shards: replies and table replication cross threads.
    nodes.push(await h.startShoald(['--host', '127.0.0.1', '--port', String(BASE + 5), '--public-host', '127.0.0.1',
      '--bootstrap', `127.0.0.1:${BASE}`, '--shards', '2']))
    const ports = nodes.map((_, i) => BASE + i)
    await h.sleep(500)
    const js = []
    for (let i = 0; i < 2; i++) {
      const d = new DHT({ bootstrap: [{ host: '127.0.0.1', port: BASE }], ...LOCAL })
      js.push(d)
      await d.fullyBootstrapped()
    }
    for (const d of js) {
      await h.waitFor('JS table lists every shoald node', () => ports.every((p) => tablePorts(d).includes(p)))
    }
    // A JS query walks through shoald nodes and finds them.
    const seen = new Set()
    for await (const reply of js[0].findNode(js[1].table.id)) seen.add(reply.from.port)
    assert.ok(ports.filter((p) => seen.has(p)).length >= 5, `query replies from ${[...seen]}`)
    // Every FIND_NODE reply carries id = H(127.0.0.1:port) and closer nodes.
    for (const port of ports) {
      const raw = await h.rawExchange(port, h.encodeRequest({ to: { host: '127.0.0.1', port }, command: 2, target: Buffer.alloc(32, 7) }))
      const res = h.decodeResponse(raw)
      assert.ok(res, `reply from ${port}`)
      assert.ok(res.id && res.id.equals(peer.id('127.0.0.1', port)), `id from ${port} verifies`)
      assert.ok(res.closer.length >= 4, `closer nodes from ${port}`)
      assert.strictEqual(res.token, null, 'FIND_NODE replies carry no token')
    }
    for (const d of js) await d.destroy()
    for (const n of nodes) await n.stop()
  }],

  ['(b) shoald joins a JS testnet and the JS nodes add it', async () => {
    const testnet = await createTestnet(5, { host: '127.0.0.1', port: 0 })
    const boot = testnet.bootstrap.map((b) => `${b.host}:${b.port}`).join(',')
    const port = BASE + 100
    const s = await h.startShoald(['--host', '127.0.0.1', '--port', String(port), '--public-host', '127.0.0.1', '--bootstrap', boot])
    // Persistent JS nodes add shoald when its requests carry a valid id.
    const persistentJs = testnet.nodes.filter((n) => !n.ephemeral)
    assert.ok(persistentJs.length >= 4)
    await h.waitFor('every persistent JS node lists shoald', () => persistentJs.every((n) => tablePorts(n).includes(port)))
    // Without --public-host: learns 127.0.0.1:port from the JS nodes and
    // passes the firewall test through its client socket, then persistent.
    const learnerPort = BASE + 101
    const learner = await h.startShoald(['--host', '127.0.0.1', '--port', String(learnerPort), '--bootstrap', boot])
    await h.waitFor('the learner becomes persistent', () => learner.log.includes('now persistent'), 20000)
    assert.ok(learner.log.includes('127.0.0.1:' + learnerPort), learner.log)
    await h.waitFor('JS nodes add the learner', () => persistentJs.some((n) => tablePorts(n).includes(learnerPort)))
    await learner.stop()
    await s.stop()
    await testnet.destroy()
  }],

  ['(c) bad tokens, unknown commands and malformed datagrams', async () => {
    const port = BASE + 200
    const s = await h.startShoald(['--host', '127.0.0.1', '--port', String(port), '--public-host', '127.0.0.1'])
    const to = { host: '127.0.0.1', port }
    // (1) A junk token: error 2, a fresh token, and closer nodes when there is a target.
    const bad = h.decodeResponse(await h.rawExchange(port, h.encodeRequest({ to, command: 2, token: Buffer.alloc(32, 0xab), target: Buffer.alloc(32, 1) })))
    assert.ok(bad, 'an answer to the junk token')
    assert.strictEqual(bad.error, 2)
    assert.ok(bad.token && bad.token.length === 32, 'a fresh token')
    const ok = h.decodeResponse(await h.rawExchange(port, h.encodeRequest({ to, command: 2, token: bad.token, target: Buffer.alloc(32, 1) })))
    assert.strictEqual(ok.error, 0, 'the fresh token works')
    // The same through the JS API: request() with a junk token.
    const js = new DHT({ bootstrap: [to], ...LOCAL })
    await js.fullyBootstrapped()
    const reply = await js.request({ token: Buffer.alloc(32, 9), command: 7, target: Buffer.alloc(32, 2), value: Buffer.from([0]) }, to)
    assert.strictEqual(reply.error, 2)
    assert.ok(reply.token)
    await js.destroy()
    // (2) An unknown internal command: error 1.
    const unknown = h.decodeResponse(await h.rawExchange(port, h.encodeRequest({ to, command: 99 })))
    assert.strictEqual(unknown.error, 1)
    // (3) Malformed datagrams: no reply.
    const junk = [
      Buffer.from([0x03]),                                          // too short
      Buffer.from([0x42, 0x00, 0x01]),                              // unknown type
      Buffer.from([0x03, 0x04, 0x01, 0x00, 127, 0, 0]),             // truncated address
      Buffer.from([0x03, 0x1c, 0x01, 0x00, 127, 0, 0, 1, 1, 1, 2]), // target flag, no target
      Buffer.alloc(2100, 0x03)                                      // over 2048 bytes
    ]
    for (const j of junk) assert.strictEqual(await h.rawExchange(port, j, 300), null, `no reply to ${j.subarray(0, 8).toString('hex')}`)
    // (4) Still serving.
    const ping = h.decodeResponse(await h.rawExchange(port, h.encodeRequest({ to, command: 0 })))
    assert.ok(ping && ping.error === 0, 'still answers PING')
    // The drop counters moved (reported in the final status line).
    const log = await s.stop()
    const m = /dropped (\d+) malformed/.exec(log.split('\n').filter((l) => l.includes('stopped:')).pop())
    assert.ok(m, log)
    assert.ok(Number(m[1]) >= 4, `malformed drop counter: ${m[1]}`)
  }]
])
