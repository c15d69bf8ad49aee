// What onnxruntime's InferenceSession.create receives: the configured execution providers
// as ONE chain (TensorRT, then CUDA, then CPU), so that nodes TensorRT rejects run on CUDA
// rather than on the CPU, and CPU takes what neither GPU provider has a kernel for. Pure:
// openSession (session.ts) tries the plan and shortens the chain when a provider fails.
import type ort from 'onnxruntime-node'
import type { ResolvedConfig } from '../config/load.js'
import { spinEntries } from './threads.js'
import { tensorrtOptionsFor, tensorrtProviderOptions, TENSORRT_OPTION_SINCE } from './tensorrt-options.js'

export type Provider = ResolvedConfig['model']['providers'][number]
export type SessionModel = Pick<
  ResolvedConfig['model'],
  'path' | 'providers' | 'threads' | 'spin_wait' | 'tensorrt'
>

export interface SessionContext {
  /** onnxruntime-node's version as installed (installedOrtVersion()), null if unknown. */
  ortVersion: string | null
  /**
   * onnxruntime's verbose session log, whose "Node placements" lines say which nodes run on
   * which provider. Native lines on stderr, and many of them: only with log.level debug.
   */
  verbose: boolean
}

export interface SessionPlan {
  providers: Provider[]
  options: ort.InferenceSession.SessionOptions
  /** Whether the verbose session log (node placement) is on for this session. */
  placementLog: boolean
  /** Things worth one log line, e.g. a TensorRT option this onnxruntime does not accept. */
  notes: string[]
}

/** The configured providers in order, each once, with cpu last: it is always the last resort. */
export function providerChain(configured: readonly Provider[]): Provider[] {
  const chain = [...new Set(configured.filter((p) => p !== 'cpu'))]
  return [...chain, 'cpu']
}

// onnxruntime severities: 0 verbose, 1 info, 2 warning, 3 error, 4 fatal.
const ORT_VERBOSE = 0
// Warnings about unused initialisers and the like are noise in a daemon's log.
const ORT_ERROR = 3

/**
 * The session options for `chain`. Throws TensorRtOptionsError for TensorRT settings that
 * cannot work anywhere (INT8 without a calibration table...).
 */
export function sessionPlan(
  model: SessionModel,
  chain: readonly Provider[],
  ctx: SessionContext,
): SessionPlan {
  const notes: string[] = []
  const executionProviders = chain.map((provider): ort.InferenceSession.ExecutionProviderConfig => {
    if (provider !== 'tensorrt') return provider
    const { options, dropped } = tensorrtOptionsFor(
      tensorrtProviderOptions(model.tensorrt, model.path),
      ctx.ortVersion,
    )
    for (const key of dropped) notes.push(droppedNote(key, ctx.ortVersion))
    return { name: 'tensorrt', ...options }
  })
  // Placement only says something when a GPU provider competes with the CPU.
  const placementLog = ctx.verbose && chain.some((p) => p !== 'cpu')
  return {
    providers: [...chain],
    options: {
      executionProviders,
      intraOpNumThreads: model.threads,
      interOpNumThreads: 1,
      extra: spinEntries(model.spin_wait),
      graphOptimizationLevel: 'all',
      logSeverityLevel: placementLog ? ORT_VERBOSE : ORT_ERROR,
    },
    placementLog,
    notes,
  }
}

function droppedNote(key: string, version: string | null): string {
  const since = TENSORRT_OPTION_SINCE[key]
  const why =
    version === null
      ? `the installed onnxruntime-node version is unknown (its package.json unreadable)`
      : `onnxruntime ${version} does not accept it (from ${since} on)`
  const effect =
    key === 'trt_timing_cache_path' ? '; the TensorRT timing cache is kept beside the engines instead' : ''
  return `TensorRT option ${key} left out: ${why}${effect}`
}
