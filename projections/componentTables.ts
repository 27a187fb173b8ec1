import type { Decider, DomainEvent } from '../src/domain/decider';
import type { LogPosition, RecordedEvent } from '../src/eventStore/port';
import { deferWrite, type ReadModelWriter, type SqlValue } from './projection';

/*
 * The two tables every component kind (MCI, RightScript, ServerTemplate) keeps, written the same way:
 *
 * - a head table: one row per component (deleted ones stay, flagged) with the folded state as JSON,
 *   so the next event is applied with the domain decider's own `evolve`;
 * - a snapshot table: one row per committed revision (its content as JSON, message, author, time,
 *   hash), so a revision is served or diffed without replaying its stream.
 *
 * Idempotent under replay: the head row remembers the stream revision of the last event applied, and
 * an event at or below it is skipped; snapshots are insert-once. Each kind's projection adds its own
 * tables (MCI settings, template pins) next to these.
 */

/**
 * The list order: the log position of the component's first event, as fixed-width text so that it
 * sorts as it compares and a page cursor can carry it.
 */
export function componentSortKey(position: LogPosition): string {
  return `${position.commit.toString().padStart(20, '0')}.${position.prepare.toString().padStart(20, '0')}`;
}

/** The head table's DDL and its list index (`<table>_account`). */
export function headTableSchema(table: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (
       id                   TEXT PRIMARY KEY,
       account_id           TEXT NOT NULL,
       name                 TEXT NOT NULL,
       description          TEXT NOT NULL,
       version              INTEGER NOT NULL,
       lineage              TEXT NOT NULL,
       cloned_from_id       TEXT,
       cloned_from_revision INTEGER,
       latest_revision      INTEGER NOT NULL,
       deleted              INTEGER NOT NULL,
       sort_key             TEXT NOT NULL,
       created_at           TEXT NOT NULL,
       updated_at           TEXT NOT NULL,
       state                TEXT NOT NULL
     )`,
    `CREATE INDEX IF NOT EXISTS ${table}_account ON ${table} (account_id, deleted, sort_key)`,
  ];
}

/** Where a kind keeps its revision snapshots: the table and the column naming the component. */
export interface SnapshotTable {
  readonly table: string;
  readonly componentColumn: string;
  /** The kind's own columns (`name TYPE` DDL), stored between `content_hash` and `content`. */
  readonly kindColumns?: readonly string[];
}

/** The snapshot table's DDL. */
export function snapshotTableSchema({ table, componentColumn, kindColumns = [] }: SnapshotTable): string {
  const columns = [
    `${componentColumn} TEXT NOT NULL`,
    'revision INTEGER NOT NULL',
    'message TEXT NOT NULL',
    'committed_at TEXT NOT NULL',
    'committed_by TEXT NOT NULL',
    'content_hash TEXT NOT NULL',
    ...kindColumns,
    'content TEXT NOT NULL',
    `PRIMARY KEY (${componentColumn}, revision)`,
  ];
  return `CREATE TABLE IF NOT EXISTS ${table} (\n  ${columns.join(',\n  ')}\n)`;
}

/** What a `RevisionCommitted` event says of the revision, whichever kind committed it. */
export interface CommittedRevision {
  readonly revision: number;
  readonly message: string;
  readonly committedAt: string;
  readonly committedBy: string;
  readonly contentHash: string;
}

/**
 * Stores the content a revision froze, once: replaying the same commit writes nothing. `kindValues`
 * fill the table's `kindColumns`.
 */
export function insertSnapshot(
  db: ReadModelWriter,
  { table, componentColumn }: SnapshotTable,
  componentId: string,
  commit: CommittedRevision,
  content: unknown,
  kindValues: Readonly<Record<string, SqlValue>> = {},
): void {
  const kindNames = Object.keys(kindValues);
  db.run(
    insertSnapshotSql(table, componentColumn, kindNames),
    componentId,
    commit.revision,
    commit.message,
    commit.committedAt,
    commit.committedBy,
    commit.contentHash,
    ...kindNames.map((name) => kindValues[name] ?? null),
    JSON.stringify(content),
  );
}

/** The snapshot INSERT by table and kind columns, built once: a commit of every kind runs one. */
const snapshotSql = new Map<string, string>();

function insertSnapshotSql(table: string, componentColumn: string, kindNames: readonly string[]): string {
  const cacheKey = `${table}\u0000${componentColumn}\u0000${kindNames.join('\u0000')}`;
  let sql = snapshotSql.get(cacheKey);
  if (sql === undefined) {
    const columns = [componentColumn, 'revision', 'message', 'committed_at', 'committed_by', 'content_hash', ...kindNames, 'content'];
    sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})
     ON CONFLICT (${componentColumn}, revision) DO NOTHING`;
    snapshotSql.set(cacheKey, sql);
  }
  return sql;
}

interface ComponentIdentity {
  readonly accountId: string;
  readonly lineage: string;
  readonly clonedFrom: { readonly id: string; readonly revision: number } | null;
  readonly latestRevision: number;
}

/** What the head row reads of a kind's folded state. */
export type ComponentState =
  | { readonly status: 'empty' }
  | (ComponentIdentity & { readonly status: 'active'; readonly head: { readonly name: string; readonly description: string } })
  | (ComponentIdentity & { readonly status: 'deleted' });

