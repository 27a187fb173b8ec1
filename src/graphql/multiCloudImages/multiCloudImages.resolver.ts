import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import {
  cloneMultiCloudImage,
  commitMultiCloudImage,
  createMultiCloudImage,
  deleteMultiCloudImage,
  mapImage,
  unmapImage,
  updateMultiCloudImage,
} from '../../application/multiCloudImages';
import type { CloudInfo, Image as DomainImage, InstanceType as DomainInstanceType } from '../../domain/catalog/cloud';
import { lintMultiCloudImage } from '../../domain/multiCloudImages/lint';
import type { MultiCloudImageSetting as DomainSetting } from '../../domain/multiCloudImages/multiCloudImage';
import { cloudLoader, imageLoader, instanceTypeLoader } from '../catalog/catalog.loaders';
import { Cloud, Image, InstanceType } from '../catalog/catalog.types';
import { commandContext, type GraphQLContext } from '../context';
import { boundedFilterId, boundedFilterText, decodePageCursor, pageSize, toConnection } from '../versionControl/pagination';
import { Revision } from '../versionControl/versionControl.types';
import { CreateMultiCloudImageInput, MapImageInput, UpdateMultiCloudImageInput } from './multiCloudImages.inputs';
import { multiCloudImageRevisionsLoader, multiCloudImageSettingsLoader } from './multiCloudImages.loaders';
import {
  MultiCloudImage,
  MultiCloudImageConnection,
  MultiCloudImageFilter,
  MultiCloudImageSetting,
  Warning,
} from './multiCloudImages.types';
import { freshHeadView, headView, loadMultiCloudImageView } from './multiCloudImages.views';

/*
 * MultiCloud Images over GraphQL. Resolvers are thin: input → application command → the changed MCI
 * read back from the read model (the command waited for it); nested objects come through per-request
 * loaders. Reads are scoped to the viewer's account: another account's MCI is NOT_FOUND.
 */

const CURSOR_KIND = 'mci';
const SORT_KEY = /^\d{20}\.\d{20}$/u;

