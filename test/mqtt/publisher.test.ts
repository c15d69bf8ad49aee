// The publisher against a real mosquitto: order, acknowledgement removes outbox rows,
// retained status, stats, TLS with a test CA, username/password, websockets.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { Publisher } from '../../src/mqtt/publisher.js'
import { StatsPublisher } from '../../src/mqtt/stats-publisher.js'
import { startMosquitto } from '../harness/mosquitto.js'
import { tempDir } from '../harness/tmp.js'
import { mqttConfig, result, silentLog, testStore } from '../store/helpers.js'
import { checkDelivery, subscribe, until } from './helpers.js'

async function setup(
  t: { teardown(fn: () => void | Promise<void>): void },
  mqttOver: Record<string, unknown>,
  device = 'gate-01',
) {
  const store = testStore(path.join(tempDir(t), 'e.db'), { deviceId: device })
  await store.start()
  const publisher = new Publisher({
    mqtt: mqttConfig({ stats_interval: 0.2, max_inflight: 8, ...mqttOver }),
    deviceId: device,
    store,
    log: silentLog(),
    backoff: { minMs: 100, maxMs: 500 },
  })
  // The daemon's stats extension drives a StatsPublisher the same way.
  const stats = new StatsPublisher({
    topic: `edgewatch/${device}/stats`,
    intervalMs: 200,
    provider: () => ({ uptime: 1, outbox_backlog: store.backlog }),
    send: (m) => publisher.publishDirect(m),
    log: silentLog(),
  })
  stats.start()
  t.teardown(async () => {
    stats.stop()
    await publisher.stop(100)
    await store.stop()
  })
  return { store, publisher }
}

t.test('publishes in order, removes on PUBACK, retained status, stats, offline on stop', async (t) => {
  const broker = await startMosquitto(t)
  const sub = await subscribe(t, broker.url, ['edgewatch/#'])
  const { store, publisher } = await setup(t, { url: broker.url })
  await publisher.start()
  for (let i = 1; i <= 200; i++) publisher.notify(store.record(result(i % 2 ? 'a' : 'b', i))!)
  await until('200 detections', () => sub.detections().length >= 200)
  const d = checkDelivery(sub.detections())
  t.same(d.problems, [])
  t.equal(d.perCamera.get('a'), 100)
  t.equal(d.perCamera.get('b'), 100)
  await until('outbox drained', () => store.backlog === 0)
  const st = publisher.status()
  t.equal(st.connected, true)
  t.equal(st.published, 200)
  t.equal(st.inflight, 0)
  t.ok(sub.messages.some((m) => m.topic === 'edgewatch/gate-01/status' && m.payload === 'online'))
  await until('stats', () => sub.messages.some((m) => m.topic === 'edgewatch/gate-01/stats'))
  t.match(JSON.parse(sub.messages.find((m) => m.topic === 'edgewatch/gate-01/stats')!.payload), {
    uptime: 1,
    outbox_backlog: Number,
  })
  await publisher.stop(2000)
  await until('offline', () => sub.messages.at(-1)?.payload === 'offline')
  // A late subscriber sees the retained status.
  const late = await subscribe(t, broker.url, ['edgewatch/gate-01/status'])
  await until('retained', () => late.messages.length > 0)
  t.same(late.messages[0], { topic: 'edgewatch/gate-01/status', payload: 'offline', retain: true })
})

t.test('outbox written before start is delivered after start (restart case)', async (t) => {
  const broker = await startMosquitto(t)
  const sub = await subscribe(t, broker.url, ['edgewatch/+/+/detections'])
  const { store, publisher } = await setup(t, { url: broker.url, protocol_version: 5 })
  for (let i = 1; i <= 50; i++) store.record(result('a', i))
  await publisher.start()
  await until('50', () => sub.detections().length >= 50)
  t.same(checkDelivery(sub.detections()).problems, [])
  await until('drained', () => store.backlog === 0)
})

t.test('not-stored messages go out live, best effort', async (t) => {
  const broker = await startMosquitto(t)
  const sub = await subscribe(t, broker.url, ['edgewatch/+/+/detections'])
  const { store, publisher } = await setup(t, { url: broker.url })
  await publisher.start()
  await until('connected', () => publisher.status().connected)
  const m = store.record(result('a', 1))!
  store.acknowledge(store.pending(0, 10).map((r) => r.rowid)) // pretend it never got stored
  publisher.notify({ ...m, stored: false })
  await until('live', () => publisher.status().live_sent === 1)
  await until('received', () => sub.detections().length === 1)
  t.equal(sub.detections()[0]!.id, m.id)
})

