// What inference hands on to storage and delivery: boxes in source-frame pixels.

export interface DetectedObject {
  label: string
  class: number
  score: number
  /** [x1, y1, x2, y2] in source-frame pixels. */
  box: [number, number, number, number]
}

export interface InferenceResult {
  camera: string
  /** The frame's seq (pipeline counter). The message seq is assigned by the store. */
  frameSeq: number
  pts: number | null
  ts: number
  frame: { width: number; height: number }
  model: string
  inference_ms: number
  objects: DetectedObject[]
}
