// Message seqs handed out but never committed must never be given out again. When a write
// fails (disk full) or storing pauses (WAL bound), the frame's messages still go out live
// with their seqs, but the database keeps its older counters: after a restart the same
// ids would go to other messages, and a consumer that de-duplicates by id would drop them.
// So at every such failure the writer's counters are saved in a small file beside the
// database, allocated in full when the store starts and only ever overwritten in place:
// rewriting blocks a file already has needs no free space. The next start counts on from
// whichever is higher, the database or this file.
import fs from 'node:fs'

/** The counters: per camera (detections) and per device-wide stream (events, crossings). */
export interface SeqMarks {
  cameras: Record<string, number>
  streams: Record<string, number>
}

const SIZE = 64 * 1024

export class SeqReserve {
  private fd: number | null = null

  constructor(readonly file: string) {}

  /** Opens (allocating it at its full size if new) and returns the counters saved before. */
  open(): SeqMarks {
    const empty: SeqMarks = { cameras: {}, streams: {} }
    if (!fs.existsSync(this.file)) fs.writeFileSync(this.file, Buffer.alloc(SIZE, 0x20))
    this.fd = fs.openSync(this.file, 'r+')
    const text = fs.readFileSync(this.file, 'utf8').trim()
    if (text === '') return empty
    try {
      const m = JSON.parse(text) as Partial<SeqMarks>
      return { cameras: m.cameras ?? {}, streams: m.streams ?? {} }
    } catch {
      return empty
    }
  }

  /** Overwrites the file with `marks` (in place, the same length); throws what the OS throws. */
  save(marks: SeqMarks): void {
    if (this.fd === null) return
    const text = JSON.stringify(marks)
    if (Buffer.byteLength(text) > SIZE)
      throw new Error(`${this.file}: ${Buffer.byteLength(text)} bytes of seqs do not fit`)
    fs.writeSync(this.fd, Buffer.from(text.padEnd(SIZE, ' ')), 0, SIZE, 0)
    fs.fdatasyncSync(this.fd)
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd)
    this.fd = null
  }
}

/** The higher of two sets of counters, key by key. */
export function maxMarks(a: SeqMarks, b: SeqMarks): SeqMarks {
  const merge = (x: Record<string, number>, y: Record<string, number>) => {
    const out = { ...x }
    for (const [k, v] of Object.entries(y)) out[k] = Math.max(out[k] ?? 0, v)
    return out
  }
  return { cameras: merge(a.cameras, b.cameras), streams: merge(a.streams, b.streams) }
}
