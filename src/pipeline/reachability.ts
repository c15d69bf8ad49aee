// While an unreachable RTSP camera waits out a long backoff, a TCP connect to its port
// once a second (no CPU to speak of) notices its return, so it resumes within seconds.
// Only a closed → open transition counts, so a server that accepts TCP but keeps failing
// RTSP still gets the full backoff. A refused connection is itself "closed": a server that
// is back before the first poll still counts. One poller per camera, one timer: starting
// it again replaces the earlier loop instead of running two.
import net from 'node:net'

export class ReachabilityPoller {
  private timer: NodeJS.Timeout | null = null
  private socket: net.Socket | null = null
  private generation = 0

  constructor(private readonly intervalMs = 1000) {}

  /**
   * Polls `url`'s host and port until it opens after having been closed; then calls
   * `onBack` once. `closed`: the camera's own connection was just refused (counts as a
   * closed poll).
   */
  start(url: string, onBack: () => void, opts: { closed?: boolean } = {}): void {
    this.stop()
    const u = new URL(url)
    const port = Number(u.port || (u.protocol === 'rtsps:' ? 322 : 554))
    const host = u.hostname.replace(/^\[|\]$/g, '')
    const gen = ++this.generation
    let sawClosed = opts.closed ?? false
    const poll = (): void => {
      this.timer = null
      const sock = net.connect({ host, port })
      this.socket = sock
      const done = (open: boolean): void => {
        sock.destroy()
        if (this.socket === sock) this.socket = null
        if (gen !== this.generation) return
        if (open && sawClosed) {
          this.generation++
          onBack()
          return
        }
        if (!open) sawClosed = true
        this.timer = setTimeout(poll, this.intervalMs)
      }
      sock.setTimeout(this.intervalMs, () => done(false))
      sock.once('connect', () => done(true))
      sock.once('error', () => done(false))
    }
    this.timer = setTimeout(poll, this.intervalMs)
  }

  stop(): void {
    this.generation++
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.socket?.destroy()
    this.socket = null
  }

  get active(): boolean {
    return this.timer !== null || this.socket !== null
  }
}
