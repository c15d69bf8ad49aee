// Multi-object tracking scores against ground truth with identities, as the MOTChallenge
// evaluations define them (IoU >= 0.5 for a match):
//   CLEAR MOT (Bernardin & Stiefelhagen 2008): per frame, a truth object keeps its
//     previous hypothesis while they still overlap; the rest is matched optimally.
//     MOTA = 1 - (misses + false positives + identity switches) / truth objects.
//   IDF1 (Ristani et al. 2016): one global truth-id to hypothesis-id assignment
//     maximising the frames where they match; IDF1 = 2 IDTP / (2 IDTP + IDFP + IDFN).
// The project's own implementation, checked on hand-made sequences in mot.test.ts.
import { assign } from '../../src/tracking/assignment.js'

export type Box = readonly [number, number, number, number]

export interface MotFrame {
  truth: { id: number | string; box: Box }[]
  hyp: { id: number | string; box: Box }[]
}

export interface MotScores {
  frames: number
  truths: number
  hyps: number
  matches: number
  misses: number
  falsePositives: number
  idSwitches: number
  mota: number
  idf1: number
  /** For each truth id: the hypothesis ids matched to it over its life. */
  coveredBy: Map<string, Set<string>>
  /** For each truth id: the frames it appears in. */
  truthFrames: Map<string, number>
}

export function iou(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0])
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1])
  if (iw <= 0 || ih <= 0) return 0
  const inter = iw * ih
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)
}

const MATCH = 0.5

/** Optimal pairs of truth and hypothesis indices with IoU >= 0.5. */
function pairs(truth: readonly { box: Box }[], hyp: readonly { box: Box }[]): [number, number][] {
  const cost = new Float64Array(truth.length * hyp.length)
  truth.forEach((g, i) => hyp.forEach((h, j) => (cost[i * hyp.length + j] = 1 - iou(g.box, h.box))))
  return assign(cost, truth.length, hyp.length, 1 - MATCH)
}

export function scoreTracking(frames: readonly MotFrame[]): MotScores {
  let truths = 0
  let hyps = 0
  let matches = 0
  let idSwitches = 0
  const last = new Map<string, string>() // truth id -> hypothesis id of its last match
  const coveredBy = new Map<string, Set<string>>()
  const truthFrames = new Map<string, number>()
  const overlap = new Map<string, number>() // "truth\0hyp" -> frames matched (for IDF1)
  const truthIds = new Set<string>()
  const hypIds = new Set<string>()
  const hypFrames = new Map<string, number>()
  for (const f of frames) {
    truths += f.truth.length
    hyps += f.hyp.length
    for (const g of f.truth) {
      const id = String(g.id)
      truthIds.add(id)
      truthFrames.set(id, (truthFrames.get(id) ?? 0) + 1)
    }
    for (const h of f.hyp) {
      const id = String(h.id)
      hypIds.add(id)
      hypFrames.set(id, (hypFrames.get(id) ?? 0) + 1)
    }
    // IDF1 counts every frame's optimal overlap, independent of CLEAR's continuity rule.
    for (const [i, j] of pairs(f.truth, f.hyp)) {
      const k = `${String(f.truth[i]!.id)}\0${String(f.hyp[j]!.id)}`
      overlap.set(k, (overlap.get(k) ?? 0) + 1)
    }
    // CLEAR MOT: keep last frame's correspondences that still overlap, then match the rest.
    const usedT = new Set<number>()
    const usedH = new Set<number>()
    const matched: [number, number][] = []
    f.truth.forEach((g, i) => {
      const prev = last.get(String(g.id))
      if (prev === undefined) return
      const j = f.hyp.findIndex((h, jj) => !usedH.has(jj) && String(h.id) === prev)
      if (j >= 0 && iou(g.box, f.hyp[j]!.box) >= MATCH) {
        usedT.add(i)
        usedH.add(j)
        matched.push([i, j])
      }
    })
    const restT = f.truth.map((_, i) => i).filter((i) => !usedT.has(i))
    const restH = f.hyp.map((_, j) => j).filter((j) => !usedH.has(j))
    for (const [a, b] of pairs(
      restT.map((i) => f.truth[i]!),
      restH.map((j) => f.hyp[j]!),
    )) {
      const i = restT[a]!
      const j = restH[b]!
      const tid = String(f.truth[i]!.id)
      const hid = String(f.hyp[j]!.id)
      const prev = last.get(tid)
      if (prev !== undefined && prev !== hid) idSwitches++
      matched.push([i, j])
    }
    for (const [i, j] of matched) {
      const tid = String(f.truth[i]!.id)
      const hid = String(f.hyp[j]!.id)
      last.set(tid, hid)
      const set = coveredBy.get(tid) ?? new Set<string>()
      set.add(hid)
      coveredBy.set(tid, set)
    }
    matches += matched.length
  }
  // IDF1: one truth id per hypothesis id, maximising the matched frames.
  const T = [...truthIds]
  const H = [...hypIds]
  const cost = new Float64Array(T.length * H.length)
  T.forEach((tid, i) =>
    H.forEach((hid, j) => (cost[i * H.length + j] = -(overlap.get(`${tid}\0${hid}`) ?? 0))),
  )
  let idtp = 0
  for (const [i, j] of assign(cost, T.length, H.length, 0)) idtp += overlap.get(`${T[i]}\0${H[j]}`) ?? 0
  const idfn = truths - idtp
  const idfp = hyps - idtp
  const misses = truths - matches
  const falsePositives = hyps - matches
  return {
    frames: frames.length,
    truths,
    hyps,
    matches,
    misses,
    falsePositives,
    idSwitches,
    mota: truths === 0 ? 1 : 1 - (misses + falsePositives + idSwitches) / truths,
    idf1: truths + hyps === 0 ? 1 : (2 * idtp) / (2 * idtp + idfp + idfn),
    coveredBy,
    truthFrames,
  }
}
