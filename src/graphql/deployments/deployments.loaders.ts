import type DataLoader from 'dataloader';
import type { DeploymentRow, ServerRow } from '../../readModels/deploymentsQueries';
import type { GraphQLContext } from '../context';
import { byIdLoader, componentRowsLoader } from '../versionControl/componentLoaders';

/*
 * Per-request DataLoaders over the deployment read models (componentLoaders.ts: one read per request
 * tick, values in key order). Deployments are scoped to the viewer's account here; servers are only
 * ever loaded for deployments a scoped load returned.
 */

/** The viewer's deployments by id (null: missing or another account's). */
export function deploymentLoader(ctx: GraphQLContext): DataLoader<string, DeploymentRow | null> {
  return byIdLoader(
    ctx,
    'deployments.deployment',
    (ids) => ctx.services.queries.deployments.byIds(ctx.viewer.accountId, ids),
    (row) => row.id,
    ([row]) => row ?? null,
  );
}

/** Each deployment's servers, in the order they were added. */
export function deploymentServersLoader(ctx: GraphQLContext): DataLoader<string, ServerRow[]> {
  return componentRowsLoader(
    ctx,
    'deployments.servers',
    (deploymentIds) => ctx.services.queries.deployments.serversByDeploymentIds(deploymentIds),
    (row) => row.deploymentId,
  );
}
