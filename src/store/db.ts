// Opening the SQLite file: directories, WAL, synchronous, and the pragmas that keep a
// long-running writer cheap. The read-only variant serves the CLI while the daemon writes.
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'

export type Db = Database.Database
export type Synchronous = 'normal' | 'full'

/** Opens (creating the directory and file) the daemon's database for writing. */
export function openWritable(file: string, synchronous: Synchronous): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const db = new Database(file)
  // Must be set before the first table exists; afterwards it is a no-op. Lets retention
  // give pages back to the file system (PRAGMA incremental_vacuum) so db size falls.
  db.pragma('auto_vacuum = INCREMENTAL')
  const mode = db.pragma('journal_mode = WAL', { simple: true })
  if (String(mode).toLowerCase() !== 'wal') {
    db.close()
    throw new Error(
      `could not switch ${file} to WAL mode (got "${String(mode)}"); is it on a network file system?`,
    )
  }
  // normal: a power cut may lose the last transactions but never corrupts (WAL);
  // full: every commit is fsynced, for devices that lose power often.
  db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
  db.pragma('busy_timeout = 5000')
  db.pragma('foreign_keys = OFF')
  // Keep the WAL file from staying huge after a burst (bytes).
  db.pragma('journal_size_limit = 67108864')
  db.pragma('temp_store = MEMORY')
  return db
}

/** Opens an existing database read-only (CLI): never creates, never writes. */
export function openReadOnly(file: string): Db {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  db.pragma('busy_timeout = 5000')
  return db
}

/** Bytes the database file holds: page_count × page_size (cheap, no table scan). */
export function databaseBytes(db: Db): number {
  const pages = Number(db.pragma('page_count', { simple: true }))
  const size = Number(db.pragma('page_size', { simple: true }))
  return pages * size
}

/** Bytes in use: pages minus the free list (what retention by size compares). */
export function usedBytes(db: Db): number {
  const pages = Number(db.pragma('page_count', { simple: true }))
  const free = Number(db.pragma('freelist_count', { simple: true }))
  const size = Number(db.pragma('page_size', { simple: true }))
  return (pages - free) * size
}

/**
 * An error raised by SQLite itself (disk full, read-only file system, I/O error, lock
 * timeout, corruption…), as opposed to a bug in our code. The store never lets these
 * escape record(): detection and live publishing go on, the failure is counted.
 */
export function isSqliteError(err: unknown): boolean {
  if (err instanceof Database.SqliteError) return true
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('SQLITE_')
}
