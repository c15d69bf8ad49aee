// Mean average precision of detections against ground truth, COCO-style: per class,
// detections sorted by score are matched greedily to unmatched truth boxes of the same
// image at IoU ≥ threshold; AP is the area under the interpolated precision/recall curve
// (101 recall points); mAP is the mean over classes that have truth.

export type Box = [number, number, number, number]
export interface TruthBox {
  image: string
  label: string
  box: Box
}
export interface PredBox extends TruthBox {
  score: number
}

export function iou(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0])
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1])
  if (w <= 0 || h <= 0) return 0
  const inter = w * h
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
  return union > 0 ? inter / union : 0
}

export function averagePrecision(truth: TruthBox[], preds: PredBox[], threshold: number): number {
  if (truth.length === 0) return NaN
  const byImage = new Map<string, { box: Box; used: boolean }[]>()
  for (const t of truth) {
    const list = byImage.get(t.image) ?? []
    list.push({ box: t.box, used: false })
    byImage.set(t.image, list)
  }
  const sorted = [...preds].sort((a, b) => b.score - a.score)
  const tp: number[] = []
  for (const p of sorted) {
    let best = -1
    let bestIou = threshold
    const cands = byImage.get(p.image) ?? []
    cands.forEach((c, i) => {
      if (c.used) return
      const v = iou(p.box, c.box)
      if (v >= bestIou) {
        bestIou = v
        best = i
      }
    })
    if (best >= 0) cands[best]!.used = true
    tp.push(best >= 0 ? 1 : 0)
  }
  const precision: number[] = []
  const recall: number[] = []
  let cumTp = 0
  tp.forEach((v, i) => {
    cumTp += v
    precision.push(cumTp / (i + 1))
    recall.push(cumTp / truth.length)
  })
  // Make precision monotonically decreasing from the right (interpolation).
  for (let i = precision.length - 2; i >= 0; i--) precision[i] = Math.max(precision[i]!, precision[i + 1]!)
  let sum = 0
  for (let k = 0; k <= 100; k++) {
    const r = k / 100
    const idx = recall.findIndex((x) => x >= r)
    sum += idx >= 0 ? precision[idx]! : 0
  }
  return sum / 101
}

export function meanAveragePrecision(truth: TruthBox[], preds: PredBox[], threshold: number): number {
  const labels = [...new Set(truth.map((t) => t.label))]
  const aps = labels.map((l) =>
    averagePrecision(
      truth.filter((t) => t.label === l),
      preds.filter((p) => p.label === l),
      threshold,
    ),
  )
  return aps.reduce((a, b) => a + b, 0) / aps.length
}

/** COCO mAP@0.5:0.95: the mean over IoU thresholds 0.50, 0.55, …, 0.95. */
export function mapRange(truth: TruthBox[], preds: PredBox[]): number {
  let s = 0
  for (let i = 0; i < 10; i++) s += meanAveragePrecision(truth, preds, 0.5 + 0.05 * i)
  return s / 10
}
