// `edgewatch detections`: reads stored detections, newest first. Opens the database
// read-only, so it is safe while the daemon writes (WAL readers never block the writer).
import type { Command } from '../command.js'
import { UsageError } from '../command.js'
import { parseCommandArgs } from '../args.js'
import { EXIT } from '../exit-codes.js'
import { loadConfigOrReport } from '../config-io.js'
import { DEFAULT_CONFIG_PATH } from '../../config/schema.js'
import { openReadOnly, type Db } from '../../store/db.js'
import { parseSince, queryDetections, type DetectionQuery } from '../../store/queries.js'

export const detectionsCommand: Command = {
  name: 'detections',
  summary: 'list stored detections, newest first (read-only; works while the daemon runs)',
  usage:
    'edgewatch detections [--config FILE | --db FILE] [--camera C] [--label L] [--since T] [--limit N] [--json]\n' +
    '  --since: ISO time (2026-11-28T10:00:00Z) or an age (30s, 10m, 2h, 1d); --limit default 50',
  // The verb interface is async; this one does its work synchronously (better-sqlite3).
  // eslint-disable-next-line @typescript-eslint/require-await
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      config: { type: 'string', short: 'c' },
      db: { type: 'string' },
      camera: { type: 'string' },
      label: { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string', short: 'n' },
      json: { type: 'boolean' },
    })
    if (values.config !== undefined && values.db !== undefined) {
      throw new UsageError('give either --config or --db, not both')
    }
    const query: DetectionQuery = { limit: 50 }
    if (values.limit !== undefined) {
      const n = Number(values.limit)
      if (!Number.isInteger(n) || n <= 0)
        throw new UsageError(`--limit: expected a positive integer, got "${values.limit}"`)
      query.limit = n
    }
    if (values.since !== undefined) {
      try {
        query.since = parseSince(values.since, Date.now())
      } catch (err) {
        throw new UsageError((err as Error).message)
      }
    }
    if (values.camera !== undefined) query.camera = values.camera
    if (values.label !== undefined) query.label = values.label

    let file = values.db
    if (file === undefined) {
      const cfg = loadConfigOrReport(values.config ?? DEFAULT_CONFIG_PATH, io)
      if (cfg === null) return EXIT.CONFIG
      file = cfg.storage.path
    }
    let db: Db
    try {
      db = openReadOnly(file)
    } catch (err) {
      const code = (err as { code?: string }).code
      io.stderr.write(
        code === 'SQLITE_CANTOPEN'
          ? `edgewatch detections: no database at ${file} (has the daemon run yet? see storage.path)\n`
          : `edgewatch detections: cannot open ${file}: ${(err as Error).message}\n`,
      )
      return EXIT.FAILURE
    }
    try {
      const rows = queryDetections(db, query)
      if (values.json) {
        io.stdout.write(JSON.stringify(rows) + '\n')
      } else if (rows.length === 0) {
        io.stdout.write('no detections match\n')
      } else {
        for (const r of rows) {
          io.stdout.write(
            `${new Date(r.ts).toISOString()}  ${r.camera}  #${r.seq}  ${r.label} ${r.score.toFixed(2)}  [${r.box.map((v) => Math.round(v)).join(',')}]\n`,
          )
        }
      }
      return EXIT.OK
    } catch (err) {
      io.stderr.write(`edgewatch detections: cannot read ${file}: ${(err as Error).message}\n`)
      return EXIT.FAILURE
    } finally {
      db.close()
    }
  },
}
