// Output format name → its reader. One module per format; adding one is a new file and a line here.
import type { OUTPUT_FORMATS } from '../../config/schema.js'
import type { OutputFormatReader } from './format.js'
import { yolov5 } from './yolov5.js'
import { yoloRaw } from './yolo-raw.js'
import { yolox } from './yolox.js'
import { yolov8 } from './yolov8.js'
import { nmsN7 } from './nms-n7.js'
import { nmsK6 } from './nms-k6.js'

export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

const READERS: Record<OutputFormat, () => OutputFormatReader> = {
  yolov5,
  'yolo-raw': yoloRaw,
  yolox,
  yolov8,
  'nms-n7': nmsN7,
  'nms-k6': nmsK6,
}

export function outputFormatReader(format: OutputFormat): OutputFormatReader {
  return READERS[format]()
}

/** nms-* formats carry no class count in their shape: the labels decide it. */
export function classesFromShape(format: OutputFormat): boolean {
  return format !== 'nms-n7' && format !== 'nms-k6'
}
