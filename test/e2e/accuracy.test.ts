// The accuracy proof, end to end with every real part: the test clip is streamed by a
// real RTSP server, the daemon (bin/edgewatch.js, the default model) detects, stores in
// SQLite and publishes to a real mosquitto, and a subscriber here scores what arrives
// against the clip's ground truth, matching frames by pts (stream time = position in the
// clip). It also proves that every processed frame's message arrived (no seq gaps) and
// that what arrived equals what the database holds.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import mqtt from 'mqtt'
import Database from 'better-sqlite3'
import { REPO } from '../harness/cli.js'
import { startMosquitto } from '../harness/mosquitto.js'
import { startRtspServer } from '../harness/rtsp-server.js'
import { playClipOnce } from '../harness/play-clip.js'
import { tempDir } from '../harness/tmp.js'
import { meanAveragePrecision, mapRange, type PredBox, type TruthBox } from '../harness/map.js'

const CLIP = path.join(REPO, 'models', 'clip', 'shapes-clip.mp4')
const TRUTH = path.join(REPO, 'models', 'clip', 'shapes-clip.json')

interface ClipTruth {
  fps: number
  frames: {
    index: number
    pts: number
    objects: { label: string; box: [number, number, number, number] }[]
  }[]
}
interface Message {
  id: string
  seq: number
  camera: string
  pts: number | null
  ts: number
  frame: { width: number; height: number }
  objects: { label: string; class: number; score: number; box: [number, number, number, number] }[]
}

