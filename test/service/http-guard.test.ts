// The HTTP guard on a real server (node:http requests, which may set any Host header):
// DNS rebinding (a foreign Host), cross-site POSTs (a foreign Origin, a form or text
// content type) and, with http.token, requests without the token are refused before any
// route runs; /healthz stays open; same-origin requests and the CLI's go through.
import t, { type Test } from 'tap'
import http from 'node:http'
import os from 'node:os'
import { pino } from 'pino'
import { StatusHttpServer } from '../../src/service/http-server.js'
import { HttpRoutes, sendJson } from '../../src/service/http-routes.js'
import { HttpGuard, hostOf, type GuardOptions } from '../../src/service/http-guard.js'
import { daemonHeaders } from '../../src/cli/commands/daemon-http.js'
import { parseConfig } from '../../src/config/load.js'

const TOKEN = 'a-long-random-token-0123456789'

async function serve(t: Test, guard: Partial<GuardOptions>) {
  const routes = new HttpRoutes()
  let reloads = 0
  routes.add({ method: 'GET', path: '/healthz', handle: (_q, res) => sendJson(res, 200, { status: 'ok' }) })
  routes.add({
    method: 'GET',
    path: '/api/status',
    handle: (_q, res) => sendJson(res, 200, { state: 'running' }),
  })
  routes.add({
    method: 'POST',
    path: '/api/reload',
    handle: (_q, res) => sendJson(res, 200, { n: ++reloads }),
  })
  const server = new StatusHttpServer({
    listen: '127.0.0.1:0',
    log: pino({ level: 'silent' }),
    routes,
    guard: new HttpGuard({ listenHost: '127.0.0.1', hosts: [], allowRemote: false, token: null, ...guard }),
  })
  await server.start()
  t.teardown(() => server.stop())
  const port = server.address()!.port
  const request = (
    method: string,
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> =>
    new Promise((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } },
        (res) => {
          let body = ''
          res.on('data', (d: Buffer) => (body += d.toString()))
          res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }))
        },
      )
      req.on('error', reject)
      req.end(method === 'POST' ? '{}' : undefined)
    })
  return { port, request, reloads: () => reloads }
}

t.test('Host must be a name of this server (DNS rebinding)', async (t) => {
  const s = await serve(t, {})
  const evil = await s.request('GET', '/api/status', { host: `evil.example:${s.port}` })
  t.equal(evil.status, 421, 'Host: evil.example refused')
  t.match(evil.body, /Host "evil.example" is not a name of this server; add it to http.hosts/)
  for (const host of [
    `127.0.0.1:${s.port}`,
    `localhost:${s.port}`,
    `[::1]:${s.port}`,
    'LOCALHOST',
    'cam.localhost',
  ])
    t.equal((await s.request('GET', '/api/status', { host })).status, 200, `Host: ${host}`)
  const listed = await serve(t, { hosts: ['gate-01.lan'] })
  t.equal(
    (await listed.request('GET', '/api/status', { host: 'gate-01.lan:9310' })).status,
    200,
    'http.hosts',
  )
  t.equal((await listed.request('GET', '/api/status', { host: 'gate-02.lan' })).status, 421)
})

