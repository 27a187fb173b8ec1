import {
  MULTI_CLOUD_IMAGE_EVENT_TYPES,
  MULTI_CLOUD_IMAGE_KIND,
  MULTI_CLOUD_IMAGE_STREAM_PREFIX,
  multiCloudImageDecider,
  stateAtRevision,
  type MultiCloudImageCommand,
  type MultiCloudImageEvent,
  type MultiCloudImageState,
} from '../domain/multiCloudImages/multiCloudImage';
import type { RecordedEvent } from '../eventStore/port';
import {
  cloneComponent,
  commitHead,
  createComponent,
  editComponent,
  loadComponent,
  type CommandKind,
  type ComponentEdit,
  type ComponentServices,
  type ComponentWritten,
  type LoadedComponent,
} from './components';
import type { Services } from '../services';
import { loadCloud } from './catalog';
import type { CommandContext } from './commandHandler';
import { parseDomainEvent } from './parseEvent';
import { deleteUnlessInUse } from './usage';

/*
 * The MultiCloud Image commands behind the GraphQL mutations, and the reads that fold its stream
 * directly (history, time travel, a clone's source). Each command runs through the command handler
 * on `mci-<id>` and returns once the read models show its events (read-your-writes).
 */

export type MultiCloudImageServices = ComponentServices;

export const parseMultiCloudImageEvent = (recorded: RecordedEvent): MultiCloudImageEvent =>
  parseDomainEvent<MultiCloudImageEvent>(recorded, MULTI_CLOUD_IMAGE_EVENT_TYPES);

/** What a mutation changed: the MCI's id and its stream revision now (`version`, the next `expectedVersion`). */
export type MultiCloudImageWritten = ComponentWritten;

const CLOUD_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/u;

export async function createMultiCloudImage(
  services: MultiCloudImageServices,
  context: CommandContext,
  input: { name: string; description?: string | null },
): Promise<MultiCloudImageWritten> {
  return createComponent(services, multiCloudImageKind, context, (id): MultiCloudImageCommand => ({
    type: 'CreateMultiCloudImage',
    data: { multiCloudImageId: id, accountId: context.accountId, name: input.name, description: input.description ?? '' },
  }));
}

export async function updateMultiCloudImage(
  services: MultiCloudImageServices,
  context: CommandContext,
  input: ComponentEdit & { name?: string | null; description?: string | null },
): Promise<MultiCloudImageWritten> {
  return editComponent(services, multiCloudImageKind, context, input, (edit): MultiCloudImageCommand => ({
    type: 'UpdateMultiCloudImage',
    data: { ...edit, name: input.name, description: input.description },
  }));
}

export async function mapImage(
  services: MultiCloudImageServices,
  context: CommandContext,
  input: ComponentEdit & {
    cloudId: string;
    imageId: string;
    instanceTypeId: string;
    kernelImageId?: string | null;
    ramdiskImageId?: string | null;
    userData?: string | null;
  },
): Promise<MultiCloudImageWritten> {
  const { id: _id, expectedVersion: _expectedVersion, ...setting } = input;
  return editComponent(services, multiCloudImageKind, context, input, async (edit): Promise<MultiCloudImageCommand> => {
    // The cloud's own stream, not its read model: a decision never rests on a projection that lags.
    const cloud = CLOUD_ID.test(input.cloudId) ? await loadCloud(services.store, input.cloudId) : undefined;
    return { type: 'MapImage', data: { ...setting, ...edit, cloud } };
  });
}

export async function unmapImage(
  services: MultiCloudImageServices,
  context: CommandContext,
  input: ComponentEdit & { cloudId: string },
): Promise<MultiCloudImageWritten> {
  return editComponent(services, multiCloudImageKind, context, input, (edit): MultiCloudImageCommand => ({
    type: 'UnmapImage',
    data: { ...edit, cloudId: input.cloudId },
  }));
}

/** Commits HEAD as the next revision (see `commitHead`). */
export async function commitMultiCloudImage(
  services: MultiCloudImageServices,
  context: CommandContext,
  input: ComponentEdit & { message: string },
): Promise<MultiCloudImageWritten> {
  return commitHead(services, multiCloudImageKind, context, input, (commit): MultiCloudImageCommand => ({
    type: 'CommitRevision',
    data: commit,
  }));
}

/**
 * Clones a revision (0: HEAD) of an MCI of the viewer's account into a new MCI with a new lineage.
 * The source's content is folded from its own stream up to that revision.
 */
export async function cloneMultiCloudImage(
  services: MultiCloudImageServices,
  context: CommandContext,
  input: { id: string; revision?: number | null; name?: string | null },
): Promise<MultiCloudImageWritten> {
  return cloneComponent(services, multiCloudImageKind, context, input, stateAtRevision, (id, source): MultiCloudImageCommand => ({
    type: 'CloneMultiCloudImage',
    data: { multiCloudImageId: id, accountId: context.accountId, source, name: input.name },
  }));
}

export async function deleteMultiCloudImage(
  services: MultiCloudImageServices & Pick<Services, 'queries'>,
  context: CommandContext,
  input: ComponentEdit,
): Promise<MultiCloudImageWritten> {
  return deleteUnlessInUse(services, multiCloudImageKind, MULTI_CLOUD_IMAGE_KIND, context, input, (edit): MultiCloudImageCommand => ({
    type: 'DeleteMultiCloudImage',
    data: edit,
  }));
}

export const multiCloudImageKind: CommandKind<MultiCloudImageState, MultiCloudImageCommand, MultiCloudImageEvent> = {
  kind: MULTI_CLOUD_IMAGE_KIND,
  streamPrefix: MULTI_CLOUD_IMAGE_STREAM_PREFIX,
  decider: multiCloudImageDecider,
  parseEvent: parseMultiCloudImageEvent,
};

export type LoadedMultiCloudImage = LoadedComponent<MultiCloudImageState, MultiCloudImageEvent>;

export function loadMultiCloudImage(services: Pick<Services, 'store'>, id: string): Promise<LoadedMultiCloudImage> {
  return loadComponent(services.store, multiCloudImageKind, id);
}
