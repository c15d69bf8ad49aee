// A full disk (a real 1 MiB tmpfs): record() does not throw, results still go out live,
// failures are counted, the database stays intact, and storing resumes when space returns.
import t, { type Test } from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import Database from 'better-sqlite3'
import { Publisher } from '../../src/mqtt/publisher.js'
import { startMosquitto } from '../harness/mosquitto.js'
import { tempDir } from '../harness/tmp.js'
import { mqttConfig, result, silentLog, testStore } from './helpers.js'
import { subscribe, until } from '../mqtt/helpers.js'

function mountTmpfs(dir: string, size: string): boolean {
  fs.mkdirSync(dir, { recursive: true })
  return (
    spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' }).status === 0
  )
}

/**
 * A 1 MiB tmpfs with a 256 KiB filler file in it (removing the filler frees the space), or
 * null, with a pass that says why, where mount is not allowed. Needs root (or
 * CAP_SYS_ADMIN); SQLITE_FULL can only be reached for real this way.
 */
function smallDisk(t: Test): { mnt: string; filler: string } | null {
  const mnt = path.join(tempDir(t), 'small')
  if (!mountTmpfs(mnt, '1m')) {
    t.pass('SKIPPED: cannot mount a tmpfs here (not root?)')
    return null
  }
  t.teardown(() => void spawnSync('umount', ['-l', mnt]))
  const filler = path.join(mnt, 'filler')
  fs.writeFileSync(filler, Buffer.alloc(256 * 1024, 1))
  return { mnt, filler }
}

t.test('disk full: keeps detecting and publishing, counts, recovers', async (t) => {
  const disk = smallDisk(t)
  if (!disk) return
  const { mnt, filler } = disk

  const broker = await startMosquitto(t)
  const sub = await subscribe(t, broker.url, ['edgewatch/+/+/detections'])
  const store = testStore(path.join(mnt, 'e.db'))
  await store.start()
  const publisher = new Publisher({
    mqtt: mqttConfig({ url: broker.url, stats_interval: 60 }),
    deviceId: 'gate-01',
    store,
    log: silentLog(),
    backoff: { minMs: 100, maxMs: 500 },
  })
  t.teardown(async () => {
    await publisher.stop(100)
    await store.stop()
  })
  await publisher.start()
  await until('connected', () => publisher.status().connected)

  let i = 0
  let firstUnstored: string | null = null
  while (store.stats().write_failures === 0 && i < 20_000) {
    const m = store.record(result('a', ++i, 20))!
    publisher.notify(m)
    if (!m.stored) firstUnstored = m.id
    if (i % 20 === 0) await new Promise((r) => setImmediate(r))
  }
  t.ok(store.stats().write_failures > 0, `the disk filled after ${i} results`)
  t.match(store.stats().last_error, /SQLITE_FULL|full/i)
  t.ok(firstUnstored, 'the failed result came back as stored=false')
  const live: string[] = []
  for (let k = 0; k < 5; k++) {
    const m = store.record(result('a', ++i, 20))!
    t.equal(m.stored, false)
    live.push(m.id)
    publisher.notify(m)
    await new Promise((r) => setTimeout(r, 20))
  }
  await until('live messages arrive', () => live.every((id) => sub.detections().some((d) => d.id === id)))
  t.ok(publisher.status().live_sent >= 5)

  // Space returns.
  fs.rmSync(filler)
  const failures = store.stats().write_failures
  const after = store.record(result('a', ++i, 2))!
  t.equal(after.stored, true, 'storing resumed by itself')
  publisher.notify(after)
  t.equal(store.stats().write_failures, failures)
  t.equal(after.seq, Number(live.at(-1)!.slice(-12)) + 1, 'seq continues past the unstored messages')
  await until('outbox drained', () => store.backlog === 0 && publisher.status().inflight === 0)
  const db = new Database(path.join(mnt, 'e.db'), { readonly: true })
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok')
  db.close()
})

t.test('disk full, then a restart: an id that went out live is never given again', async (t) => {
  const disk = smallDisk(t)
  if (!disk) return
  const { mnt, filler } = disk
  const open = async () => {
    const s = testStore(path.join(mnt, 'e.db'))
    await s.start()
    return s
  }
  let store = await open()
  let i = 0
  const sent: { id: string; stored: boolean }[] = []
  while (store.stats().write_failures === 0 && i < 20_000) {
    const m = store.record(result('a', ++i, 20))!
    sent.push({ id: m.id, stored: m.stored })
    if (i % 20 === 0) await new Promise((r) => setImmediate(r))
  }
  for (let k = 0; k < 5; k++) {
    const m = store.record(result('a', ++i, 20))!
    t.equal(m.stored, false, 'the disk is full: sent live only')
    sent.push({ id: m.id, stored: m.stored })
  }
  // The daemon stops during the spell (SQLite cannot even open a full disk's database for
  // writing, so it starts again once there is room) ...
  await store.stop()
  fs.rmSync(filler)
  store = await open()
  t.teardown(() => store.stop())
  const again = store.record(result('a', ++i, 2))!
  t.equal(again.stored, true)
  sent.push({ id: again.id, stored: again.stored })
  const lastLive = Math.max(...sent.filter((m) => !m.stored).map((m) => Number(m.id.slice(-12))))
  t.ok(
    Number(again.id.slice(-12)) > lastLive,
    `after the restart: ${again.id}, past the last live seq ${lastLive}`,
  )
  const ids = sent.map((m) => m.id)
  t.equal(new Set(ids).size, ids.length, `${ids.length} messages, no id twice`)
})
