import type { SqlValue } from '../../projections/projection';
import type { ImportOrigin } from '../domain/versionControl/versioned';
import { StatementCache, type SqliteDatabase } from '../sqlite/database';
import type { QueryRecorder } from './queryRecorder';

/** A component's head row: what every view of it shares, whichever revision is shown. */
export interface ComponentHead {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  readonly description: string;
  /** The stream revision of its last event: the client's next `expectedVersion`. */
  readonly version: number;
  readonly lineage: string;
  readonly clonedFrom: { readonly id: string; readonly revision: number } | null;
  /** Where an import came from (it is read-only); null for a component created or cloned in its account. */
  readonly origin: ImportOrigin | null;
  /** The newest committed revision; 0 before the first commit. */
  readonly latestRevision: number;
  /** Position in the list order; what a page cursor carries. */
  readonly sortKey: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A committed revision without its content, whichever kind's. */
export interface CommittedRevisionRow {
  readonly revision: number;
  readonly message: string;
  readonly committedAt: Date;
  readonly committedBy: string;
  readonly contentHash: string;
}

export interface ComponentPageRequest {
  readonly accountId: string;
  readonly first: number;
  /** Sort key of the last row of the previous page. */
  readonly afterSortKey?: string;
  /** Case-insensitive substring of the name. */
  readonly nameContains?: string;
}

export interface ComponentPage {
  readonly heads: ComponentHead[];
  readonly hasNextPage: boolean;
  /** How many match the filter in all (not only after the cursor). */
  readonly totalCount: number;
}

/** A kind's own page condition on the head row `h`, ANDed to the account and name filter. */
export interface KindPageFilter {
  readonly sql: string;
  readonly params: readonly SqlValue[];
}

/** The tables a kind's projection writes with projections/componentTables.ts. */
export interface ComponentTables {
  readonly heads: string;
  readonly snapshots: string;
  /** The snapshot table's column naming the component. */
  readonly componentColumn: string;
  /** The snapshot table's kind-specific columns `snapshots` reads along with `content`. */
  readonly snapshotColumns?: readonly string[];
  /** Prepended to the shared reads' names in the QueryRecorder ('' or '<kind>.'): tests count reads by name. */
  readonly readPrefix: string;
}

interface HeadRow {
  id: string;
  account_id: string;
  name: string;
  description: string;
  version: number;
  lineage: string;
  cloned_from_id: string | null;
  cloned_from_revision: number | null;
  /** The folded state's `origin` as JSON text; NULL when it has none. */
  origin: string | null;
  latest_revision: number;
  sort_key: string;
  created_at: string;
  updated_at: string;
}

/** A snapshot table row; `component_id` is the kind's component column. */
export interface SnapshotRow {
  component_id: string;
  revision: number;
  message: string;
  committed_at: string;
  committed_by: string;
  content_hash: string;
}

// The origin lives in the folded state only: imports are few, and reading it out costs no column.
const HEAD_COLUMNS =
  "id, account_id, name, description, version, lineage, cloned_from_id, cloned_from_revision, json_extract(state, '$.origin') AS origin, latest_revision, sort_key, created_at, updated_at";
const REVISION_COLUMNS = 'revision, message, committed_at, committed_by, content_hash';

/*
 * Batch reads bind the whole key list as one JSON parameter (`json_each`), so each method is one
 * prepared statement whatever the batch size: a DataLoader batch costs one read. Pairs travel as
 * `[id, revision]` arrays.
 */
export const IDS = 'SELECT value FROM json_each(?)';
export const PAIRS = `SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?)`;

/* A NULL name switches its condition off, so one prepared statement serves with and without it. */
const PAGE_FILTER = `h.account_id = ? AND h.deleted = 0 AND (? IS NULL OR instr(lower(h.name), lower(?)) > 0)`;

const toHead = (row: HeadRow): ComponentHead => ({
  id: row.id,
  accountId: row.account_id,
  name: row.name,
  description: row.description,
  version: Number(row.version),
  lineage: row.lineage,
  clonedFrom: row.cloned_from_id === null ? null : { id: row.cloned_from_id, revision: Number(row.cloned_from_revision ?? 0) },
  origin: row.origin === null ? null : (JSON.parse(row.origin) as ImportOrigin),
  latestRevision: Number(row.latest_revision),
  sortKey: row.sort_key,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
});

export const toCommittedRevision = (row: SnapshotRow): CommittedRevisionRow => ({
  revision: Number(row.revision),
  message: row.message,
  committedAt: new Date(row.committed_at),
  committedBy: row.committed_by,
  contentHash: row.content_hash,
});

/**
 * The reads every component kind answers the same way over its head and snapshot tables. Every read
 * of one component is scoped to the viewer's account at the root (`page`, `headsByIds`,
 * `headContents`); the batch reads below a root take ids the root already scoped. Batch methods return
 * the rows found in no promised order: the DataLoaders put them in key order.
 */
export abstract class ComponentQueries<Content, Revision, Snapshot, PageRequest extends ComponentPageRequest = ComponentPageRequest> {
  protected readonly statements: StatementCache;

