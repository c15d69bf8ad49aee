// Opening the onnxruntime session: the configured execution providers are tried in
// order and CPU is always the last resort. Each failed EP is remembered so the caller
// can log ONE line naming what failed and what runs.
import fs from 'node:fs'
import ort from 'onnxruntime-node'
import type { ResolvedConfig } from '../config/load.js'
import { ModelError, DOCS_HINT } from './errors.js'
import { tensorrtProviderOptions, TensorRtOptionsError } from './tensorrt-options.js'

export interface OpenedSession {
  session: ort.InferenceSession
  provider: string
  /** "tensorrt unavailable (reason)" for each provider tried before the one that runs. */
  failures: string[]
}

type ModelSettings = Pick<ResolvedConfig['model'], 'path' | 'providers' | 'threads' | 'tensorrt'>

/** Errors that are about the file, not about the execution provider. */
const MODEL_FAULT =
  /protobuf|Load model|ModelProto|INVALID_GRAPH|INVALID_PROTOBUF|NO_SUCHFILE|opset|Type Error|ShapeInferenceError/i

export async function openSession(model: ModelSettings): Promise<OpenedSession> {
  checkFile(model.path)
  const providers = [...model.providers.filter((p) => p !== 'cpu'), 'cpu' as const]
  const failures: string[] = []
  // onnxruntime's native logger writes coloured lines straight to stderr (e.g. for every
  // EP whose library is missing), which breaks the daemon's JSON log stream. Every such
  // failure also reaches us as an exception, logged properly, so keep only fatal ones.
  // (Applies when onnxruntime creates its environment: before this process's first session.)
  ort.env.logLevel = 'fatal'
  for (const provider of providers) {
    let ep: ort.InferenceSession.ExecutionProviderConfig
    try {
      ep =
        provider === 'tensorrt'
          ? {
              name: 'tensorrt',
              ...tensorrtProviderOptions(model.tensorrt, model.path),
            }
          : provider
    } catch (err) {
      // A TensorRT setting that cannot work anywhere (INT8 without a table...) is a config error.
      if (err instanceof TensorRtOptionsError)
        throw new ModelError(`model.tensorrt: ${err.message}`, DOCS_HINT)
      throw err
    }
    try {
      const session = await ort.InferenceSession.create(model.path, {
        executionProviders: [ep],
        intraOpNumThreads: model.threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        // Warnings about unused initialisers and the like are noise in a daemon's log.
        logSeverityLevel: 3,
      })
      return { session, provider, failures }
    } catch (err) {
      const msg = firstLine((err as Error).message)
      if (provider === 'cpu' || MODEL_FAULT.test(msg)) throw modelLoadError(model.path, msg)
      failures.push(`${provider} unavailable (${msg})`)
    }
  }
  /* c8 ignore next */
  throw new Error('unreachable: cpu is always tried')
}

/** The one log line about EP fallback, or null when the first choice runs. */
export function fallbackLine(opened: Pick<OpenedSession, 'failures' | 'provider'>): string | null {
  if (opened.failures.length === 0) return null
  return `execution provider ${opened.failures.join('; ')}; running on ${opened.provider}`
}

function checkFile(file: string): void {
  let st: fs.Stats
  try {
    st = fs.statSync(file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new ModelError(
      code === 'ENOENT'
        ? `${file}: model file not found (check model.path in the config)`
        : `${file}: cannot read the model: ${(err as Error).message}`,
      DOCS_HINT,
    )
  }
  if (!st.isFile()) throw new ModelError(`${file}: model path is not a file`)
  if (st.size < 64)
    throw new ModelError(`${file}: only ${st.size} bytes, not an ONNX model (truncated copy?)`)
}

function modelLoadError(file: string, raw: string): ModelError {
  const msg = raw.replace(/^Load model from .* failed:\s*/, '')
  if (/protobuf/i.test(msg))
    return new ModelError(
      `${file}: not a valid ONNX model (onnxruntime: ${msg}); is the file complete? A truncated copy or a Git LFS pointer fails like this`,
      DOCS_HINT,
    )
  return new ModelError(`${file}: onnxruntime cannot load the model: ${msg}`, DOCS_HINT)
}

function firstLine(s: string): string {
  // onnxruntime appends its native log (with ANSI colours) to some messages.
  // eslint-disable-next-line no-control-regex -- stripping ANSI escapes is the point
  return (s.split('\n')[0] ?? s).replace(/\u001b\[[0-9;]*m/g, '').trim()
}
