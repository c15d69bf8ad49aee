// The inference part of the daemon (Part 'model', critical). Frames are queued per
// camera (latest wins), handed to the inference worker in batches when the model's
// batch dimension allows it, one batch in flight at a time, and the results come back
// to onResult. The main event loop never waits on inference. A frame's release() (a
// flow-controlled camera's) is called as it leaves the queue, so its camera can send the
// next one while this one is inferred; the next batch starts before the results of the
// last are handed on (stored, published), so the model does not wait for them.
//
// A worker that dies is started again (restart-policy.ts) while the cameras go on; stop()
// abandons a load under way (start, restart or swap) instead of waiting for it; a swap
// lets the batch in flight on the old session finish, and delivers it, before closing it.
import path from 'node:path'
import type { Logger } from '../log/logger.js'
import type { ResolvedConfig } from '../config/load.js'
import type { Frame } from '../pipeline/frame.js'
import { FatalError, type Part } from '../lifecycle.js'
import type { InferenceResult } from './types.js'
import type { EngineInfo } from './engine.js'
import { WorkerClient } from './worker-client.js'
import { LatencyStats } from './latency.js'
import { fallbackLine } from './session.js'
import { DEFAULT_RESTART_POLICY, RestartPolicy, type RestartPolicyOptions } from './restart-policy.js'
import type { WorkerFault } from './faults.js'

export interface InferenceRuntimeOptions {
  model: ResolvedConfig['model']
  detect: ResolvedConfig['detect']
  log: Logger
  onResult: (result: InferenceResult) => void
  /** Largest batch for a model with a dynamic batch dimension (default 8). */
  maxBatch?: number
  /** Clock for lastProgressAt and the restart policy (tests). */
  now?: () => number
  /** The worker kept crashing and the runtime gave up: the daemon must exit with this. */
  onFatal?: (err: FatalError) => void
  /** Restart pacing and when to give up (tests shorten it). */
  restartPolicy?: Partial<RestartPolicyOptions>
  /** A test's injected worker fault (faults.ts). */
  fault?: WorkerFault | null
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
  /** Workers started again after a crash (optional only for snapshots made without a runtime). */
  restarts?: number
  /** Why the last worker died (null: none did). */
  last_crash?: string | null
}

export class InferenceRuntime implements Part {
  private client: WorkerClient | null = null
  /** A worker being started (start, restart, swap), for stop() to abandon. */
  private loading: WorkerClient | null = null
  private engineInfo: EngineInfo | null = null
  /** Waiting frames, one per camera, in the order their cameras started waiting. */
  private readonly queue = new Map<string, Frame>()
  private inflight: Promise<void> | null = null
  private stopping = false
  private readonly latency = new LatencyStats()
  private counts = { submitted: 0, processed: 0, dropped: 0, batches: 0 }
  private lastDoneAt = 0
  private readonly now: () => number
  private generation = 0
  private readonly policy: RestartPolicy
  private restartTimer: NodeJS.Timeout | null = null
  private restarting: Promise<void> | null = null
  private crashes = { restarts: 0, last: null as string | null }

