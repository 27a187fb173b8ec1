import { StatementCache, type SqliteDatabase } from '../sqlite/database';
import type { QueryRecorder } from './queryRecorder';

/** Reads of its projection's tables. (Placeholder: filled in by the change that adds them.) */
export class ServerTemplateQueries {
  protected readonly statements: StatementCache;

  constructor(
    db: SqliteDatabase,
    protected readonly recorder: QueryRecorder,
  ) {
    this.statements = new StatementCache(db);
  }
}
