// `edgewatch detections`: reads stored detections, newest first. Opens the database
// read-only, so it is safe while the daemon writes (WAL readers never block the writer).
import type { Command } from '../command.js'
import { parseCommandArgs } from '../args.js'
import { EXIT } from '../exit-codes.js'
import { openDatabase, READ_OPTIONS, READ_USAGE, readLimits } from '../read-db.js'
import { queryDetections, type DetectionQuery } from '../../store/queries.js'

export const detectionsCommand: Command = {
  name: 'detections',
  summary: 'list stored detections, newest first (read-only; works while the daemon runs)',
  usage:
    'edgewatch detections [--config FILE | --db FILE] [--camera C] [--label L] [--since T] [--limit N] [--json]\n' +
    READ_USAGE,
  // The verb interface is async; this one does its work synchronously (better-sqlite3).
  // eslint-disable-next-line @typescript-eslint/require-await
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...READ_OPTIONS,
      camera: { type: 'string' },
      label: { type: 'string' },
    })
    const query: DetectionQuery = readLimits(values)
    if (values.camera !== undefined) query.camera = values.camera
    if (values.label !== undefined) query.label = values.label
    const opened = openDatabase(values, io, 'detections')
    if (typeof opened === 'number') return opened
    const { db, file } = opened
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
