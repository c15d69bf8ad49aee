// The store against real SQLite files: schema, one-transaction writes, seq across
// restarts, the exact payload, retention by age and size, the outbox cap.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { pino } from 'pino'
import Database from 'better-sqlite3'
import { Store } from '../../src/store/store.js'
import { MIGRATIONS, migrate, schemaVersion } from '../../src/store/migrations.js'
import { queryDetections, parseSince } from '../../src/store/queries.js'
import { tempDir } from '../harness/tmp.js'
import { result, silentLog, storageConfig } from './helpers.js'

function makeStore(
  file: string,
  over: Parameters<typeof storageConfig>[1] = {},
  extra: Partial<ConstructorParameters<typeof Store>[0]> = {},
) {
  return new Store({
    storage: storageConfig(file, over),
    deviceId: 'gate-01',
    topicPrefix: 'edgewatch',
    publishEmptyFrames: false,
    log: silentLog(),
    // The synthetic results are dated 2025-11-28; keep the clock there so the retention
    // pass that runs at start does not remove them as old.
    now: () => 1_764_316_900_000,
    ...extra,
  })
}

t.test('schema: WAL, synchronous, versioned migrations, indexes', async (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'sub', 'dir', 'e.db')
  const store = makeStore(file, { synchronous: 'full' })
  await store.start()
  await store.stop()
  const db = new Database(file)
  t.teardown(() => db.close())
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal')
  t.equal(schemaVersion(db), MIGRATIONS.at(-1)!.version)
  t.same(migrate(db), [], 'nothing to apply twice')
  const idx = (
    db.prepare("SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='detections'").all() as {
      name: string
    }[]
  ).map((r) => r.name)
  for (const name of ['detections_ts', 'detections_camera_ts', 'detections_label_ts'])
    t.ok(idx.includes(name), name)
  const plan = db
    .prepare("EXPLAIN QUERY PLAN SELECT * FROM detections WHERE camera = 'a' AND ts > 0 ORDER BY ts DESC")
    .all() as { detail: string }[]
  t.match(plan.map((p) => p.detail).join(' '), /detections_camera_ts/)
  db.prepare('INSERT INTO schema_version VALUES (999, 0)').run()
  t.throws(() => migrate(db), /newer than this edgewatch understands/)
})

t.test('record: one transaction, exact payload, seq continues across restarts', async (t) => {
  const file = path.join(tempDir(t), 'e.db')
  let store = makeStore(file)
  await store.start()
  const m1 = store.record(result('gate', 1))!
  t.same(m1.stored, true)
  t.equal(m1.id, 'gate-01/gate/000000000001')
  t.equal(m1.topic, 'edgewatch/gate-01/gate/detections')
  t.equal(
    m1.payload,
    '{"id":"gate-01/gate/000000000001","seq":1,"device":"gate-01","camera":"gate","ts":1764316800001,"pts":0.1,' +
      '"frame":{"width":640,"height":480},"model":"csp-shapes","inference_ms":5.5,' +
      '"objects":[{"label":"person","class":0,"score":0.9,"box":[10,20,110,220]},{"label":"car","class":1,"score":0.9,"box":[11,20,110,220]}]}',
  )
  t.equal(store.record(result('gate', 2, 0)), null, 'empty frame: nothing to publish')
  t.equal(store.record(result('lobby', 3))!.seq, 1, 'seq is per camera')
  t.equal(store.record(result('gate', 4))!.seq, 2)
  const s = store.stats()
  t.equal(s.detections_written, 6)
  t.equal(s.messages_written, 3)
  t.equal(s.outbox_backlog, 3)
  t.ok(s.db_bytes > 0)
  t.ok(s.commit_ms_p99 > 0)
  await store.stop()

  store = makeStore(file, {}, { publishEmptyFrames: true })
  await store.start()
  t.equal(store.backlog, 3, 'outbox survives restart')
  const m = store.record(result('gate', 5, 0))!
  t.equal(m.seq, 3, 'seq continues after restart; empty frames published on request')
  t.same(JSON.parse(m.payload).objects, [])
  const rows = store.pending(0, 10)
  t.same(
    rows.map((r) => `${r.camera}:${r.seq}`),
    ['gate:1', 'lobby:1', 'gate:2', 'gate:3'],
    'commit order',
  )
  t.ok(store.acknowledge([rows[0]!.rowid, rows[1]!.rowid]))
  t.equal(store.backlog, 2)
  t.same(
    store.pending(0, 10).map((r) => r.seq),
    [2, 3],
  )
  await store.stop()

  const db = new Database(file, { readonly: true })
  t.teardown(() => db.close())
  const det = queryDetections(db, { camera: 'gate', limit: 10 })
  t.equal(det.length, 4)
  t.same(det[0], {
    camera: 'gate',
    seq: 2,
    ts: 1764316800004,
    pts: 0.4,
    label: 'car',
    class: 1,
    score: 0.9,
    box: [11, 20, 110, 220],
  })
  t.equal(queryDetections(db, { label: 'car', limit: 10 }).length, 3)
  t.equal(queryDetections(db, { since: 1764316800003, limit: 10 }).length, 4)
})

