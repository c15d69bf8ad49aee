// The real daemon as a child process for lifecycle tests (stop during start, reload
// against stop, worker crashes, signals): a file camera with a name unique to the run (so
// its child is found in /proc even after the daemon is gone), a notify socket, JSON log
// lines, and EDGEWATCH_TEST_FAULT for the faults of src/runtime/faults.ts.
import fs from 'node:fs'
import path from 'node:path'
import { BIN, REPO } from '../harness/cli.js'
import { startProcess, type Proc } from '../harness/process.js'
import { tempDir } from '../harness/tmp.js'
import { freePort } from '../harness/ports.js'
import { startNotifyListener, waitFor, writeDaemonConfig, type NotifyMessage } from './daemon-harness.js'

export const CLIP = path.join(REPO, 'models', 'clip', 'shapes-clip.mp4')

interface Teardown {
  teardown(fn: () => void | Promise<void>): void
}

export interface LifecycleDaemon {
  proc: Proc
  pid: number
  dir: string
  file: string
  camera: string
  base: string
  /** The daemon's JSON log lines so far (other output skipped). */
  lines(): Array<Record<string, unknown> & { msg: string }>
  /** Waits for the n-th log line whose msg matches. */
  waitLog(re: RegExp, n?: number, timeoutMs?: number): Promise<void>
  notifications(): NotifyMessage[]
  /** pids of processes, anywhere, that serve one of this daemon's cameras (any config so far). */
  cameraChildren(): number[]
  /** Rewrites the config for a reload: another model, more cameras (each plays the clip). */
  rewrite(change: { model?: string; cameras?: string[] }): void
}

let runs = 0

export async function startLifecycleDaemon(
  t: Teardown,
  opts: {
    fault?: string
    brokerUrl?: string
    stopTimeout?: number
    extra?: string[]
    /** More keys inside `http: { listen: …, <here> }`. */
    http?: string
    env?: NodeJS.ProcessEnv
  } = {},
): Promise<LifecycleDaemon> {
  const dir = tempDir(t)
  const sock = path.join(dir, 'notify.sock')
  const notify = await startNotifyListener(t, sock)
  const httpPort = await freePort()
  const file = path.join(dir, 'config.yaml')
  const camera = `lc${process.pid}x${++runs}`
  const names = new Set([camera])
  const write = (change: { model?: string; cameras?: string[] }) => {
    for (const c of change.cameras ?? []) names.add(c)
    writeDaemonConfig(file, {
      dir,
      httpPort,
      brokerUrl: opts.brokerUrl ?? 'mqtt://127.0.0.1:9',
      cameras: Object.fromEntries([camera, ...(change.cameras ?? [])].map((c) => [c, `file://${CLIP}`])),
      model: change.model,
      stopTimeout: opts.stopTimeout,
      extra: opts.extra,
    })
    // Loop the clip: the cameras run until the daemon stops them.
    let text = fs.readFileSync(file, 'utf8').replaceAll(`file://${CLIP}" }`, `file://${CLIP}", loop: true }`)
    if (opts.http)
      text = text.replace(
        `listen: "127.0.0.1:${httpPort}" }`,
        `listen: "127.0.0.1:${httpPort}", ${opts.http} }`,
      )
    fs.writeFileSync(file, text)
  }
  write({})
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, NOTIFY_SOCKET: sock }
  if (opts.fault) env.EDGEWATCH_TEST_FAULT = opts.fault
  const proc = startProcess(process.execPath, [BIN, 'run', '--config', file], { cwd: REPO, env })
  t.teardown(() => proc.kill('SIGKILL'))
  const lines = () =>
    proc
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown> & { msg: string }]
        } catch {
          return []
        }
      })
  return {
    proc,
    pid: proc.child.pid!,
    dir,
    file,
    camera,
    base: `http://127.0.0.1:${httpPort}`,
    lines,
    async waitLog(re, n = 1, timeoutMs = 90_000) {
      await waitFor(
        `log line ${re} (#${n})`,
        () => lines().filter((l) => re.test(l.msg)).length >= n,
        timeoutMs,
        20,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${proc.output().slice(-3000)}`)
      })
    },
    notifications: () => notify.messages(),
    cameraChildren: () =>
      fs.readdirSync('/proc').flatMap((name) => {
        if (!/^\d+$/.test(name)) return []
        try {
          const argv = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0')
          return argv.some((a) => names.has(a)) ? [Number(name)] : []
        } catch {
          return []
        }
      }),
    rewrite: write,
  }
}
