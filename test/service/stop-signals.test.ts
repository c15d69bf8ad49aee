// Stop against what else may be under way, with the real daemon: a second SIGTERM while a
// long stop drains the outbox ends the process at once; a stop during a reload (a model
// swap whose load never ends, or new cameras and MQTT settings being applied) ends
// cleanly, exit 0, with nothing the reload would have started left behind (a leaked
// worker thread, camera child or MQTT socket would keep the process from exiting).
import t, { type Test } from 'tap'
import fs from 'node:fs'
import { startMosquitto } from '../harness/mosquitto.js'
import { FIXTURE_MODEL, getJson, waitFor } from './daemon-harness.js'
import { startLifecycleDaemon, type LifecycleDaemon } from './lifecycle-harness.js'

function noReadyAfterStopping(t: Test, d: LifecycleDaemon): void {
  const kinds = d.notifications().map((m) => m.msg.split('=')[0])
  const stopping = kinds.indexOf('STOPPING')
  t.ok(stopping >= 0, 'STOPPING=1 sent')
  t.notOk(kinds.slice(stopping).includes('READY'), 'no READY=1 after STOPPING=1')
}

t.test('a second SIGTERM ends the process while the first stop still drains the outbox', async (t) => {
  const broker = await startMosquitto(t)
  const d = await startLifecycleDaemon(t, { brokerUrl: broker.url, stopTimeout: 120 })
  await d.waitLog(/^connected to the broker$/)
  await d.waitLog(/^ready$/)
  // A frozen broker keeps the connection open but acknowledges nothing: the drain waits
  // for PUBACKs until stop_timeout (120 s here).
  process.kill(-broker.pid()!, 'SIGSTOP')
  t.teardown(() => {
    const pid = broker.pid()
    if (pid) process.kill(-pid, 'SIGCONT')
  })
  await waitFor('a backlog', async () => (await getJson(`${d.base}/api/status`)).outbox.backlog >= 3, 60_000)
  process.kill(d.pid, 'SIGTERM')
  await d.waitLog(/^stopping$/)
  // The cameras go first; after them the stop soon reaches the drain.
  await waitFor('the cameras stopped', () => d.cameraChildren().length === 0, 30_000)
  process.kill(d.pid, 'SIGTERM')
  const exit = await d.proc.exited
  t.same(exit, { code: null, signal: 'SIGTERM' }, 'ended by the signal itself')
  const msgs = d.lines().map((l) => l.msg)
  t.ok(
    msgs.some((m) => m.startsWith('second stop signal: exiting now')),
    'says so',
  )
  t.notOk(msgs.includes('stopped'), 'the first stop had not finished')
})

t.test(
  'stop during a reload whose model load never ends: exit 0, the reload reports the abandoned load',
  async (t) => {
    // The first load (start) works; the second (the reload's swap) hangs.
    const d = await startLifecycleDaemon(t, { fault: 'load-hangs:2' })
    await d.waitLog(/^ready$/)
    d.rewrite({ model: FIXTURE_MODEL.replace('yolov5.onnx', 'slow.onnx') })
    process.kill(d.pid, 'SIGHUP')
    await d.waitLog(/^loading the model slow\.onnx/)
    process.kill(d.pid, 'SIGTERM')
    t.same(await d.proc.exited, { code: 0, signal: null }, 'exit 0')
    const lines = d.lines()
    t.ok(lines.some((l) => l.msg === 'stopped'))
    t.match(
      lines.find((l) => /^configuration reloaded with errors$/.test(l.msg)),
      { errors: [/^model: model load abandoned: the daemon is stopping/] },
    )
    noReadyAfterStopping(t, d)
    t.same(d.cameraChildren(), [], 'no camera child left')
  },
)

t.test('stop right after a reload that adds a camera and changes MQTT: exit 0, no camera left', async (t) => {
  const broker = await startMosquitto(t)
  const d = await startLifecycleDaemon(t)
  await d.waitLog(/^camera streaming$/)
  d.rewrite({ cameras: [`${d.camera}b`, `${d.camera}c`] })
  fs.writeFileSync(d.file, fs.readFileSync(d.file, 'utf8').replace('mqtt://127.0.0.1:9', broker.url))
  process.kill(d.pid, 'SIGHUP')
  await d.waitLog(/^reloading configuration$/)
  process.kill(d.pid, 'SIGTERM')
  t.same(await d.proc.exited, { code: 0, signal: null }, 'exit 0')
  t.ok(d.lines().some((l) => l.msg === 'stopped'))
  noReadyAfterStopping(t, d)
  t.same(d.cameraChildren(), [], 'no camera child left, added ones included')
})
