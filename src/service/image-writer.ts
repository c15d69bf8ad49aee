// Writes annotated JPEG snapshots through one worker thread (image-worker.ts). Bounded:
// with `maxPending` jobs queued a new one is refused at once (counted as a failure), so a
// slow or full disk can never grow memory or stall detection.
import { Worker } from 'node:worker_threads'
import type { Logger } from '../log/logger.js'
import { workerUrl } from '../worker-url.js'
import type { ImageDone, ImageJob } from './image-worker.js'

export type WriteResult = { ok: true; bytes: number; encodeMs: number } | { ok: false; error: string }

export class ImageWriter {
  private worker: Worker | null = null
  private nextId = 1
  private readonly pending = new Map<number, (r: WriteResult) => void>()

  constructor(
    private readonly log: Logger,
    private readonly maxPending = 8,
  ) {}

  start(): void {
    const w = new Worker(workerUrl(import.meta.url, './image-worker'), { name: 'edgewatch-images' })
    w.on('message', (m: ImageDone) => {
      const done = this.pending.get(m.id)
      this.pending.delete(m.id)
      // Idle, the thread must not keep the process alive; busy, it must finish its images.
      if (this.pending.size === 0) w.unref()
      done?.(m.ok ? { ok: true, bytes: m.bytes, encodeMs: m.encodeMs } : { ok: false, error: m.error })
    })
    w.on('error', (err) => this.log.error({ err }, 'image worker failed; snapshots are not written'))
    w.on('exit', () => {
      if (this.worker === w) this.worker = null
      for (const done of this.pending.values()) done({ ok: false, error: 'image worker stopped' })
      this.pending.clear()
    })
    w.unref()
    this.worker = w
  }

  /** Queues one image; `rgb` is transferred (the caller passes its own copy). */
  write(job: Omit<ImageJob, 'id'>): Promise<WriteResult> {
    const w = this.worker
    if (!w) return Promise.resolve({ ok: false, error: 'image worker not running' })
    if (this.pending.size >= this.maxPending)
      return Promise.resolve({ ok: false, error: `${this.maxPending} images already waiting` })
    const id = this.nextId++
    w.ref()
    return new Promise<WriteResult>((resolve) => {
      this.pending.set(id, resolve)
      w.postMessage({ ...job, id } satisfies ImageJob, [job.rgb.buffer as ArrayBuffer])
    })
  }

  /** Lets queued images finish (bounded), then ends the thread. */
  async stop(timeoutMs = 3000): Promise<void> {
    const w = this.worker
    if (!w) return
    const deadline = Date.now() + timeoutMs
    while (this.pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    this.worker = null
    await w.terminate()
  }
}
