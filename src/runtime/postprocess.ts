// After the session: decode (candidates filtered by score first) → class-aware or
// agnostic NMS → label allow-list → boxes mapped back to source pixels. Candidates down to
// LOW_SCORE_FACTOR of their threshold are kept apart for the tracker's second association
// (ByteTrack): they go through the same NMS, so a weak duplicate of a strong box is gone.
// One instance per loaded model; its buffers are reused from frame to frame.
import type { ResolvedConfig } from '../config/load.js'
import type { DetectedObject } from './types.js'

/** Low-score detections reach down to this share of a class's threshold. */
export const LOW_SCORE_FACTOR = 0.5
import type { ReadContext, OutputFormatReader, OutputTensor } from './output-formats/format.js'
import { Candidates } from './candidates.js'
import { Nms } from './nms.js'
import { unletterbox, type Letterbox } from './letterbox.js'

export interface ModelGeometry {
  width: number
  height: number
  strides: number[]
  anchors: number[][]
}

export class Postprocessor {
  private readonly candidates = new Candidates(1024)
  private readonly nms = new Nms()
  private readonly ctx: ReadContext
  private readonly allowed: Set<string> | null
  /** Per class: the score from which a detection is reported (below: low-score). */
  private readonly classHigh: Float32Array

  constructor(
    private readonly reader: OutputFormatReader,
    private readonly labels: readonly string[],
    private readonly detect: ResolvedConfig['detect'],
    geometry: ModelGeometry,
  ) {
    this.allowed = detect.labels ? new Set(detect.labels) : null
    const n = Math.max(labels.length, 1)
    const classMin = new Float32Array(n)
    this.classHigh = new Float32Array(n)
    for (let c = 0; c < n; c++) {
      const label = labels[c] ?? `class${c}`
      // Classes outside the allow-list are dropped in the decoder, before NMS, at no cost.
      this.classHigh[c] =
        this.allowed && !this.allowed.has(label) ? Infinity : (detect.class_scores[label] ?? detect.score)
      classMin[c] = this.classHigh[c]! * LOW_SCORE_FACTOR
    }
    // nms-* classes past the label list fall back to the global score.
    let minScore = detect.score * LOW_SCORE_FACTOR
    for (const v of classMin) minScore = Math.min(minScore, v)
    this.ctx = {
      inputWidth: geometry.width,
      inputHeight: geometry.height,
      classMin,
      minScore,
      strides: geometry.strides,
      anchors: geometry.anchors,
    }
  }

  /** Objects of batch item b (and the low-score ones apart), boxes in source pixels. */
  run(
    outputs: readonly OutputTensor[],
    b: number,
    lb: Letterbox,
    sourceW: number,
    sourceH: number,
  ): { objects: DetectedObject[]; low: DetectedObject[] } {
    const c = this.candidates
    c.reset()
    this.reader.read(outputs, b, this.ctx, c)
    const k = this.nms.run(c, this.detect.iou, this.detect.class_agnostic, this.detect.max_detections)
    const kept = this.nms.keptIndices()
    const objects: DetectedObject[] = []
    const low: DetectedObject[] = []
    for (let i = 0; i < k; i++) {
      const j = kept[i]!
      const cls = c.classes[j]!
      const label = this.labels[cls] ?? `class${cls}`
      if (this.allowed && !this.allowed.has(label)) continue
      const score = c.scores[j]!
      const o = { label, class: cls, score, box: unletterbox(c.boxes, j * 4, lb, sourceW, sourceH) }
      if (score >= (this.classHigh[cls] ?? this.detect.score)) objects.push(o)
      else low.push(o)
    }
    return { objects, low }
  }
}
