import type { Projection } from './projection';

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
    const dash = event.stream.indexOf('-');
    const category = dash > 0 ? event.stream.slice(0, dash) : event.stream;
    const recorded = event.recordedAt.toISOString();
    // The revision guard keeps a replayed event from counting twice.
    db.run(
      `INSERT INTO rm_streams (stream, category, revision, event_count, last_event_type, first_recorded, last_recorded)
       VALUES (?, ?, ?, 1, ?, ?, ?)
       ON CONFLICT (stream) DO UPDATE SET
         revision = excluded.revision,
         event_count = event_count + 1,
         last_event_type = excluded.last_event_type,
         last_recorded = excluded.last_recorded
       WHERE excluded.revision > rm_streams.revision`,
      event.stream,
      category,
      event.revision,
      event.type,
      recorded,
      recorded,
    );
  },
};
