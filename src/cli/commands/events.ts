// `edgewatch events`: stored events (one per tracked object), newest first, as a table or
// --json. Read-only, like `detections`: safe while the daemon runs.
import type { Command } from '../command.js'
import { parseCommandArgs } from '../args.js'
import { EXIT } from '../exit-codes.js'
import { openDatabase, READ_OPTIONS, READ_USAGE, readLimits } from '../read-db.js'
import { queryEvents, type EventQuery } from '../../store/event-queries.js'
import type { EventBody } from '../../tracking/object-events.js'

function duration(e: EventBody): string {
  const s = ((e.end_ts ?? e.ts) - e.start_ts) / 1000
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`
}

function table(rows: EventBody[]): string {
  const head = ['START', 'CAMERA', 'LABEL', 'TOP', 'LASTED', 'STATE', 'ZONES', 'ID']
  const body = rows.map((e) => [
    new Date(e.start_ts).toISOString(),
    e.camera,
    e.label,
    e.top_score.toFixed(2),
    duration(e),
    e.end_ts === null ? (e.stationary ? 'active, still' : 'active') : 'ended',
    e.entered_zones.join(',') || '-',
    e.id,
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)))
  return (
    [head, ...body]
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  )
}

export const eventsCommand: Command = {
  name: 'events',
  summary: 'list stored events (tracked objects), newest first (read-only; works while the daemon runs)',
  usage:
    'edgewatch events [--config FILE | --db FILE] [--camera C] [--label L] [--zone Z] [--since T] [--active] [--limit N] [--json]\n' +
    READ_USAGE +
    '\n  --active: only events still open; --zone: events that were in zone Z',
  // eslint-disable-next-line @typescript-eslint/require-await
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...READ_OPTIONS,
      camera: { type: 'string' },
      label: { type: 'string' },
      zone: { type: 'string' },
      active: { type: 'boolean' },
    })
    const query: EventQuery = readLimits(values)
    if (values.camera !== undefined) query.camera = values.camera
    if (values.label !== undefined) query.label = values.label
    if (values.zone !== undefined) query.zone = values.zone
    if (values.active) query.active = true
    const opened = openDatabase(values, io, 'events')
    if (typeof opened === 'number') return opened
    const { db, file } = opened
    try {
      const rows = queryEvents(db, query)
      if (values.json) io.stdout.write(JSON.stringify(rows) + '\n')
      else io.stdout.write(rows.length === 0 ? 'no events match\n' : table(rows))
      return EXIT.OK
    } catch (err) {
      const msg = (err as Error).message
      io.stderr.write(
        /no such table: events/.test(msg)
          ? `edgewatch events: ${file} has no events yet (written by an older edgewatch; the daemon migrates it on start)\n`
          : `edgewatch events: cannot read ${file}: ${msg}\n`,
      )
      return EXIT.FAILURE
    } finally {
      db.close()
    }
  },
}
