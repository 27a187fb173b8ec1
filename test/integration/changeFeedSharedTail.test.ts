import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'graphql-ws';
import { subscribeToFeed, TOKEN_REVOKED_MESSAGE, type FeedSubscriptionOptions } from '../../src/application/changeFeed';
import { setFeedTailMode } from '../../src/application/feedTail';
import { accountStream } from '../../src/domain/accounts/account';
import type { Viewer } from '../../src/domain/accounts/roles';
import { ErrorCode } from '../../src/domain/errors';
import type { EventStore, EventSubscription, RecordedEvent } from '../../src/eventStore/port';
import { openSqliteEventStore, type SqliteEventStore } from '../../src/eventStore/sqlite/sqliteEventStore';
import { bearer, createMci, ok, renameMci, secondAccount, type Headers } from '../support/api';
import { eventually, withTimeout } from '../support/async';
import { startEsdbTestServer } from '../support/esdbTestServer';
import { ADMIN, startTestService, type TestService } from '../support/service';
import { socketClient, subscribeToEvents, type EventsSubscription, type FeedEvent } from '../support/ws';

/*
 * The change feed's shared tail (src/application/feedTail.ts): one store subscription feeds every live
 * subscription, each keeping what its viewer may see and asked for; a subscription replays on its own
 * and hands over to the tail without gap or duplicate whether the tail is behind or ahead of its
 * replay; a slow client is closed without slowing anyone; a revocation ends exactly that token's
 * subscriptions.
 */

type Feed = AsyncIterableIterator<RecordedEvent>;

/** The next `count` events of a feed (bounded wait; fails if it ends first). */
async function take(feed: Feed, count: number): Promise<RecordedEvent[]> {
  const taken: RecordedEvent[] = [];
  const collect = async (): Promise<RecordedEvent[]> => {
    while (taken.length < count) {
      const step = await feed.next();
      if (step.done) throw new Error(`the feed ended after ${taken.length} of ${count} events`);
      taken.push(step.value);
    }
    return taken;
  };
  return withTimeout(collect(), 10_000, `${count} events (got ${taken.length})`);
}

