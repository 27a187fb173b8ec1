import type { Decider } from '../decider';
import { DomainError, ErrorCode } from '../errors';

/*
 * A cloud and its resource pool: one aggregate per cloud (stream `cloud-<id>`), written by the system
 * operator only. Images and instance types live inside their cloud: an image exists in one cloud only.
 */

export const ARCHITECTURES = ['i386', 'x86_64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];
export const IMAGE_STATUSES = ['ACTIVE', 'DEPRECATED', 'OBSOLETE'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

export interface Image {
  readonly id: string;
  readonly cloudId: string;
  readonly name: string;
  readonly os: string;
  readonly osVersion: string;
  readonly architecture: Architecture;
  readonly status: ImageStatus;
}

export interface InstanceType {
  readonly id: string;
  readonly cloudId: string;
  readonly name: string;
  readonly architectures: readonly Architecture[];
}

/** A cloud without its resource pool: what lists of clouds and the `Cloud` GraphQL type start from. */
export interface CloudInfo {
  readonly id: string;
  readonly name: string;
  readonly provider: string;
}

export interface RegisteredCloud {
  readonly status: 'registered';
  readonly id: string;
  readonly name: string;
  readonly provider: string;
  readonly images: Readonly<Record<string, Image>>;
  readonly instanceTypes: Readonly<Record<string, InstanceType>>;
}

export type CloudState = { readonly status: 'unregistered' } | RegisteredCloud;

export type CloudEvent =
  | { type: 'CloudRegistered'; data: { cloudId: string; name: string; provider: string } }
  | { type: 'ImageRegistered'; data: Omit<Image, 'status'> & { status?: ImageStatus } }
  | { type: 'InstanceTypeRegistered'; data: InstanceType }
  | { type: 'ImageDeprecated'; data: { cloudId: string; imageId: string; status: Exclude<ImageStatus, 'ACTIVE'> } };

export type CloudCommand =
  | { type: 'RegisterCloud'; data: { cloudId: string; name: string; provider: string } }
  | { type: 'RegisterImage'; data: Omit<Image, 'status'> }
  | { type: 'RegisterInstanceType'; data: InstanceType }
  | { type: 'DeprecateImage'; data: { cloudId: string; imageId: string; status: Exclude<ImageStatus, 'ACTIVE'> } };

export const cloudStream = (cloudId: string): string => `cloud-${cloudId}`;

/** Catalog ids are chosen by the operator and a cloud's id appears in its stream name: short, no spaces. */
const CATALOG_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/u;
/**
 * Image and instance type ids are unique across all clouds, so they may also contain '/': the
 * convention `<cloudId>/<name>` (`aws-us-east-1/RightImage_CentOS_5.6_x64_v5.7`) makes them unique by
 * construction and says at a glance which cloud they belong to. They never appear in stream names.
 */
const RESOURCE_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/u;

function checkId(what: string, id: string, pattern: RegExp = CATALOG_ID): void {
  if (typeof id !== 'string' || !pattern.test(id)) {
    const allowed = pattern === RESOURCE_ID ? "'.', '_', ':', '/' or '-'" : "'.', '_', ':' or '-'";
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `${what} id: expected 1 to 128 letters, digits, ${allowed} starting with a letter or digit, got '${String(id).slice(0, 140)}'`,
    );
  }
}

function checkArchitecture(what: string, value: unknown): asserts value is Architecture {
  if (!(ARCHITECTURES as readonly unknown[]).includes(value)) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, `${what}: expected one of ${ARCHITECTURES.join(', ')}, got '${String(value)}'`);
  }
}

function checkText(what: string, value: string, max = 255): void {
  if (value.trim().length === 0 || value.length > max) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, `${what}: expected 1 to ${max} characters, got ${value.length}`);
  }
}

function registered(state: CloudState, cloudId: string): RegisteredCloud {
  if (state.status !== 'registered') throw new DomainError(ErrorCode.NOT_FOUND, `cloud '${cloudId}' is not registered`);
  return state;
}

