import { randomUUID } from 'node:crypto';
import {
  MULTI_CLOUD_IMAGE_EVENT_TYPES,
  MULTI_CLOUD_IMAGE_KIND,
  MULTI_CLOUD_IMAGE_STREAM_PREFIX,
  multiCloudImageDecider,
  stateAtRevision,
  type CloneSource,
  type MultiCloudImageCommand,
  type MultiCloudImageEvent,
  type MultiCloudImageState,
} from '../domain/multiCloudImages/multiCloudImage';
import { assertRevisionNumber, isHead } from '../domain/versionControl/revisions';
import type { RecordedEvent } from '../eventStore/port';
import {
  checkId,
  contentHash,
  expectedRevision,
  loadComponent,
  runCommand,
  unknownRevision,
  type CommandKind,
  type LoadedComponent,
} from './components';
import type { Services } from '../services';
import { loadCloud } from './catalog';
import type { CommandContext } from './commandHandler';
import { parseDomainEvent } from './parseEvent';
import { assertNotInUse } from './usage';

/*
 * The MultiCloud Image commands behind the GraphQL mutations, and the reads that fold its stream
 * directly (history, time travel, a clone's source). Each command runs through the command handler
 * on `mci-<id>` and returns once the read models show its events (read-your-writes).
 */

export type MultiCloudImageServices = Pick<Services, 'store' | 'commands' | 'projections'>;

export const parseMultiCloudImageEvent = (recorded: RecordedEvent): MultiCloudImageEvent =>
  parseDomainEvent<MultiCloudImageEvent>(recorded, MULTI_CLOUD_IMAGE_EVENT_TYPES);

/** What a mutation changed: the MCI's id and its stream revision now (`version`, the next `expectedVersion`). */
export interface MultiCloudImageWritten {
  readonly id: string;
  readonly version: number;
  /** For a commit: the revision it created. */
  readonly revision?: number;
}

const CLOUD_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/u;
/** A commit that keeps losing the race to other writers gives up after this many fresh reads. */
const COMMIT_RETRIES = 2;

export async function createMultiCloudImage(
  services: MultiCloudImageServices,
  context: CommandContext,
  input: { name: string; description?: string | null },
): Promise<MultiCloudImageWritten> {
  const id = randomUUID();
  return runCommand(
    services,
    multiCloudImageKind,
    id,
    {
      type: 'CreateMultiCloudImage',
      data: { multiCloudImageId: id, accountId: context.accountId, name: input.name, description: input.description ?? '' },
    },
    context,
    { expectedRevision: 'no_stream' },
  );
}

interface Edit {
  readonly id: string;
  readonly expectedVersion?: number | null;
  readonly revision?: number | null;
}

export async function updateMultiCloudImage(
  services: MultiCloudImageServices,
  context: CommandContext,
  input: Edit & { name?: string | null; description?: string | null },
): Promise<MultiCloudImageWritten> {
  checkId(multiCloudImageKind, input.id);
  return runCommand(
    services,
    multiCloudImageKind,
    input.id,
    {
      type: 'UpdateMultiCloudImage',
      data: { accountId: context.accountId, revision: input.revision, name: input.name, description: input.description },
    },
    context,
    expectedRevision(input.expectedVersion),
  );
}

export async function mapImage(
  services: MultiCloudImageServices,
  context: CommandContext,
  input: Edit & {
    cloudId: string;
    imageId: string;
    instanceTypeId: string;
    kernelImageId?: string | null;
    ramdiskImageId?: string | null;
    userData?: string | null;
  },
): Promise<MultiCloudImageWritten> {
  checkId(multiCloudImageKind, input.id);
  // The cloud's own stream, not its read model: a decision never rests on a projection that lags.
  const cloud = CLOUD_ID.test(input.cloudId) ? await loadCloud(services.store, input.cloudId) : undefined;
  const { id: _id, expectedVersion, ...setting } = input;
  return runCommand(
    services,
    multiCloudImageKind,
    input.id,
    { type: 'MapImage', data: { ...setting, accountId: context.accountId, cloud } },
    context,
    expectedRevision(expectedVersion),
  );
}

export async function unmapImage(
  services: MultiCloudImageServices,
  context: CommandContext,
  input: Edit & { cloudId: string },
): Promise<MultiCloudImageWritten> {
  checkId(multiCloudImageKind, input.id);
  return runCommand(
    services,
    multiCloudImageKind,
    input.id,
    { type: 'UnmapImage', data: { accountId: context.accountId, revision: input.revision, cloudId: input.cloudId } },
    context,
    expectedRevision(input.expectedVersion),
  );
}

/**
 * Commits HEAD as the next revision. The content hash is computed here (the domain has no crypto)
 * from the very state the handler loaded and decides on, so it always describes exactly what the
 * commit froze. Without `expectedVersion`, losing the race to another writer reads again and
 * retries a few times.
 */
export async function commitMultiCloudImage(
  services: MultiCloudImageServices,
  context: CommandContext,
  input: Edit & { message: string },
): Promise<MultiCloudImageWritten> {
  checkId(multiCloudImageKind, input.id);
  const written = await runCommand(
    services,
    multiCloudImageKind,
    input.id,
    (state): MultiCloudImageCommand => ({
      type: 'CommitRevision',
      data: {
        accountId: context.accountId,
        revision: input.revision,
        message: input.message,
        contentHash: state.status === 'active' ? contentHash(state.head) : '',
        committedAt: new Date().toISOString(),
        committedBy: context.actorId,
      },
    }),
    context,
    { ...expectedRevision(input.expectedVersion), retriesOnConflict: COMMIT_RETRIES },
  );
  const committed = written.events.find((event) => event.type === 'RevisionCommitted');
  return { id: written.id, version: written.version, ...(committed ? { revision: committed.data.revision } : {}) };
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
  checkId(multiCloudImageKind, input.id);
  const revision = input.revision ?? 0;
  assertRevisionNumber(revision);
  const source = await cloneSource(services, context.accountId, input.id, revision);
  const id = randomUUID();
  return runCommand(
    services,
    multiCloudImageKind,
    id,
    { type: 'CloneMultiCloudImage', data: { multiCloudImageId: id, accountId: context.accountId, source, name: input.name } },
    context,
    { expectedRevision: 'no_stream' },
  );
}

async function cloneSource(
  services: MultiCloudImageServices,
  accountId: string,
  id: string,
  revision: number,
): Promise<CloneSource | undefined> {
  const loaded = await loadMultiCloudImage(services, id);
  // Missing, deleted or another account's: the decider says NOT_FOUND without telling them apart.
  if (loaded.state.status !== 'active' || loaded.state.accountId !== accountId) return undefined;
  if (isHead(revision)) return { id, accountId, revision: 0, content: loaded.state.head };
  const atRevision = stateAtRevision(loaded.events, revision);
  if (atRevision?.status !== 'active') throw unknownRevision(MULTI_CLOUD_IMAGE_KIND, id, revision, loaded.state.latestRevision);
  return { id, accountId, revision, content: atRevision.head };
}

export async function deleteMultiCloudImage(
  services: MultiCloudImageServices & Pick<Services, 'queries'>,
  context: CommandContext,
  input: Edit,
): Promise<MultiCloudImageWritten> {
  checkId(multiCloudImageKind, input.id);
  await assertNotInUse(services, context.accountId, MULTI_CLOUD_IMAGE_KIND, input.id);
  return runCommand(
    services,
    multiCloudImageKind,
    input.id,
    { type: 'DeleteMultiCloudImage', data: { accountId: context.accountId, revision: input.revision } },
    context,
    expectedRevision(input.expectedVersion),
  );
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
