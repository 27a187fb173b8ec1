import { assertRunsOn, availableImage, offeredInstanceType } from '../catalog/availability';
import type { RegisteredCloud } from '../catalog/cloud';
import type { Decider } from '../decider';
import { DomainError, ErrorCode } from '../errors';
import { checkName } from '../versionControl/text';
import { unknownRevision } from '../versionControl/versioned';
import {
  isTemplateRevision,
  revisionName,
  selectMultiCloudImage,
  type ServerTemplateFacts,
  type TemplateRevisionFacts,
} from './serverImage';

/*
 * A deployment and its servers (domain.md, "Deployments and servers"): one aggregate per deployment,
 * stream `deployment-<id>`. A server is created from a ServerTemplate revision in one cloud; the MCI
 * it is given decides its image and instance type once, at creation: later changes to that MCI never
 * reach it. Facts about the template, its MCIs and the cloud arrive in the command.
 */

export const DEPLOYMENT_STREAM_PREFIX = 'deployment-';

/** Keeps one stream (and one read of it per command) to a size a deployment of real servers reaches. */
export const MAX_SERVERS_PER_DEPLOYMENT = 1000;

/** A component revision a server was made from: `revision` 0 is its HEAD at that moment. */
export interface ComponentPin {
  readonly id: string;
  readonly revision: number;
}

export interface Server {
  readonly id: string;
  readonly name: string;
  readonly cloudId: string;
  readonly serverTemplate: ComponentPin;
  readonly multiCloudImage: ComponentPin;
  /**
   * The MCI's newest committed revision when the server took it: a server made from the MCI's HEAD
   * can tell later that a newer revision was committed since.
   */
  readonly multiCloudImageLatestRevision: number;
  readonly imageId: string;
  readonly instanceTypeId: string;
}

export interface ActiveDeployment {
  readonly status: 'active';
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  /** In the order they were added. */
  readonly servers: readonly Server[];
}

export type DeploymentState = { readonly status: 'empty' } | ActiveDeployment;

/** What a server's MCI change carries: the MCI and the newest revision it had then travel together. */
interface ServerMultiCloudImageChange {
  readonly multiCloudImage: ComponentPin;
  readonly multiCloudImageLatestRevision: number;
}

export type DeploymentEvent =
  | { type: 'DeploymentCreated'; data: { deploymentId: string; accountId: string; name: string } }
  | { type: 'ServerAdded'; data: { serverId: string } & Omit<Server, 'id'> }
  /** Holds only what changed. */
  | {
      type: 'ServerUpdated';
      data: { serverId: string } & Partial<ServerMultiCloudImageChange> & { imageId?: string; instanceTypeId?: string };
    };

export type DeploymentEventType = DeploymentEvent['type'];
export const DEPLOYMENT_EVENT_TYPES: readonly DeploymentEventType[] = ['DeploymentCreated', 'ServerAdded', 'ServerUpdated'];

/** What a server may be given besides its template's choice: another MCI, any image or instance type of its cloud. */
interface ServerChoices {
  readonly multiCloudImageId?: string | null;
  readonly imageId?: string | null;
  readonly instanceTypeId?: string | null;
}

export type DeploymentCommand =
  | { type: 'CreateDeployment'; data: { deploymentId: string; accountId: string; name: string } }
  | {
      type: 'AddServer';
      data: ServerChoices & {
        accountId: string;
        /** The new server's id, chosen by the application. */
        serverId: string;
        name: string;
        cloudId: string;
        /** The cloud as its own stream says it is now; undefined when no such cloud is registered. */
        cloud: RegisteredCloud | undefined;
        /** The template at the asked revision; undefined when it doesn't exist or was deleted. */
        serverTemplate: ServerTemplateFacts | undefined;
      };
    }
  | {
      type: 'UpdateServer';
      data: ServerChoices & {
        accountId: string;
        serverId: string;
        /** The server's cloud as its stream says it is now. */
        cloud: RegisteredCloud | undefined;
        /** The server's template at the server's revision; only needed (and read) when another MCI is asked for. */
        serverTemplate: ServerTemplateFacts | undefined;
      };
    };

