import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import {
  cloneRightScript,
  commitRightScript,
  createRightScript,
  deleteRightScript,
  updateRightScript,
} from '../../application/rightScripts';
import type { RightScriptInput as DomainInput } from '../../domain/rightScripts/rightScript';
import { commandContext, type GraphQLContext } from '../context';
import { boundedFilterText, decodePageCursor, pageSize, toConnection } from '../versionControl/pagination';
import { Revision } from '../versionControl/versionControl.types';
import { CreateRightScriptInput, UpdateRightScriptInput } from './rightScripts.inputs';
import { rightScriptInputsLoader, rightScriptRevisionsLoader, rightScriptSourceLoader } from './rightScripts.loaders';
import { RightScript, RightScriptConnection, RightScriptFilter, RightScriptInput } from './rightScripts.types';
import { freshHeadView, headView, loadRightScriptView } from './rightScripts.views';

/*
 * RightScripts over GraphQL. Resolvers are thin: input → application command → the changed script
 * read back from the read model (the command waited for it); source, inputs and revisions come
 * through per-request loaders. Reads are scoped to the viewer's account: another account's script is
 * NOT_FOUND.
 */

const CURSOR_KIND = 'rightscript';
const SORT_KEY = /^\d{20}\.\d{20}$/u;

@Resolver(() => RightScript)
export class RightScriptResolver {
  @Authorized('observer')
  @Query(() => RightScriptConnection, { description: "The account's RightScripts at HEAD, oldest first." })
  rightScripts(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true, description: 'Default 50, at most 500.' }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
    @Arg('filter', () => RightScriptFilter, { nullable: true }) filter?: RightScriptFilter | null,
  ): RightScriptConnection {
    const page = ctx.services.queries.rightScripts.page({
      accountId: ctx.viewer.accountId,
      first: pageSize(first),
      ...(after ? { afterSortKey: decodePageCursor(CURSOR_KIND, after, SORT_KEY) } : {}),
      ...(filter?.nameContains ? { nameContains: boundedFilterText(filter.nameContains) } : {}),
    });
    return toConnection(CURSOR_KIND, { ...page, items: page.heads }, (head) => head.sortKey, headView);
  }

  @Authorized('observer')
  @Query(() => RightScript, { description: 'One RightScript at a revision (omitted or 0: HEAD). NOT_FOUND for an unknown id or revision.' })
  rightScript(
    @Arg('id', () => ID) id: string,
    @Arg('revision', () => Int, { nullable: true }) revision: number | null | undefined,
    @Ctx() ctx: GraphQLContext,
  ): Promise<RightScript> {
    return loadRightScriptView(ctx, id, revision);
  }

  @Authorized('observer')
  @FieldResolver(() => String, { description: 'The script body.' })
  async source(@Root() script: RightScript, @Ctx() ctx: GraphQLContext): Promise<string> {
    return script.frozen ? script.frozen.source : rightScriptSourceLoader(ctx).load(script.id);
  }

  @Authorized('observer')
  @FieldResolver(() => [RightScriptInput], { description: 'The inputs the script reads, by name.' })
  async inputs(@Root() script: RightScript, @Ctx() ctx: GraphQLContext): Promise<readonly DomainInput[]> {
    return script.frozen ? script.frozen.inputs : rightScriptInputsLoader(ctx).load(script.id);
  }

  @Authorized('observer')
  @FieldResolver(() => [Revision], { description: 'The committed revisions, oldest first.' })
  async revisions(@Root() script: RightScript, @Ctx() ctx: GraphQLContext): Promise<Revision[]> {
    const rows = await rightScriptRevisionsLoader(ctx).load(script.id);
    const upTo = script.revisionsUpTo;
    return rows
      .filter((row) => upTo === undefined || row.revision <= upTo)
      .map(({ revision, message, committedAt, committedBy }) => ({ revision, message, committedAt, committedBy }));
  }

  @Authorized('designer')
  @Mutation(() => RightScript, { description: 'A new RightScript, in its own lineage (RightScriptCreated).' })
  async createRightScript(
    @Arg('input', () => CreateRightScriptInput) input: CreateRightScriptInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<RightScript> {
    const written = await createRightScript(ctx.services, commandContext(ctx), input);
    return freshHeadView(ctx, written.id);
  }

  @Authorized('designer')
  @Mutation(() => RightScript, {
    description: "Changes HEAD's name, description, source and/or inputs (RightScriptUpdated, with only what changed).",
  })
  async updateRightScript(
    @Arg('input', () => UpdateRightScriptInput) input: UpdateRightScriptInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<RightScript> {
    const written = await updateRightScript(ctx.services, commandContext(ctx), input);
    return freshHeadView(ctx, written.id);
  }

  @Authorized('designer')
  @Mutation(() => RightScript, {
    description:
      'Commits HEAD as the next revision (RevisionCommitted) and returns that revision. NO_CHANGES when HEAD equals the latest revision.',
  })
  async commitRightScript(
    @Arg('id', () => ID) id: string,
    @Arg('message', () => String) message: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number | null,
    @Arg('revision', () => Int, { nullable: true }) revision?: number | null,
  ): Promise<RightScript> {
    const written = await commitRightScript(ctx.services, commandContext(ctx), { id, message, expectedVersion, revision });
    return loadRightScriptView(ctx, written.id, written.revision);
  }

  @Authorized('designer')
  @Mutation(() => RightScript, {
    description:
      'A new RightScript (new lineage) whose HEAD copies a revision (omitted or 0: HEAD) of this one; the name defaults to the source name with its trailing version bumped.',
  })
  async cloneRightScript(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('revision', () => Int, { nullable: true }) revision?: number | null,
    @Arg('name', () => String, { nullable: true }) name?: string | null,
  ): Promise<RightScript> {
    const written = await cloneRightScript(ctx.services, commandContext(ctx), { id, revision, name });
    return freshHeadView(ctx, written.id);
  }

  @Authorized('designer')
  @Mutation(() => ID, { description: 'Deletes the RightScript; its history stays readable. Returns its id.' })
  async deleteRightScript(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number | null,
    @Arg('revision', () => Int, { nullable: true }) revision?: number | null,
  ): Promise<string> {
    const written = await deleteRightScript(ctx.services, commandContext(ctx), { id, expectedVersion, revision });
    return written.id;
  }
}
