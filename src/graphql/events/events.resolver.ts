import { Arg, Authorized, Ctx, FieldResolver, Int, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import {
  checkFeedCursor,
  countFeed,
  DEFAULT_MAX_QUEUED_EVENTS,
  readFeedPage,
  subscribeToFeed,
  type FeedSelection,
} from '../../application/changeFeed';
import { componentStream } from '../../application/components';
import { marketplaceSharedEvents } from '../../application/marketplace/sharedEvents';
import { DomainError, ErrorCode } from '../../domain/errors';
import { MAX_EVENT_TYPE_LENGTH } from '../../eventStore/appendRules';
import { MAX_FILTER_ENTRIES } from '../../eventStore/filter';
import type { RecordedEvent } from '../../eventStore/port';
import type { GraphQLContext } from '../context';
import { kindOfComponent } from '../versionControl/componentKinds';
import { pageSize } from '../versionControl/pagination';
import { toEventType } from '../versionControl/versionControl.resolver';
import { RecordedEventType } from '../versionControl/versionControl.types';
import { ChangeFeed, EventFilter, STREAM_PREFIX_OF_KIND } from './events.types';
import { LIVE_EVENTS_FIELD } from './liveField';

/*
 * The change feed for integrators: `events` as a query (poll a page after a cursor) and as a
 * subscription (replay after a cursor, then live), with the same cursors. What an account may see is
 * decided in src/application/changeFeed.ts.
 */

/** The WebSocket close code for a subscriber that fell more than its queue's bound behind. */
const TOO_SLOW_CLOSE_CODE = 4008;
/** A WebSocket close frame carries at most 123 bytes of reason. */
const MAX_CLOSE_REASON_BYTES = 123;

interface FeedArgs {
  readonly after?: string | null;
  readonly filter?: EventFilter | null;
}

function checkEntries(name: string, list: readonly string[] | null | undefined): readonly string[] | undefined {
  if (list === null || list === undefined) return undefined;
  if (list.length > MAX_FILTER_ENTRIES) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, `filter.${name}: expected at most ${MAX_FILTER_ENTRIES} entries, got ${list.length}`);
  }
  return list;
}

/** Turns the client's filter into streams and types; a component id outside the account is NOT_FOUND, as a missing one. */
async function selectionOf(ctx: GraphQLContext, filter: EventFilter | null | undefined): Promise<FeedSelection> {
  const eventTypes = checkEntries('types', filter?.types);
  const tooLong = eventTypes?.find((type) => type.length === 0 || type.length > MAX_EVENT_TYPE_LENGTH);
  if (tooLong !== undefined) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `filter.types: expected event type names of 1 to ${MAX_EVENT_TYPE_LENGTH} characters, got one of ${tooLong.length}`,
    );
  }
  const componentIds = checkEntries('componentIds', filter?.componentIds);
  const kinds = checkEntries('kinds', filter?.kinds);
  const streams =
    componentIds &&
    (await Promise.all([...new Set(componentIds)].map(async (id) => componentStream((await kindOfComponent(ctx, id)).component, id))));
  const streamPrefixes = kinds?.map((kind) => STREAM_PREFIX_OF_KIND.get(kind) as string);
  return {
    ...(eventTypes ? { eventTypes } : {}),
    ...(streamPrefixes ? { streamPrefixes } : {}),
    ...(streams ? { streams } : {}),
  };
}

function tooSlowReason(queued: number, resumeAfter: string | undefined): string {
  const reason = `too slow: ${queued} events queued; resume with ${resumeAfter === undefined ? 'no after' : `after: ${resumeAfter}`}`;
  return Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES ? reason : `too slow: ${queued} events queued; resume after your last cursor`;
}

async function openFeed({
  args,
  context,
}: SubscribeResolverData<unknown, FeedArgs, GraphQLContext>): Promise<AsyncIterable<RecordedEvent>> {
  const { services, viewer, connection, logger } = context;
  const after = checkFeedCursor(services.store, args.after);
  const selection = await selectionOf(context, args.filter);
  return subscribeToFeed(services.store, viewer, {
    after,
    selection,
    shared: marketplaceSharedEvents(services.queries.marketplace),
    maxQueuedEvents: connection?.maxQueuedEvents ?? DEFAULT_MAX_QUEUED_EVENTS,
    onTooSlow: ({ queued, resumeAfter }) => {
      logger.warn(
        { tokenId: viewer.tokenId, queued, resumeAfter },
        'closing the socket of a change-feed subscriber that fell too far behind',
      );
      connection?.close(TOO_SLOW_CLOSE_CODE, tooSlowReason(queued, resumeAfter));
    },
  });
}

@Resolver(() => ChangeFeed)
export class EventsResolver {
  @Authorized('observer')
  @Query(() => ChangeFeed, {
    name: 'events',
    description:
      "The account's change feed, oldest first: the events after `after` (from the start when omitted). Poll with `after: pageInfo.endCursor`; `hasNextPage` is false once the page reached the end of the log.",
  })
  async feed(
    @Ctx() ctx: GraphQLContext,
    @Arg('after', () => String, { nullable: true, description: 'An event `cursor` or a page’s `endCursor` (exclusive).' })
    after?: string | null,
    @Arg('first', () => Int, { nullable: true, description: 'Default 50, at most 500.' }) first?: number | null,
    @Arg('filter', () => EventFilter, { nullable: true }) filter?: EventFilter | null,
  ): Promise<ChangeFeed> {
    const size = pageSize(first);
    const from = checkFeedCursor(ctx.services.store, after);
    const selection = await selectionOf(ctx, filter);
    const page = await readFeedPage(ctx.services.store, ctx.viewer, {
      after: from,
      first: size,
      selection,
      shared: marketplaceSharedEvents(ctx.services.queries.marketplace),
    });
    const nodes = page.events.map(toEventType);
    return {
      nodes,
      edges: nodes.map((node) => ({ cursor: node.cursor, node })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor ?? null },
      query: { after: from, selection },
    };
  }

  @Authorized('observer')
  @FieldResolver(() => Int, {
    description:
      'How many events of the feed (with this filter) lie after `after`. Counting reads the log from there: select it only when needed.',
  })
  totalCount(@Root() feed: ChangeFeed, @Ctx() ctx: GraphQLContext): Promise<number> {
    return countFeed(ctx.services.store, ctx.viewer, { ...feed.query, shared: marketplaceSharedEvents(ctx.services.queries.marketplace) });
  }

  @Authorized('observer')
  @Subscription(() => RecordedEventType, {
    name: LIVE_EVENTS_FIELD,
    description:
      "The account's change feed, live: replays the events after `after` (from the start when omitted), then delivers new ones as they are committed, in log order, never skipping one. Resubscribe with the last `cursor` received to miss nothing. Over WebSocket (graphql-ws) only.",
    subscribe: openFeed,
  })
  liveEvents(
    @Root() event: RecordedEvent | undefined,
    @Arg('filter', () => EventFilter, { nullable: true }) _filter?: EventFilter | null,
    @Arg('after', () => String, { nullable: true, description: 'An event `cursor` or a page’s `endCursor` (exclusive).' })
    _after?: string | null,
  ): RecordedEventType {
    // Over HTTP, graphql-js runs a subscription's field once as if it were a query, with no event.
    if (event === undefined) {
      throw new DomainError(
        ErrorCode.BAD_USER_INPUT,
        'subscription events is served over WebSocket (graphql-ws protocol) at /graphql; over HTTP, poll with query events(after, first, filter)',
      );
    }
    return toEventType(event);
  }
}
