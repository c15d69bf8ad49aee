// Keeps, per camera, the latest processed frame together with its detections, for
// /cameras/<name>/latest.jpg and the status page.
//
// Frames are transferred (not copied) to the inference worker, so a frame's pixels are
// gone from the main thread once submitted. Copying every frame would cost memory
// bandwidth nobody uses, so a copy is taken only when one is due: at most once per
// `idleIntervalMs`, or every `watchedIntervalMs` while someone fetched the camera's
// image in the last `watchWindowMs`. The copy waits for the result with the same frame
// seq; frames the worker dropped are forgotten.
import type { Frame } from '../pipeline/frame.js'
import type { InferenceResult } from '../runtime/types.js'
import { drawDetections, encodeJpeg, scaleBox } from './annotate.js'

interface Pixels {
  seq: number
  width: number
  height: number
  sourceWidth: number
  sourceHeight: number
  data: Uint8Array
}

interface Processed {
  pixels: Pixels
  result: InferenceResult
  jpeg: Buffer | null
}

export interface LatestFramesOptions {
  now?: () => number
  idleIntervalMs?: number
  watchedIntervalMs?: number
  watchWindowMs?: number
  /** Copies waiting for their result, per camera. */
  maxPending?: number
  /** Frames narrower than this are enlarged (integer factor, nearest) before drawing. */
  minWidth?: number
}

export interface LatestImage {
  jpeg: Buffer
  frameSeq: number
  width: number
  height: number
  /** The drawn boxes, in the JPEG's pixels. */
  objects: { label: string; class: number; score: number; box: [number, number, number, number] }[]
  ts: number
}

export class LatestFrames {
  private readonly pending = new Map<string, Pixels[]>()
  private readonly processed = new Map<string, Processed>()
  private readonly lastCopyAt = new Map<string, number>()
  private readonly watchedAt = new Map<string, number>()

  constructor(private readonly opts: LatestFramesOptions = {}) {}

  private now(): number {
    return (this.opts.now ?? Date.now)()
  }

  /** Call before the frame is submitted (its buffer is transferred away afterwards). */
  offer(frame: Frame): void {
    const now = this.now()
    const watched =
      now - (this.watchedAt.get(frame.camera) ?? -Infinity) < (this.opts.watchWindowMs ?? 15_000)
    const interval = watched ? (this.opts.watchedIntervalMs ?? 200) : (this.opts.idleIntervalMs ?? 1000)
    if (now - (this.lastCopyAt.get(frame.camera) ?? -Infinity) < interval) return
    this.lastCopyAt.set(frame.camera, now)
    const list = this.pending.get(frame.camera) ?? []
    list.push({
      seq: frame.seq,
      width: frame.width,
      height: frame.height,
      sourceWidth: frame.sourceWidth,
      sourceHeight: frame.sourceHeight,
      data: frame.data.slice(0, frame.width * frame.height * 3),
    })
    while (list.length > (this.opts.maxPending ?? 3)) list.shift()
    this.pending.set(frame.camera, list)
  }

  /** Pairs a result with the copy of its frame, when one was taken. */
  onResult(result: InferenceResult): void {
    const list = this.pending.get(result.camera)
    if (!list) return
    const i = list.findIndex((p) => p.seq === result.frameSeq)
    if (i < 0) {
      // Copies older than this result will never get theirs (the worker dropped them).
      this.pending.set(
        result.camera,
        list.filter((p) => p.seq > result.frameSeq),
      )
      return
    }
    const pixels = list[i]!
    this.pending.set(result.camera, list.slice(i + 1))
    this.processed.set(result.camera, { pixels, result, jpeg: null })
  }

  /** Records that someone looks at the camera, so copies are taken more often. */
  watch(camera: string): void {
    this.watchedAt.set(camera, this.now())
  }

  forget(camera: string): void {
    this.pending.delete(camera)
    this.processed.delete(camera)
    this.lastCopyAt.delete(camera)
    this.watchedAt.delete(camera)
  }

  /** The latest processed frame with its boxes drawn, or null before the first. */
  latest(camera: string): LatestImage | null {
    const p = this.processed.get(camera)
    if (!p) return null
    const { pixels, result } = p
    // A 64x48 frame (small model input) is unreadable; enlarge it by a whole factor.
    const k = Math.max(1, Math.ceil((this.opts.minWidth ?? 320) / pixels.width))
    const size = { width: pixels.width * k, height: pixels.height * k }
    const source = { width: pixels.sourceWidth, height: pixels.sourceHeight }
    const objects = result.objects.map((o) => ({
      // Live tracks show their number, as on the status page ("STAR #12 0.97").
      label: o.track === undefined ? o.label : `${o.label} #${o.track}`,
      class: o.class,
      score: o.score,
      box: scaleBox(o.box, source, size),
    }))
    p.jpeg ??= encodeJpeg(
      drawDetections(enlarge(pixels.data, pixels.width, pixels.height, k), size.width, size.height, objects),
      size.width,
      size.height,
    )
    return { jpeg: p.jpeg, frameSeq: result.frameSeq, ...size, objects, ts: result.ts }
  }
}

/** Nearest-neighbour enlargement of an RGB24 image by an integer factor. */
function enlarge(rgb: Uint8Array, width: number, height: number, k: number): Uint8Array {
  if (k === 1) return rgb
  const w = width * k
  const out = new Uint8Array(w * height * k * 3)
  for (let y = 0; y < height * k; y++) {
    const sy = Math.floor(y / k)
    for (let x = 0; x < w; x++) {
      const si = (sy * width + Math.floor(x / k)) * 3
      const di = (y * w + x) * 3
      out[di] = rgb[si]!
      out[di + 1] = rgb[si + 1]!
      out[di + 2] = rgb[si + 2]!
    }
  }
  return out
}
