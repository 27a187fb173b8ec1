import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMultiCloudImageEvent } from '../../src/application/multiCloudImages';
import {
  attachSnapshots,
  detachSnapshots,
  foldStream,
  foldStreamAt,
  occurredAtMs,
  SNAPSHOT_SCHEMA_VERSION,
  type StreamFold,
} from '../../src/application/snapshots';
import { fold } from '../../src/domain/decider';
import {
  multiCloudImageDecider,
  type MultiCloudImageEvent,
  type MultiCloudImageSetting,
  type MultiCloudImageState,
} from '../../src/domain/multiCloudImages/multiCloudImage';
import type { EventStore, NewEvent, RecordedEvent } from '../../src/eventStore/port';
import { openSqliteEventStore } from '../../src/eventStore/sqlite/sqliteEventStore';
import { openReadModelDatabase } from '../../src/readModels/readModelDatabase';
import { snapshotChecksum, SqliteSnapshotStore } from '../../src/readModels/snapshotStore';
import type { SqliteDatabase } from '../../src/sqlite/database';

/*
 * Snapshots are a cache of the log: a fold that starts from one must equal the fold of the whole
 * stream, and a snapshot that can't be proven to describe the stream the store holds (another history,
 * a damaged row, another schema version) must be ignored.
 */

const MCI: StreamFold<MultiCloudImageState, MultiCloudImageEvent> = {
  kind: 'MultiCloudImage',
  decider: multiCloudImageDecider,
  parseEvent: parseMultiCloudImageEvent,
};
const CLOUDS = ['aws-us-east-1', 'aws-eu-west-1', 'rackspace-dfw', 'gce-us-central1'];
const BASE_TIME = Date.parse('2024-01-01T00:00:00.000Z');

/** An edit of an MCI, turned into an event by `eventsOf` against the state folded so far. */
type Edit =
  | { kind: 'map'; cloud: number; image: number; large: boolean; userData: string | null }
  | { kind: 'unmap'; cloud: number }
  | { kind: 'rename'; name: string }
  | { kind: 'commit' }
  | { kind: 'delete' };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  {
    weight: 50,
    arbitrary: fc.record({
      kind: fc.constant('map' as const),
      cloud: fc.nat(3),
      image: fc.nat(3),
      large: fc.boolean(),
      userData: fc.option(fc.string({ maxLength: 8 })),
    }),
  },
  { weight: 20, arbitrary: fc.record({ kind: fc.constant('unmap' as const), cloud: fc.nat(3) }) },
  { weight: 20, arbitrary: fc.record({ kind: fc.constant('rename' as const), name: fc.string({ minLength: 1, maxLength: 6 }) }) },
  { weight: 20, arbitrary: fc.constant({ kind: 'commit' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'delete' as const }) },
);

/** Steps between events' `occurredAt`: mostly forward, sometimes equal, now and then backwards (clocks of two instances). */
const stepArb = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 5_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: -3_000, max: -1 }) },
);

/** Valid MCI events for a sequence of edits (a creation first), each stamped with its instant. */
function eventsOf(id: string, edits: readonly Edit[], steps: readonly number[]): NewEvent[] {
  let state: MultiCloudImageState = multiCloudImageDecider.initialState();
  let at = BASE_TIME;
  const events: NewEvent[] = [];
  const push = (event: MultiCloudImageEvent): void => {
    at += steps[events.length % Math.max(steps.length, 1)] ?? 1_000;
    state = multiCloudImageDecider.evolve(state, event);
    events.push({
      type: event.type,
      data: event.data as never,
      metadata: { accountId: 'acct', actorId: 'tester', occurredAt: new Date(at).toISOString() },
    });
  };
  push({ type: 'MultiCloudImageCreated', data: { multiCloudImageId: id, accountId: 'acct', lineage: id, name: 'base', description: '' } });
  for (const edit of edits) {
    if (state.status !== 'active') break;
    switch (edit.kind) {
      case 'map': {
        const cloudId = CLOUDS[edit.cloud] as string;
        const setting: MultiCloudImageSetting = {
          cloudId,
          imageId: `${cloudId}/image-${edit.image}`,
          instanceTypeId: `${cloudId}/${edit.large ? 'large' : 'small'}`,
          kernelImageId: null,
          ramdiskImageId: null,
          userData: edit.userData,
        };
        push({ type: 'ImageMapped', data: { ...setting, replaced: state.head.settings[cloudId] ?? null } });
        break;
      }
      case 'unmap': {
        const removed = state.head.settings[CLOUDS[edit.cloud] as string];
        if (removed) push({ type: 'ImageUnmapped', data: { cloudId: removed.cloudId, removed } });
        break;
      }
      case 'rename':
        push({ type: 'MultiCloudImageUpdated', data: { name: edit.name } });
        break;
      case 'commit': {
        const revision = state.latestRevision + 1;
        push({
          type: 'RevisionCommitted',
          data: {
            revision,
            message: `r${revision}`,
            contentHash: `hash-${revision}`,
            committedAt: new Date(at).toISOString(),
            committedBy: 'tester',
          },
        });
        break;
      }
      case 'delete':
        push({ type: 'ComponentDeleted', data: { kind: 'MultiCloudImage', componentId: id } });
        break;
    }
  }
  return events;
}

