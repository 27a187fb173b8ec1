import { Arg, Authorized, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { componentAt, componentHistory } from '../../application/components';
import type { RecordedEvent } from '../../eventStore/port';
import type { GraphQLContext } from '../context';
import { COMPONENT_KINDS, kindOfComponent, sameKind } from './componentKinds';
import { decodePageCursor, pageSize, toConnection } from './pagination';
import { Diff, EventConnection, RevisionRef, VersionedComponent, type RecordedEventType } from './versionControl.types';

/*
 * Version control across component kinds: history (the events of one component, from the log),
 * time travel (its state at an instant, folded from the log) and diff (between any two revisions,
 * from the revision snapshots and head rows), for every component kind registered in componentKinds.ts.
 * Everything is scoped to the viewer's account.
 */

const HISTORY_CURSOR_KIND = 'history';
const STREAM_REVISION = /^(0|[1-9]\d{0,15})$/u;

/** The component a stream belongs to: its id is what follows the kind's prefix. */
export function componentIdOf(stream: string): string | null {
  const prefix = COMPONENT_KINDS.map((api) => api.component.streamPrefix).find((p) => stream.startsWith(p));
  return prefix === undefined ? null : stream.slice(prefix.length);
}

export function toEventType(event: RecordedEvent): RecordedEventType {
  const { occurredAt, actorId, hash, prevHash } = event.metadata;
  return {
    cursor: event.cursor,
    id: event.id,
    type: event.type,
    streamId: event.stream,
    componentId: componentIdOf(event.stream),
    revision: Number(event.revision),
    occurredAt: typeof occurredAt === 'string' ? new Date(occurredAt) : event.recordedAt,
    actor: typeof actorId === 'string' ? { id: actorId } : null,
    data: event.data,
    hash,
    prevHash,
  };
}

@Resolver()
export class VersionControlResolver {
  @Authorized('observer')
  @Query(() => EventConnection, {
    description: "A component's events, oldest first, read from the event store (deleted components keep theirs).",
  })
  async history(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true, description: 'Default 50, at most 500.' }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<EventConnection> {
    const size = pageSize(first);
    const afterRevision = after ? Number(decodePageCursor(HISTORY_CURSOR_KIND, after, STREAM_REVISION)) : undefined;
    const kind = await kindOfComponent(ctx, id);
    const page = await componentHistory(ctx.services.store, kind.component, id, { afterRevision, first: size });
    return toConnection(HISTORY_CURSOR_KIND, { ...page, items: page.events }, (event) => event.revision.toString(), toEventType);
  }

  @Authorized('observer')
  @Query(() => VersionedComponent, {
    description:
      'Time travel: the component as it was at an instant (its HEAD then). NOT_FOUND when it did not exist yet or was already deleted.',
  })
  async componentAt(
    @Arg('id', () => ID) id: string,
    @Arg('at', () => Date) at: Date,
    @Ctx() ctx: GraphQLContext,
  ): Promise<VersionedComponent> {
    const kind = await kindOfComponent(ctx, id);
    const past = await componentAt(ctx.services.store, kind.component, ctx.viewer.accountId, id, at);
    return kind.pastView(past.state, past.version);
  }

  @Authorized('observer')
  @Query(() => Diff, {
    description:
      'Field-level changes from one revision to another, of one component or of two of the same kind (revision omitted or 0: HEAD).',
  })
  async diff(
    @Arg('from', () => RevisionRef) from: RevisionRef,
    @Arg('to', () => RevisionRef) to: RevisionRef,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Diff> {
    const kind = await sameKind(ctx, from.id, to.id);
    const [before, after] = await Promise.all([kind.contentAt(ctx, from.id, from.revision), kind.contentAt(ctx, to.id, to.revision)]);
    return { changes: kind.diff(before, after) };
  }
}
