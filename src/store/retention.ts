// Retention: detections older than `days`, and the oldest detections while the database
// uses more than `max_mb`. Both delete in small batches through an index (no table scan)
// and yield between batches so frame processing and MQTT keep running.
import type { Statement } from 'better-sqlite3'
import type { Db } from './db.js'
import { usedBytes } from './db.js'

export interface RetentionPolicy {
  days: number
  max_mb: number
}

export interface RetentionResult {
  byAge: number
  bySize: number
  bytesAfter: number
}

const BATCH = 2000
/** Bound on batches per run, so one run never monopolises the main thread. */
const MAX_BATCHES = 500

export class Retention {
  private deleteOlder!: Statement
  private deleteOldest!: Statement

  constructor(
    private readonly db: Db,
    private readonly policy: RetentionPolicy,
  ) {}

  prepare(): void {
    this.deleteOlder = this.db.prepare(
      'DELETE FROM detections WHERE id IN (SELECT id FROM detections WHERE ts < ? ORDER BY ts LIMIT ?)',
    )
    this.deleteOldest = this.db.prepare(
      'DELETE FROM detections WHERE id IN (SELECT id FROM detections ORDER BY id LIMIT ?)',
    )
  }

  /** One retention pass. `yieldFn` runs between batches (tests pass a no-op). */
  async run(now: number, yieldFn: () => Promise<void> = defaultYield): Promise<RetentionResult> {
    const cutoff = now - this.policy.days * 86_400_000
    let byAge = 0
    for (let i = 0; i < MAX_BATCHES; i++) {
      const n = this.deleteOlder.run(cutoff, BATCH).changes
      byAge += n
      if (n < BATCH) break
      await yieldFn()
    }
    const limit = this.policy.max_mb * 1024 * 1024
    let bySize = 0
    if (byAge > 0) this.vacuum()
    for (let i = 0; i < MAX_BATCHES && usedBytes(this.db) > limit; i++) {
      const n = this.deleteOldest.run(BATCH).changes
      bySize += n
      if (n === 0) break
      await yieldFn()
    }
    if (bySize > 0) this.vacuum()
    return { byAge, bySize, bytesAfter: usedBytes(this.db) }
  }

  /** Gives free pages back to the file system so the file shrinks (auto_vacuum=INCREMENTAL). */
  private vacuum(): void {
    this.db.pragma('incremental_vacuum')
  }
}

function defaultYield(): Promise<void> {
  return new Promise((r) => setImmediate(r))
}
