// The inference worker: owns the onnxruntime session, because session.run() blocks the
// thread it runs on (onnxruntime-node only wraps it in setImmediate), and on the main
// thread it would stall MQTT keep-alives, camera pipes and the watchdog. Started by
// worker-client.ts with the model and detect settings in workerData.
import { parentPort, workerData } from 'node:worker_threads'
import { DetectorEngine } from './engine.js'
import { ModelError } from './errors.js'
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js'

async function main(): Promise<void> {
  const port = parentPort
  if (!port) throw new Error('worker.ts must run as a worker thread')
  const init = workerData as WorkerInit
  const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer)
  const engine = new DetectorEngine(init.model, init.detect, init.maxBatch, { ortVerbose: init.ortVerbose })
  try {
    post({ type: 'ready', info: await engine.open() })
  } catch (err) {
    const e = err as Error
    post({
      type: 'failed',
      message: e.message,
      hint: (e as ModelError).hint,
      config: e instanceof ModelError,
    })
    return
  }
  // Runs are strictly one at a time: the client never sends a second before 'done'.
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'close') {
      engine.close().then(
        () => post({ type: 'closed' }),
        () => post({ type: 'closed' }),
      )
      return
    }
    engine.infer(msg.frames).then(
      (r) =>
        post(
          { type: 'done', id: msg.id, results: r.results, runMs: r.runMs, totalMs: r.totalMs },
          // Each frame's pixels go back without a copy (they came here the same way).
          r.results.flatMap((x) => (x.pixels ? [x.pixels.data.buffer as ArrayBuffer] : [])),
        ),
      (err: Error) => post({ type: 'run-error', id: msg.id, message: err.message }),
    )
  })
}

await main()
