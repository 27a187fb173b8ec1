import type { MultiCloudImageContent, MultiCloudImageSetting, MultiCloudImageState } from '../domain/multiCloudImages/multiCloudImage';
import { StatementCache, type SqliteDatabase } from '../sqlite/database';
import type { QueryRecorder } from './queryRecorder';

/** An MCI's head row: what every view of it shares, whichever revision is shown. */
export interface MultiCloudImageHead {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  readonly description: string;
  /** The stream revision of its last event: the client's next `expectedVersion`. */
  readonly version: number;
  readonly lineage: string;
  readonly clonedFrom: { readonly id: string; readonly revision: number } | null;
  /** The newest committed revision; 0 before the first commit. */
  readonly latestRevision: number;
  /** Position in the list order; what a page cursor carries. */
  readonly sortKey: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export type MultiCloudImageSettingRow = MultiCloudImageSetting & { readonly multiCloudImageId: string };

export interface MultiCloudImageRevisionRow {
  readonly multiCloudImageId: string;
  readonly revision: number;
  readonly message: string;
  readonly committedAt: Date;
  readonly committedBy: string;
  readonly contentHash: string;
}

/** A committed revision with the content it froze. */
export interface MultiCloudImageSnapshot extends MultiCloudImageRevisionRow {
  readonly content: MultiCloudImageContent;
}

export interface MultiCloudImagePageRequest {
  readonly accountId: string;
  readonly first: number;
  /** Sort key of the last row of the previous page. */
  readonly afterSortKey?: string;
  /** Case-insensitive substring of the name. */
  readonly nameContains?: string;
  /** Only MCIs with a setting for this cloud. */
  readonly cloudId?: string;
  /** Only MCIs the HEAD or a committed revision of this (not deleted) template of the account pins. */
  readonly usedByTemplateId?: string;
}

export interface MultiCloudImagePage {
  readonly heads: MultiCloudImageHead[];
  readonly hasNextPage: boolean;
  /** How many match the filter in all (not only after the cursor). */
  readonly totalCount: number;
}

interface HeadRow {
  id: string;
  account_id: string;
  name: string;
  description: string;
  version: number;
  lineage: string;
  cloned_from_id: string | null;
  cloned_from_revision: number | null;
  latest_revision: number;
  sort_key: string;
  created_at: string;
  updated_at: string;
}

interface SettingRow {
  mci_id: string;
  cloud_id: string;
  image_id: string;
  instance_type_id: string;
  kernel_image_id: string | null;
  ramdisk_image_id: string | null;
  user_data: string | null;
}

interface RevisionRow {
  mci_id: string;
  revision: number;
  message: string;
  committed_at: string;
  committed_by: string;
  content_hash: string;
  content?: string;
}

const HEAD_COLUMNS =
  'id, account_id, name, description, version, lineage, cloned_from_id, cloned_from_revision, latest_revision, sort_key, created_at, updated_at';
const REVISION_COLUMNS = 'mci_id, revision, message, committed_at, committed_by, content_hash';

/*
 * Batch reads bind the whole key list as one JSON parameter (`json_each`), so each method is one
 * prepared statement whatever the batch size: a DataLoader batch costs one read.
 */
const IDS = 'SELECT value FROM json_each(?)';

/*
 * The page filter: each optional condition is written so that a NULL parameter switches it off, so
 * one prepared statement serves every combination of filters.
 */
const PAGE_FILTER = `m.account_id = ? AND m.deleted = 0
  AND (? IS NULL OR instr(lower(m.name), lower(?)) > 0)
  AND (? IS NULL OR EXISTS (SELECT 1 FROM rm_mci_settings s WHERE s.mci_id = m.id AND s.cloud_id = ?))
  AND (? IS NULL OR EXISTS (
        SELECT 1 FROM rm_template_pins p JOIN rm_templates t ON t.id = p.template_id
         WHERE p.template_id = ? AND p.account_id = m.account_id AND p.kind = 'MultiCloudImage' AND p.component_id = m.id
           AND t.deleted = 0))`;

const toHead = (row: HeadRow): MultiCloudImageHead => ({
  id: row.id,
  accountId: row.account_id,
  name: row.name,
  description: row.description,
  version: Number(row.version),
  lineage: row.lineage,
  clonedFrom: row.cloned_from_id === null ? null : { id: row.cloned_from_id, revision: Number(row.cloned_from_revision ?? 0) },
  latestRevision: Number(row.latest_revision),
  sortKey: row.sort_key,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
});

const toSetting = (row: SettingRow): MultiCloudImageSettingRow => ({
  multiCloudImageId: row.mci_id,
  cloudId: row.cloud_id,
  imageId: row.image_id,
  instanceTypeId: row.instance_type_id,
  kernelImageId: row.kernel_image_id,
  ramdiskImageId: row.ramdisk_image_id,
  userData: row.user_data,
});

const toRevision = (row: RevisionRow): MultiCloudImageRevisionRow => ({
  multiCloudImageId: row.mci_id,
  revision: Number(row.revision),
  message: row.message,
  committedAt: new Date(row.committed_at),
  committedBy: row.committed_by,
  contentHash: row.content_hash,
});

/**
 * Reads of the multiCloudImages read models (tables written by projections/multiCloudImages.ts).
 * Every read of one MCI is scoped to the viewer's account at the root (`page`, `headsByIds`,
 * `headContents`); the batch reads below a root take ids the root already scoped. Batch methods
 * return the rows found in no promised order: the DataLoaders put them in key order.
 *
 * Usage: const [head] = queries.multiCloudImages.headsByIds(viewer.accountId, [id]);
 */
export class MultiCloudImageQueries {
  private readonly statements: StatementCache;
  constructor(
    db: SqliteDatabase,
    private readonly recorder: QueryRecorder,
  ) {
    this.statements = new StatementCache(db);
  }

