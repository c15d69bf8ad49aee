// Owns the checkpoint worker (checkpoint-worker.ts) and keeps the WAL bounded. If the
// worker cannot run or dies, the writer connection goes back to SQLite's own automatic
// checkpoints. If checkpoints keep failing (a reader holding an old snapshot for a long
// time, an I/O error), the WAL would grow without end, so:
//   - every failure is logged at warn (throttled), and its end at info;
//   - while they fail and the WAL is past softBytes, the writer connection checkpoints
//     itself now and then (TRUNCATE, waiting at most 100 ms for readers): the fallback
//     for a broken worker connection;
//   - past hardBytes storing pauses (results are still published live, as when the disk
//     is full) until such a checkpoint gets the WAL below softBytes again.
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { Logger } from '../log/logger.js'
import { LogThrottle } from '../log/throttle.js'
import type { Db, Synchronous } from './db.js'
import type { CheckpointReport } from './checkpoint-worker.js'

function workerUrl(): URL {
  const js = new URL('./checkpoint-worker.js', import.meta.url)
  return fs.existsSync(fileURLToPath(js)) ? js : new URL('./checkpoint-worker.ts', import.meta.url)
}

export interface WalLimits {
  /** WAL frames after which the worker forces a RESTART checkpoint. */
  restartFrames: number
  /** Past this, the writer connection also checkpoints (at most every fallbackEveryMs). */
  softBytes: number
  /** Past this, storing pauses until the WAL is below softBytes again. */
  hardBytes: number
  fallbackEveryMs: number
  /** How often the WAL's size is looked at. */
  watchEveryMs: number
}

const MiB = 1024 * 1024

/**
 * Defaults. A healthy WAL stays near 64 MiB (16384 frames of 4 KiB before a RESTART, then
 * the writer's journal_size_limit, db.ts): soft is twice that; hard a quarter of the
 * retention budget, at least 256 MiB.
 */
export function walLimits(maxMb: number): WalLimits {
  return {
    restartFrames: 16_384,
    softBytes: 128 * MiB,
    hardBytes: Math.max(256 * MiB, (maxMb * MiB) / 4),
    fallbackEveryMs: 10_000,
    watchEveryMs: 1000,
  }
}

export class Checkpointer {
  private worker: Worker | null = null
  private stopping = false
  private watch: NodeJS.Timeout | null = null
  private failingSince: number | null = null
  private lastError: string | null = null
  private readonly failureLog = new LogThrottle(60_000)
  private lastFallback = 0
  private walBytes = 0
  private paused: string | null = null

  constructor(
    private readonly db: Db,
    private readonly opts: {
      file: string
      synchronous: Synchronous
      log: Logger
      intervalMs?: number
      limits: WalLimits
    },
  ) {}

  start(): void {
    this.db.pragma('wal_autocheckpoint = 0')
    this.watch = setInterval(() => this.checkSize(), this.opts.limits.watchEveryMs)
    this.watch.unref()
    try {
      this.worker = new Worker(workerUrl(), {
        name: 'edgewatch-checkpoint',
        workerData: {
          file: this.opts.file,
          synchronous: this.opts.synchronous,
          intervalMs: this.opts.intervalMs ?? 200,
          restartFrames: this.opts.limits.restartFrames,
        },
      })
    } catch (err) {
      this.fallBack(err as Error)
      return
    }
    this.worker.unref()
    this.worker.on('message', (m: CheckpointReport) =>
      'error' in m ? this.failed(m.error) : this.recovered(),
    )
    this.worker.on('error', (err) => this.fallBack(err))
    this.worker.on('exit', (code) => {
      if (!this.stopping) this.fallBack(new Error(`checkpoint worker exited with code ${code}`))
    })
  }

  async stop(): Promise<void> {
    this.stopping = true
    if (this.watch) clearInterval(this.watch)
    this.watch = null
    const w = this.worker
    this.worker = null
    if (!w) return
    const exited = new Promise<void>((r) => w.once('exit', () => r()))
    w.postMessage('stop')
    const timer = setTimeout(() => void w.terminate(), 2000)
    await exited
    clearTimeout(timer)
  }

  /** Why storing is paused (the WAL is over its bound), or null. */
  pausedReason(): string | null {
    return this.paused
  }

  /** The WAL's size when last looked at. */
  get walSize(): number {
    return this.walBytes
  }

  private failed(error: string): void {
    this.lastError = error
    this.failingSince ??= Date.now()
    const held = this.failureLog.take()
    if (held === null) return
    this.opts.log.warn(
      { error, failures_held_back: held || undefined, wal_bytes: this.walBytes },
      'WAL checkpoint failed; retried (a process holding a read transaction open on the database keeps the WAL from shrinking)',
    )
  }

  private recovered(): void {
    if (this.failingSince === null) return
    this.opts.log.info({ failed_for_ms: Date.now() - this.failingSince }, 'WAL checkpoints work again')
    this.failingSince = null
    this.failureLog.reset()
  }

  /** The WAL's size against the limits: the writer's own checkpoint, then the pause. */
  private checkSize(): void {
    const { softBytes, hardBytes, fallbackEveryMs } = this.opts.limits
    this.walBytes = walFileBytes(this.opts.file)
    const struggling = this.failingSince !== null || this.worker === null
    const due = Date.now() - this.lastFallback >= fallbackEveryMs
    if (due && (this.paused !== null || (struggling && this.walBytes > softBytes))) {
      this.lastFallback = Date.now()
      this.writerCheckpoint()
      this.walBytes = walFileBytes(this.opts.file)
    }
    if (this.paused === null && this.walBytes > hardBytes) {
      this.paused = `WAL over ${Math.round(hardBytes / MiB)} MiB and not checkpointed (${this.lastError ?? 'checkpoints make no progress'})`
      this.opts.log.warn(
        { wal_bytes: this.walBytes, limit_bytes: hardBytes, error: this.lastError },
        'the WAL cannot be checkpointed and reached its bound: storing paused, detections are published live only; ' +
          'end the other process that reads the database (an open sqlite3 shell, a backup) or check the disk',
      )
    } else if (this.paused !== null && this.walBytes <= softBytes) {
      this.paused = null
      this.opts.log.info({ wal_bytes: this.walBytes }, 'WAL checkpointed again: storing resumed')
    }
  }

  /** A checkpoint on the writer connection itself, waiting at most 100 ms for readers. */
  private writerCheckpoint(): void {
    try {
      this.db.pragma('busy_timeout = 100')
      const [r] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[]
      if (r?.busy)
        throw Object.assign(new Error('a reader kept the WAL from being reset'), { code: 'SQLITE_BUSY' })
      this.recovered()
    } catch (err) {
      this.failed(
        `${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message} (writer connection)`,
      )
    } finally {
      try {
        this.db.pragma('busy_timeout = 5000')
      } catch {
        /* the connection is closing */
      }
    }
  }

  private fallBack(err: Error): void {
    this.worker = null
    if (this.stopping) return
    this.opts.log.warn({ err }, 'background WAL checkpoints unavailable; using SQLite automatic checkpoints')
    try {
      this.db.pragma('wal_autocheckpoint = 1000')
    } catch {
      /* the connection is closing */
    }
  }
}

function walFileBytes(file: string): number {
  try {
    return fs.statSync(`${file}-wal`).size
  } catch {
    return 0
  }
}
