import { randomUUID } from 'node:crypto';
import {
  EventStoreClosedError,
  InvalidCursorError,
  InvalidRequestError,
  StreamNotFoundError,
  VersionConflictError,
} from '../../src/eventStore/errors';
import type { EventStore, NewEvent, RecordedEvent } from '../../src/eventStore/port';
import { take, withTimeout } from '../support/async';
import { allSetups } from './setups';

/**
 * One suite, every adapter: the semantics of design.md's "Event store semantics", proven identically
 * on the embedded SQLite store (file and memory) and on the EventStoreDB adapter over real gRPC.
 *
 * Every test writes only to streams under its own random namespace and reads the global log only
 * from the head it saw at its start, so it also runs against a shared, non-empty real server.
 */

const event = (type: string, data: unknown = {}, id?: string): NewEvent => ({
  type,
  data: data as NewEvent['data'],
  ...(id ? { id } : {}),
  metadata: { accountId: 'acc-1', actorId: 'user-1', occurredAt: '2026-11-26T12:00:00.000Z', schemaVersion: 1 },
});

async function headCursor(store: EventStore): Promise<string | undefined> {
  const head = await store.headPosition();
  return head && store.cursorOf(head);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, it succeeded');
}

describe.each(allSetups())('event store contract: $name', (setup) => {
  let store: EventStore;
  let ns: string;
  const stream = (name: string): string => `${ns}${name}`;

  if (setup.skipReason) {
    // Reported by jest as skipped, with the reason in the test name.
    it.skip(setup.skipReason, () => undefined);
    return;
  }

  beforeAll(() => setup.beforeAll());
  afterAll(() => setup.afterAll());
  beforeEach(async () => {
    store = await setup.open();
    ns = `t${randomUUID().replace(/-/g, '').slice(0, 12)}_`;
  });
  afterEach(() => store.close());

  describe('append and read a stream', () => {
    it('numbers revisions from 0 and reads them back forwards and backwards', async () => {
      const s = stream('mci-1');
      const first = await store.append(s, [event('A', { n: 1 }), event('B', { n: 2 })], { expectedRevision: 'no_stream' });
      expect(first.firstRevision).toBe(0n);
      expect(first.nextExpectedRevision).toBe(1n);
      expect(first.alreadyAppended).toBe(false);
      const second = await store.append(s, [event('C', { n: 3 })], { expectedRevision: 1n });
      expect(second.nextExpectedRevision).toBe(2n);

      const forwards = await store.readStream(s);
      expect(forwards.map((e) => [e.revision, e.type, e.data])).toEqual([
        [0n, 'A', { n: 1 }],
        [1n, 'B', { n: 2 }],
        [2n, 'C', { n: 3 }],
      ]);
      expect(forwards.every((e) => e.stream === s)).toBe(true);
      const backwards = await store.readStream(s, { direction: 'backwards', maxCount: 2 });
      expect(backwards.map((e) => e.revision)).toEqual([2n, 1n]);
      const fromMiddle = await store.readStream(s, { fromRevision: 1n, maxCount: 1 });
      expect(fromMiddle.map((e) => e.type)).toEqual(['B']);
      const backFromMiddle = await store.readStream(s, { direction: 'backwards', fromRevision: 1n });
      expect(backFromMiddle.map((e) => e.type)).toEqual(['B', 'A']);
      expect(await store.readStream(s, { fromRevision: 9n })).toEqual([]);
    });

    it('keeps metadata and adds the hash chain', async () => {
      const s = stream('chain');
      await store.append(s, [event('A'), event('B')], { expectedRevision: 'no_stream' });
      const [a, b] = await store.readStream(s);
      expect(a?.metadata).toMatchObject({ accountId: 'acc-1', actorId: 'user-1', schemaVersion: 1, prevHash: null });
      expect(a?.metadata.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(b?.metadata.prevHash).toBe(a?.metadata.hash);
      expect(b?.metadata.hash).not.toBe(a?.metadata.hash);
    });

    it('gives identical hashes for identical events on every adapter', async () => {
      // Fixed stream name and ids: the hashes below are the same for every adapter. On a shared real
      // server the stream may exist from an earlier run; the same ids at no_stream are then a retry.
      const s = 'contract-golden-chain';
      const ids = ['2f1c1c8e-6d0a-4a55-9d39-8b0f1f2a6c01', '2f1c1c8e-6d0a-4a55-9d39-8b0f1f2a6c02'];
      await store.append(
        s,
        [event('ImageMapped', { cloud: 'aws-us-east-1', image: 'ami-1' }, ids[0]), event('RevisionCommitted', { revision: 1 }, ids[1])],
        { expectedRevision: 'no_stream' },
      );
      const stored = await store.readStream(s);
      // Computed independently (Python: json.dumps(sort_keys=True, separators=(',', ':')) + sha256).
      expect(stored.map((e) => e.metadata.hash)).toEqual([
        'eb4e1926d163a544faea6a1876a5df73934a5ad92d2541ed37b263614dadc19e',
        'df9f2278d1e36b7c2ce046430e2da290df2fbf2189c1ef3071bc38beb4d91609',
      ]);
    });

    it('throws StreamNotFoundError for a stream with no events', async () => {
      const error = await rejection(store.readStream(stream('missing')));
      expect(error).toBeInstanceOf(StreamNotFoundError);
      expect((error as StreamNotFoundError).stream).toBe(stream('missing'));
    });

    it('stores a 1 MiB event intact', async () => {
      const s = stream('big');
      const big = 'x'.repeat(1024 * 1024);
      await store.append(s, [event('Big', { big })], { expectedRevision: 'no_stream' });
      const [stored] = await store.readStream(s);
      expect((stored?.data as { big: string }).big.length).toBe(1024 * 1024);
      expect((stored?.data as { big: string }).big).toBe(big);
    });

    it('round-trips unicode in stream names, types and data', async () => {
      const s = stream('mci-日本語-🚀');
      const data = {
        text: 'Grüße, 世界! 🚀 \u0000 \u2028 \u{1F600}',
        lone: '\ud800',
        rtl: 'שלום',
        keys: { ключ: 'значение', '🔑': ['é', 'e\u0301'] },
      };
      await store.append(s, [event('Ünïcödé', data)], { expectedRevision: 'no_stream' });
      const [stored] = await store.readStream(s);
      expect(stored?.type).toBe('Ünïcödé');
      expect(stored?.stream).toBe(s);
      expect(stored?.data).toEqual(data);
    });
  });

  describe('expected revision', () => {
    it('enforces no_stream and stream_exists', async () => {
      const s = stream('exp');
      const missing = await rejection(store.append(s, [event('A')], { expectedRevision: 'stream_exists' }));
      expect(missing).toBeInstanceOf(VersionConflictError);
      expect(missing).toMatchObject({ stream: s, expected: 'stream_exists', actual: 'no_stream' });
      await store.append(s, [event('A')], { expectedRevision: 'no_stream' });
      const exists = await rejection(store.append(s, [event('B')], { expectedRevision: 'no_stream' }));
      expect(exists).toMatchObject({ stream: s, expected: 'no_stream', actual: 0n });
      await store.append(s, [event('B')], { expectedRevision: 'stream_exists' });
      await store.append(s, [event('C')], { expectedRevision: 'any' });
      expect((await store.readStream(s)).map((e) => e.type)).toEqual(['A', 'B', 'C']);
    });

    it('refuses a stale revision with the true actual one and writes nothing', async () => {
      const s = stream('stale');
      await store.append(s, [event('A'), event('B')], { expectedRevision: 'no_stream' });
      const error = await rejection(store.append(s, [event('C')], { expectedRevision: 0n }));
      expect(error).toBeInstanceOf(VersionConflictError);
      expect(error).toMatchObject({ stream: s, expected: 0n, actual: 1n });
      expect((error as Error).message).toBe(`stream '${s}': expected revision 0, but it is at revision 1`);
      const ahead = await rejection(store.append(s, [event('C')], { expectedRevision: 5n }));
      expect(ahead).toMatchObject({ expected: 5n, actual: 1n });
      expect(await store.readStream(s)).toHaveLength(2);
    });

    it('lets exactly one of 50 concurrent appends at the same revision win', async () => {
      const s = stream('race');
      await store.append(s, [event('Created')], { expectedRevision: 'no_stream' });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => store.append(s, [event('Edited', { writer: i })], { expectedRevision: 0n })),
      );
      const wins = outcomes.filter((o) => o.status === 'fulfilled');
      const losses = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(wins).toHaveLength(1);
      expect(losses).toHaveLength(49);
      for (const loss of losses) {
        expect(loss.reason).toBeInstanceOf(VersionConflictError);
        expect(loss.reason).toMatchObject({ expected: 0n, actual: 1n });
      }
      expect((await store.readStream(s)).map((e) => e.revision)).toEqual([0n, 1n]);
    });

    it('gives 50 racing writers that retry with the reported revision one dense revision each', async () => {
      const s = stream('retry-race');
      await store.append(s, [event('Created')], { expectedRevision: 'no_stream' });
      const writer = async (i: number): Promise<bigint[]> => {
        const actuals: bigint[] = [];
        let expected = 0n;
        for (;;) {
          try {
            const result = await store.append(s, [event('Edited', { writer: i })], { expectedRevision: expected });
            return [...actuals, result.nextExpectedRevision];
          } catch (error) {
            if (!(error instanceof VersionConflictError) || typeof error.actual !== 'bigint') throw error;
            actuals.push(error.actual);
            expected = error.actual;
          }
        }
      };
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => writer(i)));
      const stored = await store.readStream(s);
      expect(stored.map((e) => e.revision)).toEqual(Array.from({ length: 51 }, (_, i) => BigInt(i)));
      // Every writer's final revision is distinct: nobody overwrote anybody.
      expect(new Set(results.map((r) => r[r.length - 1])).size).toBe(50);
      expect(new Set(stored.slice(1).map((e) => (e.data as { writer: number }).writer)).size).toBe(50);
    });
  });

  describe('idempotent retry', () => {
    it('writes the same event ids at the same expected revision once', async () => {
      const s = stream('idem');
      const batch = [event('A', { n: 1 }, randomUUID()), event('B', { n: 2 }, randomUUID())];
      const first = await store.append(s, batch, { expectedRevision: 'no_stream' });
      await store.append(s, [event('C')], { expectedRevision: 1n });
      const retry = await store.append(s, batch, { expectedRevision: 'no_stream' });
      expect(retry).toMatchObject({ firstRevision: 0n, nextExpectedRevision: 1n, alreadyAppended: true });
      expect(retry.cursor).toBe(first.cursor);
      expect((await store.readStream(s)).map((e) => e.type)).toEqual(['A', 'B', 'C']);
    });

    it('recognises a retry at a numeric revision and with any', async () => {
      const s = stream('idem2');
      await store.append(s, [event('A')], { expectedRevision: 'no_stream' });
      const batch = [event('B', {}, randomUUID())];
      await store.append(s, batch, { expectedRevision: 0n });
      const retry = await store.append(s, batch, { expectedRevision: 0n });
      expect(retry).toMatchObject({ firstRevision: 1n, nextExpectedRevision: 1n, alreadyAppended: true });
      const anyBatch = [event('C', {}, randomUUID())];
      await store.append(s, anyBatch, { expectedRevision: 'any' });
      const anyRetry = await store.append(s, anyBatch, { expectedRevision: 'any' });
      expect(anyRetry).toMatchObject({ firstRevision: 2n, alreadyAppended: true });
      expect(await store.readStream(s)).toHaveLength(3);
    });

    it('treats a batch that only partly matches what was written as a conflict', async () => {
      const s = stream('idem3');
      const a = event('A', {}, randomUUID());
      await store.append(s, [a, event('B', {}, randomUUID())], { expectedRevision: 'no_stream' });
      const error = await rejection(store.append(s, [a, event('X', {}, randomUUID())], { expectedRevision: 'no_stream' }));
      expect(error).toBeInstanceOf(VersionConflictError);
      expect(await store.readStream(s)).toHaveLength(2);
    });
  });

  describe('bad input', () => {
    const cases: Array<[string, () => [string, NewEvent[]], RegExp]> = [
      ['an empty stream name', () => ['', [event('A')]], /stream name: expected a non-empty string/],
      ['a reserved stream name', () => ['$all', [event('A')]], /reserved/],
      ['no events', () => ['x', []], /non-empty array/],
      ['an empty event type', () => ['x', [event('')]], /type: expected a non-empty string/],
      ['data that is a function', () => ['x', [event('A', { f: () => 1 })]], /event 0 data\.f: expected a JSON value.*got a function/],
      ['data holding undefined', () => ['x', [event('A', { u: undefined })]], /event 0 data\.u: .*got undefined/],
      ['data holding NaN', () => ['x', [event('A', { n: Number.NaN })]], /event 0 data\.n: .*got NaN/],
      ['data holding a Date', () => ['x', [event('A', { d: new Date(0) })]], /got an instance of Date/],
      ['data holding a bigint', () => ['x', [event('A', { b: 1n })]], /got bigint 1n/],
      [
        'circular data',
        () => {
          const loop: Record<string, unknown> = {};
          loop['self'] = loop;
          return ['x', [event('A', loop)]];
        },
        /circular reference/,
      ],
      ['an id that is not a UUID', () => ['x', [event('A', {}, 'not-a-uuid')]], /id: expected a UUID/],
      ['metadata that sets the hash', () => ['x', [{ type: 'A', data: {}, metadata: { hash: 'forged' } }]], /set by the store/],
      ['an event over 2 MiB', () => ['x', [event('A', { s: 'x'.repeat(2 * 1024 * 1024 + 1) })]], /expected at most 2097152 bytes/],
    ];

    it.each(cases)('refuses %s and writes nothing', async (_label, build, message) => {
      const head = await store.headPosition();
      const [name, events] = build();
      const target = name === 'x' ? stream('bad') : name;
      const error = await rejection(store.append(target, events, { expectedRevision: 'any' }));
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect((error as Error).message).toMatch(message);
      expect(await store.headPosition()).toEqual(head);
      if (name === 'x') await expect(store.readStream(target)).rejects.toBeInstanceOf(StreamNotFoundError);
    });

    it('refuses a bad expected revision and a bad cursor', async () => {
      await expect(store.append(stream('x'), [event('A')], { expectedRevision: -1n })).rejects.toThrow(
        /expectedRevision: expected a revision >= 0n/,
      );
      await expect(store.append(stream('x'), [event('A')], { expectedRevision: 3 as unknown as bigint })).rejects.toBeInstanceOf(
        InvalidRequestError,
      );
      await expect(store.readAll({ after: 'garbage!' })).rejects.toBeInstanceOf(InvalidCursorError);
      const foreign = Buffer.from(`${store.kind === 'sqlite' ? 'eventstoredb' : 'sqlite'}:1:1`).toString('base64url');
      await expect(store.readAll({ after: foreign })).rejects.toThrow(/issued by the .* event store/);
      expect(() => store.subscribe({ after: '' })).toThrow(InvalidRequestError);
    });
  });

  describe('the global log', () => {
    it('orders events in commit order, across streams, and reads exclusively after a cursor', async () => {
      const after = await headCursor(store);
      const order: string[] = [];
      for (let i = 0; i < 6; i++) {
        const s = stream(i % 2 === 0 ? 'even' : 'odd');
        await store.append(s, [event('N', { i }), event('M', { i })], { expectedRevision: 'any' });
        order.push(`${i}N`, `${i}M`);
      }
      const filter = { streamPrefixes: [ns] };
      const all = await store.readAll({ after, filter });
      expect(all.events.map((e) => `${(e.data as { i: number }).i}${e.type}`)).toEqual(order);
      expect(all.isEnd).toBe(true);

      const middle = all.events[4] as RecordedEvent;
      const rest = await store.readAll({ after: middle.cursor, filter });
      expect(rest.events.map((e) => e.id)).toEqual(all.events.slice(5).map((e) => e.id));

      const paged: RecordedEvent[] = [];
      let cursor = after;
      for (let page = 0; page < 10; page++) {
        const result = await store.readAll({ after: cursor, maxCount: 5, filter });
        paged.push(...result.events);
        cursor = result.cursor;
        if (result.isEnd) break;
      }
      expect(paged.map((e) => e.id)).toEqual(all.events.map((e) => e.id));
    });

    it('filters by stream prefix and by event type, together', async () => {
      const after = await headCursor(store);
      await store.append(stream('mci-1'), [event('ImageMapped'), event('RevisionCommitted')], { expectedRevision: 'any' });
      await store.append(stream('template-1'), [event('ServerTemplateCreated'), event('RevisionCommitted')], { expectedRevision: 'any' });
      await store.append(stream('mci-2'), [event('ImageMapped')], { expectedRevision: 'any' });

      const byPrefix = await store.readAll({ after, filter: { streamPrefixes: [stream('mci-')] } });
      expect(byPrefix.events.map((e) => `${e.stream.slice(ns.length)}/${e.type}`)).toEqual([
        'mci-1/ImageMapped',
        'mci-1/RevisionCommitted',
        'mci-2/ImageMapped',
      ]);
      const both = await store.readAll({ after, filter: { streamPrefixes: [ns], eventTypes: ['RevisionCommitted'] } });
      expect(both.events.map((e) => e.stream.slice(ns.length))).toEqual(['mci-1', 'template-1']);
      const none = await store.readAll({ after, filter: { streamPrefixes: [ns], eventTypes: [] } });
      expect(none.events).toEqual([]);
      expect(none.isEnd).toBe(true);
      // The cursor of a filtered read moves past what it scanned: nothing is read twice.
      const again = await store.readAll({ after: both.cursor, filter: { streamPrefixes: [ns] } });
      expect(again.events).toEqual([]);
    });
  });

  describe('subscriptions', () => {
    it('start strictly after a middle cursor, catch up, then go live', async () => {
      const after = await headCursor(store);
      const s = stream('sub');
      await store.append(s, [event('E', { i: 0 }), event('E', { i: 1 }), event('E', { i: 2 })], { expectedRevision: 'no_stream' });
      const stored = await store.readStream(s);
      const subscription = store.subscribe({ after: (stored[0] as RecordedEvent).cursor, filter: { streamPrefixes: [ns] } });
      try {
        const caughtUp = await take(subscription, 2);
        expect(caughtUp.map((e) => (e.data as { i: number }).i)).toEqual([1, 2]);
        await withTimeout(subscription.caughtUp, 5_000, 'caught-up');
        await store.append(s, [event('E', { i: 3 })], { expectedRevision: 2n });
        const live = await take(subscription, 1);
        expect(live.map((e) => (e.data as { i: number }).i)).toEqual([3]);
        expect(live[0]?.revision).toBe(3n);
      } finally {
        await subscription.close();
      }
      expect(after === undefined || typeof after === 'string').toBe(true);
    });

    it('deliver every event exactly once across the catch-up/live switch under concurrent appends', async () => {
      const after = await headCursor(store);
      const streams = [stream('w0'), stream('w1'), stream('w2'), stream('w3')];
      const perWriter = 40;
      // Some events exist before the subscription starts; the rest are written while it catches up.
      await Promise.all(streams.map((s) => store.append(s, [event('E', { i: 0 })], { expectedRevision: 'no_stream' })));
      const subscription = store.subscribe({ after, filter: { streamPrefixes: [ns] } });
      const receiving = take(subscription, streams.length * perWriter, 20_000);
      await Promise.all(
        streams.map(async (s) => {
          for (let i = 1; i < perWriter; i++) {
            await store.append(s, [event('E', { i })], { expectedRevision: BigInt(i - 1) });
          }
        }),
      );
      try {
        const received = await receiving;
        const log = await store.readAll({ after, filter: { streamPrefixes: [ns] }, maxCount: 1000 });
        expect(received.map((e) => e.id)).toEqual(log.events.map((e) => e.id));
        expect(new Set(received.map((e) => e.id)).size).toBe(received.length);
        for (const s of streams) {
          expect(received.filter((e) => e.stream === s).map((e) => e.revision)).toEqual(
            Array.from({ length: perWriter }, (_, i) => BigInt(i)),
          );
        }
      } finally {
        await subscription.close();
      }
    });

    it('apply stream-prefix and event-type filters', async () => {
      const after = await headCursor(store);
      const subscription = store.subscribe({ after, filter: { streamPrefixes: [stream('mci-')], eventTypes: ['ImageMapped'] } });
      try {
        await store.append(stream('template-1'), [event('ImageMapped')], { expectedRevision: 'any' });
        await store.append(stream('mci-1'), [event('RevisionCommitted'), event('ImageMapped', { n: 1 })], { expectedRevision: 'any' });
        await store.append(stream('mci-2'), [event('ImageMapped', { n: 2 })], { expectedRevision: 'any' });
        const received = await take(subscription, 2);
        expect(received.map((e) => [e.stream.slice(ns.length), e.data])).toEqual([
          ['mci-1', { n: 1 }],
          ['mci-2', { n: 2 }],
        ]);
      } finally {
        await subscription.close();
      }
    });

    it('end when closed, and sees writes made through another handle', async () => {
      const other = await setup.openAnother();
      try {
        const after = await headCursor(store);
        const subscription = store.subscribe({ after, filter: { streamPrefixes: [ns] } });
        const iterator = subscription.events[Symbol.asyncIterator]();
        const first = iterator.next();
        await other.append(stream('elsewhere'), [event('E')], { expectedRevision: 'no_stream' });
        expect((await withTimeout(first, 10_000, 'an event written through another handle')).value?.stream).toBe(stream('elsewhere'));
        const pending = iterator.next();
        await subscription.close();
        expect((await withTimeout(pending, 5_000, 'the subscription to end')).done).toBe(true);
      } finally {
        await other.close();
      }
    });
  });

  describe('lifecycle', () => {
    it('refuses calls after close and ends open subscriptions', async () => {
      const closing = await setup.open();
      const subscription = closing.subscribe({ filter: { streamPrefixes: [ns] } });
      const pending = subscription.events[Symbol.asyncIterator]().next();
      await closing.close();
      expect((await withTimeout(pending, 5_000, 'the subscription to end')).done).toBe(true);
      await expect(closing.append(stream('after-close'), [event('A')], { expectedRevision: 'any' })).rejects.toBeInstanceOf(
        EventStoreClosedError,
      );
      await closing.close();
    });
  });
});
