import { StatementCache, type SqliteDatabase } from '../sqlite/database';
import { IDS } from './componentQueries';
import type { QueryRecorder } from './queryRecorder';

/** A deployment's row. */
export interface DeploymentRow {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  /** The stream revision of its last event: the client's next `expectedVersion`. */
  readonly version: number;
  readonly serverCount: number;
  /** Position in the list order; what a page cursor carries. */
  readonly sortKey: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A server as it was built, and the newest committed revision its MCI has now. */
export interface ServerRow {
  readonly deploymentId: string;
  readonly id: string;
  readonly name: string;
  readonly cloudId: string;
  readonly serverTemplate: { readonly id: string; readonly revision: number };
  readonly multiCloudImage: { readonly id: string; readonly revision: number };
  /** The MCI's newest committed revision when the server took it. */
  readonly multiCloudImageLatestRevisionThen: number;
  /** The MCI's newest committed revision now, from its head row (0 when it has none). */
  readonly multiCloudImageLatestRevisionNow: number;
  readonly imageId: string;
  readonly instanceTypeId: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface DeploymentPageRequest {
  readonly accountId: string;
  readonly first: number;
  /** Sort key of the last row of the previous page. */
  readonly afterSortKey?: string;
}

export interface DeploymentPage {
  readonly deployments: DeploymentRow[];
  readonly hasNextPage: boolean;
  readonly totalCount: number;
}

interface DeploymentSqlRow {
  id: string;
  account_id: string;
  name: string;
  version: number;
  server_count: number;
  sort_key: string;
  created_at: string;
  updated_at: string;
}

interface ServerSqlRow {
  deployment_id: string;
  id: string;
  name: string;
  cloud_id: string;
  server_template_id: string;
  server_template_revision: number;
  mci_id: string;
  mci_revision: number;
  mci_latest_revision: number;
  mci_latest_revision_now: number | null;
  image_id: string;
  instance_type_id: string;
  created_at: string;
  updated_at: string;
}

const DEPLOYMENT_COLUMNS = 'id, account_id, name, version, server_count, sort_key, created_at, updated_at';
/* The MCI's head row is read, never written, here: it belongs to the multiCloudImages projection. */
const SERVER_SELECT = `SELECT s.deployment_id, s.id, s.name, s.cloud_id, s.server_template_id, s.server_template_revision,
         s.mci_id, s.mci_revision, s.mci_latest_revision, m.latest_revision AS mci_latest_revision_now,
         s.image_id, s.instance_type_id, s.created_at, s.updated_at
  FROM rm_servers s LEFT JOIN rm_mcis m ON m.id = s.mci_id`;

const toDeployment = (row: DeploymentSqlRow): DeploymentRow => ({
  id: row.id,
  accountId: row.account_id,
  name: row.name,
  version: Number(row.version),
  serverCount: Number(row.server_count),
  sortKey: row.sort_key,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
});

const toServer = (row: ServerSqlRow): ServerRow => ({
  deploymentId: row.deployment_id,
  id: row.id,
  name: row.name,
  cloudId: row.cloud_id,
  serverTemplate: { id: row.server_template_id, revision: Number(row.server_template_revision) },
  multiCloudImage: { id: row.mci_id, revision: Number(row.mci_revision) },
  multiCloudImageLatestRevisionThen: Number(row.mci_latest_revision),
  multiCloudImageLatestRevisionNow: Number(row.mci_latest_revision_now ?? 0),
  imageId: row.image_id,
  instanceTypeId: row.instance_type_id,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
});

/**
 * Reads of the deployments read models (tables written by projections/deployments.ts). Deployments
 * are scoped to the viewer's account at the root (`page`, `byIds`, `server`); `serversByDeploymentIds`
 * takes ids a root already scoped. Batch methods return rows in no promised order but servers, which
 * come in the order they were added.
 *
 * Usage: const [deployment] = queries.deployments.byIds(viewer.accountId, [id]);
 */
export class DeploymentQueries {
  protected readonly statements: StatementCache;

  constructor(
    db: SqliteDatabase,
    protected readonly recorder: QueryRecorder,
  ) {
    this.statements = new StatementCache(db);
  }

  /** One page of the account's deployments, in creation order. */
  page(request: DeploymentPageRequest): DeploymentPage {
    this.recorder.record('deploymentsPage');
    const rows = this.statements
      .get(`SELECT ${DEPLOYMENT_COLUMNS} FROM rm_deployments WHERE account_id = ? AND sort_key > ? ORDER BY sort_key LIMIT ?`)
      .all(request.accountId, request.afterSortKey ?? '', request.first + 1) as DeploymentSqlRow[];
    const { total } = this.statements.get('SELECT count(*) AS total FROM rm_deployments WHERE account_id = ?').get(request.accountId) as {
      total: number;
    };
    return {
      deployments: rows.slice(0, request.first).map(toDeployment),
      hasNextPage: rows.length > request.first,
      totalCount: Number(total),
    };
  }

  /** The account's deployments among `ids`. */
  byIds(accountId: string, ids: readonly string[]): DeploymentRow[] {
    this.recorder.record('deploymentsByIds');
    if (ids.length === 0) return [];
    return (
      this.statements
        .get(`SELECT ${DEPLOYMENT_COLUMNS} FROM rm_deployments WHERE account_id = ? AND id IN (${IDS})`)
        .all(accountId, JSON.stringify(ids)) as DeploymentSqlRow[]
    ).map(toDeployment);
  }

  /** The servers of the given deployments, each deployment's in the order they were added. */
  serversByDeploymentIds(deploymentIds: readonly string[]): ServerRow[] {
    this.recorder.record('serversByDeploymentIds');
    if (deploymentIds.length === 0) return [];
    return (
      this.statements
        .get(`${SERVER_SELECT} WHERE s.deployment_id IN (${IDS}) ORDER BY s.deployment_id, s.ordinal`)
        .all(JSON.stringify(deploymentIds)) as ServerSqlRow[]
    ).map(toServer);
  }

  /** One server of one of the account's deployments. */
  server(accountId: string, deploymentId: string, serverId: string): ServerRow | undefined {
    this.recorder.record('server');
    const row = this.statements
      .get(
        `${SERVER_SELECT} JOIN rm_deployments d ON d.id = s.deployment_id
         WHERE d.account_id = ? AND s.deployment_id = ? AND s.id = ?`,
      )
      .get(accountId, deploymentId, serverId) as ServerSqlRow | undefined;
    return row && toServer(row);
  }
}
