// One daemon (bin/edgewatch.js) run by a benchmark: started with a config written for it,
// asked for its /api/status, measured (processed fps, RSS of it and its GStreamer
// children), stopped.
import fs from 'node:fs'
import path from 'node:path'
import { spawn, type ChildProcess } from 'node:child_process'
import { APP_ROOT } from '../config/load.js'
import { freePort } from './services.js'

const BIN = path.join(APP_ROOT, 'bin', 'edgewatch.js')

export interface CameraStatusJson {
  state: string
  fps: number
  frames: { received: number; processed: number; dropped: number; skipped: number }
}
export interface StatusJson {
  pid: number
  cameras: Record<string, CameraStatusJson>
  event_loop: { lag_ms: number; p99_ms: number }
  memory: { rss_bytes: number }
  inference: { last_ms: number; p50_ms: number } | null
}

export class Daemon {
  private proc: ChildProcess | null = null
  private port = 0
  private log = ''

  constructor(
    private readonly dir: string,
    private readonly yaml: string[],
  ) {}

  async start(): Promise<void> {
    this.port = await freePort()
    const config = path.join(this.dir, 'config.yaml')
    fs.writeFileSync(
      config,
      [
        ...this.yaml,
        `storage: { path: "${path.join(this.dir, 'bench.db')}" }`,
        `http: { listen: "127.0.0.1:${this.port}" }`,
      ].join('\n') + '\n',
    )
    const proc = spawn(process.execPath, [BIN, 'run', '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.proc = proc
    proc.stdout.on('data', (d: Buffer) => (this.log = (this.log + d.toString()).slice(-20_000)))
    proc.stderr.on('data', (d: Buffer) => (this.log = (this.log + d.toString()).slice(-20_000)))
    const deadline = Date.now() + 120_000
    while (!this.log.includes('"msg":"ready"')) {
      if (proc.exitCode !== null) throw new Error(`daemon exited: ${this.log.slice(-2000)}`)
      if (Date.now() > deadline) throw new Error(`daemon not ready: ${this.log.slice(-2000)}`)
      await sleep(200)
    }
  }

  async status(): Promise<StatusJson> {
    const res = await fetch(`http://127.0.0.1:${this.port}/api/status`)
    return (await res.json()) as StatusJson
  }

  /** Waits until every camera has processed frames (bounded). */
  async waitStreaming(cameras: string[]): Promise<void> {
    const deadline = Date.now() + 60_000
    for (;;) {
      const s = await this.status()
      if (cameras.every((c) => (s.cameras[c]?.frames.processed ?? 0) > 5)) return
      if (Date.now() > deadline) throw new Error(`cameras not streaming: ${JSON.stringify(s.cameras)}`)
      await sleep(250)
    }
  }

  /** Processed frames per camera over `seconds` (counter deltas), plus the last status. */
  async measure(seconds: number): Promise<{ fps: Record<string, number>; status: StatusJson }> {
    const a = await this.status()
    const t0 = Date.now()
    await sleep(seconds * 1000)
    const b = await this.status()
    const dt = (Date.now() - t0) / 1000
    const fps: Record<string, number> = {}
    for (const [name, cam] of Object.entries(b.cameras)) {
      fps[name] = (cam.frames.processed - (a.cameras[name]?.frames.processed ?? 0)) / dt
    }
    return { fps, status: b }
  }

  /** pids of the daemon's direct children (its GStreamer children). */
  childPids(): number[] {
    const pid = this.proc?.pid
    if (!pid) return []
    return fs
      .readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(pid)
        } catch {
          return false
        }
      })
      .map(Number)
  }

  /** RSS of the daemon (one process: main thread and worker) and of its GStreamer children. */
  memory(): { daemonMb: number; childrenMb: number[] } {
    const pid = this.proc?.pid
    if (!pid) return { daemonMb: NaN, childrenMb: [] }
    return { daemonMb: rssMb(pid), childrenMb: this.childPids().map((c) => rssMb(c)) }
  }

  async stop(): Promise<void> {
    const proc = this.proc
    if (!proc || proc.exitCode !== null) return
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve())
      proc.kill('SIGTERM')
      setTimeout(() => proc.kill('SIGKILL'), 15_000).unref()
    })
  }
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : NaN
  } catch {
    return NaN
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
