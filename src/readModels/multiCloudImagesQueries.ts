import { StatementCache, type SqliteDatabase } from '../sqlite/database';

/** Reads of the multiCloudImages read models (tables written by projections/multiCloudImages.ts). */
export class MultiCloudImageQueries {
  private readonly statements: StatementCache;
  constructor(db: SqliteDatabase) {
    this.statements = new StatementCache(db);
  }
}
