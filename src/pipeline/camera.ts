// One supervised camera: runs its GStreamer child (child.ts), parses frames off the pipe, and
// restarts it (exponential backoff with jitter) when it stalls, errors or exits. Size
// negotiation is frame-sizes.ts; the fast return of an unreachable camera reachability.ts;
// flow control (opts.flowControl) frame-credits.ts.
import type { Logger } from '../log/logger.js'
import type { CameraConfig } from '../config/schema.js'
import { redact } from '../log/redact.js'
import type { CameraState, CameraStatus, Frame } from './frame.js'
import { GdpParser, type GdpPacket } from './gdp.js'
import { describePipeline, type PipelineSpec } from './describe.js'
import { FrameSizes } from './frame-sizes.js'
import { ReachabilityPoller } from './reachability.js'
import type { VideoDecoderChoice } from './video-decoders.js'
import { classifyGstError, StderrScanner, type CameraFault } from './errors.js'
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js'
import { FpsMeter } from './rate.js'
import { parseSegmentEvent, streamTimeSeconds, type Segment } from './segment.js'
import { grantCredits, signalGroup, spawnGst, stopGst, type SpawnedGst } from './child.js'
import { FrameCredits } from './frame-credits.js'

export interface CameraOptions {
  name: string
  config: CameraConfig
  maxFps: number
  target: { width: number; height: number }
  decoder: VideoDecoderChoice
  log: Logger
  onFrame: (frame: Frame) => void
  /** Frames carry release() and the child sends one only when the last was released. */
  flowControl?: boolean
  /** Called on every state change (probe uses it to stop at the first verdict). */
  onState?: (state: CameraState, reason: string | null) => void
  backoff?: Partial<BackoffOptions>
  /** seq to continue from (a reconfigured camera keeps counting). */
  firstSeq?: number
  now?: () => number
}

const WATCHDOG_MS = 1000
/** The child's gate counts (bin/edgewatch-gst-child.py), once a second when they change. */
const GATE_LINE = /^ewgate: passed=(\d+) dropped=(\d+)$/

export class Camera {
  private proc: SpawnedGst | null = null
  private spec: PipelineSpec | null = null
  private state: CameraState = 'stopped'
  private lastError: string | null = null
  private fault: CameraFault | null = null
  private stopping = false
  private seq: number
  private restarts = 0
  private received = 0
  private delivered = 0
  private dropped = 0
  /** Frames the children's gates dropped before scaling: earlier children's, the current one's. */
  private skipped = { before: 0, child: 0 }
  private readonly credits: FrameCredits | null
  private readonly fpsIn = new FpsMeter()
  private readonly fpsOut = new FpsMeter()
  private lastFrameAt: number | null = null
  private spawnedAt = 0
  private streamingSince: number | null = null
  private readonly sizes: FrameSizes
  /** The child's current time segment: maps buffer PTS to stream time (segment.ts). */
  private segment: Segment | null = null
  private restartTimer: NodeJS.Timeout | null = null
  private restartAt: number | null = null
  private readonly reachability = new ReachabilityPoller()
  private watchdog: NodeJS.Timeout | null = null
  private readonly backoff: Backoff
  private readonly now: () => number

  constructor(private readonly opts: CameraOptions) {
    this.seq = opts.firstSeq ?? 0
    this.backoff = new Backoff({ ...DEFAULT_BACKOFF, ...opts.backoff })
    this.now = opts.now ?? Date.now
    this.sizes = new FrameSizes({
      target: opts.target,
      log: opts.log,
      now: this.now,
      release: (f) => this.deliver(f),
      rescale: () => this.rescale(),
    })
    this.credits = opts.flowControl
      ? new FrameCredits({
          now: this.now,
          grant: () => {
            if (!this.proc || this.stopping) return false
            grantCredits(this.proc)
            return true
          },
        })
      : null
  }

  get name(): string {
    return this.opts.name
  }

  /** pid of the running camera child, null between runs. */
  get pid(): number | null {
    return this.proc?.child.pid ?? null
  }

  /** The last seq handed out (for a reconfigured camera to continue from). */
  get lastSeq(): number {
    return this.seq
  }

  private describe(): PipelineSpec {
    return describePipeline(this.opts.config, {
      maxFps: this.opts.maxFps,
      target: this.opts.target,
      decoder: this.opts.decoder,
      scaleTo: this.sizes.scaleTo,
    })
  }

