// Draws detections onto a frame for /cameras/<name>/latest.jpg: a 2-pixel box outline
// per object and a filled label tag ("PERSON 0.91") above it, then JPEG-encodes it.
import jpeg from 'jpeg-js'
import { glyph, GLYPH_ADVANCE, GLYPH_HEIGHT, textWidth } from './font5x7.js'

export type Rgb = readonly [number, number, number]

/** Box colours by class id: distinct, saturated, readable with white text. */
export const PALETTE: readonly Rgb[] = [
  [255, 56, 56],
  [56, 56, 255],
  [0, 200, 0],
  [255, 157, 0],
  [200, 0, 200],
  [0, 170, 170],
  [140, 90, 0],
  [100, 100, 100],
]

export const BOX_THICKNESS = 2

export interface DrawObject {
  label: string
  class: number
  score: number
  /** [x1, y1, x2, y2] in the pixels of the image being drawn on. */
  box: readonly [number, number, number, number]
}

export function colourFor(cls: number): Rgb {
  return PALETTE[((cls % PALETTE.length) + PALETTE.length) % PALETTE.length]!
}

/** Maps a box from source-frame pixels to a frame scaled to width×height. */
export function scaleBox(
  box: readonly [number, number, number, number],
  source: { width: number; height: number },
  target: { width: number; height: number },
): [number, number, number, number] {
  const sx = target.width / source.width
  const sy = target.height / source.height
  return [box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy]
}

/** The pixel rectangle a box outline is drawn on (integers, clamped to the image). */
export function boxRect(
  box: readonly [number, number, number, number],
  width: number,
  height: number,
): { x1: number; y1: number; x2: number; y2: number } {
  const clampX = (v: number) => Math.min(width - 1, Math.max(0, Math.round(v)))
  const clampY = (v: number) => Math.min(height - 1, Math.max(0, Math.round(v)))
  return { x1: clampX(box[0]), y1: clampY(box[1]), x2: clampX(box[2]), y2: clampY(box[3]) }
}

class Canvas {
  constructor(
    readonly data: Uint8Array,
    readonly width: number,
    readonly height: number,
  ) {}

  set(x: number, y: number, c: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return
    const i = (y * this.width + x) * 4
    this.data[i] = c[0]
    this.data[i + 1] = c[1]
    this.data[i + 2] = c[2]
  }

  fill(x1: number, y1: number, x2: number, y2: number, c: Rgb): void {
    for (let y = y1; y <= y2; y++) for (let x = x1; x <= x2; x++) this.set(x, y, c)
  }

  text(x: number, y: number, s: string, c: Rgb): void {
    let cx = x
    for (const ch of s) {
      glyph(ch).forEach((row, gy) =>
        row.forEach((on, gx) => {
          if (on) this.set(cx + gx, y + gy, c)
        }),
      )
      cx += GLYPH_ADVANCE
    }
  }
}

/** RGB24 → RGBA with the objects drawn on. `rgb` is not modified. */
export function drawDetections(
  rgb: Uint8Array,
  width: number,
  height: number,
  objects: readonly DrawObject[],
): Uint8Array {
  const rgba = new Uint8Array(width * height * 4)
  for (let p = 0, q = 0; p < width * height; p++, q += 3) {
    rgba[p * 4] = rgb[q]!
    rgba[p * 4 + 1] = rgb[q + 1]!
    rgba[p * 4 + 2] = rgb[q + 2]!
    rgba[p * 4 + 3] = 255
  }
  const canvas = new Canvas(rgba, width, height)
  for (const o of objects) {
    const c = colourFor(o.class)
    const { x1, y1, x2, y2 } = boxRect(o.box, width, height)
    for (let t = 0; t < BOX_THICKNESS; t++) {
      canvas.fill(x1, y1 + t, x2, y1 + t, c)
      canvas.fill(x1, y2 - t, x2, y2 - t, c)
      canvas.fill(x1 + t, y1, x1 + t, y2, c)
      canvas.fill(x2 - t, y1, x2 - t, y2, c)
    }
    const text = `${o.label} ${o.score.toFixed(2)}`
    const tagH = GLYPH_HEIGHT + 2
    // Above the box when there is room, otherwise just inside its top edge.
    const tagY = y1 - tagH >= 0 ? y1 - tagH : y1 + BOX_THICKNESS
    const tagX = Math.min(x1, Math.max(0, width - textWidth(text) - 2))
    canvas.fill(tagX, tagY, tagX + textWidth(text) + 1, tagY + tagH - 1, c)
    canvas.text(tagX + 1, tagY + 1, text, [255, 255, 255])
  }
  return rgba
}

export function encodeJpeg(rgba: Uint8Array, width: number, height: number, quality = 85): Buffer {
  return jpeg.encode({ data: rgba, width, height }, quality).data
}
