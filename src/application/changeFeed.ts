import { accountStream } from '../domain/accounts/account';
import { holdsAnyRight, type Viewer } from '../domain/accounts/roles';
import { DomainError, ErrorCode } from '../domain/errors';
import { EventStoreUnavailableError, InvalidCursorError, InvalidRequestError, StreamNotFoundError } from '../eventStore/errors';
import { comparePositions } from '../eventStore/cursor';
import { matchesFilter, normalizeFilter, type NormalizedFilter } from '../eventStore/filter';
import {
  MAX_READ_COUNT,
  type EventFilter,
  type EventStore,
  type LogPosition,
  type ReadAllResult,
  type RecordedEvent,
} from '../eventStore/port';
import { feedTails, memberRevocationKey, type FeedTail, type TailMember } from './feedTail';

/*
 * The change feed: the global log as one account may see it, read page by page (`events` query) or
 * followed live (`events` subscription), with the store's own cursors, so a client can switch between
 * polling and subscribing, or resume either after a disconnect, without losing or repeating an event.
 *
 * Who sees what (decided here, and only here):
 * - catalog events (`cloud-…` streams) are shared facts: every account sees them;
 * - events of the account's own `account-<id>` stream (users, tokens) only tokens with the admin role
 *   see, and never with a token's hash (`tokenHash` is removed from `data`);
 * - any other event is seen by the account its `metadata.accountId` names, and by no other;
 * - the marketplace adds the events of publications an account may see and of groups it owns or is
 *   invited into, through the `SharedEvents` seam below (src/application/marketplace/sharedEvents.ts).
 * A foreign event is skipped as if it weren't there. Cursors are log positions: a page's `endCursor` may
 * lie past skipped events, which tells nothing of what they were.
 */

/** Events every account sees: the catalog of clouds, images and instance types. */
const SHARED_CATEGORY_PREFIXES = ['cloud-'] as const;
const ACCOUNT_PREFIX = 'account-';

/**
 * The seam for publications: events of other accounts this viewer may see anyway (a publication
 * shared with its account), as it may see them; `undefined` for the rest.
 */
export type SharedEvents = (viewer: Viewer, event: RecordedEvent) => RecordedEvent | undefined;
const NOTHING_SHARED: SharedEvents = () => undefined;

/** The event as this viewer may see it, or `undefined` when it is none of its business. */
function viewOf(viewer: Viewer, event: RecordedEvent, shared: SharedEvents = NOTHING_SHARED): RecordedEvent | undefined {
  if (SHARED_CATEGORY_PREFIXES.some((prefix) => event.stream.startsWith(prefix))) return event;
  if (event.stream.startsWith(ACCOUNT_PREFIX)) {
    const own =
      event.stream === accountStream(viewer.accountId) && event.metadata.accountId === viewer.accountId && holdsAnyRight(viewer, ['admin']);
    return own ? event : undefined;
  }
  if (event.metadata.accountId === viewer.accountId) return event;
  return shared(viewer, event);
}

/**
 * The event as the feed shows it: a token's hash and an invitation code's hash never leave the
 * service, not even to the account's admins or the group's owner.
 */
function redacted(event: RecordedEvent): RecordedEvent {
  const { data } = event;
  if (typeof data !== 'object' || data === null || Array.isArray(data) || !('tokenHash' in data || 'codeHash' in data)) return event;
  const { tokenHash: _tokenHash, codeHash: _codeHash, ...rest } = data as Record<string, unknown>;
  return { ...event, data: rest as typeof data };
}

/**
 * What a client asked for, already checked: every criterion given must match (an omitted one matches
 * everything, an empty list nothing).
 */
export interface FeedSelection {
  /** Exact event types. */
  readonly eventTypes?: readonly string[];
  /** Stream-name prefixes: the component kinds asked for. */
  readonly streamPrefixes?: readonly string[];
  /** Exact stream names: the components asked for (already known to be the viewer's). */
  readonly streams?: readonly string[];
}

/** The part of a selection the store can apply itself; the rest (exact streams, visibility) is checked here. */
function storeFilterOf(selection: FeedSelection): EventFilter {
  const { eventTypes, streamPrefixes, streams } = selection;
  const prefixes =
    streams !== undefined
      ? streams.filter((stream) => streamPrefixes === undefined || streamPrefixes.some((prefix) => stream.startsWith(prefix)))
      : streamPrefixes;
  return { ...(eventTypes !== undefined ? { eventTypes } : {}), ...(prefixes !== undefined ? { streamPrefixes: prefixes } : {}) };
}

