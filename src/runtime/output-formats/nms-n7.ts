// nms-n7: [K, 7] rows of batch, x1, y1, x2, y2, class, score (YOLOv7 --end2end --max-wh:
// the ONNX NonMaxSuppression runs inside the graph). Boxes are in input pixels.
import { shapeText, type OutputFormatReader } from './format.js'

export function nmsN7(): OutputFormatReader {
  return {
    check(outputs) {
      const o = outputs[0]
      if (!o || o.dims.length !== 2 || o.dims[1] !== 7)
        return { error: `expected output [K,7]; got "${o?.name ?? '?'}" ${shapeText(o?.dims ?? [])}` }
      return { classes: 0 }
    },

    read(outputs, b, ctx, out) {
      const o = outputs[0]!
      const k = o.dims[0]!
      const data = o.data
      for (let i = 0, r = 0; i < k; i++, r += 7) {
        if (data[r] !== b) continue
        const score = data[r + 6]!
        const cls = Math.round(data[r + 5]!)
        if (score < ctx.minScore || !(score >= (ctx.classMin[cls] ?? ctx.minScore))) continue
        out.push(data[r + 1]!, data[r + 2]!, data[r + 3]!, data[r + 4]!, score, cls)
      }
    },
  }
}
