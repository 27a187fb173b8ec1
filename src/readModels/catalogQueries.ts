import { StatementCache, type SqliteDatabase } from '../sqlite/database';

/** Reads of the catalog read models (tables written by projections/catalog.ts). */
export class CatalogQueries {
  private readonly statements: StatementCache;
  constructor(db: SqliteDatabase) {
    this.statements = new StatementCache(db);
  }
}
