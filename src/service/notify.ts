// systemd's notify protocol (Type=notify / notify-reload): READY, STATUS, WATCHDOG,
// RELOADING and STOPPING datagrams to $NOTIFY_SOCKET.
//
// Why the `sd-notify` package (systemd's libsystemd sd_notify(), called in-process) and
// not the npm `systemd-notify` package named on the design card: the latter spawns the
// `systemd-notify` CLI for every message, so the sender is a short-lived child. systemd
// then only accepts it with NotifyAccess=all, may fail to attribute it to the service at
// all (the child can exit before systemd reads its cgroup), and it has no watchdog call.
// sd_notify() runs in this process, so every datagram carries the main PID in its
// SCM_CREDENTIALS and NotifyAccess=main is enough. Its sendState(text) is a plain
// sd_notify(0, text), which also carries the multi-line RELOADING=1 + MONOTONIC_USEC=.
import { createRequire } from 'node:module'

/** Sends one notify message (newline-separated KEY=VALUE assignments). */
export type NotifyTransport = (state: string) => void

interface SdNotifyBinding {
  sendState(state: string): void
}

/** The in-process libsystemd transport. Loaded lazily: only when NOTIFY_SOCKET is set. */
export function libsystemdTransport(): NotifyTransport {
  const require = createRequire(import.meta.url)
  const binding = require('sd-notify') as SdNotifyBinding
  return (state) => binding.sendState(state)
}

export interface NotifierOptions {
  env: NodeJS.ProcessEnv
  /** Default: libsystemd's sd_notify() through the sd-notify package. */
  transport?: NotifyTransport
  pid?: number
  /** CLOCK_MONOTONIC in microseconds (what systemd compares MONOTONIC_USEC against). */
  monotonicUsec?: () => bigint
}

/** One-line STATUS= text: systemd shows it in `systemctl status`. No newlines allowed. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 400)
}

export class SystemdNotifier {
  private transport: NotifyTransport | null = null
  private lastStatus: string | null = null

  constructor(private readonly opts: NotifierOptions) {}

  /** True when systemd (or a test) listens: NOTIFY_SOCKET is set. Otherwise all calls are no-ops. */
  get enabled(): boolean {
    const s = this.opts.env.NOTIFY_SOCKET
    return s !== undefined && s !== ''
  }

  /**
   * The watchdog ping interval in ms (half of WATCHDOG_USEC, as sd_watchdog_enabled(3)
   * recommends), or 0 when systemd did not ask for pings or asked another PID.
   */
  watchdogIntervalMs(): number {
    if (!this.enabled) return 0
    const usec = Number(this.opts.env.WATCHDOG_USEC ?? '')
    if (!Number.isFinite(usec) || usec <= 0) return 0
    const pidEnv = this.opts.env.WATCHDOG_PID
    if (pidEnv !== undefined && pidEnv !== '' && Number(pidEnv) !== (this.opts.pid ?? process.pid)) return 0
    return Math.max(1, Math.floor(usec / 2000))
  }

  ready(): void {
    this.send('READY=1')
  }

  /** Sent before re-reading the config; READY=1 follows when the reload is done. */
  reloading(): void {
    const usec = (this.opts.monotonicUsec ?? (() => process.hrtime.bigint() / 1000n))()
    this.send(`RELOADING=1\nMONOTONIC_USEC=${usec.toString()}`)
  }

  stopping(): void {
    this.send('STOPPING=1')
  }

  watchdog(): void {
    this.send('WATCHDOG=1')
  }

  /** Sends STATUS= only when the text changed (systemd keeps the last one). */
  status(text: string): void {
    const line = oneLine(text)
    if (line === this.lastStatus) return
    this.lastStatus = line
    this.send(`STATUS=${line}`)
  }

  private send(state: string): void {
    if (!this.enabled) return
    this.transport ??= this.opts.transport ?? libsystemdTransport()
    this.transport(state)
  }
}