async function appendAll(store: EventStore, stream: string, events: readonly NewEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 7) {
    await store.append(stream, events.slice(i, i + 7), { expectedRevision: i === 0 ? 'no_stream' : BigInt(i - 1) });
  }
}

/** The reference: the whole stream, folded as time travel always did (stop at the first event after the instant). */
function naiveAt(recorded: readonly RecordedEvent[], atMs: number): { state: MultiCloudImageState; version: number } {
  let state = multiCloudImageDecider.initialState();
  let version = -1;
  for (const event of recorded) {
    if (occurredAtMs(event) > atMs) break;
    state = multiCloudImageDecider.evolve(state, parseMultiCloudImageEvent(event));
    version = Number(event.revision);
  }
  return { state, version };
}

describe('stream snapshots', () => {
  let dir: string;
  let store: EventStore;
  let db: SqliteDatabase;
  let snapshots: SqliteSnapshotStore;
  let streams = 0;
  const nextStream = (): string => `mci-snap-${++streams}`;
  const rowsOf = (stream: string): Array<{ revision: number; state: string }> =>
    db.prepare(`SELECT revision, state FROM stream_snapshots WHERE stream = ? ORDER BY revision`).all(stream) as Array<{
      revision: number;
      state: string;
    }>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mci-snapshots-'));
    store = openSqliteEventStore({ path: join(dir, 'events.sqlite'), synchronous: 'NORMAL' });
    db = openReadModelDatabase(join(dir, 'read-models.sqlite'));
    snapshots = new SqliteSnapshotStore(db, 3);
    attachSnapshots(store, snapshots);
  });

  afterEach(async () => {
    detachSnapshots(store);
    await store.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('folds to the same state and version with and without snapshots, at the head and at any instant', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(editArb, { minLength: 0, maxLength: 40 }),
        fc.array(stepArb, { minLength: 1, maxLength: 10 }),
        fc.array(fc.nat(60), { maxLength: 4 }),
        fc.array(fc.integer({ min: -2_000, max: 200_000 }), { minLength: 1, maxLength: 6 }),
        async (edits, steps, loadsAfter, instants) => {
          const stream = nextStream();
          const events = eventsOf(stream.slice(4), edits, steps);
          // Loads in between appends leave snapshots at many places of the history.
          const cuts = [...new Set(loadsAfter.map((n) => Math.min(n, events.length)).filter((n) => n > 0))].sort((a, b) => a - b);
          let written = 0;
          for (const cut of [...cuts, events.length]) {
            if (cut > written) {
              await store.append(stream, events.slice(written, cut), {
                expectedRevision: written === 0 ? 'no_stream' : BigInt(written - 1),
              });
              written = cut;
            }
            await foldStream(store, MCI, stream);
          }
          const recorded = await store.readStream(stream);
          const whole = fold(multiCloudImageDecider, recorded.map(parseMultiCloudImageEvent));
          const loaded = await foldStream(store, MCI, stream);
          expect(loaded.state).toEqual(whole);
          expect(loaded.last?.revision).toBe(BigInt(events.length - 1));
          expect(loaded.folded).toBeLessThanOrEqual(3);
          for (const offset of instants) {
            const atMs = BASE_TIME + offset;
            expect(await foldStreamAt(store, MCI, stream, atMs)).toEqual(naiveAt(recorded, atMs));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('writes a snapshot at the end of every block of `interval` events, and a load folds only the tail past the newest', async () => {
    const stream = nextStream();
    await appendAll(
      store,
      stream,
      eventsOf(
        's',
        Array.from({ length: 10 }, (_, i) => ({ kind: 'rename' as const, name: `n${i}` })),
        [1_000],
      ),
    );
    const first = await foldStream(store, MCI, stream);
    expect(first).toMatchObject({ folded: 11, fromSnapshot: undefined });
    expect(rowsOf(stream).map((row) => row.revision)).toEqual([2, 5, 8]);
    const second = await foldStream(store, MCI, stream);
    expect(second).toMatchObject({ folded: 2, fromSnapshot: 8n });
    expect(second.state).toEqual(first.state);
    expect(second.last?.revision).toBe(10n);
  });

  it('ends a stream whose last event is the snapshot itself at that event', async () => {
    const stream = nextStream();
    await appendAll(
      store,
      stream,
      eventsOf(
        't',
        [
          { kind: 'rename', name: 'a' },
          { kind: 'rename', name: 'b' },
        ],
        [1_000],
      ),
    );
    await foldStream(store, MCI, stream);
    const again = await foldStream(store, MCI, stream);
    expect(again).toMatchObject({ folded: 0, fromSnapshot: 2n });
    expect(again.last?.revision).toBe(2n);
    expect(again.state).toMatchObject({ status: 'active', head: { name: 'b' } });
  });

  it('ignores and discards the snapshots of another history (the event at that revision has another hash)', async () => {
    const stream = nextStream();
    await appendAll(
      store,
      stream,
      eventsOf(
        'h',
        Array.from({ length: 8 }, (_, i) => ({ kind: 'rename' as const, name: `first-${i}` })),
        [1_000],
      ),
    );
    await foldStream(store, MCI, stream);
    expect(rowsOf(stream).length).toBe(3);
    // Another store (another history of the same stream name) meets the same snapshot table.
    const other = openSqliteEventStore({ path: join(dir, 'other.sqlite'), synchronous: 'NORMAL' });
    try {
      attachSnapshots(other, snapshots);
      await appendAll(
        other,
        stream,
        eventsOf(
          'h',
          Array.from({ length: 9 }, (_, i) => ({ kind: 'rename' as const, name: `second-${i}` })),
          [1_000],
        ),
      );
      const folded = await foldStream(other, MCI, stream);
      expect(folded.fromSnapshot).toBeUndefined();
      expect(folded.state).toEqual(fold(multiCloudImageDecider, (await other.readStream(stream)).map(parseMultiCloudImageEvent)));
      expect(folded.state).toMatchObject({ head: { name: 'second-8' } });
      // The foreign snapshots are gone; this history's own were written in their place.
      expect(rowsOf(stream).map((row) => JSON.parse(row.state).head.name)).toEqual(['second-1', 'second-4', 'second-7']);
    } finally {
      detachSnapshots(other);
      await other.close();
    }
  });

  it('ignores a snapshot of a shorter stream than the store holds now (events removed)', async () => {
    const stream = nextStream();
    await appendAll(
      store,
      stream,
      eventsOf(
        'x',
        [
          { kind: 'rename', name: 'a' },
          { kind: 'rename', name: 'b' },
          { kind: 'rename', name: 'c' },
        ],
        [1_000],
      ),
    );
    db.prepare(
      `INSERT INTO stream_snapshots (stream, kind, revision, schema_version, event_hash, max_occurred_at, state, checksum) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      stream,
      'MultiCloudImage',
      50,
      SNAPSHOT_SCHEMA_VERSION,
      'feed',
      0,
      '{"status":"empty"}',
      snapshotChecksum(
        { stream, kind: 'MultiCloudImage', revision: 50n, eventHash: 'feed', maxOccurredAt: 0, schemaVersion: SNAPSHOT_SCHEMA_VERSION },
        '{"status":"empty"}',
      ),
    );
    const folded = await foldStream(store, MCI, stream);
    expect(folded.fromSnapshot).toBeUndefined();
    expect(folded.state).toMatchObject({ status: 'active', head: { name: 'c' } });
  });

  it.each([
    ['a state edited in place', `UPDATE stream_snapshots SET state = replace(state, '"n7"', '"evil"')`],
    ['a state that is not JSON', `UPDATE stream_snapshots SET state = '{"status":'`],
    ['a checksum that does not match', `UPDATE stream_snapshots SET checksum = '00'`],
    ['a revision moved', `UPDATE stream_snapshots SET revision = revision - 1`],
  ])('ignores a damaged snapshot (%s) and folds the whole stream', async (_what, damage) => {
    const stream = nextStream();
    await appendAll(
      store,
      stream,
      eventsOf(
        'd',
        Array.from({ length: 9 }, (_, i) => ({ kind: 'rename' as const, name: `n${i}` })),
        [1_000],
      ),
    );
    await foldStream(store, MCI, stream);
    // Keep only the newest snapshot (revision 8, named n7) and damage it.
    db.prepare(`DELETE FROM stream_snapshots WHERE stream = ? AND revision < 8`).run(stream);
    db.prepare(`${damage} WHERE stream = ?`).run(stream);
    const folded = await foldStream(store, MCI, stream);
    expect(folded.fromSnapshot).toBeUndefined();
    expect(folded.state).toEqual(fold(multiCloudImageDecider, (await store.readStream(stream)).map(parseMultiCloudImageEvent)));
    expect(folded.state).toMatchObject({ head: { name: 'n8' } });
    // The damaged row was dropped and a sound one written in its place.
    const rows = rowsOf(stream);
    expect(rows.map((row) => row.revision)).toEqual([2, 5, 8]);
    expect(JSON.parse((rows[2] as { state: string }).state)).toMatchObject({ head: { name: 'n7' } });
  });

  it('ignores snapshots written under another schema version (a state shape change)', async () => {
    const stream = nextStream();
    await appendAll(
      store,
      stream,
      eventsOf(
        'v',
        Array.from({ length: 5 }, (_, i) => ({ kind: 'rename' as const, name: `n${i}` })),
        [1_000],
      ),
    );
    const [third] = await store.readStream(stream, { fromRevision: 2n, maxCount: 1 });
    const oldState = JSON.stringify({ status: 'active', shapeOfLastYear: true });
    const claimed = { stream, kind: 'MultiCloudImage', revision: 2n, eventHash: (third as RecordedEvent).metadata.hash, maxOccurredAt: 0 };
    db.prepare(
      `INSERT INTO stream_snapshots (stream, kind, revision, schema_version, event_hash, max_occurred_at, state, checksum) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      stream,
      claimed.kind,
      2,
      SNAPSHOT_SCHEMA_VERSION - 1,
      claimed.eventHash,
      0,
      oldState,
      snapshotChecksum({ ...claimed, schemaVersion: SNAPSHOT_SCHEMA_VERSION - 1 }, oldState),
    );
    const folded = await foldStream(store, MCI, stream);
    expect(folded.fromSnapshot).toBeUndefined();
    expect(folded.state).toMatchObject({ status: 'active', head: { name: 'n4' } });
    expect(folded.state).not.toHaveProperty('shapeOfLastYear');
  });

  it('never snapshots a state that is not exactly JSON', async () => {
    const stream = nextStream();
    await appendAll(
      store,
      stream,
      eventsOf(
        'j',
        Array.from({ length: 5 }, (_, i) => ({ kind: 'rename' as const, name: `n${i}` })),
        [1_000],
      ),
    );
    const withDate: StreamFold<unknown, MultiCloudImageEvent> = {
      kind: 'Dated',
      decider: { initialState: () => ({ at: new Date(0) }), evolve: (state) => state },
      parseEvent: parseMultiCloudImageEvent,
    };
    await foldStream(store, withDate, stream);
    expect(db.prepare(`SELECT count(*) AS n FROM stream_snapshots WHERE kind = 'Dated'`).get()).toEqual({ n: 0 });
  });

  it('keeps snapshots of two folds of one stream apart', async () => {
    const stream = nextStream();
    await appendAll(
      store,
      stream,
      eventsOf(
        'k',
        Array.from({ length: 5 }, (_, i) => ({ kind: 'rename' as const, name: `n${i}` })),
        [1_000],
      ),
    );
    const counting: StreamFold<number, MultiCloudImageEvent> = {
      kind: 'EventCount',
      decider: { initialState: () => 0, evolve: (count) => count + 1 },
      parseEvent: parseMultiCloudImageEvent,
    };
    await foldStream(store, MCI, stream);
    await foldStream(store, counting, stream);
    expect((await foldStream(store, counting, stream)).state).toBe(6);
    expect((await foldStream(store, MCI, stream)).state).toMatchObject({ head: { name: 'n4' } });
  });
});