  constructor(
    db: SqliteDatabase,
    protected readonly recorder: QueryRecorder,
    private readonly tables: ComponentTables,
  ) {
    this.statements = new StatementCache(db);
  }

  /** The kind's revision row from the shared columns. */
  protected abstract toRevision(row: SnapshotRow): Revision;

  /** The kind's snapshot from its revision row, `content` and its `snapshotColumns` (JSON text). */
  protected abstract toSnapshot(row: SnapshotRow & { readonly content: string }): Snapshot;

  /** The kind's own page filter; none by default. */
  protected kindPageFilter(_request: PageRequest): KindPageFilter | undefined {
    return undefined;
  }

  /** One page of the account's components (not deleted), in creation order. */
  page(request: PageRequest): ComponentPage {
    this.record('page');
    const { heads } = this.tables;
    const name = request.nameContains === undefined || request.nameContains === '' ? null : request.nameContains;
    const kind = this.kindPageFilter(request);
    const where = kind ? `${PAGE_FILTER} AND ${kind.sql}` : PAGE_FILTER;
    const filter = [request.accountId, name, name, ...(kind?.params ?? [])];
    const rows = this.statements
      .get(`SELECT ${HEAD_COLUMNS} FROM ${heads} h WHERE ${where} AND h.sort_key > ? ORDER BY h.sort_key LIMIT ?`)
      .all(...filter, request.afterSortKey ?? '', request.first + 1) as HeadRow[];
    const { total } = this.statements.get(`SELECT count(*) AS total FROM ${heads} h WHERE ${where}`).get(...filter) as { total: number };
    return { heads: rows.slice(0, request.first).map(toHead), hasNextPage: rows.length > request.first, totalCount: Number(total) };
  }

  /** The account's components among `ids` (deleted ones are absent). */
  headsByIds(accountId: string, ids: readonly string[]): ComponentHead[] {
    this.record('headsByIds');
    if (ids.length === 0) return [];
    const rows = this.statements
      .get(`SELECT ${HEAD_COLUMNS} FROM ${this.tables.heads} WHERE account_id = ? AND deleted = 0 AND id IN (${IDS})`)
      .all(accountId, JSON.stringify(ids)) as HeadRow[];
    return rows.map(toHead);
  }

  /** HEAD's whole content of the account's components among `ids` (deleted ones are absent), keyed by id. */
  headContents(accountId: string, ids: readonly string[]): Map<string, Content> {
    this.record('headContents');
    const contents = new Map<string, Content>();
    if (ids.length === 0) return contents;
    const rows = this.statements
      .get(`SELECT id, state FROM ${this.tables.heads} WHERE account_id = ? AND deleted = 0 AND id IN (${IDS})`)
      .all(accountId, JSON.stringify(ids)) as Array<{ id: string; state: string }>;
    for (const row of rows) {
      const state = JSON.parse(row.state) as { status: string; head: Content };
      if (state.status === 'active') contents.set(row.id, state.head);
    }
    return contents;
  }

  /** The snapshots of the given (component, revision) pairs that exist. */
  snapshots(keys: ReadonlyArray<{ readonly id: string; readonly revision: number }>): Snapshot[] {
    this.record('snapshots');
    if (keys.length === 0) return [];
    const { snapshots, componentColumn, snapshotColumns = [] } = this.tables;
    const columns = [...snapshotColumns, 'content'].join(', ');
    const rows = this.statements
      .get(
        `SELECT ${componentColumn} AS component_id, ${REVISION_COLUMNS}, ${columns} FROM ${snapshots}
         WHERE (${componentColumn}, revision) IN (${PAIRS})`,
      )
      .all(JSON.stringify(keys.map((key) => [key.id, key.revision]))) as Array<SnapshotRow & { content: string }>;
    return rows.map((row) => this.toSnapshot(row));
  }

  /** The committed revisions of the given components (without their content), oldest first. */
  protected revisionsOf(ids: readonly string[]): Revision[] {
    if (ids.length === 0) return [];
    const { snapshots, componentColumn } = this.tables;
    const rows = this.statements
      .get(
        `SELECT ${componentColumn} AS component_id, ${REVISION_COLUMNS} FROM ${snapshots}
         WHERE ${componentColumn} IN (${IDS}) ORDER BY ${componentColumn}, revision`,
      )
      .all(JSON.stringify(ids)) as SnapshotRow[];
    return rows.map((row) => this.toRevision(row));
  }

  private record(read: string): void {
    this.recorder.record(`${this.tables.readPrefix}${read}`);
  }
}
