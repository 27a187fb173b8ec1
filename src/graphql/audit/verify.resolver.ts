import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { COMPONENT_ID, componentStream } from '../../application/components';
import { verifyStream, type BrokenEvent } from '../../application/verification';
import { DomainError, ErrorCode } from '../../domain/errors';
import { StreamNotFoundError } from '../../eventStore/errors';
import type { GraphQLContext } from '../context';
import { COMPONENT_KINDS, kindOfComponent, type ComponentKindApi } from '../versionControl/componentKinds';
import { type BrokenEventType, HistoryVerification, PROBLEM_OF } from './verify.types';

/*
 * Tamper evidence over the API: a component's stream checked event by event (hash, chain, revisions,
 * order) straight from the event store, plus the read models' count of its events, so a removed
 * newest event shows too. The whole log is checked by the operator CLI (`multicloud-images verify`).
 */

@Resolver()
export class VerifyResolver {
  @Authorized('observer')
  @Query(() => HistoryVerification, {
    description:
      "Checks a component's tamper-evident history: every event's hash, the chain of `prevHash`es, revisions without gaps, and that no event was removed or moved.",
  })
  async verifyHistory(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<HistoryVerification> {
    const kind = await componentToVerify(ctx, id);
    const stream = componentStream(kind.component, id);
    // The tally first: everything it counts is in the log by the time the stream is read.
    const tally = ctx.services.queries.verification.streamTally(stream);
    const result = await verifyStream(ctx.services.store, stream, tally ? { tally } : {});
    const toType = (broken: BrokenEvent): BrokenEventType => ({
      streamId: broken.stream ?? stream,
      revision: broken.revision === undefined ? null : Number(broken.revision),
      eventId: broken.id ?? null,
      cursor: broken.position ? ctx.services.store.cursorOf(broken.position) : null,
      problem: PROBLEM_OF[broken.problem],
      detail: broken.detail,
    });
    return {
      ok: result.ok,
      eventsChecked: result.eventsChecked,
      firstBrokenEvent: result.firstBrokenEvent ? toType(result.firstBrokenEvent) : null,
      problems: result.problems.map(toType),
    };
  }
}

/**
 * The viewer's component with this id, as every id-taking operation finds it; and, when its first
 * event is gone (which is what a tamperer removing it would hope hides the rest), the component whose
 * remaining events were written by the viewer's account, so the removal is reported rather than
 * answered NOT_FOUND. Other accounts' components stay NOT_FOUND with the same message.
 */
async function componentToVerify(ctx: GraphQLContext, id: string): Promise<ComponentKindApi> {
  try {
    return await kindOfComponent(ctx, id);
  } catch (error) {
    if (!(error instanceof DomainError) || error.code !== ErrorCode.NOT_FOUND || !COMPONENT_ID.test(id)) throw error;
    const streams = COMPONENT_KINDS.map((api) => componentStream(api.component, id));
    const [found] = ctx.services.queries.streams.existing(streams);
    if (found === undefined) throw error;
    const api = COMPONENT_KINDS[streams.indexOf(found)] as ComponentKindApi;
    let first;
    try {
      [first] = await ctx.services.store.readStream(found, { maxCount: 1 });
    } catch (readError) {
      if (readError instanceof StreamNotFoundError) throw error;
      throw readError;
    }
    if (first && first.revision !== 0n && first.metadata.accountId === ctx.viewer.accountId) return api;
    throw error;
  }
}
