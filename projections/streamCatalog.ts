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
    const row =
      db.batch?.get<StreamRow>(key) ??
      db.get<StreamRow>(
        'SELECT stream, category, revision, event_count, last_event_type, first_recorded, last_recorded FROM rm_streams WHERE stream = ?',
        event.stream,
      );
    // The revision guard keeps a replayed event from counting twice.
    if (row && BigInt(row.revision) >= event.revision) return;
    const recorded = event.recordedAt.toISOString();
    const dash = event.stream.indexOf('-');
    const next: StreamRow = row
      ? { ...row, revision: event.revision, event_count: Number(row.event_count) + 1, last_event_type: event.type, last_recorded: recorded }
      : {
          stream: event.stream,
          category: dash > 0 ? event.stream.slice(0, dash) : event.stream,
          revision: event.revision,
          event_count: 1,
          last_event_type: event.type,
          first_recorded: recorded,
          last_recorded: recorded,
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
        value.last_recorded,
      ),
    );
  },
};

interface StreamRow {
  readonly stream: string;
  readonly category: string;
  readonly revision: number | bigint;
  readonly event_count: number | bigint;
  readonly last_event_type: string;
  readonly first_recorded: string;
  readonly last_recorded: string;
}
