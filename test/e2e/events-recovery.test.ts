// Events survive what detections survive: a broker outage while objects come and go, and a
// SIGKILL of the daemon in the middle of open events. Afterwards, over both runs of the
// daemon (same database): the events topic has every seq from 1 without a gap, every event
// has exactly one `new` and one `end`, and the events the kill left open were ended by the
// next start at the time they were last seen.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import mqtt from 'mqtt'
import Database from 'better-sqlite3'
import { BIN, REPO } from '../harness/cli.js'
import { startMosquitto } from '../harness/mosquitto.js'
import { startRtspServer } from '../harness/rtsp-server.js'
import { startProcess, waitForOutput, type Proc } from '../harness/process.js'
import { tempDir } from '../harness/tmp.js'
import { waitFor } from '../service/daemon-harness.js'

const CLIP = path.join(REPO, 'models', 'clip', 'tracks-clip.mp4')

interface EventMessage {
  type: 'new' | 'update' | 'end'
  id: string
  seq: number
  start_ts: number
  end_ts: number | null
  ts: number
}

t.test('events: broker outage and SIGKILL lose nothing; the restart ends what was open', async (t) => {
  const dir = tempDir(t)
  // Persistent sessions: what the broker holds for the subscriber survives its restart.
  const broker = await startMosquitto(t, { persistence: true })
  const rtsp = await startRtspServer(t, { mounts: { '/tracks': `clip:${CLIP}` } })
  const events: EventMessage[] = []
  // A persistent session (clean: false): what the broker queued while we were away comes too.
  const sub = await mqtt.connectAsync(broker.url, { clientId: 'ev-sub', clean: false, reconnectPeriod: 200 })
  t.teardown(() => sub.endAsync(true))
  await sub.subscribeAsync('edgewatch/rec/events', { qos: 1 })
  sub.on('message', (_t, payload) => events.push(JSON.parse(payload.toString()) as EventMessage))

  const config = path.join(dir, 'config.yaml')
  fs.writeFileSync(
    config,
    [
      'device: { id: rec }',
      'cameras:',
      `  tracks: { url: "${rtsp.url('/tracks')}" }`,
      `storage: { path: "${path.join(dir, 'rec.db')}" }`,
      `mqtt: { url: "${broker.url}" }`,
      'http: { enabled: false }',
    ].join('\n') + '\n',
  )
  const run = async (): Promise<Proc> => {
    const p = startProcess(process.execPath, [BIN, 'run', '--config', config], { cwd: REPO })
    t.teardown(() => p.kill('SIGKILL'))
    await waitForOutput(p, (o) => o.includes('"msg":"ready"'), 120_000)
    return p
  }
  const seen = (type: string) => new Set(events.filter((e) => e.type === type).map((e) => e.id))

  // 1. first run: events begin; the broker goes away for 6 s while objects come and go
  const first = await run()
  await waitFor('two events', () => seen('new').size >= 2, 60_000)
  await broker.stop()
  await new Promise((r) => setTimeout(r, 6_000))
  await broker.start()
  await waitFor('events after the outage', () => seen('end').size >= 2, 60_000)

  // 2. SIGKILL while an event is open (a new without its end yet)
  await waitFor('an open event', () => [...seen('new')].some((id) => !seen('end').has(id)), 60_000)
  await first.kill('SIGKILL')
  const db = new Database(path.join(dir, 'rec.db'), { readonly: true })
  const openAtKill = db.prepare('SELECT id, last_ts FROM events WHERE end_ts IS NULL').all() as {
    id: string
    last_ts: number
  }[]
  db.close()
  t.ok(openAtKill.length > 0, `${openAtKill.length} events open at the kill`)

  // 3. second run: it ends them (with their last seen time), then goes on; clean stop
  const second = await run()
  await waitFor('the open events ended', () => openAtKill.every((o) => seen('end').has(o.id)), 30_000)
  await waitFor('new events in the second run', () => seen('new').size > seen('end').size, 60_000)
  process.kill(second.child.pid!, 'SIGTERM')
  t.equal((await second.exited).code, 0)
  await waitFor(
    'all ends delivered',
    () => [...seen('new')].every((id) => seen('end').has(id)),
    20_000,
  ).catch(() => undefined)

  const bySeq = new Map(events.map((e) => [e.seq, e]))
  const seqs = [...bySeq.keys()].sort((a, b) => a - b)
  t.equal(seqs[0], 1)
  t.equal(
    seqs.at(-1),
    seqs.length,
    `events seq 1..${seqs.length} without a gap across the outage and the kill`,
  )
  const per = new Map<string, EventMessage[]>()
  for (const e of bySeq.values()) per.set(e.id, [...(per.get(e.id) ?? []), e])
  const wrong = [...per.entries()].filter(
    ([, l]) =>
      l.filter((e) => e.type === 'new').length !== 1 || l.filter((e) => e.type === 'end').length !== 1,
  )
  t.same(
    wrong.map(([id]) => id),
    [],
    `each of ${per.size} events: one new, one end`,
  )
  for (const o of openAtKill) {
    const end = per.get(o.id)?.find((e) => e.type === 'end')
    t.equal(end?.end_ts, o.last_ts, `${o.id} ended at its last seen time`)
  }
})
