// yolox: [B, N, 5+C] with raw box regression (YOLOX export_onnx.py, whose default is
// decode_in_inference=False); objectness and class scores are already sigmoided by the
// head. Cells run level by level (strides ascending), row-major within a level:
// cx = (o0 + gx) * s, cy = (o1 + gy) * s, w = exp(o2) * s, h = exp(o3) * s; score = obj * cls.
import { argmaxClass, gridCells, shapeText, type OutputFormatReader } from './format.js'

export function yolox(): OutputFormatReader {
  return {
    check(outputs, ctx) {
      const o = outputs[0]
      const cells = gridCells(ctx.inputWidth, ctx.inputHeight, ctx.strides)
      if (!o || o.dims.length !== 3 || o.dims[1] !== cells || (o.dims[2] ?? 0) < 6)
        return {
          error: `expected output [B,${cells},5+classes] for input ${ctx.inputWidth}x${ctx.inputHeight} and strides ${ctx.strides.join('/')}; got "${o?.name ?? '?'}" ${shapeText(o?.dims ?? [])}`,
        }
      return { classes: o.dims[2]! - 5 }
    },

    read(outputs, b, ctx, out) {
      const o = outputs[0]!
      const n = o.dims[1]!
      const d = o.dims[2]!
      const nc = d - 5
      const data = o.data
      const classMin = ctx.classMin
      const min = ctx.minScore
      let row = b * n * d
      for (const s of ctx.strides) {
        const gw = Math.ceil(ctx.inputWidth / s)
        const gh = Math.ceil(ctx.inputHeight / s)
        for (let gy = 0; gy < gh; gy++) {
          for (let gx = 0; gx < gw; gx++, row += d) {
            const obj = data[row + 4]!
            if (obj < min) continue
            const best = argmaxClass(data, row + 5, nc)
            const score = obj * data[row + 5 + best]!
            if (score < classMin[best]!) continue
            const cx = (data[row]! + gx) * s
            const cy = (data[row + 1]! + gy) * s
            const hw = (Math.exp(data[row + 2]!) * s) / 2
            const hh = (Math.exp(data[row + 3]!) * s) / 2
            out.push(cx - hw, cy - hh, cx + hw, cy + hh, score, best)
          }
        }
      }
    },
  }
}
