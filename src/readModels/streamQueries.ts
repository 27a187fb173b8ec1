import { StatementCache, type SqliteDatabase } from '../sqlite/database';
import type { QueryRecorder } from './queryRecorder';

/** Reads of `rm_streams` (projections/streamCatalog.ts): which streams exist, without touching the event store. */
export class StreamQueries {
  private readonly statements: StatementCache;

  constructor(
    db: SqliteDatabase,
    private readonly recorder: QueryRecorder,
  ) {
    this.statements = new StatementCache(db);
  }

  /** Which of these stream names have events, in the order given. */
  existing(streams: readonly string[]): string[] {
    this.recorder.record('streams.existing');
    if (streams.length === 0) return [];
    const placeholders = streams.map(() => '?').join(', ');
    const rows = this.statements.get(`SELECT stream FROM rm_streams WHERE stream IN (${placeholders})`).all(...streams) as Array<{
      stream: string;
    }>;
    const found = new Set(rows.map((row) => row.stream));
    return streams.filter((stream) => found.has(stream));
  }
}
