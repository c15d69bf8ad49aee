// Auto-detection of the output format from the model's real output shapes (taken from a
// warm-up run, so dynamic dims are concrete). Only unambiguous cases are decided; for the
// rest the manifest must say `format:`.
import { gridCells, shapeText, type OutputShape } from './output-formats/format.js'
import type { OutputFormat } from './output-formats/index.js'

export type Detection = { format: OutputFormat; reason: string } | { error: string }

export function detectFormat(outputs: readonly OutputShape[], inputW: number, inputH: number): Detection {
  const all = outputs.map((o) => `"${o.name}" ${shapeText(o.dims)}`).join(', ')
  // EfficientNMS_TRT (YOLOv7 --end2end without --max-wh, TensorRT-only): num_dets, boxes, scores, classes.
  if (
    outputs.length === 4 &&
    outputs.some((o) => o.dims.length === 3 && o.dims[2] === 4) &&
    outputs.some((o) => o.dims.length === 2 && o.dims[1] === 1)
  )
    return {
      error: `outputs ${all} look like EfficientNMS_TRT (num_dets, boxes, scores, classes), which onnxruntime cannot run without the TensorRT plugins; re-export with --max-wh (YOLOv7) to get the nms-n7 layout, or without NMS`,
    }
  if (outputs.length > 0 && outputs.every((o) => o.dims.length === 5 && o.dims[1] === 3))
    return { format: 'yolo-raw', reason: `${outputs.length} outputs [B,3,H,W,5+C] (per-level anchor heads)` }
  const o = outputs[0]
  if (!o) return { error: 'the model has no outputs' }
  if (o.dims.length === 2 && o.dims[1] === 7)
    return { format: 'nms-n7', reason: `${shapeText(o.dims)} = [K,7] (NMS inside the graph)` }
  if (o.dims.length === 3) {
    const [, a, b] = o.dims as [number, number, number]
    const cells = [gridCells(inputW, inputH, [8, 16, 32]), gridCells(inputW, inputH, [8, 16, 32, 64])]
    if (cells.some((c) => a === 3 * c) && b >= 6)
      return { format: 'yolov5', reason: `${shapeText(o.dims)}: N = 3 anchors x grid cells, rows of 5+C` }
    if (cells.includes(b) && a >= 5 && a < b)
      return {
        format: 'yolov8',
        reason: `${shapeText(o.dims)}: [B,4+C,N] with N = grid cells, no objectness`,
      }
    if (cells.includes(a) && b >= 6)
      return {
        format: 'yolox',
        reason: `${shapeText(o.dims)}: [B,N,5+C] with N = grid cells (anchor-free raw head); if exported with decode_in_inference=True set format: yolov5`,
      }
    if (b === 6) return { format: 'nms-k6', reason: `${shapeText(o.dims)} = [B,K,6] (NMS inside the graph)` }
  }
  return {
    error: `cannot tell the output format from ${all} with input ${inputW}x${inputH}; set format: (yolov5 | yolo-raw | yolox | yolov8 | nms-n7 | nms-k6) in the manifest`,
  }
}
