import { serverTemplateDecider } from '../src/domain/serverTemplates/serverTemplate';
import {
  SEQUENCES,
  SERVER_TEMPLATE_EVENT_TYPES,
  SERVER_TEMPLATE_STREAM_PREFIX,
  type ServerTemplateContent,
  type ServerTemplateEvent,
  type ServerTemplateState,
} from '../src/domain/serverTemplates/serverTemplate.types';
import type { Projection, ReadModelWriter } from './projection';

/*
 * ServerTemplates as the API reads them, written from the `template-<id>` streams:
 *
 * - `rm_templates`: one head row per template (deleted ones stay, flagged) with the folded state as
 *   JSON, so the next event is applied with the domain's own `evolve`.
 * - `rm_template_revisions`: a snapshot per committed revision (content, message, author, time, hash,
 *   the HEAD dependencies it resolved), so a revision is served without replaying its stream.
 * - `rm_template_pins`: what each template pins, one row per attached MCI or bound RightScript, for
 *   HEAD (`template_revision` 0, rewritten on every event) and for every committed revision (written
 *   once). It answers "who uses this component" (usedBy, IN_USE), the supported clouds and the
 *   `cloudId` filter, joined with the MCI read models.
 *
 * Idempotent under replay: the head row remembers the stream revision of the last event applied and an
 * event at or below it is skipped; a revision's rows are replaced as a whole, never added to.
 */

export const SERVER_TEMPLATE_TABLES = ['rm_templates', 'rm_template_revisions', 'rm_template_pins'] as const;

/** Pins of HEAD carry this template revision. */
export const HEAD_PINS = 0;

/** The list order: the log position of the template's first event, fixed-width so it sorts as it compares. */
export function serverTemplateSortKey(position: { commit: bigint; prepare: bigint }): string {
  return `${position.commit.toString().padStart(20, '0')}.${position.prepare.toString().padStart(20, '0')}`;
}

interface HeadRow {
  readonly version: number | bigint;
  readonly state: string;
}

/** Replaces the pins of one template revision (0: HEAD) with those of `content` (none: it has none). */
function writePins(
  db: ReadModelWriter,
  id: string,
  accountId: string,
  templateRevision: number,
  content: ServerTemplateContent | undefined,
): void {
  db.run('DELETE FROM rm_template_pins WHERE template_id = ? AND template_revision = ?', id, templateRevision);
  if (!content) return;
  const insert = (
    kind: string,
    componentId: string,
    componentRevision: number,
    sequence: string | null,
    position: number,
    isDefault: boolean,
  ): void =>
    db.run(
      `INSERT INTO rm_template_pins (template_id, account_id, template_revision, kind, component_id, component_revision, sequence, position, is_default)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      accountId,
      templateRevision,
      kind,
      componentId,
      componentRevision,
      sequence,
      position,
      isDefault ? 1 : 0,
    );
  content.multiCloudImages.forEach((mci, index) =>
    insert(
      'MultiCloudImage',
      mci.multiCloudImageId,
      mci.revision,
      null,
      index + 1,
      mci.multiCloudImageId === content.defaultMultiCloudImageId,
    ),
  );
  for (const sequence of SEQUENCES) {
    content.rightScripts[sequence].forEach((binding, index) =>
      insert('RightScript', binding.rightScriptId, binding.revision, sequence, index + 1, false),
    );
  }
}

export const serverTemplatesProjection: Projection = {
  name: 'serverTemplates',
  // 2: the placeholder (1) wrote nothing; a store that ran it rebuilds these tables from the log.
  version: 2,
  handles: SERVER_TEMPLATE_EVENT_TYPES,
  tables: SERVER_TEMPLATE_TABLES,
  schema: [
    `CREATE TABLE IF NOT EXISTS rm_templates (
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
    `CREATE INDEX IF NOT EXISTS rm_templates_account ON rm_templates (account_id, deleted, sort_key)`,
    `CREATE TABLE IF NOT EXISTS rm_template_revisions (
       template_id  TEXT NOT NULL,
       revision     INTEGER NOT NULL,
       message      TEXT NOT NULL,
       committed_at TEXT NOT NULL,
       committed_by TEXT NOT NULL,
       content_hash TEXT NOT NULL,
       dependencies TEXT NOT NULL,
       content      TEXT NOT NULL,
       PRIMARY KEY (template_id, revision)
     )`,
    `CREATE TABLE IF NOT EXISTS rm_template_pins (
       template_id        TEXT NOT NULL,
       account_id         TEXT NOT NULL,
       template_revision  INTEGER NOT NULL,
       kind               TEXT NOT NULL,
       component_id       TEXT NOT NULL,
       component_revision INTEGER NOT NULL,
       sequence           TEXT,
       position           INTEGER NOT NULL,
       is_default         INTEGER NOT NULL
     )`,
    `CREATE INDEX IF NOT EXISTS rm_template_pins_template ON rm_template_pins (template_id, template_revision)`,
    `CREATE INDEX IF NOT EXISTS rm_template_pins_component ON rm_template_pins (account_id, kind, component_id)`,
  ],
  apply(event, db) {
    if (!event.stream.startsWith(SERVER_TEMPLATE_STREAM_PREFIX)) return;
    const id = event.stream.slice(SERVER_TEMPLATE_STREAM_PREFIX.length);
    const row = db.get<HeadRow>('SELECT version, state FROM rm_templates WHERE id = ?', id);
    if (row && BigInt(row.version) >= event.revision) return;
    // The decider wrote these events and the hash chain guards them: their shape is trusted here.
    const domainEvent = { type: event.type, data: event.data } as ServerTemplateEvent;
    const before: ServerTemplateState = row ? (JSON.parse(row.state) as ServerTemplateState) : serverTemplateDecider.initialState();
    const state = serverTemplateDecider.evolve(before, domainEvent);
    if (state.status === 'empty') return;
    const at = typeof event.metadata.occurredAt === 'string' ? event.metadata.occurredAt : event.recordedAt.toISOString();
    const head = state.status === 'active' ? state.head : undefined;
    db.run(
      `INSERT INTO rm_templates (id, account_id, name, description, version, lineage, cloned_from_id, cloned_from_revision,
                                 latest_revision, deleted, sort_key, created_at, updated_at, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET
         name = CASE WHEN excluded.deleted = 1 THEN rm_templates.name ELSE excluded.name END,
         description = CASE WHEN excluded.deleted = 1 THEN rm_templates.description ELSE excluded.description END,
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
      serverTemplateSortKey(event.position),
      at,
      at,
      JSON.stringify(state),
    );
    // HEAD's pins follow every event (a deleted template pins nothing); its revisions' pins stay, and
    // the reads ignore the pins of deleted templates.
    writePins(db, id, state.accountId, HEAD_PINS, head);
    if (domainEvent.type === 'RevisionCommitted' && state.status === 'active') {
      const { revision, message, committedAt, committedBy, contentHash, dependencies } = domainEvent.data;
      const frozen = state.lastCommitted ?? state.head;
      db.run(
        `INSERT INTO rm_template_revisions (template_id, revision, message, committed_at, committed_by, content_hash, dependencies, content)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (template_id, revision) DO NOTHING`,
        id,
        revision,
        message,
        committedAt,
        committedBy,
        contentHash,
        JSON.stringify(dependencies ?? []),
        JSON.stringify(frozen),
      );
      writePins(db, id, state.accountId, revision, frozen);
    }
  },
};