class FeedMatcher {
  readonly storeFilter: EventFilter;
  private readonly streams: ReadonlySet<string> | undefined;

  constructor(
    private readonly viewer: Viewer,
    selection: FeedSelection,
    private readonly shared: SharedEvents,
  ) {
    this.storeFilter = storeFilterOf(selection);
    this.streams = selection.streams && new Set(selection.streams);
  }

  /** The event as this viewer sees it, or `undefined` when it isn't in its feed. */
  admit(event: RecordedEvent): RecordedEvent | undefined {
    // A component's stream is a prefix filter in the store: `mci-1` also matches `mci-10`.
    if (this.streams !== undefined && !this.streams.has(event.stream)) return undefined;
    const view = viewOf(this.viewer, event, this.shared);
    return view && redacted(view);
  }
}

/** Checks a client's `after` up front, naming the argument; `undefined` means from the start of the log. */
export function checkFeedCursor(store: EventStore, after: string | null | undefined): string | undefined {
  if (after === null || after === undefined) return undefined;
  try {
    store.parseCursor(after);
  } catch (error) {
    if (!(error instanceof InvalidCursorError) && !(error instanceof InvalidRequestError)) throw error;
    const shown = after.length > 80 ? `${after.slice(0, 80)}…` : after;
    throw new DomainError(ErrorCode.BAD_USER_INPUT, `after: expected an event cursor returned by this service, got '${shown}'`);
  }
  return after;
}

/** Store events looked at per read: a page of the feed may need several reads when most events are someone else's. */
const READ_CHUNK = 1_000;
/** At most this many store events are looked at for one page; the page then ends early with `hasNextPage`. */
const MAX_EVENTS_SCANNED_PER_PAGE = 20_000;

export interface FeedPage {
  readonly events: readonly RecordedEvent[];
  /** False only when the page reached the end of the log. */
  readonly hasNextPage: boolean;
  /**
   * Where to continue (exclusive): the last event's cursor, or, when the read went past events this
   * viewer doesn't see, the position it reached. `undefined` only for an empty log read from its start.
   */
  readonly endCursor: string | undefined;
}

/**
 * One page of the viewer's feed strictly after `after`, oldest first. A page can hold fewer than
 * `first` events (even none) with `hasNextPage` when the scan budget ran out on events the viewer
 * doesn't see: continue from `endCursor`.
 */
export async function readFeedPage(
  store: EventStore,
  viewer: Viewer,
  options: { after?: string; first: number; selection: FeedSelection; shared?: SharedEvents },
): Promise<FeedPage> {
  const matcher = new FeedMatcher(viewer, options.selection, options.shared ?? NOTHING_SHARED);
  const events: RecordedEvent[] = [];
  let cursor = options.after;
  let scanned = 0;
  // A page and the one event that proves a next page, when the viewer sees everything; more per read
  // while it sees little, so a small page doesn't read (and the next one read again) a thousand events.
  let chunk = Math.min(options.first + 1, READ_CHUNK);
  for (;;) {
    const read = await store.readAll({ after: cursor, maxCount: chunk, filter: matcher.storeFilter });
    chunk = Math.min(chunk * 2, READ_CHUNK);
    for (const event of read.events) {
      const admitted = matcher.admit(event);
      if (admitted === undefined) continue;
      // One event past the page proves there is a next page; it is served by the next request.
      if (events.length === options.first) return { events, hasNextPage: true, endCursor: events[events.length - 1]?.cursor ?? cursor };
      events.push(admitted);
    }
    cursor = read.cursor ?? cursor;
    scanned += read.events.length;
    if (read.isEnd) return { events, hasNextPage: false, endCursor: cursor };
    if (scanned >= MAX_EVENTS_SCANNED_PER_PAGE) return { events, hasNextPage: true, endCursor: cursor };
  }
}

