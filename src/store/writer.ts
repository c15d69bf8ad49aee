// Writes one processed frame in one transaction: its detection rows (with their event),
// the camera's new message seq and the detections message, the frame's event changes
// (events rows upserted, one message each on the events topic with the device's next
// events seq) and its line crossings (a row each, the line's running totals, a message on
// the crossings topic). Nothing is half-written: a failed commit leaves no row and no
// message.
import type { Statement } from 'better-sqlite3'
import type { Db } from './db.js'
import type { InferenceResult } from '../runtime/types.js'
import type { EventChange } from '../tracking/object-events.js'
import type { SeqMarks } from './seq-reserve.js'
import { buildCrossingMessage, buildEventMessage, buildMessage, type StoredMessage } from './message.js'

/** One line crossing of a tracked object, as the store records it. */
export interface CrossingRecord {
  camera: string
  line: string
  direction: 'in' | 'out'
  /** The event (tracked object) that crossed. */
  event: string
  label: string
  ts: number
}

/** Which messages a frame produces (mqtt.publish; read per frame, so a reload applies). */
export interface PublishSettings {
  detections: boolean
  events: boolean
  emptyFrames: boolean
}

export class DetectionWriter {
  private insertDetection!: Statement
  private insertOutbox!: Statement
  private saveSeq!: Statement
  private saveStreamSeq!: Statement
  private upsertEvent!: Statement
  private insertCrossing!: Statement
  private addToTotal!: Statement
  private readonly lastSeq = new Map<string, number>()
  private readonly lastStreamSeq = new Map<string, number>()
  /** The crossings of the frame being written, with their message seq (set by messages()). */
  private crossingSeqs: { c: CrossingRecord; seq: number }[] = []
  private txn!: (
    result: InferenceResult | null,
    msgs: readonly Pending[],
    events: readonly EventChange[],
    now: number,
  ) => void

  constructor(
    private readonly db: Db,
    private readonly device: string,
    private readonly topicPrefix: string,
    private readonly publish: () => PublishSettings,
  ) {}

  /** Prepares statements and loads the seq counters. */
  prepare(): void {
    this.insertDetection = this.db.prepare(
      'INSERT INTO detections (camera, seq, ts, pts, label, class, score, x1, y1, x2, y2, event) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)',
    )
    this.insertOutbox = this.db.prepare(
      'INSERT INTO outbox (id, camera, seq, topic, payload, created) VALUES (?,?,?,?,?,?)',
    )
    this.saveSeq = this.db.prepare(
      'INSERT INTO camera_seq (camera, last_seq) VALUES (?, ?) ON CONFLICT (camera) DO UPDATE SET last_seq = excluded.last_seq',
    )
    this.saveStreamSeq = this.db.prepare(
      'INSERT INTO stream_seq (stream, last_seq) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET last_seq = excluded.last_seq',
    )
    this.upsertEvent = this.db.prepare(
      `INSERT INTO events (id, camera, track, label, start_ts, end_ts, last_ts, score, top_score, x1, y1, x2, y2,
         zones, entered_zones, stationary, frames, snapshot)
       VALUES (@id, @camera, @track, @label, @start_ts, @end_ts, @last_ts, @score, @top_score, @x1, @y1, @x2, @y2,
         @zones, @entered_zones, @stationary, @frames, @snapshot)
       ON CONFLICT (id) DO UPDATE SET label = excluded.label, end_ts = excluded.end_ts, last_ts = excluded.last_ts,
         score = excluded.score, top_score = excluded.top_score, x1 = excluded.x1, y1 = excluded.y1,
         x2 = excluded.x2, y2 = excluded.y2, zones = excluded.zones, entered_zones = excluded.entered_zones,
         stationary = excluded.stationary, frames = excluded.frames, snapshot = excluded.snapshot`,
    )
    this.insertCrossing = this.db.prepare(
      'INSERT INTO crossings (seq, camera, line, direction, event, label, ts) VALUES (?,?,?,?,?,?,?)',
    )
    this.addToTotal = this.db.prepare(
      `INSERT INTO line_totals (camera, line, in_count, out_count, since) VALUES (@camera, @line, @i, @o, @ts)
       ON CONFLICT (camera, line) DO UPDATE SET in_count = in_count + @i, out_count = out_count + @o`,
    )
    for (const row of this.db.prepare('SELECT camera, last_seq FROM camera_seq').all() as {
      camera: string
      last_seq: number
    }[]) {
      this.lastSeq.set(row.camera, row.last_seq)
    }
    for (const row of this.db.prepare('SELECT stream, last_seq FROM stream_seq').all() as {
      stream: string
      last_seq: number
    }[]) {
      this.lastStreamSeq.set(row.stream, row.last_seq)
    }
    this.txn = this.db.transaction(
      (
        result: InferenceResult | null,
        msgs: readonly Pending[],
        events: readonly EventChange[],
        now: number,
      ) => {
        if (result) {
          const seq = this.lastSeq.get(result.camera) ?? 0
          for (const o of result.objects) {
            this.insertDetection.run(
              result.camera,
              seq,
              result.ts,
              result.pts,
              o.label,
              o.class,
              o.score,
              o.box[0],
              o.box[1],
              o.box[2],
              o.box[3],
              o.event ?? null,
            )
          }
        }
        for (const e of events) this.upsertEvent.run(eventRow(e))
        for (const { c, seq } of this.crossingSeqs) {
          this.insertCrossing.run(seq, c.camera, c.line, c.direction, c.event, c.label, c.ts)
          const i = c.direction === 'in' ? 1 : 0
          this.addToTotal.run({ camera: c.camera, line: c.line, i, o: 1 - i, ts: c.ts })
        }
        for (const { msg, stream } of msgs) {
          if (stream === null) this.saveSeq.run(msg.camera, msg.seq)
          else this.saveStreamSeq.run(stream, msg.seq)
          this.insertOutbox.run(msg.id, msg.camera, msg.seq, msg.topic, msg.payload, now)
        }
      },
    )
  }

