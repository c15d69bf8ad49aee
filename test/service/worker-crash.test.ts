// A crashed inference worker, in the real daemon (killed from inside by a test fault:
// EDGEWATCH_TEST_FAULT=worker-crashes / worker-crash-loop): it is started again while the
// camera keeps streaming (same child, no camera restart), the restart is counted in
// /api/status, /metrics and the MQTT stats message; a worker that keeps crashing ends the
// daemon with exit 1 and a message that says what to look at.
import t from 'tap'
import mqtt from 'mqtt'
import { startMosquitto } from '../harness/mosquitto.js'
import { getJson, waitFor } from './daemon-harness.js'
import { startLifecycleDaemon } from './lifecycle-harness.js'

t.test('a worker that dies is restarted; the camera keeps running; the restart is counted', async (t) => {
  const broker = await startMosquitto(t)
  const sub = await mqtt.connectAsync(broker.url, { clientId: 'crash-sub' })
  t.teardown(() => sub.endAsync(true))
  await sub.subscribeAsync('edgewatch/e2e/stats', { qos: 0 })
  let stats: Record<string, unknown> | null = null
  sub.on('message', (_topic, payload) => (stats = JSON.parse(payload.toString()) as Record<string, unknown>))

  const d = await startLifecycleDaemon(t, { brokerUrl: broker.url, fault: 'worker-crashes:5' })
  await d.waitLog(/^camera streaming$/)
  const child = d.cameraChildren()
  t.equal(child.length, 1)
  await d.waitLog(/^inference worker restarted$/)
  const status = await waitFor(
    'frames processed after the restart',
    async () => {
      const s = await getJson(`${d.base}/api/status`)
      return s.inference.processed > 8 ? s : null
    },
    60_000,
  )
  t.match(status.inference, { worker_restarts: 1, last_crash: /injected worker crash after 5 batches/ })
  t.match(status.cameras[d.camera], { state: 'streaming', restarts: 0 })
  t.same(d.cameraChildren(), child, 'the same camera child throughout')
  const metrics = await (await fetch(`${d.base}/metrics`)).text()
  t.match(metrics, /^edgewatch_inference_worker_restarts_total 1$/m)
  const st = await waitFor('a stats message after the restart', () =>
    (stats as { inference_worker_restarts?: number } | null)?.inference_worker_restarts === 1 ? stats : null,
  )
  t.ok(st, 'MQTT stats carry inference_worker_restarts')
  t.ok(
    d.lines().some((l) => l.level === 'error' && /^inference worker died; starting a new one/.test(l.msg)),
    'the crash is logged at error',
  )
  process.kill(d.pid, 'SIGTERM')
  t.same(await d.proc.exited, { code: 0, signal: null })
})

t.test('a worker that keeps dying ends the daemon: exit 1, what to look at', async (t) => {
  const d = await startLifecycleDaemon(t, { fault: 'worker-crash-loop:1' })
  const exit = await d.proc.exited
  t.same(exit, { code: 1, signal: null }, 'exit 1')
  const fatal = d.lines().find((l) => l.level === 'fatal')
  t.match(fatal, {
    msg: /^edgewatch stops: the inference worker crashed too often \(5 crashes within 10 min\); last: .*\(what to do: look at the journal/,
  })
  t.equal(
    d.lines().filter((l) => l.msg === 'inference worker restarted').length,
    4,
    'four restarts before giving up',
  )
  t.ok(
    d.lines().some((l) => l.msg === 'stopped'),
    'an orderly stop',
  )
  t.same(d.cameraChildren(), [], 'no camera child left')
})
