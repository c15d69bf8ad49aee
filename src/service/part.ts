// The parts the controller wires, as the controller sees them. The real classes
// (Store, Publisher, InferenceRuntime, CameraManager) satisfy these structurally;
// tests of the controller may pass small fakes through a PartFactory.
import type { Logger } from '../log/logger.js'
import type { ResolvedConfig } from '../config/load.js'
import type { CameraConfig } from '../config/schema.js'
import type { CameraStatus, Frame } from '../pipeline/frame.js'
import type { InferenceResult } from '../runtime/types.js'
import type { RuntimeInfo, RuntimeStats } from '../runtime/inference-runtime.js'
import type { StoreStats } from '../store/store.js'
import type { StoredMessage } from '../store/message.js'
import type { PublisherStatus } from '../mqtt/publisher.js'
import type { ApplyResult } from '../pipeline/camera-manager.js'

// The data shapes are the real modules' own; only the method sets are declared here.
export type { RuntimeInfo, RuntimeStats, StoreStats, PublisherStatus }
export type StoredMessageLike = StoredMessage
export type CameraChanges = ApplyResult

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

export interface StorePart {
  start(): Promise<void>
  stop(): Promise<void>
  record(result: InferenceResult): (StoredMessageLike & { stored: boolean }) | null
  stats(): StoreStats
}

export interface PublisherPart {
  start(): Promise<void>
  notify(msg: StoredMessageLike & { stored: boolean }): void
  stop(timeoutMs?: number): Promise<void>
  status(): PublisherStatus
}

export interface RuntimePart {
  start(): Promise<void>
  stop(): Promise<void>
  submit(frame: Frame): void
  info(): RuntimeInfo
  stats(): RuntimeStats
  swap(model: ResolvedConfig['model'], detect: ResolvedConfig['detect']): Promise<void>
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
