import {
  MULTI_CLOUD_IMAGE_EVENT_TYPES,
  MULTI_CLOUD_IMAGE_STREAM_PREFIX,
  multiCloudImageDecider,
  type MultiCloudImageEvent,
  type MultiCloudImageState,
} from '../src/domain/multiCloudImages/multiCloudImage';
import type { Projection, ReadModelWriter } from './projection';

/*
 * MultiCloud Images as the API reads them, written from the `mci-<id>` streams:
 *
 * - `rm_mcis`: one head row per MCI (deleted ones stay, flagged) with the folded state as JSON, so
 *   the next event is applied with the domain's own `evolve` and HEAD's content is one read away.
 * - `rm_mci_settings`: HEAD's settings, one row per (MCI, cloud): the `cloudId` filter and the
 *   batched `settings` loads read these.
 * - `rm_mci_revisions`: a snapshot per committed revision (its content as JSON, message, author,
 *   time, hash), so a revision is served without replaying its stream.
 *
 * Idempotent under replay: the head row remembers the stream revision of the last event applied, and
 * an event at or below it is skipped; snapshots are insert-once.
 */

export const MULTI_CLOUD_IMAGE_TABLES = ['rm_mcis', 'rm_mci_settings', 'rm_mci_revisions'] as const;

/**
 * The list order: the log position of the MCI's first event, as fixed-width text so that it sorts
 * as it compares and a cursor can carry it.
 */
export function multiCloudImageSortKey(position: { commit: bigint; prepare: bigint }): string {
  return `${position.commit.toString().padStart(20, '0')}.${position.prepare.toString().padStart(20, '0')}`;
}

interface HeadRow {
  readonly version: number | bigint;
  readonly state: string;
}

function writeSettings(db: ReadModelWriter, id: string, state: MultiCloudImageState): void {
  db.run('DELETE FROM rm_mci_settings WHERE mci_id = ?', id);
  if (state.status !== 'active') return;
  for (const setting of Object.values(state.head.settings)) {
    db.run(
      `INSERT INTO rm_mci_settings (mci_id, cloud_id, image_id, instance_type_id, kernel_image_id, ramdisk_image_id, user_data)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      id,
      setting.cloudId,
      setting.imageId,
      setting.instanceTypeId,
      setting.kernelImageId,
      setting.ramdiskImageId,
      setting.userData,
    );
  }
}

export const multiCloudImagesProjection: Projection = {
  name: 'multiCloudImages',
  version: 1,
  handles: MULTI_CLOUD_IMAGE_EVENT_TYPES,
  tables: MULTI_CLOUD_IMAGE_TABLES,
  schema: [
    `CREATE TABLE IF NOT EXISTS rm_mcis (
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
    `CREATE INDEX IF NOT EXISTS rm_mcis_account ON rm_mcis (account_id, deleted, sort_key)`,
    `CREATE TABLE IF NOT EXISTS rm_mci_settings (
       mci_id           TEXT NOT NULL,
       cloud_id         TEXT NOT NULL,
       image_id         TEXT NOT NULL,
       instance_type_id TEXT NOT NULL,
       kernel_image_id  TEXT,
       ramdisk_image_id TEXT,
       user_data        TEXT,
       PRIMARY KEY (mci_id, cloud_id)
     )`,
    `CREATE INDEX IF NOT EXISTS rm_mci_settings_cloud ON rm_mci_settings (cloud_id, mci_id)`,
    `CREATE TABLE IF NOT EXISTS rm_mci_revisions (
       mci_id       TEXT NOT NULL,
       revision     INTEGER NOT NULL,
       message      TEXT NOT NULL,
       committed_at TEXT NOT NULL,
       committed_by TEXT NOT NULL,
       content_hash TEXT NOT NULL,
       content      TEXT NOT NULL,
       PRIMARY KEY (mci_id, revision)
     )`,
  ],
  apply(event, db) {
    if (!event.stream.startsWith(MULTI_CLOUD_IMAGE_STREAM_PREFIX)) return;
    const id = event.stream.slice(MULTI_CLOUD_IMAGE_STREAM_PREFIX.length);
    const row = db.get<HeadRow>('SELECT version, state FROM rm_mcis WHERE id = ?', id);
    if (row && BigInt(row.version) >= event.revision) return;
    // The decider wrote these events and the hash chain guards them: their shape is trusted here.
    const domainEvent = { type: event.type, data: event.data } as MultiCloudImageEvent;
    const before: MultiCloudImageState = row ? (JSON.parse(row.state) as MultiCloudImageState) : multiCloudImageDecider.initialState();
    const state = multiCloudImageDecider.evolve(before, domainEvent);
    if (state.status === 'empty') return;
    const at = typeof event.metadata.occurredAt === 'string' ? event.metadata.occurredAt : event.recordedAt.toISOString();
    const head = state.status === 'active' ? state.head : undefined;
    db.run(
      `INSERT INTO rm_mcis (id, account_id, name, description, version, lineage, cloned_from_id, cloned_from_revision,
                            latest_revision, deleted, sort_key, created_at, updated_at, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET
         name = CASE WHEN excluded.deleted = 1 THEN rm_mcis.name ELSE excluded.name END,
         description = CASE WHEN excluded.deleted = 1 THEN rm_mcis.description ELSE excluded.description END,
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
      multiCloudImageSortKey(event.position),
      at,
      at,
      JSON.stringify(state),
    );
    switch (domainEvent.type) {
      case 'MultiCloudImageCreated':
      case 'ComponentCloned':
      case 'ImageMapped':
      case 'ImageUnmapped':
      case 'ComponentDeleted':
        writeSettings(db, id, state);
        return;
      case 'RevisionCommitted': {
        if (!head) return;
        const { revision, message, committedAt, committedBy, contentHash } = domainEvent.data;
        db.run(
          `INSERT INTO rm_mci_revisions (mci_id, revision, message, committed_at, committed_by, content_hash, content)
           VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (mci_id, revision) DO NOTHING`,
          id,
          revision,
          message,
          committedAt,
          committedBy,
          contentHash,
          JSON.stringify(head),
        );
        return;
      }
      case 'MultiCloudImageUpdated':
        return;
      default: {
        const unknown: never = domainEvent;
        throw new Error(`unknown MultiCloudImage event ${JSON.stringify(unknown)}`);
      }
    }
  },
};
