import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import type * as catalog from '../../domain/catalog/cloud';

/*
 * The catalog's GraphQL types. Resolvers (and the DataLoaders in catalog.loaders.ts) hand these
 * types plain objects, never class instances:
 *
 *   Cloud        ← CloudInfo    { id, name, provider }                                     (domain/catalog/cloud.ts)
 *   Image        ← Image        { id, cloudId, name, os, osVersion, architecture, status }
 *   InstanceType ← InstanceType { id, cloudId, name, architectures }
 *
 * The relations are field resolvers that go through the per-request loaders: `Cloud.images`,
 * `Cloud.instanceTypes` (catalog.resolver.ts), `Image.cloud` and `InstanceType.cloud` (from `cloudId`).
 * So any resolver that has a `cloudId`, an `imageId` or an `instanceTypeId` returns
 * `cloudLoader(ctx).load(cloudId)` (etc.) for a field typed `Cloud`, `Image` or `InstanceType`.
 */

/** The GraphQL enum's values are the domain's own strings, so values pass through unchanged. */
export const Architecture = { i386: 'i386', x86_64: 'x86_64' } as const satisfies Record<catalog.Architecture, catalog.Architecture>;
export type Architecture = catalog.Architecture;
registerEnumType(Architecture, {
  name: 'Architecture',
  description: 'CPU architecture of an image; an instance type lists the ones it can run.',
  valuesConfig: { i386: { description: '32-bit: runs on small instance types only.' }, x86_64: { description: '64-bit.' } },
});

export const ImageStatus = { ACTIVE: 'ACTIVE', DEPRECATED: 'DEPRECATED', OBSOLETE: 'OBSOLETE' } as const satisfies Record<
  catalog.ImageStatus,
  catalog.ImageStatus
>;
export type ImageStatus = catalog.ImageStatus;
registerEnumType(ImageStatus, {
  name: 'ImageStatus',
  description: 'Lifecycle of an image in its cloud.',
  valuesConfig: {
    ACTIVE: { description: 'Can be mapped and launched.' },
    DEPRECATED: { description: 'Still works, but mapping or launching it warns.' },
    OBSOLETE: { description: "Can't be newly mapped or launched." },
  },
});

@ObjectType({ description: 'A provider region (e.g. `aws-us-east-1`) and its resource pool: the images and instance types it offers.' })
export class Cloud implements catalog.CloudInfo {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'The provider, e.g. `AWS`, `Rackspace`, `Google`.' })
  provider!: string;
}

@ObjectType({ description: "A machine image in one cloud's resource pool. Its id is unique across all clouds." })
export class Image implements catalog.Image {
  @Field(() => ID)
  id!: string;

  /** Not a field: `Image.cloud` resolves it. */
  cloudId!: string;

  @Field(() => String, { description: 'E.g. `RightImage_CentOS_5.6_x64_v5.7`.' })
  name!: string;

  @Field(() => String, { description: 'Operating system family, e.g. `CentOS`.' })
  os!: string;

  @Field(() => String, { description: 'E.g. `5.6`.' })
  osVersion!: string;

  @Field(() => Architecture)
  architecture!: Architecture;

  @Field(() => ImageStatus)
  status!: ImageStatus;
}

@ObjectType({ description: 'A machine size a cloud offers. Its id is unique across all clouds.' })
export class InstanceType implements catalog.InstanceType {
  @Field(() => ID)
  id!: string;

  /** Not a field: `InstanceType.cloud` resolves it. */
  cloudId!: string;

  @Field(() => String, { description: 'E.g. `m1.small`.' })
  name!: string;

  @Field(() => [Architecture], { description: 'The image architectures it can run: an image fits when its architecture is listed.' })
  architectures!: readonly Architecture[];
}
