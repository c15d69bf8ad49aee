// The one ordered place where the daemon starts and stops (zigbee2mqtt's
// lib/controller.ts is the model). It owns the lifecycle and nothing else:
//   start: database → model (warm-up) → MQTT (not waiting for the broker) → extensions
//          (service/extensions/index.ts, in list order) → cameras → READY=1;
//   stop:  STOPPING=1 → cameras → inference (in-flight results are still recorded) →
//          extensions (reverse order) → MQTT (outbox drained up to service.stop_timeout,
//          then `offline`) → database;
//   reload (SIGHUP, POST /api/reload): the new file is validated, then each extension
//          applies its part (the core parts' by extensions/core-reload.ts).
// The frame's path between the parts is service/data-flow.ts; features are extensions.
import { Registry } from 'prom-client'
import type { Logger } from '../log/logger.js'
import { enabledCameras, type ResolvedConfig } from '../config/load.js'
import { startCritical, type FatalError } from '../lifecycle.js'
import type { CamerasPart, PartFactory, RuntimePart, StorePart } from './core-parts.js'
import { PublisherSlot } from './publisher-slot.js'
import { SystemdNotifier, type NotifyTransport } from './notify.js'
import { EventLoopMonitor } from './loop-monitor.js'
import type { HealthLimits } from './health.js'
import { DaemonBus } from './bus.js'
import { HttpRoutes } from './http-routes.js'
import { DataFlow } from './data-flow.js'
import { StatusHub } from './status-hub.js'
import type {
  ControllerState,
  Extension,
  ExtensionContext,
  ExtensionFactory,
  ReloadOutcome,
} from './extension.js'
import { DEFAULT_EXTENSIONS } from './extensions/index.js'
import { ReloadRunner } from './reload-runner.js'
import { within } from '../timing/within.js'

export type { ControllerState } from './extension.js'

export interface ControllerOptions {
  configPath: string
  config: ResolvedConfig
  log: Logger
  env: NodeJS.ProcessEnv
  parts: PartFactory
  /** The features, in start order (default: extensions/index.ts). */
  extensions?: readonly ExtensionFactory[]
  /** Redacts free text (errors) that leaves the process (status, MQTT stats). */
  redact?: (text: string) => string
  /** systemd notify transport (default: libsystemd via sd-notify, when NOTIFY_SOCKET is set). */
  notifyTransport?: NotifyTransport
  healthLimits?: Partial<HealthLimits>
}

export class Controller {
  private config: ResolvedConfig
  private state: ControllerState = 'idle'
  private readonly log: Logger
  private readonly notifier: SystemdNotifier
  private readonly loop = new EventLoopMonitor()
  private readonly bus: DaemonBus
  private readonly flow: DataFlow
  private readonly extensions: Extension[]
  private readonly reloads: ReloadRunner
  private readonly mqtt: PublisherSlot
  private store: StorePart | null = null
  private runtime: RuntimePart | null = null
  /** The runtime while its model loads: a stop abandons the load instead of waiting for it. */
  private loadingRuntime: RuntimePart | null = null
  private cameras: CamerasPart | null = null
  private started: Extension[] = []
  private startedAt = 0
  private starting: Promise<void> | null = null
  private stopping: Promise<void> | null = null
  /** The context every extension gets; also how tests look at the daemon. */
  readonly context: ExtensionContext
  /** Settles when a running part failed for good (the worker kept crashing): stop and exit with its code. */
  readonly failure: Promise<FatalError>
  private reportFailure!: (err: FatalError) => void

  constructor(private readonly opts: ControllerOptions) {
    this.failure = new Promise<FatalError>((resolve) => (this.reportFailure = resolve))
    this.config = opts.config
    this.log = opts.log.child({ module: 'controller' })
    this.notifier = new SystemdNotifier({ env: opts.env, transport: opts.notifyTransport })
    this.bus = new DaemonBus(this.log)
    this.mqtt = new PublisherSlot({
      parts: opts.parts,
      log: opts.log,
      onConnect: () => this.bus.emit('connected'),
      redact: opts.redact,
    })
    const parts = {
      store: () => this.store,
      runtime: () => this.runtime,
      cameras: () => this.cameras,
      publisher: () => this.mqtt.get(),
    }
    this.flow = new DataFlow({ parts, bus: this.bus, log: this.log, accepting: () => !this.stopping })
    const redact = opts.redact ?? ((s: string) => s)
    const hub = new StatusHub({
      configPath: opts.configPath,
      config: () => this.config,
      state: () => this.state,
      startedAt: () => this.startedAt,
      parts,
      flow: this.flow,
      loop: this.loop,
      extensions: () => this.started,
      redact,
      healthLimits: opts.healthLimits,
    })
    this.context = {
      ...hub.contextPart(),
      configPath: opts.configPath,
      env: opts.env,
      log: opts.log,
      bus: this.bus,
      routes: new HttpRoutes(),
      metrics: new Registry(),
      notifier: this.notifier,
      parts,
      addStage: (stage) => this.flow.addStage(stage),
      config: () => this.config,
      state: () => this.state,
      reload: () => this.reload(),
      replacePublisher: (mqtt) => this.mqtt.replace({ ...this.config, mqtt }, this.store),
      redact,
    }
    this.reloads = new ReloadRunner({
      configPath: opts.configPath,
      env: opts.env,
      log: this.log,
      notifier: this.notifier,
      current: () => this.config,
      state: () => this.state,
      setState: (s) => (this.state = s),
      apply: async (change) => {
        for (const e of this.started) await e.reconfigure?.(change)
        for (const name of [...(change.cameras?.removed ?? []), ...(change.cameras?.changed ?? [])])
          this.flow.forget(name)
        this.config = Object.freeze(change.effective)
      },
      done: () => this.bus.emit('running'),
    })
    this.extensions = (opts.extensions ?? DEFAULT_EXTENSIONS).map((make) => make(this.context))
  }

