// Owns the checkpoint worker (checkpoint-worker.ts). If the worker cannot run or dies,
// the writer connection goes back to SQLite's own automatic checkpoints: slower commits
// now and then, but the WAL never grows without bound.
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { Logger } from '../log/logger.js'
import type { Db, Synchronous } from './db.js'

function workerUrl(): URL {
  const js = new URL('./checkpoint-worker.js', import.meta.url)
  return fs.existsSync(fileURLToPath(js)) ? js : new URL('./checkpoint-worker.ts', import.meta.url)
}

export class Checkpointer {
  private worker: Worker | null = null
  private stopping = false

  constructor(
    private readonly db: Db,
    private readonly opts: { file: string; synchronous: Synchronous; log: Logger; intervalMs?: number },
  ) {}

  start(): void {
    this.db.pragma('wal_autocheckpoint = 0')
    try {
      this.worker = new Worker(workerUrl(), {
        name: 'edgewatch-checkpoint',
        workerData: {
          file: this.opts.file,
          synchronous: this.opts.synchronous,
          intervalMs: this.opts.intervalMs ?? 200,
          restartFrames: 16_384,
        },
      })
    } catch (err) {
      this.fallBack(err as Error)
      return
    }
    this.worker.unref()
    this.worker.on('message', (m: { error?: string }) => {
      if (m.error) this.opts.log.debug({ error: m.error }, 'background WAL checkpoint failed; retried')
    })
    this.worker.on('error', (err) => this.fallBack(err))
    this.worker.on('exit', (code) => {
      if (!this.stopping) this.fallBack(new Error(`checkpoint worker exited with code ${code}`))
    })
  }

  async stop(): Promise<void> {
    this.stopping = true
    const w = this.worker
    this.worker = null
    if (!w) return
    const exited = new Promise<void>((r) => w.once('exit', () => r()))
    w.postMessage('stop')
    const timer = setTimeout(() => void w.terminate(), 2000)
    await exited
    clearTimeout(timer)
  }

  private fallBack(err: Error): void {
    this.worker = null
    if (this.stopping) return
    this.opts.log.warn({ err }, 'background WAL checkpoints unavailable; using SQLite automatic checkpoints')
    try {
      this.db.pragma('wal_autocheckpoint = 1000')
    } catch {
      /* the connection is closing */
    }
  }
}
