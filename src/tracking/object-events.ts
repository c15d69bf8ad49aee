// Confirmed tracks of one camera as events (design.md §2, "Objects and events"): `new` when
// a track is confirmed; `update` at once when it enters or leaves a zone or becomes
// stationary or moves again, and otherwise at most once per update_interval_s when
// something changed (position, score, a better snapshot); `end` when the track ends or
// the daemon stops. The messages themselves are built by the store (id, seq, device).
import type { Box } from './kalman.js'
import type { Track, TrackerStep } from './tracker.js'

export interface EventSettings {
  updateIntervalS: number
  stationaryS: number
}

export interface SnapshotMeta {
  ts: number
  score: number
  box: Box
  url: string
}

/** The event fields of the contract, as of one frame. */
export interface EventBody {
  id: string
  camera: string
  track: number
  label: string
  score: number
  top_score: number
  start_ts: number
  end_ts: number | null
  ts: number
  pts: number | null
  box: Box
  zones: string[]
  entered_zones: string[]
  stationary: boolean
  frames: number
  snapshot: SnapshotMeta | null
}

export type EventType = 'new' | 'update' | 'end'

export interface EventChange {
  type: EventType
  body: EventBody
}

/** What one analysed frame tells the events of its camera. */
export interface EventFrame {
  /** Wall-clock capture time (ms) and stream time (s) of the frame. */
  ts: number
  pts: number | null
  /** Media time (s): the tracker's clock. */
  t: number
  step: TrackerStep
  /** Zones the track's reference point is in now (after inertia); none without zones. */
  zonesOf?: (track: Track) => readonly string[]
}

/** A box counts as still while its centre stays within this share of its diagonal. */
const STILL_RADIUS = 0.15

interface State {
  track: Track
  body: EventBody
  /** Where the current still stretch began (centre, media time). */
  anchor: { x: number; y: number; t: number }
  /** Wall time of the last message, and the box and score it carried. */
  sentAt: number
  sentBox: Box
  sentTop: number
  snapshotChanged: boolean
}

export class CameraEvents {
  private readonly states = new Map<Track, State>()

  constructor(
    private readonly device: string,
    private readonly camera: string,
    private settings: EventSettings,
    private readonly snapshotUrl: (eventId: string) => string,
  ) {}

  configure(settings: EventSettings): void {
    this.settings = settings
  }

  /** The id a confirmed track's event has (also before its first frame is processed here). */
  idOf(track: Track): string {
    return this.states.get(track)?.body.id ?? `${this.device}/${this.camera}/${track.firstTs}-${track.n}`
  }

  /** Events of this frame, in order: ends, news, updates. */
  step(f: EventFrame): EventChange[] {
    const out: EventChange[] = []
    for (const tr of f.step.ended) {
      const s = this.states.get(tr)
      if (s) out.push(this.end(s))
    }
    const fresh = new Set(f.step.confirmed)
    for (const tr of f.step.active) {
      let s = this.states.get(tr)
      const zones = [...(f.zonesOf?.(tr) ?? [])].sort()
      if (!s) {
        s = this.open(tr, f, zones)
        out.push({ type: 'new', body: { ...s.body } })
        continue
      }
      if (fresh.has(tr)) continue
      const b = s.body
      b.label = tr.label
      b.ts = f.ts
      b.pts = f.pts
      b.frames = tr.hits
      if (tr.matched) {
        b.box = tr.box
        b.score = tr.score
        b.top_score = Math.max(b.top_score, tr.score)
      }
      let now = false
      if (!sameList(zones, b.zones)) {
        b.zones = zones
        for (const z of zones) if (!b.entered_zones.includes(z)) b.entered_zones.push(z)
        b.entered_zones.sort()
        now = true
      }
      if (tr.matched && this.still(s, f.t) !== b.stationary) {
        b.stationary = !b.stationary
        now = true
      }
      const changed = s.snapshotChanged || b.top_score !== s.sentTop || moved(s.sentBox, b.box)
      const due = f.ts - s.sentAt >= this.settings.updateIntervalS * 1000
      if (now || (changed && due)) out.push(this.sent(s, 'update'))
    }
    return out
  }

  /**
   * A better frame of an open event is being written: its messages carry it from now on
   * (the url is stable; the file lands a moment later). Returns the snapshot it replaces.
   */
  snapshotTaken(eventId: string, meta: Omit<SnapshotMeta, 'url'>): SnapshotMeta | null | undefined {
    for (const s of this.states.values()) {
      if (s.body.id !== eventId) continue
      const prev = s.body.snapshot
      s.body.snapshot = { ...meta, url: this.snapshotUrl(eventId) }
      s.snapshotChanged = true
      return prev
    }
    return undefined
  }

  /** The write failed: the event keeps the snapshot it had (or none), if still open. */
  snapshotFailed(eventId: string, prev: SnapshotMeta | null): boolean {
    for (const s of this.states.values()) {
      if (s.body.id !== eventId) continue
      s.body.snapshot = prev
      return true
    }
    return false
  }

  /** Ends every open event (clean stop, camera removed). */
  endAll(): EventChange[] {
    return [...this.states.values()].map((s) => this.end(s))
  }

  /** The open events (for counts, status and the tracks on the status page). */
  openEvents(): readonly EventBody[] {
    return [...this.states.values()].map((s) => s.body)
  }

  private open(tr: Track, f: EventFrame, zones: string[]): State {
    const body: EventBody = {
      id: `${this.device}/${this.camera}/${tr.firstTs}-${tr.n}`,
      camera: this.camera,
      track: tr.n,
      label: tr.label,
      score: tr.score,
      top_score: tr.topScore,
      start_ts: tr.firstTs,
      end_ts: null,
      ts: f.ts,
      pts: f.pts,
      box: tr.box,
      zones,
      entered_zones: [...zones],
      stationary: false,
      frames: tr.hits,
      snapshot: null,
    }
    const [x, y] = centre(tr.box)
    const s: State = {
      track: tr,
      body,
      anchor: { x, y, t: f.t },
      sentAt: f.ts,
      sentBox: tr.box,
      sentTop: body.top_score,
      snapshotChanged: false,
    }
    this.states.set(tr, s)
    return s
  }

  private end(s: State): EventChange {
    this.states.delete(s.track)
    s.body.end_ts = s.track.lastTs
    s.body.ts = s.track.lastTs
    return { type: 'end', body: { ...s.body } }
  }

  private sent(s: State, type: EventType): EventChange {
    s.sentAt = s.body.ts
    s.sentBox = s.body.box
    s.sentTop = s.body.top_score
    s.snapshotChanged = false
    return { type, body: { ...s.body, zones: [...s.body.zones], entered_zones: [...s.body.entered_zones] } }
  }

  /** Whether the track has stayed put for stationary_s (media time); moves reset the anchor. */
  private still(s: State, t: number): boolean {
    const [x, y] = centre(s.body.box)
    const b = s.body.box
    const radius = STILL_RADIUS * Math.hypot(b[2] - b[0], b[3] - b[1])
    if (Math.hypot(x - s.anchor.x, y - s.anchor.y) > radius) {
      s.anchor = { x, y, t }
      return false
    }
    return t - s.anchor.t >= this.settings.stationaryS
  }
}

function centre(b: Box): [number, number] {
  return [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]
}

/** Moved by more than a pixel or two since the last message. */
function moved(a: Box, b: Box): boolean {
  return Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) + Math.abs(a[2] - b[2]) + Math.abs(a[3] - b[3]) > 4
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i])
}
