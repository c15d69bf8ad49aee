// Read queries for `edgewatch detections` (and tests): newest first, filtered through the
// (camera, ts), (label, ts) and (ts) indexes.
import type { Db } from './db.js'

export interface DetectionQuery {
  camera?: string
  label?: string
  /** ms since epoch; only detections at or after it. */
  since?: number
  limit: number
}

export interface DetectionRow {
  camera: string
  seq: number
  ts: number
  pts: number | null
  label: string
  class: number
  score: number
  box: [number, number, number, number]
}

/**
 * ` WHERE a AND b` of the conditions whose value is given, and the values for their `?`s in
 * order; '' when none is. A condition with the value `true` has no `?` (e.g. `x IS NULL`).
 */
export function whereOf(conds: [sql: string, value: string | number | true | undefined][]): {
  where: string
  args: (string | number)[]
} {
  const given = conds.filter((c): c is [string, string | number | true] => c[1] !== undefined)
  return {
    where: given.length ? ` WHERE ${given.map(([sql]) => sql).join(' AND ')}` : '',
    args: given.flatMap(([, v]) => (v === true ? [] : [v])),
  }
}

export function queryDetections(db: Db, q: DetectionQuery): DetectionRow[] {
  const { where, args } = whereOf([
    ['camera = ?', q.camera],
    ['label = ?', q.label],
    ['ts >= ?', q.since],
  ])
  const sql =
    'SELECT camera, seq, ts, pts, label, class, score, x1, y1, x2, y2 FROM detections' +
    where +
    ' ORDER BY ts DESC, id DESC LIMIT ?'
  const rows = db.prepare(sql).all(...args, q.limit) as (Omit<DetectionRow, 'box'> & {
    x1: number
    y1: number
    x2: number
    y2: number
  })[]
  return rows.map(({ x1, y1, x2, y2, ...r }) => ({ ...r, box: [x1, y1, x2, y2] }))
}

/** Parses --since: an ISO time, or a relative age like 30s, 10m, 2h, 1d. */
export function parseSince(text: string, now: number): number {
  const rel = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(text.trim())
  if (rel) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 's' | 'm' | 'h' | 'd']
    return now - Number(rel[1]) * unit
  }
  const t = Date.parse(text)
  if (Number.isNaN(t))
    throw new Error(`--since: expected an ISO time or an age like 10m, 2h, 1d; got "${text}"`)
  return t
}