@Resolver(() => MultiCloudImage)
export class MultiCloudImageResolver {
  @Authorized('observer')
  @Query(() => MultiCloudImageConnection, { description: "The account's MultiCloud Images at HEAD, oldest first." })
  multiCloudImages(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true, description: 'Default 50, at most 500.' }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
    @Arg('filter', () => MultiCloudImageFilter, { nullable: true }) filter?: MultiCloudImageFilter | null,
  ): MultiCloudImageConnection {
    const page = ctx.services.queries.multiCloudImages.page({
      accountId: ctx.viewer.accountId,
      first: pageSize(first),
      ...(after ? { afterSortKey: decodePageCursor(CURSOR_KIND, after, SORT_KEY) } : {}),
      ...(filter?.nameContains ? { nameContains: boundedFilterText(filter.nameContains) } : {}),
      ...(filter?.cloudId ? { cloudId: boundedFilterId('cloudId', filter.cloudId) } : {}),
      ...(filter?.usedByTemplateId ? { usedByTemplateId: boundedFilterId('usedByTemplateId', filter.usedByTemplateId) } : {}),
    });
    return toConnection(CURSOR_KIND, { ...page, items: page.heads }, (head) => head.sortKey, headView);
  }

  @Authorized('observer')
  @Query(() => MultiCloudImage, {
    description: 'One MultiCloud Image at a revision (omitted or 0: HEAD). NOT_FOUND for an unknown id or revision.',
  })
  multiCloudImage(
    @Arg('id', () => ID) id: string,
    @Arg('revision', () => Int, { nullable: true }) revision: number | null | undefined,
    @Ctx() ctx: GraphQLContext,
  ): Promise<MultiCloudImage> {
    return loadMultiCloudImageView(ctx, id, revision);
  }

  @Authorized('observer')
  @FieldResolver(() => [MultiCloudImageSetting], { description: 'One per mapped cloud, by cloud id.' })
  async settings(@Root() mci: MultiCloudImage, @Ctx() ctx: GraphQLContext): Promise<DomainSetting[]> {
    return settingsOf(mci, ctx);
  }

  @Authorized('observer')
  @FieldResolver(() => [Revision], { description: 'The committed revisions, oldest first.' })
  async revisions(@Root() mci: MultiCloudImage, @Ctx() ctx: GraphQLContext): Promise<Revision[]> {
    const rows = await multiCloudImageRevisionsLoader(ctx).load(mci.id);
    const upTo = mci.revisionsUpTo;
    return rows
      .filter((row) => upTo === undefined || row.revision <= upTo)
      .map(({ revision, message, committedAt, committedBy }) => ({ revision, message, committedAt, committedBy }));
  }

  @Authorized('observer')
  @FieldResolver(() => [Warning], {
    description: 'Best practice: one OS, OS version and architecture, named after its image, no DEPRECATED images.',
  })
  async warnings(@Root() mci: MultiCloudImage, @Ctx() ctx: GraphQLContext): Promise<Warning[]> {
    const settings = await settingsOf(mci, ctx);
    const imageIds = [
      ...new Set(settings.flatMap((s) => [s.imageId, s.kernelImageId, s.ramdiskImageId].filter((id): id is string => id !== null))),
    ];
    const images = await imageLoader(ctx).loadMany(imageIds);
    const byId = new Map<string, DomainImage>();
    for (const image of images) if (image && !(image instanceof Error)) byId.set(image.id, image);
    const content = { name: mci.name, description: mci.description, settings: Object.fromEntries(settings.map((s) => [s.cloudId, s])) };
    return lintMultiCloudImage(content, (_cloudId, imageId) => byId.get(imageId));
  }

  @Authorized('designer')
  @Mutation(() => MultiCloudImage, { description: 'A new MultiCloud Image with no settings, in its own lineage.' })
  async createMultiCloudImage(
    @Arg('input', () => CreateMultiCloudImageInput) input: CreateMultiCloudImageInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<MultiCloudImage> {
    const written = await createMultiCloudImage(ctx.services, commandContext(ctx), input);
    return freshHeadView(ctx, written.id);
  }

  @Authorized('designer')
  @Mutation(() => MultiCloudImage, { description: "Changes HEAD's name and/or description." })
  async updateMultiCloudImage(
    @Arg('input', () => UpdateMultiCloudImageInput) input: UpdateMultiCloudImageInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<MultiCloudImage> {
    const written = await updateMultiCloudImage(ctx.services, commandContext(ctx), input);
    return freshHeadView(ctx, written.id);
  }

  @Authorized('designer')
  @Mutation(() => MultiCloudImage, {
    description:
      "Maps an image of a cloud (ImageMapped), replacing that cloud's setting. IMAGE_NOT_IN_CLOUD, IMAGE_OBSOLETE, ARCHITECTURE_MISMATCH, BAD_USER_INPUT (unknown cloud or instance type, user data over 16 KiB).",
  })
  async mapImage(@Arg('input', () => MapImageInput) input: MapImageInput, @Ctx() ctx: GraphQLContext): Promise<MultiCloudImage> {
    const { multiCloudImageId, ...rest } = input;
    const written = await mapImage(ctx.services, commandContext(ctx), { ...rest, id: multiCloudImageId });
    return freshHeadView(ctx, written.id);
  }

  @Authorized('designer')
  @Mutation(() => MultiCloudImage, { description: "Removes a cloud's setting." })
  async unmapImage(
    @Arg('multiCloudImageId', () => ID) multiCloudImageId: string,
    @Arg('cloudId', () => ID) cloudId: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number | null,
    @Arg('revision', () => Int, { nullable: true }) revision?: number | null,
  ): Promise<MultiCloudImage> {
    const written = await unmapImage(ctx.services, commandContext(ctx), { id: multiCloudImageId, cloudId, expectedVersion, revision });
    return freshHeadView(ctx, written.id);
  }

  @Authorized('designer')
  @Mutation(() => MultiCloudImage, {
    description:
      'Commits HEAD as the next revision (RevisionCommitted) and returns that revision. NO_CHANGES when HEAD equals the latest revision.',
  })
  async commitMultiCloudImage(
    @Arg('id', () => ID) id: string,
    @Arg('message', () => String) message: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number | null,
    @Arg('revision', () => Int, { nullable: true }) revision?: number | null,
  ): Promise<MultiCloudImage> {
    const written = await commitMultiCloudImage(ctx.services, commandContext(ctx), { id, message, expectedVersion, revision });
    return loadMultiCloudImageView(ctx, written.id, written.revision);
  }

  @Authorized('designer')
  @Mutation(() => MultiCloudImage, {
    description:
      'A new MultiCloud Image (new lineage) whose HEAD copies a revision (omitted or 0: HEAD) of this one; the name defaults to the source name with its trailing version bumped.',
  })
  async cloneMultiCloudImage(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('revision', () => Int, { nullable: true }) revision?: number | null,
    @Arg('name', () => String, { nullable: true }) name?: string | null,
  ): Promise<MultiCloudImage> {
    const written = await cloneMultiCloudImage(ctx.services, commandContext(ctx), { id, revision, name });
    return freshHeadView(ctx, written.id);
  }

  @Authorized('designer')
  @Mutation(() => ID, { description: 'Deletes the MultiCloud Image; its history stays readable. Returns its id.' })
  async deleteMultiCloudImage(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number | null,
    @Arg('revision', () => Int, { nullable: true }) revision?: number | null,
  ): Promise<string> {
    const written = await deleteMultiCloudImage(ctx.services, commandContext(ctx), { id, expectedVersion, revision });
    return written.id;
  }
}

async function settingsOf(mci: MultiCloudImage, ctx: GraphQLContext): Promise<DomainSetting[]> {
  const settings = mci.frozenSettings ?? (await multiCloudImageSettingsLoader(ctx).load(mci.id));
  return [...settings].sort((a, b) => (a.cloudId < b.cloudId ? -1 : a.cloudId > b.cloudId ? 1 : 0));
}

/** Catalog objects never disappear: a setting naming one the read model lacks is a bug, not a client error. */
function present<T>(value: T | null, what: string, id: string): T {
  if (value === null) throw new Error(`a MultiCloudImage setting names ${what} '${id}', which the catalog read model does not hold`);
  return value;
}

@Resolver(() => MultiCloudImageSetting)
export class MultiCloudImageSettingResolver {
  @Authorized('observer')
  @FieldResolver(() => Cloud)
  async cloud(@Root() setting: DomainSetting, @Ctx() ctx: GraphQLContext): Promise<CloudInfo> {
    return present(await cloudLoader(ctx).load(setting.cloudId), 'cloud', setting.cloudId);
  }

  @Authorized('observer')
  @FieldResolver(() => Image)
  async image(@Root() setting: DomainSetting, @Ctx() ctx: GraphQLContext): Promise<DomainImage> {
    return present(await imageLoader(ctx).load(setting.imageId), 'image', setting.imageId);
  }

  @Authorized('observer')
  @FieldResolver(() => InstanceType, { description: 'The default instance type.' })
  async instanceType(@Root() setting: DomainSetting, @Ctx() ctx: GraphQLContext): Promise<DomainInstanceType> {
    return present(await instanceTypeLoader(ctx).load(setting.instanceTypeId), 'instance type', setting.instanceTypeId);
  }

  @Authorized('observer')
  @FieldResolver(() => Image, { nullable: true })
  async kernelImage(@Root() setting: DomainSetting, @Ctx() ctx: GraphQLContext): Promise<DomainImage | null> {
    return setting.kernelImageId === null
      ? null
      : present(await imageLoader(ctx).load(setting.kernelImageId), 'image', setting.kernelImageId);
  }

  @Authorized('observer')
  @FieldResolver(() => Image, { nullable: true })
  async ramdiskImage(@Root() setting: DomainSetting, @Ctx() ctx: GraphQLContext): Promise<DomainImage | null> {
    return setting.ramdiskImageId === null
      ? null
      : present(await imageLoader(ctx).load(setting.ramdiskImageId), 'image', setting.ramdiskImageId);
  }
}
