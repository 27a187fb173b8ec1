import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Projection } from '../../projections/projection';
import { openSqliteEventStore, type SqliteEventStore } from '../../src/eventStore/sqlite/sqliteEventStore';
import { openReadModelDatabase } from '../../src/readModels/readModelDatabase';
import { ProjectionRunner } from '../../src/readModels/projectionRunner';
import type { SqliteDatabase } from '../../src/sqlite/database';

/*
 * A projection that handles none of a batch's event types is not called for that batch and gets no
 * savepoint, but its checkpoint still moves to the batch's end (the runner's lane skip).
 */

/** Records every event it is called for, so a call for an event it does not handle would show. */
const markedOnly: Projection = {
  name: 'markedOnly',
  version: 1,
  handles: ['Marked'],
  tables: ['marked_calls'],
  schema: ['CREATE TABLE IF NOT EXISTS marked_calls (stream TEXT NOT NULL, revision INTEGER NOT NULL, type TEXT NOT NULL)'],
  apply(event, db) {
    db.run('INSERT INTO marked_calls (stream, revision, type) VALUES (?, ?, ?)', event.stream, event.revision, event.type);
  },
};

describe('projection runner: lanes that handle none of a batch', () => {
  let dir: string;
  let store: SqliteEventStore;
  let db: SqliteDatabase;
  let runner: ProjectionRunner | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mci-lane-skip-'));
    store = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
    db = openReadModelDatabase(join(dir, 'read-models.sqlite'));
  });
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
    db.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const checkpointOf = (name: string) =>
    db.prepare(`SELECT commit_position AS position FROM projection_checkpoints WHERE name = ?`).safeIntegers(true).get(name) as {
      position: bigint | null;
    };

  it('moves the checkpoint past batches it handles nothing of, and applies only its own events', async () => {
    const noted = Array.from({ length: 10 }, (_, n) => ({ type: 'Noted', data: { n } }));
    await store.append('log-a', noted, { expectedRevision: 'no_stream' });
    await store.append('log-b', [{ type: 'Marked', data: {} }], { expectedRevision: 'no_stream' });
    const last = await store.append('log-a', noted.slice(0, 5), { expectedRevision: 9n });

    // Batches of 4: the first two hold only Noted events, the third holds the Marked one, the last ones Noted again.
    runner = new ProjectionRunner({ store, db, projections: [markedOnly], batchSize: 4 });
    await runner.start();
    await runner.waitForPosition(last.position);

    expect(db.prepare('SELECT stream, revision, type FROM marked_calls').all()).toEqual([{ stream: 'log-b', revision: 0, type: 'Marked' }]);
    expect(checkpointOf('markedOnly').position).toBe(last.position.commit);
    expect(runner.status().projections).toEqual([expect.objectContaining({ name: 'markedOnly', state: 'live', checkpoint: last.cursor })]);

    // Live: a batch of nothing it handles still moves the checkpoint, and writes no row.
    const live = await store.append('log-a', [{ type: 'Noted', data: { n: 99 } }], { expectedRevision: 14n });
    await runner.waitForPosition(live.position);
    expect(checkpointOf('markedOnly').position).toBe(live.position.commit);
    expect(db.prepare('SELECT count(*) AS n FROM marked_calls').get()).toEqual({ n: 1 });
  });
});
