import { Arg, Authorized, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { multiCloudImageAt, multiCloudImageHistory } from '../../application/multiCloudImages';
import { diffMultiCloudImages } from '../../domain/multiCloudImages/diff';
import { MULTI_CLOUD_IMAGE_STREAM_PREFIX } from '../../domain/multiCloudImages/multiCloudImage';
import type { RecordedEvent } from '../../eventStore/port';
import type { GraphQLContext } from '../context';
import { multiCloudImageContentAt, pastView } from '../multiCloudImages/multiCloudImages.views';
import { decodePageCursor, pageSize, toConnection } from './pagination';
import { Diff, EventConnection, RevisionRef, VersionedComponent, type RecordedEventType } from './versionControl.types';

/*
 * Version control across component kinds: history (the events of one component, from the log),
 * time travel (its state at an instant, folded from the log) and diff (between any two revisions,
 * from the revision snapshots and head rows). MultiCloud Images are the only kind so far; the other
 * kinds join by dispatching on the id here. Everything is scoped to the viewer's account.
 */

const HISTORY_CURSOR_KIND = 'history';
const STREAM_REVISION = /^(0|[1-9]\d{0,15})$/u;

/** Category prefixes of component streams; the component id is what follows. */
const COMPONENT_STREAM_PREFIXES = [MULTI_CLOUD_IMAGE_STREAM_PREFIX];

function componentIdOf(stream: string): string | null {
  const prefix = COMPONENT_STREAM_PREFIXES.find((p) => stream.startsWith(p));
  return prefix === undefined ? null : stream.slice(prefix.length);
}

function toEventType(event: RecordedEvent): RecordedEventType {
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
    const page = await multiCloudImageHistory(ctx.services, ctx.viewer.accountId, id, { afterRevision, first: size });
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
    const past = await multiCloudImageAt(ctx.services, ctx.viewer.accountId, id, at);
    return pastView(past.state, past.version);
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
    const [before, after] = await Promise.all([
      multiCloudImageContentAt(ctx, from.id, from.revision),
      multiCloudImageContentAt(ctx, to.id, to.revision),
    ]);
    return { changes: diffMultiCloudImages(before, after) };
  }
}
