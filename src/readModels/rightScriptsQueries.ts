import type { RightScriptContent, RightScriptInput, RightScriptState } from '../domain/rightScripts/rightScript';
import { StatementCache, type SqliteDatabase } from '../sqlite/database';
import type { QueryRecorder } from './queryRecorder';

/** A script's head row: what every view of it shares, whichever revision is shown. */
export interface RightScriptHead {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  readonly description: string;
  /** The stream revision of its last event: the client's next `expectedVersion`. */
  readonly version: number;
  readonly lineage: string;
  readonly clonedFrom: { readonly id: string; readonly revision: number } | null;
  /** The newest committed revision; 0 before the first commit. */
  readonly latestRevision: number;
  /** Position in the list order; what a page cursor carries. */
  readonly sortKey: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface RightScriptRevisionRow {
  readonly rightScriptId: string;
  readonly revision: number;
  readonly message: string;
  readonly committedAt: Date;
  readonly committedBy: string;
  readonly contentHash: string;
}

/** A committed revision with the content it froze. */
export interface RightScriptSnapshot extends RightScriptRevisionRow {
  readonly content: RightScriptContent;
}

export interface RightScriptPageRequest {
  readonly accountId: string;
  readonly first: number;
  /** Sort key of the last row of the previous page. */
  readonly afterSortKey?: string;
  /** Case-insensitive substring of the name. */
  readonly nameContains?: string;
}

export interface RightScriptPage {
  readonly heads: RightScriptHead[];
  readonly hasNextPage: boolean;
  /** How many match the filter in all (not only after the cursor). */
  readonly totalCount: number;
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
  latest_revision: number;
  sort_key: string;
  created_at: string;
  updated_at: string;
}

interface RevisionRow {
  right_script_id: string;
  revision: number;
  message: string;
  committed_at: string;
  committed_by: string;
  content_hash: string;
  content?: string;
}

const HEAD_COLUMNS =
  'id, account_id, name, description, version, lineage, cloned_from_id, cloned_from_revision, latest_revision, sort_key, created_at, updated_at';
const REVISION_COLUMNS = 'right_script_id, revision, message, committed_at, committed_by, content_hash';

/* Batch reads bind the whole key list as one JSON parameter: one prepared statement whatever the batch size. */
const IDS = 'SELECT value FROM json_each(?)';

/* A NULL name switches the filter off, so one prepared statement serves with and without it. */
const PAGE_FILTER = `r.account_id = ? AND r.deleted = 0 AND (? IS NULL OR instr(lower(r.name), lower(?)) > 0)`;

const toHead = (row: HeadRow): RightScriptHead => ({
  id: row.id,
  accountId: row.account_id,
  name: row.name,
  description: row.description,
  version: Number(row.version),
  lineage: row.lineage,
  clonedFrom: row.cloned_from_id === null ? null : { id: row.cloned_from_id, revision: Number(row.cloned_from_revision ?? 0) },
  latestRevision: Number(row.latest_revision),
  sortKey: row.sort_key,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
});

const toRevision = (row: RevisionRow): RightScriptRevisionRow => ({
  rightScriptId: row.right_script_id,
  revision: Number(row.revision),
  message: row.message,
  committedAt: new Date(row.committed_at),
  committedBy: row.committed_by,
  contentHash: row.content_hash,
});

/**
 * Reads of the rightScripts read models (tables written by projections/rightScripts.ts). Every read
 * of one script is scoped to the viewer's account at the root (`page`, `headsByIds`, `headContents`);
 * the batch reads below a root take ids the root already scoped. Batch methods return the rows found
 * in no promised order: the DataLoaders put them in key order.
 *
 * Usage: const [head] = queries.rightScripts.headsByIds(viewer.accountId, [id]);
 */
export class RightScriptQueries {
  protected readonly statements: StatementCache;

  constructor(
    db: SqliteDatabase,
    protected readonly recorder: QueryRecorder,
  ) {
    this.statements = new StatementCache(db);
  }

  /** One page of the account's RightScripts (not deleted), in creation order. */
  page(request: RightScriptPageRequest): RightScriptPage {
    this.recorder.record('rightScripts.page');
    const name = request.nameContains === undefined || request.nameContains === '' ? null : request.nameContains;
    const filter = [request.accountId, name, name];
    const rows = this.statements
      .get(`SELECT ${HEAD_COLUMNS} FROM rm_right_scripts r WHERE ${PAGE_FILTER} AND r.sort_key > ? ORDER BY r.sort_key LIMIT ?`)
      .all(...filter, request.afterSortKey ?? '', request.first + 1) as HeadRow[];
    const { total } = this.statements.get(`SELECT count(*) AS total FROM rm_right_scripts r WHERE ${PAGE_FILTER}`).get(...filter) as {
      total: number;
    };
    return { heads: rows.slice(0, request.first).map(toHead), hasNextPage: rows.length > request.first, totalCount: Number(total) };
  }

