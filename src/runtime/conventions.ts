// Preprocessing conventions of each exporter family, used for manifest keys left out.
// (YOLOX trains on BGR 0-255 images placed top-left; the Ultralytics/YOLOv7/Scaled-YOLOv4
// family on RGB /255 images centred, both padded with 114.)
import type { OutputFormat } from './decoders/index.js'
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

/** The anchors of YOLOv5 P5 / Scaled-YOLOv4-CSP, smallest stride first. */
export const DEFAULT_ANCHORS = [
  [10, 13, 16, 30, 33, 23],
  [30, 61, 62, 45, 59, 119],
  [116, 90, 156, 198, 373, 326],
] as const
