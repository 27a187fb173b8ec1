import { DomainError, ErrorCode } from '../../domain/errors';
import type { DeploymentRow, ServerRow } from '../../readModels/deploymentsQueries';
import type { GraphQLContext } from '../context';
import type { Deployment, Server } from './deployments.types';

/*
 * The plain objects behind the Deployment and Server GraphQL types, and the lookups a mutation's
 * answer needs. Every lookup is scoped to the viewer's account: another account's deployment is
 * NOT_FOUND, exactly like a missing one.
 */

export const noSuchDeployment = (): DomainError => new DomainError(ErrorCode.NOT_FOUND, 'no such Deployment');

export function deploymentView(row: DeploymentRow): Deployment {
  return { id: row.id, name: row.name, version: row.version };
}

/**
 * A server made from a committed MCI revision is behind once a later revision exists; one made from
 * the MCI's HEAD, once a revision newer than the newest at the time it was added exists.
 */
export function newerMultiCloudImageRevision(
  row: Pick<ServerRow, 'multiCloudImage' | 'multiCloudImageLatestRevisionThen' | 'multiCloudImageLatestRevisionNow'>,
): number | null {
  const builtFrom = row.multiCloudImage.revision > 0 ? row.multiCloudImage.revision : row.multiCloudImageLatestRevisionThen;
  return row.multiCloudImageLatestRevisionNow > builtFrom ? row.multiCloudImageLatestRevisionNow : null;
}

export function serverView(row: ServerRow): Server {
  return {
    id: row.id,
    name: row.name,
    deploymentId: row.deploymentId,
    cloudId: row.cloudId,
    imageId: row.imageId,
    instanceTypeId: row.instanceTypeId,
    multiCloudImage: { ...row.multiCloudImage },
    serverTemplate: { ...row.serverTemplate },
    newerMultiCloudImageRevision: newerMultiCloudImageRevision(row),
  };
}

/** The viewer's deployment straight from the read model, bypassing this request's loader cache: what a mutation returns. */
export function freshDeploymentView(ctx: GraphQLContext, id: string): Deployment {
  const [row] = ctx.services.queries.deployments.byIds(ctx.viewer.accountId, [id]);
  if (!row) throw noSuchDeployment();
  return deploymentView(row);
}

/** A server of the viewer's deployment straight from the read model: what addServer and updateServer return. */
export function freshServerView(ctx: GraphQLContext, deploymentId: string, serverId: string): Server {
  const row = ctx.services.queries.deployments.server(ctx.viewer.accountId, deploymentId, serverId);
  if (!row) throw new DomainError(ErrorCode.NOT_FOUND, `Deployment '${deploymentId}' has no server '${serverId}'`);
  return serverView(row);
}
