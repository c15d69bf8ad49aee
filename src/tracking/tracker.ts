// A ByteTrack-class multi-object tracker for one camera. Each frame, in media time:
//   1. every track's Kalman filter predicts its box at this frame's time;
//   2. confident detections (score >= detect.score) are matched to all tracks, optimally on
//      1 - IoU (plus a small penalty across classes, so two shapes that cross keep their
//      identities but a one-frame misclassification does not break a track);
//   3. low-score detections (from detect.score/2, which the runtime hands over but never
//      publishes) are matched to the confirmed tracks still unmatched: an object that fades
//      for a moment (blur, partial occlusion) keeps its track;
//   4. confident detections left over start tentative tracks; a tentative track that misses
//      a frame is dropped, one matched `minHits` times is confirmed;
//   5. a confirmed track unseen for `maxAgeS` seconds ends.
// The label of a track is the majority of its detections' classes.
import { assign } from './assignment.js'
import { BoxFilter, iou, type Box } from './kalman.js'

export interface TrackerSettings {
  /** Detections before a track is confirmed. */
  minHits: number
  /** Unseen this long (media seconds) and a confirmed track ends. */
  maxAgeS: number
}

export interface Detection {
  label: string
  class: number
  score: number
  box: Box
}

/** First association: IoU at least 0.2 within a class, 0.4 across classes. */
const HIGH_LIMIT = 0.8
const CLASS_PENALTY = 0.2
/** Second association (low-score detections): IoU at least 0.5. */
const LOW_LIMIT = 0.5

export class Track {
  /** Stable number of this track on its camera (1, 2, ...). */
  readonly n: number
  /** Media time (s) of the first and the latest matched detection. */
  readonly firstSeen: number
  /** Wall-clock capture time (ms) of the first and the latest matched detection. */
  readonly firstTs: number
  lastTs: number
  label: string
  class: number
  /** Score of the latest matched detection, and the best so far. */
  score: number
  topScore: number
  /** The latest matched box, or the prediction while unseen. */
  box: Box
  hits = 1
  confirmed = false
  lastSeen: number
  /** Matched in the latest frame. */
  matched = true
  readonly filter: BoxFilter
  private readonly votes = new Map<number, { label: string; n: number; score: number }>()

  constructor(n: number, d: Detection, t: number, wall: number) {
    this.n = n
    this.firstSeen = t
    this.lastSeen = t
    this.firstTs = wall
    this.lastTs = wall
    this.topScore = d.score
    this.label = d.label
    this.class = d.class
    this.score = d.score
    this.box = d.box
    this.filter = new BoxFilter(d.box)
    this.vote(d)
  }

  observe(d: Detection, t: number, wall: number): void {
    this.filter.update(d.box)
    this.box = d.box
    this.score = d.score
    this.topScore = Math.max(this.topScore, d.score)
    this.lastSeen = t
    this.lastTs = wall
    this.matched = true
    this.hits++
    this.vote(d)
  }

  private vote(d: Detection): void {
    const v = this.votes.get(d.class) ?? { label: d.label, n: 0, score: 0 }
    v.n++
    v.score += d.score
    this.votes.set(d.class, v)
    let best: [number, { label: string; n: number; score: number }] | null = null
    for (const e of this.votes) {
      if (!best || e[1].n > best[1].n || (e[1].n === best[1].n && e[1].score > best[1].score)) best = e
    }
    this.class = best![0]
    this.label = best![1].label
  }
}

export interface TrackerStep {
  /** For each confident detection, the track it went to (null: none, or a tentative one). */
  high: (Track | null)[]
  /** For each low-score detection, the confirmed track it went to, or null. */
  low: (Track | null)[]
  /** Tracks confirmed by this frame. */
  confirmed: Track[]
  /** Confirmed tracks that ended at this frame (unseen for maxAgeS). */
  ended: Track[]
  /** Every confirmed track still alive (seen now or within maxAgeS). */
  active: Track[]
}

export class Tracker {
  private tracks: Track[] = []
  private lastT: number | null = null
  private nextN: number

