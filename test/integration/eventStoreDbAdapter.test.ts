import { randomUUID } from 'node:crypto';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { computeEventHash } from '../../src/eventStore/hashChain';
import { EventStoreUnavailableError, InvalidRequestError } from '../../src/eventStore/errors';
import { openEventStoreDbEventStore, type EventStoreDbEventStore } from '../../src/eventStore/eventstoredb/eventStoreDbEventStore';
import type { NewEvent, RecordedEvent } from '../../src/eventStore/port';
import { startEsdbTestServer, type EsdbTestServer } from '../support/esdbTestServer';
import { eventually, take, withTimeout } from '../support/async';
import { ESDB_MAX_APPEND_SIZE } from '../contract/eventStoreSetups';

/*
 * What only the EventStoreDB adapter has to get right, over real gRPC against the test server: the
 * server's own `$` events stay inside, dropped subscriptions come back without loss or duplicates,
 * an unreachable server fails fast with the port's error, and the read-then-append hash chain holds
 * under concurrent writers.
 */

const note = (n: number): NewEvent => ({ type: 'Noted', data: { n } });

describe('EventStoreDB adapter', () => {
  let server: EsdbTestServer;
  let store: EventStoreDbEventStore;
  let drops: unknown[];

  beforeEach(async () => {
    server = await startEsdbTestServer({ maxAppendSize: ESDB_MAX_APPEND_SIZE });
    drops = [];
    store = openEventStoreDbEventStore({
      url: server.url,
      resubscribeBackoffMs: { initial: 10, max: 100 },
      callDeadlineMs: 2_000,
      onSubscriptionDropped: (error) => drops.push(error),
    });
  });
  afterEach(async () => {
    await store.close();
    await server.close();
  });

  it('never surfaces the server’s system events, in reads, subscriptions or the head', async () => {
    const subscription = store.subscribe();
    try {
      await store.append('mci-1', [note(1)], { expectedRevision: 'no_stream' });
      server.appendSystemEvent('$stats-127.0.0.1:2113', '$statsCollected');
      await store.append('mci-1', [note(2)], { expectedRevision: 0n });
      server.appendSystemEvent('$$mci-1', '$metadata');

      const received = await take(subscription, 2);
      expect(received.map((e) => e.type)).toEqual(['Noted', 'Noted']);
      const all = await store.readAll();
      expect(all.events.map((e) => `${e.stream}/${e.type}`)).toEqual(['mci-1/Noted', 'mci-1/Noted']);
      expect(all.isEnd).toBe(true);
      expect(await store.headPosition()).toEqual(received[1]?.position);
    } finally {
      await subscription.close();
    }
  });

  it('resubscribes after the server drops, from the last delivered event, losing and repeating nothing', async () => {
    await store.append('mci-2', [note(0), note(1)], { expectedRevision: 'no_stream' });
    const subscription = store.subscribe();
    try {
      const before = await take(subscription, 2);
      await server.stop();
      await eventually(() => drops.length > 0, 'the adapter to notice the drop');
      await server.start();
      await eventually(async () => {
        try {
          await store.append('mci-2', [note(2), note(3)], { expectedRevision: 1n });
          return true;
        } catch (error) {
          if (error instanceof EventStoreUnavailableError) return false;
          throw error;
        }
      }, 'the restarted server to accept appends');
      const after = await take(subscription, 2);
      const received = [...before, ...after];
      expect(received.map((e) => (e.data as { n: number }).n)).toEqual([0, 1, 2, 3]);
      expect(received.map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n]);
    } finally {
      await subscription.close();
    }
  });

  it('fails fast with EventStoreUnavailableError while the server is down', async () => {
    await store.append('mci-3', [note(0)], { expectedRevision: 'no_stream' });
    await server.stop();
    const started = Date.now();
    await expect(store.append('mci-3', [note(1)], { expectedRevision: 0n })).rejects.toBeInstanceOf(EventStoreUnavailableError);
    await expect(store.readStream('mci-3')).rejects.toBeInstanceOf(EventStoreUnavailableError);
    await expect(store.readAll()).rejects.toBeInstanceOf(EventStoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(6_000);
    await server.start();
  });

  it('keeps one valid hash chain when concurrent writers append with any', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.append('mci-4', [note(i)], { expectedRevision: 'any' })));
    const stored = await store.readStream('mci-4');
    expect(stored.map((e) => e.revision)).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i)));
    let prevHash: string | null = null;
    for (const event of stored) {
      expect(event.metadata.prevHash).toBe(prevHash);
      expect(computeEventHash(event)).toBe(event.metadata.hash);
      prevHash = event.metadata.hash;
    }
  });

  it('reports the server’s append size limit as bad input', async () => {
    const small = await startEsdbTestServer({ maxAppendSize: 64 * 1024 });
    const limited = openEventStoreDbEventStore({ url: small.url });
    try {
      const error = await limited.append('big-1', [{ type: 'Big', data: { s: 'x'.repeat(100 * 1024) } }], { expectedRevision: 'any' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect((error as Error).message).toMatch(/maximum append size \(65536 bytes\)/);
    } finally {
      await limited.close();
      await small.close();
    }
  });

  it('refuses to pass off an event another program wrote without our envelope', async () => {
    const raw = EventStoreDBClient.connectionString(server.url);
    try {
      await raw.appendToStream('foreign-1', jsonEvent({ id: randomUUID(), type: 'SomethingElse', data: { a: 1 } }));
    } finally {
      await raw.dispose();
    }
    await expect(store.readStream('foreign-1')).rejects.toThrow(/was not written by this service/);
  });

  it('positions each event of a multi-event append on its own and returns the last one', async () => {
    const appended = await store.append('mci-5', [note(1), note(2), note(3)], { expectedRevision: 'no_stream' });
    const stored: RecordedEvent[] = await store.readStream('mci-5');
    expect(new Set(stored.map((e) => e.cursor)).size).toBe(3);
    expect(appended.position).toEqual(stored[2]?.position);
    const subscription = store.subscribe({ after: stored[0]?.cursor });
    try {
      expect((await withTimeout(take(subscription, 2), 5_000, 'two events')).map((e) => e.revision)).toEqual([1n, 2n]);
    } finally {
      await subscription.close();
    }
  });
});
