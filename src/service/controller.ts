// The one ordered place where the daemon starts and stops, and the glue between its
// parts (zigbee2mqtt's lib/controller.ts is the model):
//   start: config → database → model (warm-up) → MQTT (not waiting for the broker) →
//          cameras → HTTP → READY=1 and watchdog pings;
//   stop:  STOPPING=1 → HTTP → cameras → inference (in-flight results are stored) →
//          MQTT (outbox drained up to service.stop_timeout, then `offline`) → database.
// Data flow: camera onFrame → runtime.submit → onResult → store.record → publisher.notify.
import type { Logger } from '../log/logger.js'
import type { ResolvedConfig } from '../config/load.js'
import { loadConfigFile } from '../config/load.js'
import { ConfigError } from '../config/errors.js'
import type { CameraConfig } from '../config/schema.js'
import type { Frame } from '../pipeline/frame.js'
import { FpsMeter } from '../pipeline/rate.js'
import type { InferenceResult } from '../runtime/types.js'
import { packageVersion } from '../cli/version.js'
import {
  FatalError,
  type CamerasPart,
  type PartFactory,
  type PublisherPart,
  type RuntimePart,
  type StorePart,
} from './part.js'
import { SystemdNotifier, type NotifyTransport } from './notify.js'
import { EventLoopMonitor } from './loop-monitor.js'
import { DEFAULT_HEALTH_LIMITS, HealthCheck, type HealthLimits, type HealthReport } from './health.js'
import { Watchdog } from './watchdog.js'
import { FrameSnapshots, type LatestImage } from './snapshots.js'
import { StatusHttpServer, type ReloadOutcome } from './http-server.js'
import { renderMetrics } from './metrics.js'
import { buildStats, buildStatus, statusLine, type DaemonStatus } from './status-model.js'
import { diffConfig } from './config-diff.js'
import { within } from '../timing/within.js'

export type ControllerState = 'idle' | 'starting' | 'running' | 'reloading' | 'stopping' | 'stopped'

export interface ControllerOptions {
  configPath: string
  config: ResolvedConfig
  log: Logger
  env: NodeJS.ProcessEnv
  parts: PartFactory
  /** Redacts free text (errors) that leaves the process (status, MQTT stats). */
  redact?: (text: string) => string
  /** systemd notify transport (default: libsystemd via sd-notify, when NOTIFY_SOCKET is set). */
  notifyTransport?: NotifyTransport
  healthLimits?: Partial<HealthLimits>
  /** How often the STATUS= line is refreshed (ms). */
  statusIntervalMs?: number
}

interface CameraCounters {
  submitted: number
  processed: number
  fps: FpsMeter
  latest: { frame_seq: number; ts: number; objects: InferenceResult['objects'] } | null
  /** Capture (frame ts) to result, ms, smoothed over the last few results. */
  latencyMs: number | null
}

export class Controller {
  private config: ResolvedConfig
  private readonly log: Logger
  private state: ControllerState = 'idle'
  private readonly notifier: SystemdNotifier
  private readonly loop = new EventLoopMonitor()
  private readonly health: HealthCheck
  private readonly snapshots = new FrameSnapshots()
  private watchdog: Watchdog | null = null
  private statusTimer: NodeJS.Timeout | null = null
  private store: StorePart | null = null
  private publisher: PublisherPart | null = null
  private runtime: RuntimePart | null = null
  private cameras: CamerasPart | null = null
  private http: StatusHttpServer | null = null
  private readonly counters = new Map<string, CameraCounters>()
  private resultErrors = 0
  private startedAt = 0
  private reloadChain: Promise<unknown> = Promise.resolve()
  private stopping: Promise<void> | null = null

  constructor(private readonly opts: ControllerOptions) {
    this.config = opts.config
    this.log = opts.log.child({ module: 'controller' })
    this.notifier = new SystemdNotifier({ env: opts.env, transport: opts.notifyTransport })
    this.health = new HealthCheck(
      {
        state: () => this.state,
        inference: () => this.runtimeStats(),
        loopLag: (w) => this.loop.maxLag(w),
        reloading: () => this.state === 'reloading',
        warnings: () => this.warnings(),
      },
      { ...DEFAULT_HEALTH_LIMITS, ...opts.healthLimits },
    )
  }

