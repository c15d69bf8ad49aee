// Publishes the daemon's stats JSON to <prefix>/<device>/stats every stats_interval
// seconds while connected (QoS 0, not retained: a stale figure is worse than none).
import type { MqttClient } from 'mqtt'
import type { Logger } from '../log/logger.js'

export class StatsPublisher {
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly opts: {
      topic: string
      intervalMs: number
      provider: () => Record<string, unknown>
      client: () => MqttClient | null
      log: Logger
    },
  ) {}

  start(): void {
    this.timer = setInterval(() => this.publishNow(), this.opts.intervalMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  publishNow(): void {
    const client = this.opts.client()
    if (!client?.connected) return
    let payload: string
    try {
      payload = JSON.stringify(this.opts.provider())
    } catch (err) {
      this.opts.log.warn({ err }, 'stats provider failed; stats not published this time')
      return
    }
    client.publish(this.opts.topic, payload, { qos: 0, retain: false }, () => undefined)
  }
}
