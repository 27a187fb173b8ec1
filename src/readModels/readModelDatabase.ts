import { openDatabase, type SqliteDatabase } from '../sqlite/database';

/**
 * The runner's own tables in the read-model database. Projection tables are not migrated: a
 * projection whose schema changes bumps its version and is rebuilt from the log.
 */
const READ_MODEL_MIGRATIONS: readonly string[] = [
  `CREATE TABLE projection_checkpoints (
     name             TEXT PRIMARY KEY,
     version          INTEGER NOT NULL,
     commit_position  INTEGER,
     prepare_position INTEGER,
     updated_at       INTEGER NOT NULL
   ) STRICT`,
  // 2: snapshots of folded streams (src/application/snapshots.ts): a cache of the log, checked against
  // it on every use. The second index finds the newest snapshot at or before an instant (time travel).
  `CREATE TABLE stream_snapshots (
     stream          TEXT    NOT NULL,
     kind            TEXT    NOT NULL,
     revision        INTEGER NOT NULL,
     schema_version  INTEGER NOT NULL,
     event_hash      TEXT    NOT NULL,
     max_occurred_at INTEGER NOT NULL,
     state           TEXT    NOT NULL,
     checksum        TEXT    NOT NULL,
     PRIMARY KEY (stream, kind, revision)
   ) STRICT;
   CREATE INDEX stream_snapshots_occurred ON stream_snapshots (stream, kind, max_occurred_at, revision);`,
];

/**
 * Opens the SQLite file that holds the read models and the projections' checkpoints. `NORMAL` is
 * enough here: read models can always be rebuilt from the log, and checkpoints commit with the rows
 * they describe, so a lost tail is re-applied on restart, never half-applied.
 */
export function openReadModelDatabase(path: string): SqliteDatabase {
  return openDatabase(path, { synchronous: 'NORMAL', migrations: READ_MODEL_MIGRATIONS, label: 'read-model database' });
}