  get currentState(): ControllerState {
    return this.state
  }

  /** Where the HTTP server listens (after start), null when disabled or not started. */
  httpAddress(): { host: string; port: number } | null {
    return this.http?.address() ?? null
  }

  // ---- lifecycle -----------------------------------------------------------------------

  async start(): Promise<void> {
    this.state = 'starting'
    this.startedAt = Date.now()
    const cfg = this.config
    const cams = Object.entries(cfg.cameras).filter(([, c]) => c.enabled)
    this.log.info(
      {
        device: cfg.device.id,
        config: this.opts.configPath,
        cameras: cams.map(([n]) => n),
        model: cfg.model.path,
        systemd: this.notifier.enabled,
      },
      'starting edgewatch',
    )
    this.loop.start()

    // database (critical)
    const store = this.opts.parts.store({
      storage: cfg.storage,
      deviceId: cfg.device.id,
      topicPrefix: cfg.mqtt.topic_prefix,
      publishEmptyFrames: cfg.mqtt.publish_empty_frames,
      log: this.opts.log,
    })
    await store.start()
    this.store = store

    // model, with warm-up (critical)
    const runtime = this.opts.parts.runtime({
      model: cfg.model,
      detect: cfg.detect,
      log: this.opts.log,
      onResult: (r) => this.onResult(r),
    })
    try {
      await runtime.start()
    } catch (err) {
      if (err instanceof FatalError) throw err
      throw new FatalError(
        `cannot load the model ${cfg.model.path}: ${(err as Error).message}`,
        1,
        'check model.path and its manifest with `edgewatch model inspect FILE.onnx`, or `edgewatch check --probe`',
      )
    }
    this.runtime = runtime

    // MQTT (optional; does not wait for the broker)
    await this.startPublisher(cfg)

    // cameras (critical: without them nothing happens; one camera down is not a failure)
    const info = runtime.info()
    const cameras = this.opts.parts.cameras({
      cameras: enabledCameras(cfg.cameras),
      defaultMaxFps: cfg.detect.max_fps,
      target: info.input,
      log: this.opts.log,
      onFrame: (f) => this.onFrame(f),
    })
    try {
      await cameras.start()
    } catch (err) {
      throw new FatalError(
        `cannot start the cameras: ${(err as Error).message}`,
        1,
        'check that GStreamer is installed (gst-launch-1.0, gst-inspect-1.0) and run `edgewatch check --probe`',
      )
    }
    this.cameras = cameras

    // HTTP (optional)
    await this.startHttp(cfg)

    this.state = 'running'
    this.notifier.ready()
    this.refreshStatusLine()
    this.statusTimer = setInterval(() => this.refreshStatusLine(), this.opts.statusIntervalMs ?? 5_000)
    this.statusTimer.unref()
    const interval = this.notifier.watchdogIntervalMs()
    if (interval > 0) {
      this.watchdog = new Watchdog({
        intervalMs: interval,
        health: () => this.health.evaluate(),
        ping: () => this.notifier.watchdog(),
        log: this.log,
      })
      this.watchdog.start()
    }
    this.log.info(
      {
        provider: info.provider,
        model: info.model,
        cameras: cams.length,
        watchdog_ms: interval || undefined,
      },
      'ready',
    )
  }

