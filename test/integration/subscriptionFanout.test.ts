import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { DELIVERIES_PER_TURN, feedTails, type FeedTail } from '../../src/application/feedTail';
import type { EventStore } from '../../src/eventStore/port';
import { createMci, ok, renameMci } from '../support/api';
import { eventually, withTimeout } from '../support/async';
import { renamesInOneCommit } from '../support/feedBursts';
import { ADMIN, TEST_ADMIN_TOKEN, startTestService, type TestService } from '../support/service';
import { EVENT_FIELDS, EventsSubscription, socketUrl, type FeedEvent } from '../support/ws';

/*
 * The `events` subscription fanned out to many subscriptions over real WebSockets (graphql-ws client
 * on `ws`, the server's own transport: src/server/webSocketTransport.ts, liveDelivery.ts,
 * sharedExecution.ts): several subscriptions on one socket and on several, each with its own
 * selection, each getting every event exactly once and in order, as the `events` query shows it;
 * frames past 64 KiB; unsubscribing one of a socket's subscriptions; bursts of events ready in one
 * turn, past the tail's per-turn budget; and a client frame over the size limit.
 */

/** Everything a subscriber can select, and a narrower selection of another shape. */
const ALL_FIELDS = EVENT_FIELDS;
const FEW_FIELDS = 'cursor type revision data';

/** A raw server message as the client's socket read it, before graphql-ws's client looked at it. */
interface Frame {
  readonly id?: string;
  readonly type: string;
  readonly payload?: { data?: { events?: Record<string, unknown> } };
  /** The message's payload length in bytes on the wire. */
  readonly bytes: number;
}

interface ObservedClient {
  readonly client: Client;
  /** Every message the server sent this socket, in order. */
  readonly frames: Frame[];
  /** How the socket closed, if it did. */
  readonly closes: Array<{ code: number; reason: string }>;
}

const names = (events: readonly FeedEvent[]): unknown[] => events.map((event) => event.data['name']);
const range = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);

/** How many change-feed subscriptions the running shared tail serves (0 when none runs). */
async function tailMembers(store: EventStore): Promise<number> {
  // The registry keeps its running tail private; read it here rather than export it for tests.
  const running = (feedTails(store) as unknown as { shared?: Promise<FeedTail> }).shared;
  return running ? (await running).memberCount : 0;
}

