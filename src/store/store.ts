// The database part of the daemon: every inference result is committed here (detections
// + outbox row, one transaction) before anything is published. The publisher reads the
// outbox and deletes rows once the broker acknowledged them (design.md §1).
import fs from 'node:fs'
import path from 'node:path'
import type { Logger } from '../log/logger.js'
import type { ResolvedConfig } from '../config/load.js'
import type { InferenceResult } from '../runtime/types.js'
import type { EventChange } from '../tracking/object-events.js'
import { FatalError, type Part } from '../lifecycle.js'
import { databaseBytes, isSqliteError, openWritable, type Db } from './db.js'
import { migrate } from './migrations.js'
import { DetectionWriter, type CrossingRecord } from './writer.js'
import { Outbox, type OutboxRow } from './outbox.js'
import { Retention, type RetentionResult } from './retention.js'
import { RecentPercentiles } from '../timing/recent-percentiles.js'
import { Checkpointer, walLimits, type WalLimits } from './checkpointer.js'
import { SeqReserve } from './seq-reserve.js'
import { LogThrottle } from '../log/throttle.js'
import type { StoredMessage } from './message.js'

export type { StoredMessage } from './message.js'
export type { OutboxRow } from './outbox.js'

export interface StoreOptions {
  storage: ResolvedConfig['storage']
  deviceId: string
  topicPrefix: string
  publishEmptyFrames: boolean
  /** mqtt.publish: which messages to build (read per frame; default: all). */
  publish?: () => { detections: boolean; events: boolean }
  log: Logger
  now?: () => number
  /** WAL bounds (tests make them small); default from storage.retention.max_mb. */
  wal?: Partial<WalLimits>
}

export interface StoreStats {
  detections_written: number
  messages_written: number
  write_failures: number
  outbox_backlog: number
  outbox_dropped: number
  db_bytes: number
  last_error: string | null
  commit_ms_p99: number
}

export class Store implements Part {
  private db: Db | null = null
  private writer: DetectionWriter | null = null
  private outbox: Outbox | null = null
  private retention: Retention | null = null
  private retentionTimer: NodeJS.Timeout | null = null
  private retentionRunning: Promise<unknown> | null = null
  private checkpointer: Checkpointer | null = null
  private seqReserve: SeqReserve | null = null
  private readonly commits = new RecentPercentiles()
  private readonly log: Logger
  private readonly now: () => number
  private counters = { detections_written: 0, messages_written: 0, write_failures: 0, outbox_dropped: 0 }
  private lastError: string | null = null
  private failingSince: number | null = null
  /** Repeated problems are logged at most once a minute; each first occurrence at once. */
  private readonly failureLog: LogThrottle
  private readonly dropLog: LogThrottle

  constructor(private readonly opts: StoreOptions) {
    this.log = opts.log.child({ module: 'store' })
    this.now = opts.now ?? Date.now
    this.failureLog = new LogThrottle(60_000, this.now)
    this.dropLog = new LogThrottle(60_000, this.now)
  }

  /** Unpublished messages in the outbox. */
  get backlog(): number {
    return this.outbox?.backlog ?? 0
  }

  get path(): string {
    return this.opts.storage.path
  }

  /** The open connection (extensions query their own tables through it); null when closed. */
  database(): Db | null {
    return this.db
  }

