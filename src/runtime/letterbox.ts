// Letterbox geometry: where a frame's pixels land inside the model input, and the exact
// inverse that maps boxes back to source-frame pixels.

export type Placement = 'center' | 'topleft'

export interface Letterbox {
  /** Size of the image content inside the model input (after any resize here). */
  width: number
  height: number
  /** Offset of the content's top-left corner in the model input (the padding). */
  dx: number
  dy: number
}

/**
 * Frames arrive already scaled to fit the input (aspect kept). A frame that does not
 * fit, or is clearly smaller than the fit, is resized here to the fit size.
 */
export function letterboxFor(
  frameW: number,
  frameH: number,
  inputW: number,
  inputH: number,
  placement: Placement,
): Letterbox {
  let width = frameW
  let height = frameH
  const fits = frameW <= inputW && frameH <= inputH
  const touches = frameW >= inputW - 1 || frameH >= inputH - 1
  if (!fits || !touches) {
    const r = Math.min(inputW / frameW, inputH / frameH)
    width = Math.min(inputW, Math.max(1, Math.round(frameW * r)))
    height = Math.min(inputH, Math.max(1, Math.round(frameH * r)))
  }
  // Centred: the odd pixel of padding goes right/bottom (as Ultralytics' round(dw - 0.1)).
  const dx = placement === 'center' ? Math.floor((inputW - width) / 2) : 0
  const dy = placement === 'center' ? Math.floor((inputH - height) / 2) : 0
  return { width, height, dx, dy }
}

/**
 * Maps a box in model-input pixels to source pixels, clamped to the source frame:
 * box_src = (box_model - offset) / (content size / source size), per axis.
 */
export function unletterbox(
  box: ArrayLike<number>,
  at: number,
  lb: Letterbox,
  sourceW: number,
  sourceH: number,
): [number, number, number, number] {
  const rx = lb.width / sourceW
  const ry = lb.height / sourceH
  const clampX = (v: number) => Math.min(sourceW, Math.max(0, v))
  const clampY = (v: number) => Math.min(sourceH, Math.max(0, v))
  return [
    clampX((box[at]! - lb.dx) / rx),
    clampY((box[at + 1]! - lb.dy) / ry),
    clampX((box[at + 2]! - lb.dx) / rx),
    clampY((box[at + 3]! - lb.dy) / ry),
  ]
}
