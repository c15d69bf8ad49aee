// Fuzzing the local HTTP server of a real daemon (every extension's routes, the guard,
// the token): seeded random methods, paths (route names, prototype keys, escapes good and
// bad, unicode, very long), headers (Host, Origin, Content-Type, Authorization, garbage)
// and bodies, plus raw garbage on the socket. Never a 500, never a crash: the daemon
// answers every request and is still serving at the end.
import t from 'tap'
import http from 'node:http'
import net from 'node:net'
import { startLifecycleDaemon } from '../service/lifecycle-harness.js'
import { count, ODD, Random, seeds } from './random.js'

const TOKEN = 'fuzz-token-0123456789abcdef'

/** Percent-encoded text; a lone surrogate (which encodeURIComponent refuses) as its raw bytes. */
function encoded(text: string): string {
  try {
    return encodeURIComponent(text)
  } catch {
    return '%ED%A0%80'
  }
}

function path(r: Random, camera: string): string {
  const seg = () =>
    r.pick([
      camera,
      'toString',
      '__proto__',
      'constructor',
      'hasOwnProperty',
      '%',
      '%E0%A4%A',
      '%ZZ',
      '%00',
      '%2F',
      encoded(r.string(r.int(1, 8), ODD)),
      '%ED%A0%80',
      '..',
      '.',
      '',
      r
        .string(r.int(1, 20))
        .replace(/[^\x21-\x7e]/g, 'x')
        .replace(/[?#]/g, ''),
      'x'.repeat(r.pick([100, 5000])),
    ])
  const base = r.pick([
    '/',
    '/index.html',
    '/healthz',
    '/metrics',
    '/api/status',
    '/api/reload',
    `/cameras/${seg()}/latest.jpg`,
    `/cameras/${seg()}`,
    `/${seg()}/${seg()}`,
    `//${seg()}`,
    '/api/status/',
    '/API/STATUS',
  ])
  return base + (r.chance(0.2) ? `?${seg()}=${seg()}&${seg()}` : '')
}

function headers(r: Random, port: number): Record<string, string> {
  const h: Record<string, string> = {}
  // Mostly a valid Host and token, so that requests get past the guard to the routes.
  h.host = r.chance(0.7)
    ? r.pick([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`])
    : r.pick(['evil.example', '', 'a b', '127.0.0.1:x', `evil.example:${port}`])
  if (r.chance(0.6))
    h.authorization = r.pick([
      `Bearer ${TOKEN}`,
      `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`,
      'Bearer',
      'Basic !!!',
      `Bearer ${r.string(30)}`,
      r.string(10),
    ])
  if (r.chance(0.4))
    h['content-type'] = r.pick([
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-8',
      r.string(8),
    ])
  if (r.chance(0.3))
    h.origin = r.pick([`http://127.0.0.1:${port}`, 'http://evil.example', 'null', r.string(12)])
  if (r.chance(0.2))
    h['sec-fetch-site'] = r.pick(['same-origin', 'cross-site', 'none', 'same-site', r.string(5)])
  if (r.chance(0.1))
    h[`x-${r.string(5).replace(/[^a-z]/gi, 'a')}`] = r.string(r.int(0, 200)).replace(/[^\x20-\x7e]/g, '?')
  return h
}

function request(
  port: number,
  method: string,
  p: string,
  h: Record<string, string>,
  body: Uint8Array | null,
) {
  return new Promise<number | string>((resolve) => {
    let req: http.ClientRequest
    try {
      req = http.request({ host: '127.0.0.1', port, method, path: p, headers: h, timeout: 20_000 }, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode!))
        res.on('error', () => resolve('response error'))
      })
    } catch (err) {
      resolve(`client refused: ${(err as Error).message}`) // an invalid request Node will not even send
      return
    }
    req.on('error', (err) => resolve(`socket: ${err.message}`))
    req.on('timeout', () => {
      req.destroy()
      resolve('timeout')
    })
    req.end(body ?? undefined)
  })
}

function raw(port: number, bytes: Uint8Array): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.end(bytes))
    let out = ''
    s.on('data', (d: Buffer) => (out += d.toString('latin1')))
    s.on('close', () => resolve(out.split('\r\n')[0] ?? ''))
    s.on('error', () => resolve('reset'))
    s.setTimeout(10_000, () => s.destroy())
  })
}

t.test('HTTP: random requests never get a 500 and never bring the daemon down', async (t) => {
  const d = await startLifecycleDaemon(t, { http: `token: "${TOKEN}"` })
  await d.waitLog(/^camera streaming$/)
  const port = Number(new URL(d.base).port)
  const statuses = new Map<number | string, number>()
  let cases = 0
  const started = Date.now()
  for (const seed of seeds([5, 8080, 31337])) {
    const r = new Random(seed)
    const n = count(1000)
    const inflight: Promise<void>[] = []
    for (let i = 0; i < n; i++) {
      const method = r.pick([
        'GET',
        'GET',
        'GET',
        'HEAD',
        'POST',
        'PUT',
        'DELETE',
        'OPTIONS',
        'PATCH',
        'PROPFIND',
        'TRACE',
      ])
      const p = path(r, d.camera)
      const h = headers(r, port)
      const body = r.chance(0.3) ? r.bytes(r.pick([0, 1, 100, 70_000])) : null
      const rawBytes = r.chance(0.05) ? r.bytes(r.int(1, 400)) : null
      const one = (rawBytes ? raw(port, rawBytes) : request(port, method, p, h, body)).then((status) => {
        cases++
        const key = typeof status === 'number' ? status : status.split(':')[0]!
        statuses.set(key, (statuses.get(key) ?? 0) + 1)
        if (status === 500 || (typeof status === 'number' && status > 500 && status !== 503))
          t.fail(`seed ${seed} case ${i}: ${method} ${p.slice(0, 80)} ${JSON.stringify(h)} -> ${status}`)
        if (typeof status === 'string' && /^HTTP\/1\.1 5/.test(status))
          t.fail(`seed ${seed} raw case ${i}: ${status}`)
      })
      inflight.push(one)
      if (inflight.length >= 4) await inflight.shift()
    }
    await Promise.all(inflight)
  }
  t.comment(
    `${cases} requests in ${Date.now() - started} ms: ${JSON.stringify(Object.fromEntries(statuses))}`,
  )
  t.equal(d.proc.child.exitCode, null, 'the daemon is still running')
  const alive = await request(
    port,
    'GET',
    '/api/status',
    { host: `127.0.0.1:${port}`, authorization: `Bearer ${TOKEN}` },
    null,
  )
  t.equal(alive, 200, 'and still answers')
  t.notOk(
    d.lines().some((l) => l.msg === 'HTTP handler failed'),
    'no handler threw',
  )
  process.kill(d.pid, 'SIGTERM')
  t.same(await d.proc.exited, { code: 0, signal: null })
})
