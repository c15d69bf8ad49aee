// Frames-per-second over a sliding window, for status and metrics.

export class FpsMeter {
  private readonly stamps: number[] = []

  constructor(private readonly windowMs = 5000) {}

  tick(now: number): void {
    this.stamps.push(now)
    this.trim(now)
  }

  rate(now: number): number {
    this.trim(now)
    if (this.stamps.length < 2) return 0
    // Intervals between the stamps in the window, over the time up to now: the rate falls
    // towards 0 while a camera is silent instead of freezing at its last value.
    const seconds = Math.max(now - this.stamps[0]!, 1) / 1000
    return Math.round(((this.stamps.length - 1) / seconds) * 100) / 100
  }

  private trim(now: number): void {
    const from = now - this.windowMs
    let i = 0
    while (i < this.stamps.length && this.stamps[i]! < from) i++
    if (i > 0) this.stamps.splice(0, i)
  }
}
