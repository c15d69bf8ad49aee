// A database written by the previous version (schema 1: detections, outbox, camera_seq;
// test/store/fixtures/schema-v1.db, made by the store as it was before events existed:
// 2 cameras x 40 frames, 86 detections, 64 unpublished messages) opens, migrates in place
// to schema 2 (events, the event of each detection, stream seq), and keeps every row: the
// unpublished messages are still delivered and seq goes on from where it was.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { MIGRATIONS } from '../../src/store/migrations.js'
import { tempDir } from '../harness/tmp.js'
import { result, testStore } from './helpers.js'
import type { EventChange } from '../../src/tracking/object-events.js'

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'schema-v1.db')

t.test('a schema-1 database migrates in place and keeps its rows', async (t) => {
  const file = path.join(tempDir(t), 'old.db')
  fs.copyFileSync(FIXTURE, file)
  const before = new Database(file, { readonly: true })
  const v = (before.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number }).v
  const oldDetections = before.prepare('SELECT * FROM detections ORDER BY id').all()
  const oldOutbox = before.prepare('SELECT * FROM outbox ORDER BY rowid').all()
  before.close()
  t.equal(v, 1, 'the fixture is schema 1')
  t.equal(oldDetections.length, 86)
  t.equal(oldOutbox.length, 64)

  const store = testStore(file)
  await store.start()
  t.teardown(() => store.stop())
  const db = store.database()!
  t.equal(
    (db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number }).v,
    MIGRATIONS.at(-1)!.version,
    'migrated to the newest schema',
  )
  t.same(
    db
      .prepare(
        'SELECT id, camera, seq, ts, pts, label, class, score, x1, y1, x2, y2 FROM detections ORDER BY id',
      )
      .all(),
    oldDetections,
    'every detection kept, unchanged',
  )
  t.equal(
    (db.prepare('SELECT count(*) AS n FROM detections WHERE event IS NOT NULL').get() as { n: number }).n,
    0,
  )
  t.same(
    store.pending(0, 1000).map((r) => ({ id: r.id, topic: r.topic, payload: r.payload })),
    (oldOutbox as { id: string; topic: string; payload: string }[]).map((r) => ({
      id: r.id,
      topic: r.topic,
      payload: r.payload,
    })),
    'the unpublished messages wait as they were, in order',
  )
  t.equal(store.stats().outbox_backlog, 64)

  // Recording goes on: seq continues per camera, events get their own seq from 1.
  const next = store.recordFrame(result('gate', 41), [])
  t.equal(next[0]!.seq, 33, 'gate had 32 messages: the next is 33')
  const ev: EventChange = {
    type: 'new',
    body: {
      id: 'gate-01/gate/1764316804100-1',
      camera: 'gate',
      track: 1,
      label: 'person',
      score: 0.9,
      top_score: 0.9,
      start_ts: 1764316804100,
      end_ts: null,
      ts: 1764316804100,
      pts: 4.1,
      box: [1, 2, 3, 4],
      zones: [],
      entered_zones: [],
      stationary: false,
      frames: 3,
      snapshot: null,
    },
  }
  const msgs = store.recordFrame(result('gate', 42), [ev])
  t.same(
    msgs.map((m) => [m.topic, m.seq]),
    [
      ['edgewatch/gate-01/gate/detections', 34],
      ['edgewatch/gate-01/events', 1],
    ],
  )
  t.equal((db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, 1)
})
