// Publishes the daemon's stats JSON every `intervalMs` while connected (QoS 0, not
// retained, not through the outbox: a stale figure is worse than none).
import type { Logger } from '../log/logger.js'
import type { DirectPublish } from './publisher.js'

export interface StatsPublisherOptions {
  topic: string
  intervalMs: number
  provider: () => Record<string, unknown>
  /** The publisher's publishDirect: false when not connected. */
  send: (msg: DirectPublish) => boolean
  log: Logger
}

export class StatsPublisher {
  private timer: NodeJS.Timeout | null = null

  constructor(private readonly opts: StatsPublisherOptions) {}

  start(): void {
    this.timer = setInterval(() => this.publishNow(), this.opts.intervalMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  publishNow(): void {
    let payload: string
    try {
      payload = JSON.stringify(this.opts.provider())
    } catch (err) {
      this.opts.log.warn({ err }, 'stats provider failed; stats not published this time')
      return
    }
    this.opts.send({ topic: this.opts.topic, payload, qos: 0, retain: false })
  }
}