  async start(): Promise<void> {
    const file = this.opts.storage.path
    let db: Db
    try {
      await fs.promises.mkdir(path.dirname(file), { recursive: true })
      db = openWritable(file, this.opts.storage.synchronous)
    } catch (err) {
      throw new FatalError(
        `cannot open the database ${file}: ${(err as Error).message}`,
        1,
        'check that storage.path is on a writable local file system and the edgewatch user may write its directory',
      )
    }
    try {
      const applied = migrate(db, undefined, this.now())
      if (applied.length) this.log.info({ file, applied }, 'database schema migrated')
      const publish = this.opts.publish ?? (() => ({ detections: true, events: true }))
      this.writer = new DetectionWriter(db, this.opts.deviceId, this.opts.topicPrefix, () => ({
        ...publish(),
        emptyFrames: this.opts.publishEmptyFrames,
      }))
      this.writer.prepare()
      this.openSeqReserve(file)
      this.outbox = new Outbox(db)
      this.outbox.prepare()
      this.retention = new Retention(db, this.opts.storage.retention)
      this.retention.prepare()
    } catch (err) {
      db.close()
      throw new FatalError(
        `cannot prepare the database ${file}: ${(err as Error).message}`,
        1,
        'if the file is damaged, stop edgewatch, move it aside (it is recreated empty) and report the problem',
      )
    }
    this.db = db
    this.checkpointer = new Checkpointer(db, {
      file,
      synchronous: this.opts.storage.synchronous,
      log: this.log,
      limits: { ...walLimits(this.opts.storage.retention.max_mb), ...this.opts.wal },
    })
    this.checkpointer.start()
    this.log.info(
      { file, backlog: this.outbox.backlog, synchronous: this.opts.storage.synchronous },
      'database open',
    )
    const every = this.opts.storage.retention.check_interval * 1000
    this.retentionTimer = setInterval(() => void this.runRetention().catch(() => undefined), every)
    this.retentionTimer.unref()
    // A first pass soon after start (a device that was off for a week).
    setImmediate(() => void this.runRetention().catch(() => undefined))
  }

