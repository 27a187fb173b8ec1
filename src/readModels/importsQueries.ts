import type { ImportOrigin } from '../domain/versionControl/versioned';
import { StatementCache, type SqliteDatabase } from '../sqlite/database';
import type { QueryRecorder } from './queryRecorder';

/** A component of the account that is an import (not deleted), and where it came from. */
export interface LocalCopyRow {
  /** The local (read-only) component's id. */
  readonly id: string;
  readonly kind: string;
  readonly accountId: string;
  readonly origin: ImportOrigin;
}

/** A published revision, as `localCopies` looks it up. */
export interface OriginRevision {
  readonly componentId: string;
  readonly revision: number;
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
}

const COLUMNS =
  'component_id, kind, account_id, publication_id, publisher_account_id, origin_component_id, origin_revision, origin_lineage';

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
});

/**
 * Reads of `rm_imports` (projections/imports.ts): an account's local copies of published revisions.
 * Scoped to the account at every read; each is one statement whatever the batch size (the keys travel
 * as one JSON parameter). Rows come in no promised order: a DataLoader puts them in key order.
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
   * The account's copies (not deleted) of the given origin revisions. Usually one per origin; more
   * only if two imports raced past each other, which the derived ids of src/application/imports.ts
   * prevent.
   */
  localCopies(accountId: string, origins: readonly OriginRevision[]): LocalCopyRow[] {
    this.recorder.record('imports.localCopies');
    if (origins.length === 0) return [];
    const rows = this.statements
      .get(
        `SELECT ${COLUMNS} FROM rm_imports
         WHERE account_id = ? AND deleted = 0
           AND (origin_component_id, origin_revision) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))`,
      )
      .all(accountId, JSON.stringify(origins.map((origin) => [origin.componentId, origin.revision]))) as ImportSqlRow[];
    return rows.map(toLocalCopy);
  }

  /** The account's copies (not deleted) of any revision of the given published lineages, oldest origin revision first. */
  localCopiesOfLineages(accountId: string, lineages: readonly string[]): LocalCopyRow[] {
    this.recorder.record('imports.localCopiesOfLineages');
    if (lineages.length === 0) return [];
    const rows = this.statements
      .get(
        `SELECT ${COLUMNS} FROM rm_imports
         WHERE account_id = ? AND deleted = 0 AND origin_lineage IN (SELECT value FROM json_each(?))
         ORDER BY origin_lineage, origin_revision, component_id`,
      )
      .all(accountId, JSON.stringify(lineages)) as ImportSqlRow[];
    return rows.map(toLocalCopy);
  }
}
