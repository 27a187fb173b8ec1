import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamCatalog } from '../../projections/streamCatalog';
import type { Projection } from '../../projections/projection';
import type { EventStore, NewEvent } from '../../src/eventStore/port';
import { openSqliteEventStore } from '../../src/eventStore/sqlite/sqliteEventStore';
import { openReadModelDatabase } from '../../src/readModels/readModelDatabase';
import { ProjectionFailedError, ProjectionRunner, ProjectionWaitTimeoutError } from '../../src/readModels/projectionRunner';
import type { SqliteDatabase } from '../../src/sqlite/database';
import { eventually } from '../support/async';
import { dumpTables, ledgerProjection } from '../support/projections';
import { runnerSetups } from './runnerSetups';

const noted = (n: number): NewEvent => ({ type: 'Noted', data: { n } });

async function appendNotes(store: EventStore, stream: string, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i += 10) {
    const batch = Array.from({ length: Math.min(10, from + count - i) }, (_, k) => noted(i + k));
    await store.append(stream, batch, { expectedRevision: 'any' });
  }
}

describe.each(runnerSetups())('projection runner on $name', (setup) => {
  let dir: string;
  let store: EventStore;
  let db: SqliteDatabase;
  let runners: ProjectionRunner[];
  let ns: string;

  const startRunner = async (projections: readonly Projection[], options: { batchSize?: number } = {}): Promise<ProjectionRunner> => {
    const runner = new ProjectionRunner({ store, db, projections, retryBackoffMs: { initial: 20, max: 100 }, ...options });
    runners.push(runner);
    await runner.start();
    return runner;
  };

  beforeAll(() => setup.beforeAll());
  afterAll(() => setup.afterAll());
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mci-runner-'));
    store = await setup.open();
    db = openReadModelDatabase(join(dir, 'read-models.sqlite'));
    runners = [];
    ns = `r${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  });
  afterEach(async () => {
    for (const runner of runners) await runner.stop();
    db.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies the log and serves read-your-writes through waitForPosition', async () => {
    const ledger = ledgerProjection();
    const runner = await startRunner([ledger, streamCatalog]);
    const appended = await store.append(`${ns}-a`, [noted(1), noted(2)], { expectedRevision: 'no_stream' });
    await runner.waitForPosition(appended.position);
    expect(db.prepare(`SELECT n FROM ledger_test WHERE stream = ? ORDER BY revision`).all(`${ns}-a`)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(db.prepare(`SELECT category, revision, event_count FROM rm_streams WHERE stream = ?`).get(`${ns}-a`)).toEqual({
      category: ns,
      revision: 1,
      event_count: 2,
    });
    const status = runner.status();
    expect(status.caughtUp).toBe(true);
    expect(status.projections.map((p) => [p.name, p.state])).toEqual([
      ['ledger', 'live'],
      ['streamCatalog', 'live'],
    ]);
    expect(store.parseCursor(status.projections[0]?.checkpoint as string)).toEqual(appended.position);
  });

  it('gives an identical read model when the log is replayed into a fresh database, and when replayed twice', async () => {
    await appendNotes(store, `${ns}-x`, 0, 120);
    await appendNotes(store, `${ns}-y`, 0, 35);
    const head = await store.headPosition();
    const first = await startRunner([ledgerProjection(), streamCatalog], { batchSize: 7 });
    await first.waitForPosition(head);
    const tables = ['ledger_test', 'rm_streams'];
    const once = dumpTables(db, tables);
    await first.stop();

    // Replay into a fresh database: same rows.
    const freshDb = openReadModelDatabase(join(dir, 'fresh.sqlite'));
    try {
      const fresh = new ProjectionRunner({ store, db: freshDb, projections: [ledgerProjection(), streamCatalog], batchSize: 50 });
      await fresh.start();
      await fresh.waitForPosition(head);
      await fresh.stop();
      expect(dumpTables(freshDb, tables)).toEqual(once);
    } finally {
      freshDb.close();
    }

    // Replay the same events over the existing rows (checkpoint forgotten): the catalog's revision
    // guard makes that a no-op.
    db.prepare(`UPDATE projection_checkpoints SET commit_position = NULL, prepare_position = NULL WHERE name = 'streamCatalog'`).run();
    const again = await startRunner([streamCatalog]);
    await again.waitForPosition(head);
    expect(dumpTables(db, ['rm_streams'])).toEqual({ rm_streams: once['rm_streams'] });
  });

  it('rolls back a projection that fails in the middle of a batch and resumes it without double-applying or skipping', async () => {
    let failures = 0;
    const flaky = ledgerProjection({
      name: 'flaky',
      // Fails twice on event 13, then accepts it.
      failOn: (_index, data) => (data as { n: number }).n === 13 && failures++ < 2,
    });
    const steady = ledgerProjection({ name: 'steady' });
    // Events already in the log arrive as one batch; event 13 sits in its middle.
    await appendNotes(store, `${ns}-s`, 0, 30);
    const head = await store.headPosition();
    const runner = await startRunner([flaky, steady], { batchSize: 100 });
    await eventually(() => runner.status().projections.every((p) => p.state === 'live') && failures === 3, 'recovery');
    await runner.waitForPosition(head);

    const count = (table: string): unknown => db.prepare(`SELECT count(*) AS c, min(n) AS lo, max(n) AS hi FROM ${table}`).get();
    expect(count('ledger_flaky')).toEqual({ c: 30, lo: 0, hi: 29 });
    expect(count('ledger_steady')).toEqual({ c: 30, lo: 0, hi: 29 });
    expect(failures).toBe(3);
    expect(runner.status().projections.every((p) => p.state === 'live')).toBe(true);
  });

  it('reports a failed projection to writers waiting for it, and recovers once the fault is gone', async () => {
    let broken = true;
    const projection = ledgerProjection({ name: 'fragile', failOn: () => broken });
    const runner = await startRunner([projection]);
    const appended = await store.append(`${ns}-f`, [noted(1)], { expectedRevision: 'no_stream' });
    const error = await runner.waitForPosition(appended.position).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProjectionFailedError);
    expect((error as Error).message).toMatch(/read model 'fragile' is not up to date: applying Noted .* refusing event n=1/);
    const failed = runner.status().projections[0];
    expect(failed?.state).toBe('failed');
    expect(failed?.error?.stream).toBe(`${ns}-f`);
    expect(runner.status().caughtUp).toBe(false);

    broken = false;
    await eventually(() => runner.status().projections[0]?.state === 'live', 'the projection to recover');
    await runner.waitForPosition(appended.position);
    expect(db.prepare(`SELECT n FROM ledger_fragile`).all()).toEqual([{ n: 1 }]);
  });

  it('resumes after a restart from the committed checkpoint', async () => {
    await appendNotes(store, `${ns}-r`, 0, 20);
    const first = await startRunner([ledgerProjection({ name: 'resume' })]);
    await first.waitForPosition(await store.headPosition());
    await first.stop();
    await appendNotes(store, `${ns}-r`, 20, 15);
    const second = ledgerProjection({ name: 'resume' });
    const runner = await startRunner([second]);
    await runner.waitForPosition(await store.headPosition());
    expect(second.applied).toBe(15);
    expect(db.prepare(`SELECT count(*) AS c FROM ledger_resume`).get()).toEqual({ c: 35 });
  });

  it('rebuilds a projection from the whole log when its version changes, while the others stay', async () => {
    await appendNotes(store, `${ns}-v`, 0, 25);
    const v1 = await startRunner([ledgerProjection({ name: 'versioned', version: 1 }), streamCatalog]);
    await v1.waitForPosition(await store.headPosition());
    await v1.stop();
    db.prepare(`DELETE FROM ledger_versioned WHERE n < 10`).run(); // damage that only a rebuild repairs
    const catalogBefore = dumpTables(db, ['rm_streams']);

    const v2 = ledgerProjection({ name: 'versioned', version: 2 });
    const catalog = { ...streamCatalog };
    const runner = await startRunner([v2, catalog]);
    await runner.waitForPosition(await store.headPosition());
    expect(v2.applied).toBe(25);
    expect(db.prepare(`SELECT count(*) AS c FROM ledger_versioned`).get()).toEqual({ c: 25 });
    expect(dumpTables(db, ['rm_streams'])).toEqual(catalogBefore);
    expect(runner.status().projections.map((p) => p.state)).toEqual(['live', 'live']);
  });

  it('lets a projection added later catch up alone and join the live subscription', async () => {
    await appendNotes(store, `${ns}-j`, 0, 40);
    const first = await startRunner([ledgerProjection({ name: 'early' })]);
    await first.waitForPosition(await store.headPosition());
    await first.stop();

    const early = ledgerProjection({ name: 'early' });
    const late = ledgerProjection({ name: 'late' });
    const runner = await startRunner([early, late], { batchSize: 8 });
    // Live writes while the late one catches up.
    await appendNotes(store, `${ns}-j`, 40, 30);
    await runner.waitForPosition(await store.headPosition());
    expect(db.prepare(`SELECT count(*) AS c FROM ledger_late`).get()).toEqual({ c: 70 });
    expect(db.prepare(`SELECT count(*) AS c FROM ledger_early`).get()).toEqual({ c: 70 });
    expect(early.applied).toBe(30);
    expect(runner.status().projections.map((p) => p.state)).toEqual(['live', 'live']);
  });

  it('times out a wait for a position the log never reaches', async () => {
    const runner = await startRunner([ledgerProjection()]);
    const head = await store.headPosition();
    const beyond = { commit: (head?.commit ?? 0n) + 1_000_000n, prepare: (head?.prepare ?? 0n) + 1_000_000n };
    await expect(runner.waitForPosition(beyond, 50)).rejects.toBeInstanceOf(ProjectionWaitTimeoutError);
  });
});

describe('projection runner durability', () => {
  it('keeps read models and checkpoints together across a reopen of both files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mci-runner-reopen-'));
    try {
      const storePath = join(dir, 'events.sqlite');
      const modelPath = join(dir, 'read-models.sqlite');
      let store = openSqliteEventStore({ path: storePath });
      let db = openReadModelDatabase(modelPath);
      let runner = new ProjectionRunner({ store, db, projections: [ledgerProjection({ name: 'durable' })] });
      await runner.start();
      await appendNotes(store, 'durable-1', 0, 12);
      await runner.waitForPosition(await store.headPosition());
      await runner.stop();
      db.close();
      await store.close();

      store = openSqliteEventStore({ path: storePath });
      db = openReadModelDatabase(modelPath);
      const reopened = ledgerProjection({ name: 'durable' });
      runner = new ProjectionRunner({ store, db, projections: [reopened] });
      await runner.start();
      await runner.waitForPosition(await store.headPosition());
      expect(reopened.applied).toBe(0);
      expect(db.prepare(`SELECT count(*) AS c FROM ledger_durable`).get()).toEqual({ c: 12 });
      await runner.stop();
      db.close();
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