  async stop(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer)
    this.retentionTimer = null
    await this.retentionRunning
    await this.checkpointer?.stop()
    this.checkpointer = null
    const db = this.db
    this.db = null
    if (!db) return
    try {
      db.pragma('wal_checkpoint(TRUNCATE)')
    } catch (err) {
      this.log.warn({ err }, 'WAL checkpoint on close failed; the next start recovers it')
    }
    db.close()
    this.seqReserve?.close()
    this.seqReserve = null
  }

  /** Records one result without events; returns its detections message, if it has one. */
  record(result: InferenceResult): (StoredMessage & { stored: boolean }) | null {
    return this.recordFrame(result, [])[0] ?? null
  }

  /**
   * Records a processed frame (or, with result null, events alone: those a restart ends)
   * in one transaction, and returns its messages for the publisher. stored: false means the
   * database refused (disk full): they are only sent live, best effort.
   */
  recordFrame(
    result: InferenceResult | null,
    events: readonly EventChange[],
    crossings: readonly CrossingRecord[] = [],
  ): (StoredMessage & { stored: boolean })[] {
    const writer = this.writer
    if (!writer || !this.db) throw new Error('Store.record() before start()')
    const pending = writer.messages(result, events, crossings)
    // The WAL reached its bound (checkpointer.ts): not stored, sent live like on a full disk.
    const paused = this.checkpointer?.pausedReason() ?? null
    if (paused !== null) {
      this.counters.write_failures++
      this.lastError = paused
      this.reserveSeqs(pending.length)
      return pending.map((p) => ({ ...p.msg, stored: false }))
    }
    const t0 = performance.now()
    try {
      writer.write(result, pending, events, this.now())
    } catch (err) {
      if (!isSqliteError(err)) throw err
      this.writeFailed(err as Error)
      this.reserveSeqs(pending.length)
      return pending.map((p) => ({ ...p.msg, stored: false }))
    }
    this.commits.add(performance.now() - t0)
    if (this.failingSince !== null) this.writeRecovered()
    this.counters.detections_written += result?.objects.length ?? 0
    if (pending.length === 0) return []
    this.counters.messages_written += pending.length
    this.outbox!.added(pending.length)
    this.enforceOutboxCap()
    return pending.map((p) => ({ ...p.msg, stored: true }))
  }

  stats(): StoreStats {
    let bytes = 0
    try {
      if (this.db) bytes = databaseBytes(this.db)
    } catch {
      /* stats must not throw; bytes stay 0 */
    }
    return {
      ...this.counters,
      outbox_backlog: this.outbox?.backlog ?? 0,
      db_bytes: bytes,
      last_error: this.lastError,
      commit_ms_p99: this.commits.percentile(99),
    }
  }

  // ---- used by the publisher -------------------------------------------------------

  /** Up to `limit` unacknowledged messages after `afterRowid`, in commit order. */
  pending(afterRowid: number, limit: number): OutboxRow[] {
    if (!this.outbox || !this.db) return []
    try {
      return this.outbox.after(afterRowid, limit)
    } catch (err) {
      this.noteError(err as Error)
      return []
    }
  }

  /** Removes acknowledged messages. Returns false if the database refused (retry later). */
  acknowledge(rowids: readonly number[]): boolean {
    if (!this.outbox || !this.db) return false
    try {
      this.outbox.remove(rowids)
      return true
    } catch (err) {
      if (!isSqliteError(err)) throw err
      this.noteError(err as Error)
      return false
    }
  }

  /** One retention pass now (also run every storage.retention.check_interval). */
  async runRetention(): Promise<RetentionResult | null> {
    if (!this.retention || !this.db) return null
    if (this.retentionRunning) return null
    const run = this.retention.run(this.now())
    this.retentionRunning = run.catch(() => undefined)
    try {
      const r = await run
      if (r.byAge || r.bySize) this.log.info(r, 'retention removed old detections')
      return r
    } catch (err) {
      this.noteError(err as Error)
      this.log.warn({ err }, 'retention pass failed; it is retried at the next interval')
      return null
    } finally {
      this.retentionRunning = null
    }
  }

  // ---- internals ---------------------------------------------------------------------

  private enforceOutboxCap(): void {
    let dropped = 0
    try {
      dropped = this.outbox!.enforceCap(this.opts.storage.outbox_max_rows)
    } catch (err) {
      if (!isSqliteError(err)) throw err
      this.noteError(err as Error)
      return
    }
    if (dropped === 0) return
    this.counters.outbox_dropped += dropped
    if (this.dropLog.take() !== null) {
      this.log.warn(
        { dropped_total: this.counters.outbox_dropped, cap: this.opts.storage.outbox_max_rows },
        'outbox full: dropped the oldest unpublished messages (broker unreachable for long? raise storage.outbox_max_rows)',
      )
    }
  }

  private noteError(err: Error): void {
    this.lastError = `${(err as { code?: string }).code ?? err.name}: ${err.message}`
  }

  /** <db>.seqs: the seqs that went out without being stored (seq-reserve.ts). */
  private openSeqReserve(file: string): void {
    const reserve = new SeqReserve(`${file}.seqs`)
    try {
      this.writer!.raise(reserve.open())
      this.seqReserve = reserve
    } catch (err) {
      // No room even for the small file at start: ids stay unique only while the daemon runs.
      this.log.warn(
        { err, file: reserve.file },
        'cannot keep the seq reserve file; after a disk-full spell and a restart, message ids could repeat',
      )
    }
  }

  /** Messages that go out unstored keep their seqs reserved (in place, no free space needed). */
  private reserveSeqs(unstored: number): void {
    if (unstored === 0 || !this.seqReserve || !this.writer) return
    try {
      this.seqReserve.save(this.writer.marks())
    } catch (err) {
      this.noteError(err as Error)
    }
  }

  private writeFailed(err: Error): void {
    this.counters.write_failures++
    this.noteError(err)
    const first = this.failingSince === null
    if (first) this.failingSince = this.now()
    const held = this.failureLog.take()
    if (held === null) return
    if (first) {
      this.log.error(
        { err, file: this.opts.storage.path },
        'cannot write the database (disk full or read-only?): detections are still published live but NOT stored; free space or fix permissions, storing resumes by itself',
      )
    } else {
      this.log.error({ failures: held + 1, error: this.lastError }, 'database still not writable')
    }
  }

  private writeRecovered(): void {
    this.log.info(
      {
        failed_for_ms: this.now() - (this.failingSince ?? this.now()),
        write_failures: this.counters.write_failures,
      },
      'database writable again; storing resumed',
    )
    this.failingSince = null
    this.failureLog.reset()
  }
}
