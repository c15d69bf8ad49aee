// The runtime's lifecycle under faults, with the real worker and onnxruntime: a worker
// that dies from inside is started again (and one that keeps dying ends the daemon), a
// stop abandons a model load that would take long (in JavaScript or stuck in native
// code), and a swap delivers the batch in flight on the old session.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { InferenceRuntime } from '../../src/runtime/inference-runtime.js'
import type { WorkerFault } from '../../src/runtime/faults.js'
import type { FatalError } from '../../src/lifecycle.js'
import type { InferenceResult } from '../../src/runtime/types.js'
import { tempDir } from '../harness/tmp.js'
import { waitFor } from '../service/daemon-harness.js'
import { detectConfig, fixture, frame, modelConfig, recordingLogger } from './helpers.js'

const LABELS = { labels: ['person', 'car', 'dog'] }

function runtime(
  model: string,
  fault: WorkerFault | null,
  extra: Partial<ConstructorParameters<typeof InferenceRuntime>[0]> = {},
) {
  const rec = recordingLogger()
  const results: InferenceResult[] = []
  const rt = new InferenceRuntime({
    model: modelConfig(fixture(model), LABELS),
    detect: detectConfig(),
    log: rec.log,
    onResult: (r) => results.push(r),
    fault,
    ...extra,
  })
  const said = (re: RegExp) => rec.lines().some((l) => re.test(String(l.msg)))
  return { rt, results, said, lines: rec.lines }
}

/** Keeps `cameras` frames waiting: each camera submits again as soon as its frame went in. */
function feed(rt: InferenceRuntime, cameras: string[]): () => void {
  let seq = 0
  const timer = setInterval(() => {
    for (const c of cameras) rt.submit(frame(c, ++seq, 64, 64, 64, 64))
  }, 5)
  return () => clearInterval(timer)
}

t.test('a worker that dies from inside is started again; frames flow on; restarts counted', async (t) => {
  const { rt, results, said } = runtime(
    'yolov5.onnx',
    { kind: 'worker-crashes', afterRuns: 3, everyWorker: false },
    {
      restartPolicy: { initialMs: 50 },
    },
  )
  await rt.start()
  t.teardown(() => rt.stop())
  const stop = feed(rt, ['a', 'b'])
  t.teardown(stop)
  await waitFor('a restart', () => rt.stats().restarts === 1, 60_000)
  const before = results.length
  await waitFor('results from the new worker', () => results.length > before + 3, 60_000)
  stop()
  t.ok(said(/^inference worker died; starting a new one/), 'the crash is logged at error')
  t.ok(said(/^inference worker restarted$/))
  t.match(rt.stats(), { restarts: 1, last_crash: /injected worker crash after 3 batches/ })
})

t.test('a worker that keeps dying: the runtime gives up with a FatalError', async (t) => {
  let fatal!: (e: FatalError) => void
  const gaveUp = new Promise<FatalError>((r) => (fatal = r))
  const { rt } = runtime(
    'yolov5.onnx',
    { kind: 'worker-crashes', afterRuns: 1, everyWorker: true },
    {
      restartPolicy: { initialMs: 20, maxCrashes: 3, windowMs: 600_000 },
      onFatal: (e) => fatal(e),
    },
  )
  await rt.start()
  t.teardown(() => rt.stop())
  const stop = feed(rt, ['a'])
  t.teardown(stop)
  const err = await gaveUp
  t.match(err, {
    exitCode: 1,
    message:
      /^the inference worker crashed too often \(3 crashes within 10 min\); last: .*injected worker crash/,
    hint: /journalctl -u edgewatch/,
  })
  t.equal(rt.stats().restarts, 2, 'restarted twice, gave up at the third crash')
})

t.test('stop() during a model load that never ends: start rejects, stop returns', async (t) => {
  const { rt, said } = runtime('yolov5.onnx', { kind: 'load-hangs', fromLoad: 1 })
  const started = rt.start().then(
    () => null,
    (e: Error) => e,
  )
  await waitFor('the load under way', () => said(/^loading the model yolov5\.onnx/), 30_000)
  await rt.stop()
  t.match(await started, { message: 'model load abandoned: the daemon is stopping' })
  t.notOk(said(/still busy in native code/), 'the thread ended')
})

t.test('stop() during a load stuck in native code returns and says why the thread lingers', async (t) => {
  const dir = tempDir(t)
  const fifo = path.join(dir, 'never-written')
  execFileSync('mkfifo', [fifo])
  const { rt, said } = runtime('yolov5.onnx', { kind: 'load-blocks', fifo })

  const started = rt.start().catch((e: Error) => e)
  await waitFor('the worker blocked in open()', () => fs.existsSync(`${fifo}.waiting`), 60_000)
  await rt.stop()
  t.match(await started, { message: /abandoned/ })
  t.ok(said(/^the inference thread is still busy in native code/), 'logged at warn')
  // Let the stuck open() return so this process can exit; the thread then ends at once.
  fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK))
})

t.test('swap under load: the batch in flight on the old session is delivered, none fails', async (t) => {
  const { rt, results, said } = runtime('slow.onnx', null)
  await rt.start()
  t.teardown(() => rt.stop())
  const stop = feed(rt, ['a', 'b', 'c'])
  t.teardown(stop)
  await waitFor('batches on the old model', () => results.length >= 3, 60_000)
  for (let i = 0; i < 3; i++) {
    await waitFor('a batch in flight', () => rt.stats().busy, 10_000, 1)
    await rt.swap(modelConfig(fixture(i % 2 ? 'slow.onnx' : 'yolov5.onnx'), LABELS), detectConfig())
  }
  const n = results.length
  await waitFor('batches on the new model', () => results.length > n + 3, 60_000)
  stop()
  await waitFor('idle', () => !rt.stats().busy, 60_000)
  const s = rt.stats()
  t.notOk(said(/inference batch failed/), 'no batch was lost to a closed session')
  t.equal(s.processed, results.length, 'every processed frame was delivered')
  t.equal(s.submitted, s.processed + s.dropped + s.queued, 'every frame accounted for')
  t.ok(new Set(results.map((r) => r.model)).size === 2, 'results from both models')
})
