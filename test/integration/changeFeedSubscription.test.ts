import { randomBytes, randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { Client } from 'graphql-ws';
import { TOKEN_REVOKED_MESSAGE } from '../../src/application/changeFeed';
import { startHttpServer, type RunningHttpServer } from '../../src/server/httpServer';
import { withTimeout } from '../support/async';
import { startEsdbTestServer } from '../support/esdbTestServer';
import { bearer, createMci, ok, renameMci, secondAccount, type Headers } from '../support/api';
import { ADMIN, startTestService, type TestService } from '../support/service';
import { socketClient, startThrottlingProxy, subscribeToEvents, type FeedEvent, type SubscriptionEnd } from '../support/ws';

/**
 * The `events` subscription over real WebSockets (graphql-ws client on `ws`): replay after a cursor,
 * then live, in log order, with no gap and no duplicate at the switch; resuming by cursor; filters;
 * tenancy; revocation; slow clients; keep-alive.
 */

/** A user with a token of these roles; returns the token's id too, to revoke it. */
async function newToken(url: string, roles: string[]): Promise<{ id: string; headers: Headers }> {
  const { createUser } = await ok<{ createUser: { id: string } }>(url, `mutation { createUser(name: "integrator") { id } }`);
  const { createApiToken } = await ok<{ createApiToken: { id: string; token: string } }>(
    url,
    `mutation($u: ID!, $roles: [Role!]!) { createApiToken(userId: $u, roles: $roles, name: "feed") { id token } }`,
    { u: createUser.id, roles },
  );
  return { id: createApiToken.id, headers: bearer(createApiToken.token) };
}

const names = (events: readonly FeedEvent[]): unknown[] => events.map((e) => e.data['name']).filter((n) => n !== undefined);
const hasName = (name: string) => (events: readonly FeedEvent[]) => events.some((e) => e.data['name'] === name);

describe('the change feed subscription', () => {
  let service: TestService;
  const clients: Client[] = [];
  const client = (headers: Headers = ADMIN, url?: string, on?: Parameters<typeof socketClient>[2]): Client => {
    const created = socketClient(url ?? service.url, headers, on);
    clients.push(created);
    return created;
  };
  /** The cursor of the newest event in the log: subscribing after it replays nothing. */
  const headCursor = async (): Promise<string> => {
    const head = await service.services.store.headPosition();
    return service.services.store.cursorOf(head as NonNullable<typeof head>);
  };
  /** The ids of the events the admin's feed holds after `after`, read in-process from the log. */
  const logIdsAfter = async (after: string | undefined): Promise<string[]> => {
    const ids: string[] = [];
    let cursor: string | undefined = after;
    for (;;) {
      const read = await service.services.store.readAll({ after: cursor, maxCount: 1_000 });
      ids.push(...read.events.filter((e) => e.metadata.accountId === 'default' || e.stream.startsWith('cloud-')).map((e) => e.id));
      cursor = read.cursor;
      if (read.isEnd) return ids;
    }
  };

  beforeAll(async () => {
    service = await startTestService();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
  });
  afterAll(() => service.stop());

  it('replays the events after a cursor, then delivers new ones live', async () => {
    const mci = await createMci(service.url, 'Replayed');
    const start = await headCursor();
    await renameMci(service.url, mci, 'before subscribing');
    const feed = subscribeToEvents(client(), { after: start });
    await feed.waitFor(hasName('before subscribing'), 'the replayed rename');
    await renameMci(service.url, mci, 'while subscribed');
    await feed.waitFor(hasName('while subscribed'), 'the live rename');
    expect(names(feed.events)).toEqual(['before subscribing', 'while subscribed']);
    expect(feed.events.map((e) => e.id)).toEqual(await logIdsAfter(start));
    expect(feed.events[0]).toMatchObject({ type: 'MultiCloudImageUpdated', streamId: `mci-${mci}`, componentId: mci, revision: 1 });
  });

  it('switches from replay to live with no gap and no duplicate while a writer keeps writing', async () => {
    const mcis = [await createMci(service.url, 'w-a'), await createMci(service.url, 'w-b')];
    const start = await headCursor();
    let written = 0;
    let stop = false;
    // Two concurrent writers, so commits land while the subscriber reads, switches and follows.
    const writers = mcis.map(async (id) => {
      while (!stop) {
        const n = ++written;
        await renameMci(service.url, id, `w-${n}`);
      }
    });
    try {
      await withTimeout(
        (async () => {
          while (written < 20) await new Promise((resolve) => setImmediate(resolve));
        })(),
        10_000,
        'the writers to get going',
      );
      const subscribedAt = written;
      const feed = subscribeToEvents(client(), { after: start });
      // Well past the switch: events the writers committed after the subscription began, delivered live.
      await feed.waitFor(hasName(`w-${subscribedAt + 30}`), 'events written after subscribing', 20_000);
      stop = true;
      await Promise.all(writers);
      await renameMci(service.url, mcis[0] as string, 'the end');
      await feed.waitFor(hasName('the end'), 'the last event');
      const received = feed.events.map((e) => e.id);
      expect(new Set(received).size).toBe(received.length);
      expect(received).toEqual(await logIdsAfter(start));
      expect(names(feed.events)).toHaveLength(written + 1);
    } finally {
      stop = true;
      await Promise.all(writers);
    }
  });

  it('resumes after a reconnect from the last cursor received, missing nothing written meanwhile', async () => {
    const mci = await createMci(service.url, 'Resumed');
    const start = await headCursor();
    const first = subscribeToEvents(client(), { after: start });
    await renameMci(service.url, mci, 'r-1');
    await renameMci(service.url, mci, 'r-2');
    await first.waitFor(hasName('r-2'), 'two renames');
    const lastCursor = first.lastCursor as string;
    await clients.pop()?.dispose();

    await renameMci(service.url, mci, 'r-3 (offline)');
    await renameMci(service.url, mci, 'r-4 (offline)');
    const second = subscribeToEvents(client(), { after: lastCursor });
    await second.waitFor(hasName('r-4 (offline)'), 'the renames made while disconnected');
    await renameMci(service.url, mci, 'r-5 (live again)');
    await second.waitFor(hasName('r-5 (live again)'), 'a live rename');
    expect(names([...first.events, ...second.events])).toEqual(['r-1', 'r-2', 'r-3 (offline)', 'r-4 (offline)', 'r-5 (live again)']);
    expect([...first.events, ...second.events].map((e) => e.id)).toEqual(await logIdsAfter(start));
  });

  it('delivers only what the filter asks for: event types, component ids, kinds', async () => {
    const [a, b] = [await createMci(service.url, 'Filtered A'), await createMci(service.url, 'Filtered B')];
    const start = await headCursor();
    const byComponentAndType = subscribeToEvents(client(), {
      after: start,
      filter: { componentIds: [a], types: ['MultiCloudImageUpdated'] },
    });
    const byKind = subscribeToEvents(client(), { after: start, filter: { kinds: ['MULTI_CLOUD_IMAGE'] } });
    await ok(service.url, `mutation { createUser(name: "not a component") { id } }`);
    await renameMci(service.url, b, 'B renamed');
    await renameMci(service.url, a, 'A renamed');
    await ok(service.url, `mutation($id: ID!) { deleteMultiCloudImage(id: $id) }`, { id: a });
    await byComponentAndType.waitFor(hasName('A renamed'), 'the rename of A');
    await byKind.waitFor((events) => events.some((e) => e.type === 'ComponentDeleted'), 'the deletion of A');
    expect(byComponentAndType.events.map((e) => [e.type, e.componentId])).toEqual([['MultiCloudImageUpdated', a]]);
    expect(byKind.events.map((e) => [e.type, e.componentId])).toEqual([
      ['MultiCloudImageUpdated', b],
      ['MultiCloudImageUpdated', a],
      ['ComponentDeleted', a],
    ]);
  });

  it('refuses another account’s component id with NOT_FOUND, as one that never existed, and a bad cursor with BAD_USER_INPUT', async () => {
    const other = await secondAccount(service.url, 'Filter Foreigners');
    const theirs = await createMci(service.url, 'Theirs', other.admin);
    const refusal = async (variables: { after?: string; filter?: Record<string, unknown> }): Promise<unknown> => {
      const feed = subscribeToEvents(client(), variables);
      expect(await feed.ended()).toEqual({ kind: 'complete' });
      expect(feed.events).toEqual([]);
      return feed.errorResults[0]?.[0];
    };
    const foreign = await refusal({ filter: { componentIds: [theirs] } });
    const ghost = await refusal({ filter: { componentIds: ['00000000-0000-4000-8000-000000000000'] } });
    expect(foreign).toMatchObject({ message: 'no such component', extensions: { code: 'NOT_FOUND' } });
    expect(ghost).toMatchObject({ message: 'no such component', extensions: { code: 'NOT_FOUND' } });
    expect(await refusal({ after: 'nope' })).toMatchObject({
      message: "after: expected an event cursor returned by this service, got 'nope'",
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('never delivers another account’s events; account events only to admins, without token hashes', async () => {
    const other = await secondAccount(service.url, 'Live Foreigners');
    const beforeToken = await headCursor();
    const observer = await newToken(service.url, ['OBSERVER']);
    const start = await headCursor();
    const admins = subscribeToEvents(client(), { after: start });
    const observers = subscribeToEvents(client(observer.headers), { after: start });
    const foreigners = subscribeToEvents(client(other.admin), { after: start });
    const theirs = await createMci(service.url, 'Foreign', other.admin);
    await ok(service.url, `mutation { createUser(name: "seen by admins") { id } }`);
    const mine = await createMci(service.url, 'Mine');
    await createMci(service.url, 'Foreign marker', other.admin);
    for (const feed of [admins, observers]) await feed.waitFor((events) => events.some((e) => e.componentId === mine), 'our MCI');
    await foreigners.waitFor(hasName('Foreign marker'), 'their marker');

    const streams = (events: readonly FeedEvent[]): string[] => [...new Set(events.map((e) => e.streamId))];
    expect(streams(admins.events)).toEqual(['account-default', `mci-${mine}`]);
    expect(admins.events.find((e) => e.type === 'UserCreated')?.data).toEqual({ userId: expect.any(String), name: 'seen by admins' });
    expect(streams(observers.events)).toEqual([`mci-${mine}`]);
    expect(streams(foreigners.events)).toEqual([`mci-${theirs}`, expect.stringMatching(/^mci-/)]);
    expect(foreigners.events.some((e) => e.componentId === mine)).toBe(false);

    const withToken = subscribeToEvents(client(), { after: beforeToken, filter: { types: ['ApiTokenCreated'] } });
    await withToken.waitFor((events) => events.length > 0, 'a token creation');
    expect(withToken.events[0]?.data).not.toHaveProperty('tokenHash');
    expect(withToken.events[0]?.data).toMatchObject({ tokenId: observer.id, roles: ['observer'] });
  });

  it('ends the subscription with UNAUTHENTICATED when its token is revoked while the socket is open', async () => {
    const integrator = await newToken(service.url, ['OBSERVER']);
    const mci = await createMci(service.url, 'Watched');
    const feed = subscribeToEvents(client(integrator.headers), { after: await headCursor() });
    await renameMci(service.url, mci, 'seen before revocation');
    await feed.waitFor(hasName('seen before revocation'), 'a live event');
    await ok(service.url, `mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, { id: integrator.id });
    const end: SubscriptionEnd = await feed.ended();
    expect(end).toEqual({
      kind: 'error',
      error: [expect.objectContaining({ message: TOKEN_REVOKED_MESSAGE, extensions: { code: 'UNAUTHENTICATED' } })],
    });
    await renameMci(service.url, mci, 'after revocation');
    expect(names(feed.events)).toEqual(['seen before revocation']);
  });

  describe('on a server with a small queue per subscriber and no pings', () => {
    let server: RunningHttpServer;
    beforeAll(async () => {
      server = await startHttpServer(service.services, undefined, { maxQueuedFeedEvents: 3, keepAliveMs: 0 });
    });
    afterAll(() => server.stop());

    it('replays a long history at the client’s pace: only live events count against the queue', async () => {
      let closed: { code: number; reason: string } | undefined;
      const expected = await logIdsAfter(undefined);
      expect(expected.length).toBeGreaterThan(100);
      const replay = subscribeToEvents(client(ADMIN, `http://127.0.0.1:${server.port}`, { closed: (event) => (closed = event) }));
      await replay.waitFor((events) => events.length >= expected.length, 'the whole history');
      expect(replay.events.map((e) => e.id).slice(0, expected.length)).toEqual(expected);
      expect(replay.end).toBeUndefined();
      expect(closed).toBeUndefined();
    });

    it('closes the socket of a client too slow to keep up (4008, with where to resume), which resumes without loss', async () => {
      const proxy = await startThrottlingProxy(server.port);
      try {
        const start = await headCursor();
        let closed: { code: number; reason: string } | undefined;
        const slow = subscribeToEvents(client(ADMIN, proxy.url, { closed: (event) => (closed = event) }), { after: start });
        const mci = await createMci(service.url, 'Load');
        await slow.waitFor((events) => events.some((e) => e.componentId === mci), 'a first live event');

        // The client stops reading; the server writes big events until the socket is full and the queue overflows.
        proxy.pause();
        const tooSlow = (): boolean =>
          service.logs.some((line) => String(line['msg']).startsWith('closing the socket of a change-feed subscriber'));
        const stream = `feedload-${randomUUID()}`;
        let appended = 0;
        for (; appended < 400 && !tooSlow(); appended++) {
          await service.services.store.append(
            stream,
            [
              {
                type: 'LoadGenerated',
                data: { payload: randomBytes(128 * 1024).toString('hex') },
                metadata: { accountId: 'default', actorId: 'test' },
              },
            ],
            { expectedRevision: 'any' },
          );
          await new Promise((resolve) => setImmediate(resolve));
        }
        expect(tooSlow()).toBe(true);
        await renameMci(service.url, mci, 'written after the close');

        proxy.resume();
        const end = await slow.ended();
        expect(end.kind).toBe('error');
        expect(closed?.code).toBe(4008);
        const [, resumeAfter] = /^too slow: 4 events queued; resume with after: (\S+)$/u.exec(closed?.reason ?? '') ?? [];
        const received = slow.events.map((e) => e.cursor);
        // The reason names the last event the server finished sending; the client may hold one more.
        expect(received.slice(-2)).toContain(resumeAfter);
        expect(service.logs.find((line) => String(line['msg']).startsWith('closing the socket'))).toMatchObject({ level: 40, queued: 4 });

        const resumed = subscribeToEvents(client(), { after: slow.lastCursor as string });
        await resumed.waitFor(hasName('written after the close'), 'the event written after the close');
        const all = [...slow.events, ...resumed.events].map((e) => e.id);
        expect(all).toEqual(await logIdsAfter(start));
        expect(all.length).toBe(1 + appended + 1);
      } finally {
        await proxy.close();
      }
    });
  });

  describe('on a server that pings often', () => {
    let server: RunningHttpServer;
    beforeAll(async () => {
      server = await startHttpServer(service.services, undefined, { keepAliveMs: 50 });
    });
    afterAll(() => server.stop());

    it('pings connected clients to keep the connection alive', async () => {
      const socket = new WebSocket(`ws://127.0.0.1:${server.port}/graphql`, 'graphql-transport-ws');
      try {
        await withTimeout(new Promise((resolve) => socket.once('ping', resolve)), 5_000, 'a ping from the server');
      } finally {
        socket.terminate();
      }
    });
  });
});

describe('the change feed on the EventStoreDB adapter', () => {
  it('replays, switches to live under a writer without gap or duplicate, and agrees with the query', async () => {
    const esdb = await startEsdbTestServer();
    const service = await startTestService({ EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: esdb.url });
    const client = socketClient(service.url, ADMIN);
    try {
      const mci = await createMci(service.url, 'On EventStoreDB');
      let written = 0;
      let stop = false;
      const writer = (async () => {
        while (!stop) await renameMci(service.url, mci, `e-${++written}`);
      })();
      const feed = subscribeToEvents(client, { filter: { componentIds: [mci] } });
      await feed.waitFor(hasName(`e-${written + 10}`), 'events written after subscribing', 20_000);
      stop = true;
      await writer;
      await renameMci(service.url, mci, 'the end');
      await feed.waitFor(hasName('the end'), 'the last event');
      const { events } = await ok<{ events: { nodes: Array<{ id: string; cursor: string }> } }>(
        service.url,
        `query($id: ID!) { events(first: 500, filter: { componentIds: [$id] }) { nodes { id cursor } } }`,
        { id: mci },
      );
      expect(feed.events.map((e) => [e.id, e.cursor])).toEqual(events.nodes.map((e) => [e.id, e.cursor]));
      expect(names(feed.events)).toEqual(['On EventStoreDB', ...Array.from({ length: written }, (_, i) => `e-${i + 1}`), 'the end']);
    } finally {
      await client.dispose();
      await service.stop();
      await esdb.close();
    }
  });
});
