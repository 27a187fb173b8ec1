import type { CloudInfo, Image, ImageStatus, InstanceType } from '../domain/catalog/cloud';
import { cloudDecider, cloudStream, type CloudCommand, type RegisteredCloud } from '../domain/catalog/cloud';
import { DomainError, ErrorCode } from '../domain/errors';
import type { Services } from '../services';
import { parseCloudEvent } from './catalog';
import type { CommandContext } from './commandHandler';

/*
 * The system operator's catalog commands: register a cloud, an image, an instance type; deprecate an
 * image. Each runs through the command handler on the cloud's stream and returns once the read models
 * show the change (read-your-writes), with the changed object as the cloud's stream now says it is.
 * Who may call them is the GraphQL layer's concern (`@Authorized('systemOperator')`).
 */

export type CatalogServices = Pick<Services, 'store' | 'commands' | 'projections' | 'queries'>;

async function runCloudCommand(services: CatalogServices, context: CommandContext, command: CloudCommand): Promise<RegisteredCloud> {
  const handled = await services.commands.handle({
    stream: cloudStream(command.data.cloudId),
    decider: cloudDecider,
    parseEvent: parseCloudEvent,
    command,
    context,
  });
  await services.projections.waitForPosition(handled.position);
  if (handled.state.status !== 'registered') throw new Error(`cloud '${command.data.cloudId}' is not registered after ${command.type}`);
  return handled.state;
}

/**
 * Image and instance type ids are unique across clouds, a rule no single cloud stream can check: it
 * is checked against the read models once they have caught up with the whole log. Two operators
 * registering one new id in two clouds at the same instant could both pass; the read model then
 * keeps the first (projections/catalog.ts), which is acceptable for an operator-only catalog.
 */
async function checkUnusedElsewhere(
  services: CatalogServices,
  what: 'image' | 'instance type',
  id: string,
  cloudId: string,
  find: (ids: readonly string[]) => ReadonlyArray<{ cloudId: string }>,
): Promise<void> {
  await services.projections.waitForPosition(await services.store.headPosition());
  const owner = find([id])[0];
  if (owner && owner.cloudId !== cloudId) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `${what} id: expected an id not used in any cloud, got '${id}', already registered in cloud '${owner.cloudId}'`,
      { existingCloudId: owner.cloudId },
    );
  }
}

export async function registerCloud(
  services: CatalogServices,
  context: CommandContext,
  input: { cloudId: string; name: string; provider: string },
): Promise<CloudInfo> {
  const cloud = await runCloudCommand(services, context, { type: 'RegisterCloud', data: input });
  return { id: cloud.id, name: cloud.name, provider: cloud.provider };
}

export async function registerImage(services: CatalogServices, context: CommandContext, input: Omit<Image, 'status'>): Promise<Image> {
  await checkUnusedElsewhere(services, 'image', input.id, input.cloudId, (ids) => services.queries.catalog.imagesByIds(ids));
  const cloud = await runCloudCommand(services, context, { type: 'RegisterImage', data: input });
  return cloud.images[input.id] as Image;
}

export async function registerInstanceType(services: CatalogServices, context: CommandContext, input: InstanceType): Promise<InstanceType> {
  await checkUnusedElsewhere(services, 'instance type', input.id, input.cloudId, (ids) => services.queries.catalog.instanceTypesByIds(ids));
  const cloud = await runCloudCommand(services, context, { type: 'RegisterInstanceType', data: input });
  return cloud.instanceTypes[input.id] as InstanceType;
}

/** Marks an image DEPRECATED (still works, warns) or OBSOLETE (can't be newly mapped or launched). */
export async function deprecateImage(
  services: CatalogServices,
  context: CommandContext,
  input: { cloudId: string; imageId: string; status: ImageStatus },
): Promise<Image> {
  const { cloudId, imageId } = input;
  // The decider refuses ACTIVE (BAD_USER_INPUT): an image never becomes active again.
  const status = input.status as Exclude<ImageStatus, 'ACTIVE'>;
  const cloud = await runCloudCommand(services, context, { type: 'DeprecateImage', data: { cloudId, imageId, status } });
  return cloud.images[imageId] as Image;
}
