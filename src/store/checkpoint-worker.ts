// Runs WAL checkpoints on a worker thread with its own connection, so that copying the
// WAL into the database (and its fsync) never stalls a commit on the main thread. The
// writer connection has wal_autocheckpoint=0; see checkpointer.ts, which also watches
// the WAL's size and says when checkpoints fail.
import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'

interface Init {
  file: string
  synchronous: 'normal' | 'full'
  intervalMs: number
  /** WAL frames beyond which a RESTART checkpoint (briefly blocking the writer) is forced. */
  restartFrames: number
}

export type CheckpointReport = { ok: true } | { error: string }

const init = workerData as Init
const db = new Database(init.file, { fileMustExist: true })
db.pragma(`synchronous = ${init.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
db.pragma('wal_autocheckpoint = 0')
db.pragma('busy_timeout = 1000')

let failing = false
const report = (m: CheckpointReport) => parentPort?.postMessage(m)

const timer = setInterval(() => {
  try {
    // PASSIVE never waits for the writer. Under a constant stream of commits the WAL may
    // never be wholly copied at the instant a new write starts, and then SQLite cannot
    // rewind it; past restartFrames a RESTART checkpoint lets it rewind. A RESTART that
    // cannot get every reader out of the way (busy) fails, and is reported.
    const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[]
    if (r && r.log > init.restartFrames) {
      const [again] = db.pragma('wal_checkpoint(RESTART)') as { busy: number }[]
      if (again?.busy)
        throw Object.assign(new Error('a reader kept the WAL from being reset'), { code: 'SQLITE_BUSY' })
    }
    if (failing) report({ ok: true })
    failing = false
  } catch (err) {
    failing = true
    report({ error: `${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message}` })
  }
}, init.intervalMs)

parentPort?.on('message', (m) => {
  if (m === 'stop') {
    clearInterval(timer)
    db.close()
    parentPort?.close()
  }
})
