import { Arg, Authorized, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { blameComponent } from '../../application/blame';
import { assertRevisionNumber } from '../../domain/versionControl/revisions';
import type { GraphQLContext } from '../context';
import { kindOfComponent } from '../versionControl/componentKinds';
import { toEventType } from '../versionControl/versionControl.resolver';
import { Blame } from './blame.types';

/*
 * Audit reads over the record itself (the event store, not the read models), scoped to the viewer's
 * account: blame of any component kind.
 */

@Resolver()
export class AuditResolver {
  @Authorized('observer')
  @Query(() => Blame, {
    description:
      'For every field of a component at a revision (omitted or 0: HEAD), the event, actor, time and commit that last set it. A deleted component keeps its committed revisions blameable; its HEAD is NOT_FOUND.',
  })
  async blame(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('revision', () => Int, { nullable: true }) revision?: number | null,
  ): Promise<Blame> {
    // A malformed revision is refused whoever's id it comes with: the answer reveals nothing about the id.
    if (revision !== undefined && revision !== null) assertRevisionNumber(revision);
    const kind = await kindOfComponent(ctx, id);
    const blamed = await blameComponent(ctx.services.store, kind.component, ctx.viewer.accountId, id, revision);
    return {
      id: blamed.id,
      kind: blamed.kind,
      revision: blamed.revision,
      fields: blamed.entries.map((entry) => ({
        path: entry.path,
        value: entry.value,
        event: toEventType(entry.recorded),
        committedIn: entry.committedIn,
      })),
    };
  }
}
