import { InvalidRequestError, VersionConflictError } from '../../src/eventStore/errors';
import {
  openEventStoreDbEventStore,
  type EventStoreDbEventStore,
  type SealedImport,
} from '../../src/eventStore/eventstoredb/eventStoreDbEventStore';
import { openSqliteEventStore } from '../../src/eventStore/sqlite/sqliteEventStore';
import type { EventStore, RecordedEvent } from '../../src/eventStore/port';
import { ESDB_MAX_APPEND_SIZE } from '../contract/eventStoreSetups';
import { startEsdbTestServer, type EsdbTestServer } from '../support/esdbTestServer';

/*
 * The EventStoreDB adapter's import path (used by `multicloud-images migrate`): events sealed by the
 * embedded store keep their ids, revisions and hashes; a re-run is recognised; a broken chain or a
 * batch that doesn't continue the stored one is refused before anything is written.
 */

const toImport = (event: RecordedEvent): SealedImport => ({
  id: event.id,
  type: event.type,
  revision: event.revision,
  data: event.data,
  metadata: event.metadata,
});

describe('EventStoreDB adapter: importing sealed events', () => {
  let server: EsdbTestServer;
  let target: EventStoreDbEventStore;
  let source: EventStore;
  let sealed: RecordedEvent[];

  beforeEach(async () => {
    server = await startEsdbTestServer({ maxAppendSize: ESDB_MAX_APPEND_SIZE });
    target = openEventStoreDbEventStore({ url: server.url, callDeadlineMs: 2_000 });
    source = openSqliteEventStore({ path: ':memory:' });
    await source.append(
      'mci-1',
      [0, 1, 2, 3].map((n) => ({ type: 'Noted', data: { n }, metadata: { accountId: 'a' } })),
      { expectedRevision: 'no_stream' },
    );
    sealed = await source.readStream('mci-1');
  });
  afterEach(async () => {
    await target.close();
    await source.close();
    await server.close();
  });

  it('keeps ids, revisions, metadata and hashes, and continues the chain with ordinary appends', async () => {
    const first = await target.importSealedEvents('mci-1', sealed.slice(0, 2).map(toImport));
    expect(first).toMatchObject({ firstRevision: 0n, nextExpectedRevision: 1n, alreadyAppended: false });
    await target.importSealedEvents('mci-1', sealed.slice(2).map(toImport));
    const stored = await target.readStream('mci-1');
    expect(stored.map((e) => [e.id, e.revision, e.metadata])).toEqual(sealed.map((e) => [e.id, e.revision, e.metadata]));
    await target.append('mci-1', [{ type: 'Noted', data: { n: 4 } }], { expectedRevision: 3n });
    const [next] = await target.readStream('mci-1', { fromRevision: 4n });
    expect(next?.metadata.prevHash).toBe(sealed[3]?.metadata.hash);
  });

  it('answers a re-imported batch as already appended, writing nothing', async () => {
    await target.importSealedEvents('mci-1', sealed.map(toImport));
    const again = await target.importSealedEvents('mci-1', sealed.slice(1, 3).map(toImport));
    expect(again).toMatchObject({ firstRevision: 1n, nextExpectedRevision: 2n, alreadyAppended: true });
    expect((await target.readStream('mci-1')).length).toBe(4);
  });

  it('refuses a broken chain, a gap, or a batch that does not continue the stored stream, writing nothing', async () => {
    const events = sealed.map(toImport);
    const changed = { ...events[1], data: { n: 99 } } as SealedImport;
    await expect(target.importSealedEvents('mci-1', [events[0] as SealedImport, changed])).rejects.toThrow(
      new InvalidRequestError("'mci-1' revision 1: its content does not hash to its stored hash: it was changed after it was written"),
    );
    await expect(target.importSealedEvents('mci-1', [events[0] as SealedImport, events[2] as SealedImport])).rejects.toThrow(
      new InvalidRequestError("'mci-1' revision 2: an import must be consecutive revisions, it follows revision 0"),
    );
    await expect(target.importSealedEvents('mci-1', [events[1] as SealedImport])).rejects.toThrow(VersionConflictError);
    expect(await countOurs(target)).toBe(0);
    await target.importSealedEvents('mci-1', [events[0] as SealedImport]);
    // A foreign event at revision 1: the next import does not continue it.
    await target.append('mci-1', [{ type: 'Noted', data: { n: 'other' } }], { expectedRevision: 0n });
    await expect(target.importSealedEvents('mci-1', [events[2] as SealedImport])).rejects.toThrow(
      /^'mci-1' revision 2: its prevHash does not continue the chain already stored \(revision 1 has hash [0-9a-f]{64}\)$/u,
    );
    await expect(target.importSealedEvents('mci-1', [events[1] as SealedImport])).rejects.toThrow(VersionConflictError);
    expect((await target.readStream('mci-1')).map((e) => e.data)).toEqual([{ n: 0 }, { n: 'other' }]);
  });
});

async function countOurs(store: EventStore): Promise<number> {
  return (await store.readAll()).events.length;
}
