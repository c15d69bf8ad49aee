// When a crashed inference worker is started again, and when the daemon gives up: a
// worker that dies now and then (a decoder bug on one odd frame, a driver hiccup) comes
// back after a short pause, doubling while it keeps dying; one that dies over and over in
// a short time will not get better by itself, and the daemon exits (systemd's restart and
// its start limit, or a person, take over).

export interface RestartPolicyOptions {
  /** Pause before the first restart; doubles per crash within the window, up to maxMs. */
  initialMs: number
  maxMs: number
  /** This many crashes within windowMs: give up. */
  maxCrashes: number
  windowMs: number
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  initialMs: 1000,
  maxMs: 30_000,
  maxCrashes: 5,
  windowMs: 10 * 60_000,
}

export class RestartPolicy {
  private crashes: number[] = []

  constructor(
    private readonly opts: RestartPolicyOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a crash: the pause before the next start, or null to give up. */
  crashed(): number | null {
    const t = this.now()
    this.crashes = this.crashes.filter((c) => t - c < this.opts.windowMs)
    this.crashes.push(t)
    const n = this.crashes.length
    if (n >= this.opts.maxCrashes) return null
    return Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** (n - 1))
  }

  /** Crashes within the window so far. */
  get recent(): number {
    const t = this.now()
    return this.crashes.filter((c) => t - c < this.opts.windowMs).length
  }

  describe(): string {
    return `${this.opts.maxCrashes} crashes within ${Math.round(this.opts.windowMs / 60_000)} min`
  }
}
