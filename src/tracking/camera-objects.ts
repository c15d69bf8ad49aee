// Everything one camera's objects need from frame to frame: the tracker, the events made
// from its confirmed tracks, and the choice of each event's best frame (score and size,
// not the first frame). Pure logic: snapshots are written by whoever listens to
// `onSnapshot`; the store records the events.
import type { DetectedObject, InferenceResult } from '../runtime/types.js'
import type { TrackConfig } from '../config/schema.js'
import { Tracker, type Detection, type Track, type TrackerStep } from './tracker.js'
import { CameraEvents, type EventChange, type SnapshotMeta } from './object-events.js'
import type { Box } from './kalman.js'
import { countByLabel } from '../analytics/counts.js'

/** A candidate counts as better when its quality beats the snapshot's by this factor. */
const BETTER = 1.1
/** At most one snapshot per event per this many ms. */
const SNAPSHOT_EVERY_MS = 2000

export interface SnapshotRequest {
  eventId: string
  /** The snapshot this one replaces (kept if the write fails). */
  previous: SnapshotMeta | null
  camera: string
  track: number
  label: string
  class: number
  score: number
  /** Source-frame pixels. */
  box: Box
  ts: number
  result: InferenceResult
}

interface Best {
  quality: number
  at: number
}

export class CameraObjects {
  readonly tracker: Tracker
  readonly events: CameraEvents
  private readonly best = new Map<Track, Best>()

  constructor(
    readonly camera: string,
    device: string,
    settings: TrackConfig,
    private readonly snapshotUrl: (id: string) => string,
    private readonly onSnapshot: ((req: SnapshotRequest) => void) | null,
  ) {
    this.tracker = new Tracker({ minHits: settings.min_hits, maxAgeS: settings.max_age_s })
    this.events = new CameraEvents(device, camera, eventSettings(settings), snapshotUrl)
  }

  configure(settings: TrackConfig): void {
    this.tracker.configure({ minHits: settings.min_hits, maxAgeS: settings.max_age_s })
    this.events.configure(eventSettings(settings))
  }

  /** Tracks one result; its confirmed detections get their track number and event id. */
  track(result: InferenceResult): { step: TrackerStep; t: number; eventId: (track: Track) => string } {
    // Media time: a file read faster than real time still moves its objects at video speed.
    const t = result.pts ?? result.ts / 1000
    const low = result.low ?? []
    const step = this.tracker.step(t, result.objects.map(detection), low.map(detection), result.ts)
    const tag = (objects: readonly DetectedObject[], tracks: readonly (Track | null)[]) =>
      objects.forEach((o, i) => {
        const tr = tracks[i]
        if (!tr) return
        o.track = tr.n
        o.event = this.events.idOf(tr)
      })
    tag(result.objects, step.high)
    tag(low, step.low)
    return { step, t, eventId: (tr) => this.events.idOf(tr) }
  }

  /** The frame's event changes; asks for a snapshot where an event found a better frame. */
  changes(
    result: InferenceResult,
    tracking: { step: TrackerStep; t: number },
    zones?: ReadonlyMap<Track, readonly string[]>,
  ): EventChange[] {
    const { step, t } = tracking
    const out = this.events.step({
      ts: result.ts,
      pts: result.pts,
      t,
      step,
      zonesOf: zones ? (tr) => zones.get(tr) ?? [] : undefined,
    })
    for (const tr of step.ended) this.best.delete(tr)
    if (this.onSnapshot && result.pixels) {
      const area = result.frame.width * result.frame.height
      for (const tr of step.active) {
        if (!tr.matched) continue
        const [x1, y1, x2, y2] = tr.box
        const quality = tr.score * Math.sqrt(Math.max(0, (x2 - x1) * (y2 - y1)) / area)
        const prev = this.best.get(tr)
        if (prev && (quality <= prev.quality * BETTER || result.ts - prev.at < SNAPSHOT_EVERY_MS)) continue
        this.best.set(tr, { quality, at: result.ts })
        const eventId = this.events.idOf(tr)
        const meta = { ts: result.ts, score: tr.score, box: tr.box }
        const previous = this.events.snapshotTaken(eventId, meta) ?? null
        // An event opened by this very frame carries its first snapshot in its `new`.
        const opened = out.find((c) => c.type === 'new' && c.body.id === eventId)
        if (opened) opened.body.snapshot = { ...meta, url: this.snapshotUrl(eventId) }
        this.onSnapshot({
          eventId,
          previous,
          camera: this.camera,
          track: tr.n,
          label: tr.label,
          class: tr.class,
          score: tr.score,
          box: tr.box,
          ts: result.ts,
          result,
        })
      }
    }
    return out
  }

  /** Ends every event (clean stop, camera removed, tracking turned off). */
  endAll(): EventChange[] {
    this.tracker.endAll()
    this.best.clear()
    return this.events.endAll()
  }

  /** Active objects per label (model labels after the allow-list; absent ones read 0). */
  counts(labels: readonly string[]): Record<string, number> {
    return countByLabel(
      labels,
      this.events.openEvents().map((e) => e.label),
    )
  }
}

function detection(o: DetectedObject): Detection {
  return { label: o.label, class: o.class, score: o.score, box: o.box }
}

function eventSettings(s: TrackConfig): { updateIntervalS: number; stationaryS: number } {
  return { updateIntervalS: s.update_interval_s, stationaryS: s.stationary_s }
}