t.test('parseSince', async (t) => {
  t.equal(parseSince('10m', 1_000_000), 400_000)
  t.equal(parseSince('2h', 10_000_000), 10_000_000 - 7_200_000)
  t.equal(parseSince('1d', 100_000_000), 100_000_000 - 86_400_000)
  t.equal(parseSince('2026-11-28T00:00:00Z', 0), Date.parse('2026-11-28T00:00:00Z'))
  t.throws(() => parseSince('yesterday', 0), /--since/)
})

t.test('retention by age removes only old detections, never the outbox', async (t) => {
  const file = path.join(tempDir(t), 'e.db')
  const now = 1_764_316_800_000
  const store = makeStore(
    file,
    { retention: { days: 1, max_mb: 1024, check_interval: 3600 } },
    { now: () => now },
  )
  await store.start()
  t.teardown(() => store.stop())
  for (let i = 0; i < 3000; i++) store.record(result('gate', i, 2, now - 2 * 86_400_000 + i))
  for (let i = 0; i < 50; i++) store.record(result('gate', i, 2, now - 1000 + i))
  const r = await store.runRetention()
  t.equal(r!.byAge, 6000)
  t.equal(r!.bySize, 0)
  t.equal(store.backlog, 3050, 'unpublished messages are not removed by age')
})

t.test('retention by size deletes the oldest until under max_mb', async (t) => {
  const file = path.join(tempDir(t), 'e.db')
  const store = makeStore(
    file,
    { retention: { days: 365, max_mb: 0.5, check_interval: 3600 } },
    { now: () => 1_764_316_800_000 },
  )
  await store.start()
  t.teardown(() => store.stop())
  for (let i = 0; i < 4000; i++) {
    const m = store.record(result('gate', i, 5))!
    store.acknowledge([store.pending(0, 10).find((r) => r.id === m.id)!.rowid])
  }
  const before = store.stats().db_bytes
  t.ok(before > 0.5 * 1024 * 1024, `filled past the limit (${before} bytes)`)
  const r = await store.runRetention()
  t.ok(r!.bySize > 0, `deleted ${r!.bySize}`)
  t.ok(r!.bytesAfter <= 0.5 * 1024 * 1024)
  t.ok(store.stats().db_bytes < before, 'file shrank (incremental vacuum)')
  const db = new Database(file, { readonly: true })
  t.teardown(() => db.close())
  const oldest = db.prepare('SELECT min(seq) AS s, max(seq) AS m FROM detections').get() as {
    s: number
    m: number
  }
  t.ok(oldest.s > 1, 'oldest went first')
  t.equal(oldest.m, 4000, 'newest kept')
})

t.test('outbox cap drops the oldest and counts them', async (t) => {
  const file = path.join(tempDir(t), 'e.db')
  const store = makeStore(file, { outbox_max_rows: 100 })
  await store.start()
  t.teardown(() => store.stop())
  for (let i = 1; i <= 250; i++) store.record(result('gate', i))
  t.equal(store.backlog, 100)
  t.equal(store.stats().outbox_dropped, 150)
  const rows = store.pending(0, 1000)
  t.equal(rows.length, 100)
  t.equal(rows[0]!.seq, 151, 'the oldest were dropped')
  t.equal(rows.at(-1)!.seq, 250)
})

t.test('WAL checkpoints run on a worker thread (the db file grows without autocheckpoint)', async (t) => {
  const file = path.join(tempDir(t), 'e.db')
  const warnings: string[] = []
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) })
  const store = makeStore(file, {}, { log })
  await store.start()
  t.teardown(() => store.stop())
  const before = fs.statSync(file).size
  for (let i = 1; i <= 300; i++) store.record(result('gate', i, 5))
  const deadline = Date.now() + 20_000
  while (fs.statSync(file).size <= before && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50))
  t.ok(fs.statSync(file).size > before, 'pages were copied from the WAL into the database')
  t.same(warnings, [])
})
