// The JPEG of each event's best frame, in the state directory beside the database
// (<storage dir>/snapshots/<camera>/<start_ts>-<track>.jpg), written off the event loop by
// the image worker. A disk that is full or not writable costs snapshots, never detection
// or events: each failure is counted and logged (throttled).
import fs from 'node:fs'
import path from 'node:path'
import type { Logger } from '../log/logger.js'
import { LogThrottle } from '../log/throttle.js'
import { scaleBox } from './annotate.js'
import { ImageWriter } from './image-writer.js'
import type { SnapshotRequest } from '../tracking/camera-objects.js'

export interface SnapshotCounters {
  written: number
  failed: number
  /** Requests replaced by a better frame of the same event before they were written. */
  superseded: number
  bytes: number
  /** How long the last encode took (ms): the pause before the next is paced from it. */
  encode_ms: number
  last_error: string | null
}

/** written; failed (counted); superseded by a newer frame of the same event before its turn. */
export type WriteOutcome = 'written' | 'failed' | 'superseded'

/**
 * The share of one core the snapshots' JPEG encoding may take. The encoder is pure
 * JavaScript (jpeg-js, 50-100 ms for a 512x384 frame here): unpaced, 8 cameras full of
 * objects kept a core of this 2-core machine encoding, and the model processed 885 frames
 * in 30 s instead of 1546 without snapshots. After an encode of d ms (drawing and
 * encoding, timed in the worker) the next one starts d x (1/share - 1) later; meanwhile
 * only each event's newest request waits, so every event still gets its latest best
 * frame, a little later.
 */
const CPU_SHARE = 0.15

export class EventSnapshots {
  private readonly writer: ImageWriter
  private readonly failures = new LogThrottle()
  private readonly counters: SnapshotCounters = {
    written: 0,
    failed: 0,
    superseded: 0,
    bytes: 0,
    encode_ms: 0,
    last_error: null,
  }
  /** The latest request per event not yet handed to the worker: a better frame replaces it. */
  private readonly queued = new Map<string, { req: SnapshotRequest; done: (r: WriteOutcome) => void }>()
  private inFlight = 0
  /** No encode starts before this (CPU_SHARE); the timer that starts the next one then. */
  private nextAt = 0
  private paceTimer: NodeJS.Timeout | null = null
  /** Bytes of the files on disk (for the storage size cap), counted at start and kept up. */
  private sizes = new Map<string, number>()

  constructor(
    readonly dir: string,
    private readonly log: Logger,
    private readonly cpuShare = CPU_SHARE,
  ) {
    this.writer = new ImageWriter(log)
  }

  /** `<dir>/<camera>/<start_ts>-<track>.jpg` of an event id `<device>/<camera>/<start_ts>-<track>`. */
  fileOf(eventId: string): string | null {
    const m = /^[^/]+\/([^/]+)\/(\d+-\d+)$/.exec(eventId)
    return m ? path.join(this.dir, m[1]!, `${m[2]}.jpg`) : null
  }

  start(): void {
    this.writer.start()
    this.sizes = new Map()
    try {
      for (const cam of fs.readdirSync(this.dir, { withFileTypes: true })) {
        if (!cam.isDirectory()) continue
        for (const f of fs.readdirSync(path.join(this.dir, cam.name))) {
          const file = path.join(this.dir, cam.name, f)
          if (f.endsWith('.tmp'))
            fs.rmSync(file, { force: true }) // a crash mid-write
          else this.sizes.set(file, fs.statSync(file).size)
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.noteFailure(err as Error)
    }
  }

  stop(): Promise<void> {
    if (this.paceTimer) clearTimeout(this.paceTimer)
    this.paceTimer = null
    for (const q of this.queued.values()) q.done('superseded')
    this.queued.clear()
    return this.writer.stop()
  }

  /**
   * Writes the request's frame with its box; resolves whether it was written (never
   * rejects). While the worker is busy, only the newest request of each event waits.
   */
  write(req: SnapshotRequest): Promise<WriteOutcome> {
    return new Promise<WriteOutcome>((done) => {
      const old = this.queued.get(req.eventId)
      if (old) {
        this.counters.superseded++
        old.done('superseded')
      }
      this.queued.set(req.eventId, { req, done })
      this.pump()
    })
  }

  private pump(): void {
    // One at a time: the worker encodes one at a time anyway, and the pace needs each
    // encode's own duration.
    if (this.inFlight > 0 || this.queued.size === 0 || this.paceTimer) return
    const wait = this.nextAt - Date.now()
    if (wait > 0) {
      this.paceTimer = setTimeout(() => {
        this.paceTimer = null
        this.pump()
      }, wait)
      return
    }
    const [id, next] = this.queued.entries().next().value as [
      string,
      { req: SnapshotRequest; done: (r: WriteOutcome) => void },
    ]
    this.queued.delete(id)
    this.inFlight++
    void this.encode(next.req).then((encodeMs) => {
      this.inFlight--
      const ok = encodeMs !== null
      if (ok) {
        this.counters.encode_ms = Math.round(encodeMs * 10) / 10
        this.nextAt = Date.now() + encodeMs * (1 / this.cpuShare - 1)
      }
      next.done(ok ? 'written' : 'failed')
      this.pump()
    })
  }

  /** The encode's CPU time (ms) when written, null when not. */
  private async encode(req: SnapshotRequest): Promise<number | null> {
    const file = this.fileOf(req.eventId)
    const px = req.result.pixels
    if (!file || !px) return null
    const box = scaleBox(req.box, req.result.frame, { width: px.width, height: px.height })
    const r = await this.writer.write({
      file,
      width: px.width,
      height: px.height,
      // A copy: the frame's own buffer may serve another event of the same frame.
      rgb: px.data.slice(0, px.width * px.height * 3),
      objects: [{ label: `${req.label} #${req.track}`, class: req.class, score: req.score, box }],
    })
    if (!r.ok) {
      this.noteFailure(new Error(r.error))
      return null
    }
    this.counters.written++
    this.sizes.set(file, r.bytes)
    return r.encodeMs
  }

  /** Removes an event's file (retention); missing files are fine. */
  remove(eventId: string): void {
    const file = this.fileOf(eventId)
    if (!file) return
    fs.rmSync(file, { force: true })
    this.sizes.delete(file)
  }

  bytes(): number {
    let n = 0
    for (const v of this.sizes.values()) n += v
    return n
  }

  stats(): SnapshotCounters {
    return { ...this.counters, bytes: this.bytes() }
  }

  private noteFailure(err: Error): void {
    this.counters.failed++
    this.counters.last_error = err.message
    const held = this.failures.take()
    if (held !== null) {
      this.log.warn(
        { error: err.message, dir: this.dir, failed: this.counters.failed },
        'cannot write an event snapshot (disk full or not writable?); detection and events go on without it',
      )
    }
  }
}
