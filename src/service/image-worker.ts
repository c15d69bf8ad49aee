// The image worker: draws boxes on a frame, encodes the JPEG and writes it to disk, off
// the main thread (an encode of a 512x384 frame in pure JS takes tens of milliseconds,
// which the event loop must not spend). Files are written to a temporary name and renamed,
// so a reader never sees half a snapshot. Started by image-writer.ts.
import fs from 'node:fs'
import path from 'node:path'
import { parentPort } from 'node:worker_threads'
import { drawDetections, encodeJpeg, type DrawObject } from './annotate.js'

export interface ImageJob {
  id: number
  file: string
  width: number
  height: number
  /** RGB24 rows, tightly packed (transferred). */
  rgb: Uint8Array
  objects: DrawObject[]
}

/** encodeMs: the CPU part, drawing and encoding (the pace of event-snapshots.ts is set from it). */
export type ImageDone =
  { id: number; ok: true; bytes: number; encodeMs: number } | { id: number; ok: false; error: string }

const port = parentPort
if (!port) throw new Error('image-worker.ts must run as a worker thread')

port.on('message', (job: ImageJob) => {
  void (async () => {
    try {
      const t0 = performance.now()
      const jpeg = encodeJpeg(
        drawDetections(job.rgb, job.width, job.height, job.objects),
        job.width,
        job.height,
        80,
      )
      const encodeMs = performance.now() - t0
      await fs.promises.mkdir(path.dirname(job.file), { recursive: true })
      const tmp = `${job.file}.tmp`
      await fs.promises.writeFile(tmp, jpeg)
      await fs.promises.rename(tmp, job.file)
      port.postMessage({ id: job.id, ok: true, bytes: jpeg.length, encodeMs } satisfies ImageDone)
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      port.postMessage({
        id: job.id,
        ok: false,
        error: `${e.code ?? e.name}: ${e.message}`,
      } satisfies ImageDone)
    }
  })()
})
