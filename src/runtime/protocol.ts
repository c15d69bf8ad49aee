// Messages between InferenceRuntime (main thread) and the inference worker. Plain data:
// they cross the thread boundary by structured clone (frame pixels by transfer).
import type { DetectSettings, EngineInfo, ModelSettings } from './engine.js'
import type { Frame } from '../pipeline/frame.js'
import type { InferenceResult } from './types.js'
import type { WorkerFault } from './faults.js'

export interface WorkerInit {
  model: ModelSettings
  detect: DetectSettings
  maxBatch: number
  /** onnxruntime's verbose session log, for its node placement report (log.level debug). */
  ortVerbose?: boolean
  /** 1 for the runtime's first worker, then one more per load (restart, swap). */
  generation?: number
  /** A test's injected fault (faults.ts); never set in production. */
  fault?: WorkerFault | null
}

export type ToWorker = { type: 'run'; id: number; frames: Frame[] } | { type: 'close' }

export type FromWorker =
  | { type: 'ready'; info: EngineInfo }
  | { type: 'failed'; message: string; hint?: string; config: boolean }
  | { type: 'done'; id: number; results: InferenceResult[]; runMs: number; totalMs: number }
  | { type: 'run-error'; id: number; message: string }
  | { type: 'closed' }
