/**
 * Versioned schema of the embedded event store (see `migrate` in src/sqlite/database.ts).
 */
export const EVENT_STORE_MIGRATIONS: readonly string[] = [
  // 1: the log. `position` is the rowid; AUTOINCREMENT so a position is never reused, even after the
  // newest row is deleted, which keeps cursors meaningful and makes removed rows visible as gaps.
  `CREATE TABLE events (
     position    INTEGER PRIMARY KEY AUTOINCREMENT,
     stream      TEXT    NOT NULL,
     revision    INTEGER NOT NULL,
     id          TEXT    NOT NULL,
     type        TEXT    NOT NULL,
     data        TEXT    NOT NULL,
     metadata    TEXT    NOT NULL,
     prev_hash   TEXT,
     hash        TEXT    NOT NULL,
     recorded_at INTEGER NOT NULL,
     UNIQUE (stream, revision)
   ) STRICT`,
];
