// <prefix>/<device>/stats every mqtt.stats_interval seconds: per camera fps in/processed,
// frames, restarts, last error; inference ms, EP; outbox backlog; uptime (design.md §2),
// plus what the other extensions contribute (ctx.stats()).
import type { Extension, ExtensionContext, Reconfiguration } from '../extension.js'
import { StatsPublisher } from '../../mqtt/stats-publisher.js'
import { statsTopic } from '../../store/message.js'

export class MqttStats implements Extension {
  readonly name = 'mqtt-stats'
  private publisher: StatsPublisher | null = null

  constructor(private readonly ctx: ExtensionContext) {}

  start(): void {
    const cfg = this.ctx.config()
    if (!cfg.mqtt.enabled) return
    this.publisher = new StatsPublisher({
      topic: statsTopic(cfg.mqtt.topic_prefix, cfg.device.id),
      intervalMs: cfg.mqtt.stats_interval * 1000,
      provider: () => this.ctx.stats(),
      send: (m) => this.ctx.parts.publisher()?.publishDirect(m) ?? false,
      log: this.ctx.log.child({ module: 'mqtt-stats' }),
    })
    this.publisher.start()
  }

  stop(): void {
    this.publisher?.stop()
    this.publisher = null
  }

  reconfigure(change: Reconfiguration): void {
    if (!change.diff.mqtt) return
    // Takes the new interval (and enabled flag) once the config is swapped in.
    setImmediate(() => {
      if (this.ctx.state() !== 'running') return
      this.stop()
      this.start()
    })
  }
}
