// Zones, lines, masks and filters (design.md §2): masked or filtered detections are dropped
// before tracking (and counted); for the tracked objects, which zones they are in (events
// carry it) and which lines they cross. Crossings are recorded with their frame and go
// through the outbox on <prefix>/<device>/crossings; retained state: objects per zone on
// <camera>/zones/<zone>/counts, totals per line on <camera>/lines/<line> (from SQLite, so a
// restart keeps counting). A reload applies new geometry without restarting the camera.
import { Counter, Gauge } from 'prom-client'
import type { Extension, ExtensionContext, Reconfiguration } from '../extension.js'
import type { FrameAnalysis } from '../data-flow.js'
import { CameraZones, type FilterReason } from '../../analytics/camera-zones.js'
import { countByLabel } from '../../analytics/counts.js'
import { lineTotals, type LineTotal } from '../../store/crossing-queries.js'
import { ModelLabels } from '../model-labels.js'
import { labelProblems } from '../../config/analytics-checks.js'
import { ConfigError } from '../../config/errors.js'
import { FatalError } from '../../lifecycle.js'

/** EX_CONFIG, as for every configuration error. */
const EXIT_CONFIG = 78

export class Zones implements Extension {
  readonly name = 'zones'
  private readonly cameras = new Map<string, CameraZones>()
  private readonly totals = new Map<string, LineTotal>()
  /** Zone members per camera and zone (labels of the tracks in it now). */
  private readonly members = new Map<string, Map<string, string[]>>()
  private readonly sent = new Map<string, string>()
  private readonly labels: ModelLabels

  constructor(private readonly ctx: ExtensionContext) {
    this.labels = new ModelLabels(ctx)
    ctx.addStage({ name: 'masks-filters', order: 10, process: (f) => this.filter(f) })
    ctx.addStage({ name: 'zones-lines', order: 30, process: (f) => this.zonesAndLines(f) })
    ctx.bus.on('connected', () => this.publish(true))
    const cams = this.cameras
    new Counter({
      name: 'edgewatch_detections_filtered_total',
      help: 'Detections dropped before tracking, by why: mask, score or area (cameras.<name>.masks, filters)',
      labelNames: ['camera', 'reason'],
      registers: [ctx.metrics],
      collect() {
        this.reset()
        for (const [camera, c] of cams)
          for (const reason of Object.keys(c.filtered) as FilterReason[])
            this.inc({ camera, reason }, c.filtered[reason])
      },
    })
    const totals = this.totals
    new Counter({
      name: 'edgewatch_line_crossings_total',
      help: 'Line crossings since the line was first crossed (kept across restarts)',
      labelNames: ['camera', 'line', 'direction'],
      registers: [ctx.metrics],
      collect() {
        this.reset()
        for (const t of totals.values()) {
          this.inc({ camera: t.camera, line: t.line, direction: 'in' }, t.in)
          this.inc({ camera: t.camera, line: t.line, direction: 'out' }, t.out)
        }
      },
    })
    const members = this.members
    new Gauge({
      name: 'edgewatch_zone_objects',
      help: 'Tracked objects in the zone now',
      labelNames: ['camera', 'zone'],
      registers: [ctx.metrics],
      collect() {
        this.reset()
        for (const [camera, zones] of members)
          for (const [zone, m] of zones) this.set({ camera, zone }, m.length)
      },
    })
  }

  start(): void {
    this.checkLabels()
    const db = this.ctx.parts.store()?.database()
    if (db) for (const t of lineTotals(db)) this.totals.set(`${t.camera}\0${t.line}`, t)
    this.publish(true)
  }

  stop(): void {
    // Tracking ends with the daemon: nobody is in a zone any more.
    this.members.clear()
    this.publish(false)
  }

  reconfigure(change: Reconfiguration): void {
    const next = change.effective.cameras
    const pub = this.ctx.config().mqtt
    const prefix = `${pub.topic_prefix}/${this.ctx.config().device.id}`
    for (const [name, c] of this.cameras) {
      const cfg = next[name]
      const gone = (kind: 'zones' | 'lines', names: string[]) => {
        for (const n of names)
          if (!cfg || !(n in cfg[kind]))
            this.clear(
              kind === 'zones' ? `${prefix}/${name}/zones/${n}/counts` : `${prefix}/${name}/lines/${n}`,
            )
      }
      gone('zones', c.zoneNames)
      gone('lines', c.lineNames)
      if (!cfg) {
        this.cameras.delete(name)
        this.members.delete(name)
        continue
      }
      c.configure(cfg)
      const m = this.members.get(name)
      if (m) for (const z of [...m.keys()]) if (!(z in cfg.zones)) m.delete(z)
    }
    setImmediate(() => this.publish(true))
  }

