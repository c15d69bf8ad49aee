// SIGKILL at random points while writing and publishing, ten times and more: the
// database is intact every time and no committed message is ever lost.
import t from 'tap'
import path from 'node:path'
import Database from 'better-sqlite3'
import { startMosquitto } from '../harness/mosquitto.js'
import { startProcess, waitForOutput } from '../harness/process.js'
import { tempDir } from '../harness/tmp.js'
import { checkDelivery, subscribe, until } from '../mqtt/helpers.js'

const KILLS = 10
const fixture = path.join(import.meta.dirname, 'fixtures', 'writer.ts')
// Run the TypeScript fixture with the same loader tap gives this test.
const loader = process.execArgv.filter((a) => a.includes('@tapjs/typescript') || a.includes('tsx'))

function committedIds(out: string): string[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith('C '))
    .map((l) => l.slice(2))
}

t.test(`SIGKILL ${KILLS} times while writing: integrity ok, nothing committed lost`, async (t) => {
  const broker = await startMosquitto(t)
  const sub = await subscribe(t, broker.url, ['edgewatch/#'])
  const file = path.join(tempDir(t), 'crash.db')
  const committed: string[] = []
  let seed = 12345
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31

  for (let i = 0; i < KILLS; i++) {
    const sync = i % 2 ? 'full' : 'normal'
    const child = startProcess(process.execPath, [...loader, fixture, file, broker.url, 'write', sync])
    t.teardown(() => child.kill('SIGKILL'))
    const want = 5 + Math.floor(random() * 100)
    await waitForOutput(child, (out) => committedIds(out).length >= want, 60_000)
    await new Promise((r) => setTimeout(r, Math.floor(random() * 200)))
    await child.kill('SIGKILL')
    const ids = committedIds(child.output())
    committed.push(...ids)

    const db = new Database(file)
    const integrity = db.pragma('integrity_check', { simple: true })
    const outbox = new Set((db.prepare('SELECT id FROM outbox').all() as { id: string }[]).map((r) => r.id))
    const stored = new Set(
      (
        db.prepare('SELECT DISTINCT camera, seq FROM detections').all() as { camera: string; seq: number }[]
      ).map((r) => `crash/${r.camera}/${String(r.seq).padStart(12, '0')}`),
    )
    db.close()
    t.equal(integrity, 'ok', `kill ${i + 1} (${sync}, after ${ids.length} commits): integrity_check ok`)
    const received = new Set(sub.detections().map((d) => d.id))
    const lost = ids.filter((id) => !outbox.has(id) && !received.has(id))
    // A message acknowledged by the broker may still be on its way to the subscriber.
    if (lost.length)
      await until(
        'in-flight deliveries',
        () => lost.every((id) => sub.detections().some((d) => d.id === id)),
        10_000,
      ).catch(() => undefined)
    const stillLost = lost.filter((id) => !sub.detections().some((d) => d.id === id))
    t.same(stillLost, [], `kill ${i + 1}: every committed message is in the outbox or was delivered`)
    t.same(
      ids.filter((id) => !stored.has(id)),
      [],
      `kill ${i + 1}: every committed message has its detections`,
    )
  }
  await until(
    'LWT offline after a kill',
    () => sub.messages.some((m) => m.topic === 'edgewatch/crash/status' && m.payload === 'offline'),
    20_000,
  )

  // A last clean run drains what the killed ones left in the outbox.
  const drain = startProcess(process.execPath, [...loader, fixture, file, broker.url, 'drain', 'normal'])
  t.teardown(() => drain.kill('SIGKILL'))
  await waitForOutput(drain, (out) => out.includes('DRAINED'), 60_000)
  await drain.exited
  await until('every committed message delivered', () => {
    const got = new Set(sub.detections().map((d) => d.id))
    return committed.every((id) => got.has(id))
  })
  const d = checkDelivery(sub.detections())
  t.same(d.problems, [], 'across all restarts: per camera seq 1..n, in order, no gaps')
  t.comment(`${committed.length} committed over ${KILLS} kills, ${d.duplicates} duplicates delivered`)
})
