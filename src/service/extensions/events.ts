// Objects, not frames (design.md §2, "Objects and events"): every camera's results go
// through a tracker (tracking/tracker.ts); each confirmed track is an event (new / update
// / end) recorded with its frame in one transaction and published through the outbox on
// <prefix>/<device>/events; its best frame is kept as a JPEG. Retained per-camera counts
// of active objects go to <prefix>/<device>/<camera>/counts on change and on every
// (re)connect. A restart ends the events a crash left open, with their last seen time.
import path from 'node:path'
import fs from 'node:fs'
import { Counter, Gauge } from 'prom-client'
import type { Logger } from '../../log/logger.js'
import type { ResolvedConfig } from '../../config/load.js'
import type { TrackConfig } from '../../config/schema.js'
import type { Extension, ExtensionContext, Reconfiguration } from '../extension.js'
import type { FrameAnalysis } from '../data-flow.js'
import { CameraObjects, type SnapshotRequest } from '../../tracking/camera-objects.js'
import type { EventChange } from '../../tracking/object-events.js'
import { EventSnapshots } from '../event-snapshots.js'
import { EventRetention } from '../event-retention.js'
import {
  eventById,
  openEvents,
  queryEvents,
  setSnapshot,
  type EventQuery,
} from '../../store/event-queries.js'
import { send, sendJson, sendText } from '../http-routes.js'
import { ModelLabels } from '../model-labels.js'
import { countByLabel } from '../../analytics/counts.js'

/** The effective track settings of a camera: its overrides over the top-level keys. */
export function trackSettings(cfg: ResolvedConfig, camera: string): TrackConfig {
  return { ...cfg.track, ...(cfg.cameras[camera]?.track ?? {}) }
}

export class Events implements Extension {
  readonly name = 'events'
  private readonly log: Logger
  private readonly cameras = new Map<string, CameraObjects>()
  private readonly lastCounts = new Map<string, string>()
  private snapshots: EventSnapshots | null = null
  private readonly labels: ModelLabels
  private retention: EventRetention | null = null
  private readonly metrics: { started: Counter<'camera'>; ended: Counter<'camera'> }

  constructor(private readonly ctx: ExtensionContext) {
    this.log = ctx.log.child({ module: 'events' })
    this.labels = new ModelLabels(ctx)
    ctx.addStage({ name: 'tracking', order: 20, process: (f) => this.track(f) })
    ctx.addStage({ name: 'events', order: 40, process: (f) => this.events(f) })
    ctx.bus.on('connected', () => this.publishCounts(true))
    this.metrics = {
      started: new Counter({
        name: 'edgewatch_events_started_total',
        help: 'Events started (tracks confirmed)',
        labelNames: ['camera'],
        registers: [ctx.metrics],
      }),
      ended: new Counter({
        name: 'edgewatch_events_ended_total',
        help: 'Events ended',
        labelNames: ['camera'],
        registers: [ctx.metrics],
      }),
    }
    const cams = this.cameras
    new Gauge({
      name: 'edgewatch_tracks_active',
      help: 'Confirmed objects being tracked now',
      labelNames: ['camera'],
      registers: [ctx.metrics],
      collect() {
        this.reset()
        for (const [camera, c] of cams) this.set({ camera }, c.events.openEvents().length)
      },
    })
    const snaps = () => this.snapshots?.stats()
    new Counter({
      name: 'edgewatch_snapshot_failures_total',
      help: 'Event snapshots that could not be written (disk full, not writable)',
      registers: [ctx.metrics],
      collect() {
        this.reset()
        this.inc(snaps()?.failed ?? 0)
      },
    })
    ctx.routes.add({
      method: 'GET',
      path: '/api/events',
      hint: '/api/events',
      handle: (_req, res, _p, url) => this.listEvents(res, url),
    })
    ctx.routes.add({
      method: 'GET',
      path: /^\/api\/events\/(.+)\/snapshot\.jpg$/,
      handle: (_req, res, [id]) => this.snapshot(res, id!),
    })
  }

