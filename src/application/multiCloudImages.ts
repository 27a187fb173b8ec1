import { createHash, randomUUID } from 'node:crypto';
import { DomainError, ErrorCode } from '../domain/errors';
import {
  MULTI_CLOUD_IMAGE_EVENT_TYPES,
  MULTI_CLOUD_IMAGE_KIND,
  MULTI_CLOUD_IMAGE_STREAM_PREFIX,
  multiCloudImageDecider,
  multiCloudImageStream,
  stateAtRevision,
  type CloneSource,
  type MultiCloudImageCommand,
  type MultiCloudImageContent,
  type MultiCloudImageEvent,
  type MultiCloudImageState,
} from '../domain/multiCloudImages/multiCloudImage';
import { assertRevisionNumber, isHead } from '../domain/versionControl/revisions';
import { VersionConflictError } from '../eventStore/errors';
import { assertJson, canonicalJson } from '../eventStore/json';
import type { RecordedEvent } from '../eventStore/port';
import { COMPONENT_ID, loadComponent, type ComponentKind, type LoadedComponent } from './components';
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

/** NOT_FOUND unless the MCI exists, is not deleted and belongs to `accountId` (the decider says the same, later). */
function assertEditable(state: MultiCloudImageState, accountId: string): void {
  if (state.status !== 'active' || state.accountId !== accountId) throw new DomainError(ErrorCode.NOT_FOUND, 'no such MultiCloudImage');
}

export function checkComponentId(id: string): void {
  if (!COMPONENT_ID.test(id)) throw new DomainError(ErrorCode.NOT_FOUND, 'no such MultiCloudImage');
}

/** SHA-256 (hex) of the canonical JSON of an MCI's content: equal content, equal hash. */
export function contentHash(content: MultiCloudImageContent): string {
  return createHash('sha256')
    .update(canonicalJson(assertJson(content, 'content')))
    .digest('hex');
}

/** `expectedVersion` as the client sends it (an Int) → the stream revision the handler checks. */
function expectedRevision(expectedVersion: number | null | undefined): { expectedRevision?: bigint } {
  return expectedVersion === undefined || expectedVersion === null ? {} : { expectedRevision: BigInt(expectedVersion) };
}

async function run(
  services: MultiCloudImageServices,
  id: string,
  command: MultiCloudImageCommand | ((state: MultiCloudImageState) => MultiCloudImageCommand),
  context: CommandContext,
  expected: { expectedRevision?: bigint | 'no_stream'; retriesOnConflict?: number },
): Promise<MultiCloudImageWritten & { state: MultiCloudImageState; events: readonly MultiCloudImageEvent[] }> {
  let handled;
  try {
    handled = await services.commands.handle({
      stream: multiCloudImageStream(id),
      decider: multiCloudImageDecider,
      parseEvent: parseMultiCloudImageEvent,
      command,
      context,
      ...expected,
    });
  } catch (error) {
    // The handler compares versions before the decider sees the command: a stale `expectedVersion`
    // on another account's (or a deleted) MCI must still read NOT_FOUND, never reveal its version.
    if (error instanceof VersionConflictError && expected.expectedRevision !== 'no_stream') {
      assertEditable((await loadMultiCloudImage(services, id)).state, context.accountId);
    }
    throw error;
  }
  await services.projections.waitForPosition(handled.position);
  return { id, version: Number(handled.revision ?? -1n), state: handled.state, events: handled.events };
}

export async function createMultiCloudImage(
  services: MultiCloudImageServices,
  context: CommandContext,
  input: { name: string; description?: string | null },
): Promise<MultiCloudImageWritten> {
  const id = randomUUID();
  return run(
    services,
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
  checkComponentId(input.id);
  return run(
    services,
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
  checkComponentId(input.id);
  // The cloud's own stream, not its read model: a decision never rests on a projection that lags.
  const cloud = CLOUD_ID.test(input.cloudId) ? await loadCloud(services.store, input.cloudId) : undefined;
  const { id: _id, expectedVersion, ...setting } = input;
  return run(
    services,
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
  checkComponentId(input.id);
  return run(
    services,
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
  checkComponentId(input.id);
  const written = await run(
    services,
    input.id,
    (state) => ({
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
  checkComponentId(input.id);
  const revision = input.revision ?? 0;
  assertRevisionNumber(revision);
  const source = await cloneSource(services, context.accountId, input.id, revision);
  const id = randomUUID();
  return run(
    services,
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
  if (atRevision?.status !== 'active') throw unknownRevision(id, revision, loaded.state.latestRevision);
  return { id, accountId, revision, content: atRevision.head };
}

export function unknownRevision(id: string, revision: number, latestRevision: number): DomainError {
  return new DomainError(
    ErrorCode.NOT_FOUND,
    `MultiCloudImage '${id}' has no revision ${revision}: ${latestRevision === 0 ? 'nothing was committed yet' : `its revisions are 1 to ${latestRevision}`} (0 is HEAD)`,
    { latestRevision },
  );
}

export async function deleteMultiCloudImage(
  services: MultiCloudImageServices & Pick<Services, 'queries'>,
  context: CommandContext,
  input: Edit,
): Promise<MultiCloudImageWritten> {
  checkComponentId(input.id);
  await assertNotInUse(services, context.accountId, MULTI_CLOUD_IMAGE_KIND, input.id);
  return run(
    services,
    input.id,
    { type: 'DeleteMultiCloudImage', data: { accountId: context.accountId, revision: input.revision } },
    context,
    expectedRevision(input.expectedVersion),
  );
}

export const multiCloudImageKind: ComponentKind<MultiCloudImageState, MultiCloudImageEvent> = {
  kind: MULTI_CLOUD_IMAGE_KIND,
  streamPrefix: MULTI_CLOUD_IMAGE_STREAM_PREFIX,
  decider: multiCloudImageDecider,
  parseEvent: parseMultiCloudImageEvent,
};

export type LoadedMultiCloudImage = LoadedComponent<MultiCloudImageState, MultiCloudImageEvent>;

export function loadMultiCloudImage(services: Pick<Services, 'store'>, id: string): Promise<LoadedMultiCloudImage> {
  return loadComponent(services.store, multiCloudImageKind, id);
}
