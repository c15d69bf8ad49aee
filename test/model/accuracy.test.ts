// Accuracy of the committed detector (models/csp-shapes.onnx) through onnxruntime-node,
// the runtime the daemon uses. Ground truth comes from the project's own scene generator
// (models/README.md): fresh held-out frames that went through a real H.264 encode/decode,
// and the committed test clip decoded and scaled by GStreamer like a camera stream.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as ort from 'onnxruntime-node'
import { tempDir } from '../harness/tmp.js'
import { meanAveragePrecision, type PredBox, type TruthBox } from '../harness/map.js'
import { postprocess, readNpyU8, toInput, type Detection } from './detection-metrics.js'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const MODEL = path.join(REPO, 'models', 'csp-shapes.onnx')
const CLIP = path.join(REPO, 'models', 'clip', 'shapes-clip')
// the input size the manifest declares (512x384 for csp-shapes): the tests follow the model
const INPUT = (() => {
  const m = /input: \{ width: (\d+), height: (\d+),/.exec(
    fs.readFileSync(path.join(REPO, 'models', 'csp-shapes.yaml'), 'utf8'),
  )
  if (!m) throw new Error('models/csp-shapes.yaml declares no input width/height')
  return { w: Number(m[1]), h: Number(m[2]) }
})()
const LABELS = ['circle', 'triangle', 'square', 'star', 'cross']
// Thresholds sit 6-7 points under what this committed model measured here (held-out, these
// 64 frames: 0.921; clip, every third frame: 0.970; models/README.md), so a regression
// fails but a different x264/libav/onnxruntime build does not.
const HELDOUT_MIN_MAP50 = 0.86
const CLIP_MIN_MAP50 = 0.9

async function session(): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(MODEL, { intraOpNumThreads: 2, executionProviders: ['cpu'] })
}

async function detect(s: ort.InferenceSession, input: Float32Array): Promise<Detection[]> {
  const res = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, INPUT.h, INPUT.w]) })
  const out = res[s.outputNames[0]!]!
  const [, rows, cols] = out.dims as [number, number, number]
  return postprocess(out.data as Float32Array, 0, rows, cols)
}

function asPreds(image: string, dets: Detection[]): PredBox[] {
  return dets.map((d) => ({ image, label: LABELS[d.cls]!, box: d.box, score: d.score }))
}

t.test('manifest declares the layout the graph has', async (t) => {
  const manifest = fs.readFileSync(path.join(REPO, 'models', 'csp-shapes.yaml'), 'utf8')
  t.match(manifest, /^format: yolov5$/m)
  t.match(manifest, /letterbox: center/)
  t.match(manifest, /labels: \[circle, triangle, square, star, cross\]/)
  const s = await session()
  const res = await s.run({
    [s.inputNames[0]!]: new ort.Tensor('float32', new Float32Array(2 * 3 * INPUT.w * INPUT.h), [
      2,
      3,
      INPUT.h,
      INPUT.w,
    ]),
  })
  // dynamic batch: the runtime may batch cameras; one row per cell of strides 8, 16 and 32
  const cells = [8, 16, 32].reduce((n, s) => n + (INPUT.w / s) * (INPUT.h / s), 0)
  t.same(res[s.outputNames[0]!]!.dims, [2, cells, 5 + LABELS.length])
})

