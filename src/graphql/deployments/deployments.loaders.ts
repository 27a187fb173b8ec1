import DataLoader from 'dataloader';
import type { DeploymentRow, ServerRow } from '../../readModels/deploymentsQueries';
import { perRequest, type GraphQLContext } from '../context';

/*
 * Per-request DataLoaders over the deployment read models: every load of one request made in the
 * same tick becomes one read, and values come back in key order, one per key. Deployments are scoped
 * to the viewer's account here; servers are only ever loaded for deployments a scoped load returned.
 */

/** The viewer's deployments by id (null: missing or another account's). */
export function deploymentLoader(ctx: GraphQLContext): DataLoader<string, DeploymentRow | null> {
  return perRequest(
    ctx,
    'deployments.deployment',
    () =>
      new DataLoader(async (ids: readonly string[]) => {
        const found = new Map(ctx.services.queries.deployments.byIds(ctx.viewer.accountId, ids).map((row) => [row.id, row]));
        return ids.map((id) => found.get(id) ?? null);
      }),
  );
}

/** Each deployment's servers, in the order they were added. */
export function deploymentServersLoader(ctx: GraphQLContext): DataLoader<string, ServerRow[]> {
  return perRequest(
    ctx,
    'deployments.servers',
    () =>
      new DataLoader(async (deploymentIds: readonly string[]) => {
        const groups = new Map<string, ServerRow[]>(deploymentIds.map((id) => [id, []]));
        for (const row of ctx.services.queries.deployments.serversByDeploymentIds(deploymentIds)) groups.get(row.deploymentId)?.push(row);
        return deploymentIds.map((id) => groups.get(id) ?? []);
      }),
  );
}
