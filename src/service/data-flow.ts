// The frame's path through the core parts: camera onFrame → runtime.submit → onResult →
// the extensions' result stages (tracking, zones: they annotate the result and add the
// frame's events) → store.recordFrame (one transaction) → publisher.notify, with a
// notification on the bus at each step, and per-camera counters for status.
import type { Logger } from '../log/logger.js'
import type { Frame } from '../pipeline/frame.js'
import { FpsMeter } from '../pipeline/rate.js'
import type { DetectedObject, InferenceResult } from '../runtime/types.js'
import { LogThrottle } from '../log/throttle.js'
import type { DaemonBus } from './bus.js'
import type { CoreParts } from './core-parts.js'
import type { EventChange } from '../tracking/object-events.js'
import type { CrossingRecord } from '../store/writer.js'
import type { Track, TrackerStep } from '../tracking/tracker.js'

/** One processed frame on its way to the database; each stage may add to it. */
export interface FrameAnalysis {
  readonly result: InferenceResult
  /** Event changes recorded in the same transaction as the frame's detections. */
  readonly events: EventChange[]
  /** Line crossings recorded in the same transaction (zones stage). */
  readonly crossings: CrossingRecord[]
  /** Set by the tracking stage: the tracker's step for this frame, at media time t (s). */
  tracking?: { step: TrackerStep; t: number; eventId: (track: Track) => string }
  /** Set by the zones stage: the zones each track's reference point is in now. */
  zones?: Map<Track, readonly string[]>
}

/** Runs on every result before it is recorded, in `order` (lowest first). */
export interface ResultStage {
  readonly name: string
  readonly order: number
  process(frame: FrameAnalysis): void
}

export interface CameraCounters {
  submitted: number
  processed: number
  /** Processed frames per second (last seconds). */
  fps: number
  /** Capture (frame ts) to result, ms, smoothed over the last few results. */
  latency_ms: number | null
  /** The latest processed frame that had detections (or the latest one, before any). */
  latest: { frame_seq: number; ts: number; objects: DetectedObject[] } | null
}

interface Counters {
  submitted: number
  processed: number
  fps: FpsMeter
  latest: CameraCounters['latest']
  latencyMs: number | null
}

export class DataFlow {
  private readonly counters = new Map<string, Counters>()
  private readonly storeErrors = new LogThrottle()
  private readonly stageErrors = new LogThrottle()
  private stages: ResultStage[] = []

  constructor(
    private readonly deps: {
      parts: CoreParts
      bus: DaemonBus
      log: Logger
      /** False while stopping: frames that arrive then are not submitted. */
      accepting: () => boolean
    },
  ) {}

  /** Adds a stage; returns the function that removes it. */
  addStage(stage: ResultStage): () => void {
    this.stages = [...this.stages, stage].sort((a, b) => a.order - b.order)
    return () => {
      this.stages = this.stages.filter((s) => s !== stage)
    }
  }

  onFrame(frame: Frame): void {
    const runtime = this.deps.parts.runtime()
    if (!runtime || !this.deps.accepting()) {
      frame.release?.() // not kept: the camera may send the next one
      return
    }
    this.countersFor(frame.camera).submitted++
    // Before submit: the frame's buffer is transferred to the inference worker.
    this.deps.bus.emit('frame', frame)
    runtime.submit(frame)
  }

  onResult(r: InferenceResult): void {
    const c = this.countersFor(r.camera)
    const now = Date.now()
    c.processed++
    c.fps.tick(now)
    const latency = now - r.ts
    c.latencyMs = c.latencyMs === null ? latency : c.latencyMs + 0.2 * (latency - c.latencyMs)
    if (r.objects.length > 0 || c.latest === null || c.latest.objects.length > 0) {
      c.latest = { frame_seq: r.frameSeq, ts: r.ts, objects: r.objects }
    }
    const frame: FrameAnalysis = { result: r, events: [], crossings: [] }
    for (const stage of this.stages) {
      try {
        stage.process(frame)
      } catch (err) {
        // A broken feature must not cost the detections: the frame is still recorded.
        const held = this.stageErrors.take()
        if (held !== null) this.deps.log.error({ err, stage: stage.name, held }, 'a result stage failed')
      }
    }
    const store = this.deps.parts.store()
    if (store) {
      try {
        const publisher = this.deps.parts.publisher()
        for (const msg of store.recordFrame(r, frame.events, frame.crossings)) publisher?.notify(msg)
      } catch (err) {
        const held = this.storeErrors.take()
        if (held !== null) this.deps.log.error({ err, camera: r.camera, held }, 'could not store a result')
      }
    }
    this.deps.bus.emit('result', r)
  }

  /** A camera was removed or restarted with new settings: its counters start again. */
  forget(camera: string): void {
    this.counters.delete(camera)
  }

  snapshot(now = Date.now()): Record<string, CameraCounters> {
    const out: Record<string, CameraCounters> = {}
    for (const [name, c] of this.counters) {
      out[name] = {
        submitted: c.submitted,
        processed: c.processed,
        fps: c.fps.rate(now),
        latency_ms: c.latencyMs,
        latest: c.latest,
      }
    }
    return out
  }

  private countersFor(camera: string): Counters {
    let c = this.counters.get(camera)
    if (!c) {
      c = { submitted: 0, processed: 0, fps: new FpsMeter(), latest: null, latencyMs: null }
      this.counters.set(camera, c)
    }
    return c
  }
}
