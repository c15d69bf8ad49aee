// Retention of events and their snapshots, beside the store's own for detections: events
// older than events.retention_days go (with their JPEG), and while the database and the
// snapshots together use more than storage.retention.max_mb, the oldest snapshots go.
// Bounded work per pass, every storage.retention.check_interval.
import type { Logger } from '../log/logger.js'
import type { ExtensionContext } from './extension.js'
import type { EventSnapshots } from './event-snapshots.js'
import { clearSnapshot, deleteEventsBefore, oldestSnapshots } from '../store/event-queries.js'

const BATCH = 200
const MAX_BATCHES = 50

export class EventRetention {
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly ctx: ExtensionContext,
    private readonly snapshots: EventSnapshots,
    private readonly log: Logger,
  ) {}

  start(): void {
    const every = this.ctx.config().storage.retention.check_interval * 1000
    this.timer = setInterval(() => this.run(), every)
    this.timer.unref()
    setImmediate(() => this.run())
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** One pass; returns what it removed (tests call it directly). */
  run(now = Date.now()): { events: number; snapshots: number } {
    const store = this.ctx.parts.store()
    const db = store?.database()
    if (!store || !db) return { events: 0, snapshots: 0 }
    const cfg = this.ctx.config()
    let events = 0
    let snapshots = 0
    try {
      if (cfg.events.retention_days > 0) {
        const before = now - cfg.events.retention_days * 86_400_000
        for (let i = 0; i < MAX_BATCHES; i++) {
          const gone = deleteEventsBefore(db, before, BATCH)
          for (const e of gone) this.snapshots.remove(e.id)
          events += gone.length
          if (gone.length < BATCH) break
        }
      }
      const limit = cfg.storage.retention.max_mb * 1024 * 1024
      for (let i = 0; i < MAX_BATCHES && store.stats().db_bytes + this.snapshots.bytes() > limit; i++) {
        const oldest = oldestSnapshots(db, BATCH)
        if (oldest.length === 0) break
        for (const e of oldest) {
          this.snapshots.remove(e.id)
          clearSnapshot(db, e.id)
        }
        snapshots += oldest.length
      }
    } catch (err) {
      this.log.warn({ err }, 'event retention pass failed; retried at the next interval')
    }
    if (events || snapshots)
      this.log.info({ events, snapshots }, 'retention removed old events and snapshots')
    return { events, snapshots }
  }
}
