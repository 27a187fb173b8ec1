import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import {
  addTemplateMultiCloudImage,
  bindRightScript,
  cloneServerTemplate,
  commitServerTemplate,
  createServerTemplate,
  deleteServerTemplate,
  pinTemplateMultiCloudImage,
  removeTemplateMultiCloudImage,
  setDefaultTemplateMultiCloudImage,
  unbindRightScript,
  updateServerTemplate,
} from '../../application/serverTemplates';
import type { CloudInfo } from '../../domain/catalog/cloud';
import { contentPins, type ContentPin } from '../../domain/serverTemplates/pins';
import { SEQUENCES, type PinnedKind } from '../../domain/serverTemplates/serverTemplate.types';
import { jsonEqual } from '../../domain/versionControl/change';
import { cloudLoader } from '../catalog/catalog.loaders';
import { Cloud } from '../catalog/catalog.types';
import { commandContext, type GraphQLContext } from '../context';
import { multiCloudImageHeadLoader, multiCloudImageSnapshotLoader } from '../multiCloudImages/multiCloudImages.loaders';
import { MultiCloudImage } from '../multiCloudImages/multiCloudImages.types';
import { loadMultiCloudImageView } from '../multiCloudImages/multiCloudImages.views';
import { rightScriptHeadLoader, rightScriptSnapshotLoader } from '../rightScripts/rightScripts.loaders';
import { RightScript } from '../rightScripts/rightScripts.types';
import { loadRightScriptView } from '../rightScripts/rightScripts.views';
import { boundedFilterId, boundedFilterText, decodePageCursor, pageSize, toConnection } from '../versionControl/pagination';
import { ComponentRevision, Revision } from '../versionControl/versionControl.types';
import { CreateServerTemplateInput, UpdateServerTemplateInput } from './serverTemplates.inputs';
import {
  multiCloudImageCloudsLoader,
  multiCloudImageHeadContentLoader,
  rightScriptHeadContentLoader,
  serverTemplateRevisionsLoader,
  supportedCloudsLoader,
  templatePinsLoader,
  usedByLoader,
} from './serverTemplates.loaders';
import {
  RightScriptBinding,
  Sequence,
  ServerTemplate,
  ServerTemplateConnection,
  ServerTemplateFilter,
  TemplateMultiCloudImage,
} from './serverTemplates.types';
import { freshHeadView, headView, loadServerTemplateView } from './serverTemplates.views';

/*
 * ServerTemplates over GraphQL. Resolvers are thin: input → application command → the changed
 * template read back from the read model (the command waited for it); what a template pins, its
 * clouds and whether it floats come through per-request loaders, so a page of templates with their
 * MCIs and scripts costs a fixed number of reads. Reads are scoped to the viewer's account: another
 * account's template is NOT_FOUND.
 */

const CURSOR_KIND = 'servertemplate';
const SORT_KEY = /^\d{20}\.\d{20}$/u;

/** What the template shown pins: a past instant's from the content it holds, else loaded in batch from the pins table. */
function pinsOf(template: ServerTemplate, ctx: GraphQLContext): Promise<ContentPin[]> {
  if (template.frozenContent) return Promise.resolve(contentPins(template.frozenContent));
  return templatePinsLoader(ctx).load({ id: template.id, revision: template.revision });
}

/** Whether the HEAD of a pinned component differs from its latest revision (never committed: it does). */
async function headDiffersFromLatest(ctx: GraphQLContext, kind: PinnedKind, id: string): Promise<boolean> {
  const head = kind === 'MultiCloudImage' ? await multiCloudImageHeadLoader(ctx).load(id) : await rightScriptHeadLoader(ctx).load(id);
  // A pinned component deleted since (a race IN_USE can't close) has no HEAD left to float on.
  if (!head) return false;
  if (head.latestRevision === 0) return true;
  const key = { id, revision: head.latestRevision };
  const [content, snapshot] =
    kind === 'MultiCloudImage'
      ? await Promise.all([multiCloudImageHeadContentLoader(ctx).load(id), multiCloudImageSnapshotLoader(ctx).load(key)])
      : await Promise.all([rightScriptHeadContentLoader(ctx).load(id), rightScriptSnapshotLoader(ctx).load(key)]);
  return content === null || snapshot === null || !jsonEqual(content, snapshot.content);
}