/** How many events of the viewer's feed lie strictly after `after`: a scan of the log from there. */
export async function countFeed(
  store: EventStore,
  viewer: Viewer,
  options: { after?: string; selection: FeedSelection; shared?: SharedEvents },
): Promise<number> {
  const matcher = new FeedMatcher(viewer, options.selection, options.shared ?? NOTHING_SHARED);
  let count = 0;
  let cursor = options.after;
  for (;;) {
    const read = await store.readAll({ after: cursor, maxCount: MAX_READ_COUNT, filter: matcher.storeFilter });
    for (const event of read.events) if (matcher.admit(event) !== undefined) count += 1;
    cursor = read.cursor ?? cursor;
    if (read.isEnd) return count;
  }
}

/**
 * How many live events a subscription may hold for a slow client unless the server says otherwise.
 * Keep it above the tail's EVENTS_PER_TURN (256): a subscription may briefly queue most of one turn's
 * events while their response is computed, however fast its client reads.
 */
export const DEFAULT_MAX_QUEUED_EVENTS = 1_000;

export interface FeedSubscriptionOptions {
  /** Exclusive; from the start of the log when omitted. Check it first with `checkFeedCursor`. */
  readonly after?: string;
  readonly selection: FeedSelection;
  /**
   * How many live events may wait for a client that reads slower than they are written. Past it the
   * subscription ends and `onTooSlow` says so: memory per subscriber stays bounded.
   */
  readonly maxQueuedEvents: number;
  /**
   * Called once when the client fell too far behind, with the cursor of the last event the transport
   * finished sending (the subscription's own `after` when none was; `undefined` when that was omitted
   * too). A client that kept its own last cursor resumes from that one instead: it may be one further.
   */
  readonly onTooSlow: (lag: { queued: number; resumeAfter: string | undefined }) => void;
  readonly shared?: SharedEvents;
}

export const TOKEN_REVOKED_MESSAGE = 'the API token of this subscription was revoked: subscribe again with a valid token';

/**
 * Follows the viewer's feed: the events strictly after `after`, then new ones as they are committed,
 * in log order, with no gap and no duplicate at the switch. Ends with UNAUTHENTICATED as soon as the
 * subscriber's token is revoked.
 *
 * Usage:
 *   const feed = await subscribeToFeed(store, viewer, { after, selection: {}, maxQueuedEvents: 1000, onTooSlow });
 *   for await (const event of feed) { ... }
 */
export async function subscribeToFeed(store: EventStore, viewer: Viewer, options: FeedSubscriptionOptions): Promise<FeedSubscription> {
  const feed = new FeedStream(store, viewer, new FeedMatcher(viewer, options.selection, options.shared ?? NOTHING_SHARED), options);
  // A member of the shared tail first, so every revocation the tail reads from now on reaches it;
  // earlier ones were committed before the account stream is read below, which finds them.
  feed.attach(await feedTails(store).join(feed));
  try {
    if (await wasRevoked(store, viewer)) throw new DomainError(ErrorCode.UNAUTHENTICATED, TOKEN_REVOKED_MESSAGE);
  } catch (error) {
    await feed.return();
    throw error;
  }
  feed.start();
  return feed;
}

/** Account events read per step while looking for the subscriber's token. */
const ACCOUNT_PAGE = 100;

/**
 * Whether the subscriber's token was revoked (or its account is gone), from the account stream itself:
 * newest first and only back to the token's creation, since nothing older can revoke it. A long-lived
 * account with many users and tokens is never read whole for one subscription.
 */
async function wasRevoked(store: EventStore, viewer: Viewer): Promise<boolean> {
  const stream = accountStream(viewer.accountId);
  let fromRevision: bigint | undefined;
  for (;;) {
    let page: RecordedEvent[];
    try {
      page = await store.readStream(stream, {
        direction: 'backwards',
        maxCount: ACCOUNT_PAGE,
        ...(fromRevision === undefined ? {} : { fromRevision }),
      });
    } catch (error) {
      if (error instanceof StreamNotFoundError) return true;
      throw error;
    }
    for (const event of page) {
      if (isRevocationOf(event, viewer)) return true;
      if (event.type === 'ApiTokenCreated' && tokenIdOf(event) === viewer.tokenId) return false;
    }
    const oldest = page[page.length - 1];
    if (!oldest || page.length < ACCOUNT_PAGE || oldest.revision === 0n) return false;
    fromRevision = oldest.revision - 1n;
  }
}

