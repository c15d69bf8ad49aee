// The local API against the attacks found on a running daemon (issue 17), now refused,
// and what must keep working: a DNS-rebinding read of /api/status (Host: evil.example),
// a cross-site form POST to /api/reload, requests without the token when http.token is
// set (given through the environment, as the unit's EnvironmentFile would); `edgewatch
// status` and `edgewatch reload` with the token from the config; and the camera routes'
// answers to odd names (an Object.prototype key is no camera, a bad escape is a bad
// request, neither a 5xx).
import t from 'tap'
import http from 'node:http'
import { runCli } from '../harness/cli.js'
import { startLifecycleDaemon } from './lifecycle-harness.js'

const TOKEN = 'tok-3f9a8c1d2e7b6a5f4c3d'

function request(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; body: string }> {
  const u = new URL(base)
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, method, path, headers: { host: u.host, ...headers } },
      (res) => {
        let text = ''
        res.on('data', (d: Buffer) => (text += d.toString()))
        res.on('end', () => resolve({ status: res.statusCode!, body: text }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

t.test('the three attacks are refused; the CLI and /healthz still work', async (t) => {
  const d = await startLifecycleDaemon(t, {
    // No token in the file: the daemon takes it from its environment.
    http: 'allow_remote: true',
    env: { EDGEWATCH_HTTP_TOKEN: TOKEN },
  })
  await d.waitLog(/^camera streaming$/)
  const auth = { authorization: `Bearer ${TOKEN}` }

  const rebinding = await request(d.base, 'GET', '/api/status', { host: 'evil.example', ...auth })
  t.equal(rebinding.status, 421, 'GET /api/status with Host: evil.example')
  const frame = await request(d.base, 'GET', `/cameras/${d.camera}/latest.jpg`, {
    host: 'evil.example:80',
    ...auth,
  })
  t.equal(frame.status, 421, 'camera frames neither')

  const form = await request(
    d.base,
    'POST',
    '/api/reload',
    { 'content-type': 'text/plain', origin: 'http://evil.example', ...auth },
    'x',
  )
  t.equal(form.status, 403, 'POST /api/reload, text/plain, Origin: http://evil.example')
  t.notOk(
    d.lines().some((l) => l.msg === 'reloading configuration'),
    'no reload happened',
  )

  t.equal((await request(d.base, 'GET', '/api/status')).status, 401, 'no token: 401')
  t.equal((await request(d.base, 'GET', '/api/status', auth)).status, 200, 'with the token: 200')
  t.equal((await request(d.base, 'GET', '/healthz')).status, 200, '/healthz without a token')

  // The CLI finds the token as the daemon does (config, else environment); without it,
  // it says where to put it.
  const without = await runCli(['status', '--config', d.file], { EDGEWATCH_HTTP_TOKEN: '' })
  t.equal(without.code, 78)
  t.match(without.stderr, /http\.token: required with http\.allow_remote: true .* as EDGEWATCH_HTTP_TOKEN/)
  const status = await runCli(['status', '--config', d.file], { EDGEWATCH_HTTP_TOKEN: TOKEN })
  t.equal(status.code, 0, status.stderr)
  t.match(status.stdout, new RegExp(`\\n${d.camera}\\s+streaming`))
  const reload = await runCli(['reload', '--config', d.file], { EDGEWATCH_HTTP_TOKEN: TOKEN })
  t.equal(reload.code, 0, reload.stderr)
  t.ok(
    d.lines().every((l) => !JSON.stringify(l).includes(TOKEN)),
    'the token never appears in the log',
  )

  for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty'])
    t.equal(
      (await request(d.base, 'GET', `/cameras/${name}/latest.jpg`, auth)).status,
      404,
      `camera "${name}": 404`,
    )
  t.equal(
    (await request(d.base, 'GET', '/cameras/%E0%A4%A/latest.jpg', auth)).status,
    400,
    'bad % escape: 400',
  )
  t.equal((await request(d.base, 'GET', '/cameras/%/latest.jpg', auth)).status, 400)

  process.kill(d.pid, 'SIGTERM')
  t.same(await d.proc.exited, { code: 0, signal: null })
})
