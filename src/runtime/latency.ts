// Inference latency: the last value, p50/p99 of recent runs (timing/recent-percentiles.ts)
// and a cumulative histogram for Prometheus (counts[i] = runs with latency <= le[i];
// count = the +Inf bucket), kept over the runtime's life.
import { RecentPercentiles } from '../timing/recent-percentiles.js'

export const LATENCY_BUCKETS_MS = [5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]

export class LatencyStats {
  private readonly recent: RecentPercentiles
  private readonly buckets = new Array<number>(LATENCY_BUCKETS_MS.length).fill(0)
  private sum = 0
  private count = 0
  last = 0

  constructor(windowMs?: number, now?: () => number) {
    this.recent = new RecentPercentiles(windowMs, now)
  }

  add(ms: number): void {
    this.last = ms
    this.recent.add(ms)
    this.sum += ms
    this.count++
    for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) if (ms <= LATENCY_BUCKETS_MS[i]!) this.buckets[i]!++
  }

  percentile(p: number): number {
    return this.recent.percentile(p)
  }

  histogram(): { le: number[]; counts: number[]; sum: number; count: number } {
    return { le: [...LATENCY_BUCKETS_MS], counts: [...this.buckets], sum: this.sum, count: this.count }
  }
}
