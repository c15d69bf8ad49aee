// Post-processing for the model tests, written independently of the runtime's decoder
// so the tests check the shipped model, not shared code; scoring is test/harness/map.ts.
// Layout: yolov5 [N, 5+C] rows = cx, cy, w, h (input pixels), objectness, class scores.
import fs from 'node:fs'
import { iou, type Box } from '../harness/map.js'

export interface Detection {
  box: Box
  score: number
  cls: number
}

/** score = objectness x best class score; per-class greedy NMS; best maxDet kept. */
export function postprocess(
  out: Float32Array,
  offset: number,
  rows: number,
  cols: number,
  conf = 0.001,
  nmsIou = 0.5,
  maxDet = 100,
): Detection[] {
  const cand: Detection[] = []
  for (let r = 0; r < rows; r++) {
    const o = offset + r * cols
    let best = 0
    let cls = 0
    for (let c = 5; c < cols; c++) {
      const v = out[o + c]!
      if (v > best) {
        best = v
        cls = c - 5
      }
    }
    const score = out[o + 4]! * best
    if (score <= conf) continue
    const [cx, cy, w, h] = [out[o]!, out[o + 1]!, out[o + 2]!, out[o + 3]!]
    cand.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score, cls })
  }
  cand.sort((a, b) => b.score - a.score)
  const kept: Detection[] = []
  for (const d of cand.slice(0, 1000)) {
    if (kept.some((k) => k.cls === d.cls && iou(k.box, d.box) > nmsIou)) continue
    kept.push(d)
  }
  return kept.slice(0, maxDet)
}

/** Reads a uint8 .npy (numpy's format 1.0 header). */
export function readNpyU8(file: string): { shape: number[]; data: Buffer } {
  const buf = fs.readFileSync(file)
  const hlen = buf.readUInt16LE(8)
  const header = buf.subarray(10, 10 + hlen).toString('latin1')
  if (!header.includes("'|u1'")) throw new Error(`${file}: not uint8: ${header}`)
  const m = /'shape': \(([^)]*)\)/.exec(header)
  if (!m) throw new Error(`${file}: no shape in header`)
  const shape = m[1]!
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number)
  return { shape, data: buf.subarray(10 + hlen) }
}

/** HWC uint8 RGB image of w x h placed at (px, py) on an inputW x inputH canvas of pad -> CHW float /255. */
export function toInput(
  src: Uint8Array,
  srcOffset: number,
  w: number,
  h: number,
  inputW: number,
  inputH: number,
  px: number,
  py: number,
  pad = 114,
): Float32Array {
  const plane = inputW * inputH
  const input = new Float32Array(3 * plane).fill(pad / 255)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = srcOffset + (y * w + x) * 3
      const d = (y + py) * inputW + (x + px)
      input[d] = src[s]! / 255
      input[plane + d] = src[s + 1]! / 255
      input[2 * plane + d] = src[s + 2]! / 255
    }
  }
  return input
}
