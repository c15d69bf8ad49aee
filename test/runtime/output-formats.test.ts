// Each output format decoded end to end on a tiny ONNX graph with constant outputs
// (test/fixtures/models/make_fixtures.py): the boxes must equal the hand-computed ones,
// mapped back to source pixels through centred and top-left letterboxes and
// non-square sources.
import t, { type Test } from 'tap'
import { DetectorEngine } from '../../src/runtime/engine.js'
import type { DetectedObject } from '../../src/runtime/types.js'
import { closeTo, detectConfig, fixture, frame, modelConfig } from './helpers.js'

const LABELS = ['a', 'b', 'c']

interface Expect {
  label: string
  score: number
  box: [number, number, number, number]
}

async function detect(
  t: Test,
  model: string,
  frames: Array<[number, number, number, number]>,
  modelExtra: Record<string, unknown> = {},
  detectExtra: Record<string, unknown> = {},
): Promise<DetectedObject[][]> {
  const engine = new DetectorEngine(
    modelConfig(fixture(model), { labels: LABELS, ...modelExtra }),
    detectConfig(detectExtra),
  )
  await engine.open()
  t.teardown(() => engine.close())
  const out: DetectedObject[][] = []
  for (const [w, h, sw, sh] of frames) {
    const { results } = await engine.infer([frame('cam', 1, w, h, sw, sh)])
    t.same(results[0]!.frame, { width: sw, height: sh }, 'result frame size is the source size')
    out.push(results[0]!.objects)
  }
  return out
}

function match(t: Test, got: DetectedObject[], want: Expect[], what: string): void {
  t.equal(got.length, want.length, `${what}: ${want.length} objects (got ${JSON.stringify(got)})`)
  want.forEach((w, i) => {
    const g = got[i]
    t.ok(g, `${what}: object ${i}`)
    if (!g) return
    t.equal(g.label, w.label, `${what}: object ${i} label`)
    t.equal(g.class, LABELS.indexOf(w.label), `${what}: object ${i} class`)
    t.ok(Math.abs(g.score - w.score) < 1e-4, `${what}: object ${i} score ${g.score} ≈ ${w.score}`)
    t.ok(
      closeTo(g.box, w.box),
      `${what}: object ${i} box ${JSON.stringify(g.box)} ≈ ${JSON.stringify(w.box)}`,
    )
  })
}

t.test('yolov5: decode, class-aware NMS, letterbox undo (centred, top-left, non-square)', async (t) => {
  const [landscape, portrait, odd] = await detect(t, 'yolov5.onnx', [
    [64, 48, 640, 480],
    [48, 64, 480, 640],
    [64, 32, 100, 50],
  ])
  match(
    t,
    landscape!,
    [
      { label: 'b', score: 0.72, box: [220, 110, 420, 210] },
      { label: 'c', score: 0.54, box: [220, 110, 420, 210] },
      { label: 'a', score: 0.5, box: [60, 390, 140, 450] },
    ],
    'centred 640x480',
  )
  match(
    t,
    portrait!,
    [
      { label: 'b', score: 0.72, box: [140, 190, 340, 290] },
      { label: 'c', score: 0.54, box: [140, 190, 340, 290] },
      { label: 'a', score: 0.5, box: [0, 470, 60, 530] },
    ],
    'centred 480x640 (x padding, clipped at 0)',
  )
  match(
    t,
    odd!,
    [
      { label: 'b', score: 0.72, box: [34.375, 4.6875, 65.625, 20.3125] },
      { label: 'c', score: 0.54, box: [34.375, 4.6875, 65.625, 20.3125] },
      { label: 'a', score: 0.5, box: [9.375, 48.4375, 21.875, 50] },
    ],
    'centred 100x50 (ratio 0.64, clipped at the bottom)',
  )

  const [tl, tlPortrait] = await detect(
    t,
    'yolov5.onnx',
    [
      [64, 48, 640, 480],
      [48, 64, 480, 640],
    ],
    { input: { width: 64, height: 64, letterbox: 'topleft' } },
  )
  match(
    t,
    tl!,
    [
      { label: 'b', score: 0.72, box: [220, 190, 420, 290] },
      { label: 'c', score: 0.54, box: [220, 190, 420, 290] },
      { label: 'a', score: 0.5, box: [60, 470, 140, 480] },
    ],
    'top-left 640x480',
  )
  match(
    t,
    tlPortrait!,
    [
      { label: 'b', score: 0.72, box: [220, 190, 420, 290] },
      { label: 'c', score: 0.54, box: [220, 190, 420, 290] },
      { label: 'a', score: 0.5, box: [60, 470, 140, 530] },
    ],
    'top-left 480x640',
  )
})

