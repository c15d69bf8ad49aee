// Broker stopped for 30 s while detections keep coming, then restarted: every message
// arrives, per camera in order, no gaps in seq, duplicates only as identical resends.
import t from 'tap'
import path from 'node:path'
import { Publisher } from '../../src/mqtt/publisher.js'
import { startMosquitto } from '../harness/mosquitto.js'
import { tempDir } from '../harness/tmp.js'
import { mqttConfig, result, silentLog, testStore } from '../store/helpers.js'
import { checkDelivery, subscribe, until } from './helpers.js'

const OUTAGE_MS = Number(process.env.EDGEWATCH_OUTAGE_MS ?? 30_000)

t.test(`broker down for ${OUTAGE_MS / 1000} s: nothing lost, order kept`, async (t) => {
  // Persistence keeps the subscriber's session across the restart, so what the publisher
  // sends before the subscriber is back is queued for it, not lost by the test itself.
  const broker = await startMosquitto(t, { persistence: true })
  const sub = await subscribe(t, broker.url, ['edgewatch/+/+/detections'], {
    clean: false,
    clientId: 'outage-subscriber',
  })
  const store = testStore(path.join(tempDir(t), 'e.db'))
  await store.start()
  const publisher = new Publisher({
    mqtt: mqttConfig({ url: broker.url, max_inflight: 16, stats_interval: 60 }),
    deviceId: 'gate-01',
    store,
    log: silentLog(),
    backoff: { minMs: 200, maxMs: 2000 },
  })
  t.teardown(async () => {
    await publisher.stop(100)
    await store.stop()
  })
  await publisher.start()
  let n = 0
  const produce = setInterval(() => {
    for (const cam of ['a', 'b']) {
      const m = store.record(result(cam, ++n))
      if (m) publisher.notify(m)
    }
  }, 20)
  t.teardown(() => clearInterval(produce))

  await until('first messages', () => sub.detections().length > 50)
  await broker.stop()
  const sentBefore = publisher.status().published
  await new Promise((r) => setTimeout(r, OUTAGE_MS))
  t.equal(publisher.status().connected, false)
  t.ok(store.backlog > 100, `outbox grew during the outage (${store.backlog})`)
  await broker.start()
  await new Promise((r) => setTimeout(r, 1000))
  clearInterval(produce)
  const total = store.stats().messages_written
  await until('outbox drained', () => store.backlog === 0 && publisher.status().inflight === 0, 60_000)
  t.ok(publisher.status().published > sentBefore)
  t.ok(publisher.status().reconnects >= 1)
  await until(`all ${total} messages`, () => new Set(sub.detections().map((d) => d.id)).size >= total, 60_000)
  const d = checkDelivery(sub.detections())
  t.same(d.problems, [], 'per camera: seq 1..n in order, duplicates identical')
  t.equal((d.perCamera.get('a') ?? 0) + (d.perCamera.get('b') ?? 0), total)
  t.comment(`${total} messages, ${d.duplicates} duplicates`)
})
