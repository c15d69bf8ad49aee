// Home Assistant MQTT discovery (mqtt.discovery.enabled): the retained documents of
// service/ha-discovery.ts, sent on every connection and again when Home Assistant announces
// itself (`online` on <discovery prefix>/status, its birth message); a reload that deletes a
// camera, zone or line (or turns discovery off) removes those entities with an empty
// retained document. The latest event snapshot of each camera goes to its image topic.
import fs from 'node:fs'
import type { Extension, ExtensionContext, Reconfiguration } from '../extension.js'
import type { PublisherPart } from '../core-parts.js'
import type { ResolvedConfig } from '../../config/load.js'
import { discoveryDocs, snapshotTopic } from '../ha-discovery.js'
import { ModelLabels } from '../model-labels.js'
import { packageVersion } from '../../cli/version.js'

/** At most one snapshot image per camera per this many ms. */
const IMAGE_EVERY_MS = 5_000

export class HomeAssistant implements Extension {
  readonly name = 'home-assistant'
  private readonly labels: ModelLabels
  /** The discovery topics announced last (for removals). */
  private announced = new Set<string>()
  private subscribedOn: PublisherPart | null = null
  private readonly lastImage = new Map<string, number>()

  constructor(private readonly ctx: ExtensionContext) {
    this.labels = new ModelLabels(ctx)
    ctx.bus.on('connected', () => {
      this.listenForBirth()
      this.announce()
    })
    ctx.bus.on('snapshot', (camera, _id, file) => this.image(camera, file))
  }

  start(): void {
    this.listenForBirth()
    this.announce()
  }

  reconfigure(change: Reconfiguration): void {
    // After the new config is in place (this runs while it is being applied).
    setImmediate(() => {
      if (this.ctx.state() !== 'running') return
      this.listenForBirth()
      this.announce(change.effective)
    })
  }

  private enabled(cfg: ResolvedConfig): boolean {
    return cfg.mqtt.enabled && cfg.mqtt.discovery.enabled
  }

  /** Sends every document, and an empty one for each announced before but gone now. */
  private announce(cfg: ResolvedConfig = this.ctx.config()): void {
    const publisher = this.ctx.parts.publisher()
    if (!publisher) return
    const docs = this.enabled(cfg) ? discoveryDocs(cfg, this.labels.get(), packageVersion()) : []
    const now = new Set(docs.map((d) => d.topic))
    for (const topic of this.announced) {
      if (!now.has(topic)) publisher.publishDirect({ topic, payload: '', qos: 1, retain: true })
    }
    let sent = true
    for (const d of docs) {
      sent =
        publisher.publishDirect({
          topic: d.topic,
          payload: JSON.stringify(d.payload),
          qos: 1,
          retain: true,
        }) && sent
    }
    // Not connected: everything goes again on the next connection.
    if (sent) this.announced = now
  }

  /** Home Assistant's birth message: it restarted and lost what it knew. */
  private listenForBirth(): void {
    const cfg = this.ctx.config()
    const publisher = this.ctx.parts.publisher()
    if (!this.enabled(cfg) || !publisher?.subscribe || publisher === this.subscribedOn) return
    this.subscribedOn = publisher
    publisher.subscribe(`${cfg.mqtt.discovery.prefix}/status`, (payload) => {
      if (payload.toString() === 'online') this.announce()
    })
  }

  private image(camera: string, file: string): void {
    const cfg = this.ctx.config()
    if (!this.enabled(cfg)) return
    const now = Date.now()
    if (now - (this.lastImage.get(camera) ?? -Infinity) < IMAGE_EVERY_MS) return
    this.lastImage.set(camera, now)
    fs.readFile(file, (err, jpeg) => {
      if (err) return
      this.ctx.parts.publisher()?.publishDirect({
        topic: snapshotTopic(cfg, camera),
        payload: jpeg,
        qos: 0,
        retain: true,
      })
    })
  }
}
