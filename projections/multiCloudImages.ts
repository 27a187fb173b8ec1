import {
  MULTI_CLOUD_IMAGE_EVENT_TYPES,
  MULTI_CLOUD_IMAGE_STREAM_PREFIX,
  multiCloudImageDecider,
  type MultiCloudImageEvent,
  type MultiCloudImageState,
} from '../src/domain/multiCloudImages/multiCloudImage';
import { applyToHead, headTableSchema, insertSnapshot, snapshotTableSchema, type HeadTable, type SnapshotTable } from './componentTables';
import { deferWrite, type Projection, type ReadModelWriter } from './projection';

/*
 * MultiCloud Images as the API reads them, written from the `mci-<id>` streams:
 *
 * - `rm_mcis` (head rows) and `rm_mci_revisions` (revision snapshots): the tables every component kind
 *   keeps, written by componentTables.ts; HEAD's content is one read away in the head row's state.
 * - `rm_mci_settings`: HEAD's settings, one row per (MCI, cloud): the `cloudId` filter and the
 *   batched `settings` loads read these. Rewritten whole on every event that can change them.
 */

export const MULTI_CLOUD_IMAGE_TABLES = ['rm_mcis', 'rm_mci_settings', 'rm_mci_revisions'] as const;

const HEADS: HeadTable<MultiCloudImageState, MultiCloudImageEvent> = {
  table: 'rm_mcis',
  streamPrefix: MULTI_CLOUD_IMAGE_STREAM_PREFIX,
  decider: multiCloudImageDecider,
};
const SNAPSHOTS: SnapshotTable = { table: 'rm_mci_revisions', componentColumn: 'mci_id' };

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
    ...headTableSchema(HEADS.table),
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
    snapshotTableSchema(SNAPSHOTS),
  ],
  apply(event, db) {
    const applied = applyToHead(HEADS, event, db);
    if (!applied) return;
    const { id, event: domainEvent, state } = applied;
    switch (domainEvent.type) {
      case 'MultiCloudImageCreated':
      case 'ComponentCloned':
      case 'ComponentImported':
      case 'ImageMapped':
      case 'ImageUnmapped':
      case 'ComponentDeleted':
        // HEAD's settings are rewritten whole: within a batch only the last state's need writing.
        deferWrite(db, `rm_mci_settings:${id}`, state, (last) => writeSettings(db, id, last));
        return;
      case 'RevisionCommitted':
        if (state.status === 'active') insertSnapshot(db, SNAPSHOTS, id, domainEvent.data, state.head);
        return;
      // A merge's content changes come as the events above; MergeApplied itself changes no settings.
      case 'MultiCloudImageUpdated':
      case 'MergeApplied':
        return;
      default: {
        const unknown: never = domainEvent;
        throw new Error(`unknown MultiCloudImage event ${JSON.stringify(unknown)}`);
      }
    }
  },
};