  start(): void {
    const cfg = this.ctx.config()
    const dir = path.join(path.dirname(cfg.storage.path), 'snapshots')
    this.snapshots = new EventSnapshots(dir, this.log)
    this.snapshots.start()
    this.retention = new EventRetention(this.ctx, this.snapshots, this.log)
    this.retention.start()
    this.recoverOpenEvents()
    this.publishCounts(true)
  }

  async stop(): Promise<void> {
    // The last results have been recorded: every event still open ends now.
    const ends = [...this.cameras.values()].flatMap((c) => c.endAll())
    this.record(ends)
    this.publishCounts(false)
    this.retention?.stop()
    await this.snapshots?.stop()
  }

  reconfigure(change: Reconfiguration): void {
    const next = change.effective
    const removed = new Set(change.cameras?.removed ?? [])
    const ends: EventChange[] = []
    for (const [name, c] of this.cameras) {
      const s = next.cameras[name] ? trackSettings(next, name) : null
      if (!s || !s.enabled || removed.has(name)) {
        ends.push(...c.endAll())
        this.cameras.delete(name)
        continue
      }
      c.configure(s)
    }
    this.record(ends)
    if (change.diff.mqtt || ends.length) setImmediate(() => this.publishCounts(true))
  }

  status(): Record<string, unknown> {
    const db = this.ctx.parts.store()?.database()
    const out: Record<string, unknown> = {}
    for (const name of Object.keys(this.ctx.config().cameras)) {
      const c = this.cameras.get(name)
      out[name] = {
        tracks: (c?.events.openEvents() ?? []).map((e) => ({
          id: e.id,
          track: e.track,
          label: e.label,
          score: e.score,
          box: e.box,
          zones: e.zones,
          stationary: e.stationary,
        })),
        counts: c?.counts(this.labels.get()) ?? null,
        latest: db ? queryEvents(db, { camera: name, limit: 5 }) : [],
      }
    }
    return { objects: { cameras: out, snapshots: this.snapshots?.stats() ?? null } }
  }

  stats(): Record<string, unknown> {
    const counts: Record<string, unknown> = {}
    for (const [name, c] of this.cameras) counts[name] = c.counts(this.labels.get())
    return { objects: counts }
  }

  warnings(): string[] {
    const s = this.snapshots?.stats()
    return s && s.failed > 0 && s.last_error ? [`event snapshots failing (${s.failed}): ${s.last_error}`] : []
  }

  // ---- per frame ----------------------------------------------------------------------

  private camera(name: string): CameraObjects | null {
    let c = this.cameras.get(name)
    if (c) return c
    const cfg = this.ctx.config()
    if (!cfg.cameras[name]) return null
    const s = trackSettings(cfg, name)
    if (!s.enabled) return null
    c = new CameraObjects(
      name,
      cfg.device.id,
      s,
      (id) => `/api/events/${id}/snapshot.jpg`,
      cfg.events.snapshots ? (req) => this.takeSnapshot(req) : null,
    )
    this.cameras.set(name, c)
    return c
  }

  private track(f: FrameAnalysis): void {
    const c = this.camera(f.result.camera)
    if (c) f.tracking = c.track(f.result)
  }

  private events(f: FrameAnalysis): void {
    const c = this.cameras.get(f.result.camera)
    if (!c || !f.tracking) return
    const changes = c.changes(f.result, f.tracking, f.zones)
    f.events.push(...changes)
    this.count(changes)
    if (changes.length) this.publishCounts(false)
  }

  private takeSnapshot(req: SnapshotRequest): void {
    const snaps = this.snapshots
    if (!snaps) return
    void snaps.write(req).then((outcome) => {
      const file = snaps.fileOf(req.eventId)
      if (outcome === 'written' && file) this.ctx.bus.emit('snapshot', req.camera, req.eventId, file)
      if (outcome !== 'failed') return
      // Not written: the event keeps the snapshot it had; once ended, so does its row.
      if (this.cameras.get(req.camera)?.events.snapshotFailed(req.eventId, req.previous)) return
      const db = this.ctx.parts.store()?.database()
      if (db) setSnapshot(db, req.eventId, req.previous)
    })
  }

