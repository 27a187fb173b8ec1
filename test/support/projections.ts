import type { Projection } from '../../projections/projection';
import type { SqliteDatabase } from '../../src/sqlite/database';

/**
 * A projection that writes one row per event it handles, keyed by event id with no conflict clause:
 * applying an event twice fails with a UNIQUE violation, so a double-apply can't go unnoticed.
 */
export function ledgerProjection(
  options: { name?: string; version?: number; failOn?: (eventIndex: number, data: unknown) => boolean } = {},
): Projection & {
  applied: number;
} {
  const table = `ledger_${options.name ?? 'test'}`;
  const projection = {
    name: options.name ?? 'ledger',
    version: options.version ?? 1,
    handles: ['Noted'] as readonly string[],
    tables: [table],
    schema: [`CREATE TABLE IF NOT EXISTS ${table} (event_id TEXT PRIMARY KEY, stream TEXT NOT NULL, revision INTEGER NOT NULL, n INTEGER)`],
    applied: 0,
    apply(event: Parameters<Projection['apply']>[0], db: Parameters<Projection['apply']>[1]) {
      const n = (event.data as { n?: number }).n ?? null;
      if (options.failOn?.(projection.applied, event.data)) throw new Error(`refusing event n=${String(n)}`);
      db.run(`INSERT INTO ${table} (event_id, stream, revision, n) VALUES (?, ?, ?, ?)`, event.id, event.stream, event.revision, n);
      projection.applied += 1;
    },
  };
  return projection;
}

/** Every row of every given table, ordered, for comparing read models. */
export function dumpTables(db: SqliteDatabase, tables: readonly string[]): Record<string, unknown[]> {
  const dump: Record<string, unknown[]> = {};
  for (const table of tables) dump[table] = db.prepare(`SELECT * FROM ${table} ORDER BY 1`).all();
  return dump;
}
