// Sends systemd's WATCHDOG=1 at half of WATCHDOG_USEC, but only while the health check
// passes. When the event loop is blocked the timer cannot fire at all; when the worker
// hangs the check fails; either way the pings stop and systemd restarts the service
// (WatchdogSec= with Restart=on-failure or on-watchdog).
import type { Logger } from '../log/logger.js'
import type { HealthReport } from './health.js'

export interface WatchdogOptions {
  intervalMs: number
  health: () => HealthReport
  ping: () => void
  log: Logger
  setInterval?: (fn: () => void, ms: number) => unknown
  clearInterval?: (h: unknown) => void
}

export class Watchdog {
  private handle: unknown = null
  private withholding = false
  pings = 0
  withheld = 0

  constructor(private readonly opts: WatchdogOptions) {}

  start(): void {
    if (this.opts.intervalMs <= 0 || this.handle !== null) return
    const set = this.opts.setInterval ?? ((fn: () => void, ms: number) => setInterval(fn, ms))
    this.handle = set(() => this.tick(), this.opts.intervalMs)
    this.tick()
  }

  stop(): void {
    if (this.handle === null) return
    ;(this.opts.clearInterval ?? ((h: unknown) => clearInterval(h as NodeJS.Timeout)))(this.handle)
    this.handle = null
  }

  /** One watchdog period: ping if healthy, otherwise withhold and say why (once per episode). */
  tick(): void {
    const report = this.opts.health()
    if (report.healthy) {
      if (this.withholding) this.opts.log.info('healthy again; resuming watchdog pings')
      this.withholding = false
      this.pings++
      this.opts.ping()
      return
    }
    this.withheld++
    if (!this.withholding) {
      this.opts.log.error(
        { reasons: report.reasons },
        `unhealthy, withholding the systemd watchdog ping (systemd restarts the service if this lasts): ${report.reasons.join('; ')}`,
      )
    }
    this.withholding = true
  }
}
