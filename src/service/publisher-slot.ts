// The MQTT publisher is optional: if it cannot start, the daemon goes on and the messages
// wait in the outbox. The slot holds the running one (or none) and replaces it when a
// reload brings new MQTT settings.
import type { Logger } from '../log/logger.js'
import type { ResolvedConfig } from '../config/load.js'
import type { PartFactory, PublisherPart, StorePart } from './core-parts.js'

export class PublisherSlot {
  private current: PublisherPart | null = null
  /** After the daemon's stop: a reload that is still replacing the publisher starts none. */
  private closed = false

  constructor(
    private readonly opts: {
      parts: PartFactory
      log: Logger
      onConnect: () => void
      redact?: (text: string) => string
    },
  ) {}

  get(): PublisherPart | null {
    return this.current
  }

  async start(cfg: ResolvedConfig, store: StorePart): Promise<void> {
    if (this.closed) return
    const publisher = this.opts.parts.publisher({
      mqtt: cfg.mqtt,
      deviceId: cfg.device.id,
      store,
      log: this.opts.log,
      onConnect: this.opts.onConnect,
      redact: this.opts.redact,
    })
    try {
      await publisher.start()
      if (this.closed) await publisher.stop(0)
      else this.current = publisher
    } catch (err) {
      this.opts.log.error(
        { err },
        'MQTT failed to start; detections are stored and will be published after a restart with a working mqtt config',
      )
    }
  }

  /** Drains up to `drainMs`, sends `offline`, disconnects. */
  async stop(drainMs: number): Promise<void> {
    const p = this.current
    this.current = null
    await p?.stop(drainMs)
  }

  /** The daemon's stop: drains like stop(), and no publisher starts afterwards. */
  async close(drainMs: number): Promise<void> {
    this.closed = true
    await this.stop(drainMs)
  }

  /** New settings: messages recorded meanwhile wait in the outbox for the new connection. */
  async replace(cfg: ResolvedConfig, store: StorePart | null): Promise<boolean> {
    if (this.closed) return false
    await this.stop(2_000).catch((err: unknown) => this.opts.log.error({ err }, 'mqtt did not stop cleanly'))
    if (store) await this.start(cfg, store)
    return this.current !== null
  }
}