const SEQUENCE_ORDER = new Map<string, number>(SEQUENCES.map((sequence, index) => [sequence, index]));

@Resolver(() => ServerTemplate)
export class ServerTemplateResolver {
  @Authorized('observer')
  @Query(() => ServerTemplateConnection, { description: "The account's ServerTemplates at HEAD, oldest first." })
  serverTemplates(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true, description: 'Default 50, at most 500.' }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
    @Arg('filter', () => ServerTemplateFilter, { nullable: true }) filter?: ServerTemplateFilter | null,
  ): ServerTemplateConnection {
    const page = ctx.services.queries.serverTemplates.page({
      accountId: ctx.viewer.accountId,
      first: pageSize(first),
      ...(after ? { afterSortKey: decodePageCursor(CURSOR_KIND, after, SORT_KEY) } : {}),
      ...(filter?.nameContains ? { nameContains: boundedFilterText(filter.nameContains) } : {}),
      ...(filter?.cloudId ? { cloudId: boundedFilterId('cloudId', filter.cloudId) } : {}),
    });
    return toConnection(CURSOR_KIND, { ...page, items: page.heads }, (head) => head.sortKey, headView);
  }

  @Authorized('observer')
  @Query(() => ServerTemplate, {
    description: 'One ServerTemplate at a revision (omitted or 0: HEAD). NOT_FOUND for an unknown id or revision.',
  })
  serverTemplate(
    @Arg('id', () => ID) id: string,
    @Arg('revision', () => Int, { nullable: true }) revision: number | null | undefined,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ServerTemplate> {
    return loadServerTemplateView(ctx, id, revision);
  }

  @Authorized('observer')
  @FieldResolver(() => [TemplateMultiCloudImage], { description: 'The attached MultiCloud Images in the order they were attached.' })
  async multiCloudImages(@Root() template: ServerTemplate, @Ctx() ctx: GraphQLContext): Promise<TemplateMultiCloudImage[]> {
    const pins = await pinsOf(template, ctx);
    return pins
      .filter((pin) => pin.kind === 'MultiCloudImage')
      .sort((a, b) => a.position - b.position)
      .map((pin) => ({
        multiCloudImageId: pin.componentId,
        revision: pin.componentRevision,
        isDefault: pin.isDefault,
        position: pin.position,
      }));
  }

  @Authorized('observer')
  @FieldResolver(() => [RightScriptBinding], {
    description: 'The bound RightScripts in run order: BOOT, OPERATIONAL, DECOMMISSION, each by position; or of one sequence.',
  })
  async rightScripts(
    @Root() template: ServerTemplate,
    @Ctx() ctx: GraphQLContext,
    @Arg('sequence', () => Sequence, { nullable: true }) sequence?: Sequence | null,
  ): Promise<RightScriptBinding[]> {
    const pins = await pinsOf(template, ctx);
    return pins
      .filter((pin) => pin.kind === 'RightScript' && pin.sequence !== null && (!sequence || pin.sequence === sequence))
      .sort((a, b) => (SEQUENCE_ORDER.get(a.sequence ?? '') ?? 0) - (SEQUENCE_ORDER.get(b.sequence ?? '') ?? 0) || a.position - b.position)
      .map((pin) => ({
        rightScriptId: pin.componentId,
        revision: pin.componentRevision,
        sequence: pin.sequence as Sequence,
        position: pin.position,
      }));
  }

  @Authorized('observer')
  @FieldResolver(() => [Cloud], {
    description: 'The clouds it can deploy to: the union of the clouds of its MCIs at their pinned revisions, by id.',
  })
  async supportedClouds(@Root() template: ServerTemplate, @Ctx() ctx: GraphQLContext): Promise<CloudInfo[]> {
    let cloudIds: string[];
    if (template.frozenContent) {
      const keys = template.frozenContent.multiCloudImages.map((mci) => ({ id: mci.multiCloudImageId, revision: mci.revision }));
      const perMultiCloudImage = await multiCloudImageCloudsLoader(ctx).loadMany(keys);
      cloudIds = [...new Set(perMultiCloudImage.flatMap((ids) => (ids instanceof Error ? [] : ids)))].sort();
    } else {
      cloudIds = await supportedCloudsLoader(ctx).load({ id: template.id, revision: template.revision });
    }
    const clouds = await cloudLoader(ctx).loadMany(cloudIds);
    return clouds.filter((cloud): cloud is CloudInfo => cloud !== null && !(cloud instanceof Error));
  }

  @Authorized('observer')
  @FieldResolver(() => Boolean, {
    description:
      "True when it pins the HEAD of an MCI or RightScript whose content differs from that component's latest revision (or that was never committed).",
  })
  async floating(@Root() template: ServerTemplate, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    const pins = (await pinsOf(template, ctx)).filter((pin) => pin.componentRevision === 0);
    const differs = await Promise.all(pins.map((pin) => headDiffersFromLatest(ctx, pin.kind, pin.componentId)));
    return differs.some(Boolean);
  }

  @Authorized('observer')
  @FieldResolver(() => [Revision], { description: 'The committed revisions, oldest first.' })
  async revisions(@Root() template: ServerTemplate, @Ctx() ctx: GraphQLContext): Promise<Revision[]> {
    const rows = await serverTemplateRevisionsLoader(ctx).load(template.id);
    const upTo = template.revisionsUpTo;
    return rows
      .filter((row) => upTo === undefined || row.revision <= upTo)
      .map(({ revision, message, committedAt, committedBy }) => ({ revision, message, committedAt, committedBy }));
  }

  @Authorized('designer')
  @Mutation(() => ServerTemplate, { description: 'A new ServerTemplate in its own lineage, with one MultiCloud Image as its default.' })
  async createServerTemplate(
    @Arg('input', () => CreateServerTemplateInput) input: CreateServerTemplateInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ServerTemplate> {
    const written = await createServerTemplate(ctx.services, commandContext(ctx), input);
    return freshHeadView(ctx, written.id);
  }

  @Authorized('designer')
  @Mutation(() => ServerTemplate, { description: "Changes HEAD's name and/or description." })
  async updateServerTemplate(
    @Arg('input', () => UpdateServerTemplateInput) input: UpdateServerTemplateInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ServerTemplate> {
    const written = await updateServerTemplate(ctx.services, commandContext(ctx), input);
    return freshHeadView(ctx, written.id);
  }

  @Authorized('designer')
  @Mutation(() => ServerTemplate, {
    description:
      'Attaches a MultiCloud Image at a revision (omitted or 0: HEAD), at the end of the list; `isDefault` makes it the default.',
  })
  async addTemplateMultiCloudImage(
    @Arg('templateId', () => ID) templateId: string,
    @Arg('multiCloudImageId', () => ID) multiCloudImageId: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('revision', () => Int, { nullable: true, description: 'The MCI revision to pin; omitted or 0: its HEAD.' })
    revision?: number | null,
    @Arg('isDefault', () => Boolean, { nullable: true, defaultValue: false }) isDefault?: boolean | null,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number | null,
  ): Promise<ServerTemplate> {
    const written = await addTemplateMultiCloudImage(ctx.services, commandContext(ctx), {
      id: templateId,
      multiCloudImageId,
      multiCloudImageRevision: revision,
      isDefault,
      expectedVersion,
    });
    return freshHeadView(ctx, written.id);
  }

  @Authorized('designer')
  @Mutation(() => ServerTemplate, {
    description: 'Detaches a MultiCloud Image. Removing the default needs `newDefaultMultiCloudImageId`: another attached MCI.',
  })
  async removeTemplateMultiCloudImage(
    @Arg('templateId', () => ID) templateId: string,
    @Arg('multiCloudImageId', () => ID) multiCloudImageId: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('newDefaultMultiCloudImageId', () => ID, { nullable: true }) newDefaultMultiCloudImageId?: string | null,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number | null,
  ): Promise<ServerTemplate> {
    const written = await removeTemplateMultiCloudImage(ctx.services, commandContext(ctx), {
      id: templateId,
      multiCloudImageId,
      newDefaultMultiCloudImageId,
      expectedVersion,
    });
    return freshHeadView(ctx, written.id);
  }

  @Authorized('designer')
  @Mutation(() => ServerTemplate, { description: 'Makes an attached MultiCloud Image the default.' })
  async setDefaultTemplateMultiCloudImage(
    @Arg('templateId', () => ID) templateId: string,
    @Arg('multiCloudImageId', () => ID) multiCloudImageId: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number | null,
  ): Promise<ServerTemplate> {
    const written = await setDefaultTemplateMultiCloudImage(ctx.services, commandContext(ctx), {
      id: templateId,
      multiCloudImageId,
      expectedVersion,
    });
    return freshHeadView(ctx, written.id);
  }

  @Authorized('designer')
  @Mutation(() => ServerTemplate, {
    description:
      'Re-pins an attached MultiCloud Image to another revision (omitted or 0: HEAD) of itself, or of `toMultiCloudImageId` of the same lineage, keeping its place and default.',
  })
  async pinTemplateMultiCloudImage(
    @Arg('templateId', () => ID) templateId: string,
    @Arg('multiCloudImageId', () => ID) multiCloudImageId: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('toMultiCloudImageId', () => ID, { nullable: true }) toMultiCloudImageId?: string | null,
    @Arg('revision', () => Int, { nullable: true }) revision?: number | null,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number | null,
  ): Promise<ServerTemplate> {
    const written = await pinTemplateMultiCloudImage(ctx.services, commandContext(ctx), {
      id: templateId,
      multiCloudImageId,
      toMultiCloudImageId,
      multiCloudImageRevision: revision,
      expectedVersion,
    });
    return freshHeadView(ctx, written.id);
  }

  @Authorized('designer')
  @Mutation(() => ServerTemplate, {
    description:
      'Binds a RightScript at a revision (omitted or 0: HEAD) in a sequence at a position (from 1; omitted: at the end); the ones from there on shift one place later.',
  })
  async bindRightScript(
    @Arg('templateId', () => ID) templateId: string,
    @Arg('rightScriptId', () => ID) rightScriptId: string,
    @Arg('sequence', () => Sequence) sequence: Sequence,
    @Ctx() ctx: GraphQLContext,
    @Arg('revision', () => Int, { nullable: true }) revision?: number | null,
    @Arg('position', () => Int, { nullable: true }) position?: number | null,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number | null,
  ): Promise<ServerTemplate> {
    const written = await bindRightScript(ctx.services, commandContext(ctx), {
      id: templateId,
      rightScriptId,
      rightScriptRevision: revision,
      sequence,
      position,
      expectedVersion,
    });
    return freshHeadView(ctx, written.id);
  }

  @Authorized('designer')
  @Mutation(() => ServerTemplate, { description: 'Unbinds a RightScript from a sequence; the ones after it shift one place earlier.' })
  async unbindRightScript(
    @Arg('templateId', () => ID) templateId: string,
    @Arg('rightScriptId', () => ID) rightScriptId: string,
    @Arg('sequence', () => Sequence) sequence: Sequence,
    @Ctx() ctx: GraphQLContext,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number | null,
  ): Promise<ServerTemplate> {
    const written = await unbindRightScript(ctx.services, commandContext(ctx), {
      id: templateId,
      rightScriptId,
      sequence,
      expectedVersion,
    });
    return freshHeadView(ctx, written.id);
  }

  @Authorized('designer')
  @Mutation(() => ServerTemplate, {
    description:
      'Commits HEAD as the next revision and returns it. HEAD_DEPENDENCIES (listed in `extensions.dependencies`) when HEAD pins HEADs of MCIs or RightScripts, unless `commitHeadDependencies`: then those are committed first (or their latest revision taken when unchanged) and the revision pins them. NO_CHANGES when nothing changed.',
  })
  async commitServerTemplate(
    @Arg('id', () => ID) id: string,
    @Arg('message', () => String) message: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('commitHeadDependencies', () => Boolean, { nullable: true, defaultValue: false }) commitHeadDependencies?: boolean | null,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number | null,
  ): Promise<ServerTemplate> {
    const written = await commitServerTemplate(ctx.services, commandContext(ctx), { id, message, commitHeadDependencies, expectedVersion });
    return loadServerTemplateView(ctx, written.id, written.revision);
  }

  @Authorized('designer')
  @Mutation(() => ServerTemplate, {
    description:
      'A new ServerTemplate (new lineage) whose HEAD copies a revision (omitted or 0: HEAD) of this one, pins included; the name defaults to the source name with its trailing version bumped.',
  })
  async cloneServerTemplate(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('revision', () => Int, { nullable: true }) revision?: number | null,
    @Arg('name', () => String, { nullable: true }) name?: string | null,
  ): Promise<ServerTemplate> {
    const written = await cloneServerTemplate(ctx.services, commandContext(ctx), { id, revision, name });
    return freshHeadView(ctx, written.id);
  }

  @Authorized('designer')
  @Mutation(() => ID, { description: 'Deletes the ServerTemplate; its history stays readable. Returns its id.' })
  async deleteServerTemplate(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number | null,
  ): Promise<string> {
    const written = await deleteServerTemplate(ctx.services, commandContext(ctx), { id, expectedVersion });
    return written.id;
  }
}

@Resolver(() => TemplateMultiCloudImage)
export class TemplateMultiCloudImageResolver {
  @Authorized('observer')
  @FieldResolver(() => MultiCloudImage, { description: 'The MCI at its pinned revision.' })
  multiCloudImage(@Root() attached: TemplateMultiCloudImage, @Ctx() ctx: GraphQLContext): Promise<MultiCloudImage> {
    return loadMultiCloudImageView(ctx, attached.multiCloudImageId, attached.revision);
  }
}

@Resolver(() => RightScriptBinding)
export class RightScriptBindingResolver {
  @Authorized('observer')
  @FieldResolver(() => RightScript, { description: 'The RightScript at its pinned revision.' })
  rightScript(@Root() binding: RightScriptBinding, @Ctx() ctx: GraphQLContext): Promise<RightScript> {
    return loadRightScriptView(ctx, binding.rightScriptId, binding.revision);
  }
}

const toComponentRevisions = (uses: ReadonlyArray<{ serverTemplateId: string; templateRevision: number }>): ComponentRevision[] =>
  uses.map((use) => ({ id: use.serverTemplateId, revision: use.templateRevision }));

@Resolver(() => MultiCloudImage)
export class MultiCloudImageUsageResolver {
  @Authorized('observer')
  @FieldResolver(() => [ComponentRevision], {
    description:
      "The ServerTemplate revisions (0: HEAD) that pin this MCI, at any of its revisions; deleted templates are left out. While any does, it is IN_USE and can't be deleted.",
  })
  async usedBy(@Root() mci: MultiCloudImage, @Ctx() ctx: GraphQLContext): Promise<ComponentRevision[]> {
    return toComponentRevisions(await usedByLoader(ctx, 'MultiCloudImage').load(mci.id));
  }
}

@Resolver(() => RightScript)
export class RightScriptUsageResolver {
  @Authorized('observer')
  @FieldResolver(() => [ComponentRevision], {
    description:
      'The ServerTemplate revisions (0: HEAD) that bind this RightScript, at any of its revisions; deleted templates are left out.',
  })
  async usedBy(@Root() rightScript: RightScript, @Ctx() ctx: GraphQLContext): Promise<ComponentRevision[]> {
    return toComponentRevisions(await usedByLoader(ctx, 'RightScript').load(rightScript.id));
  }
}
