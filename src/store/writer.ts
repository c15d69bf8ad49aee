// Writes one inference result in one transaction: its detection rows, the camera's new
// message seq and (when something is to be published) the outbox row.
import type { Statement } from 'better-sqlite3'
import type { Db } from './db.js'
import type { InferenceResult } from '../runtime/types.js'
import { buildMessage, type StoredMessage } from './message.js'

export class DetectionWriter {
  private insertDetection!: Statement
  private insertOutbox!: Statement
  private saveSeq!: Statement
  private readonly lastSeq = new Map<string, number>()
  private txn!: (result: InferenceResult, msg: StoredMessage | null, now: number) => void

  constructor(
    private readonly db: Db,
    private readonly device: string,
    private readonly topicPrefix: string,
    private readonly publishEmptyFrames: boolean,
  ) {}

  /** Prepares statements and loads the per-camera seq counters. */
  prepare(): void {
    this.insertDetection = this.db.prepare(
      'INSERT INTO detections (camera, seq, ts, pts, label, class, score, x1, y1, x2, y2) VALUES (?,?,?,?,?,?,?,?,?,?,?)',
    )
    this.insertOutbox = this.db.prepare(
      'INSERT INTO outbox (id, camera, seq, topic, payload, created) VALUES (?,?,?,?,?,?)',
    )
    this.saveSeq = this.db.prepare(
      'INSERT INTO camera_seq (camera, last_seq) VALUES (?, ?) ON CONFLICT (camera) DO UPDATE SET last_seq = excluded.last_seq',
    )
    for (const row of this.db.prepare('SELECT camera, last_seq FROM camera_seq').all() as {
      camera: string
      last_seq: number
    }[]) {
      this.lastSeq.set(row.camera, row.last_seq)
    }
    this.txn = this.db.transaction((result: InferenceResult, msg: StoredMessage | null, now: number) => {
      const seq = msg?.seq ?? this.lastSeq.get(result.camera) ?? 0
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
        )
      }
      if (msg) {
        this.saveSeq.run(result.camera, msg.seq)
        this.insertOutbox.run(msg.id, msg.camera, msg.seq, msg.topic, msg.payload, now)
      }
    })
  }

  /** Builds the message (or null) and assigns its seq; the caller then calls write(). */
  nextMessage(result: InferenceResult): StoredMessage | null {
    if (result.objects.length === 0 && !this.publishEmptyFrames) return null
    const seq = (this.lastSeq.get(result.camera) ?? 0) + 1
    // The counter moves even if the write then fails: the message is still sent live
    // with this seq, and the next stored message must not reuse it.
    this.lastSeq.set(result.camera, seq)
    return buildMessage(result, this.device, seq, this.topicPrefix)
  }

  /** One transaction; throws what SQLite throws (the store decides what it means). */
  write(result: InferenceResult, msg: StoredMessage | null, now: number): void {
    if (!msg && result.objects.length === 0) return
    this.txn(result, msg, now)
  }
}