t.test('mAP@0.5 on fresh H.264-degraded held-out frames', async (t) => {
  const dir = tempDir(t)
  // seeds 9_500_000+ are outside the training set (1_000_000+) and the card's held-out set
  const gen = spawnSync(
    '/usr/bin/python3',
    [path.join(REPO, 'models', 'data.py'), 'heldout', dir, '--n', '64', '--base', '9500000'],
    { encoding: 'utf8', timeout: 120_000 },
  )
  t.equal(gen.status, 0, `generator ran: ${gen.stderr}`)
  const { shape, data } = readNpyU8(path.join(dir, 'images.npy'))
  const [n, h, w] = shape as [number, number, number]
  const labels = JSON.parse(fs.readFileSync(path.join(dir, 'labels.json'), 'utf8')) as number[][][]
  const px = Math.floor((INPUT.w - w) / 2)
  const py = Math.floor((INPUT.h - h) / 2)
  const s = await session()
  const preds: PredBox[] = []
  const truths: TruthBox[] = []
  for (let i = 0; i < n; i++) {
    const image = String(i)
    preds.push(
      ...asPreds(image, await detect(s, toInput(data, i * h * w * 3, w, h, INPUT.w, INPUT.h, px, py))),
    )
    for (const r of labels[i]!) {
      truths.push({ image, label: LABELS[r[0]!]!, box: [r[1]! + px, r[2]! + py, r[3]! + px, r[4]! + py] })
    }
  }
  const map50 = meanAveragePrecision(truths, preds, 0.5)
  t.comment(`held-out mAP@0.5 = ${map50.toFixed(4)} on ${n} frames, ${truths.length} objects`)
  t.ok(map50 >= HELDOUT_MIN_MAP50, `mAP@0.5 ${map50.toFixed(4)} >= ${HELDOUT_MIN_MAP50}`)
})

t.test('mAP@0.5 on the committed test clip, decoded and scaled by GStreamer', async (t) => {
  const truth = JSON.parse(fs.readFileSync(`${CLIP}.json`, 'utf8')) as {
    width: number
    height: number
    fps: number
    frames: { index: number; objects: { class: number; box: [number, number, number, number] }[] }[]
  }
  t.equal(truth.width, 640)
  t.equal(truth.height, 480)
  t.equal(truth.fps, 15)
  const dir = tempDir(t)
  const raw = path.join(dir, 'clip.rgb')
  const scale = Math.min(INPUT.w / truth.width, INPUT.h / truth.height)
  const w = Math.round(truth.width * scale)
  const h = Math.round(truth.height * scale)
  const dec = spawnSync(
    'gst-launch-1.0',
    [
      '-q',
      ...`filesrc location=${CLIP}.mp4 ! qtdemux ! h264parse ! avdec_h264 ! videoconvert ! videoscale`.split(
        ' ',
      ),
      ...`! video/x-raw,format=RGB,width=${w},height=${h} ! filesink location=${raw}`.split(' '),
    ],
    { encoding: 'utf8', timeout: 120_000 },
  )
  t.equal(dec.status, 0, `decoded: ${dec.stderr}`)
  const frames = fs.readFileSync(raw)
  const frameBytes = w * h * 3
  t.equal(frames.length / frameBytes, truth.frames.length, 'one decoded frame per truth frame')
  const px = Math.floor((INPUT.w - w) / 2)
  const py = Math.floor((INPUT.h - h) / 2)
  const s = await session()
  const preds: PredBox[] = []
  const truths: TruthBox[] = []
  let sampled = 0
  // every third frame keeps the test short; neighbouring frames are nearly identical
  for (let i = 0; i < truth.frames.length; i += 3) {
    const image = String(i)
    sampled++
    preds.push(
      ...asPreds(image, await detect(s, toInput(frames, i * frameBytes, w, h, INPUT.w, INPUT.h, px, py))),
    )
    for (const o of truth.frames[i]!.objects) {
      const b = o.box
      truths.push({
        image,
        label: LABELS[o.class]!,
        box: [b[0] * scale + px, b[1] * scale + py, b[2] * scale + px, b[3] * scale + py],
      })
    }
  }
  const map50 = meanAveragePrecision(truths, preds, 0.5)
  t.comment(`clip mAP@0.5 = ${map50.toFixed(4)} on ${sampled} frames, ${truths.length} objects`)
  t.ok(map50 >= CLIP_MIN_MAP50, `clip mAP@0.5 ${map50.toFixed(4)} >= ${CLIP_MIN_MAP50}`)
})
