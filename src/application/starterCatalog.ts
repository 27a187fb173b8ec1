import type { Architecture, CloudCommand, ImageStatus } from '../domain/catalog/cloud';
import { cloudStream } from '../domain/catalog/cloud';
import { cloudBatchDecider } from '../domain/catalog/cloudBatch';
import { VersionConflictError } from '../eventStore/errors';
import type { EventStore, LogPosition } from '../eventStore/port';
import { parseCloudEvent } from './catalog';
import type { CommandContext, CommandHandler } from './commandHandler';

/*
 * The built-in starter catalog (design.md, "first start"): a few regions of three providers, each with
 * 32- and 64-bit RightImages of two OS families and a small (i386 + x86_64) and a large (x86_64 only)
 * instance type. Ids are stable across installations, so tests, examples and the README can name them:
 * images `<cloudId>/<image name>`, instance types `<cloudId>/small` and `<cloudId>/large`.
 */

export interface StarterImage {
  readonly name: string;
  readonly os: string;
  readonly osVersion: string;
  readonly architecture: Architecture;
  /** Registered ACTIVE, then moved here in the same append. */
  readonly status: ImageStatus;
}

export interface StarterInstanceType {
  readonly size: StarterSize;
  readonly name: string;
  readonly architectures: readonly Architecture[];
}

export interface StarterCloud {
  readonly id: string;
  readonly name: string;
  readonly provider: string;
  readonly images: readonly StarterImage[];
  readonly instanceTypes: readonly StarterInstanceType[];
}

export type StarterSize = 'small' | 'large';

/** The image names every starter cloud has, all ACTIVE. */
export const STARTER_IMAGE_NAMES = {
  centosI386: 'RightImage_CentOS_5.6_i386_v5.7',
  centosX64: 'RightImage_CentOS_5.6_x64_v5.7',
  ubuntuI386: 'RightImage_Ubuntu_10.04_i386_v5.7',
  ubuntuX64: 'RightImage_Ubuntu_10.04_x64_v5.7',
} as const;

/** Older images only `aws-us-east-1` still lists: one DEPRECATED, one OBSOLETE (for trying those rules). */
export const STARTER_RETIRED_IMAGE_NAMES = {
  deprecated: 'RightImage_CentOS_5.4_x64_v5.6',
  obsolete: 'RightImage_CentOS_5.2_x64_v5.4',
} as const;

export const starterImageId = (cloudId: string, imageName: string): string => `${cloudId}/${imageName}`;
export const starterInstanceTypeId = (cloudId: string, size: StarterSize): string => `${cloudId}/${size}`;

const CURRENT_IMAGES: readonly StarterImage[] = [
  { name: STARTER_IMAGE_NAMES.centosI386, os: 'CentOS', osVersion: '5.6', architecture: 'i386', status: 'ACTIVE' },
  { name: STARTER_IMAGE_NAMES.centosX64, os: 'CentOS', osVersion: '5.6', architecture: 'x86_64', status: 'ACTIVE' },
  { name: STARTER_IMAGE_NAMES.ubuntuI386, os: 'Ubuntu', osVersion: '10.04', architecture: 'i386', status: 'ACTIVE' },
  { name: STARTER_IMAGE_NAMES.ubuntuX64, os: 'Ubuntu', osVersion: '10.04', architecture: 'x86_64', status: 'ACTIVE' },
];

const RETIRED_IMAGES: readonly StarterImage[] = [
  { name: STARTER_RETIRED_IMAGE_NAMES.deprecated, os: 'CentOS', osVersion: '5.4', architecture: 'x86_64', status: 'DEPRECATED' },
  { name: STARTER_RETIRED_IMAGE_NAMES.obsolete, os: 'CentOS', osVersion: '5.2', architecture: 'x86_64', status: 'OBSOLETE' },
];

/** Each provider's names for the two sizes; small runs both architectures, large 64-bit only. */
const sizes = (small: string, large: string): readonly StarterInstanceType[] => [
  { size: 'small', name: small, architectures: ['i386', 'x86_64'] },
  { size: 'large', name: large, architectures: ['x86_64'] },
];
const AWS_SIZES = sizes('m1.small', 'm1.large');
const RACKSPACE_SIZES = sizes('512MB Standard Instance', '8GB Standard Instance');
const GOOGLE_SIZES = sizes('g1-small', 'n1-standard-4');

