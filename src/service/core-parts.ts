// The core parts as the controller sees them: their method sets only. The real classes
// (Store, Publisher, InferenceRuntime, CameraManager) satisfy these structurally; the
// data shapes are the parts' own types, imported from them (the parts import nothing from
// here, so there is no import circle). Tests of the controller pass small fakes through a
// PartFactory.
import type { Logger } from '../log/logger.js'
import type { ResolvedConfig } from '../config/load.js'
import type { CameraConfig } from '../config/schema.js'
import type { FatalError, Part } from '../lifecycle.js'
import type { CameraStatus, Frame } from '../pipeline/frame.js'
import type { ApplyResult } from '../pipeline/camera-manager.js'
import type { InferenceResult } from '../runtime/types.js'
import type { EventChange } from '../tracking/object-events.js'
import type { Db } from '../store/db.js'
import type { CrossingRecord } from '../store/writer.js'
import type { RuntimeInfo, RuntimeStats } from '../runtime/inference-runtime.js'
import type { StoreStats, StoredMessage } from '../store/store.js'
import type { DirectPublish, PublisherStatus } from '../mqtt/publisher.js'

export interface StorePart extends Part {
  /**
   * One processed frame (or, with null, events alone) in one transaction; its messages
   * for the publisher (stored: false when the database refused them).
   */
  recordFrame(
    result: InferenceResult | null,
    events: readonly EventChange[],
    crossings?: readonly CrossingRecord[],
  ): (StoredMessage & { stored: boolean })[]
  stats(): StoreStats
  /** The open connection, for the extensions' own queries (events); null when closed. */
  database(): Db | null
}

export interface PublisherPart {
  start(): Promise<void>
  stop(timeoutMs?: number): Promise<void>
  /** A message was recorded (stored: in the outbox; not stored: send live, best effort). */
  notify(msg: StoredMessage & { stored: boolean }): void
  /** Sends a message that is not in the outbox (stats, retained state) if connected. */
  publishDirect(msg: DirectPublish): boolean
  /** Listens to a topic (subscribed again on every connection). */
  subscribe?(topic: string, onMessage: (payload: Buffer) => void): void
  status(): PublisherStatus
}

/** stop() also abandons a start() under way (the model load), which then rejects. */
export interface RuntimePart extends Part {
  submit(frame: Frame): void
  info(): RuntimeInfo
  stats(): RuntimeStats
  swap(model: ResolvedConfig['model'], detect: ResolvedConfig['detect']): Promise<void>
}

export interface CamerasPart extends Part {
  apply(cameras: Readonly<Record<string, CameraConfig>>, defaultMaxFps: number): Promise<ApplyResult>
  status(): Record<string, CameraStatus>
}

/** The core parts; each getter is null while that part is not running. */
export interface CoreParts {
  store(): StorePart | null
  runtime(): RuntimePart | null
  cameras(): CamerasPart | null
  publisher(): PublisherPart | null
}

export type ControllerState = 'idle' | 'starting' | 'running' | 'reloading' | 'stopping' | 'stopped'

/** Builds the parts from the config; the controller calls each once per (re)start. */
export interface PartFactory {
  store(opts: {
    storage: ResolvedConfig['storage']
    deviceId: string
    topicPrefix: string
    publishEmptyFrames: boolean
    /** mqtt.publish, read per frame (a reload switches detections/events messages on or off). */
    publish: () => { detections: boolean; events: boolean }
    log: Logger
  }): StorePart
  publisher(opts: {
    mqtt: ResolvedConfig['mqtt']
    deviceId: string
    store: StorePart
    log: Logger
    /** Called on every (re)connection to the broker (retained state is re-sent then). */
    onConnect?: () => void
    redact?: (text: string) => string
  }): PublisherPart
  runtime(opts: {
    model: ResolvedConfig['model']
    detect: ResolvedConfig['detect']
    log: Logger
    onResult: (r: InferenceResult) => void
    /** The part failed for good while running (its worker kept crashing): the daemon exits. */
    onFatal?: (err: FatalError) => void
  }): RuntimePart
  cameras(opts: {
    cameras: Readonly<Record<string, CameraConfig>>
    defaultMaxFps: number
    target: { width: number; height: number }
    log: Logger
    onFrame: (frame: Frame) => void
  }): CamerasPart
}
