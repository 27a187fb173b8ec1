import { ACCOUNT_GROUP_EVENT_TYPES, ACCOUNT_GROUP_STREAM_PREFIX, type AccountGroupEvent } from '../src/domain/marketplace/accountGroup';
import {
  PUBLICATION_EVENT_TYPES,
  PUBLICATION_STREAM_PREFIX,
  type PublicationEvent,
  type PublicationRecord,
} from '../src/domain/marketplace/publication';
import type { RecordedEvent } from '../src/eventStore/port';
import { componentSortKey } from './componentTables';
import type { Projection, ReadModelWriter } from './projection';

/*
 * The marketplace as the API reads it, written from the `publication-<id>` and `group-<id>` streams:
 *
 * - `rm_publications`: one row per publication (never deleted; `deprecated` flips once), listed in
 *   the order they were published; `lineage` + `revision` answer "the newest non-deprecated revision";
 * - `rm_publication_groups`: which groups a GROUPS publication is shared with;
 * - `rm_account_groups`, `rm_account_group_members`, `rm_account_group_invitations` (pending ones,
 *   without their code's hash: acceptance folds the group's own stream, so the hash has no business
 *   in a read model).
 *
 * Who may see a publication (PUBLIC, the publisher's own, or shared with a group the account owns or
 * belongs to) is a join over these tables, so it follows membership as it changes.
 *
 * Idempotent under replay: each row remembers the stream revision of the last event applied to it, and
 * an event at or below it is skipped.
 */

export const MARKETPLACE_TABLES = [
  'rm_publications',
  'rm_publication_groups',
  'rm_account_groups',
  'rm_account_group_members',
  'rm_account_group_invitations',
] as const;

function insertPublication(db: ReadModelWriter, event: RecordedEvent, record: PublicationRecord, dependencies: readonly unknown[]): void {
  db.run(
    `INSERT INTO rm_publications (id, kind, component_id, revision, lineage, publisher_account_id, visibility, short_description,
                                  long_description, categories, published_at, published_with, dependencies, deprecated, deprecated_at,
                                  version, sort_key)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, ?, ?)
     ON CONFLICT (id) DO NOTHING`,
    record.publicationId,
    record.kind,
    record.componentId,
    record.revision,
    record.lineage,
    record.publisherAccountId,
    record.visibility,
    record.shortDescription,
    record.longDescription,
    JSON.stringify(record.categories),
    record.publishedAt,
    record.publishedWith,
    JSON.stringify(dependencies),
    event.revision,
    componentSortKey(event.position),
  );
  for (const groupId of record.accountGroupIds) {
    db.run(
      'INSERT INTO rm_publication_groups (publication_id, group_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
      record.publicationId,
      groupId,
    );
  }
}

function applyPublicationEvent(event: RecordedEvent, db: ReadModelWriter): void {
  const id = event.stream.slice(PUBLICATION_STREAM_PREFIX.length);
  const row = db.get<{ version: number | bigint }>('SELECT version FROM rm_publications WHERE id = ?', id);
  if (row && BigInt(row.version) >= event.revision) return;
  // The decider wrote these events and the hash chain guards them: their shape is trusted here.
  const domainEvent = { type: event.type, data: event.data } as PublicationEvent;
  switch (domainEvent.type) {
    case 'ComponentPublished':
      insertPublication(db, event, domainEvent.data, []);
      return;
    case 'TemplatePublished':
      insertPublication(db, event, domainEvent.data, domainEvent.data.dependencies);
      return;
    case 'PublicationDeprecated':
      db.run(
        'UPDATE rm_publications SET deprecated = 1, deprecated_at = ?, version = ? WHERE id = ?',
        domainEvent.data.deprecatedAt,
        event.revision,
        id,
      );
      return;
    default: {
      const unknown: never = domainEvent;
      throw new Error(`unknown publication event ${JSON.stringify(unknown)}`);
    }
  }
}

