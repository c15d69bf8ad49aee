// A real GStreamer RTSP server (scripts/lib/rtsp_server.py under Debian's python3 with
// gst-rtsp-server) on a free loopback port. Killable and restartable on the same port.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from './ports.js'
import { startProcess, waitForOutput, type Proc } from './process.js'

const SCRIPT = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'scripts',
  'lib',
  'rtsp_server.py',
)
// Debian's interpreter has python3-gi; the python3 first on PATH may not.
const PYTHON = '/usr/bin/python3'

export interface RtspServerOptions {
  /**
   * mount path → preset (`testsrc`, `testsrc-h265`, `testsrc-switch`, `audio-only`, `file:/path.mp4`)
   * or a launch line ending in pay0.
   */
  mounts?: Record<string, string>
  width?: number
  height?: number
  fps?: number
  user?: string
  password?: string
  /** `testsrc-switch`: seconds between resolution flips (WxH ↔ W/2xH/2). */
  switchEvery?: number
}

export interface RtspServer {
  port: number
  /** rtsp://127.0.0.1:port/mount (with credentials when the server has them). */
  url(mount: string, withCredentials?: boolean): string
  start(): Promise<void>
  stop(signal?: NodeJS.Signals): Promise<void>
  output(): string
  /** pid of the server process (leader of its process group), null while stopped. */
  pid(): number | null
}

interface Teardown {
  teardown(fn: () => void | Promise<void>): void
}

export async function startRtspServer(t: Teardown, opts: RtspServerOptions = {}): Promise<RtspServer> {
  const port = await freePort()
  const mounts = opts.mounts ?? { '/cam': 'testsrc' }
  const args = [SCRIPT, '--port', String(port)]
  for (const [m, spec] of Object.entries(mounts)) args.push('--mount', `${m}=${spec}`)
  if (opts.width) args.push('--width', String(opts.width))
  if (opts.height) args.push('--height', String(opts.height))
  if (opts.fps) args.push('--fps', String(opts.fps))
  if (opts.switchEvery) args.push('--switch-every', String(opts.switchEvery))
  if (opts.user) args.push('--user', opts.user, '--password', opts.password ?? '')
  let proc: Proc | null = null
  const server: RtspServer = {
    port,
    url(mount, withCredentials = true) {
      const cred = withCredentials && opts.user ? `${opts.user}:${opts.password ?? ''}@` : ''
      return `rtsp://${cred}127.0.0.1:${port}${mount.startsWith('/') ? mount : `/${mount}`}`
    },
    async start() {
      if (proc) return
      const p = startProcess(PYTHON, args)
      proc = p
      void p.exited.then(() => {
        if (proc === p) proc = null
      })
      await waitForOutput(p, (o) => o.includes('READY') || o.includes('ERROR'), 20_000)
      if (!p.output().includes('READY')) throw new Error(`RTSP server failed: ${p.output()}`)
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const p = proc
      proc = null
      if (p) await p.kill(signal)
    },
    output: () => proc?.output() ?? '',
    pid: () => proc?.child.pid ?? null,
  }
  t.teardown(() => server.stop('SIGKILL'))
  await server.start()
  return server
}
