// nms-k6: [B, K, 6] rows of x1, y1, x2, y2, score, class (YOLOv10; Ultralytics nms=True).
// Boxes are xyxy in input pixels (not cx,cy,w,h); unused rows are zero.
import { shapeText, type OutputFormatReader } from './format.js'

export function nmsK6(): OutputFormatReader {
  return {
    check(outputs) {
      const o = outputs[0]
      if (!o || o.dims.length !== 3 || o.dims[2] !== 6)
        return { error: `expected output [B,K,6]; got "${o?.name ?? '?'}" ${shapeText(o?.dims ?? [])}` }
      return { classes: 0 }
    },

    read(outputs, b, ctx, out) {
      const o = outputs[0]!
      const k = o.dims[1]!
      const data = o.data
      for (let i = 0, r = b * k * 6; i < k; i++, r += 6) {
        const score = data[r + 4]!
        if (score < ctx.minScore) continue
        const cls = Math.round(data[r + 5]!)
        if (!(score >= (ctx.classMin[cls] ?? ctx.minScore))) continue
        out.push(data[r]!, data[r + 1]!, data[r + 2]!, data[r + 3]!, score, cls)
      }
    },
  }
}
