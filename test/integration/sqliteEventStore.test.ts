import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EventStoreUnavailableError } from '../../src/eventStore/errors';
import { computeEventHash } from '../../src/eventStore/hashChain';
import { openSqliteEventStore, type SqliteEventStore } from '../../src/eventStore/sqlite/sqliteEventStore';

/* What only the embedded store has to get right: its file settings, schema versioning, durability across reopen. */

describe('SQLite event store file', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mci-sqlite-'));
    path = join(dir, 'events.sqlite');
  });
  afterEach(() => {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  });

  const pragma = (store: SqliteEventStore, name: string): unknown =>
    (store as unknown as { db: Database.Database }).db.pragma(name, { simple: true });

  it('uses WAL with synchronous=FULL by default, NORMAL when asked', async () => {
    const full = openSqliteEventStore({ path });
    expect(pragma(full, 'journal_mode')).toBe('wal');
    expect(Number(pragma(full, 'synchronous'))).toBe(2); // FULL
    await full.close();
    const normal = openSqliteEventStore({ path, synchronous: 'NORMAL' });
    expect(Number(pragma(normal, 'synchronous'))).toBe(1); // NORMAL
    await normal.close();
    expect(() => openSqliteEventStore({ path, synchronous: 'OFF' as 'FULL' })).toThrow(/synchronous: expected FULL or NORMAL, got OFF/);
  });

  it('records its schema version and refuses a file from a newer release', async () => {
    const store = openSqliteEventStore({ path });
    await store.close();
    const raw = new Database(path);
    expect(raw.pragma('user_version', { simple: true })).toBe(1);
    raw.pragma('user_version = 7');
    raw.close();
    expect(() => openSqliteEventStore({ path })).toThrow(/event store schema is at version 7, newer than this build knows \(1\)/);
  });

  it('keeps acknowledged events across a reopen and continues the hash chain', async () => {
    const first = openSqliteEventStore({ path });
    const appended = await first.append('mci-1', [{ type: 'A', data: { n: 1 } }], { expectedRevision: 'no_stream' });
    await first.close();
    const second = openSqliteEventStore({ path });
    await second.append('mci-1', [{ type: 'B', data: { n: 2 } }], { expectedRevision: 0n });
    const [a, b] = await second.readStream('mci-1');
    expect(a?.cursor).toBe(appended.cursor);
    expect(b?.metadata.prevHash).toBe(a?.metadata.hash);
    for (const event of [a, b]) expect(computeEventHash(event as NonNullable<typeof event>)).toBe(event?.metadata.hash);
    await second.close();
  });

  it('never reuses a position, even after the newest row is deleted', async () => {
    const store = openSqliteEventStore({ path });
    await store.append(
      'mci-1',
      [
        { type: 'A', data: {} },
        { type: 'B', data: {} },
      ],
      { expectedRevision: 'no_stream' },
    );
    const raw = new Database(path);
    raw.prepare(`DELETE FROM events WHERE revision = 1`).run();
    raw.close();
    const next = await store.append('mci-2', [{ type: 'C', data: {} }], { expectedRevision: 'no_stream' });
    expect(store.parseCursor(next.cursor).commit).toBe(3n);
    await store.close();
  });

  it('reports a read-only database as unavailable, with the reason, and writes nothing', async () => {
    const store = openSqliteEventStore({ path });
    await store.append('mci-1', [{ type: 'A', data: {} }], { expectedRevision: 'no_stream' });
    await store.close();
    const reader = openSqliteEventStore({ path });
    // Simulate a file system that turned read-only under the running service.
    (reader as unknown as { db: Database.Database }).db.pragma('query_only = ON');
    const error = await reader.append('mci-1', [{ type: 'B', data: {} }], { expectedRevision: 0n }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EventStoreUnavailableError);
    expect((error as Error).message).toBe("appending to 'mci-1': the data directory is read-only");
    expect(await reader.readStream('mci-1')).toHaveLength(1);
    await reader.close();
  });
});
