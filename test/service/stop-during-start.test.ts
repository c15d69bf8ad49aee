// A SIGTERM at any moment of start ends the real daemon cleanly: exit 0, `stopped` logged,
// no READY after STOPPING (none at all before the last step), no `ready` line, no camera
// child left. The moments are marked by the daemon's own log lines; the model load is held
// open by a test fault (EDGEWATCH_TEST_FAULT=load-hangs), so a stop that waited for the
// load would never end. A load stuck in native code (as a TensorRT engine build is) cannot
// be interrupted at all: the daemon stops everything else, then ends itself by SIGTERM,
// which systemd counts as a clean stop.
import t, { type Test } from 'tap'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { tempDir } from '../harness/tmp.js'
import { waitFor } from './daemon-harness.js'
import { startLifecycleDaemon, type LifecycleDaemon } from './lifecycle-harness.js'

async function stopAndCheck(
  t: Test,
  d: LifecycleDaemon,
  opts: { readyExpected: boolean; exit?: { code: number | null; signal: NodeJS.Signals | null } },
): Promise<void> {
  process.kill(d.pid, 'SIGTERM')
  const exit = await d.proc.exited
  const want = opts.exit ?? { code: 0, signal: null }
  t.same(exit, want, `exit ${JSON.stringify(want)}`)
  if (exit.code !== want.code) t.comment(d.proc.output().slice(-3000))
  const msgs = d.lines().map((l) => l.msg)
  t.ok(msgs.includes('stopped'), '`stopped` logged')
  t.equal(msgs.includes('ready'), opts.readyExpected, opts.readyExpected ? 'it was ready' : 'never `ready`')
  const kinds = d.notifications().map((m) => m.msg.split('=')[0])
  const stopping = kinds.indexOf('STOPPING')
  t.ok(stopping >= 0, 'STOPPING=1 sent')
  t.notOk(kinds.slice(stopping).includes('READY'), 'no READY=1 after STOPPING=1')
  t.equal(kinds.includes('READY'), opts.readyExpected)
  t.same(d.cameraChildren(), [], 'no camera child left')
}

const moments: { name: string; at: RegExp; fault?: string; ready?: boolean }[] = [
  { name: 'start has begun (the database opens)', at: /^starting edgewatch$/ },
  { name: 'the model loads', at: /^loading the model /, fault: 'load-hangs' },
  { name: 'the model is loaded (MQTT and extensions start)', at: /^model .* loaded / },
  { name: 'the HTTP server listens (the cameras start)', at: /^HTTP status server listening$/ },
  { name: 'READY was sent', at: /^ready$/, ready: true },
]

for (const m of moments) {
  t.test(`SIGTERM when ${m.name}`, async (t) => {
    const d = await startLifecycleDaemon(t, { fault: m.fault })
    await d.waitLog(m.at)
    await stopAndCheck(t, d, { readyExpected: m.ready ?? false })
    if (m.fault)
      t.match(
        d.lines().find((l) => l.msg === 'stopped'),
        { during_start: true },
      )
  })
}

t.test(
  'SIGTERM while the model load is stuck in native code: everything else stops, then SIGTERM ends it',
  async (t) => {
    const fifo = path.join(tempDir(t), 'never-written')
    execFileSync('mkfifo', [fifo])
    const d = await startLifecycleDaemon(t, { fault: `load-blocks:${fifo}` })
    await waitFor('the worker blocked in open()', () => fs.existsSync(`${fifo}.waiting`), 90_000)
    await stopAndCheck(t, d, { readyExpected: false, exit: { code: null, signal: 'SIGTERM' } })
    const msgs = d.lines().map((l) => l.msg)
    t.ok(msgs.some((m) => m.startsWith('the inference thread is still busy in native code')))
    t.ok(
      msgs.some((m) => m.startsWith('stopped, but the process is still held')),
      'says why it ends by SIGTERM',
    )
  },
)