  /** Idempotent; a second call returns the first one's promise. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop()
    return this.stopping
  }

  private async doStop(): Promise<void> {
    const wasStarting = this.state === 'starting' || this.state === 'idle'
    this.state = 'stopping'
    this.notifier.stopping()
    this.watchdog?.stop()
    this.watchdog = null
    if (this.statusTimer) clearInterval(this.statusTimer)
    this.statusTimer = null
    const deadline = Date.now() + this.config.service.stop_timeout * 1000
    this.log.info({ stop_timeout_s: this.config.service.stop_timeout }, 'stopping')
    // Let a reload in progress finish applying (bounded: a model swap can take long).
    await within(this.reloadChain, Math.min(5_000, this.config.service.stop_timeout * 500))
    await this.quietly('http', () => this.http?.stop())
    this.http = null
    await this.quietly('cameras', () => this.cameras?.stop())
    this.cameras = null
    // Results still in the worker are delivered to onResult (and stored) before it ends.
    await this.quietly('inference', () => this.runtime?.stop())
    this.runtime = null
    const drainMs = Math.max(500, deadline - Date.now() - 500)
    await this.quietly('mqtt', () => this.publisher?.stop(drainMs))
    this.publisher = null
    const backlog = this.store?.stats().outbox_backlog
    await this.quietly('database', () => this.store?.stop())
    this.store = null
    this.loop.stop()
    this.state = 'stopped'
    this.log.info({ outbox_backlog: backlog, during_start: wasStarting || undefined }, 'stopped')
  }

  private async quietly(part: string, fn: () => Promise<void> | undefined): Promise<void> {
    try {
      await fn()
    } catch (err) {
      this.log.error({ err, part }, `${part} did not stop cleanly`)
    }
  }

  private async startPublisher(cfg: ResolvedConfig): Promise<void> {
    if (!this.store) return
    const publisher = this.opts.parts.publisher({
      mqtt: cfg.mqtt,
      deviceId: cfg.device.id,
      store: this.store,
      log: this.opts.log,
      statsProvider: () => this.stats(),
      redact: this.opts.redact,
    })
    try {
      await publisher.start()
      this.publisher = publisher
    } catch (err) {
      this.log.error(
        { err },
        'MQTT failed to start; detections are stored and will be published after a restart with a working mqtt config',
      )
    }
  }

  private async startHttp(cfg: ResolvedConfig): Promise<void> {
    if (!cfg.http.enabled) return
    const http = new StatusHttpServer({
      listen: cfg.http.listen,
      log: this.log,
      provider: {
        health: () => this.healthReport(),
        metrics: () => this.metrics(),
        status: () => this.status(),
        latestImage: (c) => this.latestImage(c),
        reload: () => this.reload(),
      },
    })
    try {
      await http.start()
      this.http = http
    } catch (err) {
      this.log.error({ err }, 'HTTP status server failed to start; continuing without it (fix http.listen)')
    }
  }

  // ---- data flow -------------------------------------------------------------------------

  private countersFor(camera: string): CameraCounters {
    let c = this.counters.get(camera)
    if (!c) {
      c = { submitted: 0, processed: 0, fps: new FpsMeter(), latest: null, latencyMs: null }
      this.counters.set(camera, c)
    }
    return c
  }

  private onFrame(frame: Frame): void {
    const runtime = this.runtime
    if (!runtime || this.state === 'stopping' || this.state === 'stopped') return
    this.countersFor(frame.camera).submitted++
    // Copy before submit: the frame's buffer is transferred to the worker.
    this.snapshots.offer(frame)
    runtime.submit(frame)
  }

  private onResult(r: InferenceResult): void {
    const c = this.countersFor(r.camera)
    const now = Date.now()
    c.processed++
    c.fps.tick(now)
    const latency = now - r.ts
    c.latencyMs = c.latencyMs === null ? latency : c.latencyMs + 0.2 * (latency - c.latencyMs)
    if (r.objects.length > 0 || c.latest === null || c.latest.objects.length > 0) {
      c.latest = { frame_seq: r.frameSeq, ts: r.ts, objects: r.objects }
    }
    this.snapshots.onResult(r)
    const store = this.store
    if (!store) return
    try {
      const msg = store.record(r)
      if (msg) this.publisher?.notify(msg)
    } catch (err) {
      this.resultErrors++
      if (this.resultErrors === 1 || this.resultErrors % 1000 === 0) {
        this.log.error({ err, camera: r.camera, errors: this.resultErrors }, 'could not store a result')
      }
    }
  }

  // ---- reload ----------------------------------------------------------------------------

  /**
   * Re-reads the config file (SIGHUP, `edgewatch reload`, POST /api/reload). An invalid
   * file leaves everything as it is; a valid one is applied part by part. Reloads run
   * one at a time.
   */
  reload(): Promise<ReloadOutcome> {
    const run = this.reloadChain.then(() => this.doReload())
    this.reloadChain = run.catch(() => undefined)
    return run
  }