const given = (value: string | null | undefined): value is string => value !== undefined && value !== null;

/** The deployment as the viewer's account sees it: another account's reads exactly like a missing one. */
function owned(state: DeploymentState, accountId: string): ActiveDeployment {
  if (state.status !== 'active' || state.accountId !== accountId) throw new DomainError(ErrorCode.NOT_FOUND, 'no such Deployment');
  return state;
}

function serverOf(deployment: ActiveDeployment, serverId: string): Server {
  const server = deployment.servers.find((s) => s.id === serverId);
  if (!server) throw new DomainError(ErrorCode.NOT_FOUND, `Deployment '${deployment.id}' has no server '${serverId}'`);
  return server;
}

/** The template revision the viewer may build a server from: theirs, not deleted, and that revision exists. */
function templateRevision(template: ServerTemplateFacts | undefined, accountId: string): TemplateRevisionFacts {
  if (!template || template.accountId !== accountId) throw new DomainError(ErrorCode.NOT_FOUND, 'no such ServerTemplate');
  if (!isTemplateRevision(template)) throw unknownRevision('ServerTemplate', template.id, template.revision, template.latestRevision);
  return template;
}

/** The template revision a server was built from, to choose another of its MCIs: gone once the template was deleted. */
function templateRevisionOf(server: Server, template: ServerTemplateFacts | undefined): TemplateRevisionFacts {
  if (isTemplateRevision(template)) return template;
  throw new DomainError(
    ErrorCode.NOT_FOUND,
    `ServerTemplate '${server.serverTemplate.id}' ${revisionName(server.serverTemplate.revision)} of server '${server.id}' no longer exists (it was deleted): its MultiCloudImages can't be chosen from any more`,
  );
}

function registeredCloud(cloud: RegisteredCloud | undefined, cloudId: string): RegisteredCloud {
  if (!cloud) throw new DomainError(ErrorCode.BAD_USER_INPUT, `cloudId: expected a registered cloud, got '${cloudId}'`);
  return cloud;
}

