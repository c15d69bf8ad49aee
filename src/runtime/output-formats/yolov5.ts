// yolov5: [B, N, 5+C] rows of cx, cy, w, h (input pixels), objectness, class scores,
// all already decoded and sigmoided (YOLOv5 export.py, YOLOv7 --grid, Scaled-YOLOv4 with
// a decoding head, YOLOX with decode_in_inference=True). score = obj * best class.
import type { Candidates } from '../candidates.js'
import {
  argmaxClass,
  shapeText,
  type OutputFormatReader,
  type ReadContext,
  type OutputShape,
  type OutputTensor,
} from './format.js'

/** YOLOv5 exports may add the raw per-level heads after the decoded one: use the first rank-3 output. */
function pick<T extends OutputShape>(outputs: readonly T[]): T | undefined {
  return outputs.find((o) => o.dims.length === 3)
}

export function yolov5(): OutputFormatReader {
  return {
    check(outputs) {
      const o = pick(outputs)
      if (!o || (o.dims[2] ?? 0) < 6)
        return {
          error: `expected an output [B,N,5+classes]; got ${outputs.map((x) => `"${x.name}" ${shapeText(x.dims)}`).join(', ')}`,
        }
      return { classes: o.dims[2]! - 5 }
    },

    read(outputs, b, ctx: ReadContext, out: Candidates) {
      const o = pick<OutputTensor>(outputs)!
      const n = o.dims[1]!
      const d = o.dims[2]!
      const nc = d - 5
      const data = o.data
      const classMin = ctx.classMin
      const min = ctx.minScore
      let row = b * n * d
      for (let i = 0; i < n; i++, row += d) {
        const obj = data[row + 4]!
        // score = obj * cls <= obj: most rows end here, before touching the class scores.
        if (obj < min) continue
        const best = argmaxClass(data, row + 5, nc)
        const score = obj * data[row + 5 + best]!
        if (score < classMin[best]!) continue
        const cx = data[row]!
        const cy = data[row + 1]!
        const hw = data[row + 2]! / 2
        const hh = data[row + 3]! / 2
        out.push(cx - hw, cy - hh, cx + hw, cy + hh, score, best)
      }
    },
  }
}
