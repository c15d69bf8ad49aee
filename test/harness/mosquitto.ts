// A real mosquitto broker on a free loopback port, for one test file. It can be stopped
// and started again on the same port (broker outage tests) and is always torn down.
import fs from 'node:fs'
import path from 'node:path'
import { freePort, waitForPort } from './ports.js'
import { startProcess, type Proc } from './process.js'
import { tempDir } from './tmp.js'

const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => fs.existsSync(p)) ?? 'mosquitto'

export interface MosquittoOptions {
  /** Extra lines for mosquitto.conf (e.g. a TLS listener or password_file). */
  extraConfig?: string[]
  /** Replace the default anonymous plain listener lines entirely. */
  listenerConfig?: (port: number, dir: string) => string[]
}

export interface Mosquitto {
  port: number
  url: string
  dir: string
  start(): Promise<void>
  stop(): Promise<void>
  output(): string
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
  const conf = path.join(dir, 'mosquitto.conf')
  fs.writeFileSync(
    conf,
    [
      ...listener,
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      ...(opts.extraConfig ?? []),
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
    },
    async stop() {
      const p = proc
      proc = null
      if (p) await p.kill('SIGTERM')
    },
    output: () => log + (proc ? proc.output() : ''),
  }
  t.teardown(() => broker.stop())
  await broker.start()
  return broker
}
