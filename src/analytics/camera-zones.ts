// One camera's zones, lines, masks and filters, in source-frame pixels once its frame size
// is known. Pure logic, per frame:
//   - filter(): drops detections inside a mask or failing their label's filter, before
//     tracking, and counts why;
//   - step(): for the confirmed tracks, which zones each is in (after `inertia` frames in a
//     row inside or outside), and the line crossings. A crossing needs the reference point
//     to get clearly to the other side: it must be more than HYSTERESIS of the frame's
//     diagonal away from the line, so an object that stops or jitters on the line is
//     counted once (and never twice).
import type { CameraConfig } from '../config/schema.js'
import type { DetectedObject } from '../runtime/types.js'
import type { Track, TrackerStep } from '../tracking/tracker.js'
import {
  insidePolygon,
  referencePoint,
  segmentsIntersect,
  signedDistance,
  toPixels,
  type Point,
} from './geometry.js'

/** Distance from a line (share of the frame diagonal) before a side counts. */
export const HYSTERESIS = 0.01

export type FilterReason = 'mask' | 'score' | 'area'

export interface Crossing {
  camera: string
  line: string
  direction: 'in' | 'out'
  track: Track
  label: string
  ts: number
}

interface Zone {
  name: string
  poly: Point[]
  labels: Set<string> | null
  inertia: number
}

interface Line {
  name: string
  a: Point
  b: Point
  labels: Set<string> | null
}

interface TrackState {
  /** Per zone: in now, and how many frames in a row disagree with that. */
  zones: Map<string, { inside: boolean; streak: number }>
  /** Per line: the side it was last clearly on, and where. */
  lines: Map<string, { side: number; at: Point }>
}

export class CameraZones {
  private config: CameraConfig
  private size: { width: number; height: number } | null = null
  private zones: Zone[] = []
  private lines: Line[] = []
  private masks: Point[][] = []
  private readonly tracks = new Map<Track, TrackState>()
  readonly filtered: Record<FilterReason, number> = { mask: 0, score: 0, area: 0 }

  constructor(
    readonly camera: string,
    config: CameraConfig,
  ) {
    this.config = config
  }

  /** New zones, lines, masks or filters (reload): tracks keep their state where it still applies. */
  configure(config: CameraConfig): void {
    this.config = config
    if (this.size) this.layout(this.size.width, this.size.height)
    const zones = new Set(Object.keys(config.zones))
    const lines = new Set(Object.keys(config.lines))
    for (const st of this.tracks.values()) {
      for (const z of st.zones.keys()) if (!zones.has(z)) st.zones.delete(z)
      for (const l of st.lines.keys()) if (!lines.has(l)) st.lines.delete(l)
    }
  }

  get zoneNames(): string[] {
    return Object.keys(this.config.zones)
  }

  get lineNames(): string[] {
    return Object.keys(this.config.lines)
  }

  /** Drops masked and filtered detections from a result (objects and low-score ones). */
  filter(objects: DetectedObject[], width: number, height: number): DetectedObject[] {
    this.ensureLayout(width, height)
    const area = width * height
    return objects.filter((o) => {
      const p = referencePoint(o.box)
      if (this.masks.some((m) => insidePolygon(p, m))) return this.drop('mask')
      const f = this.config.filters[o.label]
      if (!f) return true
      if (f.min_score !== undefined && o.score < f.min_score) return this.drop('score')
      const rel = Math.max(0, (o.box[2] - o.box[0]) * (o.box[3] - o.box[1])) / area
      if ((f.min_area !== undefined && rel < f.min_area) || (f.max_area !== undefined && rel > f.max_area))
        return this.drop('area')
      return true
    })
  }

  /** Zones of every confirmed track after this frame, and the frame's line crossings. */
  step(
    step: TrackerStep,
    ts: number,
    width: number,
    height: number,
  ): { zones: Map<Track, string[]>; crossings: Crossing[] } {
    this.ensureLayout(width, height)
    for (const tr of step.ended) this.tracks.delete(tr)
    const zones = new Map<Track, string[]>()
    const crossings: Crossing[] = []
    const margin = HYSTERESIS * Math.hypot(width, height)
    for (const tr of step.active) {
      let st = this.tracks.get(tr)
      if (!st) {
        st = { zones: new Map(), lines: new Map() }
        this.tracks.set(tr, st)
      }
      // Only a seen box moves the reference point; a predicted one (occluded) does not.
      const p = referencePoint(tr.box)
      for (const z of this.zones) {
        let zs = st.zones.get(z.name)
        if (!zs) {
          zs = { inside: false, streak: 0 }
          st.zones.set(z.name, zs)
        }
        if (tr.matched) {
          const inside = (!z.labels || z.labels.has(tr.label)) && insidePolygon(p, z.poly)
          zs.streak = inside === zs.inside ? 0 : zs.streak + 1
          if (zs.streak >= z.inertia) {
            zs.inside = inside
            zs.streak = 0
          }
        }
      }
      zones.set(
        tr,
        this.zones.filter((z) => st.zones.get(z.name)?.inside).map((z) => z.name),
      )
      if (!tr.matched) continue
      for (const l of this.lines) {
        if (l.labels && !l.labels.has(tr.label)) continue
        const d = signedDistance(p, l.a, l.b)
        if (Math.abs(d) <= margin) continue
        const side = Math.sign(d)
        const prev = st.lines.get(l.name)
        st.lines.set(l.name, { side, at: p })
        // Crossing the segment itself, not the infinite line through it.
        if (prev && prev.side !== side && segmentsIntersect(prev.at, p, l.a, l.b)) {
          crossings.push({
            camera: this.camera,
            line: l.name,
            direction: prev.side < 0 ? 'in' : 'out',
            track: tr,
            label: tr.label,
            ts,
          })
        }
      }
    }
    return { zones, crossings }
  }

  /** Geometry in pixels for the status page and `check --probe`. */
  layoutInPixels(
    width: number,
    height: number,
  ): {
    zones: Record<string, Point[]>
    lines: Record<string, [Point, Point]>
    masks: Point[][]
  } {
    const c = this.config
    return {
      zones: Object.fromEntries(
        Object.entries(c.zones).map(([n, z]) => [n, toPixels(z.points, width, height)]),
      ),
      lines: Object.fromEntries(
        Object.entries(c.lines).map(([n, l]) => [n, toPixels(l.points, width, height) as [Point, Point]]),
      ),
      masks: c.masks.map((m) => toPixels(m, width, height)),
    }
  }

  private drop(reason: FilterReason): false {
    this.filtered[reason]++
    return false
  }

  private ensureLayout(width: number, height: number): void {
    if (!this.size || this.size.width !== width || this.size.height !== height) this.layout(width, height)
  }

  private layout(width: number, height: number): void {
    this.size = { width, height }
    const c = this.config
    this.zones = Object.entries(c.zones).map(([name, z]) => ({
      name,
      poly: toPixels(z.points, width, height),
      labels: z.labels ? new Set(z.labels) : null,
      inertia: z.inertia,
    }))
    this.lines = Object.entries(c.lines).map(([name, l]) => {
      const [a, b] = toPixels(l.points, width, height) as [Point, Point]
      return { name, a, b, labels: l.labels ? new Set(l.labels) : null }
    })
    this.masks = c.masks.map((m) => toPixels(m, width, height))
  }
}
