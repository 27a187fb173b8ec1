import type { ImportOrigin } from '../domain/versionControl/versioned';
import { StatementCache, type SqliteDatabase } from '../sqlite/database';
import type { QueryRecorder } from './queryRecorder';

/** A component of the account that is an import, and where it came from. */
export interface LocalCopyRow {
  /** The local (read-only) component's id. */
  readonly id: string;
  readonly kind: string;
  readonly accountId: string;
  readonly origin: ImportOrigin;
  /** Deleted since: its revision 1 stays readable, so it still stands in its lineage's ancestry. */
  readonly deleted: boolean;
}

interface ImportSqlRow {
  component_id: string;
  kind: string;
  account_id: string;
  publication_id: string;
  publisher_account_id: string;
  origin_component_id: string;
  origin_revision: number;
  origin_lineage: string;
  deleted: number;
}

const COLUMNS =
  'component_id, kind, account_id, publication_id, publisher_account_id, origin_component_id, origin_revision, origin_lineage, deleted';

const toLocalCopy = (row: ImportSqlRow): LocalCopyRow => ({
  id: row.component_id,
  kind: row.kind,
  accountId: row.account_id,
  origin: {
    publicationId: row.publication_id,
    publisherAccountId: row.publisher_account_id,
    componentId: row.origin_component_id,
    revision: Number(row.origin_revision),
    lineage: row.origin_lineage,
  },
  deleted: Number(row.deleted) !== 0,
});

/**
 * Reads of `rm_imports` (projections/imports.ts): an account's local copies of published revisions.
 * Scoped to the account at every read; one statement whatever the number of keys (they travel as one
 * JSON parameter).
 */
export class ImportQueries {
  private readonly statements: StatementCache;

  constructor(
    db: SqliteDatabase,
    private readonly recorder: QueryRecorder,
  ) {
    this.statements = new StatementCache(db);
  }

  /**
   * The account's copies of any revision of the given published lineages, oldest origin revision first;
   * deleted ones too. Merge walks these to link an import to the account's import of the previous
   * published revision: a deleted copy's committed revision 1 is still in its stream, so it still
   * serves as a base, as a deleted clone source does.
   */
  localCopiesOfLineages(accountId: string, lineages: readonly string[]): LocalCopyRow[] {
    this.recorder.record('imports.localCopiesOfLineages');
    if (lineages.length === 0) return [];
    const rows = this.statements
      .get(
        `SELECT ${COLUMNS} FROM rm_imports
         WHERE account_id = ? AND origin_lineage IN (SELECT value FROM json_each(?))
         ORDER BY origin_lineage, origin_revision, component_id`,
      )
      .all(accountId, JSON.stringify(lineages)) as ImportSqlRow[];
    return rows.map(toLocalCopy);
  }
}
