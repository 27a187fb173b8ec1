import { randomUUID } from 'node:crypto';
import type { RegisteredCloud } from '../domain/catalog/cloud';
import {
  DEPLOYMENT_EVENT_TYPES,
  deploymentDecider,
  DEPLOYMENT_STREAM_PREFIX,
  type DeploymentCommand,
  type DeploymentEvent,
  type DeploymentState,
} from '../domain/deployments/deployment';
import type { ServerTemplateFacts, TemplateMultiCloudImageFacts } from '../domain/deployments/serverImage';
import { fold } from '../domain/decider';
import { DomainError, ErrorCode } from '../domain/errors';
import { stateAtRevision as multiCloudImageAtRevision } from '../domain/multiCloudImages/multiCloudImage';
import { stateAtRevision as serverTemplateAtRevision } from '../domain/serverTemplates/serverTemplate';
import type { TemplateMultiCloudImage } from '../domain/serverTemplates/serverTemplate.types';
import { assertRevisionNumber, isHead } from '../domain/versionControl/revisions';
import type { RecordedEvent } from '../eventStore/port';
import type { Services } from '../services';
import { loadCloud } from './catalog';
import type { CommandContext } from './commandHandler';
import {
  checkId,
  COMPONENT_ID,
  createComponent,
  editComponent,
  expectedRevision,
  readComponentStream,
  runCommand,
  type CommandKind,
} from './components';
import { loadMultiCloudImage } from './multiCloudImages';
import { parseDomainEvent } from './parseEvent';
import { loadServerTemplate } from './serverTemplates';

/*
 * The deployment commands behind the GraphQL mutations. Each runs through the command handler on
 * `deployment-<id>` and returns once the read models show its events (read-your-writes). What a
 * server is built from (the template at a revision, each of its MCIs at its pinned revision, the
 * cloud) is folded from those aggregates' own streams, never read from a read model, and handed to
 * the decider as facts.
 */

export type DeploymentServices = Pick<Services, 'store' | 'commands' | 'projections'>;

export const parseDeploymentEvent = (recorded: RecordedEvent): DeploymentEvent =>
  parseDomainEvent<DeploymentEvent>(recorded, DEPLOYMENT_EVENT_TYPES);

/** What a mutation changed: the deployment's id, its stream revision now (the next `expectedVersion`), the server it touched. */
export interface DeploymentWritten {
  readonly id: string;
  readonly version: number;
  readonly serverId?: string;
}

/** Concurrent adds to one deployment don't depend on each other: the loser decides again on the newer state. */
const ADD_SERVER_RETRIES = 3;
/** Catalog and component ids are at most 128 characters: a longer one can't name anything. */
const MAX_ID_LENGTH = 128;

/** Refuses an id no catalog object or component can have, before it is echoed back in a message. */
function boundedId(what: string, id: string | null | undefined): void {
  if (typeof id === 'string' && id.length > MAX_ID_LENGTH) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, `${what}: expected an id of at most ${MAX_ID_LENGTH} characters, got ${id.length}`);
  }
}

/** A deployment is owned by an account like a component is, so its commands take the same steps. */
export const deploymentKind: CommandKind<DeploymentState, DeploymentCommand, DeploymentEvent> = {
  kind: 'Deployment',
  streamPrefix: DEPLOYMENT_STREAM_PREFIX,
  decider: deploymentDecider,
  parseEvent: parseDeploymentEvent,
};

export async function loadDeployment(services: Pick<Services, 'store'>, id: string): Promise<DeploymentState> {
  return fold(deploymentDecider, (await readComponentStream(services.store, deploymentKind, id)).map(parseDeploymentEvent));
}

export async function createDeployment(
  services: DeploymentServices,
  context: CommandContext,
  input: { name: string },
): Promise<DeploymentWritten> {
  return createComponent(services, deploymentKind, context, (id): DeploymentCommand => ({
    type: 'CreateDeployment',
    data: { deploymentId: id, accountId: context.accountId, name: input.name },
  }));
}

/** An attached MCI at the revision the template pins, folded from the MCI's own stream. */
async function templateMultiCloudImage(
  services: Pick<Services, 'store'>,
  pin: TemplateMultiCloudImage,
  defaultMultiCloudImageId: string,
): Promise<TemplateMultiCloudImageFacts> {
  const loaded = await loadMultiCloudImage(services, pin.multiCloudImageId);
  const now = loaded.state;
  const atPin = isHead(pin.revision) ? now : multiCloudImageAtRevision(loaded.events, pin.revision);
  return {
    multiCloudImageId: pin.multiCloudImageId,
    revision: pin.revision,
    isDefault: pin.multiCloudImageId === defaultMultiCloudImageId,
    // A pinned MCI deleted since (or a pin the stream can't show) covers no cloud: it can't be chosen.
    settings: atPin?.status === 'active' ? atPin.head.settings : {},
    latestRevision: now.status === 'empty' ? 0 : now.latestRevision,
  };
}

/**
 * A template at `revision` with its MCIs, as the decider needs it; `undefined` when there is no such
 * template (or, unless `readDeleted`, it was deleted). Another account's template comes back without
 * its MCIs: the decider answers NOT_FOUND for it before looking further.
 */
