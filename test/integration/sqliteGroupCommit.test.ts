import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { EventStoreUnavailableError, InvalidRequestError, StreamNotFoundError, VersionConflictError } from '../../src/eventStore/errors';
import { computeEventHash } from '../../src/eventStore/hashChain';
import type { JsonObject } from '../../src/eventStore/json';
import type { AppendResult, NewEvent, RecordedEvent } from '../../src/eventStore/port';
import { openSqliteEventStore, type SqliteEventStore } from '../../src/eventStore/sqlite/sqliteEventStore';

/*
 * Group commit in the embedded store: appends issued in the same turn of the event loop are written by
 * one transaction (asserted through `groupCommitStats`), yet each is checked, chained, positioned and
 * answered as if it had been alone. Appends below are started without awaiting in between, which is
 * what "arriving together" means: the group is flushed in the next turn (setImmediate).
 */

const event = (type: string, data: JsonObject = {}, id?: string): NewEvent => ({ type, data, ...(id ? { id } : {}) });
const positionOf = (store: SqliteEventStore, result: AppendResult): bigint => store.parseCursor(result.cursor).commit;
const settle = <T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
const rawDb = (store: SqliteEventStore): Database.Database => (store as unknown as { db: Database.Database }).db;

async function wholeLog(store: SqliteEventStore): Promise<RecordedEvent[]> {
  return (await store.readAll({ maxCount: 1000 })).events;
}

