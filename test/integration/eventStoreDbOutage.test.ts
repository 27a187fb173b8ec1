import { subscribeToFeed } from '../../src/application/changeFeed';
import type { RecordedEvent } from '../../src/eventStore/port';
import { ok } from '../support/api';
import { eventually, withTimeout } from '../support/async';
import { startEsdbTestServer, type EsdbTestServer } from '../support/esdbTestServer';
import { ADMIN, graphql, startTestService, type TestService } from '../support/service';
import { execute, socketClient, startThrottlingProxy, subscribeToEvents, type FeedEvent } from '../support/ws';

/*
 * The real service on the EventStoreDB adapter while its store goes away and comes back (the test gRPC
 * server stopped and restarted on the same port): writes fail fast and clearly, /readyz says why, and
 * afterwards writes, projections and an open change-feed subscription carry on with nothing lost and
 * nothing repeated.
 */

const UPDATE = `mutation($id: ID!, $d: String!) { updateMultiCloudImage(input: { id: $id, description: $d }) { id version description } }`;
const CREATE = `mutation($name: String!) { createMultiCloudImage(input: { name: $name }) { id version } }`;

/** The whole feed after `after`, polled page by page over HTTP: the record a subscription must match. */
async function feedAfter(url: string, after: string | undefined): Promise<FeedEvent[]> {
  const events: FeedEvent[] = [];
  let cursor = after;
  for (;;) {
    const { events: page } = await ok<{ events: { nodes: FeedEvent[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>(
      url,
      `query($after: String) { events(after: $after, first: 500) { nodes { cursor id type streamId } pageInfo { hasNextPage endCursor } } }`,
      { after: cursor },
    );
    events.push(...page.nodes);
    if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return events;
    cursor = page.pageInfo.endCursor;
  }
}

describe('the service while EventStoreDB is down, and after it is back', () => {
  let esdb: EsdbTestServer;
  let service: TestService;
  beforeAll(async () => {
    esdb = await startEsdbTestServer();
    service = await startTestService({ EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: esdb.url, EVENTSTORE_DEADLINE_MS: '2000' });
  });
  afterAll(async () => {
    await service.stop();
    await esdb.close();
  });

  it('fails mutations fast with UNAVAILABLE, reports not ready, then resumes writes, projections and the open subscription without loss or repeat', async () => {
    const { createMultiCloudImage } = await ok<{ createMultiCloudImage: { id: string } }>(service.url, CREATE, { name: 'Outage' });
    const id = createMultiCloudImage.id;
    const start = (await feedAfter(service.url, undefined)).at(-1)?.cursor;
    const liveBefore = esdb.diagnostics().liveSubscriptions;
    const client = socketClient(service.url, ADMIN);
    const feed = subscribeToEvents(client, { after: start });
    try {
      await ok(service.url, UPDATE, { id, d: 'before the outage' });
      await feed.waitFor((events) => events.some((e) => e.type === 'MultiCloudImageUpdated'), 'the update before the outage');
      // The feed is live (the change feed's shared tail, which also watches revocations, is registered on the server).
      await eventually(() => esdb.diagnostics().liveSubscriptions >= liveBefore + 1, 'the feed to go live');

      await esdb.stop();
      const refused = await graphql(service.url, UPDATE, { id, d: 'during the outage' }, ADMIN);
      expect(refused.body.errors?.[0]).toMatchObject({
        message: 'the event store is unavailable; try again shortly',
        extensions: { code: 'UNAVAILABLE' },
      });
      expect(refused.body.data ?? null).toBeNull();
      // Refused by the failed connection itself, not after waiting out a deadline.
      expect(JSON.stringify(service.logs)).toContain('EventStoreDB is unavailable');
      expect(JSON.stringify(service.logs)).not.toContain('did not answer within');
      const created = await graphql(service.url, CREATE, { name: 'during the outage' }, ADMIN);
      expect(created.body.errors?.[0]?.extensions?.['code']).toBe('UNAVAILABLE');

      // A subscription can't start while the store is down: it is refused at once, and the client retries.
      const refusedFeed = await execute(service.url, `subscription { events { id } }`, {}, ADMIN);
      expect(refusedFeed.body.errors?.[0]).toMatchObject({ extensions: { code: 'UNAVAILABLE' } });

      const down = await fetch(`${service.url}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ ready: false, eventStore: { kind: 'eventstoredb', reachable: false } });
      // Liveness is not readiness: the process itself is fine.
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);

      await esdb.start();
      await eventually(async () => (await fetch(`${service.url}/readyz`)).status === 200, 'readiness after the store came back', 15_000);
      const after = await ok<{ updateMultiCloudImage: { description: string; version: number } }>(service.url, UPDATE, {
        id,
        d: 'after the outage',
      });
      // Version 2: the refused update wrote nothing. Read-your-writes again: the projections resumed
      // and reached the write before it was answered.
      expect(after.updateMultiCloudImage).toMatchObject({ description: 'after the outage', version: 2 });
      const { multiCloudImage } = await ok<{ multiCloudImage: { description: string; version: number } }>(
        service.url,
        `query($id: ID!) { multiCloudImage(id: $id) { description version } }`,
        { id },
      );
      expect(multiCloudImage).toEqual({ description: 'after the outage', version: 2 });

      // The subscription opened before the outage delivers the new event, and exactly the log: no gap, no repeat.
      await feed.waitFor(
        (events) => events.some((e) => e.data['description'] === 'after the outage'),
        'the update after the outage',
        15_000,
      );
      expect(feed.end).toBeUndefined();
      const record = await feedAfter(service.url, start);
      expect(feed.events.map((e) => e.id)).toEqual(record.map((e) => e.id));
      expect(new Set(feed.events.map((e) => e.id)).size).toBe(feed.events.length);
    } finally {
      feed.close();
      await client.dispose();
    }
  });

  it('lets a client that lost its socket resume from its last cursor with nothing lost or repeated', async () => {
    const { createMultiCloudImage } = await ok<{ createMultiCloudImage: { id: string } }>(service.url, CREATE, { name: 'Resume' });
    const id = createMultiCloudImage.id;
    const start = (await feedAfter(service.url, undefined)).at(-1)?.cursor;
    const first = socketClient(service.url, ADMIN);
    const before = subscribeToEvents(first, { after: start });
    await ok(service.url, UPDATE, { id, d: 'one' });
    await before.waitFor((events) => events.length >= 1, 'the first update');
    before.close();
    await first.dispose();
    const lastSeen = before.lastCursor;

    await esdb.stop();
    expect((await graphql(service.url, UPDATE, { id, d: 'refused' }, ADMIN)).body.errors?.[0]?.extensions?.['code']).toBe('UNAVAILABLE');
    await esdb.start();
    await eventually(async () => (await fetch(`${service.url}/readyz`)).status === 200, 'readiness after the store came back', 15_000);
    await ok(service.url, UPDATE, { id, d: 'two' });
    await ok(service.url, UPDATE, { id, d: 'three' });

    const second = socketClient(service.url, ADMIN);
    const resumed = subscribeToEvents(second, { after: lastSeen });
    try {
      await resumed.waitFor((events) => events.filter((e) => e.type === 'MultiCloudImageUpdated').length >= 2, 'the two later updates');
      const all = [...before.events, ...resumed.events];
      expect(all.map((e) => e.id)).toEqual((await feedAfter(service.url, start)).map((e) => e.id));
      expect(all.filter((e) => e.type === 'MultiCloudImageUpdated').map((e) => e.data['description'])).toEqual(['one', 'two', 'three']);
    } finally {
      resumed.close();
      await second.dispose();
    }
  });

  it('a subscription still catching up waits out an outage and goes on from where it was, nothing lost or repeated', async () => {
    const viewer = service.services.accounts.authenticate(ADMIN['authorization']);
    if (!viewer) throw new Error('the admin token should authenticate');
    const store = service.services.store;
    const from = await store.headPosition();
    const after = from && store.cursorOf(from);
    const metadata = { accountId: viewer.accountId, actorId: viewer.userId, correlationId: 'outage-catch-up' };
    // More than one catch-up page (500): the feed reads the second page only once the first was taken.
    for (let batch = 0; batch < 6; batch++) {
      await store.append(
        `probe-${batch}`,
        Array.from({ length: 100 }, (_, n) => ({ type: 'Probed', data: { n: batch * 100 + n }, metadata })),
        { expectedRevision: 'no_stream' },
      );
    }
    const feed = await subscribeToFeed(store, viewer, { after, selection: {}, maxQueuedEvents: 10_000, onTooSlow: () => undefined });
    const received: RecordedEvent[] = [];
    try {
      const next = async (): Promise<RecordedEvent> => {
        const step = await withTimeout(feed.next(), 15_000, `event ${received.length + 1}`);
        if (step.done) throw new Error(`the feed ended after ${received.length} events`);
        received.push(step.value);
        return step.value;
      };
      await next(); // the first page is read and queued; the second is read once this one is taken
      await esdb.stop();
      while (received.length < 500) await next(); // the queued page, taken while the store is down
      const resumed = next(); // waits for the second page: tried again until the store is back
      await esdb.start();
      await resumed;
      while (received.length < 600) await next();
    } finally {
      await feed.return?.();
    }
    expect(received.map((e) => (e.data as { n: number }).n)).toEqual(Array.from({ length: 600 }, (_, n) => n));
  });
});

describe('the service when EventStoreDB stops answering but keeps the connection open', () => {
  it('fails a mutation with UNAVAILABLE once the call deadline passes instead of holding it, and recovers when answers flow again', async () => {
    const esdb = await startEsdbTestServer();
    // Between the service and the store: a proxy that can stop passing the store's answers on.
    const proxy = await startThrottlingProxy(esdb.port);
    const service = await startTestService({
      EVENT_STORE: 'eventstoredb',
      EVENTSTORE_URL: `esdb://${new URL(proxy.url).host}?tls=false`,
      EVENTSTORE_DEADLINE_MS: '1000',
    });
    try {
      const { createMultiCloudImage } = await ok<{ createMultiCloudImage: { id: string } }>(service.url, CREATE, { name: 'Silent' });
      proxy.pause();
      const refused = await graphql(service.url, UPDATE, { id: createMultiCloudImage.id, d: 'unanswered' }, ADMIN);
      expect(refused.body.errors?.[0]).toMatchObject({
        message: 'the event store is unavailable; try again shortly',
        extensions: { code: 'UNAVAILABLE' },
      });
      // Ended by the call deadline (1 s here), not by the connection's keep-alive giving up (20 s).
      expect(JSON.stringify(service.logs)).toContain('did not answer within 1000 ms');
      const down = await fetch(`${service.url}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ ready: false, eventStore: { reachable: false } });

      proxy.resume();
      await eventually(async () => (await fetch(`${service.url}/readyz`)).status === 200, 'readiness once answers flow again', 15_000);
      const after = await ok<{ updateMultiCloudImage: { description: string; version: number } }>(service.url, UPDATE, {
        id: createMultiCloudImage.id,
        d: 'answered',
      });
      expect(after.updateMultiCloudImage).toEqual({ id: createMultiCloudImage.id, description: 'answered', version: 1 });
    } finally {
      proxy.resume();
      await service.stop();
      await proxy.close();
      await esdb.close();
    }
  });
});
