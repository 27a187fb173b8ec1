import { accountStream } from '../domain/accounts/account';
import type { EventStore, EventSubscription, LogPosition, RecordedEvent } from '../eventStore/port';

/*
 * The live end of the change feed, shared: ONE store subscription per event store (so per server
 * process) follows the log and hands every new event, in log order, to every open change-feed
 * subscription, which keeps what its viewer may see (src/application/changeFeed.ts). The same pass
 * watches for token revocations, so a subscription costs the store nothing once it is live: no
 * subscription of its own, no revocation watch of its own.
 *
 * The tail never waits for a subscriber: `deliver` only queues (each subscription bounds its own queue
 * and ends itself when a client is too slow), so a slow client slows neither the tail nor anyone else.
 * It starts with its first member, at the head of the log, and stops when its last member leaves; it
 * outlives store outages the way the store's own subscriptions do (the EventStoreDB adapter
 * resubscribes after the last event it delivered): the tail just pauses.
 */

/** What the tail needs from a change-feed subscription. */
export interface TailMember {
  /** The token whose revocation ends this member: its account stream and token id. */
  readonly revocationKey: string;
  /** Every event the tail reads after the member joined, in log order; must not wait. */
  deliver(event: RecordedEvent): void;
  /** The member's token was revoked. */
  revoked(): void;
  /** The tail stopped: the store closed (`undefined`) or its subscription failed. */
  ended(error: unknown): void;
}

export function revocationKey(stream: string, tokenId: unknown): string {
  return `${stream}\u0000${String(tokenId)}`;
}

export function memberRevocationKey(accountId: string, tokenId: string): string {
  return revocationKey(accountStream(accountId), tokenId);
}

const ACCOUNT_PREFIX = 'account-';

/**
 * Event deliveries (events × subscribers) one turn of the event loop may start: some tens of
 * milliseconds of work at a thousand subscribers, 16 events each.
 */
export const DELIVERIES_PER_TURN = 16_384;
/**
 * Events one turn may hand out, however few the subscribers: a big commit reaches a client in
 * portions it can read between turns, well under a subscription's queue bound (1,000 by default).
 */
export const EVENTS_PER_TURN = 256;

export class FeedTail {
  private readonly members = new Set<TailMember>();
  private readonly byToken = new Map<string, Set<TailMember>>();
  private open = true;
  /**
   * The position of the last event the tail handed out, or the head it started after; `undefined`
   * while it has handed out nothing after starting on an empty log. Every event after it will be
   * handed to every member, in order.
   */
  position: LogPosition | undefined;

  private constructor(
    private readonly subscription: EventSubscription,
    start: LogPosition | undefined,
    private readonly onStopped: (tail: FeedTail) => void,
  ) {
    this.position = start;
  }

  /** Subscribes at the head of the log. Throws what the store throws (unavailable, closed). */
  static async open(store: EventStore, onStopped: (tail: FeedTail) => void): Promise<FeedTail> {
    const head = await store.headPosition();
    const tail = new FeedTail(store.subscribe(head === undefined ? {} : { after: store.cursorOf(head) }), head, onStopped);
    tail.run();
    return tail;
  }

  get isOpen(): boolean {
    return this.open;
  }

  get memberCount(): number {
    return this.members.size;
  }

  join(member: TailMember): void {
    if (!this.open) throw new Error('joined a change-feed tail that has stopped');
    this.members.add(member);
    let sharing = this.byToken.get(member.revocationKey);
    if (!sharing) this.byToken.set(member.revocationKey, (sharing = new Set()));
    sharing.add(member);
  }

  /** The member is done; the last one to leave stops the tail. Idempotent. */
  leave(member: TailMember): void {
    if (!this.members.delete(member)) return;
    const sharing = this.byToken.get(member.revocationKey);
    sharing?.delete(member);
    if (sharing?.size === 0) this.byToken.delete(member.revocationKey);
    if (this.members.size === 0) this.stop(undefined, false);
  }