  /** One page of the account's MCIs (not deleted), in creation order. */
  page(request: MultiCloudImagePageRequest): MultiCloudImagePage {
    this.recorder.record('page');
    const name = request.nameContains === undefined || request.nameContains === '' ? null : request.nameContains;
    const cloudId = request.cloudId ?? null;
    const templateId = request.usedByTemplateId ?? null;
    const filter = [request.accountId, name, name, cloudId, cloudId, templateId, templateId];
    const rows = this.statements
      .get(`SELECT ${HEAD_COLUMNS} FROM rm_mcis m WHERE ${PAGE_FILTER} AND m.sort_key > ? ORDER BY m.sort_key LIMIT ?`)
      .all(...filter, request.afterSortKey ?? '', request.first + 1) as HeadRow[];
    const { total } = this.statements.get(`SELECT count(*) AS total FROM rm_mcis m WHERE ${PAGE_FILTER}`).get(...filter) as {
      total: number;
    };
    return { heads: rows.slice(0, request.first).map(toHead), hasNextPage: rows.length > request.first, totalCount: Number(total) };
  }

  /** The account's MCIs among `ids` (deleted ones are absent). */
  headsByIds(accountId: string, ids: readonly string[]): MultiCloudImageHead[] {
    this.recorder.record('headsByIds');
    if (ids.length === 0) return [];
    const rows = this.statements
      .get(`SELECT ${HEAD_COLUMNS} FROM rm_mcis WHERE account_id = ? AND deleted = 0 AND id IN (${IDS})`)
      .all(accountId, JSON.stringify(ids)) as HeadRow[];
    return rows.map(toHead);
  }

  /** HEAD's content of the account's MCIs among `ids` (deleted ones are absent), keyed by id. */
  headContents(accountId: string, ids: readonly string[]): Map<string, MultiCloudImageContent> {
    this.recorder.record('headContents');
    const contents = new Map<string, MultiCloudImageContent>();
    if (ids.length === 0) return contents;
    const rows = this.statements
      .get(`SELECT id, state FROM rm_mcis WHERE account_id = ? AND deleted = 0 AND id IN (${IDS})`)
      .all(accountId, JSON.stringify(ids)) as Array<{ id: string; state: string }>;
    for (const row of rows) {
      const state = JSON.parse(row.state) as MultiCloudImageState;
      if (state.status === 'active') contents.set(row.id, state.head);
    }
    return contents;
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
    if (ids.length === 0) return [];
    const rows = this.statements
      .get(`SELECT ${REVISION_COLUMNS} FROM rm_mci_revisions WHERE mci_id IN (${IDS}) ORDER BY mci_id, revision`)
      .all(JSON.stringify(ids)) as RevisionRow[];
    return rows.map(toRevision);
  }

  /** The snapshots of the given (MCI, revision) pairs that exist. */
  snapshots(keys: ReadonlyArray<{ readonly id: string; readonly revision: number }>): MultiCloudImageSnapshot[] {
    this.recorder.record('snapshots');
    if (keys.length === 0) return [];
    const rows = this.statements
      .get(
        `SELECT ${REVISION_COLUMNS}, content FROM rm_mci_revisions
         WHERE (mci_id, revision) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))`,
      )
      .all(JSON.stringify(keys.map((key) => [key.id, key.revision]))) as Array<Required<RevisionRow>>;
    return rows.map((row) => ({ ...toRevision(row), content: JSON.parse(row.content) as MultiCloudImageContent }));
  }
}
