import { deferWrite, type Projection } from './projection';

/**
 * Every stream in the log with its category, newest revision and event count: what the readiness check,
 * the CLI and the history views list without touching the event store.
 */
export const streamCatalog: Projection = {
  name: 'streamCatalog',
  version: 1,
  handles: 'all',
  tables: ['rm_streams'],
  schema: [
    `CREATE TABLE IF NOT EXISTS rm_streams (
       stream          TEXT PRIMARY KEY,
       category        TEXT NOT NULL,
       revision        INTEGER NOT NULL,
       event_count     INTEGER NOT NULL,
       last_event_type TEXT NOT NULL,
       first_recorded  TEXT NOT NULL,
       last_recorded   TEXT NOT NULL
     )`,
    `CREATE INDEX IF NOT EXISTS rm_streams_category ON rm_streams (category, stream)`,
  ],
  apply(event, db) {
    const key = `rm_streams:${event.stream}`;
    const pending = db.batch?.get<PendingStream>(key);
    if (pending) {
      // Already folded in this batch: counted in place, the deferred write takes the newest values.
      // The revision guard keeps a replayed event from counting twice.
      if (pending.revision >= event.revision) return;
      pending.revision = event.revision;
      pending.event_count += 1;
      pending.last_event_type = event.type;
      pending.lastRecordedAt = event.recordedAt;
      return;
    }
    const row = db.get<StreamRow>(
      'SELECT stream, category, revision, event_count, last_event_type, first_recorded, last_recorded FROM rm_streams WHERE stream = ?',
      event.stream,
    );
    if (row && BigInt(row.revision) >= event.revision) return;
    const dash = event.stream.indexOf('-');
    const next: PendingStream = {
      stream: event.stream,
      category: row ? row.category : dash > 0 ? event.stream.slice(0, dash) : event.stream,
      revision: event.revision,
      event_count: row ? Number(row.event_count) + 1 : 1,
      last_event_type: event.type,
      first_recorded: row ? row.first_recorded : event.recordedAt.toISOString(),
      lastRecordedAt: event.recordedAt,
    };
    // Within a batch a stream's row is counted in memory and written once.
    deferWrite(db, key, next, (value) =>
      db.run(
        `INSERT INTO rm_streams (stream, category, revision, event_count, last_event_type, first_recorded, last_recorded)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (stream) DO UPDATE SET revision = excluded.revision, event_count = excluded.event_count,
           last_event_type = excluded.last_event_type, last_recorded = excluded.last_recorded`,
        value.stream,
        value.category,
        value.revision,
        value.event_count,
        value.last_event_type,
        value.first_recorded,
        // Formatted once per write, not once per event.
        value.lastRecordedAt.toISOString(),
      ),
    );
  },
};

/** A stream's row while a batch folds it (mutable: only the batch memory holds it). */
interface PendingStream {
  readonly stream: string;
  readonly category: string;
  revision: bigint;
  event_count: number;
  last_event_type: string;
  readonly first_recorded: string;
  lastRecordedAt: Date;
}

interface StreamRow {
  readonly stream: string;
  readonly category: string;
  readonly revision: number | bigint;
  readonly event_count: number | bigint;
  readonly last_event_type: string;
  readonly first_recorded: string;
  readonly last_recorded: string;
}