t.test('yolov5: class-agnostic NMS, allow-list, per-class scores, max detections', async (t) => {
  const src: [number, number, number, number] = [64, 48, 640, 480]
  const [agnostic] = await detect(t, 'yolov5.onnx', [src], {}, { class_agnostic: true })
  match(
    t,
    agnostic!,
    [
      { label: 'b', score: 0.72, box: [220, 110, 420, 210] },
      { label: 'a', score: 0.5, box: [60, 390, 140, 450] },
    ],
    'class-agnostic',
  )
  const [allow] = await detect(t, 'yolov5.onnx', [src], {}, { labels: ['a', 'c'] })
  match(
    t,
    allow!,
    [
      { label: 'c', score: 0.54, box: [220, 110, 420, 210] },
      { label: 'a', score: 0.5, box: [60, 390, 140, 450] },
    ],
    'allow-list a,c',
  )
  const [perClass] = await detect(t, 'yolov5.onnx', [src], {}, { class_scores: { b: 0.75, a: 0.05 } })
  match(
    t,
    perClass!,
    [
      { label: 'c', score: 0.54, box: [220, 110, 420, 210] },
      { label: 'a', score: 0.5, box: [60, 390, 140, 450] },
      { label: 'a', score: 0.1, box: [480, 0, 520, 40] },
    ],
    'class_scores b>=0.75, a>=0.05',
  )
  const [max1] = await detect(t, 'yolov5.onnx', [src], {}, { max_detections: 1 })
  match(t, max1!, [{ label: 'b', score: 0.72, box: [220, 110, 420, 210] }], 'max_detections 1')
})

t.test('yolox: raw grid decode, BGR/top-left convention', async (t) => {
  const engine = new DetectorEngine(modelConfig(fixture('yolox.onnx'), { labels: LABELS }), detectConfig())
  const info = await engine.open()
  t.teardown(() => engine.close())
  t.equal(info.format, 'yolox')
  t.equal(info.formatSource, 'auto-detected')
  t.match(info.preprocess, { color: 'bgr', scale: 1, letterbox: 'topleft', pad: 114 })
  const { results } = await engine.infer([frame('cam', 1, 64, 48, 640, 480)])
  match(
    t,
    results[0]!.objects,
    [
      { label: 'b', score: 0.81, box: [120, 40, 280, 160] },
      { label: 'c', score: 0.72, box: [240, 320, 640, 480] },
      { label: 'a', score: 0.42, box: [80, 80, 240, 240] },
    ],
    'yolox 640x480 top-left',
  )
})

t.test('yolov8: [B,4+C,N], no objectness', async (t) => {
  const [objs] = await detect(t, 'yolov8.onnx', [[64, 48, 640, 480]])
  match(
    t,
    objs!,
    [
      { label: 'b', score: 0.7, box: [220, 110, 420, 210] },
      { label: 'a', score: 0.5, box: [60, 390, 140, 450] },
    ],
    'yolov8 centred',
  )
})

t.test('yolo-raw: per-level anchor heads (sigmoid, grid, anchors)', async (t) => {
  const [objs] = await detect(t, 'yolo-raw.onnx', [[64, 48, 640, 480]])
  match(
    t,
    objs!,
    [
      { label: 'a', score: 0.72, box: [185, 0, 375, 300] },
      { label: 'c', score: 0.5 / (1 + Math.exp(-10)), box: [0, 0, 640, 480] },
    ],
    'yolo-raw centred',
  )
  // anchors from the manifest/config replace the defaults (here YOLOv5 P5's)
  const [own] = await detect(t, 'yolo-raw.onnx', [[64, 48, 640, 480]], {
    anchors: [
      [10, 13, 16, 30, 33, 23],
      [30, 61, 62, 45, 59, 119],
      [116, 90, 156, 198, 373, 326],
    ],
  })
  match(
    t,
    own!,
    [
      { label: 'a', score: 0.72, box: [200, 0, 360, 270] },
      { label: 'c', score: 0.5 / (1 + Math.exp(-10)), box: [0, 0, 640, 480] },
    ],
    'yolo-raw with manifest anchors',
  )
})

t.test('nms-n7 and nms-k6: boxes as given, xyxy, thresholded', async (t) => {
  const want: Expect[] = [
    { label: 'b', score: 0.9, box: [100, 120, 300, 320] },
    { label: 'c', score: 0.6, box: [400, 20, 600, 220] },
  ]
  const [n7] = await detect(t, 'nms-n7.onnx', [[64, 48, 640, 480]])
  match(t, n7!, want, 'nms-n7')
  const [k6] = await detect(t, 'nms-k6.onnx', [[64, 48, 640, 480]])
  match(t, k6!, want, 'nms-k6')
})

t.test('dynamic batch: one run, per-frame letterbox undo', async (t) => {
  const engine = new DetectorEngine(modelConfig(fixture('batch.onnx'), { labels: LABELS }), detectConfig(), 4)
  const info = await engine.open()
  t.teardown(() => engine.close())
  t.equal(info.batch, 'dynamic')
  t.equal(info.maxBatch, 4)
  const { results } = await engine.infer([
    frame('a', 1, 64, 48, 640, 480),
    frame('b', 2, 48, 64, 480, 640),
    frame('c', 3, 64, 32, 100, 50),
  ])
  t.same(
    results.map((r) => r.camera),
    ['a', 'b', 'c'],
  )
  t.ok(closeTo(results[0]!.objects[0]!.box, [220, 110, 420, 210]))
  t.ok(closeTo(results[1]!.objects[0]!.box, [140, 190, 340, 290]))
  t.ok(closeTo(results[2]!.objects[0]!.box, [34.375, 4.6875, 65.625, 20.3125]))
})
