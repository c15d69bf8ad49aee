// One inference worker seen from the main thread: start (session + manifest + warm-up in
// the worker), run one batch at a time, close. InferenceRuntime owns one (two while a
// live reload loads the new model).
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { FatalError } from '../lifecycle.js'
import type { EngineInfo } from './engine.js'
import type { Frame } from '../pipeline/frame.js'
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js'
import type { InferenceResult } from './types.js'

export const EXIT_CONFIG = 78

/**
 * worker.js next to this module when running compiled (dist/); otherwise (tests run the
 * .ts sources through tap's TypeScript loader) worker.ts, which loads because workers
 * inherit process.execArgv and with it the loader's --import hooks.
 */
export function workerUrl(): URL {
  const js = new URL('./worker.js', import.meta.url)
  return fs.existsSync(fileURLToPath(js)) ? js : new URL('./worker.ts', import.meta.url)
}

export interface BatchDone {
  results: InferenceResult[]
  runMs: number
  totalMs: number
}

export class WorkerClient {
  private worker: Worker | null = null
  private nextId = 1
  private pending: { id: number; resolve: (r: BatchDone) => void; reject: (e: Error) => void } | null = null
  private exited = false
  /** Called when the worker dies outside of close() (crash, out of memory). */
  onCrash: (err: Error) => void = () => undefined

  constructor(private readonly init: WorkerInit) {}

  start(): Promise<EngineInfo> {
    return new Promise<EngineInfo>((resolve, reject) => {
      const worker = new Worker(workerUrl(), { workerData: this.init, name: 'edgewatch-inference' })
      this.worker = worker
      let ready = false
      worker.on('message', (msg: FromWorker) => {
        switch (msg.type) {
          case 'ready':
            ready = true
            resolve(msg.info)
            break
          case 'failed':
            reject(msg.config ? new FatalError(msg.message, EXIT_CONFIG, msg.hint) : new Error(msg.message))
            void worker.terminate()
            break
          case 'done':
          case 'run-error': {
            const p = this.pending
            if (!p || p.id !== msg.id) break
            this.pending = null
            if (msg.type === 'done')
              p.resolve({ results: msg.results, runMs: msg.runMs, totalMs: msg.totalMs })
            else p.reject(new Error(`inference failed: ${msg.message}`))
            break
          }
          case 'closed':
            break
        }
      })
      worker.on('error', (err) => {
        if (!ready) reject(new Error(`inference worker failed to start: ${err.message}`))
        this.fail(new Error(`inference worker crashed: ${err.message}`), ready)
      })
      worker.on('exit', (code) => {
        this.exited = true
        if (!ready) reject(new Error(`inference worker exited (code ${code}) before it was ready`))
        this.fail(new Error(`inference worker exited (code ${code})`), ready)
      })
    })
  }

  private fail(err: Error, wasReady: boolean): void {
    const p = this.pending
    this.pending = null
    p?.reject(err)
    if (wasReady && this.worker) {
      this.worker = null
      this.onCrash(err)
    }
  }

  get busy(): boolean {
    return this.pending !== null
  }

  /** Runs one batch; frame pixel buffers are transferred (they are unusable afterwards). */
  run(frames: Frame[]): Promise<BatchDone> {
    const worker = this.worker
    if (!worker) return Promise.reject(new Error('inference worker is not running'))
    if (this.pending) return Promise.reject(new Error('inference worker is busy'))
    const id = this.nextId++
    return new Promise<BatchDone>((resolve, reject) => {
      this.pending = { id, resolve, reject }
      const msg: ToWorker = { type: 'run', id, frames }
      worker.postMessage(
        msg,
        frames.map((f) => f.data.buffer as ArrayBuffer),
      )
    })
  }

  /** Releases the session and ends the thread (call when no batch is in flight). */
  async close(): Promise<void> {
    const worker = this.worker
    this.worker = null
    if (!worker || this.exited) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5000)
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'closed') {
          clearTimeout(timer)
          resolve()
        }
      })
      worker.postMessage({ type: 'close' } satisfies ToWorker)
    })
    await worker.terminate()
  }
}
