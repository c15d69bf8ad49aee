// The parts the controller wires, as the controller sees them. The real classes
// (Store, Publisher, InferenceRuntime, CameraManager) satisfy these structurally;
// tests of the controller may pass small fakes through a PartFactory.
import type { Logger } from '../log/logger.js'
import type { ResolvedConfig } from '../config/load.js'
import type { CameraConfig } from '../config/schema.js'
import type { CameraStatus, Frame } from '../pipeline/frame.js'
import type { InferenceResult } from '../runtime/types.js'

/** A part of the daemon with a lifecycle. Constructors only assign; start()/stop() work. */
export interface Part {
  readonly name: string
  /** A critical part failing to start stops the daemon; an optional one is logged and skipped. */
  readonly critical: boolean
  start(): Promise<void>
  stop(): Promise<void>
}

/** Thrown for failures that should end the process with a particular exit code. */
export class FatalError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly hint?: string,
  ) {
    super(message)
    this.name = 'FatalError'
  }
}

export interface StoredMessageLike {
  id: string
  camera: string
  seq: number
  topic: string
  payload: string
}

export interface StorePart {
  start(): Promise<void>
  stop(): Promise<void>
  record(result: InferenceResult): (StoredMessageLike & { stored: boolean }) | null
  stats(): {
    detections_written: number
    messages_written: number
    write_failures: number
    outbox_backlog: number
    outbox_dropped: number
    db_bytes: number
    last_error: string | null
    commit_ms_p99: number
  }
}

export interface PublisherPart {
  start(): Promise<void>
  notify(msg: StoredMessageLike & { stored: boolean }): void
  stop(timeoutMs?: number): Promise<void>
  status(): {
    connected: boolean
    published: number
    inflight: number
    backlog: number
    reconnects: number
    last_error: string | null
    live_sent: number
  }
}

export interface RuntimeInfo {
  model: string
  path: string
  provider: string
  input: { width: number; height: number }
  batch: number | 'dynamic'
  labels: string[]
  format: string
}

export interface RuntimeStats {
  submitted: number
  processed: number
  dropped: number
  batches: number
  last_ms: number
  p50_ms: number
  p99_ms: number
  /** Latency histogram in ms, cumulative: counts[i] = runs with latency <= le[i]; count = +Inf. */
  histogram: { le: number[]; counts: number[]; sum: number; count: number }
  busy: boolean
  lastProgressAt: number
  queued: number
}

export interface RuntimePart {
  start(): Promise<void>
  stop(): Promise<void>
  submit(frame: Frame): void
  info(): RuntimeInfo
  stats(): RuntimeStats
  swap(model: ResolvedConfig['model'], detect: ResolvedConfig['detect']): Promise<void>
}

export interface CameraChanges {
  added: string[]
  removed: string[]
  changed: string[]
  unchanged: string[]
}

export interface CamerasPart {
  start(): Promise<void>
  stop(): Promise<void>
  apply(cameras: Readonly<Record<string, CameraConfig>>, defaultMaxFps: number): Promise<CameraChanges>
  status(): Record<string, CameraStatus>
}

/** Builds the parts from the config; the controller calls each once per (re)start. */
export interface PartFactory {
  store(opts: {
    storage: ResolvedConfig['storage']
    deviceId: string
    topicPrefix: string
    publishEmptyFrames: boolean
    log: Logger
  }): StorePart
  publisher(opts: {
    mqtt: ResolvedConfig['mqtt']
    deviceId: string
    store: StorePart
    log: Logger
    statsProvider: () => Record<string, unknown>
    redact?: (text: string) => string
  }): PublisherPart
  runtime(opts: {
    model: ResolvedConfig['model']
    detect: ResolvedConfig['detect']
    log: Logger
    onResult: (r: InferenceResult) => void
  }): RuntimePart
  cameras(opts: {
    cameras: Readonly<Record<string, CameraConfig>>
    defaultMaxFps: number
    target: { width: number; height: number }
    log: Logger
    onFrame: (frame: Frame) => void
  }): CamerasPart
}