describe('SQLite event store group commit', () => {
  let dir: string;
  let path: string;
  let store: SqliteEventStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mci-group-commit-'));
    path = join(dir, 'events.sqlite');
    store = openSqliteEventStore({ path });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes appends of the same turn in one transaction, with gap-free positions in the order they were made', async () => {
    const results = await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((s) => store.append(`mci-${s}`, [event('A')], { expectedRevision: 'no_stream' })),
    );
    expect(results.map((r) => positionOf(store, r))).toEqual([1n, 2n, 3n, 4n, 5n]);
    expect(store.groupCommitStats()).toEqual({ groups: 1, appends: 5, largestGroup: 5 });
    expect((await wholeLog(store)).map((e) => e.stream)).toEqual(['mci-a', 'mci-b', 'mci-c', 'mci-d', 'mci-e']);
  });

  it('fails only the conflicting append of a group and writes the others without a gap', async () => {
    const [first, conflicting, last] = await Promise.all([
      settle(store.append('mci-1', [event('A')], { expectedRevision: 'no_stream' })),
      settle(store.append('mci-2', [event('B')], { expectedRevision: 3n })),
      settle(store.append('mci-3', [event('C')], { expectedRevision: 'no_stream' })),
    ]);
    expect(store.groupCommitStats()).toEqual({ groups: 1, appends: 3, largestGroup: 3 });
    expect(conflicting).toEqual({ ok: false, error: expect.any(VersionConflictError) });
    expect((conflicting as { error: Error }).error.message).toBe("stream 'mci-2': expected revision 3, but it is at no_stream");
    expect(first.ok && positionOf(store, first.value)).toBe(1n);
    expect(last.ok && positionOf(store, last.value)).toBe(2n);
    await expect(store.readStream('mci-2')).rejects.toBeInstanceOf(StreamNotFoundError);
    expect((await wholeLog(store)).map((e) => [e.stream, e.position.commit])).toEqual([
      ['mci-1', 1n],
      ['mci-3', 2n],
    ]);
  });

  it('chains two appends to one stream in one group, and checks the second against the first', async () => {
    const [first, second, stale] = await Promise.all([
      settle(store.append('mci-1', [event('A', { n: 1 })], { expectedRevision: 'no_stream' })),
      settle(store.append('mci-1', [event('B', { n: 2 }), event('C', { n: 3 })], { expectedRevision: 0n })),
      // Expected revision 0 too, but the append before it in the same group moved the stream to 2.
      settle(store.append('mci-1', [event('D')], { expectedRevision: 0n })),
    ]);
    expect(store.groupCommitStats().groups).toBe(1);
    expect(first).toMatchObject({ ok: true, value: { firstRevision: 0n, nextExpectedRevision: 0n } });
    expect(second).toMatchObject({ ok: true, value: { firstRevision: 1n, nextExpectedRevision: 2n } });
    expect(stale).toEqual({ ok: false, error: expect.any(VersionConflictError) });
    expect((stale as { error: Error }).error.message).toBe("stream 'mci-1': expected revision 0, but it is at revision 2");

    const events = await store.readStream('mci-1');
    expect(events.map((e) => [e.type, e.revision, e.position.commit])).toEqual([
      ['A', 0n, 1n],
      ['B', 1n, 2n],
      ['C', 2n, 3n],
    ]);
    expect(events[0]?.metadata.prevHash).toBeNull();
    for (let i = 1; i < events.length; i++) expect(events[i]?.metadata.prevHash).toBe(events[i - 1]?.metadata.hash);
    for (const e of events) expect(computeEventHash(e)).toBe(e.metadata.hash);
  });

  it('answers a retry of an append made earlier in the same group with the first result, and stores it once', async () => {
    const id = '6f1c2a0e-9b7d-4c1e-8a55-3d2f9e0b1c77';
    const [original, retry, retryAny] = await Promise.all([
      store.append('mci-1', [event('A', {}, id)], { expectedRevision: 'no_stream' }),
      store.append('mci-1', [event('A', {}, id)], { expectedRevision: 'no_stream' }),
      store.append('mci-1', [event('A', {}, id)], { expectedRevision: 'any' }),
    ]);
    expect(store.groupCommitStats().groups).toBe(1);
    expect(original.alreadyAppended).toBe(false);
    for (const again of [retry, retryAny]) {
      expect(again).toMatchObject({ alreadyAppended: true, firstRevision: 0n, nextExpectedRevision: 0n, cursor: original.cursor });
    }
    expect((await store.readStream('mci-1')).map((e) => e.id)).toEqual([id]);
    expect((await store.headPosition())?.commit).toBe(1n);
  });

  it('rejects every append of a group and writes none when SQLite fails in the middle of it', async () => {
    await store.append('mci-0', [event('Seed')], { expectedRevision: 'no_stream' });
    const head = await store.headPosition();
    // The file may not grow any more: an append that needs a new page fails with the driver's own SQLITE_FULL.
    const db = rawDb(store);
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    const big = { blob: 'x'.repeat(256 * 1024) };
    const outcomes = await Promise.all([
      settle(store.append('mci-1', [event('Small')], { expectedRevision: 'no_stream' })),
      settle(store.append('mci-2', [event('Big', big)], { expectedRevision: 'no_stream' })),
      settle(store.append('mci-0', [event('Small')], { expectedRevision: 0n })),
    ]);
    expect(store.groupCommitStats()).toMatchObject({ groups: 2, appends: 4 });
    expect(outcomes.map((o) => !o.ok && o.error instanceof EventStoreUnavailableError && [o.error.reason, o.error.message])).toEqual([
      ['storage_full', "appending to 'mci-1': the disk is full"],
      ['storage_full', "appending to 'mci-2': the disk is full"],
      ['storage_full', "appending to 'mci-0': the disk is full"],
    ]);
    expect(await store.headPosition()).toEqual(head);
    await expect(store.readStream('mci-1')).rejects.toBeInstanceOf(StreamNotFoundError);
    expect(await store.readStream('mci-0')).toHaveLength(1);

    // The small appends fit on their own even now: it was the group's rollback that undid them.
    const alone = await store.append('mci-1', [event('Small')], { expectedRevision: 'no_stream' });
    expect(positionOf(store, alone)).toBe(2n);
    db.pragma('max_page_count = 1073741823');
    const afterwards = await store.append('mci-2', [event('Big', big)], { expectedRevision: 'no_stream' });
    expect(positionOf(store, afterwards)).toBe(3n);
  });

  it('refuses a malformed append at once, without touching the group it would have joined', async () => {
    const [good, bad, alsoGood] = await Promise.all([
      settle(store.append('mci-1', [event('A')], { expectedRevision: 'no_stream' })),
      settle(store.append('$reserved', [event('A')], { expectedRevision: 'no_stream' })),
      settle(store.append('mci-2', [event('A')], { expectedRevision: 'no_stream' })),
    ]);
    expect(bad).toEqual({ ok: false, error: expect.any(InvalidRequestError) });
    expect(good.ok && alsoGood.ok).toBe(true);
    expect(store.groupCommitStats()).toEqual({ groups: 1, appends: 2, largestGroup: 2 });
  });

  it('wakes subscribers after the commit, with the whole group in position order', async () => {
    const subscription = store.subscribe();
    const received: Array<[string, bigint]> = [];
    const reading = (async () => {
      for await (const e of subscription.events) {
        received.push([e.stream, e.position.commit]);
        if (received.length === 3) break;
      }
    })();
    await subscription.caughtUp;
    await Promise.all(['a', 'b', 'c'].map((s) => store.append(`mci-${s}`, [event('A')], { expectedRevision: 'no_stream' })));
    await reading;
    expect(received).toEqual([
      ['mci-a', 1n],
      ['mci-b', 2n],
      ['mci-c', 3n],
    ]);
  });

  it('splits a long queue into groups of at most maxGroupAppends, keeping the order', async () => {
    await store.close();
    store = openSqliteEventStore({ path, maxGroupAppends: 2 });
    const results = await Promise.all(
      [0, 1, 2, 3, 4].map((i) => store.append('mci-1', [event('A', { i })], { expectedRevision: i === 0 ? 'no_stream' : BigInt(i - 1) })),
    );
    expect(results.map((r) => r.firstRevision)).toEqual([0n, 1n, 2n, 3n, 4n]);
    expect(results.map((r) => positionOf(store, r))).toEqual([1n, 2n, 3n, 4n, 5n]);
    expect(store.groupCommitStats()).toEqual({ groups: 3, appends: 5, largestGroup: 2 });
  });

  it('writes the appends still queued when the store is closed, and answers their callers', async () => {
    const pending = ['a', 'b'].map((s) => store.append(`mci-${s}`, [event('A')], { expectedRevision: 'no_stream' }));
    await store.close();
    expect((await Promise.all(pending)).map((r) => positionOf(store, r))).toEqual([1n, 2n]);
    store = openSqliteEventStore({ path });
    expect((await wholeLog(store)).map((e) => e.stream)).toEqual(['mci-a', 'mci-b']);
  });

  it('commits every append on its own when group commit is off', async () => {
    await store.close();
    store = openSqliteEventStore({ path, groupCommit: false });
    const results = await Promise.all(
      ['a', 'b', 'c'].map((s) => store.append(`mci-${s}`, [event('A')], { expectedRevision: 'no_stream' })),
    );
    expect(results.map((r) => positionOf(store, r))).toEqual([1n, 2n, 3n]);
    expect(store.groupCommitStats()).toEqual({ groups: 3, appends: 3, largestGroup: 1 });
  });
});