async function serverTemplateFacts(
  services: Pick<Services, 'store'>,
  accountId: string,
  id: string,
  revision: number,
  readDeleted = false,
): Promise<ServerTemplateFacts | undefined> {
  const loaded = await loadServerTemplate(services, id);
  const state = loaded.state;
  if (state.status === 'empty' || (state.status === 'deleted' && !readDeleted)) return undefined;
  const facts = { id, accountId: state.accountId, latestRevision: state.latestRevision, revision, multiCloudImages: undefined };
  if (state.accountId !== accountId) return facts;
  const atRevision = isHead(revision) ? state : serverTemplateAtRevision(loaded.events, revision);
  if (atRevision?.status !== 'active') return facts;
  const content = atRevision.head;
  const multiCloudImages = await Promise.all(
    content.multiCloudImages.map((pin) => templateMultiCloudImage(services, pin, content.defaultMultiCloudImageId)),
  );
  return { ...facts, multiCloudImages };
}

async function cloudFacts(services: Pick<Services, 'store'>, cloudId: string): Promise<RegisteredCloud | undefined> {
  return COMPONENT_ID.test(cloudId) ? loadCloud(services.store, cloudId) : undefined;
}

export interface AddServerInput {
  readonly deploymentId: string;
  readonly name: string;
  readonly serverTemplateId: string;
  /** Omitted or 0: the template's HEAD. */
  readonly serverTemplateRevision?: number | null;
  readonly cloudId: string;
  readonly multiCloudImageId?: string | null;
  readonly imageId?: string | null;
  readonly instanceTypeId?: string | null;
  readonly expectedVersion?: number | null;
}

/**
 * Adds a server built from a template revision in one cloud: the MCI is the one asked for, else the
 * template's default if it covers the cloud, else the first that does; its setting gives the image
 * and instance type unless they are given.
 */
export async function addServer(services: DeploymentServices, context: CommandContext, input: AddServerInput): Promise<DeploymentWritten> {
  checkId(deploymentKind, input.deploymentId);
  const revision = input.serverTemplateRevision ?? 0;
  assertRevisionNumber(revision, 'serverTemplateRevision');
  boundedId('multiCloudImageId', input.multiCloudImageId);
  boundedId('imageId', input.imageId);
  boundedId('instanceTypeId', input.instanceTypeId);
  boundedId('cloudId', input.cloudId);
  const [serverTemplate, cloud] = await Promise.all([
    serverTemplateFacts(services, context.accountId, input.serverTemplateId, revision),
    cloudFacts(services, input.cloudId),
  ]);
  const serverId = randomUUID();
  const written = await runCommand(
    services,
    deploymentKind,
    input.deploymentId,
    {
      type: 'AddServer',
      data: {
        accountId: context.accountId,
        serverId,
        name: input.name,
        cloudId: input.cloudId,
        cloud,
        serverTemplate,
        multiCloudImageId: input.multiCloudImageId,
        imageId: input.imageId,
        instanceTypeId: input.instanceTypeId,
      },
    },
    context,
    input.expectedVersion === undefined || input.expectedVersion === null
      ? { retriesOnConflict: ADD_SERVER_RETRIES }
      : expectedRevision(input.expectedVersion),
  );
  return { ...written, serverId };
}

export interface UpdateServerInput {
  readonly deploymentId: string;
  readonly serverId: string;
  readonly multiCloudImageId?: string | null;
  readonly imageId?: string | null;
  readonly instanceTypeId?: string | null;
  readonly expectedVersion?: number | null;
}

/**
 * Gives a server another MCI of its template revision (with that setting's image and instance type
 * unless given), another image of its cloud, or another instance type. Nothing changes: nothing written.
 */
export async function updateServer(
  services: DeploymentServices,
  context: CommandContext,
  input: UpdateServerInput,
): Promise<DeploymentWritten> {
  const edit = { id: input.deploymentId, expectedVersion: input.expectedVersion };
  const written = await editComponent(services, deploymentKind, context, edit, async ({ accountId }): Promise<DeploymentCommand> => {
    boundedId('serverId', input.serverId);
    boundedId('multiCloudImageId', input.multiCloudImageId);
    boundedId('imageId', input.imageId);
    boundedId('instanceTypeId', input.instanceTypeId);
    // The server's cloud and template never change, so facts read from this state stay true for the append's.
    const state = await loadDeployment(services, input.deploymentId);
    const server =
      state.status === 'active' && state.accountId === accountId ? state.servers.find((s) => s.id === input.serverId) : undefined;
    const wantsMultiCloudImage = input.multiCloudImageId !== undefined && input.multiCloudImageId !== null;
    const [cloud, serverTemplate] = server
      ? await Promise.all([
          cloudFacts(services, server.cloudId),
          wantsMultiCloudImage
            ? serverTemplateFacts(services, accountId, server.serverTemplate.id, server.serverTemplate.revision, true)
            : undefined,
        ])
      : [undefined, undefined];
    return {
      type: 'UpdateServer',
      data: {
        accountId,
        serverId: input.serverId,
        cloud,
        serverTemplate,
        multiCloudImageId: input.multiCloudImageId,
        imageId: input.imageId,
        instanceTypeId: input.instanceTypeId,
      },
    };
  });
  return { ...written, serverId: input.serverId };
}
