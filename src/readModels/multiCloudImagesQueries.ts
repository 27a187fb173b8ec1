import type { MultiCloudImageContent, MultiCloudImageSetting } from '../domain/multiCloudImages/multiCloudImage';
import type { SqliteDatabase } from '../sqlite/database';
import {
  ComponentQueries,
  IDS,
  toCommittedRevision,
  type CommittedRevisionRow,
  type ComponentHead,
  type ComponentPage,
  type ComponentPageRequest,
  type KindPageFilter,
  type SnapshotRow,
} from './componentQueries';
import type { QueryRecorder } from './queryRecorder';

/** An MCI's head row: what every view of it shares, whichever revision is shown. */
export type MultiCloudImageHead = ComponentHead;

export type MultiCloudImageSettingRow = MultiCloudImageSetting & { readonly multiCloudImageId: string };

export interface MultiCloudImageRevisionRow extends CommittedRevisionRow {
  readonly multiCloudImageId: string;
}

/** A committed revision with the content it froze. */
export interface MultiCloudImageSnapshot extends MultiCloudImageRevisionRow {
  readonly content: MultiCloudImageContent;
}

export interface MultiCloudImagePageRequest extends ComponentPageRequest {
  /** Only MCIs with a setting for this cloud. */
  readonly cloudId?: string;
  /** Only MCIs the HEAD or a committed revision of this (not deleted) template of the account pins. */
  readonly usedByTemplateId?: string;
}

export type MultiCloudImagePage = ComponentPage;

interface SettingRow {
  mci_id: string;
  cloud_id: string;
  image_id: string;
  instance_type_id: string;
  kernel_image_id: string | null;
  ramdisk_image_id: string | null;
  user_data: string | null;
}

/*
 * The page's own filters on the head row `h`: each is written so that a NULL parameter switches it
 * off, so one prepared statement serves every combination of filters.
 */
const PAGE_FILTER = `(? IS NULL OR EXISTS (SELECT 1 FROM rm_mci_settings s WHERE s.mci_id = h.id AND s.cloud_id = ?))
  AND (? IS NULL OR EXISTS (
        SELECT 1 FROM rm_template_pins p JOIN rm_templates t ON t.id = p.template_id
         WHERE p.template_id = ? AND p.account_id = h.account_id AND p.kind = 'MultiCloudImage' AND p.component_id = h.id
           AND t.deleted = 0))`;

const toSetting = (row: SettingRow): MultiCloudImageSettingRow => ({
  multiCloudImageId: row.mci_id,
  cloudId: row.cloud_id,
  imageId: row.image_id,
  instanceTypeId: row.instance_type_id,
  kernelImageId: row.kernel_image_id,
  ramdiskImageId: row.ramdisk_image_id,
  userData: row.user_data,
});

/**
 * Reads of the multiCloudImages read models (tables written by projections/multiCloudImages.ts): the
 * reads every component kind shares (ComponentQueries: `page`, `headsByIds`, `headContents`,
 * `snapshots`, recorded under their bare names) and the MCI's own, settings and the page's `cloudId`
 * and `usedByTemplateId` filters.
 *
 * Usage: const [head] = queries.multiCloudImages.headsByIds(viewer.accountId, [id]);
 */
export class MultiCloudImageQueries extends ComponentQueries<
  MultiCloudImageContent,
  MultiCloudImageRevisionRow,
  MultiCloudImageSnapshot,
  MultiCloudImagePageRequest
> {
  constructor(db: SqliteDatabase, recorder: QueryRecorder) {
    super(db, recorder, { heads: 'rm_mcis', snapshots: 'rm_mci_revisions', componentColumn: 'mci_id', readPrefix: '' });
  }

  protected override toRevision(row: SnapshotRow): MultiCloudImageRevisionRow {
    return { multiCloudImageId: row.component_id, ...toCommittedRevision(row) };
  }

  protected override toSnapshot(row: SnapshotRow & { readonly content: string }): MultiCloudImageSnapshot {
    return { ...this.toRevision(row), content: JSON.parse(row.content) as MultiCloudImageContent };
  }

  protected override kindPageFilter(request: MultiCloudImagePageRequest): KindPageFilter {
    const cloudId = request.cloudId ?? null;
    const templateId = request.usedByTemplateId ?? null;
    return { sql: PAGE_FILTER, params: [cloudId, cloudId, templateId, templateId] };
  }

  /** HEAD's settings of the given MCIs, by MCI then cloud. */
  settingsByMultiCloudImageIds(ids: readonly string[]): MultiCloudImageSettingRow[] {
    this.recorder.record('settingsByMultiCloudImageIds');
    if (ids.length === 0) return [];
    const rows = this.statements
      .get(
        `SELECT mci_id, cloud_id, image_id, instance_type_id, kernel_image_id, ramdisk_image_id, user_data
         FROM rm_mci_settings WHERE mci_id IN (${IDS}) ORDER BY mci_id, cloud_id`,
      )
      .all(JSON.stringify(ids)) as SettingRow[];
    return rows.map(toSetting);
  }

  /** The committed revisions of the given MCIs (without their content), oldest first. */
  revisionsByMultiCloudImageIds(ids: readonly string[]): MultiCloudImageRevisionRow[] {
    this.recorder.record('revisionsByMultiCloudImageIds');
    return this.revisionsOf(ids);
  }
}
