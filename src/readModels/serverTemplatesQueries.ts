import type {
  CommittedDependency,
  Sequence,
  ServerTemplateContent,
  ServerTemplateState,
} from '../domain/serverTemplates/serverTemplate.types';
import { StatementCache, type SqliteDatabase } from '../sqlite/database';
import type { QueryRecorder } from './queryRecorder';

/** A template's head row: what every view of it shares, whichever revision is shown. */
export interface ServerTemplateHead {
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

export interface ServerTemplateRevisionRow {
  readonly serverTemplateId: string;
  readonly revision: number;
  readonly message: string;
  readonly committedAt: Date;
  readonly committedBy: string;
  readonly contentHash: string;
}

/** A committed revision with the content it froze and the HEAD dependencies its commit resolved. */
export interface ServerTemplateSnapshot extends ServerTemplateRevisionRow {
  readonly content: ServerTemplateContent;
  readonly dependencies: readonly CommittedDependency[];
}

export type PinnedKind = CommittedDependency['kind'];

/** One attached MCI or bound RightScript of a template revision (0: HEAD). */
export interface TemplatePin {
  readonly serverTemplateId: string;
  readonly templateRevision: number;
  readonly kind: PinnedKind;
  readonly componentId: string;
  /** The pinned revision of the component; 0: its HEAD. */
  readonly componentRevision: number;
  /** RightScripts only. */
  readonly sequence: Sequence | null;
  /** 1-based: in the list of MCIs, or in the RightScript's sequence. */
  readonly position: number;
  readonly isDefault: boolean;
}

/** A template revision (0: HEAD) of a non-deleted template that pins a component. */
export interface ComponentUse {
  readonly componentId: string;
  readonly serverTemplateId: string;
  readonly templateRevision: number;
}

export interface TemplateRevisionKey {
  readonly id: string;
  readonly revision: number;
}

export interface TemplateCloud {
  readonly serverTemplateId: string;
  readonly templateRevision: number;
  readonly cloudId: string;
}

export interface MultiCloudImageCloud {
  readonly multiCloudImageId: string;
  readonly revision: number;
  readonly cloudId: string;
}

export interface ServerTemplatePageRequest {
  readonly accountId: string;
  readonly first: number;
  /** Sort key of the last row of the previous page. */
  readonly afterSortKey?: string;
  /** Case-insensitive substring of the name. */
  readonly nameContains?: string;
  /** Only templates whose HEAD can deploy to this cloud: one of its pinned MCI revisions maps it. */
  readonly cloudId?: string;
}

export interface ServerTemplatePage {
  readonly heads: ServerTemplateHead[];
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

interface RevisionRow {
  template_id: string;
  revision: number;
  message: string;
  committed_at: string;
  committed_by: string;
  content_hash: string;
}

interface PinRow {
  template_id: string;
  template_revision: number;
  kind: string;
  component_id: string;
  component_revision: number;
  sequence: string | null;
  position: number;
  is_default: number;
}

const HEAD_COLUMNS =
  'id, account_id, name, description, version, lineage, cloned_from_id, cloned_from_revision, latest_revision, sort_key, created_at, updated_at';
const REVISION_COLUMNS = 'template_id, revision, message, committed_at, committed_by, content_hash';
const PIN_COLUMNS =
  'p.template_id, p.template_revision, p.kind, p.component_id, p.component_revision, p.sequence, p.position, p.is_default';

/*
 * Batch reads bind the whole key list as one JSON parameter (`json_each`), so each method is one
 * prepared statement whatever the batch size: a DataLoader batch costs one read. Pairs travel as
 * `[id, revision]` arrays.
 */
const IDS = 'SELECT value FROM json_each(?)';
const PAIRS = `SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?)`;

/*
 * The clouds an MCI pin covers, for a pin row `p`: a HEAD pin (0) has the clouds of the MCI's HEAD
 * settings, a committed pin those of that revision's snapshot (its settings are keyed by cloud id).
 */
const PIN_CLOUDS = `
  SELECT s.cloud_id AS cloud_id FROM rm_mci_settings s WHERE p.component_revision = 0 AND s.mci_id = p.component_id
  UNION
  SELECT j.key AS cloud_id FROM rm_mci_revisions r, json_each(r.content, '$.settings') j
   WHERE p.component_revision > 0 AND r.mci_id = p.component_id AND r.revision = p.component_revision`;

/*
 * The page filter: each optional condition is written so that a NULL parameter switches it off, so
 * one prepared statement serves every combination of filters.
 */
const PAGE_FILTER = `t.account_id = ? AND t.deleted = 0
  AND (? IS NULL OR instr(lower(t.name), lower(?)) > 0)
  AND (? IS NULL OR EXISTS (
        SELECT 1 FROM rm_template_pins p
         WHERE p.template_id = t.id AND p.template_revision = 0 AND p.kind = 'MultiCloudImage'
           AND ? IN (${PIN_CLOUDS})))`;

const toHead = (row: HeadRow): ServerTemplateHead => ({
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

const toRevision = (row: RevisionRow): ServerTemplateRevisionRow => ({
  serverTemplateId: row.template_id,
  revision: Number(row.revision),
  message: row.message,
  committedAt: new Date(row.committed_at),
  committedBy: row.committed_by,
  contentHash: row.content_hash,
});

const toPin = (row: PinRow): TemplatePin => ({
  serverTemplateId: row.template_id,
  templateRevision: Number(row.template_revision),
  kind: row.kind as PinnedKind,
  componentId: row.component_id,
  componentRevision: Number(row.component_revision),
  sequence: row.sequence as Sequence | null,
  position: Number(row.position),
  isDefault: Number(row.is_default) === 1,
});

/**
 * Reads of the serverTemplates read models (tables written by projections/serverTemplates.ts, joined
 * with the MCI read models for clouds). Every read of one template is scoped to the viewer's account
 * at the root (`page`, `headsByIds`, `headContents`, `usedBy`); the batch reads below a root take ids
 * the root already scoped. Batch methods return rows in no promised order: the DataLoaders put them in
 * key order.
 *
 * Usage: const [head] = queries.serverTemplates.headsByIds(viewer.accountId, [id]);
 */
export class ServerTemplateQueries {
  protected readonly statements: StatementCache;

  constructor(
    db: SqliteDatabase,
    protected readonly recorder: QueryRecorder,
  ) {
    this.statements = new StatementCache(db);
  }

  /** One page of the account's templates (not deleted), in creation order. */
  page(request: ServerTemplatePageRequest): ServerTemplatePage {
    this.recorder.record('serverTemplates.page');
    const name = request.nameContains === undefined || request.nameContains === '' ? null : request.nameContains;
    const cloudId = request.cloudId ?? null;
    const filter = [request.accountId, name, name, cloudId, cloudId];
    const rows = this.statements
      .get(`SELECT ${HEAD_COLUMNS} FROM rm_templates t WHERE ${PAGE_FILTER} AND t.sort_key > ? ORDER BY t.sort_key LIMIT ?`)
      .all(...filter, request.afterSortKey ?? '', request.first + 1) as HeadRow[];
    const { total } = this.statements.get(`SELECT count(*) AS total FROM rm_templates t WHERE ${PAGE_FILTER}`).get(...filter) as {
      total: number;
    };
    return { heads: rows.slice(0, request.first).map(toHead), hasNextPage: rows.length > request.first, totalCount: Number(total) };
  }

  /** The account's templates among `ids` (deleted ones are absent). */
  headsByIds(accountId: string, ids: readonly string[]): ServerTemplateHead[] {
    this.recorder.record('serverTemplates.headsByIds');
    if (ids.length === 0) return [];
    const rows = this.statements
      .get(`SELECT ${HEAD_COLUMNS} FROM rm_templates WHERE account_id = ? AND deleted = 0 AND id IN (${IDS})`)
      .all(accountId, JSON.stringify(ids)) as HeadRow[];
    return rows.map(toHead);
  }

  /** HEAD's content of the account's templates among `ids` (deleted ones are absent), keyed by id. */
  headContents(accountId: string, ids: readonly string[]): Map<string, ServerTemplateContent> {
    this.recorder.record('serverTemplates.headContents');
    const contents = new Map<string, ServerTemplateContent>();
    if (ids.length === 0) return contents;
    const rows = this.statements
      .get(`SELECT id, state FROM rm_templates WHERE account_id = ? AND deleted = 0 AND id IN (${IDS})`)
      .all(accountId, JSON.stringify(ids)) as Array<{ id: string; state: string }>;
    for (const row of rows) {
      const state = JSON.parse(row.state) as ServerTemplateState;
      if (state.status === 'active') contents.set(row.id, state.head);
    }
    return contents;
  }

  /** The committed revisions of the given templates (without their content), oldest first. */
  revisionsByTemplateIds(ids: readonly string[]): ServerTemplateRevisionRow[] {
    this.recorder.record('serverTemplates.revisionsByTemplateIds');
    if (ids.length === 0) return [];
    const rows = this.statements
      .get(`SELECT ${REVISION_COLUMNS} FROM rm_template_revisions WHERE template_id IN (${IDS}) ORDER BY template_id, revision`)
      .all(JSON.stringify(ids)) as RevisionRow[];
    return rows.map(toRevision);
  }

  /** The snapshots of the given (template, revision) pairs that exist. */
  snapshots(keys: readonly TemplateRevisionKey[]): ServerTemplateSnapshot[] {
    this.recorder.record('serverTemplates.snapshots');
    if (keys.length === 0) return [];
    const rows = this.statements
      .get(
        `SELECT ${REVISION_COLUMNS}, dependencies, content FROM rm_template_revisions
         WHERE (template_id, revision) IN (${PAIRS})`,
      )
      .all(JSON.stringify(keys.map((key) => [key.id, key.revision]))) as Array<RevisionRow & { dependencies: string; content: string }>;
    return rows.map((row) => ({
      ...toRevision(row),
      content: JSON.parse(row.content) as ServerTemplateContent,
      dependencies: JSON.parse(row.dependencies) as CommittedDependency[],
    }));
  }

  /** What the given template revisions (0: HEAD) pin: MCIs in list order, then RightScripts by sequence and position. */
  pins(keys: readonly TemplateRevisionKey[]): TemplatePin[] {
    this.recorder.record('serverTemplates.pins');
    if (keys.length === 0) return [];
    const rows = this.statements
      .get(
        `SELECT ${PIN_COLUMNS} FROM rm_template_pins p
         WHERE (p.template_id, p.template_revision) IN (${PAIRS})
         ORDER BY p.template_id, p.template_revision, p.kind, p.sequence, p.position`,
      )
      .all(JSON.stringify(keys.map((key) => [key.id, key.revision]))) as PinRow[];
    return rows.map(toPin);
  }

  /**
   * The revisions (0: HEAD) of the account's non-deleted templates that pin any of these components,
   * by component, then template creation order, then revision.
   */
  usedBy(accountId: string, kind: PinnedKind, componentIds: readonly string[]): ComponentUse[] {
    this.recorder.record('serverTemplates.usedBy');
    if (componentIds.length === 0) return [];
    const rows = this.statements
      .get(
        `SELECT DISTINCT p.component_id, p.template_id, p.template_revision, t.sort_key
           FROM rm_template_pins p JOIN rm_templates t ON t.id = p.template_id
          WHERE p.account_id = ? AND p.kind = ? AND p.component_id IN (${IDS}) AND t.deleted = 0
          ORDER BY p.component_id, t.sort_key, p.template_revision`,
      )
      .all(accountId, kind, JSON.stringify(componentIds)) as Array<{
      component_id: string;
      template_id: string;
      template_revision: number;
    }>;
    return rows.map((row) => ({
      componentId: row.component_id,
      serverTemplateId: row.template_id,
      templateRevision: Number(row.template_revision),
    }));
  }

  /** The clouds each of the given template revisions (0: HEAD) can deploy to: the union over its pinned MCI revisions. */
  supportedClouds(keys: readonly TemplateRevisionKey[]): TemplateCloud[] {
    this.recorder.record('serverTemplates.supportedClouds');
    if (keys.length === 0) return [];
    const pairs = JSON.stringify(keys.map((key) => [key.id, key.revision]));
    const rows = this.statements
      .get(
        `SELECT p.template_id, p.template_revision, s.cloud_id
           FROM rm_template_pins p JOIN rm_mci_settings s ON s.mci_id = p.component_id
          WHERE (p.template_id, p.template_revision) IN (${PAIRS}) AND p.kind = 'MultiCloudImage' AND p.component_revision = 0
         UNION
         SELECT p.template_id, p.template_revision, j.key
           FROM rm_template_pins p JOIN rm_mci_revisions r ON r.mci_id = p.component_id AND r.revision = p.component_revision,
                json_each(r.content, '$.settings') j
          WHERE (p.template_id, p.template_revision) IN (${PAIRS}) AND p.kind = 'MultiCloudImage' AND p.component_revision > 0
         ORDER BY 1, 2, 3`,
      )
      .all(pairs, pairs) as Array<{ template_id: string; template_revision: number; cloud_id: string }>;
    return rows.map((row) => ({
      serverTemplateId: row.template_id,
      templateRevision: Number(row.template_revision),
      cloudId: row.cloud_id,
    }));
  }

  /**
   * The clouds of given MCI revisions (0: HEAD settings), for contents that are not in the pins table
   * (a template as it stood at a past instant).
   */
  multiCloudImageClouds(keys: ReadonlyArray<{ readonly id: string; readonly revision: number }>): MultiCloudImageCloud[] {
    this.recorder.record('serverTemplates.multiCloudImageClouds');
    if (keys.length === 0) return [];
    const pairs = JSON.stringify(keys.map((key) => [key.id, key.revision]));
    const rows = this.statements
      .get(
        `SELECT s.mci_id AS mci_id, 0 AS revision, s.cloud_id AS cloud_id
           FROM rm_mci_settings s WHERE (s.mci_id, 0) IN (${PAIRS})
         UNION
         SELECT r.mci_id, r.revision, j.key
           FROM rm_mci_revisions r, json_each(r.content, '$.settings') j
          WHERE (r.mci_id, r.revision) IN (${PAIRS}) AND r.revision > 0
         ORDER BY 1, 2, 3`,
      )
      .all(pairs, pairs) as Array<{ mci_id: string; revision: number; cloud_id: string }>;
    return rows.map((row) => ({ multiCloudImageId: row.mci_id, revision: Number(row.revision), cloudId: row.cloud_id }));
  }
}
