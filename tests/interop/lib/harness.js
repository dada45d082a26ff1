// Shared helpers for the interop tests: spawn real shoald processes, wait for
// them, talk raw dht-rpc to them, and clean up whatever happens.
'use strict'
const { spawn } = require('child_process')
const dgram = require('dgram')
const assert = require('assert')

const SHOALD = process.env.SHOALD
if (!SHOALD) {
  console.error('set SHOALD to the shoald binary (CTest does)')
  process.exit(2)
}

const children = new Set()
function killAll () {
  for (const c of children) {
    try { c.kill('SIGKILL') } catch {}
  }
}
process.on('exit', killAll)
process.on('SIGINT', () => { killAll(); process.exit(130) })

// Starts shoald with args; resolves once it logs that it is listening.
// Many nodes share the machine, so the control listener is off unless args set it.
function startShoald (args, name = 'shoald') {
  if (!args.includes('--control')) args = [...args, '--control', 'off']
  return new Promise((resolve, reject) => {
    const child = spawn(SHOALD, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    children.add(child)
    let log = ''
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${log}`)), 10000)
    child.stderr.on('data', (d) => {
      log += d.toString()
      if (log.includes('listening on')) {
        clearTimeout(timer)
        resolve(node)
      }
    })
    child.on('exit', (code) => {
      children.delete(child)
      clearTimeout(timer)
      node.exited = code
      reject(new Error(`${name} exited with ${code}: ${log}`))
    })
    const node = {
      child,
      args,
      get log () { return log },
      // Stops it with SIGTERM and resolves with its whole log.
      stop () {
        return new Promise((resolve) => {
          if (node.exited !== undefined) return resolve(log)
          child.once('exit', () => resolve(log))
          child.kill('SIGTERM')
        })
      }
    }
  })
}

// A network of n shoald nodes on 127.0.0.1 from basePort: the first a
// bootstrapper, the rest joining through it. All have public addresses.
async function startNetwork (n, basePort, extra = []) {
  const nodes = [await startShoald(['--host', '127.0.0.1', '--port', String(basePort), '--public-host', '127.0.0.1', ...extra])]
  for (let i = 1; i < n; i++) {
    nodes.push(await startShoald(['--host', '127.0.0.1', '--port', String(basePort + i), '--public-host', '127.0.0.1',
      '--bootstrap', `127.0.0.1:${basePort}`, ...extra]))
  }
  return nodes
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitFor (what, fn, timeoutMs = 15000, stepMs = 100) {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (await fn()) return
    await sleep(stepMs)
  }
  assert.fail(`timed out waiting for ${what}`)
}

// Raw dht-rpc over UDP, for frames the JS API would never send.
function encodeRequest ({ tid = 1, to, token = null, internal = true, command, target = null, value = null }) {
  const parts = []
  let flags = 0
  if (token) flags |= 2
  if (internal) flags |= 4
  if (target) flags |= 8
  if (value) flags |= 16
  const head = Buffer.alloc(10)
  head[0] = 0x03
  head[1] = flags
  head.writeUInt16LE(tid, 2)
  to.host.split('.').forEach((o, i) => { head[4 + i] = Number(o) })
  head.writeUInt16LE(to.port, 8)
  parts.push(head)
  if (token) parts.push(token)
  parts.push(Buffer.from([command]))
  if (target) parts.push(target)
  if (value) parts.push(Buffer.from([value.length]), value)
  return Buffer.concat(parts)
}

function decodeResponse (buf) {
  if (buf[0] !== 0x13) return null
  const flags = buf[1]
  let o = 10
  const res = { flags, tid: buf.readUInt16LE(2), id: null, token: null, closer: [], error: 0, value: null }
  if (flags & 1) { res.id = buf.subarray(o, o + 32); o += 32 }
  if (flags & 2) { res.token = buf.subarray(o, o + 32); o += 32 }
  if (flags & 4) {
    const n = buf[o++]
    for (let i = 0; i < n; i++, o += 6) {
      res.closer.push({ host: [...buf.subarray(o, o + 4)].join('.'), port: buf.readUInt16LE(o + 4) })
    }
  }
  if (flags & 8) res.error = buf[o++]
  if (flags & 16) { const n = buf[o++]; res.value = buf.subarray(o, o + n) }
  return res
}

// Sends raw bytes to port and waits up to ms for one reply (null if none).
function rawExchange (port, bytes, ms = 1000) {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4')
    const timer = setTimeout(() => { sock.close(); resolve(null) }, ms)
    sock.on('message', (m) => { clearTimeout(timer); sock.close(); resolve(m) })
    sock.bind(0, '127.0.0.1', () => sock.send(bytes, port, '127.0.0.1'))
  })
}

// Runs named async test cases in order; prints a line per case; exits non-zero on failure.
async function run (cases) {
  let failed = 0
  for (const [name, fn] of cases) {
    const t0 = Date.now()
    try {
      await fn()
      console.log(`ok   ${name} (${Date.now() - t0} ms)`)
    } catch (err) {
      failed++
      console.log(`FAIL ${name}: ${err && err.stack ? err.stack : err}`)
    }
  }
  killAll()
  console.log(failed ? `${failed} case(s) failed` : 'all cases passed')
  process.exit(failed ? 1 : 0)
}

module.exports = { startShoald, startNetwork, waitFor, sleep, encodeRequest, decodeResponse, rawExchange, run, SHOALD }