t.test('clip → RTSP → daemon → MQTT: mAP@0.5 ≥ 0.9, no seq gaps, messages equal the database', async (t) => {
  const truth = JSON.parse(fs.readFileSync(TRUTH, 'utf8')) as ClipTruth
  const dir = tempDir(t)
  const broker = await startMosquitto(t)
  const rtsp = await startRtspServer(t, { mounts: { '/shapes': `clip:${CLIP}` } })

  const received: Message[] = []
  const sub = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 })
  t.teardown(() => sub.endAsync(true))
  await sub.subscribeAsync('edgewatch/e2e/shapes/detections', { qos: 1 })
  sub.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString()) as Message))

  const config = path.join(dir, 'config.yaml')
  fs.writeFileSync(
    config,
    [
      'device: { id: e2e }',
      'cameras:',
      `  shapes: { url: "${rtsp.url('/shapes')}" }`,
      // A low score cut-off, as mAP evaluations use: the metric integrates over thresholds.
      `detect: { max_fps: ${truth.fps}, score: 0.05 }`,
      `storage: { path: "${path.join(dir, 'e2e.db')}" }`,
      `mqtt: { url: "${broker.url}", publish_empty_frames: true }`,
      'http: { enabled: false }',
    ].join('\n') + '\n',
  )
  // Play the clip once: until a frame near its end arrived, bounded by the clip length
  // plus a margin.
  const code = await playClipOnce(t, config, { frames: truth.frames.length, fps: truth.fps }, (last) =>
    received.some((m) => (m.pts ?? 0) >= last),
  )
  t.equal(code, 0, 'daemon exits 0 on SIGTERM')

  // Every processed frame has its message: seq runs 1..N without gaps (duplicates allowed).
  const bySeq = new Map<number, Message>()
  for (const m of received) bySeq.set(m.seq, m)
  const seqs = [...bySeq.keys()].sort((a, b) => a - b)
  t.ok(seqs.length >= truth.frames.length * 0.5, `processed ${seqs.length} of ${truth.frames.length} frames`)
  t.equal(seqs[0], 1, 'first seq is 1')
  t.equal(seqs.at(-1), seqs.length, 'no gaps in seq')
  const idMismatch = received.filter((m) => m.id !== bySeq.get(m.seq)!.id).length
  t.equal(idMismatch, 0, 'duplicates (if any) carry the same id')

  // What arrived equals what is stored.
  const db = new Database(path.join(dir, 'e2e.db'), { readonly: true })
  t.teardown(() => db.close())
  const outboxLeft = (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n
  t.equal(outboxLeft, 0, 'outbox drained on stop')
  const rows = db
    .prepare('SELECT seq, label, score, x1, y1, x2, y2 FROM detections WHERE camera = ? ORDER BY seq, id')
    .all('shapes') as {
    seq: number
    label: string
    score: number
    x1: number
    y1: number
    x2: number
    y2: number
  }[]
  const stored = new Map<number, typeof rows>()
  for (const r of rows) stored.set(r.seq, [...(stored.get(r.seq) ?? []), r])
  let mismatches = 0
  for (const m of bySeq.values()) {
    const dbRows = stored.get(m.seq) ?? []
    const same =
      dbRows.length === m.objects.length &&
      m.objects.every(
        (o, i) =>
          dbRows[i]!.label === o.label &&
          Math.abs(dbRows[i]!.score - o.score) < 1e-4 &&
          [dbRows[i]!.x1, dbRows[i]!.y1, dbRows[i]!.x2, dbRows[i]!.y2].every(
            (v, k) => Math.abs(v - o.box[k]!) < 0.01,
          ),
      )
    if (!same) mismatches++
  }
  t.equal(mismatches, 0, 'every message equals its database rows')
  t.equal(
    rows.length,
    [...bySeq.values()].reduce((n, m) => n + m.objects.length, 0),
    'no extra rows stored',
  )

  // Score against the truth of the frames that were processed.
  const frameByIndex = new Map(truth.frames.map((f) => [f.index, f]))
  t.equal([...bySeq.values()].filter((m) => typeof m.pts !== 'number').length, 0, 'every message has a pts')
  /** Pairs each message with the truth of the clip frame at its pts (+ `shift` frames). */
  const score = (shift: number) => {
    const gt: TruthBox[] = []
    const preds: PredBox[] = []
    let unmatched = 0
    for (const m of bySeq.values()) {
      const frame = frameByIndex.get(Math.round((m.pts ?? -1) * truth.fps) + shift)
      if (!frame) {
        unmatched++
        continue
      }
      for (const o of frame.objects) gt.push({ image: m.id, label: o.label, box: o.box })
      for (const o of m.objects) preds.push({ image: m.id, label: o.label, box: o.box, score: o.score })
    }
    return { gt, preds, unmatched }
  }
  // The test RTSP server (gst-rtsp-server, a non-live file mount) does not send the file's
  // first frame: the client's stream time 0 is file frame 1 (seen by decoding both paths
  // to PNG and comparing pixels). So the frame offset is found here — it must be 0 or 1 —
  // and the two neighbouring offsets must score worse, which shows pts is frame-exact.
  const candidates = [0, 1].map((shift) => ({ shift, ...score(shift) }))
  const scored = candidates.map((c) => ({ ...c, strict: mapRange(c.gt, c.preds) }))
  const best = scored.reduce((a, b) => (b.strict > a.strict ? b : a))
  t.comment(`frames matched at offset ${best.shift} (file frame = round(pts·fps) + ${best.shift})`)
  t.ok(best.unmatched <= 1, 'every message matches a clip frame by pts (but for the last at offset 1)')
  for (const shift of [best.shift - 1, best.shift + 1]) {
    const s = score(shift)
    const shifted = mapRange(s.gt, s.preds)
    t.ok(
      shifted < best.strict,
      `offset ${shift} scores lower (${shifted.toFixed(3)} < ${best.strict.toFixed(3)})`,
    )
  }
  const map50 = meanAveragePrecision(best.gt, best.preds, 0.5)
  t.comment(
    `end-to-end mAP@0.5 ${map50.toFixed(3)}, mAP@0.5:0.95 ${best.strict.toFixed(3)} over ${bySeq.size} frames`,
  )
  // measured 0.957 with the committed model (models/README.md); 0.9 leaves room for a
  // loaded machine's dropped frames and other x264/libav builds
  t.ok(map50 >= 0.9, `mAP@0.5 ${map50.toFixed(3)} ≥ 0.9`)
})
