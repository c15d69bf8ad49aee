// `edgewatch crossings`: line crossing totals per line (kept across restarts, so they count
// since the first crossing) and per hour, from the database. Read-only, like `events`.
import type { Command } from '../command.js'
import { parseCommandArgs } from '../args.js'
import { EXIT } from '../exit-codes.js'
import { openDatabase, READ_OPTIONS, READ_USAGE, readLimits } from '../read-db.js'
import { crossingsPerHour, lineTotals } from '../../store/crossing-queries.js'

export const crossingsCommand: Command = {
  name: 'crossings',
  summary: 'line crossing totals per line and per hour (read-only; works while the daemon runs)',
  usage:
    'edgewatch crossings [--config FILE | --db FILE] [--camera C] [--line L] [--since T] [--json]\n' +
    READ_USAGE +
    ' (per-hour rows since T; default: the last 24 h)',
  // eslint-disable-next-line @typescript-eslint/require-await
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...READ_OPTIONS,
      camera: { type: 'string' },
      line: { type: 'string' },
    })
    const { since } = readLimits({ ...values, since: values.since ?? '24h' })
    const opened = openDatabase(values, io, 'crossings')
    if (typeof opened === 'number') return opened
    const { db, file } = opened
    try {
      const keep = (r: { camera: string; line: string }) =>
        (values.camera === undefined || r.camera === values.camera) &&
        (values.line === undefined || r.line === values.line)
      const totals = lineTotals(db).filter(keep)
      const hours = crossingsPerHour(db, { camera: values.camera, line: values.line, since })
      if (values.json) {
        io.stdout.write(JSON.stringify({ totals, hours }) + '\n')
        return EXIT.OK
      }
      if (totals.length === 0) {
        io.stdout.write('no crossings counted yet\n')
        return EXIT.OK
      }
      io.stdout.write('totals (since the first crossing):\n')
      for (const t of totals)
        io.stdout.write(
          `  ${t.camera}/${t.line}: in ${t.in}, out ${t.out} (since ${new Date(t.since).toISOString()})\n`,
        )
      io.stdout.write('per hour (UTC):\n')
      for (const h of hours)
        io.stdout.write(
          `  ${new Date(h.hour).toISOString().slice(0, 13)}:00  ${h.camera}/${h.line}: in ${h.in}, out ${h.out}\n`,
        )
      if (hours.length === 0) io.stdout.write('  none in this period\n')
      return EXIT.OK
    } catch (err) {
      const msg = (err as Error).message
      io.stderr.write(
        /no such table/.test(msg)
          ? `edgewatch crossings: ${file} has no crossings yet (written by an older edgewatch; the daemon migrates it on start)\n`
          : `edgewatch crossings: cannot read ${file}: ${msg}\n`,
      )
      return EXIT.FAILURE
    } finally {
      db.close()
    }
  },
}
