// Versioned schema migrations. Each entry runs once, in order, in its own transaction,
// and records its version in schema_version. Never edit a released migration: add one.
import type { Db } from './db.js'

export interface Migration {
  version: number
  description: string
  sql: string
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'detections, outbox, per-camera message sequence',
    sql: `
      CREATE TABLE detections (
        id INTEGER PRIMARY KEY,
        camera TEXT NOT NULL,
        seq INTEGER NOT NULL,          -- message seq (same as the MQTT message)
        ts INTEGER NOT NULL,           -- wall-clock capture time, ms since epoch
        pts REAL,                      -- stream time, s
        label TEXT NOT NULL,
        class INTEGER NOT NULL,
        score REAL NOT NULL,
        x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL
      );
      CREATE INDEX detections_ts ON detections (ts);
      CREATE INDEX detections_camera_ts ON detections (camera, ts);
      CREATE INDEX detections_label_ts ON detections (label, ts);
      -- AUTOINCREMENT: rowids never come back after the outbox empties, so the
      -- publisher's "after rowid" cursor can never skip a new row.
      CREATE TABLE outbox (
        rowid INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL,              -- message id <device>/<camera>/<seq 12 digits>
        camera TEXT NOT NULL,
        seq INTEGER NOT NULL,
        topic TEXT NOT NULL,
        payload TEXT NOT NULL,
        created INTEGER NOT NULL       -- ms since epoch
      );
      -- Last message seq per camera, so seq keeps counting across restarts even after
      -- retention removed every detection and the outbox drained.
      CREATE TABLE camera_seq (
        camera TEXT PRIMARY KEY,
        last_seq INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: 'events (one row per confirmed track), the event of each detection, message seq per stream',
    sql: `
      ALTER TABLE detections ADD COLUMN event TEXT;  -- id of the event the detection belongs to
      CREATE TABLE events (
        id TEXT PRIMARY KEY,           -- <device>/<camera>/<start_ts>-<track n>
        camera TEXT NOT NULL,
        track INTEGER NOT NULL,        -- the camera's track number
        label TEXT NOT NULL,           -- majority of the track's detections
        start_ts INTEGER NOT NULL,     -- wall-clock time of the first detection, ms
        end_ts INTEGER,                -- null while the event is open
        last_ts INTEGER NOT NULL,      -- latest frame the event was seen in (ends it after a crash)
        score REAL NOT NULL,
        top_score REAL NOT NULL,
        x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL,
        zones TEXT NOT NULL,           -- JSON list: zones it is in now
        entered_zones TEXT NOT NULL,   -- JSON list: zones it has been in
        stationary INTEGER NOT NULL,
        frames INTEGER NOT NULL,
        snapshot TEXT                  -- JSON {ts, score, box, url} of the best frame, or null
      );
      CREATE INDEX events_start ON events (start_ts);
      CREATE INDEX events_camera_start ON events (camera, start_ts);
      CREATE INDEX events_open ON events (end_ts) WHERE end_ts IS NULL;
      -- Last message seq of the device-wide topics (events, crossings), like camera_seq.
      CREATE TABLE stream_seq (
        stream TEXT PRIMARY KEY,
        last_seq INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    description: 'line crossings and the running totals per line',
    sql: `
      CREATE TABLE crossings (
        id INTEGER PRIMARY KEY,
        seq INTEGER NOT NULL,          -- message seq on the crossings topic
        camera TEXT NOT NULL,
        line TEXT NOT NULL,
        direction TEXT NOT NULL,       -- in | out
        event TEXT,                    -- the event (tracked object) that crossed
        label TEXT NOT NULL,
        ts INTEGER NOT NULL            -- ms since epoch
      );
      CREATE INDEX crossings_line_ts ON crossings (camera, line, ts);
      -- Kept apart from crossings (which retention trims) so the totals keep counting.
      CREATE TABLE line_totals (
        camera TEXT NOT NULL,
        line TEXT NOT NULL,
        in_count INTEGER NOT NULL,
        out_count INTEGER NOT NULL,
        since INTEGER NOT NULL,        -- ts of the first crossing counted
        PRIMARY KEY (camera, line)
      ) WITHOUT ROWID;
    `,
  },
]

/** Current schema version (0 for a new file). */
export function schemaVersion(db: Db): number {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
  )
  const row = db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null }
  return row.v ?? 0
}

/** Applies every migration newer than the file; returns the versions applied. */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS, now = Date.now()): number[] {
  const current = schemaVersion(db)
  const newest = migrations.reduce((m, x) => Math.max(m, x.version), 0)
  if (current > newest) {
    throw new Error(
      `database schema version ${current} is newer than this edgewatch understands (${newest}); upgrade edgewatch or move the database aside`,
    )
  }
  const applied: number[] = []
  const record = db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)')
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue
    db.transaction(() => {
      db.exec(m.sql)
      record.run(m.version, now)
    })()
    applied.push(m.version)
  }
  return applied
}