function tokenIdOf(event: RecordedEvent): unknown {
  return (event.data as { tokenId?: unknown } | null)?.tokenId;
}

function isRevocationOf(event: RecordedEvent, viewer: Viewer): boolean {
  return event.type === 'ApiTokenRevoked' && event.stream === accountStream(viewer.accountId) && tokenIdOf(event) === viewer.tokenId;
}

/** Events read from the store per catch-up step; the next step waits until the client took them all. */
const CATCH_UP_PAGE = 500;
/** First and longest wait before a catch-up read is tried again while the store is unavailable. */
const CATCH_UP_RETRY_MS = { initial: 100, max: 2_000 } as const;

/**
 * A consumer that takes a feed's events as they come, synchronously and in order, instead of pulling
 * them one promise at a time: the transport of a thousand subscribers writes each event straight to
 * its socket (src/server/liveDelivery.ts).
 */
export interface FeedSink {
  /** The next event, now taken; `false` asks for no more until `push` is called again. */
  take(event: RecordedEvent): boolean;
  /** The feed is over: `undefined` when it ended (returned, closed for being too slow), else why it failed. */
  end(error: unknown): void;
}

/** A change-feed subscription: pulled as an async iterator, or pushed to a sink. */
export interface FeedSubscription extends AsyncIterableIterator<RecordedEvent> {
  /**
   * Hands every queued and later event to `sink` until it asks for no more, or the feed ends (then
   * `sink.end`). Not while a `next()` waits: a feed has one consumer at a time.
   */
  push(sink: FeedSink): void;
  /** The consumer finished sending everything up to this event: where a resume after a close is safe. */
  sent(cursor: string): void;
}

type Waiter = { resolve: (result: IteratorResult<RecordedEvent>) => void; reject: (error: unknown) => void };

/**
 * Where a subscription is: replaying the log at the client's pace (the tail's events ignored), handing
 * over (the tail's events after `target` kept in `buffer` while the replay reads up to `target`), or
 * live (fed by the tail).
 */
type Phase =
  | { readonly kind: 'replaying' }
  | { readonly kind: 'handingOver'; readonly target: LogPosition; readonly buffer: RecordedEvent[] }
  | { readonly kind: 'live' };

/**
 * The iterator a subscription hands to the transport. Catch-up reads the log at the client's pace (a
 * page, then wait until the client took it), so replaying a long history never counts as falling
 * behind; once caught up, the shared tail (feedTail.ts) pushes live events into a queue bounded by
 * `maxQueuedEvents`, which only a client slower than the write rate can fill.
 *
 * The switch from replay to tail, without gap or duplicate: when a replay read reaches the end of the
 * log at `at`, the tail has handed out everything up to its own position `tailAt`, and will hand out
 * every later event. If `tailAt <= at`, the subscription goes live at once and ignores the tail's
 * events up to `at` (the replay sent them). If the tail is ahead, its events after `tailAt` are
 * buffered while the replay reads on up to `tailAt`, then the buffer is sent and the subscription is
 * live. The buffer holds at most `maxQueuedEvents`: past that the hand-over is dropped (those events
 * are in the log) and the replay carries on, to try again at its next end of the log.
 *
 * Hand-written rather than an async generator: `return()` must end it at once even while a `next()`
 * waits for events that may never come (an async generator queues `return()` behind it).
 */
class FeedStream implements FeedSubscription, TailMember {
  readonly revocationKey: string;
  private readonly queue: RecordedEvent[] = [];
  private readonly liveFilter: NormalizedFilter;
  private waiter: Waiter | undefined;
  private sink: FeedSink | undefined;
  private wakePump: (() => void) | undefined;
  private tail: FeedTail | undefined;
  private phase: Phase = { kind: 'replaying' };
  /** The newest tail event this subscription has dealt with, or where the replay left it to the tail. */
  private tailSeen: LogPosition | undefined;
  private state: 'open' | 'failed' | 'ended' = 'open';
  private failure: unknown;
  /** The last event handed to the transport, and the last one it finished sending: where a resume is safe. */
  private lastTaken: string | undefined;
  private lastSent: string | undefined;