describe('the events subscription fanned out over real WebSockets', () => {
  let service: TestService;
  const clients: Client[] = [];

  /** A graphql-ws client whose operation ids are `op-1`, `op-2`… in subscribe order, with the raw messages it got. */
  const observedClient = (): ObservedClient => {
    const frames: Frame[] = [];
    const closes: Array<{ code: number; reason: string }> = [];
    let operations = 0;
    const client = createClient({
      url: socketUrl(service.url),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: { authorization: ADMIN['authorization'] },
      generateID: () => `op-${++operations}`,
      on: {
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string };
          closes.push({ code, reason });
        },
        connected: (socket) =>
          (socket as WebSocket).on('message', (data: Buffer) =>
            frames.push({ ...(JSON.parse(data.toString('utf8')) as Frame), bytes: data.length }),
          ),
      },
    });
    clients.push(client);
    return { client, frames, closes };
  };
  /** Waits for `count` events, failing with how the socket closed if it did (a close event shows as `{}` otherwise). */
  const arrived = async (feed: EventsSubscription, observed: ObservedClient, count: number, what: string): Promise<void> => {
    try {
      await feed.waitFor((events) => events.length === count, what, 60_000);
    } catch (error) {
      throw new Error(`${(error as Error).message}; the socket closed with ${JSON.stringify(observed.closes)}`);
    }
  };
  const nextFrames = (observed: ObservedClient, id: string): Frame[] =>
    observed.frames.filter((frame) => frame.type === 'next' && frame.id === id);
  const headCursor = async (): Promise<string> => {
    const head = await service.services.store.headPosition();
    return service.services.store.cursorOf(head as NonNullable<typeof head>);
  };
  /** The `events` query's nodes after `after` with these fields: what every subscription must have delivered. */
  const queried = async (after: string, filter: Record<string, unknown>, fields: string): Promise<FeedEvent[]> => {
    const { events } = await ok<{ events: { nodes: FeedEvent[]; pageInfo: { hasNextPage: boolean } } }>(
      service.url,
      `query($after: String, $filter: EventFilter) { events(after: $after, first: 500, filter: $filter) { nodes { ${fields} } pageInfo { hasNextPage } } }`,
      { after, filter },
    );
    expect(events.pageInfo.hasNextPage).toBe(false);
    return events.nodes;
  };
  /** Subscriptions to `mci`'s events, live once the rename `ready` reached them all. */
  const live = async (mci: string, subscriptions: ReadonlyArray<EventsSubscription>): Promise<void> => {
    await renameMci(service.url, mci, 'ready');
    for (const feed of subscriptions) await feed.waitFor((events) => names(events).includes('ready'), 'the rename that shows it live');
  };

  beforeAll(async () => {
    service = await startTestService();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
  });
  afterAll(() => service.stop());

  it('gives two subscriptions on one socket and a third on another every event exactly once, in order, each with its own selection', async () => {
    const mci = await createMci(service.url, 'Fanned out');
    const start = await headCursor();
    const filter = { componentIds: [mci] };
    const shared = observedClient();
    const alone = observedClient();
    const all = new EventsSubscription(shared.client, { after: start, filter }, ALL_FIELDS);
    const few = new EventsSubscription(shared.client, { after: start, filter }, FEW_FIELDS);
    const allElsewhere = new EventsSubscription(alone.client, { after: start, filter }, ALL_FIELDS);
    const feeds = [all, few, allElsewhere];
    await live(mci, feeds);

    // One by one over HTTP, then five at once in one commit.
    for (const name of range('one-by-one', 3)) await renameMci(service.url, mci, name);
    await renamesInOneCommit(service.services.store, mci, range('at-once', 5));
    await renameMci(service.url, mci, 'last');
    const expectedNames = ['ready', ...range('one-by-one', 3), ...range('at-once', 5), 'last'];
    for (const feed of feeds) await feed.waitFor((events) => events.length >= expectedNames.length, 'every rename');

    const allQueried = await queried(start, filter, ALL_FIELDS);
    expect(names(allQueried)).toEqual(expectedNames);
    expect(all.events).toEqual(allQueried);
    expect(allElsewhere.events).toEqual(allQueried);
    expect(few.events).toEqual(await queried(start, filter, FEW_FIELDS));
    for (const feed of feeds) expect(feed.end).toBeUndefined();

    // On the wire: one `next` per event and subscription, each carrying its own selection, nothing else.
    expect(nextFrames(shared, 'op-1')).toHaveLength(expectedNames.length);
    expect(nextFrames(shared, 'op-2')).toHaveLength(expectedNames.length);
    expect(nextFrames(alone, 'op-1')).toHaveLength(expectedNames.length);
    expect(shared.frames.filter((frame) => frame.type === 'next')).toHaveLength(2 * expectedNames.length);
    for (const frame of nextFrames(shared, 'op-2')) expect(Object.keys(frame.payload?.data?.events ?? {})).toEqual(FEW_FIELDS.split(' '));
  });

  it('delivers an event whose frame is over 64 KiB (a 200 KiB RightScript source) intact', async () => {
    const start = await headCursor();
    const observed = observedClient();
    const feed = new EventsSubscription(observed.client, { after: start, filter: { kinds: ['RIGHT_SCRIPT'] } }, 'cursor type data');
    // Two-, three- and four-byte UTF-8 characters throughout, ~200 KiB of UTF-8 in all (the limit is 256 KiB).
    const lines = Array.from({ length: 9_400 }, (_, i) => `echo "é€😀 ${i}"`);
    const source = `#!/bin/sh\n${lines.join('\n')}\n`;
    expect(Buffer.byteLength(source)).toBeGreaterThan(195 * 1024);
    expect(Buffer.byteLength(source)).toBeLessThan(256 * 1024);
    await ok(service.url, `mutation($input: CreateRightScriptInput!) { createRightScript(input: $input) { id } }`, {
      input: { name: 'Big script', source },
    });
    await feed.waitFor((events) => events.length === 1, 'the creation of the script');
    expect(feed.events[0]).toMatchObject({ type: 'RightScriptCreated', data: { name: 'Big script' } });
    expect(feed.events[0]?.data['source']).toBe(source);
    const [frame] = nextFrames(observed, 'op-1');
    expect(frame?.bytes).toBeGreaterThan(65_535);
  });

  it('stops a subscription its client completes, and only it: the other one on the same socket keeps receiving', async () => {
    await eventually(async () => (await tailMembers(service.services.store)) === 0, 'the previous tests’ subscriptions to leave the tail');
    const mci = await createMci(service.url, 'Unsubscribed');
    const start = await headCursor();
    const filter = { componentIds: [mci] };
    const shared = observedClient();
    const alone = observedClient();
    const leaving = new EventsSubscription(shared.client, { after: start, filter }, ALL_FIELDS);
    const staying = new EventsSubscription(shared.client, { after: start, filter }, FEW_FIELDS);
    const elsewhere = new EventsSubscription(alone.client, { after: start, filter }, ALL_FIELDS);
    await live(mci, [leaving, staying, elsewhere]);
    expect(await tailMembers(service.services.store)).toBe(3);

    leaving.close();
    // The server heard the `complete`: the subscription left the tail.
    await eventually(async () => (await tailMembers(service.services.store)) === 2, 'the completed subscription to leave the tail');
    const sentToTheLeaver = nextFrames(shared, 'op-1').length;
    expect(sentToTheLeaver).toBe(1);

    await renameMci(service.url, mci, 'after-1');
    await renamesInOneCommit(service.services.store, mci, ['after-2', 'after-3']);
    for (const feed of [staying, elsewhere]) await feed.waitFor((events) => events.length === 4, 'the renames after the complete');
    expect(names(staying.events)).toEqual(['ready', 'after-1', 'after-2', 'after-3']);
    expect(names(elsewhere.events)).toEqual(['ready', 'after-1', 'after-2', 'after-3']);
    // Nothing more went out for the completed operation (not merely dropped by the client).
    expect(nextFrames(shared, 'op-1')).toHaveLength(sentToTheLeaver);
    expect(names(leaving.events)).toEqual(['ready']);
    expect(staying.end).toBeUndefined();
  });

  it('hands every subscriber all the events of one commit, in order', async () => {
    const mci = await createMci(service.url, 'Burst');
    const start = await headCursor();
    const filter = { componentIds: [mci] };
    const shared = observedClient();
    const feeds = [
      new EventsSubscription(shared.client, { after: start, filter }, ALL_FIELDS),
      new EventsSubscription(shared.client, { after: start, filter }, FEW_FIELDS),
      new EventsSubscription(observedClient().client, { after: start, filter }, FEW_FIELDS),
    ];
    await live(mci, feeds);
    await renamesInOneCommit(service.services.store, mci, range('burst', 5));
    for (const feed of feeds) {
      await feed.waitFor((events) => events.length === 6, 'the five renames');
      expect(names(feed.events)).toEqual(['ready', ...range('burst', 5)]);
    }
    const revisions = feeds[1]?.events.map((event) => event.revision) ?? [];
    expect(revisions).toEqual(revisions.map((_, i) => (revisions[0] as number) + i));
  });

  it('delivers a backlog larger than one turn’s budget of deliveries complete and in order', async () => {
    await eventually(async () => (await tailMembers(service.services.store)) === 0, 'the previous tests’ subscriptions to leave the tail');
    const mci = await createMci(service.url, 'Backlog');
    const start = await headCursor();
    const filter = { componentIds: [mci] };
    const shared = observedClient();
    const feeds = [
      new EventsSubscription(shared.client, { after: start, filter }, 'cursor data'),
      new EventsSubscription(shared.client, { after: start, filter }, 'revision data'),
    ];
    await live(mci, feeds);
    expect(await tailMembers(service.services.store)).toBe(feeds.length);
    // More events than the tail hands its members in one turn: it must go on in the next turns.
    const count = Math.ceil(DELIVERIES_PER_TURN / feeds.length) + 500;
    const burst = range('backlog', count);
    await renamesInOneCommit(service.services.store, mci, burst);
    for (const feed of feeds) {
      await arrived(feed, shared, count + 1, `${count} renames`);
      expect(names(feed.events)).toEqual(['ready', ...burst]);
      expect(feed.end).toBeUndefined();
    }
  }, 90_000);

  it('keeps a fast subscriber whose one commit holds more events than its queue bound (maxQueuedFeedEvents, 1,000)', async () => {
    const mci = await createMci(service.url, 'Big commit');
    const start = await headCursor();
    const observed = observedClient();
    const feed = new EventsSubscription(observed.client, { after: start, filter: { componentIds: [mci] } }, 'cursor data');
    await live(mci, [feed]);
    // Read as fast as loopback allows: the client is not slow, the commit is just big (an import, a busy group commit).
    const burst = range('big-commit', 1_200);
    await renamesInOneCommit(service.services.store, mci, burst);
    await arrived(feed, observed, burst.length + 1, `${burst.length} renames`);
    expect(names(feed.events)).toEqual(['ready', ...burst]);
    expect(feed.end).toBeUndefined();
  });

  it('closes a socket that sends a frame over the size limit with 1009, a warning in the log and nothing on the console', async () => {
    const consoleError = jest.spyOn(console, 'error');
    try {
      const socket = new WebSocket(socketUrl(service.url), 'graphql-transport-ws');
      const closed = new Promise<{ code: number }>((resolve) => socket.on('close', (code) => resolve({ code })));
      await withTimeout(new Promise((resolve) => socket.once('open', resolve)), 10_000, 'the socket to open');
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } }));
      await withTimeout(new Promise((resolve) => socket.once('message', resolve)), 10_000, 'the connection ack');
      const logged = service.logs.length;
      socket.send(
        JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `{ serverInfo { version } } # ${'x'.repeat(1024 * 1024)}` } }),
      );
      expect(await withTimeout(closed, 10_000, 'the socket to close')).toEqual({ code: 1009 });
      await eventually(() => service.logs.length > logged, 'the warning');
      const since = service.logs.slice(logged);
      expect(since).toContainEqual(
        expect.objectContaining({
          level: 40,
          msg: 'a WebSocket client broke the protocol',
          err: expect.objectContaining({ message: 'Max payload size exceeded', code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' }),
        }),
      );
      // A client's mistake, not the service's: nothing at error level.
      expect(since.filter((line) => (line['level'] as number) >= 50)).toEqual([]);
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      consoleError.mockRestore();
    }
  });
});
