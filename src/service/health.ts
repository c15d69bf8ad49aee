// Is the daemon doing its job? Two things a restart can fix are checked: the main
// event loop answers (timers fire on time) and the inference worker makes progress
// whenever it has work. Both gate the systemd watchdog ping and /healthz, so a hung
// worker or a blocked loop gets the service restarted by systemd.
// Problems a restart cannot fix (a camera that is down, a broker that is away) are
// reported as warnings, never as unhealthy: restarting would only drop the other cameras.

export interface InferenceProgress {
  busy: boolean
  queued: number
  /** When the worker last finished a frame (ms since the epoch, same clock as `now`). */
  lastProgressAt: number
}

export interface HealthSources {
  /** The controller's lifecycle state. */
  state(): string
  /** null when inference is not running (before start, after stop). */
  inference(): InferenceProgress | null
  /** Worst event-loop lag (ms) in the last `windowMs`. */
  loopLag(windowMs: number): number
  /** True while a reload swaps the model: the worker may legitimately be busy loading. */
  reloading(): boolean
  warnings(): string[]
}

export interface HealthLimits {
  /** Event-loop lag above this is unhealthy (ms). */
  loopLagMs: number
  /** Window in which the lag is looked at (ms). */
  loopWindowMs: number
  /** Work waiting and no finished frame for this long is a hung worker (ms). */
  inferenceStallMs: number
}

export const DEFAULT_HEALTH_LIMITS: HealthLimits = {
  loopLagMs: 5_000,
  loopWindowMs: 10_000,
  inferenceStallMs: 30_000,
}

export interface HealthReport {
  healthy: boolean
  /** Why it is unhealthy (empty when healthy). */
  reasons: string[]
  warnings: string[]
}

export class HealthCheck {
  /** Since when the worker has had work continuously (ms, Date.now()); null when idle. */
  private pendingSince: number | null = null

  constructor(
    private readonly sources: HealthSources,
    private readonly limits: HealthLimits = DEFAULT_HEALTH_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  evaluate(): HealthReport {
    const reasons: string[] = []
    const state = this.sources.state()
    if (state !== 'running' && state !== 'reloading') reasons.push(`daemon is ${state}, not running`)
    const lag = this.sources.loopLag(this.limits.loopWindowMs)
    if (lag > this.limits.loopLagMs) {
      reasons.push(
        `event loop was blocked for ${(lag / 1000).toFixed(1)} s (limit ${this.limits.loopLagMs / 1000} s)`,
      )
    }
    const stall = this.inferenceStallMs()
    if (stall !== null && stall > this.limits.inferenceStallMs && !this.sources.reloading()) {
      reasons.push(
        `inference worker made no progress for ${(stall / 1000).toFixed(1)} s with frames waiting ` +
          `(limit ${this.limits.inferenceStallMs / 1000} s)`,
      )
    }
    return { healthy: reasons.length === 0, reasons, warnings: this.sources.warnings() }
  }

  /** How long the worker has had work without finishing any (ms), or null when idle. */
  private inferenceStallMs(): number | null {
    const inf = this.sources.inference()
    const now = this.now()
    if (!inf || (!inf.busy && inf.queued === 0)) {
      this.pendingSince = null
      return null
    }
    this.pendingSince ??= now
    return Math.min(now - inf.lastProgressAt, now - this.pendingSince)
  }
}