const numbers = (events: readonly RecordedEvent[]): number[] => events.map((event) => (event.data as { n: number }).n);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** `store` with its open subscriptions counted; every call goes to the real store. */
function countingSubscriptions(store: EventStore): { store: EventStore; open: () => number } {
  let open = 0;
  const counted = new Proxy(store, {
    get(target, property) {
      if (property === 'subscribe') {
        return (options?: Parameters<EventStore['subscribe']>[0]): EventSubscription => {
          const subscription = target.subscribe(options);
          open += 1;
          let closed = false;
          return {
            events: subscription.events,
            caughtUp: subscription.caughtUp,
            close: async () => {
              if (!closed) open -= 1;
              closed = true;
              await subscription.close();
            },
          };
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: counted, open: () => open };
}

describe('the shared tail, in-process on a real SQLite store', () => {
  let store: SqliteEventStore;
  let dataDir: string;
  const accountId = randomUUID();
  let written = 0;
  const viewer = (tokenId: string): Viewer => ({ accountId, userId: 'u-1', tokenId, roles: ['admin'], systemOperator: false });
  const probes = { eventTypes: ['Probed'] };
  const options = (overrides: Partial<FeedSubscriptionOptions> = {}): FeedSubscriptionOptions => ({
    selection: probes,
    maxQueuedEvents: 1_000,
    onTooSlow: () => {
      throw new Error('no subscription of this test is too slow');
    },
    ...overrides,
  });
  /** Appends `count` probes numbered on from the last, in one append (through `via`: another connection to the same file). */
  const write = async (count: number, via: EventStore = store): Promise<void> => {
    const events = Array.from({ length: count }, () => ({ type: 'Probed', data: { n: ++written }, metadata: { accountId } }));
    await via.append('probe-1', events, { expectedRevision: 'any' });
  };
  const headCursor = async (): Promise<string> => {
    const head = await store.headPosition();
    if (!head) throw new Error('the log should hold the account');
    return store.cursorOf(head);
  };

  beforeEach(async () => {
    written = 0;
    dataDir = mkdtempSync(join(tmpdir(), 'feed-tail-'));
    // No polling for other writers' commits: a test decides when the tail hears of them (see below).
    store = openSqliteEventStore({ path: join(dataDir, 'events.sqlite'), synchronous: 'NORMAL', externalWritePollMs: 0 });
    await store.append(
      accountStream(accountId),
      [
        { type: 'AccountCreated', data: { accountId, name: 'acme' } },
        { type: 'UserCreated', data: { userId: 'u-1', name: 'admin' } },
        ...['a', 'b', 'c'].map((tokenId) => ({
          type: 'ApiTokenCreated',
          data: { tokenId, userId: 'u-1', name: tokenId, roles: ['admin'] },
        })),
      ],
      { expectedRevision: 'no_stream' },
    );
  });
  afterEach(async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves any number of subscriptions from one store subscription, which stops with the last of them', async () => {
    const counted = countingSubscriptions(store);
    const feeds = await Promise.all(Array.from({ length: 25 }, () => subscribeToFeed(counted.store, viewer('a'), options())));
    expect(counted.open()).toBe(1);
    await write(5);
    for (const feed of feeds) expect(numbers(await take(feed, 5))).toEqual(range(1, 5));
    expect(counted.open()).toBe(1);
    await Promise.all(feeds.map((feed) => feed.return?.()));
    expect(counted.open()).toBe(0);

    // The next subscription starts a new tail, at the head of the log.
    const again = await subscribeToFeed(counted.store, viewer('a'), options({ after: await headCursor() }));
    await write(1);
    expect(numbers(await take(again, 1))).toEqual([6]);
    expect(counted.open()).toBe(1);
    await again.return?.();
  });

  it('with the benchmark switch per-subscriber, opens one store subscription per subscription instead', async () => {
    const counted = countingSubscriptions(store);
    setFeedTailMode(counted.store, 'per-subscriber');
    const feeds = await Promise.all(Array.from({ length: 4 }, () => subscribeToFeed(counted.store, viewer('a'), options())));
    expect(counted.open()).toBe(4);
    await write(2);
    for (const feed of feeds) expect(numbers(await take(feed, 2))).toEqual([1, 2]);
    await Promise.all(feeds.map((feed) => feed.return?.()));
    expect(counted.open()).toBe(0);
  });

  it('hands a replaying subscription over to a tail that is ahead of it, buffering and falling back, with no gap and no duplicate', async () => {
    const start = await headCursor();
    const live = await subscribeToFeed(store, viewer('a'), options());
    await write(3);
    expect(numbers(await take(live, 3))).toEqual([1, 2, 3]);

    // Its first replay read (1–3) waits in its queue until taken; meanwhile the tail hands out 4–6.
    const joining = await subscribeToFeed(store, viewer('b'), options({ after: start, maxQueuedEvents: 3 }));
    await write(3);
    expect(numbers(await take(live, 3))).toEqual([4, 5, 6]);
    // Taking 1–3 lets it look at the tail: ahead (at 6), so it reads up to 6 while buffering the tail's later events.
    expect(numbers(await take(joining, 4))).toEqual([1, 2, 3, 4]);
    // 5 and 6 wait to be taken; the tail hands out five more, more than its buffer holds: the hand-over is dropped.
    await write(5);
    expect(numbers(await take(live, 5))).toEqual(range(7, 11));
    // It replays on from 6, hands over again (the tail at 11) and is live.
    expect(numbers(await take(joining, 7))).toEqual(range(5, 11));
    await write(2);
    expect(numbers(await take(joining, 2))).toEqual([12, 13]);
    expect(numbers(await take(live, 2))).toEqual([12, 13]);
    await Promise.all([live.return?.(), joining.return?.()]);
  });

  it('hands over to a tail that is behind the replay, skipping what the replay already sent', async () => {
    const live = await subscribeToFeed(store, viewer('a'), options());
    // Another process writes 1–4: the tail hears of them only at this store's next commit, but a
    // subscription starting now reads them from the file, so its replay ends ahead of the tail.
    const neighbour = openSqliteEventStore({ path: join(dataDir, 'events.sqlite'), synchronous: 'NORMAL', externalWritePollMs: 0 });
    try {
      await write(4, neighbour);
    } finally {
      await neighbour.close();
    }
    const joining = await subscribeToFeed(store, viewer('b'), options());
    expect(numbers(await take(joining, 4))).toEqual([1, 2, 3, 4]);
    // This commit wakes the tail, which hands out 1–5: the live one gets them all, the new one only 5.
    await write(1);
    expect(numbers(await take(live, 5))).toEqual([1, 2, 3, 4, 5]);
    expect(numbers(await take(joining, 1))).toEqual([5]);
    await write(1);
    expect(numbers(await take(joining, 1))).toEqual([6]);
    await Promise.all([live.return?.(), joining.return?.()]);
  });

  it('closes a subscription too slow to keep up, with where to resume, while the others on the tail keep receiving', async () => {
    const start = await headCursor();
    const lags: Array<{ queued: number; resumeAfter: string | undefined }> = [];
    const slow = await subscribeToFeed(
      store,
      viewer('a'),
      options({ after: start, maxQueuedEvents: 3, onTooSlow: (lag) => lags.push(lag) }),
    );
    const fast = await subscribeToFeed(store, viewer('b'), options({ after: start, maxQueuedEvents: 3 }));
    // Both take the first event (so both are live); then the fast one takes each as it comes, the slow one none.
    await write(1);
    expect(numbers(await take(slow, 1))).toEqual([1]);
    const fastReceived: RecordedEvent[] = await take(fast, 1);
    for (let i = 1; i < 8; i++) {
      await write(1);
      fastReceived.push(...(await take(fast, 1)));
    }
    expect(numbers(fastReceived)).toEqual(range(1, 8));
    expect(lags).toEqual([{ queued: 4, resumeAfter: start }]);
    await expect(slow.next()).resolves.toEqual({ value: undefined, done: true });
    await write(1);
    expect(numbers(await take(fast, 1))).toEqual([9]);

    // Resuming where the close said replays everything it missed.
    const resumed = await subscribeToFeed(store, viewer('a'), options({ after: lags[0]?.resumeAfter }));
    expect(numbers(await take(resumed, 9))).toEqual(range(1, 9));
    await Promise.all([fast.return?.(), resumed.return?.()]);
  });

  it("ends exactly the revoked token's subscriptions, replaying or live, and no other", async () => {
    const start = await headCursor();
    await write(600);
    const liveA = await subscribeToFeed(store, viewer('a'), options({ after: await headCursor() }));
    const replayingA = await subscribeToFeed(store, viewer('a'), options({ after: start }));
    const liveB = await subscribeToFeed(store, viewer('b'), options({ after: await headCursor() }));
    // Still replaying: a page of 500 taken, the rest not yet read.
    expect(numbers(await take(replayingA, 1))).toEqual([1]);
    await store.append(accountStream(accountId), [{ type: 'ApiTokenRevoked', data: { tokenId: 'a' } }], { expectedRevision: 'any' });
    await write(1);
    expect(numbers(await take(liveB, 1))).toEqual([601]);
    for (const feed of [liveA, replayingA]) {
      await expect(drain(feed)).rejects.toMatchObject({ code: ErrorCode.UNAUTHENTICATED, message: TOKEN_REVOKED_MESSAGE });
    }
    await expect(subscribeToFeed(store, viewer('a'), options())).rejects.toMatchObject({ code: ErrorCode.UNAUTHENTICATED });
    await liveB.return?.();
  });

  it('ends only the subscription whose visibility check throws; the tail and the others go on', async () => {
    const counted = countingSubscriptions(store);
    const failure = new Error('the read models could not be read');
    const after = await headCursor();
    // Both live at once (nothing to replay). The marketplace seam reads read models for another
    // account's events: for this subscription it fails while the tail delivers.
    const failing = await subscribeToFeed(
      counted.store,
      viewer('a'),
      options({
        after,
        shared: () => {
          throw failure;
        },
      }),
    );
    const healthy = await subscribeToFeed(counted.store, viewer('b'), options({ after }));
    const foreign = { type: 'Probed', data: { n: 0 }, metadata: { accountId: randomUUID() } };
    await store.append('probe-foreign', [foreign], { expectedRevision: 'any' });
    await write(2);
    await expect(drain(failing)).rejects.toBe(failure);
    expect(numbers(await take(healthy, 2))).toEqual([1, 2]);
    expect(counted.open()).toBe(1);
    // The tail still runs: a newcomer joins it, and both get what comes next.
    const newcomer = await subscribeToFeed(counted.store, viewer('c'), options({ after: await headCursor() }));
    await write(1);
    expect(numbers(await take(healthy, 1))).toEqual([3]);
    expect(numbers(await take(newcomer, 1))).toEqual([3]);
    expect(counted.open()).toBe(1);
    await Promise.all([healthy.return?.(), newcomer.return?.()]);
    expect(counted.open()).toBe(0);
  });
});

/** Reads a feed until it ends or fails (bounded): how it ended. */
async function drain(feed: Feed): Promise<void> {
  await withTimeout(
    (async () => {
      for (;;) if ((await feed.next()).done) return;
    })(),
    10_000,
    'the feed to end',
  );
}

const FEED_QUERY = `query($after: String, $filter: EventFilter) {
  events(after: $after, first: 500, filter: $filter) { nodes { id } pageInfo { hasNextPage endCursor } }
}`;

/** The ids of the feed these headers see after `after` with this filter, polled over HTTP: what a subscription must deliver. */
async function polledIds(url: string, headers: Headers, after: string, filter?: Record<string, unknown>): Promise<string[]> {
  const ids: string[] = [];
  let cursor = after;
  for (;;) {
    const { events } = await ok<{ events: { nodes: Array<{ id: string }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>(
      url,
      FEED_QUERY,
      { after: cursor, filter },
      headers,
    );
    ids.push(...events.nodes.map((node) => node.id));
    if (!events.pageInfo.hasNextPage || !events.pageInfo.endCursor) return ids;
    cursor = events.pageInfo.endCursor;
  }
}

async function newToken(url: string, roles: string[], admin: Headers = ADMIN): Promise<{ id: string; headers: Headers }> {
  const { createUser } = await ok<{ createUser: { id: string } }>(url, `mutation { createUser(name: "integrator") { id } }`, {}, admin);
  const { createApiToken } = await ok<{ createApiToken: { id: string; token: string } }>(
    url,
    `mutation($u: ID!, $roles: [Role!]!) { createApiToken(userId: $u, roles: $roles, name: "feed") { id token } }`,
    { u: createUser.id, roles },
    admin,
  );
  return { id: createApiToken.id, headers: bearer(createApiToken.token) };
}

describe('the shared tail behind the events subscription, over real WebSockets', () => {
  let service: TestService;
  const clients: Client[] = [];
  const client = (headers: Headers): Client => {
    const created = socketClient(service.url, headers);
    clients.push(created);
    return created;
  };
  const headCursor = async (): Promise<string> => {
    const head = await service.services.store.headPosition();
    return service.services.store.cursorOf(head as NonNullable<typeof head>);
  };

  beforeAll(async () => {
    service = await startTestService();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
  });
  afterAll(() => service.stop());

  it('gives many subscribers of several accounts, with different filters, each exactly their events in order, some joining mid-stream under writers', async () => {
    const other = await secondAccount(service.url, 'Tail Neighbours');
    const observer = await newToken(service.url, ['OBSERVER']);
    const ours = [await createMci(service.url, 'ours-1', ADMIN), await createMci(service.url, 'ours-2', ADMIN)];
    const theirs = await createMci(service.url, 'theirs-1', other.admin);
    const start = await headCursor();
    const kinds: Array<{ headers: Headers; filter?: Record<string, unknown> }> = [
      { headers: ADMIN },
      { headers: ADMIN, filter: { types: ['MultiCloudImageUpdated'] } },
      { headers: ADMIN, filter: { componentIds: [ours[0]] } },
      { headers: observer.headers },
      { headers: observer.headers, filter: { kinds: ['MULTI_CLOUD_IMAGE'] } },
      { headers: other.admin },
      { headers: other.admin, filter: { componentIds: [theirs], types: ['MultiCloudImageUpdated'] } },
    ];
    const subscribers: Array<{ headers: Headers; filter?: Record<string, unknown>; feed: EventsSubscription }> = [];
    const joinWave = (): void => {
      for (const kind of kinds)
        subscribers.push({ ...kind, feed: subscribeToEvents(client(kind.headers), { after: start, filter: kind.filter }) });
    };
    joinWave();

    // Three writers of two accounts keep writing while a second and a third wave of subscribers join
    // from the same cursor: they replay and hand over to the tail mid-stream.
    let stop = false;
    let renames = 0;
    const writers = [
      [ours[0], ADMIN],
      [ours[1], ADMIN],
      [theirs, other.admin],
    ].map(async ([id, headers]) => {
      while (!stop) await renameMci(service.url, id as string, `rename-${++renames}`, headers as Headers);
    });
    try {
      const renamed = (count: number) => eventually(() => renames >= count, `${count} renames`, 20_000);
      await renamed(15);
      joinWave();
      await renamed(30);
      joinWave();
      await renamed(45);
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    // Last words of each account, that every feed without a narrower filter must reach.
    await renameMci(service.url, ours[0] as string, 'the end', ADMIN);
    await renameMci(service.url, theirs, 'the end', other.admin);

    for (const { headers, filter, feed } of subscribers) {
      const expected = await polledIds(service.url, headers, start, filter);
      expect(expected.length).toBeGreaterThan(0);
      await feed.waitFor((events) => events.length >= expected.length, `${expected.length} events for ${JSON.stringify(filter)}`);
      expect(feed.events.map((event: FeedEvent) => event.id)).toEqual(expected);
      expect(feed.end).toBeUndefined();
    }
    // The feeds differ: the accounts never see each other's renames.
    const seen = (index: number): Set<string> => new Set(subscribers[index]?.feed.events.map((event) => event.streamId));
    expect(seen(0).has(`mci-${theirs}`)).toBe(false);
    expect(seen(5).has(`mci-${ours[0]}`)).toBe(false);
  });

  it("ends exactly the revoked token's subscriptions; the same account's other tokens and other accounts keep receiving", async () => {
    const other = await secondAccount(service.url, 'Tail Bystanders');
    const revoked = await newToken(service.url, ['OBSERVER']);
    const kept = await newToken(service.url, ['OBSERVER']);
    const mci = await createMci(service.url, 'Revocation', ADMIN);
    const theirs = await createMci(service.url, 'Bystander', other.admin);
    const after = await headCursor();
    const doomed = [subscribeToEvents(client(revoked.headers), { after }), subscribeToEvents(client(revoked.headers), { after })];
    const keptFeed = subscribeToEvents(client(kept.headers), { after });
    const otherFeed = subscribeToEvents(client(other.admin), { after });
    await renameMci(service.url, mci, 'before', ADMIN);
    await renameMci(service.url, theirs, 'before', other.admin);
    for (const feed of [...doomed, keptFeed]) await feed.waitFor((events) => events.length === 1, 'the rename before');
    await otherFeed.waitFor((events) => events.length === 1, 'their rename before');

    await ok(service.url, `mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, { id: revoked.id });
    for (const feed of doomed) {
      expect(await feed.ended()).toEqual({
        kind: 'error',
        error: [expect.objectContaining({ message: TOKEN_REVOKED_MESSAGE, extensions: { code: 'UNAUTHENTICATED' } })],
      });
    }
    await renameMci(service.url, mci, 'after', ADMIN);
    await renameMci(service.url, theirs, 'after', other.admin);
    await keptFeed.waitFor((events) => events.length === 2, 'the rename after');
    await otherFeed.waitFor((events) => events.length === 2, 'their rename after');
    expect(keptFeed.end).toBeUndefined();
    expect(otherFeed.end).toBeUndefined();
    for (const feed of doomed) expect(feed.events.map((event) => event.data['name'])).toEqual(['before']);
  });
});

describe('the shared tail on the EventStoreDB adapter', () => {
  it('holds one store subscription for any number of subscribers, and none once they are gone', async () => {
    const esdb = await startEsdbTestServer();
    const service = await startTestService({ EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: esdb.url });
    const clients: Client[] = [];
    try {
      const mci = await createMci(service.url, 'Counted', ADMIN);
      // The service's own (the projections) before any change-feed subscriber.
      const before = esdb.diagnostics().liveSubscriptions;
      const feeds = Array.from({ length: 20 }, () => {
        const created = socketClient(service.url, ADMIN);
        clients.push(created);
        return subscribeToEvents(created, { filter: { componentIds: [mci] } });
      });
      await renameMci(service.url, mci, 'seen by all', ADMIN);
      for (const feed of feeds) await feed.waitFor((events) => events.some((event) => event.data['name'] === 'seen by all'), 'the rename');
      expect(esdb.diagnostics().liveSubscriptions).toBe(before + 1);
      await Promise.all(clients.splice(0).map((c) => c.dispose()));
      await eventually(() => esdb.diagnostics().liveSubscriptions === before, 'the tail to stop with its last subscriber');
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
      await service.stop();
      await esdb.close();
    }
  });
});
