import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { MultiCloudImageSetting as DomainSetting } from '../../domain/multiCloudImages/multiCloudImage';
import { WARNING_CODES, type WarningCode } from '../../domain/multiCloudImages/lint';
import { PageInfo, VersionedComponent } from '../versionControl/versionControl.types';

/*
 * The MultiCloud Image GraphQL types. Resolvers hand them plain objects (multiCloudImages.views.ts
 * builds them); `settings`, `revisions` and `warnings` are field resolvers that go through the
 * per-request loaders, and a setting's `cloud`, `image`, `instanceType`, `kernelImage` and
 * `ramdiskImage` resolve through the catalog's loaders.
 */

@ObjectType('MultiCloudImage', {
  implements: VersionedComponent,
  description: 'A MultiCloud Image: at most one setting per cloud (image, default instance type, kernel, ramdisk, user data).',
})
export class MultiCloudImage extends VersionedComponent {
  /** Not a field: the newest committed revision, for `behind`. */
  latestRevision!: number;
  /** Not a field: the settings of the revision shown, when they are already at hand (a snapshot, time travel); undefined: HEAD's, loaded in batch. */
  frozenSettings?: readonly DomainSetting[];
  /** Not a field: time travel shows only the revisions committed by then. */
  revisionsUpTo?: number;
}

@ObjectType('MultiCloudImageSetting', { description: "One cloud's setting of a MultiCloud Image." })
export class MultiCloudImageSetting implements DomainSetting {
  /** Not fields: the field resolvers turn these ids into catalog objects. */
  cloudId!: string;
  imageId!: string;
  instanceTypeId!: string;
  kernelImageId!: string | null;
  ramdiskImageId!: string | null;

  @Field(() => String, { nullable: true, description: 'Passed to the instance at launch; at most 16 KiB in UTF-8.' })
  userData!: string | null;
}

@ObjectType('Warning', { description: 'A best-practice warning (a lint, never an error).' })
export class Warning {
  @Field(() => String, { description: `One of ${WARNING_CODES.join(', ')}.` })
  code!: WarningCode;

  @Field(() => String)
  message!: string;
}

@ObjectType('MultiCloudImageEdge')
export class MultiCloudImageEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => MultiCloudImage)
  node!: MultiCloudImage;
}

@ObjectType('MultiCloudImageConnection', { description: "The account's MultiCloud Images at HEAD, oldest first." })
export class MultiCloudImageConnection {
  @Field(() => [MultiCloudImage])
  nodes!: MultiCloudImage[];

  @Field(() => [MultiCloudImageEdge])
  edges!: MultiCloudImageEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'How many match the filter in all.' })
  totalCount!: number;
}

@InputType('MultiCloudImageFilter')
export class MultiCloudImageFilter {
  @Field(() => String, { nullable: true, description: 'Only names containing this text (case-insensitive).' })
  nameContains?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only MultiCloud Images with a setting for this cloud.' })
  cloudId?: string | null;

  @Field(() => ID, {
    nullable: true,
    description:
      "Only MultiCloud Images this ServerTemplate pins, at HEAD or in a committed revision (none for another account's template).",
  })
  usedByTemplateId?: string | null;
}
