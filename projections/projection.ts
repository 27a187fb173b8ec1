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