export const cloudDecider: Decider<CloudState, CloudCommand, CloudEvent> = {
  initialState: () => ({ status: 'unregistered' }),

  decide(command, state) {
    switch (command.type) {
      case 'RegisterCloud': {
        const { cloudId, name, provider } = command.data;
        checkId('cloud', cloudId);
        checkText('cloud name', name);
        checkText('provider', provider, 64);
        if (state.status === 'registered') throw new DomainError(ErrorCode.BAD_USER_INPUT, `cloud '${cloudId}' is already registered`);
        return [{ type: 'CloudRegistered', data: { cloudId, name, provider } }];
      }
      case 'RegisterImage': {
        const cloud = registered(state, command.data.cloudId);
        const image = command.data;
        checkId('image', image.id, RESOURCE_ID);
        checkText('image name', image.name);
        checkText('os', image.os, 64);
        checkText('os version', image.osVersion, 64);
        checkArchitecture('image architecture', image.architecture);
        if (cloud.images[image.id]) {
          throw new DomainError(ErrorCode.BAD_USER_INPUT, `image '${image.id}' is already registered in cloud '${cloud.id}'`);
        }
        return [{ type: 'ImageRegistered', data: { ...image, cloudId: cloud.id, status: 'ACTIVE' } }];
      }
      case 'RegisterInstanceType': {
        const cloud = registered(state, command.data.cloudId);
        const type = command.data;
        checkId('instance type', type.id, RESOURCE_ID);
        checkText('instance type name', type.name);
        if (type.architectures.length === 0) {
          throw new DomainError(ErrorCode.BAD_USER_INPUT, 'instance type architectures: expected at least one of i386, x86_64, got none');
        }
        for (const architecture of type.architectures) checkArchitecture('instance type architecture', architecture);
        if (cloud.instanceTypes[type.id]) {
          throw new DomainError(ErrorCode.BAD_USER_INPUT, `instance type '${type.id}' is already registered in cloud '${cloud.id}'`);
        }
        return [
          { type: 'InstanceTypeRegistered', data: { ...type, architectures: [...new Set(type.architectures)].sort(), cloudId: cloud.id } },
        ];
      }
      case 'DeprecateImage': {
        const cloud = registered(state, command.data.cloudId);
        // The command's type rules ACTIVE out, but a GraphQL enum can carry it: an image never comes back.
        if (command.data.status !== 'DEPRECATED' && command.data.status !== 'OBSOLETE') {
          throw new DomainError(
            ErrorCode.BAD_USER_INPUT,
            `image status: expected DEPRECATED or OBSOLETE, got '${String(command.data.status)}'`,
          );
        }
        const image = cloud.images[command.data.imageId];
        if (!image) throw new DomainError(ErrorCode.NOT_FOUND, `image '${command.data.imageId}' is not in cloud '${cloud.id}'`);
        if (image.status === command.data.status) return [];
        if (image.status === 'OBSOLETE') {
          throw new DomainError(
            ErrorCode.BAD_USER_INPUT,
            `image '${image.id}' is already OBSOLETE; it can't become ${command.data.status} again`,
          );
        }
        return [{ type: 'ImageDeprecated', data: { cloudId: cloud.id, imageId: image.id, status: command.data.status } }];
      }
      default: {
        const unknown: never = command;
        throw new Error(`unknown cloud command ${JSON.stringify(unknown)}`);
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'CloudRegistered':
        return {
          status: 'registered',
          id: event.data.cloudId,
          name: event.data.name,
          provider: event.data.provider,
          images: {},
          instanceTypes: {},
        };
      case 'ImageRegistered': {
        if (state.status !== 'registered') return state;
        const image: Image = { ...event.data, status: event.data.status ?? 'ACTIVE' };
        return { ...state, images: { ...state.images, [image.id]: image } };
      }
      case 'InstanceTypeRegistered':
        if (state.status !== 'registered') return state;
        return { ...state, instanceTypes: { ...state.instanceTypes, [event.data.id]: event.data } };
      case 'ImageDeprecated': {
        if (state.status !== 'registered') return state;
        const image = state.images[event.data.imageId];
        if (!image) return state;
        return { ...state, images: { ...state.images, [image.id]: { ...image, status: event.data.status } } };
      }
      default: {
        const unknown: never = event;
        throw new Error(`unknown cloud event ${JSON.stringify(unknown)}`);
      }
    }
  },
};

/** An image and an instance type are compatible when the type lists the image's architecture. */
export function isCompatible(image: Pick<Image, 'architecture'>, type: Pick<InstanceType, 'architectures'>): boolean {
  return type.architectures.includes(image.architecture);
}
