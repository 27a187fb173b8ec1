import type { ComponentImportedOf } from '../src/domain/versionControl/versioned';
import type { Projection } from './projection';

/*
 * Imports as the API and the merge read them, written from the component streams' `ComponentImported`
 * and `ComponentDeleted` events (every kind's stream: the events name their kind):
 *
 * - `rm_imports`: one row per imported component, with its origin (publication, publisher, component,
 *   revision, lineage). It answers which of the account's components import a published lineage, in
 *   one read for the merge's ancestry walk. A deleted copy stays, flagged: it is still an ancestor.
 *   (Whether the account already has a copy of a revision is not read here: an import finds its copy
 *   by the id derived from the origin, src/application/imports.ts, with no read model to lag.)
 *
 * Idempotent under replay: a row remembers the stream revision of the last event applied to it, and
 * an event at or below it is skipped.
 */

export const IMPORT_TABLES = ['rm_imports'] as const;

const IMPORT_EVENT_TYPES = ['ComponentImported', 'ComponentDeleted'] as const;

type ImportEvent =
  | { type: 'ComponentImported'; data: ComponentImportedOf<string, unknown> }
  | { type: 'ComponentDeleted'; data: { kind: string; componentId: string } };

export const importsProjection: Projection = {
  name: 'imports',
  version: 1,
  handles: IMPORT_EVENT_TYPES,
  tables: IMPORT_TABLES,
  schema: [
    `CREATE TABLE IF NOT EXISTS rm_imports (
       component_id         TEXT PRIMARY KEY,
       kind                 TEXT NOT NULL,
       account_id           TEXT NOT NULL,
       publication_id       TEXT NOT NULL,
       publisher_account_id TEXT NOT NULL,
       origin_component_id  TEXT NOT NULL,
       origin_revision      INTEGER NOT NULL,
       origin_lineage       TEXT NOT NULL,
       deleted              INTEGER NOT NULL,
       version              INTEGER NOT NULL
     )`,
    `CREATE INDEX IF NOT EXISTS rm_imports_lineage ON rm_imports (account_id, origin_lineage)`,
  ],
  apply(event, db) {
    // The deciders wrote these events and the hash chain guards them: their shape is trusted here.
    const domainEvent = { type: event.type, data: event.data } as ImportEvent;
    switch (domainEvent.type) {
      case 'ComponentImported': {
        const { kind, componentId, accountId, origin } = domainEvent.data;
        db.run(
          `INSERT INTO rm_imports (component_id, kind, account_id, publication_id, publisher_account_id, origin_component_id,
                                   origin_revision, origin_lineage, deleted, version)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)
           ON CONFLICT (component_id) DO NOTHING`,
          componentId,
          kind,
          accountId,
          origin.publicationId,
          origin.publisherAccountId,
          origin.componentId,
          origin.revision,
          origin.lineage,
          event.revision,
        );
        return;
      }
      case 'ComponentDeleted':
        // Only imports have a row: the deletion of any other component changes nothing here.
        db.run(
          'UPDATE rm_imports SET deleted = 1, version = ? WHERE component_id = ? AND kind = ? AND version < ?',
          event.revision,
          domainEvent.data.componentId,
          domainEvent.data.kind,
          event.revision,
        );
        return;
      default: {
        const unknown: never = domainEvent;
        throw new Error(`unknown import event ${JSON.stringify(unknown)}`);
      }
    }
  },
};
