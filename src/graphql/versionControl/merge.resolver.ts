import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { mergeIntoHead, mergeKindOf, previewMerge, type MergeKind, type MergeReport } from '../../application/merge';
import { DomainError, ErrorCode } from '../../domain/errors';
import { MULTI_CLOUD_IMAGE_KIND } from '../../domain/multiCloudImages/multiCloudImage';
import { RIGHT_SCRIPT_KIND } from '../../domain/rightScripts/rightScript';
import { SERVER_TEMPLATE_KIND } from '../../domain/serverTemplates/serverTemplate.types';
import type { AncestryNode } from '../../domain/versionControl/ancestry';
import { commandContext, type GraphQLContext } from '../context';
import { freshHeadView as multiCloudImageHead } from '../multiCloudImages/multiCloudImages.views';
import { freshHeadView as rightScriptHead } from '../rightScripts/rightScripts.views';
import { freshHeadView as serverTemplateHead } from '../serverTemplates/serverTemplates.views';
import { kindOfComponent } from './componentKinds';
import { type MergeBase, MergePreview, MergeResolutionInput, MergeResult } from './merge.types';
import { RevisionRef, type VersionedComponent } from './versionControl.types';

/*
 * Merge over GraphQL: thin over application/merge.ts. Both ids must be components of the viewer's
 * account (own or imported): a missing or foreign one is NOT_FOUND with one message, as in diff.
 */

/** What a merge mutation returns as its component: the target at HEAD, straight from the read model. */
const HEAD_VIEWS: Readonly<Record<string, (ctx: GraphQLContext, id: string) => VersionedComponent>> = {
  [MULTI_CLOUD_IMAGE_KIND]: multiCloudImageHead,
  [RIGHT_SCRIPT_KIND]: rightScriptHead,
  [SERVER_TEMPLATE_KIND]: serverTemplateHead,
};

/** The kind both components share; a source of another kind than the target is BAD_USER_INPUT. */
async function mergeKinds(ctx: GraphQLContext, targetId: string, sourceId: string): Promise<MergeKind> {
  const [target, source] = await Promise.all([kindOfComponent(ctx, targetId), kindOfComponent(ctx, sourceId)]);
  if (target !== source) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `merge brings changes between components of one kind: the target '${targetId}' is a ${target.component.kind}, the source '${sourceId}' a ${source.component.kind}`,
    );
  }
  return mergeKindOf(target.component.kind);
}

const baseOf = (node: AncestryNode): MergeBase => ({ id: node.id, revision: node.revision, version: node.version ?? null });

const reportView = (report: MergeReport): MergePreview => ({
  base: baseOf(report.base),
  changes: [...report.changes],
  conflicts: [...report.conflicts],
  alreadyMerged: report.alreadyMerged,
});

@Resolver()
export class MergeResolver {
  @Authorized('observer')
  @Query(() => MergePreview, {
    description:
      "What merging a source revision (omitted or 0: its HEAD) into the target's HEAD would do, three-way against their nearest common ancestor. NOT_FOUND, READ_ONLY (an import), NO_COMMON_ANCESTOR as merge answers them; nothing is written.",
  })
  async mergePreview(
    @Arg('targetId', () => ID) targetId: string,
    @Arg('source', () => RevisionRef) source: RevisionRef,
    @Ctx() ctx: GraphQLContext,
  ): Promise<MergePreview> {
    const kind = await mergeKinds(ctx, targetId, source.id);
    return reportView(await previewMerge(ctx.services, ctx.viewer.accountId, kind, { targetId, source }));
  }

  @Authorized('designer')
  @Mutation(() => MergeResult, {
    description:
      "Brings a source revision's changes (omitted or 0: its HEAD) into the target's HEAD, three-way against their nearest common ancestor: ordinary events plus one MergeApplied. All or nothing: an unresolved conflict is MERGE_CONFLICT (extensions.conflicts lists them) and nothing is written. NO_COMMON_ANCESTOR, READ_ONLY (an import: clone it), NOT_FOUND, VERSION_CONFLICT, BAD_USER_INPUT (a resolution naming no conflict).",
  })
  async merge(
    @Arg('targetId', () => ID) targetId: string,
    @Arg('source', () => RevisionRef) source: RevisionRef,
    @Ctx() ctx: GraphQLContext,
    @Arg('resolutions', () => [MergeResolutionInput], { nullable: true, description: 'At most 1,000; each conflict path once.' })
    resolutions?: MergeResolutionInput[] | null,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number | null,
  ): Promise<MergeResult> {
    const kind = await mergeKinds(ctx, targetId, source.id);
    const report = await mergeIntoHead(ctx.services, commandContext(ctx), kind, { targetId, source, resolutions, expectedVersion });
    const headView = HEAD_VIEWS[kind.command.kind];
    if (!headView) throw new Error(`no HEAD view for component kind '${kind.command.kind}'`);
    return { ...reportView(report), component: headView(ctx, targetId) };
  }
}
