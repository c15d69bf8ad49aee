// What the read-only verbs (detections, events, crossings) share: --config or --db to find
// the database, --since and --limit, and opening the file read-only (safe while the daemon
// writes: WAL readers never block the writer).
import { UsageError, type CliIo } from './command.js'
import { EXIT } from './exit-codes.js'
import { loadConfigOrReport } from './config-io.js'
import { DEFAULT_CONFIG_PATH } from '../config/schema.js'
import { openReadOnly, type Db } from '../store/db.js'
import { parseSince } from '../store/queries.js'

export const READ_OPTIONS = {
  config: { type: 'string', short: 'c' },
  db: { type: 'string' },
  since: { type: 'string' },
  limit: { type: 'string', short: 'n' },
  json: { type: 'boolean' },
} as const

export const READ_USAGE =
  '  --since: ISO time (2026-11-28T10:00:00Z) or an age (30s, 10m, 2h, 1d); --limit default 50'

/** --limit (default 50) and --since; throws UsageError on bad values. */
export function readLimits(values: { limit?: string; since?: string }): { limit: number; since?: number } {
  const out: { limit: number; since?: number } = { limit: 50 }
  if (values.limit !== undefined) {
    const n = Number(values.limit)
    if (!Number.isInteger(n) || n <= 0)
      throw new UsageError(`--limit: expected a positive integer, got "${values.limit}"`)
    out.limit = n
  }
  if (values.since !== undefined) {
    try {
      out.since = parseSince(values.since, Date.now())
    } catch (err) {
      throw new UsageError((err as Error).message)
    }
  }
  return out
}

/** The database of --db, or of the config's storage.path; an exit code when it cannot be opened. */
export function openDatabase(
  values: { config?: string; db?: string },
  io: CliIo,
  verb: string,
): { db: Db; file: string } | number {
  if (values.config !== undefined && values.db !== undefined) {
    throw new UsageError('give either --config or --db, not both')
  }
  let file = values.db
  if (file === undefined) {
    const cfg = loadConfigOrReport(values.config ?? DEFAULT_CONFIG_PATH, io)
    if (cfg === null) return EXIT.CONFIG
    file = cfg.storage.path
  }
  try {
    return { db: openReadOnly(file), file }
  } catch (err) {
    const code = (err as { code?: string }).code
    io.stderr.write(
      code === 'SQLITE_CANTOPEN'
        ? `edgewatch ${verb}: no database at ${file} (has the daemon run yet? see storage.path)\n`
        : `edgewatch ${verb}: cannot open ${file}: ${(err as Error).message}\n`,
    )
    return EXIT.FAILURE
  }
}
