// yolov8: [B, 4+C, N] (YOLOv8 / YOLO11, Ultralytics format=onnx): cx, cy, w, h in input
// pixels then sigmoided class scores, anchors along the LAST axis; no objectness.
// Walked class-major (contiguous rows) into a reused best-score buffer: walking
// anchor-major would stride N floats per read.
import { shapeText, type OutputFormatReader } from './format.js'

export function yolov8(): OutputFormatReader {
  // Per-instance scratch, grown once to the model's anchor count.
  let bestScore = new Float32Array(0)
  let bestClass = new Int32Array(0)
  return {
    check(outputs) {
      const o = outputs[0]
      if (!o || o.dims.length !== 3 || (o.dims[1] ?? 0) < 5 || o.dims[1]! >= o.dims[2]!)
        return {
          error: `expected output [B,4+classes,N] with N > 4+classes; got "${o?.name ?? '?'}" ${shapeText(o?.dims ?? [])}`,
        }
      return { classes: o.dims[1]! - 4 }
    },

    read(outputs, b, ctx, out) {
      const o = outputs[0]!
      const rows = o.dims[1]!
      const n = o.dims[2]!
      const nc = rows - 4
      const data = o.data
      const base = b * rows * n
      if (bestScore.length < n) {
        bestScore = new Float32Array(n)
        bestClass = new Int32Array(n)
      }
      // Start every anchor at the threshold with no class: the update below is then
      // rarely taken (most scores are tiny), which keeps this scan of C*N floats cheap.
      const min = ctx.minScore
      bestScore.fill(min, 0, n)
      bestClass.fill(-1, 0, n)
      for (let c = 0; c < nc; c++) {
        const r = base + (4 + c) * n
        for (let i = 0; i < n; i++) {
          const v = data[r + i]!
          // `v < min` first: a register compare that settles almost every element.
          if (v < min) continue
          if (v > bestScore[i]! || (v === bestScore[i]! && bestClass[i]! < 0)) {
            bestScore[i] = v
            bestClass[i] = c
          }
        }
      }
      for (let i = 0; i < n; i++) {
        const c = bestClass[i]!
        if (c < 0) continue
        const score = bestScore[i]!
        if (score < ctx.classMin[c]!) continue
        const cx = data[base + i]!
        const cy = data[base + n + i]!
        const hw = data[base + 2 * n + i]! / 2
        const hh = data[base + 3 * n + i]! / 2
        out.push(cx - hw, cy - hh, cx + hw, cy + hh, score, c)
      }
    },
  }
}
