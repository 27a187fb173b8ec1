import { serverTemplateDecider } from '../src/domain/serverTemplates/serverTemplate';
import { contentPins } from '../src/domain/serverTemplates/pins';
import {
  SERVER_TEMPLATE_EVENT_TYPES,
  SERVER_TEMPLATE_STREAM_PREFIX,
  type ServerTemplateContent,
  type ServerTemplateEvent,
  type ServerTemplateState,
} from '../src/domain/serverTemplates/serverTemplate.types';
import { applyToHead, headTableSchema, insertSnapshot, snapshotTableSchema, type HeadTable, type SnapshotTable } from './componentTables';
import type { Projection, ReadModelWriter } from './projection';

/*
 * ServerTemplates as the API reads them, written from the `template-<id>` streams:
 *
 * - `rm_templates` (head rows) and `rm_template_revisions` (revision snapshots): the tables every
 *   component kind keeps (componentTables.ts); a snapshot also holds the HEAD dependencies its commit
 *   resolved.
 * - `rm_template_pins`: what each template pins, one row per attached MCI or bound RightScript, for
 *   HEAD (`template_revision` 0, rewritten by every event that can change them) and for every
 *   committed revision (written once). It answers "who uses this component" (usedBy, IN_USE), the
 *   supported clouds and the `cloudId` filter, joined with the MCI read models. A revision's pins are
 *   replaced as a whole, never added to, so a replay leaves them as they were.
 */

export const SERVER_TEMPLATE_TABLES = ['rm_templates', 'rm_template_revisions', 'rm_template_pins'] as const;

/** Pins of HEAD carry this template revision. */
const HEAD_PINS = 0;

const HEADS: HeadTable<ServerTemplateState, ServerTemplateEvent> = {
  table: 'rm_templates',
  streamPrefix: SERVER_TEMPLATE_STREAM_PREFIX,
  decider: serverTemplateDecider,
};
const SNAPSHOTS: SnapshotTable = {
  table: 'rm_template_revisions',
  componentColumn: 'template_id',
  kindColumns: ['dependencies TEXT NOT NULL'],
};

/** Replaces the pins of one template revision (0: HEAD) with those of `content` (none: it has none). */
function writePins(
  db: ReadModelWriter,
  id: string,
  accountId: string,
  templateRevision: number,
  content: ServerTemplateContent | undefined,
): void {
  db.run('DELETE FROM rm_template_pins WHERE template_id = ? AND template_revision = ?', id, templateRevision);
  for (const pin of content ? contentPins(content) : []) {
    db.run(
      `INSERT INTO rm_template_pins (template_id, account_id, template_revision, kind, component_id, component_revision, sequence, position, is_default)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      accountId,
      templateRevision,
      pin.kind,
      pin.componentId,
      pin.componentRevision,
      pin.sequence,
      pin.position,
      pin.isDefault ? 1 : 0,
    );
  }
}

/** Whether an event can change what HEAD pins: a rename or a commit leaves HEAD's pins as they are. */
function changesHeadPins(event: ServerTemplateEvent): boolean {
  switch (event.type) {
    // A merge's pin changes come as their own events; MergeApplied itself changes no pins.
    case 'ServerTemplateUpdated':
    case 'RevisionCommitted':
    case 'MergeApplied':
      return false;
    case 'ServerTemplateCreated':
    case 'ComponentCloned':
    case 'ComponentImported':
    case 'TemplateMultiCloudImageAdded':
    case 'TemplateMultiCloudImageRemoved':
    case 'DefaultMultiCloudImageChanged':
    case 'TemplateMultiCloudImageRepinned':
    case 'RightScriptBound':
    case 'RightScriptUnbound':
    case 'RightScriptRepinned':
    case 'ComponentDeleted':
      return true;
    default: {
      const unknown: never = event;
      throw new Error(`unknown ServerTemplate event ${JSON.stringify(unknown)}`);
    }
  }
}

export const serverTemplatesProjection: Projection = {
  name: 'serverTemplates',
  // 2: the placeholder (1) wrote nothing; a store that ran it rebuilds these tables from the log.
  version: 2,
  handles: SERVER_TEMPLATE_EVENT_TYPES,
  tables: SERVER_TEMPLATE_TABLES,
  schema: [
    ...headTableSchema(HEADS.table),
    snapshotTableSchema(SNAPSHOTS),
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
    const applied = applyToHead(HEADS, event, db);
    if (!applied) return;
    const { id, event: domainEvent, state } = applied;
    const head = state.status === 'active' ? state.head : undefined;
    // HEAD's pins follow every event that can change them (a deleted template pins nothing); its
    // revisions' pins stay, and the reads ignore the pins of deleted templates.
    if (changesHeadPins(domainEvent)) writePins(db, id, state.accountId, HEAD_PINS, head);
    if (domainEvent.type === 'RevisionCommitted' && state.status === 'active') {
      const frozen = state.lastCommitted ?? state.head;
      insertSnapshot(db, SNAPSHOTS, id, domainEvent.data, frozen, { dependencies: JSON.stringify(domainEvent.data.dependencies ?? []) });
      writePins(db, id, state.accountId, domainEvent.data.revision, frozen);
    }
  },
};