export const deploymentDecider: Decider<DeploymentState, DeploymentCommand, DeploymentEvent> = {
  initialState: () => ({ status: 'empty' }),

  decide(command, state) {
    switch (command.type) {
      case 'CreateDeployment': {
        const { deploymentId, accountId, name } = command.data;
        checkName(name);
        if (state.status !== 'empty') throw new DomainError(ErrorCode.BAD_USER_INPUT, `Deployment '${deploymentId}' already exists`);
        return [{ type: 'DeploymentCreated', data: { deploymentId, accountId, name } }];
      }
      case 'AddServer': {
        const { accountId, serverId, name, cloudId } = command.data;
        const deployment = owned(state, accountId);
        checkName(name);
        const namesake = deployment.servers.find((server) => server.name === name);
        if (namesake) {
          throw new DomainError(
            ErrorCode.BAD_USER_INPUT,
            `name: expected a name no other server of Deployment '${deployment.id}' has, got '${name}' (server '${namesake.id}' has it)`,
          );
        }
        if (deployment.servers.length >= MAX_SERVERS_PER_DEPLOYMENT) {
          throw new DomainError(
            ErrorCode.BAD_USER_INPUT,
            `Deployment '${deployment.id}' already holds ${deployment.servers.length} servers, the most a deployment can hold (${MAX_SERVERS_PER_DEPLOYMENT}): add the server to another deployment`,
          );
        }
        if (deployment.servers.some((server) => server.id === serverId))
          throw new DomainError(ErrorCode.BAD_USER_INPUT, `server '${serverId}' already exists`);
        const template = templateRevision(command.data.serverTemplate, accountId);
        const cloud = registeredCloud(command.data.cloud, cloudId);
        const mci = selectMultiCloudImage(template, cloud.id, command.data.multiCloudImageId);
        const inherited = ` (MultiCloudImage '${mci.multiCloudImageId}' setting for '${cloud.id}')`;
        const image = given(command.data.imageId)
          ? availableImage(cloud, command.data.imageId, 'launched')
          : availableImage(cloud, mci.setting.imageId, 'launched', `image '${mci.setting.imageId}'${inherited}`);
        const instanceType = offeredInstanceType(cloud, command.data.instanceTypeId ?? mci.setting.instanceTypeId);
        assertRunsOn(image, instanceType);
        return [
          {
            type: 'ServerAdded',
            data: {
              serverId,
              name,
              cloudId: cloud.id,
              serverTemplate: { id: template.id, revision: template.revision },
              multiCloudImage: { id: mci.multiCloudImageId, revision: mci.revision },
              multiCloudImageLatestRevision: mci.latestRevision,
              imageId: image.id,
              instanceTypeId: instanceType.id,
            },
          },
        ];
      }
      case 'UpdateServer': {
        const { accountId, serverId, multiCloudImageId, imageId, instanceTypeId } = command.data;
        const deployment = owned(state, accountId);
        const server = serverOf(deployment, serverId);
        if (!given(multiCloudImageId) && !given(imageId) && !given(instanceTypeId)) return [];
        const cloud = command.data.cloud;
        if (!cloud) throw new Error(`cloud '${server.cloudId}' of server '${server.id}' is not registered`);
        // Another MCI brings its setting's image and instance type, unless those are given too.
        const mci = given(multiCloudImageId)
          ? selectMultiCloudImage(templateRevisionOf(server, command.data.serverTemplate), server.cloudId, multiCloudImageId)
          : undefined;
        const nextImageId = imageId ?? mci?.setting.imageId ?? server.imageId;
        // An image the server already runs stays usable after it was made OBSOLETE; a new one must not be.
        const image =
          nextImageId === server.imageId && cloud.images[nextImageId]
            ? cloud.images[nextImageId]
            : availableImage(cloud, nextImageId, 'launched');
        const instanceType = offeredInstanceType(cloud, instanceTypeId ?? mci?.setting.instanceTypeId ?? server.instanceTypeId);
        assertRunsOn(image, instanceType);
        const changed: Extract<DeploymentEvent, { type: 'ServerUpdated' }>['data'] = {
          serverId,
          ...(mci && (mci.multiCloudImageId !== server.multiCloudImage.id || mci.revision !== server.multiCloudImage.revision)
            ? {
                multiCloudImage: { id: mci.multiCloudImageId, revision: mci.revision },
                multiCloudImageLatestRevision: mci.latestRevision,
              }
            : {}),
          ...(image.id !== server.imageId ? { imageId: image.id } : {}),
          ...(instanceType.id !== server.instanceTypeId ? { instanceTypeId: instanceType.id } : {}),
        };
        return Object.keys(changed).length === 1 ? [] : [{ type: 'ServerUpdated', data: changed }];
      }
      default: {
        const unknown: never = command;
        throw new Error(`unknown Deployment command ${JSON.stringify(unknown)}`);
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'DeploymentCreated':
        return { status: 'active', id: event.data.deploymentId, accountId: event.data.accountId, name: event.data.name, servers: [] };
      case 'ServerAdded': {
        if (state.status !== 'active') return state;
        const { serverId, ...server } = event.data;
        return { ...state, servers: [...state.servers, { id: serverId, ...server }] };
      }
      case 'ServerUpdated': {
        if (state.status !== 'active') return state;
        const { serverId, ...changed } = event.data;
        return { ...state, servers: state.servers.map((server) => (server.id === serverId ? { ...server, ...changed } : server)) };
      }
      default: {
        const unknown: never = event;
        throw new Error(`unknown Deployment event ${JSON.stringify(unknown)}`);
      }
    }
  },
};