  private async doReload(): Promise<ReloadOutcome> {
    const outcome: ReloadOutcome = { ok: true, applied: [], needs_restart: [], errors: [] }
    if (this.state !== 'running') {
      return { ...outcome, ok: false, errors: [`the daemon is ${this.state}; reload when it is running`] }
    }
    this.state = 'reloading'
    this.notifier.reloading()
    this.log.info({ config: this.opts.configPath }, 'reloading configuration')
    try {
      let next: ResolvedConfig
      try {
        next = loadConfigFile(this.opts.configPath, { env: this.opts.env })
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err
        const lines = err.lines()
        this.log.error({ problems: lines }, 'new configuration is invalid; keeping the running one')
        return { ...outcome, ok: false, errors: lines }
      }
      await this.apply(next, outcome)
      this.log.info(
        { applied: outcome.applied, needs_restart: outcome.needs_restart, errors: outcome.errors },
        outcome.errors.length ? 'configuration reloaded with errors' : 'configuration reloaded',
      )
      if (outcome.needs_restart.length) {
        this.log.warn(
          { keys: outcome.needs_restart },
          `these settings take effect only after a restart (systemctl restart edgewatch): ${outcome.needs_restart.join(', ')}`,
        )
      }
      outcome.ok = outcome.errors.length === 0
      return outcome
    } catch (err) {
      this.log.error({ err }, 'reload failed')
      return { ...outcome, ok: false, errors: [...outcome.errors, (err as Error).message] }
    } finally {
      // A stop that came in meanwhile owns the state; READY after STOPPING would be wrong.
      if (this.state === 'reloading') {
        this.state = 'running'
        this.notifier.ready()
        this.refreshStatusLine()
      }
    }
  }

  /** Applies a valid new config part by part; what cannot change live keeps its old value. */
  private async apply(next: ResolvedConfig, outcome: ReloadOutcome): Promise<void> {
    const prev = this.config
    const d = diffConfig(prev, next)
    let model = prev.model
    let detect = prev.detect
    if ((d.model || d.detect) && this.runtime) {
      try {
        const before = this.runtime.info().input
        await this.runtime.swap(next.model, next.detect)
        model = next.model
        detect = next.detect
        outcome.applied.push(d.model ? `model swapped to ${next.model.path}` : 'detection settings updated')
        const after = this.runtime.info().input
        if (after.width !== before.width || after.height !== before.height) {
          // Cameras scale frames to fit the input size they were started with.
          outcome.needs_restart.push(
            `model input ${before.width}x${before.height} -> ${after.width}x${after.height} (cameras keep the old frame size)`,
          )
        }
      } catch (err) {
        outcome.errors.push(`model: ${(err as Error).message} (the previous model keeps running)`)
      }
    }
    let cameras = prev.cameras
    if ((d.cameras || d.maxFps) && this.cameras) {
      try {
        const r = await this.cameras.apply(enabledCameras(next.cameras), next.detect.max_fps)
        cameras = next.cameras
        for (const name of [...r.removed, ...r.changed]) {
          this.snapshots.forget(name)
          this.counters.delete(name)
        }
        if (r.added.length) outcome.applied.push(`cameras added: ${r.added.join(', ')}`)
        if (r.removed.length) outcome.applied.push(`cameras removed: ${r.removed.join(', ')}`)
        if (r.changed.length)
          outcome.applied.push(`cameras restarted with new settings: ${r.changed.join(', ')}`)
      } catch (err) {
        outcome.errors.push(`cameras: ${(err as Error).message}`)
      }
    }
    // The new detect.max_fps only counts if the cameras took it.
    if (cameras !== next.cameras) detect = { ...detect, max_fps: prev.detect.max_fps }
    outcome.needs_restart.push(...d.needsRestart)
    this.config = {
      ...next,
      device: prev.device,
      storage: prev.storage,
      log: prev.log,
      model,
      detect,
      cameras,
      mqtt: d.mqtt ? prev.mqtt : next.mqtt,
      http: d.http ? prev.http : next.http,
    }
    if (d.mqtt) await this.restartPublisher(next, outcome)
    if (d.http) this.restartHttpSoon(next, outcome)
  }

