// A fixed-size ring of recent durations, for a cheap p99 in stats (no histogram library).
export class LatencyWindow {
  private readonly values: Float64Array
  private n = 0
  private next = 0

  constructor(size = 2048) {
    this.values = new Float64Array(size)
  }

  add(ms: number): void {
    this.values[this.next] = ms
    this.next = (this.next + 1) % this.values.length
    if (this.n < this.values.length) this.n++
  }

  /** The p-th percentile (0-100) of the window; 0 when empty. */
  percentile(p: number): number {
    if (this.n === 0) return 0
    const sorted = this.values.slice(0, this.n).sort()
    const i = Math.min(this.n - 1, Math.max(0, Math.ceil((p / 100) * this.n) - 1))
    return sorted[i]!
  }
}
