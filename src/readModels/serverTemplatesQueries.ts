import type { ContentPin } from '../domain/serverTemplates/pins';
import type { CommittedDependency, PinnedKind, Sequence, ServerTemplateContent } from '../domain/serverTemplates/serverTemplate.types';
import type { SqliteDatabase } from '../sqlite/database';
import {
  ComponentQueries,
  IDS,
  PAIRS,
  toCommittedRevision,
  type CommittedRevisionRow,
  type ComponentHead,
  type ComponentPageRequest,
  type KindPageFilter,
  type SnapshotRow,
} from './componentQueries';
import type { QueryRecorder } from './queryRecorder';

/** A template's head row: what every view of it shares, whichever revision is shown. */
export type ServerTemplateHead = ComponentHead;

export interface ServerTemplateRevisionRow extends CommittedRevisionRow {
  readonly serverTemplateId: string;
}

/** A committed revision with the content it froze and the HEAD dependencies its commit resolved. */
export interface ServerTemplateSnapshot extends ServerTemplateRevisionRow {
  readonly content: ServerTemplateContent;
  readonly dependencies: readonly CommittedDependency[];
}

/** One attached MCI or bound RightScript of a template revision (0: HEAD). */
export interface TemplatePin extends ContentPin {
  readonly serverTemplateId: string;
  readonly templateRevision: number;
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

export interface ServerTemplatePageRequest extends ComponentPageRequest {
  /** Only templates whose HEAD can deploy to this cloud: one of its pinned MCI revisions maps it. */
  readonly cloudId?: string;
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

const PIN_COLUMNS =
  'p.template_id, p.template_revision, p.kind, p.component_id, p.component_revision, p.sequence, p.position, p.is_default';

/*
 * The clouds an MCI pin covers, for a pin row `p`: a HEAD pin (0) has the clouds of the MCI's HEAD
 * settings, a committed pin those of that revision's snapshot (its settings are keyed by cloud id).
 */
const PIN_CLOUDS = `
  SELECT s.cloud_id AS cloud_id FROM rm_mci_settings s WHERE p.component_revision = 0 AND s.mci_id = p.component_id
  UNION
  SELECT j.key AS cloud_id FROM rm_mci_revisions r, json_each(r.content, '$.settings') j
   WHERE p.component_revision > 0 AND r.mci_id = p.component_id AND r.revision = p.component_revision`;

/* The page's cloud filter on the head row `h`: a NULL cloud switches it off, so one prepared statement serves both. */
const PAGE_FILTER = `(? IS NULL OR EXISTS (
        SELECT 1 FROM rm_template_pins p
         WHERE p.template_id = h.id AND p.template_revision = 0 AND p.kind = 'MultiCloudImage'
           AND ? IN (${PIN_CLOUDS})))`;

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
 * with the MCI read models for clouds): the reads every component kind shares (ComponentQueries,
 * recorded as `serverTemplates.<read>`; a snapshot also carries its commit's dependencies) and the
 * template's own, pins, `usedBy` (scoped to the viewer's account like the roots) and clouds.
 *
 * Usage: const [head] = queries.serverTemplates.headsByIds(viewer.accountId, [id]);
 */
export class ServerTemplateQueries extends ComponentQueries<
  ServerTemplateContent,
  ServerTemplateRevisionRow,
  ServerTemplateSnapshot,
  ServerTemplatePageRequest
> {
  constructor(db: SqliteDatabase, recorder: QueryRecorder) {
    super(db, recorder, {
      heads: 'rm_templates',
      snapshots: 'rm_template_revisions',
      componentColumn: 'template_id',
      snapshotColumns: ['dependencies'],
      readPrefix: 'serverTemplates.',
    });
  }

  protected override toRevision(row: SnapshotRow): ServerTemplateRevisionRow {
    return { serverTemplateId: row.component_id, ...toCommittedRevision(row) };
  }

  protected override toSnapshot(row: SnapshotRow & { readonly content: string; readonly dependencies: string }): ServerTemplateSnapshot {
    return {
      ...this.toRevision(row),
      content: JSON.parse(row.content) as ServerTemplateContent,
      dependencies: JSON.parse(row.dependencies) as CommittedDependency[],
    };
  }

  protected override kindPageFilter(request: ServerTemplatePageRequest): KindPageFilter {
    const cloudId = request.cloudId ?? null;
    return { sql: PAGE_FILTER, params: [cloudId, cloudId] };
  }

  /** The committed revisions of the given templates (without their content), oldest first. */
  revisionsByTemplateIds(ids: readonly string[]): ServerTemplateRevisionRow[] {
    this.recorder.record('serverTemplates.revisionsByTemplateIds');
    return this.revisionsOf(ids);
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
