// The outbox: messages committed but not yet acknowledged by the broker. The publisher
// reads it in rowid order (= per-camera seq order) and deletes rows on PUBACK.
import type { Statement } from 'better-sqlite3'
import type { Db } from './db.js'
import type { StoredMessage } from './message.js'

export interface OutboxRow extends StoredMessage {
  rowid: number
}

export class Outbox {
  private selectAfter!: Statement
  private deleteOne!: Statement
  private dropOldest!: Statement
  private deleteMany!: (rowids: readonly number[]) => number
  /** Rows in the table, kept in memory so nothing on the hot path counts rows. */
  private rows = 0

  constructor(private readonly db: Db) {}

  prepare(): void {
    this.selectAfter = this.db.prepare(
      'SELECT rowid, id, camera, seq, topic, payload FROM outbox WHERE rowid > ? ORDER BY rowid LIMIT ?',
    )
    this.deleteOne = this.db.prepare('DELETE FROM outbox WHERE rowid = ?')
    this.dropOldest = this.db.prepare(
      'DELETE FROM outbox WHERE rowid IN (SELECT rowid FROM outbox ORDER BY rowid LIMIT ?)',
    )
    this.deleteMany = this.db.transaction((rowids: readonly number[]) => {
      let n = 0
      for (const r of rowids) n += this.deleteOne.run(r).changes
      return n
    })
    // Once at start: a count over the outbox (bounded by outbox_max_rows).
    this.rows = (this.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n
  }

  get backlog(): number {
    return this.rows
  }

  /** Called after a committed insert of `n` rows. */
  added(n = 1): void {
    this.rows += n
  }

  /** Up to `limit` rows after `afterRowid`, oldest first. */
  after(afterRowid: number, limit: number): OutboxRow[] {
    return this.selectAfter.all(afterRowid, limit) as OutboxRow[]
  }

  /** Deletes acknowledged rows (one transaction); returns how many existed. */
  remove(rowids: readonly number[]): number {
    if (rowids.length === 0) return 0
    const n = this.deleteMany(rowids)
    this.rows = Math.max(0, this.rows - n)
    return n
  }

  /** Drops the oldest rows beyond `cap`; returns how many were dropped. */
  enforceCap(cap: number): number {
    const excess = this.rows - cap
    if (excess <= 0) return 0
    const n = this.dropOldest.run(excess).changes
    this.rows = Math.max(0, this.rows - n)
    return n
  }
}
