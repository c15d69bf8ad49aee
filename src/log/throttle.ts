// Repeated problems (a broker that is away, a full disk) would write the same line many
// times a second. A throttle lets the first occurrence through at once and then at most
// one line per interval, saying how many it held back.
export class LogThrottle {
  private last = -Infinity
  private held = 0

  constructor(
    private readonly intervalMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** null: stay quiet; otherwise log now, with the number of occurrences held back since. */
  take(): number | null {
    const t = this.now()
    if (t - this.last < this.intervalMs) {
      this.held++
      return null
    }
    const held = this.held
    this.held = 0
    this.last = t
    return held
  }

  /** The problem ended: the next occurrence is logged at once. */
  reset(): void {
    this.last = -Infinity
    this.held = 0
  }
}
