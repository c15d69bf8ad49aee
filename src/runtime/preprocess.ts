// Frame (RGB24, HWC) → model input (NCHW float32) in one pass over the destination:
// letterbox placement, padding, colour order and (v*scale - mean)/std via a 3x256 lookup
// table, written into one reused buffer that holds every batch slot.
import { letterboxFor, type Letterbox } from './letterbox.js'

export interface InputSpec {
  width: number
  height: number
  color: 'rgb' | 'bgr'
  scale: number
  mean: readonly [number, number, number]
  std: readonly [number, number, number]
  letterbox: 'center' | 'topleft'
  pad: number
}

export interface FramePixels {
  width: number
  height: number
  data: Uint8Array
}

export class Preprocessor {
  /** batch * 3 * height * width floats; slot b starts at b * 3 * height * width. */
  readonly data: Float32Array
  private readonly lut = new Float32Array(3 * 256)
  private readonly padValue = new Float32Array(3)
  /** Source channel (0 R, 1 G, 2 B) feeding each model channel. */
  private readonly srcChannel: [number, number, number]
  private xmap = new Int32Array(0)

  constructor(
    readonly spec: InputSpec,
    readonly slots: number,
  ) {
    this.data = new Float32Array(slots * 3 * spec.width * spec.height)
    this.srcChannel = spec.color === 'bgr' ? [2, 1, 0] : [0, 1, 2]
    for (let c = 0; c < 3; c++) {
      for (let v = 0; v < 256; v++) this.lut[c * 256 + v] = (v * spec.scale - spec.mean[c]!) / spec.std[c]!
      this.padValue[c] = this.lut[c * 256 + spec.pad]!
    }
  }

  /** Writes `frame` into batch slot `slot`; returns where its content landed. */
  fill(slot: number, frame: FramePixels): Letterbox {
    const { width: W, height: H } = this.spec
    const lb = letterboxFor(frame.width, frame.height, W, H, this.spec.letterbox)
    const plane = W * H
    const base = slot * 3 * plane
    const src = frame.data
    const fw = frame.width
    const resized = lb.width !== frame.width || lb.height !== frame.height
    if (resized && this.xmap.length < lb.width) this.xmap = new Int32Array(W)
    if (resized) for (let x = 0; x < lb.width; x++) this.xmap[x] = Math.floor(((x + 0.5) * fw) / lb.width)
    const out = this.data
    const lut = this.lut
    const [s0, s1, s2] = this.srcChannel
    const [p0, p1, p2] = this.padValue as unknown as [number, number, number]
    const end = lb.dx + lb.width
    for (let y = 0; y < H; y++) {
      const r0 = base + y * W
      const r1 = r0 + plane
      const r2 = r1 + plane
      const sy = y - lb.dy
      if (sy < 0 || sy >= lb.height) {
        out.fill(p0, r0, r0 + W)
        out.fill(p1, r1, r1 + W)
        out.fill(p2, r2, r2 + W)
        continue
      }
      if (lb.dx > 0) {
        out.fill(p0, r0, r0 + lb.dx)
        out.fill(p1, r1, r1 + lb.dx)
        out.fill(p2, r2, r2 + lb.dx)
      }
      if (end < W) {
        out.fill(p0, r0 + end, r0 + W)
        out.fill(p1, r1 + end, r1 + W)
        out.fill(p2, r2 + end, r2 + W)
      }
      // One pass over the frame: each source pixel is read once and written to 3 planes.
      const srow = (resized ? Math.floor(((sy + 0.5) * frame.height) / lb.height) : sy) * fw * 3
      for (let x = 0, d = lb.dx; x < lb.width; x++, d++) {
        const s = srow + (resized ? this.xmap[x]! : x) * 3
        out[r0 + d] = lut[src[s + s0]!]!
        out[r1 + d] = lut[256 + src[s + s1]!]!
        out[r2 + d] = lut[512 + src[s + s2]!]!
      }
    }
    return lb
  }
}