function applyGroupEvent(event: RecordedEvent, db: ReadModelWriter): void {
  const id = event.stream.slice(ACCOUNT_GROUP_STREAM_PREFIX.length);
  const row = db.get<{ version: number | bigint }>('SELECT version FROM rm_account_groups WHERE id = ?', id);
  if (row && BigInt(row.version) >= event.revision) return;
  const domainEvent = { type: event.type, data: event.data } as AccountGroupEvent;
  switch (domainEvent.type) {
    case 'AccountGroupCreated': {
      const { ownerAccountId, name, createdAt } = domainEvent.data;
      db.run(
        `INSERT INTO rm_account_groups (id, owner_account_id, name, created_at, version, sort_key) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING`,
        id,
        ownerAccountId,
        name,
        createdAt,
        event.revision,
        componentSortKey(event.position),
      );
      return;
    }
    case 'AccountInvited': {
      if (!row) return;
      const { invitationId, accountId, invitedAt } = domainEvent.data;
      // Inviting an account again replaces its earlier (still pending) invitation.
      db.run(
        `INSERT INTO rm_account_group_invitations (group_id, account_id, invitation_id, invited_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (group_id, account_id) DO UPDATE SET invitation_id = excluded.invitation_id, invited_at = excluded.invited_at`,
        id,
        accountId,
        invitationId,
        invitedAt,
      );
      db.run('UPDATE rm_account_groups SET version = ? WHERE id = ?', event.revision, id);
      return;
    }
    case 'InvitationAccepted': {
      if (!row) return;
      const { accountId, acceptedAt } = domainEvent.data;
      db.run('DELETE FROM rm_account_group_invitations WHERE group_id = ? AND account_id = ?', id, accountId);
      db.run(
        'INSERT INTO rm_account_group_members (group_id, account_id, joined_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
        id,
        accountId,
        acceptedAt,
      );
      db.run('UPDATE rm_account_groups SET version = ? WHERE id = ?', event.revision, id);
      return;
    }
    default: {
      const unknown: never = domainEvent;
      throw new Error(`unknown account group event ${JSON.stringify(unknown)}`);
    }
  }
}

export const marketplaceProjection: Projection = {
  name: 'marketplace',
  version: 1,
  handles: [...PUBLICATION_EVENT_TYPES, ...ACCOUNT_GROUP_EVENT_TYPES],
  tables: MARKETPLACE_TABLES,
  schema: [
    `CREATE TABLE IF NOT EXISTS rm_publications (
       id                   TEXT PRIMARY KEY,
       kind                 TEXT NOT NULL,
       component_id         TEXT NOT NULL,
       revision             INTEGER NOT NULL,
       lineage              TEXT NOT NULL,
       publisher_account_id TEXT NOT NULL,
       visibility           TEXT NOT NULL,
       short_description    TEXT NOT NULL,
       long_description     TEXT NOT NULL,
       categories           TEXT NOT NULL,
       published_at         TEXT NOT NULL,
       published_with       TEXT,
       dependencies         TEXT NOT NULL,
       deprecated           INTEGER NOT NULL,
       deprecated_at        TEXT,
       version              INTEGER NOT NULL,
       sort_key             TEXT NOT NULL
     )`,
    `CREATE INDEX IF NOT EXISTS rm_publications_order ON rm_publications (sort_key)`,
    `CREATE INDEX IF NOT EXISTS rm_publications_lineage ON rm_publications (lineage, revision)`,
    `CREATE INDEX IF NOT EXISTS rm_publications_component ON rm_publications (component_id, revision)`,
    `CREATE INDEX IF NOT EXISTS rm_publications_publisher ON rm_publications (publisher_account_id, sort_key)`,
    `CREATE TABLE IF NOT EXISTS rm_publication_groups (
       publication_id TEXT NOT NULL,
       group_id       TEXT NOT NULL,
       PRIMARY KEY (publication_id, group_id)
     )`,
    `CREATE INDEX IF NOT EXISTS rm_publication_groups_group ON rm_publication_groups (group_id)`,
    `CREATE TABLE IF NOT EXISTS rm_account_groups (
       id               TEXT PRIMARY KEY,
       owner_account_id TEXT NOT NULL,
       name             TEXT NOT NULL,
       created_at       TEXT NOT NULL,
       version          INTEGER NOT NULL,
       sort_key         TEXT NOT NULL
     )`,
    `CREATE INDEX IF NOT EXISTS rm_account_groups_owner ON rm_account_groups (owner_account_id, sort_key)`,
    `CREATE TABLE IF NOT EXISTS rm_account_group_members (
       group_id   TEXT NOT NULL,
       account_id TEXT NOT NULL,
       joined_at  TEXT NOT NULL,
       PRIMARY KEY (group_id, account_id)
     )`,
    `CREATE INDEX IF NOT EXISTS rm_account_group_members_account ON rm_account_group_members (account_id, group_id)`,
    `CREATE TABLE IF NOT EXISTS rm_account_group_invitations (
       group_id      TEXT NOT NULL,
       account_id    TEXT NOT NULL,
       invitation_id TEXT NOT NULL,
       invited_at    TEXT NOT NULL,
       PRIMARY KEY (group_id, account_id)
     )`,
  ],
  apply(event, db) {
    if (event.stream.startsWith(PUBLICATION_STREAM_PREFIX)) applyPublicationEvent(event, db);
    else if (event.stream.startsWith(ACCOUNT_GROUP_STREAM_PREFIX)) applyGroupEvent(event, db);
  },
};