t.test(
  'POSTs: cross-origin and form/text content types refused; JSON from the same origin accepted',
  async (t) => {
    const s = await serve(t, {})
    const self = `http://127.0.0.1:${s.port}`
    // The attack: a cross-site form post.
    const form = await s.request('POST', '/api/reload', {
      'content-type': 'text/plain',
      origin: 'http://evil.example',
    })
    t.equal(form.status, 403, 'text/plain from Origin evil.example')
    t.equal((await s.request('POST', '/api/reload', { 'content-type': 'text/plain' })).status, 415)
    t.equal(
      (await s.request('POST', '/api/reload', { 'content-type': 'application/x-www-form-urlencoded' }))
        .status,
      415,
    )
    t.equal(
      (await s.request('POST', '/api/reload', { 'content-type': 'multipart/form-data; boundary=x' })).status,
      415,
    )
    const none = await s.request('POST', '/api/reload')
    t.equal(none.status, 415, 'no content type')
    t.match(none.body, /needs Content-Type: application\/json/)
    t.equal(
      (
        await s.request('POST', '/api/reload', {
          'content-type': 'application/json',
          origin: 'http://evil.example',
        })
      ).status,
      403,
      'JSON from a foreign origin (would need a preflight the server never grants)',
    )
    t.equal(
      (
        await s.request('POST', '/api/reload', {
          'content-type': 'application/json',
          'sec-fetch-site': 'cross-site',
        })
      ).status,
      403,
    )
    t.equal(s.reloads(), 0, 'no refused request reached the route')
    t.equal(
      (await s.request('POST', '/api/reload', { 'content-type': 'application/json', origin: self })).status,
      200,
    )
    t.equal(
      (await s.request('POST', '/api/reload', daemonHeaders(parseConfig(CFG, '<inline>', OPTS), 'POST')))
        .status,
      200,
      'the CLI headers',
    )
    t.equal(s.reloads(), 2)
  },
)

t.test('with a token: everything but /healthz needs it; Bearer or Basic', async (t) => {
  const s = await serve(t, { token: TOKEN })
  const bare = await s.request('GET', '/api/status')
  t.equal(bare.status, 401)
  t.match(bare.headers['www-authenticate'], /^Basic realm="edgewatch"/, 'a browser asks for it')
  t.equal(
    (await s.request('GET', '/api/status', { authorization: 'Bearer wrong-token-0123456789' })).status,
    401,
  )
  t.equal((await s.request('GET', '/api/status', { authorization: `Bearer ${TOKEN}` })).status, 200)
  const basic = Buffer.from(`anyone:${TOKEN}`).toString('base64')
  t.equal((await s.request('GET', '/api/status', { authorization: `Basic ${basic}` })).status, 200)
  t.equal((await s.request('GET', '/healthz')).status, 200, '/healthz needs no token')
  t.equal((await s.request('GET', '/nothing')).status, 401, 'unknown paths give nothing away either')
  const cfg = parseConfig(
    `${CFG}http: { listen: "0.0.0.0:9310", allow_remote: true, token: "${TOKEN}" }\n`,
    '<inline>',
    OPTS,
  )
  t.equal(
    (await s.request('POST', '/api/reload', daemonHeaders(cfg, 'POST'))).status,
    200,
    'the CLI sends the token',
  )
})

t.test('allow_remote: the config needs a token; the machine answers to its own names', async (t) => {
  let problems: unknown = null
  try {
    parseConfig(`${CFG}http: { listen: "0.0.0.0:9310", allow_remote: true }\n`, '<inline>', OPTS)
  } catch (err) {
    problems = (err as { problems?: unknown }).problems
  }
  t.match(problems, [{ path: 'http.token', message: /^required with http\.allow_remote: true/ }])
  const s = await serve(t, { listenHost: '0.0.0.0', allowRemote: true, token: TOKEN })
  const auth = { authorization: `Bearer ${TOKEN}` }
  t.equal(
    (await s.request('GET', '/api/status', { host: os.hostname(), ...auth })).status,
    200,
    'its host name',
  )
  t.equal((await s.request('GET', '/api/status', { host: 'evil.example', ...auth })).status, 421)
})

t.test('Host header parsing', async (t) => {
  t.equal(hostOf('127.0.0.1:9310'), '127.0.0.1')
  t.equal(hostOf('[::1]:9310'), '::1')
  t.equal(hostOf('example.com'), 'example.com')
  t.equal(hostOf(''), null)
  t.equal(hostOf('a b'), null)
  t.equal(hostOf('::1'), null, 'an IPv6 address needs its brackets')
})

const CFG = 'cameras: { a: { url: "rtsp://127.0.0.1:9/a" } }\n'
const OPTS = { env: {}, checkFiles: false }
