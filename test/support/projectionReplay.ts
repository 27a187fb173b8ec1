import type { Projection, ReadModelWriter, SqlValue } from '../../projections/projection';
import type { RecordedEvent } from '../../src/eventStore/port';
import type { SqliteDatabase } from '../../src/sqlite/database';

/**
 * Applies `log` to `projection`'s tables in `db` in one transaction, as the runner does but without
 * checkpoints: the events the projection doesn't handle are skipped, and every other one is applied
 * even when it was before, so replaying a log twice proves the projection idempotent.
 *
 * Usage: replayProjection(db, marketplaceProjection, events); replayProjection(db, marketplaceProjection, events);
 */
export function replayProjection(db: SqliteDatabase, projection: Projection, log: readonly RecordedEvent[]): void {
  const writer: ReadModelWriter = {
    run: (sql, ...params: SqlValue[]) => void db.prepare(sql).run(...params),
    get: <Row>(sql: string, ...params: SqlValue[]) => db.prepare(sql).get(...params) as Row | undefined,
    all: <Row>(sql: string, ...params: SqlValue[]) => db.prepare(sql).all(...params) as Row[],
  };
  const { handles } = projection;
  db.transaction(() => {
    for (const event of log) if (handles === 'all' || handles.includes(event.type)) projection.apply(event, writer);
  })();
}