  private run(): void {
    void (async () => {
      let turn: { events: number; deliveries: number } | undefined;
      for await (const event of this.subscription.events) {
        if (!this.open) return;
        this.position = event.position;
        if (!turn) {
          const current = (turn = { events: 0, deliveries: 0 });
          setImmediate(() => {
            if (turn === current) turn = undefined;
          });
        }
        this.dispatch(event);
        turn.events += 1;
        turn.deliveries += this.members.size;
        // Every event the store has ready goes out in the same turn of the event loop, so a socket
        // gets all of them in one write (src/server/webSocketTransport.ts): under load, events pile
        // up while a turn fans out, and the next turn sends the pile at the cost of one. Delivering to
        // subscribers runs in microtasks, so a turn is bounded: past DELIVERIES_PER_TURN the loop gets
        // a turn of its own (pings, requests, writes) before the rest of a backlog goes out; and
        // past EVENTS_PER_TURN, so that clients read one portion of a big commit before the next.
        if (turn.deliveries >= DELIVERIES_PER_TURN || turn.events >= EVENTS_PER_TURN) {
          turn = undefined;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
      this.stop(undefined, true);
    })().catch((error: unknown) => this.stop(error, true));
  }

  private dispatch(event: RecordedEvent): void {
    if (event.type === 'ApiTokenRevoked' && event.stream.startsWith(ACCOUNT_PREFIX)) {
      const tokenId = (event.data as { tokenId?: unknown } | null)?.tokenId;
      const revoked = this.byToken.get(revocationKey(event.stream, tokenId));
      // Copied: a revoked member leaves (and so changes the set) while being told.
      if (revoked) for (const member of [...revoked]) this.tell(member, () => member.revoked());
    }
    // A member that leaves during this loop (closed for being too slow, say) is simply not visited again.
    for (const member of this.members) this.tell(member, () => member.deliver(event));
  }

  /**
   * One member's share of an event. What a member throws (its visibility check reading a read model
   * that failed, say) ends that member alone: the tail and every other member go on.
   */
  private tell(member: TailMember, call: () => void): void {
    try {
      call();
    } catch (error) {
      this.leave(member);
      try {
        member.ended(error);
      } catch {
        // It is already out of the tail; nothing more can be told to it.
      }
    }
  }

  private stop(error: unknown, tellMembers: boolean): void {
    if (!this.open) return;
    this.open = false;
    this.onStopped(this);
    void this.subscription.close();
    const members = [...this.members];
    this.members.clear();
    this.byToken.clear();
    if (tellMembers) for (const member of members) member.ended(error);
  }
}

/**
 * How live events reach subscriptions: `shared` (the service's way: one tail for all) or
 * `per-subscriber` (a tail of its own for each subscription, i.e. one store subscription each, as
 * before the shared tail; kept only so the fan-out benchmark can measure the difference).
 */
export type FeedTailMode = 'shared' | 'per-subscriber';

/** The tails of one store. */
class FeedTails {
  mode: FeedTailMode = 'shared';
  private shared: Promise<FeedTail> | undefined;

  constructor(private readonly store: EventStore) {}

  /** Makes `member` a member of a running tail (starting one when needed) and returns that tail. */
  async join(member: TailMember): Promise<FeedTail> {
    if (this.mode === 'per-subscriber') {
      const own = await FeedTail.open(this.store, () => undefined);
      own.join(member);
      return own;
    }
    for (;;) {
      const opening = (this.shared ??= this.openShared());
      const tail = await opening;
      if (tail.isOpen) {
        tail.join(member);
        return tail;
      }
      // It stopped while we waited (its last member left): start another one.
      if (this.shared === opening) this.shared = undefined;
    }
  }

  private openShared(): Promise<FeedTail> {
    const opening: Promise<FeedTail> = FeedTail.open(this.store, () => {
      if (this.shared === opening) this.shared = undefined;
    });
    // A failed start (the store unavailable) fails this join; the next one tries again.
    opening.catch(() => {
      if (this.shared === opening) this.shared = undefined;
    });
    return opening;
  }
}

const TAILS = new WeakMap<EventStore, FeedTails>();

/** The tails of `store`: one registry per store object, so per server process. */
export function feedTails(store: EventStore): FeedTails {
  let tails = TAILS.get(store);
  if (!tails) TAILS.set(store, (tails = new FeedTails(store)));
  return tails;
}

/** For the fan-out benchmark only: makes `store`'s change-feed subscriptions from now on use `mode`. */
export function setFeedTailMode(store: EventStore, mode: FeedTailMode): void {
  feedTails(store).mode = mode;
}
