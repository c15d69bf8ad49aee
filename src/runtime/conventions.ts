// Preprocessing conventions of each exporter family, used for manifest keys left out.
// (YOLOX trains on BGR 0-255 images placed top-left; the Ultralytics/YOLOv7/Scaled-YOLOv4
// family on RGB /255 images centred, both padded with 114.)
import type { OutputFormat } from './output-formats/index.js'
import type { InputSpec } from './preprocess.js'

export type InputConvention = Omit<InputSpec, 'width' | 'height'>

const ULTRALYTICS: InputConvention = {
  color: 'rgb',
  scale: 1 / 255,
  mean: [0, 0, 0],
  std: [1, 1, 1],
  letterbox: 'center',
  pad: 114,
}

const YOLOX: InputConvention = { ...ULTRALYTICS, color: 'bgr', scale: 1, letterbox: 'topleft' }

export function inputConvention(format: OutputFormat | undefined): InputConvention {
  return format === 'yolox' ? YOLOX : ULTRALYTICS
}

export const DEFAULT_STRIDES = [8, 16, 32] as const

/**
 * Default yolo-raw anchors: those of YOLOv4 / Scaled-YOLOv4-CSP and YOLOv7 (P5), the two
 * exporters that produce raw per-level heads; smallest stride first. Models trained with
 * other anchors (auto-anchor, YOLOv5 P5's 10,13,...) must list theirs in the manifest.
 */
export const DEFAULT_ANCHORS = [
  [12, 16, 19, 36, 40, 28],
  [36, 75, 76, 55, 72, 146],
  [142, 110, 192, 243, 459, 401],
] as const
