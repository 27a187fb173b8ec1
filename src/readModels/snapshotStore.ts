import { createHash } from 'node:crypto';
import { SNAPSHOT_SCHEMA_VERSION, type Snapshot, type SnapshotStore } from '../application/snapshots';
import type { JsonValue } from '../eventStore/json';
import { StatementCache, type SqliteDatabase } from '../sqlite/database';

interface SnapshotRow {
  readonly revision: bigint;
  readonly event_hash: string;
  readonly max_occurred_at: bigint;
  readonly state: string;
  readonly checksum: string;
}

/** A damaged row is dropped and the next older one tried, at most this many times per lookup. */
const MAX_DAMAGED_PER_LOOKUP = 8;

/**
 * Snapshots of folded streams in the read-model database (`stream_snapshots`, see
 * src/application/snapshots.ts for what they are and when they apply). Like the read models they are
 * derived and rebuildable; unlike them they are checked on every use: each row carries a SHA-256 over
 * everything it says, so a damaged row is dropped rather than believed, and rows of another
 * `SNAPSHOT_SCHEMA_VERSION` are never returned (they are dropped when their stream is next read).
 *
 * Usage: attachSnapshots(store, new SqliteSnapshotStore(readModels, 100));
 */
export class SqliteSnapshotStore implements SnapshotStore {
  private readonly statements: StatementCache;
  private readonly saveAll: (snapshots: readonly Snapshot[]) => void;

  constructor(
    db: SqliteDatabase,
    readonly interval: number,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    if (!Number.isSafeInteger(interval) || interval < 1) throw new Error(`snapshot interval: expected a positive integer, got ${interval}`);
    this.statements = new StatementCache(db);
    this.saveAll = db.transaction((snapshots: readonly Snapshot[]) => {
      const insert = this.statements.get(
        `INSERT INTO stream_snapshots (stream, kind, revision, schema_version, event_hash, max_occurred_at, state, checksum)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (stream, kind, revision) DO UPDATE SET schema_version = excluded.schema_version,
           event_hash = excluded.event_hash, max_occurred_at = excluded.max_occurred_at, state = excluded.state,
           checksum = excluded.checksum`,
      );
      for (const snapshot of snapshots) {
        const state = JSON.stringify(snapshot.state);
        const row = { ...snapshot, schemaVersion: SNAPSHOT_SCHEMA_VERSION };
        insert.run(
          snapshot.stream,
          snapshot.kind,
          snapshot.revision,
          SNAPSHOT_SCHEMA_VERSION,
          snapshot.eventHash,
          snapshot.maxOccurredAt,
          state,
          snapshotChecksum(row, state),
        );
      }
    });
  }

  newest(stream: string, kind: string, occurredBy?: number): Snapshot | undefined {
    try {
      return this.findNewest(stream, kind, occurredBy);
    } catch (error) {
      this.onError(error);
      return undefined;
    }
  }

  private findNewest(stream: string, kind: string, occurredBy: number | undefined): Snapshot | undefined {
    const select =
      occurredBy === undefined
        ? this.statements.get(
            `SELECT revision, event_hash, max_occurred_at, state, checksum FROM stream_snapshots
             WHERE stream = ? AND kind = ? ORDER BY revision DESC LIMIT 1`,
          )
        : this.statements.get(
            `SELECT revision, event_hash, max_occurred_at, state, checksum FROM stream_snapshots
             WHERE stream = ? AND kind = ? AND max_occurred_at <= ? ORDER BY max_occurred_at DESC, revision DESC LIMIT 1`,
          );
    for (let attempt = 0; attempt < MAX_DAMAGED_PER_LOOKUP; attempt++) {
      const params = occurredBy === undefined ? [stream, kind] : [stream, kind, Math.floor(occurredBy)];
      const row = select.safeIntegers(true).get(...params) as SnapshotRow | undefined;
      if (!row) return undefined;
      const snapshot = this.sound(stream, kind, row);
      if (snapshot) return snapshot;
      // Damaged, or of another schema version: never believed, dropped so the next lookup doesn't meet it.
      this.statements.get(`DELETE FROM stream_snapshots WHERE stream = ? AND kind = ? AND revision = ?`).run(stream, kind, row.revision);
    }
    return undefined;
  }

  private sound(stream: string, kind: string, row: SnapshotRow): Snapshot | undefined {
    const maxOccurredAt = Number(row.max_occurred_at);
    const claimed = { stream, kind, revision: row.revision, eventHash: row.event_hash, maxOccurredAt };
    // The schema version is inside the checksum: a row of another version can't pass as this one's.
    if (snapshotChecksum({ ...claimed, schemaVersion: SNAPSHOT_SCHEMA_VERSION }, row.state) !== row.checksum) return undefined;
    let state: JsonValue;
    try {
      state = JSON.parse(row.state) as JsonValue;
    } catch {
      return undefined;
    }
    return { ...claimed, state };
  }

  save(snapshots: readonly Snapshot[]): void {
    if (snapshots.length === 0) return;
    try {
      this.saveAll(snapshots);
    } catch (error) {
      // A cache that can't be written (disk full, read-only) only makes the next load slower.
      this.onError(error);
    }
  }

  discard(stream: string, kind: string): void {
    try {
      this.statements.get(`DELETE FROM stream_snapshots WHERE stream = ? AND kind = ?`).run(stream, kind);
    } catch (error) {
      this.onError(error);
    }
  }
}

/** SHA-256 over everything a row says, its schema version included. */
export function snapshotChecksum(
  row: Pick<Snapshot, 'stream' | 'kind' | 'revision' | 'eventHash' | 'maxOccurredAt'> & { schemaVersion: number },
  state: string,
): string {
  return createHash('sha256')
    .update(JSON.stringify([row.schemaVersion, row.stream, row.kind, row.revision.toString(), row.eventHash, row.maxOccurredAt, state]))
    .digest('hex');
}
