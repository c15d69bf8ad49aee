// Opening the onnxruntime session: the configured execution providers form ONE chain,
// TensorRT, then CUDA, then CPU (session-options.ts), so that what TensorRT rejects runs
// on CUDA. When a provider cannot be set up (its library missing, an unpatched binding...)
// it leaves the chain and the rest is tried again; CPU is always the last resort. Each
// failure is remembered so the caller can log ONE line naming what failed and what runs.
import fs from 'node:fs'
import ort from 'onnxruntime-node'
import { ModelError, DOCS_HINT } from './errors.js'
import { installedOrtVersion } from './ort-version.js'
import { providerChain, sessionPlan, type Provider, type SessionModel } from './session-options.js'
import { TensorRtOptionsError } from './tensorrt-options.js'
import { firstLine } from '../log/text.js'

export interface OpenedSession {
  session: ort.InferenceSession
  /** The first provider of the chain (kept for callers that name one provider). */
  provider: string
  /** Every provider the session holds, in order, e.g. ['tensorrt', 'cuda', 'cpu']. */
  providers: string[]
  /** "tensorrt unavailable (reason)" for each provider that left the chain. */
  failures: string[]
  /** Lines worth logging once, e.g. a TensorRT option the installed onnxruntime lacks. */
  notes: string[]
  /** Whether onnxruntime's verbose session log (node placement, on stderr) was on. */
  placementLog: boolean
}

export interface OpenSessionOptions {
  /** onnxruntime's verbose session log, for its node placement report (log.level debug). */
  verbose?: boolean
  /** The onnxruntime-node version installed; read from its package.json when omitted. */
  ortVersion?: string | null
  /** InferenceSession.create (tests). */
  create?: (path: string, options: ort.InferenceSession.SessionOptions) => Promise<ort.InferenceSession>
}

/** Errors that are about the file, not about the execution provider. */
const MODEL_FAULT =
  /protobuf|Load model|ModelProto|INVALID_GRAPH|INVALID_PROTOBUF|NO_SUCHFILE|opset|Type Error|ShapeInferenceError/i

export async function openSession(
  model: SessionModel,
  opts: OpenSessionOptions = {},
): Promise<OpenedSession> {
  checkFile(model.path)
  const create = opts.create ?? ((p, o) => ort.InferenceSession.create(p, o))
  const ortVersion = opts.ortVersion === undefined ? installedOrtVersion() : opts.ortVersion
  let chain = providerChain(model.providers)
  const failures: string[] = []
  // onnxruntime's native logger writes coloured lines straight to stderr (e.g. for every
  // EP whose library is missing), which breaks the daemon's JSON log stream. Every such
  // failure also reaches us as an exception, logged properly, so keep only fatal ones.
  // (Applies when onnxruntime creates its environment: before this process's first session.
  // A session's own log level, raised for the placement report, applies to that session.)
  ort.env.logLevel = 'fatal'
  for (;;) {
    let plan
    try {
      plan = sessionPlan(model, chain, { ortVersion, verbose: opts.verbose ?? false })
    } catch (err) {
      // A TensorRT setting that cannot work anywhere (INT8 without a table...) is a config error.
      if (err instanceof TensorRtOptionsError)
        throw new ModelError(`model.tensorrt: ${err.message}`, DOCS_HINT)
      throw err
    }
    try {
      const session = await create(model.path, plan.options)
      return {
        session,
        provider: chain[0]!,
        providers: [...chain],
        failures,
        notes: plan.notes,
        placementLog: plan.placementLog,
      }
    } catch (err) {
      const msg = firstLine((err as Error).message)
      if (chain.length === 1 || MODEL_FAULT.test(msg)) throw modelLoadError(model.path, msg)
      const failed = failingProvider(chain, msg)
      failures.push(`${failed} unavailable (${msg})`)
      chain = chain.filter((p) => p !== failed)
    }
  }
}

/**
 * Which provider of the chain a session-creation error is about: the index onnxruntime-node
 * names ("executionProviders[0] is unsupported", a binding built without it), else the
 * provider the message names ("...AppendExecutionProvider_TensorRT: Failed to load shared
 * library", "TensorRT EP options: ..."), else the first GPU provider. Never cpu.
 */
export function failingProvider(chain: readonly Provider[], message: string): Provider {
  const gpu = chain.filter((p) => p !== 'cpu')
  const index = /executionProviders\[(\d+)\]/.exec(message)
  const named = index ? chain[Number(index[1])] : undefined
  if (named && named !== 'cpu') return named
  // TensorRT first: its messages may name CUDA libraries too (libcudnn, cuda runtime).
  if (gpu.includes('tensorrt') && /tensorrt|\btrt_/i.test(message)) return 'tensorrt'
  if (gpu.includes('cuda') && /cuda/i.test(message)) return 'cuda'
  return gpu[0]!
}

/** The one log line about EP fallback, or null when the chain runs as configured. */
export function fallbackLine(
  opened: Pick<OpenedSession, 'failures' | 'provider'> & { providers?: readonly string[] },
): string | null {
  if (opened.failures.length === 0) return null
  const runs = opened.providers?.join(', ') ?? opened.provider
  return `execution provider ${opened.failures.join('; ')}; running on ${runs}`
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
