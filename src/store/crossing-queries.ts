// Reading line crossings: the running totals (kept apart from the crossing rows, so
// retention never lowers them) and counts per hour, for `edgewatch crossings`, the
// retained totals topic and Home Assistant.
import type { Db } from './db.js'

export interface LineTotal {
  camera: string
  line: string
  in: number
  out: number
  /** ms since epoch of the first crossing counted. */
  since: number
}

export function lineTotals(db: Db): LineTotal[] {
  return (
    db
      .prepare('SELECT camera, line, in_count, out_count, since FROM line_totals ORDER BY camera, line')
      .all() as {
      camera: string
      line: string
      in_count: number
      out_count: number
      since: number
    }[]
  ).map((r) => ({ camera: r.camera, line: r.line, in: r.in_count, out: r.out_count, since: r.since }))
}

export interface HourRow {
  camera: string
  line: string
  /** Start of the hour, ms since epoch (UTC). */
  hour: number
  in: number
  out: number
}

/** Crossings per camera, line and hour (UTC), oldest first. */
export function crossingsPerHour(db: Db, q: { camera?: string; line?: string; since?: number }): HourRow[] {
  const where: string[] = []
  const args: (string | number)[] = []
  if (q.camera !== undefined) {
    where.push('camera = ?')
    args.push(q.camera)
  }
  if (q.line !== undefined) {
    where.push('line = ?')
    args.push(q.line)
  }
  if (q.since !== undefined) {
    where.push('ts >= ?')
    args.push(q.since)
  }
  const sql =
    `SELECT camera, line, (ts / 3600000) * 3600000 AS hour,
       sum(direction = 'in') AS in_n, sum(direction = 'out') AS out_n FROM crossings` +
    (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
    ' GROUP BY camera, line, hour ORDER BY hour, camera, line'
  return (
    db.prepare(sql).all(...args) as {
      camera: string
      line: string
      hour: number
      in_n: number
      out_n: number
    }[]
  ).map((r) => ({ camera: r.camera, line: r.line, hour: r.hour, in: r.in_n, out: r.out_n }))
}
