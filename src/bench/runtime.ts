// Runtime benchmark: pure inference of the default model (or a fixture when it is not
// there yet) on the CPU EP at the configured threads, preprocessing of a 640x480 source
// into that model's input (letterboxed), decode+NMS of each format's typical
// output size on synthetic outputs, and event-loop lag while the worker runs flat out.
import fs from 'node:fs'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { pino } from 'pino'
import { APP_ROOT, resolveModelConfig } from '../config/load.js'
import { DetectSchema } from '../config/schema.js'
import { DetectorEngine } from '../runtime/engine.js'
import { InferenceRuntime } from '../runtime/inference-runtime.js'
import { Preprocessor } from '../runtime/preprocess.js'
import { Postprocessor } from '../runtime/postprocess.js'
import { outputFormatReader, type OutputFormat } from '../runtime/output-formats/index.js'
import type { OutputTensor } from '../runtime/output-formats/format.js'
import { inputConvention, DEFAULT_ANCHORS } from '../runtime/conventions.js'
import { letterboxFor } from '../runtime/letterbox.js'
import { median, percentile, type BenchFigure, type BenchRunner } from './types.js'

/** Deterministic pseudo-random numbers in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

const CLASSES = 80

/**
 * Synthetic outputs shaped like a real scene: most rows score near zero, ~1 % are
 * candidates above the threshold, clustered on a few objects so NMS has work to do.
 */
function syntheticOutputs(format: OutputFormat, size: number): OutputTensor[] {
  const r = rng(42)
  const objects = Array.from({ length: 12 }, () => [r() * size, r() * size, 20 + r() * 150, 20 + r() * 150])
  const hot = () => r() < 0.01
  const near = () => {
    const o = objects[Math.floor(r() * objects.length)]!
    return [
      o[0]! + (r() - 0.5) * 8,
      o[1]! + (r() - 0.5) * 8,
      o[2]! * (0.9 + r() * 0.2),
      o[3]! * (0.9 + r() * 0.2),
    ]
  }
  const logit = (p: number) => Math.log(p / (1 - p))
  switch (format) {
    case 'yolov5':
    case 'yolox': {
      const n = format === 'yolov5' ? 25200 : 3549
      const d = 5 + CLASSES
      const data = new Float32Array(n * d)
      for (let i = 0; i < n; i++) {
        const row = i * d
        const h = hot()
        const [x, y, w, hh] = h ? near() : [r() * size, r() * size, 10 + r() * 50, 10 + r() * 50]
        if (format === 'yolov5') data.set([x!, y!, w!, hh!], row)
        else data.set([r(), r(), Math.log((w! / 32) * (0.5 + r())), Math.log((hh! / 32) * (0.5 + r()))], row)
        data[row + 4] = h ? 0.5 + r() * 0.5 : r() * 0.05
        for (let c = 0; c < CLASSES; c++) data[row + 5 + c] = r() * 0.1
        data[row + 5 + Math.floor(r() * CLASSES)] = h ? 0.7 + r() * 0.3 : r() * 0.3
      }
      return [{ name: 'output0', dims: [1, n, d], data }]
    }
    case 'yolov8': {
      const n = 8400
      const rows = 4 + CLASSES
      const data = new Float32Array(rows * n)
      for (let i = 0; i < n; i++) {
        const h = hot()
        const b = h ? near() : [r() * size, r() * size, 10 + r() * 50, 10 + r() * 50]
        for (let k = 0; k < 4; k++) data[k * n + i] = b[k]!
        for (let c = 0; c < CLASSES; c++) data[(4 + c) * n + i] = r() * 0.05
        data[(4 + Math.floor(r() * CLASSES)) * n + i] = h ? 0.5 + r() * 0.5 : r() * 0.2
      }
      return [{ name: 'output0', dims: [1, rows, n], data }]
    }
    case 'yolo-raw':
      return [80, 40, 20].map((g, level) => {
        const d = 5 + CLASSES
        const data = new Float32Array(3 * g * g * d)
        for (let i = 0; i < 3 * g * g; i++) {
          const row = i * d
          const h = hot()
          data.set([r() * 2 - 1, r() * 2 - 1, r() * 2 - 1, r() * 2 - 1], row)
          data[row + 4] = h ? logit(0.6 + r() * 0.39) : logit(0.001 + r() * 0.05)
          for (let c = 0; c < CLASSES; c++) data[row + 5 + c] = logit(0.001 + r() * 0.1)
          data[row + 5 + Math.floor(r() * CLASSES)] = h ? logit(0.7 + r() * 0.29) : logit(0.01 + r() * 0.3)
        }
        return { name: `p${level + 3}`, dims: [1, 3, g, g, d], data }
      })
    case 'nms-n7': {
      const k = 100
      const data = new Float32Array(k * 7)
      for (let i = 0; i < k; i++) {
        const [x, y, w, h] = near()
        data.set(
          [0, x! - w! / 2, y! - h! / 2, x! + w! / 2, y! + h! / 2, Math.floor(r() * CLASSES), r()],
          i * 7,
        )
      }
      return [{ name: 'output', dims: [k, 7], data }]
    }
    case 'nms-k6': {
      const k = 300
      const data = new Float32Array(k * 6)
      for (let i = 0; i < k; i++) {
        const [x, y, w, h] = near()
        data.set([x! - w! / 2, y! - h! / 2, x! + w! / 2, y! + h! / 2, r(), Math.floor(r() * CLASSES)], i * 6)
      }
      return [{ name: 'output0', dims: [1, k, 6], data }]
    }
  }
}

