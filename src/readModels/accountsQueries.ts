import { StatementCache, type SqliteDatabase } from '../sqlite/database';

/** Reads of the accounts read models (tables written by projections/accounts.ts). */
export class AccountQueries {
  private readonly statements: StatementCache;
  constructor(db: SqliteDatabase) {
    this.statements = new StatementCache(db);
  }
}
