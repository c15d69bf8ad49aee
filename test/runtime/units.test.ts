// Pure units: preprocessing (placement, padding, colour order, normalisation), letterbox
// geometry, NMS, format auto-detection, latency statistics.
import t from 'tap'
import { Preprocessor, type InputSpec } from '../../src/runtime/preprocess.js'
import { letterboxFor, unletterbox } from '../../src/runtime/letterbox.js'
import { Candidates } from '../../src/runtime/candidates.js'
import { Nms } from '../../src/runtime/nms.js'
import { detectFormat } from '../../src/runtime/detect-format.js'
import { LatencyStats } from '../../src/runtime/latency.js'

const SPEC: InputSpec = {
  width: 8,
  height: 8,
  color: 'rgb',
  scale: 1 / 255,
  mean: [0, 0, 0],
  std: [1, 1, 1],
  letterbox: 'center',
  pad: 114,
}

/** A w x h RGB frame whose pixel (x, y) is (10x+y, 100+x, 200+y). */
function pixels(w: number, h: number) {
  const data = new Uint8Array(w * h * 3)
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) data.set([10 * x + y, 100 + x, 200 + y], (y * w + x) * 3)
  return { width: w, height: h, data }
}

const at = (p: Preprocessor, slot: number, c: number, x: number, y: number) =>
  p.data[slot * 3 * 64 + c * 64 + y * 8 + x]!

t.test('preprocess: centred placement, pad, RGB, /255, NCHW', async (t) => {
  const p = new Preprocessor(SPEC, 2)
  const lb = p.fill(1, pixels(8, 4))
  t.same(lb, { width: 8, height: 4, dx: 0, dy: 2 })
  t.equal(at(p, 1, 0, 0, 0), Math.fround(114 / 255), 'pad row above')
  t.equal(at(p, 1, 2, 7, 7), Math.fround(114 / 255), 'pad row below')
  t.equal(at(p, 1, 0, 3, 2 + 1), Math.fround((10 * 3 + 1) / 255), 'R of (3,1)')
  t.equal(at(p, 1, 1, 3, 2 + 1), Math.fround(103 / 255), 'G')
  t.equal(at(p, 1, 2, 3, 2 + 1), Math.fround(201 / 255), 'B')
  t.equal(at(p, 0, 0, 3, 3), 0, 'slot 0 untouched')
})

t.test('preprocess: top-left, BGR, mean/std, odd padding', async (t) => {
  const spec: InputSpec = {
    ...SPEC,
    color: 'bgr',
    scale: 1,
    mean: [1, 2, 3],
    std: [2, 4, 8],
    letterbox: 'topleft',
    pad: 0,
  }
  const p = new Preprocessor(spec, 1)
  const lb = p.fill(0, pixels(5, 8))
  t.same(lb, { width: 5, height: 8, dx: 0, dy: 0 })
  // model channel 0 is B, 1 is G, 2 is R
  t.equal(at(p, 0, 0, 4, 6), (206 - 1) / 2)
  t.equal(at(p, 0, 1, 4, 6), (104 - 2) / 4)
  t.equal(at(p, 0, 2, 4, 6), (46 - 3) / 8)
  t.equal(at(p, 0, 0, 5, 0), (0 - 1) / 2, 'pad column on the right')
  const centred = new Preprocessor({ ...spec, letterbox: 'center' }, 1)
  t.same(centred.fill(0, pixels(5, 8)), { width: 5, height: 8, dx: 1, dy: 0 }, 'odd padding: 1 left, 2 right')
})

t.test('preprocess: a frame that does not fit is resized to the fit', async (t) => {
  const p = new Preprocessor(SPEC, 1)
  const lb = p.fill(0, pixels(16, 8))
  t.same(lb, { width: 8, height: 4, dx: 0, dy: 2 })
  t.equal(at(p, 0, 1, 3, 2), Math.fround((100 + 7) / 255), 'nearest source pixel x=7 for x=3')
})

t.test('letterbox geometry and its inverse', async (t) => {
  t.same(letterboxFor(416, 312, 416, 416, 'center'), { width: 416, height: 312, dx: 0, dy: 52 })
  t.same(letterboxFor(416, 312, 416, 416, 'topleft'), { width: 416, height: 312, dx: 0, dy: 0 })
  t.same(letterboxFor(234, 416, 416, 416, 'center'), { width: 234, height: 416, dx: 91, dy: 0 })
  t.same(letterboxFor(1920, 1080, 416, 416, 'center'), { width: 416, height: 234, dx: 0, dy: 91 })
  const lb = letterboxFor(416, 234, 416, 416, 'center')
  // 1920x1080 -> 416x234: x ratio 416/1920, y ratio 234/1080
  const box = unletterbox([104, 91 + 117, 208, 91 + 234], 0, lb, 1920, 1080)
  t.ok(Math.abs(box[0] - 480) < 1e-9 && Math.abs(box[1] - 540) < 1e-9 && Math.abs(box[2] - 960) < 1e-9)
  t.equal(box[3], 1080)
})

