// Every enabled camera as its own supervised GStreamer child (see camera.ts). One
// camera failing, stalling or restarting never touches the others.
import type { Logger } from '../log/logger.js'
import type { CameraConfig } from '../config/schema.js'
import type { Part } from '../lifecycle.js'
import type { Frame, CameraStatus } from './frame.js'
import { Camera } from './camera.js'
import { chooseVideoDecoder, detectVideoDecoders, type VideoDecoderInventory } from './video-decoders.js'
import type { BackoffOptions } from './backoff.js'
import { cameraChildMissing } from './child.js'

export interface CameraManagerOptions {
  cameras: Readonly<Record<string, CameraConfig>> // only enabled ones are run
  defaultMaxFps: number // detect.max_fps
  target: { width: number; height: number } // model input size: frames are scaled to FIT inside it, aspect kept
  log: Logger
  onFrame: (frame: Frame) => void // called for each delivered frame; must never block
  /** Frames carry release(); each camera sends its next frame once the last is released (camera.ts). */
  flowControl?: boolean
  /** Restart pacing (tests shorten it); defaults: 1 s doubling to 30 s, ±20 % jitter. */
  backoff?: Partial<BackoffOptions>
}

export interface ApplyResult {
  added: string[]
  removed: string[]
  changed: string[]
  unchanged: string[]
}

export class CameraManager implements Part {
  private readonly running = new Map<string, { camera: Camera; key: string }>()
  private inventory: VideoDecoderInventory | null = null
  private cameras: Readonly<Record<string, CameraConfig>>
  private defaultMaxFps: number
  private stopping = false
  /** The apply() under way (a reload), which stop() lets finish its current camera. */
  private applying: Promise<unknown> = Promise.resolve()

  constructor(private readonly opts: CameraManagerOptions) {
    this.cameras = opts.cameras
    this.defaultMaxFps = opts.defaultMaxFps
  }

  async start(): Promise<void> {
    this.stopping = false
    const missing = cameraChildMissing()
    if (missing) throw new Error(missing)
    this.inventory = await detectVideoDecoders()
    await this.apply(this.cameras, this.defaultMaxFps)
  }

  async stop(): Promise<void> {
    // An apply under way (reload) starts no further camera once stopping is set.
    this.stopping = true
    await this.applying
    const all = [...this.running.values()]
    this.running.clear()
    await Promise.all(all.map((r) => r.camera.stop()))
  }

  /** Live reload: starts new cameras, stops removed ones, restarts changed ones only. */
  apply(cameras: Readonly<Record<string, CameraConfig>>, defaultMaxFps: number): Promise<ApplyResult> {
    const run = this.applying.then(() => this.applyNow(cameras, defaultMaxFps))
    this.applying = run.catch(() => undefined)
    return run
  }

  private async applyNow(
    cameras: Readonly<Record<string, CameraConfig>>,
    defaultMaxFps: number,
  ): Promise<ApplyResult> {
    if (this.stopping) throw new Error('the cameras are stopping; not applying the new camera settings')
    this.cameras = cameras
    this.defaultMaxFps = defaultMaxFps
    const result: ApplyResult = { added: [], removed: [], changed: [], unchanged: [] }
    const wanted = new Map<string, CameraConfig>()
    for (const [name, cfg] of Object.entries(cameras)) if (cfg.enabled) wanted.set(name, cfg)
    const stops: Promise<void>[] = []
    for (const [name, r] of this.running) {
      if (!wanted.has(name)) {
        this.running.delete(name)
        result.removed.push(name)
        stops.push(r.camera.stop())
      }
    }
    await Promise.all(stops)
    for (const [name, cfg] of wanted) {
      const key = configKey(cfg, defaultMaxFps)
      const current = this.running.get(name)
      if (current && current.key === key) {
        result.unchanged.push(name)
        continue
      }
      let firstSeq = 0
      if (current) {
        result.changed.push(name)
        firstSeq = current.camera.lastSeq
        this.running.delete(name)
        await current.camera.stop()
      } else {
        result.added.push(name)
      }
      if (this.stopping) break
      const camera = this.makeCamera(name, cfg, defaultMaxFps, firstSeq)
      this.running.set(name, { camera, key })
      camera.start()
    }
    return result
  }

  status(): Record<string, CameraStatus> {
    const out: Record<string, CameraStatus> = {}
    for (const [name, r] of this.running) out[name] = r.camera.status()
    return out
  }

  /** pid of each camera's child (null while it waits to restart): for tests and diagnostics. */
  pids(): Record<string, number | null> {
    const out: Record<string, number | null> = {}
    for (const [name, r] of this.running) out[name] = r.camera.pid
    return out
  }

  private makeCamera(name: string, config: CameraConfig, defaultMaxFps: number, firstSeq: number): Camera {
    const inventory = this.inventory ?? { families: { cpu: ['avdec_h264', 'avdec_h265'] } }
    return new Camera({
      name,
      config,
      maxFps: config.max_fps ?? defaultMaxFps,
      target: this.opts.target,
      decoder: chooseVideoDecoder(config.decoder, inventory),
      log: this.opts.log.child({ camera: name }),
      onFrame: this.opts.onFrame,
      flowControl: this.opts.flowControl,
      backoff: this.opts.backoff,
      firstSeq,
    })
  }
}

/**
 * What the camera's child is made from. The analytics keys (track, zones, lines, masks,
 * filters) act on results, not on the pipeline: changing them must not restart it.
 */
function configKey(cfg: CameraConfig, defaultMaxFps: number): string {
  const { track: _t, zones: _z, lines: _l, masks: _m, filters: _f, ...ingest } = cfg
  return JSON.stringify({ ...ingest, max_fps: cfg.max_fps ?? defaultMaxFps })
}
