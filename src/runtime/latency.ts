// Inference latency: last value, p50/p99 over a window of recent runs, and a cumulative
// histogram for Prometheus (counts[i] = runs with latency <= le[i]; count = +Inf bucket).

export const LATENCY_BUCKETS_MS = [5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]

export class LatencyStats {
  private readonly window: Float64Array
  private filled = 0
  private next = 0
  private readonly buckets = new Array<number>(LATENCY_BUCKETS_MS.length).fill(0)
  private sum = 0
  private count = 0
  last = 0

  constructor(windowSize = 512) {
    this.window = new Float64Array(windowSize)
  }

  add(ms: number): void {
    this.last = ms
    this.window[this.next] = ms
    this.next = (this.next + 1) % this.window.length
    this.filled = Math.min(this.filled + 1, this.window.length)
    this.sum += ms
    this.count++
    for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) if (ms <= LATENCY_BUCKETS_MS[i]!) this.buckets[i]!++
  }

  percentile(p: number): number {
    if (this.filled === 0) return 0
    const s = Array.from(this.window.subarray(0, this.filled)).sort((a, b) => a - b)
    return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!
  }

  histogram(): { le: number[]; counts: number[]; sum: number; count: number } {
    return { le: [...LATENCY_BUCKETS_MS], counts: [...this.buckets], sum: this.sum, count: this.count }
  }
}
