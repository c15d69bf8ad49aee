// What video ingest hands to inference: one decoded frame, already scaled (aspect kept)
// to fit the model input. Letterbox placement and padding happen in the runtime.

export interface Frame {
  camera: string
  /** Frame counter of this camera, +1 per delivered frame (resets when the daemon restarts). */
  seq: number
  /** Stream timestamp in seconds (for a file: its position in the file); null when unknown. */
  pts: number | null
  /** Wall-clock capture time, ms since the epoch (when the frame left the decoder). */
  ts: number
  /** Size of `data`: the scaled frame, RGB, 3 bytes per pixel, rows tightly packed. */
  width: number
  height: number
  /** Size of the camera's original frames, for mapping boxes back to source pixels. */
  sourceWidth: number
  sourceHeight: number
  /** RGB24 pixels. Owns its ArrayBuffer (byteOffset 0) so it can be transferred to the worker. */
  data: Uint8Array
  /**
   * Set by a flow-controlled camera: its consumer calls it once the frame leaves its
   * waiting slot (taken into a batch, replaced or dropped). Until then the camera's child
   * sends no other frame. Calling it again does nothing.
   */
  release?: () => void
}

export type CameraState = 'starting' | 'streaming' | 'backoff' | 'failed' | 'stopped'

/** Per-camera ingest status, for /api/status, /metrics, stats and `edgewatch status`. */
export interface CameraStatus {
  state: CameraState
  /** Why the camera is in backoff/failed, or the last problem seen (credentials redacted). */
  last_error: string | null
  decoder: string
  /**
   * received: frames read off the child's pipe; delivered: handed on; dropped: lost in the
   * daemon (a wrong size, or replaced while the source size was not known yet); skipped:
   * decoded frames the child dropped before scaling because the model was busy (a live
   * camera over the model's capacity). Optional only for snapshots made before it existed.
   */
  frames: { received: number; delivered: number; dropped: number; skipped: number }
  /** Frames per second over the last few seconds: from the decoder, and handed on. */
  fps_in: number
  fps_delivered: number
  restarts: number
  /** Seconds since the last frame, null before the first. */
  last_frame_age: number | null
  source: { width: number; height: number } | null
  /** Seconds until the next start attempt while in backoff/failed; null otherwise. (Added by ingest; optional.) */
  next_retry_s?: number | null
}