  // ---- recording and publishing -------------------------------------------------------

  private record(changes: readonly EventChange[]): void {
    if (changes.length === 0) return
    this.count(changes)
    const store = this.ctx.parts.store()
    if (!store) return
    const publisher = this.ctx.parts.publisher()
    for (const m of store.recordFrame(null, changes)) publisher?.notify(m)
  }

  private count(changes: readonly EventChange[]): void {
    for (const c of changes) {
      if (c.type === 'new') this.metrics.started.inc({ camera: c.body.camera })
      if (c.type === 'end') this.metrics.ended.inc({ camera: c.body.camera })
    }
  }

  /** Events a crash (SIGKILL, power cut) left open end now, at the last time they were seen. */
  private recoverOpenEvents(): void {
    const db = this.ctx.parts.store()?.database()
    if (!db) return
    const open = openEvents(db)
    if (open.length === 0) return
    this.record(open.map((body) => ({ type: 'end' as const, body: { ...body, end_ts: body.ts } })))
    this.log.info(
      { events: open.length },
      'ended the events left open by the previous run (at their last seen time)',
    )
  }

  /** Retained counts per camera: on change, or all of them again (`force`, on connect). */
  private publishCounts(force: boolean): void {
    const cfg = this.ctx.config()
    const publisher = this.ctx.parts.publisher()
    if (!cfg.mqtt.publish.counts || !publisher) return
    const labels = this.labels.get()
    for (const name of Object.keys(cfg.cameras)) {
      const c = this.cameras.get(name)
      const counts = c?.counts(labels) ?? countByLabel(labels, [])
      const payload = JSON.stringify(counts)
      if (!force && this.lastCounts.get(name) === payload) continue
      const topic = `${cfg.mqtt.topic_prefix}/${cfg.device.id}/${name}/counts`
      if (publisher.publishDirect({ topic, payload, qos: 1, retain: true }))
        this.lastCounts.set(name, payload)
    }
  }

  // ---- HTTP ---------------------------------------------------------------------------

  private listEvents(res: Parameters<typeof sendJson>[0], url: URL): void {
    const db = this.ctx.parts.store()?.database()
    if (!db) return sendText(res, 503, 'the database is not open\n')
    const q: EventQuery = { limit: 50 }
    const p = url.searchParams
    const limit = p.get('limit')
    if (limit !== null) {
      const n = Number(limit)
      if (!Number.isInteger(n) || n <= 0 || n > 1000) return sendText(res, 400, 'limit: 1 to 1000\n')
      q.limit = n
    }
    const since = p.get('since')
    if (since !== null) {
      const t = /^\d+$/.test(since) ? Number(since) : Date.parse(since)
      if (Number.isNaN(t)) return sendText(res, 400, 'since: ms since the epoch or an ISO time\n')
      q.since = t
    }
    for (const k of ['camera', 'label', 'zone'] as const) {
      const v = p.get(k)
      if (v !== null) q[k] = v
    }
    if (p.get('active') === 'true' || p.get('active') === '1') q.active = true
    sendJson(res, 200, { events: queryEvents(db, q) })
  }

  private snapshot(res: Parameters<typeof send>[0], id: string): void {
    const db = this.ctx.parts.store()?.database()
    const ev = db ? eventById(db, id) : null
    const file = this.snapshots?.fileOf(id)
    if (!ev || !ev.snapshot || !file) return sendText(res, 404, `no snapshot of event "${id}"\n`)
    let jpeg: Buffer
    try {
      jpeg = fs.readFileSync(file)
    } catch {
      return sendText(res, 404, `the snapshot of event "${id}" is gone (retention?)\n`)
    }
    send(res, 200, 'image/jpeg', jpeg, { 'x-event-id': id })
  }
}
