import {
  RIGHT_SCRIPT_EVENT_TYPES,
  RIGHT_SCRIPT_STREAM_PREFIX,
  rightScriptDecider,
  type RightScriptEvent,
  type RightScriptState,
} from '../src/domain/rightScripts/rightScript';
import { multiCloudImageSortKey } from './multiCloudImages';
import type { Projection } from './projection';

/*
 * RightScripts as the API reads them, written from the `rightscript-<id>` streams:
 *
 * - `rm_right_scripts`: one head row per script (deleted ones stay, flagged) with the folded state as
 *   JSON, so the next event is applied with the domain's own `evolve`; HEAD's source and inputs are
 *   read out of it with `json_extract`, so a page that doesn't ask for a 256 KiB source never parses it.
 * - `rm_right_script_revisions`: a snapshot per committed revision (its content as JSON, message,
 *   author, time, hash), so a revision is served or diffed without replaying its stream.
 *
 * Idempotent under replay: the head row remembers the stream revision of the last event applied, and
 * an event at or below it is skipped; snapshots are insert-once.
 */

export const RIGHT_SCRIPT_TABLES = ['rm_right_scripts', 'rm_right_script_revisions'] as const;

/** The list order: the log position of the script's first event (the same fixed-width key as MCIs). */
export const rightScriptSortKey = multiCloudImageSortKey;

interface HeadRow {
  readonly version: number | bigint;
  readonly state: string;
}

export const rightScriptsProjection: Projection = {
  name: 'rightScripts',
  version: 1,
  handles: RIGHT_SCRIPT_EVENT_TYPES,
  tables: RIGHT_SCRIPT_TABLES,
  schema: [
    `CREATE TABLE IF NOT EXISTS rm_right_scripts (
       id                   TEXT PRIMARY KEY,
       account_id           TEXT NOT NULL,
       name                 TEXT NOT NULL,
       description          TEXT NOT NULL,
       version              INTEGER NOT NULL,
       lineage              TEXT NOT NULL,
       cloned_from_id       TEXT,
       cloned_from_revision INTEGER,
       latest_revision      INTEGER NOT NULL,
       deleted              INTEGER NOT NULL,
       sort_key             TEXT NOT NULL,
       created_at           TEXT NOT NULL,
       updated_at           TEXT NOT NULL,
       state                TEXT NOT NULL
     )`,
    `CREATE INDEX IF NOT EXISTS rm_right_scripts_account ON rm_right_scripts (account_id, deleted, sort_key)`,
    `CREATE TABLE IF NOT EXISTS rm_right_script_revisions (
       right_script_id TEXT NOT NULL,
       revision        INTEGER NOT NULL,
       message         TEXT NOT NULL,
       committed_at    TEXT NOT NULL,
       committed_by    TEXT NOT NULL,
       content_hash    TEXT NOT NULL,
       content         TEXT NOT NULL,
       PRIMARY KEY (right_script_id, revision)
     )`,
  ],
  apply(event, db) {
    // `RevisionCommitted`, `ComponentCloned` and `ComponentDeleted` are shared with other kinds.
    if (!event.stream.startsWith(RIGHT_SCRIPT_STREAM_PREFIX)) return;
    const id = event.stream.slice(RIGHT_SCRIPT_STREAM_PREFIX.length);
    const row = db.get<HeadRow>('SELECT version, state FROM rm_right_scripts WHERE id = ?', id);
    if (row && BigInt(row.version) >= event.revision) return;
    // The decider wrote these events and the hash chain guards them: their shape is trusted here.
    const domainEvent = { type: event.type, data: event.data } as RightScriptEvent;
    const before: RightScriptState = row ? (JSON.parse(row.state) as RightScriptState) : rightScriptDecider.initialState();
    const state = rightScriptDecider.evolve(before, domainEvent);
    if (state.status === 'empty') return;
    const at = typeof event.metadata.occurredAt === 'string' ? event.metadata.occurredAt : event.recordedAt.toISOString();
    const head = state.status === 'active' ? state.head : undefined;
    db.run(
      `INSERT INTO rm_right_scripts (id, account_id, name, description, version, lineage, cloned_from_id, cloned_from_revision,
                                     latest_revision, deleted, sort_key, created_at, updated_at, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET
         name = CASE WHEN excluded.deleted = 1 THEN rm_right_scripts.name ELSE excluded.name END,
         description = CASE WHEN excluded.deleted = 1 THEN rm_right_scripts.description ELSE excluded.description END,
         version = excluded.version,
         latest_revision = excluded.latest_revision,
         deleted = excluded.deleted,
         updated_at = excluded.updated_at,
         state = excluded.state`,
      id,
      state.accountId,
      head?.name ?? '',
      head?.description ?? '',
      event.revision,
      state.lineage,
      state.clonedFrom?.id ?? null,
      state.clonedFrom?.revision ?? null,
      state.latestRevision,
      state.status === 'deleted' ? 1 : 0,
      rightScriptSortKey(event.position),
      at,
      at,
      JSON.stringify(state),
    );
    if (domainEvent.type === 'RevisionCommitted' && head) {
      const { revision, message, committedAt, committedBy, contentHash } = domainEvent.data;
      db.run(
        `INSERT INTO rm_right_script_revisions (right_script_id, revision, message, committed_at, committed_by, content_hash, content)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (right_script_id, revision) DO NOTHING`,
        id,
        revision,
        message,
        committedAt,
        committedBy,
        contentHash,
        JSON.stringify(head),
      );
    }
  },
};
