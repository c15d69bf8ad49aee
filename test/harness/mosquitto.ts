// A real mosquitto broker on a free loopback port, for one test file. It can be stopped
// and started again on the same port (broker outage tests) and is always torn down.
import fs from 'node:fs'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { freePort, waitForPort } from './ports.js'
import { startProcess, type Proc } from './process.js'
import { tempDir } from './tmp.js'

const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => fs.existsSync(p)) ?? 'mosquitto'

export interface MosquittoOptions {
  /** Extra lines for mosquitto.conf (e.g. a TLS listener or password_file). */
  extraConfig?: string[]
  /** Replace the default anonymous plain listener lines entirely. */
  listenerConfig?: (port: number, dir: string) => string[]
  /** Also a TLS listener, with a test CA, server and client certificates made by openssl. */
  tls?: boolean | { requireCertificate?: boolean }
  /** Users (name → password) in a password_file made by mosquitto_passwd; anonymous access off. */
  users?: Record<string, string>
  /** Also a websockets listener (ws://127.0.0.1:port). */
  websockets?: boolean
  /** Keep sessions and queued messages across stop()/start() (persistence in the broker dir). */
  persistence?: boolean
}

/** Test PKI written by openssl into the broker directory (PEM file paths). */
export interface TestPki {
  ca: string
  serverCert: string
  serverKey: string
  clientCert: string
  clientKey: string
}

export interface Mosquitto {
  port: number
  url: string
  dir: string
  start(): Promise<void>
  stop(): Promise<void>
  output(): string
  /** pid of the broker (leader of its process group), null while stopped. */
  pid(): number | null
  /** Present when started with `tls`: mqtts://127.0.0.1:<port> and the PEM files. */
  tls?: { port: number; url: string } & TestPki
  /** Present when started with `websockets`. */
  wsUrl?: string
}

interface Teardown {
  teardown(fn: () => void | Promise<void>): void
}

export async function startMosquitto(t: Teardown, opts: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = tempDir(t, 'edgewatch-mosquitto-')
  const port = await freePort()
  const listener = opts.listenerConfig
    ? opts.listenerConfig(port, dir)
    : [`listener ${port} 127.0.0.1`, 'allow_anonymous true']
  const extra: string[] = []
  let tls: Mosquitto['tls']
  let wsUrl: string | undefined
  if (opts.tls) {
    const pki = makeTestPki(dir)
    const tlsPort = await freePort()
    const require = typeof opts.tls === 'object' && opts.tls.requireCertificate === true
    extra.push(
      `listener ${tlsPort} 127.0.0.1`,
      `cafile ${pki.ca}`,
      `certfile ${pki.serverCert}`,
      `keyfile ${pki.serverKey}`,
      `require_certificate ${require}`,
    )
    tls = { port: tlsPort, url: `mqtts://127.0.0.1:${tlsPort}`, ...pki }
  }
  if (opts.websockets) {
    const wsPort = await freePort()
    extra.push(`listener ${wsPort} 127.0.0.1`, 'protocol websockets')
    wsUrl = `ws://127.0.0.1:${wsPort}`
  }
  if (opts.users) {
    const file = path.join(dir, 'passwords')
    fs.writeFileSync(file, '')
    for (const [user, pass] of Object.entries(opts.users)) {
      execFileSync('mosquitto_passwd', ['-b', file, user, pass], { stdio: 'pipe' })
    }
    // Global settings (per_listener_settings false): apply to every listener.
    extra.push(`password_file ${file}`, 'allow_anonymous false')
  }
  // Started as root, mosquitto drops to the "mosquitto" user, which cannot read our
  // 0700 temp dir (password file, persistence); stay root in tests.
  const asRoot = process.getuid?.() === 0 && (opts.users || opts.persistence || opts.tls) ? ['user root'] : []
  const conf = path.join(dir, 'mosquitto.conf')
  fs.writeFileSync(
    conf,
    [
      ...listener,
      ...asRoot,
      ...(opts.persistence
        ? ['persistence true', `persistence_location ${dir}/`, 'max_queued_messages 0']
        : ['persistence false']),
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      ...(opts.extraConfig ?? []),
      ...extra,
    ].join('\n') + '\n',
  )
  let proc: Proc | null = null
  let log = ''
  const broker: Mosquitto = {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    async start() {
      if (proc) return
      proc = startProcess(MOSQUITTO, ['-c', conf])
      const p = proc
      void p.exited.then(() => {
        log += p.output()
        if (proc === p) proc = null
      })
      await waitForPort(port)
      if (tls) await waitForPort(tls.port)
    },
    async stop() {
      const p = proc
      proc = null
      if (p) await p.kill('SIGTERM')
    },
    output: () => log + (proc ? proc.output() : ''),
    pid: () => proc?.child.pid ?? null,
    ...(tls ? { tls } : {}),
    ...(wsUrl ? { wsUrl } : {}),
  }
  t.teardown(() => broker.stop())
  await broker.start()
  return broker
}

/** A throw-away CA, a server certificate for 127.0.0.1/localhost and a client certificate. */
export function makeTestPki(dir: string): TestPki {
  const f = (name: string) => path.join(dir, name)
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  run([
    'req',
    '-x509',
    ...key,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=edgewatch-test-ca',
  ])
  fs.writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  for (const [name, cn, ext] of [
    ['server', '127.0.0.1', ['-extfile', f('server.ext')]],
    ['client', 'edgewatch-test-client', []],
  ] as const) {
    run(['req', ...key, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`])
    run([
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${name}.pem`),
      '-days',
      '2',
      ...ext,
    ])
  }
  return {
    ca: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
  }
}