  /**
   * Starts the parts in order. A stop that comes in meanwhile abandons a model load under
   * way, or lets any other step finish; then start returns without starting anything more
   * (and without READY).
   */
  start(): Promise<void> {
    this.starting ??= this.doStart()
    return this.starting
  }

  private async doStart(): Promise<void> {
    this.state = 'starting'
    this.startedAt = Date.now()
    const cfg = this.config
    const log = this.opts.log
    const cameraNames = Object.keys(enabledCameras(cfg.cameras))
    this.log.info(
      { device: cfg.device.id, config: this.opts.configPath, cameras: cameraNames, model: cfg.model.path },
      'starting edgewatch',
    )
    this.loop.start()
    const store = this.opts.parts.store({
      storage: cfg.storage,
      deviceId: cfg.device.id,
      topicPrefix: cfg.mqtt.topic_prefix,
      publishEmptyFrames: cfg.mqtt.publish_empty_frames,
      publish: () => this.config.mqtt.publish,
      log,
    })
    await store.start()
    this.store = store
    if (this.stopping) return

    const runtime = this.opts.parts.runtime({
      model: cfg.model,
      detect: cfg.detect,
      log,
      onResult: (r) => this.flow.onResult(r),
      onFatal: (err) => this.reportFailure(err),
    })
    this.loadingRuntime = runtime
    try {
      await startCritical(runtime, `cannot load the model ${cfg.model.path}`, MODEL_HINT)
    } catch (err) {
      if (this.stopping) return // stop() abandoned the load (and stopped the runtime)
      throw err
    } finally {
      this.loadingRuntime = null
    }
    this.runtime = runtime
    if (this.stopping) return

    await this.mqtt.start(cfg, store)
    for (const e of this.extensions) {
      if (this.stopping) return
      await e.start?.()
      this.started.push(e)
    }
    if (this.stopping) return

    const cameras = this.opts.parts.cameras({
      cameras: enabledCameras(cfg.cameras),
      defaultMaxFps: cfg.detect.max_fps,
      target: runtime.info().input,
      log,
      onFrame: (f) => this.flow.onFrame(f),
    })
    await startCritical(cameras, 'cannot start the cameras', CAMERAS_HINT)
    this.cameras = cameras
    if (this.stopping) return

    this.state = 'running'
    this.notifier.ready()
    this.bus.emit('running')
    const info = runtime.info()
    this.log.info({ provider: info.provider, model: info.model, cameras: cameraNames.length }, 'ready')
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
    this.bus.emit('stopping')
    const deadline = Date.now() + this.config.service.stop_timeout * 1000
    this.log.info({ stop_timeout_s: this.config.service.stop_timeout }, 'stopping')
    // A model load under way is abandoned (a TensorRT build may take many minutes); any
    // other start step finishes, then start gives up (a failed one has thrown).
    const loading = this.loadingRuntime
    if (loading) await this.quietly('inference', () => loading.stop())
    await this.starting?.catch(() => undefined)
    // Cameras and inference first: they refuse what a reload under way would still start
    // (cameras, a new model), so the reload ends soon after, and nothing outlives the stop.
    await this.quietly('cameras', () => this.cameras?.stop())
    this.cameras = null
    // Results still in the worker are recorded (and seen by the extensions) before it ends.
    await this.quietly('inference', () => this.runtime?.stop())
    this.runtime = null
    await within(this.reloads.settled(), this.config.service.stop_timeout * 1000)
    for (const e of [...this.started].reverse()) await this.quietly(e.name, () => e.stop?.())
    this.started = []
    const drainMs = Math.max(500, deadline - Date.now() - 500)
    await this.quietly('mqtt', () => this.mqtt.close(drainMs))
    const backlog = this.store?.stats().outbox_backlog
    await this.quietly('database', () => this.store?.stop())
    this.store = null
    this.loop.stop()
    this.state = 'stopped'
    this.log.info({ outbox_backlog: backlog, during_start: wasStarting || undefined }, 'stopped')
  }

  reload(): Promise<ReloadOutcome> {
    return this.reloads.run()
  }

  private async quietly(part: string, fn: () => Promise<void> | void | undefined): Promise<void> {
    try {
      await fn()
    } catch (err) {
      this.log.error({ err, part }, `${part} did not stop cleanly`)
    }
  }
}

const MODEL_HINT =
  'check model.path and its manifest with `edgewatch model inspect FILE.onnx`, or `edgewatch check --probe`'
const CAMERAS_HINT =
  'check that GStreamer is installed (gst-launch-1.0, gst-inspect-1.0) and run `edgewatch check --probe`'