  constructor(
    private settings: TrackerSettings,
    firstN = 1,
  ) {
    this.nextN = firstN
  }

  /** New settings (reload): tracks go on. */
  configure(settings: TrackerSettings): void {
    this.settings = settings
  }

  get size(): number {
    return this.tracks.length
  }

  /**
   * One frame at media time `t` (seconds; `wall`: its capture time in ms, default t).
   * Time going backwards (a looping file, a restarted stream) ends every track first:
   * their motion no longer applies.
   */
  step(t: number, high: readonly Detection[], low: readonly Detection[], wall = t * 1000): TrackerStep {
    const ended: Track[] = []
    if (this.lastT !== null && t < this.lastT) ended.push(...this.endAll())
    const dt = this.lastT === null ? 0 : t - this.lastT
    this.lastT = t
    for (const tr of this.tracks) {
      tr.filter.predict(dt)
      tr.matched = false
    }
    const highOut: (Track | null)[] = high.map(() => null)
    const lowOut: (Track | null)[] = low.map(() => null)

    // 1. confident detections against every track
    const pool = this.tracks
    const pred = pool.map((tr) => tr.filter.box())
    const taken = new Set<Track>()
    for (const [ti, di] of this.match(pool, pred, high, HIGH_LIMIT, CLASS_PENALTY)) {
      const tr = pool[ti]!
      tr.observe(high[di]!, t, wall)
      taken.add(tr)
      highOut[di] = tr
    }
    // 2. low-score detections against confirmed tracks still unmatched
    const rest = pool.filter((tr) => !taken.has(tr) && tr.confirmed)
    const restPred = rest.map((tr) => tr.filter.box())
    for (const [ti, di] of this.match(rest, restPred, low, LOW_LIMIT, 0)) {
      const tr = rest[ti]!
      tr.observe(low[di]!, t, wall)
      taken.add(tr)
      lowOut[di] = tr
    }
    // 3. tracks: confirm, drop unmatched tentative ones, age the lost ones
    const confirmed: Track[] = []
    const kept: Track[] = []
    for (const tr of pool) {
      if (tr.matched) {
        if (!tr.confirmed && tr.hits >= this.settings.minHits) {
          tr.confirmed = true
          confirmed.push(tr)
        }
        kept.push(tr)
        continue
      }
      if (!tr.confirmed) continue
      if (t - tr.lastSeen > this.settings.maxAgeS) {
        ended.push(tr)
        continue
      }
      tr.box = tr.filter.box()
      kept.push(tr)
    }
    // 4. confident detections left over start tracks
    high.forEach((d, i) => {
      if (highOut[i] !== null) return
      const tr = new Track(this.nextN++, d, t, wall)
      if (this.settings.minHits <= 1) {
        tr.confirmed = true
        confirmed.push(tr)
      }
      kept.push(tr)
      highOut[i] = tr
    })
    this.tracks = kept
    for (let i = 0; i < highOut.length; i++) if (highOut[i] && !highOut[i]!.confirmed) highOut[i] = null
    return { high: highOut, low: lowOut, confirmed, ended, active: kept.filter((tr) => tr.confirmed) }
  }

  /** Ends every confirmed track (clean stop, time discontinuity); returns them. */
  endAll(): Track[] {
    const ended = this.tracks.filter((tr) => tr.confirmed)
    this.tracks = []
    this.lastT = null
    return ended
  }

  private match(
    tracks: readonly Track[],
    pred: readonly Box[],
    dets: readonly Detection[],
    limit: number,
    penalty: number,
  ): [number, number][] {
    if (tracks.length === 0 || dets.length === 0) return []
    const cost = new Float64Array(tracks.length * dets.length)
    for (let i = 0; i < tracks.length; i++) {
      for (let j = 0; j < dets.length; j++) {
        const o = iou(pred[i]!, dets[j]!.box)
        cost[i * dets.length + j] =
          o <= 0 ? Infinity : 1 - o + (dets[j]!.class === tracks[i]!.class ? 0 : penalty)
      }
    }
    return assign(cost, tracks.length, dets.length, limit)
  }
}