  /** The seq counters as they are now (in memory: ahead of the database after a failed write). */
  marks(): SeqMarks {
    return { cameras: Object.fromEntries(this.lastSeq), streams: Object.fromEntries(this.lastStreamSeq) }
  }

  /** Counts on from at least `marks` (seqs that went out live before a restart). */
  raise(marks: SeqMarks): void {
    for (const [k, v] of Object.entries(marks.cameras))
      this.lastSeq.set(k, Math.max(this.lastSeq.get(k) ?? 0, v))
    for (const [k, v] of Object.entries(marks.streams))
      this.lastStreamSeq.set(k, Math.max(this.lastStreamSeq.get(k) ?? 0, v))
  }

  /**
   * Builds the frame's messages and assigns their seqs (the caller then calls write()).
   * The counters move even if the write then fails: the messages are still sent live
   * with these seqs, and the next stored message must not reuse them.
   */
  messages(
    result: InferenceResult | null,
    events: readonly EventChange[],
    crossings: readonly CrossingRecord[] = [],
  ): Pending[] {
    const pub = this.publish()
    const out: Pending[] = []
    // Crossings get a seq whether or not they are published: their rows carry it.
    this.crossingSeqs = crossings.map((c) => {
      const seq = (this.lastStreamSeq.get('crossings') ?? 0) + 1
      this.lastStreamSeq.set('crossings', seq)
      return { c, seq }
    })
    if (pub.events) {
      for (const { c, seq } of this.crossingSeqs)
        out.push({ msg: buildCrossingMessage(c, this.device, seq, this.topicPrefix), stream: 'crossings' })
    }
    if (result && pub.detections && (result.objects.length > 0 || pub.emptyFrames)) {
      const seq = (this.lastSeq.get(result.camera) ?? 0) + 1
      this.lastSeq.set(result.camera, seq)
      out.push({ msg: buildMessage(result, this.device, seq, this.topicPrefix), stream: null })
    }
    if (pub.events) {
      for (const e of events) {
        const seq = (this.lastStreamSeq.get('events') ?? 0) + 1
        this.lastStreamSeq.set('events', seq)
        out.push({ msg: buildEventMessage(e, this.device, seq, this.topicPrefix), stream: 'events' })
      }
    }
    return out
  }

  /** One transaction; throws what SQLite throws (the store decides what it means). */
  write(
    result: InferenceResult | null,
    msgs: readonly Pending[],
    events: readonly EventChange[],
    now: number,
  ): void {
    if (
      msgs.length === 0 &&
      events.length === 0 &&
      this.crossingSeqs.length === 0 &&
      (result === null || result.objects.length === 0)
    )
      return
    this.txn(result, msgs, events, now)
  }
}

/** A message of this frame and the seq stream it counts in (null: the camera's detections). */
export interface Pending {
  msg: StoredMessage
  stream: string | null
}

function eventRow(e: EventChange): Record<string, unknown> {
  const b = e.body
  return {
    id: b.id,
    camera: b.camera,
    track: b.track,
    label: b.label,
    start_ts: b.start_ts,
    end_ts: b.end_ts,
    last_ts: b.ts,
    score: b.score,
    top_score: b.top_score,
    x1: b.box[0],
    y1: b.box[1],
    x2: b.box[2],
    y2: b.box[3],
    zones: JSON.stringify(b.zones),
    entered_zones: JSON.stringify(b.entered_zones),
    stationary: b.stationary ? 1 : 0,
    frames: b.frames,
    snapshot: b.snapshot ? JSON.stringify(b.snapshot) : null,
  }
}
