import Database from 'better-sqlite3';

/*
 * SQLite plumbing shared by the embedded event store and the read models: the one module that opens
 * better-sqlite3 databases, so pragmas and migrations are done the same way everywhere.
 */

export type SqliteDatabase = Database.Database;
export type SqliteStatement = Database.Statement;
export type Synchronous = 'FULL' | 'NORMAL';
export type Transaction<F extends (...args: never[]) => unknown> = Database.Transaction<F>;

export interface OpenDatabaseOptions {
  /** `FULL`: a commit survives power loss. `NORMAL`: it survives a crash of the process. */
  readonly synchronous: Synchronous;
  /** Versioned schema: entry i is migration i+1. */
  readonly migrations: readonly string[];
  /** Names the database in errors. */
  readonly label: string;
}

/** Opens (creating when needed) a WAL-mode database at `path` (or `:memory:`) and migrates it. */
export function openDatabase(path: string, options: OpenDatabaseOptions): SqliteDatabase {
  if (options.synchronous !== 'FULL' && options.synchronous !== 'NORMAL') {
    throw new Error(`synchronous: expected FULL or NORMAL, got ${String(options.synchronous)}`);
  }
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous}`);
    // Another process (the CLI) may hold the write lock for a moment; wait rather than fail at once.
    db.pragma('busy_timeout = 5000');
    migrate(db, options.migrations, options.label);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * Applies the migrations not yet applied, each in its own transaction; `PRAGMA user_version` records
 * the last one. Never edit a released migration: add one.
 */
export function migrate(db: SqliteDatabase, migrations: readonly string[], label: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(`${label} schema is at version ${current}, newer than this build knows (${migrations.length}): run a newer release`);
  }
  for (let version = current + 1; version <= migrations.length; version++) {
    const sql = migrations[version - 1] as string;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version}`);
    }).immediate();
  }
}

/** Prepared statements by SQL text, so hot paths prepare once. */
export class StatementCache {
  private readonly statements = new Map<string, SqliteStatement>();
  constructor(private readonly db: SqliteDatabase) {}

  get(sql: string): SqliteStatement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