  start(): void {
    this.stopping = false
    this.spec = this.describe()
    this.watchdog = setInterval(() => this.checkStall(), WATCHDOG_MS)
    this.watchdog.unref()
    this.spawn()
  }

  async stop(): Promise<void> {
    this.stopping = true
    if (this.restartTimer) clearTimeout(this.restartTimer)
    if (this.watchdog) clearInterval(this.watchdog)
    this.restartTimer = this.watchdog = null
    this.reachability.stop()
    this.sizes.clear()
    const p = this.proc
    if (p) await stopGst(p)
    this.setState('stopped', this.lastError)
  }

  status(): CameraStatus {
    const now = this.now()
    return {
      state: this.state,
      last_error: this.lastError,
      decoder: this.opts.decoder.label,
      frames: {
        received: this.received,
        delivered: this.delivered,
        dropped: this.dropped,
        skipped: this.skipped.before + this.skipped.child,
      },
      fps_in: this.fpsIn.rate(now),
      fps_delivered: this.fpsOut.rate(now),
      restarts: this.restarts,
      last_frame_age: this.lastFrameAt === null ? null : Math.max(0, (now - this.lastFrameAt) / 1000),
      source: this.sizes.source ? { ...this.sizes.source } : null,
      next_retry_s:
        this.restartAt !== null && this.restartTimer ? Math.max(0, (this.restartAt - now) / 1000) : null,
    }
  }