  status(): Record<string, unknown> {
    const cfg = this.ctx.config()
    const out: Record<string, unknown> = {}
    for (const [name, cam] of Object.entries(cfg.cameras)) {
      const labels = this.labels.get()
      out[name] = {
        zones: Object.fromEntries(
          Object.entries(cam.zones).map(([z, zone]) => [
            z,
            { points: zone.points, counts: this.zoneCounts(name, z, zone.labels ?? labels) },
          ]),
        ),
        lines: Object.fromEntries(
          Object.entries(cam.lines).map(([l, line]) => [l, { points: line.points, ...this.total(name, l) }]),
        ),
        masks: cam.masks,
        filtered: this.cameras.get(name)?.filtered ?? { mask: 0, score: 0, area: 0 },
      }
    }
    return { analytics: { cameras: out } }
  }

  stats(): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const [name, c] of this.cameras) out[name] = { filtered: c.filtered }
    return { analytics: out }
  }

  /**
   * Zone, line and filter labels the loaded model does not have. The config check does this
   * when it knows the labels (config or manifest); a model without a manifest tells them
   * only once loaded.
   */
  private checkLabels(): void {
    const cfg = this.ctx.config()
    let labels: readonly string[]
    try {
      labels = this.ctx.parts.runtime()?.info().labels ?? []
    } catch {
      return
    }
    if (labels.length === 0) return
    const problems = Object.entries(cfg.cameras).flatMap(([name, cam]) =>
      labelProblems(`cameras.${name}`, cam, labels),
    )
    if (problems.length === 0) return
    throw new FatalError(
      new ConfigError(this.ctx.configPath, problems).lines().join('; '),
      EXIT_CONFIG,
      'use labels the model has (edgewatch model inspect FILE.onnx lists them)',
    )
  }

  // ---- per frame ----------------------------------------------------------------------

  private camera(name: string): CameraZones | null {
    let c = this.cameras.get(name)
    if (c) return c
    const cfg = this.ctx.config().cameras[name]
    if (!cfg) return null
    c = new CameraZones(name, cfg)
    this.cameras.set(name, c)
    return c
  }

  private filter(f: FrameAnalysis): void {
    const c = this.camera(f.result.camera)
    const cfg = this.ctx.config().cameras[f.result.camera]
    if (!c || !cfg || (cfg.masks.length === 0 && Object.keys(cfg.filters).length === 0)) return
    const { width, height } = f.result.frame
    f.result.objects = c.filter(f.result.objects, width, height)
    if (f.result.low) f.result.low = c.filter(f.result.low, width, height)
  }

  private zonesAndLines(f: FrameAnalysis): void {
    const tracking = f.tracking
    const c = this.cameras.get(f.result.camera)
    if (!tracking || !c || (c.zoneNames.length === 0 && c.lineNames.length === 0)) return
    const { width, height } = f.result.frame
    const { zones, crossings } = c.step(tracking.step, f.result.ts, width, height)
    f.zones = zones
    const byZone = new Map<string, string[]>(c.zoneNames.map((z) => [z, []]))
    for (const [tr, names] of zones) for (const z of names) byZone.get(z)?.push(tr.label)
    this.members.set(f.result.camera, byZone)
    for (const x of crossings) {
      f.crossings.push({
        camera: x.camera,
        line: x.line,
        direction: x.direction,
        event: tracking.eventId(x.track),
        label: x.label,
        ts: x.ts,
      })
      const key = `${x.camera}\0${x.line}`
      const t = this.totals.get(key) ?? { camera: x.camera, line: x.line, in: 0, out: 0, since: x.ts }
      t[x.direction]++
      this.totals.set(key, t)
    }
    this.publish(false)
  }

  // ---- retained state -----------------------------------------------------------------

  private zoneCounts(camera: string, zone: string, labels: readonly string[]): Record<string, number> {
    return countByLabel(labels, this.members.get(camera)?.get(zone) ?? [])
  }

  private total(camera: string, line: string): { in: number; out: number; since: number | null } {
    const t = this.totals.get(`${camera}\0${line}`)
    return { in: t?.in ?? 0, out: t?.out ?? 0, since: t?.since ?? null }
  }

  /** Zone counts and line totals that changed (all of them when `force`: on connect). */
  private publish(force: boolean): void {
    const cfg = this.ctx.config()
    const publisher = this.ctx.parts.publisher()
    if (!publisher) return
    const prefix = `${cfg.mqtt.topic_prefix}/${cfg.device.id}`
    const send = (topic: string, value: unknown) => {
      const payload = JSON.stringify(value)
      if (!force && this.sent.get(topic) === payload) return
      if (publisher.publishDirect({ topic, payload, qos: 1, retain: true })) this.sent.set(topic, payload)
    }
    const labels = this.labels.get()
    for (const [name, cam] of Object.entries(cfg.cameras)) {
      if (cfg.mqtt.publish.counts)
        for (const [z, zone] of Object.entries(cam.zones))
          send(`${prefix}/${name}/zones/${z}/counts`, this.zoneCounts(name, z, zone.labels ?? labels))
      for (const l of Object.keys(cam.lines)) send(`${prefix}/${name}/lines/${l}`, this.total(name, l))
    }
  }

  /** An empty retained message removes the state of a zone or line a reload deleted. */
  private clear(topic: string): void {
    this.sent.delete(topic)
    this.ctx.parts.publisher()?.publishDirect({ topic, payload: '', qos: 1, retain: true })
  }
}
