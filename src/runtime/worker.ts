// The inference worker: owns the onnxruntime session, because session.run() blocks the
// thread it runs on (onnxruntime-node only wraps it in setImmediate), and on the main
// thread it would stall MQTT keep-alives, camera pipes and the watchdog. Started by
// worker-client.ts with the model and detect settings in workerData.
import fs from 'node:fs'
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
    injectLoadFault(init)
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
  let runs = 0
  // Runs are strictly one at a time: the client never sends a second before 'done'.
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'close') {
      engine.close().then(
        () => post({ type: 'closed' }),
        () => post({ type: 'closed' }),
      )
      return
    }
    runs++
    const f = init.fault
    if (
      f?.kind === 'worker-crashes' &&
      runs > f.afterRuns &&
      (f.everyWorker || (init.generation ?? 1) === 1)
    ) {
      // Uncaught, as a bug in a decoder or a native abort would be: the thread dies.
      throw new Error(`injected worker crash after ${f.afterRuns} batches (EDGEWATCH_TEST_FAULT)`)
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

/** A test's load fault (faults.ts): a load that never ends, in JavaScript or in native code. */
function injectLoadFault(init: WorkerInit): void {
  const f = init.fault
  if (f?.kind === 'load-hangs' && (init.generation ?? 1) >= f.fromLoad) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
  }
  if (f?.kind === 'load-blocks') {
    fs.writeFileSync(`${f.fifo}.waiting`, '') // for the test: the open() below is about to block
    fs.closeSync(fs.openSync(f.fifo, 'r'))
  }
}

await main()
