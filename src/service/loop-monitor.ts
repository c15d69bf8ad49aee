// Measures how responsive the main thread's event loop is. A timer that should fire every
// `tickMs` records how late it actually fired; a late tick means something blocked the
// loop (a synchronous call, a busy handler) for that long. The histogram from
// perf_hooks.monitorEventLoopDelay feeds /metrics; the tick drift feeds health checks.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'

export interface LoopMonitorOptions {
  tickMs?: number
  /** How long tick history is kept (ms). */
  windowMs?: number
  /** Length of one delay-histogram window (ms). */
  histogramWindowMs?: number
  now?: () => number
  setInterval?: (fn: () => void, ms: number) => { unref?(): unknown }
  clearInterval?: (h: unknown) => void
}

export class EventLoopMonitor {
  private handle: { unref?(): unknown } | null = null
  private histogram: IntervalHistogram | null = null
  private lastTickAt = 0
  /** Recent ticks (time, lag ms), oldest first; kept for `windowMs`. */
  private recent: { at: number; lag: number }[] = []
  private lastLag = 0
  /** Delay statistics of the last complete histogram window (see delayStats). */
  private lastWindow: { mean: number; p99: number; max: number } | null = null
  private windowStartedAt = 0

  constructor(private readonly opts: LoopMonitorOptions = {}) {}

  private get now(): () => number {
    return this.opts.now ?? Date.now
  }

  start(): void {
    const tick = this.opts.tickMs ?? 250
    this.lastTickAt = this.now()
    const set = this.opts.setInterval ?? setInterval
    this.handle = set(() => this.tick(tick), tick)
    this.handle.unref?.()
    this.histogram = monitorEventLoopDelay({ resolution: 20 })
    this.histogram.enable()
    this.windowStartedAt = this.lastTickAt
  }

  stop(): void {
    if (this.handle) (this.opts.clearInterval ?? clearInterval)(this.handle as NodeJS.Timeout)
    this.handle = null
    this.histogram?.disable()
    this.histogram = null
  }

  private tick(expectedMs: number): void {
    const now = this.now()
    const lag = Math.max(0, now - this.lastTickAt - expectedMs)
    this.lastTickAt = now
    this.lastLag = lag
    this.recent.push({ at: now, lag })
    const keep = this.opts.windowMs ?? 30_000
    while (this.recent.length > 0 && this.recent[0]!.at < now - keep) this.recent.shift()
    // The histogram is read per window, so that start-up (model load, warm-up) does not
    // dominate the p99 for the rest of the daemon's life.
    const h = this.histogram
    if (h && now - this.windowStartedAt >= (this.opts.histogramWindowMs ?? 10_000)) {
      if (h.count > 0) this.lastWindow = { mean: h.mean / 1e9, p99: h.percentile(99) / 1e9, max: h.max / 1e9 }
      h.reset()
      this.windowStartedAt = now
    }
  }

  /**
   * The worst lag (ms) seen in the last `windowMs`, including how overdue the next tick
   * is right now. Callers run on the same loop, so a block is seen once it ends.
   */
  maxLag(windowMs: number): number {
    const now = this.now()
    let worst = Math.max(0, now - this.lastTickAt - (this.opts.tickMs ?? 250))
    for (const r of this.recent) if (r.at >= now - windowMs && r.lag > worst) worst = r.lag
    return worst
  }

  /** The lag of the latest tick (ms). */
  currentLag(): number {
    return this.lastLag
  }

  /**
   * Event-loop delay statistics in seconds, for /metrics and /api/status: of the last
   * complete window (histogramWindowMs, default 10 s), or of the current one before that.
   */
  delayStats(): { mean: number; p99: number; max: number } {
    if (this.lastWindow) return this.lastWindow
    const h = this.histogram
    if (!h || h.count === 0) return { mean: 0, p99: 0, max: 0 }
    return { mean: h.mean / 1e9, p99: h.percentile(99) / 1e9, max: h.max / 1e9 }
  }
}
