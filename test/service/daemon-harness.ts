// Helpers for tests that run the real daemon (bin/edgewatch.js, needs `npm run build`):
// a stand-in for systemd's notify socket, config files, HTTP polling.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startProcess, waitForOutput, type Proc } from '../harness/process.js'
import { REPO } from '../harness/cli.js'

const LISTENER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'notify_listener.py')
export const FIXTURE_MODEL = path.join(REPO, 'test', 'fixtures', 'models', 'yolov5.onnx')

interface Teardown {
  teardown(fn: () => void | Promise<void>): void
}

export interface NotifyMessage {
  pid: number | null
  msg: string
  /** Arrival time, CLOCK_MONOTONIC seconds (compare with process.hrtime.bigint()). */
  t: number
  /** Index in arrival order. */
  i: number
}

/** A unix datagram socket with SO_PASSCRED (python3), reporting each sender's pid. */
export async function startNotifyListener(
  t: Teardown,
  socketPath: string,
): Promise<{ messages(): NotifyMessage[]; proc: Proc }> {
  const proc = startProcess('/usr/bin/python3', [LISTENER, socketPath])
  t.teardown(() => proc.kill('SIGKILL'))
  await waitForOutput(proc, (o) => o.includes('"listening"'), 10_000)
  return {
    proc,
    messages: () =>
      proc
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{"pid"'))
        .map((l, i) => ({ ...(JSON.parse(l) as { pid: number | null; msg: string; t: number }), i })),
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: Error | null = null
  for (;;) {
    try {
      const v = await probe()
      if (v) return v
    } catch (err) {
      last = err as Error
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`,
      )
    }
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests poke at the JSON
export async function getJson(url: string): Promise<any> {
  const r = await fetch(url, { signal: AbortSignal.timeout(5_000) })
  return r.json()
}

export interface DaemonConfig {
  dir: string
  cameras: Record<string, string>
  httpPort: number
  brokerUrl: string
  model?: string
  stopTimeout?: number
  extra?: string[]
}

export function writeDaemonConfig(file: string, c: DaemonConfig): void {
  const lines = [
    'device: { id: e2e }',
    `model: { path: ${c.model ?? FIXTURE_MODEL}, format: yolov5, labels: [person, car, dog], providers: [cpu], threads: 1 }`,
    'detect: { max_fps: 5 }',
    'cameras:',
    ...Object.entries(c.cameras).map(([n, url]) => `  ${n}: { url: "${url}" }`),
    `storage: { path: ${path.join(c.dir, 'edgewatch.db')} }`,
    `mqtt: { url: "${c.brokerUrl}", stats_interval: 1 }`,
    `http: { listen: "127.0.0.1:${c.httpPort}" }`,
    `service: { stop_timeout: ${c.stopTimeout ?? 5} }`,
    'log: { level: debug }',
    ...(c.extra ?? []),
  ]
  fs.writeFileSync(file, lines.join('\n') + '\n')
}