t.test('nms: class-aware, agnostic, IoU threshold, max detections, order', async (t) => {
  const c = new Candidates(2)
  c.push(0, 0, 10, 10, 0.6, 0)
  c.push(1, 1, 11, 11, 0.9, 0) // IoU with the first 81/119 = 0.68
  c.push(0, 0, 10, 10, 0.8, 1)
  c.push(50, 50, 60, 60, 0.7, 0)
  c.push(0, 0, 10, 10, 0.3, 1)
  const nms = new Nms()
  const kept = (n: number) => Array.from(nms.keptIndices().subarray(0, n))
  t.same(kept(nms.run(c, 0.45, false, 100)), [1, 2, 3])
  t.same(kept(nms.run(c, 0.45, true, 100)), [1, 3])
  t.same(kept(nms.run(c, 0.7, true, 100)), [1, 2, 3], 'IoU 0.68 is kept at threshold 0.7')
  t.same(kept(nms.run(c, 0.45, false, 2)), [1, 2])
  c.reset()
  t.equal(nms.run(c, 0.45, false, 100), 0)
})

t.test('format auto-detection', async (t) => {
  const o = (...dims: number[]) => [{ name: 'out', dims }]
  t.match(detectFormat(o(1, 25200, 85), 640, 640), { format: 'yolov5' })
  t.match(detectFormat(o(1, 10647, 10), 416, 416), { format: 'yolov5' })
  t.match(
    detectFormat(o(1, 25200, 6), 640, 640),
    { format: 'yolov5' },
    'one class: [1,N,6] with N = 3 x cells',
  )
  t.match(detectFormat(o(1, 3549, 85), 416, 416), { format: 'yolox' })
  t.match(detectFormat(o(1, 84, 8400), 640, 640), { format: 'yolov8' })
  t.match(detectFormat(o(1, 300, 6), 640, 640), { format: 'nms-k6' })
  t.match(detectFormat(o(100, 7), 640, 640), { format: 'nms-n7' })
  t.match(
    detectFormat(
      [
        { name: 'a', dims: [1, 3, 80, 80, 85] },
        { name: 'b', dims: [1, 3, 40, 40, 85] },
      ],
      640,
      640,
    ),
    { format: 'yolo-raw' },
  )
  t.match(
    detectFormat(
      [
        { name: 'num_dets', dims: [1, 1] },
        { name: 'det_boxes', dims: [1, 100, 4] },
        { name: 'det_scores', dims: [1, 100] },
        { name: 'det_classes', dims: [1, 100] },
      ],
      640,
      640,
    ),
    { error: /EfficientNMS_TRT.*TensorRT plugins.*--max-wh/ },
  )
  t.match(detectFormat(o(1, 4, 7), 32, 32), { error: /cannot tell the output format from "out" \[1,4,7\]/ })
})

t.test('latency statistics and histogram', async (t) => {
  let now = 0
  const s = new LatencyStats(1000, () => now)
  t.equal(s.percentile(50), 0)
  s.add(5000) // an old, slow run (warm-up)...
  now = 2500 // ...two windows ago: no longer recent
  for (const v of [3, 12, 40, 700, 8]) s.add(v)
  t.equal(s.last, 8)
  // HdrHistogram keeps 3 significant figures (perf_hooks.createHistogram).
  t.ok(Math.abs(s.percentile(50) - 12) < 0.02, `recent runs 3, 8, 12, 40, 700: p50 ${s.percentile(50)}`)
  t.ok(Math.abs(s.percentile(99) - 700) < 1, `p99 ${s.percentile(99)}`)
  now = 3200 // one window later the same runs are still read (previous window)
  t.ok(Math.abs(s.percentile(50) - 12) < 0.02)
  const h = s.histogram()
  t.equal(h.count, 6, 'the Prometheus histogram counts every run')
  t.equal(h.sum, 5763)
  t.same(h.counts.slice(0, 4), [1, 2, 3, 4], 'cumulative: <=5, <=10, <=20, <=50')
  t.equal(h.counts[h.counts.length - 1], 6)
})