/** A kind's head table and the decider whose `evolve` folds its streams. */
export interface HeadTable<State extends ComponentState, Event extends DomainEvent> {
  readonly table: string;
  /** The kind's stream prefix (`mci-`, …): events of the same type in other kinds' streams are not its own. */
  readonly streamPrefix: string;
  readonly decider: Pick<Decider<State, never, Event>, 'initialState' | 'evolve'>;
}

/** One event folded into a component's head row. */
export interface AppliedToHead<State extends ComponentState, Event extends DomainEvent> {
  readonly id: string;
  readonly event: Event;
  readonly state: Exclude<State, { readonly status: 'empty' }>;
}

/** A head row as stored, its state parsed: what a batch folds in memory before writing it once. */
interface HeadRow {
  readonly id: string;
  readonly account_id: string;
  readonly name: string;
  readonly description: string;
  readonly version: bigint;
  readonly lineage: string;
  readonly cloned_from_id: string | null;
  readonly cloned_from_revision: number | null;
  readonly latest_revision: number;
  readonly deleted: number;
  readonly sort_key: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly state: unknown;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

type StoredHeadRow = Omit<HeadRow, 'version' | 'state'> & { readonly version: number | bigint; readonly state: string };

function writeHead(db: ReadModelWriter, table: string, row: HeadRow): void {
  db.run(
    `INSERT INTO ${table} (id, account_id, name, description, version, lineage, cloned_from_id, cloned_from_revision,
                           latest_revision, deleted, sort_key, created_at, updated_at, state)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET
       account_id = excluded.account_id, name = excluded.name, description = excluded.description, version = excluded.version,
       lineage = excluded.lineage, cloned_from_id = excluded.cloned_from_id, cloned_from_revision = excluded.cloned_from_revision,
       latest_revision = excluded.latest_revision, deleted = excluded.deleted, sort_key = excluded.sort_key,
       created_at = excluded.created_at, updated_at = excluded.updated_at, state = excluded.state`,
    row.id,
    row.account_id,
    row.name,
    row.description,
    row.version,
    row.lineage,
    row.cloned_from_id,
    row.cloned_from_revision,
    row.latest_revision,
    row.deleted,
    row.sort_key,
    row.created_at,
    row.updated_at,
    JSON.stringify(row.state),
  );
}

/**
 * Folds `event` into its component's head row and upserts it (once per batch when the writer has batch
 * memory: the row is folded in memory meanwhile). `undefined` when the event is not this kind's, was
 * applied already (replay) or leaves the component empty; otherwise the folded state, for the kind's
 * own tables. The first event fixes the owner, lineage, clone source, list order and creation time; a
 * deleted component keeps the name and description it had.
 */
export function applyToHead<State extends ComponentState, Event extends DomainEvent>(
  { table, streamPrefix, decider }: HeadTable<State, Event>,
  event: RecordedEvent,
  db: ReadModelWriter,
): AppliedToHead<State, Event> | undefined {
  if (!event.stream.startsWith(streamPrefix)) return undefined;
  const id = event.stream.slice(streamPrefix.length);
  const key = `${table}:${id}`;
  const pending = db.batch?.get<HeadRow>(key);
  let row = pending;
  if (!row) {
    const stored = db.get<StoredHeadRow>(`SELECT * FROM ${table} WHERE id = ?`, id);
    if (stored) row = { ...stored, version: BigInt(stored.version), state: JSON.parse(stored.state) as unknown };
  }
  if (row && row.version >= event.revision) return undefined;
  // The decider wrote these events and the hash chain guards them: their shape is trusted here.
  const domainEvent = { type: event.type, data: event.data } as Event;
  const before = row ? (row.state as State) : decider.initialState();
  const folded = decider.evolve(before, domainEvent);
  const state: ComponentState = folded;
  if (state.status === 'empty') return undefined;
  const at = typeof event.metadata.occurredAt === 'string' ? event.metadata.occurredAt : event.recordedAt.toISOString();
  const head = state.status === 'active' ? state.head : undefined;
  const deleted = state.status === 'deleted' ? 1 : 0;
  if (pending) {
    // Already folded in this batch: updated in place (only the batch memory holds it), the deferred
    // write takes the newest values. The same columns change as in the copy below.
    const mutable = pending as Mutable<HeadRow>;
    if (!deleted) {
      mutable.name = head?.name ?? '';
      mutable.description = head?.description ?? '';
    }
    mutable.version = event.revision;
    mutable.latest_revision = state.latestRevision;
    mutable.deleted = deleted;
    mutable.updated_at = at;
    mutable.state = folded;
    return { id, event: domainEvent, state: folded as Exclude<State, { readonly status: 'empty' }> };
  }
  const next: HeadRow = row
    ? {
        ...row,
        name: deleted ? row.name : (head?.name ?? ''),
        description: deleted ? row.description : (head?.description ?? ''),
        version: event.revision,
        latest_revision: state.latestRevision,
        deleted,
        updated_at: at,
        state: folded,
      }
    : {
        id,
        account_id: state.accountId,
        name: head?.name ?? '',
        description: head?.description ?? '',
        version: event.revision,
        lineage: state.lineage,
        cloned_from_id: state.clonedFrom?.id ?? null,
        cloned_from_revision: state.clonedFrom?.revision ?? null,
        latest_revision: state.latestRevision,
        deleted,
        sort_key: componentSortKey(event.position),
        created_at: at,
        updated_at: at,
        state: folded,
      };
  deferWrite(db, key, next, (value) => writeHead(db, table, value));
  return { id, event: domainEvent, state: folded as Exclude<State, { readonly status: 'empty' }> };
}
