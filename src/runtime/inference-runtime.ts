// The inference part of the daemon (Part 'model', critical). Frames are queued per
// camera (latest wins), handed to the inference worker in batches when the model's
// batch dimension allows it, one batch in flight at a time, and the results come back
// to onResult. The main event loop never waits on inference.
import path from 'node:path'
import type { Logger } from '../log/logger.js'
import type { ResolvedConfig } from '../config/load.js'
import type { Frame } from '../pipeline/frame.js'
import type { Part } from '../lifecycle.js'
import type { InferenceResult } from './types.js'
import type { EngineInfo } from './engine.js'
import { WorkerClient } from './worker-client.js'
import { LatencyStats } from './latency.js'
import { fallbackLine } from './session.js'

export interface InferenceRuntimeOptions {
  model: ResolvedConfig['model']
  detect: ResolvedConfig['detect']
  log: Logger
  onResult: (result: InferenceResult) => void
  /** Largest batch for a model with a dynamic batch dimension (default 8). */
  maxBatch?: number
  /** Clock for lastProgressAt (tests). */
  now?: () => number
}

export interface RuntimeInfo {
  model: string
  path: string
  provider: string
  /**
   * Every execution provider the session holds, in order (e.g. tensorrt, cuda, cpu);
   * `provider` is the first. Optional only for snapshots made without a runtime.
   */
  providers?: string[]
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

export class InferenceRuntime implements Part {
  private client: WorkerClient | null = null
  private engineInfo: EngineInfo | null = null
  /** Waiting frames, one per camera, in the order their cameras started waiting. */
  private readonly queue = new Map<string, Frame>()
  private inflight: Promise<void> | null = null
  private stopping = false
  private readonly latency = new LatencyStats()
  private counts = { submitted: 0, processed: 0, dropped: 0, batches: 0 }
  private lastDoneAt = 0
  private readonly now: () => number

  constructor(private opts: InferenceRuntimeOptions) {
    this.now = opts.now ?? Date.now
  }

  async start(): Promise<void> {
    this.stopping = false
    const { client, info } = await this.load(this.opts.model, this.opts.detect)
    this.client = client
    this.engineInfo = info
    this.lastDoneAt = this.now()
    this.pump() // frames submitted while the model was loading
  }

  private async load(
    model: ResolvedConfig['model'],
    detect: ResolvedConfig['detect'],
  ): Promise<{ client: WorkerClient; info: EngineInfo }> {
    const log = this.opts.log
    const client = new WorkerClient({
      model,
      detect,
      maxBatch: this.opts.maxBatch ?? 8,
      ortVerbose: log.isLevelEnabled('debug'),
    })
    const info = await client.start()
    const fallback = fallbackLine({
      failures: info.fallback,
      provider: info.provider,
      providers: info.providers,
    })
    if (fallback) log.warn(fallback)
    for (const note of info.sessionNotes) log.info({ providers: info.providers }, note)
    if (info.placementLog)
      log.debug(
        { providers: info.providers },
        "node placement: onnxruntime's verbose session log is on (log.level debug); its " +
          '"Node placements" / "Node(s) placed on [TensorrtExecutionProvider|CUDAExecutionProvider|CPUExecutionProvider]" ' +
          'lines on stderr (the journal) say how many nodes each provider runs',
      )
    this.opts.log.info(
      {
        model: info.path,
        provider: info.provider,
        providers: info.providers,
        threads: model.threads,
        format: info.format,
        format_source: info.formatSource,
        input: `${info.input.width}x${info.input.height}`,
        batch: info.batch,
        labels: info.labels.length,
        warmup_ms: Math.round(info.warmupMs),
      },
      `model ${path.basename(info.path)} loaded (${info.format}, ${info.providers.join(' > ')})`,
    )
    client.onCrash = (err) => {
      // Frames keep queueing and lastProgressAt stops advancing: the watchdog notices.
      this.opts.log.error({ err }, 'inference worker died; no more inference until restart')
      if (this.client === client) this.client = null
    }
    return { client, info }
  }

  submit(frame: Frame): void {
    this.counts.submitted++
    if (this.stopping) {
      this.counts.dropped++
      return
    }
    // Map.set keeps the camera's place in line: a newer frame replaces the waiting one.
    if (this.queue.has(frame.camera)) this.counts.dropped++
    this.queue.set(frame.camera, frame)
    this.pump()
  }

  private pump(): void {
    const client = this.client
    if (!client || this.inflight || this.queue.size === 0) return
    const max = this.engineInfo?.maxBatch ?? 1
    const frames: Frame[] = []
    for (const [camera, f] of this.queue) {
      if (frames.length >= max) break
      this.queue.delete(camera)
      frames.push(transferable(f))
    }
    this.counts.batches++
    this.inflight = client.run(frames).then(
      (done) => {
        this.inflight = null
        this.counts.processed += done.results.length
        this.latency.add(done.totalMs)
        this.lastDoneAt = this.now()
        for (const r of done.results) {
          try {
            this.opts.onResult(r)
          } catch (err) {
            this.opts.log.error({ err }, 'onResult handler threw')
          }
        }
        this.pump()
      },
      (err: Error) => {
        this.inflight = null
        this.counts.dropped += frames.length
        this.opts.log.error({ err, frames: frames.length }, 'inference batch failed')
        this.pump()
      },
    )
  }

  async stop(): Promise<void> {
    this.stopping = true
    this.counts.dropped += this.queue.size
    this.queue.clear()
    await this.inflight
    const client = this.client
    this.client = null
    await client?.close()
  }

  info(): RuntimeInfo {
    const i = this.engineInfo
    if (!i) throw new Error('InferenceRuntime.info() before start()')
    return {
      model: i.model,
      path: i.path,
      provider: i.provider,
      providers: [...i.providers],
      input: { ...i.input },
      batch: i.batch,
      labels: [...i.labels],
      format: i.format,
    }
  }

  stats(): RuntimeStats {
    const busy = this.inflight !== null
    const queued = this.queue.size
    return {
      ...this.counts,
      last_ms: this.latency.last,
      p50_ms: this.latency.percentile(50),
      p99_ms: this.latency.percentile(99),
      histogram: this.latency.histogram(),
      busy,
      // Idle counts as progress; a hung worker with frames waiting stops advancing it.
      lastProgressAt: !busy && queued === 0 && this.client ? this.now() : this.lastDoneAt,
      queued,
    }
  }

  /** Live reload: the new model is loaded and warmed up first; on failure the old one stays. */
  async swap(model: ResolvedConfig['model'], detect: ResolvedConfig['detect']): Promise<void> {
    const next = await this.load(model, detect)
    await this.inflight
    const old = this.client
    this.client = next.client
    this.engineInfo = next.info
    this.opts = { ...this.opts, model, detect }
    await old?.close()
    this.pump()
  }
}

function transferable(f: Frame): Frame {
  // The buffer is transferred: it must be exactly this frame's bytes.
  const data =
    f.data.byteOffset === 0 && f.data.byteLength === f.data.buffer.byteLength ? f.data : f.data.slice()
  return {
    camera: f.camera,
    seq: f.seq,
    pts: f.pts,
    ts: f.ts,
    width: f.width,
    height: f.height,
    sourceWidth: f.sourceWidth,
    sourceHeight: f.sourceHeight,
    data,
  }
}
