import type { RecordedEvent } from '../src/eventStore/port';

/** A value SQLite can bind. */
export type SqlValue = string | number | bigint | null | Buffer;

/**
 * What a projection may do to its read model: run statements against its own tables. The runner
 * calls `apply` inside a transaction that also moves the projection's checkpoint, so a crash never
 * applies an event twice or skips one.
 */
export interface ReadModelWriter {
  run(sql: string, ...params: SqlValue[]): void;
  get<Row>(sql: string, ...params: SqlValue[]): Row | undefined;
  all<Row>(sql: string, ...params: SqlValue[]): Row[];
  /**
   * Memory for the batch of events being applied to this projection in one transaction, when the
   * caller offers it (the runner does; without it a projection writes as it goes). See `BatchMemory`.
   */
  readonly batch?: BatchMemory;
}

/**
 * Lets a projection fold many events of one row in memory and write the row once per batch, instead of
 * reading it back and rewriting it for every event (what makes a catch-up of a long log slow).
 * `defer(key, value, write)` keeps the newest value for `key`; each key's `write` runs once, before
 * the batch commits and before the checkpoint moves, in the same savepoint. Everything is dropped when
 * the batch commits or rolls back. A projection that defers a row must read it through `get` first, and
 * what it finally writes must be exactly what writing as it goes would have left.
 */
export interface BatchMemory {
  get<T>(key: string): T | undefined;
  defer<T>(key: string, value: T, write: (value: T) => void): void;
}

/** Writes `value` at the end of the batch when the writer has batch memory, else now. */
export function deferWrite<T>(db: ReadModelWriter, key: string, value: T, write: (value: T) => void): void {
  if (db.batch) db.batch.defer(key, value, write);
  else write(value);
}

/**
 * A projection: a pure function from events to read-model rows.
 *
 * - `version`: bump it whenever `schema` or `apply` changes meaning; the runner then drops `tables`,
 *   recreates them from `schema` and replays the whole log into them.
 * - `handles`: the event types `apply` is called for; the checkpoint moves past all others.
 * - `schema`: idempotent DDL (`CREATE TABLE IF NOT EXISTS …`), run on every start.
 * - `apply` must be deterministic and must not read anything but the event and its own tables.
 */
export interface Projection {
  readonly name: string;
  readonly version: number;
  readonly handles: readonly string[] | 'all';
  readonly tables: readonly string[];
  readonly schema: readonly string[];
  apply(event: RecordedEvent, db: ReadModelWriter): void;
}
