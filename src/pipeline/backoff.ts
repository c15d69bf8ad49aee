// Exponential backoff with jitter for camera restarts: 1 s, 2 s, 4 s, … up to a cap.
// Permanent faults (bad credentials, wrong path) wait the full cap every time.

export interface BackoffOptions {
  initialMs: number
  maxMs: number
  /** Fraction of random spread around each delay (0.2 = ±20 %). */
  jitter: number
  /** Streaming this long without trouble resets the sequence to initialMs. */
  resetAfterMs: number
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  initialMs: 1000,
  maxMs: 30_000,
  jitter: 0.2,
  resetAfterMs: 30_000,
}

export class Backoff {
  private attempt = 0

  constructor(
    private readonly opts: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next restart; advances the sequence. */
  next(permanent = false): number {
    const base = permanent
      ? this.opts.maxMs
      : Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** Math.min(this.attempt, 30))
    this.attempt++
    const spread = base * this.opts.jitter * (this.random() * 2 - 1)
    return Math.max(0, Math.min(this.opts.maxMs * (1 + this.opts.jitter), Math.round(base + spread)))
  }

  /** Called when a camera has streamed for `streamedMs`: resets once it has been stable long enough. */
  streamed(streamedMs: number): void {
    if (streamedMs >= this.opts.resetAfterMs) this.attempt = 0
  }

  reset(): void {
    this.attempt = 0
  }

  get attempts(): number {
    return this.attempt
  }
}