  constructor(private opts: InferenceRuntimeOptions) {
    this.now = opts.now ?? Date.now
    this.policy = new RestartPolicy({ ...DEFAULT_RESTART_POLICY, ...opts.restartPolicy }, this.now)
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
    if (this.stopping) throw new Error('model load abandoned: the daemon is stopping')
    const client = new WorkerClient({
      model,
      detect,
      maxBatch: this.opts.maxBatch ?? 8,
      ortVerbose: log.isLevelEnabled('debug'),
      generation: ++this.generation,
      fault: this.opts.fault ?? null,
    })
    this.loading = client
    log.info(
      { model: model.path, providers: model.providers },
      `loading the model ${path.basename(model.path)}` +
        (model.providers.includes('tensorrt') ? ' (a first TensorRT engine build takes minutes)' : ''),
    )
    let info: EngineInfo
    try {
      info = await client.start()
    } finally {
      if (this.loading === client) this.loading = null
    }
    if (this.stopping) {
      await client.kill()
      throw new Error('model load abandoned: the daemon is stopping')
    }
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
      if (this.client !== client) return
      this.client = null
      this.crashed(err)
    }
    return { client, info }
  }

  /** The worker died (or a restart failed to load): start another after a pause, or give up. */
  private crashed(err: Error): void {
    if (this.stopping) return
    this.crashes.last = err.message
    const delay = this.policy.crashed()
    if (delay === null) {
      const fatal = new FatalError(
        `the inference worker crashed too often (${this.policy.describe()}); last: ${err.message}`,
        1,
        'look at the journal around the crashes (journalctl -u edgewatch), check the model with `edgewatch model inspect` and memory (the kernel log for the OOM killer)',
      )
      this.opts.log.error({ err, restarts: this.crashes.restarts }, fatal.message)
      this.opts.onFatal?.(fatal)
      return
    }
    this.opts.log.error(
      { err, crashes: this.policy.recent, retry_in_s: delay / 1000 },
      'inference worker died; starting a new one (cameras keep running; the latest frame per camera waits)',
    )
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null
      this.restarting = this.restart().finally(() => (this.restarting = null))
    }, delay)
  }

  private async restart(): Promise<void> {
    let next: { client: WorkerClient; info: EngineInfo }
    try {
      next = await this.load(this.opts.model, this.opts.detect)
    } catch (err) {
      this.crashed(err as Error) // a restart that cannot load counts as another crash
      return
    }
    if (this.client) {
      await next.client.close() // a swap installed a worker meanwhile
      return
    }
    this.client = next.client
    this.engineInfo = next.info
    this.crashes.restarts++
    this.lastDoneAt = this.now()
    this.opts.log.info({ restarts: this.crashes.restarts }, 'inference worker restarted')
    this.pump()
  }

  submit(frame: Frame): void {
    this.counts.submitted++
    if (this.stopping) {
      this.counts.dropped++
      frame.release?.()
      return
    }
    // Map.set keeps the camera's place in line: a newer frame replaces the waiting one.
    const replaced = this.queue.get(frame.camera)
    if (replaced) {
      this.counts.dropped++
      replaced.release?.()
    }
    this.queue.set(frame.camera, frame)
    this.pump()
  }

  private pump(): void {
    const client = this.client
    if (!client || this.inflight || this.queue.size === 0) return
    const max = this.engineInfo?.maxBatch ?? 1
    const taken: Frame[] = []
    for (const [camera, f] of this.queue) {
      if (taken.length >= max) break
      this.queue.delete(camera)
      taken.push(f)
    }
    // Copies where needed first: release() lets the camera's next frame in at once.
    const frames = taken.map(transferable)
    for (const f of taken) f.release?.()
    this.counts.batches++
    this.inflight = client.run(frames).then(
      (done) => {
        this.inflight = null
        this.counts.processed += done.results.length
        this.latency.add(done.totalMs)
        this.lastDoneAt = this.now()
        this.pump() // the next batch runs while these results are stored and published
        for (const r of done.results) {
          try {
            this.opts.onResult(r)
          } catch (err) {
            this.opts.log.error({ err }, 'onResult handler threw')
          }
        }
      },
      (err: Error) => {
        this.inflight = null
        this.counts.dropped += frames.length
        if (!this.stopping) this.opts.log.error({ err, frames: frames.length }, 'inference batch failed')
        this.pump()
      },
    )
  }

  async stop(): Promise<void> {
    this.stopping = true
    if (this.restartTimer) clearTimeout(this.restartTimer)
    this.restartTimer = null
    this.counts.dropped += this.queue.size
    for (const f of this.queue.values()) f.release?.()
    this.queue.clear()
    // A load under way (start, restart, swap) is abandoned, not waited for.
    const loading = this.loading
    this.loading = null
    if (loading) this.ended(await loading.kill())
    await this.restarting
    await this.inflight
    const client = this.client
    this.client = null
    if (client) this.ended(await client.close())
  }

  private ended(ok: boolean): void {
    if (ok) return
    this.opts.log.warn(
      'the inference thread is still busy in native code (a model load or TensorRT engine build cannot be interrupted); it ends with the process',
    )
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
    // Idle counts as progress, and so does a restart under way (the restart policy bounds
    // it); a hung worker with frames waiting stops advancing it.
    const recovering = this.restartTimer !== null || this.restarting !== null
    const idle = !busy && queued === 0 && this.client !== null
    return {
      ...this.counts,
      last_ms: this.latency.last,
      p50_ms: this.latency.percentile(50),
      p99_ms: this.latency.percentile(99),
      histogram: this.latency.histogram(),
      busy,
      lastProgressAt: idle || recovering ? this.now() : this.lastDoneAt,
      queued,
      restarts: this.crashes.restarts,
      last_crash: this.crashes.last,
    }
  }

  /**
   * Live reload: the new model is loaded and warmed up first; on failure the old one
   * stays. New batches go to the new session at once; the batch in flight on the old one
   * finishes and is delivered before the old session closes.
   */
  async swap(model: ResolvedConfig['model'], detect: ResolvedConfig['detect']): Promise<void> {
    const next = await this.load(model, detect)
    const old = this.client
    const oldBatch = this.inflight
    if (this.restartTimer) clearTimeout(this.restartTimer)
    this.restartTimer = null
    this.client = next.client
    this.engineInfo = next.info
    this.opts = { ...this.opts, model, detect }
    await oldBatch
    if (old) this.ended(await old.close())
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