const DECODE_CASES: Array<{ format: OutputFormat; size: number; shape: string }> = [
  { format: 'yolov5', size: 640, shape: '[1,25200,85]' },
  { format: 'yolox', size: 416, shape: '[1,3549,85]' },
  { format: 'yolov8', size: 640, shape: '[1,84,8400]' },
  { format: 'yolo-raw', size: 640, shape: '3 x [1,3,H,W,85] at 640' },
  { format: 'nms-n7', size: 640, shape: '[100,7]' },
  { format: 'nms-k6', size: 640, shape: '[1,300,6]' },
]

function timeRuns(n: number, fn: () => void): number[] {
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    fn()
    out.push(performance.now() - t0)
  }
  return out
}

/** Median of each block of runs, so the figure's `runs` show the spread between blocks. */
function blocks(nBlocks: number, perBlock: number, fn: () => void): number[] {
  fn() // warm the JIT and the buffers
  return Array.from({ length: nBlocks }, () => median(timeRuns(perBlock, fn)))
}

export const run: BenchRunner = async ({ quick, log }) => {
  const figures: BenchFigure[] = []
  const notes: string[] = []
  const defaultModel = path.join(APP_ROOT, 'models', 'csp-shapes.onnx')
  const haveDefault = fs.existsSync(defaultModel)
  const modelPath = haveDefault
    ? defaultModel
    : path.join(APP_ROOT, 'test', 'fixtures', 'models', 'slow.onnx')
  const model = resolveModelConfig({ providers: ['cpu'] }, modelPath)
  const detect = DetectSchema.parse({})
  const threads = model.threads

  // Pure inference: session.run() only, batch 1, after the warm-up.
  log(`inference: ${modelPath}`)
  const engine = new DetectorEngine(model, detect)
  const info = await engine.open()
  const { width: W, height: H } = info.input
  const fit = letterboxFor(640, 480, W, H, 'center')
  const frameData = () => new Uint8Array(fit.width * fit.height * 3).fill(90)
  const runs: number[] = []
  for (let i = 0; i < (quick ? 5 : 30); i++) {
    const out = await engine.infer([
      {
        camera: 'b',
        seq: i,
        pts: null,
        ts: 0,
        width: fit.width,
        height: fit.height,
        sourceWidth: 640,
        sourceHeight: 480,
        data: frameData(),
      },
    ])
    runs.push(out.runMs)
  }
  await engine.close()
  figures.push({
    name: `pure inference, ${info.model} ${W}x${H}, CPU EP, ${threads} threads`,
    value: median(runs),
    unit: 'ms',
    runs: [percentile(runs, 10), percentile(runs, 90)],
  })
  notes.push(
    haveDefault
      ? `Inference: the default model models/csp-shapes.onnx (${info.format}), median of ${runs.length} runs (runs column: p10, p90).`
      : `Inference: models/csp-shapes.onnx was not there yet, so test/fixtures/models/slow.onnx (a MatMul chain, not a detector) stands in; rerun once the default model is committed.`,
  )

  // Preprocessing at the model's input size: a 640x480 camera frame arrives already scaled
  // to fit (ingest does that), or full size when the pipeline could not scale it.
  const spec = { width: W, height: H, ...inputConvention('yolov5') }
  const pre = new Preprocessor(spec, 1)
  const arrives = { width: fit.width, height: fit.height, data: frameData() }
  const full = { width: 640, height: 480, data: new Uint8Array(640 * 480 * 3).fill(77) }
  const nb = quick ? 3 : 7
  const preRuns = blocks(nb, 50, () => pre.fill(0, arrives))
  figures.push({
    name: `preprocess ${fit.width}x${fit.height} frame (640x480 source) → ${W}x${H} NCHW float32`,
    value: median(preRuns),
    unit: 'ms',
    runs: preRuns,
  })
  const resizeRuns = blocks(nb, 50, () => pre.fill(0, full))
  figures.push({
    name: `preprocess with resize, 640x480 frame → ${W}x${H} (nearest)`,
    value: median(resizeRuns),
    unit: 'ms',
    runs: resizeRuns,
  })

  // Decode + NMS (+ letterbox undo) per format.
  for (const c of DECODE_CASES) {
    log(`decode ${c.format}`)
    const outputs = syntheticOutputs(c.format, c.size)
    const labels = Array.from({ length: CLASSES }, (_, i) => `class${i}`)
    const post = new Postprocessor(outputFormatReader(c.format), labels, detect, {
      width: c.size,
      height: c.size,
      strides: [8, 16, 32],
      anchors: DEFAULT_ANCHORS.map((a) => [...a]),
    })
    const lb = letterboxFor(c.size, (c.size * 3) / 4, c.size, c.size, 'center')
    let objects = 0
    const r = blocks(nb, quick ? 10 : 40, () => {
      objects = post.run(outputs, 0, lb, 1280, 960).objects.length
    })
    const goal = c.format === 'yolov5' ? '< 2 ms' : undefined
    figures.push({
      name: `decode + NMS ${c.format} ${c.shape} (${objects} objects kept)`,
      value: median(r),
      unit: 'ms',
      runs: r,
      ...(goal ? { goal, met: median(r) < 2 } : {}),
    })
  }
  notes.push(
    'Decode + NMS: synthetic outputs with ~1 % of rows above the 0.35 threshold clustered on 12 objects, 80 classes; includes mapping boxes to source pixels. Runs: medians of blocks of runs.',
  )

  // Event-loop lag on the main thread while the worker runs continuously.
  log('event-loop lag')
  let done = 0
  const rt: InferenceRuntime = new InferenceRuntime({
    model,
    detect,
    log: pino({ level: 'silent' }),
    onResult: () => {
      done++
      feed()
    },
  })
  const feed = () =>
    rt.submit({
      camera: 'b',
      seq: done,
      pts: null,
      ts: Date.now(),
      width: fit.width,
      height: fit.height,
      sourceWidth: 640,
      sourceHeight: 480,
      data: frameData(),
    })
  await rt.start()
  const h = monitorEventLoopDelay({ resolution: 5 })
  h.enable()
  feed()
  await new Promise((r) => setTimeout(r, quick ? 2000 : 8000))
  h.disable()
  await rt.stop()
  const lag = h.percentile(99) / 1e6
  figures.push({
    name: `event-loop lag p99 while the worker runs continuously (${done} inferences)`,
    value: lag,
    unit: 'ms',
    goal: '< 20 ms',
    met: lag < 20,
  })
  figures.push({ name: 'event-loop lag max, same run', value: h.max / 1e6, unit: 'ms' })
  return { id: 'runtime', title: 'Inference runtime (src/runtime)', figures, notes }
}
