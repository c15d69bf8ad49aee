// One inference worker seen from the main thread: start (session + manifest + warm-up in
// the worker), run one batch at a time, close, or kill (also while it loads). InferenceRuntime
// owns one (two while a live reload loads the new model).
//
// A thread busy in native code (onnxruntime's session creation, a TensorRT engine build:
// minutes) cannot be interrupted: worker.terminate() takes effect only when it returns to
// JavaScript, and Node joins the thread at exit. So kill() and close() give up waiting
// after a bound and say so; the daemon then ends the process itself (cli/commands/run.ts).
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { FatalError } from '../lifecycle.js'
import { within } from '../timing/within.js'
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
  private ended: Promise<void> = Promise.resolve()
  private rejectStart: ((err: Error) => void) | null = null
  /** Called when the worker dies outside of close() and kill() (crash, out of memory). */
  onCrash: (err: Error) => void = () => undefined

  constructor(private readonly init: WorkerInit) {}

  start(): Promise<EngineInfo> {
    return new Promise<EngineInfo>((resolve, reject) => {
      const worker = new Worker(workerUrl(), { workerData: this.init, name: 'edgewatch-inference' })
      this.worker = worker
      this.ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
      this.rejectStart = reject
      let ready = false
      worker.on('message', (msg: FromWorker) => {
        switch (msg.type) {
          case 'ready':
            ready = true
            this.rejectStart = null
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
    // this.worker is null after close()/kill(): an exit we asked for is no crash.
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

  /** Releases the session and ends the thread (call when no batch is in flight); see kill() for the result. */
  async close(graceMs = 2000): Promise<boolean> {
    const worker = this.worker
    if (!worker || this.exited) {
      this.worker = null
      return true
    }
    const closed = new Promise<void>((resolve) => {
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'closed') resolve()
      })
    })
    worker.postMessage({ type: 'close' } satisfies ToWorker)
    await within(closed, 5000)
    return this.kill(graceMs)
  }

  /**
   * Ends the thread now, also during start() (which then rejects at once). Resolves true
   * when it ended, false when it is still busy in native code after `graceMs` (it ends
   * when that call returns, or with the process).
   */
  async kill(graceMs = 2000): Promise<boolean> {
    const worker = this.worker
    this.worker = null
    this.rejectStart?.(new Error('model load abandoned: the daemon is stopping'))
    this.rejectStart = null
    const p = this.pending
    this.pending = null
    p?.reject(new Error('inference worker stopped'))
    if (!worker || this.exited) return true
    void worker.terminate()
    let done = false
    await within(
      this.ended.then(() => (done = true)),
      graceMs,
    )
    return done
  }
}
