// The WAL stays bounded when checkpoints keep failing: a reader that holds a read
// transaction open (another process's sqlite3 shell, a backup) keeps SQLite from
// resetting the WAL. The failures are logged at warn; past its bound storing pauses
// (results go out live, as on a full disk) and the WAL stops growing; once the reader is
// gone the writer's own checkpoint empties the WAL and storing resumes. Small limits here.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { pino } from 'pino'
import { Store } from '../../src/store/store.js'
import { tempDir } from '../harness/tmp.js'
import { result, storageConfig } from './helpers.js'
import { waitFor } from '../service/daemon-harness.js'

t.test('checkpoints blocked by a reader: warn, bounded WAL, storing paused, then resumed', async (t) => {
  const file = path.join(tempDir(t), 'e.db')
  const lines: Array<{ level: number; msg: string }> = []
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as never) })
  const store = new Store({
    storage: storageConfig(file),
    deviceId: 'gate-01',
    topicPrefix: 'edgewatch',
    publishEmptyFrames: false,
    log,
    now: () => 1_764_316_800_000,
    wal: {
      restartFrames: 20,
      softBytes: 200_000,
      hardBytes: 600_000,
      fallbackEveryMs: 100,
      watchEveryMs: 25,
    },
  })
  await store.start()
  t.teardown(() => store.stop())
  const said = (level: number, re: RegExp) => lines.some((l) => l.level === level && re.test(l.msg))
  const wal = () => fs.statSync(`${file}-wal`).size
  let n = 0
  const record = () => store.record(result('gate', ++n, 5))!

  const reader = new Database(file, { readonly: true })
  t.teardown(() => reader.close())
  reader.exec('BEGIN')
  reader.prepare('SELECT count(*) FROM detections').get() // the snapshot is taken here
  await waitFor(
    'storing paused',
    async () => {
      for (let i = 0; i < 20; i++) record()
      await new Promise((r) => setTimeout(r, 10))
      return store.stats().write_failures > 0
    },
    60_000,
    1,
  )
  // The worker's RESTART waits up to its busy timeout (1 s) before it reports the failure.
  await waitFor('a checkpoint failure', () => said(40, /^WAL checkpoint failed; retried/), 30_000, 20)
  t.pass('checkpoint failures at warn')
  t.ok(said(40, /^the WAL cannot be checkpointed and reached its bound: storing paused/), 'the pause at warn')
  const size = wal()
  t.ok(size > 600_000, `the WAL passed its bound (${size} bytes)`)
  const refused = Array.from({ length: 200 }, () => record().stored)
  t.ok(
    refused.every((s) => !s),
    'not stored while paused (sent live)',
  )
  t.equal(wal(), size, 'no growth while paused')
  t.match(store.stats().last_error, /^WAL over 1 MiB and not checkpointed \(/)

  reader.exec('COMMIT')
  await waitFor('storing resumed', () => said(30, /^WAL checkpointed again: storing resumed$/), 30_000, 20)
  t.ok(said(30, /^WAL checkpoints work again$/))
  t.ok(wal() <= 200_000, 'the WAL is small again')
  t.equal(record().stored, true, 'stored again')
})
