// The interface every model output format implements: one small module per format
// (output-formats/<format>.ts) that reads the raw output tensors into candidate boxes,
// registered in output-formats/index.ts. Adding a format is one file and one line.
// (Video decoders, the other kind of "decoder", are in pipeline/video-decoders.ts.)
import type { Candidates } from '../candidates.js'

/** One model output as onnxruntime returns it. */
export interface OutputTensor {
  name: string
  dims: readonly number[]
  data: Float32Array
}

export interface OutputShape {
  name: string
  dims: readonly number[]
}

export interface ReadContext {
  inputWidth: number
  inputHeight: number
  /** Per-class minimum score; +Infinity for classes outside the allow-list. */
  classMin: Float32Array
  /** The lowest entry of classMin: anything below it is skipped before any other work. */
  minScore: number
  /** yolox / yolo-raw: strides per level, smallest first. */
  strides: readonly number[]
  /** yolo-raw: w,h pairs per level, smallest stride first. */
  anchors: readonly (readonly number[])[]
}

export interface ShapeContext {
  inputWidth: number
  inputHeight: number
  strides: readonly number[]
  anchors: readonly (readonly number[])[] | undefined
}

export interface OutputFormatReader {
  /**
   * Checks the model's real output shapes against this format. Returns the number of
   * classes, or a message saying which tensor does not fit and what was expected.
   */
  check(outputs: readonly OutputShape[], ctx: ShapeContext): { classes: number } | { error: string }
  /** Appends the candidates of batch item `b` scoring at least their class minimum to `out`. */
  read(outputs: readonly OutputTensor[], b: number, ctx: ReadContext, out: Candidates): void
}

export function shapeText(dims: readonly (number | string)[]): string {
  return `[${dims.join(',')}]`
}

/** Anchor cells over all levels for an input size: sum of (w/s)*(h/s). */
export function gridCells(width: number, height: number, strides: readonly number[]): number {
  let n = 0
  for (const s of strides) n += Math.ceil(width / s) * Math.ceil(height / s)
  return n
}

/** Index (0-based) of the largest of the `n` class scores starting at data[start]. */
export function argmaxClass(data: ArrayLike<number>, start: number, n: number): number {
  let best = 0
  let bestScore = data[start]!
  for (let c = 1; c < n; c++) {
    const v = data[start + c]!
    if (v > bestScore) {
      bestScore = v
      best = c
    }
  }
  return best
}
