// Percentiles of recent durations (inference per batch, SQLite commits) through Node's
// own HdrHistogram (perf_hooks.createHistogram): microsecond resolution, 3 significant
// figures. "Recent": values go into the current window, figures are read over the current
// and the previous one, so a slow start-up (model warm-up) drops out after two windows.
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks'

/** Up to 10 minutes in microseconds: bounds the histogram's memory (~160 KB). */
const HIGHEST_US = 600e6

function histogram(): RecordableHistogram {
  return createHistogram({ lowest: 1, highest: HIGHEST_US, figures: 3 })
}

export class RecentPercentiles {
  private current = histogram()
  private previous = histogram()
  private merged: RecordableHistogram | null = null
  private windowStart: number

  constructor(
    private readonly windowMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {
    this.windowStart = now()
  }

  /** Records one duration in milliseconds. */
  add(ms: number): void {
    this.rotate()
    this.current.record(Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000))))
    this.merged = null
  }

  /** The p-th percentile (0-100) in ms over the last one or two windows; 0 when empty. */
  percentile(p: number): number {
    this.rotate()
    if (!this.merged) {
      this.merged = histogram()
      this.merged.add(this.previous)
      this.merged.add(this.current)
    }
    return this.merged.count === 0 ? 0 : this.merged.percentile(p) / 1000
  }

  private rotate(): void {
    const t = this.now()
    if (t - this.windowStart < this.windowMs) return
    // Two windows without a value: nothing recent remains.
    this.previous = t - this.windowStart >= 2 * this.windowMs ? histogram() : this.current
    this.current = histogram()
    this.windowStart = t
    this.merged = null
  }
}
