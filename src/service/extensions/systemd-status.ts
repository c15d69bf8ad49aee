// systemd while the daemon runs: the one-line STATUS= ("2/2 cameras streaming, 9.5 fps, EP
// cpu, backlog 0", shown by `systemctl status`) every few seconds, and WATCHDOG=1 pings
// gated by the health check (watchdog.ts). READY/RELOADING/STOPPING are the controller's.
import type { Extension, ExtensionContext } from '../extension.js'
import { Watchdog } from '../watchdog.js'
import { statusLine } from '../status-model.js'

const STATUS_EVERY_MS = 5_000

export class SystemdStatus implements Extension {
  readonly name = 'systemd-status'
  private watchdog: Watchdog | null = null
  private timer: NodeJS.Timeout | null = null

  constructor(private readonly ctx: ExtensionContext) {
    ctx.bus.on('running', () => this.onRunning())
    ctx.bus.on('stopping', () => this.halt())
  }

  stop(): void {
    this.halt()
  }

  private onRunning(): void {
    this.refresh()
    if (!this.timer) {
      this.timer = setInterval(() => this.refresh(), STATUS_EVERY_MS)
      this.timer.unref()
    }
    const interval = this.ctx.notifier.watchdogIntervalMs()
    if (interval > 0 && !this.watchdog) {
      this.watchdog = new Watchdog({
        intervalMs: interval,
        health: () => this.ctx.health.evaluate(),
        ping: () => this.ctx.notifier.watchdog(),
        log: this.ctx.log.child({ module: 'watchdog' }),
      })
      this.watchdog.start()
      this.ctx.log.info({ watchdog_ms: interval }, 'systemd watchdog armed')
    }
  }

  private halt(): void {
    this.watchdog?.stop()
    this.watchdog = null
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  private refresh(): void {
    try {
      this.ctx.notifier.status(statusLine(this.ctx.snapshot()))
    } catch (err) {
      this.ctx.log.debug({ err }, 'could not build the STATUS line')
    }
  }
}
