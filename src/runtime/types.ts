// What inference hands on to storage and delivery: boxes in source-frame pixels.

export interface DetectedObject {
  label: string
  class: number
  score: number
  /** [x1, y1, x2, y2] in source-frame pixels. */
  box: [number, number, number, number]
  /** Set by tracking: the camera's number of the confirmed track this detection belongs to. */
  track?: number
  /** Set by tracking: the id of that track's event. */
  event?: string
}

/** A frame's pixels, RGB24, rows tightly packed. */
export interface FramePixels {
  width: number
  height: number
  data: Uint8Array
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
  /** Detections at or above the score thresholds: stored and published. */
  objects: DetectedObject[]
  /**
   * Detections below the thresholds down to half of them: only the tracker sees them (an
   * object that fades for a frame keeps its track); never stored or published.
   */
  low?: DetectedObject[]
  /** The frame that was inferred, handed back by the worker (for event snapshots). */
  pixels?: FramePixels
}