  private async restartPublisher(next: ResolvedConfig, outcome: ReloadOutcome): Promise<void> {
    const old = this.publisher
    this.publisher = null
    // Messages recorded meanwhile wait in the outbox; the new publisher sends them.
    await this.quietly('mqtt', () => old?.stop(2_000))
    await this.startPublisher(next)
    this.config = { ...this.config, mqtt: next.mqtt }
    outcome.applied.push(this.publisher ? 'mqtt reconnected with the new settings' : 'mqtt stopped')
  }

  /** After the reply: the reload may have come in through this very server. */
  private restartHttpSoon(next: ResolvedConfig, outcome: ReloadOutcome): void {
    outcome.applied.push(`HTTP server moves to ${next.http.enabled ? next.http.listen : '(disabled)'}`)
    this.config = { ...this.config, http: next.http }
    setTimeout(() => {
      void (async () => {
        const old = this.http
        this.http = null
        await this.quietly('http', () => old?.stop())
        if (this.state === 'running' || this.state === 'reloading') await this.startHttp(next)
      })()
    }, 200).unref()
  }

  // ---- status, health, metrics ------------------------------------------------------------

  private runtimeStats() {
    try {
      return this.runtime?.stats() ?? null
    } catch {
      return null
    }
  }

  private warnings(): string[] {
    const out: string[] = []
    const cams = this.cameras?.status() ?? {}
    for (const [name, s] of Object.entries(cams)) {
      if (s.state !== 'streaming')
        out.push(`camera ${name} is ${s.state}${s.last_error ? `: ${s.last_error}` : ''}`)
    }
    const mqtt = this.publisher?.status()
    if (this.config.mqtt.enabled && mqtt && !mqtt.connected) {
      out.push(
        `MQTT broker not connected${mqtt.last_error ? `: ${mqtt.last_error}` : ''} (messages wait in the outbox)`,
      )
    }
    const db = this.store?.stats()
    if (db?.last_error && db.write_failures > 0) out.push(`database: ${db.last_error}`)
    const clean = this.opts.redact
    return clean ? out.map(clean) : out
  }

  healthReport(): HealthReport {
    return this.health.evaluate()
  }

  /** Everything status, metrics and stats are made from, at one moment. */
  snapshot(): DaemonStatus {
    const rt = this.runtime
    let info = null
    try {
      info = rt?.info() ?? null
    } catch {
      info = null
    }
    const now = Date.now()
    const counters: Record<
      string,
      {
        submitted: number
        processed: number
        fps: number
        latency_ms: number | null
        latest: CameraCounters['latest']
      }
    > = {}
    for (const [name, c] of this.counters) {
      counters[name] = {
        submitted: c.submitted,
        processed: c.processed,
        fps: c.fps.rate(now),
        latency_ms: c.latencyMs,
        latest: c.latest,
      }
    }
    return {
      now,
      pid: process.pid,
      version: packageVersion(),
      device: this.config.device.id,
      config: this.opts.configPath,
      state: this.state,
      startedAt: this.startedAt,
      model: info,
      inference: this.runtimeStats(),
      cameras: this.cameras?.status() ?? {},
      counters,
      store: this.store?.stats() ?? null,
      mqtt: this.config.mqtt.enabled ? (this.publisher?.status() ?? null) : null,
      health: this.health.evaluate(),
      loop: { lagMs: this.loop.currentLag(), ...this.loop.delayStats() },
      rssBytes: process.memoryUsage.rss(),
      redact: this.opts.redact ?? ((s: string) => s),
    }
  }

  status(): unknown {
    return buildStatus(this.snapshot())
  }

  stats(): Record<string, unknown> {
    return buildStats(this.snapshot())
  }

  metrics(): string {
    return renderMetrics(this.snapshot())
  }

  latestImage(camera: string): LatestImage | null | undefined {
    if (!(camera in (this.cameras?.status() ?? {}))) return undefined
    this.snapshots.watch(camera)
    return this.snapshots.latest(camera)
  }

  private refreshStatusLine(): void {
    try {
      this.notifier.status(statusLine(this.snapshot()))
    } catch (err) {
      this.log.debug({ err }, 'could not build the STATUS line')
    }
  }
}

function enabledCameras(all: Readonly<Record<string, CameraConfig>>): Record<string, CameraConfig> {
  return Object.fromEntries(Object.entries(all).filter(([, c]) => c.enabled))
}