t.test('TLS with a test CA, client certificate and username/password', async (t) => {
  const broker = await startMosquitto(t, { tls: { requireCertificate: true }, users: { cam: 's3cret-pw' } })
  const tls = broker.tls!
  const sub = await subscribe(t, tls.url, ['edgewatch/#'], {
    ca: fs.readFileSync(tls.ca),
    cert: fs.readFileSync(tls.clientCert),
    key: fs.readFileSync(tls.clientKey),
    username: 'cam',
    password: 's3cret-pw',
  })
  const { store, publisher } = await setup(t, {
    url: tls.url,
    ca: tls.ca,
    cert: tls.clientCert,
    key: tls.clientKey,
    username: 'cam',
    password: 's3cret-pw',
  })
  await publisher.start()
  for (let i = 1; i <= 10; i++) publisher.notify(store.record(result('a', i))!)
  await until('10 over TLS', () => sub.detections().length >= 10)
  t.same(checkDelivery(sub.detections()).problems, [])
})

t.test('wrong password: not connected, error recorded, outbox kept, nothing thrown', async (t) => {
  const broker = await startMosquitto(t, { users: { cam: 'right' } })
  const { store, publisher } = await setup(t, { url: broker.url, username: 'cam', password: 'wrong' })
  await publisher.start()
  publisher.notify(store.record(result('a', 1))!)
  await until('error', () => publisher.status().last_error !== null)
  t.equal(publisher.status().connected, false)
  t.notMatch(publisher.status().last_error!, /wrong/)
  t.equal(store.backlog, 1)
})

t.test('TLS: a server the CA does not vouch for is refused', async (t) => {
  const broker = await startMosquitto(t, { tls: true })
  const { publisher } = await setup(t, { url: broker.tls!.url })
  await publisher.start()
  await until('error', () => publisher.status().last_error !== null)
  t.equal(publisher.status().connected, false)
  t.match(publisher.status().last_error!, /certificate/i)
})

t.test('websockets', async (t) => {
  const broker = await startMosquitto(t, { websockets: true })
  const sub = await subscribe(t, broker.url, ['edgewatch/+/+/detections'])
  const { store, publisher } = await setup(t, { url: broker.wsUrl })
  await publisher.start()
  for (let i = 1; i <= 10; i++) publisher.notify(store.record(result('a', i))!)
  await until('10 over ws', () => sub.detections().length >= 10)
  t.same(checkDelivery(sub.detections()).problems, [])
})

t.test(
  'deletes failing: rows are read once, sending pauses at a bound, all goes out once deletes work',
  async (t) => {
    const broker = await startMosquitto(t)
    const sub = await subscribe(t, broker.url, ['edgewatch/+/+/detections'])
    const { store, publisher } = await setup(t, { url: broker.url })
    const N = 300
    for (let i = 1; i <= N; i++) store.record(result('a', i))
    // The disk refuses deletes (full, or remounted read-only); reads still work.
    let deletesWork = false
    let rowsRead = 0
    const acknowledge = store.acknowledge.bind(store)
    const pending = store.pending.bind(store)
    store.acknowledge = (rowids) => deletesWork && acknowledge(rowids)
    store.pending = (after, limit) => {
      const rows = pending(after, limit)
      rowsRead += rows.length
      return rows
    }
    await publisher.start()
    // max_inflight 8: at most 4 x 8 acknowledged rows wait for their delete.
    await until('sending paused at the bound', () => publisher.status().published >= 32)
    await new Promise((r) => setTimeout(r, 500))
    const paused = publisher.status().published
    t.ok(paused <= 32 + 8, `sending paused while deletes fail (${paused} published)`)
    t.ok(rowsRead <= paused + 16, `each row read about once (${rowsRead} rows read for ${paused} published)`)
    t.equal(store.backlog, N, 'nothing deleted')
    deletesWork = true
    await until('drained', () => store.backlog === 0)
    await until('all delivered', () => new Set(sub.detections().map((d) => d.id)).size === N)
    t.same(checkDelivery(sub.detections()).problems, [])
    t.ok(rowsRead <= N + 32, `${rowsRead} rows read for ${N} messages`)
  },
)