  constructor(
    private readonly store: EventStore,
    viewer: Viewer,
    private readonly matcher: FeedMatcher,
    private readonly options: FeedSubscriptionOptions,
  ) {
    this.revocationKey = memberRevocationKey(viewer.accountId, viewer.tokenId);
    // The store applies this filter to replay reads; the tail's events are unfiltered, so it is applied here.
    this.liveFilter = normalizeFilter(matcher.storeFilter);
    this.lastTaken = options.after;
    this.lastSent = options.after;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<RecordedEvent> {
    return this;
  }

  next(): Promise<IteratorResult<RecordedEvent>> {
    // Asked for the next one: the transport has finished sending the previous one.
    this.lastSent = this.lastTaken;
    if (this.state === 'failed') {
      this.state = 'ended';
      return Promise.reject(this.failure);
    }
    const event = this.queue.shift();
    if (event !== undefined) {
      this.lastTaken = event.cursor;
      if (this.queue.length === 0) this.wake();
      return Promise.resolve({ value: event, done: false });
    }
    if (this.state === 'ended') return Promise.resolve({ value: undefined, done: true });
    if (this.waiter || this.sink) return Promise.reject(new Error('the change feed is read by one consumer at a time'));
    this.wake();
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  push(sink: FeedSink): void {
    if (this.waiter) throw new Error('the change feed is read by one consumer at a time');
    this.sink = sink;
    while (this.sink === sink && this.state === 'open') {
      const event = this.queue.shift();
      if (event === undefined) break;
      this.handTo(sink, event);
    }
    if (this.queue.length === 0) this.wake();
    if (this.state === 'open') return;
    // It ended before, or while, taking: tell the sink, as a waiting `next()` would have been told.
    this.sink = undefined;
    const failure = this.state === 'failed' ? this.failure : undefined;
    this.state = 'ended';
    sink.end(failure);
  }

  sent(cursor: string): void {
    this.lastSent = cursor;
  }

  /** One event to the sink; a sink that asks for no more is let go (`push` takes it back). */
  private handTo(sink: FeedSink, event: RecordedEvent): void {
    this.lastTaken = event.cursor;
    if (!sink.take(event)) this.sink = undefined;
  }

  return(): Promise<IteratorResult<RecordedEvent>> {
    this.end();
    this.state = 'ended';
    this.failure = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  /** The tail this subscription is a member of; one that already ended leaves it at once. */
  attach(tail: FeedTail): void {
    this.tail = tail;
    if (this.state !== 'open') tail.leave(this);
  }

  start(): void {
    this.pump().catch((error: unknown) => this.fail(error));
  }

  deliver(event: RecordedEvent): void {
    const { phase } = this;
    if (phase.kind === 'replaying' || this.state !== 'open') return;
    // The tail hands out each event once and in order; this only guards the switch from replay.
    if (this.tailSeen !== undefined && comparePositions(event.position, this.tailSeen) <= 0) return;
    this.tailSeen = event.position;
    if (!matchesFilter(this.liveFilter, event.stream, event.type)) return;
    const admitted = this.matcher.admit(event);
    if (admitted === undefined) return;
    if (phase.kind === 'live') {
      this.offer(admitted);
      return;
    }
    phase.buffer.push(admitted);
    // The replay can't reach the tail before this many of its events pile up: keep replaying instead.
    if (phase.buffer.length > this.options.maxQueuedEvents) this.phase = { kind: 'replaying' };
  }

  revoked(): void {
    this.fail(new DomainError(ErrorCode.UNAUTHENTICATED, TOKEN_REVOKED_MESSAGE));
  }

  ended(error: unknown): void {
    if (error === undefined) this.end();
    else this.fail(error);
  }

  /** Replays after `after` at the client's pace, then hands over to the tail (see the class comment); returns once live. */
  private async pump(): Promise<void> {
    const { store } = this;
    let cursor = this.options.after;
    for (;;) {
      const read = await this.catchUpRead(cursor);
      if (read === undefined || this.state !== 'open') return;
      const handingOver = this.phase.kind === 'handingOver' ? this.phase : undefined;
      let reachedTarget = false;
      for (const event of read.events) {
        // Past the target, the buffer holds the tail's copy of the events.
        if (handingOver && comparePositions(event.position, handingOver.target) > 0) {
          reachedTarget = true;
          break;
        }
        const admitted = this.matcher.admit(event);
        if (admitted !== undefined) this.offer(admitted);
      }
      cursor = read.cursor ?? cursor;
      if (
        handingOver &&
        (reachedTarget || (cursor !== undefined && comparePositions(store.parseCursor(cursor), handingOver.target) >= 0))
      ) {
        // Everything up to the target is sent: should the hand-over be dropped, the replay goes on from exactly there.
        reachedTarget = true;
        cursor = store.cursorOf(handingOver.target);
      }
      await this.untilTaken();
      if (this.state !== 'open') return;
      if (this.phase.kind === 'handingOver') {
        if (reachedTarget) {
          this.goLive(this.phase.buffer);
          return;
        }
        continue;
      }
      if (!read.isEnd) continue;
      const tailAt = (this.tail as FeedTail).position;
      const at = cursor === undefined ? undefined : store.parseCursor(cursor);
      if (tailAt === undefined || (at !== undefined && comparePositions(tailAt, at) <= 0)) {
        // The tail is at or behind the replay's end: it brings every later event; up to `at` the replay sent them.
        this.tailSeen = at;
        this.goLive([]);
        return;
      }
      this.tailSeen = tailAt;
      this.phase = { kind: 'handingOver', target: tailAt, buffer: [] };
    }
  }

  private goLive(buffered: readonly RecordedEvent[]): void {
    this.phase = { kind: 'live' };
    for (const event of buffered) if (this.state === 'open') this.offer(event);
  }

  /**
   * One catch-up page. The tail outlives a store outage (the adapter resubscribes from the last event
   * it delivered); catch-up does the same: while the feed is open, a read the store can't answer is
   * tried again with backoff from the same cursor, so the client sees a pause, not an error.
   */
  private async catchUpRead(cursor: string | undefined): Promise<ReadAllResult | undefined> {
    let wait: number = CATCH_UP_RETRY_MS.initial;
    for (;;) {
      try {
        return await this.store.readAll({ after: cursor, maxCount: CATCH_UP_PAGE, filter: this.matcher.storeFilter });
      } catch (error) {
        if (!(error instanceof EventStoreUnavailableError) || this.state !== 'open') throw error;
      }
      await new Promise<void>((resolve) => setTimeout(resolve, wait).unref());
      if (this.state !== 'open') return undefined;
      wait = Math.min(wait * 2, CATCH_UP_RETRY_MS.max);
    }
  }

  /** Hands an admitted event to the waiting transport or its sink, or queues it; only live events count against the bound. */
  private offer(event: RecordedEvent): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      this.lastTaken = event.cursor;
      waiter.resolve({ value: event, done: false });
      return;
    }
    const sink = this.sink;
    if (sink && this.queue.length === 0) {
      this.handTo(sink, event);
      return;
    }
    this.queue.push(event);
    if (this.phase.kind === 'live' && this.queue.length > this.options.maxQueuedEvents) this.tooSlow();
  }

  /** Resolves once the client has taken every queued event (or the feed ended). */
  private untilTaken(): Promise<void> {
    if (this.queue.length === 0 || this.state !== 'open') return Promise.resolve();
    return new Promise((resolve) => {
      this.wakePump = resolve;
    });
  }

  private wake(): void {
    const wake = this.wakePump;
    this.wakePump = undefined;
    wake?.();
  }

  private tooSlow(): void {
    const lag = { queued: this.queue.length, resumeAfter: this.lastSent };
    this.end();
    this.options.onTooSlow(lag);
  }

  private fail(error: unknown): void {
    if (this.state !== 'open') return;
    this.stop();
    const waiter = this.waiter;
    this.waiter = undefined;
    const sink = this.sink;
    this.sink = undefined;
    if (waiter) {
      this.state = 'ended';
      waiter.reject(error);
    } else if (sink) {
      this.state = 'ended';
      sink.end(error);
    } else {
      this.state = 'failed';
      this.failure = error;
    }
  }

  private end(): void {
    if (this.state === 'open') this.state = 'ended';
    this.stop();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve({ value: undefined, done: true });
    const sink = this.sink;
    this.sink = undefined;
    sink?.end(undefined);
  }

  private stop(): void {
    this.queue.length = 0;
    this.phase = { kind: 'replaying' };
    this.wake();
    this.tail?.leave(this);
  }
}
