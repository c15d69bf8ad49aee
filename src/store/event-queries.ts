// Reading events: `edgewatch events` (read-only connection, safe while the daemon writes),
// /api/events, and the daemon itself (events a crash left open; retention).
import type { Db } from './db.js'
import { whereOf } from './queries.js'
import type { EventBody, SnapshotMeta } from '../tracking/object-events.js'

export interface EventQuery {
  camera?: string
  label?: string
  /** Events that are or were in this zone. */
  zone?: string
  /** ms since epoch: events that started at or after it. */
  since?: number
  /** Only events still open. */
  active?: boolean
  limit: number
}

interface Row {
  id: string
  camera: string
  track: number
  label: string
  start_ts: number
  end_ts: number | null
  last_ts: number
  score: number
  top_score: number
  x1: number
  y1: number
  x2: number
  y2: number
  zones: string
  entered_zones: string
  stationary: number
  frames: number
  snapshot: string | null
}

function toBody(r: Row): EventBody {
  return {
    id: r.id,
    camera: r.camera,
    track: r.track,
    label: r.label,
    score: r.score,
    top_score: r.top_score,
    start_ts: r.start_ts,
    end_ts: r.end_ts,
    ts: r.last_ts,
    pts: null,
    box: [r.x1, r.y1, r.x2, r.y2],
    zones: JSON.parse(r.zones) as string[],
    entered_zones: JSON.parse(r.entered_zones) as string[],
    stationary: r.stationary === 1,
    frames: r.frames,
    snapshot: r.snapshot === null ? null : (JSON.parse(r.snapshot) as SnapshotMeta),
  }
}

/** Newest first (by start), through the (camera, start_ts) / (start_ts) indexes. */
export function queryEvents(db: Db, q: EventQuery): EventBody[] {
  const { where, args } = whereOf([
    ['camera = ?', q.camera],
    ['label = ?', q.label],
    ['start_ts >= ?', q.since],
    ['end_ts IS NULL', q.active ? true : undefined],
    ['EXISTS (SELECT 1 FROM json_each(events.entered_zones) WHERE value = ?)', q.zone],
  ])
  const sql = 'SELECT * FROM events' + where + ' ORDER BY start_ts DESC, id DESC LIMIT ?'
  return (db.prepare(sql).all(...args, q.limit) as Row[]).map(toBody)
}

export function eventById(db: Db, id: string): EventBody | null {
  const r = db.prepare('SELECT * FROM events WHERE id = ?').get(id) as Row | undefined
  return r ? toBody(r) : null
}

/** Events with no end: a crash (SIGKILL, power cut) left them open. */
export function openEvents(db: Db): EventBody[] {
  return (db.prepare('SELECT * FROM events WHERE end_ts IS NULL ORDER BY start_ts').all() as Row[]).map(
    toBody,
  )
}

/**
 * Removes ended events that started before `before` (at most `limit`), returning them so
 * their snapshots can be deleted too.
 */
export function deleteEventsBefore(db: Db, before: number, limit: number): EventBody[] {
  const rows = db
    .prepare('SELECT * FROM events WHERE start_ts < ? AND end_ts IS NOT NULL ORDER BY start_ts LIMIT ?')
    .all(before, limit) as Row[]
  const del = db.prepare('DELETE FROM events WHERE id = ?')
  db.transaction(() => {
    for (const r of rows) del.run(r.id)
  })()
  return rows.map(toBody)
}

/** The oldest ended events that still have a snapshot (retention by size). */
export function oldestSnapshots(db: Db, limit: number): EventBody[] {
  return (
    db
      .prepare(
        'SELECT * FROM events WHERE snapshot IS NOT NULL AND end_ts IS NOT NULL ORDER BY start_ts LIMIT ?',
      )
      .all(limit) as Row[]
  ).map(toBody)
}

export function clearSnapshot(db: Db, id: string): void {
  setSnapshot(db, id, null)
}

export function setSnapshot(db: Db, id: string, snapshot: SnapshotMeta | null): void {
  db.prepare('UPDATE events SET snapshot = ? WHERE id = ?').run(
    snapshot ? JSON.stringify(snapshot) : null,
    id,
  )
}