  private spawn(): void {
    if (this.stopping || !this.spec) return
    this.restartTimer = null
    this.fault = null
    this.sizes.newChild()
    this.segment = null
    this.spawnedAt = this.now()
    this.streamingSince = null
    this.setState('starting', this.lastError)
    const proc = spawnGst(this.opts.name, this.spec, {
      credits: this.opts.flowControl ? this.spec.flow : null,
      loop: this.spec.kind === 'file' && this.opts.config.loop,
    })
    this.proc = proc
    this.skipped = { before: this.skipped.before + this.skipped.child, child: 0 }
    this.credits?.newChild()
    const { child } = proc
    const parser = new GdpParser()
    let garbled = false
    child.stdio[3]!.on('data', (chunk: Buffer) => {
      if (this.proc !== proc || garbled) return
      try {
        parser.push(chunk, (p) => this.onPacket(p))
      } catch (err) {
        garbled = true
        this.failChild({
          reason: `garbled frame stream: ${(err as Error).message}`,
          permanent: false,
          unreachable: false,
        })
        signalGroup(child, 'SIGKILL')
      }
    })
    let partial = ''
    child.stdout!.setEncoding('utf8')
    child.stdout!.on('data', (text: string) => {
      const lines = (partial + text).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) this.onStdoutLine(line)
    })
    const scanner = new StderrScanner((text) => this.onGstError(text))
    child.stderr!.setEncoding('utf8')
    child.stderr!.on('data', (text: string) => scanner.push(text))
    void proc.exited.then(({ code, signal }) => {
      scanner.end()
      this.onExit(proc, code, signal)
    })
  }

  private onStdoutLine(line: string): void {
    const gate = GATE_LINE.exec(line)
    if (gate) {
      this.skipped.child = Number(gate[2])
      return
    }
    if (line.startsWith('Looping:')) this.opts.log.debug({}, 'end of file, looping')
    this.sizes.onVerboseLine(line)
  }

  private onPacket(p: GdpPacket): void {
    if (p.kind === 'caps') return this.sizes.onCaps(p.caps)
    if (p.kind === 'event') {
      const seg = parseSegmentEvent(p.text)
      if (seg) this.segment = seg
      return
    }
    if (p.kind !== 'buffer') return
    this.onBuffer(p)
    this.credits?.used()
  }

  private onBuffer(p: Extract<GdpPacket, { kind: 'buffer' }>): void {
    if (this.sizes.scaled === null) return
    const data = this.sizes.pixels(p.data)
    if (data === null) {
      this.dropped++
      return
    }
    const now = this.now()
    this.received++
    this.fpsIn.tick(now)
    const { width, height } = this.sizes.scaled
    const source = this.sizes.source
    const frame: Frame = {
      camera: this.opts.name,
      seq: 0,
      pts: p.pts === null ? null : streamTimeSeconds(p.pts, this.segment),
      ts: now,
      width,
      height,
      sourceWidth: source?.width ?? width,
      sourceHeight: source?.height ?? height,
      data,
    }
    const admitted = this.sizes.admit(frame)
    if (admitted === 'deliver') this.deliver(frame)
    else if (admitted === 'replaced') this.dropped++
  }

  /** The source size asks for another output size: restart the child with it (no backoff, not counted). */
  private rescale(): void {
    const p = this.proc
    this.spec = this.describe()
    if (!p) return
    this.proc = null
    void stopGst(p).then(() => this.spawn())
  }

  private deliver(frame: Frame): void {
    frame.seq = ++this.seq
    const now = frame.ts
    this.lastFrameAt = now
    this.delivered++
    this.fpsOut.tick(now)
    this.credits?.hold(frame)
    if (this.state !== 'streaming') {
      this.streamingSince = now
      this.lastError = null
      this.opts.log.info(
        {
          decoder: this.opts.decoder.label,
          source: this.sizes.source,
          frame: { width: frame.width, height: frame.height },
        },
        'camera streaming',
      )
      this.setState('streaming', null)
    }
    try {
      this.opts.onFrame(frame)
    } catch (err) {
      this.opts.log.error({ err }, 'onFrame handler threw')
    }
  }

  private onGstError(text: string): void {
    const fault = classifyGstError(text)
    this.opts.log.warn({ gst: redact(text) }, `camera error: ${fault.reason}`)
    // The first error of a run is the cause; later ones are usually its consequences.
    this.failChild(this.fault ?? fault)
  }

  /** Records the fault and ends the child (it normally exits by itself on ERROR). */
  private failChild(fault: CameraFault): void {
    this.fault ??= fault
    const p = this.proc
    if (!p) return
    const t = setTimeout(() => signalGroup(p.child, 'SIGKILL'), 2000)
    void p.exited.then(() => clearTimeout(t))
  }

  private checkStall(): void {
    if (!this.proc || this.stopping || this.fault) return
    const limit = this.opts.config.stall_timeout * 1000
    // A frame waiting for the model holds the child back: that is not a stall.
    if (this.credits?.holding) return this.credits.expire(limit)
    const now = this.now()
    const since = Math.max(
      this.state === 'streaming' && this.lastFrameAt !== null ? this.lastFrameAt : this.spawnedAt,
      this.credits?.freedAt ?? 0,
    )
    if (now - since < limit) return
    const reason =
      this.state === 'streaming'
        ? `stalled: no frame for ${this.opts.config.stall_timeout} s`
        : `no frames within ${this.opts.config.stall_timeout} s of starting`
    this.fault = { reason, permanent: false, unreachable: false }
    signalGroup(this.proc.child, 'SIGKILL')
  }

  private onExit(proc: SpawnedGst, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.proc !== proc) return
    this.proc = null
    this.sizes.clear()
    if (this.stopping) return
    if (this.streamingSince !== null) this.backoff.streamed(this.now() - this.streamingSince)
    let fault = this.fault
    if (!fault && code === 0 && this.spec?.kind === 'file') {
      if (this.opts.config.loop) {
        this.opts.log.debug({}, 'end of file, looping')
        this.spawn()
        return
      }
      this.opts.log.info({}, 'end of file')
      this.lastError = null
      this.setState('stopped', 'end of file')
      return
    }
    fault ??= signal
      ? { reason: `camera child killed by ${signal}`, permanent: false, unreachable: false }
      : code === 0
        ? { reason: 'stream ended (EOS)', permanent: false, unreachable: false }
        : { reason: `camera child exited with code ${code}`, permanent: false, unreachable: false }
    this.scheduleRestart(fault)
  }

  private scheduleRestart(fault: CameraFault): void {
    this.restarts++
    const delay = this.backoff.next(fault.permanent)
    this.lastError = redact(fault.reason)
    this.opts.log.warn(
      { restarts: this.restarts, retry_in_s: Math.round(delay / 100) / 10 },
      `camera ${fault.permanent ? 'failed' : 'down'}: ${this.lastError}`,
    )
    this.setState(fault.permanent ? 'failed' : 'backoff', this.lastError)
    this.restartAt = this.now() + delay
    this.restartTimer = setTimeout(() => this.restartNow(), delay)
    if (fault.unreachable && this.spec?.kind === 'rtsp' && this.opts.config.url)
      this.reachability.start(this.opts.config.url, () => this.restartNow(), { closed: fault.refused })
  }

  private restartNow(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer)
    this.restartTimer = null
    this.reachability.stop()
    this.spawn()
  }

  private setState(state: CameraState, reason: string | null): void {
    const changed = state !== this.state
    this.state = state
    if (changed) this.opts.onState?.(state, reason)
  }
}