export const STARTER_CATALOG: readonly StarterCloud[] = [
  {
    id: 'aws-us-east-1',
    name: 'AWS US-East (N. Virginia)',
    provider: 'AWS',
    images: [...CURRENT_IMAGES, ...RETIRED_IMAGES],
    instanceTypes: AWS_SIZES,
  },
  { id: 'aws-us-west-1', name: 'AWS US-West (N. California)', provider: 'AWS', images: CURRENT_IMAGES, instanceTypes: AWS_SIZES },
  { id: 'aws-eu-west-1', name: 'AWS EU (Ireland)', provider: 'AWS', images: CURRENT_IMAGES, instanceTypes: AWS_SIZES },
  { id: 'aws-ap-southeast-1', name: 'AWS Asia Pacific (Singapore)', provider: 'AWS', images: CURRENT_IMAGES, instanceTypes: AWS_SIZES },
  { id: 'rackspace-dfw', name: 'Rackspace Dallas (DFW)', provider: 'Rackspace', images: CURRENT_IMAGES, instanceTypes: RACKSPACE_SIZES },
  { id: 'rackspace-ord', name: 'Rackspace Chicago (ORD)', provider: 'Rackspace', images: CURRENT_IMAGES, instanceTypes: RACKSPACE_SIZES },
  { id: 'gce-us-central1', name: 'Google us-central1 (Iowa)', provider: 'Google', images: CURRENT_IMAGES, instanceTypes: GOOGLE_SIZES },
  {
    id: 'gce-europe-west1',
    name: 'Google europe-west1 (Belgium)',
    provider: 'Google',
    images: CURRENT_IMAGES,
    instanceTypes: GOOGLE_SIZES,
  },
];

/** The commands that register one starter cloud with its whole resource pool. */
export function starterCloudCommands(cloud: StarterCloud): CloudCommand[] {
  const commands: CloudCommand[] = [{ type: 'RegisterCloud', data: { cloudId: cloud.id, name: cloud.name, provider: cloud.provider } }];
  for (const image of cloud.images) {
    const { status: _status, ...described } = image;
    commands.push({ type: 'RegisterImage', data: { ...described, id: starterImageId(cloud.id, image.name), cloudId: cloud.id } });
  }
  for (const type of cloud.instanceTypes) {
    commands.push({
      type: 'RegisterInstanceType',
      data: { id: starterInstanceTypeId(cloud.id, type.size), cloudId: cloud.id, name: type.name, architectures: type.architectures },
    });
  }
  for (const image of cloud.images) {
    if (image.status === 'ACTIVE') continue;
    commands.push({
      type: 'DeprecateImage',
      data: { cloudId: cloud.id, imageId: starterImageId(cloud.id, image.name), status: image.status },
    });
  }
  return commands;
}

export interface StarterCatalogResult {
  /** Clouds this call registered; the others already existed. */
  readonly registered: readonly string[];
  readonly skipped: readonly string[];
  /** Where the last registration landed in the log: wait for it before reading the catalog. */
  readonly position: LogPosition | undefined;
}

/**
 * Registers the built-in starter catalog once: each cloud with its images and instance types is one
 * atomic append that requires the cloud's stream not to exist, so a cloud already registered (by an
 * earlier start, a concurrent start, or the operator) is left alone, and a start that crashed midway
 * is completed by the next one.
 *
 * Usage (bootstrap): await registerStarterCatalog(services.store, services.commands, operatorContext);
 */
export async function registerStarterCatalog(
  _store: EventStore,
  commands: CommandHandler,
  context: CommandContext,
  catalog: readonly StarterCloud[] = STARTER_CATALOG,
): Promise<StarterCatalogResult> {
  const registered: string[] = [];
  const skipped: string[] = [];
  let position: LogPosition | undefined;
  for (const cloud of catalog) {
    try {
      const handled = await commands.handle({
        stream: cloudStream(cloud.id),
        decider: cloudBatchDecider,
        parseEvent: parseCloudEvent,
        command: starterCloudCommands(cloud),
        context,
        expectedRevision: 'no_stream',
      });
      registered.push(cloud.id);
      position = handled.position;
    } catch (error) {
      // 'no_stream' failed: the cloud exists already. Never touch it: the operator may have changed it.
      if (!(error instanceof VersionConflictError)) throw error;
      skipped.push(cloud.id);
    }
  }
  return { registered, skipped, position };
}
