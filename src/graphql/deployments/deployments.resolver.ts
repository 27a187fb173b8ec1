import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { addServer, createDeployment, updateServer } from '../../application/deployments';
import type { CloudInfo, Image as DomainImage, InstanceType as DomainInstanceType } from '../../domain/catalog/cloud';
import { cloudLoader, imageLoader, instanceTypeLoader } from '../catalog/catalog.loaders';
import { Cloud, Image, InstanceType } from '../catalog/catalog.types';
import { commandContext, type GraphQLContext } from '../context';
import { decodePageCursor, pageSize, toConnection } from '../versionControl/pagination';
import { AddServerInput, UpdateServerInput } from './deployments.inputs';
import { deploymentLoader, deploymentServersLoader } from './deployments.loaders';
import { Deployment, DeploymentConnection, Server } from './deployments.types';
import { deploymentView, freshDeploymentView, freshServerView, noSuchDeployment, serverView } from './deployments.views';

/*
 * Deployments and servers over GraphQL. Resolvers are thin: input → application command → the
 * changed object read back from the read model (the command waited for it); nested objects come
 * through per-request loaders. Reads are scoped to the viewer's account: another account's
 * deployment is NOT_FOUND.
 */

const CURSOR_KIND = 'deployment';
const SORT_KEY = /^\d{20}\.\d{20}$/u;

@Resolver(() => Deployment)
export class DeploymentResolver {
  @Authorized('observer')
  @Query(() => DeploymentConnection, { description: "The account's deployments, oldest first." })
  deployments(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true, description: 'Default 50, at most 500.' }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): DeploymentConnection {
    const page = ctx.services.queries.deployments.page({
      accountId: ctx.viewer.accountId,
      first: pageSize(first),
      ...(after ? { afterSortKey: decodePageCursor(CURSOR_KIND, after, SORT_KEY) } : {}),
    });
    return toConnection(CURSOR_KIND, { ...page, items: page.deployments }, (row) => row.sortKey, deploymentView);
  }

  @Authorized('observer')
  @Query(() => Deployment, { description: 'One deployment of the account; NOT_FOUND otherwise.' })
  async deployment(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<Deployment> {
    const row = await deploymentLoader(ctx).load(id);
    if (!row) throw noSuchDeployment();
    return deploymentView(row);
  }

  @Authorized('observer')
  @FieldResolver(() => [Server], { description: 'In the order they were added.' })
  async servers(@Root() deployment: Deployment, @Ctx() ctx: GraphQLContext): Promise<Server[]> {
    return (await deploymentServersLoader(ctx).load(deployment.id)).map(serverView);
  }

  @Authorized('actor')
  @Mutation(() => Deployment, { description: 'A new, empty deployment (DeploymentCreated).' })
  async createDeployment(@Arg('name', () => String) name: string, @Ctx() ctx: GraphQLContext): Promise<Deployment> {
    const written = await createDeployment(ctx.services, commandContext(ctx), { name });
    return freshDeploymentView(ctx, written.id);
  }

  @Authorized('actor')
  @Mutation(() => Server, {
    description:
      "Adds a server built from a ServerTemplate revision in one of its supported clouds (ServerAdded). NO_MCI_FOR_CLOUD (listing the template's supported clouds), IMAGE_NOT_IN_CLOUD, IMAGE_OBSOLETE, ARCHITECTURE_MISMATCH, BAD_USER_INPUT (name taken, unknown cloud or instance type, an MCI not of the template), NOT_FOUND.",
  })
  async addServer(@Arg('input', () => AddServerInput) input: AddServerInput, @Ctx() ctx: GraphQLContext): Promise<Server> {
    const written = await addServer(ctx.services, commandContext(ctx), input);
    return freshServerView(ctx, written.id, written.serverId as string);
  }

  @Authorized('actor')
  @Mutation(() => Server, {
    description:
      'Gives a server another MCI of its template revision, another image of its cloud or another instance type (ServerUpdated; nothing when nothing changes). Same refusals as addServer.',
  })
  async updateServer(@Arg('input', () => UpdateServerInput) input: UpdateServerInput, @Ctx() ctx: GraphQLContext): Promise<Server> {
    const written = await updateServer(ctx.services, commandContext(ctx), input);
    return freshServerView(ctx, written.id, input.serverId);
  }
}

/** Catalog objects never disappear: a server naming one the read model lacks is a bug, not a client error. */
function present<T>(value: T | null, what: string, id: string): T {
  if (value === null) throw new Error(`a server names ${what} '${id}', which the read model does not hold`);
  return value;
}

@Resolver(() => Server)
export class ServerResolver {
  @Authorized('observer')
  @FieldResolver(() => Deployment)
  async deployment(@Root() server: Server, @Ctx() ctx: GraphQLContext): Promise<Deployment> {
    return deploymentView(present(await deploymentLoader(ctx).load(server.deploymentId), 'deployment', server.deploymentId));
  }

  @Authorized('observer')
  @FieldResolver(() => Cloud)
  async cloud(@Root() server: Server, @Ctx() ctx: GraphQLContext): Promise<CloudInfo> {
    return present(await cloudLoader(ctx).load(server.cloudId), 'cloud', server.cloudId);
  }

  @Authorized('observer')
  @FieldResolver(() => Image)
  async image(@Root() server: Server, @Ctx() ctx: GraphQLContext): Promise<DomainImage> {
    return present(await imageLoader(ctx).load(server.imageId), 'image', server.imageId);
  }

  @Authorized('observer')
  @FieldResolver(() => InstanceType)
  async instanceType(@Root() server: Server, @Ctx() ctx: GraphQLContext): Promise<DomainInstanceType> {
    return present(await instanceTypeLoader(ctx).load(server.instanceTypeId), 'instance type', server.instanceTypeId);
  }
}