  /** The account's RightScripts among `ids` (deleted ones are absent). */
  headsByIds(accountId: string, ids: readonly string[]): RightScriptHead[] {
    this.recorder.record('rightScripts.headsByIds');
    if (ids.length === 0) return [];
    const rows = this.statements
      .get(`SELECT ${HEAD_COLUMNS} FROM rm_right_scripts WHERE account_id = ? AND deleted = 0 AND id IN (${IDS})`)
      .all(accountId, JSON.stringify(ids)) as HeadRow[];
    return rows.map(toHead);
  }

  /** HEAD's whole content of the account's RightScripts among `ids` (deleted ones are absent), keyed by id. */
  headContents(accountId: string, ids: readonly string[]): Map<string, RightScriptContent> {
    this.recorder.record('rightScripts.headContents');
    const contents = new Map<string, RightScriptContent>();
    if (ids.length === 0) return contents;
    const rows = this.statements
      .get(`SELECT id, state FROM rm_right_scripts WHERE account_id = ? AND deleted = 0 AND id IN (${IDS})`)
      .all(accountId, JSON.stringify(ids)) as Array<{ id: string; state: string }>;
    for (const row of rows) {
      const state = JSON.parse(row.state) as RightScriptState;
      if (state.status === 'active') contents.set(row.id, state.head);
    }
    return contents;
  }

  /** HEAD's source of the given scripts. */
  sourcesByRightScriptIds(ids: readonly string[]): Array<{ rightScriptId: string; source: string }> {
    this.recorder.record('rightScripts.sourcesByRightScriptIds');
    if (ids.length === 0) return [];
    const rows = this.statements
      .get(`SELECT id, json_extract(state, '$.head.source') AS source FROM rm_right_scripts WHERE deleted = 0 AND id IN (${IDS})`)
      .all(JSON.stringify(ids)) as Array<{ id: string; source: string | null }>;
    return rows.map((row) => ({ rightScriptId: row.id, source: row.source ?? '' }));
  }

  /** HEAD's inputs of the given scripts, by name. */
  inputsByRightScriptIds(ids: readonly string[]): Array<{ rightScriptId: string; inputs: RightScriptInput[] }> {
    this.recorder.record('rightScripts.inputsByRightScriptIds');
    if (ids.length === 0) return [];
    const rows = this.statements
      .get(`SELECT id, json_extract(state, '$.head.inputs') AS inputs FROM rm_right_scripts WHERE deleted = 0 AND id IN (${IDS})`)
      .all(JSON.stringify(ids)) as Array<{ id: string; inputs: string | null }>;
    return rows.map((row) => ({
      rightScriptId: row.id,
      inputs: row.inputs === null ? [] : (JSON.parse(row.inputs) as RightScriptInput[]),
    }));
  }

  /** The committed revisions of the given scripts (without their content), oldest first. */
  revisionsByRightScriptIds(ids: readonly string[]): RightScriptRevisionRow[] {
    this.recorder.record('rightScripts.revisionsByRightScriptIds');
    if (ids.length === 0) return [];
    const rows = this.statements
      .get(`SELECT ${REVISION_COLUMNS} FROM rm_right_script_revisions WHERE right_script_id IN (${IDS}) ORDER BY right_script_id, revision`)
      .all(JSON.stringify(ids)) as RevisionRow[];
    return rows.map(toRevision);
  }

  /** The snapshots of the given (script, revision) pairs that exist. */
  snapshots(keys: ReadonlyArray<{ readonly id: string; readonly revision: number }>): RightScriptSnapshot[] {
    this.recorder.record('rightScripts.snapshots');
    if (keys.length === 0) return [];
    const rows = this.statements
      .get(
        `SELECT ${REVISION_COLUMNS}, content FROM rm_right_script_revisions
         WHERE (right_script_id, revision) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))`,
      )
      .all(JSON.stringify(keys.map((key) => [key.id, key.revision]))) as Array<Required<RevisionRow>>;
    return rows.map((row) => ({ ...toRevision(row), content: JSON.parse(row.content) as RightScriptContent }));
  }
}
