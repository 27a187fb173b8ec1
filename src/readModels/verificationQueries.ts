import type { LogPosition } from '../eventStore/port';
import { StatementCache, type SqliteDatabase } from '../sqlite/database';
import type { QueryRecorder } from './queryRecorder';

/** A stream as the stream catalog (`rm_streams`) recorded it. */
export interface RecordedStreamTally {
  readonly revision: bigint;
  readonly eventCount: bigint;
}

export interface ProjectionCheckpoint {
  readonly name: string;
  readonly version: number;
  readonly position: LogPosition | undefined;
}

/**
 * What the read models remember about the log, for tamper checks: each stream's newest revision and
 * event count (projections/streamCatalog.ts) and how far each projection applied the log. A removed
 * newest event leaves no hole in its stream's chain, but the read models still count it.
 */
export class VerificationQueries {
  private readonly statements: StatementCache;

  constructor(
    db: SqliteDatabase,
    private readonly recorder: QueryRecorder,
  ) {
    this.statements = new StatementCache(db);
  }

  /** `undefined` when the stream catalog has no row for it (or no table yet). */
  streamTally(stream: string): RecordedStreamTally | undefined {
    this.recorder.record('verification.streamTally');
    if (!this.hasTable('rm_streams')) return undefined;
    const row = this.statements.get(`SELECT revision, event_count FROM rm_streams WHERE stream = ?`).safeIntegers(true).get(stream) as
      { revision: bigint; event_count: bigint } | undefined;
    return row && { revision: row.revision, eventCount: row.event_count };
  }

  /** Every stream the catalog knows; `undefined` when there is no catalog. */
  streamTallies(): Map<string, RecordedStreamTally> | undefined {
    this.recorder.record('verification.streamTallies');
    if (!this.hasTable('rm_streams')) return undefined;
    const tallies = new Map<string, RecordedStreamTally>();
    const rows = this.statements.get(`SELECT stream, revision, event_count FROM rm_streams`).safeIntegers(true).iterate() as Iterable<{
      stream: string;
      revision: bigint;
      event_count: bigint;
    }>;
    for (const row of rows) tallies.set(row.stream, { revision: row.revision, eventCount: row.event_count });
    return tallies;
  }

  checkpoints(): ProjectionCheckpoint[] {
    this.recorder.record('verification.checkpoints');
    const rows = this.statements
      .get(`SELECT name, version, commit_position, prepare_position FROM projection_checkpoints ORDER BY name`)
      .safeIntegers(true)
      .all() as Array<{ name: string; version: bigint; commit_position: bigint | null; prepare_position: bigint | null }>;
    return rows.map((row) => ({
      name: row.name,
      version: Number(row.version),
      position:
        row.commit_position === null || row.prepare_position === null
          ? undefined
          : { commit: row.commit_position, prepare: row.prepare_position },
    }));
  }

  private hasTable(name: string): boolean {
    return this.statements.get(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined;
  }
}
