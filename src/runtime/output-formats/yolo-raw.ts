// yolo-raw: one output per level, [B, 3, H, W, 5+C] raw logits (Scaled-YOLOv4 export.py,
// YOLOv7 without --grid). Everything goes through a sigmoid s, then
// cx = (2*s0 - 0.5 + gx) * stride, cy likewise, w = (2*s2)^2 * anchor_w, h = (2*s3)^2 * anchor_h.
// Levels are matched to strides by grid size (stride = input height / H); anchors[i]
// belongs to the i-th smallest stride.
import { shapeText, type OutputFormatReader, type OutputShape } from './format.js'

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x))
}

/** Output indices ordered by stride ascending (largest grid first). */
function levelOrder(outputs: readonly OutputShape[]): number[] {
  return outputs.map((_, i) => i).sort((a, b) => outputs[b]!.dims[2]! - outputs[a]!.dims[2]!)
}

export function yoloRaw(): OutputFormatReader {
  return {
    check(outputs, ctx) {
      const bad = outputs.find((o) => o.dims.length !== 5 || o.dims[1] !== 3 || (o.dims[4] ?? 0) < 6)
      if (bad || outputs.length === 0)
        return {
          error: `expected one output [B,3,H,W,5+classes] per level; got "${bad?.name ?? '?'}" ${shapeText(bad?.dims ?? [])}`,
        }
      const anchors = ctx.anchors
      if (!anchors || anchors.length !== outputs.length)
        return {
          error: `the model has ${outputs.length} output levels but the manifest lists ${anchors?.length ?? 0} anchor sets (set anchors: one list of w,h pairs per level)`,
        }
      const nc = outputs[0]!.dims[4]! - 5
      for (const [level, i] of levelOrder(outputs).entries()) {
        const o = outputs[i]!
        const stride = ctx.inputHeight / o.dims[2]!
        if (o.dims[4]! - 5 !== nc)
          return { error: `"${o.name}" ${shapeText(o.dims)} has a different class count` }
        if (ctx.inputWidth / o.dims[3]! !== stride || !Number.isInteger(stride))
          return {
            error: `"${o.name}" ${shapeText(o.dims)}: grid does not divide the input ${ctx.inputWidth}x${ctx.inputHeight}`,
          }
        if (ctx.strides.length === outputs.length && ctx.strides[level] !== stride)
          return {
            error: `"${o.name}" ${shapeText(o.dims)} has stride ${stride} but the manifest says strides ${ctx.strides.join('/')}`,
          }
        if (anchors[level]!.length !== 6)
          return {
            error: `anchors[${level}] must hold 3 w,h pairs (6 numbers) for the 3 anchors of "${o.name}"`,
          }
      }
      return { classes: nc }
    },

    read(outputs, b, ctx, out) {
      const order = levelOrder(outputs)
      // sigmoid(x) >= t  <=>  x >= logit(t): skip rows on the raw objectness logit.
      const min = ctx.minScore
      const minLogit = min <= 0 ? -Infinity : min >= 1 ? Infinity : Math.log(min / (1 - min))
      for (let level = 0; level < order.length; level++) {
        const o = outputs[order[level]!]!
        const [, na, gh, gw, d] = o.dims as [number, number, number, number, number]
        const nc = d - 5
        const stride = ctx.inputHeight / gh
        const anchors = ctx.anchors[level]!
        const data = o.data
        let row = b * na * gh * gw * d
        for (let a = 0; a < na; a++) {
          const aw = anchors[a * 2]!
          const ah = anchors[a * 2 + 1]!
          for (let gy = 0; gy < gh; gy++) {
            for (let gx = 0; gx < gw; gx++, row += d) {
              const objLogit = data[row + 4]!
              if (objLogit < minLogit) continue
              let best = 0
              let bestLogit = data[row + 5]!
              for (let c = 1; c < nc; c++) {
                const v = data[row + 5 + c]!
                if (v > bestLogit) {
                  bestLogit = v
                  best = c
                }
              }
              const score = sigmoid(objLogit) * sigmoid(bestLogit)
              if (score < ctx.classMin[best]!) continue
              const cx = (2 * sigmoid(data[row]!) - 0.5 + gx) * stride
              const cy = (2 * sigmoid(data[row + 1]!) - 0.5 + gy) * stride
              const sw = 2 * sigmoid(data[row + 2]!)
              const sh = 2 * sigmoid(data[row + 3]!)
              const hw = (sw * sw * aw) / 2
              const hh = (sh * sh * ah) / 2
              out.push(cx - hw, cy - hh, cx + hw, cy + hh, score, best)
            }
          }
        }
      }
    },
  }
}
