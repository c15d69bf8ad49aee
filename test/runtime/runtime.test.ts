// InferenceRuntime with its real worker thread: results, latest-frame-wins per camera,
// batching across cameras, stop() draining in-flight work, live swap, and the main
// event loop staying responsive while a slow model runs continuously.
import t from 'tap'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { InferenceRuntime } from '../../src/runtime/inference-runtime.js'
import type { InferenceResult } from '../../src/runtime/types.js'
import { closeTo, detectConfig, fixture, frame, modelConfig, recordingLogger } from './helpers.js'

const LABELS = ['a', 'b', 'c']

async function until(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

t.test('results come back from the worker with source-pixel boxes; info and stats', async (t) => {
  const { log } = recordingLogger()
  const results: InferenceResult[] = []
  const rt = new InferenceRuntime({
    model: modelConfig(fixture('yolov5.onnx'), { labels: LABELS }),
    detect: detectConfig(),
    log,
    onResult: (r) => results.push(r),
  })
  await rt.start()
  t.teardown(() => rt.stop())
  t.same(rt.info(), {
    model: 'yolov5',
    path: fixture('yolov5.onnx'),
    provider: 'cpu',
    providers: ['cpu'],
    input: { width: 64, height: 64 },
    batch: 1,
    labels: LABELS,
    format: 'yolov5',
  })
  const f = frame('gate', 7, 64, 48, 640, 480)
  const buffer = f.data.buffer
  rt.submit(f)
  t.equal(buffer.byteLength, 0, 'the frame buffer was transferred, not copied')
  await until('a result', () => results.length === 1)
  const r = results[0]!
  t.match(r, {
    camera: 'gate',
    frameSeq: 7,
    pts: 0.7,
    ts: 1_700_000_000_007,
    frame: { width: 640, height: 480 },
    model: 'yolov5',
  })
  t.ok(r.inference_ms >= 0)
  t.equal(r.objects.length, 3)
  t.ok(closeTo(r.objects[0]!.box, [220, 110, 420, 210]))
  const s = rt.stats()
  t.match(s, { submitted: 1, processed: 1, dropped: 0, batches: 1, busy: false, queued: 0 })
  t.equal(s.histogram.count, 1)
  t.equal(s.histogram.counts.length, s.histogram.le.length)
  t.ok(s.p50_ms > 0 && s.p99_ms >= s.p50_ms)
  t.ok(Date.now() - s.lastProgressAt < 1000, 'idle counts as progress')
})

t.test('latest frame wins per camera; waiting cameras run as one batch', async (t) => {
  const { log } = recordingLogger()
  const results: InferenceResult[] = []
  const rt = new InferenceRuntime({
    model: modelConfig(fixture('batch.onnx'), { labels: LABELS }),
    detect: detectConfig(),
    log,
    onResult: (r) => results.push(r),
    maxBatch: 4,
  })
  await rt.start()
  t.teardown(() => rt.stop())
  t.equal(rt.info().batch, 'dynamic')
  rt.submit(frame('a', 1, 64, 48, 640, 480)) // goes to the worker at once
  rt.submit(frame('b', 1, 64, 48, 640, 480)) // these wait for it...
  rt.submit(frame('c', 1, 48, 64, 480, 640))
  rt.submit(frame('b', 2, 64, 48, 640, 480)) // ...and b's newer frame replaces the waiting one
  t.equal(rt.stats().queued, 2)
  t.equal(rt.stats().busy, true)
  await until('3 results', () => results.length === 3)
  const s = rt.stats()
  t.match(s, { submitted: 4, processed: 3, dropped: 1, batches: 2 })
  t.same(
    results.map((r) => `${r.camera}#${r.frameSeq}`),
    ['a#1', 'b#2', 'c#1'],
    'b ran with its latest frame, b and c in one batch',
  )
  t.ok(closeTo(results[2]!.objects[0]!.box, [140, 190, 340, 290]), 'per-frame letterbox undo in a batch')
})

t.test('stop() waits for in-flight work and delivers its results', async (t) => {
  const { log } = recordingLogger()
  const results: InferenceResult[] = []
  const rt = new InferenceRuntime({
    model: modelConfig(fixture('slow.onnx'), { labels: LABELS }),
    detect: detectConfig(),
    log,
    onResult: (r) => results.push(r),
  })
  await rt.start()
  rt.submit(frame('a', 1, 64, 64, 64, 64))
  rt.submit(frame('b', 1, 64, 64, 64, 64))
  t.equal(rt.stats().busy, true)
  await rt.stop()
  t.same(
    results.map((r) => r.camera),
    ['a'],
    'the in-flight frame finished; the waiting one was dropped',
  )
  t.match(rt.stats(), { processed: 1, dropped: 1, queued: 0 })
  rt.submit(frame('a', 2, 64, 64, 64, 64))
  t.equal(rt.stats().dropped, 2, 'frames after stop are dropped')
})

t.test('event loop keeps ticking while a ~30 ms model runs continuously', async (t) => {
  const { log } = recordingLogger()
  let processed = 0
  const feed = () => rt.submit(frame('cam', processed, 64, 64, 64, 64))
  const rt: InferenceRuntime = new InferenceRuntime({
    model: modelConfig(fixture('slow.onnx'), { labels: LABELS }),
    detect: detectConfig(),
    log,
    onResult: () => {
      processed++
      feed()
    },
  })
  await rt.start()
  t.teardown(() => rt.stop())
  // Baseline: the same measurement with the worker idle. This machine is shared (other
  // builds, a training job), so preemption alone can delay the loop; the claim under
  // test is that inference adds no lag of its own.
  const idle = monitorEventLoopDelay({ resolution: 5 })
  idle.enable()
  await new Promise((r) => setTimeout(r, 1000))
  idle.disable()
  const h = monitorEventLoopDelay({ resolution: 5 })
  feed()
  feed()
  h.enable()
  const started = Date.now()
  await until('10 inferences', () => processed >= 10, 120_000)
  h.disable()
  const elapsed = Date.now() - started
  const perFrame = rt.stats().p50_ms
  const lagMs = h.percentile(99) / 1e6
  const baseMs = idle.percentile(99) / 1e6
  t.comment(
    `10 inferences in ${elapsed} ms (p50 ${perFrame.toFixed(1)} ms/frame); event-loop lag p99 ${lagMs.toFixed(1)} ms (max ${(h.max / 1e6).toFixed(1)}), idle p99 ${baseMs.toFixed(1)} ms`,
  )
  // The fixture is built to take about 30 ms here; a faster machine makes it quicker, so
  // the premise is "clearly longer than the lag bound below", not an exact figure.
  t.ok(perFrame >= 25, `the model takes >= 25 ms per frame (${perFrame.toFixed(1)} ms)`)
  // Run on the main thread, back-to-back inferences would hold the loop for a whole
  // inference nearly all the time: the median lag would be the inference time.
  const p50 = h.percentile(50) / 1e6
  t.ok(
    p50 < Math.min(20, perFrame * 0.6),
    `event-loop lag p50 under 20 ms and well under an inference (${p50.toFixed(1)} ms)`,
  )
  // p99 under 20 ms holds on a quiet machine (see docs/benchmarks.md); on this shared
  // 2-core one, preemption by other processes can exceed it, so allow for the idle
  // baseline and never as much as half an inference.
  t.ok(
    lagMs < Math.max(20, baseMs + 20) || lagMs < perFrame / 2,
    `event-loop lag p99 ${lagMs.toFixed(1)} ms (idle ${baseMs.toFixed(1)} ms, inference ${perFrame.toFixed(1)} ms)`,
  )
})

t.test('lastProgressAt stops advancing while frames wait on a busy worker', async (t) => {
  const { log } = recordingLogger()
  let clock = 1000
  const rt = new InferenceRuntime({
    model: modelConfig(fixture('slow.onnx'), { labels: LABELS }),
    detect: detectConfig(),
    log,
    onResult: () => undefined,
    now: () => clock,
  })
  await rt.start()
  t.teardown(() => rt.stop())
  clock = 2000
  t.equal(rt.stats().lastProgressAt, 2000, 'idle: now')
  rt.submit(frame('a', 1, 64, 64, 64, 64))
  rt.submit(frame('b', 1, 64, 64, 64, 64))
  clock = 3000
  t.equal(rt.stats().lastProgressAt, 1000, 'busy: the last completion (here: start)')
})

t.test(
  'swap: a bad new model is rejected and the old one keeps running; a good one replaces it',
  async (t) => {
    const { log } = recordingLogger()
    const results: InferenceResult[] = []
    const rt = new InferenceRuntime({
      model: modelConfig(fixture('yolov5.onnx'), { labels: LABELS }),
      detect: detectConfig(),
      log,
      onResult: (r) => results.push(r),
    })
    await rt.start()
    t.teardown(() => rt.stop())
    const err = await rt.swap(modelConfig(fixture('corrupt.onnx')), detectConfig()).then(
      () => null,
      (e: unknown) => e,
    )
    t.match(err, { exitCode: 78, message: /not a valid ONNX model/ }, 'swap to a corrupt model rejects')
    t.equal(rt.info().format, 'yolov5')
    rt.submit(frame('a', 1, 64, 48, 640, 480))
    await until('old model result', () => results.length === 1)
    await rt.swap(modelConfig(fixture('yolov8.onnx'), { labels: LABELS }), detectConfig({ labels: ['a'] }))
    t.match(rt.info(), { model: 'yolov8', format: 'yolov8' })
    rt.submit(frame('a', 2, 64, 48, 640, 480))
    await until('new model result', () => results.length === 2)
    t.match(results[1], { model: 'yolov8', objects: [{ label: 'a', score: 0.5 }] })
    t.equal(results[1]!.objects.length, 1, 'the new detect settings apply (allow-list a)')
  },
)
